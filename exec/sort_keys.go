package exec

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// sortExprCols turns a list of expressions over an input into columns of a
// materialised batch: a plain column reference reads the input column
// directly; anything else is evaluated and appended after the input
// columns. Used by sort, top-N, window and the join build side.
type sortExprCols struct {
	nin   int
	pos   []int            // column position of expression i in the extended batch
	evals []eval.Evaluator // nil for column references
	extra int              // number of evaluated (appended) columns
}

func newSortExprCols(exprs []expr.Expr, nin int, env *eval.Env) (*sortExprCols, error) {
	s := &sortExprCols{nin: nin, pos: make([]int, len(exprs)), evals: make([]eval.Evaluator, len(exprs))}
	for i, e := range exprs {
		if c, ok := e.(*expr.ColumnRef); ok && c.Index < nin {
			s.pos[i] = c.Index
			continue
		}
		ev, err := eval.Compile(e, env)
		if err != nil {
			return nil, err
		}
		s.evals[i] = ev
		s.pos[i] = nin + s.extra
		s.extra++
	}
	return s, nil
}

// materialize returns the live rows of b as dense columns: the input
// columns followed by the evaluated expression columns. It releases b,
// also when it fails or panics (memory limit).
func (s *sortExprCols) materialize(ctx context.Context, mem memory.Allocator, b *vec.Batch) (res []arrow.Array, err error) {
	out := make([]arrow.Array, 0, s.nin+s.extra)
	done := false
	defer func() {
		b.Release()
		if !done {
			sortReleaseAll(out)
		}
	}()
	for _, ev := range s.evals {
		if ev == nil {
			continue
		}
		a, err := ev.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	var cols []arrow.Array
	if b.Sel == nil {
		cols = b.Compact(mem)
	} else {
		cols = sortTake(mem, make([]arrow.Array, 0, len(out)+len(b.Cols)), b.Cols, b.Sel)
	}
	done = true
	return append(cols, out...), nil
}

// sortConcat concatenates batches of columns (all with the same layout)
// column by column. With no parts it returns empty arrays of types. The
// parts are released.
func sortConcat(mem memory.Allocator, types []arrow.DataType, parts [][]arrow.Array) ([]arrow.Array, error) {
	defer func() {
		for _, p := range parts {
			for _, a := range p {
				a.Release()
			}
		}
	}()
	out := make([]arrow.Array, len(types))
	for j, t := range types {
		if len(parts) == 0 {
			out[j] = array.MakeArrayOfNull(mem, t, 0)
			continue
		}
		col := make([]arrow.Array, len(parts))
		for i, p := range parts {
			col[i] = p[j]
		}
		a, err := vec.Concat(mem, col)
		if err != nil {
			for _, x := range out[:j] {
				x.Release()
			}
			return nil, fmt.Errorf("concatenating %s columns: %w", t, err)
		}
		out[j] = a
	}
	return out, nil
}

func sortReleaseAll(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// sortCol is a typed view of one key column, read by the comparators.
type sortCol struct {
	arr   arrow.Array
	nulls bool
	i64   []int64
	i32   []int32
	i16   []int16
	i8    []int8
	f64   []float64
	f32   []float32
	d128  []vec.Bytes16
	offs  []int32
	data  []byte
	bools *array.Boolean
}

func newSortCol(a arrow.Array) sortCol {
	c := sortCol{arr: a, nulls: a.NullN() > 0}
	if a.Len() == 0 {
		return c
	}
	switch a.DataType().ID() {
	case arrow.INT64, arrow.DECIMAL64, arrow.TIMESTAMP, arrow.DATE64, arrow.DURATION:
		c.i64 = vec.Values[int64](a)
	case arrow.INT32, arrow.DATE32:
		c.i32 = vec.Values[int32](a)
	case arrow.INT16:
		c.i16 = vec.Values[int16](a)
	case arrow.INT8:
		c.i8 = vec.Values[int8](a)
	case arrow.FLOAT64:
		c.f64 = vec.Values[float64](a)
	case arrow.FLOAT32:
		c.f32 = vec.Values[float32](a)
	case arrow.DECIMAL128:
		c.d128 = vec.Values16(a)
	case arrow.STRING, arrow.BINARY:
		c.offs, c.data = vec.StringParts(a)
	case arrow.BOOL:
		c.bools = a.(*array.Boolean)
	}
	return c
}

func (c *sortCol) isNull(i int) bool { return c.nulls && c.arr.IsNull(i) }

// sortValueCmp compares two non-NULL values (ascending).
type sortValueCmp func(a *sortCol, i int, b *sortCol, j int) int

// sortCmpFor picks the comparator for a type once.
func sortCmpFor(t arrow.DataType) (sortValueCmp, error) {
	switch t.ID() {
	case arrow.INT64, arrow.DECIMAL64, arrow.TIMESTAMP, arrow.DATE64, arrow.DURATION:
		return func(a *sortCol, i int, b *sortCol, j int) int { return cmp.Compare(a.i64[i], b.i64[j]) }, nil
	case arrow.INT32, arrow.DATE32:
		return func(a *sortCol, i int, b *sortCol, j int) int { return cmp.Compare(a.i32[i], b.i32[j]) }, nil
	case arrow.INT16:
		return func(a *sortCol, i int, b *sortCol, j int) int { return cmp.Compare(a.i16[i], b.i16[j]) }, nil
	case arrow.INT8:
		return func(a *sortCol, i int, b *sortCol, j int) int { return cmp.Compare(a.i8[i], b.i8[j]) }, nil
	case arrow.FLOAT64:
		// Total order (-0 < +0, NaN largest), the same as sortNorm's.
		return func(a *sortCol, i int, b *sortCol, j int) int {
			return cmp.Compare(sortFloatKey(a.f64[i]), sortFloatKey(b.f64[j]))
		}, nil
	case arrow.FLOAT32:
		return func(a *sortCol, i int, b *sortCol, j int) int {
			return cmp.Compare(sortFloatKey(float64(a.f32[i])), sortFloatKey(float64(b.f32[j])))
		}, nil
	case arrow.DECIMAL128:
		return func(a *sortCol, i int, b *sortCol, j int) int {
			x, y := a.d128[i], b.d128[j]
			if x.Hi != y.Hi {
				return cmp.Compare(int64(x.Hi), int64(y.Hi))
			}
			return cmp.Compare(x.Lo, y.Lo)
		}, nil
	case arrow.STRING, arrow.BINARY:
		return func(a *sortCol, i int, b *sortCol, j int) int {
			return bytes.Compare(a.data[a.offs[i]:a.offs[i+1]], b.data[b.offs[j]:b.offs[j+1]])
		}, nil
	case arrow.BOOL:
		return func(a *sortCol, i int, b *sortCol, j int) int {
			x, y := a.bools.Value(i), b.bools.Value(j)
			switch {
			case x == y:
				return 0
			case !x:
				return -1
			}
			return 1
		}, nil
	case arrow.NULL:
		return func(*sortCol, int, *sortCol, int) int { return 0 }, nil
	}
	return nil, fmt.Errorf("cannot order values of type %s", t)
}

// sortOrder is a compiled multi-key ordering.
type sortOrder struct {
	cmps       []sortValueCmp
	desc       []bool
	nullsFirst []bool
}

func newSortOrder(types []arrow.DataType, desc, nullsFirst []bool) (*sortOrder, error) {
	o := &sortOrder{desc: desc, nullsFirst: nullsFirst}
	for _, t := range types {
		c, err := sortCmpFor(t)
		if err != nil {
			return nil, err
		}
		o.cmps = append(o.cmps, c)
	}
	return o, nil
}

// compare orders row i of key columns a against row j of key columns b.
func (o *sortOrder) compare(a []sortCol, i int, b []sortCol, j int) int {
	for k, c := range o.cmps {
		ca, cb := &a[k], &b[k]
		an, bn := ca.isNull(i), cb.isNull(j)
		if an || bn {
			if an && bn {
				continue
			}
			r := 1 // NULL sorts last
			if bn {
				r = -1
			}
			if o.nullsFirst[k] {
				r = -r
			}
			return r
		}
		if r := c(ca, i, cb, j); r != 0 {
			if o.desc[k] {
				return -r
			}
			return r
		}
	}
	return 0
}

// sortTake appends Take(c, idx) for every column to dst. On a panic (the
// memory budget's) it releases dst, so no array leaks, and re-panics.
func sortTake(mem memory.Allocator, dst []arrow.Array, cols []arrow.Array, idx []int32) []arrow.Array {
	defer func() {
		if r := recover(); r != nil {
			sortReleaseAll(dst)
			panic(r)
		}
	}()
	for _, c := range cols {
		dst = append(dst, vec.Take(mem, c, idx))
	}
	return dst
}

// sortFloatKey maps a float to an unsigned key with the same order.
func sortFloatKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// sortPair is a row with the normalised (unsigned, order-preserving) key
// of its first sort column.
type sortPair struct {
	k uint64
	i int32
}

// sortNorm fills the normalised first-key of rows idx, returning false
// when the column type has no normalised form. exact reports whether
// equal keys mean equal values (not so for string prefixes).
func sortNorm(c *sortCol, desc bool, idx []int32, out []sortPair) (exact, ok bool) {
	flip := uint64(0)
	if desc {
		flip = ^uint64(0)
	}
	const sign = uint64(1) << 63
	switch {
	case c.i64 != nil:
		for j, r := range idx {
			out[j] = sortPair{(uint64(c.i64[r]) ^ sign) ^ flip, r}
		}
	case c.i32 != nil:
		for j, r := range idx {
			out[j] = sortPair{(uint64(int64(c.i32[r])) ^ sign) ^ flip, r}
		}
	case c.i16 != nil:
		for j, r := range idx {
			out[j] = sortPair{(uint64(int64(c.i16[r])) ^ sign) ^ flip, r}
		}
	case c.i8 != nil:
		for j, r := range idx {
			out[j] = sortPair{(uint64(int64(c.i8[r])) ^ sign) ^ flip, r}
		}
	case c.f64 != nil:
		for j, r := range idx {
			out[j] = sortPair{sortFloatKey(c.f64[r]) ^ flip, r}
		}
	case c.f32 != nil:
		for j, r := range idx {
			out[j] = sortPair{sortFloatKey(float64(c.f32[r])) ^ flip, r}
		}
	case c.offs != nil:
		var buf [8]byte
		for j, r := range idx {
			v := c.data[c.offs[r]:c.offs[r+1]]
			n := copy(buf[:], v)
			clear(buf[n:])
			out[j] = sortPair{binary.BigEndian.Uint64(buf[:]) ^ flip, r}
		}
		return false, true
	default:
		return false, false
	}
	return true, true
}

// sortRows sorts row indexes idx by o over key columns keys. The first
// key is normalised to a uint64 when its type allows (pdqsort over
// (key, row) pairs, full comparison only on ties); otherwise every
// comparison goes through the per-type comparators.
func sortRows(o *sortOrder, keys []sortCol, idx []int32) {
	full := func(a, b int32) int { return o.compare(keys, int(a), keys, int(b)) }
	if len(keys) == 0 || len(idx) < 2 {
		return
	}
	c := &keys[0]
	// NULLs of the first key go to one end, ordered by the other keys.
	vals, nulls := idx, []int32(nil)
	if c.nulls {
		vals, nulls = make([]int32, 0, len(idx)), make([]int32, 0)
		for _, r := range idx {
			if c.arr.IsNull(int(r)) {
				nulls = append(nulls, r)
			} else {
				vals = append(vals, r)
			}
		}
	}
	pairs := make([]sortPair, len(vals))
	exact, ok := sortNorm(c, o.desc[0], vals, pairs)
	if !ok {
		slices.SortFunc(idx, full)
		return
	}
	single := exact && len(keys) == 1
	slices.SortFunc(pairs, func(a, b sortPair) int {
		if a.k != b.k {
			if a.k < b.k {
				return -1
			}
			return 1
		}
		if single {
			return 0
		}
		return o.compare(keys, int(a.i), keys, int(b.i))
	})
	if len(keys) > 1 {
		slices.SortFunc(nulls, full)
	}
	pos := 0
	if o.nullsFirst[0] {
		pos += copy(idx, nulls)
	}
	for _, p := range pairs {
		idx[pos] = p.i
		pos++
	}
	if !o.nullsFirst[0] {
		copy(idx[pos:], nulls)
	}
}
