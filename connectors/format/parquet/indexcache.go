package parquet

import (
	"io"
	"sync"
	"sync/atomic"
)

// Page indexes and bloom filters, cached with the footer.
//
// A scan with ranges reads the column and offset indexes of the range
// columns for every row group it opens, and bloom filters for = / IN;
// repeated queries over the same files would read (and on an object
// store, request) the same few kilobytes again for every split. The
// structures are immutable for a given footer (the footer cache is keyed
// by path, size and modification time), so each file's are kept with
// its fileMeta:
//
//   - the page-index region (the byte range holding every column and
//     offset index of the file, which writers put together just before
//     the footer) is read whole on the first request when it is at most
//     maxIndexRegion bytes: one read serves every row group;
//   - other structures (bloom filters, indexes outside a large region)
//     are kept by offset as they are read.
//
// All cached bytes count against one process-wide budget
// (indexCacheBudget); past it, structures are read and not kept. A file's
// bytes are returned to the budget when its footer leaves the cache.
// Cached bytes are shared and read-only.

// maxIndexRegion is the largest page-index region read whole.
const maxIndexRegion = 1 << 20

// indexCacheBudget bounds the cached bytes of all files together.
const indexCacheBudget = 256 << 20

// indexCacheUsed is the bytes cached now, over all files.
var indexCacheUsed atomic.Int64

// indexCache is one file's cached index and filter bytes.
type indexCache struct {
	regionOnce sync.Once
	region     []byte // the page-index region (nil: not read)
	regionOff  int64

	mu      sync.Mutex
	parts   map[int64][]byte // by file offset
	bytes   int64            // counted against indexCacheUsed
	evicted bool             // the footer left the cache: keep nothing more
}

// reserve counts n more bytes against the budget; false when it is spent
// or the file's footer was evicted. c.mu must be held.
func (c *indexCache) reserve(n int64) bool {
	if c.evicted {
		return false
	}
	if indexCacheUsed.Add(n) > indexCacheBudget {
		indexCacheUsed.Add(-n)
		return false
	}
	c.bytes += n
	return true
}

// release returns the file's bytes to the budget (footer eviction).
func (c *indexCache) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	indexCacheUsed.Add(-c.bytes)
	c.bytes, c.evicted, c.parts = 0, true, nil
}

// indexRegion returns the extent of the file's column and offset
// indexes (ok false when it has none).
func (m *fileMeta) indexRegion() (off, end int64, ok bool) {
	for _, g := range m.pf.Metadata().RowGroups {
		for _, cc := range g.Columns {
			for _, e := range [2][2]int64{
				{cc.ColumnIndexOffset, int64(cc.ColumnIndexLength)},
				{cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)},
			} {
				if e[0] <= 0 || e[1] <= 0 {
					continue
				}
				if !ok || e[0] < off {
					off = e[0]
				}
				end = max(end, e[0]+e[1])
				ok = true
			}
		}
	}
	return off, end, ok
}

// readIndex reads the n bytes at off of a page index or bloom filter
// structure through the file's cache; ok false when the extent lies
// outside the file or the read fails.
func (m *fileMeta) readIndex(r io.ReaderAt, off, n int64) ([]byte, bool) {
	if off < 4 || n <= 0 || n > maxIndexBytes || off+n > m.size-8 {
		return nil, false
	}
	c := &m.idx
	c.regionOnce.Do(func() {
		lo, hi, ok := m.indexRegion()
		if !ok || hi-lo > maxIndexRegion || lo < 4 || hi > m.size-8 {
			return
		}
		c.mu.Lock()
		ok = c.reserve(hi - lo)
		c.mu.Unlock()
		if !ok {
			return
		}
		b, ok := readAt(r, lo, hi-lo)
		if !ok {
			c.mu.Lock()
			if !c.evicted {
				c.bytes -= hi - lo
				indexCacheUsed.Add(-(hi - lo))
			}
			c.mu.Unlock()
			return
		}
		c.region, c.regionOff = b, lo
	})
	if c.region != nil && off >= c.regionOff && off+n <= c.regionOff+int64(len(c.region)) {
		at := off - c.regionOff
		return c.region[at : at+n : at+n], true
	}
	c.mu.Lock()
	if b, ok := c.parts[off]; ok && int64(len(b)) >= n {
		c.mu.Unlock()
		return b[:n:n], true
	}
	c.mu.Unlock()
	b, ok := readAt(r, off, n)
	if !ok {
		return nil, false
	}
	c.mu.Lock()
	if c.reserve(n) {
		if c.parts == nil {
			c.parts = map[int64][]byte{}
		}
		if old, ok := c.parts[off]; ok {
			c.bytes -= int64(len(old))
			indexCacheUsed.Add(-int64(len(old)))
		}
		c.parts[off] = b
	}
	c.mu.Unlock()
	return b, true
}

// readAt reads n bytes at off (a read ending exactly at EOF may report
// io.EOF with all bytes).
func readAt(r io.ReaderAt, off, n int64) ([]byte, bool) {
	b := make([]byte, n)
	k, err := r.ReadAt(b, off)
	if int64(k) != n || err != nil && err != io.EOF {
		return nil, false
	}
	return b, true
}
