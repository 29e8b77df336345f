package parquet

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"sort"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/colbuf"
)

// DefaultBatchSize is used when the request does not set one.
const DefaultBatchSize = 1024

// maxPrefetch is the largest column chunk read into memory with a single
// read; larger chunks are streamed.
const maxPrefetch = 64 << 20

// Open reads one split (a set of row groups; nil = the whole file).
func (f *Format) Open(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	path := split.File.Path
	file, err := fs.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	r := &reader{path: path, file: file, req: req, mem: req.Mem}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	r.batchSize = req.BatchSize
	if r.batchSize <= 0 {
		r.batchSize = DefaultBatchSize
	}
	r.limit = req.Limit
	if split.File.Size == 0 {
		split.File.Size = file.Size()
	}
	m, err := f.footer(ctx, fs, split.File, file, &r.bytes)
	if err != nil {
		file.Close()
		return nil, err
	}
	r.meta = m
	if err := r.plan(split); err != nil {
		r.flushStats()
		file.Close()
		return nil, err
	}
	if len(r.rowGroups) > 0 {
		r.startFetch(ctx, r.rowGroups[0]) // object stores: the split's data is on its way before the first Next
	}
	return r, nil
}

// reader reads the row groups of one split.
type reader struct {
	path      string
	file      connectors.File
	meta      *fileMeta
	req       *connectors.ScanRequest
	mem       memory.Allocator
	schema    *arrow.Schema
	cols      []*colReader
	chunks    []*colReader // readers of column chunks: flat columns and nested leaves
	nested    bool         // a nested column is read: no page skipping (nested.go)
	rowGroups []int
	rgPos     int
	rgLeft    int64 // rows left in the current row group
	rgCur     int
	pr        *pruner    // nil without ranges
	keep      []rowRange // rows of the current row group to read (nil: all)
	keepPos   int
	rgRow     int64 // next row of the current row group
	batchSize int
	limit     int64 // rows left when > 0
	done      bool
	bytes     atomic.Int64
	flushed   int64
	ahead     *rgFetch // the row group being fetched in the background (ranges.go)
}

// colReader reads one output column from the current row group.
type colReader struct {
	name    string
	dt      arrow.DataType
	fc      *fileColumn // nil: the column is missing and reads as NULL
	cv      *conv
	maxDef  byte
	chunk   *pq.FileColumnChunk
	pages   *pq.FilePages
	page    pq.Page
	defs    []byte
	vals    encoding.Values
	idx     []int32 // dictionary indexes when the page is dictionary-encoded
	nvals   int     // packed values in the page (-1 unknown: booleans)
	rows    int
	rowPos  int
	valPos  int
	dict    pq.Dictionary
	dictBuf []byte // dictionary values converted to the output type
	dictN   int
	dictVal encoding.Values
	buf     []byte // prefetched column chunk
	avgLen  int    // average string length seen, for buffer sizing
	chunkAt int64
	// page skipping: the first row of each data page (from a validated
	// offset index; nil without one) and the index of the loaded page.
	pageFirst []int64
	pageIdx   int
	// nested columns (nested.go): the column's leaves, or a leaf's levels.
	nest *nestCol
	lv   *leafLevels
	// dx is set when the column may be emitted as a dictionary (dict.go).
	dx *dictOut
}

func (r *reader) errorf(format string, args ...any) error {
	return fmt.Errorf("parquet: %s: "+format, append([]any{r.path}, args...)...)
}

func (r *reader) plan(split connectors.Split) error {
	req := r.req
	md := r.meta.pf.Metadata()
	fields := make([]arrow.Field, len(req.Columns))
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			return r.errorf("requested column %d does not exist in the table schema (%d columns)", ci, req.Schema.NumFields())
		}
		fld := req.Schema.Field(ci)
		fields[i] = fld
		cr := &colReader{name: fld.Name, dt: fld.Type}
		if idx, ok := r.meta.schema.lookup(fld.Name); ok {
			fc := &r.meta.schema.cols[idx]
			if fc.nested || types.IsNested(fld.Type) {
				if err := r.planNestedColumn(cr, fc); err != nil {
					return err
				}
			} else {
				cv, err := planConv(fc, fld.Type)
				if err != nil {
					return r.errorf("column %q: %v", fld.Name, err)
				}
				cr.fc, cr.cv = fc, cv
				if dictEligible(req, i, fc, cv) {
					cr.dx = &dictOut{mem: r.mem}
				}
				if fc.optional {
					cr.maxDef = 1
				}
				r.chunks = append(r.chunks, cr)
			}
		}
		r.cols = append(r.cols, cr)
	}
	r.schema = arrow.NewSchema(fields, nil)
	rgs := split.RowGroups
	if rgs == nil {
		rgs = allRowGroups(r.meta)
	}
	var pr *pruner
	if len(req.Ranges) > 0 {
		pr = newPruner(r.meta, req)
		r.pr = pr
	}
	for _, rg := range rgs {
		if rg < 0 || rg >= len(md.RowGroups) {
			return r.errorf("row group %d does not exist (file has %d)", rg, len(md.RowGroups))
		}
		if md.RowGroups[rg].NumRows == 0 {
			continue
		}
		if pr != nil && (!pr.mayMatch(rg) || pr.hasBloom(rg) && pr.bloomExcludes(countingReader{r: r.file, n: &r.bytes}, rg)) {
			continue
		}
		r.rowGroups = append(r.rowGroups, rg)
	}
	if req.Stats != nil {
		req.Stats.RowGroupsTotal.Add(int64(len(rgs)))
	}
	return nil
}

// Next returns the next batch or io.EOF.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for r.rgLeft == 0 {
		if r.rgPos >= len(r.rowGroups) {
			r.finish()
			return nil, io.EOF
		}
		if err := r.openRowGroup(ctx, r.rowGroups[r.rgPos]); err != nil {
			r.finish()
			return nil, err
		}
		r.rgPos++
	}
	n := int64(r.batchSize)
	if n > r.rgLeft {
		n = r.rgLeft
	}
	if r.keep != nil {
		iv := r.keep[r.keepPos]
		if r.rgRow < iv.start {
			if err := r.seek(iv.start); err != nil {
				r.finish()
				return nil, err
			}
		}
		n = min(n, iv.end-r.rgRow)
	}
	if r.limit > 0 && n > r.limit {
		n = r.limit
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		a, err := r.readColumn(c, int(n))
		if err != nil {
			for _, p := range cols[:i] {
				p.Release()
			}
			r.finish()
			return nil, err
		}
		cols[i] = a
	}
	r.rgLeft -= n
	r.rgRow += n
	if r.keep != nil && r.rgRow == r.keep[r.keepPos].end {
		r.keepPos++
	}
	if r.limit > 0 {
		r.limit -= n
		if r.limit == 0 {
			r.done = true
		}
	}
	rec := array.NewRecordBatch(r.batchSchema(cols), cols, n)
	for _, c := range cols {
		c.Release()
	}
	if st := r.req.Stats; st != nil {
		st.RowsScanned.Add(n)
	}
	r.flushStats()
	return rec, nil
}

func (r *reader) flushStats() {
	if st := r.req.Stats; st != nil {
		b := r.bytes.Load()
		st.BytesScanned.Add(b - r.flushed)
		r.flushed = b
	}
}

func (r *reader) finish() {
	r.done = true
	r.stopFetch()
	for _, c := range r.cols {
		c.closePages()
	}
	r.flushStats()
}

// Close releases the file.
func (r *reader) Close() error {
	r.finish()
	for _, c := range r.chunks {
		c.buf = nil
	}
	if r.file != nil {
		err := r.file.Close()
		r.file = nil
		return err
	}
	return nil
}

// countingReader counts the bytes read from the file.
type countingReader struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

// chunkReader serves reads of one prefetched column chunk.
type chunkReader struct {
	base int64
	data []byte
	next io.ReaderAt
}

func (c *chunkReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= c.base && off-c.base <= int64(len(c.data)) {
		n := copy(p, c.data[off-c.base:])
		if n < len(p) {
			return n, io.ErrUnexpectedEOF
		}
		return n, nil
	}
	return c.next.ReadAt(p, off)
}

func (r *reader) openRowGroup(ctx context.Context, rg int) error {
	md := r.meta.pf.Metadata()
	g := &md.RowGroups[rg]
	rgs := r.meta.pf.RowGroups()
	chunks := rgs[rg].ColumnChunks()
	f := r.takeFetch(rg)
	if f == nil {
		f = r.fetchRowGroup(ctx, rg)
	}
	if f.err != nil {
		return f.err
	}
	if r.rgPos+1 < len(r.rowGroups) {
		r.startFetch(ctx, r.rowGroups[r.rgPos+1]) // decode this row group while the next one arrives
	}
	r.rgCur = rg
	r.rgLeft = f.rows
	r.rgRow, r.keep, r.keepPos = 0, f.keep, 0
	if f.rows == 0 {
		return nil // no page can match: skip the row group
	}
	if st := r.req.Stats; st != nil {
		st.RowGroupsScanned.Add(1)
	}
	pre := f.pre
	src := countingReader{r: r.file, n: &r.bytes}
	for _, c := range r.cols {
		c.closePages()
	}
	for _, c := range r.chunks {
		cc, ok := chunks[c.fc.leaf].(*pq.FileColumnChunk)
		if !ok {
			return r.errorf("column %q: internal error: unexpected column chunk type", c.name)
		}
		cmd := &g.Columns[c.fc.leaf].MetaData
		start := cmd.DataPageOffset
		if cmd.DictionaryPageOffset > 0 && cmd.DictionaryPageOffset < start {
			start = cmd.DictionaryPageOffset
		}
		size := cmd.TotalCompressedSize
		c.chunkAt = start
		if start < 4 || size < 0 || start+size > r.meta.size-8 {
			return r.errorf("column %q row group %d: column chunk [%d, +%d) lies outside the file (offset %d)", c.name, rg, start, size, start)
		}
		if cmd.Type != c.fc.phys {
			return r.errorf("column %q row group %d: chunk type %s differs from the schema type %s (offset %d)", c.name, rg, cmd.Type, c.fc.phys, start)
		}
		var from io.ReaderAt = src
		cs := &chunkSource{file: r.file, base: start, size: size, lz4: cmd.Codec == format.Lz4Raw}
		if b, ok := pre[c]; ok && size <= maxPrefetch {
			c.buf = b
			from = &chunkReader{base: start, data: c.buf, next: src}
			cs.buf = c.buf
		} else if size <= maxPrefetch {
			if cap(c.buf) < int(size) {
				c.buf = make([]byte, size)
			}
			c.buf = c.buf[:size]
			if _, err := src.ReadAt(c.buf, start); err != nil {
				return r.errorf("column %q row group %d: reading column chunk: %v (offset %d)", c.name, rg, err, start)
			}
			from = &chunkReader{base: start, data: c.buf, next: src}
			cs.buf = c.buf
		}
		limit := g.NumRows
		if c.lv != nil {
			limit = cmd.NumValues // a repeated leaf has more values than rows
		}
		pages, err := r.checkChunk(c, cs, limit)
		if err != nil {
			return r.errorf("column %q row group %d: %v", c.name, rg, err)
		}
		c.pageFirst, c.pageIdx = nil, -1
		c.chunk = cc
		c.pages = cc.PagesFrom(from)
		if r.keep != nil {
			c.pageFirst = r.installOffsetIndex(cc, rg, c.fc.leaf, pages)
		}
	}
	return nil
}

// installOffsetIndex gives parquet-go the chunk's offset index (so that
// SeekToRow jumps to a page) when it agrees with the page headers, and
// returns the first row of each data page (nil: skip by reading).
func (r *reader) installOffsetIndex(cc *pq.FileColumnChunk, rg, leaf int, pages []dataPage) []int64 {
	cm := &r.meta.pf.Metadata().RowGroups[rg].Columns[leaf]
	b, ok := r.meta.readIndex(countingReader{r: r.file, n: &r.bytes}, cm.OffsetIndexOffset, int64(cm.OffsetIndexLength))
	if !ok {
		return nil
	}
	var oi format.OffsetIndex
	if !decodeIndex(b, &oi) || len(oi.PageLocations) != len(pages) {
		return nil
	}
	first := make([]int64, len(pages))
	for i, p := range oi.PageLocations {
		if p.Offset != pages[i].off || p.FirstRowIndex != pages[i].first {
			return nil
		}
		first[i] = p.FirstRowIndex
	}
	// The bytes were checked; parquet-go decodes them again from here.
	if _, err := cc.OffsetIndexFrom(&chunkReader{base: cm.OffsetIndexOffset, data: b, next: r.file}); err != nil {
		return nil
	}
	return first
}

// seek positions every projected column at row of the current row
// group (row > r.rgRow).
func (r *reader) seek(row int64) error {
	for _, c := range r.cols {
		if c.fc == nil {
			continue
		}
		skip := row - r.rgRow
		if c.pageFirst != nil {
			t := sort.Search(len(c.pageFirst), func(i int) bool { return c.pageFirst[i] > row }) - 1
			if t > c.pageIdx || c.page == nil && t >= 0 {
				if c.page != nil {
					pq.Release(c.page)
					c.page = nil
				}
				if err := c.pages.SeekToRow(c.pageFirst[t]); err != nil {
					return r.errorf("column %q row group %d: seeking to row %d: %v (offset %d)", c.name, r.rgCur, c.pageFirst[t], err, c.chunkAt)
				}
				c.pageIdx = t - 1
				c.rows, c.rowPos = 0, 0
				skip = row - c.pageFirst[t]
			}
		}
		if err := r.skipRows(c, skip); err != nil {
			return err
		}
	}
	r.rgRow = row
	return nil
}

// skipRows advances a column by n rows within its pages.
func (r *reader) skipRows(c *colReader, n int64) error {
	for n > 0 {
		m, k, _, err := r.segment(c, int(min(n, math.MaxInt32)))
		if err != nil {
			return err
		}
		c.valPos += k
		c.rowPos += m
		n -= int64(m)
	}
	return nil
}

func (c *colReader) closePages() {
	if c.nest != nil {
		for _, l := range c.nest.leaves {
			l.closePages()
		}
	}
	if c.lv != nil {
		c.lv.release()
	}
	if c.dx != nil {
		c.dx.release()
	}
	if c.page != nil {
		pq.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
	c.dict, c.dictBuf, c.dictVal, c.dictN = nil, nil, encoding.Values{}, 0
	c.defs, c.idx, c.vals = nil, nil, encoding.Values{}
	c.rows, c.rowPos, c.valPos, c.nvals = 0, 0, 0, 0
}

// nextPage reads the next page of the column chunk. parquet-go may
// panic on corrupt input; that becomes an error naming the file.
func (r *reader) nextPage(c *colReader) (err error) {
	if c.page != nil {
		pq.Release(c.page)
		c.page = nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = r.errorf("column %q row group %d: corrupt page: %v (offset %d)", c.name, r.rgCur, p, c.chunkAt)
		}
	}()
	if c.lv != nil {
		return r.nextLevelPage(c)
	}
	for {
		page, err := c.pages.ReadPage()
		if err != nil {
			if err == io.EOF {
				return r.errorf("column %q row group %d: column chunk ends before the row group's %d rows (offset %d)", c.name, r.rgCur, r.meta.pf.Metadata().RowGroups[r.rgCur].NumRows, c.chunkAt)
			}
			return r.errorf("column %q row group %d: %v (offset %d)", c.name, r.rgCur, err, c.chunkAt)
		}
		if page.RepetitionLevels() != nil && len(page.RepetitionLevels()) > 0 {
			pq.Release(page)
			return r.errorf("column %q row group %d: repeated values in a column that is not repeated (offset %d)", c.name, r.rgCur, c.chunkAt)
		}
		if err := r.setPage(c, page); err != nil {
			return err
		}
		if c.rows > 0 {
			return nil
		}
		pq.Release(page)
		c.page = nil
	}
}

// setPage makes page the column's current page.
func (r *reader) setPage(c *colReader, page pq.Page) error {
	c.page = page
	c.pageIdx++
	c.defs = page.DefinitionLevels()
	c.rows = int(page.NumValues())
	if c.defs != nil && len(c.defs) != c.rows {
		return r.errorf("column %q row group %d: page has %d definition levels for %d values (offset %d)", c.name, r.rgCur, len(c.defs), c.rows, c.chunkAt)
	}
	c.rowPos, c.valPos = 0, 0
	c.vals = page.Data()
	c.idx = nil
	if d := page.Dictionary(); d != nil {
		c.idx = c.vals.Int32()
		c.nvals = len(c.idx)
		if d != c.dict {
			if err := r.loadDict(c, d); err != nil {
				return err
			}
		}
	} else {
		c.nvals = c.cv.count(c.vals)
		if c.cv.src == sBool {
			bits := c.vals.Boolean()
			c.nvals = len(bits) * 8
		}
	}
	return nil
}

// loadDict converts a chunk's dictionary to the output type once.
func (r *reader) loadDict(c *colReader, d pq.Dictionary) error {
	c.dict = d
	c.dictVal = d.Page().Data()
	c.dictN = d.Len()
	if c.cv.op == opString || c.cv.op == opBool {
		return nil
	}
	if got := c.cv.count(c.dictVal); got < c.dictN {
		return r.errorf("column %q row group %d: dictionary declares %d values but holds %d (offset %d)", c.name, r.rgCur, c.dictN, got, c.chunkAt)
	}
	need := c.dictN * c.cv.width
	if cap(c.dictBuf) < need {
		c.dictBuf = make([]byte, need)
	}
	c.dictBuf = c.dictBuf[:need]
	if err := c.cv.decode(c.dictBuf, c.dictVal, 0, c.dictN); err != nil {
		return r.errorf("column %q row group %d: dictionary: %v (offset %d)", c.name, r.rgCur, err, c.chunkAt)
	}
	return nil
}

// readColumn reads the next n rows of a column into a new array.
func (r *reader) readColumn(c *colReader, n int) (a arrow.Array, err error) {
	if c.fc == nil {
		return array.MakeArrayOfNull(r.mem, c.dt, n), nil
	}
	if c.nest != nil {
		return r.readNested(c, n)
	}
	defer func() {
		// Corrupt input that slipped past the checks below shows up as a
		// runtime error (index out of range); anything else (the memory
		// budget) propagates.
		if p := recover(); p != nil {
			if re, ok := p.(runtime.Error); ok {
				a, err = nil, r.errorf("column %q row group %d: corrupt data: %v (offset %d)", c.name, r.rgCur, re, c.chunkAt)
				return
			}
			panic(p)
		}
	}()
	if c.dx != nil {
		return r.readDictStrings(c, n)
	}
	switch c.cv.op {
	case opString:
		return r.readStrings(c, n)
	case opBool:
		return r.readBools(c, n)
	}
	out := colbuf.NewFixed(r.mem, c.cv.width, n)
	if err := r.fillFixed(c, out, n); err != nil {
		out.Release()
		return nil, err
	}
	return out.Finish(c.dt), nil
}

// segment advances to a page with rows and returns the run of m rows
// (at most want) available in it, with k the non-NULL values among them.
func (r *reader) segment(c *colReader, want int) (m, k int, defs []byte, err error) {
	if c.page == nil || c.rowPos == c.rows {
		if err := r.nextPage(c); err != nil {
			return 0, 0, nil, err
		}
	}
	m = c.rows - c.rowPos
	if m > want {
		m = want
	}
	k = m
	if c.defs != nil {
		defs = c.defs[c.rowPos : c.rowPos+m]
		k = countEq(defs, c.maxDef)
		if k == m {
			defs = nil
		}
	}
	if c.nvals >= 0 && c.valPos+k > c.nvals {
		return 0, 0, nil, r.errorf("column %q row group %d: page holds %d values, definition levels need %d (offset %d)", c.name, r.rgCur, c.nvals, c.valPos+k, c.chunkAt)
	}
	return m, k, defs, nil
}

func countEq(b []byte, v byte) int {
	n := 0
	for _, x := range b {
		if x == v {
			n++
		}
	}
	return n
}

func (r *reader) fillFixed(c *colReader, out *colbuf.Fixed, n int) error {
	w := c.cv.width
	dst := out.Bytes()
	for done := 0; done < n; {
		m, k, defs, err := r.segment(c, n-done)
		if err != nil {
			return err
		}
		seg := dst[done*w : (done+m)*w]
		if c.idx != nil {
			if !gatherW(seg[:k*w], c.dictBuf, c.idx[c.valPos:c.valPos+k], w) {
				return r.errorf("column %q row group %d: dictionary index out of range (dictionary has %d values) (offset %d)", c.name, r.rgCur, c.dictN, c.chunkAt)
			}
		} else if err := c.cv.decode(seg[:k*w], c.vals, c.valPos, k); err != nil {
			return r.errorf("column %q row group %d: %v (offset %d)", c.name, r.rgCur, err, c.chunkAt)
		}
		if defs != nil {
			spreadW(seg, defs, c.maxDef, k, w)
			for i, d := range defs {
				if d != c.maxDef {
					out.SetNull(done + i)
				}
			}
		}
		c.valPos += k
		c.rowPos += m
		done += m
	}
	return nil
}

func (r *reader) readBools(c *colReader, n int) (arrow.Array, error) {
	out := colbuf.NewBools(r.mem, n)
	for done := 0; done < n; {
		m, _, defs, err := r.segment(c, n-done)
		if err != nil {
			out.Release()
			return nil, err
		}
		bits := c.vals.Boolean()
		var dbits []byte
		if c.idx != nil {
			dbits = c.dictVal.Boolean()
		}
		for i := 0; i < m; i++ {
			if defs != nil && defs[i] != c.maxDef {
				out.SetNull(done + i)
				continue
			}
			p := c.valPos
			c.valPos++
			if c.idx != nil {
				x := int(c.idx[p])
				if x < 0 || x >= c.dictN {
					out.Release()
					return nil, r.errorf("column %q row group %d: dictionary index out of range (offset %d)", c.name, r.rgCur, c.chunkAt)
				}
				p, bits = x, dbits
			}
			if bits[p>>3]&(1<<(p&7)) != 0 {
				out.Set(done+i, true)
			}
		}
		c.rowPos += m
		done += m
	}
	return out.Finish(), nil
}

func (r *reader) readStrings(c *colReader, n int) (arrow.Array, error) {
	hint := n * c.avgLen
	if hint == 0 {
		hint = n * 16
	}
	out := colbuf.NewStrings(r.mem, n, hint)
	var uuidBuf [36]byte
	fail := func(err error) (arrow.Array, error) {
		out.Release()
		return nil, err
	}
	for done := 0; done < n; {
		m, k, defs, err := r.segment(c, n-done)
		if err != nil {
			return fail(err)
		}
		var data []byte
		var offs []uint32
		size := 0
		vals := c.vals
		if c.idx != nil {
			vals = c.dictVal
		}
		if c.fc.phys == format.FixedLenByteArray {
			data, size = vals.FixedLenByteArray()
		} else {
			data, offs = vals.ByteArray()
		}
		get := func(p int) ([]byte, bool) {
			if c.idx != nil {
				x := c.idx[p]
				if x < 0 || int(x) >= c.dictN {
					return nil, false
				}
				p = int(x)
			}
			if offs != nil {
				if p+1 >= len(offs) || offs[p] > offs[p+1] || int(offs[p+1]) > len(data) {
					return nil, false
				}
				return data[offs[p]:offs[p+1]], true
			}
			if (p+1)*size > len(data) {
				return nil, false
			}
			return data[p*size : (p+1)*size], true
		}
		bad := func() (arrow.Array, error) {
			return fail(r.errorf("column %q row group %d: corrupt byte array values (offset %d)", c.name, r.rgCur, c.chunkAt))
		}
		if defs == nil && c.idx == nil && offs != nil {
			// Plain, no NULLs: one copy for the whole run.
			run := offs[c.valPos : c.valPos+k+1]
			if int(run[k]) > len(data) || run[0] > run[k] {
				return bad()
			}
			for i := 0; i < k; i++ {
				if run[i] > run[i+1] {
					return bad()
				}
			}
			out.AppendBulk(data, run)
			c.valPos += k
		} else if c.idx != nil && offs != nil && !c.cv.uuid {
			// Dictionary: one checked gather (gather.go).
			if c.valPos+k > len(c.idx) || !gatherStrings(out, data, offs, c.idx[c.valPos:c.valPos+k], defs, c.maxDef) {
				return bad()
			}
			c.valPos += k
		} else {
			for i := 0; i < m; i++ {
				if defs != nil && defs[i] != c.maxDef {
					out.AppendNull()
					continue
				}
				v, ok := get(c.valPos)
				if !ok {
					return bad()
				}
				c.valPos++
				if c.cv.uuid {
					v = formatUUID(uuidBuf[:0], v)
				}
				out.Append(v)
			}
		}
		c.rowPos += m
		done += m
	}
	if n > 0 {
		c.avgLen = out.DataLen()/n + 1
	}
	return out.Finish(), nil
}

// formatUUID appends the canonical text form of a 16-byte UUID.
func formatUUID(dst, u []byte) []byte {
	const hexd = "0123456789abcdef"
	for i, b := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexd[b>>4], hexd[b&15])
	}
	return dst
}
