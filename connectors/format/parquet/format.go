// Package parquet reads Apache Parquet files into Arrow batches.
//
// Column chunks are read page by page with parquet-go and the typed page
// values (or dictionary indexes) are decoded straight into Arrow buffers
// allocated from the scan's allocator: no rows, no boxed values. Each
// row group is one split; row groups whose statistics cannot satisfy the
// scan's ranges are skipped. Parsed footers are kept in a small
// process-wide LRU keyed by (path, size, modification time).
package parquet

import (
	"container/list"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors"
)

// Format is the Parquet format.
type Format struct {
	cache *footerCache
}

var defaultCache = newFooterCache(256)

// New returns the Parquet format (sharing the process-wide footer cache).
func New() *Format { return &Format{cache: defaultCache} }

var _ connectors.Format = (*Format)(nil)

// Name is "parquet".
func (*Format) Name() string { return "parquet" }

// fileMeta is a parsed footer.
type fileMeta struct {
	pf     *pq.File
	schema *fileSchema
	size   int64
	idx    indexCache // page indexes and bloom filters read so far (indexcache.go)
}

// numRows is the file's row count.
func (m *fileMeta) numRows() int64 { return m.pf.NumRows() }

// InferSchema returns the file's columns as tarn types.
func (f *Format) InferSchema(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) (*arrow.Schema, error) {
	m, err := f.footer(ctx, fs, file, nil, nil)
	if err != nil {
		return nil, err
	}
	fields := make([]arrow.Field, 0, len(m.schema.cols))
	for i := range m.schema.cols {
		c := &m.schema.cols[i]
		dt, err := c.arrowType()
		if err != nil {
			return nil, fmt.Errorf("parquet: %s: %w", file.Path, err)
		}
		fields = append(fields, arrow.Field{Name: c.name, Type: dt, Nullable: true})
	}
	return arrow.NewSchema(fields, nil), nil
}

// Splits returns one split per row group.
func (f *Format) Splits(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) ([]connectors.Split, error) {
	m, err := f.footer(ctx, fs, file, nil, nil)
	if err != nil {
		return nil, err
	}
	rgs := m.pf.Metadata().RowGroups
	out := make([]connectors.Split, 0, len(rgs))
	for i := range rgs {
		if rgs[i].NumRows == 0 {
			continue
		}
		out = append(out, connectors.Split{File: file, RowGroups: []int{i}, Rows: rgs[i].NumRows})
	}
	return out, nil
}

// RowCount returns the number of rows in a file from its footer.
func (f *Format) RowCount(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo) (int64, error) {
	m, err := f.footer(ctx, fs, file, nil, nil)
	if err != nil {
		return 0, err
	}
	return m.numRows(), nil
}

// PruneSplit drops the row groups of a split whose statistics cannot
// satisfy the ranges. It returns the split with the surviving row groups
// (ok false when none survive) and the number of row groups dropped.
func (f *Format) PruneSplit(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (out connectors.Split, ok bool, dropped int, err error) {
	if len(req.Ranges) == 0 {
		return split, true, 0, nil
	}
	m, err := f.footer(ctx, fs, split.File, nil, nil)
	if err != nil {
		return split, false, 0, err
	}
	rgs := split.RowGroups
	if rgs == nil {
		rgs = allRowGroups(m)
	}
	pr := newPruner(m, req)
	keep := make([]int, 0, len(rgs))
	var rows int64
	var file connectors.File // opened for bloom filters when needed
	defer func() {
		if file != nil {
			file.Close()
		}
	}()
	for _, rg := range rgs {
		if rg < 0 || rg >= len(m.pf.Metadata().RowGroups) {
			return split, false, 0, fmt.Errorf("parquet: %s: row group %d does not exist (file has %d)", split.File.Path, rg, len(m.pf.Metadata().RowGroups))
		}
		ok := pr.mayMatch(rg)
		if ok && pr.hasBloom(rg) {
			if file == nil {
				if file, err = fs.Open(ctx, split.File.Path); err != nil {
					return split, false, 0, fmt.Errorf("parquet: %w", err)
				}
			}
			ok = !pr.bloomExcludes(file, rg)
		}
		if ok {
			keep = append(keep, rg)
			rows += m.pf.Metadata().RowGroups[rg].NumRows
		}
	}
	split.RowGroups = keep
	split.Rows = rows
	return split, len(keep) > 0, len(rgs) - len(keep), nil
}

func allRowGroups(m *fileMeta) []int {
	n := len(m.pf.Metadata().RowGroups)
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// footer returns the parsed footer of file, from the cache when the
// file's size and modification time are unchanged. When f is non-nil it
// is used for reading (and counted into stats); otherwise the file is
// opened for the duration of the call.
func (f *Format) footer(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, open connectors.File, counter *atomic.Int64) (*fileMeta, error) {
	key := footerKey{path: file.Path, size: file.Size, mod: file.ModTime.UnixNano()}
	if m := f.cache.get(key); m != nil {
		return m, nil
	}
	r := open
	if r == nil {
		var err error
		if r, err = fs.Open(ctx, file.Path); err != nil {
			return nil, fmt.Errorf("parquet: %w", err)
		}
		defer r.Close()
	}
	m, err := readFooter(file.Path, r, counter)
	if err != nil {
		return nil, err
	}
	if key.size != m.size {
		// The listing was stale; key by what we read.
		key.size = m.size
	}
	if !f.cache.put(key, m) {
		m.idx.evicted = true // never cached: nothing would return its index bytes to the budget
	}
	return m, nil
}

// detachedReader serves the footer read and is then cut from the file
// handle, so a cached *pq.File never reads through a closed handle:
// pages are always read with PagesFrom and the split's own handle.
type detachedReader struct {
	r     io.ReaderAt
	n     *atomic.Int64
	alive atomic.Bool
}

func (d *detachedReader) ReadAt(p []byte, off int64) (int, error) {
	if !d.alive.Load() {
		return 0, fmt.Errorf("internal error: parquet file handle used after the footer was read")
	}
	n, err := d.r.ReadAt(p, off)
	if d.n != nil {
		d.n.Add(int64(n))
	}
	return n, err
}

const footerReadSize = 64 << 10

// readFooter validates the magic bytes and parses the footer.
func readFooter(path string, r connectors.File, bytesRead *atomic.Int64) (m *fileMeta, err error) {
	size := r.Size()
	if size < 12 {
		return nil, fmt.Errorf("parquet: %s: not a Parquet file: %d bytes is too small (offset 0)", path, size)
	}
	var head [4]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return nil, fmt.Errorf("parquet: %s: reading magic: %v (offset 0)", path, err)
	}
	var tail [8]byte
	if _, err := r.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("parquet: %s: reading footer length: %v (offset %d)", path, err, size-8)
	}
	if bytesRead != nil {
		bytesRead.Add(12)
	}
	if string(head[:]) != "PAR1" {
		if string(head[:]) == "PARE" {
			return nil, fmt.Errorf("parquet: %s: encrypted Parquet files are not supported (offset 0)", path)
		}
		return nil, fmt.Errorf("parquet: %s: not a Parquet file: missing PAR1 magic (offset 0)", path)
	}
	if string(tail[4:]) != "PAR1" {
		return nil, fmt.Errorf("parquet: %s: missing PAR1 footer magic: file truncated or not Parquet (offset %d)", path, size-4)
	}
	flen := int64(binary.LittleEndian.Uint32(tail[:4]))
	if flen+12 > size {
		return nil, fmt.Errorf("parquet: %s: footer length %d exceeds the file size %d: file truncated? (offset %d)", path, flen, size, size-8)
	}
	footerOff := size - 8 - flen
	// The footer and its 8-byte tail (read above): parquet-go's first
	// read is the file's last footerReadSize bytes, which all come from
	// here when the footer is larger than that.
	footer := make([]byte, flen+8)
	copy(footer[flen:], tail[:])
	if _, err := r.ReadAt(footer[:flen], footerOff); err != nil {
		return nil, fmt.Errorf("parquet: %s: reading footer: %v (offset %d)", path, err, footerOff)
	}
	if bytesRead != nil {
		bytesRead.Add(flen)
	}
	if err := checkThrift(footer[:flen]); err != nil {
		return nil, fmt.Errorf("parquet: %s: corrupt footer: %v (offset %d)", path, err, footerOff)
	}
	// The footer is served from memory; parquet-go reads nothing else
	// while opening (page indexes and bloom filters are read later).
	var rest io.ReaderAt = r
	if bytesRead != nil {
		rest = countingReader{r: r, n: bytesRead}
	}
	dr := &detachedReader{r: &chunkReader{base: footerOff, data: footer, next: rest}}
	dr.alive.Store(true)
	defer dr.alive.Store(false)
	defer func() {
		if p := recover(); p != nil {
			m, err = nil, fmt.Errorf("parquet: %s: corrupt footer: %v (offset %d)", path, p, footerOff)
		}
	}()
	pf, err := pq.OpenFile(dr, size,
		pq.SkipPageIndex(true),
		pq.SkipBloomFilters(true),
		pq.OptimisticRead(true),
		pq.ReadBufferSize(footerReadSize),
	)
	if err != nil {
		return nil, fmt.Errorf("parquet: %s: corrupt footer: %v (offset %d)", path, err, footerOff)
	}
	schema, err := parseSchema(pf.Metadata().Schema)
	if err != nil {
		return nil, fmt.Errorf("parquet: %s: corrupt schema: %v (offset %d)", path, err, footerOff)
	}
	// Validate the column chunk layout once so readers can trust it.
	nleaves := 0
	for i := range schema.cols {
		if schema.cols[i].leaf >= 0 {
			nleaves = schema.cols[i].leaf + 1
		}
	}
	for i, rg := range pf.Metadata().RowGroups {
		if len(rg.Columns) < nleaves {
			return nil, fmt.Errorf("parquet: %s: row group %d has %d column chunks, schema needs %d (offset %d)", path, i, len(rg.Columns), nleaves, footerOff)
		}
		if rg.NumRows < 0 {
			return nil, fmt.Errorf("parquet: %s: row group %d has a negative row count (offset %d)", path, i, footerOff)
		}
	}
	return &fileMeta{pf: pf, schema: schema, size: size}, nil
}

// footerKey identifies one version of a file.
type footerKey struct {
	path string
	size int64
	mod  int64
}

type footerEntry struct {
	key footerKey
	m   *fileMeta
}

// footerCache is a small LRU of parsed footers.
type footerCache struct {
	mu    sync.Mutex
	cap   int
	ll    *list.List
	items map[footerKey]*list.Element
}

func newFooterCache(n int) *footerCache {
	return &footerCache{cap: n, ll: list.New(), items: map[footerKey]*list.Element{}}
}

func (c *footerCache) get(k footerKey) *fileMeta {
	if k.mod == (time.Time{}).UnixNano() {
		return nil // unknown modification time: never trust the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*footerEntry).m
	}
	return nil
}

// put caches m under k; false when it is not cached (unknown
// modification time).
func (c *footerCache) put(k footerKey, m *fileMeta) bool {
	if k.mod == (time.Time{}).UnixNano() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		fe := e.Value.(*footerEntry)
		if fe.m != m {
			fe.m.idx.release()
			fe.m = m
		}
		c.ll.MoveToFront(e)
		return true
	}
	c.items[k] = c.ll.PushFront(&footerEntry{key: k, m: m})
	for c.ll.Len() > c.cap {
		e := c.ll.Back()
		c.ll.Remove(e)
		fe := e.Value.(*footerEntry)
		delete(c.items, fe.key)
		fe.m.idx.release()
	}
	return true
}
