// Package filetable composes a FileSystem and a Format over a table
// location into a connectors.Table: it lists the files at planning
// time, cuts them into splits (pruning Parquet row groups by
// statistics), estimates sizes from metadata and opens splits.
package filetable

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/avro"
	"github.com/tarnsql/tarn/connectors/format/csv"
	"github.com/tarnsql/tarn/connectors/format/json"
	"github.com/tarnsql/tarn/connectors/format/parquet"
	"github.com/tarnsql/tarn/connectors/format/regex"
	"github.com/tarnsql/tarn/connectors/storage/hdfs"
	"github.com/tarnsql/tarn/connectors/storage/local"
	"github.com/tarnsql/tarn/connectors/storage/s3"
)

// Table is a file table.
type Table struct {
	name     string
	schema   *arrow.Schema
	fs       connectors.FileSystem
	format   connectors.Format
	location string
	opts     map[string]string
	stats    *catalog.TableStats
	// ct is the catalog entry (nil for NewFromFiles tables); part is set
	// for partitioned tables (see partitioned.go).
	ct   *catalog.Table
	part *partState
	// ext is the schema with the hidden file columns appended, set on
	// tables returned by WithHiddenColumns (see hidden.go); schema
	// never has them.
	ext *arrow.Schema
}

var _ connectors.ReadAheadTable = (*Table)(nil)

// ReadAhead reports whether the table's files are remote (object
// stores, HDFS): scans then open the next split early
// (connectors.ReadAheadTable).
func (t *Table) ReadAhead() bool { return connectors.IsRemote(t.fs) }

// New builds a table from a catalog entry.
func New(ct *catalog.Table) (connectors.Table, error) {
	name := ct.Name
	if ct.Database != "" {
		name = ct.Database + "." + ct.Name
	}
	if ct.Kind == catalog.KindView {
		return nil, fmt.Errorf("table %s: is a view, not a file table", name)
	}
	schema, err := ct.ArrowSchema()
	if err != nil {
		return nil, err
	}
	opts := map[string]string{}
	maps.Copy(opts, ct.Props)
	maps.Copy(opts, ct.SerDeProps)
	t, err := build(name, schema, ct.Format, ct.Location, opts)
	if err != nil {
		return nil, err
	}
	t.stats = ct.Stats
	t.ct = ct
	if len(ct.PartitionKeys) > 0 {
		t.part = newPartState(schema, len(ct.Columns))
		return t, nil
	}
	return t, nil
}

// NewOn is New with the file system fsys (nil: chosen from the
// location's scheme) serving the table location.
func NewOn(ct *catalog.Table, fsys connectors.FileSystem) (connectors.Table, error) {
	tb, err := New(ct)
	if err != nil || fsys == nil {
		return tb, err
	}
	tb.(*Table).fs = fsys
	return tb, nil
}

// NewFromFiles builds a table over the files at location (a directory
// or one file) for tests and tools.
func NewFromFiles(name string, schema *arrow.Schema, format string, location string, opts map[string]string) (connectors.Table, error) {
	o := map[string]string{}
	maps.Copy(o, opts)
	return build(name, schema, format, location, o)
}

func build(name string, schema *arrow.Schema, format, location string, opts map[string]string) (*Table, error) {
	if location == "" {
		return nil, fmt.Errorf("table %s: no LOCATION", name)
	}
	fsys, err := FileSystemForOptions(location, opts)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	f, err := FormatFor(format, opts)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	return &Table{name: name, schema: schema, fs: fsys, format: f, location: location, opts: opts}, nil
}

// FileSystemFor picks the file system for a location by its scheme.
func FileSystemFor(location string) (connectors.FileSystem, error) {
	return FileSystemForOptions(location, nil)
}

// FileSystemForOptions picks the file system for a location by its
// scheme; table properties may tune object storage (s3.endpoint,
// s3.region, s3.path-style-access, ...: see docs/STORAGE.md).
func FileSystemForOptions(location string, opts map[string]string) (connectors.FileSystem, error) {
	scheme := ""
	if i := strings.Index(location, "://"); i > 0 {
		scheme = strings.ToLower(location[:i])
	}
	switch scheme {
	case "", "file":
		return local.New(), nil
	case "s3", "s3a", "s3n":
		return s3.ForLocation(location, opts)
	case "hdfs":
		return hdfs.ForLocation(location)
	}
	return nil, fmt.Errorf("location %s: unknown storage scheme %q", location, scheme)
}

// FormatFor picks the format by name; text formats get their defaults
// added to opts (tsv: tab-delimited).
func FormatFor(name string, opts map[string]string) (connectors.Format, error) {
	switch strings.ToLower(name) {
	case "parquet":
		return parquet.New(), nil
	case "csv", "textfile", "text":
		return csv.New(), nil
	case "tsv":
		if _, ok := opts["field.delim"]; !ok {
			if _, ok := opts["separatorChar"]; !ok {
				opts["field.delim"] = "\t"
			}
		}
		return csv.New(), nil
	case "json", "jsonfile":
		return json.New(), nil
	case "regex":
		return regex.New(), nil
	case "avro":
		return avro.New(), nil
	case "orc":
		return nil, errors.New("file format ORC is not supported: there is no maintained pure-Go ORC reader (see docs/FORMATS.md)")
	case "":
		return nil, errors.New("no file format given (STORED AS PARQUET, CSV, TEXTFILE, TSV, JSONFILE or AVRO, or ROW FORMAT SERDE)")
	}
	return nil, fmt.Errorf("file format %q is not supported (parquet, csv, textfile, tsv, json, regex, avro)", name)
}

// Name is the qualified table name.
func (t *Table) Name() string { return t.name }

// Schema is the table schema: the data columns, the partition keys and,
// for a table returned by WithHiddenColumns, the hidden file columns.
func (t *Table) Schema() *arrow.Schema {
	if t.ext != nil {
		return t.ext
	}
	return t.schema
}

// Location is the table location.
func (t *Table) Location() string { return t.location }

// Format is the table's format.
func (t *Table) Format() connectors.Format { return t.format }

// Options are the format options.
func (t *Table) Options() map[string]string { return t.opts }

func (t *Table) files(ctx context.Context) ([]connectors.FileInfo, error) {
	files, err := t.fs.List(ctx, t.location)
	if err != nil {
		var s3e *s3.Error
		if errors.Is(err, fs.ErrNotExist) && !(errors.As(err, &s3e) && strings.HasPrefix(s3e.Msg, "bucket")) {
			// (a missing bucket keeps the store's own, more specific message)
			return nil, fmt.Errorf("table %s: location %s does not exist", t.name, t.location)
		}
		return nil, fmt.Errorf("table %s: %w", t.name, err)
	}
	return files, nil
}

// splitPruner is implemented by formats that can drop parts of a split
// from metadata (Parquet row groups).
type splitPruner interface {
	PruneSplit(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (connectors.Split, bool, int, error)
}

// Splits lists the files and cuts them into splits. Row groups pruned
// here count into RowGroupsTotal (the ones that survive are counted when
// their split is opened); FilesScanned counts files with a split left.
func (t *Table) Splits(ctx context.Context, req *connectors.ScanRequest) ([]connectors.Split, error) {
	if t.part != nil {
		return t.partSplits(ctx, req)
	}
	files, err := t.files(ctx)
	if err != nil {
		return nil, err
	}
	fp := t.newFilePruner(req, t.schema, t.stats, nil)
	out, err := splitFiles(ctx, t.fs, t.format, files, req, t.request(req), 0, nil, fp)
	if err != nil {
		return nil, err
	}
	if req != nil && req.Stats != nil {
		req.Stats.SplitsTotal.Add(int64(len(out)))
	}
	return out, nil
}

// splitFiles cuts files into splits of partition part, pruning them with
// preq (the request as the format sees it) when req has ranges, and
// with fp (hidden-column ranges and zone maps; nil for none). It
// counts pruned row groups and files with a split left into req.Stats;
// wrap, when set, adds context to errors.
func splitFiles(ctx context.Context, fsys connectors.FileSystem, format connectors.Format, files []connectors.FileInfo,
	req, preq *connectors.ScanRequest, part int, wrap func(connectors.FileInfo, error) error, fp *filePruner) ([]connectors.Split, error) {
	if wrap == nil {
		wrap = func(_ connectors.FileInfo, err error) error { return err }
	}
	pruner, _ := format.(splitPruner)
	var out []connectors.Split
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if f.Size == 0 {
			continue
		}
		zone, ok := fp.file(f)
		if !ok {
			continue
		}
		splits, err := format.Splits(ctx, fsys, f, preq.Options)
		if err != nil {
			return nil, wrap(f, err)
		}
		if zone != nil && len(zone.Blocks) > 0 {
			splits = fp.blocks(splits, zone, byteRanges(format, f, preq.Options))
		}
		kept := 0
		for _, s := range splits {
			s.Partition = part
			if pruner != nil && req != nil && len(preq.Ranges) > 0 {
				s2, ok, dropped, err := pruner.PruneSplit(ctx, fsys, s, preq)
				if err != nil {
					return nil, wrap(f, err)
				}
				if req.Stats != nil {
					req.Stats.RowGroupsTotal.Add(int64(dropped))
				}
				if !ok {
					continue
				}
				s = s2
			}
			out = append(out, s)
			kept++
		}
		if kept > 0 && req != nil && req.Stats != nil {
			req.Stats.FilesScanned.Add(1)
		}
	}
	return out, nil
}

// request is req as the format sees it: the table's schema and options
// when the caller left them out, and without the hidden file columns
// (columns and ranges past the table schema).
func (t *Table) request(req *connectors.ScanRequest) *connectors.ScanRequest {
	if req == nil {
		return &connectors.ScanRequest{Schema: t.schema, Options: t.opts}
	}
	n := t.schema.NumFields()
	hidden := false
	for _, c := range req.Columns {
		hidden = hidden || c >= n
	}
	for _, rg := range req.Ranges {
		hidden = hidden || rg.Column >= n
	}
	if req.Options != nil && req.Schema != nil && req.Schema != t.ext && !hidden {
		return req
	}
	r := *req
	if r.Options == nil {
		r.Options = t.opts
	}
	if r.Schema == nil || r.Schema == t.ext {
		r.Schema = t.schema
	}
	if hidden {
		r.Columns = make([]int, 0, len(req.Columns))
		for _, c := range req.Columns {
			if c < n {
				r.Columns = append(r.Columns, c)
			}
		}
		r.DictOK = dataDictOK(req, req.Columns, n)
		r.Ranges = nil
		for _, rg := range req.Ranges {
			if rg.Column < n {
				r.Ranges = append(r.Ranges, rg)
			}
		}
	}
	return &r
}

// Open reads one split.
func (t *Table) Open(ctx context.Context, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	if t.part != nil {
		return t.partOpen(ctx, split, req)
	}
	if t.ext == nil || req == nil {
		return t.format.Open(ctx, t.fs, split, t.request(req))
	}
	n := t.schema.NumFields()
	out := make([]int, len(req.Columns))
	hidden := false
	data := 0
	for i, c := range req.Columns {
		switch {
		case c < 0 || c >= t.ext.NumFields():
			return nil, fmt.Errorf("table %s: requested column %d does not exist (%d columns)", t.name, c, t.ext.NumFields())
		case c < n:
			out[i] = data
			data++
		default:
			out[i] = -(c - n) - 1
			hidden = true
		}
	}
	if !hidden {
		return t.format.Open(ctx, t.fs, split, t.request(req))
	}
	r, err := t.format.Open(ctx, t.fs, split, t.request(req))
	if err != nil {
		return nil, err
	}
	return newConstReader(r, "", split.File.Path, out, t.outSchema(req.Columns), req.Mem, hiddenValues(split.File)), nil
}

// outSchema is the schema of the columns cols of Schema().
func (t *Table) outSchema(cols []int) *arrow.Schema {
	s := t.Schema()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fields[i] = s.Field(c)
	}
	return arrow.NewSchema(fields, nil)
}

// rowCounter is implemented by formats that know a file's row count
// from metadata.
type rowCounter interface {
	RowCount(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo) (int64, error)
}

// maxFooterEstimate is the most files whose footers Estimate reads.
const maxFooterEstimate = 256

// Estimate returns rows and bytes from the catalog statistics when
// present, else from file metadata (Parquet footers, which are cached),
// else bytes/100 rows.
func (t *Table) Estimate(ctx context.Context) (rows, bytes int64) {
	if t.part != nil {
		return t.partEstimate(ctx)
	}
	if s := t.stats; s != nil && s.Rows >= 0 {
		b := s.Bytes
		if b <= 0 {
			b = -1
		}
		return s.Rows, b
	}
	files, err := t.files(ctx)
	if err != nil {
		return -1, -1
	}
	for _, f := range files {
		bytes += f.Size
	}
	if rc, ok := t.format.(rowCounter); ok && len(files) <= maxFooterEstimate {
		var total int64
		for _, f := range files {
			if f.Size == 0 {
				continue
			}
			n, err := rc.RowCount(ctx, t.fs, f)
			if err != nil {
				return bytes / 100, bytes
			}
			total += n
		}
		return total, bytes
	}
	return bytes / 100, bytes
}
