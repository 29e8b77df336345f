package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// Accumulators keep one aggregate's partial state for every group in
// typed slices indexed by group id. update runs a typed loop over one
// batch (the type was chosen when the accumulator was built), merge folds
// another slice's partial state in (partial → final), finish builds the
// result column for a range of groups.
type aggAcc interface {
	resize(n int)
	update(in *aggInput) error
	merge(src aggAcc, srcIDs, dstIDs []int32) error
	finish(mem memory.Allocator, lo, hi int) (arrow.Array, error)
	memBytes() int64
}

// aggInput is one aggregate's argument over one batch. When dense, the
// value of live row i is at physical row i and is never NULL; otherwise
// rows/rgids list the physical rows of the non-NULL live rows and their
// groups. col may be a dictionary<int32, utf8> (NULL = NULL index) only
// for the aggregates planner/dictcols.go allows it for: count, which
// reads only the validity, and min/max/any_value over VARCHAR
// (aggregate_minmax.go).
type aggInput struct {
	gids  []int32
	col   arrow.Array
	dense bool
	rows  []int32
	rgids []int32
}

// prepare fills the derived fields for column c with selection sel.
func (in *aggInput) prepare(gids []int32, c arrow.Array, sel []int32) {
	in.gids, in.col = gids, c
	if c == nil {
		in.dense = true
		return
	}
	nulls := c.NullN() > 0
	in.dense = sel == nil && !nulls
	if in.dense {
		return
	}
	in.rows, in.rgids = in.rows[:0], in.rgids[:0]
	if !nulls {
		in.rows = append(in.rows, sel[:len(gids)]...)
		in.rgids = append(in.rgids, gids...)
		return
	}
	bm, off := c.NullBitmapBytes(), c.Data().Offset()
	for i, g := range gids {
		r := int32(i)
		if sel != nil {
			r = sel[i]
		}
		if bitutil.BitIsSet(bm, off+int(r)) {
			in.rows = append(in.rows, r)
			in.rgids = append(in.rgids, g)
		}
	}
}

// aggNewAcc builds the accumulator of f (input type: its argument's).
func aggNewAcc(f plan.AggFunc) (aggAcc, error) {
	if f.Fn == "count_star" {
		return &aggCountAcc{star: true}, nil
	}
	if len(f.Args) != 1 {
		return nil, fmt.Errorf("HashAggregate: %s takes one argument, got %d", f, len(f.Args))
	}
	in := f.Args[0].Type()
	bad := func() (aggAcc, error) {
		return nil, fmt.Errorf("HashAggregate: %s: unsupported input type %s (result %s)", f, types.SQLName(in), types.SQLName(f.T))
	}
	_, inScale, inDec := types.DecimalParams(in)
	switch f.Fn {
	case "single_value":
		return newAggSingleAcc(f)
	case "count":
		return &aggCountAcc{}, nil
	case "sum", "avg":
		avg := f.Fn == "avg"
		switch {
		case types.IsFloat(in):
			if f.T.ID() != arrow.FLOAT64 {
				return bad()
			}
			return &aggFloatAcc{avg: avg}, nil
		case types.IsInteger(in) || inDec:
			switch f.T.ID() {
			case arrow.INT64:
				if avg || inDec {
					return bad()
				}
				return &aggSumIntAcc{name: f.String()}, nil
			case arrow.DECIMAL128, arrow.DECIMAL64, arrow.FLOAT64:
				return &aggDecAcc{name: f.String(), avg: avg, inScale: inScale, out: f.T}, nil
			}
		}
		return bad()
	case "min", "max", "any_value", "bool_and", "bool_or":
		mode := aggModeMin
		switch f.Fn {
		case "max", "bool_or":
			mode = aggModeMax
		case "any_value":
			mode = aggModeAny
		}
		if (f.Fn == "bool_and" || f.Fn == "bool_or") && in.ID() != arrow.BOOL {
			return bad()
		}
		if f.T.ID() != in.ID() {
			return bad()
		}
		// The result has the input's physical type; T (which may differ
		// in decimal precision) labels it.
		in := f.T
		switch in.ID() {
		case arrow.INT8:
			return &aggMinMaxAcc[int8]{mode: mode, dt: in}, nil
		case arrow.INT16:
			return &aggMinMaxAcc[int16]{mode: mode, dt: in}, nil
		case arrow.INT32, arrow.DATE32:
			return &aggMinMaxAcc[int32]{mode: mode, dt: in}, nil
		case arrow.INT64, arrow.DECIMAL64, arrow.TIMESTAMP:
			return &aggMinMaxAcc[int64]{mode: mode, dt: in}, nil
		case arrow.FLOAT32:
			return &aggMinMaxAcc[float32]{mode: mode, dt: in}, nil
		case arrow.FLOAT64:
			return &aggMinMaxAcc[float64]{mode: mode, dt: in}, nil
		case arrow.DECIMAL128:
			return &aggMinMax128Acc{mode: mode, dt: in}, nil
		case arrow.STRING:
			return &aggMinMaxStrAcc{mode: mode, name: f.String()}, nil
		case arrow.BOOL:
			return &aggBoolAcc{mode: mode}, nil
		}
		return bad()
	case "stddev_samp", "stddev_pop", "var_samp", "var_pop":
		if !types.IsNumeric(in) {
			return bad()
		}
		return &aggVarAcc{fn: f.Fn, scale: math.Pow10(int(inScale))}, nil
	}
	return nil, fmt.Errorf("HashAggregate: unknown aggregate function %q", f.Fn)
}

func aggGrow[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		return s[:n]
	}
	c := max(2*cap(s), n, 64)
	out := make([]T, n, c)
	copy(out, s)
	return out
}

// aggFixedArray builds an array of dt from vals; has (nil = all valid)
// marks the non-NULL groups.
func aggFixedArray[T vec.Fixed](mem memory.Allocator, dt arrow.DataType, vals []T, has []bool) arrow.Array {
	b := vec.NewBuilder[T](mem, dt, len(vals))
	copy(b.Values, vals)
	for i, ok := range has {
		if !ok {
			b.Values[i] = 0
			b.SetNull(i)
		}
	}
	return b.Finish()
}

// ---- count ----

type aggCountAcc struct {
	star   bool
	counts []int64
}

func (a *aggCountAcc) resize(n int)    { a.counts = aggGrow(a.counts, n) }
func (a *aggCountAcc) memBytes() int64 { return int64(cap(a.counts)) * 8 }

func (a *aggCountAcc) update(in *aggInput) error {
	c := a.counts
	if a.star || in.dense {
		for _, g := range in.gids {
			c[g]++
		}
		return nil
	}
	for _, g := range in.rgids {
		c[g]++
	}
	return nil
}

func (a *aggCountAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggCountAcc)
	for i, g := range srcIDs {
		a.counts[dstIDs[i]] += s.counts[g]
	}
	return nil
}

func (a *aggCountAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	return aggFixedArray(mem, arrow.PrimitiveTypes.Int64, a.counts[lo:hi], nil), nil
}

// ---- sum(integer) → BIGINT, overflow-checked ----

type aggSumIntAcc struct {
	name   string
	sums   []int64
	counts []int64
}

func (a *aggSumIntAcc) resize(n int) {
	a.sums, a.counts = aggGrow(a.sums, n), aggGrow(a.counts, n)
}
func (a *aggSumIntAcc) memBytes() int64 { return int64(cap(a.sums)+cap(a.counts)) * 8 }

func (a *aggSumIntAcc) overflow() error {
	return fmt.Errorf("HashAggregate: %s: BIGINT overflow", a.name)
}

func aggSumIntKernel[T int8 | int16 | int32 | int64](sums, counts []int64, in *aggInput, src []T) bool {
	ovf := false
	if in.dense {
		src = src[:len(in.gids)]
		for i, g := range in.gids {
			v := int64(src[i])
			s := sums[g]
			r := s + v
			ovf = ovf || (s^r)&(v^r) < 0
			sums[g] = r
			counts[g]++
		}
		return ovf
	}
	for k, row := range in.rows {
		g := in.rgids[k]
		v := int64(src[row])
		s := sums[g]
		r := s + v
		ovf = ovf || (s^r)&(v^r) < 0
		sums[g] = r
		counts[g]++
	}
	return ovf
}

func (a *aggSumIntAcc) update(in *aggInput) error {
	var ovf bool
	switch in.col.DataType().ID() {
	case arrow.INT8:
		ovf = aggSumIntKernel(a.sums, a.counts, in, vec.Values[int8](in.col))
	case arrow.INT16:
		ovf = aggSumIntKernel(a.sums, a.counts, in, vec.Values[int16](in.col))
	case arrow.INT32:
		ovf = aggSumIntKernel(a.sums, a.counts, in, vec.Values[int32](in.col))
	default:
		ovf = aggSumIntKernel(a.sums, a.counts, in, vec.Values[int64](in.col))
	}
	if ovf {
		return a.overflow()
	}
	return nil
}

func (a *aggSumIntAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggSumIntAcc)
	for i, g := range srcIDs {
		d := dstIDs[i]
		x, y := a.sums[d], s.sums[g]
		r := x + y
		if (x^r)&(y^r) < 0 {
			return a.overflow()
		}
		a.sums[d] = r
		a.counts[d] += s.counts[g]
	}
	return nil
}

func (a *aggSumIntAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	b := vec.NewBuilder[int64](mem, arrow.PrimitiveTypes.Int64, hi-lo)
	for i := lo; i < hi; i++ {
		if a.counts[i] == 0 {
			b.Values[i-lo] = 0
			b.SetNull(i - lo)
		} else {
			b.Values[i-lo] = a.sums[i]
		}
	}
	return b.Finish(), nil
}

// ---- sum/avg over integers and decimals with 128-bit accumulators ----

// aggI128 is a signed 128-bit two's-complement integer.
type aggI128 struct{ lo, hi uint64 }

func aggI128From(v int64) aggI128 { return aggI128{uint64(v), uint64(v >> 63)} }

// add returns a+b and whether it overflowed 128 bits.
func (a aggI128) add(b aggI128) (aggI128, bool) {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	r := aggI128{lo, hi}
	ovf := int64(a.hi^hi)&int64(b.hi^hi) < 0
	return r, ovf
}

func (a aggI128) less(b aggI128) bool {
	if a.hi != b.hi {
		return int64(a.hi) < int64(b.hi)
	}
	return a.lo < b.lo
}

// isInt64 reports whether a fits in an int64.
func (a aggI128) isInt64() bool { return a.hi == uint64(int64(a.lo)>>63) }

func (a aggI128) big() *big.Int {
	hi := new(big.Int).SetInt64(int64(a.hi))
	hi.Lsh(hi, 64)
	return hi.Add(hi, new(big.Int).SetUint64(a.lo))
}

var (
	aggBig2p64  = new(big.Int).Lsh(big.NewInt(1), 64)
	aggBigMask  = new(big.Int).Sub(aggBig2p64, big.NewInt(1))
	aggPow10Big [77]*big.Int
)

func init() {
	aggPow10Big[0] = big.NewInt(1)
	for i := 1; i < len(aggPow10Big); i++ {
		aggPow10Big[i] = new(big.Int).Mul(aggPow10Big[i-1], big.NewInt(10))
	}
}

// aggI128FromBig converts b (which must fit 128 bits) to aggI128.
func aggI128FromBig(b *big.Int) aggI128 {
	lo := new(big.Int).And(b, aggBigMask) // two's complement low word
	hi := new(big.Int).Rsh(b, 64)         // arithmetic shift (floor)
	return aggI128{lo.Uint64(), uint64(hi.Int64())}
}

type aggDecAcc struct {
	name    string
	avg     bool
	inScale int32
	out     arrow.DataType
	sums    []aggI128
	counts  []int64
}

func (a *aggDecAcc) resize(n int) {
	a.sums, a.counts = aggGrow(a.sums, n), aggGrow(a.counts, n)
}
func (a *aggDecAcc) memBytes() int64 { return int64(cap(a.sums))*16 + int64(cap(a.counts))*8 }

func (a *aggDecAcc) overflow() error {
	return fmt.Errorf("HashAggregate: %s: DECIMAL overflow (more than 38 digits)", a.name)
}

// aggSum128Kernel adds 64-bit values into 128-bit sums: 2^64 additions
// would be needed to overflow, so no check is needed.
func aggSum128Kernel[T int8 | int16 | int32 | int64](sums []aggI128, counts []int64, in *aggInput, src []T) {
	if in.dense {
		src = src[:len(in.gids)]
		for i, g := range in.gids {
			v := int64(src[i])
			s := &sums[g]
			lo, c := bits.Add64(s.lo, uint64(v), 0)
			s.hi += uint64(v>>63) + c
			s.lo = lo
			counts[g]++
		}
		return
	}
	for k, row := range in.rows {
		g := in.rgids[k]
		v := int64(src[row])
		s := &sums[g]
		lo, c := bits.Add64(s.lo, uint64(v), 0)
		s.hi += uint64(v>>63) + c
		s.lo = lo
		counts[g]++
	}
}

func (a *aggDecAcc) update(in *aggInput) error {
	switch in.col.DataType().ID() {
	case arrow.INT8:
		aggSum128Kernel(a.sums, a.counts, in, vec.Values[int8](in.col))
	case arrow.INT16:
		aggSum128Kernel(a.sums, a.counts, in, vec.Values[int16](in.col))
	case arrow.INT32:
		aggSum128Kernel(a.sums, a.counts, in, vec.Values[int32](in.col))
	case arrow.INT64, arrow.DECIMAL64:
		aggSum128Kernel(a.sums, a.counts, in, vec.Values[int64](in.col))
	case arrow.DECIMAL128:
		src := vec.Values16(in.col)
		ovf := false
		add := func(g int32, v vec.Bytes16) {
			r, o := a.sums[g].add(aggI128{v.Lo, v.Hi})
			ovf = ovf || o
			a.sums[g] = r
			a.counts[g]++
		}
		if in.dense {
			for i, g := range in.gids {
				add(g, src[i])
			}
		} else {
			for k, row := range in.rows {
				add(in.rgids[k], src[row])
			}
		}
		if ovf {
			return a.overflow()
		}
	default:
		return fmt.Errorf("HashAggregate: %s: unsupported input type %s", a.name, in.col.DataType())
	}
	return nil
}

func (a *aggDecAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggDecAcc)
	for i, g := range srcIDs {
		d := dstIDs[i]
		r, o := a.sums[d].add(s.sums[g])
		if o {
			return a.overflow()
		}
		a.sums[d] = r
		a.counts[d] += s.counts[g]
	}
	return nil
}

func (a *aggDecAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	n := hi - lo
	has := make([]bool, n)
	for i := range has {
		has[i] = a.counts[lo+i] > 0
	}
	if a.out.ID() == arrow.FLOAT64 {
		vals := make([]float64, n)
		div := math.Pow10(int(a.inScale))
		for i := range vals {
			g := lo + i
			if !has[i] {
				continue
			}
			var f float64
			if a.sums[g].isInt64() {
				f = float64(int64(a.sums[g].lo))
			} else {
				f, _ = new(big.Float).SetInt(a.sums[g].big()).Float64()
			}
			f /= div
			if a.avg {
				f /= float64(a.counts[g])
			}
			vals[i] = f
		}
		return aggFixedArray(mem, a.out, vals, has), nil
	}
	_, outScale, _ := types.DecimalParams(a.out)
	outPrec := int32(38)
	if d, ok := a.out.(*arrow.Decimal64Type); ok {
		outPrec = d.Precision
	} else if d, ok := a.out.(*arrow.Decimal128Type); ok {
		outPrec = d.Precision
	}
	vals := make([]aggI128, n)
	for i := range vals {
		if !has[i] {
			continue
		}
		g := lo + i
		v, err := a.scaled(a.sums[g], a.counts[g], outScale)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	// Range check against the output precision.
	lim := aggPow10Big[outPrec]
	for i, v := range vals {
		if !has[i] {
			continue
		}
		if v.isInt64() && outPrec >= 19 {
			continue
		}
		if new(big.Int).Abs(v.big()).Cmp(lim) >= 0 {
			return nil, a.overflow()
		}
	}
	if a.out.ID() == arrow.DECIMAL64 {
		v64 := make([]int64, n)
		for i, v := range vals {
			v64[i] = int64(v.lo)
		}
		return aggFixedArray(mem, a.out, v64, has), nil
	}
	return aggDec128Array(mem, a.out, vals, has), nil
}

// scaled converts a sum (at the input scale) to the output scale: for sum
// a rescale, for avg the quotient sum/count, rounded half away from zero.
func (a *aggDecAcc) scaled(sum aggI128, count int64, outScale int32) (aggI128, error) {
	if !a.avg {
		count = 1
	}
	up := outScale - a.inScale
	// Fast path: everything fits in int64.
	if sum.isInt64() && up >= 0 && up <= 18 {
		s := int64(sum.lo)
		m := int64(1)
		for range up {
			m *= 10
		}
		if hi, lo := bits.Mul64(uint64(aggAbs(s)), uint64(m)); hi == 0 && lo <= math.MaxInt64 {
			num := s * m
			q, r := num/count, num%count
			if 2*aggAbs(r) >= count {
				if num < 0 {
					q--
				} else {
					q++
				}
			}
			return aggI128From(q), nil
		}
	}
	num := sum.big()
	den := big.NewInt(count)
	if up >= 0 {
		num.Mul(num, aggPow10Big[up])
	} else {
		den.Mul(den, aggPow10Big[-up])
	}
	neg := num.Sign() < 0
	num.Abs(num)
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if neg {
		q.Neg(q)
	}
	if q.BitLen() > 127 {
		return aggI128{}, a.overflow()
	}
	return aggI128FromBig(q), nil
}

func aggAbs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// aggDec128Array builds a decimal128 array from 128-bit values.
func aggDec128Array(mem memory.Allocator, dt arrow.DataType, vals []aggI128, has []bool) arrow.Array {
	n := len(vals)
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(16 * n)
	raw := buf.Bytes()
	for i, v := range vals {
		if has != nil && !has[i] {
			v = aggI128{}
		}
		binary.LittleEndian.PutUint64(raw[16*i:], v.lo)
		binary.LittleEndian.PutUint64(raw[16*i+8:], v.hi)
	}
	var valid *memory.Buffer
	nulls := 0
	for i, ok := range has {
		if !ok {
			if valid == nil {
				valid = vec.NewValidity(mem, n)
			}
			bitutil.ClearBit(valid.Bytes(), i)
			nulls++
		}
	}
	d := array.NewData(dt, n, []*memory.Buffer{valid, buf}, nil, nulls, 0)
	buf.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

// ---- sum/avg over floats ----

type aggFloatAcc struct {
	avg    bool
	sums   []float64
	counts []int64
}

func (a *aggFloatAcc) resize(n int) {
	a.sums, a.counts = aggGrow(a.sums, n), aggGrow(a.counts, n)
}
func (a *aggFloatAcc) memBytes() int64 { return int64(cap(a.sums)+cap(a.counts)) * 8 }

func aggSumFloatKernel[T float32 | float64](sums []float64, counts []int64, in *aggInput, src []T) {
	if in.dense {
		src = src[:len(in.gids)]
		for i, g := range in.gids {
			sums[g] += float64(src[i])
			counts[g]++
		}
		return
	}
	for k, row := range in.rows {
		g := in.rgids[k]
		sums[g] += float64(src[row])
		counts[g]++
	}
}

func (a *aggFloatAcc) update(in *aggInput) error {
	if in.col.DataType().ID() == arrow.FLOAT32 {
		aggSumFloatKernel(a.sums, a.counts, in, vec.Values[float32](in.col))
	} else {
		aggSumFloatKernel(a.sums, a.counts, in, vec.Values[float64](in.col))
	}
	return nil
}

func (a *aggFloatAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggFloatAcc)
	for i, g := range srcIDs {
		a.sums[dstIDs[i]] += s.sums[g]
		a.counts[dstIDs[i]] += s.counts[g]
	}
	return nil
}

func (a *aggFloatAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	vals := make([]float64, hi-lo)
	has := make([]bool, hi-lo)
	for i := range vals {
		g := lo + i
		if a.counts[g] == 0 {
			continue
		}
		has[i] = true
		vals[i] = a.sums[g]
		if a.avg {
			vals[i] /= float64(a.counts[g])
		}
	}
	return aggFixedArray(mem, arrow.PrimitiveTypes.Float64, vals, has), nil
}

// ---- min / max / any_value / bool_and / bool_or ----

const (
	aggModeMin = iota
	aggModeMax
	aggModeAny
)

type aggOrdered interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

type aggMinMaxAcc[T aggOrdered] struct {
	mode int
	dt   arrow.DataType
	vals []T
	has  []bool
}

func (a *aggMinMaxAcc[T]) resize(n int) {
	a.vals, a.has = aggGrow(a.vals, n), aggGrow(a.has, n)
}

func (a *aggMinMaxAcc[T]) memBytes() int64 {
	var z T
	return int64(cap(a.vals))*int64(aggSizeOf(z)) + int64(cap(a.has))
}

func aggSizeOf[T aggOrdered](T) int {
	var z T
	switch any(z).(type) {
	case int8:
		return 1
	case int16:
		return 2
	case int32, float32:
		return 4
	}
	return 8
}

func (a *aggMinMaxAcc[T]) put(g int32, v T) {
	switch a.mode {
	case aggModeMin:
		if !a.has[g] || v < a.vals[g] {
			a.vals[g], a.has[g] = v, true
		}
	case aggModeMax:
		if !a.has[g] || v > a.vals[g] {
			a.vals[g], a.has[g] = v, true
		}
	default:
		if !a.has[g] {
			a.vals[g], a.has[g] = v, true
		}
	}
}

func (a *aggMinMaxAcc[T]) update(in *aggInput) error {
	src := vec.Values[T](in.col)
	vals, has := a.vals, a.has
	switch {
	case in.dense && a.mode == aggModeMin:
		src = src[:len(in.gids)]
		for i, g := range in.gids {
			if v := src[i]; !has[g] || v < vals[g] {
				vals[g], has[g] = v, true
			}
		}
	case in.dense && a.mode == aggModeMax:
		src = src[:len(in.gids)]
		for i, g := range in.gids {
			if v := src[i]; !has[g] || v > vals[g] {
				vals[g], has[g] = v, true
			}
		}
	case a.mode == aggModeMin:
		for k, row := range in.rows {
			g := in.rgids[k]
			if v := src[row]; !has[g] || v < vals[g] {
				vals[g], has[g] = v, true
			}
		}
	case a.mode == aggModeMax:
		for k, row := range in.rows {
			g := in.rgids[k]
			if v := src[row]; !has[g] || v > vals[g] {
				vals[g], has[g] = v, true
			}
		}
	case in.dense:
		for i, g := range in.gids {
			if !has[g] {
				vals[g], has[g] = src[i], true
			}
		}
	default:
		for k, row := range in.rows {
			g := in.rgids[k]
			if !has[g] {
				vals[g], has[g] = src[row], true
			}
		}
	}
	return nil
}

func (a *aggMinMaxAcc[T]) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggMinMaxAcc[T])
	for i, g := range srcIDs {
		if s.has[g] {
			a.put(dstIDs[i], s.vals[g])
		}
	}
	return nil
}

func (a *aggMinMaxAcc[T]) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	return aggFixedArray(mem, a.dt, a.vals[lo:hi], a.has[lo:hi]), nil
}

type aggMinMax128Acc struct {
	mode int
	dt   arrow.DataType
	vals []aggI128
	has  []bool
}

func (a *aggMinMax128Acc) resize(n int) {
	a.vals, a.has = aggGrow(a.vals, n), aggGrow(a.has, n)
}
func (a *aggMinMax128Acc) memBytes() int64 { return int64(cap(a.vals))*16 + int64(cap(a.has)) }

func (a *aggMinMax128Acc) put(g int32, v aggI128) {
	if !a.has[g] || (a.mode == aggModeMin && v.less(a.vals[g])) || (a.mode == aggModeMax && a.vals[g].less(v)) {
		a.vals[g], a.has[g] = v, true
	}
}

func (a *aggMinMax128Acc) update(in *aggInput) error {
	src := vec.Values16(in.col)
	if in.dense {
		for i, g := range in.gids {
			a.put(g, aggI128{src[i].Lo, src[i].Hi})
		}
		return nil
	}
	for k, row := range in.rows {
		a.put(in.rgids[k], aggI128{src[row].Lo, src[row].Hi})
	}
	return nil
}

func (a *aggMinMax128Acc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggMinMax128Acc)
	for i, g := range srcIDs {
		if s.has[g] {
			a.put(dstIDs[i], s.vals[g])
		}
	}
	return nil
}

func (a *aggMinMax128Acc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	return aggDec128Array(mem, a.dt, a.vals[lo:hi], a.has[lo:hi]), nil
}

// aggBoolAcc: min = bool_and, max = bool_or, any = any_value.
type aggBoolAcc struct {
	mode int
	vals []bool
	has  []bool
}

func (a *aggBoolAcc) resize(n int) {
	a.vals, a.has = aggGrow(a.vals, n), aggGrow(a.has, n)
}
func (a *aggBoolAcc) memBytes() int64 { return int64(cap(a.vals) + cap(a.has)) }

func (a *aggBoolAcc) put(g int32, v bool) {
	if !a.has[g] {
		a.vals[g], a.has[g] = v, true
		return
	}
	switch a.mode {
	case aggModeMin:
		a.vals[g] = a.vals[g] && v
	case aggModeMax:
		a.vals[g] = a.vals[g] || v
	}
}

func (a *aggBoolAcc) update(in *aggInput) error {
	c := in.col.(*array.Boolean)
	if in.dense {
		for i, g := range in.gids {
			a.put(g, c.Value(i))
		}
		return nil
	}
	for k, row := range in.rows {
		a.put(in.rgids[k], c.Value(int(row)))
	}
	return nil
}

func (a *aggBoolAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggBoolAcc)
	for i, g := range srcIDs {
		if s.has[g] {
			a.put(dstIDs[i], s.vals[g])
		}
	}
	return nil
}

func (a *aggBoolAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	vals := make([]any, hi-lo)
	for i := range vals {
		if a.has[lo+i] {
			vals[i] = a.vals[lo+i]
		}
	}
	return vec.FromValues(mem, arrow.FixedWidthTypes.Boolean, vals)
}

// ---- variance / standard deviation (Welford, merged with Chan et al.) ----

type aggVarAcc struct {
	fn    string
	scale float64 // 10^scale of a decimal input, 1 otherwise
	n     []int64
	mean  []float64
	m2    []float64
}

func (a *aggVarAcc) resize(n int) {
	a.n, a.mean, a.m2 = aggGrow(a.n, n), aggGrow(a.mean, n), aggGrow(a.m2, n)
}
func (a *aggVarAcc) memBytes() int64 { return int64(cap(a.n)+cap(a.mean)+cap(a.m2)) * 8 }

func (a *aggVarAcc) add(g int32, x float64) {
	a.n[g]++
	d := x - a.mean[g]
	a.mean[g] += d / float64(a.n[g])
	a.m2[g] += d * (x - a.mean[g])
}

func aggVarKernel[T aggOrdered](a *aggVarAcc, in *aggInput, src []T) {
	if in.dense {
		for i, g := range in.gids {
			a.add(g, float64(src[i])/a.scale)
		}
		return
	}
	for k, row := range in.rows {
		a.add(in.rgids[k], float64(src[row])/a.scale)
	}
}

func (a *aggVarAcc) update(in *aggInput) error {
	switch in.col.DataType().ID() {
	case arrow.INT8:
		aggVarKernel(a, in, vec.Values[int8](in.col))
	case arrow.INT16:
		aggVarKernel(a, in, vec.Values[int16](in.col))
	case arrow.INT32:
		aggVarKernel(a, in, vec.Values[int32](in.col))
	case arrow.INT64, arrow.DECIMAL64:
		aggVarKernel(a, in, vec.Values[int64](in.col))
	case arrow.FLOAT32:
		aggVarKernel(a, in, vec.Values[float32](in.col))
	case arrow.FLOAT64:
		aggVarKernel(a, in, vec.Values[float64](in.col))
	case arrow.DECIMAL128:
		src := vec.Values16(in.col)
		conv := func(v vec.Bytes16) float64 {
			x := aggI128{v.Lo, v.Hi}
			if x.isInt64() {
				return float64(int64(x.lo)) / a.scale
			}
			f, _ := new(big.Float).SetInt(x.big()).Float64()
			return f / a.scale
		}
		if in.dense {
			for i, g := range in.gids {
				a.add(g, conv(src[i]))
			}
		} else {
			for k, row := range in.rows {
				a.add(in.rgids[k], conv(src[row]))
			}
		}
	default:
		return fmt.Errorf("HashAggregate: %s: unsupported input type %s", a.fn, in.col.DataType())
	}
	return nil
}

func (a *aggVarAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggVarAcc)
	for i, g := range srcIDs {
		nb := s.n[g]
		if nb == 0 {
			continue
		}
		d := dstIDs[i]
		na := a.n[d]
		n := na + nb
		delta := s.mean[g] - a.mean[d]
		a.mean[d] += delta * float64(nb) / float64(n)
		a.m2[d] += s.m2[g] + delta*delta*float64(na)*float64(nb)/float64(n)
		a.n[d] = n
	}
	return nil
}

func (a *aggVarAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	vals := make([]float64, hi-lo)
	has := make([]bool, hi-lo)
	samp := a.fn == "var_samp" || a.fn == "stddev_samp"
	sqrt := a.fn == "stddev_samp" || a.fn == "stddev_pop"
	for i := range vals {
		g := lo + i
		n := a.n[g]
		var v float64
		switch {
		case samp && n >= 2:
			v = a.m2[g] / float64(n-1)
		case !samp && n >= 1:
			v = a.m2[g] / float64(n)
		default:
			continue
		}
		if v < 0 {
			v = 0
		}
		if sqrt {
			v = math.Sqrt(v)
		}
		vals[i], has[i] = v, true
	}
	return aggFixedArray(mem, arrow.PrimitiveTypes.Float64, vals, has), nil
}
