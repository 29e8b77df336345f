package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/exec/keys"
	"github.com/tarnsql/tarn/vec"
)

// joinChunk is the number of build rows hashed and inserted per work unit.
const joinChunk = 1 << 15

// joinFib is 2^64 / golden ratio: multiplicative (Fibonacci) hashing of
// integer keys, whose top bits pick the bucket.
const joinFib = 0x9E3779B97F4A7C15

// joinIntKey reports whether values of t can be read as int64 join keys.
func joinIntKey(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL64:
		return true
	}
	return false
}

// joinReadInts reads the live rows (sel, or all when nil) of an integer-like
// array as int64 into dst, and their validity into valid (nil when the
// array has no NULLs). The type switch happens once per call.
func joinReadInts(a arrow.Array, sel []int32, dst []int64, valid []bool) []bool {
	switch a.DataType().ID() {
	case arrow.INT8:
		joinWiden(vec.Values[int8](a), sel, dst)
	case arrow.INT16:
		joinWiden(vec.Values[int16](a), sel, dst)
	case arrow.INT32, arrow.DATE32:
		joinWiden(vec.Values[int32](a), sel, dst)
	default:
		joinWiden(vec.Values[int64](a), sel, dst)
	}
	if a.NullN() == 0 {
		return nil
	}
	valid = valid[:0]
	if sel == nil {
		for i := range dst {
			valid = append(valid, a.IsValid(i))
		}
	} else {
		for _, r := range sel {
			valid = append(valid, a.IsValid(int(r)))
		}
	}
	return valid
}

func joinWiden[T int8 | int16 | int32 | int64](src []T, sel []int32, dst []int64) {
	if sel == nil {
		src = src[:len(dst)]
		for i, v := range src {
			dst[i] = int64(v)
		}
		return
	}
	for i, r := range sel {
		dst[i] = int64(src[r])
	}
}

// joinTable is the shared, read-only (after build) hash table over the
// build side: chained buckets with int32 next links (row+1, 0 = end).
type joinTable struct {
	n     int
	cols  []arrow.Array // right columns, then evaluated key columns
	kpos  []int         // key column positions in cols
	shift uint
	heads []int32
	next  []int32
	// single integer key: values widened to int64
	intKey bool
	k64    []int64
	// generic keys: encoded per chunk of joinChunk rows
	chunks []keys.Keys
	// hasNullKey: some build row has a NULL key column; nullRows lists
	// them (collected per chunk, flattened once the build is complete).
	hasNullKey atomic.Bool
	chunkNulls [][]int32
	nullRows   []int32
	// matched marks build rows that found a partner (Right/Full joins).
	matched []uint64
}

func (t *joinTable) bucket(h uint64) uint32 { return uint32(h >> t.shift) }

// joinShared is the global state of a join node: the build input of all
// slices, the table built from it once, and the probe barrier for the
// unmatched-build-rows tail of Right/Full joins.
type joinShared struct {
	mu      sync.Mutex
	slices  int
	arrived int
	parts   [][]arrow.Array
	allIn   chan struct{}

	setupOnce sync.Once
	t         *joinTable
	err       error // setup or insert error
	nchunks   int64
	claimed   atomic.Int64
	inserted  atomic.Int64
	built     chan struct{}

	probeArrived int
	probeDone    chan struct{}
	tailNext     atomic.Int64

	refs    int
	charged atomic.Int64
	budget  *Budget
	op      string
}

func newJoinShared(qc *QueryCtx, op string) *joinShared {
	return &joinShared{slices: qc.Slices, allIn: make(chan struct{}), built: make(chan struct{}),
		probeDone: make(chan struct{}), budget: qc.Budget, op: op}
}

func (g *joinShared) arrive(cols [][]arrow.Array) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.parts = append(g.parts, cols...)
	g.arrived++
	if g.arrived == g.slices {
		close(g.allIn)
	}
}

func (g *joinShared) arriveProbe() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.probeArrived++
	if g.probeArrived == g.slices {
		close(g.probeDone)
	}
}

func (g *joinShared) grow(n int64) error {
	if err := g.budget.Grow(g.op, n); err != nil {
		return err
	}
	g.charged.Add(n)
	return nil
}

func (g *joinShared) setErr(err error) {
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
}

func (g *joinShared) getErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

func (g *joinShared) unref() {
	g.mu.Lock()
	g.refs--
	last := g.refs == 0
	var parts [][]arrow.Array
	var t *joinTable
	if last {
		parts, g.parts = g.parts, nil
		t, g.t = g.t, nil
	}
	g.mu.Unlock()
	if !last {
		return
	}
	for _, p := range parts {
		sortReleaseAll(p)
	}
	if t != nil {
		sortReleaseAll(t.cols)
		t.cols = nil
	}
	g.budget.Shrink(g.charged.Swap(0))
}

// setup concatenates the build input and allocates the table (once, by
// the first slice that needs it). keyed=false builds no hash index
// (nested-loop join). rightMatch allocates the matched bitmap.
func (g *joinShared) setup(mem memory.Allocator, types []arrow.DataType, kpos []int, intKey, keyed, rightMatch bool) {
	g.setupOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil {
				g.setErr(recoverError(r))
				close(g.built)
			}
		}()
		g.mu.Lock()
		parts := g.parts
		g.parts = nil
		g.mu.Unlock()
		cols, err := sortConcat(mem, types, parts)
		if err != nil {
			g.setErr(fmt.Errorf("%s build: %w", g.op, err))
			close(g.built)
			return
		}
		t := &joinTable{cols: cols, kpos: kpos, intKey: intKey}
		if len(cols) > 0 {
			t.n = cols[0].Len()
		}
		g.mu.Lock()
		g.t = t
		g.mu.Unlock()
		if t.n > 1<<31-2 {
			g.setErr(fmt.Errorf("%s: build side has %d rows, more than the supported 2^31-2", g.op, t.n))
			close(g.built)
			return
		}
		if rightMatch {
			if err := g.grow(int64(8 * (t.n/64 + 1))); err != nil {
				g.setErr(err)
				close(g.built)
				return
			}
			t.matched = make([]uint64, t.n/64+1)
		}
		if !keyed || t.n == 0 {
			close(g.built)
			return
		}
		nb := 1
		for nb < 2*t.n {
			nb <<= 1
		}
		t.shift = uint(64 - bits.TrailingZeros(uint(nb)))
		mem := int64(4*nb + 4*t.n)
		if intKey {
			mem += int64(8 * t.n)
		}
		if err := g.grow(mem); err != nil {
			g.setErr(err)
			close(g.built)
			return
		}
		t.heads = make([]int32, nb)
		t.next = make([]int32, t.n)
		if intKey {
			t.k64 = make([]int64, t.n)
		}
		g.nchunks = int64((t.n + joinChunk - 1) / joinChunk)
		t.chunkNulls = make([][]int32, g.nchunks)
		if !intKey {
			t.chunks = make([]keys.Keys, g.nchunks)
		}
	})
}

// helpBuild inserts unclaimed chunks of build rows until none is left.
// Every slice waiting for the table helps, so the build is parallel.
func (g *joinShared) helpBuild() {
	g.mu.Lock()
	t := g.t
	g.mu.Unlock()
	for {
		c := g.claimed.Add(1) - 1
		if c >= g.nchunks {
			return
		}
		if err := g.insertChunk(t, int(c)); err != nil {
			g.setErr(err)
		}
		if g.inserted.Add(1) == g.nchunks {
			for _, ns := range t.chunkNulls {
				t.nullRows = append(t.nullRows, ns...)
			}
			t.chunkNulls = nil
			close(g.built)
		}
	}
}

func (g *joinShared) insertChunk(t *joinTable, c int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recoverError(r)
		}
	}()
	lo := c * joinChunk
	hi := min(t.n, lo+joinChunk)
	heads, next := t.heads, t.next
	if t.intKey {
		kc := t.cols[t.kpos[0]]
		k := t.k64[lo:hi]
		var sel []int32
		if kc.NullN() > 0 {
			sel = make([]int32, hi-lo)
			for i := range sel {
				sel[i] = int32(lo + i)
			}
			valid := joinReadInts(kc, sel, k, nil)
			for i, v := range k {
				if !valid[i] {
					t.hasNullKey.Store(true)
					t.chunkNulls[c] = append(t.chunkNulls[c], int32(lo+i))
					continue
				}
				r := lo + i
				b := t.bucket(uint64(v) * joinFib)
				next[r] = atomic.SwapInt32(&heads[b], int32(r+1))
			}
			return nil
		}
		sl := array.NewSlice(kc, int64(lo), int64(hi))
		joinReadInts(sl, nil, k, nil)
		sl.Release()
		for i, v := range k {
			r := lo + i
			b := t.bucket(uint64(v) * joinFib)
			next[r] = atomic.SwapInt32(&heads[b], int32(r+1))
		}
		return nil
	}
	kcols := make([]arrow.Array, len(t.kpos))
	for i, p := range t.kpos {
		kcols[i] = array.NewSlice(t.cols[p], int64(lo), int64(hi))
	}
	k := &t.chunks[c]
	keys.Encode(kcols, nil, hi-lo, k)
	sortReleaseAll(kcols)
	if err := g.grow(int64(len(k.Buf) + 4*len(k.Offs) + 8*len(k.Hash) + len(k.AnyNull))); err != nil {
		return err
	}
	for i := 0; i < hi-lo; i++ {
		if k.AnyNull[i] {
			t.hasNullKey.Store(true)
			t.chunkNulls[c] = append(t.chunkNulls[c], int32(lo+i))
			continue
		}
		r := lo + i
		b := t.bucket(k.Hash[i])
		next[r] = atomic.SwapInt32(&heads[b], int32(r+1))
	}
	return nil
}

// genericKey returns the encoded key and hash of build row r.
func (t *joinTable) genericKey(r int) ([]byte, uint64) {
	k := &t.chunks[r/joinChunk]
	i := r % joinChunk
	return k.Key(i), k.Hash[i]
}

// genericEqual reports whether build row r has the encoded key key/hash.
func (t *joinTable) genericEqual(r int, key []byte, h uint64) bool {
	bk, bh := t.genericKey(r)
	return bh == h && bytes.Equal(bk, key)
}

// setMatched marks build row r matched.
func (t *joinTable) setMatched(r int32) {
	w := &t.matched[r>>6]
	bit := uint64(1) << (uint(r) & 63)
	if atomic.LoadUint64(w)&bit == 0 {
		atomic.OrUint64(w, bit)
	}
}

func (t *joinTable) isMatched(r int) bool {
	return atomic.LoadUint64(&t.matched[r>>6])&(1<<(uint(r)&63)) != 0
}

// joinMaybeEqual reports whether two encoded keys (exec/keys layout) could
// be equal once NULLs are resolved: every component is equal or NULL on
// one side. strs[i] tells whether component i is variable-length.
func joinMaybeEqual(a, b []byte, widths []int) bool {
	pa, pb := 0, 0
	for _, w := range widths {
		na, nb := a[pa] == 0, b[pb] == 0
		var la, lb int
		if w < 0 {
			la = 5 + int(binary.LittleEndian.Uint32(a[pa+1:]))
			lb = 5 + int(binary.LittleEndian.Uint32(b[pb+1:]))
		} else {
			la, lb = 1+w, 1+w
		}
		if !na && !nb && !bytes.Equal(a[pa:pa+la], b[pb:pb+lb]) {
			return false
		}
		pa, pb = pa+la, pb+lb
	}
	return true
}

// joinKeyWidths is the encoded width of each key type (-1: variable).
func joinKeyWidths(ts []arrow.DataType) []int {
	out := make([]int, len(ts))
	for i, t := range ts {
		switch t.ID() {
		case arrow.STRING, arrow.BINARY:
			out[i] = -1
		case arrow.BOOL:
			out[i] = 1
		case arrow.NULL:
			out[i] = 0
		default:
			out[i] = t.(arrow.FixedWidthDataType).Bytes()
		}
	}
	return out
}
