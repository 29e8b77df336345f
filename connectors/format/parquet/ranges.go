package parquet

import (
	"context"

	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/connectors"
)

// prefetchChunks reads the column chunks of row group g that
// openRowGroup reads whole (those up to maxPrefetch bytes) with one
// ReadRanges call when the open file is a connectors.RangeReader (object
// stores coalesce nearby chunks into one request and send the rest in
// parallel). It returns each column reader's chunk, or nil when the file
// reads ranges one at a time. Chunks whose extent is invalid are left
// out: openRowGroup reports them. The bytes read are counted.
func (r *reader) prefetchChunks(ctx context.Context, g *format.RowGroup) (map[*colReader][]byte, error) {
	rr, ok := r.file.(connectors.RangeReader)
	if !ok {
		return nil, nil
	}
	var cols []*colReader
	var ranges []connectors.ByteRange
	for _, c := range r.chunks {
		if c.fc == nil || c.fc.leaf < 0 || c.fc.leaf >= len(g.Columns) {
			continue
		}
		cmd := &g.Columns[c.fc.leaf].MetaData
		start := cmd.DataPageOffset
		if cmd.DictionaryPageOffset > 0 && cmd.DictionaryPageOffset < start {
			start = cmd.DictionaryPageOffset
		}
		size := cmd.TotalCompressedSize
		if start < 4 || size <= 0 || size > maxPrefetch || start+size > r.meta.size-8 || cmd.Type != c.fc.phys {
			continue
		}
		cols = append(cols, c)
		ranges = append(ranges, connectors.ByteRange{Off: start, Len: size})
	}
	if len(ranges) == 0 {
		return nil, nil
	}
	bufs, err := rr.ReadRanges(ctx, ranges)
	if err != nil {
		return nil, r.errorf("row group %d: reading %d column chunks: %v (offset %d)", r.rgCur, len(ranges), err, ranges[0].Off)
	}
	if len(bufs) != len(ranges) {
		return nil, r.errorf("row group %d: ReadRanges returned %d ranges for %d (offset %d)", r.rgCur, len(bufs), len(ranges), ranges[0].Off)
	}
	out := make(map[*colReader][]byte, len(cols))
	var n int64
	for i, b := range bufs {
		if int64(len(b)) != ranges[i].Len {
			return nil, r.errorf("column %q row group %d: short read of column chunk: %d of %d bytes (offset %d)", cols[i].name, r.rgCur, len(b), ranges[i].Len, ranges[i].Off)
		}
		out[cols[i]] = b[:len(b):len(b)] // capped: a reused buffer never spills into a neighbour
		n += int64(len(b))
	}
	r.bytes.Add(n)
	return out, nil
}
