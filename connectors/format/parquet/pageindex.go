package parquet

import (
	"io"
	"math"

	"github.com/parquet-go/parquet-go/bloom"
	"github.com/parquet-go/parquet-go/bloom/xxhash"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/connectors"
)

// Page-level pruning (column index + offset index) and bloom filters.
//
// The column index holds each page's min/max; the offset index each
// page's file offset and first row. For the range columns of a scan,
// pages whose bounds cannot satisfy the ranges are dropped and the rows
// of the surviving pages intersected across columns: the result is a
// list of row ranges of the row group. Every projected column then
// reads only those rows, jumping to the page that holds the next range's
// first row with its own offset index (validated against the page
// headers) and skipping rows inside the page: rows stay aligned across
// columns whatever their page boundaries.
//
// Index and filter structures are bounds-checked (offsets inside the
// file, Thrift lengths within their bytes) before they are decoded; an
// index that fails a check is ignored: pruning is an optimization.

// rowRange is a half-open range of rows of a row group.
type rowRange struct{ start, end int64 }

const maxIndexBytes = 64 << 20

func decodeIndex(b []byte, v any) bool {
	if checkThrift(b) != nil {
		return false
	}
	var proto thrift.CompactProtocol
	return thrift.Unmarshal(&proto, b, v) == nil
}

// offsetIndex reads and sanity-checks the offset index of a chunk.
func (m *fileMeta) offsetIndex(r io.ReaderAt, rg, leaf int) *format.OffsetIndex {
	g := &m.pf.Metadata().RowGroups[rg]
	cc := &g.Columns[leaf]
	b, ok := m.readIndex(r, cc.OffsetIndexOffset, int64(cc.OffsetIndexLength))
	if !ok {
		return nil
	}
	var oi format.OffsetIndex
	if !decodeIndex(b, &oi) || len(oi.PageLocations) == 0 || oi.PageLocations[0].FirstRowIndex != 0 {
		return nil
	}
	for i, p := range oi.PageLocations {
		if p.FirstRowIndex >= g.NumRows || i > 0 && p.FirstRowIndex <= oi.PageLocations[i-1].FirstRowIndex {
			return nil
		}
	}
	return &oi
}

// columnIndex reads the column index of a chunk (nil when absent or
// inconsistent with n pages).
func (m *fileMeta) columnIndex(r io.ReaderAt, rg, leaf, n int) *format.ColumnIndex {
	cc := &m.pf.Metadata().RowGroups[rg].Columns[leaf]
	b, ok := m.readIndex(r, cc.ColumnIndexOffset, int64(cc.ColumnIndexLength))
	if !ok {
		return nil
	}
	var ci format.ColumnIndex
	if !decodeIndex(b, &ci) || len(ci.NullPages) != n || len(ci.MinValues) != n || len(ci.MaxValues) != n ||
		(len(ci.NullCounts) != 0 && len(ci.NullCounts) != n) {
		return nil
	}
	return &ci
}

// pageRows returns the row ranges of rg that may satisfy every range,
// from the page indexes of the range columns (nil: no index, read
// everything).
func (p *pruner) pageRows(r io.ReaderAt, rg int) []rowRange {
	g := &p.m.pf.Metadata().RowGroups[rg]
	var keep []rowRange
	indexed := false
	for i := range p.ranges {
		pr := &p.ranges[i]
		if pr.fc == nil {
			continue
		}
		oi := p.m.offsetIndex(r, rg, pr.fc.leaf)
		if oi == nil {
			continue
		}
		ci := p.m.columnIndex(r, rg, pr.fc.leaf, len(oi.PageLocations))
		if ci == nil {
			continue
		}
		var col []rowRange
		for j, loc := range oi.PageLocations {
			end := g.NumRows
			if j+1 < len(oi.PageLocations) {
				end = oi.PageLocations[j+1].FirstRowIndex
			}
			if !pageMayMatch(ci, j, pr) {
				continue
			}
			if n := len(col); n > 0 && col[n-1].end == loc.FirstRowIndex {
				col[n-1].end = end
			} else {
				col = append(col, rowRange{loc.FirstRowIndex, end})
			}
		}
		if !indexed {
			keep, indexed = col, true
		} else {
			keep = intersect(keep, col)
		}
	}
	if !indexed {
		return nil
	}
	if keep == nil {
		keep = []rowRange{}
	}
	return keep
}

func pageMayMatch(ci *format.ColumnIndex, j int, pr *prRange) bool {
	r := &pr.r
	if ci.NullPages[j] {
		return r.AllowNull
	}
	if r.AllowNull && (len(ci.NullCounts) == 0 && pr.fc.optional || len(ci.NullCounts) > 0 && ci.NullCounts[j] > 0) {
		return true
	}
	lo, ok1 := statValue(ci.MinValues[j], pr.fc, pr.cv)
	hi, ok2 := statValue(ci.MaxValues[j], pr.fc, pr.cv)
	if !ok1 || !ok2 {
		return true
	}
	return boundsMayMatch(lo, hi, r)
}

// boundsMayMatch reports whether values in [lo, hi] may satisfy r.
func boundsMayMatch(lo, hi any, r *connectors.Range) bool {
	if len(r.Values) > 0 {
		for _, v := range r.Values {
			c1, ok1 := compare(v, lo)
			c2, ok2 := compare(v, hi)
			if !ok1 || !ok2 || (c1 >= 0 && c2 <= 0) {
				return true
			}
		}
		return false
	}
	if r.Min != nil {
		if c, ok := compare(hi, r.Min); ok && c < 0 {
			return false
		}
	}
	if r.Max != nil {
		if c, ok := compare(lo, r.Max); ok && c > 0 {
			return false
		}
	}
	return true
}

func intersect(a, b []rowRange) []rowRange {
	out := []rowRange{}
	for i, j := 0, 0; i < len(a) && j < len(b); {
		s, e := max(a[i].start, b[j].start), min(a[i].end, b[j].end)
		if s < e {
			out = append(out, rowRange{s, e})
		}
		if a[i].end < b[j].end {
			i++
		} else {
			j++
		}
	}
	return out
}

// bloomExcludes reports whether the bloom filters of rg prove that no
// row holds any of the values of an = / IN range.
func (p *pruner) bloomExcludes(r io.ReaderAt, rg int) bool {
	g := &p.m.pf.Metadata().RowGroups[rg]
	for i := range p.ranges {
		pr := &p.ranges[i]
		if pr.fc == nil || len(pr.r.Values) == 0 || pr.r.AllowNull {
			continue
		}
		md := &g.Columns[pr.fc.leaf].MetaData
		if md.BloomFilterOffset <= 0 {
			continue
		}
		f := p.m.bloomFilter(r, md)
		if f == nil {
			continue
		}
		any := false
		for _, v := range pr.r.Values {
			h, ok := bloomHash(v, pr.fc, pr.cv)
			if !ok || f.Check(h) {
				any = true
				break
			}
		}
		if !any {
			return true
		}
	}
	return false
}

// bloomFilter reads a split-block bloom filter (nil when absent,
// unsupported or corrupt).
func (m *fileMeta) bloomFilter(r io.ReaderAt, md *format.ColumnMetaData) bloom.SplitBlockFilter {
	off := md.BloomFilterOffset
	n := int64(256)
	if md.BloomFilterLength > 0 {
		n = min(n, int64(md.BloomFilterLength))
	}
	n = min(n, m.size-8-off)
	head, ok := m.readIndex(r, off, n)
	if !ok || checkThrift(head) != nil {
		return nil
	}
	var h format.BloomFilterHeader
	var proto thrift.CompactProtocol
	rd := proto.NewReaderFromBytes(head)
	if thrift.NewDecoder(rd).Decode(&h) != nil {
		return nil
	}
	if _, ok := h.Algorithm.Value.(*format.SplitBlockAlgorithm); !ok {
		return nil
	}
	if _, ok := h.Hash.Value.(*format.XxHash); !ok {
		return nil
	}
	if c := h.Compression.Value; c != nil {
		if _, ok := c.(*format.BloomFilterUncompressed); !ok {
			return nil
		}
	}
	if h.NumBytes <= 0 || h.NumBytes%32 != 0 {
		return nil
	}
	bits, ok := m.readIndex(r, off+int64(rd.BytesRead()), int64(h.NumBytes))
	if !ok {
		return nil
	}
	return bloom.MakeSplitBlockFilter(bits)
}

// bloomHash hashes a range value as the writer hashed the stored value
// (its plain encoding); ok false when the value's stored form is not
// known exactly (rescaled decimals, timestamps of other units).
func bloomHash(v any, fc *fileColumn, cv *conv) (uint64, bool) {
	switch fc.phys {
	case format.ByteArray, format.FixedLenByteArray:
		s, ok := v.(string)
		if !ok || cv.op != opString || fc.phys == format.FixedLenByteArray && len(s) != fc.flbaLen {
			return 0, false
		}
		return xxhash.Sum64([]byte(s)), true
	case format.Int32, format.Int64:
		x, ok := v.(int64)
		if !ok {
			return 0, false
		}
		switch cv.op {
		case opIntCast:
		case opDec64, opTs:
			if cv.mul > 1 || cv.div > 1 {
				return 0, false
			}
		default:
			return 0, false
		}
		if fc.phys == format.Int32 {
			if x < math.MinInt32 || x > math.MaxInt32 || fc.unsigned && x < 0 {
				return 0, false
			}
			return xxhash.Sum64Uint32(uint32(x)), true
		}
		if fc.unsigned {
			return 0, false
		}
		return xxhash.Sum64Uint64(uint64(x)), true
	}
	return 0, false
}

// hasBloom reports whether some = / IN range has a bloom filter in rg.
func (p *pruner) hasBloom(rg int) bool {
	g := &p.m.pf.Metadata().RowGroups[rg]
	for i := range p.ranges {
		pr := &p.ranges[i]
		if pr.fc != nil && len(pr.r.Values) > 0 && !pr.r.AllowNull && g.Columns[pr.fc.leaf].MetaData.BloomFilterOffset > 0 {
			return true
		}
	}
	return false
}
