package exec

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/exec/keys"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

func init() {
	Register((*plan.Window)(nil), buildWindow)
}

// winShared exchanges rows between slices: every slice routes its input
// rows to the slice owning their partition (hash of the PARTITION BY keys
// all functions share; everything to slice 0 when there are none).
type winShared struct {
	mu      sync.Mutex
	slices  int
	arrived int
	buckets [][][]arrow.Array // per destination slice: materialised parts
	done    chan struct{}
	refs    int
}

func (g *winShared) arrive(parts [][][]arrow.Array) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for i, p := range parts {
		g.buckets[i] = append(g.buckets[i], p...)
	}
	g.arrived++
	if g.arrived == g.slices {
		close(g.done)
	}
}

func (g *winShared) take(slice int) [][]arrow.Array {
	g.mu.Lock()
	defer g.mu.Unlock()
	p := g.buckets[slice]
	g.buckets[slice] = nil
	return p
}

func (g *winShared) unref() {
	g.mu.Lock()
	g.refs--
	var rest [][][]arrow.Array
	if g.refs == 0 {
		rest, g.buckets = g.buckets, nil
	}
	g.mu.Unlock()
	for _, b := range rest {
		for _, p := range b {
			sortReleaseAll(p)
		}
	}
}

// winFunc is one compiled window function: positions of its expressions
// in the materialised columns.
type winFunc struct {
	fn    plan.WindowFunc
	spec  int   // index into windowOp.specs (PARTITION BY + ORDER BY)
	args  []int // materialised column positions of the arguments
	frame plan.Frame
}

// winSpec is one distinct (PARTITION BY, ORDER BY) combination.
type winSpec struct {
	part    []int // materialised column positions
	order   []int
	keys    []plan.SortKey
	ptypes  []arrow.DataType
	sortOrd *sortOrder // partition keys then order keys
	partOrd *sortOrder // partition keys only
	peerOrd *sortOrder // order keys only
}

type windowOp struct {
	qc     *QueryCtx
	slice  int
	in     Operator
	g      *winShared
	mem    memory.Allocator
	ex     *sortExprCols
	types  []arrow.DataType
	nin    int
	common []int // shared partition columns (hash routing)
	funcs  []winFunc
	specs  []*winSpec

	arrived bool
	cols    []arrow.Array // this slice's rows (materialised)
	results []arrow.Array
	n, pos  int
	charged int64
}

func buildWindow(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
	w := n.(*plan.Window)
	mem := qc.Alloc("Window")
	inSchema := w.Input.Schema()
	nin := len(inSchema.Fields())
	// All expressions the functions use, deduplicated by text.
	var exprs []expr.Expr
	index := map[string]int{}
	add := func(e expr.Expr) int {
		s := e.String() + "::" + e.Type().String()
		if i, ok := index[s]; ok {
			return i
		}
		index[s] = len(exprs)
		exprs = append(exprs, e)
		return len(exprs) - 1
	}
	op := &windowOp{qc: qc, slice: slice, mem: mem, nin: nin}
	specIndex := map[string]int{}
	var specExprs [][2][]int
	for _, f := range w.Funcs {
		wf := winFunc{fn: f}
		var pe, oe []int
		skey := ""
		for _, p := range f.PartitionBy {
			pe = append(pe, add(p))
			skey += "p" + p.String() + ";"
		}
		for _, k := range f.OrderBy {
			oe = append(oe, add(k.Expr))
			skey += fmt.Sprintf("o%s:%v:%v;", k.Expr, k.Desc, k.NullsFirst)
		}
		si, ok := specIndex[skey]
		if !ok {
			si = len(op.specs)
			specIndex[skey] = si
			op.specs = append(op.specs, &winSpec{keys: f.OrderBy})
			specExprs = append(specExprs, [2][]int{pe, oe})
		}
		wf.spec = si
		for _, a := range f.Args {
			wf.args = append(wf.args, add(a))
		}
		if f.Frame != nil {
			wf.frame = *f.Frame
		} else if len(f.OrderBy) > 0 {
			wf.frame = plan.Frame{Start: plan.FrameBound{Unbounded: true}, End: plan.FrameBound{}}
		} else {
			wf.frame = plan.Frame{Rows: true, Start: plan.FrameBound{Unbounded: true}, End: plan.FrameBound{Unbounded: true}}
		}
		if err := winCheck(f, wf.frame); err != nil {
			return nil, err
		}
		op.funcs = append(op.funcs, wf)
	}
	ex, err := newSortExprCols(exprs, nin, &eval.Env{Mem: mem, Params: qc.Params})
	if err != nil {
		return nil, err
	}
	op.ex = ex
	for _, f := range inSchema.Fields() {
		op.types = append(op.types, f.Type)
	}
	for i, ev := range ex.evals {
		if ev != nil {
			op.types = append(op.types, exprs[i].Type())
		}
	}
	for i := range op.funcs {
		for j, a := range op.funcs[i].args {
			op.funcs[i].args[j] = ex.pos[a]
		}
	}
	// Specs: resolve positions and compile orderings.
	var common map[int]bool
	for si, s := range op.specs {
		pe, oe := specExprs[si][0], specExprs[si][1]
		var types []arrow.DataType
		var desc, nf []bool
		for _, e := range pe {
			s.part = append(s.part, ex.pos[e])
			types = append(types, exprs[e].Type())
			desc, nf = append(desc, false), append(nf, false)
		}
		s.ptypes = types
		var otypes []arrow.DataType
		var odesc, onf []bool
		for k, e := range oe {
			s.order = append(s.order, ex.pos[e])
			otypes = append(otypes, exprs[e].Type())
			odesc, onf = append(odesc, s.keys[k].Desc), append(onf, s.keys[k].NullsFirst)
		}
		if s.sortOrd, err = newSortOrder(append(append([]arrow.DataType(nil), types...), otypes...),
			append(append([]bool(nil), desc...), odesc...), append(append([]bool(nil), nf...), onf...)); err != nil {
			return nil, fmt.Errorf("Window: %w", err)
		}
		if s.partOrd, err = newSortOrder(types, desc, nf); err != nil {
			return nil, fmt.Errorf("Window: %w", err)
		}
		if s.peerOrd, err = newSortOrder(otypes, odesc, onf); err != nil {
			return nil, fmt.Errorf("Window: %w", err)
		}
		m := map[int]bool{}
		for _, p := range s.part {
			if si == 0 || common[p] {
				m[p] = true
			}
		}
		common = m
	}
	for p := range common {
		op.common = append(op.common, p)
	}
	slices.Sort(op.common)
	if op.in, err = child(w.Input); err != nil {
		return nil, err
	}
	op.g = qc.Shared(n, func() any {
		return &winShared{slices: qc.Slices, buckets: make([][][]arrow.Array, qc.Slices), done: make(chan struct{})}
	}).(*winShared)
	op.g.mu.Lock()
	op.g.refs++
	op.g.mu.Unlock()
	return op, nil
}

// winCheck validates a function's arguments and frame at build time.
func winCheck(f plan.WindowFunc, fr plan.Frame) error {
	nargs := map[string][2]int{
		"row_number": {0, 0}, "rank": {0, 0}, "dense_rank": {0, 0}, "percent_rank": {0, 0}, "cume_dist": {0, 0},
		"ntile": {1, 1}, "lag": {1, 3}, "lead": {1, 3}, "first_value": {1, 1}, "last_value": {1, 1},
		"sum": {1, 1}, "avg": {1, 1}, "min": {1, 1}, "max": {1, 1}, "count": {1, 1}, "count_star": {0, 0},
	}
	r, ok := nargs[f.Fn]
	if !ok {
		return fmt.Errorf("Window: unknown window function %s", f.Fn)
	}
	if len(f.Args) < r[0] || len(f.Args) > r[1] {
		return fmt.Errorf("Window: %s takes %d to %d arguments, got %d", f.Fn, r[0], r[1], len(f.Args))
	}
	if !fr.Rows && ((!fr.Start.Unbounded && fr.Start.Offset != 0) || (!fr.End.Unbounded && fr.End.Offset != 0)) {
		if len(f.OrderBy) != 1 {
			return fmt.Errorf("Window: %s: RANGE with an offset needs exactly one ORDER BY key", f.Fn)
		}
		switch f.OrderBy[0].Expr.Type().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL64, arrow.FLOAT64:
		default:
			return fmt.Errorf("Window: %s: RANGE offsets over %s are not supported", f.Fn, f.OrderBy[0].Expr.Type())
		}
	}
	return nil
}

func (w *windowOp) Open(ctx context.Context) error { return w.in.Open(ctx) }

// route drains the input and splits it by partition hash.
func (w *windowOp) route(ctx context.Context) ([][][]arrow.Array, error) {
	parts := make([][][]arrow.Array, w.qc.Slices)
	ok := false
	defer func() {
		// On an error or a panic (memory limit) release what was routed.
		if !ok {
			for _, b := range parts {
				for _, p := range b {
					sortReleaseAll(p)
				}
			}
		}
	}()
	var k keys.Keys
	var idx [][]int32
	for {
		b, err := w.in.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b == nil {
			ok = true
			return parts, nil
		}
		cols, err := w.ex.materialize(ctx, w.mem, b)
		if err != nil {
			return nil, err
		}
		if len(w.common) == 0 || w.qc.Slices == 1 {
			parts[0] = append(parts[0], cols)
			continue
		}
		n := cols[0].Len()
		kc := make([]arrow.Array, len(w.common))
		for i, p := range w.common {
			kc[i] = cols[p]
		}
		keys.Encode(kc, nil, n, &k)
		idx = make([][]int32, w.qc.Slices)
		for i := 0; i < n; i++ {
			d := int(k.Hash[i] % uint64(w.qc.Slices))
			idx[d] = append(idx[d], int32(i))
		}
		for d, ix := range idx {
			if len(ix) == 0 {
				continue
			}
			if len(ix) == n {
				parts[d] = append(parts[d], cols)
				cols = nil
				break
			}
			parts[d] = append(parts[d], w.takeCols(cols, ix))
		}
		sortReleaseAll(cols)
	}
}

func (w *windowOp) takeCols(cols []arrow.Array, idx []int32) []arrow.Array {
	ok := false
	defer func() {
		if !ok {
			sortReleaseAll(cols)
		}
	}()
	out := sortTake(w.mem, make([]arrow.Array, 0, len(cols)), cols, idx)
	ok = true
	return out
}

func (w *windowOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !w.arrived {
		parts, err := w.route(ctx)
		w.arrived = true
		w.g.arrive(parts)
		if err != nil {
			return nil, err
		}
		select {
		case <-w.g.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		mine := w.g.take(w.slice)
		if len(mine) == 0 {
			return nil, nil
		}
		if w.cols, err = sortConcat(w.mem, w.types, mine); err != nil {
			return nil, err
		}
		w.n = w.cols[0].Len()
		if err := w.compute(); err != nil {
			return nil, err
		}
	}
	if w.pos >= w.n {
		return nil, nil
	}
	end := min(w.n, w.pos+w.qc.BatchSize)
	out := make([]arrow.Array, 0, w.nin+len(w.results))
	for _, c := range w.cols[:w.nin] {
		out = append(out, array.NewSlice(c, int64(w.pos), int64(end)))
	}
	for _, c := range w.results {
		out = append(out, array.NewSlice(c, int64(w.pos), int64(end)))
	}
	b := vec.New(out, end-w.pos)
	w.pos = end
	return b, nil
}

func (w *windowOp) Close() error {
	if !w.arrived {
		w.arrived = true
		w.g.arrive(nil)
	}
	err := w.in.Close()
	sortReleaseAll(w.cols)
	sortReleaseAll(w.results)
	w.cols, w.results = nil, nil
	w.g.unref()
	w.qc.Budget.Shrink(w.charged)
	w.charged = 0
	return err
}

func (w *windowOp) grow(n int64) error {
	if err := w.qc.Budget.Grow("Window", n); err != nil {
		return err
	}
	w.charged += n
	return nil
}

// winLayout is the sorted order of one spec with partition and peer
// boundaries per sorted position.
type winLayout struct {
	perm               []int32
	ps, pe             []int32 // partition [start, end) of position p
	peerStart, peerEnd []int32
}

func (w *windowOp) layout(s *winSpec) (*winLayout, error) {
	n := w.n
	if err := w.grow(int64(20 * n)); err != nil {
		return nil, err
	}
	l := &winLayout{perm: make([]int32, n), ps: make([]int32, n), pe: make([]int32, n),
		peerStart: make([]int32, n), peerEnd: make([]int32, n)}
	for i := range l.perm {
		l.perm[i] = int32(i)
	}
	all := make([]sortCol, 0, len(s.part)+len(s.order))
	for _, p := range s.part {
		all = append(all, newSortCol(w.cols[p]))
	}
	for _, p := range s.order {
		all = append(all, newSortCol(w.cols[p]))
	}
	sortRows(s.sortOrd, all, l.perm)
	pk, ok := all[:len(s.part)], all[len(s.part):]
	start, peer := 0, 0
	for p := 1; p <= n; p++ {
		newPart := p == n || (len(pk) > 0 && s.partOrd.compare(pk, int(l.perm[p-1]), pk, int(l.perm[p])) != 0)
		newPeer := newPart || (len(ok) > 0 && s.peerOrd.compare(ok, int(l.perm[p-1]), ok, int(l.perm[p])) != 0)
		if newPeer {
			for q := peer; q < p; q++ {
				l.peerStart[q], l.peerEnd[q] = int32(peer), int32(p)
			}
			peer = p
		}
		if newPart {
			for q := start; q < p; q++ {
				l.ps[q], l.pe[q] = int32(start), int32(p)
			}
			start = p
		}
	}
	return l, nil
}

func (w *windowOp) compute() error {
	layouts := make([]*winLayout, len(w.specs))
	for _, f := range w.funcs {
		if layouts[f.spec] == nil {
			l, err := w.layout(w.specs[f.spec])
			if err != nil {
				return err
			}
			layouts[f.spec] = l
		}
		a, err := w.computeFunc(f, w.specs[f.spec], layouts[f.spec])
		if err != nil {
			return err
		}
		w.results = append(w.results, a)
	}
	return nil
}
