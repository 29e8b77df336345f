package eval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// Math functions (MySQL): sqrt/ln/log10 of values outside their domain
// give NULL; power/exp overflowing DOUBLE is an error; round rounds half
// away from zero (also for doubles, as MySQL does for exact values);
// round/floor/ceil of decimals produce the result type's scale; abs of
// the most negative integer is an error; greatest/least are NULL when
// any argument is NULL.

func (c *compiler) compileMath(e *expr.Call) (node, error) {
	switch e.Fn {
	case "mod":
		return c.compileArith(&expr.Call{Fn: "%", Args: e.Args, T: e.T})
	case "greatest", "least":
		return c.compileGreatest(e)
	}
	t := e.T
	want := func(i int, tt arrow.DataType) expr.Expr {
		return coerce(e.Args[i], tt)
	}
	n := &mathNode{fn: e.Fn, t: t, e: e, mem: c.mem}
	var args []expr.Expr
	switch e.Fn {
	case "sqrt", "ln", "log10", "exp":
		if len(e.Args) != 1 {
			return nil, fmt.Errorf("%s: expected 1 argument", e)
		}
		args = []expr.Expr{want(0, types.Float64)}
		n.domain = 'f'
	case "power":
		if len(e.Args) != 2 {
			return nil, fmt.Errorf("%s: expected 2 arguments", e)
		}
		args = []expr.Expr{want(0, types.Float64), want(1, types.Float64)}
		n.domain = 'f'
	case "abs", "floor", "ceil", "sign", "round":
		if len(e.Args) < 1 || len(e.Args) > 2 || (len(e.Args) == 2 && e.Fn != "round") {
			return nil, fmt.Errorf("%s: wrong number of arguments", e)
		}
		at := e.Args[0].Type()
		switch {
		case types.IsFloat(at):
			args = []expr.Expr{want(0, types.Float64)}
			n.domain = 'f'
		case types.IsInteger(at):
			args = []expr.Expr{want(0, types.Int64)}
			n.domain = 'i'
		case types.IsDecimal(at):
			args = []expr.Expr{e.Args[0]}
			n.domain = 'd'
			_, n.s1, _ = types.DecimalParams(at)
		default:
			return nil, fmt.Errorf("%s: argument is %s, expected a number", e, types.SQLName(at))
		}
		if len(e.Args) == 2 {
			args = append(args, want(1, types.Int64))
		}
	default:
		return nil, fmt.Errorf("unknown function %q in %s", e.Fn, e)
	}
	switch {
	case types.IsFloat(t), types.IsInteger(t), types.IsDecimal(t):
	default:
		return nil, fmt.Errorf("%s: result type %s is not numeric", e, types.SQLName(t))
	}
	for _, a := range args {
		o, err := c.operand(a)
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, o)
		n.argT = append(n.argT, a.Type())
	}
	return n, nil
}

type mathNode struct {
	fn     string
	domain byte // argument domain: 'f' double, 'i' bigint, 'd' decimal
	s1     int32
	args   []operand
	argT   []arrow.DataType
	t      arrow.DataType
	e      expr.Expr
	mem    memory.Allocator
}

// mathVal is one row's result in the union of domains.
type mathVal struct {
	f  float64
	i  int64
	z  *big.Int // decimals (unscaled at the result scale)
	ok bool     // false: NULL
}

func (n *mathNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	rops := make([]rop, len(n.args))
	ptrs := make([]*rop, len(n.args))
	defer func() {
		for i := range rops {
			rops[i].release()
		}
	}()
	for i := range n.args {
		r, err := n.args[i].resolve(ctx, b)
		if err != nil {
			return nil, err
		}
		rops[i] = r
		ptrs[i] = &rops[i]
	}
	valid, nulls := combineValidity(n.mem, cnt, ptrs...)
	if valid == nil {
		valid = vec.NewValidity(n.mem, cnt)
	}
	vb := valid.Bytes()
	var digits view[int64]
	hasDigits := len(rops) == 2 && n.fn == "round"
	if hasDigits {
		digits = fixedView[int64](&rops[1])
	}
	// result builders
	var f64 []float64
	var i64 []int64
	var dout *decOut
	switch {
	case types.IsFloat(n.t):
		f64 = make([]float64, cnt)
	case types.IsInteger(n.t):
		i64 = make([]int64, cnt)
	default:
		dout = newDecOut(n.mem, n.t, cnt)
	}
	fail := func(err error) (arrow.Array, error) {
		valid.Release()
		if dout != nil {
			dout.discard()
		}
		return nil, err
	}
	sT := scaleOf(n.t)
	var fv view[float64]
	var iv view[int64]
	var dr *decReader
	switch n.domain {
	case 'f':
		fv = fixedView[float64](&rops[0])
	case 'i':
		iv = fixedView[int64](&rops[0])
	case 'd':
		dr = newDecReader(&rops[0], n.argT[0])
	}
	var z big.Int
	for j := 0; j < cnt; j++ {
		if !bitutil.BitIsSet(vb, j) {
			continue
		}
		var d int64
		if hasDigits {
			d = digits.at(j)
		}
		var res mathVal
		var err error
		switch n.domain {
		case 'f':
			var y float64
			if len(rops) == 2 && n.fn == "power" {
				yv := fixedView[float64](&rops[1])
				y = yv.at(j)
			}
			res, err = n.floatRow(fv.at(j), y, d)
		case 'i':
			res, err = n.intRow(iv.at(j), d)
		case 'd':
			res, err = n.decRow(dr, j, d, sT, &z)
		}
		if err != nil {
			return fail(err)
		}
		if !res.ok {
			bitutil.ClearBit(vb, j)
			nulls++
			continue
		}
		switch {
		case f64 != nil:
			if res.z != nil {
				f64[j], _ = new(big.Float).SetInt(res.z).Float64()
			} else if n.domain == 'f' {
				f64[j] = res.f
			} else {
				f64[j] = float64(res.i)
			}
		case i64 != nil:
			switch {
			case n.domain == 'f':
				if math.IsNaN(res.f) || res.f >= 9.223372036854775807e18 || res.f < -9.223372036854775808e18 {
					return fail(outOfRange(n.t, n.e))
				}
				i64[j] = int64(res.f)
			case res.z != nil:
				if !res.z.IsInt64() {
					return fail(outOfRange(n.t, n.e))
				}
				i64[j] = res.z.Int64()
			default:
				i64[j] = res.i
			}
			lo, hi := intRange(n.t)
			if i64[j] < lo || i64[j] > hi {
				return fail(outOfRange(n.t, n.e))
			}
		default:
			var ok bool
			switch {
			case res.z != nil:
				ok = dout.setBig(j, res.z)
			case n.domain == 'f':
				bf := new(big.Float).SetFloat64(res.f)
				bf.Mul(bf, new(big.Float).SetInt(pow10big[sT]))
				zz, _ := bf.Int(nil)
				ok = dout.setBig(j, zz)
			default:
				zz := big.NewInt(res.i)
				rescaleBig(zz, sT)
				ok = dout.setBig(j, zz)
			}
			if !ok {
				return fail(outOfRange(n.t, n.e))
			}
		}
	}
	switch {
	case f64 != nil:
		if n.t.ID() == arrow.FLOAT32 {
			bld := vec.NewBuilder[float32](n.mem, n.t, cnt)
			for i, v := range f64 {
				bld.Values[i] = float32(v)
			}
			bld.SetValidity(valid, nulls)
			return bld.Finish(), nil
		}
		bld := vec.NewBuilder[float64](n.mem, n.t, cnt)
		copy(bld.Values, f64)
		bld.SetValidity(valid, nulls)
		return bld.Finish(), nil
	case i64 != nil:
		return buildInts(n.mem, n.t, i64, valid, nulls), nil
	}
	return dout.finish(valid, nulls), nil
}

func roundFloat(x float64, d int64) float64 {
	if d == 0 {
		return math.Round(x)
	}
	if d > 308 || d < -308 {
		if d > 0 {
			return x
		}
		return 0
	}
	p := math.Pow10(int(d))
	r := math.Round(x*p) / p
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return x
	}
	return r
}

func (n *mathNode) floatRow(x, y float64, d int64) (mathVal, error) {
	var r float64
	switch n.fn {
	case "abs":
		r = math.Abs(x)
	case "floor":
		r = math.Floor(x)
	case "ceil":
		r = math.Ceil(x)
	case "round":
		r = roundFloat(x, d)
	case "sign":
		switch {
		case x > 0:
			r = 1
		case x < 0:
			r = -1
		}
	case "sqrt":
		if x < 0 {
			return mathVal{}, nil
		}
		r = math.Sqrt(x)
	case "ln":
		if x <= 0 {
			return mathVal{}, nil
		}
		r = math.Log(x)
	case "log10":
		if x <= 0 {
			return mathVal{}, nil
		}
		r = math.Log10(x)
	case "exp":
		r = math.Exp(x)
		if math.IsInf(r, 0) && !math.IsInf(x, 0) {
			return mathVal{}, outOfRange(types.Float64, n.e)
		}
	case "power":
		r = math.Pow(x, y)
		if math.IsNaN(r) && !math.IsNaN(x) && !math.IsNaN(y) {
			return mathVal{}, nil // e.g. negative base, fractional exponent
		}
		if math.IsInf(r, 0) && !math.IsInf(x, 0) && !math.IsInf(y, 0) {
			if x == 0 {
				return mathVal{}, nil // 0 to a negative power
			}
			return mathVal{}, outOfRange(types.Float64, n.e)
		}
	}
	return mathVal{f: r, ok: true}, nil
}

func (n *mathNode) intRow(x, d int64) (mathVal, error) {
	switch n.fn {
	case "abs":
		if x == math.MinInt64 {
			return mathVal{}, outOfRange(n.t, n.e)
		}
		if x < 0 {
			x = -x
		}
	case "sign":
		switch {
		case x > 0:
			x = 1
		case x < 0:
			x = -1
		}
	case "round":
		if d < 0 {
			q, _ := rescale64(x, int32(max(d, -19)))
			r, ok := rescale64(q, int32(min(-d, 19)))
			if !ok {
				return mathVal{}, outOfRange(n.t, n.e)
			}
			x = r
		}
	}
	return mathVal{i: x, ok: true}, nil
}

// decRow computes one decimal row; results are unscaled at scale sT
// (sign returns a plain integer).
func (n *mathNode) decRow(dr *decReader, j int, d int64, sT int32, z *big.Int) (mathVal, error) {
	dr.bigAt(j, z)
	s1 := n.s1
	switch n.fn {
	case "sign":
		return mathVal{i: int64(z.Sign()), ok: true}, nil
	case "abs":
		z.Abs(z)
		rescaleBig(z, sT-s1)
	case "floor", "ceil":
		if sT < s1 {
			p := pow10big[s1-sT]
			var m big.Int
			z.DivMod(z, p, &m) // Euclidean: floor for positive divisor
			if n.fn == "ceil" && m.Sign() != 0 {
				z.Add(z, big.NewInt(1))
			}
		} else {
			rescaleBig(z, sT-s1)
		}
	case "round":
		if d < int64(s1) {
			if d < -38 {
				d = -38
			}
			rescaleBig(z, int32(d)-s1) // round at d digits
			rescaleBig(z, sT-int32(d))
		} else {
			rescaleBig(z, sT-s1)
		}
	}
	return mathVal{z: new(big.Int).Set(z), ok: true}, nil
}

// greatestNode is GREATEST / LEAST over arguments of one type.
type greatestNode struct {
	least bool
	args  []operand
	t     arrow.DataType
	mem   memory.Allocator
}

func (c *compiler) compileGreatest(e *expr.Call) (node, error) {
	if len(e.Args) == 0 {
		return nil, fmt.Errorf("%s: needs arguments", e)
	}
	if physOf(e.T) == kOther || physOf(e.T) == kNull {
		return nil, fmt.Errorf("%s: unsupported type %s", e, types.SQLName(e.T))
	}
	n := &greatestNode{least: e.Fn == "least", t: e.T, mem: c.mem}
	for _, a := range e.Args {
		o, err := c.operand(coerce(a, e.T))
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, o)
	}
	if len(n.args) == 1 {
		return n.args[0].n, nil
	}
	return n, nil
}

func (n *greatestNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	arrs := make([]arrow.Array, 0, len(n.args))
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	for _, o := range n.args {
		a, err := o.n.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
	}
	// winner[j] = index into the concatenation, -1 for NULL
	idx := make([]int32, cnt)
	better := n.better(arrs)
	for j := 0; j < cnt; j++ {
		w := 0
		null := false
		for k, a := range arrs {
			if a.IsNull(j) {
				null = true
				break
			}
			if k > 0 && better(k, w, j) {
				w = k
			}
		}
		if null {
			idx[j] = -1
		} else {
			idx[j] = int32(w*cnt + j)
		}
	}
	all, err := vec.Concat(n.mem, arrs)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return vec.Take(n.mem, all, idx), nil
}

// better reports whether argument k beats argument w at row j.
func (n *greatestNode) better(arrs []arrow.Array) func(k, w, j int) bool {
	sign := 1
	if n.least {
		sign = -1
	}
	switch physOf(n.t) {
	case kStr:
		return func(k, w, j int) bool {
			ok, od := vec.StringParts(arrs[k])
			wo, wd := vec.StringParts(arrs[w])
			return bytes.Compare(od[ok[j]:ok[j+1]], wd[wo[j]:wo[j+1]])*sign > 0
		}
	case kD128:
		return func(k, w, j int) bool {
			return cmp16(vec.Values16(arrs[k])[j], vec.Values16(arrs[w])[j])*sign > 0
		}
	case kBool:
		return func(k, w, j int) bool {
			x, y := boolAt(&rop{arr: arrs[k]})(j), boolAt(&rop{arr: arrs[w]})(j)
			return (b2i(x)-b2i(y))*sign > 0
		}
	case kF32, kF64:
		return func(k, w, j int) bool {
			x, y := floatAt(arrs[k], j), floatAt(arrs[w], j)
			return (x > y && sign > 0) || (x < y && sign < 0)
		}
	}
	return func(k, w, j int) bool {
		x, y := intAt(arrs[k], j), intAt(arrs[w], j)
		return (x > y && sign > 0) || (x < y && sign < 0)
	}
}

func floatAt(a arrow.Array, j int) float64 {
	if a.DataType().ID() == arrow.FLOAT32 {
		return float64(vec.Values[float32](a)[j])
	}
	return vec.Values[float64](a)[j]
}

func intAt(a arrow.Array, j int) int64 {
	switch physOf(a.DataType()) {
	case kI8:
		return int64(vec.Values[int8](a)[j])
	case kI16:
		return int64(vec.Values[int16](a)[j])
	case kI32:
		return int64(vec.Values[int32](a)[j])
	}
	return vec.Values[int64](a)[j]
}
