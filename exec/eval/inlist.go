package eval

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// IN lists whose items are all constants become a typed set built once at
// compile time (a linear scan for up to smallIn items, a hash set above).
// Semantics are SQL's: a match gives TRUE; no match gives NULL when the
// list holds a NULL, else FALSE; a NULL input gives NULL. NOT IN negates
// (NULL stays NULL). Lists with non-constant items are rewritten to
// OR-ed equalities, which has exactly these semantics.

const smallIn = 8

// in-list row states
const (
	inNo   = 0
	inYes  = 1
	inNull = 2
)

type inNode struct {
	arg     operand
	k       physKind
	negated bool
	hasNull bool
	mem     memory.Allocator

	ints   []int64
	intSet map[int64]struct{}
	flts   []float64
	fltSet map[float64]struct{}
	strs   []string
	strSet map[string]struct{}
	d128   map[vec.Bytes16]struct{}
	bools  [2]bool
}

func (c *compiler) compileIn(e *expr.InList) (node, error) {
	t := e.E.Type()
	allConst := true
	for _, it := range e.List {
		switch it.(type) {
		case *expr.Literal, *expr.Param:
		default:
			allConst = false
		}
	}
	if !allConst || t.ID() == arrow.NULL {
		if len(e.List) == 0 {
			return nil, fmt.Errorf("%s: empty IN list", e)
		}
		eqs := make([]expr.Expr, len(e.List))
		for i, it := range e.List {
			eqs[i] = &expr.Call{Fn: "=", Args: []expr.Expr{e.E, it}, T: types.Boolean}
		}
		var or expr.Expr = &expr.Call{Fn: "or", Args: eqs, T: types.Boolean}
		if len(eqs) == 1 {
			or = eqs[0]
		}
		if e.Negated {
			or = &expr.Call{Fn: "not", Args: []expr.Expr{or}, T: types.Boolean}
		}
		return c.compile(or)
	}
	arg, err := c.operand(e.E)
	if err != nil {
		return nil, err
	}
	n := &inNode{arg: arg, k: physOf(t), negated: e.Negated, mem: c.mem}
	for _, it := range e.List {
		var v any
		switch x := it.(type) {
		case *expr.Literal:
			v, err = normValue(x.Value, t)
		case *expr.Param:
			if x.Index < 0 || x.Index >= len(c.env.Params) {
				return nil, fmt.Errorf("parameter ?%d: only %d parameters bound", x.Index, len(c.env.Params))
			}
			v, err = normValue(c.env.Params[x.Index], t)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: item %s: %w", e, it, err)
		}
		if v == nil {
			n.hasNull = true
			continue
		}
		switch n.k {
		case kI8, kI16, kI32, kI64:
			n.ints = append(n.ints, constAs[int64](v))
		case kF32, kF64:
			f := v.(float64)
			if n.k == kF32 {
				f = float64(float32(f))
			}
			n.flts = append(n.flts, f)
		case kStr:
			n.strs = append(n.strs, v.(string))
		case kD128:
			if n.d128 == nil {
				n.d128 = map[vec.Bytes16]struct{}{}
			}
			n.d128[numTo16(constNum(v))] = struct{}{}
		case kBool:
			if v.(bool) {
				n.bools[1] = true
			} else {
				n.bools[0] = true
			}
		default:
			return nil, fmt.Errorf("%s: IN on %s is not supported", e, types.SQLName(t))
		}
	}
	if len(n.ints) > smallIn {
		n.intSet = make(map[int64]struct{}, len(n.ints))
		for _, v := range n.ints {
			n.intSet[v] = struct{}{}
		}
	}
	if len(n.flts) > smallIn {
		n.fltSet = make(map[float64]struct{}, len(n.flts))
		for _, v := range n.flts {
			n.fltSet[v] = struct{}{}
		}
	}
	if len(n.strs) > smallIn {
		n.strSet = make(map[string]struct{}, len(n.strs))
		for _, v := range n.strs {
			n.strSet[v] = struct{}{}
		}
	}
	return n, nil
}

// states fills st[j] (logical rows) with inNo / inYes / inNull, before
// negation and before applying the list's NULL.
func (n *inNode) states(r *rop, cnt int, st []byte) {
	switch n.k {
	case kI8:
		inFixed[int8](n, r, cnt, st)
	case kI16:
		inFixed[int16](n, r, cnt, st)
	case kI32:
		inFixed[int32](n, r, cnt, st)
	case kI64:
		inFixed[int64](n, r, cnt, st)
	case kF32:
		v := fixedView[float32](r)
		for j := 0; j < cnt; j++ {
			st[j] = n.hasFloat(float64(v.at(j)))
		}
	case kF64:
		v := fixedView[float64](r)
		for j := 0; j < cnt; j++ {
			st[j] = n.hasFloat(v.at(j))
		}
	case kStr:
		sv := newStrView(r)
		if n.strSet != nil {
			for j := 0; j < cnt; j++ {
				if _, ok := n.strSet[string(sv.at(r.phys(j)))]; ok {
					st[j] = inYes
				} else {
					st[j] = inNo
				}
			}
			break
		}
		for j := 0; j < cnt; j++ {
			s := sv.at(r.phys(j))
			st[j] = inNo
			for _, x := range n.strs {
				if string(s) == x {
					st[j] = inYes
					break
				}
			}
		}
	case kD128:
		dv := newD128View(r)
		for j := 0; j < cnt; j++ {
			if _, ok := n.d128[dv.at(r.phys(j))]; ok {
				st[j] = inYes
			} else {
				st[j] = inNo
			}
		}
	case kBool:
		at := boolAt(r)
		for j := 0; j < cnt; j++ {
			if n.bools[b2i(at(r.phys(j)))] {
				st[j] = inYes
			} else {
				st[j] = inNo
			}
		}
	}
	if r.hasNulls() {
		for j := 0; j < cnt; j++ {
			if !r.valid(j) {
				st[j] = inNull
			}
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (n *inNode) hasFloat(f float64) byte {
	if math.IsNaN(f) {
		return inNo
	}
	if n.fltSet != nil {
		if _, ok := n.fltSet[f]; ok {
			return inYes
		}
		return inNo
	}
	for _, x := range n.flts {
		if x == f {
			return inYes
		}
	}
	return inNo
}

func inFixed[T signed](n *inNode, r *rop, cnt int, st []byte) {
	v := fixedView[T](r)
	if n.intSet != nil {
		for j := 0; j < cnt; j++ {
			if _, ok := n.intSet[int64(v.at(j))]; ok {
				st[j] = inYes
			} else {
				st[j] = inNo
			}
		}
		return
	}
	list := make([]T, 0, len(n.ints))
	for _, x := range n.ints {
		if int64(T(x)) == x { // items outside T's range match nothing
			list = append(list, T(x))
		}
	}
	for j := 0; j < cnt; j++ {
		x := v.at(j)
		s := byte(inNo)
		for _, y := range list {
			if x == y {
				s = inYes
			}
		}
		st[j] = s
	}
}

// final turns a raw state into the row's truth value.
func (n *inNode) final(s byte) byte {
	if s == inNo && n.hasNull {
		s = inNull
	}
	if n.negated && s != inNull {
		s ^= 1
	}
	return s
}

func (n *inNode) run(ctx context.Context, b *vec.Batch) ([]byte, error) {
	r, err := n.arg.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer r.release()
	cnt := b.NumRows()
	if r.arr == nil {
		r = rop{arr: constArray(n.mem, n.arg.t, r.c.v, cnt), owned: true}
		defer r.release()
	}
	st := make([]byte, cnt)
	n.states(&r, cnt, st)
	return st, nil
}

func (n *inNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	st, err := n.run(ctx, b)
	if err != nil {
		return nil, err
	}
	out := newBoolOut(n.mem, len(st))
	bs := out.vals.Bytes()
	for j, s := range st {
		switch n.final(s) {
		case inYes:
			bs[j>>3] |= 1 << (j & 7)
		case inNull:
			out.setNull(j)
		}
	}
	return out.finish(), nil
}

func (n *inNode) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	st, err := n.run(ctx, b)
	if err != nil {
		return nil, err
	}
	out := growSel(buf, len(st))
	k := 0
	for j, s := range st {
		if b.Sel != nil {
			out[k] = b.Sel[j]
		} else {
			out[k] = int32(j)
		}
		if n.final(s) == inYes {
			k++
		}
	}
	return out[:k], nil
}
