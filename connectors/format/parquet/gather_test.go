package parquet

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/colbuf"
)

func TestGatherStrings(t *testing.T) {
	// Dictionary: "", "a", "bcd", "ef".
	data := []byte("abcdef")
	offs := []uint32{0, 0, 1, 4, 6}
	for _, tc := range []struct {
		name string
		offs []uint32
		idx  []int32
		defs []byte   // nil: no NULLs; else 1 = value, 0 = NULL
		want []string // nil: must fail; "<NULL>" is a NULL
	}{
		{"empty", offs, nil, nil, []string{}},
		{"all", offs, []int32{3, 2, 1, 0, 2, 2, 3}, nil, []string{"ef", "bcd", "a", "", "bcd", "bcd", "ef"}},
		{"index past end", offs, []int32{1, 4}, nil, nil},
		{"negative index", offs, []int32{0, -1}, nil, nil},
		{"decreasing offsets", []uint32{0, 3, 1, 6}, []int32{0, 1}, nil, nil},
		{"offset past data", []uint32{0, 2, 9}, []int32{0, 1}, nil, nil},
		{"no dictionary", nil, []int32{0}, nil, nil},
		{"nulls", offs, []int32{3, 1, 0}, []byte{0, 1, 0, 0, 1, 1, 0}, []string{"<NULL>", "ef", "<NULL>", "<NULL>", "a", "", "<NULL>"}},
		{"all nulls", offs, nil, []byte{0, 0}, []string{"<NULL>", "<NULL>"}},
		{"nulls, index past end", offs, []int32{3, 9}, []byte{1, 0, 1}, nil},
		{"nulls, too few indexes", offs, []int32{3}, []byte{1, 0, 1}, nil},
		{"nulls, too many indexes", offs, []int32{3, 1, 2}, []byte{1, 0, 1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rows := len(tc.idx)
			if tc.defs != nil {
				rows = len(tc.defs)
			}
			out := colbuf.NewStrings(mem, rows+1, 1)
			out.AppendString("x") // gathers append after what is there
			ok := gatherStrings(out, data, tc.offs, tc.idx, tc.defs, 1)
			if ok != (tc.want != nil) {
				out.Release()
				t.Fatalf("ok = %v, want %v", ok, tc.want != nil)
			}
			if !ok {
				out.Release()
				return
			}
			a := out.Finish().(*array.String)
			defer a.Release()
			got := []string{}
			for i := 1; i < a.Len(); i++ {
				if a.IsNull(i) {
					got = append(got, "<NULL>")
				} else {
					got = append(got, a.Value(i))
				}
			}
			if a.Value(0) != "x" || strings.Join(got, ",") != strings.Join(tc.want, ",") || len(got) != len(tc.want) {
				t.Fatalf("got %q then %q, want \"x\" then %q", a.Value(0), got, tc.want)
			}
		})
	}
}

type dictRow struct {
	Mode string  `parquet:"mode,dict"`
	Opt  *string `parquet:"opt,optional,dict"`
	Txt  string  `parquet:"txt"`
}

func dictModes() []string {
	return []string{"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK", ""}
}

// writeDictFile writes n rows whose mode and opt columns are
// dictionary-encoded (opt with NULLs), in small pages and row groups so
// that batches cross page and row-group boundaries.
func writeDictFile(t testing.TB, n int) string {
	t.Helper()
	modes := dictModes()
	rows := make([]dictRow, n)
	for i := range rows {
		rows[i] = dictRow{Mode: modes[(i*7+i/3)%len(modes)], Txt: fmt.Sprintf("t%d", i)}
		if i%5 != 3 {
			s := modes[i%3]
			rows[i].Opt = &s
		}
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[dictRow](&buf, pq.MaxRowsPerRowGroup(2500), pq.PageBufferSize(512))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "dict.parquet")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

var dictSchema = arrow.NewSchema([]arrow.Field{
	{Name: "mode", Type: types.String}, {Name: "opt", Type: types.String, Nullable: true}, {Name: "txt", Type: types.String},
}, nil)

// TestReadDictStrings reads dictionary-encoded strings with and without
// NULLs (the gather fast path and the general loop) at several batch
// sizes and checks every value.
func TestReadDictStrings(t *testing.T) {
	const n = 10007
	path := writeDictFile(t, n)
	modes := dictModes()
	for _, bs := range []int{1, 7, 1024, 4096} {
		t.Run(fmt.Sprint("batch", bs), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			got, err := scanAll(t, path, &connectors.ScanRequest{Schema: dictSchema, Columns: []int{0, 1, 2}, BatchSize: bs, Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != n {
				t.Fatalf("%d rows, want %d", len(got), n)
			}
			for i, r := range got {
				opt := "NULL"
				if i%5 != 3 {
					opt = modes[i%3]
				}
				want := []string{modes[(i*7+i/3)%len(modes)], opt, fmt.Sprintf("t%d", i)}
				if strings.Join(r, "|") != strings.Join(want, "|") {
					t.Fatalf("row %d: got %q, want %q", i, r, want)
				}
			}
		})
	}
}

// processCPU is the process's user+system CPU time in nanoseconds: on a
// shared machine it measures the work more steadily than wall time.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkGatherStrings gathers 8192 short dictionary strings per op:
// the checked gather against appending value by value (the general loop).
func BenchmarkGatherStrings(b *testing.B) {
	var data []byte
	offs := []uint32{0}
	for _, m := range dictModes() {
		data = append(data, m...)
		offs = append(offs, uint32(len(data)))
	}
	idx := make([]int32, 8192)
	for i := range idx {
		idx[i] = int32((i*7 + i/3) % (len(offs) - 1))
	}
	mem := memory.NewGoAllocator()
	b.Run("gather", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out := colbuf.NewStrings(mem, len(idx), 64)
			if !gatherStrings(out, data, offs, idx, nil, 0) {
				b.Fatal("gather failed")
			}
			out.Release()
		}
	})
	b.Run("append", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			out := colbuf.NewStrings(mem, len(idx), 64)
			for _, x := range idx {
				out.Append(data[offs[x]:offs[x+1]])
			}
			out.Release()
		}
	})
}
