package postgres

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/connectors"
	pgtest "github.com/tarnsql/tarn/internal/testsrv/postgres"
)

// BenchmarkScan reads a 200k-row table (bigint, numeric(15,2), text,
// date, timestamptz) over the binary protocol into Arrow batches.
func BenchmarkScan(b *testing.B) {
	srv := pgtest.Get(b)
	dsn := srv.NewDatabase(b)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	const n = 200000
	if err := srv.Exec(ctx, db,
		`CREATE TABLE t AS SELECT g::int8 AS id, (g * 1.25)::numeric(15,2) AS amount, 'comment ' || g AS note,
		        date '2020-01-01' + (g % 1000) AS day, timestamptz '2020-01-01' + g * interval '1 second' AS ts
		   FROM generate_series(1, 200000) g`, `ANALYZE t`); err != nil {
		b.Fatal(err)
	}
	src, err := Open(ctx, Config{Name: "bench", URL: dsn, SplitPages: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer src.Close()
	tbl, err := src.Table(ctx, "public", "t")
	if err != nil {
		b.Fatal(err)
	}
	mem := memory.NewGoAllocator()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st := &connectors.ScanStats{}
		req := &connectors.ScanRequest{Schema: tbl.Schema(), Columns: []int{0, 1, 2, 3, 4}, BatchSize: 1024, Mem: mem, Stats: st}
		r, err := tbl.Open(ctx, connectors.Split{}, req)
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			rec, err := r.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows += int(rec.NumRows())
			rec.Release()
		}
		r.Close()
		if rows != n {
			b.Fatalf("%d rows", rows)
		}
		b.SetBytes(st.BytesScanned.Load())
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
