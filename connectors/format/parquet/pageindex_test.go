package parquet

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
)

type pgRow struct {
	ID   int64   `parquet:"id"`
	Name string  `parquet:"name"`
	Grp  *int32  `parquet:"grp,optional"`
	Flag bool    `parquet:"flag"`
	Val  float64 `parquet:"val"`
	Dict string  `parquet:"dict,dict"`
}

func mkPgRow(i int) pgRow {
	r := pgRow{ID: int64(i), Name: fmt.Sprintf("n%05d", i), Flag: i%3 == 0, Val: float64(i) / 4, Dict: fmt.Sprintf("d%d", i%5)}
	if i%7 != 0 {
		g := int32(i % 50)
		r.Grp = &g
	}
	return r
}

func pgRowString(i int) string {
	r := mkPgRow(i)
	g := "(null)"
	if r.Grp != nil {
		g = fmt.Sprint(*r.Grp)
	}
	return fmt.Sprintf("%d|%s|%s|%v|%v|%s", r.ID, r.Name, g, r.Flag, r.Val, r.Dict)
}

var pgSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: types.Int64, Nullable: true},
	{Name: "name", Type: types.String, Nullable: true},
	{Name: "grp", Type: types.Int32, Nullable: true},
	{Name: "flag", Type: types.Boolean, Nullable: true},
	{Name: "val", Type: types.Float64, Nullable: true},
	{Name: "dict", Type: types.String, Nullable: true},
}, nil)

func writePg(t testing.TB, n int, opts ...pq.WriterOption) []byte {
	var buf bytes.Buffer
	w := pq.NewGenericWriter[pgRow](&buf, opts...)
	rows := make([]pgRow, n)
	for i := range rows {
		rows[i] = mkPgRow(i)
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// scanPg reads a file through PruneSplit and Open as a table would.
func scanPg(t *testing.T, data []byte, req *connectors.ScanRequest) []string {
	t.Helper()
	fs := memfs.New()
	fi := fs.Put("pg.parquet", data)
	return scanPgWith(t, &Format{cache: newFooterCache(4)}, fs, fi, req)
}

// scanPgWith reads file fi of fs with format f (and its footer cache).
func scanPgWith(t *testing.T, f *Format, fs connectors.FileSystem, fi connectors.FileInfo, req *connectors.ScanRequest) []string {
	t.Helper()
	ctx := context.Background()
	splits, err := f.Splits(ctx, fs, fi, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range splits {
		s, ok, dropped, err := f.PruneSplit(ctx, fs, s, req)
		if err != nil {
			t.Fatal(err)
		}
		if req.Stats != nil {
			req.Stats.RowGroupsTotal.Add(int64(dropped))
		}
		if !ok {
			continue
		}
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
			if rec.NumRows() == 0 {
				t.Fatal("empty batch")
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var p []string
				for _, c := range rec.Columns() {
					p = append(p, c.ValueStr(i))
				}
				out = append(out, strings.Join(p, "|"))
			}
			rec.Release()
		}
		r.Close()
	}
	return out
}

func TestPageIndexPruning(t *testing.T) {
	const n = 6000
	data := writePg(t, n, pq.MaxRowsPerRowGroup(n), pq.PageBufferSize(1024))
	cols := []int{0, 1, 2, 3, 4, 5}
	for _, tc := range []struct {
		name    string
		ranges  []connectors.Range
		match   func(i int) bool
		maxRows int64 // rows decoded at most
	}{
		{"id range", []connectors.Range{{Column: 0, Min: int64(2345), Max: int64(2400)}}, func(i int) bool { return i >= 2345 && i <= 2400 }, 1000},
		{"id in", []connectors.Range{{Column: 0, Values: []any{int64(17), int64(5999), int64(3000)}}}, func(i int) bool { return i == 17 || i == 5999 || i == 3000 }, 1000},
		{"two columns", []connectors.Range{{Column: 0, Min: int64(1000)}, {Column: 1, Max: "n01100"}}, func(i int) bool { return i >= 1000 && i <= 1100 }, 1000},
		{"disjoint", []connectors.Range{{Column: 0, Min: int64(4000)}, {Column: 1, Max: "n01100"}}, func(i int) bool { return false }, 0},
		{"nothing", []connectors.Range{{Column: 4, Min: 1e9}}, func(i int) bool { return false }, 0},
		{"nullable grp", []connectors.Range{{Column: 0, Max: int64(700)}, {Column: 2, Values: []any{int64(3)}, AllowNull: true}}, func(i int) bool { return i <= 700 && (i%7 == 0 || i%50 == 3) }, 2000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			stats := &connectors.ScanStats{}
			got := scanPg(t, data, &connectors.ScanRequest{Schema: pgSchema, Columns: cols, Ranges: tc.ranges, BatchSize: 100, Mem: mem, Stats: stats})
			seen := map[string]bool{}
			for _, g := range got {
				var id int
				fmt.Sscan(strings.SplitN(g, "|", 2)[0], &id)
				if g != pgRowString(id) {
					t.Fatalf("misaligned row: got %s want %s", g, pgRowString(id))
				}
				seen[g] = true
			}
			for i := 0; i < n; i++ {
				if tc.match(i) && !seen[pgRowString(i)] {
					t.Fatalf("row %d matches but was skipped", i)
				}
			}
			if rows := stats.RowsScanned.Load(); rows > tc.maxRows {
				t.Errorf("read %d rows, want at most %d (page pruning)", rows, tc.maxRows)
			}
			// Without ranges every row is read, identically.
			if len(tc.ranges) == 1 && tc.name == "id range" {
				all := scanPg(t, data, &connectors.ScanRequest{Schema: pgSchema, Columns: cols, BatchSize: 100, Mem: mem})
				if len(all) != n || all[2345] != got[indexOf(got, pgRowString(2345))] {
					t.Fatalf("full scan: %d rows", len(all))
				}
			}
		})
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestBloomFilter(t *testing.T) {
	data := writePg(t, 2000, pq.MaxRowsPerRowGroup(500), pq.BloomFilters(pq.SplitBlockFilter(10, "name"), pq.SplitBlockFilter(10, "id")))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		name   string
		r      connectors.Range
		groups int64
		rows   []int
	}{
		// Within row group 0's min/max: only the bloom filter can prune.
		{"absent string", connectors.Range{Column: 1, Values: []any{"n00042x", "n01000a"}}, 0, nil},
		{"present string", connectors.Range{Column: 1, Values: []any{"n00042", "n01000a"}}, 1, []int{42}},
		{"absent ints", connectors.Range{Column: 0, Values: []any{int64(-1), int64(5000)}}, 0, nil},
		{"present int", connectors.Range{Column: 0, Values: []any{int64(1999)}}, 1, []int{1999}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stats := &connectors.ScanStats{}
			got := scanPg(t, data, &connectors.ScanRequest{Schema: pgSchema, Columns: []int{0, 1, 2, 3, 4, 5}, Ranges: []connectors.Range{tc.r}, Mem: mem, Stats: stats})
			if stats.RowGroupsScanned.Load() > tc.groups {
				t.Errorf("scanned %d row groups, want at most %d", stats.RowGroupsScanned.Load(), tc.groups)
			}
			for _, i := range tc.rows {
				if indexOf(got, pgRowString(i)) < 0 {
					t.Errorf("row %d missing", i)
				}
			}
			if tc.rows == nil && len(got) != 0 {
				t.Errorf("%d rows from pruned row groups", len(got))
			}
		})
	}
}

func BenchmarkPagePruning(b *testing.B) {
	data := writePg(b, 200000, pq.MaxRowsPerRowGroup(200000))
	fs := memfs.New()
	fi := fs.Put("b.parquet", data)
	ctx := context.Background()
	for _, pruned := range []bool{false, true} {
		b.Run(fmt.Sprint("pruned=", pruned), func(b *testing.B) {
			var ranges []connectors.Range
			if pruned {
				ranges = []connectors.Range{{Column: 0, Min: int64(100000), Max: int64(101000)}}
			}
			f := New()
			for b.Loop() {
				r, err := f.Open(ctx, fs, connectors.Split{File: fi}, &connectors.ScanRequest{Schema: pgSchema, Columns: []int{0, 1, 3, 4}, Ranges: ranges, Mem: memory.DefaultAllocator})
				if err != nil {
					b.Fatal(err)
				}
				for {
					rec, err := r.Next(ctx)
					if err != nil {
						break
					}
					rec.Release()
				}
				r.Close()
			}
		})
	}
}

func TestUUID(t *testing.T) {
	type uRow struct {
		U [16]byte `parquet:"u,uuid"`
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[uRow](&buf)
	u := [16]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	w.Write([]uRow{{U: u}, {U: [16]byte{}}})
	w.Close()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fs := memfs.New()
	fi := fs.Put("u.parquet", buf.Bytes())
	s, err := New().InferSchema(context.Background(), fs, fi, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Field(0).Type.ID() != arrow.STRING {
		t.Fatalf("uuid column type %s", s.Field(0).Type)
	}
	r, err := New().Open(context.Background(), fs, connectors.Split{File: fi}, &connectors.ScanRequest{Schema: s, Columns: []int{0}, Mem: mem,
		Ranges: []connectors.Range{{Column: 0, Values: []any{"123e4567-e89b-12d3-a456-426614174000"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rec, err := r.Next(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	got := rec.Column(0).ValueStr(0) + "|" + rec.Column(0).ValueStr(1)
	if want := "123e4567-e89b-12d3-a456-426614174000|00000000-0000-0000-0000-000000000000"; got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
}
