package exec

import (
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/keys"
	"github.com/tarnsql/tarn/vec"
)

// Distinct sets of DISTINCT aggregates: the (group id, value) pairs seen
// by a slice. The sets only record pairs while sinking; the accumulator
// of a DISTINCT aggregate is fed in the merge, with the pairs first seen
// by the final set of each partition.
//
// Two implementations, chosen once per aggregate by the argument type:
//   - aggFixedDistinct for fixed-width values (integers, dates,
//     timestamps, decimal64, floats, booleans): the value as uint64 bits
//     in a flat open-addressing table, hashed with aggMix; without GROUP
//     BY a table of values alone (8 bytes a slot).
//   - aggBytesDistinct for anything else: the group id and the exec/keys
//     encoding of the value in an aggBytesTable.

// aggDistinct is the distinct set of one DISTINCT aggregate.
type aggDistinct interface {
	// add records the pairs (gids[i], value of live row i of c) for the
	// non-NULL values (sel: c's selection, nil for none).
	add(mem memory.Allocator, gids []int32, c arrow.Array, sel []int32)
	memBytes() int64
	// split records, for merge partition q of p, the entries whose group
	// is in it (groupPart maps a group id to its partition).
	split(groupPart []int32, p int)
	// mergePart inserts the entries of partition q of src (a set of the
	// same kind, split before) into this set, with src's group ids mapped
	// by gidMap, and calls feed with the pairs not seen before (the
	// values as a column of type dt, in chunks).
	mergePart(mem memory.Allocator, src aggDistinct, q int, gidMap []int32, dt arrow.DataType, feed aggFeedFunc) error
}

// aggFeedFunc receives new (group, value) pairs; it does not keep col.
type aggFeedFunc func(gids []int32, col arrow.Array) error

// aggFeedChunk is the number of pairs fed at a time while merging.
const aggFeedChunk = 4096

// newAggDistinct returns the distinct set for argument type dt;
// oneGroup tells the aggregate has no keys (group id always 0).
func newAggDistinct(dt arrow.DataType, oneGroup bool) aggDistinct {
	if aggDistinctFixed(dt) {
		return newAggFixedDistinct(oneGroup)
	}
	return &aggBytesDistinct{t: newAggBytesTable()}
}

// aggDistinctFixed reports whether aggFixedDistinct holds values of dt.
func aggDistinctFixed(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL:
		return true
	}
	return false
}

// ---------------------------------------------------------------------
// Fixed-width values.

// aggDistinctSlot is a slot of a grouped fixed distinct set.
type aggDistinctSlot struct {
	v uint64
	g int32 // group id + 1; 0 = empty
}

// aggFixedDistinct is an open-addressing set of (group id, value bits)
// pairs with linear probing and a load factor of at most 1/2. Without
// groups (oneGroup) the slots hold the value bits alone, 0 marking an
// empty slot and hasZero recording the value 0. Entries are named by
// slot index (len(vals) names the zero value of a oneGroup set).
type aggFixedDistinct struct {
	oneGroup bool
	vals     []uint64          // oneGroup slots
	hasZero  bool              // oneGroup: value 0 seen
	slots    []aggDistinctSlot // grouped slots
	mask     uint64
	n        int      // entries in the table (excluding hasZero)
	conv     []uint64 // per-batch scratch: the values as bits
	parts    [][]int32
	pendG    []int32
	pendV    []uint64
}

func newAggFixedDistinct(oneGroup bool) *aggFixedDistinct {
	s := &aggFixedDistinct{oneGroup: oneGroup}
	if oneGroup {
		s.vals = make([]uint64, 256)
	} else {
		s.slots = make([]aggDistinctSlot, 256)
	}
	s.mask = 255
	return s
}

func (s *aggFixedDistinct) memBytes() int64 {
	n := int64(cap(s.vals))*8 + int64(cap(s.slots))*16 + int64(cap(s.conv))*8 +
		int64(cap(s.pendG))*4 + int64(cap(s.pendV))*8
	for _, p := range s.parts {
		n += int64(cap(p)) * 4
	}
	return n
}

func (s *aggFixedDistinct) size() int {
	if s.oneGroup {
		return len(s.vals)
	}
	return len(s.slots)
}

// aggDistinctHash hashes a (group, value) pair of a grouped set.
func aggDistinctHash(g int32, v uint64) uint64 {
	return aggMix(v ^ uint64(g)*0x9e3779b97f4a7c15)
}

// reserve makes room for n more entries without passing the load factor.
func (s *aggFixedDistinct) reserve(n int) {
	need := s.n + n
	if need*2 <= s.size() {
		return
	}
	size := s.size()
	for size < need*2 {
		size *= 2
	}
	s.rehash(size)
}

func (s *aggFixedDistinct) rehash(size int) {
	mask := uint64(size - 1)
	if s.oneGroup {
		old := s.vals
		vals := make([]uint64, size)
		for _, v := range old {
			if v == 0 {
				continue
			}
			i := aggMix(v) & mask
			for vals[i] != 0 {
				i = (i + 1) & mask
			}
			vals[i] = v
		}
		s.vals, s.mask = vals, mask
		return
	}
	old := s.slots
	slots := make([]aggDistinctSlot, size)
	for _, e := range old {
		if e.g == 0 {
			continue
		}
		i := aggDistinctHash(e.g-1, e.v) & mask
		for slots[i].g != 0 {
			i = (i + 1) & mask
		}
		slots[i] = e
	}
	s.slots, s.mask = slots, mask
}

// insertOne adds value v (oneGroup) and reports whether it is new. The
// caller has reserved room.
func (s *aggFixedDistinct) insertOne(v uint64) bool {
	if v == 0 {
		if s.hasZero {
			return false
		}
		s.hasZero = true
		return true
	}
	vals, mask := s.vals, s.mask
	i := aggMix(v) & mask
	for {
		x := vals[i]
		if x == v {
			return false
		}
		if x == 0 {
			vals[i] = v
			s.n++
			return true
		}
		i = (i + 1) & mask
	}
}

// insert adds the pair (g, v) and reports whether it is new. The caller
// has reserved room.
func (s *aggFixedDistinct) insert(g int32, v uint64) bool {
	slots, mask := s.slots, s.mask
	i := aggDistinctHash(g, v) & mask
	for {
		e := &slots[i]
		if e.g == 0 {
			e.v, e.g = v, g+1
			s.n++
			return true
		}
		if e.v == v && e.g == g+1 {
			return false
		}
		i = (i + 1) & mask
	}
}

func (s *aggFixedDistinct) add(_ memory.Allocator, gids []int32, c arrow.Array, sel []int32) {
	n := len(gids)
	if cap(s.conv) < n {
		s.conv = make([]uint64, n)
	}
	conv := s.conv[:n]
	aggDistinctBits(c, sel, conv)
	s.reserve(n)
	if c.NullN() == 0 {
		if s.oneGroup {
			s.addOne(conv)
			return
		}
		for i, v := range conv {
			s.insert(gids[i], v)
		}
		return
	}
	bm, off := c.NullBitmapBytes(), c.Data().Offset()
	for i, v := range conv {
		r := i
		if sel != nil {
			r = int(sel[i])
		}
		if !bitutil.BitIsSet(bm, off+r) {
			continue
		}
		if s.oneGroup {
			s.insertOne(v)
		} else {
			s.insert(gids[i], v)
		}
	}
}

// addOne is the no-NULL loop of a oneGroup set, probing inline.
func (s *aggFixedDistinct) addOne(conv []uint64) {
	vals, mask := s.vals, s.mask
	added := 0
	for _, v := range conv {
		if v == 0 {
			s.hasZero = true
			continue
		}
		i := aggMix(v) & mask
		for {
			x := vals[i]
			if x == v {
				break
			}
			if x == 0 {
				vals[i] = v
				added++
				break
			}
			i = (i + 1) & mask
		}
	}
	s.n += added
}

func (s *aggFixedDistinct) split(groupPart []int32, p int) {
	s.parts = make([][]int32, p)
	if s.oneGroup {
		// Every entry is in group 0's partition: recorded as nil entries
		// (all) in mergePart.
		return
	}
	for e, x := range s.slots {
		if x.g == 0 {
			continue
		}
		q := groupPart[x.g-1]
		s.parts[q] = append(s.parts[q], int32(e))
	}
}

func (s *aggFixedDistinct) mergePart(mem memory.Allocator, src aggDistinct, q int, gidMap []int32, dt arrow.DataType, feed aggFeedFunc) error {
	o := src.(*aggFixedDistinct)
	s.pendG, s.pendV = s.pendG[:0], s.pendV[:0]
	if o.oneGroup {
		fg := gidMap[0]
		if fg < 0 {
			return nil // group 0 is not in partition q
		}
		if s.n == 0 && !s.hasZero && len(s.vals) <= len(o.vals) {
			// The first contribution: copy the table, every value is new.
			s.vals = append(s.vals[:0], o.vals...)
			s.mask, s.n, s.hasZero = o.mask, o.n, o.hasZero
			return s.feedAll(mem, dt, fg, feed)
		}
		s.reserve(o.n + 1)
		if o.hasZero && s.insertOne(0) {
			if err := s.pend(mem, dt, feed, fg, 0); err != nil {
				return err
			}
		}
		for _, v := range o.vals {
			if v != 0 && s.insertOne(v) {
				if err := s.pend(mem, dt, feed, fg, v); err != nil {
					return err
				}
			}
		}
		return s.flush(mem, dt, feed)
	}
	es := o.parts[q]
	s.reserve(len(es))
	for _, e := range es {
		x := o.slots[e]
		g := gidMap[x.g-1]
		if s.insert(g, x.v) {
			if err := s.pend(mem, dt, feed, g, x.v); err != nil {
				return err
			}
		}
	}
	return s.flush(mem, dt, feed)
}

// feedAll feeds every value of a oneGroup set as group g.
func (s *aggFixedDistinct) feedAll(mem memory.Allocator, dt arrow.DataType, g int32, feed aggFeedFunc) error {
	if s.hasZero {
		if err := s.pend(mem, dt, feed, g, 0); err != nil {
			return err
		}
	}
	for _, v := range s.vals {
		if v != 0 {
			if err := s.pend(mem, dt, feed, g, v); err != nil {
				return err
			}
		}
	}
	return s.flush(mem, dt, feed)
}

func (s *aggFixedDistinct) pend(mem memory.Allocator, dt arrow.DataType, feed aggFeedFunc, g int32, v uint64) error {
	s.pendG = append(s.pendG, g)
	s.pendV = append(s.pendV, v)
	if len(s.pendG) >= aggFeedChunk {
		return s.flush(mem, dt, feed)
	}
	return nil
}

func (s *aggFixedDistinct) flush(mem memory.Allocator, dt arrow.DataType, feed aggFeedFunc) error {
	if len(s.pendG) == 0 {
		return nil
	}
	col := aggDistinctColumn(mem, dt, s.pendV)
	defer col.Release()
	err := feed(s.pendG, col)
	s.pendG, s.pendV = s.pendG[:0], s.pendV[:0]
	return err
}

// aggDistinctBits converts the live rows of a fixed-width column to
// uint64 bits: integers sign- or zero-extended, booleans 0/1, floats as
// float64 bits with -0 = +0 and every NaN one value (aggFloatBits).
func aggDistinctBits(c arrow.Array, sel []int32, out []uint64) {
	switch c.DataType().ID() {
	case arrow.INT8:
		aggBitsOf(vec.Values[int8](c), sel, out)
	case arrow.INT16:
		aggBitsOf(vec.Values[int16](c), sel, out)
	case arrow.INT32, arrow.DATE32:
		aggBitsOf(vec.Values[int32](c), sel, out)
	case arrow.INT64, arrow.TIMESTAMP, arrow.DECIMAL64:
		aggBitsOf(vec.Values[int64](c), sel, out)
	case arrow.UINT8:
		aggBitsOf(vec.Values[uint8](c), sel, out)
	case arrow.UINT16:
		aggBitsOf(vec.Values[uint16](c), sel, out)
	case arrow.UINT32:
		aggBitsOf(vec.Values[uint32](c), sel, out)
	case arrow.UINT64:
		aggBitsOf(vec.Values[uint64](c), sel, out)
	case arrow.FLOAT32:
		aggFloatBitsOf(vec.Values[float32](c), sel, out)
	case arrow.FLOAT64:
		aggFloatBitsOf(vec.Values[float64](c), sel, out)
	case arrow.BOOL:
		bits, off := c.Data().Buffers()[1].Bytes(), c.Data().Offset()
		for i := range out {
			r := i
			if sel != nil {
				r = int(sel[i])
			}
			out[i] = 0
			if bitutil.BitIsSet(bits, off+r) {
				out[i] = 1
			}
		}
	}
}

func aggBitsOf[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](v []T, sel []int32, out []uint64) {
	if sel == nil {
		v = v[:len(out)]
		for i, x := range v {
			out[i] = uint64(x)
		}
		return
	}
	for i, r := range sel[:len(out)] {
		out[i] = uint64(v[r])
	}
}

func aggFloatBitsOf[T float32 | float64](v []T, sel []int32, out []uint64) {
	if sel == nil {
		v = v[:len(out)]
		for i, x := range v {
			out[i] = aggFloatBits(float64(x))
		}
		return
	}
	for i, r := range sel[:len(out)] {
		out[i] = aggFloatBits(float64(v[r]))
	}
}

// aggDistinctColumn builds a column of type dt from value bits made by
// aggDistinctBits.
func aggDistinctColumn(mem memory.Allocator, dt arrow.DataType, vs []uint64) arrow.Array {
	switch dt.ID() {
	case arrow.INT8:
		return aggColumnOf[int8](mem, dt, vs)
	case arrow.INT16:
		return aggColumnOf[int16](mem, dt, vs)
	case arrow.INT32, arrow.DATE32:
		return aggColumnOf[int32](mem, dt, vs)
	case arrow.UINT8:
		return aggColumnOf[uint8](mem, dt, vs)
	case arrow.UINT16:
		return aggColumnOf[uint16](mem, dt, vs)
	case arrow.UINT32:
		return aggColumnOf[uint32](mem, dt, vs)
	case arrow.UINT64:
		return aggColumnOf[uint64](mem, dt, vs)
	case arrow.FLOAT32:
		b := vec.NewBuilder[float32](mem, dt, len(vs))
		for i, v := range vs {
			b.Values[i] = float32(math.Float64frombits(v))
		}
		return b.Finish()
	case arrow.FLOAT64:
		b := vec.NewBuilder[float64](mem, dt, len(vs))
		for i, v := range vs {
			b.Values[i] = math.Float64frombits(v)
		}
		return b.Finish()
	case arrow.BOOL:
		b := array.NewBooleanBuilder(mem)
		defer b.Release()
		b.Reserve(len(vs))
		for _, v := range vs {
			b.UnsafeAppend(v != 0)
		}
		return b.NewArray()
	default: // INT64, TIMESTAMP, DECIMAL64
		return aggColumnOf[int64](mem, dt, vs)
	}
}

func aggColumnOf[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64](mem memory.Allocator, dt arrow.DataType, vs []uint64) arrow.Array {
	b := vec.NewBuilder[T](mem, dt, len(vs))
	for i, v := range vs {
		b.Values[i] = T(v)
	}
	return b.Finish()
}

// ---------------------------------------------------------------------
// Any other type: encoded values.

// aggBytesDistinct keys the pairs by the 4-byte group id followed by the
// exec/keys encoding of the value; the hash is the value's key hash mixed
// with the group id.
type aggBytesDistinct struct {
	t     *aggBytesTable
	enc   keys.Keys
	dkey  []byte
	parts [][]int32
	pendG []int32
	pendK [][]byte
}

func (s *aggBytesDistinct) memBytes() int64 {
	n := s.t.memBytes() + int64(cap(s.dkey)) + int64(cap(s.pendG))*4 + int64(cap(s.pendK))*24
	for _, p := range s.parts {
		n += int64(cap(p)) * 4
	}
	return n
}

func (s *aggBytesDistinct) add(mem memory.Allocator, gids []int32, c arrow.Array, sel []int32) {
	if nc, ok := aggNormFloats(mem, c); ok {
		defer nc.Release()
		c = nc
	}
	keys.Encode([]arrow.Array{c}, sel, len(gids), &s.enc)
	for i, g := range gids {
		if s.enc.AnyNull[i] {
			continue
		}
		s.dkey = aggPutGroup(s.dkey[:0], g)
		s.dkey = append(s.dkey, s.enc.Key(i)...)
		s.t.find(s.enc.Hash[i]^aggMix(uint64(g)+1), s.dkey)
	}
}

func (s *aggBytesDistinct) split(groupPart []int32, p int) {
	s.parts = make([][]int32, p)
	for e := range s.t.hashes {
		lg := binary.LittleEndian.Uint32(s.t.key(int32(e)))
		q := groupPart[lg]
		s.parts[q] = append(s.parts[q], int32(e))
	}
}

func (s *aggBytesDistinct) mergePart(mem memory.Allocator, src aggDistinct, q int, gidMap []int32, dt arrow.DataType, feed aggFeedFunc) error {
	o := src.(*aggBytesDistinct)
	s.pendG, s.pendK = s.pendG[:0], s.pendK[:0]
	flush := func() error {
		if len(s.pendG) == 0 {
			return nil
		}
		col := keys.Decode(mem, []arrow.DataType{dt}, s.pendK)[0]
		defer col.Release()
		err := feed(s.pendG, col)
		s.pendG, s.pendK = s.pendG[:0], s.pendK[:0]
		return err
	}
	for _, e := range o.parts[q] {
		k := o.t.key(e)
		lg := binary.LittleEndian.Uint32(k)
		fg := gidMap[lg]
		h := o.t.hashes[e] ^ aggMix(uint64(lg)+1) ^ aggMix(uint64(fg)+1)
		s.dkey = aggPutGroup(s.dkey[:0], fg)
		s.dkey = append(s.dkey, k[4:]...)
		if _, inserted := s.t.find(h, s.dkey); inserted {
			s.pendG = append(s.pendG, fg)
			s.pendK = append(s.pendK, k[4:])
		}
		if len(s.pendG) >= aggFeedChunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}
