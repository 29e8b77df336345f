package parquet

import (
	"encoding/binary"

	"github.com/tarnsql/tarn/connectors/format/internal/colbuf"
)

// Width-generic gathers and NULL spreads over raw output bytes, and the
// dictionary gather for byte arrays.

type b16 [2]uint64

// gatherW writes dict[idx[i]] for each i; false when an index is out of
// range.
func gatherW(dst, dict []byte, idx []int32, w int) bool {
	switch w {
	case 1:
		return gather(view[uint8](dst), view[uint8](dict), idx)
	case 2:
		return gather(view[uint16](dst), view[uint16](dict), idx)
	case 4:
		return gather(view[uint32](dst), view[uint32](dict), idx)
	case 8:
		return gather(view[uint64](dst), view[uint64](dict), idx)
	default:
		return gather(view[b16](dst), view[b16](dict), idx)
	}
}

func gather[T any](dst, dict []T, idx []int32) bool {
	if len(idx) == 0 {
		return true
	}
	n := uint32(len(dict))
	_ = dst[len(idx)-1]
	for i, x := range idx {
		if uint32(x) >= n {
			return false
		}
		dst[i] = dict[x]
	}
	return true
}

// spreadW moves the k packed values at the start of dst to the rows
// whose definition level is maxDef, zeroing the NULL rows. It works
// backwards, so it is safe in place.
func spreadW(dst []byte, defs []byte, maxDef byte, k, w int) {
	switch w {
	case 1:
		spread(view[uint8](dst), defs, maxDef, k)
	case 2:
		spread(view[uint16](dst), defs, maxDef, k)
	case 4:
		spread(view[uint32](dst), defs, maxDef, k)
	case 8:
		spread(view[uint64](dst), defs, maxDef, k)
	default:
		spread(view[b16](dst), defs, maxDef, k)
	}
}

func spread[T any](dst []T, defs []byte, maxDef byte, k int) {
	var zero T
	j := k - 1
	for i := len(defs) - 1; i >= 0; i-- {
		if defs[i] == maxDef {
			dst[i] = dst[j]
			j--
		} else {
			dst[i] = zero
		}
	}
}

// gatherStrings appends one value per row to out: with defs nil, the
// rows are dict[idx[i]] for each i; otherwise row j is NULL when defs[j]
// != maxDef and takes the next index otherwise (len(idx) must be the
// number of non-NULL rows). The dictionary's value v is
// data[offs[v]:offs[v+1]]. Every index and the offsets it uses are
// checked first, the output is sized once, and the copies are unchecked;
// false when an index or an offset is out of range.
func gatherStrings(out *colbuf.Strings, data []byte, offs []uint32, idx []int32, defs []byte, maxDef byte) bool {
	if len(idx) == 0 && defs == nil {
		return true
	}
	n := uint32(0)
	if len(offs) > 0 {
		n = uint32(len(offs) - 1)
	}
	size := uint32(len(data))
	total, longest := 0, uint32(0)
	for _, x := range idx {
		if uint32(x) >= n {
			return false
		}
		lo, hi := offs[x], offs[x+1]
		if lo > hi || hi > size {
			return false
		}
		total += int(hi - lo)
		longest = max(longest, hi-lo)
	}
	if defs != nil {
		if countEq(defs, maxDef) != len(idx) {
			return false
		}
		gatherStringsNulls(out, data, offs, idx, defs, maxDef, total)
		return true
	}
	if longest > 16 {
		out.Reserve(total)
		buf, end := out.Tail()
		for _, x := range idx {
			lo, hi := offs[x], offs[x+1]
			end += copy(buf[end:end+int(hi-lo)], data[lo:hi])
			out.Commit(end)
		}
		return true
	}
	// Short values (codes, flags, modes): two 8-byte moves each instead
	// of a copy call, into 16 bytes of slack; values within 16 bytes of
	// the end of a large dictionary are copied.
	var pad [512]byte
	if len(data)+16 <= len(pad) {
		// A small dictionary (the usual case for short values) is
		// padded so that every value takes the word path.
		copy(pad[:], data)
		data = pad[:]
	}
	out.Reserve(total + 16)
	buf, end := out.Tail()
	for _, x := range idx {
		lo, hi := offs[x], offs[x+1]
		if int(lo)+16 <= len(data) {
			d := buf[end : end+16]
			src := data[lo : lo+16]
			binary.LittleEndian.PutUint64(d, binary.LittleEndian.Uint64(src))
			binary.LittleEndian.PutUint64(d[8:], binary.LittleEndian.Uint64(src[8:]))
			end += int(hi - lo)
		} else {
			end += copy(buf[end:end+int(hi-lo)], data[lo:hi])
		}
		out.Commit(end)
	}
	return true
}

// gatherStringsNulls is gatherStrings' loop for rows with NULLs (the
// indexes are checked and their total length is total).
func gatherStringsNulls(out *colbuf.Strings, data []byte, offs []uint32, idx []int32, defs []byte, maxDef byte, total int) {
	out.Reserve(total)
	buf, end := out.Tail()
	k := 0
	for _, d := range defs {
		if d != maxDef {
			out.AppendNull()
			continue
		}
		x := idx[k]
		k++
		lo, hi := offs[x], offs[x+1]
		end += copy(buf[end:end+int(hi-lo)], data[lo:hi])
		out.Commit(end)
	}
}
