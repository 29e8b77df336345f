package parquet

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/colbuf"
)

// Dictionary output (connectors.ScanRequest.DictOK).
//
// For a VARCHAR column the consumer accepts as a dictionary, a batch
// whose rows all come from dictionary-encoded pages is emitted as an
// arrow.Dictionary(int32 -> utf8) array: the indices are the pages'
// dictionary indexes (checked, NULLs spread), and the dictionary is the
// column chunk's dictionary page converted once per chunk and shared
// (Retain) by every batch of the row group. A batch that starts on a
// plain page is read as a plain String array; a batch that meets a plain
// page part way (a writer that fell back from dictionary encoding) is
// converted to a plain String array. Batches never span row groups, so
// one batch sees one dictionary.

// dictType is the dictionary type of the arrays emitted.
var dictType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// dictOut is the dictionary-output state of one column.
type dictOut struct {
	src pq.Dictionary // the parquet dictionary arr was built from
	arr arrow.Array   // its values as a String array (nil: not built)
	mem memory.Allocator
}

// dictEligible reports whether column i of req may be read as a
// dictionary: the consumer accepts one (DictOK parallel to Columns) and
// the file column is a plain (non-UUID) BYTE_ARRAY string read as VARCHAR.
func dictEligible(req *connectors.ScanRequest, i int, fc *fileColumn, cv *conv) bool {
	return len(req.DictOK) == len(req.Columns) && req.DictOK[i] &&
		fc != nil && !fc.nested && fc.phys == format.ByteArray && cv != nil && cv.op == opString && !cv.uuid &&
		req.Schema.Field(req.Columns[i]).Type.ID() == arrow.STRING
}

// batchSchema is the schema of a batch of cols: r.schema, or a copy
// with the dictionary columns' types when some column is a dictionary.
func (r *reader) batchSchema(cols []arrow.Array) *arrow.Schema {
	return connectors.SchemaOf(r.schema, cols)
}

// release drops the shared dictionary (batches already emitted keep
// their own references).
func (d *dictOut) release() {
	if d.arr != nil {
		d.arr.Release()
		d.arr = nil
	}
	d.src = nil
}

// dictionary returns the column chunk's dictionary as a String array,
// building it on first use in the chunk.
func (r *reader) dictionary(c *colReader) (arrow.Array, error) {
	d := c.dx
	if d.arr != nil && d.src == c.dict {
		return d.arr, nil
	}
	d.release()
	data, offs := c.dictVal.ByteArray()
	n := c.dictN
	if len(offs) < n+1 || int(offs[n]) > len(data) || (n > 0 && offs[0] > offs[n]) {
		return nil, r.errorf("column %q row group %d: dictionary declares %d values but holds %d (offset %d)", c.name, r.rgCur, n, max(len(offs)-1, 0), c.chunkAt)
	}
	for i := 0; i < n; i++ {
		if offs[i] > offs[i+1] {
			return nil, r.errorf("column %q row group %d: corrupt dictionary byte array offsets (offset %d)", c.name, r.rgCur, c.chunkAt)
		}
	}
	out := colbuf.NewStrings(d.mem, n, 0)
	if n > 0 {
		out.AppendBulk(data, offs[:n+1])
	}
	d.arr, d.src = out.Finish(), c.dict
	return d.arr, nil
}

// readDictStrings reads the next n rows of a dictionary-eligible column:
// a dictionary array when every row comes from dictionary pages, else a
// plain String array.
func (r *reader) readDictStrings(c *colReader, n int) (arrow.Array, error) {
	if c.page == nil || c.rowPos == c.rows {
		if err := r.nextPage(c); err != nil {
			return nil, err
		}
	}
	if c.idx == nil {
		return r.readStrings(c, n)
	}
	ix := colbuf.NewFixed(r.mem, 4, n)
	iv := colbuf.View[int32](ix)
	for done := 0; done < n; {
		m, k, defs, err := r.segment(c, n-done)
		if err != nil {
			ix.Release()
			return nil, err
		}
		if c.idx == nil {
			// The writer fell back to plain pages: convert this batch.
			return r.dictFallback(c, ix, done, n)
		}
		dict, err := r.dictionary(c)
		if err != nil {
			ix.Release()
			return nil, err
		}
		if c.valPos+k > len(c.idx) {
			ix.Release()
			return nil, r.errorf("column %q row group %d: page holds %d dictionary indexes, definition levels need %d (offset %d)", c.name, r.rgCur, len(c.idx), c.valPos+k, c.chunkAt)
		}
		src := c.idx[c.valPos : c.valPos+k]
		if !indexesInRange(src, dict.Len()) {
			ix.Release()
			return nil, r.errorf("column %q row group %d: dictionary index out of range (dictionary has %d values) (offset %d)", c.name, r.rgCur, dict.Len(), c.chunkAt)
		}
		seg := iv[done : done+m]
		if defs == nil {
			copy(seg, src)
		} else {
			j := 0
			for i, d := range defs {
				if d == c.maxDef {
					seg[i] = src[j]
					j++
				} else {
					seg[i] = 0
					ix.SetNull(done + i)
				}
			}
		}
		c.valPos += k
		c.rowPos += m
		done += m
	}
	ia := ix.Finish(arrow.PrimitiveTypes.Int32)
	out := array.NewDictionaryArray(dictType, ia, c.dx.arr)
	ia.Release()
	return out, nil
}

// indexesInRange reports whether every index is in [0, n).
func indexesInRange(idx []int32, n int) bool {
	bad := int32(0)
	for _, x := range idx {
		// x < 0 or x >= n sets the sign bit of one of the two terms.
		bad |= x | (int32(n-1) - x)
	}
	return bad >= 0
}

// dictFallback finishes a batch whose first done rows were read as
// dictionary indexes (ix) and whose remaining rows start on a plain
// page: the result is a plain String array.
func (r *reader) dictFallback(c *colReader, ix *colbuf.Fixed, done, n int) (arrow.Array, error) {
	defer ix.Release()
	rest, err := r.readStrings(c, n-done)
	if err != nil {
		return nil, err
	}
	defer rest.Release()
	dict := c.dx.arr
	doffs, ddata := stringParts(dict)
	roffs, rdata := stringParts(rest)
	out := colbuf.NewStrings(r.mem, n, int(doffs[len(doffs)-1])+int(roffs[len(roffs)-1]))
	iv := colbuf.View[int32](ix)
	var bits []byte
	if ix.Nulls > 0 {
		bits = ix.Bits()
	}
	for i := 0; i < done; i++ {
		if bits != nil && bits[i>>3]&(1<<(i&7)) == 0 {
			out.AppendNull()
			continue
		}
		x := iv[i]
		out.Append(ddata[doffs[x]:doffs[x+1]])
	}
	for i := 0; i < rest.Len(); i++ {
		if rest.IsNull(i) {
			out.AppendNull()
			continue
		}
		out.Append(rdata[roffs[i]:roffs[i+1]])
	}
	return out.Finish(), nil
}

// stringParts returns the offsets (array offset applied) and the data
// buffer of a String array.
func stringParts(a arrow.Array) ([]int32, []byte) {
	d := a.Data()
	if a.Len() == 0 {
		return []int32{0}, nil
	}
	all := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())
	var data []byte
	if b := d.Buffers()[2]; b != nil {
		data = b.Bytes()
	}
	return all[d.Offset() : d.Offset()+d.Len()+1], data
}
