package eval

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

type cmpOp int

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpOps = map[string]cmpOp{"=": opEq, "<>": opNe, "!=": opNe, "<": opLt, "<=": opLe, ">": opGt, ">=": opGe}

// flip returns the operator with its operands swapped (a < b == b > a).
func (op cmpOp) flip() cmpOp {
	switch op {
	case opLt:
		return opGt
	case opLe:
		return opGe
	case opGt:
		return opLt
	case opGe:
		return opLe
	}
	return op
}

// test interprets a three-way comparison result.
func (op cmpOp) test(c int) bool {
	switch op {
	case opEq:
		return c == 0
	case opNe:
		return c != 0
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	}
	return c >= 0
}

var scratchPool = sync.Pool{New: func() any { s := make([]int32, 0, vec.DefaultBatchSize); return &s }}

func getScratch(n int) *[]int32 {
	p := scratchPool.Get().(*[]int32)
	if cap(*p) < n {
		*p = make([]int32, n)
	}
	*p = (*p)[:n]
	return p
}

func putScratch(p *[]int32) { scratchPool.Put(p) }

// cmpNode is a comparison of two operands of identical type. Strings
// compare bytewise (binary collation).
type cmpNode struct {
	op   cmpOp
	l, r operand
	k    physKind
	mem  memory.Allocator
	e    *expr.Call
}

func (c *compiler) compileCompare(e *expr.Call) (node, error) {
	if len(e.Args) != 2 {
		return nil, fmt.Errorf("%s: expected 2 arguments, got %d", e, len(e.Args))
	}
	l, err := c.operand(e.Args[0])
	if err != nil {
		return nil, err
	}
	r, err := c.operand(e.Args[1])
	if err != nil {
		return nil, err
	}
	lt, rt := e.Args[0].Type(), e.Args[1].Type()
	if lt.ID() == arrow.NULL {
		lt = rt
	}
	if rt.ID() == arrow.NULL {
		rt = lt
	}
	k := physOf(lt)
	if k != physOf(rt) || types.IsDecimal(lt) != types.IsDecimal(rt) || scaleOf(lt) != scaleOf(rt) {
		return nil, fmt.Errorf("%s: cannot compare %s with %s", e, types.SQLName(e.Args[0].Type()), types.SQLName(e.Args[1].Type()))
	}
	if k == kOther {
		return nil, fmt.Errorf("%s: comparison of %s is not supported", e, types.SQLName(lt))
	}
	cn := &cmpNode{l: l, r: r, k: k, mem: c.mem, e: e}
	if e.Fn == "<=>" {
		cn.op = opEq
		return &nullEqNode{cmpNode: cn}, nil
	}
	cn.op = cmpOps[e.Fn]
	if isNullConst(l.n) || isNullConst(r.n) || k == kNull {
		return &constNode{t: types.Boolean, mem: c.mem}, nil
	}
	return cn, nil
}

// space decides where the comparison kernel runs. When both operands are
// columns or constants it runs over physical rows through b.Sel; when one
// was computed (dense over live rows) the columns are gathered and it runs
// over logical rows, mapping results back through b.Sel.
func (n *cmpNode) space(b *vec.Batch, lr, rr *rop) (sel []int32, m int, mapping []int32) {
	if b.Sel != nil && ((lr.arr != nil && lr.sel == nil) || (rr.arr != nil && rr.sel == nil)) {
		lr.dense(n.mem)
		rr.dense(n.mem)
		return nil, b.NumRows(), b.Sel
	}
	return b.Sel, b.Len, nil
}

// positions computes the rows (in the kernel's space) where the
// comparison holds, optionally skipping NULL rows, into out.
func (n *cmpNode) positions(lr, rr *rop, sel []int32, m int, skipNulls bool, out []int32) []int32 {
	if skipNulls && (lr.hasNulls() || rr.hasNulls()) {
		sel = filterValid(lr, rr, sel, m, out)
		m = len(sel)
	}
	cnt := len(sel)
	if sel == nil {
		cnt = m
	}
	out = growSel(out, cnt)
	var k int
	switch n.k {
	case kI8:
		k = selCmpFixed[int8](n.op, lr, rr, sel, m, out)
	case kI16:
		k = selCmpFixed[int16](n.op, lr, rr, sel, m, out)
	case kI32:
		k = selCmpFixed[int32](n.op, lr, rr, sel, m, out)
	case kI64:
		k = selCmpFixed[int64](n.op, lr, rr, sel, m, out)
	case kF32:
		k = selCmpFixed[float32](n.op, lr, rr, sel, m, out)
	case kF64:
		k = selCmpFixed[float64](n.op, lr, rr, sel, m, out)
	case kStr:
		k = selCmpStr(n.op, lr, rr, sel, m, out)
	case kD128:
		k = selCmp128(n.op, lr, rr, sel, m, out)
	case kBool:
		k = selCmpBool(n.op, lr, rr, sel, m, out)
	}
	return out[:k]
}

func (n *cmpNode) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	lr, err := n.l.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	rr, err := n.r.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer rr.release()
	sel, m, mapping := n.space(b, &lr, &rr)
	if mapping == nil {
		return n.positions(&lr, &rr, sel, m, true, buf), nil
	}
	// Logical positions go to scratch: buf may alias b.Sel (= mapping).
	scratch := getScratch(m)
	pos := n.positions(&lr, &rr, sel, m, true, *scratch)
	out := growSel(buf, len(pos))
	for k, j := range pos {
		out[k] = mapping[j] // k <= j: safe when out aliases mapping
	}
	*scratch = pos[:0]
	putScratch(scratch)
	return out, nil
}

func (n *cmpNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, err := n.l.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	rr, err := n.r.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer rr.release()
	cnt := b.NumRows()
	out := newBoolOut(n.mem, cnt)
	out.setValidity(combineValidity(n.mem, cnt, &lr, &rr))
	sel, m, mapping := n.space(b, &lr, &rr)
	scratch := getScratch(cnt)
	pos := n.positions(&lr, &rr, sel, m, false, *scratch)
	if mapping == nil {
		pos = physToLogical(pos, b.Sel)
	}
	bs := out.vals.Bytes()
	for _, j := range pos {
		bs[j>>3] |= 1 << (j & 7)
	}
	putScratch(scratch)
	return out.finish(), nil
}

// filterValid returns the positions of sel (or 0..m-1) where both
// operands are valid, written into out.
func filterValid(lr, rr *rop, sel []int32, m int, out []int32) []int32 {
	cnt := m
	if sel != nil {
		cnt = len(sel)
	}
	out = growSel(out, cnt)
	k := 0
	lv, loff := validBits(lr)
	rv, roff := validBits(rr)
	if sel == nil {
		for i := 0; i < m; i++ {
			out[k] = int32(i)
			if (lv == nil || bitutil.BitIsSet(lv, loff+i)) && (rv == nil || bitutil.BitIsSet(rv, roff+i)) {
				k++
			}
		}
		return out[:k]
	}
	for _, i := range sel {
		out[k] = i
		if (lv == nil || bitutil.BitIsSet(lv, loff+int(i))) && (rv == nil || bitutil.BitIsSet(rv, roff+int(i))) {
			k++
		}
	}
	return out[:k]
}

// validBits returns an operand's validity bitmap and offset (nil when it
// has no nulls). Indexes are physical (the operand's own positions).
func validBits(r *rop) ([]byte, int) {
	if r.arr == nil || r.arr.NullN() == 0 {
		return nil, 0
	}
	d := r.arr.Data()
	return d.Buffers()[0].Bytes(), d.Offset()
}

func selCmpFixed[T number](op cmpOp, lr, rr *rop, sel []int32, m int, out []int32) int {
	var a, b []T
	var ca, cb T
	if lr.arr == nil {
		ca = constAs[T](lr.c.v)
	} else {
		a = vec.Values[T](lr.arr)
	}
	if rr.arr == nil {
		cb = constAs[T](rr.c.v)
	} else {
		b = vec.Values[T](rr.arr)
	}
	ac, bc := lr.arr == nil, rr.arr == nil
	if ac && bc { // constant vs constant: materialize the left side
		k := 0
		ok := cmpTest(op, ca, cb)
		if sel == nil {
			for i := 0; i < m; i++ {
				out[k] = int32(i)
				if ok {
					k++
				}
			}
			return k
		}
		for _, i := range sel {
			out[k] = i
			if ok {
				k++
			}
		}
		return k
	}
	switch op {
	case opEq:
		return selEq(a, b, ca, cb, ac, bc, sel, m, out)
	case opNe:
		return selNe(a, b, ca, cb, ac, bc, sel, m, out)
	case opLt:
		return selLt(a, b, ca, cb, ac, bc, sel, m, out)
	case opLe:
		return selLe(a, b, ca, cb, ac, bc, sel, m, out)
	case opGt:
		return selGt(a, b, ca, cb, ac, bc, sel, m, out)
	}
	return selGe(a, b, ca, cb, ac, bc, sel, m, out)
}

func cmpTest[T number](op cmpOp, a, b T) bool {
	switch op {
	case opEq:
		return a == b
	case opNe:
		return a != b
	case opLt:
		return a < b
	case opLe:
		return a <= b
	case opGt:
		return a > b
	}
	return a >= b
}

// selRows is the generic selection loop for types whose comparison is
// not a single machine instruction (strings, decimal128, booleans).
func selRows(sel []int32, m int, out []int32, f func(i int) bool) int {
	k := 0
	if sel == nil {
		for i := 0; i < m; i++ {
			out[k] = int32(i)
			if f(i) {
				k++
			}
		}
		return k
	}
	for _, i := range sel {
		out[k] = i
		if f(int(i)) {
			k++
		}
	}
	return k
}

// strView reads a string operand at its own (physical) index.
type strView struct {
	offs []int32
	data []byte
	c    []byte
	cnst bool
}

func newStrView(r *rop) strView {
	if r.arr == nil {
		if r.c.v == nil {
			return strView{cnst: true}
		}
		return strView{c: []byte(r.c.v.(string)), cnst: true}
	}
	o, d := vec.StringParts(r.arr)
	return strView{offs: o, data: d}
}

func (s *strView) at(i int) []byte {
	if s.cnst {
		return s.c
	}
	return s.data[s.offs[i]:s.offs[i+1]]
}

func selCmpStr(op cmpOp, lr, rr *rop, sel []int32, m int, out []int32) int {
	a, b := newStrView(lr), newStrView(rr)
	if a.cnst && !b.cnst {
		a, b = b, a
		op = op.flip()
	}
	if b.cnst && !a.cnst {
		c := b.c
		offs, data := a.offs, a.data
		switch op {
		case opEq, opNe:
			return selStrEqConst(offs, data, string(c), op == opNe, sel, m, out)
		}
		return selRows(sel, m, out, func(i int) bool { return op.test(bytes.Compare(data[offs[i]:offs[i+1]], c)) })
	}
	switch op {
	case opEq:
		return selRows(sel, m, out, func(i int) bool { return bytes.Equal(a.at(i), b.at(i)) })
	case opNe:
		return selRows(sel, m, out, func(i int) bool { return !bytes.Equal(a.at(i), b.at(i)) })
	}
	return selRows(sel, m, out, func(i int) bool { return op.test(bytes.Compare(a.at(i), b.at(i))) })
}

// d128View reads a decimal128 operand.
type d128View struct {
	v    []vec.Bytes16
	c    vec.Bytes16
	cnst bool
}

func newD128View(r *rop) d128View {
	if r.arr == nil {
		if r.c.v == nil {
			return d128View{cnst: true}
		}
		return d128View{c: numTo16(constNum(r.c.v)), cnst: true}
	}
	return d128View{v: vec.Values16(r.arr)}
}

func (d *d128View) at(i int) vec.Bytes16 {
	if d.cnst {
		return d.c
	}
	return d.v[i]
}

func cmp16(a, b vec.Bytes16) int {
	ah, bh := int64(a.Hi), int64(b.Hi)
	switch {
	case ah < bh:
		return -1
	case ah > bh:
		return 1
	case a.Lo < b.Lo:
		return -1
	case a.Lo > b.Lo:
		return 1
	}
	return 0
}

func selCmp128(op cmpOp, lr, rr *rop, sel []int32, m int, out []int32) int {
	a, b := newD128View(lr), newD128View(rr)
	return selRows(sel, m, out, func(i int) bool { return op.test(cmp16(a.at(i), b.at(i))) })
}

func boolAt(r *rop) func(i int) bool {
	if r.arr == nil {
		v := r.c.v != nil && r.c.v.(bool)
		return func(int) bool { return v }
	}
	ba := r.arr.(*array.Boolean)
	return ba.Value
}

func selCmpBool(op cmpOp, lr, rr *rop, sel []int32, m int, out []int32) int {
	a, b := boolAt(lr), boolAt(rr)
	return selRows(sel, m, out, func(i int) bool {
		x, y := 0, 0
		if a(i) {
			x = 1
		}
		if b(i) {
			y = 1
		}
		return op.test(x - y)
	})
}

// nullEqNode is "<=>": equality where NULL <=> NULL is TRUE and NULL <=> x
// is FALSE; never NULL.
type nullEqNode struct{ *cmpNode }

func (n *nullEqNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, err := n.l.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	rr, err := n.r.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer rr.release()
	cnt := b.NumRows()
	out := newBoolOut(n.mem, cnt)
	bs := out.vals.Bytes()
	if n.k != kNull {
		lr.dense(n.mem)
		rr.dense(n.mem)
		scratch := getScratch(cnt)
		pos := n.positions(&lr, &rr, nil, cnt, true, *scratch)
		for _, j := range pos {
			bs[j>>3] |= 1 << (j & 7)
		}
		putScratch(scratch)
	}
	if lr.hasNulls() || rr.hasNulls() {
		for j := 0; j < cnt; j++ {
			if !lr.valid(j) && !rr.valid(j) {
				bitutil.SetBit(bs, j)
			}
		}
	}
	return out.finish(), nil
}

// Select of <=> goes through Eval (hides cmpNode.Select).
func (n *nullEqNode) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	return selectByEval(ctx, n, b, buf)
}

// selStrEqConst is the closure-free loop for string = / <> constant:
// lengths are compared first, bytes only when they match.
func selStrEqConst(offs []int32, data []byte, c string, ne bool, sel []int32, m int, out []int32) int {
	k := 0
	cl := int32(len(c))
	if sel == nil {
		for i := 0; i < m; i++ {
			o := offs[i]
			eq := offs[i+1]-o == cl && string(data[o:o+cl]) == c
			out[k] = int32(i)
			if eq != ne {
				k++
			}
		}
		return k
	}
	for _, i := range sel {
		o := offs[i]
		eq := offs[i+1]-o == cl && string(data[o:o+cl]) == c
		out[k] = i
		if eq != ne {
			k++
		}
	}
	return k
}
