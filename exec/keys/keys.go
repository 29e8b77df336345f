// Package keys encodes the key columns of a batch (GROUP BY keys, join
// keys, set-operation rows) into one comparable byte string per row, with
// a hash, so hash tables compare keys with bytes.Equal whatever the key
// types. The encoding is chosen per column once per batch.
//
// Encoding of one column value: a flag byte (0 = NULL, 1 = value) then,
// for a value, its fixed-width little-endian bytes, or for strings a
// 4-byte length and the bytes. Decode reverses it.
package keys

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/zeebo/xxh3"

	"github.com/tarnsql/tarn/vec"
)

// Keys holds the encoded keys of n rows. Key i is Buf[Offs[i]:Offs[i+1]].
type Keys struct {
	Buf     []byte
	Offs    []int32
	Hash    []uint64
	AnyNull []bool // row i has a NULL in some key column
	N       int
}

// Key returns key i.
func (k *Keys) Key(i int) []byte { return k.Buf[k.Offs[i]:k.Offs[i+1]] }

// Encode encodes the live rows (sel, or all n rows when sel is nil) of
// cols into k, reusing its memory.
func Encode(cols []arrow.Array, sel []int32, n int, k *Keys) {
	if sel != nil {
		n = len(sel)
	}
	k.N = n
	// Sizes first, so the arena is allocated once.
	k.Offs = resize(k.Offs, n+1)
	sizes := k.Offs[1:]
	for i := range sizes {
		sizes[i] = 0
	}
	k.AnyNull = resizeBool(k.AnyNull, n)
	for i := range k.AnyNull {
		k.AnyNull[i] = false
	}
	for _, c := range cols {
		w := fixedWidth(c.DataType())
		if w >= 0 {
			for i := range sizes {
				sizes[i] += int32(1 + w)
			}
			continue
		}
		if d, ok := c.(*array.Dictionary); ok {
			// Dictionary-encoded strings encode as their values.
			ix := vec.Values[int32](d)
			vals := d.Dictionary()
			offs, _ := vec.StringParts(vals)
			nulls, vnulls := d.NullN() > 0, vals.NullN() > 0
			for i := range sizes {
				r := row(sel, i)
				x := ix[r]
				if nulls && d.IsNull(r) || vnulls && vals.IsNull(int(x)) {
					sizes[i] += 5
					continue
				}
				sizes[i] += 5 + offs[x+1] - offs[x]
			}
			continue
		}
		offs, _ := vec.StringParts(c)
		for i := range sizes {
			r := row(sel, i)
			sizes[i] += 5 + offs[r+1] - offs[r]
		}
	}
	total := int32(0)
	for i := 0; i < n; i++ {
		s := k.Offs[i+1]
		k.Offs[i+1] = total + s
		total += s
	}
	k.Offs[0] = 0
	k.Buf = resizeBytes(k.Buf, int(total))
	cur := make([]int32, n)
	copy(cur, k.Offs[:n])
	for _, c := range cols {
		encodeCol(c, sel, k, cur)
	}
	k.Hash = resizeU64(k.Hash, n)
	for i := 0; i < n; i++ {
		k.Hash[i] = xxh3.Hash(k.Buf[k.Offs[i]:k.Offs[i+1]])
	}
}

func row(sel []int32, i int) int {
	if sel != nil {
		return int(sel[i])
	}
	return i
}

func fixedWidth(t arrow.DataType) int {
	switch t.ID() {
	case arrow.BOOL, arrow.INT8, arrow.UINT8:
		return 1
	case arrow.INT16, arrow.UINT16:
		return 2
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32:
		return 4
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.DECIMAL64, arrow.TIMESTAMP:
		return 8
	case arrow.DECIMAL128:
		return 16
	case arrow.NULL:
		return 0
	}
	return -1
}

func encodeCol(c arrow.Array, sel []int32, k *Keys, cur []int32) {
	nulls := c.NullN() > 0
	switch c.DataType().ID() {
	case arrow.NULL:
		for i := range cur {
			k.AnyNull[i] = true
			k.Buf[cur[i]] = 0
			cur[i]++
		}
		return
	case arrow.BOOL:
		b := c.(*array.Boolean)
		for i := range cur {
			r := row(sel, i)
			p := cur[i]
			if nulls && b.IsNull(r) {
				k.Buf[p], k.Buf[p+1] = 0, 0
				k.AnyNull[i] = true
			} else {
				k.Buf[p] = 1
				k.Buf[p+1] = 0
				if b.Value(r) {
					k.Buf[p+1] = 1
				}
			}
			cur[i] = p + 2
		}
	case arrow.DICTIONARY:
		encodeDict(c.(*array.Dictionary), sel, k, cur)
	case arrow.STRING, arrow.BINARY:
		offs, data := vec.StringParts(c)
		for i := range cur {
			r := row(sel, i)
			p := cur[i]
			if nulls && c.IsNull(r) {
				k.Buf[p] = 0
				binary.LittleEndian.PutUint32(k.Buf[p+1:], 0)
				k.AnyNull[i] = true
				cur[i] = p + 5
				continue
			}
			s := data[offs[r]:offs[r+1]]
			k.Buf[p] = 1
			binary.LittleEndian.PutUint32(k.Buf[p+1:], uint32(len(s)))
			copy(k.Buf[p+5:], s)
			cur[i] = p + 5 + int32(len(s))
		}
	default:
		w := fixedWidth(c.DataType())
		if w < 0 {
			panic(fmt.Sprintf("keys: unsupported key type %s", c.DataType()))
		}
		d := c.Data()
		raw := d.Buffers()[1].Bytes()[d.Offset()*w:]
		for i := range cur {
			r := row(sel, i)
			p := cur[i]
			if nulls && c.IsNull(r) {
				k.Buf[p] = 0
				clear(k.Buf[p+1 : p+1+int32(w)])
				k.AnyNull[i] = true
			} else {
				k.Buf[p] = 1
				copy(k.Buf[p+1:p+1+int32(w)], raw[r*w:(r+1)*w])
			}
			cur[i] = p + 1 + int32(w)
		}
	}
}

// encodeDict encodes a dictionary-encoded string column (int32 indices,
// VARCHAR values) exactly as the plain column of its values: keys of the
// same string from different dictionaries, or from plain batches, are
// equal.
func encodeDict(d *array.Dictionary, sel []int32, k *Keys, cur []int32) {
	ix := vec.Values[int32](d)
	vals := d.Dictionary()
	offs, data := vec.StringParts(vals)
	nulls, vnulls := d.NullN() > 0, vals.NullN() > 0
	for i := range cur {
		r := row(sel, i)
		p := cur[i]
		x := int(ix[r])
		if nulls && d.IsNull(r) || vnulls && vals.IsNull(x) {
			k.Buf[p] = 0
			binary.LittleEndian.PutUint32(k.Buf[p+1:], 0)
			k.AnyNull[i] = true
			cur[i] = p + 5
			continue
		}
		s := data[offs[x]:offs[x+1]]
		k.Buf[p] = 1
		binary.LittleEndian.PutUint32(k.Buf[p+1:], uint32(len(s)))
		copy(k.Buf[p+5:], s)
		cur[i] = p + 5 + int32(len(s))
	}
}

// Decode rebuilds key columns of the given types from encoded keys (one
// per output row), allocating from mem.
func Decode(mem memory.Allocator, types []arrow.DataType, ks [][]byte) []arrow.Array {
	out := make([]arrow.Array, len(types))
	pos := make([]int, len(ks))
	for j, t := range types {
		switch t.ID() {
		case arrow.STRING, arrow.BINARY:
			sb := vec.NewStringBuilder(mem, len(ks))
			for i, key := range ks {
				p := pos[i]
				l := int(binary.LittleEndian.Uint32(key[p+1:]))
				if key[p] == 0 {
					sb.AppendNull()
				} else {
					sb.Append(key[p+5 : p+5+l])
				}
				pos[i] = p + 5 + l
			}
			out[j] = sb.Finish()
		case arrow.NULL:
			for i := range pos {
				pos[i]++
			}
			out[j] = array.NewNull(len(ks))
		case arrow.BOOL:
			vals := make([]any, len(ks))
			for i, key := range ks {
				p := pos[i]
				if key[p] != 0 {
					vals[i] = key[p+1] == 1
				}
				pos[i] = p + 2
			}
			a, _ := vec.FromValues(mem, t, vals)
			out[j] = a
		default:
			w := fixedWidth(t)
			buf := memory.NewResizableBuffer(mem)
			buf.Resize(w * len(ks))
			dst := buf.Bytes()
			var valid *memory.Buffer
			nulls := 0
			for i, key := range ks {
				p := pos[i]
				if key[p] == 0 {
					if valid == nil {
						valid = vec.NewValidity(mem, len(ks))
					}
					valid.Bytes()[i/8] &^= 1 << (i % 8)
					nulls++
					clear(dst[i*w : (i+1)*w])
				} else {
					copy(dst[i*w:(i+1)*w], key[p+1:p+1+w])
				}
				pos[i] = p + 1 + w
			}
			d := array.NewData(t, len(ks), []*memory.Buffer{valid, buf}, nil, nulls, 0)
			buf.Release()
			if valid != nil {
				valid.Release()
			}
			out[j] = array.MakeFromData(d)
			d.Release()
		}
	}
	return out
}

func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, n+n/4)
	}
	return s[:n]
}

func resizeU64(s []uint64, n int) []uint64 {
	if cap(s) < n {
		return make([]uint64, n, n+n/4)
	}
	return s[:n]
}

func resizeBool(s []bool, n int) []bool {
	if cap(s) < n {
		return make([]bool, n, n+n/4)
	}
	return s[:n]
}

func resizeBytes(s []byte, n int) []byte {
	if cap(s) < n {
		return make([]byte, n, n+n/4)
	}
	return s[:n]
}
