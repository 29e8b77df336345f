// Package testfiles writes one small table as CSV, JSON Lines, Avro and
// Parquet files (and gzip or zstd wraps them) for tests that read the
// same rows through several formats and compare what comes back.
//
// A table is a list of columns and rows of Go values, one per column:
//
//	INT            int32
//	BIGINT         int64
//	DOUBLE         float64
//	BOOLEAN        bool
//	VARCHAR        string
//	DATE           int32, days since the epoch
//	TIMESTAMP(us)  int64, microseconds since the epoch (UTC)
//	DECIMAL(p,s)   int64, the unscaled value (p <= 18)
//
// and nil for NULL. Each writer takes options for what a test wants to
// vary (NULL spelling, delimiter, header, key names, codec, row-group
// size...); the values' text forms are the ones Hive and Athena read:
// DATE as 2006-01-02, TIMESTAMP as 2006-01-02 15:04:05.999999, DECIMAL
// with exactly its scale's digits.
//
// The package is test support: it sits below the engine, the planner
// and the executor (see dep_test.go) so that any package's tests may
// import it. Writers report a misuse (a value of the wrong Go type, an
// unsupported column type) through the test's Fatal.
package testfiles

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Column is one column of a table.
type Column struct {
	Name string
	// Type is one of the Arrow types listed in the package doc.
	Type arrow.DataType
	// Nullable marks the column optional in the Avro and Parquet
	// schemas; only a nullable column may hold NULL.
	Nullable bool
	// Gen returns the value of row i for Generate (nil for NULL).
	Gen func(i int) any
}

// Table is a list of columns and the rows of their values.
type Table struct {
	Columns []Column
	Rows    [][]any
}

// Generate builds a table of n rows, row i's values from each column's
// Gen(i), and checks every value against its column's type.
func Generate(tb testing.TB, cols []Column, n int) *Table {
	tb.Helper()
	t := &Table{Columns: cols, Rows: make([][]any, n)}
	for i := range t.Rows {
		row := make([]any, len(cols))
		for j, c := range cols {
			if c.Gen == nil {
				tb.Fatalf("testfiles: column %s has no Gen function", c.Name)
			}
			row[j] = c.Gen(i)
		}
		t.Rows[i] = row
	}
	if err := t.Check(); err != nil {
		tb.Fatal(err)
	}
	return t
}

// NullEvery returns a Gen that is NULL on the rows i with i%m == r and
// gen(i) on the others: each column's own pattern of NULLs.
func NullEvery(m, r int, gen func(i int) any) func(i int) any {
	return func(i int) any {
		if i%m == r {
			return nil
		}
		return gen(i)
	}
}

// Check reports the first value whose Go type does not match its
// column's type, or a NULL in a column that is not nullable.
func (t *Table) Check() error {
	for j, c := range t.Columns {
		want, err := goType(c.Type)
		if err != nil {
			return fmt.Errorf("testfiles: column %s: %w", c.Name, err)
		}
		for i, r := range t.Rows {
			if len(r) != len(t.Columns) {
				return fmt.Errorf("testfiles: row %d has %d values for %d columns", i, len(r), len(t.Columns))
			}
			v := r[j]
			if v == nil {
				if !c.Nullable {
					return fmt.Errorf("testfiles: row %d: NULL in the non-nullable column %s", i, c.Name)
				}
				continue
			}
			if got := fmt.Sprintf("%T", v); got != want {
				return fmt.Errorf("testfiles: row %d, column %s (%s): a %s, want a %s", i, c.Name, c.Type, got, want)
			}
		}
	}
	return nil
}

// goType is the Go type of a column type's values.
func goType(dt arrow.DataType) (string, error) {
	switch dt.ID() {
	case arrow.INT32, arrow.DATE32:
		return "int32", nil
	case arrow.INT64, arrow.TIMESTAMP:
		if ts, ok := dt.(*arrow.TimestampType); ok && ts.Unit != arrow.Microsecond {
			return "", fmt.Errorf("timestamp unit %s is not supported (microseconds only)", ts.Unit)
		}
		return "int64", nil
	case arrow.DECIMAL64:
		return "int64", nil
	case arrow.FLOAT64:
		return "float64", nil
	case arrow.BOOL:
		return "bool", nil
	case arrow.STRING:
		return "string", nil
	}
	return "", fmt.Errorf("type %s is not supported", dt)
}

// Slice returns rows [lo, hi) as a table sharing the columns and rows.
func (t *Table) Slice(lo, hi int) *Table {
	return &Table{Columns: t.Columns, Rows: t.Rows[lo:hi]}
}

// Col returns the index of the column named name, or -1.
func (t *Table) Col(name string) int {
	for j, c := range t.Columns {
		if c.Name == name {
			return j
		}
	}
	return -1
}

// Schema is the Arrow schema a SQL table declares for the columns:
// every field nullable, as SQL columns are.
func (t *Table) Schema() *arrow.Schema {
	fields := make([]arrow.Field, len(t.Columns))
	for j, c := range t.Columns {
		fields[j] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// DecimalText writes an unscaled decimal with exactly scale fraction
// digits (-12.30 for -1230 at scale 2).
func DecimalText(unscaled int64, scale int32) string {
	neg := unscaled < 0
	u := uint64(unscaled)
	if neg {
		u = -u
	}
	s := fmt.Sprint(u)
	if scale > 0 {
		if len(s) <= int(scale) {
			s = fmt.Sprintf("%0*d", scale+1, u)
		}
		s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// DateText writes days since the epoch as 2006-01-02.
func DateText(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format(time.DateOnly)
}

// TimestampText writes microseconds since the epoch as
// 2006-01-02 15:04:05.999999 (UTC, trailing fraction zeros dropped).
func TimestampText(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.999999")
}

// Gzip compresses b as one gzip member. Compressing into memory cannot
// fail (a bytes.Buffer never returns an error), so Gzip and Zstd return
// none.
func Gzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// Zstd compresses b as one zstd frame, written as a stream (the frame
// header does not state the content size, as in files written by
// streaming tools).
func Zstd(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zstd.NewWriter(&buf) // only invalid options make NewWriter fail
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}
