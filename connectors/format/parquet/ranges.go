package parquet

import (
	"context"

	"github.com/tarnsql/tarn/connectors"
)

// prefetchChunks reads the column chunks of row group rg that
// openRowGroup reads whole (those up to maxPrefetch bytes) with one
// ReadRanges call when the open file is a connectors.RangeReader (object
// stores coalesce nearby chunks into one request and send the rest in
// parallel). It returns each column reader's chunk, or nil when the file
// reads ranges one at a time. Chunks whose extent is invalid are left
// out: openRowGroup reports them. The bytes read are counted.
func (r *reader) prefetchChunks(ctx context.Context, rg int) (map[*colReader][]byte, error) {
	rr, ok := r.file.(connectors.RangeReader)
	if !ok {
		return nil, nil
	}
	g := &r.meta.pf.Metadata().RowGroups[rg]
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
		return nil, r.errorf("row group %d: reading %d column chunks: %v (offset %d)", rg, len(ranges), err, ranges[0].Off)
	}
	if len(bufs) != len(ranges) {
		return nil, r.errorf("row group %d: ReadRanges returned %d ranges for %d (offset %d)", rg, len(bufs), len(ranges), ranges[0].Off)
	}
	out := make(map[*colReader][]byte, len(cols))
	var n int64
	for i, b := range bufs {
		if int64(len(b)) != ranges[i].Len {
			return nil, r.errorf("column %q row group %d: short read of column chunk: %d of %d bytes (offset %d)", cols[i].name, rg, len(b), ranges[i].Len, ranges[i].Off)
		}
		out[cols[i]] = b[:len(b):len(b)] // capped: a reused buffer never spills into a neighbour
		n += int64(len(b))
	}
	r.bytes.Add(n)
	return out, nil
}

// Read-ahead on object stores.
//
// When the file reads ranges in one call (connectors.RangeReader: object
// stores), waiting for a row group's column chunks would leave the CPU
// idle, so the reader fetches ahead: Open starts fetching the split's
// first row group in the background (the scan opens its next split while
// it still decodes the current one, so that fetch overlaps decoding), and
// opening a row group starts fetching the next. A fetch covers what
// openRowGroup needs from storage: the page-index decision (which rows
// survive page pruning) and the column chunks. One fetch is in flight
// per reader; Close cancels it and waits for it.

// rgFetch is the storage work for one row group.
type rgFetch struct {
	rg     int
	keep   []rowRange // rows to read after page pruning (nil: all)
	rows   int64      // rows to read; 0 skips the row group
	pre    map[*colReader][]byte
	err    error
	done   chan struct{} // closed when the fields above are set
	cancel context.CancelFunc
}

// fetchRowGroup does the storage work for row group rg.
func (r *reader) fetchRowGroup(ctx context.Context, rg int) *rgFetch {
	f := &rgFetch{rg: rg, rows: r.meta.pf.Metadata().RowGroups[rg].NumRows}
	if r.pr != nil && !r.nested {
		if keep := r.pr.pageRows(countingReader{r: r.file, n: &r.bytes}, rg); keep != nil {
			var rows int64
			for _, k := range keep {
				rows += k.end - k.start
			}
			if rows == 0 {
				f.rows = 0 // no page can match: skip the row group
				return f
			}
			if rows < f.rows {
				f.keep, f.rows = keep, rows
			}
		}
	}
	f.pre, f.err = r.prefetchChunks(ctx, rg)
	return f
}

// startFetch starts fetching row group rg in the background when the
// file reads ranges in one call and nothing else is in flight.
func (r *reader) startFetch(ctx context.Context, rg int) {
	if r.ahead != nil {
		return
	}
	if _, ok := r.file.(connectors.RangeReader); !ok {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &rgFetch{rg: rg, done: make(chan struct{}), cancel: cancel}
	r.ahead = f
	go func() {
		defer close(f.done)
		res := r.fetchRowGroup(ctx, rg)
		f.keep, f.rows, f.pre, f.err = res.keep, res.rows, res.pre, res.err
	}()
}

// takeFetch returns the background fetch of row group rg once it is done
// (nil when none was started for rg; another in flight is cancelled).
func (r *reader) takeFetch(rg int) *rgFetch {
	f := r.ahead
	if f == nil {
		return nil
	}
	r.ahead = nil
	if f.rg != rg {
		f.cancel()
		<-f.done
		return nil
	}
	<-f.done
	f.cancel()
	return f
}

// stopFetch cancels the fetch in flight and waits for it.
func (r *reader) stopFetch() {
	if f := r.ahead; f != nil {
		r.ahead = nil
		f.cancel()
		<-f.done
	}
}
