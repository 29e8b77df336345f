package exec

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/zeebo/xxh3"

	"github.com/tarnsql/tarn/vec"
)

// Columnar probing of an aggBytesTable: rather than encoding every input
// row (exec/keys) and hashing the bytes, the hashes are computed column
// by column, a probed row is compared against the stored (encoded) group
// key column by column, and only rows that start a new group are
// encoded. The stored encoding is exactly exec/keys's (flag byte, then
// fixed-width little-endian bytes, or a 4-byte length and the bytes), so
// keys.Decode rebuilds the key columns.

const (
	aggColFixed = iota
	aggColString
	aggColBool
	aggColNull
	aggColDict // dictionary<int32, VARCHAR> (aggregate_dict.go)
)

// aggSeed starts every row hash.
const aggSeed = 0x9e3779b97f4a7c15

// aggKeyCol is a per-batch view of one key column.
type aggKeyCol struct {
	kind  int
	w     int    // fixed width in bytes
	raw   []byte // fixed: the values' bytes (array offset applied)
	offs  []int32
	data  []byte
	bools *array.Boolean
	nulls bool
	bm    []byte
	boff  int
	ix    []int32  // dictionary: the indices (offs/data are the values')
	ehash []uint64 // dictionary: the entries' string hashes
}

func (c *aggKeyCol) isNull(r int) bool {
	return c.nulls && !bitutil.BitIsSet(c.bm, c.boff+r)
}

func aggKeyView(a arrow.Array) (aggKeyCol, error) {
	c := aggKeyCol{nulls: a.NullN() > 0}
	if c.nulls {
		c.bm, c.boff = a.NullBitmapBytes(), a.Data().Offset()
	}
	switch a.DataType().ID() {
	case arrow.NULL:
		c.kind = aggColNull
		c.nulls = false
	case arrow.BOOL:
		c.kind = aggColBool
		c.bools = a.(*array.Boolean)
	case arrow.STRING, arrow.BINARY:
		c.kind = aggColString
		c.offs, c.data = vec.StringParts(a)
	case arrow.DICTIONARY:
		if err := aggDictView(&c, a); err != nil {
			return c, err
		}
	default:
		w := aggFixedWidth(a.DataType())
		if w <= 0 {
			return c, fmt.Errorf("HashAggregate: unsupported key type %s", a.DataType())
		}
		c.kind, c.w = aggColFixed, w
		if a.Len() > 0 {
			d := a.Data()
			c.raw = d.Buffers()[1].Bytes()[d.Offset()*w:]
		}
	}
	return c, nil
}

func aggFixedWidth(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return 1
	case arrow.INT16, arrow.UINT16:
		return 2
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32:
		return 4
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.DECIMAL64, arrow.TIMESTAMP:
		return 8
	case arrow.DECIMAL128:
		return 16
	}
	return -1
}

const aggNullKeyHash = 0x2545f4914f6cdd1d

// hashInto combines the hashes of the live rows of c into h; the type
// is chosen once per column, the loops are per type.
func (c *aggKeyCol) hashInto(a arrow.Array, h []uint64, sel []int32) {
	switch c.kind {
	case aggColFixed:
		switch c.w {
		case 1:
			aggHashFixed(c, vec.Values[uint8](a), h, sel)
		case 2:
			aggHashFixed(c, vec.Values[uint16](a), h, sel)
		case 4:
			aggHashFixed(c, vec.Values[uint32](a), h, sel)
		case 8:
			aggHashFixed(c, vec.Values[uint64](a), h, sel)
		default:
			v := vec.Values16(a)
			for i := range h {
				r := aggRow(sel, i)
				if c.isNull(r) {
					h[i] = aggMix(h[i] ^ aggNullKeyHash)
				} else {
					h[i] = aggMix(h[i] ^ v[r].Lo ^ aggMix(v[r].Hi))
				}
			}
		}
	case aggColString:
		for i := range h {
			r := aggRow(sel, i)
			if c.isNull(r) {
				h[i] = aggMix(h[i] ^ aggNullKeyHash)
			} else {
				h[i] = aggMix(h[i] ^ xxh3.Hash(c.data[c.offs[r]:c.offs[r+1]]))
			}
		}
	case aggColDict:
		c.hashDict(h, sel)
	case aggColBool:
		for i := range h {
			r := aggRow(sel, i)
			v := uint64(0)
			if c.isNull(r) {
				v = aggNullKeyHash
			} else if c.bools.Value(r) {
				v = 1
			}
			h[i] = aggMix(h[i] ^ v)
		}
	default:
		for i := range h {
			h[i] = aggMix(h[i] ^ aggNullKeyHash)
		}
	}
}

func aggRow(sel []int32, i int) int {
	if sel != nil {
		return int(sel[i])
	}
	return i
}

func aggHashFixed[T uint8 | uint16 | uint32 | uint64](c *aggKeyCol, v []T, h []uint64, sel []int32) {
	if sel == nil && !c.nulls {
		v = v[:len(h)]
		for i := range h {
			h[i] = aggMix(h[i] ^ uint64(v[i]))
		}
		return
	}
	for i := range h {
		r := aggRow(sel, i)
		if c.isNull(r) {
			h[i] = aggMix(h[i] ^ aggNullKeyHash)
		} else {
			h[i] = aggMix(h[i] ^ uint64(v[r]))
		}
	}
}

// equal reports whether physical row r of cols equals the encoded key k.
func aggRowEqual(cols []aggKeyCol, r int, k []byte) bool {
	p := 0
	for ci := range cols {
		c := &cols[ci]
		if p >= len(k) {
			return false
		}
		null := c.isNull(r)
		flag := k[p]
		if (flag == 0) != (null || c.kind == aggColNull) {
			return false
		}
		switch c.kind {
		case aggColFixed:
			if !null && string(k[p+1:p+1+c.w]) != string(c.raw[r*c.w:(r+1)*c.w]) {
				return false
			}
			p += 1 + c.w
		case aggColString:
			l := int(binary.LittleEndian.Uint32(k[p+1:]))
			if !null && string(k[p+5:p+5+l]) != string(c.data[c.offs[r]:c.offs[r+1]]) {
				return false
			}
			p += 5 + l
		case aggColDict:
			l := int(binary.LittleEndian.Uint32(k[p+1:]))
			if !null && string(k[p+5:p+5+l]) != string(c.dictStr(r)) {
				return false
			}
			p += 5 + l
		case aggColBool:
			if !null && (k[p+1] == 1) != c.bools.Value(r) {
				return false
			}
			p += 2
		case aggColNull:
			p++
		}
	}
	return p == len(k)
}

// aggAppendRow appends the exec/keys encoding of physical row r of cols.
func aggAppendRow(b []byte, cols []aggKeyCol, r int) []byte {
	for ci := range cols {
		c := &cols[ci]
		null := c.isNull(r)
		switch c.kind {
		case aggColFixed:
			if null {
				b = append(b, 0)
				for range c.w {
					b = append(b, 0)
				}
			} else {
				b = append(b, 1)
				b = append(b, c.raw[r*c.w:(r+1)*c.w]...)
			}
		case aggColString:
			if null {
				b = append(b, 0, 0, 0, 0, 0)
			} else {
				s := c.data[c.offs[r]:c.offs[r+1]]
				b = append(b, 1)
				b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
				b = append(b, s...)
			}
		case aggColDict:
			if null {
				b = append(b, 0, 0, 0, 0, 0)
			} else {
				s := c.dictStr(r)
				b = append(b, 1)
				b = binary.LittleEndian.AppendUint32(b, uint32(len(s)))
				b = append(b, s...)
			}
		case aggColBool:
			switch {
			case null:
				b = append(b, 0, 0)
			case c.bools.Value(r):
				b = append(b, 1, 1)
			default:
				b = append(b, 1, 0)
			}
		case aggColNull:
			b = append(b, 0)
		}
	}
	return b
}

// probeBatch maps the n live rows of cols to group ids, inserting new
// groups (see the file comment).
func (t *aggBytesTable) probeBatch(cols []arrow.Array, sel []int32, n int, out []int32) error {
	t.views = t.views[:0]
	for _, a := range cols {
		v, err := aggKeyView(a)
		if err != nil {
			return err
		}
		t.views = append(t.views, v)
	}
	for ci := range t.views {
		if t.views[ci].kind == aggColDict {
			t.views[ci].ehash = t.dictCache(ci, cols[ci].(*array.Dictionary)).hash
		}
	}
	if len(t.views) == 1 && t.views[0].kind == aggColDict {
		t.probeDict1(cols[0].(*array.Dictionary), sel, n, out)
		return nil
	}
	if aggAllDict(t.views) && t.probeDictN(cols, sel, n, out) {
		return nil
	}
	if cap(t.h) < n {
		t.h = make([]uint64, n)
	}
	h := t.h[:n]
	for i := range h {
		h[i] = aggSeed
	}
	for ci := range t.views {
		t.views[ci].hashInto(cols[ci], h, sel)
	}
	for i, hv := range h {
		r := i
		if sel != nil {
			r = int(sel[i])
		}
		out[i] = t.probeRow(hv, r)
	}
	return nil
}

// probeRow returns the group of physical row r of t.views (hash hv),
// inserting it when new.
func (t *aggBytesTable) probeRow(hv uint64, r int) int32 {
	views := t.views
	j := hv & t.mask
	for {
		s := &t.slots[j]
		if s.gid == 0 {
			g := int32(len(t.hashes))
			t.hashes = append(t.hashes, hv)
			t.arena = aggAppendRow(t.arena, views, r)
			t.offs = append(t.offs, len(t.arena))
			s.hash, s.gid = hv, g+1
			if uint64(len(t.hashes))*2 > uint64(len(t.slots)) {
				t.grow()
			}
			return g
		}
		if s.hash == hv && aggRowEqual(views, r, t.key(s.gid-1)) {
			return s.gid - 1
		}
		j = (j + 1) & t.mask
	}
}
