package exec

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/vec"
)

// aggStrCorpus is a set of strings whose byte order is easy to get wrong
// with 8-byte prefixes: the empty string, strings that are prefixes of
// each other, strings equal in their first 8 bytes, zero bytes (equal
// zero-padded prefixes), and bytes 0x80-0xFF (which sort after ASCII).
var aggStrCorpus = []string{
	"", "a", "ab", "ab\x00", "ab\x00\x00", "abcdefg", "abcdefgh", "abcdefgh\x00", "abcdefghA", "abcdefghB",
	"abcdefghAAAAAAAAz", "abcdefghAAAAAAAA", "abcdefghAAAAAAAB", "abcdefgi", "b", "\x7f", "\x80", "\xff",
	"\xff\xfe", "\xff\xff\xff\xff\xff\xff\xff\xff", "\xff\xff\xff\xff\xff\xff\xff\xff\x01", "é", "e\xcc\x81",
	"ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ", "DELIVER IN PERSON", "DELIVER BY HAND", "COLLECT COD", "NONE",
	"\x00", "\x00\x00\x00\x00\x00\x00\x00\x00\x00",
}

// aggStrTestBatch is one batch of an accumulator test: the column, its
// selection, the group of every live row, and the values of the live
// rows (nil: NULL) for the oracle.
type aggStrTestBatch struct {
	col  arrow.Array
	sel  []int32
	gids []int32
	vals [][]byte
}

// aggStrTestDict builds a dictionary of the given strings in a shuffled
// order; index maps a string to its entry.
func aggStrTestDict(mem memory.Allocator, rng *rand.Rand, strs []string) (arrow.Array, map[string]int32) {
	order := rng.Perm(len(strs))
	sb := vec.NewStringBuilder(mem, len(strs))
	index := make(map[string]int32, len(strs))
	for i, j := range order {
		sb.AppendString(strs[j])
		index[strs[j]] = int32(i)
	}
	return sb.Finish(), index
}

// aggStrTestBatches builds batches over pool (plain, or dictionary over
// one of dicts, which must hold every string of pool), with NULLs and
// selections, and groups in [0, groups).
func aggStrTestBatches(mem memory.Allocator, rng *rand.Rand, pool []string, dicts []arrow.Array, index []map[string]int32, groups, nb int) []aggStrTestBatch {
	var out []aggStrTestBatch
	for range nb {
		n := 1 + rng.IntN(300)
		if rng.IntN(8) == 0 {
			n = 1
		}
		strs := make([]*string, n)
		for i := range strs {
			if rng.IntN(6) != 0 {
				s := pool[rng.IntN(len(pool))]
				strs[i] = &s
			}
		}
		var col arrow.Array
		if d := rng.IntN(len(dicts) + 1); d < len(dicts) {
			ib := array.NewInt32Builder(mem)
			for _, s := range strs {
				if s == nil {
					ib.AppendNull()
				} else {
					ib.Append(index[d][*s])
				}
			}
			ix := ib.NewArray()
			ib.Release()
			col = array.NewDictionaryArray(aggDictStrType, ix, dicts[d])
			ix.Release()
		} else {
			sb := array.NewStringBuilder(mem)
			for _, s := range strs {
				if s == nil {
					sb.AppendNull()
				} else {
					sb.Append(*s)
				}
			}
			col = sb.NewArray()
			sb.Release()
		}
		if rng.IntN(4) == 0 && n > 2 {
			// A slice of the column: a non-zero array offset.
			off := rng.IntN(n / 2)
			sl := array.NewSlice(col, int64(off), int64(n))
			col.Release()
			col = sl
			strs = strs[off:]
			n -= off
		}
		b := aggStrTestBatch{col: col}
		live := make([]int32, 0, n)
		if rng.IntN(2) == 0 {
			b.sel = []int32{}
			for i := range n {
				if rng.IntN(3) != 0 {
					b.sel = append(b.sel, int32(i))
				}
			}
			live = b.sel
		} else {
			for i := range n {
				live = append(live, int32(i))
			}
		}
		for _, r := range live {
			b.gids = append(b.gids, int32(rng.IntN(groups)))
			if s := strs[r]; s != nil {
				b.vals = append(b.vals, []byte(*s))
			} else {
				b.vals = append(b.vals, nil)
			}
		}
		out = append(out, b)
	}
	return out
}

// TestAggMinMaxStrAcc feeds plain and dictionary batches (several
// dictionaries, one larger than aggStrRankMax, NULL indices, selections,
// sliced arrays) to min, max and any_value accumulators, ungrouped and
// grouped, in one accumulator and split over two merged ones, and
// compares with bytes.Compare over the rows. It overwrites the batches'
// buffers before finishing, so results that alias them fail.
func TestAggMinMaxStrAcc(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(7, 11))
	big := append([]string(nil), aggStrCorpus...)
	for i := len(big); i <= aggStrRankMax+100; i++ {
		big = append(big, fmt.Sprintf("abcdefgh%06d", rng.IntN(1000000))+string(rune(0x80+i%64)))
	}
	for _, tc := range []struct {
		name   string
		pool   []string
		groups int
	}{
		{"corpus/ungrouped", aggStrCorpus, 1},
		{"corpus/grouped", aggStrCorpus, 5},
		{"corpus/many-groups", aggStrCorpus, 200},
		{"few/grouped", aggStrCorpus[:3], 3},
		{"big/ungrouped", big, 1},
		{"big/grouped", big, 7},
	} {
		for _, mode := range []int{aggModeMin, aggModeMax, aggModeAny} {
			for _, split := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/mode=%d/split=%v", tc.name, mode, split), func(t *testing.T) {
					// The same batches for every mode (the run scribbles on them).
					batches := aggStrTestInput(mem, rand.New(rand.NewPCG(uint64(len(tc.pool)), uint64(tc.groups))), tc.pool, tc.groups)
					defer func() {
						for _, b := range batches {
							b.col.Release()
						}
					}()
					got := aggStrRunAcc(t, mem, mode, tc.groups, batches, split)
					aggStrCheck(t, mode, tc.groups, batches, got)
				})
			}
		}
	}
}

// aggStrTestInput builds 40 batches over pool, with three dictionaries
// of the pool's strings and one more than aggStrRankMax entries.
func aggStrTestInput(mem memory.Allocator, rng *rand.Rand, pool []string, groups int) []aggStrTestBatch {
	var dicts []arrow.Array
	var index []map[string]int32
	for range 3 {
		d, ix := aggStrTestDict(mem, rng, pool)
		dicts, index = append(dicts, d), append(index, ix)
	}
	if len(pool) < aggStrRankMax {
		// A dictionary large enough not to be ranked, holding the pool.
		more := append([]string(nil), pool...)
		for i := 0; len(more) <= aggStrRankMax; i++ {
			more = append(more, fmt.Sprintf("zz%08d", i))
		}
		d, ix := aggStrTestDict(mem, rng, more)
		dicts, index = append(dicts, d), append(index, ix)
	}
	batches := aggStrTestBatches(mem, rng, pool, dicts, index, groups, 40)
	for _, d := range dicts {
		d.Release() // the batches hold their own references
	}
	return batches
}

// aggStrRunAcc runs the accumulator over batches (split: the even and
// odd batches into two accumulators, then merged), scribbles over the
// batches' string bytes, and returns the finished column's values.
func aggStrRunAcc(t *testing.T, mem memory.Allocator, mode, groups int, batches []aggStrTestBatch, split bool) []*string {
	t.Helper()
	newAcc := func() *aggMinMaxStrAcc {
		a := &aggMinMaxStrAcc{mode: mode, name: "test"}
		a.resize(groups)
		return a
	}
	accs := []*aggMinMaxStrAcc{newAcc(), newAcc()}
	var in aggInput
	for i, b := range batches {
		a := accs[0]
		if split {
			a = accs[i%2]
		}
		in.prepare(b.gids, b.col, b.sel)
		if err := a.update(&in); err != nil {
			t.Fatal(err)
		}
		if a.memBytes() <= 0 {
			t.Fatal("memBytes not positive")
		}
	}
	if split {
		ids := make([]int32, groups)
		for g := range ids {
			ids[g] = int32(g)
		}
		if err := accs[0].merge(accs[1], ids, ids); err != nil {
			t.Fatal(err)
		}
	}
	// Stored values must be copies of the batches' bytes.
	for _, b := range batches {
		c := b.col
		if d, ok := c.(*array.Dictionary); ok {
			c = d.Dictionary()
		}
		if buf := c.Data().Buffers()[2]; buf != nil {
			for i := range buf.Bytes() {
				buf.Bytes()[i] = '#'
			}
		}
	}
	out, err := accs[0].finish(mem, 0, groups)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	got := make([]*string, groups)
	for g := range got {
		if out.IsValid(g) {
			s := out.(*array.String).Value(g)
			got[g] = &s
		}
	}
	return got
}

// aggStrCheck compares got with the oracle: per group the least or
// greatest value by bytes.Compare, for any_value one of the group's
// values; NULL for groups without values.
func aggStrCheck(t *testing.T, mode, groups int, batches []aggStrTestBatch, got []*string) {
	t.Helper()
	want := make([][]byte, groups)
	has := make([]bool, groups)
	seen := make([]map[string]bool, groups)
	for _, b := range batches {
		for k, v := range b.vals {
			if v == nil {
				continue
			}
			g := b.gids[k]
			if seen[g] == nil {
				seen[g] = map[string]bool{}
			}
			seen[g][string(v)] = true
			c := bytes.Compare(v, want[g])
			if !has[g] || (mode == aggModeMin && c < 0) || (mode == aggModeMax && c > 0) {
				want[g], has[g] = v, true
			}
		}
	}
	for g := range groups {
		switch {
		case !has[g]:
			if got[g] != nil {
				t.Errorf("group %d: got %q, want NULL", g, *got[g])
			}
		case got[g] == nil:
			t.Errorf("group %d: got NULL, want %q", g, want[g])
		case mode == aggModeAny:
			if !seen[g][*got[g]] {
				t.Errorf("group %d: any_value %q is not one of the group's values", g, *got[g])
			}
		case *got[g] != string(want[g]):
			t.Errorf("group %d (mode %d): got %q, want %q", g, mode, *got[g], want[g])
		}
	}
}

// TestAggStrPrefix checks the prefix order property on the corpus: a
// smaller prefix means a smaller string, and aggStrPrefixAt (with and
// without buffer padding) equals aggStrPrefix.
func TestAggStrPrefix(t *testing.T) {
	for _, a := range aggStrCorpus {
		pa := aggStrPrefix([]byte(a))
		for _, b := range aggStrCorpus {
			pb := aggStrPrefix([]byte(b))
			if pa < pb && bytes.Compare([]byte(a), []byte(b)) >= 0 {
				t.Errorf("prefix(%q) < prefix(%q) but %q >= %q", a, b, a, b)
			}
		}
		for _, pad := range []int{0, 3, 8} {
			buf := make([]byte, 0, 2+len(a)+pad)
			buf = append(buf, 'x', 'y')
			buf = append(buf, a...)
			for i := len(buf); i < cap(buf); i++ {
				buf = append(buf, 0xff)
			}
			data := buf[:2+len(a)]
			if got := aggStrPrefixAt(data, 2, int32(2+len(a))); got != pa {
				t.Errorf("aggStrPrefixAt(%q, pad %d) = %x, want %x", a, pad, got, pa)
			}
		}
	}
}

// TestAggMinMaxStrDictErrors checks that unsupported dictionary input is
// an error, not a panic.
func TestAggMinMaxStrDictErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sb := array.NewStringBuilder(mem)
	sb.Append("a")
	sb.AppendNull()
	vals := sb.NewArray()
	sb.Release()
	defer vals.Release()
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{0, 1}, nil)
	ix := ib.NewArray()
	ib.Release()
	defer ix.Release()
	d := array.NewDictionaryArray(aggDictStrType, ix, vals)
	defer d.Release()
	a := &aggMinMaxStrAcc{mode: aggModeMin, name: "min(x)"}
	a.resize(1)
	var in aggInput
	in.prepare([]int32{0, 0}, d, nil)
	if err := a.update(&in); err == nil || !bytes.Contains([]byte(err.Error()), []byte("min(x)")) {
		t.Fatalf("got %v, want an error naming min(x)", err)
	}
	i64 := array.NewInt64Builder(mem)
	i64.AppendValues([]int64{1, 2}, nil)
	iv := i64.NewArray()
	i64.Release()
	defer iv.Release()
	in.prepare([]int32{0, 0}, iv, nil)
	if err := a.update(&in); err == nil {
		t.Fatal("BIGINT input: got no error")
	}
}
