// Package regex reads text files line by line with a regular expression
// (Hive's RegexSerDe): the capture groups of 'input.regex' are the
// table's columns, by position. It is how web-server and load-balancer
// access logs (Apache combined, ELB/ALB, CloudFront) are queried.
//
// Semantics follow Hive: a line the expression does not match reads as
// a row of NULLs, a group that did not participate is NULL, and a
// captured string that does not convert to its column's type is NULL
// ("-" for a missing byte count). The expression must match the whole
// line. Go's RE2 syntax is used: Java's backreferences and lookarounds
// are not available. 'input.regex.case.insensitive'='true' matches
// case-insensitively.
//
// Uncompressed files larger than SplitSize are cut into byte ranges (a
// line starts after a newline); compressed files are read whole.
package regex

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/compress"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

// SplitSize is the byte size above which uncompressed files are split.
var SplitSize int64 = 64 << 20

// DefaultBatchSize is used when the request does not set one.
const DefaultBatchSize = 1024

// Format is the regex SerDe format.
type Format struct{}

// New returns the regex format.
func New() *Format { return &Format{} }

var (
	_ connectors.Format          = (*Format)(nil)
	_ connectors.ByteRangeFormat = (*Format)(nil)
)

// Name is "regex".
func (*Format) Name() string { return "regex" }

// Compile reads 'input.regex' (and 'input.regex.case.insensitive') and
// compiles it, anchored to the whole line.
func Compile(opts map[string]string) (*regexp.Regexp, error) {
	var expr string
	var found, fold bool
	for k, v := range opts {
		switch strings.ToLower(k) {
		case "input.regex":
			expr, found = v, true
		case "input.regex.case.insensitive":
			fold = strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	if !found || expr == "" {
		return nil, fmt.Errorf("regex format: the table needs the SerDe property 'input.regex'")
	}
	src := "^(?:" + expr + ")$"
	if fold {
		src = "(?i)" + src
	}
	re, err := regexp.Compile(src)
	if err != nil {
		return nil, fmt.Errorf("regex format: input.regex %q: %v (RE2 syntax: no backreferences or lookarounds)", expr, err)
	}
	return re, nil
}

// InferSchema returns one VARCHAR column per capture group (named by
// the group's name, else col_N).
func (*Format) InferSchema(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) (*arrow.Schema, error) {
	re, err := Compile(opts)
	if err != nil {
		return nil, err
	}
	names := re.SubexpNames()
	fields := make([]arrow.Field, 0, len(names)-1)
	for i := 1; i < len(names); i++ {
		n := names[i]
		if n == "" {
			n = fmt.Sprintf("col_%d", i)
		}
		fields = append(fields, arrow.Field{Name: n, Type: types.String, Nullable: true})
	}
	return arrow.NewSchema(fields, nil), nil
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

type column struct {
	*textcol.Column
	group int // capture group (1-based)
}

type reader struct {
	path      string
	file      connectors.File
	in        *compress.Input
	lines     *textcol.Lines
	re        *regexp.Regexp
	req       *connectors.ScanRequest
	mem       memory.Allocator
	cols      []*column
	schema    *arrow.Schema
	batchSize int
	limit     int64
	done      bool
	flushed   int64
}

// Open reads one split.
func (*Format) Open(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	re, err := Compile(req.Options)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", split.File.Path, err)
	}
	if got, want := re.NumSubexp(), req.Schema.NumFields(); got < want {
		return nil, fmt.Errorf("regex format: %s: input.regex has %d capture groups for %d columns", split.File.Path, got, want)
	}
	f, err := fs.Open(ctx, split.File.Path)
	if err != nil {
		return nil, fmt.Errorf("regex format: %w", err)
	}
	in, err := compress.Open(split.File.Path, f, req.Options)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("regex format: %w", err)
	}
	r := &reader{path: split.File.Path, file: f, in: in, re: re, req: req, mem: req.Mem, limit: req.Limit, batchSize: req.BatchSize}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	if r.batchSize <= 0 {
		r.batchSize = DefaultBatchSize
	}
	fields := make([]arrow.Field, len(req.Columns))
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			r.Close()
			return nil, fmt.Errorf("regex format: %s: requested column %d does not exist in the table schema", r.path, ci)
		}
		fields[i] = req.Schema.Field(ci)
		tc, err := textcol.New(fields[i])
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("regex format: %s: %v", r.path, err)
		}
		r.cols = append(r.cols, &column{Column: tc, group: ci + 1})
	}
	r.schema = arrow.NewSchema(fields, nil)
	start, end := split.Offset, in.Size
	if in.Stream() {
		start = 0
		if split.Offset > 0 {
			end = 0
		}
	} else if split.Length > 0 && split.Offset+split.Length < end {
		end = split.Offset + split.Length
	}
	if r.lines, err = textcol.NewLines(in, start, end, in.Size); err != nil {
		r.Close()
		return nil, fmt.Errorf("regex format: %s: %w", r.path, err)
	}
	return r, nil
}

// Next returns the next batch or io.EOF.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := r.batchSize
	if r.limit > 0 && int64(n) > r.limit {
		n = int(r.limit)
	}
	for _, c := range r.cols {
		c.Alloc(r.mem, n)
	}
	rows := 0
	var m []int
	for rows < n {
		line, ok, err := r.lines.Next()
		if err != nil {
			r.release()
			return nil, fmt.Errorf("regex format: %s: %w", r.path, err)
		}
		if !ok {
			r.done = true
			break
		}
		if len(line) == 0 {
			continue // Hive skips empty lines
		}
		m = r.re.FindSubmatchIndex(line)
		for _, c := range r.cols {
			if m == nil || m[2*c.group] < 0 {
				c.SetNull(rows)
				continue
			}
			v := line[m[2*c.group]:m[2*c.group+1]]
			if c.IsBlankNull(v) || !c.Set(rows, v) {
				c.SetNull(rows)
			}
		}
		rows++
	}
	if rows == 0 {
		r.release()
		r.flush()
		return nil, io.EOF
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		cols[i] = c.Finish(rows)
	}
	rec, stop := textcol.Emit(r.schema, cols, rows, &r.limit, r.req.Stats)
	if stop {
		r.done = true
	}
	r.flush()
	return rec, nil
}

func (r *reader) release() {
	for _, c := range r.cols {
		c.Release()
	}
}

func (r *reader) flush() {
	if st := r.req.Stats; st != nil {
		st.BytesScanned.Add(r.in.RawBytes() - r.flushed)
	}
	r.flushed = r.in.RawBytes()
}

// Close releases the file.
func (r *reader) Close() error {
	r.done = true
	r.release()
	if r.in != nil {
		r.in.Close()
		r.in = nil
	}
	if r.file != nil {
		err := r.file.Close()
		r.file = nil
		return err
	}
	return nil
}
