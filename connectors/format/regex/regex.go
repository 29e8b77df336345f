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
	*textcol.Source
	lines  *textcol.Lines
	re     *regexp.Regexp
	cols   []*column
	schema *arrow.Schema
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
	src, err := textcol.Open(ctx, fs, split, req, DefaultBatchSize)
	if err != nil {
		return nil, fmt.Errorf("regex format: %w", err)
	}
	r := &reader{Source: src, re: re}
	fields := make([]arrow.Field, len(req.Columns))
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			r.Close()
			return nil, fmt.Errorf("regex format: %s: requested column %d does not exist in the table schema", r.Path, ci)
		}
		fields[i] = req.Schema.Field(ci)
		tc, err := textcol.New(fields[i])
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("regex format: %s: %v", r.Path, err)
		}
		r.cols = append(r.cols, &column{Column: tc, group: ci + 1})
	}
	r.schema = arrow.NewSchema(fields, nil)
	if r.lines, err = r.Lines(); err != nil {
		r.Close()
		return nil, fmt.Errorf("regex format: %s: %w", r.Path, err)
	}
	return r, nil
}

// Next returns the next batch or io.EOF.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	n, err := r.BatchRows(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range r.cols {
		c.Alloc(r.Mem, n)
	}
	rows := 0
	var m []int
	for rows < n {
		line, ok, err := r.lines.Next()
		if err != nil {
			r.release()
			return nil, fmt.Errorf("regex format: %s: %w", r.Path, err)
		}
		if !ok {
			r.Done = true
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
		r.Flush()
		return nil, io.EOF
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		cols[i] = c.Finish(rows)
	}
	return r.Emit(r.schema, cols, rows), nil
}

func (r *reader) release() {
	for _, c := range r.cols {
		c.Release()
	}
}

// Close releases the columns and the file.
func (r *reader) Close() error {
	r.release()
	return r.Source.Close()
}
