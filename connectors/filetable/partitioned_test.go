package filetable

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
)

// Files of three schema generations, written in different partitions.
type logV1 struct { // oldest: no bytes column, status is INT32
	Host   string `parquet:"host"`
	Status int32  `parquet:"status"`
}

type logV2 struct { // bytes added
	Host   string `parquet:"host"`
	Status int32  `parquet:"status"`
	Bytes  int64  `parquet:"bytes"`
}

type logV3 struct { // status widened to INT64
	Host   string `parquet:"host"`
	Status int64  `parquet:"status"`
	Bytes  int64  `parquet:"bytes"`
}

type logBad struct { // bytes written as a string: incompatible
	Host   string `parquet:"host"`
	Status int64  `parquet:"status"`
	Bytes  string `parquet:"bytes"`
}

func writeParquet[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[T](&buf)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func logsTable(dir string) *catalog.Table {
	return &catalog.Table{Database: "db", Name: "logs", Kind: catalog.KindExternal, Format: "parquet", Location: dir,
		Columns:       []catalog.Column{{Name: "host", Type: "varchar"}, {Name: "status", Type: "bigint"}, {Name: "bytes", Type: "bigint"}},
		PartitionKeys: []catalog.Column{{Name: "dt", Type: "date"}, {Name: "region", Type: "varchar"}}}
}

// readAll scans every split with the given columns and renders rows as
// text, sorted.
func readAll(t *testing.T, tb connectors.Table, cols []int, stats *connectors.ScanStats) ([]string, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	req := &connectors.ScanRequest{Schema: tb.Schema(), Columns: cols, Mem: mem, Stats: stats, BatchSize: 3}
	splits, err := tb.Splits(ctx, req)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range splits {
		r, err := tb.Open(ctx, s, req)
		if err != nil {
			return nil, err
		}
		for {
			b, err := r.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				return nil, err
			}
			if int(b.NumCols()) != len(cols) {
				t.Fatalf("batch has %d columns, want %d", b.NumCols(), len(cols))
			}
			for i := 0; i < int(b.NumRows()); i++ {
				var f []string
				for c := 0; c < int(b.NumCols()); c++ {
					if !arrow.TypeEqual(b.Column(c).DataType(), tb.Schema().Field(cols[c]).Type) {
						t.Fatalf("column %d has type %s, want %s", c, b.Column(c).DataType(), tb.Schema().Field(cols[c]).Type)
					}
					f = append(f, b.Column(c).ValueStr(i))
				}
				out = append(out, strings.Join(f, "|"))
			}
			b.Release()
		}
		if err := r.Close(); err != nil {
			return nil, err
		}
	}
	sort.Strings(out)
	return out, nil
}

func TestPartitionedParquetSchemaEvolution(t *testing.T) {
	dir := t.TempDir()
	p1 := filepath.Join(dir, "dt=2024-06-01", "region=eu")
	p2 := filepath.Join(dir, "dt=2024-06-02", "region=us")
	p3 := filepath.Join(dir, "dt=2024-06-03", "region="+catalog.HiveDefaultPartition)
	writeParquet(t, filepath.Join(p1, "part-0.parquet"), []logV1{{"a", 200}, {"b", 404}})
	writeParquet(t, filepath.Join(p2, "part-0.parquet"), []logV2{{"c", 200, 10}})
	writeParquet(t, filepath.Join(p2, "part-1.parquet"), []logV3{{"d", 500, 20}, {"e", 200, 30}, {"f", 201, 40}, {"g", 202, 50}})
	writeParquet(t, filepath.Join(p3, "part-0.parquet"), []logV3{{"h", 200, 60}})
	ct := logsTable(dir)
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	pt := tb.(connectors.PartitionedTable)
	if sel, _ := pt.PartitionCounts(); sel != -1 {
		t.Fatalf("unselected table reports %d partitions", sel)
	}
	parts := []catalog.Partition{
		{Values: []string{"2024-06-01", "eu"}, Location: p1},
		{Values: []string{"2024-06-02", "us"}, Location: p2},
		{Values: []string{"2024-06-03", catalog.HiveDefaultPartition}, Location: p3},
		{Values: []string{"2024-06-04", "eu"}, Location: filepath.Join(dir, "dt=2024-06-04", "region=eu")}, // no folder
	}
	sel, err := pt.WithPartitions(parts, 10)
	if err != nil {
		t.Fatal(err)
	}
	if s, tot := sel.(connectors.PartitionedTable).PartitionCounts(); s != 4 || tot != 10 {
		t.Fatalf("counts %d/%d", s, tot)
	}
	ctx := context.Background()
	if rows, _ := tb.Estimate(ctx); rows != -1 {
		t.Fatalf("unselected estimate %d: must not list every partition", rows)
	}
	if rows, bytes := sel.Estimate(ctx); rows != 8 || bytes <= 0 {
		t.Fatalf("selected estimate %d rows %d bytes", rows, bytes)
	}
	withStats := append([]catalog.Partition(nil), parts...)
	for i := range withStats {
		withStats[i].Stats = &catalog.TableStats{Rows: 100, Bytes: 1000}
	}
	if st, _ := pt.WithPartitions(withStats, 4); st != nil {
		if rows, bytes := st.Estimate(ctx); rows != 400 || bytes != 4000 {
			t.Fatalf("estimate from partition stats %d %d", rows, bytes)
		}
	}
	all := []string{
		"a|200|(null)|2024-06-01|eu", "b|404|(null)|2024-06-01|eu",
		"c|200|10|2024-06-02|us", "d|500|20|2024-06-02|us", "e|200|30|2024-06-02|us",
		"f|201|40|2024-06-02|us", "g|202|50|2024-06-02|us", "h|200|60|2024-06-03|(null)",
	}
	tests := []struct {
		name string
		tb   connectors.Table
		cols []int
		want []string
	}{
		{"all columns, selected", sel, []int{0, 1, 2, 3, 4}, all},
		{"all columns, discovered folders", tb, []int{0, 1, 2, 3, 4}, all},
		{"keys first, reordered", sel, []int{4, 3, 0}, []string{
			"(null)|2024-06-03|h", "eu|2024-06-01|a", "eu|2024-06-01|b", "us|2024-06-02|c",
			"us|2024-06-02|d", "us|2024-06-02|e", "us|2024-06-02|f", "us|2024-06-02|g"}},
		{"keys only", sel, []int{3}, []string{"2024-06-01", "2024-06-01", "2024-06-02", "2024-06-02",
			"2024-06-02", "2024-06-02", "2024-06-02", "2024-06-03"}},
		{"no columns", sel, []int{}, []string{"", "", "", "", "", "", "", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stats := &connectors.ScanStats{}
			got, err := readAll(t, tc.tb, tc.cols, stats)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if stats.FilesScanned.Load() != 4 {
				t.Fatalf("files scanned %d", stats.FilesScanned.Load())
			}
			if tc.tb == sel && (stats.PartitionsScanned.Load() != 4 || stats.PartitionsTotal.Load() != 10) {
				t.Fatalf("partitions %d/%d", stats.PartitionsScanned.Load(), stats.PartitionsTotal.Load())
			}
		})
	}

	// A range on a partition key never reaches the format (the key is
	// not in the files and would prune every row group).
	t.Run("key ranges are not pushed into files", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		req := &connectors.ScanRequest{Schema: sel.Schema(), Columns: []int{0, 3}, Mem: mem,
			Ranges: []connectors.Range{{Column: 3, Min: int64(19875), Max: int64(19875)}, {Column: 4, Values: []any{"us"}}}}
		splits, err := sel.Splits(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if len(splits) != 4 {
			t.Fatalf("%d splits", len(splits))
		}
	})

	// An incompatible type is an error naming the partition and the
	// file, whichever file is read first.
	t.Run("incompatible type", func(t *testing.T) {
		bad := filepath.Join(dir, "dt=2024-06-05", "region=eu")
		writeParquet(t, filepath.Join(bad, "part-0.parquet"), []logBad{{"x", 200, "many"}})
		for _, order := range [][]catalog.Partition{
			{{Values: []string{"2024-06-05", "eu"}, Location: bad}, parts[0]},
			{parts[0], {Values: []string{"2024-06-05", "eu"}, Location: bad}},
		} {
			st, err := pt.WithPartitions(order, 2)
			if err != nil {
				t.Fatal(err)
			}
			_, err = readAll(t, st, []int{0, 2}, nil)
			if err == nil {
				t.Fatal("reading a VARCHAR file column as BIGINT succeeded")
			}
			msg := err.Error()
			t.Log(msg)
			for _, want := range []string{"partition dt=2024-06-05, region=eu", filepath.Join(bad, "part-0.parquet"), "bytes", "BIGINT"} {
				if !strings.Contains(msg, want) {
					t.Fatalf("error %q does not mention %q", msg, want)
				}
			}
			// The other columns read fine.
			if rows, err := readAll(t, st, []int{0, 3}, nil); err != nil || len(rows) != 3 {
				t.Fatalf("%v %v", rows, err)
			}
		}
		if err := os.RemoveAll(filepath.Join(dir, "dt=2024-06-05")); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("bad partition value", func(t *testing.T) {
		st, _ := pt.WithPartitions([]catalog.Partition{{Values: []string{"June", "eu"}, Location: p1}}, 1)
		_, err := readAll(t, st, []int{0, 3}, nil)
		if err == nil || !strings.Contains(err.Error(), "dt=June") || !strings.Contains(err.Error(), "DATE") {
			t.Fatalf("got %v", err)
		}
		if _, err := pt.WithPartitions([]catalog.Partition{{Values: []string{"2024-06-01"}, Location: p1}}, 1); err == nil {
			t.Fatal("a partition with too few values was accepted")
		}
	})
}

func TestPartitionedCSVFewerFields(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "y=2023")
	cur := filepath.Join(dir, "y=2024")
	os.MkdirAll(old, 0o755)
	os.MkdirAll(cur, 0o755)
	os.WriteFile(filepath.Join(old, "a.csv"), []byte("1,x\n2,y\n"), 0o644)
	os.WriteFile(filepath.Join(cur, "a.csv"), []byte("3,z,7.5\n"), 0o644)
	ct := &catalog.Table{Database: "db", Name: "c", Format: "csv", Location: dir,
		Columns:       []catalog.Column{{Name: "id", Type: "int"}, {Name: "s", Type: "varchar"}, {Name: "v", Type: "double"}},
		PartitionKeys: []catalog.Column{{Name: "y", Type: "int"}}}
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := tb.(connectors.PartitionedTable).WithPartitions([]catalog.Partition{
		{Values: []string{"2023"}, Location: old}, {Values: []string{"2024"}, Location: cur, Format: "csv"}}, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, sel, []int{3, 0, 2, 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "2023|1|(null)|x\n2023|2|(null)|y\n2024|3|7.5|z"
	if strings.Join(got, "\n") != want {
		t.Fatalf("got\n%s", strings.Join(got, "\n"))
	}
}

func TestConstArrayTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tests := []struct {
		typ, text, want string
	}{
		{"varchar", "eu", "eu"}, {"int", "42", "42"}, {"bigint", "-7", "-7"}, {"smallint", "3", "3"},
		{"tinyint", "1", "1"}, {"double", "2.5", "2.5"}, {"boolean", "true", "true"},
		{"date", "2024-06-01", "2024-06-01"}, {"decimal(10,2)", "12.34", "12.34"},
		{"decimal(30,3)", "1.5", "unscaled 1500"}, {"int", catalog.HiveDefaultPartition, "(null)"},
		{"timestamp", "2024-06-01 10:11:12", "2024-06-01 10:11:12"},
	}
	for _, tc := range tests {
		t.Run(tc.typ+"/"+tc.text, func(t *testing.T) {
			ct := &catalog.Table{Columns: []catalog.Column{{Name: "k", Type: tc.typ}}}
			sch, err := ct.ArrowSchema()
			if err != nil {
				t.Fatal(err)
			}
			dt := sch.Field(0).Type
			v, err := ParsePartitionValue(tc.text, dt)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ConstArray(mem, dt, v, 5)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Release()
			if a.Len() != 5 || !arrow.TypeEqual(a.DataType(), dt) {
				t.Fatalf("len %d type %s", a.Len(), a.DataType())
			}
			got := a.ValueStr(4)
			if ts, ok := a.(*array.Timestamp); ok {
				got = ts.Value(4).ToTime(arrow.Microsecond).Format("2006-01-02 15:04:05")
			}
			if d, ok := a.(*array.Decimal128); ok {
				got = "unscaled " + d.Value(4).BigInt().String()
			}
			if got != tc.want {
				t.Fatalf("got %q want %q", got, tc.want)
			}
		})
	}
	for _, bad := range []struct{ typ, text string }{{"int", "x"}, {"date", "2024-13-01"}, {"boolean", "maybe"}, {"tinyint", "300"}} {
		ct := &catalog.Table{Columns: []catalog.Column{{Name: "k", Type: bad.typ}}}
		sch, _ := ct.ArrowSchema()
		if _, err := ParsePartitionValue(bad.text, sch.Field(0).Type); err == nil {
			t.Fatalf("%s %q parsed", bad.typ, bad.text)
		}
	}
}

// BenchmarkPartitionedScan reads one partition's 200k-row file with the
// key columns filled as constants (the per-batch cost of partitioning).
func BenchmarkPartitionedScan(b *testing.B) {
	dir := b.TempDir()
	p1 := filepath.Join(dir, "dt=2024-06-01", "region=eu")
	rows := make([]logV3, 200_000)
	for i := range rows {
		rows[i] = logV3{Host: "h", Status: int64(i % 500), Bytes: int64(i)}
	}
	writeParquet(b, filepath.Join(p1, "part-0.parquet"), rows)
	tb, err := New(logsTable(dir))
	if err != nil {
		b.Fatal(err)
	}
	sel, err := tb.(connectors.PartitionedTable).WithPartitions([]catalog.Partition{{Values: []string{"2024-06-01", "eu"}, Location: p1}}, 1)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		cols []int
	}{{"data-only", []int{2}}, {"data+keys", []int{2, 3, 4}}} {
		b.Run(bc.name, func(b *testing.B) {
			req := &connectors.ScanRequest{Schema: sel.Schema(), Columns: bc.cols, Mem: memory.NewGoAllocator(), BatchSize: 8192}
			for b.Loop() {
				splits, err := sel.Splits(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				n := int64(0)
				for _, s := range splits {
					r, err := sel.Open(ctx, s, req)
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
						n += rec.NumRows()
						rec.Release()
					}
					r.Close()
				}
				if n != 200_000 {
					b.Fatal(n)
				}
			}
		})
	}
}
