package parquet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

// renderDict renders row i of a String or dictionary<int32, String> array.
func renderDict(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	if d, ok := a.(*array.Dictionary); ok {
		return d.Dictionary().(*array.String).Value(d.GetValueIndex(i))
	}
	return render(a, i)
}

// readRecords reads every batch of path (all splits), keeping them.
func readRecords(t *testing.T, path string, req *connectors.ScanRequest) []arrow.RecordBatch {
	t.Helper()
	ctx := context.Background()
	fs := local.New()
	fi, err := fs.Stat(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	f := New()
	splits, err := f.Splits(ctx, fs, fi, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []arrow.RecordBatch
	for _, s := range splits {
		r, err := f.Open(ctx, fs, s, req)
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
			out = append(out, rec)
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestDictOutput reads dictionary-encoded columns as Arrow dictionaries
// (with and without NULLs, several row groups and pages, tiny batches)
// and checks every value, that a plain-encoded column stays plain, that
// batches of one row group share one dictionary, and that the shared
// dictionary outlives the reader and is freed with the last batch.
func TestDictOutput(t *testing.T) {
	const n = 10007
	path := writeDictFile(t, n) // row groups of 2500 rows, small pages
	modes := dictModes()
	for _, bs := range []int{1, 7, 1024, 4096} {
		for _, ok := range [][]bool{{true, true, true}, {true, false, false}, nil, {true}} {
			t.Run(fmt.Sprintf("batch%d/%v", bs, ok), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				recs := readRecords(t, path, &connectors.ScanRequest{Schema: dictSchema, Columns: []int{0, 1, 2}, BatchSize: bs, Mem: mem, DictOK: ok})
				row, dicts := 0, 0
				var lastDict arrow.ArrayData
				lastRG := -1
				for _, rec := range recs {
					for c := 0; c < 3; c++ {
						col := rec.Column(c)
						isDict := col.DataType().ID() == arrow.DICTIONARY
						want := len(ok) == 3 && ok[c] && c < 2
						if isDict != want {
							t.Fatalf("row %d column %d: dictionary=%v, want %v", row, c, isDict, want)
						}
						if !arrow.TypeEqual(rec.Schema().Field(c).Type, col.DataType()) {
							t.Fatalf("schema type %s for a %s column", rec.Schema().Field(c).Type, col.DataType())
						}
						if isDict && c == 0 {
							dicts++
							d := col.Data().Dictionary()
							rg := row / 2500
							if rg == lastRG && row%2500 != 0 && d != lastDict {
								t.Fatalf("row %d: batches of one row group use different dictionaries", row)
							}
							lastDict, lastRG = d, rg
						}
					}
					for i := 0; i < int(rec.NumRows()); i++ {
						opt := "NULL"
						if row%5 != 3 {
							opt = modes[row%3]
						}
						want := []string{modes[(row*7+row/3)%len(modes)], opt, fmt.Sprintf("t%d", row)}
						for c := range want {
							if got := renderDict(rec.Column(c), i); got != want[c] {
								t.Fatalf("row %d column %d: got %q, want %q", row, c, got, want[c])
							}
						}
						row++
					}
				}
				if row != n {
					t.Fatalf("%d rows, want %d", row, n)
				}
				if len(ok) == 3 && dicts == 0 {
					t.Fatal("no dictionary arrays")
				}
				for _, rec := range recs {
					rec.Release()
				}
			})
		}
	}
}

// TestDictIndexesInRange checks the index range check.
func TestDictIndexesInRange(t *testing.T) {
	for _, tc := range []struct {
		idx  []int32
		n    int
		want bool
	}{
		{nil, 0, true}, {[]int32{0}, 0, false}, {[]int32{0, 1, 2}, 3, true}, {[]int32{0, 3}, 3, false},
		{[]int32{-1}, 3, false}, {[]int32{-2147483648}, 5, false}, {[]int32{2147483647}, 5, false},
	} {
		if got := indexesInRange(tc.idx, tc.n); got != tc.want {
			t.Errorf("indexesInRange(%v, %d) = %v, want %v", tc.idx, tc.n, got, tc.want)
		}
	}
}

// BenchmarkScanDictOutput reads a dictionary-encoded, non-NULL string
// column (as TPC-H's l_shipmode) of 1M rows as plain strings (the
// gatherStrings path) and as Arrow dictionaries, with process CPU per op.
func BenchmarkScanDictOutput(b *testing.B) {
	const n = 1 << 20
	modes := dictModes()
	rows := make([]dictRow, n)
	for i := range rows {
		rows[i] = dictRow{Mode: modes[(i*7+i/3)%len(modes)]}
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[dictRow](&buf, pq.MaxRowsPerRowGroup(128<<10))
	if _, err := w.Write(rows); err != nil {
		b.Fatal(err)
	}
	w.Close()
	path := filepath.Join(b.TempDir(), "dict.parquet")
	os.WriteFile(path, buf.Bytes(), 0o644)
	ctx := context.Background()
	fs := local.New()
	fi, _ := fs.Stat(ctx, path)
	f := New()
	splits, _ := f.Splits(ctx, fs, fi, nil)
	for _, mode := range []string{"plain", "dict"} {
		b.Run(mode, func(b *testing.B) {
			req := &connectors.ScanRequest{Schema: dictSchema, Columns: []int{0}, BatchSize: 8192, Mem: memory.DefaultAllocator}
			if mode == "dict" {
				req.DictOK = []bool{true}
			}
			b.SetBytes(n)
			b.ResetTimer()
			cpu0 := processCPU()
			for it := 0; it < b.N; it++ {
				total := scanRows(b, f, fs, splits, req)
				if total != n {
					b.Fatalf("%d rows", total)
				}
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

type fallbackRow struct {
	S *string `parquet:"s,optional,dict"`
}

// TestDictFallbackToPlain reads a dictionary column whose writer fell
// back to plain pages part way through each row group (the dictionary
// outgrew its limit): batches that start on plain pages are plain,
// batches that cross from dictionary to plain pages are converted, all
// values (NULLs included) are right and nothing leaks.
func TestDictFallbackToPlain(t *testing.T) {
	const n = 5000
	want := make([]string, n)
	rows := make([]fallbackRow, n)
	for i := range rows {
		want[i] = "NULL"
		if i%9 == 4 {
			continue
		}
		// Few values first, then ever more distinct ones.
		s := fmt.Sprintf("v%d", i%7)
		if i%1000 >= 300 {
			s = fmt.Sprintf("w%d", i)
		}
		rows[i].S, want[i] = &s, s
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[fallbackRow](&buf, pq.MaxRowsPerRowGroup(1000), pq.PageBufferSize(256), pq.DictionaryMaxBytes(512))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fallback.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	for _, bs := range []int{1, 7, 250, 1000} {
		t.Run(fmt.Sprint("batch", bs), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			recs := readRecords(t, path, &connectors.ScanRequest{Schema: schema, Columns: []int{0}, BatchSize: bs, Mem: mem, DictOK: []bool{true}})
			row, dicts, plains := 0, 0, 0
			for _, rec := range recs {
				c := rec.Column(0)
				if c.DataType().ID() == arrow.DICTIONARY {
					dicts++
				} else {
					plains++
				}
				for i := 0; i < c.Len(); i++ {
					if got := renderDict(c, i); got != want[row] {
						t.Fatalf("row %d: got %q, want %q", row, got, want[row])
					}
					row++
				}
				rec.Release()
			}
			if row != n {
				t.Fatalf("%d rows, want %d", row, n)
			}
			if bs < 300 && (dicts == 0 || plains == 0) {
				t.Fatalf("%d dictionary and %d plain batches: the file does not fall back", dicts, plains)
			}
			if bs == 1000 && dicts != 0 {
				// Every row group's batch starts on dictionary pages and
				// ends on plain ones: converted.
				t.Fatalf("%d dictionary batches, want 0", dicts)
			}
		})
	}
}
