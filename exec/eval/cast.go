package eval

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// CAST rules:
//   - ints <-> ints: range checked (overflow is an error).
//   - ints/decimals/floats <-> each other: decimal rescaling and float ->
//     int/decimal round half away from zero; overflow (including the
//     target decimal's precision) is an error; NaN/Inf to an exact type
//     is an error.
//   - anything -> VARCHAR: decimals at their scale, dates YYYY-MM-DD,
//     timestamps 'YYYY-MM-DD HH:MM:SS[.ffffff]', booleans 'true'/'false',
//     doubles in shortest round-trip form.
//   - VARCHAR -> int/decimal/double/date/timestamp/boolean: the value is
//     trimmed; a bad value is an error quoting it.
//   - DATE <-> TIMESTAMP (timestamp -> date drops the time of day);
//     BOOLEAN <-> numbers (non-zero is TRUE).

type castFn func(c *castNode, a arrow.Array) (arrow.Array, error)

type castNode struct {
	arg      node
	from, to arrow.DataType
	fn       castFn
	e        *expr.Cast
	mem      memory.Allocator
}

func (c *compiler) compileCast(e *expr.Cast) (node, error) {
	from, to := e.E.Type(), e.T
	arg, err := c.compile(e.E)
	if err != nil {
		return nil, err
	}
	if arrow.TypeEqual(from, to) {
		return arg, nil
	}
	if vec.IsNestedType(from) && types.IsString(to) {
		// nested values convert to their JSON text (nested.go)
		return c.compileNested(&expr.Call{Fn: "to_json", Args: []expr.Expr{e.E}, T: to})
	}
	if from.ID() == arrow.NULL {
		return &constNode{t: to, mem: c.mem}, nil
	}
	if k, ok := isConst(arg); ok && k.v == nil {
		return &constNode{t: to, mem: c.mem}, nil
	}
	fn, err := chooseCast(from, to)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", e, err)
	}
	n := &castNode{arg: arg, from: from, to: to, fn: fn, e: e, mem: c.mem}
	if k, ok := isConst(arg); ok {
		// fold constant casts at compile time (errors surface now)
		a := constArray(c.mem, from, k.v, 1)
		defer a.Release()
		r, err := fn(n, a)
		if err != nil {
			return nil, err
		}
		defer r.Release()
		return &constNode{t: to, v: vec.Value(r, 0), mem: c.mem}, nil
	}
	return n, nil
}

func (n *castNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	a, err := n.arg.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	return n.fn(n, a)
}

func (n *castNode) rangeErr() error { return outOfRange(n.to, n.e) }

func (n *castNode) parseErr(s string) error {
	return fmt.Errorf("cannot cast '%s' to %s", s, types.SQLName(n.to))
}

func isIntLike(t arrow.DataType) bool { return types.IsInteger(t) || t.ID() == arrow.BOOL }

func chooseCast(from, to arrow.DataType) (castFn, error) {
	fk, tk := from.ID(), to.ID()
	switch {
	case types.IsString(to):
		return castToString, nil
	case types.IsString(from):
		switch {
		case types.IsInteger(to), types.IsFloat(to), types.IsDecimal(to), tk == arrow.DATE32, tk == arrow.TIMESTAMP, tk == arrow.BOOL:
			return castFromString, nil
		}
	case tk == arrow.BOOL:
		if types.IsNumeric(from) {
			return castToBool, nil
		}
	case isIntLike(from) && types.IsInteger(to):
		return castIntToInt, nil
	case (isIntLike(from) || types.IsDecimal(from)) && types.IsDecimal(to):
		return castToDecimal, nil
	case types.IsDecimal(from) && types.IsInteger(to):
		return castDecimalToInt, nil
	case types.IsNumeric(from) && types.IsFloat(to), fk == arrow.BOOL && types.IsFloat(to):
		return castToFloat, nil
	case types.IsFloat(from) && (types.IsInteger(to) || types.IsDecimal(to)):
		return castFloatToExact, nil
	case fk == arrow.DATE32 && tk == arrow.TIMESTAMP:
		return castDateToTS, nil
	case fk == arrow.TIMESTAMP && tk == arrow.DATE32:
		return castTSToDate, nil
	}
	return nil, fmt.Errorf("cannot cast %s to %s", types.SQLName(from), types.SQLName(to))
}

// validityOf copies a's validity bitmap (nil when it has no nulls).
func validityOf(mem memory.Allocator, a arrow.Array) (*memory.Buffer, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	n := a.Len()
	buf := vec.NewValidity(mem, n)
	if a.DataType().ID() == arrow.NULL {
		for i := range buf.Bytes() {
			buf.Bytes()[i] = 0
		}
		return buf, n
	}
	d := a.Data()
	bitutil.CopyBitmap(d.Buffers()[0].Bytes(), d.Offset(), n, buf.Bytes(), 0)
	return buf, a.NullN()
}

// intsOf reads an integer or boolean array as int64.
func intsOf(a arrow.Array) []int64 {
	out := make([]int64, a.Len())
	switch a.DataType().ID() {
	case arrow.BOOL:
		ba := a.(*array.Boolean)
		for i := range out {
			if ba.Value(i) {
				out[i] = 1
			}
		}
	case arrow.INT8:
		for i, v := range vec.Values[int8](a) {
			out[i] = int64(v)
		}
	case arrow.INT16:
		for i, v := range vec.Values[int16](a) {
			out[i] = int64(v)
		}
	case arrow.INT32, arrow.DATE32:
		for i, v := range vec.Values[int32](a) {
			out[i] = int64(v)
		}
	default:
		copy(out, vec.Values[int64](a))
	}
	return out
}

func floatsOf(a arrow.Array) []float64 {
	out := make([]float64, a.Len())
	if a.DataType().ID() == arrow.FLOAT32 {
		for i, v := range vec.Values[float32](a) {
			out[i] = float64(v)
		}
		return out
	}
	copy(out, vec.Values[float64](a))
	return out
}

func intRange(t arrow.DataType) (int64, int64) {
	switch t.ID() {
	case arrow.INT8:
		return math.MinInt8, math.MaxInt8
	case arrow.INT16:
		return math.MinInt16, math.MaxInt16
	case arrow.INT32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// buildInts writes int64 values into an integer array of type t; rows
// whose validity bit is clear are skipped.
func buildInts(mem memory.Allocator, t arrow.DataType, vals []int64, valid *memory.Buffer, nulls int) arrow.Array {
	n := len(vals)
	switch physOf(t) {
	case kI8:
		b := vec.NewBuilder[int8](mem, t, n)
		for i, v := range vals {
			b.Values[i] = int8(v)
		}
		b.SetValidity(valid, nulls)
		return b.Finish()
	case kI16:
		b := vec.NewBuilder[int16](mem, t, n)
		for i, v := range vals {
			b.Values[i] = int16(v)
		}
		b.SetValidity(valid, nulls)
		return b.Finish()
	case kI32:
		b := vec.NewBuilder[int32](mem, t, n)
		for i, v := range vals {
			b.Values[i] = int32(v)
		}
		b.SetValidity(valid, nulls)
		return b.Finish()
	}
	b := vec.NewBuilder[int64](mem, t, n)
	copy(b.Values, vals)
	b.SetValidity(valid, nulls)
	return b.Finish()
}

func releaseBuf(b *memory.Buffer) {
	if b != nil {
		b.Release()
	}
}

func castIntToInt(n *castNode, a arrow.Array) (arrow.Array, error) {
	vals := intsOf(a)
	lo, hi := intRange(n.to)
	for i, v := range vals {
		if (v < lo || v > hi) && vec.IsValid(a, i) {
			return nil, n.rangeErr()
		}
	}
	valid, nulls := validityOf(n.mem, a)
	return buildInts(n.mem, n.to, vals, valid, nulls), nil
}

func castToBool(n *castNode, a arrow.Array) (arrow.Array, error) {
	out := newBoolOut(n.mem, a.Len())
	out.setValidity(validityOf(n.mem, a))
	bs := out.vals.Bytes()
	set := func(i int, v bool) {
		if v {
			bitutil.SetBit(bs, i)
		}
	}
	switch {
	case types.IsFloat(a.DataType()):
		for i, v := range floatsOf(a) {
			set(i, v != 0)
		}
	case a.DataType().ID() == arrow.DECIMAL128:
		for i, v := range vec.Values16(a) {
			set(i, v.Lo != 0 || v.Hi != 0)
		}
	default:
		for i, v := range intsOf(a) {
			set(i, v != 0)
		}
	}
	return out.finish(), nil
}

// decReaderArr reads decimal (or integer, scale 0) arrays as unscaled
// values.
func unscaledBig(a arrow.Array, i int, z *big.Int) *big.Int {
	switch a.DataType().ID() {
	case arrow.DECIMAL128:
		return z.Set(b16ToNum(vec.Values16(a)[i]).BigInt())
	case arrow.DECIMAL64:
		return z.SetInt64(vec.Values[int64](a)[i])
	}
	return z.SetInt64(0)
}

func scaleOf(t arrow.DataType) int32 {
	_, s, _ := types.DecimalParams(t)
	return s
}

// rescale64 changes the scale of x by d digits (rounding half away from
// zero when d < 0); ok is false on int64 overflow.
func rescale64(x int64, d int32) (int64, bool) {
	switch {
	case d == 0:
		return x, true
	case d > 0:
		if d > 18 {
			return 0, x == 0
		}
		hi, lo := bits.Mul64(absU(x), pow10u64[d])
		if hi != 0 || lo > math.MaxInt64 {
			return 0, false
		}
		if x < 0 {
			return -int64(lo), true
		}
		return int64(lo), true
	}
	if -d > 18 {
		return 0, true
	}
	p := int64(pow10u64[-d])
	q, r := x/p, x%p
	if r < 0 {
		r = -r
	}
	if 2*r >= p {
		if x < 0 {
			q--
		} else {
			q++
		}
	}
	return q, true
}

// rescaleBig rescales z in place (round half away from zero).
func rescaleBig(z *big.Int, d int32) {
	switch {
	case d > 0:
		z.Mul(z, pow10big[d])
	case d < 0:
		var r big.Int
		roundDivBig(z, &r, new(big.Int).Set(z), pow10big[-d])
	}
}

// decOut collects decimal results of type t.
type decOut struct {
	t    arrow.DataType
	prec int32
	v64  *vec.Builder[int64]
	v128 *buf128
}

func newDecOut(mem memory.Allocator, t arrow.DataType, n int) *decOut {
	p, _, _ := types.DecimalParams(t)
	d := &decOut{t: t, prec: p}
	if physOf(t) == kD128 {
		d.v128 = newBuf128(mem, n)
	} else {
		d.v64 = vec.NewBuilder[int64](mem, t, n)
	}
	return d
}

// set64 stores an unscaled int64, checking the precision.
func (d *decOut) set64(i int, v int64) bool {
	if d.prec < 19 {
		if absU(v) >= pow10u64[d.prec] {
			return false
		}
	}
	if d.v64 != nil {
		d.v64.Values[i] = v
	} else {
		d.v128.V[i] = numTo16(decimal128.FromI64(v))
	}
	return true
}

func (d *decOut) setBig(i int, z *big.Int) bool {
	if z.CmpAbs(pow10big[d.prec]) >= 0 {
		return false
	}
	if d.v64 != nil {
		d.v64.Values[i] = z.Int64()
	} else {
		d.v128.V[i] = numTo16(decimal128.FromBigInt(z))
	}
	return true
}

func (d *decOut) finish(valid *memory.Buffer, nulls int) arrow.Array {
	if d.v64 != nil {
		d.v64.SetValidity(valid, nulls)
		return d.v64.Finish()
	}
	return d.v128.finish(d.t, valid, nulls)
}

func (d *decOut) discard() { d.finish(nil, 0).Release() }

func castToDecimal(n *castNode, a arrow.Array) (arrow.Array, error) {
	cnt := a.Len()
	out := newDecOut(n.mem, n.to, cnt)
	st := scaleOf(n.to)
	var z big.Int
	switch {
	case isIntLike(a.DataType()) || a.DataType().ID() == arrow.DECIMAL64:
		var vals []int64
		d := st
		if a.DataType().ID() == arrow.DECIMAL64 {
			vals = vec.Values[int64](a)
			d = st - scaleOf(a.DataType())
		} else {
			vals = intsOf(a)
		}
		for i, v := range vals {
			if !vec.IsValid(a, i) {
				continue
			}
			r, ok := rescale64(v, d)
			if ok {
				ok = out.set64(i, r)
			} else {
				z.SetInt64(v)
				rescaleBig(&z, d)
				ok = out.setBig(i, &z)
			}
			if !ok {
				out.discard()
				return nil, n.rangeErr()
			}
		}
	default: // decimal128
		d := st - scaleOf(a.DataType())
		for i := 0; i < cnt; i++ {
			if !vec.IsValid(a, i) {
				continue
			}
			unscaledBig(a, i, &z)
			rescaleBig(&z, d)
			if !out.setBig(i, &z) {
				out.discard()
				return nil, n.rangeErr()
			}
		}
	}
	return out.finish(validityOf(n.mem, a)), nil
}

func castDecimalToInt(n *castNode, a arrow.Array) (arrow.Array, error) {
	cnt := a.Len()
	vals := make([]int64, cnt)
	s := scaleOf(a.DataType())
	lo, hi := intRange(n.to)
	var z big.Int
	for i := 0; i < cnt; i++ {
		if !vec.IsValid(a, i) {
			continue
		}
		var v int64
		ok := true
		if a.DataType().ID() == arrow.DECIMAL64 {
			v, ok = rescale64(vec.Values[int64](a)[i], -s)
		} else {
			unscaledBig(a, i, &z)
			rescaleBig(&z, -s)
			ok = z.IsInt64()
			v = z.Int64()
		}
		if !ok || v < lo || v > hi {
			return nil, n.rangeErr()
		}
		vals[i] = v
	}
	valid, nulls := validityOf(n.mem, a)
	return buildInts(n.mem, n.to, vals, valid, nulls), nil
}

func castToFloat(n *castNode, a arrow.Array) (arrow.Array, error) {
	cnt := a.Len()
	vals := make([]float64, cnt)
	switch {
	case types.IsFloat(a.DataType()):
		vals = floatsOf(a)
	case a.DataType().ID() == arrow.DECIMAL64:
		p := math.Pow10(int(scaleOf(a.DataType())))
		for i, v := range vec.Values[int64](a) {
			vals[i] = float64(v) / p
		}
	case a.DataType().ID() == arrow.DECIMAL128:
		s := scaleOf(a.DataType())
		for i, v := range vec.Values16(a) {
			vals[i] = b16ToNum(v).ToFloat64(s)
		}
	default:
		for i, v := range intsOf(a) {
			vals[i] = float64(v)
		}
	}
	valid, nulls := validityOf(n.mem, a)
	if n.to.ID() == arrow.FLOAT32 {
		b := vec.NewBuilder[float32](n.mem, n.to, cnt)
		for i, v := range vals {
			b.Values[i] = float32(v)
		}
		b.SetValidity(valid, nulls)
		return b.Finish(), nil
	}
	b := vec.NewBuilder[float64](n.mem, n.to, cnt)
	copy(b.Values, vals)
	b.SetValidity(valid, nulls)
	return b.Finish(), nil
}

// roundHalfAway rounds a float to the nearest integer, ties away from 0.
func roundHalfAway(x float64) float64 { return math.Round(x) }

func castFloatToExact(n *castNode, a arrow.Array) (arrow.Array, error) {
	vals := floatsOf(a)
	cnt := len(vals)
	if types.IsInteger(n.to) {
		ints := make([]int64, cnt)
		lo, hi := intRange(n.to)
		for i, v := range vals {
			if !vec.IsValid(a, i) {
				continue
			}
			r := roundHalfAway(v)
			if math.IsNaN(r) || r < float64(lo) || r >= -float64(math.MinInt64) || int64(r) > hi {
				return nil, n.rangeErr()
			}
			ints[i] = int64(r)
		}
		valid, nulls := validityOf(n.mem, a)
		return buildInts(n.mem, n.to, ints, valid, nulls), nil
	}
	out := newDecOut(n.mem, n.to, cnt)
	s := scaleOf(n.to)
	p := math.Pow10(int(s))
	for i, v := range vals {
		if !vec.IsValid(a, i) {
			continue
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			out.discard()
			return nil, n.rangeErr()
		}
		x := v * p
		r := roundHalfAway(x)
		ok := false
		if frac := math.Abs(x - math.Trunc(x)); math.Abs(frac-0.5) < 1e-6 {
			// near a rounding tie: round the shortest decimal form of v
			// (what the user wrote: CAST(1.005 AS DECIMAL(10,2)) = 1.01)
			var z big.Int
			if !parseDecimalString(strconv.FormatFloat(v, 'g', -1, 64), s, &z) {
				out.discard()
				return nil, n.rangeErr()
			}
			ok = out.setBig(i, &z)
		} else if math.Abs(r) < 9e18 {
			ok = out.set64(i, int64(r))
		} else {
			// exact path through big.Float for large magnitudes
			bf := new(big.Float).SetFloat64(v)
			bf.Mul(bf, new(big.Float).SetInt(pow10big[s]))
			z, _ := bf.Int(nil)
			ok = out.setBig(i, z)
		}
		if !ok {
			out.discard()
			return nil, n.rangeErr()
		}
	}
	return out.finish(validityOf(n.mem, a)), nil
}

func castDateToTS(n *castNode, a arrow.Array) (arrow.Array, error) {
	b := vec.NewBuilder[int64](n.mem, n.to, a.Len())
	for i, v := range vec.Values[int32](a) {
		b.Values[i] = int64(v) * usPerDay
	}
	b.SetValidity(validityOf(n.mem, a))
	return b.Finish(), nil
}

func castTSToDate(n *castNode, a arrow.Array) (arrow.Array, error) {
	b := vec.NewBuilder[int32](n.mem, n.to, a.Len())
	for i, v := range vec.Values[int64](a) {
		b.Values[i] = int32(floorDiv(v, usPerDay))
	}
	b.SetValidity(validityOf(n.mem, a))
	return b.Finish(), nil
}

// appendDecimal formats an unscaled int64 at scale s.
func appendDecimal(dst []byte, v int64, s int32) []byte {
	if s == 0 {
		return strconv.AppendInt(dst, v, 10)
	}
	if v < 0 {
		dst = append(dst, '-')
	}
	u := absU(v)
	p := pow10u64[s]
	dst = strconv.AppendUint(dst, u/p, 10)
	dst = append(dst, '.')
	return appendPad(dst, int64(u%p), int(s))
}

func castToString(n *castNode, a arrow.Array) (arrow.Array, error) {
	cnt := a.Len()
	sb := vec.NewStringBuilder(n.mem, cnt)
	var buf []byte
	t := a.DataType()
	for i := 0; i < cnt; i++ {
		if !vec.IsValid(a, i) {
			sb.AppendNull()
			continue
		}
		buf = buf[:0]
		switch t.ID() {
		case arrow.BOOL:
			if a.(*array.Boolean).Value(i) {
				buf = append(buf, "true"...)
			} else {
				buf = append(buf, "false"...)
			}
		case arrow.INT8:
			buf = strconv.AppendInt(buf, int64(vec.Values[int8](a)[i]), 10)
		case arrow.INT16:
			buf = strconv.AppendInt(buf, int64(vec.Values[int16](a)[i]), 10)
		case arrow.INT32:
			buf = strconv.AppendInt(buf, int64(vec.Values[int32](a)[i]), 10)
		case arrow.INT64:
			buf = strconv.AppendInt(buf, vec.Values[int64](a)[i], 10)
		case arrow.FLOAT32:
			buf = strconv.AppendFloat(buf, float64(vec.Values[float32](a)[i]), 'g', -1, 32)
		case arrow.FLOAT64:
			buf = strconv.AppendFloat(buf, vec.Values[float64](a)[i], 'g', -1, 64)
		case arrow.DECIMAL64:
			buf = appendDecimal(buf, vec.Values[int64](a)[i], scaleOf(t))
		case arrow.DECIMAL128:
			buf = append(buf, expr.FormatDecimal(b16ToNum(vec.Values16(a)[i]).BigInt(), scaleOf(t))...)
		case arrow.DATE32:
			buf = appendDate(buf, int64(vec.Values[int32](a)[i]))
		case arrow.TIMESTAMP:
			buf = appendTimestamp(buf, vec.Values[int64](a)[i])
		case arrow.STRING:
			buf = append(buf, a.(*array.String).Value(i)...)
		default:
			return nil, fmt.Errorf("cannot cast %s to VARCHAR", types.SQLName(t))
		}
		sb.Append(buf)
	}
	return sb.Finish(), nil
}

// parseDecimalString parses a decimal literal (optional sign, digits,
// fraction, exponent) to an unscaled big.Int at scale s, rounding half
// away from zero.
func parseDecimalString(s string, scale int32, z *big.Int) bool {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return false
	}
	// reject forms big.Rat accepts that SQL does not (fractions a/b, hex)
	if strings.ContainsAny(s, "/xXpP_") {
		return false
	}
	num := new(big.Int).Mul(r.Num(), pow10big[scale])
	var rem big.Int
	roundDivBig(z, &rem, num, r.Denom())
	return true
}

func castFromString(n *castNode, a arrow.Array) (arrow.Array, error) {
	sa := a.(*array.String)
	cnt := a.Len()
	valid, nulls := validityOf(n.mem, a)
	str := func(i int) string { return strings.TrimSpace(sa.Value(i)) }
	switch {
	case types.IsInteger(n.to):
		vals := make([]int64, cnt)
		lo, hi := intRange(n.to)
		for i := 0; i < cnt; i++ {
			if !vec.IsValid(a, i) {
				continue
			}
			s := str(i)
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
					releaseBuf(valid)
					return nil, n.rangeErr()
				}
				// accept decimal notation ('12.0', '1e3'), rounding
				var z big.Int
				if !parseDecimalString(s, 0, &z) {
					releaseBuf(valid)
					return nil, n.parseErr(sa.Value(i))
				}
				if !z.IsInt64() {
					releaseBuf(valid)
					return nil, n.rangeErr()
				}
				v = z.Int64()
			}
			if v < lo || v > hi {
				releaseBuf(valid)
				return nil, n.rangeErr()
			}
			vals[i] = v
		}
		return buildInts(n.mem, n.to, vals, valid, nulls), nil
	case types.IsFloat(n.to):
		vals := make([]float64, cnt)
		for i := 0; i < cnt; i++ {
			if !vec.IsValid(a, i) {
				continue
			}
			v, err := strconv.ParseFloat(str(i), 64)
			if err != nil {
				if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
					releaseBuf(valid)
					return nil, n.parseErr(sa.Value(i))
				}
			}
			vals[i] = v
		}
		if n.to.ID() == arrow.FLOAT32 {
			b := vec.NewBuilder[float32](n.mem, n.to, cnt)
			for i, v := range vals {
				b.Values[i] = float32(v)
			}
			b.SetValidity(valid, nulls)
			return b.Finish(), nil
		}
		b := vec.NewBuilder[float64](n.mem, n.to, cnt)
		copy(b.Values, vals)
		b.SetValidity(valid, nulls)
		return b.Finish(), nil
	case types.IsDecimal(n.to):
		out := newDecOut(n.mem, n.to, cnt)
		s := scaleOf(n.to)
		var z big.Int
		for i := 0; i < cnt; i++ {
			if !vec.IsValid(a, i) {
				continue
			}
			if !parseDecimalString(str(i), s, &z) {
				out.discard()
				releaseBuf(valid)
				return nil, n.parseErr(sa.Value(i))
			}
			if !out.setBig(i, &z) {
				out.discard()
				releaseBuf(valid)
				return nil, n.rangeErr()
			}
		}
		return out.finish(valid, nulls), nil
	case n.to.ID() == arrow.DATE32:
		b := vec.NewBuilder[int32](n.mem, n.to, cnt)
		for i := 0; i < cnt; i++ {
			if !vec.IsValid(a, i) {
				continue
			}
			s := str(i)
			d, rest, ok := parseDate(s)
			if ok && rest != "" { // a time part is allowed and dropped
				_, ok = parseTimestamp(s)
			}
			if !ok {
				b.Finish().Release()
				releaseBuf(valid)
				return nil, n.parseErr(sa.Value(i))
			}
			b.Values[i] = int32(d)
		}
		b.SetValidity(valid, nulls)
		return b.Finish(), nil
	case n.to.ID() == arrow.TIMESTAMP:
		b := vec.NewBuilder[int64](n.mem, n.to, cnt)
		for i := 0; i < cnt; i++ {
			if !vec.IsValid(a, i) {
				continue
			}
			v, ok := parseTimestamp(str(i))
			if !ok {
				b.Finish().Release()
				releaseBuf(valid)
				return nil, n.parseErr(sa.Value(i))
			}
			b.Values[i] = v
		}
		b.SetValidity(valid, nulls)
		return b.Finish(), nil
	case n.to.ID() == arrow.BOOL:
		out := newBoolOut(n.mem, cnt)
		out.setValidity(valid, nulls)
		bs := out.vals.Bytes()
		for i := 0; i < cnt; i++ {
			if !vec.IsValid(a, i) {
				continue
			}
			switch strings.ToLower(str(i)) {
			case "true", "t", "1", "yes", "y", "on":
				bitutil.SetBit(bs, i)
			case "false", "f", "0", "no", "n", "off":
			default:
				out.finish().Release()
				return nil, n.parseErr(sa.Value(i))
			}
		}
		return out.finish(), nil
	}
	releaseBuf(valid)
	return nil, fmt.Errorf("cannot cast VARCHAR to %s", types.SQLName(n.to))
}
