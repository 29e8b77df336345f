package planner

import (
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
)

// This file holds tarn's implicit typing rules (documented in
// docs/SQL.md). Every rule inserts explicit casts so that the kernel
// contract on expr.Call holds exactly.

func isNullType(t arrow.DataType) bool { return t.ID() == arrow.NULL }

// intLitDigits returns the number of decimal digits of an integer
// literal (a literal takes only the precision its value needs).
func intLitDigits(e expr.Expr) (int32, bool) {
	l, ok := e.(*expr.Literal)
	if !ok || !types.IsInteger(l.T) || l.Value == nil {
		return 0, false
	}
	v := l.Value.(int64)
	n := int32(len(new(big.Int).Abs(big.NewInt(v)).String()))
	return n, true
}

// decParams returns the decimal precision and scale an exact operand is
// treated as (integers as DECIMAL(IntegerPrecision, 0), integer
// literals as DECIMAL(digits, 0)).
func decParams(e expr.Expr) (int32, int32) {
	t := e.Type()
	if p, s, ok := types.DecimalParams(t); ok {
		return p, s
	}
	if d, ok := intLitDigits(e); ok {
		return d, 0
	}
	if t.ID() == arrow.BOOL {
		return 1, 0
	}
	return types.IntegerPrecision(t), 0
}

// widerInt returns the wider of two integer types.
func widerInt(a, b arrow.DataType) arrow.DataType {
	if types.IntegerPrecision(a) >= types.IntegerPrecision(b) {
		return a
	}
	return b
}

// castTo converts e to t: literals are converted now (a bad literal is
// an error), parameters of unknown type take t, anything else gets an
// explicit Cast.
func (b *binder) castTo(e expr.Expr, t arrow.DataType) (expr.Expr, error) {
	if arrow.TypeEqual(e.Type(), t) {
		return e, nil
	}
	switch x := e.(type) {
	case *expr.Literal:
		c, err := logical.CastLit(x, t)
		if err != nil {
			return nil, newErr(CodeOther, "%s", err.Error())
		}
		return c, nil
	case *expr.Param:
		if b.inferParam(x, t) {
			return x, nil
		}
	}
	return &expr.Cast{E: e, T: t}, nil
}

// inferParam gives a parameter of unknown type the type t.
func (b *binder) inferParam(p *expr.Param, t arrow.DataType) bool {
	if b.params != nil && p.Index < len(b.params) && b.params[p.Index] != nil {
		return false
	}
	if b.paramSet == nil {
		b.paramSet = map[int]bool{}
	}
	if b.paramSet[p.Index] {
		return false
	}
	b.paramSet[p.Index] = true
	p.T = t
	return true
}

func asBool(b *binder, e expr.Expr) (expr.Expr, error) {
	t := e.Type()
	if t.ID() == arrow.BOOL {
		return e, nil
	}
	if isNullType(t) {
		return b.castTo(e, types.Boolean)
	}
	if types.IsNumeric(t) {
		zero, err := b.castTo(logical.Lit(int64(0), types.Int64), t)
		if err != nil {
			return nil, err
		}
		return &expr.Call{Fn: "<>", Args: []expr.Expr{e, zero}, T: types.Boolean}, nil
	}
	return b.castTo(e, types.Boolean)
}

// numericOperand converts a non-numeric operand of arithmetic to a number
// (MySQL converts strings to DOUBLE, booleans to integers).
func (b *binder) numericOperand(e expr.Expr) (expr.Expr, error) {
	t := e.Type()
	switch {
	case types.IsNumeric(t):
		return e, nil
	case t.ID() == arrow.BOOL:
		return b.castTo(e, types.Int64)
	case isNullType(t):
		return b.castTo(e, types.Int64)
	case types.IsString(t):
		return b.castTo(e, types.Float64)
	}
	return nil, newErr(CodeOther, "arithmetic on %s is not supported", types.SQLName(t))
}

// decimalOf returns e converted to a decimal with scale s and the given
// physical width (wide=true: Decimal128).
func (b *binder) decimalWith(e expr.Expr, s int32, wide bool) (expr.Expr, error) {
	p, es := decParams(e)
	np := p - es + s
	if wide {
		np = max(np, types.MaxDecimal64Precision+1)
	} else if np > types.MaxDecimal64Precision {
		np = types.MaxDecimal64Precision
	}
	np = min(max(np, s, 1), types.MaxDecimalPrecision)
	if cur, cs, ok := types.DecimalParams(e.Type()); ok && cs == s && (cur > types.MaxDecimal64Precision) == wide {
		return e, nil
	}
	return b.castTo(e, types.Decimal(np, s))
}

func isWide(t arrow.DataType) bool { return t.ID() == arrow.DECIMAL128 }

// arith binds l op r for op in + - * / % div.
func (b *binder) arith(op string, l, r expr.Expr) (expr.Expr, error) {
	var err error
	if isNullType(l.Type()) && isNullType(r.Type()) {
		return logical.Lit(nil, types.Int64), nil
	}
	if isNullType(l.Type()) {
		if l, err = b.castTo(l, r.Type()); err != nil {
			return nil, err
		}
	}
	if isNullType(r.Type()) {
		if r, err = b.castTo(r, l.Type()); err != nil {
			return nil, err
		}
	}
	if l, err = b.numericOperand(l); err != nil {
		return nil, err
	}
	if r, err = b.numericOperand(r); err != nil {
		return nil, err
	}
	lt, rt := l.Type(), r.Type()
	call := func(t arrow.DataType, a, c expr.Expr) (expr.Expr, error) {
		return &expr.Call{Fn: op, Args: []expr.Expr{a, c}, T: t}, nil
	}
	if op == "div" {
		if l, err = b.castTo(l, types.Int64); err != nil {
			return nil, err
		}
		if r, err = b.castTo(r, types.Int64); err != nil {
			return nil, err
		}
		return call(types.Int64, l, r)
	}
	if types.IsFloat(lt) || types.IsFloat(rt) {
		if l, err = b.castTo(l, types.Float64); err != nil {
			return nil, err
		}
		if r, err = b.castTo(r, types.Float64); err != nil {
			return nil, err
		}
		return call(types.Float64, l, r)
	}
	if types.IsInteger(lt) && types.IsInteger(rt) && op != "/" {
		t := widerInt(lt, rt)
		if l, err = b.castTo(l, t); err != nil {
			return nil, err
		}
		if r, err = b.castTo(r, t); err != nil {
			return nil, err
		}
		return call(t, l, r)
	}
	// Exact decimal arithmetic.
	p1, s1 := decParams(l)
	p2, s2 := decParams(r)
	narrow := p1 <= types.MaxDecimal64Precision && p2 <= types.MaxDecimal64Precision
	switch op {
	case "+", "-", "%":
		s := max(s1, s2)
		p := max(p1-s1, p2-s2) + s + 1
		if op == "%" {
			p = max(p1-s1, p2-s2) + s
		}
		var t arrow.DataType
		if narrow && p > types.MaxDecimal64Precision {
			t = types.Decimal(types.MaxDecimal64Precision, s)
		} else {
			t = types.Decimal(min(p, types.MaxDecimalPrecision), s)
		}
		wide := isWide(t)
		if l, err = b.decimalWith(l, s, wide); err != nil {
			return nil, err
		}
		if r, err = b.decimalWith(r, s, wide); err != nil {
			return nil, err
		}
		return call(t, l, r)
	case "*":
		s := s1 + s2
		p := p1 + p2
		var t arrow.DataType
		if narrow && p > types.MaxDecimal64Precision && s <= types.MaxDecimal64Precision {
			t = types.Decimal(types.MaxDecimal64Precision, s)
		} else {
			t = types.Decimal(min(p, types.MaxDecimalPrecision), min(s, types.MaxDecimalPrecision))
		}
		wide := isWide(t)
		if l, err = b.decimalWith(l, s1, wide); err != nil {
			return nil, err
		}
		if r, err = b.decimalWith(r, s2, wide); err != nil {
			return nil, err
		}
		return call(t, l, r)
	case "/":
		s := min(s1+4, types.MaxDecimalPrecision)
		p := min(p1-s1+s2+s, types.MaxDecimalPrecision)
		p = max(p, min(s+1, types.MaxDecimalPrecision))
		t := types.Decimal(p, s)
		wide := !narrow
		if l, err = b.decimalWith(l, s1, wide); err != nil {
			return nil, err
		}
		if r, err = b.decimalWith(r, s2, wide); err != nil {
			return nil, err
		}
		return call(t, l, r)
	}
	return nil, newErr(CodeOther, "unknown operator %s", op)
}

// commonNumeric returns the type two numeric operands are compared or
// unified in.
func commonNumeric(es []expr.Expr) arrow.DataType {
	var anyFloat, anyDec bool
	var intT arrow.DataType
	for _, e := range es {
		t := e.Type()
		switch {
		case types.IsFloat(t):
			anyFloat = true
		case types.IsDecimal(t):
			anyDec = true
		case types.IsInteger(t):
			if _, lit := intLitDigits(e); lit && len(es) > 1 {
				continue // literals adapt
			}
			if intT == nil {
				intT = t
			} else {
				intT = widerInt(intT, t)
			}
		}
	}
	if anyFloat {
		return types.Float64
	}
	if !anyDec {
		if intT == nil {
			return types.Int64
		}
		// integer literals must fit the column type
		for _, e := range es {
			if l, ok := e.(*expr.Literal); ok && types.IsInteger(l.T) && l.Value != nil {
				if _, ok := logical.ExactCast(l, intT); !ok {
					return types.Int64
				}
			}
		}
		return intT
	}
	var intDigits, s int32
	for _, e := range es {
		p, sc := decParams(e)
		intDigits = max(intDigits, p-sc)
		s = max(s, sc)
	}
	return types.Decimal(min(intDigits+s, types.MaxDecimalPrecision), s)
}

// compare binds l op r for comparison operators.
func (b *binder) compare(op string, l, r expr.Expr) (expr.Expr, error) {
	l2, r2, err := b.comparable(l, r)
	if err != nil {
		return nil, err
	}
	return &expr.Call{Fn: op, Args: []expr.Expr{l2, r2}, T: types.Boolean}, nil
}

// comparable converts l and r to one type for comparison.
func (b *binder) comparable(l, r expr.Expr) (expr.Expr, expr.Expr, error) {
	lt, rt := l.Type(), r.Type()
	if isNested(lt) {
		return nil, nil, nestedCompareError(l, "compare")
	}
	if isNested(rt) {
		return nil, nil, nestedCompareError(r, "compare")
	}
	if arrow.TypeEqual(lt, rt) {
		return l, r, nil
	}
	conv := func(t arrow.DataType) (expr.Expr, expr.Expr, error) {
		a, err := b.castTo(l, t)
		if err != nil {
			return nil, nil, err
		}
		c, err := b.castTo(r, t)
		if err != nil {
			return nil, nil, err
		}
		return a, c, nil
	}
	_, lLit := l.(*expr.Literal)
	_, rLit := r.(*expr.Literal)
	lParam := b.adaptable(l)
	rParam := b.adaptable(r)
	switch {
	case isNullType(lt) || lParam && !rParam:
		return conv(rt)
	case isNullType(rt) || rParam && !lParam:
		return conv(lt)
	}
	// A literal is compared in the other side's type when that loses nothing.
	if lLit != rLit {
		lit, other := l, r
		if rLit {
			lit, other = r, l
		}
		ll := lit.(*expr.Literal)
		ot := other.Type()
		if types.IsString(ll.T) && (ot.ID() == arrow.DATE32 || ot.ID() == arrow.TIMESTAMP || ot.ID() == arrow.BOOL) {
			return conv(ot)
		}
		if types.IsString(ll.T) && types.IsNumeric(ot) {
			f, err := b.castTo(ll, types.Float64)
			if err != nil {
				return nil, nil, err
			}
			ll = f.(*expr.Literal)
		}
		if c, ok := logical.ExactCast(ll, ot); ok {
			if rLit {
				return l, c, nil
			}
			return c, r, nil
		}
		if rLit {
			r = ll
		} else {
			l = ll
		}
		lt, rt = l.Type(), r.Type()
	}
	switch {
	case types.IsNumeric(lt) && types.IsNumeric(rt):
		return conv(commonNumeric([]expr.Expr{l, r}))
	case (lt.ID() == arrow.DATE32 || lt.ID() == arrow.TIMESTAMP) && (rt.ID() == arrow.DATE32 || rt.ID() == arrow.TIMESTAMP):
		return conv(types.Timestamp)
	case (lt.ID() == arrow.DATE32 || lt.ID() == arrow.TIMESTAMP) && types.IsString(rt):
		return conv(lt)
	case (rt.ID() == arrow.DATE32 || rt.ID() == arrow.TIMESTAMP) && types.IsString(lt):
		return conv(rt)
	case types.IsString(lt) && types.IsNumeric(rt), types.IsNumeric(lt) && types.IsString(rt):
		return conv(types.Float64)
	case lt.ID() == arrow.BOOL && types.IsNumeric(rt):
		a, err := b.castTo(l, types.Int64)
		if err != nil {
			return nil, nil, err
		}
		l = a
		return b.comparable(l, r)
	case rt.ID() == arrow.BOOL && types.IsNumeric(lt):
		c, err := b.castTo(r, types.Int64)
		if err != nil {
			return nil, nil, err
		}
		return b.comparable(l, c)
	case types.IsString(lt) && types.IsString(rt):
		return conv(types.String)
	}
	return nil, nil, newErr(CodeOther, "cannot compare %s with %s", types.SQLName(lt), types.SQLName(rt))
}

// unify returns the common type of CASE branches, COALESCE arguments,
// IN lists and UNION columns, and casts every expression to it.
func (b *binder) unify(es []expr.Expr) ([]expr.Expr, arrow.DataType, error) {
	var nonNull []expr.Expr
	for _, e := range es {
		if !isNullType(e.Type()) {
			nonNull = append(nonNull, e)
		}
	}
	var t arrow.DataType
	switch {
	case len(nonNull) == 0:
		t = types.Null
	default:
		t = nonNull[0].Type()
		same := true
		for _, e := range nonNull[1:] {
			if !arrow.TypeEqual(e.Type(), t) {
				same = false
			}
		}
		if !same {
			var anyStr, anyTime, anyTS, allNum bool
			allNum = true
			for _, e := range nonNull {
				et := e.Type()
				switch {
				case types.IsString(et):
					anyStr = true
				case et.ID() == arrow.DATE32:
					anyTime = true
				case et.ID() == arrow.TIMESTAMP:
					anyTime, anyTS = true, true
				}
				if !types.IsNumeric(et) && et.ID() != arrow.BOOL {
					allNum = false
				}
			}
			switch {
			case anyStr:
				t = types.String
			case anyTime && !allNum:
				if anyTS {
					t = types.Timestamp
				} else {
					t = types.Date
				}
				for _, e := range nonNull {
					if et := e.Type(); et.ID() != arrow.DATE32 && et.ID() != arrow.TIMESTAMP {
						return nil, nil, newErr(CodeOther, "cannot combine %s with %s", types.SQLName(t), types.SQLName(et))
					}
				}
			case allNum:
				var ns []expr.Expr
				for _, e := range nonNull {
					if e.Type().ID() == arrow.BOOL {
						e = &expr.Cast{E: e, T: types.Int64}
					}
					ns = append(ns, e)
				}
				t = commonNumeric(ns)
			default:
				return nil, nil, newErr(CodeOther, "cannot combine types %s and %s", types.SQLName(nonNull[0].Type()), types.SQLName(nonNull[1].Type()))
			}
		}
	}
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		c, err := b.castTo(e, t)
		if err != nil {
			return nil, nil, err
		}
		out[i] = c
	}
	return out, t, nil
}

// adaptable reports whether e is a parameter whose type is not fixed yet.
func (b *binder) adaptable(e expr.Expr) bool {
	p, ok := e.(*expr.Param)
	if !ok {
		return false
	}
	if b.params != nil && p.Index < len(b.params) && b.params[p.Index] != nil {
		return false
	}
	return !b.paramSet[p.Index]
}
