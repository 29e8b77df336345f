package eval

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// Arithmetic kernel kinds.
const (
	akAdd = iota // unchecked (floats)
	akSub
	akMul
	akAddChk // ints and decimals: overflow is an error
	akSubChk
	akMulNarrow // int8..int32: product computed in int64
	akMulMaybe  // int64: fast loop flags possible overflow, exact recheck
)

func outOfRange(t arrow.DataType, e expr.Expr) error {
	return fmt.Errorf("%s value is out of range in '%s'", types.SQLName(t), e)
}

func (c *compiler) compileArith(e *expr.Call) (node, error) {
	if e.Fn == "neg" {
		return c.compileNeg(e)
	}
	if len(e.Args) != 2 {
		return nil, fmt.Errorf("%s: expected 2 arguments, got %d", e, len(e.Args))
	}
	for _, a := range e.Args {
		if a.Type().ID() == arrow.NULL {
			return &constNode{t: e.T, mem: c.mem}, nil
		}
	}
	t := e.T
	lt, rt := e.Args[0].Type(), e.Args[1].Type()
	if types.IsDecimal(t) {
		return c.compileDecimalArith(e)
	}
	if !types.IsInteger(t) && !types.IsFloat(t) {
		return nil, fmt.Errorf("%s: arithmetic on %s is not supported", e, types.SQLName(t))
	}
	// The binder makes both arguments the result type; accept anything
	// numeric by casting (the cast is a no-op in the normal case).
	le, re := e.Args[0], e.Args[1]
	if !arrow.TypeEqual(lt, t) {
		le = &expr.Cast{E: le, T: t}
	}
	if !arrow.TypeEqual(rt, t) {
		re = &expr.Cast{E: re, T: t}
	}
	l, err := c.operand(le)
	if err != nil {
		return nil, err
	}
	r, err := c.operand(re)
	if err != nil {
		return nil, err
	}
	switch e.Fn {
	case "+", "-", "*":
		switch physOf(t) {
		case kI8:
			return newArith[int8](c, e, l, r), nil
		case kI16:
			return newArith[int16](c, e, l, r), nil
		case kI32:
			return newArith[int32](c, e, l, r), nil
		case kI64:
			return newArith[int64](c, e, l, r), nil
		case kF32:
			return newArith[float32](c, e, l, r), nil
		case kF64:
			return newArith[float64](c, e, l, r), nil
		}
	case "/", "%", "div", "mod":
		switch physOf(t) {
		case kI8:
			return &divNode[int8]{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem}, nil
		case kI16:
			return &divNode[int16]{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem}, nil
		case kI32:
			return &divNode[int32]{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem}, nil
		case kI64:
			return &divNode[int64]{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem}, nil
		case kF32:
			return &divNode[float32]{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem, float: true}, nil
		case kF64:
			return &divNode[float64]{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem, float: true}, nil
		}
	}
	return nil, fmt.Errorf("%s: unsupported arithmetic on %s", e, types.SQLName(t))
}

func newArith[T number](c *compiler, e *expr.Call, l, r operand) *arithNode[T] {
	n := &arithNode[T]{l: l, r: r, t: e.T, e: e, mem: c.mem}
	float := types.IsFloat(e.T)
	switch e.Fn {
	case "+":
		n.kind = akAddChk
		if float {
			n.kind = akAdd
		}
	case "-":
		n.kind = akSubChk
		if float {
			n.kind = akSub
		}
	case "*":
		switch {
		case float:
			n.kind = akMul
		case physOf(e.T) == kI64:
			n.kind = akMulMaybe
		default:
			n.kind = akMulNarrow
		}
	}
	return n
}

// arithNode is + - * over one fixed-width physical type (ints, floats,
// decimal64 with the binder's scale guarantees).
type arithNode[T number] struct {
	kind     int
	decLimit int64 // decimal64 results: |r| must stay below this (0: no check needed)
	l, r     operand
	t        arrow.DataType
	e        expr.Expr
	mem      memory.Allocator
}

// view is a resolved fixed-width operand in kernel form.
type view[T vec.Fixed] struct {
	v   []T
	sel []int32
	c   T
}

func fixedView[T vec.Fixed](r *rop) view[T] {
	if r.arr == nil {
		if r.c.v == nil {
			return view[T]{}
		}
		return view[T]{c: constAs[T](r.c.v)}
	}
	return view[T]{v: vec.Values[T](r.arr), sel: r.sel}
}

func (v *view[T]) at(j int) T {
	if v.v == nil {
		return v.c
	}
	if v.sel != nil {
		return v.v[v.sel[j]]
	}
	return v.v[j]
}

func shapeOf(l, r *rop) int {
	switch {
	case l.arr == nil && r.sel != nil:
		return shapeCS
	case l.arr == nil:
		return shapeCV
	case r.arr == nil && l.sel != nil:
		return shapeSC
	case r.arr == nil:
		return shapeVC
	case l.sel != nil && r.sel != nil:
		return shapeSS
	case l.sel != nil:
		return shapeSV
	case r.sel != nil:
		return shapeVS
	}
	return shapeVV
}

// resolve2 resolves both operands; when both are constant the left one is
// materialized so that kernels always have a vector side.
func resolve2(ctx context.Context, b *vec.Batch, l, r *operand, mem memory.Allocator) (rop, rop, error) {
	lr, err := l.resolve(ctx, b)
	if err != nil {
		return lr, rop{}, err
	}
	rr, err := r.resolve(ctx, b)
	if err != nil {
		lr.release()
		return lr, rr, err
	}
	if lr.arr == nil && rr.arr == nil {
		lr = rop{arr: constArray(mem, lr.c.n(), lr.c.v, b.NumRows()), owned: true}
	}
	return lr, rr, nil
}

func (c *constNode) n() arrow.DataType { return c.t }

func (n *arithNode[T]) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, rr, err := resolve2(ctx, b, &n.l, &n.r, n.mem)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	defer rr.release()
	cnt := b.NumRows()
	valid, nulls := combineValidity(n.mem, cnt, &lr, &rr)
	bld := vec.NewBuilder[T](n.mem, n.t, cnt)
	bld.SetValidity(valid, nulls)
	if cnt == 0 || nulls == cnt {
		return bld.Finish(), nil
	}
	a, bv := fixedView[T](&lr), fixedView[T](&rr)
	sh := shapeOf(&lr, &rr)
	out := bld.Values
	var suspect bool
	switch n.kind {
	case akAdd:
		arithAdd(sh, out, a.v, bv.v, a.sel, bv.sel, a.c, bv.c)
	case akSub:
		arithSub(sh, out, a.v, bv.v, a.sel, bv.sel, a.c, bv.c)
	case akMul:
		arithMul(sh, out, a.v, bv.v, a.sel, bv.sel, a.c, bv.c)
	case akAddChk:
		suspect = addChk(sh, out, a, bv) < 0
	case akSubChk:
		suspect = subChk(sh, out, a, bv) < 0
	case akMulNarrow:
		suspect = mulNarrow(sh, out, a, bv) != 0
	case akMulMaybe:
		suspect = mulMaybe(sh, out, a, bv)>>32 != 0
	}
	if suspect {
		// Exact recheck of the valid rows (values under NULLs are
		// arbitrary and must not raise errors).
		for j := 0; j < cnt; j++ {
			if valid != nil && !bitutil.BitIsSet(valid.Bytes(), j) {
				continue
			}
			if overflows(n.kind, a.at(j), bv.at(j)) {
				bld.Finish().Release()
				return nil, outOfRange(n.t, n.e)
			}
		}
	}
	if n.decLimit != 0 {
		if o, ok := any(out).([]int64); ok {
			lim := n.decLimit
			for j, r := range o {
				if (r >= lim || r <= -lim) && (valid == nil || bitutil.BitIsSet(valid.Bytes(), j)) {
					bld.Finish().Release()
					return nil, outOfRange(n.t, n.e)
				}
			}
		}
	}
	return bld.Finish(), nil
}

// The checked kernels exist only for integer T; these wrappers dispatch
// on the concrete type once per batch.
func addChk[T number](sh int, out []T, a, b view[T]) int64 {
	switch o := any(out).(type) {
	case []int8:
		return int64(arithAddChk(sh, o, any(a.v).([]int8), any(b.v).([]int8), a.sel, b.sel, any(a.c).(int8), any(b.c).(int8)))
	case []int16:
		return int64(arithAddChk(sh, o, any(a.v).([]int16), any(b.v).([]int16), a.sel, b.sel, any(a.c).(int16), any(b.c).(int16)))
	case []int32:
		return int64(arithAddChk(sh, o, any(a.v).([]int32), any(b.v).([]int32), a.sel, b.sel, any(a.c).(int32), any(b.c).(int32)))
	case []int64:
		return arithAddChk(sh, o, any(a.v).([]int64), any(b.v).([]int64), a.sel, b.sel, any(a.c).(int64), any(b.c).(int64))
	}
	return 0
}

func subChk[T number](sh int, out []T, a, b view[T]) int64 {
	switch o := any(out).(type) {
	case []int8:
		return int64(arithSubChk(sh, o, any(a.v).([]int8), any(b.v).([]int8), a.sel, b.sel, any(a.c).(int8), any(b.c).(int8)))
	case []int16:
		return int64(arithSubChk(sh, o, any(a.v).([]int16), any(b.v).([]int16), a.sel, b.sel, any(a.c).(int16), any(b.c).(int16)))
	case []int32:
		return int64(arithSubChk(sh, o, any(a.v).([]int32), any(b.v).([]int32), a.sel, b.sel, any(a.c).(int32), any(b.c).(int32)))
	case []int64:
		return arithSubChk(sh, o, any(a.v).([]int64), any(b.v).([]int64), a.sel, b.sel, any(a.c).(int64), any(b.c).(int64))
	}
	return 0
}

func mulNarrow[T number](sh int, out []T, a, b view[T]) int64 {
	switch o := any(out).(type) {
	case []int8:
		return int64(arithMulChkNarrow(sh, o, any(a.v).([]int8), any(b.v).([]int8), a.sel, b.sel, any(a.c).(int8), any(b.c).(int8)))
	case []int16:
		return int64(arithMulChkNarrow(sh, o, any(a.v).([]int16), any(b.v).([]int16), a.sel, b.sel, any(a.c).(int16), any(b.c).(int16)))
	case []int32:
		return int64(arithMulChkNarrow(sh, o, any(a.v).([]int32), any(b.v).([]int32), a.sel, b.sel, any(a.c).(int32), any(b.c).(int32)))
	}
	return 0
}

func mulMaybe[T number](sh int, out []T, a, b view[T]) uint64 {
	o, ok := any(out).([]int64)
	if !ok {
		return 0
	}
	return uint64(arithMulMaybe(sh, o, any(a.v).([]int64), any(b.v).([]int64), a.sel, b.sel, any(a.c).(int64), any(b.c).(int64)))
}

// overflows is the exact overflow test for one row.
func overflows[T number](kind int, x, y T) bool {
	var zero T
	size := unsafe.Sizeof(zero)
	xx, yy := toI64(x), toI64(y)
	switch kind {
	case akAddChk:
		if size < 8 {
			r := xx + yy
			return fitsWidth(r, size) != r
		}
		r := xx + yy
		return (r^xx)&(r^yy) < 0
	case akSubChk:
		if size < 8 {
			r := xx - yy
			return fitsWidth(r, size) != r
		}
		r := xx - yy
		return (xx^yy)&(r^xx) < 0
	case akMulNarrow:
		r := xx * yy
		return fitsWidth(r, size) != r
	case akMulMaybe:
		return mulOverflows64(xx, yy)
	}
	return false
}

func toI64[T number](x T) int64 { return int64(x) }

// fitsWidth truncates r to size bytes and sign-extends it back.
func fitsWidth(r int64, size uintptr) int64 {
	switch size {
	case 1:
		return int64(int8(r))
	case 2:
		return int64(int16(r))
	case 4:
		return int64(int32(r))
	}
	return r
}

func mulOverflows64(x, y int64) bool {
	if x == 0 || y == 0 {
		return false
	}
	if (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
		return true
	}
	r := x * y
	return r/y != x
}

// divNode is "/", "%", "div" over ints and floats: division or modulo by
// zero gives NULL (MySQL); integer "/" and "div" truncate toward zero.
type divNode[T number] struct {
	fn    string
	l, r  operand
	t     arrow.DataType
	e     expr.Expr
	mem   memory.Allocator
	float bool
}

func (n *divNode[T]) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, rr, err := resolve2(ctx, b, &n.l, &n.r, n.mem)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	defer rr.release()
	cnt := b.NumRows()
	valid, nulls := combineValidity(n.mem, cnt, &lr, &rr)
	if valid == nil {
		valid = vec.NewValidity(n.mem, cnt)
	}
	vb := valid.Bytes()
	bld := vec.NewBuilder[T](n.mem, n.t, cnt)
	a, bv := fixedView[T](&lr), fixedView[T](&rr)
	out := bld.Values
	mod := n.fn == "%" || n.fn == "mod"
	var zero T
	minusOne := zero - 1
	for j := 0; j < cnt; j++ {
		if !bitutil.BitIsSet(vb, j) {
			continue
		}
		x, y := a.at(j), bv.at(j)
		if y == 0 {
			bitutil.ClearBit(vb, j)
			nulls++
			continue
		}
		switch {
		case n.float && mod:
			out[j] = T(math.Mod(float64(x), float64(y)))
		case n.float:
			out[j] = x / y
		case mod:
			if y == minusOne {
				out[j] = 0
			} else {
				out[j] = intMod(x, y)
			}
		default:
			if y == minusOne {
				r := zero - x
				if x != 0 && r == x { // most negative value / -1
					bld.SetValidity(valid, nulls)
					bld.Finish().Release()
					return nil, outOfRange(n.t, n.e)
				}
				out[j] = r
			} else {
				out[j] = intDiv(x, y)
			}
		}
	}
	bld.SetValidity(valid, nulls)
	return bld.Finish(), nil
}

func intDiv[T number](x, y T) T { return T(int64(x) / int64(y)) }
func intMod[T number](x, y T) T { return T(int64(x) % int64(y)) }

// negNode is unary minus.
type negNode[T number] struct {
	arg  operand
	t    arrow.DataType
	e    expr.Expr
	mem  memory.Allocator
	intg bool
}

func (c *compiler) compileNeg(e *expr.Call) (node, error) {
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("%s: expected 1 argument", e)
	}
	if e.Args[0].Type().ID() == arrow.NULL {
		return &constNode{t: e.T, mem: c.mem}, nil
	}
	arg := e.Args[0]
	if !arrow.TypeEqual(arg.Type(), e.T) {
		arg = &expr.Cast{E: arg, T: e.T}
	}
	o, err := c.operand(arg)
	if err != nil {
		return nil, err
	}
	intg := !types.IsFloat(e.T)
	switch physOf(e.T) {
	case kI8:
		return &negNode[int8]{arg: o, t: e.T, e: e, mem: c.mem, intg: intg}, nil
	case kI16:
		return &negNode[int16]{arg: o, t: e.T, e: e, mem: c.mem, intg: intg}, nil
	case kI32:
		return &negNode[int32]{arg: o, t: e.T, e: e, mem: c.mem, intg: intg}, nil
	case kI64:
		return &negNode[int64]{arg: o, t: e.T, e: e, mem: c.mem, intg: intg}, nil
	case kF32:
		return &negNode[float32]{arg: o, t: e.T, e: e, mem: c.mem}, nil
	case kF64:
		return &negNode[float64]{arg: o, t: e.T, e: e, mem: c.mem}, nil
	case kD128:
		p, _, _ := types.DecimalParams(e.T)
		return &d128Node{fn: "neg", l: o, t: e.T, e: e, mem: c.mem, prec: p}, nil
	}
	return nil, fmt.Errorf("%s: cannot negate %s", e, types.SQLName(e.T))
}

func (n *negNode[T]) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	ar, err := n.arg.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer ar.release()
	cnt := b.NumRows()
	if ar.arr == nil {
		ar = rop{arr: constArray(n.mem, n.t, ar.c.v, cnt), owned: true}
	}
	valid, nulls := combineValidity(n.mem, cnt, &ar)
	bld := vec.NewBuilder[T](n.mem, n.t, cnt)
	bld.SetValidity(valid, nulls)
	a := fixedView[T](&ar)
	out := bld.Values
	var zero T
	bad := false
	for j := range out {
		x := a.at(j)
		r := zero - x
		out[j] = r
		if n.intg && x != 0 && r == x && (valid == nil || bitutil.BitIsSet(valid.Bytes(), j)) {
			bad = true
		}
	}
	if bad {
		bld.Finish().Release()
		return nil, outOfRange(n.t, n.e)
	}
	return bld.Finish(), nil
}

// ---------------------------------------------------------------------
// Decimals.

var pow10u64 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < 20; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

var pow10big = func() [77]*big.Int {
	var p [77]*big.Int
	p[0] = big.NewInt(1)
	for i := 1; i < len(p); i++ {
		p[i] = new(big.Int).Mul(p[i-1], big.NewInt(10))
	}
	return p
}()

func (c *compiler) compileDecimalArith(e *expr.Call) (node, error) {
	t := e.T
	pT, sT, _ := types.DecimalParams(t)
	le, re := e.Args[0], e.Args[1]
	widen := func(x expr.Expr, scale int32) expr.Expr {
		// bring an argument to T's physical width keeping its scale
		xt := x.Type()
		fitsT := physOf(xt) == physOf(t) || (physOf(t) == kD128 && xt.ID() == arrow.DECIMAL64)
		if fitsT && types.IsDecimal(xt) {
			if _, s, _ := types.DecimalParams(xt); s == scale {
				return x
			}
		}
		p := int32(types.MaxDecimal64Precision)
		if physOf(t) == kD128 {
			p = types.MaxDecimalPrecision
		}
		return &expr.Cast{E: x, T: decType(p, scale)}
	}
	if physOf(t) == kD128 && (e.Fn == "+" || e.Fn == "-" || e.Fn == "*") &&
		e.Args[0].Type().ID() == arrow.DECIMAL64 && e.Args[1].Type().ID() == arrow.DECIMAL64 {
		p1, s1, _ := types.DecimalParams(le.Type())
		p2, s2, _ := types.DecimalParams(re.Type())
		need := p1 + p2
		ok := s1+s2 == sT
		if e.Fn != "*" {
			need = max(p1-s1, p2-s2) + sT + 1
			ok = s1 == sT && s2 == sT
		}
		if ok {
			l, err := c.operand(le)
			if err != nil {
				return nil, err
			}
			r, err := c.operand(re)
			if err != nil {
				return nil, err
			}
			return &wideDecNode{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem, checkPrec: need > pT, prec: pT}, nil
		}
	}
	switch e.Fn {
	case "+", "-":
		le, re = widen(le, sT), widen(re, sT)
	case "*":
		_, s1, ok1 := types.DecimalParams(le.Type())
		_, s2, ok2 := types.DecimalParams(re.Type())
		if !ok1 {
			le = &expr.Cast{E: le, T: decType(types.IntegerPrecision(le.Type()), 0)}
		}
		if !ok2 {
			re = &expr.Cast{E: re, T: decType(types.IntegerPrecision(re.Type()), 0)}
		}
		if s1+s2 != sT {
			// not the binder's guarantee: compute at natural scale and cast
			return c.compileRescaled(e, s1+s2)
		}
		le, re = widen(le, s1), widen(re, s2)
	case "/":
		return c.compileDecDiv(e)
	case "%", "mod":
		return c.compileDecMod(e)
	default:
		return nil, fmt.Errorf("%s: %s is not defined on decimals", e, e.Fn)
	}
	l, err := c.operand(le)
	if err != nil {
		return nil, err
	}
	r, err := c.operand(re)
	if err != nil {
		return nil, err
	}
	if physOf(t) == kD128 {
		p1, s1, _ := types.DecimalParams(le.Type())
		p2, s2, _ := types.DecimalParams(re.Type())
		need := p1 + p2
		if e.Fn != "*" {
			need = max(p1-s1, p2-s2) + sT + 1
		}
		return &d128Node{fn: e.Fn, l: l, r: r, t: t, e: e, mem: c.mem, prec: pT, checkPrec: need > pT}, nil
	}
	n := &arithNode[int64]{l: l, r: r, t: t, e: e, mem: c.mem}
	p1, s1, _ := types.DecimalParams(le.Type())
	p2, s2, _ := types.DecimalParams(re.Type())
	need := p1 + p2
	switch e.Fn {
	case "+":
		n.kind = akAddChk
		need = max(p1-s1, p2-s2) + sT + 1
	case "-":
		n.kind = akSubChk
		need = max(p1-s1, p2-s2) + sT + 1
	case "*":
		n.kind = akMul
		if p1+p2 > types.MaxDecimal64Precision {
			n.kind = akMulMaybe
		}
	}
	if need > pT && pT < 19 {
		n.decLimit = int64(pow10u64[pT])
	}
	return n, nil
}

// compileRescaled computes e at scale s and casts to e.T.
func (c *compiler) compileRescaled(e *expr.Call, s int32) (node, error) {
	inner := &expr.Call{Fn: e.Fn, Args: e.Args, T: decType(types.MaxDecimalPrecision, s)}
	return c.compile(&expr.Cast{E: inner, T: e.T})
}

func decType(p, s int32) arrow.DataType {
	if p < s {
		p = s
	}
	if p > types.MaxDecimalPrecision {
		p = types.MaxDecimalPrecision
	}
	return types.Decimal(p, s)
}

// d128Node is decimal128 + - * and negation, exact. Operands may be
// decimal64 or decimal128 (read as 128-bit); 128-bit overflow is always
// detected and the result precision is checked when the input types do
// not already guarantee it.
type d128Node struct {
	fn        string
	l, r      operand
	t         arrow.DataType
	e         expr.Expr
	mem       memory.Allocator
	prec      int32
	checkPrec bool
}

// dec16View reads a decimal operand of either width as 128-bit values.
type dec16View struct {
	v16  []vec.Bytes16
	v64  []int64
	sel  []int32
	c    vec.Bytes16
	cnst bool
}

func newDec16View(r *rop) dec16View {
	if r.arr == nil {
		if r.c.v == nil {
			return dec16View{cnst: true}
		}
		if x, ok := r.c.v.(int64); ok {
			return dec16View{c: vec.Bytes16{Lo: uint64(x), Hi: uint64(x >> 63)}, cnst: true}
		}
		return dec16View{c: numTo16(constNum(r.c.v)), cnst: true}
	}
	if r.arr.DataType().ID() == arrow.DECIMAL128 {
		return dec16View{v16: vec.Values16(r.arr), sel: r.sel}
	}
	return dec16View{v64: vec.Values[int64](r.arr), sel: r.sel}
}

func (d *dec16View) at(j int) vec.Bytes16 {
	if d.cnst {
		return d.c
	}
	i := j
	if d.sel != nil {
		i = int(d.sel[j])
	}
	if d.v64 != nil {
		x := d.v64[i]
		return vec.Bytes16{Lo: uint64(x), Hi: uint64(x >> 63)}
	}
	return d.v16[i]
}

func is64(x vec.Bytes16) bool { return x.Hi == uint64(int64(x.Lo)>>63) }

// abs16 returns |x| as an unsigned 128-bit pair.
func abs16(x vec.Bytes16) vec.Bytes16 {
	if int64(x.Hi) >= 0 {
		return x
	}
	lo, c := bits.Add64(^x.Lo, 1, 0)
	return vec.Bytes16{Lo: lo, Hi: ^x.Hi + c}
}

// pow10x16 holds 10^p as unsigned 128-bit pairs (p = 0..38).
var pow10x16 = func() [39]vec.Bytes16 {
	var out [39]vec.Bytes16
	for p := range out {
		out[p] = numTo16(decimal128.FromBigInt(pow10big[p]))
	}
	return out
}()

// fitsPrec reports whether |x| < 10^p.
func fitsPrec(x vec.Bytes16, p int32) bool {
	a, l := abs16(x), pow10x16[p]
	return a.Hi < l.Hi || (a.Hi == l.Hi && a.Lo < l.Lo)
}

func (n *d128Node) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	lr, err := n.l.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	rr := rop{c: &constNode{t: n.t, v: decimal128.Num{}}}
	if n.fn != "neg" {
		if rr, err = n.r.resolve(ctx, b); err != nil {
			return nil, err
		}
		defer rr.release()
	}
	if lr.arr == nil && rr.arr == nil {
		lr.release()
		lr = rop{arr: constArray(n.mem, n.l.t, lr.c.v, cnt), owned: true}
	}
	valid, nulls := combineValidity(n.mem, cnt, &lr, &rr)
	out := newBuf128(n.mem, cnt)
	a, bv := newDec16View(&lr), newDec16View(&rr)
	o := out.V
	bad := false
	switch n.fn {
	case "neg":
		for j := range o {
			x := a.at(j)
			lo, c := bits.Add64(^x.Lo, 1, 0)
			o[j] = vec.Bytes16{Lo: lo, Hi: ^x.Hi + c}
		}
	case "+":
		for j := range o {
			x, y := a.at(j), bv.at(j)
			lo, c := bits.Add64(x.Lo, y.Lo, 0)
			r := vec.Bytes16{Lo: lo, Hi: x.Hi + y.Hi + c}
			o[j] = r
			bad = bad || int64((r.Hi^x.Hi)&(r.Hi^y.Hi)) < 0
		}
	case "-":
		for j := range o {
			x, y := a.at(j), bv.at(j)
			lo, c := bits.Sub64(x.Lo, y.Lo, 0)
			r := vec.Bytes16{Lo: lo, Hi: x.Hi - y.Hi - c}
			o[j] = r
			bad = bad || int64((x.Hi^y.Hi)&(r.Hi^x.Hi)) < 0
		}
	case "*":
		for j := range o {
			x, y := a.at(j), bv.at(j)
			if is64(x) && is64(y) {
				o[j] = smul128(int64(x.Lo), int64(y.Lo))
				continue
			}
			if valid != nil && !bitutil.BitIsSet(valid.Bytes(), j) {
				continue
			}
			r, ok := mul128(b16ToNum(x), b16ToNum(y))
			if !ok {
				bad = true
				break
			}
			o[j] = numTo16(r)
		}
	}
	if bad || n.checkPrec {
		// exact check of the valid rows only
		for j := range o {
			if valid != nil && !bitutil.BitIsSet(valid.Bytes(), j) {
				continue
			}
			ok := fitsPrec(o[j], n.prec)
			if ok && bad && n.fn != "*" {
				x, y := a.at(j), bv.at(j)
				r := o[j]
				if n.fn == "+" {
					ok = int64((r.Hi^x.Hi)&(r.Hi^y.Hi)) >= 0
				} else {
					ok = int64((x.Hi^y.Hi)&(r.Hi^x.Hi)) >= 0
				}
			}
			if !ok || (bad && n.fn == "*") {
				out.finish(n.t, valid, nulls).Release()
				return nil, outOfRange(n.t, n.e)
			}
		}
	}
	return out.finish(n.t, valid, nulls), nil
}

// mul128 multiplies exactly; ok is false when the product does not fit
// in 128 bits.
func mul128(x, y decimal128.Num) (decimal128.Num, bool) {
	if fits64(x) && fits64(y) {
		a, b := int64(x.LowBits()), int64(y.LowBits())
		neg := (a < 0) != (b < 0)
		hi, lo := bits.Mul64(absU(a), absU(b))
		if hi>>63 != 0 {
			return decimal128.Num{}, false
		}
		r := decimal128.New(int64(hi), lo)
		if neg {
			r = r.Negate()
		}
		return r, true
	}
	p := new(big.Int).Mul(x.BigInt(), y.BigInt())
	if p.BitLen() > 127 {
		return decimal128.Num{}, false
	}
	return decimal128.FromBigInt(p), true
}

func fits64(x decimal128.Num) bool {
	return x.HighBits() == int64(x.LowBits())>>63
}

func absU(a int64) uint64 {
	if a < 0 {
		return uint64(-a)
	}
	return uint64(a)
}

// decOperand reads any decimal (or integer) operand as a big.Int or int64.
type decReader struct {
	r   *rop
	k   physKind
	i64 view[int64]
	d   d128View
}

func newDecReader(r *rop, t arrow.DataType) *decReader {
	d := &decReader{r: r, k: physOf(t)}
	if d.k == kD128 {
		d.d = newD128View(r)
	} else if d.k == kI64 {
		d.i64 = fixedView[int64](r)
	}
	return d
}

// int64At returns the value at logical row j when it fits int64.
func (d *decReader) int64At(j int) (int64, bool) {
	switch d.k {
	case kI64:
		return d.i64.at(j), true
	case kD128:
		x := b16ToNum(d.d.at(d.r.phys(j)))
		if fits64(x) {
			return int64(x.LowBits()), true
		}
		return 0, false
	}
	return 0, false
}

func (d *decReader) bigAt(j int, z *big.Int) *big.Int {
	if d.k == kD128 {
		x := b16ToNum(d.d.at(d.r.phys(j)))
		return z.Set(x.BigInt())
	}
	return z.SetInt64(d.i64.at(j))
}

func (c *compiler) compileDecDiv(e *expr.Call) (node, error) {
	le, re := e.Args[0], e.Args[1]
	for i, x := range []*expr.Expr{&le, &re} {
		if !types.IsDecimal((*x).Type()) {
			if !types.IsInteger((*x).Type()) {
				return nil, fmt.Errorf("%s: argument %d is %s, expected DECIMAL", e, i+1, types.SQLName((*x).Type()))
			}
			*x = &expr.Cast{E: *x, T: decType(types.IntegerPrecision((*x).Type()), 0)}
		}
	}
	l, err := c.operand(le)
	if err != nil {
		return nil, err
	}
	r, err := c.operand(re)
	if err != nil {
		return nil, err
	}
	_, s1, _ := types.DecimalParams(le.Type())
	_, s2, _ := types.DecimalParams(re.Type())
	pT, sT, _ := types.DecimalParams(e.T)
	return &decDivNode{l: l, r: r, lt: le.Type(), rt: re.Type(), t: e.T, e: e, mem: c.mem, k: int(sT - s1 + s2), prec: pT}, nil
}

// decDivNode computes round_half_away(a * 10^k / b) at the result scale,
// with a 128-by-64-bit fast path and a math/big fallback. Division by
// zero gives NULL.
type decDivNode struct {
	l, r   operand
	lt, rt arrow.DataType
	t      arrow.DataType
	e      expr.Expr
	mem    memory.Allocator
	k      int
	prec   int32
}

func (n *decDivNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, rr, err := resolve2(ctx, b, &n.l, &n.r, n.mem)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	defer rr.release()
	cnt := b.NumRows()
	valid, nulls := combineValidity(n.mem, cnt, &lr, &rr)
	if valid == nil {
		valid = vec.NewValidity(n.mem, cnt)
	}
	vb := valid.Bytes()
	a, d := newDecReader(&lr, n.lt), newDecReader(&rr, n.rt)
	wide := physOf(n.t) == kD128
	var o64 *vec.Builder[int64]
	var o128 *buf128
	if wide {
		o128 = newBuf128(n.mem, cnt)
	} else {
		o64 = vec.NewBuilder[int64](n.mem, n.t, cnt)
	}
	fail := func() (arrow.Array, error) {
		if wide {
			o128.finish(n.t, valid, nulls).Release()
		} else {
			o64.SetValidity(valid, nulls)
			o64.Finish().Release()
		}
		return nil, outOfRange(n.t, n.e)
	}
	limit := pow10big[n.prec]
	var bx, by, bq, br big.Int
	for j := 0; j < cnt; j++ {
		if !bitutil.BitIsSet(vb, j) {
			continue
		}
		x, okx := a.int64At(j)
		y, oky := d.int64At(j)
		if oky && y == 0 {
			bitutil.ClearBit(vb, j)
			nulls++
			continue
		}
		if okx && oky && n.k >= 0 && n.k <= 19 {
			if q, ok := divRound64(x, y, n.k); ok {
				if !wide {
					if q.hi != 0 || q.lo > math.MaxInt64 || (n.prec < 19 && q.lo >= pow10u64[n.prec]) {
						return fail()
					}
					v := int64(q.lo)
					if q.neg {
						v = -v
					}
					o64.Values[j] = v
				} else {
					r := decimal128.New(int64(q.hi), q.lo)
					if q.neg {
						r = r.Negate()
					}
					if q.hi>>63 != 0 || !r.FitsInPrecision(n.prec) {
						return fail()
					}
					o128.V[j] = numTo16(r)
				}
				continue
			}
		}
		a.bigAt(j, &bx)
		d.bigAt(j, &by)
		if by.Sign() == 0 {
			bitutil.ClearBit(vb, j)
			nulls++
			continue
		}
		if n.k >= 0 {
			bx.Mul(&bx, pow10big[n.k])
		} else {
			by.Mul(&by, pow10big[-n.k])
		}
		roundDivBig(&bq, &br, &bx, &by)
		if bq.CmpAbs(limit) >= 0 {
			return fail()
		}
		if wide {
			o128.V[j] = numTo16(decimal128.FromBigInt(&bq))
		} else {
			o64.Values[j] = bq.Int64()
		}
	}
	if wide {
		return o128.finish(n.t, valid, nulls), nil
	}
	o64.SetValidity(valid, nulls)
	return o64.Finish(), nil
}

// roundDivBig sets q = round_half_away(x / y).
func roundDivBig(q, r, x, y *big.Int) {
	q.QuoRem(x, y, r) // truncated
	r.Abs(r)
	r.Lsh(r, 1)
	if r.CmpAbs(y) >= 0 {
		if (x.Sign() < 0) != (y.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
}

type u128q struct {
	hi, lo uint64
	neg    bool
}

// divRound64 computes round_half_away(x * 10^k / y) with 128-bit
// intermediate; ok is false if it needs the slow path.
func divRound64(x, y int64, k int) (u128q, bool) {
	neg := (x < 0) != (y < 0)
	ax, ay := absU(x), absU(y)
	hi, lo := bits.Mul64(ax, pow10u64[k])
	if k == 19 {
		return u128q{}, false
	}
	qhi := hi / ay
	rem := hi % ay
	qlo, r := bits.Div64(rem, lo, ay)
	// round half away from zero: r >= ay - r
	if r >= ay-r {
		qlo++
		if qlo == 0 {
			qhi++
		}
	}
	if qhi == 0 && qlo == 0 {
		neg = false
	}
	return u128q{hi: qhi, lo: qlo, neg: neg}, true
}

// compileDecMod computes a % b on decimals by bringing both to the
// result scale (MySQL: the sign follows the dividend; % 0 is NULL).
func (c *compiler) compileDecMod(e *expr.Call) (node, error) {
	_, sT, _ := types.DecimalParams(e.T)
	wide := decType(types.MaxDecimalPrecision, sT)
	l, err := c.operand(&expr.Cast{E: e.Args[0], T: wide})
	if err != nil {
		return nil, err
	}
	r, err := c.operand(&expr.Cast{E: e.Args[1], T: wide})
	if err != nil {
		return nil, err
	}
	return &decModNode{l: l, r: r, wt: wide, t: e.T, e: e, mem: c.mem}, nil
}

type decModNode struct {
	l, r  operand
	wt, t arrow.DataType
	e     expr.Expr
	mem   memory.Allocator
}

func (n *decModNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, rr, err := resolve2(ctx, b, &n.l, &n.r, n.mem)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	defer rr.release()
	cnt := b.NumRows()
	vals := make([]any, cnt)
	a, d := newDecReader(&lr, n.wt), newDecReader(&rr, n.wt)
	var x, y, q, m big.Int
	pT, _, _ := types.DecimalParams(n.t)
	for j := 0; j < cnt; j++ {
		if !lr.valid(j) || !rr.valid(j) {
			continue
		}
		a.bigAt(j, &x)
		d.bigAt(j, &y)
		if y.Sign() == 0 {
			continue
		}
		q.QuoRem(&x, &y, &m)
		if m.CmpAbs(pow10big[pT]) >= 0 {
			return nil, outOfRange(n.t, n.e)
		}
		if physOf(n.t) == kD128 {
			vals[j] = decimal128.FromBigInt(&m)
		} else {
			vals[j] = m.Int64()
		}
	}
	return vec.FromValues(n.mem, n.t, vals)
}

// wideDecNode is decimal64 (+|-|*) decimal64 -> decimal128: exact 128-bit
// results straight from the int64 inputs (no per-row conversions). The
// precision check only runs when the result type is narrower than the
// worst case of its inputs.
type wideDecNode struct {
	fn        string
	l, r      operand
	t         arrow.DataType
	e         expr.Expr
	mem       memory.Allocator
	checkPrec bool
	prec      int32
}

// smul128 is the exact signed 64x64 -> 128 product.
func smul128(x, y int64) vec.Bytes16 {
	hi, lo := bits.Mul64(uint64(x), uint64(y))
	hi -= uint64((x >> 63) & y)
	hi -= uint64((y >> 63) & x)
	return vec.Bytes16{Lo: lo, Hi: hi}
}

// sadd128 is the exact signed 64+64 -> 128 sum.
func sadd128(x, y int64) vec.Bytes16 {
	lo, carry := bits.Add64(uint64(x), uint64(y), 0)
	hi := uint64(x>>63) + uint64(y>>63) + carry
	return vec.Bytes16{Lo: lo, Hi: hi}
}

func (n *wideDecNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, rr, err := resolve2(ctx, b, &n.l, &n.r, n.mem)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	defer rr.release()
	cnt := b.NumRows()
	valid, nulls := combineValidity(n.mem, cnt, &lr, &rr)
	out := newBuf128(n.mem, cnt)
	a, bv := fixedView[int64](&lr), fixedView[int64](&rr)
	o := out.V
	dense := a.v != nil && bv.v != nil && a.sel == nil && bv.sel == nil
	switch n.fn {
	case "*":
		if dense {
			x, y := a.v[:len(o)], bv.v[:len(o)]
			for j := range o {
				o[j] = smul128(x[j], y[j])
			}
		} else {
			for j := range o {
				o[j] = smul128(a.at(j), bv.at(j))
			}
		}
	case "+":
		if dense {
			x, y := a.v[:len(o)], bv.v[:len(o)]
			for j := range o {
				o[j] = sadd128(x[j], y[j])
			}
		} else {
			for j := range o {
				o[j] = sadd128(a.at(j), bv.at(j))
			}
		}
	case "-":
		for j := range o {
			x, y := a.at(j), bv.at(j)
			if y == math.MinInt64 {
				r := sadd128(x, math.MaxInt64)
				lo, c := bits.Add64(r.Lo, 1, 0)
				o[j] = vec.Bytes16{Lo: lo, Hi: r.Hi + c}
			} else {
				o[j] = sadd128(x, -y)
			}
		}
	}
	if n.checkPrec {
		for j := range o {
			if valid != nil && !bitutil.BitIsSet(valid.Bytes(), j) {
				continue
			}
			if !b16ToNum(o[j]).FitsInPrecision(n.prec) {
				out.finish(n.t, valid, nulls).Release()
				return nil, outOfRange(n.t, n.e)
			}
		}
	}
	return out.finish(n.t, valid, nulls), nil
}
