package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/exec/keys"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

func init() {
	Register((*plan.HashJoin)(nil), func(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
		j := n.(*plan.HashJoin)
		if len(j.LeftKeys) != len(j.RightKeys) || len(j.LeftKeys) == 0 {
			return nil, fmt.Errorf("HashJoin: %d left keys and %d right keys", len(j.LeftKeys), len(j.RightKeys))
		}
		return buildJoinOp(qc, n, child, joinSpec{name: "HashJoin", typ: j.Type, left: j.Left, right: j.Right,
			lkeys: j.LeftKeys, rkeys: j.RightKeys, cond: j.Residual, nullAware: j.NullAware && j.Type == plan.Anti})
	})
}

// joinSpec is what the hash and nested-loop joins have in common.
type joinSpec struct {
	name         string
	typ          plan.JoinType
	left, right  plan.Node
	lkeys, rkeys []expr.Expr // empty: nested loop (every pair is a candidate)
	cond         expr.Expr   // residual / join condition, nil = TRUE
	nullAware    bool
}

// Join semantics implemented here (hash join; the nested-loop join is the
// same operator with every pair a candidate and Cond as the residual):
//
//   - A pair matches when all keys are non-NULL and equal and the
//     residual is TRUE. Right/Full emit unmatched build rows after every
//     slice has finished probing (build rows with NULL keys included).
//   - Mark (IN) and null-aware Anti (NOT IN) follow IN semantics: a build
//     row whose keys equal the probe row's except where one side is NULL
//     (component-wise), and that passes the residual, makes the answer
//     unknown: Mark gives NULL, null-aware Anti drops the row. So the
//     residual acts as the subquery's WHERE (a correlated NOT IN puts its
//     correlation there, not in the keys). Without keys (nested loop) a
//     NULL condition makes the Mark unknown.
//
// joinOp is the probe side of a hash or nested-loop join in one slice.
// The build (right) side of every slice is materialised into the node's
// joinShared; once all slices arrived, the table is built once (each
// waiting slice inserts chunks) and probed read-only by every slice.
type joinOp struct {
	qc    *QueryCtx
	spec  joinSpec
	g     *joinShared
	mem   memory.Allocator
	left  Operator
	right Operator

	keyed     bool
	intKey    bool
	rex       *sortExprCols // build materialisation (right cols ++ key cols)
	rtypes    []arrow.DataType
	ltypes    []arrow.DataType
	nright    int
	lkeyCol   []int            // probe key: input column, or -1
	lkeyEval  []eval.Evaluator // probe key evaluators for computed keys
	pred      eval.Predicate   // residual as a filter
	predMark  eval.Evaluator   // condition, three-valued (nested-loop Mark)
	existOnly bool             // Semi/Anti/Mark without residual: no pairs needed
	// nullPass: Mark / null-aware Anti also look for build rows that
	// might equal the probe row but for NULLs (IN / NOT IN semantics);
	// nullShortcut decides that without candidates (single key, no
	// residual).
	nullPass     bool
	nullShortcut bool
	keyWidths    []int
	emitPairs    bool // Inner/Left/Right/Full
	rightTail    bool // Right/Full: emit unmatched build rows

	arrived      bool
	probeArrived bool
	t            *joinTable

	// current probe batch
	pb       *vec.Batch
	pn       int
	phys     []int32
	keyNull  []bool // per live row: some key NULL
	cand     []int32
	pi       int
	state    []int8 // 0 no match, 1 match, 2 unknown (Mark)
	finished bool
	owned    []arrow.Array

	k64    []int64
	kval   []bool
	gk     keys.Keys
	pp     []int32 // pair: live probe row
	bp     []int32 // pair: build row
	tmp    []int32
	inTail bool
	done   bool
	// null pass cursor: probe row and position in its candidate list
	npi, ncur int
}

func buildJoinOp(qc *QueryCtx, n plan.Node, child func(plan.Node) (Operator, error), spec joinSpec) (Operator, error) {
	mem := qc.Alloc(spec.name)
	env := &eval.Env{Mem: mem, Params: qc.Params}
	op := &joinOp{qc: qc, spec: spec, mem: mem, keyed: len(spec.lkeys) > 0}
	for _, f := range spec.left.Schema().Fields() {
		op.ltypes = append(op.ltypes, f.Type)
	}
	for _, f := range spec.right.Schema().Fields() {
		op.rtypes = append(op.rtypes, f.Type)
	}
	op.nright = len(op.rtypes)
	rex, err := newSortExprCols(spec.rkeys, op.nright, env)
	if err != nil {
		return nil, err
	}
	op.rex = rex
	for i, ev := range rex.evals {
		if ev != nil {
			op.rtypes = append(op.rtypes, spec.rkeys[i].Type())
		}
	}
	for _, k := range spec.lkeys {
		if c, ok := k.(*expr.ColumnRef); ok && c.Index < len(op.ltypes) {
			op.lkeyCol = append(op.lkeyCol, c.Index)
			op.lkeyEval = append(op.lkeyEval, nil)
			continue
		}
		ev, err := eval.Compile(k, env)
		if err != nil {
			return nil, err
		}
		op.lkeyCol = append(op.lkeyCol, -1)
		op.lkeyEval = append(op.lkeyEval, ev)
	}
	if op.keyed && len(spec.lkeys) == 1 {
		lt, rt := spec.lkeys[0].Type(), spec.rkeys[0].Type()
		op.intKey = joinIntKey(lt) && joinIntKey(rt) &&
			(arrow.TypeEqual(lt, rt) || (joinPlainInt(lt) && joinPlainInt(rt)))
	}
	if op.keyed && !op.intKey {
		for i := range spec.lkeys {
			lt, rt := spec.lkeys[i].Type(), spec.rkeys[i].Type()
			if !arrow.TypeEqual(lt, rt) {
				return nil, fmt.Errorf("%s: key %d compares %s with %s; the planner must cast join keys to one type",
					spec.name, i+1, lt, rt)
			}
		}
	}
	switch spec.typ {
	case plan.Inner, plan.Left, plan.Right, plan.Full, plan.Cross:
		op.emitPairs = true
	case plan.Semi, plan.Anti, plan.Mark:
	default:
		return nil, fmt.Errorf("%s: unsupported join type %s", spec.name, spec.typ)
	}
	op.rightTail = spec.typ == plan.Right || spec.typ == plan.Full
	op.nullPass = op.keyed && (spec.typ == plan.Mark || spec.nullAware)
	op.nullShortcut = op.nullPass && len(spec.lkeys) == 1 && spec.cond == nil
	if op.keyed && !op.intKey {
		kt := make([]arrow.DataType, len(spec.lkeys))
		for i, k := range spec.lkeys {
			kt[i] = k.Type()
		}
		op.keyWidths = joinKeyWidths(kt)
	}
	if spec.cond != nil {
		if spec.typ == plan.Mark && !op.keyed {
			op.predMark, err = eval.Compile(spec.cond, env)
		} else {
			op.pred, err = eval.CompilePredicate(spec.cond, env)
		}
		if err != nil {
			return nil, err
		}
	} else if !op.emitPairs {
		op.existOnly = true
	}
	if op.left, err = child(spec.left); err != nil {
		return nil, err
	}
	if op.right, err = child(spec.right); err != nil {
		op.left.Close()
		return nil, err
	}
	op.g = qc.Shared(n, func() any { return newJoinShared(qc, spec.name) }).(*joinShared)
	op.g.mu.Lock()
	op.g.refs++
	op.g.mu.Unlock()
	return op, nil
}

func joinPlainInt(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func (j *joinOp) Open(ctx context.Context) error {
	if err := j.right.Open(ctx); err != nil {
		return err
	}
	return j.left.Open(ctx)
}

// build drains this slice's build input, arrives, and helps build the
// shared table.
func (j *joinOp) build(ctx context.Context) error {
	var parts [][]arrow.Array
	defer func() {
		// Reached with parts set only on a panic (memory limit).
		for _, p := range parts {
			sortReleaseAll(p)
		}
	}()
	err := func() error {
		for {
			b, err := j.right.Next(ctx)
			if err != nil {
				return err
			}
			if b == nil {
				return nil
			}
			cols, err := j.rex.materialize(ctx, j.mem, b)
			if err != nil {
				return err
			}
			parts = append(parts, cols)
		}
	}()
	if err != nil {
		for _, p := range parts {
			sortReleaseAll(p)
		}
		parts = nil
	}
	j.arrived = true
	j.g.arrive(parts)
	parts = nil
	if err != nil {
		return err
	}
	select {
	case <-j.g.allIn:
	case <-ctx.Done():
		return ctx.Err()
	}
	j.g.setup(j.mem, j.rtypes, j.rex.pos, j.intKey, j.keyed, j.rightTail)
	j.g.helpBuild()
	select {
	case <-j.g.built:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := j.g.getErr(); err != nil {
		return err
	}
	j.g.mu.Lock()
	j.t = j.g.t
	j.g.mu.Unlock()
	return nil
}

// Next returns the join's next output batch and counts its rows in the
// query's live JoinRows (WLM rules on join_row_count read it).
func (j *joinOp) Next(ctx context.Context) (*vec.Batch, error) {
	b, err := j.next(ctx)
	if b != nil {
		j.qc.Stats.JoinRows.Add(int64(b.NumRows()))
	}
	return b, err
}

func (j *joinOp) next(ctx context.Context) (*vec.Batch, error) {
	if !j.arrived {
		if err := j.build(ctx); err != nil {
			return nil, err
		}
		if j.spec.nullAware && j.nullShortcut && j.t.hasNullKey.Load() {
			// NOT IN over a set containing NULL is never TRUE.
			j.done = true
		}
	}
	if j.t == nil || j.done {
		return nil, nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if j.inTail {
			return j.nextTail()
		}
		if j.pb == nil {
			b, err := j.left.Next(ctx)
			if err != nil {
				return nil, err
			}
			if b == nil {
				if !j.rightTail {
					return nil, nil
				}
				j.probeArrived = true
				j.g.arriveProbe()
				select {
				case <-j.g.probeDone:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
				j.inTail = true
				continue
			}
			if b.NumRows() == 0 {
				b.Release()
				continue
			}
			if err := j.prepare(ctx, b); err != nil {
				return nil, err
			}
		}
		out, err := j.step(ctx)
		if j.finished {
			j.releaseProbe()
		}
		if err != nil || out != nil {
			return out, err
		}
	}
}

func (j *joinOp) releaseProbe() {
	j.pb.Release()
	j.pb = nil
	sortReleaseAll(j.owned)
	j.owned = j.owned[:0]
}

func joinGrowI32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// prepare starts probing batch b: key hashing and chain heads for all
// live rows at once.
func (j *joinOp) prepare(ctx context.Context, b *vec.Batch) error {
	j.pb, j.pn, j.pi, j.finished = b, b.NumRows(), 0, false
	j.npi, j.ncur = 0, 0
	n := j.pn
	j.phys = joinGrowI32(j.phys, n)
	if b.Sel != nil {
		copy(j.phys, b.Sel)
	} else {
		for i := range j.phys {
			j.phys[i] = int32(i)
		}
	}
	if cap(j.state) < n {
		j.state = make([]int8, n)
	}
	j.state = j.state[:n]
	clear(j.state)
	if cap(j.keyNull) < n {
		j.keyNull = make([]bool, n)
	}
	j.keyNull = j.keyNull[:n]
	clear(j.keyNull)
	j.cand = joinGrowI32(j.cand, n)
	t := j.t
	if !j.keyed {
		first := int32(0)
		if t.n > 0 {
			first = 1
		}
		for i := range j.cand {
			j.cand[i] = first
		}
		return nil
	}
	// Key columns of the live rows: (array, sel) pairs.
	kcols := make([]arrow.Array, len(j.lkeyCol))
	sel := b.Sel
	computed := false
	for i, c := range j.lkeyCol {
		if c >= 0 {
			kcols[i] = b.Cols[c]
			continue
		}
		a, err := j.lkeyEval[i].Eval(ctx, b)
		if err != nil {
			return err
		}
		j.owned = append(j.owned, a)
		kcols[i] = a
		computed = true
	}
	if computed && sel != nil {
		// Mixed dense (evaluated) and selected columns: make all dense.
		for i, c := range j.lkeyCol {
			if c >= 0 {
				a := vec.Take(j.mem, kcols[i], sel)
				j.owned = append(j.owned, a)
				kcols[i] = a
			}
		}
		sel = nil
	}
	if t.n == 0 {
		clear(j.cand)
		j.markNullKeys(kcols, sel)
		return nil
	}
	heads := t.heads
	if j.intKey {
		if cap(j.k64) < n {
			j.k64 = make([]int64, n)
		}
		j.k64 = j.k64[:n]
		valid := joinReadInts(kcols[0], sel, j.k64, j.kval)
		j.kval = valid
		cand := j.cand
		for i, v := range j.k64 {
			cand[i] = heads[t.bucket(uint64(v)*joinFib)]
		}
		for i, ok := range valid { // valid is nil when no key is NULL
			if !ok {
				cand[i] = 0
				j.keyNull[i] = true
			}
		}
		return nil
	}
	keys.Encode(kcols, sel, b.Len, &j.gk)
	for i := 0; i < n; i++ {
		if j.gk.AnyNull[i] {
			j.cand[i] = 0
			j.keyNull[i] = true
			continue
		}
		j.cand[i] = heads[t.bucket(j.gk.Hash[i])]
	}
	return nil
}

func (j *joinOp) markNullKeys(kcols []arrow.Array, sel []int32) {
	for _, a := range kcols {
		if a.NullN() == 0 {
			continue
		}
		for i := range j.keyNull {
			r := i
			if sel != nil {
				r = int(sel[i])
			}
			if a.IsNull(r) {
				j.keyNull[i] = true
			}
		}
	}
}

// step advances the current probe batch: it returns an output batch, or
// nil when the work done produced none (finished is set at the end).
func (j *joinOp) step(ctx context.Context) (*vec.Batch, error) {
	if j.pi < j.pn {
		if j.existOnly {
			j.probeExists()
			j.pi = j.pn
		} else {
			j.genPairs()
			if len(j.pp) > 0 {
				return j.emitPairsBatch(ctx)
			}
			return nil, nil
		}
	}
	if j.nullPass && j.npi < j.pn {
		if j.nullShortcut {
			j.npi = j.pn
			buildNull := j.t.hasNullKey.Load()
			for i, st := range j.state {
				if st == 0 && ((j.keyNull[i] && j.t.n > 0) || buildNull) {
					j.state[i] = 2
				}
			}
		} else {
			j.genNullPairs()
			if len(j.pp) > 0 {
				return nil, j.evalNullPairs(ctx)
			}
			return nil, nil
		}
	}
	j.finished = true
	return j.finishBatch()
}

// probeExists sets state for Semi/Anti/Mark without a residual: the first
// equal key ends the chain walk.
func (j *joinOp) probeExists() {
	t := j.t
	if !j.keyed {
		if t.n > 0 {
			for i := range j.state {
				j.state[i] = 1
			}
		}
		return
	}
	next := t.next
	if j.intKey {
		k, k64 := j.k64, t.k64
		for i, r := range j.cand {
			for r != 0 {
				if k64[r-1] == k[i] {
					j.state[i] = 1
					break
				}
				r = next[r-1]
			}
		}
		return
	}
	for i, r := range j.cand {
		if r == 0 {
			continue
		}
		key, h := j.gk.Key(i), j.gk.Hash[i]
		for r != 0 {
			if t.genericEqual(int(r-1), key, h) {
				j.state[i] = 1
				break
			}
			r = next[r-1]
		}
	}
}

// genPairs walks chains from (pi, cand[pi]) collecting up to BatchSize
// candidate (probe row, build row) pairs with equal keys.
func (j *joinOp) genPairs() {
	limit := j.qc.BatchSize
	pp, bp := j.pp[:0], j.bp[:0]
	t := j.t
	skipMatched := j.spec.typ == plan.Semi || j.spec.typ == plan.Anti || j.spec.typ == plan.Mark
	pi := j.pi
	switch {
	case !j.keyed:
		n := int32(t.n)
		for pi < j.pn && len(pp) < limit {
			r := j.cand[pi]
			if skipMatched && j.state[pi] == 1 {
				r = 0
			}
			for r != 0 && len(pp) < limit {
				pp = append(pp, int32(pi))
				bp = append(bp, r-1)
				if r == n {
					r = 0
				} else {
					r++
				}
			}
			j.cand[pi] = r
			if r == 0 {
				pi++
			}
		}
	case j.intKey:
		next, k64, k := t.next, t.k64, j.k64
		for pi < j.pn && len(pp) < limit {
			r := j.cand[pi]
			if skipMatched && j.state[pi] == 1 {
				r = 0
			}
			for r != 0 && len(pp) < limit {
				v := k[pi]
				if k64[r-1] == v {
					pp = append(pp, int32(pi))
					bp = append(bp, r-1)
				}
				r = next[r-1]
			}
			j.cand[pi] = r
			if r == 0 {
				pi++
			}
		}
	default:
		next := t.next
		for pi < j.pn && len(pp) < limit {
			r := j.cand[pi]
			if skipMatched && j.state[pi] == 1 {
				r = 0
			}
			if r != 0 {
				key, h := j.gk.Key(pi), j.gk.Hash[pi]
				for r != 0 && len(pp) < limit {
					if t.genericEqual(int(r-1), key, h) {
						pp = append(pp, int32(pi))
						bp = append(bp, r-1)
					}
					r = next[r-1]
				}
			}
			j.cand[pi] = r
			if r == 0 {
				pi++
			}
		}
	}
	j.pi, j.pp, j.bp = pi, pp, bp
}

// pairBatch gathers left ++ right columns for the current pairs.
func (j *joinOp) pairBatch() *vec.Batch {
	n := len(j.pp)
	j.tmp = joinGrowI32(j.tmp, n)
	for k, p := range j.pp {
		j.tmp[k] = j.phys[p]
	}
	cols := make([]arrow.Array, 0, len(j.ltypes)+j.nright)
	cols = sortTake(j.mem, cols, j.pb.Cols, j.tmp)
	cols = sortTake(j.mem, cols, j.t.cols[:j.nright], j.bp)
	return vec.New(cols, n)
}

func (j *joinOp) emitPairsBatch(ctx context.Context) (*vec.Batch, error) {
	out := j.pairBatch()
	if j.predMark != nil {
		defer out.Release()
		res, err := j.predMark.Eval(ctx, out)
		if err != nil {
			return nil, err
		}
		defer res.Release()
		bl := res.(*array.Boolean)
		for k, p := range j.pp {
			switch {
			case bl.IsNull(k):
				if j.state[p] == 0 {
					j.state[p] = 2
				}
			case bl.Value(k):
				j.state[p] = 1
			}
		}
		return nil, nil
	}
	var sel []int32
	if j.pred != nil {
		s, err := j.pred.Select(ctx, out, nil)
		if err != nil {
			out.Release()
			return nil, err
		}
		sel = s
		for _, k := range sel {
			j.state[j.pp[k]] = 1
		}
		if j.rightTail {
			for _, k := range sel {
				j.t.setMatched(j.bp[k])
			}
		}
	} else {
		for _, p := range j.pp {
			j.state[p] = 1
		}
		if j.rightTail {
			for _, r := range j.bp {
				j.t.setMatched(r)
			}
		}
	}
	if !j.emitPairs || (j.pred != nil && len(sel) == 0) {
		out.Release()
		return nil, nil
	}
	if j.pred != nil && len(sel) < out.Len {
		out.Sel = sel
	}
	return out, nil
}

// finishBatch emits the per-probe-row output once all pairs of the batch
// were seen.
func (j *joinOp) finishBatch() (*vec.Batch, error) {
	switch j.spec.typ {
	case plan.Left, plan.Full:
		idx := j.tmp[:0]
		for i, s := range j.state {
			if s == 0 {
				idx = append(idx, j.phys[i])
			}
		}
		j.tmp = idx
		if len(idx) == 0 {
			return nil, nil
		}
		cols := make([]arrow.Array, 0, len(j.ltypes)+j.nright)
		cols = sortTake(j.mem, cols, j.pb.Cols, idx)
		cols = joinNulls(j.mem, cols, j.rtypes[:j.nright], len(idx))
		return vec.New(cols, len(idx)), nil
	case plan.Semi, plan.Anti:
		want := int8(1)
		if j.spec.typ == plan.Anti {
			want = 0
		}
		sel := make([]int32, 0, j.pn)
		for i, s := range j.state {
			if s == want {
				sel = append(sel, j.phys[i])
			}
		}
		if len(sel) == 0 {
			return nil, nil
		}
		return j.shareProbe(sel, nil), nil
	case plan.Mark:
		n := j.pb.Len
		vals := memory.NewResizableBuffer(j.mem)
		vals.Resize(int(bitutil.BytesForBits(int64(n))))
		valid := vec.NewValidity(j.mem, n)
		vb, ok := vals.Bytes(), valid.Bytes()
		clear(vb)
		nulls := n - j.pn
		for i := range ok {
			ok[i] = 0
		}
		for i, s := range j.state {
			r := int(j.phys[i])
			switch {
			case s == 1:
				bitutil.SetBit(vb, r)
				bitutil.SetBit(ok, r)
			case s == 2:
				nulls++
			default:
				bitutil.SetBit(ok, r)
			}
		}
		d := array.NewData(arrow.FixedWidthTypes.Boolean, n, []*memory.Buffer{valid, vals}, nil, nulls, 0)
		vals.Release()
		valid.Release()
		mark := array.MakeFromData(d)
		d.Release()
		var sel []int32
		if j.pn < n {
			sel = append([]int32(nil), j.phys...)
		}
		return j.shareProbe(sel, mark), nil
	}
	return nil, nil
}

// shareProbe returns the probe batch's columns (retained) with selection
// sel (nil = all), plus an optional extra column.
func (j *joinOp) shareProbe(sel []int32, extra arrow.Array) *vec.Batch {
	cols := make([]arrow.Array, 0, len(j.pb.Cols)+1)
	for _, c := range j.pb.Cols {
		c.Retain()
		cols = append(cols, c)
	}
	if extra != nil {
		cols = append(cols, extra)
	}
	out := vec.New(cols, j.pb.Len)
	if sel != nil && len(sel) < j.pb.Len {
		out.Sel = sel
	}
	return out
}

// nextTail emits unmatched build rows (Right/Full), claiming ranges of
// build rows shared by all slices.
func (j *joinOp) nextTail() (*vec.Batch, error) {
	t := j.t
	bs := int64(j.qc.BatchSize)
	for {
		lo := j.g.tailNext.Add(bs) - bs
		if lo >= int64(t.n) {
			return nil, nil
		}
		hi := min(int64(t.n), lo+bs)
		idx := j.tmp[:0]
		for r := lo; r < hi; r++ {
			if !t.isMatched(int(r)) {
				idx = append(idx, int32(r))
			}
		}
		j.tmp = idx
		if len(idx) == 0 {
			continue
		}
		cols := make([]arrow.Array, 0, len(j.ltypes)+j.nright)
		cols = joinNulls(j.mem, cols, j.ltypes, len(idx))
		cols = sortTake(j.mem, cols, t.cols[:j.nright], idx)
		return vec.New(cols, len(idx)), nil
	}
}

func (j *joinOp) Close() error {
	if !j.arrived {
		j.arrived = true
		j.g.arrive(nil)
	}
	if j.rightTail && !j.probeArrived {
		j.probeArrived = true
		j.g.arriveProbe()
	}
	if j.pb != nil {
		j.releaseProbe()
	}
	err := j.left.Close()
	if e := j.right.Close(); err == nil {
		err = e
	}
	j.t = nil
	j.g.unref()
	return err
}

// joinNulls appends all-NULL columns of types to dst; on a panic (memory
// limit) it releases dst before re-panicking.
func joinNulls(mem memory.Allocator, dst []arrow.Array, types []arrow.DataType, n int) []arrow.Array {
	defer func() {
		if r := recover(); r != nil {
			sortReleaseAll(dst)
			panic(r)
		}
	}()
	for _, t := range types {
		dst = append(dst, array.MakeArrayOfNull(mem, t, n))
	}
	return dst
}

// genNullPairs collects, for probe rows still unmatched, candidate build
// rows that might be equal but for NULLs: every build row when the probe
// key has a NULL, else the build rows with NULL key components, filtered
// component-wise. Without a residual, one candidate settles the row
// (state 2) and no pair is produced.
func (j *joinOp) genNullPairs() {
	limit := j.qc.BatchSize
	pp, bp := j.pp[:0], j.bp[:0]
	t := j.t
	for j.npi < j.pn && len(pp) < limit {
		i := j.npi
		var src []int32
		all := j.keyNull[i]
		n := len(t.nullRows)
		if all {
			n = t.n
		} else {
			src = t.nullRows
		}
		if j.state[i] != 0 {
			n = 0
		}
		for j.ncur < n && len(pp) < limit {
			b := int32(j.ncur)
			if !all {
				b = src[j.ncur]
			}
			j.ncur++
			if j.keyWidths != nil {
				bk, _ := t.genericKey(int(b))
				if !joinMaybeEqual(j.gk.Key(i), bk, j.keyWidths) {
					continue
				}
			}
			if j.pred == nil {
				j.state[i] = 2
				j.ncur = n
				break
			}
			pp = append(pp, int32(i))
			bp = append(bp, b)
		}
		if j.ncur >= n {
			j.npi++
			j.ncur = 0
		}
	}
	j.pp, j.bp = pp, bp
}

// evalNullPairs applies the residual to null-candidate pairs: a build row
// passing it makes the answer unknown (state 2).
func (j *joinOp) evalNullPairs(ctx context.Context) error {
	out := j.pairBatch()
	defer out.Release()
	sel, err := j.pred.Select(ctx, out, nil)
	if err != nil {
		return err
	}
	for _, k := range sel {
		if p := j.pp[k]; j.state[p] == 0 {
			j.state[p] = 2
		}
	}
	return nil
}
