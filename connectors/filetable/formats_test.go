package filetable

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hamba/avro/v2/ocf"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/internal/testfiles"
)

// The same rows written in every format must read back identically.

// eqColumns are the generated table: ids ascending, every other column
// NULL in its own pattern of rows.
var eqColumns = []testfiles.Column{
	{Name: "id", Type: types.Int64, Gen: func(i int) any { return int64(i) }},
	{Name: "name", Type: types.String, Nullable: true, Gen: testfiles.NullEvery(5, 0, func(i int) any {
		if i%7 == 0 {
			return ""
		}
		return fmt.Sprintf("name %d, \"q\"", i)
	})},
	{Name: "price", Type: types.Decimal(10, 2), Nullable: true, Gen: testfiles.NullEvery(6, 1, func(i int) any { return int64(i*137 - 2000) })},
	{Name: "day", Type: types.Date, Nullable: true, Gen: testfiles.NullEvery(4, 2, func(i int) any { return int32(19000 + i) })},
	{Name: "ts", Type: types.Timestamp, Nullable: true, Gen: testfiles.NullEvery(3, 2, func(i int) any { return int64(1_700_000_000_000_000) + int64(i)*3_600_000_123 })},
	{Name: "ok", Type: types.Boolean, Nullable: true, Gen: testfiles.NullEvery(8, 3, func(i int) any { return i%2 == 0 })},
	{Name: "f", Type: types.Float64, Nullable: true, Gen: testfiles.NullEvery(9, 4, func(i int) any { return float64(i) * 0.5 })},
	{Name: "small", Type: types.Int32, Gen: func(i int) any { return int32(i%100 - 50) }},
}

var eqSchema = (&testfiles.Table{Columns: eqColumns}).Schema()

// eqCSV: a header, strings quoted, NULL name as \N and other NULLs as
// empty fields.
var eqCSV = testfiles.CSVOptions{Header: true, NullByColumn: map[string]string{"name": `\N`}}

// eqJSON: the id under "ID" (keys match case-insensitively), a NULL name
// written as null on even rows and left out on odd ones (other NULLs
// left out), and a nested member no column reads.
var eqJSON = testfiles.JSONOptions{
	Keys:         map[string]string{"id": "ID"},
	ExplicitNull: func(row int, col string) bool { return col == "name" && row%2 == 0 },
	Extra:        `"extra": {"a": [1, 2]}`,
}

func eqAvro(t *testing.T, tbl *testfiles.Table, codec ocf.CodecName) []byte {
	return testfiles.Avro(t, tbl, testfiles.AvroOptions{Codec: codec, BlockLength: 50})
}

func eqParquet(t *testing.T, tbl *testfiles.Table, opts ...pq.WriterOption) []byte {
	return testfiles.Parquet(t, tbl, testfiles.ParquetOptions{RowGroupRows: 64, DictStrings: true, Writer: opts})
}

// readTable reads every split of a table and renders its rows in order.
func readEqTable(t *testing.T, tbl connectors.Table, mem memory.Allocator) []string {
	t.Helper()
	ctx := context.Background()
	cols := make([]int, eqSchema.NumFields())
	for i := range cols {
		cols[i] = i
	}
	req := &connectors.ScanRequest{Schema: eqSchema, Columns: cols, BatchSize: 37, Mem: mem}
	splits, err := tbl.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range splits {
		r, err := tbl.Open(ctx, s, req)
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var p []string
				for _, c := range rec.Columns() {
					p = append(p, c.ValueStr(i))
				}
				out = append(out, strings.Join(p, "|"))
			}
			rec.Release()
		}
		r.Close()
	}
	return out
}

func TestFormatsReadIdentically(t *testing.T) {
	src := testfiles.Generate(t, eqColumns, 300)
	rows := src.Rows
	csvData, jsonData := testfiles.CSV(t, src, eqCSV), testfiles.JSONLines(t, src, eqJSON)
	csvOpts := map[string]string{"skip.header.line.count": "1"}
	for _, tc := range []struct {
		name, format, file string
		data               []byte
		opts               map[string]string
	}{
		{"parquet", "parquet", "a.parquet", eqParquet(t, src), nil},
		{"parquet-gzip", "parquet", "a.parquet", eqParquet(t, src, pq.Compression(&pq.Gzip)), nil},
		{"parquet-lz4", "parquet", "a.parquet", eqParquet(t, src, pq.Compression(&pq.Lz4Raw)), nil},
		{"parquet-brotli", "parquet", "a.parquet", eqParquet(t, src, pq.Compression(&pq.Brotli)), nil},
		{"csv", "csv", "a.csv", csvData, csvOpts},
		{"csv-gzip", "csv", "a.csv.gz", testfiles.Gzip(csvData), csvOpts},
		{"csv-zstd", "csv", "a.csv.zst", testfiles.Zstd(csvData), csvOpts},
		{"json", "json", "a.json", jsonData, nil},
		{"json-gzip", "json", "a.json.gz", testfiles.Gzip(jsonData), nil},
		{"json-zstd", "json", "a.json.zst", testfiles.Zstd(jsonData), nil},
		{"avro", "avro", "a.avro", eqAvro(t, src, ocf.Null), nil},
		{"avro-deflate", "avro", "a.avro", eqAvro(t, src, ocf.Deflate), nil},
		{"avro-snappy", "avro", "a.avro", eqAvro(t, src, ocf.Snappy), nil},
		{"avro-zstd", "avro", "a.avro", eqAvro(t, src, ocf.ZStandard), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			tbl, err := NewFromFiles("t", eqSchema, tc.format, dir, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := readEqTable(t, tbl, mem)
			if len(got) != len(rows) {
				t.Fatalf("%d rows, want %d", len(got), len(rows))
			}
			want := expectedRows(src)
			if testing.Verbose() {
				t.Logf("rows 1-2: %s / %s", got[1], got[2])
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("row %d:\n got %s\nwant %s", i, got[i], want[i])
				}
			}
		})
	}
}

// expectedRows renders the rows as Arrow's ValueStr does.
func expectedRows(tbl *testfiles.Table) []string {
	out := make([]string, len(tbl.Rows))
	p := make([]string, len(tbl.Columns))
	for i, r := range tbl.Rows {
		for j, c := range tbl.Columns {
			switch v := r[j]; {
			case v == nil:
				p[j] = "(null)"
			case c.Type.ID() == arrow.DECIMAL64:
				p[j] = arrowDecimalStr(v.(int64))
			case c.Type.ID() == arrow.DATE32:
				p[j] = testfiles.DateText(v.(int32))
			case c.Type.ID() == arrow.TIMESTAMP:
				p[j] = arrow.Timestamp(v.(int64)).ToTime(arrow.Microsecond).Format("2006-01-02T15:04:05.999999999")
			default:
				p[j] = fmt.Sprint(v)
			}
		}
		out[i] = strings.Join(p, "|")
	}
	return out
}

// arrowDecimalStr is a DECIMAL(10,2) as ValueStr prints it: trailing
// fraction zeros (and a bare point) dropped.
func arrowDecimalStr(c int64) string {
	s := testfiles.DecimalText(c, 2)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
