package filetable

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
)

// A scan that accepts dictionaries (ScanRequest.DictOK) gets them from
// Parquet through partitioned tables and next to the hidden file
// columns, with the batch schema following the dictionary columns, and
// reads the same values as a scan that does not.
func TestDictOKPassesThrough(t *testing.T) {
	dir := t.TempDir()
	p1 := filepath.Join(dir, "dt=2024-06-01", "region=eu")
	p2 := filepath.Join(dir, "dt=2024-06-02", "region=us")
	type logDict struct {
		Host   string `parquet:"host,dict"`
		Status int64  `parquet:"status"`
		Bytes  int64  `parquet:"bytes"`
	}
	var rows []logDict
	for i := range 50 {
		rows = append(rows, logDict{Host: []string{"alpha", "beta", "gamma"}[i%3], Status: int64(200 + i%2), Bytes: int64(i)})
	}
	writeParquet(t, filepath.Join(p1, "part-0.parquet"), rows[:20])
	writeParquet(t, filepath.Join(p2, "part-0.parquet"), rows[20:])

	partitioned, err := New(logsTable(dir))
	if err != nil {
		t.Fatal(err)
	}
	sel, err := partitioned.(*Table).WithHiddenColumns().(connectors.PartitionedTable).WithPartitions([]catalog.Partition{
		{Values: []string{"2024-06-01", "eu"}, Location: p1},
		{Values: []string{"2024-06-02", "us"}, Location: p2},
	}, 2)
	if err != nil {
		t.Fatal(err)
	}
	flat, err := New(&catalog.Table{Database: "db", Name: "flat", Kind: catalog.KindExternal, Format: "parquet", Location: p2,
		Columns: []catalog.Column{{Name: "host", Type: "varchar"}, {Name: "status", Type: "bigint"}, {Name: "bytes", Type: "bigint"}}})
	if err != nil {
		t.Fatal(err)
	}
	flat = flat.(*Table).WithHiddenColumns()
	cases := []struct {
		name string
		tb   connectors.Table
		cols []int // host first
	}{
		{"partitioned, key and host", sel, []int{0, 4, 3}},
		{"partitioned, hidden column", sel, []int{0, 5, 1}},
		{"flat, hidden column", flat, []int{0, 3, 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plain, _ := scanDict(t, c.tb, c.cols, nil)
			ok := make([]bool, len(c.cols))
			ok[0] = true
			dict, sawDict := scanDict(t, c.tb, c.cols, ok)
			if !sawDict {
				t.Fatal("no batch carried host as a dictionary")
			}
			if strings.Join(plain, "\n") != strings.Join(dict, "\n") {
				t.Fatalf("dictionary scan differs:\n%s\nplain:\n%s", dict, plain)
			}
			if len(plain) == 0 {
				t.Fatal("no rows")
			}
		})
	}
}

// scanDict reads every split of tb with dictOK and renders the rows
// (dictionaries decoded), sorted; sawDict reports a dictionary batch.
func scanDict(t *testing.T, tb connectors.Table, cols []int, dictOK []bool) (out []string, sawDict bool) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	req := &connectors.ScanRequest{Schema: tb.Schema(), Columns: cols, DictOK: dictOK, Mem: mem, BatchSize: 7}
	splits, err := tb.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range splits {
		r, err := tb.Open(ctx, s, req)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := r.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for c := range int(b.NumCols()) {
				if !arrow.TypeEqual(b.Schema().Field(c).Type, b.Column(c).DataType()) {
					t.Fatalf("schema field %d is %s, column is %s", c, b.Schema().Field(c).Type, b.Column(c).DataType())
				}
			}
			if _, ok := b.Column(0).(*array.Dictionary); ok {
				sawDict = true
			}
			for i := range int(b.NumRows()) {
				var f []string
				for c := range int(b.NumCols()) {
					col := b.Column(c)
					if d, ok := col.(*array.Dictionary); ok {
						f = append(f, d.Dictionary().ValueStr(d.GetValueIndex(i)))
						continue
					}
					f = append(f, col.ValueStr(i))
				}
				out = append(out, strings.Join(f, "|"))
			}
			b.Release()
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(out)
	return out, sawDict
}
