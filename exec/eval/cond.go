package eval

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// CASE, COALESCE and IF are lazy: every branch runs over a batch whose
// selection holds only the rows reaching it, so work is proportional to
// those rows and errors in untaken branches never fire. The pieces are
// then stitched together in row order.

// coerce makes e produce type t (NULL literals become typed NULLs).
func coerce(e expr.Expr, t arrow.DataType) expr.Expr {
	if e == nil || arrow.TypeEqual(e.Type(), t) {
		return e
	}
	if l, ok := e.(*expr.Literal); ok && l.Value == nil {
		return &expr.Literal{T: t}
	}
	if e.Type().ID() == arrow.NULL {
		return &expr.Literal{T: t}
	}
	return &expr.Cast{E: e, T: t}
}

type caseNode struct {
	conds []node
	thens []node
	els   node // nil: NULL
	t     arrow.DataType
	mem   memory.Allocator
}

func (c *compiler) compileCase(e *expr.Case) (node, error) {
	n := &caseNode{t: e.T, mem: c.mem}
	for _, w := range e.Whens {
		if id := w.Cond.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
			return nil, fmt.Errorf("%s: WHEN condition %s is not BOOLEAN", e, w.Cond)
		}
		cn, err := c.compile(w.Cond)
		if err != nil {
			return nil, err
		}
		if isNullConst(cn) {
			continue // never taken
		}
		tn, err := c.compile(coerce(w.Then, e.T))
		if err != nil {
			return nil, err
		}
		n.conds = append(n.conds, cn)
		n.thens = append(n.thens, tn)
	}
	if e.Else != nil {
		en, err := c.compile(coerce(e.Else, e.T))
		if err != nil {
			return nil, err
		}
		if !isNullConst(en) {
			n.els = en
		}
	}
	return n, nil
}

// piece is a branch result: arr[k] belongs at logical row rows[k].
type piece struct {
	rows []int32
	arr  arrow.Array // nil for a constant piece
	c    *constNode
}

func releasePieces(ps []piece) {
	for _, p := range ps {
		if p.arr != nil {
			p.arr.Release()
		}
	}
}

// evalPiece evaluates n over the rows of sub; constants are not
// materialized.
func evalPiece(ctx context.Context, n node, sub *vec.Batch, rows []int32) (piece, error) {
	if k, ok := isConst(n); ok {
		return piece{rows: rows, c: k}, nil
	}
	arr, err := n.Eval(ctx, sub)
	if err != nil {
		return piece{}, err
	}
	return piece{rows: rows, arr: arr}, nil
}

// liveRows returns the physical positions of b's live rows (a copy).
func liveRows(b *vec.Batch) []int32 {
	cnt := b.NumRows()
	out := make([]int32, cnt)
	if b.Sel != nil {
		copy(out, b.Sel)
		return out
	}
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

func identity(n int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(i)
	}
	return out
}

func (n *caseNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	if cnt == 0 {
		return constArray(n.mem, n.t, nil, 0), nil
	}
	remPhys := liveRows(b)
	remLog := identity(cnt)
	var pieces []piece
	var buf []int32
	for i, cond := range n.conds {
		if len(remPhys) == 0 {
			break
		}
		all := len(remPhys) == cnt
		sub := b
		if !all {
			sub = subBatch(b, remPhys)
		}
		hit, err := selectOf(ctx, cond, sub, buf)
		if err != nil {
			releasePieces(pieces)
			return nil, err
		}
		buf = hit
		if len(hit) == 0 {
			continue
		}
		if all && len(hit) == cnt { // every row takes this branch
			return n.thens[i].Eval(ctx, b)
		}
		hitPhys := append([]int32(nil), hit...)
		hitLog := make([]int32, 0, len(hit))
		k, w := 0, 0
		for j, p := range remPhys {
			if k < len(hitPhys) && hitPhys[k] == p {
				hitLog = append(hitLog, remLog[j])
				k++
				continue
			}
			remPhys[w], remLog[w] = p, remLog[j]
			w++
		}
		remPhys, remLog = remPhys[:w], remLog[:w]
		pc, err := evalPiece(ctx, n.thens[i], subBatch(b, hitPhys), hitLog)
		if err != nil {
			releasePieces(pieces)
			return nil, err
		}
		pieces = append(pieces, pc)
	}
	if len(remPhys) > 0 && n.els != nil {
		if len(remPhys) == cnt {
			return n.els.Eval(ctx, b)
		}
		pc, err := evalPiece(ctx, n.els, subBatch(b, remPhys), remLog)
		if err != nil {
			releasePieces(pieces)
			return nil, err
		}
		pieces = append(pieces, pc)
	}
	return stitch(n.mem, n.t, cnt, pieces)
}

// stitch assembles pieces into one array of cnt rows (rows not covered
// are NULL) and releases the pieces. Fixed-width types are scattered
// directly; other types gather from the concatenated pieces.
func stitch(mem memory.Allocator, t arrow.DataType, cnt int, pieces []piece) (arrow.Array, error) {
	defer releasePieces(pieces)
	if t.ID() == arrow.NULL {
		return array.NewNull(cnt), nil
	}
	if len(pieces) == 0 {
		return constArray(mem, t, nil, cnt), nil
	}
	for _, p := range pieces {
		if p.arr != nil && p.arr.DataType().ID() != t.ID() {
			return nil, fmt.Errorf("internal: branch produced %s, expected %s", p.arr.DataType(), t)
		}
	}
	switch physOf(t) {
	case kI8:
		return scatterFixed[int8](mem, t, cnt, pieces), nil
	case kI16:
		return scatterFixed[int16](mem, t, cnt, pieces), nil
	case kI32:
		return scatterFixed[int32](mem, t, cnt, pieces), nil
	case kI64:
		return scatterFixed[int64](mem, t, cnt, pieces), nil
	case kF32:
		return scatterFixed[float32](mem, t, cnt, pieces), nil
	case kF64:
		return scatterFixed[float64](mem, t, cnt, pieces), nil
	}
	parts := make([]arrow.Array, len(pieces))
	idx := make([]int32, cnt)
	for i := range idx {
		idx[i] = -1
	}
	base := int32(0)
	for i, p := range pieces {
		if p.arr == nil {
			p.arr = constArray(mem, t, p.c.v, len(p.rows))
			pieces[i].arr = p.arr
		}
		parts[i] = p.arr
		for k, r := range p.rows {
			idx[r] = base + int32(k)
		}
		base += int32(p.arr.Len())
	}
	all, err := vec.Concat(mem, parts)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return vec.Take(mem, all, idx), nil
}

func scatterFixed[T vec.Fixed](mem memory.Allocator, t arrow.DataType, cnt int, pieces []piece) arrow.Array {
	bld := vec.NewBuilder[T](mem, t, cnt)
	out := bld.Values
	valid := allNullValidity(mem, cnt)
	vb := valid.Bytes()
	set := 0
	for _, p := range pieces {
		if p.arr == nil {
			if p.c.v == nil {
				continue
			}
			x := constAs[T](p.c.v)
			for _, r := range p.rows {
				out[r] = x
				vb[r>>3] |= 1 << (r & 7)
			}
			set += len(p.rows)
			continue
		}
		src := vec.Values[T](p.arr)
		if p.arr.NullN() == 0 {
			for k, r := range p.rows {
				out[r] = src[k]
				vb[r>>3] |= 1 << (r & 7)
			}
			set += len(p.rows)
			continue
		}
		for k, r := range p.rows {
			if p.arr.IsValid(k) {
				out[r] = src[k]
				vb[r>>3] |= 1 << (r & 7)
				set++
			}
		}
	}
	bld.SetValidity(valid, cnt-set)
	return bld.Finish()
}

// coalesceNode returns the first non-NULL argument; each argument only
// sees the rows still NULL.
type coalesceNode struct {
	args []node
	t    arrow.DataType
	mem  memory.Allocator
}

func (c *compiler) compileCoalesce(e *expr.Call) (node, error) {
	if len(e.Args) == 0 {
		return nil, fmt.Errorf("%s: needs at least one argument", e)
	}
	n := &coalesceNode{t: e.T, mem: c.mem}
	for _, a := range e.Args {
		an, err := c.compile(coerce(a, e.T))
		if err != nil {
			return nil, err
		}
		if isNullConst(an) {
			continue
		}
		n.args = append(n.args, an)
		if k, ok := isConst(an); ok && k.v != nil {
			break // later arguments are never reached
		}
	}
	if len(n.args) == 0 {
		return &constNode{t: e.T, mem: c.mem}, nil
	}
	if len(n.args) == 1 {
		return n.args[0], nil
	}
	return n, nil
}

func (n *coalesceNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	remPhys := liveRows(b)
	remLog := identity(cnt)
	var pieces []piece
	for i, a := range n.args {
		if len(remPhys) == 0 {
			break
		}
		sub := b
		if len(remPhys) != cnt {
			sub = subBatch(b, remPhys)
		}
		arr, err := a.Eval(ctx, sub)
		if err != nil {
			releasePieces(pieces)
			return nil, err
		}
		if arr.NullN() == 0 || i == len(n.args)-1 {
			if len(remPhys) == cnt {
				return arr, nil
			}
			pieces = append(pieces, piece{rows: remLog, arr: arr})
			remPhys = nil
			break
		}
		// keep the non-NULL rows; the NULL ones go on
		keepSrc := make([]int32, 0, arr.Len()-arr.NullN())
		keepLog := make([]int32, 0, cap(keepSrc))
		w := 0
		for j := 0; j < arr.Len(); j++ {
			if arr.IsValid(j) {
				keepSrc = append(keepSrc, int32(j))
				keepLog = append(keepLog, remLog[j])
				continue
			}
			remPhys[w], remLog[w] = remPhys[j], remLog[j]
			w++
		}
		remPhys, remLog = remPhys[:w], remLog[:w]
		if len(keepSrc) > 0 {
			pieces = append(pieces, piece{rows: keepLog, arr: vec.Take(n.mem, arr, keepSrc)})
		}
		arr.Release()
	}
	return stitch(n.mem, n.t, cnt, pieces)
}

// nullifNode is NULLIF(a, b): NULL where a = b, else a.
type nullifNode struct {
	a   node
	eq  node
	mem memory.Allocator
}

func (c *compiler) compileNullif(e *expr.Call) (node, error) {
	if len(e.Args) != 2 {
		return nil, fmt.Errorf("%s: expected 2 arguments", e)
	}
	a, err := c.compile(coerce(e.Args[0], e.T))
	if err != nil {
		return nil, err
	}
	if e.Args[1].Type().ID() == arrow.NULL || e.Args[0].Type().ID() == arrow.NULL {
		return a, nil
	}
	eq, err := c.compileCompare(&expr.Call{Fn: "=", Args: []expr.Expr{e.Args[0], e.Args[1]}, T: arrow.FixedWidthTypes.Boolean})
	if err != nil {
		return nil, err
	}
	return &nullifNode{a: a, eq: eq, mem: c.mem}, nil
}

func (n *nullifNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	a, err := n.a.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	eq, err := n.eq.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	be, ok := eq.(*array.Boolean)
	if !ok {
		a.Retain()
		return a, nil
	}
	idx := make([]int32, a.Len())
	for j := range idx {
		idx[j] = int32(j)
		if be.IsValid(j) && be.Value(j) {
			idx[j] = -1
		}
	}
	return vec.Take(n.mem, a, idx), nil
}
