package engine

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2/ocf"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors/storage/s3"
	"github.com/tarnsql/tarn/internal/testsrv/minio"
)

// TestFormatsEqualThroughSQL writes one table as Parquet (snappy and
// zstd), CSV, JSON (each plain, gzip and zstd) and Avro (null and deflate
// codecs), two files per copy, and reads every copy through SQL from the
// local disk and from S3 (MinIO): aggregates, a grouped query, a filtered
// count and the full row dump sorted by id must be identical to the
// Parquet copy read locally, which is itself checked against the rows the
// test generated. The S3 half is skipped only when MinIO cannot be built
// or started and TARN_REQUIRE_ALL is unset.
func TestFormatsEqualThroughSQL(t *testing.T) {
	rows := feqRows(1500)
	root := t.TempDir()
	files := feqFiles(t, rows)
	for rel, data := range files {
		p := filepath.Join(root, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("root")
	mustExec(t, s, "CREATE DATABASE eq")
	mustExec(t, s, "USE eq")

	const cols = "(id BIGINT, name VARCHAR, price DECIMAL(10,2), day DATE, ts TIMESTAMP, ok BOOLEAN, f DOUBLE, small INT)"
	create := func(table, variant, base string) {
		var how string
		switch strings.SplitN(variant, "-", 2)[0] {
		case "parquet":
			how = "STORED AS PARQUET"
		case "csv":
			how = "STORED AS CSV TBLPROPERTIES ('skip.header.line.count'='1')"
		case "json":
			how = "STORED AS JSONFILE"
		case "avro":
			how = "STORED AS AVRO"
		}
		mustExec(t, s, fmt.Sprintf("CREATE EXTERNAL TABLE %s %s %s LOCATION '%s/%s'", table, cols, how, base, variant))
	}
	queries := []string{
		"SELECT count(*), count(name), count(price), count(day), count(ts), count(ok), count(f), sum(small) FROM %s",
		"SELECT sum(price), min(price), max(price), min(day), max(day), min(ts), max(ts), sum(f), min(name), max(name), count(DISTINCT name) FROM %s",
		"SELECT ok, count(*), sum(price), min(ts), max(small) FROM %s GROUP BY ok ORDER BY ok",
		"SELECT count(*), sum(small) FROM %s WHERE day >= DATE '2022-01-01' AND price > 0 AND name LIKE '%%q%%'",
		"SELECT * FROM %s ORDER BY id",
	}
	run := func(table string) []string {
		var out []string
		for _, q := range queries {
			rows, types, err := queryRows(context.Background(), s, fmt.Sprintf(q, table), false)
			if err != nil {
				t.Fatalf("%s: %v", fmt.Sprintf(q, table), err)
			}
			out = append(out, "-- "+q+" types "+types)
			out = append(out, rows...)
		}
		return out
	}

	// The reference: the Parquet copy on the local disk, checked against
	// the generated rows.
	create("ref", "parquet", root)
	want := run("ref")
	feqCheckReference(t, s, rows)

	compare := func(t *testing.T, table string) {
		got := run(table)
		if len(got) != len(want) {
			t.Fatalf("%d result lines, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("line %d differs from the local Parquet copy:\n got %s\nwant %s", i, got[i], want[i])
			}
		}
	}
	t.Run("local", func(t *testing.T) {
		for _, v := range feqVariants {
			t.Run(v, func(t *testing.T) {
				table := "local_" + strings.ReplaceAll(v, "-", "_")
				create(table, v, root)
				compare(t, table)
			})
		}
	})
	t.Run("s3", func(t *testing.T) {
		srv := minio.Start(t)
		const bucket = "formats-eq"
		srv.MakeBucket(t, bucket)
		for rel, data := range files {
			srv.Put(t, bucket, "lake/"+rel, data)
		}
		s3.SetBucket(bucket, s3.Config{Endpoint: srv.Endpoint, Region: srv.Region, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
		t.Cleanup(s3.ResetRegistry)
		for _, v := range feqVariants {
			t.Run(v, func(t *testing.T) {
				table := "s3_" + strings.ReplaceAll(v, "-", "_")
				create(table, v, "s3://"+bucket+"/lake")
				compare(t, table)
			})
		}
	})
}

var feqVariants = []string{
	"parquet", "parquet-zstd",
	"csv", "csv-gzip", "csv-zstd",
	"json", "json-gzip", "json-zstd",
	"avro", "avro-deflate",
}

type feqRow struct {
	id    int64
	name  *string
	cents *int64
	day   *int32 // days since the epoch
	ts    *int64 // microseconds since the epoch
	ok    *bool
	f     *float64
	small int32
}

func feqRows(n int) []feqRow {
	out := make([]feqRow, n)
	for i := range out {
		r := feqRow{id: int64(n - i), small: int32(i%100 - 50)} // ids descending: the dump sorts
		if i%5 != 0 {
			s := fmt.Sprintf("name %d, \"q\" é", i%400)
			if i%7 == 0 {
				s = ""
			}
			r.name = &s
		}
		if i%6 != 1 {
			c := int64(i*137 - 20000)
			r.cents = &c
		}
		if i%4 != 2 {
			d := int32(18500 + i)
			r.day = &d
		}
		if i%3 != 2 {
			ts := int64(1_600_000_000_000_000) + int64(i)*3_600_000_123
			r.ts = &ts
		}
		if i%8 != 3 {
			b := i%3 == 0
			r.ok = &b
		}
		if i%9 != 4 {
			f := float64(i)*0.5 - 100
			r.f = &f
		}
		out[i] = r
	}
	return out
}

// feqCheckReference checks the reference table against the generated rows.
func feqCheckReference(t *testing.T, s *Session, rows []feqRow) {
	t.Helper()
	var names, smallSum, cents int64
	for _, r := range rows {
		if r.name != nil {
			names++
		}
		if r.cents != nil {
			cents += *r.cents
		}
		smallSum += int64(r.small)
	}
	got := collect(t, s, "SELECT count(*), count(name), sum(small), sum(price) FROM ref")
	want := fmt.Sprintf("%d %d %d %s", len(rows), names, smallSum, feqDecText(cents))
	if len(got) != 1 || got[0] != want {
		t.Fatalf("reference table: got %v, want %s", got, want)
	}
}

func feqDecText(c int64) string {
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

func feqDayText(d int32) string { return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02") }

func feqTsText(us int64) string {
	return time.UnixMicro(us).UTC().Format("2006-01-02 15:04:05.999999")
}

func feqCSV(rows []feqRow) []byte {
	var b bytes.Buffer
	b.WriteString("id,name,price,day,ts,ok,f,small\n")
	for _, r := range rows {
		cells := []string{fmt.Sprint(r.id), `\N`, `\N`, `\N`, `\N`, `\N`, `\N`, fmt.Sprint(r.small)}
		if r.name != nil {
			cells[1] = `"` + strings.ReplaceAll(*r.name, `"`, `""`) + `"`
		}
		if r.cents != nil {
			cells[2] = feqDecText(*r.cents)
		}
		if r.day != nil {
			cells[3] = feqDayText(*r.day)
		}
		if r.ts != nil {
			cells[4] = feqTsText(*r.ts)
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

func feqJSON(rows []feqRow) []byte {
	var b bytes.Buffer
	for i, r := range rows {
		p := []string{fmt.Sprintf(`"id": %d`, r.id)}
		if r.name != nil {
			p = append(p, fmt.Sprintf(`"name": %q`, *r.name))
		} else if i%2 == 0 {
			p = append(p, `"name": null`) // else absent: also NULL
		}
		if r.cents != nil {
			p = append(p, `"price": `+feqDecText(*r.cents))
		}
		if r.day != nil {
			p = append(p, `"day": "`+feqDayText(*r.day)+`"`)
		}
		if r.ts != nil {
			p = append(p, `"ts": "`+feqTsText(*r.ts)+`"`)
		}
		if r.ok != nil {
			p = append(p, fmt.Sprintf(`"ok": %v`, *r.ok))
		}
		if r.f != nil {
			p = append(p, fmt.Sprintf(`"f": %v`, *r.f))
		}
		p = append(p, fmt.Sprintf(`"small": %d`, r.small))
		b.WriteString("{" + strings.Join(p, ", ") + "}\n")
	}
	return b.Bytes()
}

const feqAvroSchema = `{"type": "record", "name": "r", "fields": [
  {"name": "id", "type": "long"},
  {"name": "name", "type": ["null", "string"]},
  {"name": "price", "type": ["null", {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}]},
  {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
  {"name": "ts", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
  {"name": "ok", "type": ["null", "boolean"]},
  {"name": "f", "type": ["null", "double"]},
  {"name": "small", "type": "int"}
]}`

func feqAvro(t *testing.T, rows []feqRow, codec ocf.CodecName) []byte {
	var b bytes.Buffer
	enc, err := ocf.NewEncoder(feqAvroSchema, &b, ocf.WithCodec(codec), ocf.WithBlockLength(100))
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

type feqParquetRow struct {
	ID    int64    `parquet:"id"`
	Name  *string  `parquet:"name,optional,dict"`
	Price *int64   `parquet:"price,optional,decimal(2:10)"`
	Day   *int32   `parquet:"day,optional,date"`
	Ts    *int64   `parquet:"ts,optional,timestamp(microsecond)"`
	OK    *bool    `parquet:"ok,optional"`
	F     *float64 `parquet:"f,optional"`
	Small int32    `parquet:"small"`
}

func feqParquet(t *testing.T, rows []feqRow, opts ...pq.WriterOption) []byte {
	var b bytes.Buffer
	w := pq.NewGenericWriter[feqParquetRow](&b, append([]pq.WriterOption{pq.MaxRowsPerRowGroup(200)}, opts...)...)
	out := make([]feqParquetRow, len(rows))
	for i, r := range rows {
		out[i] = feqParquetRow{ID: r.id, Name: r.name, Price: r.cents, Day: r.day, Ts: r.ts, OK: r.ok, F: r.f, Small: r.small}
	}
	if _, err := w.Write(out); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func feqGzip(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func feqZstd(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zstd.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// feqFiles renders every copy of rows, split into two files each, keyed
// by "<variant>/part-N.<ext>".
func feqFiles(t *testing.T, rows []feqRow) map[string][]byte {
	half := len(rows) * 2 / 3
	parts := [][]feqRow{rows[:half], rows[half:]}
	out := map[string][]byte{}
	for i, p := range parts {
		name := func(variant, ext string) string { return fmt.Sprintf("%s/part-%d.%s", variant, i, ext) }
		out[name("parquet", "parquet")] = feqParquet(t, p)
		out[name("parquet-zstd", "parquet")] = feqParquet(t, p, pq.Compression(&pq.Zstd))
		csvData, jsonData := feqCSV(p), feqJSON(p)
		out[name("csv", "csv")] = csvData
		out[name("csv-gzip", "csv.gz")] = feqGzip(csvData)
		out[name("csv-zstd", "csv.zst")] = feqZstd(csvData)
		out[name("json", "json")] = jsonData
		out[name("json-gzip", "json.gz")] = feqGzip(jsonData)
		out[name("json-zstd", "json.zst")] = feqZstd(jsonData)
		out[name("avro", "avro")] = feqAvro(t, p, ocf.Null)
		out[name("avro-deflate", "avro")] = feqAvro(t, p, ocf.Deflate)
	}
	return out
}
