package filetable

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/url"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable/partvalue"
)

// Partitioned file tables. The table schema is the data columns followed
// by the partition keys; files hold only the data columns. A scan reads
// the partitions the planner selected (WithPartitions) — or, when none
// were selected, the key=value folders it finds under the location — and
// fills the key columns with each split's partition values, typed from
// the key's declared type (__HIVE_DEFAULT_PARTITION__ reads as NULL).

var _ connectors.PartitionedTable = (*Table)(nil)

// partState is the partitioning of a table.
type partState struct {
	nData      int           // data columns come first in the schema
	dataSchema *arrow.Schema // the data columns only: what formats see
	keys       []arrow.Field

	selected bool // parts came from the planner
	parts    []catalog.Partition
	total    int

	// resolved once per table value by the first Splits call: the
	// partitions read (discovered ones when not selected) and how to
	// read each one.
	mu      sync.Mutex
	srcs    []*partSource
	found   [][]connectors.FileInfo // discovered partitions' files
	resolve bool
	// files caches the selected partitions' listing: Estimate at planning
	// and Splits at execution share one listing.
	files [][]connectors.FileInfo
}

// partSource is how to read one partition.
type partSource struct {
	label  string // "dt=2024-06-01, region=eu" for errors
	loc    string
	fs     connectors.FileSystem
	format connectors.Format
	opts   map[string]string
	values []any // per key, in the literal Go representation; nil = NULL
}

func newPartState(schema *arrow.Schema, nData int) *partState {
	fields := schema.Fields()
	return &partState{
		nData:      nData,
		dataSchema: arrow.NewSchema(fields[:nData], nil),
		keys:       fields[nData:],
		total:      -1,
	}
}

// CatalogTable is the table's catalog entry (nil for NewFromFiles tables).
func (t *Table) CatalogTable() *catalog.Table { return t.ct }

// WithPartitions returns a copy of the table that reads only parts.
func (t *Table) WithPartitions(parts []catalog.Partition, total int) (connectors.Table, error) {
	if t.part == nil {
		return nil, fmt.Errorf("table %s is not partitioned", t.name)
	}
	for _, p := range parts {
		if len(p.Values) != len(t.part.keys) {
			return nil, fmt.Errorf("table %s: partition %v has %d values for %d partition keys", t.name, p.Values, len(p.Values), len(t.part.keys))
		}
	}
	c := *t
	c.part = &partState{nData: t.part.nData, dataSchema: t.part.dataSchema, keys: t.part.keys,
		selected: true, parts: parts, total: total}
	return &c, nil
}

// PartitionCounts reports the selected and total partitions (-1 when
// not selected, or unknown).
func (t *Table) PartitionCounts() (selected, total int) {
	if t.part == nil || !t.part.selected {
		return -1, -1
	}
	return len(t.part.parts), t.part.total
}

// Partitions returns the selected partitions (nil when not selected).
func (t *Table) Partitions() []catalog.Partition {
	if t.part == nil {
		return nil
	}
	return t.part.parts
}

// PartitionLabel renders a partition as key=value pairs for messages.
func PartitionLabel(keys []string, values []string) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(k)
		b.WriteByte('=')
		if i < len(values) {
			b.WriteString(values[i])
		}
	}
	return b.String()
}

func (p *partState) keyNames() []string {
	out := make([]string, len(p.keys))
	for i, k := range p.keys {
		out[i] = k.Name
	}
	return out
}

// resolveSources builds the partition sources once. Unselected tables
// discover key=value folders under the table location.
func (t *Table) resolveSources(ctx context.Context) error {
	p := t.part
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resolve {
		return nil
	}
	parts := p.parts
	if !p.selected {
		var err error
		parts, p.found, err = t.discover(ctx)
		if err != nil {
			return err
		}
		p.total = len(parts)
	}
	srcs := make([]*partSource, len(parts))
	fsCache := map[string]connectors.FileSystem{authority(t.location): t.fs}
	for i := range parts {
		s, err := t.source(&parts[i], fsCache)
		if err != nil {
			return err
		}
		srcs[i] = s
	}
	p.srcs = srcs
	p.resolve = true
	return nil
}

// authority is a location's scheme and host ("s3://bucket"), the unit
// a FileSystem serves.
func authority(loc string) string {
	i := strings.Index(loc, "://")
	if i < 0 {
		return ""
	}
	rest := loc[i+3:]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	return strings.ToLower(loc[:i]) + "://" + rest
}

func (t *Table) source(p *catalog.Partition, fsCache map[string]connectors.FileSystem) (*partSource, error) {
	ps := t.part
	s := &partSource{label: PartitionLabel(ps.keyNames(), p.Values), loc: p.Location, fs: t.fs, format: t.format, opts: t.opts}
	if s.loc == "" {
		return nil, fmt.Errorf("table %s: partition %s has no location", t.name, s.label)
	}
	auth := authority(s.loc)
	if f, ok := fsCache[auth]; ok {
		s.fs = f
	} else {
		f, err := FileSystemForOptions(s.loc, t.opts)
		if err != nil {
			return nil, fmt.Errorf("table %s: partition %s: %w", t.name, s.label, err)
		}
		fsCache[auth] = f
		s.fs = f
	}
	if p.Format != "" || len(p.SerDeProps) > 0 {
		opts := maps.Clone(t.opts)
		if opts == nil {
			opts = map[string]string{}
		}
		maps.Copy(opts, p.SerDeProps)
		s.opts = opts
		if p.Format != "" {
			f, err := FormatFor(p.Format, opts)
			if err != nil {
				return nil, fmt.Errorf("table %s: partition %s: %w", t.name, s.label, err)
			}
			s.format = f
		}
	}
	s.values = make([]any, len(ps.keys))
	for k, key := range ps.keys {
		v, err := ParsePartitionValue(p.Values[k], key.Type)
		if err != nil {
			return nil, fmt.Errorf("table %s: partition %s: key %s: %w", t.name, s.label, key.Name, err)
		}
		s.values[k] = v
	}
	return s, nil
}

// discover finds key=value folders (in key order) under the table
// location; files outside a complete partition path are ignored.
func (t *Table) discover(ctx context.Context) ([]catalog.Partition, [][]connectors.FileInfo, error) {
	files, err := t.fs.List(ctx, t.location)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("table %s: %w", t.name, err)
	}
	keys := t.part.keys
	var parts []catalog.Partition
	var byPart [][]connectors.FileInfo
	index := map[string]int{}
	for _, f := range files {
		segs := strings.Split(f.Path, "/")
		at := -1
		for i := 0; i+len(keys) < len(segs); i++ { // the last segment is the file name
			ok := true
			for k, key := range keys {
				if !strings.HasPrefix(strings.ToLower(segs[i+k]), strings.ToLower(key.Name)+"=") {
					ok = false
					break
				}
			}
			if ok {
				at = i
			}
		}
		if at < 0 {
			continue
		}
		loc := strings.Join(segs[:at+len(keys)], "/")
		i, ok := index[loc]
		if !ok {
			vals := make([]string, len(keys))
			for k, key := range keys {
				raw := segs[at+k][len(key.Name)+1:]
				if u, err := url.PathUnescape(raw); err == nil {
					raw = u
				}
				vals[k] = raw
			}
			i = len(parts)
			index[loc] = i
			parts = append(parts, catalog.Partition{Values: vals, Location: loc})
			byPart = append(byPart, nil)
		}
		byPart[i] = append(byPart[i], f)
	}
	return parts, byPart, nil
}

// listParallel is how many partition folders are listed at once.
const listParallel = 8

// partFiles lists the files of every partition once; a missing folder
// is an empty partition (projected partitions need not exist).
func (t *Table) partFiles(ctx context.Context) ([][]connectors.FileInfo, error) {
	p := t.part
	if !p.selected {
		return p.found, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.files != nil {
		return p.files, nil
	}
	out := make([][]connectors.FileInfo, len(p.srcs))
	errs := make([]error, len(p.srcs))
	list := func(i int) {
		s := p.srcs[i]
		files, err := s.fs.List(ctx, s.loc)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs[i] = fmt.Errorf("table %s: partition %s: %w", t.name, s.label, err)
		}
		out[i] = files
	}
	if len(p.srcs) <= 1 {
		for i := range p.srcs {
			list(i)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < min(listParallel, len(p.srcs)); w++ {
			wg.Go(func() {
				for i := range next {
					list(i)
				}
			})
		}
	feed:
		for i := range p.srcs {
			select {
			case next <- i:
			case <-ctx.Done():
				break feed
			}
		}
		close(next)
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	p.files = out
	return out, nil
}

// dataRequest is req as a format sees it for partition s: only the data
// columns, only ranges on data columns, the partition's options.
func (t *Table) dataRequest(req *connectors.ScanRequest, s *partSource, cols []int) *connectors.ScanRequest {
	r := connectors.ScanRequest{Schema: t.part.dataSchema, Columns: cols, Options: s.opts}
	if req != nil {
		r.Limit, r.BatchSize, r.Mem, r.Stats = req.Limit, req.BatchSize, req.Mem, req.Stats
		for _, rg := range req.Ranges {
			if rg.Column < t.part.nData {
				r.Ranges = append(r.Ranges, rg)
			}
		}
	}
	return &r
}

func (t *Table) partSplits(ctx context.Context, req *connectors.ScanRequest) ([]connectors.Split, error) {
	if err := t.resolveSources(ctx); err != nil {
		return nil, err
	}
	p := t.part
	files, err := t.partFiles(ctx)
	if err != nil {
		return nil, err
	}
	if req != nil && req.Stats != nil {
		req.Stats.PartitionsTotal.Add(int64(max(p.total, len(p.srcs))))
		req.Stats.PartitionsScanned.Add(int64(len(p.srcs)))
	}
	var out []connectors.Split
	for i, s := range p.srcs {
		preq := t.dataRequest(req, s, nil)
		wrap := func(f connectors.FileInfo, err error) error { return partErr(s.label, f.Path, err) }
		var pst *catalog.TableStats
		if p.selected && i < len(p.parts) {
			pst = p.parts[i].Stats
		}
		fp := t.newFilePruner(req, p.dataSchema, pst, t.stats)
		sp, err := splitFiles(ctx, s.fs, s.format, files[i], req, preq, i, wrap, fp)
		if err != nil {
			return nil, err
		}
		out = append(out, sp...)
	}
	if req != nil && req.Stats != nil {
		req.Stats.SplitsTotal.Add(int64(len(out)))
	}
	return out, nil
}

func (t *Table) partOpen(ctx context.Context, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	if err := t.resolveSources(ctx); err != nil {
		return nil, err
	}
	p := t.part
	if split.Partition < 0 || split.Partition >= len(p.srcs) {
		return nil, fmt.Errorf("table %s: split of %s names partition %d of %d", t.name, split.File.Path, split.Partition, len(p.srcs))
	}
	s := p.srcs[split.Partition]
	cols := req.Columns
	if cols == nil {
		cols = make([]int, t.schema.NumFields())
		for i := range cols {
			cols[i] = i
		}
	}
	// out[i] >= 0: position in the data reader's output; < 0: constant
	// -out[i]-1 (the keys, then the hidden file columns).
	out := make([]int, len(cols))
	var dataCols []int
	all := t.Schema().NumFields()
	for i, c := range cols {
		switch {
		case c < 0 || c >= all:
			return nil, fmt.Errorf("table %s: requested column %d does not exist (%d columns)", t.name, c, all)
		case c < p.nData:
			out[i] = len(dataCols)
			dataCols = append(dataCols, c)
		default:
			out[i] = -(c - p.nData) - 1
		}
	}
	if dataCols == nil {
		dataCols = []int{}
	}
	dreq := t.dataRequest(req, s, dataCols)
	dreq.DictOK = dataDictOK(req, cols, p.nData)
	r, err := s.format.Open(ctx, s.fs, split, dreq)
	if err != nil {
		return nil, partErr(s.label, split.File.Path, err)
	}
	vals := s.values
	if t.ext != nil {
		vals = append(append([]any(nil), s.values...), hiddenValues(split.File)...)
	}
	return newConstReader(r, s.label, split.File.Path, out, t.outSchema(cols), req.Mem, vals), nil
}

// partErr names the partition, and the file unless the error already
// does.
func partErr(label, file string, err error) error {
	if strings.Contains(err.Error(), file) {
		return fmt.Errorf("partition %s: %w", label, err)
	}
	return fmt.Errorf("partition %s, file %s: %w", label, file, err)
}

// constReader appends constant columns (a partition's key values, a
// file's hidden columns) to a format's batches. The constant arrays are
// built once per reader, at the largest batch size seen, and each batch
// gets a zero-copy slice of them.
type constReader struct {
	in     connectors.BatchReader
	label  string // the partition, for errors ("" for none)
	file   string
	out    []int // >= 0: column of the format's batch; < 0: constant -out-1
	schema *arrow.Schema
	mem    memory.Allocator
	vals   []any         // per constant, in ParsePartitionValue's representation
	consts []arrow.Array // per constant, cached arrays (grown as needed)
}

func newConstReader(in connectors.BatchReader, label, file string, out []int, schema *arrow.Schema, mem memory.Allocator, vals []any) *constReader {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &constReader{in: in, label: label, file: file, out: out, schema: schema, mem: mem, vals: vals, consts: make([]arrow.Array, len(vals))}
}

func (r *constReader) wrapErr(err error) error {
	if r.label == "" {
		return err
	}
	return partErr(r.label, r.file, err)
}

func (r *constReader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	rec, err := r.in.Next(ctx)
	if err != nil {
		if err == io.EOF {
			return nil, err
		}
		return nil, r.wrapErr(err)
	}
	if rec == nil {
		return nil, io.EOF
	}
	defer rec.Release()
	n := int(rec.NumRows())
	cols := make([]arrow.Array, len(r.out))
	for i, o := range r.out {
		if o >= 0 {
			a := rec.Column(o)
			a.Retain()
			cols[i] = a
			continue
		}
		k := -o - 1
		c := r.consts[k]
		if c == nil || c.Len() < n {
			if c != nil {
				c.Release()
			}
			var err error
			c, err = ConstArray(r.mem, r.schema.Field(i).Type, r.vals[k], n)
			if err != nil {
				for _, p := range cols[:i] {
					if p != nil {
						p.Release()
					}
				}
				r.consts[k] = nil
				return nil, r.wrapErr(fmt.Errorf("column %s: %w", r.schema.Field(i).Name, err))
			}
			r.consts[k] = c
		}
		cols[i] = array.NewSlice(c, 0, int64(n))
	}
	out := array.NewRecordBatch(connectors.SchemaOf(r.schema, cols), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// dataDictOK is req.DictOK (parallel to cols) for the columns below
// nData, in order: the data reader's DictOK. Nil when req has none.
func dataDictOK(req *connectors.ScanRequest, cols []int, nData int) []bool {
	if req == nil || len(req.DictOK) != len(cols) {
		return nil
	}
	var out []bool
	for i, c := range cols {
		if c < nData {
			out = append(out, req.DictOK[i])
		}
	}
	return out
}

func (r *constReader) Close() error {
	for i, c := range r.consts {
		if c != nil {
			c.Release()
			r.consts[i] = nil
		}
	}
	return r.in.Close()
}

// partEstimate sums the selected partitions' statistics when they all
// have them, else lists a few partitions' files; an unselected table
// answers from the table statistics only (never listing every
// partition at planning time).
func (t *Table) partEstimate(ctx context.Context) (rows, bytes int64) {
	p := t.part
	if !p.selected {
		if s := t.stats; s != nil && s.Rows >= 0 {
			return s.Rows, max(s.Bytes, -1)
		}
		return -1, -1
	}
	all := true
	for i := range p.parts {
		st := p.parts[i].Stats
		if st == nil || st.Rows < 0 {
			all = false
			break
		}
		rows += st.Rows
		bytes += st.Bytes
	}
	if all {
		return rows, bytes
	}
	if len(p.parts) <= maxListEstimate {
		if err := t.resolveSources(ctx); err != nil {
			return -1, -1
		}
		files, err := t.partFiles(ctx)
		if err != nil {
			return -1, -1
		}
		rows, bytes = 0, 0
		n := 0
		for _, fl := range files {
			n += len(fl)
			for _, f := range fl {
				bytes += f.Size
			}
		}
		if n > maxFooterEstimate {
			return bytes / 100, bytes
		}
		for i, fl := range files {
			rc, ok := p.srcs[i].format.(rowCounter)
			if !ok {
				return bytes / 100, bytes
			}
			for _, f := range fl {
				if f.Size == 0 {
					continue
				}
				c, err := rc.RowCount(ctx, p.srcs[i].fs, f)
				if err != nil {
					return bytes / 100, bytes
				}
				rows += c
			}
		}
		return rows, bytes
	}
	if s := t.stats; s != nil && s.Rows >= 0 && p.total > 0 {
		f := float64(len(p.parts)) / float64(p.total)
		return int64(float64(s.Rows) * f), int64(float64(s.Bytes) * f)
	}
	return -1, -1
}

// maxListEstimate is the most partitions Estimate lists.
const maxListEstimate = 64

// ParsePartitionValue converts a partition value (folder text) to the
// literal Go representation of type dt; see partvalue.Parse.
func ParsePartitionValue(s string, dt arrow.DataType) (any, error) { return partvalue.Parse(s, dt) }

// ConstArray builds an array of n copies of v (ParsePartitionValue's
// representation; nil is NULL) of type dt.
func ConstArray(mem memory.Allocator, dt arrow.DataType, v any, n int) (arrow.Array, error) {
	if v == nil {
		return array.MakeArrayOfNull(mem, dt, n), nil
	}
	b := array.NewBuilder(mem, dt)
	defer b.Release()
	b.Reserve(n)
	bad := func() (arrow.Array, error) {
		return nil, fmt.Errorf("value %v (%T) does not fit type %s", v, v, types.SQLName(dt))
	}
	switch bb := b.(type) {
	case *array.StringBuilder:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		bb.ReserveData(n * len(s))
		for range n {
			bb.Append(s)
		}
	case *array.Int8Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(int8(x))
		}
	case *array.Int16Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(int16(x))
		}
	case *array.Int32Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(int32(x))
		}
	case *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(x)
		}
	case *array.Float32Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(float32(x))
		}
	case *array.Float64Builder:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(x)
		}
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(x)
		}
	case *array.Date32Builder:
		x, ok := v.(int32)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(arrow.Date32(x))
		}
	case *array.TimestampBuilder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(arrow.Timestamp(x))
		}
	case *array.Decimal64Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(decimal.Decimal64(x))
		}
	case *array.Decimal128Builder:
		x, ok := v.(decimal128.Num)
		if !ok {
			return bad()
		}
		for range n {
			bb.UnsafeAppend(x)
		}
	default:
		return nil, fmt.Errorf("partition keys of type %s are not supported", types.SQLName(dt))
	}
	return b.NewArray(), nil
}
