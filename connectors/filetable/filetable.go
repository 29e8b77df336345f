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
	"github.com/tarnsql/tarn/connectors/format/csv"
	"github.com/tarnsql/tarn/connectors/format/parquet"
	"github.com/tarnsql/tarn/connectors/storage/local"
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
}

var _ connectors.Table = (*Table)(nil)

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
	return t, nil
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
	fsys, err := FileSystemFor(location)
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
	scheme := ""
	if i := strings.Index(location, "://"); i > 0 {
		scheme = strings.ToLower(location[:i])
	}
	switch scheme {
	case "", "file":
		return local.New(), nil
	case "s3", "s3a", "s3n", "hdfs":
		return nil, fmt.Errorf("location %s: %s:// storage is not supported yet", location, scheme)
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
	case "":
		return nil, errors.New("no file format given (STORED AS PARQUET, CSV, TEXTFILE or TSV)")
	}
	return nil, fmt.Errorf("file format %q is not supported (parquet, csv, textfile, tsv)", name)
}

// Name is the qualified table name.
func (t *Table) Name() string { return t.name }

// Schema is the table schema.
func (t *Table) Schema() *arrow.Schema { return t.schema }

// Location is the table location.
func (t *Table) Location() string { return t.location }

// Format is the table's format.
func (t *Table) Format() connectors.Format { return t.format }

// Options are the format options.
func (t *Table) Options() map[string]string { return t.opts }

func (t *Table) files(ctx context.Context) ([]connectors.FileInfo, error) {
	files, err := t.fs.List(ctx, t.location)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
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
	files, err := t.files(ctx)
	if err != nil {
		return nil, err
	}
	pruner, _ := t.format.(splitPruner)
	var out []connectors.Split
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if f.Size == 0 {
			continue
		}
		splits, err := t.format.Splits(ctx, t.fs, f, t.opts)
		if err != nil {
			return nil, err
		}
		kept := 0
		for _, s := range splits {
			if pruner != nil && req != nil && len(req.Ranges) > 0 {
				s2, ok, dropped, err := pruner.PruneSplit(ctx, t.fs, s, t.request(req))
				if err != nil {
					return nil, err
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
	if req != nil && req.Stats != nil {
		req.Stats.SplitsTotal.Add(int64(len(out)))
	}
	return out, nil
}

// request fills in the table's schema and options when the caller left
// them out.
func (t *Table) request(req *connectors.ScanRequest) *connectors.ScanRequest {
	if req.Options != nil && req.Schema != nil {
		return req
	}
	r := *req
	if r.Options == nil {
		r.Options = t.opts
	}
	if r.Schema == nil {
		r.Schema = t.schema
	}
	return &r
}

// Open reads one split.
func (t *Table) Open(ctx context.Context, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	return t.format.Open(ctx, t.fs, split, t.request(req))
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
