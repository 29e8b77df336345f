package filetable

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
)

type rec struct {
	ID    int64  `parquet:"id"`
	Price int64  `parquet:"price,decimal(2:12)"`
	Name  string `parquet:"name,dict"`
}

func TestParquetTable(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "part=1"), 0o755)
	os.WriteFile(filepath.Join(dir, "_SUCCESS"), nil, 0o644)
	os.WriteFile(filepath.Join(dir, ".hidden.parquet"), []byte("junk"), 0o644)
	for f := 0; f < 2; f++ {
		var buf bytes.Buffer
		w := pq.NewGenericWriter[rec](&buf, pq.MaxRowsPerRowGroup(50))
		rows := make([]rec, 200)
		for i := range rows {
			id := int64(f*200 + i)
			rows[i] = rec{ID: id, Price: id * 3, Name: "n"}
		}
		w.Write(rows)
		w.Close()
		os.WriteFile(filepath.Join(dir, "part=1", "f"+string(rune('0'+f))+".parquet"), buf.Bytes(), 0o644)
	}
	ct := &catalog.Table{Database: "db", Name: "t", Kind: catalog.KindExternal, Format: "parquet", Location: "file://" + dir,
		Columns: []catalog.Column{{Name: "id", Type: "bigint"}, {Name: "price", Type: "decimal(12,2)"}, {Name: "name", Type: "varchar"}}}
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if rows, bytes := tb.Estimate(ctx); rows != 400 || bytes <= 0 {
		t.Fatalf("estimate %d %d", rows, bytes)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	stats := &connectors.ScanStats{}
	req := &connectors.ScanRequest{Schema: tb.Schema(), Columns: []int{1, 0}, Mem: mem, Stats: stats,
		Ranges: []connectors.Range{{Column: 0, Min: int64(120), Max: int64(260)}}}
	splits, err := tb.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 4 || stats.FilesScanned.Load() != 2 {
		t.Fatalf("%d splits, %d files", len(splits), stats.FilesScanned.Load())
	}
	var sum int64
	for _, s := range splits {
		r, err := tb.Open(ctx, s, req)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sum += b.NumRows()
			b.Release()
		}
		r.Close()
	}
	if sum != 200 || stats.RowGroupsTotal.Load() != 8 || stats.RowGroupsScanned.Load() != 4 {
		t.Fatalf("rows %d, groups %d/%d", sum, stats.RowGroupsScanned.Load(), stats.RowGroupsTotal.Load())
	}
	// Errors: missing location, unsupported storage.
	ct.Location = filepath.Join(dir, "nope")
	tb2, _ := New(ct)
	if _, err := tb2.Splits(ctx, &connectors.ScanRequest{}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("missing location: %v", err)
	}
	// s3:// and hdfs:// build without touching the network (storage
	// tests live in connectors/storage/{s3,hdfs}); unknown schemes fail.
	for _, loc := range []string{"s3://bucket/x", "s3a://bucket/x", "hdfs://namenode:8020/x"} {
		ct.Location = loc
		if _, err := New(ct); err != nil {
			t.Fatalf("%s: %v", loc, err)
		}
	}
	ct.Location = "gs://bucket/x"
	if _, err := New(ct); err == nil || !strings.Contains(err.Error(), "unknown storage scheme") {
		t.Fatalf("gs: %v", err)
	}
	ct.Location = "s3://bucket/x"
	ct.Props = map[string]string{"s3.aws-secret-key": "do-not-show"}
	if _, err := New(ct); err == nil || strings.Contains(err.Error(), "do-not-show") || !strings.Contains(err.Error(), "SHOW CREATE TABLE") {
		t.Fatalf("a secret in table properties: %v", err)
	}
}

func TestCSVTableSingleFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.tsv")
	os.WriteFile(p, []byte("h1\th2\n1\ta\n2\tb\n"), 0o644)
	ct := &catalog.Table{Name: "x", Format: "tsv", Location: p, SerDeProps: map[string]string{"skip.header.line.count": "1"},
		Columns: []catalog.Column{{Name: "a", Type: "int"}, {Name: "b", Type: "string"}}}
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	splits, err := tb.Splits(ctx, &connectors.ScanRequest{})
	if err != nil || len(splits) != 1 {
		t.Fatal(err, len(splits))
	}
	r, err := tb.Open(ctx, splits[0], &connectors.ScanRequest{Schema: tb.Schema(), Columns: []int{1, 0}, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if b.NumRows() != 2 || b.Column(0).ValueStr(1) != "b" || b.Column(1).ValueStr(0) != "1" {
		t.Fatalf("got %v", b)
	}
}
