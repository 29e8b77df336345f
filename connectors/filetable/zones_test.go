package filetable

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/csv"
	"github.com/tarnsql/tarn/internal/testfiles"
)

// zoneFixture writes CSV files (id BIGINT, name VARCHAR, v BIGINT) and
// returns a catalog table over them.
func zoneFixture(t *testing.T, files map[string]string) (*catalog.Table, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ct := &catalog.Table{Database: "db", Name: "t", Kind: catalog.KindExternal, Format: "csv", Location: dir,
		Columns: []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "VARCHAR"}, {Name: "v", Type: "BIGINT"}}}
	return ct, dir
}

// computeZones reads every split of ct the way ANALYZE does and
// records per-file and per-block zone maps of all columns (a local
// stand-in for engine/ddl_analyze_zones.go, which cannot be imported
// here).
func computeZones(t *testing.T, ct *catalog.Table) *catalog.ZoneMaps {
	t.Helper()
	ctx := context.Background()
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	req := &connectors.ScanRequest{Schema: tb.Schema(), Columns: []int{0, 1, 2}}
	splits, err := tb.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	zm := &catalog.ZoneMaps{Columns: []string{"id", "name", "v"}}
	type acc struct {
		rows  int64
		lo    [3]any
		hi    [3]any
		nulls [3]int64
	}
	finish := func(a *acc) []catalog.ColumnZone {
		out := make([]catalog.ColumnZone, 3)
		for c := range 3 {
			out[c].Nulls = a.nulls[c]
			if a.lo[c] == nil {
				continue
			}
			if c == 1 {
				out[c].Min, out[c].Max = "'"+a.lo[c].(string)+"'", "'"+a.hi[c].(string)+"'"
			} else {
				out[c].Min, out[c].Max = fmt.Sprint(a.lo[c]), fmt.Sprint(a.hi[c])
			}
		}
		return out
	}
	add := func(a *acc, c int, v any) {
		if a.lo[c] == nil {
			a.lo[c], a.hi[c] = v, v
			return
		}
		if x, ok := v.(int64); ok {
			a.lo[c], a.hi[c] = min(a.lo[c].(int64), x), max(a.hi[c].(int64), x)
		} else {
			s := v.(string)
			a.lo[c], a.hi[c] = min(a.lo[c].(string), s), max(a.hi[c].(string), s)
		}
	}
	for _, s := range splits {
		var a acc
		for _, row := range readSplit(t, tb, s, req) {
			a.rows++
			for c, v := range row {
				if v == nil {
					a.nulls[c]++
				} else {
					add(&a, c, v)
				}
			}
		}
		b := catalog.BlockZone{Offset: s.Offset, Length: s.Length, Rows: a.rows, Cols: finish(&a)}
		if b.Length == 0 {
			b.Length = s.File.Size
		}
		n := len(zm.Files)
		if n == 0 || zm.Files[n-1].Path != s.File.Path {
			zm.Files = append(zm.Files, catalog.FileZone{Path: s.File.Path, Size: s.File.Size, ModTime: s.File.ModTime, Cols: make([]catalog.ColumnZone, 3)})
			n++
		}
		f := &zm.Files[n-1]
		f.Blocks = append(f.Blocks, b)
	}
	// File-level bounds from the blocks; single-block files keep no blocks.
	for i := range zm.Files {
		f := &zm.Files[i]
		var a acc
		for _, b := range f.Blocks {
			a.rows += b.Rows
			for c := range 3 {
				a.nulls[c] += b.Cols[c].Nulls
				if b.Cols[c].Min == "" {
					continue
				}
				lo, hi := zoneBound(b.Cols[c].Min, colType(c)), zoneBound(b.Cols[c].Max, colType(c))
				add(&a, c, lo)
				add(&a, c, hi)
			}
		}
		f.Rows, f.Cols = a.rows, finish(&a)
		if len(f.Blocks) == 1 {
			f.Blocks = nil
		}
	}
	return zm
}

func colType(c int) arrow.DataType {
	if c == 1 {
		return arrow.BinaryTypes.String
	}
	return arrow.PrimitiveTypes.Int64
}

// readSplit reads a split's rows as Go values (nil for NULL).
func readSplit(t *testing.T, tb connectors.Table, s connectors.Split, req *connectors.ScanRequest) [][]any {
	t.Helper()
	ctx := context.Background()
	r, err := tb.Open(ctx, s, req)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out [][]any
	for {
		b, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < int(b.NumRows()); i++ {
			row := make([]any, b.NumCols())
			for c := range row {
				col := b.Column(c)
				if col.IsNull(i) {
					continue
				}
				switch a := col.(type) {
				case *array.Int64:
					row[c] = a.Value(i)
				case *array.Int32:
					row[c] = int64(a.Value(i))
				case *array.String:
					row[c] = a.Value(i)
				case *array.Timestamp:
					row[c] = int64(a.Value(i))
				default:
					t.Fatalf("unexpected column type %s", col.DataType())
				}
			}
			out = append(out, row)
		}
		b.Release()
	}
	return out
}

// scanIDs plans a scan with ranges and returns the files kept, the ids
// read (sorted) and the bytes the splits cover.
func scanIDs(t *testing.T, tb connectors.Table, ranges []connectors.Range) (files []string, ids []int64, bytes int64) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	req := &connectors.ScanRequest{Schema: tb.Schema(), Columns: []int{0}, Ranges: ranges, Mem: mem, Stats: &connectors.ScanStats{}}
	splits, err := tb.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range splits {
		name := filepath.Base(s.File.Path)
		if !slices.Contains(files, name) {
			files = append(files, name)
		}
		n, err := tb.(*Table).SplitBytes(ctx, s, req)
		if err != nil {
			t.Fatal(err)
		}
		bytes += n
		for _, row := range readSplit(t, tb, s, req) {
			ids = append(ids, row[0].(int64))
		}
	}
	if got := req.Stats.FilesScanned.Load(); got != int64(len(files)) {
		t.Fatalf("FilesScanned %d, files with splits %v", got, files)
	}
	slices.Sort(files)
	slices.Sort(ids)
	return files, ids, bytes
}

func TestZoneMapPruning(t *testing.T) {
	files := map[string]string{
		"a.csv": "1,ann,10\n2,bob,\n3,cid,30\n",
		"b.csv": "4,dee,\n5,eve,\n6,fay,\n", // v all NULL
		"c.csv": "7,gus,70\n8,hal,80\n9,ivy,90\n",
	}
	ct, dir := zoneFixture(t, files)
	ct.Stats = &catalog.TableStats{Rows: 9, Zones: computeZones(t, ct)}
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		ranges []connectors.Range
		files  string
	}{
		{"no ranges", nil, "a.csv b.csv c.csv"},
		{"min", []connectors.Range{{Column: 0, Min: int64(5)}}, "b.csv c.csv"},
		{"max", []connectors.Range{{Column: 0, Max: int64(3)}}, "a.csv"},
		{"between", []connectors.Range{{Column: 0, Min: int64(4), Max: int64(6)}}, "b.csv"},
		{"none", []connectors.Range{{Column: 0, Min: int64(100)}}, ""},
		{"in", []connectors.Range{{Column: 0, Values: []any{int64(2), int64(8)}}}, "a.csv c.csv"},
		{"in none", []connectors.Range{{Column: 0, Values: []any{int64(0), int64(10)}}}, ""},
		{"string eq", []connectors.Range{{Column: 1, Values: []any{"eve"}, Min: "eve", Max: "eve"}}, "b.csv"},
		{"string prefix", []connectors.Range{{Column: 1, Min: "g", Max: "h\xff"}}, "c.csv"},
		{"all null column", []connectors.Range{{Column: 2, Min: int64(0)}}, "a.csv c.csv"},
		{"all null, nulls allowed", []connectors.Range{{Column: 2, Min: int64(0), AllowNull: true}}, "a.csv b.csv c.csv"},
		{"two columns", []connectors.Range{{Column: 0, Max: int64(8)}, {Column: 2, Min: int64(75)}}, "c.csv"},
		{"incomparable type keeps", []connectors.Range{{Column: 0, Min: "x"}}, "a.csv b.csv c.csv"},
		{"path", []connectors.Range{{Column: 3, Values: []any{filepath.Join(dir, "b.csv")}}}, "b.csv"},
		{"path prefix", []connectors.Range{{Column: 3, Min: filepath.Join(dir, "c"), Max: filepath.Join(dir, "c\xff")}}, "c.csv"},
		{"file size", []connectors.Range{{Column: 4, Min: int64(len(files["c.csv"]))}}, "c.csv"},
	}
	hb := tb.(*Table).WithHiddenColumns()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ids, _ := scanIDs(t, hb, tc.ranges)
			if strings.Join(got, " ") != tc.files {
				t.Fatalf("files %v, want %s", got, tc.files)
			}
			// Every id of a kept file is read: pruning never drops rows of
			// the files it keeps.
			want := 0
			for _, f := range got {
				want += strings.Count(files[f], "\n")
			}
			if len(ids) != want {
				t.Fatalf("read %d rows, want %d", len(ids), want)
			}
		})
	}
}

func TestZoneMapStaleAndNewFiles(t *testing.T) {
	ct, dir := zoneFixture(t, map[string]string{
		"a.csv": "1,ann,10\n2,bob,20\n",
		"b.csv": "3,cid,30\n4,dee,40\n",
	})
	ct.Stats = &catalog.TableStats{Rows: 4, Zones: computeZones(t, ct)}
	rng := []connectors.Range{{Column: 0, Min: int64(3)}}
	tb, _ := New(ct)
	if files, _, _ := scanIDs(t, tb, rng); strings.Join(files, " ") != "b.csv" {
		t.Fatalf("fresh zone maps: files %v", files)
	}
	// a.csv changes (new content, same size): its zone map is stale by
	// modification time and it must be read.
	p := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(p, []byte("9,ann,10\n2,bob,20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	// c.csv is new: no zone map, read in full.
	if err := os.WriteFile(filepath.Join(dir, "c.csv"), []byte("5,eve,50\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tb, _ = New(ct)
	files, ids, _ := scanIDs(t, tb, rng)
	if strings.Join(files, " ") != "a.csv b.csv c.csv" {
		t.Fatalf("stale/new files: %v", files)
	}
	if !slices.Contains(ids, 9) {
		t.Fatalf("row of the changed file missing: %v", ids)
	}
	// A changed size alone also makes the zone map stale.
	ct2, dir2 := zoneFixture(t, map[string]string{"a.csv": "1,ann,10\n"})
	ct2.Stats = &catalog.TableStats{Rows: 1, Zones: computeZones(t, ct2)}
	fi, _ := os.Stat(filepath.Join(dir2, "a.csv"))
	if err := os.WriteFile(filepath.Join(dir2, "a.csv"), []byte("1,ann,10\n77,x,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(dir2, "a.csv"), fi.ModTime(), fi.ModTime())
	tb2, _ := New(ct2)
	if _, ids, _ := scanIDs(t, tb2, []connectors.Range{{Column: 0, Min: int64(50)}}); !slices.Equal(ids, []int64{1, 77}) {
		t.Fatalf("size-changed file: ids %v", ids)
	}
}

// TestZoneMapBlocks checks block granularity on a CSV cut into many
// byte-range splits, with quoted fields holding newlines across block
// boundaries: the rows read after block pruning are exactly the rows of
// the surviving blocks, each once, and include every matching row.
func TestZoneMapBlocks(t *testing.T) {
	old := csv.SplitSize
	csv.SplitSize = 64
	defer func() { csv.SplitSize = old }()
	var b strings.Builder
	var all []int64
	for i := int64(1); i <= 60; i++ {
		name := fmt.Sprintf("n%02d", i)
		if i%7 == 3 {
			name = fmt.Sprintf("\"multi\nline,\n%02d\"", i) // a quoted newline
		}
		fmt.Fprintf(&b, "%d,%s,%d\n", i, name, i*10)
		all = append(all, i)
	}
	body := b.String()
	crossing := 0 // quoted newlines with a block boundary inside their field
	for off := 0; ; {
		i := strings.Index(body[off:], "\"multi")
		if i < 0 {
			break
		}
		lo := off + i
		hi := lo + 1 + strings.IndexByte(body[lo+1:], '"')
		if lo/64 != hi/64 {
			crossing++
		}
		off = hi + 1
	}
	if crossing == 0 {
		t.Fatal("fixture: no quoted newline crosses a block boundary")
	}
	ct, _ := zoneFixture(t, map[string]string{"big.csv": body})
	zm := computeZones(t, ct)
	if len(zm.Files) != 1 || len(zm.Files[0].Blocks) < 10 {
		t.Fatalf("expected one file with many blocks, got %+v", zm.Files)
	}
	var rows int64
	for _, bl := range zm.Files[0].Blocks {
		rows += bl.Rows
	}
	if rows != 60 {
		t.Fatalf("blocks hold %d rows, want 60", rows)
	}
	ct.Stats = &catalog.TableStats{Rows: 60, Zones: zm}
	tb, _ := New(ct)
	_, full, fullBytes := scanIDs(t, tb, nil)
	if !slices.Equal(full, all) {
		t.Fatalf("full scan ids %v", full)
	}
	tests := []struct {
		name   string
		ranges []connectors.Range
		match  func(id int64) bool
	}{
		{"head", []connectors.Range{{Column: 0, Max: int64(5)}}, func(id int64) bool { return id <= 5 }},
		{"tail", []connectors.Range{{Column: 0, Min: int64(52)}}, func(id int64) bool { return id >= 52 }},
		{"middle", []connectors.Range{{Column: 0, Min: int64(24), Max: int64(31)}}, func(id int64) bool { return id >= 24 && id <= 31 }},
		{"multiline row", []connectors.Range{{Column: 0, Values: []any{int64(17), int64(45)}}}, func(id int64) bool { return id == 17 || id == 45 }},
		{"value column", []connectors.Range{{Column: 2, Min: int64(300), Max: int64(320)}}, func(id int64) bool { return id >= 30 && id <= 32 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, ids, n := scanIDs(t, tb, tc.ranges)
			if n >= fullBytes/2 {
				t.Fatalf("read %d of %d bytes: blocks not pruned", n, fullBytes)
			}
			seen := map[int64]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("id %d read twice: %v", id, ids)
				}
				seen[id] = true
			}
			for _, id := range all {
				if tc.match(id) && !seen[id] {
					t.Fatalf("matching id %d not read (read %v)", id, ids)
				}
			}
		})
	}
}

func TestHiddenColumns(t *testing.T) {
	ct, dir := zoneFixture(t, map[string]string{"a.csv": "1,ann,10\n2,bob,20\n", "b.csv": "3,cid,30\n"})
	tb, _ := New(ct)
	h := tb.(*Table).WithHiddenColumns()
	if tb.Schema().NumFields() != 3 || h.Schema().NumFields() != 6 {
		t.Fatalf("schemas %v / %v", tb.Schema(), h.Schema())
	}
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, cols := range [][]int{{3, 0, 4, 5}, {3}, {5, 1}} {
		req := &connectors.ScanRequest{Schema: h.Schema(), Columns: cols, Mem: mem, BatchSize: 1}
		splits, err := h.Splits(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, s := range splits {
			fi, _ := os.Stat(s.File.Path)
			r, err := h.Open(ctx, s, req)
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
				for c, ci := range cols {
					if b.Schema().Field(c).Name != h.Schema().Field(ci).Name {
						t.Fatalf("column %d is %s", c, b.Schema().Field(c).Name)
					}
					col := b.Column(c)
					for i := 0; i < col.Len(); i++ {
						switch ci {
						case 3:
							if got := col.(*array.String).Value(i); got != s.File.Path || !strings.HasPrefix(got, dir) {
								t.Fatalf("$path %q, want %q", got, s.File.Path)
							}
						case 4:
							if got := col.(*array.Int64).Value(i); got != fi.Size() {
								t.Fatalf("$file_size %d, want %d", got, fi.Size())
							}
						case 5:
							if got := int64(col.(*array.Timestamp).Value(i)); got != fi.ModTime().UnixMicro() {
								t.Fatalf("$file_modified_time %d, want %d", got, fi.ModTime().UnixMicro())
							}
						}
					}
				}
				n += int(b.NumRows())
				b.Release()
			}
			r.Close()
		}
		if n != 3 {
			t.Fatalf("columns %v: %d rows", cols, n)
		}
	}
}

// BenchmarkZoneMapPlanning measures Splits (listing, zone-map lookup and
// pruning) over 10,000 files that all have zone maps.
func BenchmarkZoneMapPlanning(b *testing.B) {
	dir := b.TempDir()
	const nFiles = 10000
	zm := &catalog.ZoneMaps{Columns: []string{"id", "name", "v"}}
	for i := range nFiles {
		p := filepath.Join(dir, fmt.Sprintf("f%05d.csv", i))
		body := fmt.Sprintf("%d,n%d,%d\n%d,n%d,%d\n", 2*i, i, i, 2*i+1, i, i)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
		fi, _ := os.Stat(p)
		zm.Files = append(zm.Files, catalog.FileZone{Path: p, Size: fi.Size(), ModTime: fi.ModTime(), Rows: 2,
			Cols: []catalog.ColumnZone{{Min: fmt.Sprint(2 * i), Max: fmt.Sprint(2*i + 1)}, {Min: fmt.Sprintf("'n%d'", i), Max: fmt.Sprintf("'n%d'", i)}, {Min: fmt.Sprint(i), Max: fmt.Sprint(i)}}})
	}
	ct := &catalog.Table{Database: "db", Name: "t", Kind: catalog.KindExternal, Format: "csv", Location: dir,
		Columns: []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "VARCHAR"}, {Name: "v", Type: "BIGINT"}},
		Stats:   &catalog.TableStats{Rows: 2 * nFiles, Zones: zm}}
	ctx := context.Background()
	// The zone-map work alone (no listing): decode and check every file.
	b.Run("prune-only", func(b *testing.B) {
		tb, _ := New(ct)
		infos, err := tb.(*Table).files(ctx)
		if err != nil {
			b.Fatal(err)
		}
		req := &connectors.ScanRequest{Ranges: []connectors.Range{{Column: 0, Min: int64(1000), Max: int64(1999)}}}
		for b.Loop() {
			fp := tb.(*Table).newFilePruner(req, tb.Schema(), ct.Stats, nil)
			kept := 0
			for _, f := range infos {
				if _, ok := fp.file(f); ok {
					kept++
				}
			}
			if kept != 500 {
				b.Fatalf("kept %d", kept)
			}
		}
	})
	for _, bc := range []struct {
		name   string
		ranges []connectors.Range
		want   int
	}{
		{"no-ranges", nil, nFiles},
		{"id-range", []connectors.Range{{Column: 0, Min: int64(1000), Max: int64(1999)}}, 500},
		{"two-columns", []connectors.Range{{Column: 0, Min: int64(1000)}, {Column: 1, Values: []any{"n700", "n9999"}}}, 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				tb, err := New(ct)
				if err != nil {
					b.Fatal(err)
				}
				sp, err := tb.Splits(ctx, &connectors.ScanRequest{Schema: tb.Schema(), Columns: []int{0}, Ranges: bc.ranges})
				if err != nil {
					b.Fatal(err)
				}
				if len(sp) != bc.want {
					b.Fatalf("%d splits, want %d", len(sp), bc.want)
				}
			}
		})
	}
}

// TestZoneScan checks the zone maps ZoneScan builds against the
// row-by-row oracle computeZones, on whole files and on a file cut into
// blocks.
func TestZoneScan(t *testing.T) {
	old := csv.SplitSize
	defer func() { csv.SplitSize = old }()
	var big strings.Builder
	for i := 1; i <= 40; i++ {
		if i%5 == 0 {
			fmt.Fprintf(&big, "%d,\"x\ny%d\",\n", i, i)
		} else {
			fmt.Fprintf(&big, "%d,n%02d,%d\n", i, i, 1000-i)
		}
	}
	for _, tc := range []struct {
		name  string
		split int64
		files map[string]string
	}{
		{"whole files", old, map[string]string{"a.csv": "1,ann,10\n2,bob,\n", "b.csv": "3,,\n4,it's,-5\n", "empty.csv": ""}},
		{"blocks", 48, map[string]string{"big.csv": big.String(), "small.csv": "99,z,1\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			csv.SplitSize = tc.split
			ct, _ := zoneFixture(t, tc.files)
			want := computeZones(t, ct)
			tb, _ := New(ct)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			batches := 0
			zs := &ZoneScan{Table: tb, Columns: []int{0, 1, 2}, Parallel: 3, BatchSize: 3, Mem: mem,
				Observe: func(int, arrow.RecordBatch) error { batches++; return nil }}
			splits, err := zs.Plan(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			zs.Parallel = 1 // Observe counts without a lock
			res, err := zs.Run(context.Background(), splits)
			if err != nil {
				t.Fatal(err)
			}
			// The oracle quotes strings without escaping: fix up "it's".
			for i := range want.Files {
				for c := range want.Files[i].Cols {
					z := &want.Files[i].Cols[c]
					z.Min, z.Max = strings.ReplaceAll(z.Min, "it's", "it''s"), strings.ReplaceAll(z.Max, "it's", "it''s")
				}
			}
			if fmt.Sprint(res.Zones) != fmt.Sprint(want) {
				t.Fatalf("zone maps\n got %+v\nwant %+v", res.Zones, want)
			}
			var rows int64
			for _, f := range want.Files {
				rows += f.Rows
			}
			if res.Rows != rows || batches == 0 {
				t.Fatalf("rows %d (want %d), %d batches observed", res.Rows, rows, batches)
			}
		})
	}
}

// TestPartitionZoneMaps checks pruning with partitions' zone maps and
// the hidden columns of a partitioned table (after the keys).
func TestPartitionZoneMaps(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, body string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("dt=1/a.csv", "1,ann,10\n2,bob,20\n")
	write("dt=1/b.csv", "3,cid,30\n")
	write("dt=2/c.csv", "4,dee,40\n5,eve,50\n")
	ct := &catalog.Table{Database: "db", Name: "p", Kind: catalog.KindExternal, Format: "csv", Location: dir,
		Columns:       []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "VARCHAR"}, {Name: "v", Type: "BIGINT"}},
		PartitionKeys: []catalog.Column{{Name: "dt", Type: "INT"}}}
	parts := []catalog.Partition{{Values: []string{"1"}, Location: filepath.Join(dir, "dt=1")}, {Values: []string{"2"}, Location: filepath.Join(dir, "dt=2")}}
	for i := range parts {
		pct := *ct
		pct.PartitionKeys, pct.Location = nil, parts[i].Location
		parts[i].Stats = &catalog.TableStats{Rows: -1, Zones: computeZones(t, &pct)}
	}
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	sel, err := tb.(connectors.PartitionedTable).WithPartitions(parts, 2)
	if err != nil {
		t.Fatal(err)
	}
	h := sel.(*Table).WithHiddenColumns()
	if got := h.Schema().Field(4).Name; got != PathColumn {
		t.Fatalf("field 4 is %s", got)
	}
	tests := []struct {
		ranges []connectors.Range
		files  string
		ids    []int64
	}{
		{nil, "a.csv b.csv c.csv", []int64{1, 2, 3, 4, 5}},
		{[]connectors.Range{{Column: 0, Min: int64(3), Max: int64(4)}}, "b.csv c.csv", []int64{3, 4, 5}},
		{[]connectors.Range{{Column: 2, Values: []any{int64(20)}}}, "a.csv", []int64{1, 2}},
		{[]connectors.Range{{Column: 4, Values: []any{filepath.Join(dir, "dt=2", "c.csv")}}}, "c.csv", []int64{4, 5}},
		{[]connectors.Range{{Column: 0, Min: int64(2)}, {Column: 4, Max: filepath.Join(dir, "dt=1", "a.csv")}}, "a.csv", []int64{1, 2}},
	}
	for _, tc := range tests {
		files, ids, _ := scanIDs(t, h, tc.ranges)
		if strings.Join(files, " ") != tc.files || !slices.Equal(ids, tc.ids) {
			t.Fatalf("ranges %+v: files %v ids %v, want %s %v", tc.ranges, files, ids, tc.files, tc.ids)
		}
	}
	// Keys and hidden columns together.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	req := &connectors.ScanRequest{Schema: h.Schema(), Columns: []int{3, 4, 0}, Mem: mem}
	splits, err := h.Splits(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range splits {
		for _, row := range readSplit(t, h, s, req) {
			wantDT := int64(1)
			if strings.Contains(s.File.Path, "dt=2") {
				wantDT = 2
			}
			if row[0] != wantDT || row[1] != s.File.Path {
				t.Fatalf("row %v of %s", row, s.File.Path)
			}
		}
	}
}

// BenchmarkHiddenPath measures what "$path" adds to a scan: the constant
// array is built once per split at the batch size and sliced per batch.
func BenchmarkHiddenPath(b *testing.B) {
	dir := b.TempDir()
	var sb strings.Builder
	for i := range 200_000 {
		fmt.Fprintf(&sb, "%d,name%d,%d\n", i, i%100, i%7)
	}
	long := filepath.Join(dir, strings.Repeat("deeply/nested/folder/", 4))
	os.MkdirAll(long, 0o755)
	if err := os.WriteFile(filepath.Join(long, "data.csv"), []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	ct := &catalog.Table{Database: "db", Name: "t", Kind: catalog.KindExternal, Format: "csv", Location: dir,
		Columns: []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "VARCHAR"}, {Name: "v", Type: "BIGINT"}}}
	tb, _ := New(ct)
	h := tb.(*Table).WithHiddenColumns()
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		cols []int
	}{{"id", []int{0}}, {"id+path", []int{0, 3}}, {"id+path+size+mtime", []int{0, 3, 4, 5}}} {
		b.Run(bc.name, func(b *testing.B) {
			req := &connectors.ScanRequest{Schema: h.Schema(), Columns: bc.cols, BatchSize: 1024}
			b.SetBytes(int64(sb.Len()))
			for b.Loop() {
				splits, err := h.Splits(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range splits {
					r, err := h.Open(ctx, s, req)
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
						rec.Release()
					}
					r.Close()
				}
			}
		})
	}
}

// blockFixture writes files into a table of format with columns (id
// BIGINT, ts TIMESTAMP, note VARCHAR).
func blockFixture(t *testing.T, format string, files map[string][]byte) (*catalog.Table, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ct := &catalog.Table{Database: "db", Name: "t", Kind: catalog.KindExternal, Format: format, Location: dir,
		Columns: []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "ts", Type: "TIMESTAMP"}, {Name: "note", Type: "VARCHAR"}}}
	return ct, dir
}

var blockEpoch = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)

// rowTime is the ts of row id: ten seconds apart, in id order.
func rowTime(id int64) time.Time { return blockEpoch.Add(time.Duration(id) * 10 * time.Second) }

func rowMicros(id int64) int64 { return rowTime(id).UnixMicro() }

// timeCSV renders rows 1..n sorted by ts; every quoteEvery-th note (0:
// none) is a quoted field holding newlines.
func timeCSV(n int64, quoteEvery int64) []byte {
	var b strings.Builder
	for i := int64(1); i <= n; i++ {
		note := fmt.Sprintf("event-%08d-payload", i)
		if quoteEvery > 0 && i%quoteEvery == 0 {
			note = fmt.Sprintf("\"multi\nline, %d\n\"\"quoted\"\"\nnote\"", i)
		}
		fmt.Fprintf(&b, "%d,%s,%s\n", i, rowTime(i).Format("2006-01-02 15:04:05"), note)
	}
	return []byte(b.String())
}

// timeJSON renders rows 1..n sorted by ts as JSON Lines.
func timeJSON(n int64) []byte {
	var b strings.Builder
	for i := int64(1); i <= n; i++ {
		fmt.Fprintf(&b, "{\"id\": %d, \"ts\": \"%s\", \"note\": \"line\\nbreak %d\"}\n", i, rowTime(i).Format("2006-01-02 15:04:05"), i)
	}
	return []byte(b.String())
}

// zoneScan builds the zone maps of ct with a ZoneScan of block size bs
// (0: the default) and stores them in ct.Stats.
func zoneScan(t *testing.T, ct *catalog.Table, bs int64) *catalog.ZoneMaps {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	zs := &ZoneScan{Table: tb, Columns: []int{0, 1}, Parallel: 2, BlockSize: bs, Mem: mem}
	splits, err := zs.Plan(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := zs.Run(context.Background(), splits)
	if err != nil {
		t.Fatal(err)
	}
	ct.Stats = &catalog.TableStats{Rows: res.Rows, Zones: res.Zones}
	return res.Zones
}

// blockScan runs a scan of column id with ranges as the executor does
// (Splits, then every split opened with the request's ScanStats) and
// returns the ids read in order, the splits and the bytes scanned.
func blockScan(t *testing.T, ct *catalog.Table, ranges []connectors.Range) ([]int64, []connectors.Split, int64) {
	t.Helper()
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	req := &connectors.ScanRequest{Schema: tb.Schema(), Columns: []int{0}, Ranges: ranges, Mem: mem, BatchSize: 4096, Stats: &connectors.ScanStats{}}
	splits, err := tb.Splits(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, s := range splits {
		for _, row := range readSplit(t, tb, s, req) {
			ids = append(ids, row[0].(int64))
		}
	}
	return ids, splits, req.Stats.BytesScanned.Load()
}

// checkIDs checks that read holds each id once, and that the ids of
// read matching (as the engine's filter re-applied) are exactly want.
func checkIDs(t *testing.T, read []int64, match func(int64) bool, want []int64) {
	t.Helper()
	seen := map[int64]bool{}
	var got []int64
	for _, id := range read {
		if seen[id] {
			t.Fatalf("id %d read twice", id)
		}
		seen[id] = true
		if match(id) {
			got = append(got, id)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("matching ids %v, want %v", got, want)
	}
}

func idRange(lo, hi int64) []int64 {
	var out []int64
	for i := lo; i <= hi; i++ {
		out = append(out, i)
	}
	return out
}

// TestZoneBlocksTimeSortedCSV: a ~5 MB CSV sorted by time, read as one
// split, gets 1 MiB blocks; a narrow time predicate reads at most two
// blocks' bytes and returns exactly the matching rows.
func TestZoneBlocksTimeSortedCSV(t *testing.T) {
	const n = 100_000
	body := timeCSV(n, 0)
	if len(body) < 4<<20 || int64(len(body)) > csv.SplitSize {
		t.Fatalf("fixture is %d bytes", len(body))
	}
	ct, _ := blockFixture(t, "csv", map[string][]byte{"events.csv": body})
	zm := zoneScan(t, ct, 0)
	bs := DefaultBlockSize
	if len(zm.Files) != 1 {
		t.Fatalf("zone maps of %d files", len(zm.Files))
	}
	f := zm.Files[0]
	wantBlocks := (int64(len(body)) + bs - 1) / bs
	if int64(len(f.Blocks)) != wantBlocks || f.Rows != n {
		t.Fatalf("%d blocks (want %d), %d rows", len(f.Blocks), wantBlocks, f.Rows)
	}
	var rows, end int64
	for _, b := range f.Blocks {
		if b.Offset != end || b.Length <= 0 || b.Length > bs {
			t.Fatalf("block [%d,+%d) after %d", b.Offset, b.Length, end)
		}
		end += b.Length
		rows += b.Rows
	}
	if end != int64(len(body)) || rows != n {
		t.Fatalf("blocks cover %d bytes and %d rows", end, rows)
	}
	// The row starting at the second block's first byte boundary.
	boundary := int64(strings.Count(string(body[:f.Blocks[1].Offset]), "\n"))
	_, _, full := blockScan(t, ct, nil)
	if full < int64(len(body)) {
		t.Fatalf("full scan read %d of %d bytes", full, len(body))
	}
	tests := []struct {
		name   string
		lo, hi int64 // ids whose ts bound the range (0: open)
		splits int
		blocks int64 // blocks the range overlaps
	}{
		{"inside one block", 40_000, 40_050, 1, 1},
		{"one row", 77_777, 77_777, 1, 1},
		{"across a block boundary", boundary - 20, boundary + 20, 1, 2},
		{"first rows", 0, 10, 1, 1},
		{"last rows", n - 10, 0, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rg := connectors.Range{Column: 1}
			lo, hi := max(tc.lo, 1), tc.hi
			if tc.lo > 0 {
				rg.Min = rowMicros(tc.lo)
			}
			if tc.hi > 0 {
				rg.Max = rowMicros(tc.hi)
			} else {
				hi = n
			}
			ids, splits, read := blockScan(t, ct, []connectors.Range{rg})
			checkIDs(t, ids, func(id int64) bool { return id >= lo && id <= hi }, idRange(lo, hi))
			if len(splits) != tc.splits {
				t.Fatalf("%d splits: %+v", len(splits), splits)
			}
			// The blocks kept (at most two), plus the tail of the last
			// record read past the end of the range.
			if limit := int64(tc.blocks)*bs + 32<<10; read > limit || read <= 0 {
				t.Fatalf("read %d bytes of %d, limit %d; splits %+v", read, full, limit, splits)
			}
		})
	}
}

// TestZoneBlocksQuotedNewlines: quoted fields holding newlines cross
// many block boundaries; every record belongs to exactly one block and
// pruning never loses or duplicates a row.
func TestZoneBlocksQuotedNewlines(t *testing.T) {
	const n = 3000
	body := timeCSV(n, 3)
	const bs = 997 // a prime: boundaries fall everywhere in records
	crossing := 0
	for off := 0; ; {
		i := strings.Index(string(body[off:]), "\"multi")
		if i < 0 {
			break
		}
		lo := off + i
		hi := lo + 1
		for body[hi] != '"' || body[hi+1] == '"' { // the closing quote
			if body[hi] == '"' {
				hi++
			}
			hi++
		}
		if lo/bs != hi/bs {
			crossing++
		}
		off = hi + 1
	}
	if crossing < 10 {
		t.Fatalf("fixture: %d quoted fields cross a block boundary", crossing)
	}
	ct, _ := blockFixture(t, "csv", map[string][]byte{"q.csv": body})
	zm := zoneScan(t, ct, bs)
	f := zm.Files[0]
	var rows int64
	for _, b := range f.Blocks {
		rows += b.Rows
	}
	if len(f.Blocks) < len(body)/bs || rows != n || f.Rows != n {
		t.Fatalf("%d blocks holding %d rows, file %d rows", len(f.Blocks), rows, f.Rows)
	}
	_, _, full := blockScan(t, ct, nil)
	for _, tc := range []struct{ lo, hi int64 }{{3, 3}, {299, 303}, {1500, 1620}, {2997, 3000}, {1, 2}} {
		t.Run(fmt.Sprintf("%d-%d", tc.lo, tc.hi), func(t *testing.T) {
			rg := connectors.Range{Column: 1, Min: rowMicros(tc.lo), Max: rowMicros(tc.hi)}
			ids, _, read := blockScan(t, ct, []connectors.Range{rg})
			checkIDs(t, ids, func(id int64) bool { return id >= tc.lo && id <= tc.hi }, idRange(tc.lo, tc.hi))
			if read >= full/4 {
				t.Fatalf("read %d of %d bytes: blocks not pruned", read, full)
			}
		})
	}
}

// TestZoneBlocksFormats: JSON Lines and regex files get blocks like CSV; gzip
// files (by name, or only by their bytes) are read whole and correctly.
func TestZoneBlocksFormats(t *testing.T) {
	const n = 2000
	csvBody := timeCSV(n, 0)
	for _, tc := range []struct {
		name, format, file string
		body               []byte
		blocks             bool
		props              map[string]string
	}{
		{"regex", "regex", "e.log", []byte(strings.ReplaceAll(string(csvBody), ",", "|")), true,
			map[string]string{"input.regex": `^(\d+)\|([^|]*)\|(.*)$`}},
		{"json lines", "json", "e.json", timeJSON(n), true, nil},
		{"gzip csv", "csv", "e.csv.gz", testfiles.Gzip(csvBody), false, nil},
		{"gzip json", "json", "e.json.gz", testfiles.Gzip(timeJSON(n)), false, nil},
		// Compressed by its bytes only: the name allows byte ranges, so it
		// gets blocks, but the split at offset 0 reads the whole stream.
		{"gzip csv without extension", "csv", "e.csv", testfiles.Gzip(csvBody), true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, _ := blockFixture(t, tc.format, map[string][]byte{tc.file: tc.body})
			ct.Props = tc.props
			const bs = 2048
			if len(tc.body) < 4*bs {
				t.Fatalf("fixture is %d bytes", len(tc.body))
			}
			zm := zoneScan(t, ct, bs)
			f := zm.Files[0]
			if f.Rows != n || (len(f.Blocks) > 0) != tc.blocks {
				t.Fatalf("%d rows, %d blocks", f.Rows, len(f.Blocks))
			}
			_, _, full := blockScan(t, ct, nil)
			for _, r := range []struct{ lo, hi int64 }{{1000, 1010}, {1, 1}, {n, n}} {
				rg := connectors.Range{Column: 1, Min: rowMicros(r.lo), Max: rowMicros(r.hi)}
				ids, splits, read := blockScan(t, ct, []connectors.Range{rg})
				checkIDs(t, ids, func(id int64) bool { return id >= r.lo && id <= r.hi }, idRange(r.lo, r.hi))
				if !tc.blocks {
					if len(splits) != 1 || splits[0].Length != 0 || read != full {
						t.Fatalf("compressed file: splits %+v, read %d of %d bytes", splits, read, full)
					}
				} else if tc.name != "gzip csv without extension" && read > 4*bs {
					t.Fatalf("read %d of %d bytes", read, full)
				}
			}
		})
	}
}

// TestZoneBlocksStale: a file changed after its zone map was recorded
// (same size, new modification time; or a new size) is read whole.
func TestZoneBlocksStale(t *testing.T) {
	const n = 2000
	body := timeCSV(n, 0)
	for _, tc := range []struct {
		name   string
		change func(b []byte) []byte
		mtime  bool
	}{
		{"same size, new mtime", func(b []byte) []byte {
			// Row 10's id becomes 19999 (same width as 10000..), at the
			// start of the file where its old block holds small times.
			b = slices.Clone(b)
			i := strings.Index(string(b), "\n10,")
			copy(b[i+1:], "7,")
			return b
		}, true},
		{"appended rows", func(b []byte) []byte {
			return append(slices.Clone(b), fmt.Sprintf("7,%s,late\n", rowTime(1500).Format("2006-01-02 15:04:05"))...)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, dir := blockFixture(t, "csv", map[string][]byte{"e.csv": body})
			p := filepath.Join(dir, "e.csv")
			fi, _ := os.Stat(p)
			zm := zoneScan(t, ct, 1024)
			if len(zm.Files[0].Blocks) < 10 {
				t.Fatalf("%d blocks", len(zm.Files[0].Blocks))
			}
			if err := os.WriteFile(p, tc.change(body), 0o644); err != nil {
				t.Fatal(err)
			}
			mt := fi.ModTime()
			if tc.mtime {
				mt = mt.Add(time.Second)
			}
			if err := os.Chtimes(p, mt, mt); err != nil {
				t.Fatal(err)
			}
			rg := connectors.Range{Column: 0, Values: []any{int64(7)}}
			ids, splits, _ := blockScan(t, ct, []connectors.Range{rg})
			if len(splits) != 1 || splits[0].Length != 0 {
				t.Fatalf("stale file not read whole: %+v", splits)
			}
			c := 0
			for _, id := range ids {
				if id == 7 {
					c++
				}
			}
			if c != 2 {
				t.Fatalf("id 7 read %d times, want 2 (both rows)", c)
			}
		})
	}
}

// TestZoneBlocksCut checks how pruned blocks are cut out of splits:
// adjacent surviving blocks stay one split, splits never grow past the
// format's, whole-file splits are cut only when the format reads byte
// ranges.
func TestZoneBlocksCut(t *testing.T) {
	file := connectors.FileInfo{Path: "/d/f.csv", Size: 100}
	// Blocks of 10 bytes whose id bounds are [10k, 10k+9].
	z := &catalog.FileZone{Path: file.Path, Size: file.Size}
	for k := int64(0); k < 10; k++ {
		z.Blocks = append(z.Blocks, catalog.BlockZone{Offset: 10 * k, Length: 10, Rows: 5,
			Cols: []catalog.ColumnZone{{Min: fmt.Sprint(10 * k), Max: fmt.Sprint(10*k + 9)}}})
	}
	pruner := func(vals ...int64) *filePruner {
		r := connectors.Range{Column: 0}
		for _, v := range vals {
			r.Values = append(r.Values, v)
		}
		return &filePruner{ranges: []zoneRange{{r: r, col: 0, typ: arrow.PrimitiveTypes.Int64}}}
	}
	whole := []connectors.Split{{File: file, Rows: -1}}
	halves := []connectors.Split{{File: file, Offset: 0, Length: 50, Rows: -1}, {File: file, Offset: 50, Length: 50, Rows: -1}}
	type rg struct{ off, n int64 }
	for _, tc := range []struct {
		name       string
		splits     []connectors.Split
		byteRanges bool
		vals       []int64
		want       []rg
	}{
		{"one block", whole, true, []int64{33}, []rg{{30, 10}}},
		{"adjacent blocks merge", whole, true, []int64{33, 45, 51}, []rg{{30, 30}}},
		{"gaps split", whole, true, []int64{5, 15, 71, 99}, []rg{{0, 20}, {70, 10}, {90, 10}}},
		{"all blocks", whole, true, idRange(0, 99), []rg{{0, 0}}},
		{"no block", whole, true, []int64{1000}, nil},
		{"not byte ranges", whole, false, []int64{33}, []rg{{0, 0}}},
		{"within format splits", halves, false, []int64{42, 55}, []rg{{40, 10}, {50, 10}}},
		{"format splits kept", halves, true, idRange(0, 99), []rg{{0, 50}, {50, 50}}},
		{"tail split to end", []connectors.Split{{File: file, Offset: 60, Rows: -1}}, true, []int64{88}, []rg{{80, 10}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := pruner(tc.vals...).blocks(slices.Clone(tc.splits), z, tc.byteRanges)
			var got []rg
			for _, s := range out {
				got = append(got, rg{s.Offset, s.Length})
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("splits %v, want %v", got, tc.want)
			}
		})
	}
}

// TestZoneScanBlockSize checks the block size: 1 MiB, grown so a file
// has at most MaxBlocks blocks; splits no larger are left alone.
func TestZoneScanBlockSize(t *testing.T) {
	for _, tc := range []struct {
		size, bs int64
		max      int
		want     int64
	}{
		{5 << 20, 0, 0, 1 << 20},
		{10 << 30, 0, 0, (10<<30 + 511) / 512},
		{10 << 30, 0, 0, 20 << 20},
		{5 << 20, 0, 4, (5<<20 + 3) / 4},
		{100, 7, 0, 7},
	} {
		z := &ZoneScan{BlockSize: tc.bs, MaxBlocks: tc.max}
		bs := z.blockSize(tc.size)
		if bs != tc.want {
			t.Fatalf("size %d: block %d, want %d", tc.size, bs, tc.want)
		}
		f := connectors.FileInfo{Path: "f", Size: tc.size}
		blocks := appendBlocks(nil, connectors.Split{File: f}, bs)
		limit := int64(tc.max)
		if limit == 0 {
			limit = DefaultMaxBlocks
		}
		if n := int64(len(blocks)); n > limit || n != (tc.size+bs-1)/bs || blocks[len(blocks)-1].Offset+blocks[len(blocks)-1].Length != tc.size {
			t.Fatalf("size %d: %d blocks", tc.size, n)
		}
	}
	if got := appendBlocks(nil, connectors.Split{File: connectors.FileInfo{Size: 1 << 20}}, 1<<20); len(got) != 1 || got[0].Length != 0 {
		t.Fatalf("a file of one block is cut: %+v", got)
	}
}

// BenchmarkZoneBlocksScan scans a ~5 MB time-sorted CSV with 1 MiB zone
// blocks: whole, and with a narrow time range that keeps one block.
func BenchmarkZoneBlocksScan(b *testing.B) {
	body := timeCSV(100_000, 0)
	dir := b.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "e.csv"), body, 0o644); err != nil {
		b.Fatal(err)
	}
	ct := &catalog.Table{Database: "db", Name: "t", Kind: catalog.KindExternal, Format: "csv", Location: dir,
		Columns: []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "ts", Type: "TIMESTAMP"}, {Name: "note", Type: "VARCHAR"}}}
	ctx := context.Background()
	tb, _ := New(ct)
	zs := &ZoneScan{Table: tb, Columns: []int{0, 1}}
	splits, err := zs.Plan(ctx)
	if err != nil {
		b.Fatal(err)
	}
	res, err := zs.Run(ctx, splits)
	if err != nil {
		b.Fatal(err)
	}
	ct.Stats = &catalog.TableStats{Rows: res.Rows, Zones: res.Zones}
	tb, _ = New(ct)
	for _, bc := range []struct {
		name   string
		ranges []connectors.Range
	}{
		{"full", nil},
		{"narrow", []connectors.Range{{Column: 1, Min: rowMicros(40_000), Max: rowMicros(40_050)}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				req := &connectors.ScanRequest{Schema: tb.Schema(), Columns: []int{0, 1}, Ranges: bc.ranges, BatchSize: 1024, Stats: &connectors.ScanStats{}}
				splits, err := tb.Splits(ctx, req)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range splits {
					r, err := tb.Open(ctx, s, req)
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
						rec.Release()
					}
					r.Close()
				}
				bytes = req.Stats.BytesScanned.Load()
			}
			b.ReportMetric(float64(bytes), "bytes/scan")
		})
	}
}

// TestHiddenPathLike checks that LIKE patterns on "$path" prune files
// exactly: '_' and '%' anywhere (not only a literal prefix), escapes,
// and a directory name containing '_' (a checkout path like /tmp/ci_x).
func TestHiddenPathLike(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "lake_1")
	for name, body := range map[string]string{"log_a1.csv": "1,a,1\n", "logXa1.csv": "2,b,2\n", "log_b2.csv": "3,c,3\n"} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ct := &catalog.Table{Database: "db", Name: "l", Kind: catalog.KindExternal, Format: "csv", Location: dir,
		Columns: []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "name", Type: "VARCHAR"}, {Name: "v", Type: "BIGINT"}}}
	tb, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	h := tb.(*Table).WithHiddenColumns()
	const path = 3
	for _, tc := range []struct {
		like  []string
		files string
	}{
		{[]string{dir + "/log_a%"}, "logXa1.csv log_a1.csv"},
		{[]string{dir + `/log\_a%`}, "log_a1.csv"},
		{[]string{"%b2%"}, "log_b2.csv"},
		{[]string{"%/log_%", "%1.csv"}, "logXa1.csv log_a1.csv"},
		{[]string{"%.parquet"}, ""},
	} {
		files, _, _ := scanIDs(t, h, []connectors.Range{{Column: path, Like: tc.like}})
		if got := strings.Join(files, " "); got != tc.files {
			t.Errorf("$path LIKE %q: files %q, want %q", tc.like, got, tc.files)
		}
	}
}
