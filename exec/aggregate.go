package exec

import (
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// Hash aggregation, DuckDB-style local sink / global finalize:
//
//   - Sink (per slice): every input batch is mapped to group ids in the
//     slice's own group table ([]int32, one per live row), then every
//     aggregate updates its typed accumulator slices with one loop over
//     (group ids, values). DISTINCT aggregates only record (group, value)
//     pairs in a per-slice set.
//   - Combine: when its input ends the slice computes the merge partition
//     of each of its groups and hands its local state to the node's
//     aggBarrier.
//   - Finalize (parallel): once every slice has arrived, slice p builds a
//     final table from partition p of every local state (merging partial
//     accumulators, feeding distinct values not seen before) and emits its
//     groups. Without keys, slice 0 alone merges and emits the one row.

func init() {
	Register((*plan.Aggregate)(nil), buildAggregate)
}

const aggOpName = "HashAggregate"

// aggLocal is the partial (or, after merging, final) state of one slice.
type aggLocal struct {
	table aggGroupTable
	accs  []aggAcc
	// dsets[j] is the (group id, value) set of DISTINCT aggregate j
	// (aggregate_distinct.go).
	dsets []aggDistinct
	// parts lists the group ids of each merge partition (set on arrival,
	// when the distinct sets are split the same way).
	parts [][]int32
}

func (l *aggLocal) memBytes() int64 {
	n := l.table.memBytes()
	for _, a := range l.accs {
		n += a.memBytes()
	}
	for _, d := range l.dsets {
		if d != nil {
			n += d.memBytes()
		}
	}
	for _, p := range l.parts {
		n += int64(cap(p)) * 4
	}
	return n
}

func (l *aggLocal) hasDistinct() bool {
	for _, d := range l.dsets {
		if d != nil {
			return true
		}
	}
	return false
}

func (l *aggLocal) resize() {
	n := l.table.numGroups()
	for _, a := range l.accs {
		a.resize(n)
	}
}

// computePartitions splits the groups (and distinct entries) into p
// merge partitions.
func (l *aggLocal) computePartitions(p int) {
	l.parts = make([][]int32, p)
	l.table.partitions(l.parts)
	hasDistinct := false
	for _, d := range l.dsets {
		hasDistinct = hasDistinct || d != nil
	}
	if !hasDistinct {
		return
	}
	groupPart := make([]int32, l.table.numGroups())
	for q, ids := range l.parts {
		for _, g := range ids {
			groupPart[g] = int32(q)
		}
	}
	for _, d := range l.dsets {
		if d != nil {
			d.split(groupPart, p)
		}
	}
}

// aggBarrier is the global state of a pipeline-breaking node: the local
// states of all slices, a barrier that opens when all have arrived, and
// the budget charges of the local states (returned when the last slice
// closes, since other slices read them while merging).
type aggBarrier struct {
	mu      sync.Mutex
	slices  int
	locals  []*aggLocal
	arrived int
	closed  int
	charged int64
	done    chan struct{}
}

func newAggBarrier(slices int) *aggBarrier {
	return &aggBarrier{slices: slices, done: make(chan struct{})}
}

// arrive hands over a slice's local state (nil: empty contribution) and
// the budget bytes charged for it.
func (b *aggBarrier) arrive(l *aggLocal, charged int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l != nil {
		b.locals = append(b.locals, l)
	}
	b.charged += charged
	b.arrived++
	if b.arrived == b.slices {
		close(b.done)
	}
}

// wait blocks until every slice has arrived or ctx is cancelled.
func (b *aggBarrier) wait(ctx context.Context) error {
	select {
	case <-b.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close records a slice's Close; the last one returns the local states'
// budget charges.
func (b *aggBarrier) close(budget *Budget) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed++
	if b.closed == b.slices {
		budget.Shrink(b.charged)
		b.charged = 0
		b.locals = nil
	}
}

// aggSpec describes the state of one Aggregate node.
type aggSpec struct {
	keyTypes []arrow.DataType
	funcs    []plan.AggFunc
}

func (s *aggSpec) newLocal() (*aggLocal, error) {
	l := &aggLocal{}
	switch {
	case len(s.keyTypes) == 0:
		l.table = aggNoKeyTable{}
	case len(s.keyTypes) == 1 && aggFixedKeyable(s.keyTypes[0]):
		l.table = newAggFixedTable()
	default:
		l.table = newAggBytesTable()
	}
	l.accs = make([]aggAcc, len(s.funcs))
	l.dsets = make([]aggDistinct, len(s.funcs))
	for j, f := range s.funcs {
		a, err := aggNewAcc(f)
		if err != nil {
			return nil, err
		}
		l.accs[j] = a
		if aggIsDistinct(f) {
			l.dsets[j] = newAggDistinct(f.Args[0].Type(), len(s.keyTypes) == 0)
		}
	}
	l.resize()
	return l, nil
}

// aggIsDistinct reports whether f needs a distinct-value set (DISTINCT
// is a no-op for min, max and the like).
func aggIsDistinct(f plan.AggFunc) bool {
	if !f.Distinct {
		return false
	}
	switch f.Fn {
	case "min", "max", "any_value", "bool_and", "bool_or", "single_value":
		return false
	}
	return true
}

// aggExpr is a key or argument expression: a plain column is read in
// place (with the batch's selection), anything else is evaluated.
type aggExpr struct {
	idx int
	ev  eval.Evaluator
}

func aggCompile(e expr.Expr, env *eval.Env) (aggExpr, error) {
	if c, ok := e.(*expr.ColumnRef); ok {
		return aggExpr{idx: c.Index}, nil
	}
	ev, err := eval.Compile(e, env)
	if err != nil {
		return aggExpr{}, err
	}
	return aggExpr{idx: -1, ev: ev}, nil
}

// eval returns the expression's column over b, the selection to apply to
// it, and whether the caller owns (must release) the column.
func (e aggExpr) eval(ctx context.Context, b *vec.Batch) (arrow.Array, []int32, bool, error) {
	if e.ev == nil {
		if e.idx < 0 || e.idx >= len(b.Cols) {
			return nil, nil, false, fmt.Errorf("HashAggregate: column #%d out of range (input has %d columns)", e.idx, len(b.Cols))
		}
		return b.Cols[e.idx], b.Sel, false, nil
	}
	a, err := e.ev.Eval(ctx, b)
	return a, nil, true, err
}

// aggSink is the slice-local half of a hash-based pipeline breaker,
// shared by HashAggregate and the set operations: the local state, the
// arrival at the barrier, the partition-wise merge and the budget charges.
type aggSink struct {
	qc    *QueryCtx
	slice int
	name  string // operator name for memory errors
	spec  *aggSpec
	g     *aggBarrier
	mem   memory.Allocator

	local   *aggLocal
	charged int64 // budget bytes charged for local, until arrival
	arrived bool

	final        *aggLocal
	finalCharged int64
	merged       bool

	input aggInput
}

type aggOp struct {
	aggSink
	n    *plan.Aggregate
	in   Operator
	keys []aggExpr
	args []aggExpr // per aggregate; unused for count_star
	pos  int

	gids   []int32
	owned  []arrow.Array
	keyBuf []arrow.Array
}

func buildAggregate(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
	a := n.(*plan.Aggregate)
	op := &aggOp{aggSink: aggSink{qc: qc, slice: slice, name: aggOpName, mem: qc.Alloc(aggOpName)}, n: a}
	op.spec = &aggSpec{funcs: a.Aggs}
	env := &eval.Env{Mem: op.mem, Params: qc.Params}
	for i, k := range a.Keys {
		e, err := aggCompile(k, env)
		if err != nil {
			return nil, err
		}
		op.keys = append(op.keys, e)
		// Key columns are rebuilt with the output schema's types (same
		// physical layout as the key expressions').
		kt := k.Type()
		if i < len(a.Schema().Fields()) {
			kt = a.Schema().Field(i).Type
		}
		op.spec.keyTypes = append(op.spec.keyTypes, kt)
	}
	op.args = make([]aggExpr, len(a.Aggs))
	for j, f := range a.Aggs {
		if f.Fn == "count_star" {
			continue
		}
		if len(f.Args) != 1 {
			return nil, fmt.Errorf("HashAggregate: %s takes one argument, got %d", f, len(f.Args))
		}
		e, err := aggCompile(f.Args[0], env)
		if err != nil {
			return nil, err
		}
		op.args[j] = e
	}
	local, err := op.spec.newLocal()
	if err != nil {
		return nil, err
	}
	op.local = local
	op.g = qc.Shared(n, func() any { return newAggBarrier(qc.Slices) }).(*aggBarrier)
	in, err := child(a.Input)
	if err != nil {
		return nil, err
	}
	op.in = in
	return op, nil
}

func (o *aggOp) Open(ctx context.Context) error { return o.in.Open(ctx) }

// charge brings the budget charge for l up to date.
func (s *aggSink) charge(l *aggLocal, charged *int64) error {
	now := l.memBytes()
	d := now - *charged
	if d > 0 {
		if err := s.qc.Budget.Grow(s.name, d); err != nil {
			return err
		}
	} else if d < 0 {
		s.qc.Budget.Shrink(-d)
	}
	*charged = now
	return nil
}

func (o *aggOp) releaseOwned() {
	for _, a := range o.owned {
		a.Release()
	}
	o.owned = o.owned[:0]
}

// keyColumns evaluates the key columns of b; all returned columns share
// the returned selection.
func (o *aggOp) keyColumns(ctx context.Context, b *vec.Batch) ([]arrow.Array, []int32, error) {
	cols := o.keyBuf[:0]
	var sel []int32
	mixed := false
	for i, k := range o.keys {
		c, s, own, err := k.eval(ctx, b)
		if err != nil {
			return nil, nil, err
		}
		if own {
			o.owned = append(o.owned, c)
		}
		if i == 0 {
			sel = s
		} else if (s == nil) != (sel == nil) {
			mixed = true
		}
		cols = append(cols, c)
	}
	o.keyBuf = cols
	if _, bytesKeys := o.local.table.(*aggBytesTable); bytesKeys {
		for i, c := range cols {
			if nc, ok := aggNormFloats(o.mem, c); ok {
				cols[i] = nc
				o.owned = append(o.owned, nc)
			}
		}
	}
	if mixed {
		// Some keys are evaluated (dense), some read in place: make all dense.
		for i, k := range o.keys {
			if k.ev == nil && b.Sel != nil {
				cols[i] = vec.Take(o.mem, cols[i], b.Sel)
				o.owned = append(o.owned, cols[i])
			}
		}
		sel = nil
	}
	return cols, sel, nil
}

func (o *aggOp) consume(ctx context.Context, b *vec.Batch) error {
	defer o.releaseOwned()
	n := b.NumRows()
	if cap(o.gids) < n {
		o.gids = make([]int32, n)
	}
	gids := o.gids[:n]
	l := o.local
	kc, ksel, err := o.keyColumns(ctx, b)
	if err != nil {
		return err
	}
	if err := l.table.insertBatch(kc, ksel, n, gids); err != nil {
		return err
	}
	l.resize()
	for j, f := range o.spec.funcs {
		if f.Fn == "count_star" {
			o.input.prepare(gids, nil, nil)
			if err := l.accs[j].update(&o.input); err != nil {
				return err
			}
			continue
		}
		c, sel, own, err := o.args[j].eval(ctx, b)
		if err != nil {
			return err
		}
		if own {
			o.owned = append(o.owned, c)
		}
		if l.dsets[j] != nil {
			l.dsets[j].add(o.mem, gids, c, sel)
			continue
		}
		o.input.prepare(gids, c, sel)
		if err := l.accs[j].update(&o.input); err != nil {
			return err
		}
	}
	return o.charge(l, &o.charged)
}

func (s *aggSink) arrive() {
	if s.arrived {
		return
	}
	s.arrived = true
	l := s.local
	s.local = nil
	if l != nil {
		l.computePartitions(s.qc.Slices)
	}
	s.g.arrive(l, s.charged)
	s.charged = 0
}

func (o *aggOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !o.arrived {
		for {
			b, err := o.in.Next(ctx)
			if err != nil {
				return nil, err
			}
			if b == nil {
				break
			}
			err = o.consume(ctx, b)
			b.Release()
			if err != nil {
				return nil, err
			}
		}
		o.arrive()
	}
	if len(o.spec.keyTypes) == 0 && o.slice != 0 {
		return nil, nil
	}
	if !o.merged {
		if err := o.g.wait(ctx); err != nil {
			return nil, err
		}
		part := o.slice
		if len(o.spec.keyTypes) == 0 {
			part = 0
		}
		if err := o.merge(ctx, part); err != nil {
			return nil, err
		}
		o.merged = true
	}
	return o.emit()
}

// merge builds the final state of partition p from every local state.
func (s *aggSink) merge(ctx context.Context, p int) error {
	// One partition and one contributing slice without DISTINCT: its
	// partial state is already final.
	if s.qc.Slices == 1 && len(s.g.locals) == 1 && !s.g.locals[0].hasDistinct() {
		s.final = s.g.locals[0]
		return nil
	}
	f, err := s.spec.newLocal()
	if err != nil {
		return err
	}
	s.final = f
	total := 0
	for _, l := range s.g.locals {
		total += len(l.parts[p])
	}
	// The partition has at most total groups (fewer when slices share
	// keys): sizing for it up front avoids rehashing while merging.
	f.table.reserve(total)
	if err := s.charge(f, &s.finalCharged); err != nil {
		return err
	}
	var dst, gidMap []int32
	for _, l := range s.g.locals {
		if err := ctx.Err(); err != nil {
			return err
		}
		src := l.parts[p]
		if len(src) == 0 {
			continue
		}
		dst = aggGrow(dst[:0], len(src))
		f.table.mergeFrom(l.table, src, dst)
		f.resize()
		for j, a := range f.accs {
			if f.dsets[j] != nil {
				continue
			}
			if err := a.merge(l.accs[j], src, dst); err != nil {
				return err
			}
		}
		if l.hasDistinct() {
			gidMap = aggGrow(gidMap[:0], l.table.numGroups())
			for i := range gidMap {
				gidMap[i] = -1
			}
			for i, g := range src {
				gidMap[g] = dst[i]
			}
			for j, fset := range f.dsets {
				if fset == nil {
					continue
				}
				feed := func(gids []int32, col arrow.Array) error {
					s.input.prepare(gids, col, nil)
					return f.accs[j].update(&s.input)
				}
				if err := fset.mergePart(s.mem, l.dsets[j], p, gidMap, s.spec.funcs[j].Args[0].Type(), feed); err != nil {
					return err
				}
				if err := s.charge(f, &s.finalCharged); err != nil {
					return err
				}
			}
		}
		if err := s.charge(f, &s.finalCharged); err != nil {
			return err
		}
	}
	f.resize()
	return s.charge(f, &s.finalCharged)
}

func (o *aggOp) emit() (*vec.Batch, error) {
	f := o.final
	ng := f.table.numGroups()
	if o.pos >= ng {
		return nil, nil
	}
	lo := o.pos
	hi := min(lo+o.qc.BatchSize, ng)
	cols := f.table.keyArrays(o.mem, o.spec.keyTypes, lo, hi)
	for _, a := range f.accs {
		c, err := a.finish(o.mem, lo, hi)
		if err != nil {
			for _, x := range cols {
				x.Release()
			}
			return nil, err
		}
		cols = append(cols, c)
	}
	o.pos = hi
	return vec.New(cols, hi-lo), nil
}

func (o *aggOp) Close() error {
	o.closeSink()
	o.releaseOwned()
	return o.in.Close()
}

// closeSink arrives with an empty contribution if the slice never arrived
// (barrier rule) and returns the slice's budget charges.
func (s *aggSink) closeSink() {
	if !s.arrived {
		s.local = nil
		s.qc.Budget.Shrink(s.charged)
		s.charged = 0
		s.arrived = true
		s.g.arrive(nil, 0)
	}
	s.g.close(s.qc.Budget)
	s.qc.Budget.Shrink(s.finalCharged)
	s.finalCharged = 0
	s.final = nil
}
