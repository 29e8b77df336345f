package exec

import (
	"bytes"
	"encoding/binary"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/keys"
	"github.com/tarnsql/tarn/vec"
)

// Group tables map the key columns of a batch to dense group ids
// (0..numGroups-1). Two implementations: aggFixedTable for a single
// fixed-width key of at most 8 bytes (no encoding: the value itself is the
// key), aggBytesTable for anything else (group keys stored in the
// exec/keys row encoding, probed column by column: aggregate_probe.go).
//
// Hashes are split in two: the low bits choose the slot inside a table,
// the high 32 bits choose the merge partition (aggPartition), so a final
// table built from one partition still spreads over all its slots.
type aggGroupTable interface {
	// insertBatch maps the n live rows (sel applied) of cols to group ids,
	// inserting new groups; out receives one id per live row.
	insertBatch(cols []arrow.Array, sel []int32, n int, out []int32) error
	numGroups() int
	// partitions appends, for each group, its id to parts[partition].
	partitions(parts [][]int32)
	// mergeFrom inserts the groups srcIDs of src (a table of the same
	// kind) and writes their ids in this table to dst.
	mergeFrom(src aggGroupTable, srcIDs []int32, dst []int32)
	// keyArrays builds the key columns of groups lo..hi-1.
	keyArrays(mem memory.Allocator, types []arrow.DataType, lo, hi int) []arrow.Array
	memBytes() int64
	// reserve sizes the table for about n groups (no-op if smaller).
	reserve(n int)
}

// aggSlotsFor is the power-of-two slot count keeping n groups at a load
// factor of at most 1/2.
func aggSlotsFor(n int) int {
	s := 256
	for s < 2*n {
		s *= 2
	}
	return s
}

// aggPartition maps a hash to one of p partitions using its high bits.
func aggPartition(h uint64, p int) int {
	return int(((h >> 32) * uint64(p)) >> 32)
}

// aggMix is the murmur3 64-bit finalizer: a fast, well-spread hash of
// one fixed-width key.
func aggMix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// aggNullHash is the hash of the NULL group of a fixed table.
const aggNullHash = 0x9e3779b97f4a7c15

// aggFixedKeyable reports whether t is a fixed-width key type of at most
// 8 bytes that aggFixedTable can hold.
func aggFixedKeyable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32,
		arrow.TIMESTAMP, arrow.DECIMAL64, arrow.FLOAT32, arrow.FLOAT64:
		return true
	}
	return false
}

type aggFixedSlot struct {
	key uint64
	gid int32 // group id + 1; 0 = empty
}

// aggFixedTable is an open-addressing table keyed by one fixed-width
// value (as uint64 bits), with a separate NULL group.
type aggFixedTable struct {
	slots     []aggFixedSlot
	mask      uint64
	keys      []uint64 // per group; unused for the NULL group
	nullGroup int32    // -1: none
	conv      []uint64 // per-batch scratch: the keys as uint64
}

func newAggFixedTable() *aggFixedTable {
	t := &aggFixedTable{nullGroup: -1}
	t.slots = make([]aggFixedSlot, 256)
	t.mask = 255
	return t
}

func (t *aggFixedTable) numGroups() int { return len(t.keys) }

func (t *aggFixedTable) memBytes() int64 {
	return int64(cap(t.slots))*16 + int64(cap(t.keys))*8 + int64(cap(t.conv))*9
}

func (t *aggFixedTable) reserve(n int) {
	if s := aggSlotsFor(n); s > len(t.slots) {
		t.rehash(s)
	}
	if cap(t.keys) < n {
		t.keys = append(make([]uint64, 0, n), t.keys...)
	}
}

func (t *aggFixedTable) grow() { t.rehash(2 * len(t.slots)) }

func (t *aggFixedTable) rehash(size int) {
	old := t.slots
	t.slots = make([]aggFixedSlot, size)
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.gid == 0 {
			continue
		}
		i := aggMix(s.key) & t.mask
		for t.slots[i].gid != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}

// find returns the group of key k, inserting it if new.
func (t *aggFixedTable) find(k uint64) int32 {
	i := aggMix(k) & t.mask
	for {
		s := &t.slots[i]
		if s.gid == 0 {
			g := int32(len(t.keys))
			t.keys = append(t.keys, k)
			s.key, s.gid = k, g+1
			if uint64(len(t.keys))*2 > uint64(len(t.slots)) {
				t.grow()
			}
			return g
		}
		if s.key == k {
			return s.gid - 1
		}
		i = (i + 1) & t.mask
	}
}

func (t *aggFixedTable) findNull() int32 {
	if t.nullGroup < 0 {
		t.nullGroup = int32(len(t.keys))
		t.keys = append(t.keys, 0)
	}
	return t.nullGroup
}

// aggFixedBits converts the live rows of a fixed-width column to uint64
// key bits (floats normalised so -0 = +0 and all NaNs are one key).
func aggFixedBits(c arrow.Array, sel []int32, n int, out []uint64) {
	switch c.DataType().ID() {
	case arrow.INT8:
		aggConvInt(vec.Values[int8](c), sel, n, out)
	case arrow.INT16:
		aggConvInt(vec.Values[int16](c), sel, n, out)
	case arrow.INT32, arrow.DATE32:
		aggConvInt(vec.Values[int32](c), sel, n, out)
	case arrow.INT64, arrow.TIMESTAMP, arrow.DECIMAL64:
		aggConvInt(vec.Values[int64](c), sel, n, out)
	case arrow.FLOAT32:
		v := vec.Values[float32](c)
		for i := 0; i < n; i++ {
			r := i
			if sel != nil {
				r = int(sel[i])
			}
			out[i] = aggFloatBits(float64(v[r]))
		}
	case arrow.FLOAT64:
		v := vec.Values[float64](c)
		for i := 0; i < n; i++ {
			r := i
			if sel != nil {
				r = int(sel[i])
			}
			out[i] = aggFloatBits(v[r])
		}
	}
}

func aggFloatBits(f float64) uint64 {
	if f == 0 {
		return 0
	}
	if f != f {
		return 0x7ff8000000000001
	}
	return math.Float64bits(f)
}

func aggConvInt[T int8 | int16 | int32 | int64](v []T, sel []int32, n int, out []uint64) {
	out = out[:n]
	if sel == nil {
		v = v[:n]
		for i, x := range v {
			out[i] = uint64(int64(x))
		}
		return
	}
	for i, r := range sel[:n] {
		out[i] = uint64(int64(v[r]))
	}
}

func (t *aggFixedTable) insertBatch(cols []arrow.Array, sel []int32, n int, out []int32) error {
	c := cols[0]
	if cap(t.conv) < n {
		t.conv = make([]uint64, n)
	}
	conv := t.conv[:n]
	aggFixedBits(c, sel, n, conv)
	out = out[:n]
	if c.NullN() == 0 {
		for i, k := range conv {
			// Inline probe for the common hit case.
			j := aggMix(k) & t.mask
			s := &t.slots[j]
			if s.gid != 0 && s.key == k {
				out[i] = s.gid - 1
				continue
			}
			out[i] = t.find(k)
		}
		return nil
	}
	for i, k := range conv {
		r := i
		if sel != nil {
			r = int(sel[i])
		}
		if c.IsNull(r) {
			out[i] = t.findNull()
			continue
		}
		out[i] = t.find(k)
	}
	return nil
}

func (t *aggFixedTable) partitions(parts [][]int32) {
	p := len(parts)
	for g, k := range t.keys {
		h := aggMix(k)
		if int32(g) == t.nullGroup {
			h = aggNullHash
		}
		q := aggPartition(h, p)
		parts[q] = append(parts[q], int32(g))
	}
}

func (t *aggFixedTable) mergeFrom(src aggGroupTable, srcIDs []int32, dst []int32) {
	s := src.(*aggFixedTable)
	for i, g := range srcIDs {
		if g == s.nullGroup {
			dst[i] = t.findNull()
		} else {
			dst[i] = t.find(s.keys[g])
		}
	}
}

func (t *aggFixedTable) keyArrays(mem memory.Allocator, types []arrow.DataType, lo, hi int) []arrow.Array {
	dt := types[0]
	n := hi - lo
	var valid *memory.Buffer
	nulls := 0
	if t.nullGroup >= int32(lo) && t.nullGroup < int32(hi) {
		valid = vec.NewValidity(mem, n)
		bitutil.ClearBit(valid.Bytes(), int(t.nullGroup)-lo)
		nulls = 1
	}
	ks := t.keys[lo:hi]
	var a arrow.Array
	switch dt.ID() {
	case arrow.INT8:
		a = aggFixedOut[int8](mem, dt, ks, func(k uint64) int8 { return int8(k) }, valid, nulls)
	case arrow.INT16:
		a = aggFixedOut[int16](mem, dt, ks, func(k uint64) int16 { return int16(k) }, valid, nulls)
	case arrow.INT32, arrow.DATE32:
		a = aggFixedOut[int32](mem, dt, ks, func(k uint64) int32 { return int32(k) }, valid, nulls)
	case arrow.FLOAT32:
		a = aggFixedOut[float32](mem, dt, ks, func(k uint64) float32 { return float32(math.Float64frombits(k)) }, valid, nulls)
	case arrow.FLOAT64:
		a = aggFixedOut[float64](mem, dt, ks, math.Float64frombits, valid, nulls)
	default:
		a = aggFixedOut[int64](mem, dt, ks, func(k uint64) int64 { return int64(k) }, valid, nulls)
	}
	return []arrow.Array{a}
}

func aggFixedOut[T vec.Fixed](mem memory.Allocator, dt arrow.DataType, ks []uint64, conv func(uint64) T, valid *memory.Buffer, nulls int) arrow.Array {
	b := vec.NewBuilder[T](mem, dt, len(ks))
	for i, k := range ks {
		b.Values[i] = conv(k)
	}
	if valid != nil {
		// NULL group keys are stored as 0 bits; zero the slot for floats.
		b.SetValidity(valid, nulls)
	}
	return b.Finish()
}

type aggBytesSlot struct {
	hash uint64
	gid  int32 // group id + 1; 0 = empty
}

// aggBytesTable is an open-addressing table over encoded keys (exec/keys
// format), keeping each group's key bytes in one arena. It also serves as
// the distinct-value set of DISTINCT aggregates (keyed by group id and
// value).
type aggBytesTable struct {
	slots  []aggBytesSlot
	mask   uint64
	arena  []byte
	offs   []int // group g's key is arena[offs[g]:offs[g+1]]
	hashes []uint64
	views  []aggKeyCol // per-batch scratch
	h      []uint64
	dcache []aggDictCache // per key column: dictionary caches (aggregate_dict.go)
	combo  aggDictCombo   // several dictionary keys (aggregate_dict.go)
	code   []int32        // per-batch scratch of probeDictN
}

func newAggBytesTable() *aggBytesTable {
	return &aggBytesTable{slots: make([]aggBytesSlot, 256), mask: 255, offs: []int{0}}
}

func (t *aggBytesTable) numGroups() int { return len(t.hashes) }

func (t *aggBytesTable) memBytes() int64 {
	return int64(cap(t.slots))*16 + int64(cap(t.arena)) + int64(cap(t.offs))*8 + int64(cap(t.hashes))*8 +
		int64(cap(t.h))*8 + aggDictCacheBytes(t.dcache) + int64(cap(t.combo.gid))*4 + int64(cap(t.code))*4
}

func (t *aggBytesTable) key(g int32) []byte { return t.arena[t.offs[g]:t.offs[g+1]] }

func (t *aggBytesTable) reserve(n int) {
	if s := aggSlotsFor(n); s > len(t.slots) {
		t.rehash(s)
	}
	if cap(t.hashes) < n {
		t.hashes = append(make([]uint64, 0, n), t.hashes...)
		t.offs = append(make([]int, 0, n+1), t.offs...)
	}
}

func (t *aggBytesTable) grow() { t.rehash(2 * len(t.slots)) }

func (t *aggBytesTable) rehash(size int) {
	old := t.slots
	t.slots = make([]aggBytesSlot, size)
	t.mask = uint64(len(t.slots) - 1)
	for _, s := range old {
		if s.gid == 0 {
			continue
		}
		i := s.hash & t.mask
		for t.slots[i].gid != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = s
	}
}

// find returns the group of key k (hash h) and whether it was inserted.
func (t *aggBytesTable) find(h uint64, k []byte) (int32, bool) {
	i := h & t.mask
	for {
		s := &t.slots[i]
		if s.gid == 0 {
			g := int32(len(t.hashes))
			t.hashes = append(t.hashes, h)
			t.arena = append(t.arena, k...)
			t.offs = append(t.offs, len(t.arena))
			s.hash, s.gid = h, g+1
			if uint64(len(t.hashes))*2 > uint64(len(t.slots)) {
				t.grow()
			}
			return g, true
		}
		if s.hash == h && bytes.Equal(t.key(s.gid-1), k) {
			return s.gid - 1, false
		}
		i = (i + 1) & t.mask
	}
}

func (t *aggBytesTable) insertBatch(cols []arrow.Array, sel []int32, n int, out []int32) error {
	return t.probeBatch(cols, sel, n, out)
}

func (t *aggBytesTable) partitions(parts [][]int32) {
	p := len(parts)
	for g, h := range t.hashes {
		q := aggPartition(h, p)
		parts[q] = append(parts[q], int32(g))
	}
}

func (t *aggBytesTable) mergeFrom(src aggGroupTable, srcIDs []int32, dst []int32) {
	s := src.(*aggBytesTable)
	for i, g := range srcIDs {
		dst[i], _ = t.find(s.hashes[g], s.key(g))
	}
}

func (t *aggBytesTable) keyArrays(mem memory.Allocator, types []arrow.DataType, lo, hi int) []arrow.Array {
	ks := make([][]byte, hi-lo)
	for g := lo; g < hi; g++ {
		ks[g-lo] = t.key(int32(g))
	}
	return keys.Decode(mem, types, ks)
}

// aggNoKeyTable is the table of an aggregate without keys: one group,
// always present, always in partition 0.
type aggNoKeyTable struct{}

func (aggNoKeyTable) insertBatch(_ []arrow.Array, _ []int32, n int, out []int32) error {
	clear(out[:n])
	return nil
}
func (aggNoKeyTable) numGroups() int { return 1 }
func (aggNoKeyTable) partitions(parts [][]int32) {
	parts[0] = append(parts[0], 0)
}
func (aggNoKeyTable) mergeFrom(_ aggGroupTable, srcIDs []int32, dst []int32) {
	clear(dst[:len(srcIDs)])
}
func (aggNoKeyTable) keyArrays(memory.Allocator, []arrow.DataType, int, int) []arrow.Array {
	return nil
}
func (aggNoKeyTable) memBytes() int64 { return 0 }
func (aggNoKeyTable) reserve(int)     {}

// aggPutGroup writes a group id as the 4-byte prefix of a distinct-set key.
func aggPutGroup(b []byte, g int32) []byte {
	return binary.LittleEndian.AppendUint32(b, uint32(g))
}

// aggNormFloats returns a DOUBLE column with -0 replaced by +0 and every
// NaN by one NaN, so that the byte encoding of keys groups them as SQL
// does; ok is false (and c is returned as is) when nothing needed it.
func aggNormFloats(mem memory.Allocator, c arrow.Array) (out arrow.Array, ok bool) {
	if c.DataType().ID() != arrow.FLOAT64 {
		return c, false
	}
	vals := vec.Values[float64](c)
	need := false
	for _, v := range vals {
		if v != v || (v == 0 && math.Signbit(v)) {
			need = true
			break
		}
	}
	if !need {
		return c, false
	}
	b := vec.NewBuilder[float64](mem, c.DataType(), len(vals))
	for i, v := range vals {
		switch {
		case v != v:
			v = math.NaN()
		case v == 0:
			v = 0
		}
		b.Values[i] = v
		if c.IsNull(i) {
			b.SetNull(i)
		}
	}
	return b.Finish(), true
}
