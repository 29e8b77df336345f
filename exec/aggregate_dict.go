package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/zeebo/xxh3"

	"github.com/tarnsql/tarn/vec"
)

// Dictionary-encoded group keys. A scan may hand the aggregate
// arrow.Dictionary(int32 -> utf8) arrays for a VARCHAR key column
// (planner/dictcols.go); batches of one column may mix dictionary and
// plain arrays, and each Parquet row group has its own dictionary. A
// dictionary key is hashed, compared and stored exactly as the plain
// string it stands for, so the same string from different dictionaries
// or plain batches is one group. What changes is the cost:
//
//   - the string hash of each dictionary entry is computed once per
//     dictionary (cached by the dictionary's identity), rows look it up
//     by index;
//   - with a single dictionary key, each dictionary entry is mapped to
//     its group once, and then a row's group is entryGroup[index]: no
//     per-row hashing or key comparison.

// aggDictCache is the per-dictionary state of one key column.
type aggDictCache struct {
	key  arrow.ArrayData // the dictionary these entries belong to
	hash []uint64        // xxh3 of each entry
	gid  []int32         // single-key fast path: entry -> group id (-1 unknown)
}

// aggDictView fills the dictionary fields of a key view.
func aggDictView(c *aggKeyCol, a arrow.Array) error {
	d, ok := a.(*array.Dictionary)
	if !ok || d.Indices().DataType().ID() != arrow.INT32 || d.Dictionary().DataType().ID() != arrow.STRING {
		return fmt.Errorf("HashAggregate: unsupported key type %s (expected dictionary<int32, VARCHAR>)", a.DataType())
	}
	vals := d.Dictionary()
	if vals.NullN() > 0 {
		return fmt.Errorf("HashAggregate: dictionary key column with NULL dictionary values")
	}
	c.kind = aggColDict
	c.ix = vec.Values[int32](d)
	c.offs, c.data = vec.StringParts(vals)
	return nil
}

// dictCache returns the cache of key column ci for dictionary d,
// computing the entry hashes when d is new.
func (t *aggBytesTable) dictCache(ci int, d *array.Dictionary) *aggDictCache {
	for len(t.dcache) <= ci {
		t.dcache = append(t.dcache, aggDictCache{})
	}
	dc := &t.dcache[ci]
	key := d.Data().Dictionary()
	if dc.key == key && dc.hash != nil {
		return dc
	}
	vals := d.Dictionary()
	n := vals.Len()
	offs, data := vec.StringParts(vals)
	if cap(dc.hash) < n {
		dc.hash = make([]uint64, n)
		dc.gid = make([]int32, n)
	}
	dc.hash, dc.gid = dc.hash[:n], dc.gid[:n]
	for x := range dc.hash {
		dc.hash[x] = xxh3.Hash(data[offs[x]:offs[x+1]])
		dc.gid[x] = -1
	}
	dc.key = key
	return dc
}

// hashDict combines the cached entry hashes of the live rows into h.
func (c *aggKeyCol) hashDict(h []uint64, sel []int32) {
	eh := c.ehash
	if sel == nil && !c.nulls {
		ix := c.ix[:len(h)]
		for i, x := range ix {
			h[i] = aggMix(h[i] ^ eh[x])
		}
		return
	}
	for i := range h {
		r := aggRow(sel, i)
		if c.isNull(r) {
			h[i] = aggMix(h[i] ^ aggNullKeyHash)
		} else {
			h[i] = aggMix(h[i] ^ eh[c.ix[r]])
		}
	}
}

// dictStr is the string of physical row r of a dictionary view.
func (c *aggKeyCol) dictStr(r int) []byte {
	x := c.ix[r]
	return c.data[c.offs[x]:c.offs[x+1]]
}

// probeDict1 is probeBatch for a single dictionary key column (the view
// is t.views[0]): each entry is probed once per dictionary, rows then
// read entry -> group.
func (t *aggBytesTable) probeDict1(d *array.Dictionary, sel []int32, n int, out []int32) {
	v := &t.views[0]
	dc := t.dictCache(0, d)
	v.ehash = dc.hash
	gid := dc.gid
	ix := v.ix
	if sel == nil && !v.nulls {
		ix = ix[:n]
		for i, x := range ix {
			g := gid[x]
			if g < 0 {
				g = t.probeRow(aggMix(aggSeed^dc.hash[x]), i)
				gid[x] = g
			}
			out[i] = g
		}
		return
	}
	nullG := int32(-1)
	for i := 0; i < n; i++ {
		r := aggRow(sel, i)
		if v.isNull(r) {
			if nullG < 0 {
				nullG = t.probeRow(aggMix(aggSeed^aggNullKeyHash), r)
			}
			out[i] = nullG
			continue
		}
		x := ix[r]
		g := gid[x]
		if g < 0 {
			g = t.probeRow(aggMix(aggSeed^dc.hash[x]), r)
			gid[x] = g
		}
		out[i] = g
	}
}

func aggDictCacheBytes(cs []aggDictCache) int64 {
	n := int64(0)
	for _, c := range cs {
		n += int64(cap(c.hash))*8 + int64(cap(c.gid))*4
	}
	return n
}

// aggDictComboMax bounds the entry-combination cache of several
// dictionary keys (product of the dictionary sizes + 1 each).
const aggDictComboMax = 1 << 16

// aggDictCombo maps a combination of entries of several dictionary key
// columns (NULL being one more entry) to its group.
type aggDictCombo struct {
	keys []arrow.ArrayData // the dictionaries the cache is for
	gid  []int32           // combination code -> group id (-1 unknown)
}

// probeDictN is probeBatch when every key column is a dictionary and the
// entry combinations are few: a row's combination code indexes a cache
// of group ids, so each combination is hashed and probed once per set of
// dictionaries. It reports false (nothing done) when the combinations
// are too many.
func (t *aggBytesTable) probeDictN(cols []arrow.Array, sel []int32, n int, out []int32) bool {
	size := 1
	for _, c := range cols {
		size *= c.(*array.Dictionary).Dictionary().Len() + 1
		if size > aggDictComboMax {
			return false
		}
	}
	cc := &t.combo
	same := len(cc.keys) == len(cols) && len(cc.gid) == size
	for ci, c := range cols {
		if same && cc.keys[ci] != c.Data().Dictionary() {
			same = false
		}
	}
	if !same {
		cc.keys = cc.keys[:0]
		for _, c := range cols {
			cc.keys = append(cc.keys, c.Data().Dictionary())
		}
		if cap(cc.gid) < size {
			cc.gid = make([]int32, size)
		}
		cc.gid = cc.gid[:size]
		for i := range cc.gid {
			cc.gid[i] = -1
		}
	}
	// code = x0 + (n0+1)*(x1 + (n1+1)*(...)), NULL = n_i.
	if cap(t.code) < n {
		t.code = make([]int32, n)
	}
	code := t.code[:n]
	clear(code)
	mul := int32(1)
	for ci := range t.views {
		v := &t.views[ci]
		card := int32(len(v.ehash))
		if sel == nil && !v.nulls {
			ix := v.ix[:n]
			for i, x := range ix {
				code[i] += mul * x
			}
		} else {
			for i := range code {
				r := aggRow(sel, i)
				x := card
				if !v.isNull(r) {
					x = v.ix[r]
				}
				code[i] += mul * x
			}
		}
		mul *= card + 1
	}
	gid := cc.gid
	for i, k := range code {
		g := gid[k]
		if g < 0 {
			r := aggRow(sel, i)
			h := uint64(aggSeed)
			for ci := range t.views {
				v := &t.views[ci]
				if v.isNull(r) {
					h = aggMix(h ^ aggNullKeyHash)
				} else {
					h = aggMix(h ^ v.ehash[v.ix[r]])
				}
			}
			g = t.probeRow(h, r)
			gid[k] = g
		}
		out[i] = g
	}
	return true
}

// aggAllDict reports whether every key view is a dictionary.
func aggAllDict(views []aggKeyCol) bool {
	for i := range views {
		if views[i].kind != aggColDict {
			return false
		}
	}
	return len(views) > 0
}
