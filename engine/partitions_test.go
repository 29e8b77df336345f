package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/logs"
)

// queryStats runs a query to the end and returns its rows and counters.
func queryStats(t *testing.T, s *Session, sql string) ([]string, QueryStats) {
	t.Helper()
	ctx := context.Background()
	r, err := s.Query(ctx, sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for {
		rec, err := r.Next(ctx)
		if err != nil {
			r.Close()
			t.Fatalf("%s: %v", sql, err)
		}
		if rec == nil {
			break
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			var vals []string
			for j := 0; j < int(rec.NumCols()); j++ {
				vals = append(vals, sltValue(rec.Column(j), i))
			}
			out = append(out, strings.Join(vals, " "))
		}
		rec.Release()
	}
	st := r.Stats()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	return out, st
}

// TestPartitionedLogs is the acceptance check of partition pruning: 365
// daily partitions; a one-day query scans one partition and a tiny
// fraction of the bytes, a 7-day range scans 7, the same through the
// projection-configured table; results equal an unpruned scan's.
func TestPartitionedLogs(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	ctx := context.Background()
	if err := e.Catalog().CreateDatabase(ctx, catalog.Database{Name: "weblogs"}, true); err != nil {
		t.Fatal(err)
	}
	res, err := logs.Generate(ctx, logs.Options{Dir: t.TempDir(), Database: "weblogs", Days: 365, RowsPerDay: 300, RowGroupRows: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := logs.Register(ctx, e.Catalog(), res); err != nil {
		t.Fatal(err)
	}
	s := e.NewSession("alice")
	mustExec(t, s, "USE weblogs")

	// The first scan also reads and caches the Parquet footers; compare
	// with a warm one.
	queryStats(t, s, "SELECT count(*), sum(bytes) FROM requests")
	full, fullSt := queryStats(t, s, "SELECT count(*), sum(bytes) FROM requests")
	if fullSt.PartitionsScanned != 365 || fullSt.PartitionsTotal != 365 {
		t.Fatalf("full scan: partitions %d/%d", fullSt.PartitionsScanned, fullSt.PartitionsTotal)
	}
	if got := strings.Fields(full[0])[0]; got != strconv.FormatInt(res.Rows, 10) {
		t.Fatalf("full count %s, generated %d", got, res.Rows)
	}

	for _, table := range []string{"requests", logs.TableProjected} {
		for _, tc := range []struct {
			where, unpruned string
			n               int64
		}{
			{"dt = '2024-06-01'", "(dt = '2024-06-01' OR bytes < 0)", 1},
			{"dt BETWEEN '2024-06-01' AND '2024-06-07'", "(dt BETWEEN '2024-06-01' AND '2024-06-07' OR bytes < 0)", 7},
			{"CAST(dt AS DATE) BETWEEN DATE '2024-06-01' AND DATE '2024-06-07'", "(CAST(dt AS DATE) BETWEEN DATE '2024-06-01' AND DATE '2024-06-07' OR bytes < 0)", 7},
			{"substr(dt, 1, 7) = '2024-02'", "(substr(dt, 1, 7) = '2024-02' OR bytes < 0)", 29},
			{"dt IN ('2024-03-01', '2024-12-30', '2025-01-01')", "(dt IN ('2024-03-01', '2024-12-30', '2025-01-01') OR bytes < 0)", 2},
		} {
			t.Run(table+"/"+tc.where, func(t *testing.T) {
				q := fmt.Sprintf("SELECT count(*), sum(bytes), min(dt), max(dt) FROM %s WHERE %s", table, tc.where)
				got, st := queryStats(t, s, q)
				want, wst := queryStats(t, s, fmt.Sprintf("SELECT count(*), sum(bytes), min(dt), max(dt) FROM %s WHERE %s", table, tc.unpruned))
				if strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Fatalf("pruned %v, unpruned %v", got, want)
				}
				if st.PartitionsScanned != tc.n || st.PartitionsTotal != 365 {
					t.Fatalf("partitions %d/%d, want %d/365", st.PartitionsScanned, st.PartitionsTotal, tc.n)
				}
				if wst.PartitionsScanned != 365 {
					t.Fatalf("unpruned query scanned %d partitions", wst.PartitionsScanned)
				}
				t.Logf("%d partitions: %d bytes, %d files (full %d bytes)", tc.n, st.BytesScanned, st.FilesScanned, fullSt.BytesScanned)
				if tc.n == 1 && st.BytesScanned*300 > fullSt.BytesScanned {
					t.Fatalf("one day scanned %d bytes, the full scan %d (more than 1/300)", st.BytesScanned, fullSt.BytesScanned)
				}
				if st.FilesScanned > tc.n*2 {
					t.Fatalf("%d files scanned for %d partitions", st.FilesScanned, tc.n)
				}
				explain := strings.Join(collect(t, s, "EXPLAIN "+q), "\n")
				if want := fmt.Sprintf("partitions=%d/365", tc.n); !strings.Contains(explain, want) {
					t.Fatalf("EXPLAIN lacks %s:\n%s", want, explain)
				}
			})
		}
	}
	t.Logf("full scan %d bytes over %d files", fullSt.BytesScanned, fullSt.FilesScanned)

	// EXPLAIN ANALYZE reports the partitions scanned.
	an := strings.Join(collect(t, s, "EXPLAIN ANALYZE SELECT count(*) FROM requests WHERE dt >= '2024-12-25'"), "\n")
	if !strings.Contains(an, "partitions=6/365") || !strings.Contains(an, "partitions scanned: 6/365") {
		t.Fatalf("EXPLAIN ANALYZE:\n%s", an)
	}

	// system.query_history has the counters.
	rows := collect(t, s, "SELECT partitions_total, partitions_scanned, bytes_scanned > 0 FROM system.query_history "+
		"WHERE query_text = 'SELECT count(*), sum(bytes), min(dt), max(dt) FROM requests WHERE dt = ''2024-06-01'''")
	if len(rows) != 1 || rows[0] != "365 1 true" {
		t.Fatalf("query_history: %v", rows)
	}
}

// A one-partition query plans and runs over a missing projected folder
// as an empty partition.
func TestProjectedMissingFolder(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	ctx := context.Background()
	dir := t.TempDir()
	if err := e.Catalog().CreateDatabase(ctx, catalog.Database{Name: "p"}, true); err != nil {
		t.Fatal(err)
	}
	writeDay := func(day string, rows []evoV2) {
		var buf strings.Builder
		_ = buf
		path := filepath.Join(dir, "t", day, "part-0.parquet")
		writeParquetFile(t, path, rows)
	}
	writeDay("2024-06-01", []evoV2{{"a", 1, 10}})
	ct := catalog.Table{Database: "p", Name: "t", Kind: catalog.KindExternal, Format: "parquet", Location: filepath.Join(dir, "t"),
		Columns:       []catalog.Column{{Name: "host", Type: "varchar"}, {Name: "status", Type: "bigint"}, {Name: "bytes", Type: "bigint"}},
		PartitionKeys: []catalog.Column{{Name: "dt", Type: "date"}},
		Props: map[string]string{"projection.enabled": "true", "projection.dt.type": "date", "projection.dt.format": "yyyy-MM-dd",
			"projection.dt.range": "2024-05-01,NOW", "storage.location.template": filepath.Join(dir, "t") + "/${dt}"}}
	if err := e.Catalog().CreateTable(ctx, ct, false); err != nil {
		t.Fatal(err)
	}
	s := e.NewSession("bob")
	mustExec(t, s, "USE p")
	days := int(time.Since(time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)).Hours()/24) + 1
	got, st := queryStats(t, s, "SELECT count(*), sum(bytes), max(dt) FROM t WHERE dt BETWEEN DATE '2024-05-31' AND DATE '2024-06-02'")
	if strings.Join(got, "") != "1 10 2024-06-01" || st.PartitionsScanned != 3 || int(st.PartitionsTotal) != days {
		t.Fatalf("got %v, partitions %d/%d (want 3/%d)", got, st.PartitionsScanned, st.PartitionsTotal, days)
	}
	// An injected key without a value is an error.
	ct2 := ct
	ct2.Name = "inj"
	ct2.Props = map[string]string{"projection.enabled": "true", "projection.dt.type": "injected"}
	if err := e.Catalog().CreateTable(ctx, ct2, false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Query(ctx, "SELECT count(*) FROM inj"); err == nil || !strings.Contains(err.Error(), "injected") {
		t.Fatalf("got %v", err)
	}
	rows := collect(t, s, "SELECT count(*) FROM inj WHERE dt = DATE '2024-06-01'")
	if strings.Join(rows, "") != "0" { // the template does not apply: dt=... folders do not exist
		t.Fatalf("got %v", rows)
	}
}

// Schema evolution through SQL: older partitions lack a column (NULL),
// integers widen, and an incompatible file is an error naming the
// partition and the file whatever the file order.
type evoV1 struct {
	Host   string `parquet:"host"`
	Status int32  `parquet:"status"`
}

type evoV2 struct {
	Host   string `parquet:"host"`
	Status int64  `parquet:"status"`
	Bytes  int64  `parquet:"bytes"`
}

type evoBad struct {
	Host   string `parquet:"host"`
	Status int64  `parquet:"status"`
	Bytes  string `parquet:"bytes"`
}

func writeParquetFile[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := pq.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPartitionSchemaEvolution(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	ctx := context.Background()
	dir := t.TempDir()
	writeParquetFile(t, filepath.Join(dir, "dt=2024-06-01", "part-0.parquet"), []evoV1{{"a", 200}, {"b", 404}})
	writeParquetFile(t, filepath.Join(dir, "dt=2024-06-02", "part-0.parquet"), []evoV2{{"c", 500, 7}})
	writeParquetFile(t, filepath.Join(dir, "dt=2024-06-03", "part-0.parquet"), []evoBad{{"d", 200, "x"}})
	if err := e.Catalog().CreateDatabase(ctx, catalog.Database{Name: "evo"}, true); err != nil {
		t.Fatal(err)
	}
	ct := catalog.Table{Database: "evo", Name: "t", Kind: catalog.KindExternal, Format: "parquet", Location: dir,
		Columns:       []catalog.Column{{Name: "host", Type: "varchar"}, {Name: "status", Type: "bigint"}, {Name: "bytes", Type: "bigint"}},
		PartitionKeys: []catalog.Column{{Name: "dt", Type: "varchar"}}}
	if err := e.Catalog().CreateTable(ctx, ct, false); err != nil {
		t.Fatal(err)
	}
	var parts []catalog.Partition
	for _, d := range []string{"2024-06-01", "2024-06-02", "2024-06-03"} {
		parts = append(parts, catalog.Partition{Values: []string{d}, Location: filepath.Join(dir, "dt="+d)})
	}
	if err := any(e.Catalog()).(catalog.PartitionStore).AddPartitions(ctx, "evo", "t", parts, false); err != nil {
		t.Fatal(err)
	}
	s := e.NewSession("carol")
	mustExec(t, s, "USE evo")
	rows := collect(t, s, "SELECT host, status, bytes, dt FROM t WHERE dt <= '2024-06-02' ORDER BY host")
	if strings.Join(rows, "|") != "a 200 NULL 2024-06-01|b 404 NULL 2024-06-01|c 500 7 2024-06-02" {
		t.Fatalf("got %v", rows)
	}
	for _, q := range []string{"SELECT sum(bytes) FROM t", "SELECT sum(bytes) FROM t WHERE dt >= '2024-06-02'"} {
		_, _, err := queryRows(ctx, s, q, false)
		if err == nil {
			t.Fatalf("%s: reading a VARCHAR file column as BIGINT succeeded", q)
		}
		msg := errText(err)
		if !strings.Contains(msg, "partition dt=2024-06-03") || !strings.Contains(msg, filepath.Join(dir, "dt=2024-06-03", "part-0.parquet")) ||
			!strings.Contains(msg, "bytes") {
			t.Fatalf("%s: %s", q, msg)
		}
	}
	// Columns that are compatible everywhere still read.
	rows = collect(t, s, "SELECT count(*), max(status) FROM t")
	if strings.Join(rows, "") != "4 500" {
		t.Fatalf("got %v", rows)
	}
}
