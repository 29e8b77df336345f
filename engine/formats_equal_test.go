package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hamba/avro/v2/ocf"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/storage/s3"
	"github.com/tarnsql/tarn/internal/testfiles"
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
	rows := testfiles.Generate(t, feqColumns, feqN)
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

// feqN is the number of rows generated.
const feqN = 1500

// feqColumns are the generated table: ids descending from feqN (the
// dump sorts), every other column NULL in its own pattern of rows.
var feqColumns = []testfiles.Column{
	{Name: "id", Type: types.Int64, Gen: func(i int) any { return int64(feqN - i) }},
	{Name: "name", Type: types.String, Nullable: true, Gen: testfiles.NullEvery(5, 0, func(i int) any {
		if i%7 == 0 {
			return ""
		}
		return fmt.Sprintf("name %d, \"q\" é", i%400)
	})},
	{Name: "price", Type: types.Decimal(10, 2), Nullable: true, Gen: testfiles.NullEvery(6, 1, func(i int) any { return int64(i*137 - 20000) })},
	{Name: "day", Type: types.Date, Nullable: true, Gen: testfiles.NullEvery(4, 2, func(i int) any { return int32(18500 + i) })},
	{Name: "ts", Type: types.Timestamp, Nullable: true, Gen: testfiles.NullEvery(3, 2, func(i int) any { return int64(1_600_000_000_000_000) + int64(i)*3_600_000_123 })},
	{Name: "ok", Type: types.Boolean, Nullable: true, Gen: testfiles.NullEvery(8, 3, func(i int) any { return i%3 == 0 })},
	{Name: "f", Type: types.Float64, Nullable: true, Gen: testfiles.NullEvery(9, 4, func(i int) any { return float64(i)*0.5 - 100 })},
	{Name: "small", Type: types.Int32, Gen: func(i int) any { return int32(i%100 - 50) }},
}

// feqCheckReference checks the reference table against the generated rows.
func feqCheckReference(t *testing.T, s *Session, tbl *testfiles.Table) {
	t.Helper()
	name, price, small := tbl.Col("name"), tbl.Col("price"), tbl.Col("small")
	var names, smallSum, cents int64
	for _, r := range tbl.Rows {
		if r[name] != nil {
			names++
		}
		if r[price] != nil {
			cents += r[price].(int64)
		}
		smallSum += int64(r[small].(int32))
	}
	got := collect(t, s, "SELECT count(*), count(name), sum(small), sum(price) FROM ref")
	want := fmt.Sprintf("%d %d %d %s", len(tbl.Rows), names, smallSum, testfiles.DecimalText(cents, 2))
	if len(got) != 1 || got[0] != want {
		t.Fatalf("reference table: got %v, want %s", got, want)
	}
}

// feqFiles renders every copy of the table, split into two files each,
// keyed by "<variant>/part-N.<ext>". CSV has a header and writes NULL as
// \N; JSON writes a NULL name as null on even rows of a file and leaves
// it out on odd ones (other NULLs are left out).
func feqFiles(t *testing.T, tbl *testfiles.Table) map[string][]byte {
	half := len(tbl.Rows) * 2 / 3
	parts := []*testfiles.Table{tbl.Slice(0, half), tbl.Slice(half, len(tbl.Rows))}
	csvOpts := testfiles.CSVOptions{Header: true, Null: `\N`}
	jsonOpts := testfiles.JSONOptions{ExplicitNull: func(row int, col string) bool { return col == "name" && row%2 == 0 }}
	parquet := func(p *testfiles.Table, opts ...pq.WriterOption) []byte {
		return testfiles.Parquet(t, p, testfiles.ParquetOptions{RowGroupRows: 200, DictStrings: true, Writer: opts})
	}
	out := map[string][]byte{}
	for i, p := range parts {
		name := func(variant, ext string) string { return fmt.Sprintf("%s/part-%d.%s", variant, i, ext) }
		out[name("parquet", "parquet")] = parquet(p)
		out[name("parquet-zstd", "parquet")] = parquet(p, pq.Compression(&pq.Zstd))
		csvData, jsonData := testfiles.CSV(t, p, csvOpts), testfiles.JSONLines(t, p, jsonOpts)
		out[name("csv", "csv")] = csvData
		out[name("csv-gzip", "csv.gz")] = testfiles.Gzip(csvData)
		out[name("csv-zstd", "csv.zst")] = testfiles.Zstd(csvData)
		out[name("json", "json")] = jsonData
		out[name("json-gzip", "json.gz")] = testfiles.Gzip(jsonData)
		out[name("json-zstd", "json.zst")] = testfiles.Zstd(jsonData)
		out[name("avro", "avro")] = testfiles.Avro(t, p, testfiles.AvroOptions{Codec: ocf.Null, BlockLength: 100})
		out[name("avro-deflate", "avro")] = testfiles.Avro(t, p, testfiles.AvroOptions{Codec: ocf.Deflate, BlockLength: 100})
	}
	return out
}
