package filetable

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hamba/avro/v2/ocf"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
)

// The same rows written in every format must read back identically.

var eqSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: types.Int64, Nullable: true},
	{Name: "name", Type: types.String, Nullable: true},
	{Name: "price", Type: types.Decimal(10, 2), Nullable: true},
	{Name: "day", Type: types.Date, Nullable: true},
	{Name: "ts", Type: types.Timestamp, Nullable: true},
	{Name: "ok", Type: types.Boolean, Nullable: true},
	{Name: "f", Type: types.Float64, Nullable: true},
	{Name: "small", Type: types.Int32, Nullable: true},
}, nil)

type eqRow struct {
	id    int64
	name  *string
	cents *int64
	day   *int32 // days since the epoch
	ts    *int64 // micros
	ok    *bool
	f     *float64
	small int32
}

func eqRows(n int) []eqRow {
	out := make([]eqRow, n)
	for i := range out {
		r := eqRow{id: int64(i), small: int32(i%100 - 50)}
		if i%5 != 0 {
			s := fmt.Sprintf("name %d, \"q\"", i)
			if i%7 == 0 {
				s = ""
			}
			r.name = &s
		}
		if i%6 != 1 {
			c := int64(i*137 - 2000)
			r.cents = &c
		}
		if i%4 != 2 {
			d := int32(19000 + i)
			r.day = &d
		}
		if i%3 != 2 {
			ts := int64(1_700_000_000_000_000) + int64(i)*3_600_000_123
			r.ts = &ts
		}
		if i%8 != 3 {
			b := i%2 == 0
			r.ok = &b
		}
		if i%9 != 4 {
			f := float64(i) * 0.5
			r.f = &f
		}
		out[i] = r
	}
	return out
}

func decText(c int64) string {
	neg := c < 0
	if neg {
		c = -c
	}
	s := fmt.Sprintf("%d.%02d", c/100, c%100)
	if neg {
		s = "-" + s
	}
	return s
}

func dayText(d int32) string {
	return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02")
}

func tsText(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.999999")
}

func writeCSV(rows []eqRow) []byte {
	var b bytes.Buffer
	b.WriteString("id,name,price,day,ts,ok,f,small\n")
	for _, r := range rows {
		cells := []string{fmt.Sprint(r.id), `\N`, "", "", "", "", "", fmt.Sprint(r.small)}
		if r.name != nil {
			cells[1] = `"` + strings.ReplaceAll(*r.name, `"`, `""`) + `"`
		}
		if r.cents != nil {
			cells[2] = decText(*r.cents)
		}
		if r.day != nil {
			cells[3] = dayText(*r.day)
		}
		if r.ts != nil {
			cells[4] = tsText(*r.ts)
		}
		if r.ok != nil {
			cells[5] = fmt.Sprint(*r.ok)
		}
		if r.f != nil {
			cells[6] = fmt.Sprint(*r.f)
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	return b.Bytes()
}

func writeJSON(rows []eqRow) []byte {
	var b bytes.Buffer
	for i, r := range rows {
		var p []string
		p = append(p, fmt.Sprintf(`"ID": %d`, r.id))
		if r.name != nil {
			p = append(p, fmt.Sprintf(`"name": %q`, *r.name))
		} else if i%2 == 0 {
			p = append(p, `"name": null`)
		}
		if r.cents != nil {
			p = append(p, `"price": `+decText(*r.cents))
		}
		if r.day != nil {
			p = append(p, `"day": "`+dayText(*r.day)+`"`)
		}
		if r.ts != nil {
			p = append(p, `"ts": "`+tsText(*r.ts)+`"`)
		}
		if r.ok != nil {
			p = append(p, fmt.Sprintf(`"ok": %v`, *r.ok))
		}
		if r.f != nil {
			p = append(p, fmt.Sprintf(`"f": %v`, *r.f))
		}
		p = append(p, fmt.Sprintf(`"small": %d, "extra": {"a": [1, 2]}`, r.small))
		b.WriteString("{" + strings.Join(p, ", ") + "}\n")
	}
	return b.Bytes()
}

const eqAvroSchema = `{"type": "record", "name": "r", "fields": [
  {"name": "id", "type": "long"},
  {"name": "name", "type": ["null", "string"]},
  {"name": "price", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}]},
  {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
  {"name": "ts", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
  {"name": "ok", "type": ["null", "boolean"]},
  {"name": "f", "type": ["null", "double"]},
  {"name": "small", "type": "int"}
]}`

func writeAvro(t *testing.T, rows []eqRow, codec ocf.CodecName) []byte {
	var b bytes.Buffer
	enc, err := ocf.NewEncoder(eqAvroSchema, &b, ocf.WithCodec(codec), ocf.WithBlockLength(50))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		m := map[string]any{"id": r.id, "small": int(r.small), "name": nil, "price": nil, "day": nil, "ts": nil, "ok": nil, "f": nil}
		if r.name != nil {
			m["name"] = map[string]any{"string": *r.name}
		}
		if r.cents != nil {
			m["price"] = map[string]any{"bytes.decimal": big.NewRat(*r.cents, 100)}
		}
		if r.day != nil {
			m["day"] = map[string]any{"int.date": time.Unix(int64(*r.day)*86400, 0).UTC()}
		}
		if r.ts != nil {
			m["ts"] = map[string]any{"long.timestamp-micros": time.UnixMicro(*r.ts).UTC()}
		}
		if r.ok != nil {
			m["ok"] = map[string]any{"boolean": *r.ok}
		}
		if r.f != nil {
			m["f"] = map[string]any{"double": *r.f}
		}
		if err := enc.Encode(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

type eqParquet struct {
	ID    int64    `parquet:"id"`
	Name  *string  `parquet:"name,optional,dict"`
	Price *int64   `parquet:"price,optional,decimal(2:10)"`
	Day   *int32   `parquet:"day,optional,date"`
	Ts    *int64   `parquet:"ts,optional,timestamp(microsecond)"`
	OK    *bool    `parquet:"ok,optional"`
	F     *float64 `parquet:"f,optional"`
	Small int32    `parquet:"small"`
}

func writeEqParquet(t *testing.T, rows []eqRow, opts ...pq.WriterOption) []byte {
	var b bytes.Buffer
	w := pq.NewGenericWriter[eqParquet](&b, append([]pq.WriterOption{pq.MaxRowsPerRowGroup(64)}, opts...)...)
	out := make([]eqParquet, len(rows))
	for i, r := range rows {
		out[i] = eqParquet{ID: r.id, Name: r.name, Price: r.cents, Day: r.day, Ts: r.ts, OK: r.ok, F: r.f, Small: r.small}
	}
	if _, err := w.Write(out); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func eqGzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func eqZstd(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zstd.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
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
	rows := eqRows(300)
	csvData, jsonData := writeCSV(rows), writeJSON(rows)
	csvOpts := map[string]string{"skip.header.line.count": "1"}
	for _, tc := range []struct {
		name, format, file string
		data               []byte
		opts               map[string]string
	}{
		{"parquet", "parquet", "a.parquet", writeEqParquet(t, rows), nil},
		{"parquet-gzip", "parquet", "a.parquet", writeEqParquet(t, rows, pq.Compression(&pq.Gzip)), nil},
		{"parquet-lz4", "parquet", "a.parquet", writeEqParquet(t, rows, pq.Compression(&pq.Lz4Raw)), nil},
		{"parquet-brotli", "parquet", "a.parquet", writeEqParquet(t, rows, pq.Compression(&pq.Brotli)), nil},
		{"csv", "csv", "a.csv", csvData, csvOpts},
		{"csv-gzip", "csv", "a.csv.gz", eqGzip(csvData), csvOpts},
		{"csv-zstd", "csv", "a.csv.zst", eqZstd(csvData), csvOpts},
		{"json", "json", "a.json", jsonData, nil},
		{"json-gzip", "json", "a.json.gz", eqGzip(jsonData), nil},
		{"json-zstd", "json", "a.json.zst", eqZstd(jsonData), nil},
		{"avro", "avro", "a.avro", writeAvro(t, rows, ocf.Null), nil},
		{"avro-deflate", "avro", "a.avro", writeAvro(t, rows, ocf.Deflate), nil},
		{"avro-snappy", "avro", "a.avro", writeAvro(t, rows, ocf.Snappy), nil},
		{"avro-zstd", "avro", "a.avro", writeAvro(t, rows, ocf.ZStandard), nil},
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
			want := expectedRows(rows)
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
func expectedRows(rows []eqRow) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		p := []string{fmt.Sprint(r.id), "(null)", "(null)", "(null)", "(null)", "(null)", "(null)", fmt.Sprint(r.small)}
		if r.name != nil {
			p[1] = *r.name
		}
		if r.cents != nil {
			p[2] = arrowDecimalStr(*r.cents)
		}
		if r.day != nil {
			p[3] = dayText(*r.day)
		}
		if r.ts != nil {
			p[4] = arrow.Timestamp(*r.ts).ToTime(arrow.Microsecond).Format("2006-01-02T15:04:05.999999999")
		}
		if r.ok != nil {
			p[5] = fmt.Sprint(*r.ok)
		}
		if r.f != nil {
			p[6] = fmt.Sprint(*r.f)
		}
		out[i] = strings.Join(p, "|")
	}
	return out
}

func arrowDecimalStr(c int64) string {
	s := decText(c)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
