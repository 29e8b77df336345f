package exec

import (
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/vec"
)

// computeFunc evaluates one window function over this slice's rows; the
// result has one value per materialised row (original order).
func (w *windowOp) computeFunc(f winFunc, s *winSpec, l *winLayout) (arrow.Array, error) {
	n := w.n
	T := f.fn.T
	perm := l.perm
	switch f.fn.Fn {
	case "row_number", "rank", "dense_rank", "ntile":
		vals := make([]int64, n)
		var nt []int64
		if f.fn.Fn == "ntile" {
			nt = make([]int64, n)
			valid := joinReadInts(w.cols[f.args[0]], nil, nt, nil)
			for i, ok := range valid {
				if !ok {
					nt[i] = 0
				}
			}
		}
		dense := int64(0)
		for p := 0; p < n; p++ {
			ps := int(l.ps[p])
			row := perm[p]
			switch f.fn.Fn {
			case "row_number":
				vals[row] = int64(p - ps + 1)
			case "rank":
				vals[row] = int64(int(l.peerStart[p]) - ps + 1)
			case "dense_rank":
				if p == ps {
					dense = 0
				}
				if int(l.peerStart[p]) == p {
					dense++
				}
				vals[row] = dense
			case "ntile":
				k := nt[perm[ps]]
				if k <= 0 {
					return nil, fmt.Errorf("Window: ntile argument must be a positive integer, got %d", k)
				}
				size := int64(l.pe[p]) - int64(ps)
				i := int64(p - ps)
				q, r := size/k, size%k
				var b int64
				if i < r*(q+1) {
					b = i / (q + 1)
				} else {
					b = r + (i-r*(q+1))/q
				}
				vals[row] = b + 1
			}
		}
		return winIntArray(w.mem, T, vals, nil)
	case "percent_rank", "cume_dist":
		vals := make([]float64, n)
		for p := 0; p < n; p++ {
			ps, size := int(l.ps[p]), int(l.pe[p]-l.ps[p])
			if f.fn.Fn == "percent_rank" {
				if size > 1 {
					vals[perm[p]] = float64(int(l.peerStart[p])-ps) / float64(size-1)
				}
			} else {
				vals[perm[p]] = float64(int(l.peerEnd[p])-ps) / float64(size)
			}
		}
		return vec.FixedArray(w.mem, arrow.PrimitiveTypes.Float64, vals, nil), nil
	case "lag", "lead":
		return w.lagLead(f, l)
	}
	fs, fe, err := w.frames(f, s, l)
	if err != nil {
		return nil, err
	}
	switch f.fn.Fn {
	case "first_value", "last_value":
		idx := make([]int32, n)
		for p := 0; p < n; p++ {
			r := int32(-1)
			if fs[p] < fe[p] {
				if f.fn.Fn == "first_value" {
					r = perm[fs[p]]
				} else {
					r = perm[fe[p]-1]
				}
			}
			idx[perm[p]] = r
		}
		return vec.Take(w.mem, w.cols[f.args[0]], idx), nil
	case "count_star", "count":
		// cnt[p] = counted rows among sorted positions [0, p).
		cnt := make([]int64, n+1)
		var x arrow.Array
		if f.fn.Fn == "count" {
			x = w.cols[f.args[0]]
		}
		for p := 0; p < n; p++ {
			c := int64(1)
			if x != nil && x.IsNull(int(perm[p])) {
				c = 0
			}
			cnt[p+1] = cnt[p] + c
		}
		vals := make([]int64, n)
		for p := 0; p < n; p++ {
			vals[perm[p]] = cnt[fe[p]] - cnt[fs[p]]
		}
		return winIntArray(w.mem, T, vals, nil)
	case "min", "max":
		return w.minMax(f, l, fs, fe)
	case "sum", "avg":
		return w.sumAvg(f, l, fs, fe)
	}
	return nil, fmt.Errorf("Window: unknown window function %s", f.fn.Fn)
}

// frames returns each sorted position's frame [fs, fe) in sorted positions.
func (w *windowOp) frames(f winFunc, s *winSpec, l *winLayout) (fs, fe []int32, err error) {
	n := w.n
	fs, fe = make([]int32, n), make([]int32, n)
	fr := f.frame
	clamp := func(v, lo, hi int64) int32 { return int32(max(lo, min(v, hi))) }
	var rk *winRangeKey
	if !fr.Rows && ((!fr.Start.Unbounded && fr.Start.Offset != 0) || (!fr.End.Unbounded && fr.End.Offset != 0)) {
		if rk, err = w.rangeKey(s, l); err != nil {
			return nil, nil, err
		}
	}
	for p := 0; p < n; p++ {
		ps, pe := int64(l.ps[p]), int64(l.pe[p])
		switch {
		case fr.Start.Unbounded:
			fs[p] = int32(ps)
		case fr.Rows:
			fs[p] = clamp(int64(p)+fr.Start.Offset, ps, pe)
		case fr.Start.Offset == 0:
			fs[p] = l.peerStart[p]
		default:
			fs[p] = rk.bound(l, p, fr.Start.Offset, false)
		}
		switch {
		case fr.End.Unbounded:
			fe[p] = int32(pe)
		case fr.Rows:
			fe[p] = clamp(int64(p)+fr.End.Offset+1, ps, pe)
		case fr.End.Offset == 0:
			fe[p] = l.peerEnd[p]
		default:
			fe[p] = rk.bound(l, p, fr.End.Offset, true)
		}
		if fe[p] < fs[p] {
			fe[p] = fs[p]
		}
	}
	return fs, fe, nil
}

// winRangeKey holds the single ORDER BY key in sorted order for RANGE
// frames with offsets.
type winRangeKey struct {
	ints   []int64
	floats []float64
	null   []bool
	desc   bool
	scale  int64 // decimal offsets are in whole units
}

func (w *windowOp) rangeKey(s *winSpec, l *winLayout) (*winRangeKey, error) {
	a := w.cols[s.order[0]]
	rk := &winRangeKey{desc: s.keys[0].Desc, scale: 1, null: make([]bool, w.n)}
	for p, r := range l.perm {
		rk.null[p] = a.IsNull(int(r))
	}
	switch a.DataType().ID() {
	case arrow.FLOAT64:
		v := vec.Values[float64](a)
		rk.floats = make([]float64, w.n)
		for p, r := range l.perm {
			rk.floats[p] = v[r]
		}
	default:
		all := make([]int64, w.n)
		joinReadInts(a, nil, all, nil)
		rk.ints = make([]int64, w.n)
		for p, r := range l.perm {
			rk.ints[p] = all[r]
		}
		if _, sc, ok := types.DecimalParams(a.DataType()); ok {
			rk.scale = int64(math.Pow10(int(sc)))
		}
	}
	return rk, nil
}

// bound finds the frame bound of sorted position p for a RANGE offset
// (negative = PRECEDING): the first position of the frame (end=false) or
// one past its last (end=true).
func (rk *winRangeKey) bound(l *winLayout, p int, off int64, end bool) int32 {
	if rk.null[p] {
		if end {
			return l.peerEnd[p]
		}
		return l.peerStart[p]
	}
	// The non-NULL segment of the partition (NULLs are a peer group at
	// one end).
	lo, hi := int(l.ps[p]), int(l.pe[p])
	if rk.null[lo] {
		lo = int(l.peerEnd[lo])
	}
	if rk.null[hi-1] {
		hi = int(l.peerStart[hi-1])
	}
	// In sort direction, the frame covers keys within [v+off] limits;
	// for DESC the values decrease, so "preceding" means larger.
	var i int
	if rk.floats != nil {
		v := rk.floats[p]
		t := v + float64(off)
		if rk.desc {
			t = v - float64(off)
		}
		i = lo + sort.Search(hi-lo, func(k int) bool {
			x := rk.floats[lo+k]
			switch {
			case !rk.desc && !end:
				return x >= t
			case !rk.desc && end:
				return x > t
			case rk.desc && !end:
				return x <= t
			}
			return x < t
		})
	} else {
		v := rk.ints[p]
		t := v + off*rk.scale
		if rk.desc {
			t = v - off*rk.scale
		}
		i = lo + sort.Search(hi-lo, func(k int) bool {
			x := rk.ints[lo+k]
			switch {
			case !rk.desc && !end:
				return x >= t
			case !rk.desc && end:
				return x > t
			case rk.desc && !end:
				return x <= t
			}
			return x < t
		})
	}
	return int32(i)
}

// lagLead computes lag/lead(x [, offset [, default]]).
func (w *windowOp) lagLead(f winFunc, l *winLayout) (arrow.Array, error) {
	n := w.n
	x := w.cols[f.args[0]]
	offs := make([]int64, n)
	var offValid []bool
	if len(f.args) > 1 {
		offValid = joinReadInts(w.cols[f.args[1]], nil, offs, nil)
	} else {
		for i := range offs {
			offs[i] = 1
		}
	}
	var def arrow.Array
	if len(f.args) > 2 {
		def = w.cols[f.args[2]]
		if def.DataType().ID() == arrow.NULL || def.NullN() == def.Len() {
			def = nil
		} else if !arrow.TypeEqual(def.DataType(), x.DataType()) {
			return nil, fmt.Errorf("Window: %s default has type %s, want %s", f.fn.Fn, def.DataType(), x.DataType())
		}
	}
	idx := make([]int32, n)
	useDef := false
	for p := 0; p < n; p++ {
		row := l.perm[p]
		if offValid != nil && !offValid[row] {
			idx[row] = -1
			continue
		}
		o := offs[row]
		if f.fn.Fn == "lag" {
			o = -o
		}
		t := int64(p) + o
		switch {
		case t >= int64(l.ps[p]) && t < int64(l.pe[p]):
			idx[row] = l.perm[t]
		case def != nil:
			idx[row] = int32(n) + row
			useDef = true
		default:
			idx[row] = -1
		}
	}
	if !useDef {
		return vec.Take(w.mem, x, idx), nil
	}
	both, err := vec.Concat(w.mem, []arrow.Array{x, def})
	if err != nil {
		return nil, fmt.Errorf("Window: %s default: %w", f.fn.Fn, err)
	}
	defer both.Release()
	return vec.Take(w.mem, both, idx), nil
}

// minMax computes min/max over frames as the index of the extreme row,
// reusing the previous frame's answer when the frame only grew at its end.
func (w *windowOp) minMax(f winFunc, l *winLayout, fs, fe []int32) (arrow.Array, error) {
	x := w.cols[f.args[0]]
	c, err := sortCmpFor(x.DataType())
	if err != nil {
		return nil, fmt.Errorf("Window: %s: %w", f.fn.Fn, err)
	}
	col := newSortCol(x)
	sign := 1
	if f.fn.Fn == "max" {
		sign = -1
	}
	perm := l.perm
	better := func(a, b int32) bool { // row a strictly better than row b
		return sign*c(&col, int(a), &col, int(b)) < 0
	}
	idx := make([]int32, w.n)
	best, curS, curE := int32(-1), int32(-1), int32(-1)
	for p := 0; p < w.n; p++ {
		s, e := fs[p], fe[p]
		if s != curS || e < curE {
			best, curE = -1, s
			curS = s
		}
		for q := curE; q < e; q++ {
			r := perm[q]
			if col.isNull(int(r)) {
				continue
			}
			if best < 0 || better(r, best) {
				best = r
			}
		}
		curE = e
		idx[perm[p]] = best
	}
	return vec.Take(w.mem, x, idx), nil
}

// sumAvg computes sum/avg over frames from prefix sums over the sorted
// order (128-bit for integers and decimals; floats restart at every
// partition so running frames are summed exactly in order).
func (w *windowOp) sumAvg(f winFunc, l *winLayout, fs, fe []int32) (arrow.Array, error) {
	n := w.n
	x := w.cols[f.args[0]]
	perm := l.perm
	T := f.fn.T
	cnt := make([]int64, n+1)
	for p := 0; p < n; p++ {
		c := int64(1)
		if x.IsNull(int(perm[p])) {
			c = 0
		}
		cnt[p+1] = cnt[p] + c
	}
	valid := make([]bool, n)
	for p := 0; p < n; p++ {
		valid[perm[p]] = cnt[fe[p]]-cnt[fs[p]] > 0
	}
	xid := x.DataType().ID()
	if xid == arrow.FLOAT64 || xid == arrow.FLOAT32 || T.ID() == arrow.FLOAT64 {
		// Floating point: per-partition running sums.
		xf := winFloats(x)
		q := make([]float64, n)
		for p := 0; p < n; p++ {
			v := 0.0
			if !x.IsNull(int(perm[p])) {
				v = xf[perm[p]]
			}
			if p == int(l.ps[p]) {
				q[p] = v
			} else {
				q[p] = q[p-1] + v
			}
		}
		out := make([]float64, n)
		for p := 0; p < n; p++ {
			s, e := int(fs[p]), int(fe[p])
			if s >= e {
				continue
			}
			sum := q[e-1]
			if s > int(l.ps[p]) {
				sum -= q[s-1]
			}
			if f.fn.Fn == "avg" {
				if c := cnt[e] - cnt[s]; c > 0 {
					sum /= float64(c)
				}
			}
			out[perm[p]] = sum
		}
		if T.ID() != arrow.FLOAT64 {
			return nil, fmt.Errorf("Window: %s over %s must return DOUBLE, plan says %s", f.fn.Fn, x.DataType(), T)
		}
		return vec.FixedArray(w.mem, T, out, valid), nil
	}
	// Exact: 128-bit prefix sums of unscaled values.
	_, xs, _ := types.DecimalParams(x.DataType())
	pre := make([]decimal128.Num, n+1)
	switch xid {
	case arrow.DECIMAL128:
		v := vec.Values16(x)
		for p := 0; p < n; p++ {
			r := perm[p]
			pre[p+1] = pre[p]
			if !x.IsNull(int(r)) {
				pre[p+1] = pre[p].Add(decimal128.New(int64(v[r].Hi), v[r].Lo))
			}
		}
	default:
		if !joinIntKey(x.DataType()) {
			return nil, fmt.Errorf("Window: %s over %s is not supported", f.fn.Fn, x.DataType())
		}
		iv := make([]int64, n)
		joinReadInts(x, nil, iv, nil)
		for p := 0; p < n; p++ {
			r := perm[p]
			pre[p+1] = pre[p]
			if !x.IsNull(int(r)) {
				pre[p+1] = pre[p].Add(decimal128.FromI64(iv[r]))
			}
		}
	}
	out := make([]decimal128.Num, n)
	_, ts, isDec := types.DecimalParams(T)
	for p := 0; p < n; p++ {
		s, e := fs[p], fe[p]
		if cnt[e]-cnt[s] == 0 {
			continue
		}
		sum := pre[e].Sub(pre[s])
		if f.fn.Fn == "avg" {
			if !isDec {
				return nil, fmt.Errorf("Window: avg over %s must return a DECIMAL or DOUBLE, plan says %s", x.DataType(), T)
			}
			sum = winDivRound(sum.IncreaseScaleBy(ts-xs), cnt[e]-cnt[s])
		} else if isDec && ts != xs {
			sum = sum.IncreaseScaleBy(ts - xs)
		}
		out[perm[p]] = sum
	}
	return winDecimalResult(w.mem, T, out, valid, f.fn.Fn)
}

// winDivRound divides by a positive count, rounding half away from zero.
func winDivRound(v decimal128.Num, c int64) decimal128.Num {
	d := decimal128.FromI64(c)
	q, r := v.Div(d)
	if r.Abs().Add(r.Abs()).GreaterEqual(d) {
		if v.Sign() < 0 {
			q = q.Sub(decimal128.FromI64(1))
		} else {
			q = q.Add(decimal128.FromI64(1))
		}
	}
	return q
}

func winFloats(x arrow.Array) []float64 {
	switch x.DataType().ID() {
	case arrow.FLOAT64:
		return vec.Values[float64](x)
	case arrow.FLOAT32:
		v := vec.Values[float32](x)
		out := make([]float64, len(v))
		for i, f := range v {
			out[i] = float64(f)
		}
		return out
	}
	iv := make([]int64, x.Len())
	joinReadInts(x, nil, iv, nil)
	out := make([]float64, len(iv))
	sc := 1.0
	if _, s, ok := types.DecimalParams(x.DataType()); ok {
		sc = math.Pow10(int(s))
	}
	for i, v := range iv {
		out[i] = float64(v) / sc
	}
	return out
}

// winDecimalResult builds the result array of type T from 128-bit values.
func winDecimalResult(mem memory.Allocator, T arrow.DataType, vals []decimal128.Num, valid []bool, fn string) (arrow.Array, error) {
	switch T.ID() {
	case arrow.INT64, arrow.DECIMAL64:
		out := make([]int64, len(vals))
		for i, v := range vals {
			if valid[i] && v.HighBits() != int64(v.LowBits())>>63 {
				return nil, fmt.Errorf("Window: %s overflows %s", fn, types.SQLName(T))
			}
			out[i] = int64(v.LowBits())
		}
		return vec.FixedArray(mem, T, out, valid), nil
	case arrow.DECIMAL128:
		buf := memory.NewResizableBuffer(mem)
		buf.Resize(16 * len(vals))
		dst := arrow.Decimal128Traits.CastFromBytes(buf.Bytes())
		copy(dst, vals)
		nulls := 0
		var vb *memory.Buffer
		for _, ok := range valid {
			if !ok {
				nulls++
			}
		}
		if nulls > 0 {
			vb = vec.NewValidity(mem, len(vals))
			bs := vb.Bytes()
			for i, ok := range valid {
				if !ok {
					bs[i/8] &^= 1 << (i % 8)
				}
			}
		}
		d := array.NewData(T, len(vals), []*memory.Buffer{vb, buf}, nil, nulls, 0)
		buf.Release()
		if vb != nil {
			vb.Release()
		}
		defer d.Release()
		return array.MakeFromData(d), nil
	}
	return nil, fmt.Errorf("Window: %s cannot return %s", fn, T)
}

// winIntArray builds an integer result of type T (BIGINT normally).
func winIntArray(mem memory.Allocator, T arrow.DataType, vals []int64, valid []bool) (arrow.Array, error) {
	switch T.ID() {
	case arrow.INT64:
		return vec.FixedArray(mem, T, vals, valid), nil
	case arrow.INT32:
		v32 := make([]int32, len(vals))
		for i, v := range vals {
			v32[i] = int32(v)
		}
		return vec.FixedArray(mem, T, v32, valid), nil
	case arrow.FLOAT64:
		f := make([]float64, len(vals))
		for i, v := range vals {
			f[i] = float64(v)
		}
		return vec.FixedArray(mem, T, f, valid), nil
	case arrow.DECIMAL128:
		nums := make([]decimal128.Num, len(vals))
		ok := valid
		if ok == nil {
			ok = make([]bool, len(vals))
			for i := range ok {
				ok[i] = true
			}
		}
		_, s, _ := types.DecimalParams(T)
		for i, v := range vals {
			nums[i] = decimal128.FromI64(v).IncreaseScaleBy(s)
		}
		return winDecimalResult(mem, T, nums, ok, "window function")
	}
	return nil, fmt.Errorf("Window: integer result cannot be returned as %s", T)
}
