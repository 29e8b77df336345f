package parquet

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

type benchRow struct {
	Qty   int32 `parquet:"l_quantity"`
	Price int64 `parquet:"l_extendedprice,decimal(2:15)"`
	Disc  int64 `parquet:"l_discount,decimal(2:15)"`
	Ship  int32 `parquet:"l_shipdate,date"`
}

// BenchmarkScan4Cols scans int32, decimal, decimal, date from a 1M-row file.
func BenchmarkScan4Cols(b *testing.B) {
	const n = 1 << 20
	path := filepath.Join(b.TempDir(), "bench.parquet")
	var buf bytes.Buffer
	w := pq.NewGenericWriter[benchRow](&buf, pq.MaxRowsPerRowGroup(128<<10))
	rows := make([]benchRow, 8192)
	for i := 0; i < n; i += len(rows) {
		for j := range rows {
			k := i + j
			rows[j] = benchRow{Qty: int32(k%50 + 1), Price: int64(k*7919%10000000 + 90000), Disc: int64(k % 11), Ship: int32(8000 + k%2500)}
		}
		if _, err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	os.WriteFile(path, buf.Bytes(), 0o644)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l_quantity", Type: types.Int32}, {Name: "l_extendedprice", Type: types.Decimal(15, 2)},
		{Name: "l_discount", Type: types.Decimal(15, 2)}, {Name: "l_shipdate", Type: types.Date},
	}, nil)
	ctx := context.Background()
	fs := local.New()
	fi, _ := fs.Stat(ctx, path)
	f := New()
	splits, _ := f.Splits(ctx, fs, fi, nil)
	b.SetBytes(n * (4 + 8 + 8 + 4))
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		total := scanRows(b, f, fs, splits, &connectors.ScanRequest{Schema: schema, Columns: []int{0, 1, 2, 3}, BatchSize: 8192, Mem: memory.DefaultAllocator})
		if total != n {
			b.Fatalf("%d rows", total)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
}

// scanRows reads every split with req and returns the rows read (a
// benchmark's inner loop; any error fails b).
func scanRows(b *testing.B, f *Format, fs connectors.FileSystem, splits []connectors.Split, req *connectors.ScanRequest) int {
	ctx := context.Background()
	total := 0
	for _, s := range splits {
		r, err := f.Open(ctx, fs, s, req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			rec, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			total += int(rec.NumRows())
			rec.Release()
		}
		r.Close()
	}
	return total
}
