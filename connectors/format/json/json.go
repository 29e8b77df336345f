// Package json reads JSON Lines files (one object per line, the layout
// of Hive's and the OpenX JSON SerDe) into Arrow batches.
//
// Columns are matched to top-level keys by name, case-insensitively
// unless 'case.insensitive'='false'. A missing key or a null reads as
// NULL. Each line is scanned once to locate the values of the projected
// columns; only those are decoded, straight into typed buffers (numbers
// are parsed from the bytes, never through float64 for integers and
// decimals). Nested objects and arrays read into STRUCT, LIST and MAP
// columns when the table declares them; into a VARCHAR column they read
// as their JSON text; into any other type they are an error.
//
// A line that is not valid JSON (or not an object) is an error naming
// the file and line, or, with 'ignore.malformed.json'='true', a row of
// NULLs; with that option a value that does not convert to its column's
// type also reads as NULL instead of failing.
//
// Uncompressed files larger than SplitSize are cut into byte ranges (a
// record starts after a newline); compressed files are read whole.
package json

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/compress"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

// SplitSize is the byte size above which uncompressed files are split.
var SplitSize int64 = 64 << 20

// DefaultBatchSize is used when the request does not set one.
const DefaultBatchSize = 1024

// Format is the JSON Lines format.
type Format struct{}

// New returns the JSON format.
func New() *Format { return &Format{} }

var (
	_ connectors.Format          = (*Format)(nil)
	_ connectors.ByteRangeFormat = (*Format)(nil)
)

// Name is "json".
func (*Format) Name() string { return "json" }

// Options are the SerDe properties of a JSON table.
type Options struct {
	CaseInsensitive bool
	IgnoreMalformed bool
}

// ParseOptions reads 'case.insensitive' (default true) and
// 'ignore.malformed.json' (default false).
func ParseOptions(m map[string]string) (Options, error) {
	o := Options{CaseInsensitive: true}
	for k, v := range m {
		var dst *bool
		switch strings.ToLower(k) {
		case "case.insensitive":
			dst = &o.CaseInsensitive
		case "ignore.malformed.json":
			dst = &o.IgnoreMalformed
		default:
			continue
		}
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			*dst = true
		case "false":
			*dst = false
		default:
			return o, fmt.Errorf("json option %s=%q: must be 'true' or 'false'", k, v)
		}
	}
	return o, nil
}

// InferSchema reads the first object of the file: its keys, with
// BIGINT, DOUBLE, BOOLEAN or VARCHAR by the values' JSON types.
func (*Format) InferSchema(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) (*arrow.Schema, error) {
	f, err := fs.Open(ctx, file.Path)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	defer f.Close()
	in, err := compress.Open(file.Path, f, opts)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	defer in.Close()
	lines, err := textcol.NewLines(in, 0, in.Size, in.Size)
	if err != nil {
		return nil, fmt.Errorf("json: %s: %w", file.Path, err)
	}
	for {
		line, ok, err := lines.Next()
		if err != nil {
			return nil, fmt.Errorf("json: %s: %w", file.Path, err)
		}
		if !ok {
			return nil, fmt.Errorf("json: %s: no object to infer a schema from", file.Path)
		}
		i := skipWS(line, 0)
		if i == len(line) {
			continue
		}
		var fields []arrow.Field
		seen := map[string]bool{}
		err = eachKey(line, func(key []byte, vs, ve int) {
			name := string(key)
			if seen[strings.ToLower(name)] {
				return
			}
			seen[strings.ToLower(name)] = true
			dt := types.String
			v := line[vs:ve]
			switch v[0] {
			case 't', 'f':
				dt = types.Boolean
			case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
				if _, ok := textcol.ParseInt(v, 64); ok {
					dt = types.Int64
				} else {
					dt = types.Float64
				}
			}
			fields = append(fields, arrow.Field{Name: name, Type: dt, Nullable: true})
		})
		if err != nil {
			return nil, fmt.Errorf("json: %s: %s: %w", file.Path, lines.Where(), err)
		}
		return arrow.NewSchema(fields, nil), nil
	}
}

// eachKey calls fn for each key of the object on line with the span of
// its value.
func eachKey(line []byte, fn func(key []byte, vs, ve int)) error {
	i := skipWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return syntaxErr(i, "a JSON object expected")
	}
	var keyBuf []byte
	i = skipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		return trailing(line, i+1)
	}
	for {
		if i >= len(line) || line[i] != '"' {
			return syntaxErr(i, "object key expected")
		}
		n, esc, err := scanString(line, i)
		if err != nil {
			return err
		}
		key := line[i+1 : n-1]
		if esc {
			var ok bool
			if keyBuf, ok = unescape(keyBuf[:0], key); !ok {
				return syntaxErr(i, "invalid escape")
			}
			key = keyBuf
		}
		i = skipWS(line, n)
		if i >= len(line) || line[i] != ':' {
			return syntaxErr(i, "':' expected")
		}
		vs := skipWS(line, i+1)
		ve, err := skipValue(line, vs, 1)
		if err != nil {
			return err
		}
		fn(key, vs, ve)
		i = skipWS(line, ve)
		if i < len(line) && line[i] == ',' {
			i = skipWS(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' {
			return trailing(line, i+1)
		}
		return syntaxErr(i, "',' or '}' expected")
	}
}

func trailing(line []byte, i int) error {
	if i = skipWS(line, i); i < len(line) {
		return syntaxErr(i, "text after the object")
	}
	return nil
}

// ByteRanges reports whether file can be read as byte-range splits of
// any size (connectors.ByteRangeFormat): uncompressed files can, since a
// split owns the records that start in its range; compressed ones are
// read whole.
func (*Format) ByteRanges(file connectors.FileInfo, opts map[string]string) bool {
	return compress.Splittable(file.Path, opts)
}

// Splits cuts uncompressed files larger than SplitSize into byte ranges.
func (*Format) Splits(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) ([]connectors.Split, error) {
	return textcol.Splits(file, opts, SplitSize), nil
}

// column is one output column: a typed text column, or an Arrow
// builder for nested types.
type column struct {
	name string
	dt   arrow.DataType
	tc   *textcol.Column
	nb   array.Builder
	vs   int // value span on the current line (vs < 0: missing)
	ve   int
}

type reader struct {
	*textcol.Source
	lines  *textcol.Lines
	req    *connectors.ScanRequest
	opt    Options
	cols   []*column
	byKey  map[string]int
	schema *arrow.Schema
	keyBuf []byte
	strBuf []byte
}

// Open reads one split.
func (*Format) Open(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	o, err := ParseOptions(req.Options)
	if err != nil {
		return nil, fmt.Errorf("json: %s: %w", split.File.Path, err)
	}
	src, err := textcol.Open(ctx, fs, split, req, DefaultBatchSize)
	if err != nil {
		return nil, fmt.Errorf("json: %w", err)
	}
	r := &reader{Source: src, req: req, opt: o}
	if err := r.plan(); err != nil {
		r.Close()
		return nil, err
	}
	if r.lines, err = r.Lines(); err != nil {
		r.Close()
		return nil, fmt.Errorf("json: %s: %w", r.Path, err)
	}
	return r, nil
}

func (r *reader) plan() error {
	req := r.req
	fields := make([]arrow.Field, len(req.Columns))
	r.byKey = map[string]int{}
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			return fmt.Errorf("json: %s: requested column %d does not exist in the table schema", r.Path, ci)
		}
		f := req.Schema.Field(ci)
		fields[i] = f
		c := &column{name: f.Name, dt: f.Type}
		switch f.Type.ID() {
		case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.MAP:
			if err := checkNested(f.Type); err != nil {
				return fmt.Errorf("json: %s: column %s: %v", r.Path, f.Name, err)
			}
		default:
			tc, err := textcol.New(f)
			if err != nil {
				return fmt.Errorf("json: %s: %v", r.Path, err)
			}
			c.tc = tc
		}
		key := f.Name
		if r.opt.CaseInsensitive {
			key = strings.ToLower(key)
		}
		if _, dup := r.byKey[key]; !dup {
			r.byKey[key] = i
		}
		r.cols = append(r.cols, c)
	}
	r.schema = arrow.NewSchema(fields, nil)
	return nil
}

func (r *reader) alloc(n int) {
	for _, c := range r.cols {
		if c.tc != nil {
			c.tc.Alloc(r.Mem, n)
		} else {
			c.nb = array.NewBuilder(r.Mem, c.dt)
			c.nb.Reserve(n)
		}
	}
}

func (r *reader) releaseCols() {
	for _, c := range r.cols {
		if c.tc != nil {
			c.tc.Release()
		}
		if c.nb != nil {
			c.nb.Release()
			c.nb = nil
		}
	}
}

// Next returns the next batch or io.EOF.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	n, err := r.BatchRows(ctx)
	if err != nil {
		return nil, err
	}
	r.alloc(n)
	rows := 0
	for rows < n {
		line, ok, err := r.lines.Next()
		if err != nil {
			r.releaseCols()
			return nil, fmt.Errorf("json: %s: %w", r.Path, err)
		}
		if !ok {
			r.Done = true
			break
		}
		if skipWS(line, 0) == len(line) {
			continue // blank line
		}
		if err := r.appendLine(line, rows); err != nil {
			r.releaseCols()
			return nil, err
		}
		rows++
	}
	if rows == 0 {
		r.releaseCols()
		r.Flush()
		return nil, io.EOF
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		if c.tc != nil {
			cols[i] = c.tc.Finish(rows)
		} else {
			cols[i] = c.nb.NewArray()
			c.nb.Release()
			c.nb = nil
		}
	}
	return r.Emit(r.schema, cols, rows), nil
}

// appendLine locates the projected keys of one line and converts their
// values into row.
func (r *reader) appendLine(line []byte, row int) error {
	for _, c := range r.cols {
		c.vs = -1
	}
	err := eachKey(line, func(key []byte, vs, ve int) {
		if r.opt.CaseInsensitive {
			key = lowerInto(&r.keyBuf, key)
		}
		if i, ok := r.byKey[string(key)]; ok {
			r.cols[i].vs, r.cols[i].ve = vs, ve
		}
	})
	if err != nil {
		if r.opt.IgnoreMalformed {
			for _, c := range r.cols {
				r.setNull(c, row)
			}
			return nil
		}
		return fmt.Errorf("json: %s: %s: %w", r.Path, r.lines.Where(), err)
	}
	for _, c := range r.cols {
		if c.vs < 0 {
			r.setNull(c, row)
			continue
		}
		v := line[c.vs:c.ve]
		var err error
		if c.tc != nil {
			err = r.setValue(c.tc, row, v)
		} else {
			err = r.appendNested(c.nb, c.dt, v)
		}
		if err != nil {
			if r.opt.IgnoreMalformed {
				if c.tc != nil {
					r.setNull(c, row)
				} else {
					// The builder may hold a partial value: NULLs
					// replace the whole row's nested value only when
					// nothing was appended yet.
					if c.nb.Len() == row {
						c.nb.AppendNull()
					}
				}
				continue
			}
			return fmt.Errorf("json: %s: %s, column %s: %w", r.Path, r.lines.Where(), c.name, err)
		}
	}
	return nil
}

func (r *reader) setNull(c *column, row int) {
	if c.tc != nil {
		c.tc.SetNull(row)
	} else {
		c.nb.AppendNull()
	}
}

func lowerInto(buf *[]byte, key []byte) []byte {
	upper := false
	for _, c := range key {
		if c >= 'A' && c <= 'Z' {
			upper = true
			break
		}
	}
	if !upper {
		return key
	}
	b := (*buf)[:0]
	for _, c := range key {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	*buf = b
	return b
}

// setValue converts a scalar JSON value into a typed column.
func (r *reader) setValue(c *textcol.Column, row int, v []byte) error {
	switch v[0] {
	case 'n':
		c.SetNull(row)
		return nil
	case 't', 'f':
		if !c.SetBool(row, v[0] == 't') {
			return fmt.Errorf("cannot read JSON %s as %s", v, types.SQLName(c.DT))
		}
		return nil
	case '"':
		s := v[1 : len(v)-1]
		if containsByte(s, '\\') {
			var ok bool
			if r.strBuf, ok = unescape(r.strBuf[:0], s); !ok {
				return fmt.Errorf("invalid escape in string %s", truncate(v))
			}
			s = r.strBuf
		}
		if c.Kind != textcol.String && len(textcol.TrimSpace(s)) == 0 {
			c.SetNull(row)
			return nil
		}
		if !c.Set(row, s) {
			return fmt.Errorf("cannot parse %q as %s", truncate(s), types.SQLName(c.DT))
		}
		return nil
	case '{', '[':
		if c.Kind == textcol.String {
			c.Set(row, v) // the JSON text
			return nil
		}
		return fmt.Errorf("a JSON %s cannot be read as %s (declare the column as a STRUCT, ARRAY or MAP, or VARCHAR for its text)", kindName(v[0]), types.SQLName(c.DT))
	}
	// A number.
	if c.Set(row, v) {
		return nil
	}
	if c.Kind == textcol.Int {
		// 1.0 or 1e3 into an integer column: accept integral values.
		if f, ok := textcol.ParseFloat(v, 64); ok && f == float64(int64(f)) && c.SetInt64(row, int64(f)) {
			return nil
		}
	}
	return fmt.Errorf("cannot read JSON number %s as %s", truncate(v), types.SQLName(c.DT))
}

func kindName(c byte) string {
	if c == '{' {
		return "object"
	}
	return "array"
}

func containsByte(b []byte, c byte) bool {
	for _, x := range b {
		if x == c {
			return true
		}
	}
	return false
}

func truncate(v []byte) string {
	if len(v) > 64 {
		return string(v[:64]) + "..."
	}
	return string(v)
}

// Close releases the columns and the file.
func (r *reader) Close() error {
	r.releaseCols()
	return r.Source.Close()
}
