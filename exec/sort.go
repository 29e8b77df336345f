package exec

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

func init() {
	Register((*plan.Sort)(nil), func(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
		s := n.(*plan.Sort)
		return buildSortOp(qc, n, slice, child, s.Input, s.Keys, -1, 0, "Sort")
	})
	Register((*plan.TopN)(nil), func(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
		t := n.(*plan.TopN)
		off := max(t.Offset, 0)
		return buildSortOp(qc, n, slice, child, t.Input, t.Keys, max(t.Limit, 0), off, "TopN")
	})
}

// sortRun is one slice's sorted input: materialised columns (input
// columns, then evaluated key columns) and the sorted row order.
type sortRun struct {
	cols []arrow.Array
	keys []sortCol
	idx  []int32
}

func (r *sortRun) release() {
	sortReleaseAll(r.cols)
	r.cols = nil
}

// sortShared is the global state of a Sort/TopN node: the runs of all
// slices, merged by slice 0 once every slice has arrived.
type sortShared struct {
	mu      sync.Mutex
	slices  int
	arrived int
	runs    []*sortRun
	done    chan struct{}
	refs    int
}

func (g *sortShared) arrive(r *sortRun) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if r != nil {
		g.runs = append(g.runs, r)
	}
	g.arrived++
	if g.arrived == g.slices {
		close(g.done)
	}
}

// takeRuns hands the runs to the merging slice.
func (g *sortShared) takeRuns() []*sortRun {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.runs
	g.runs = nil
	return r
}

func (g *sortShared) unref() {
	g.mu.Lock()
	g.refs--
	var rs []*sortRun
	if g.refs == 0 {
		rs, g.runs = g.runs, nil
	}
	g.mu.Unlock()
	for _, r := range rs {
		r.release()
	}
}

// sortOp sorts (or keeps the top limit+offset rows of) its input. Every
// slice sorts its own input into a run; slice 0 merges the runs and emits
// the ordered stream, the other slices emit nothing.
type sortOp struct {
	qc     *QueryCtx
	name   string
	slice  int
	in     Operator
	g      *sortShared
	ex     *sortExprCols
	types  []arrow.DataType // materialised column types
	nout   int
	order  *sortOrder
	limit  int64 // < 0: no limit (Sort)
	offset int64
	mem    memory.Allocator

	arrived bool
	charged int64
	// output state (slice 0)
	outCols []arrow.Array
	outIdx  []int32
	pos     int
}

func buildSortOp(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error),
	input plan.Node, keys []plan.SortKey, limit, offset int64, name string) (Operator, error) {
	mem := qc.Alloc(name)
	exprs := make([]expr.Expr, len(keys))
	desc := make([]bool, len(keys))
	nf := make([]bool, len(keys))
	ktypes := make([]arrow.DataType, len(keys))
	for i, k := range keys {
		exprs[i], desc[i], nf[i], ktypes[i] = k.Expr, k.Desc, k.NullsFirst, k.Expr.Type()
	}
	inSchema := input.Schema()
	nin := len(inSchema.Fields())
	ex, err := newSortExprCols(exprs, nin, &eval.Env{Mem: mem, Params: qc.Params})
	if err != nil {
		return nil, err
	}
	order, err := newSortOrder(ktypes, desc, nf)
	if err != nil {
		return nil, &sortError{op: name, err: err}
	}
	types := make([]arrow.DataType, 0, nin+ex.extra)
	for _, f := range inSchema.Fields() {
		types = append(types, f.Type)
	}
	for i, ev := range ex.evals {
		if ev != nil {
			types = append(types, ktypes[i])
		}
	}
	in, err := child(input)
	if err != nil {
		return nil, err
	}
	g := qc.Shared(n, func() any { return &sortShared{slices: qc.Slices, done: make(chan struct{})} }).(*sortShared)
	g.mu.Lock()
	g.refs++
	g.mu.Unlock()
	return &sortOp{qc: qc, name: name, slice: slice, in: in, g: g, ex: ex, types: types, nout: nin,
		order: order, limit: limit, offset: offset, mem: mem}, nil
}

type sortError struct {
	op  string
	err error
}

func (e *sortError) Error() string { return e.op + ": " + e.err.Error() }
func (e *sortError) Unwrap() error { return e.err }

func (s *sortOp) Open(ctx context.Context) error { return s.in.Open(ctx) }

func (s *sortOp) grow(n int64) error {
	if err := s.qc.Budget.Grow(s.name, n); err != nil {
		return err
	}
	s.charged += n
	return nil
}

// newRun sorts materialised columns into a run, keeping at most keep rows
// (keep < 0: all).
func (s *sortOp) newRun(cols []arrow.Array, keep int64) (*sortRun, error) {
	n := 0
	if len(cols) > 0 {
		n = cols[0].Len()
	}
	if err := s.grow(int64(20 * n)); err != nil {
		sortReleaseAll(cols)
		return nil, err
	}
	r := &sortRun{cols: cols, idx: make([]int32, n)}
	for i := range r.idx {
		r.idx[i] = int32(i)
	}
	r.keys = make([]sortCol, len(s.ex.pos))
	for k, p := range s.ex.pos {
		r.keys[k] = newSortCol(cols[p])
	}
	keys, o := r.keys, s.order
	sortRows(o, keys, r.idx)
	if keep >= 0 && int64(n) > keep {
		// Keep only the best rows, compacted in sorted order.
		top := r.idx[:keep]
		nc := s.takeOrRelease(cols, top)
		sortReleaseAll(cols)
		r.cols = nc
		r.idx = r.idx[:keep]
		for i := range r.idx {
			r.idx[i] = int32(i)
		}
		for k, p := range s.ex.pos {
			r.keys[k] = newSortCol(nc[p])
		}
	}
	return r, nil
}

// consume drains the input into a sorted run.
func (s *sortOp) consume(ctx context.Context) (*sortRun, error) {
	var parts [][]arrow.Array
	rows := int64(0)
	defer func() {
		for _, p := range parts {
			sortReleaseAll(p)
		}
	}()
	keep := int64(-1)
	if s.limit >= 0 {
		keep = s.limit + s.offset
	}
	compactAt := int64(-1)
	if keep >= 0 {
		compactAt = max(2*keep, int64(4*s.qc.BatchSize), 4096)
	}
	for {
		b, err := s.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			break
		}
		if keep == 0 {
			b.Release()
			continue
		}
		rows += int64(b.NumRows())
		cols, err := s.ex.materialize(ctx, s.mem, b)
		if err != nil {
			return nil, err
		}
		parts = append(parts, cols)
		if compactAt >= 0 && rows >= compactAt {
			all, err := sortConcat(s.mem, s.types, parts)
			parts = nil
			if err != nil {
				return nil, err
			}
			r, err := s.newRun(all, keep)
			if err != nil {
				return nil, err
			}
			parts = append(parts, r.cols)
			rows = int64(len(r.idx))
		}
	}
	if rows == 0 {
		return nil, nil
	}
	all, err := sortConcat(s.mem, s.types, parts)
	parts = nil
	if err != nil {
		return nil, err
	}
	return s.newRun(all, keep)
}

func (s *sortOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !s.arrived {
		r, err := s.consume(ctx)
		s.arrived = true
		s.g.arrive(r)
		if err != nil {
			return nil, err
		}
		if s.slice != 0 {
			return nil, nil
		}
		select {
		case <-s.g.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if err := s.merge(); err != nil {
			return nil, err
		}
	}
	if s.slice != 0 || s.pos >= len(s.outIdx) {
		return nil, nil
	}
	end := min(len(s.outIdx), s.pos+s.qc.BatchSize)
	idx := s.outIdx[s.pos:end]
	s.pos = end
	cols := sortTake(s.mem, make([]arrow.Array, 0, s.nout), s.outCols[:s.nout], idx)
	return vec.New(cols, len(idx)), nil
}

// merge k-way merges the runs into one order over concatenated columns.
func (s *sortOp) merge() error {
	runs := s.g.takeRuns()
	defer func() {
		for _, r := range runs {
			r.release()
		}
	}()
	total := 0
	for _, r := range runs {
		total += len(r.idx)
	}
	lo, hi := int64(0), int64(total)
	if s.limit >= 0 {
		lo = min(s.offset, hi)
		hi = min(lo+s.limit, hi)
	}
	if hi <= lo {
		return nil
	}
	if len(runs) == 1 {
		r := runs[0]
		s.outCols, r.cols = r.cols, nil
		s.outIdx = r.idx[lo:hi]
		return nil
	}
	if err := s.grow(int64(4 * (hi + int64(len(runs))))); err != nil {
		return err
	}
	// Merge with a binary heap of run cursors; global row = base + row.
	base := make([]int32, len(runs))
	off := int32(0)
	for i, r := range runs {
		base[i] = off
		off += int32(len(r.idx))
	}
	pos := make([]int, len(runs))
	h := make([]int, 0, len(runs))
	o := s.order
	less := func(a, b int) bool {
		ra, rb := runs[a], runs[b]
		c := o.compare(ra.keys, int(ra.idx[pos[a]]), rb.keys, int(rb.idx[pos[b]]))
		return c < 0 || (c == 0 && a < b)
	}
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			m := l
			if r := l + 1; r < len(h) && less(h[r], h[l]) {
				m = r
			}
			if !less(h[m], h[i]) {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for i, r := range runs {
		if len(r.idx) > 0 {
			h = append(h, i)
		}
	}
	for i := len(h)/2 - 1; i >= 0; i-- {
		down(i)
	}
	out := make([]int32, 0, hi-lo)
	for k := int64(0); k < hi && len(h) > 0; k++ {
		ri := h[0]
		if k >= lo {
			out = append(out, base[ri]+runs[ri].idx[pos[ri]])
		}
		pos[ri]++
		if pos[ri] == len(runs[ri].idx) {
			h[0] = h[len(h)-1]
			h = h[:len(h)-1]
		}
		down(0)
	}
	parts := make([][]arrow.Array, len(runs))
	for i, r := range runs {
		parts[i] = r.cols[:s.nout]
		sortReleaseAll(r.cols[s.nout:])
		r.cols = nil
	}
	cols, err := sortConcat(s.mem, s.types[:s.nout], parts)
	if err != nil {
		return err
	}
	s.outCols, s.outIdx = cols, out
	return nil
}

func (s *sortOp) Close() error {
	if !s.arrived {
		s.arrived = true
		s.g.arrive(nil)
	}
	err := s.in.Close()
	sortReleaseAll(s.outCols)
	s.outCols = nil
	s.g.unref()
	s.qc.Budget.Shrink(s.charged)
	s.charged = 0
	return err
}

// takeOrRelease gathers rows idx of cols; on a panic it releases cols too.
func (s *sortOp) takeOrRelease(cols []arrow.Array, idx []int32) []arrow.Array {
	ok := false
	defer func() {
		if !ok {
			sortReleaseAll(cols)
		}
	}()
	out := sortTake(s.mem, make([]arrow.Array, 0, len(cols)), cols, idx)
	ok = true
	return out
}
