package parquet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

type row struct {
	ID    int64            `parquet:"id"`
	I8    int32            `parquet:"i8,int(8)"`
	I16   int32            `parquet:"i16,int(16)"`
	I32   *int32           `parquet:"i32,optional"`
	F32   float32          `parquet:"f32"`
	F64   *float64         `parquet:"f64,optional"`
	Flag  *bool            `parquet:"flag,optional"`
	Name  *string          `parquet:"name,optional,dict,zstd"`
	Plain string           `parquet:"plain,snappy"`
	D64   int64            `parquet:"d64,decimal(2:15)"`
	D32   int32            `parquet:"d32,decimal(3:9)"`
	Day   int32            `parquet:"day,date"`
	TsMs  *int64           `parquet:"ts_ms,optional,timestamp(millisecond)"`
	TsNs  int64            `parquet:"ts_ns,timestamp(nanosecond)"`
	I96   deprecated.Int96 `parquet:"i96"`
}

func mkRow(i int) row {
	r := row{
		ID: int64(i), I8: int32(i%200 - 100), I16: int32(i*7%60000 - 30000),
		F32: float32(i) / 4, Plain: fmt.Sprintf("p%d", i),
		D64: int64(i)*101 - 5000, D32: int32(i*3 - 100), Day: int32(18000 + i),
		TsNs: int64(i)*1_000_000_123 - 5_000_000_000,
	}
	if i%3 != 0 {
		v := int32(i * 10)
		r.I32 = &v
	}
	if i%4 != 1 {
		v := float64(i) * 1.5
		r.F64 = &v
	}
	if i%5 != 2 {
		b := i%2 == 0
		r.Flag = &b
	}
	if i%6 != 3 {
		s := fmt.Sprintf("name-%d", i%7)
		r.Name = &s
	}
	if i%2 == 0 {
		v := int64(i)*1000 + 7
		r.TsMs = &v
	}
	micros := int64(i) * 1_000_001
	days := micros/86_400_000_000 + 2440588
	nanos := (micros % 86_400_000_000) * 1000
	r.I96 = deprecated.Int96{uint32(nanos), uint32(nanos >> 32), uint32(days)}
	return r
}

// expected renders row i, column name as the reader should return it.
func expected(i int, col string) string {
	r := mkRow(i)
	switch col {
	case "id":
		return fmt.Sprint(r.ID)
	case "i8":
		return fmt.Sprint(r.I8)
	case "i16":
		return fmt.Sprint(r.I16)
	case "i32":
		if r.I32 == nil {
			return "NULL"
		}
		return fmt.Sprint(*r.I32)
	case "f32":
		return fmt.Sprint(r.F32)
	case "f64":
		if r.F64 == nil {
			return "NULL"
		}
		return fmt.Sprint(*r.F64)
	case "flag":
		if r.Flag == nil {
			return "NULL"
		}
		return fmt.Sprint(*r.Flag)
	case "name":
		if r.Name == nil {
			return "NULL"
		}
		return *r.Name
	case "plain":
		return r.Plain
	case "d64":
		return fmt.Sprint(r.D64)
	case "d32":
		return fmt.Sprint(r.D32)
	case "day":
		return fmt.Sprint(r.Day)
	case "ts_ms":
		if r.TsMs == nil {
			return "NULL"
		}
		return fmt.Sprint(*r.TsMs * 1000)
	case "ts_ns":
		v := r.TsNs
		q := v / 1000
		if v%1000 < 0 {
			q--
		}
		return fmt.Sprint(q)
	case "i96":
		return fmt.Sprint(int64(i) * 1_000_001)
	case "missing":
		return "NULL"
	}
	panic(col)
}

// render prints a value of any array type the reader produces.
func render(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Int8:
		return fmt.Sprint(a.Value(i))
	case *array.Int16:
		return fmt.Sprint(a.Value(i))
	case *array.Int32:
		return fmt.Sprint(a.Value(i))
	case *array.Int64:
		return fmt.Sprint(a.Value(i))
	case *array.Float32:
		return fmt.Sprint(a.Value(i))
	case *array.Float64:
		return fmt.Sprint(a.Value(i))
	case *array.Boolean:
		return fmt.Sprint(a.Value(i))
	case *array.String:
		return a.Value(i)
	case *array.Decimal64:
		return fmt.Sprint(int64(a.Value(i)))
	case *array.Decimal128:
		return a.Value(i).BigInt().String()
	case *array.Date32:
		return fmt.Sprint(int32(a.Value(i)))
	case *array.Timestamp:
		return fmt.Sprint(int64(a.Value(i)))
	}
	return "?" + a.DataType().String()
}

func writeFile(t testing.TB, path string, n int, opts ...pq.WriterOption) {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[row](&buf, opts...)
	rows := make([]row, n)
	for i := range rows {
		rows[i] = mkRow(i)
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

var tableSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ID", Type: types.Int64, Nullable: true},
	{Name: "i8", Type: types.Int8, Nullable: true},
	{Name: "i16", Type: types.Int16, Nullable: true},
	{Name: "i32", Type: types.Int32, Nullable: true},
	{Name: "f32", Type: types.Float32, Nullable: true},
	{Name: "f64", Type: types.Float64, Nullable: true},
	{Name: "flag", Type: types.Boolean, Nullable: true},
	{Name: "name", Type: types.String, Nullable: true},
	{Name: "plain", Type: types.String, Nullable: true},
	{Name: "d64", Type: types.Decimal(15, 2), Nullable: true},
	{Name: "d32", Type: types.Decimal(9, 3), Nullable: true},
	{Name: "day", Type: types.Date, Nullable: true},
	{Name: "ts_ms", Type: types.Timestamp, Nullable: true},
	{Name: "ts_ns", Type: types.Timestamp, Nullable: true},
	{Name: "i96", Type: types.Timestamp, Nullable: true},
	{Name: "missing", Type: types.Int32, Nullable: true},
}, nil)

// scanAll reads every split of a file and returns rendered rows.
func scanAll(t testing.TB, path string, req *connectors.ScanRequest) ([][]string, error) {
	t.Helper()
	ctx := context.Background()
	fs := local.New()
	fi, err := fs.Stat(ctx, path)
	if err != nil {
		return nil, err
	}
	f := New()
	splits, err := f.Splits(ctx, fs, fi, nil)
	if err != nil {
		return nil, err
	}
	var out [][]string
	for _, s := range splits {
		r, err := f.Open(ctx, fs, s, req)
		if err != nil {
			return nil, err
		}
		for {
			rec, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				return nil, err
			}
			if rec.NumRows() == 0 {
				t.Fatal("empty batch")
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var vals []string
				for c := 0; c < int(rec.NumCols()); c++ {
					vals = append(vals, render(rec.Column(c), i))
				}
				out = append(out, vals)
			}
			rec.Release()
		}
		r.Close()
	}
	return out, nil
}

func TestReadAllTypes(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name  string
		n     int
		opts  []pq.WriterOption
		batch int
	}{
		{"one-group", 300, nil, 1024},
		{"many-groups-v1", 1000, []pq.WriterOption{pq.MaxRowsPerRowGroup(128), pq.DataPageVersion(1), pq.PageBufferSize(256)}, 100},
		{"small-pages-v2", 777, []pq.WriterOption{pq.MaxRowsPerRowGroup(300), pq.PageBufferSize(128)}, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name+".parquet")
			writeFile(t, path, tc.n, tc.opts...)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			cols := make([]int, tableSchema.NumFields())
			for i := range cols {
				cols[i] = i
			}
			stats := &connectors.ScanStats{}
			got, err := scanAll(t, path, &connectors.ScanRequest{Schema: tableSchema, Columns: cols, BatchSize: tc.batch, Mem: mem, Stats: stats})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Fatalf("got %d rows, want %d", len(got), tc.n)
			}
			for i, vals := range got {
				for c, v := range vals {
					name := strings.ToLower(tableSchema.Field(c).Name)
					if want := expected(i, name); v != want {
						t.Fatalf("row %d col %s: got %s want %s", i, name, v, want)
					}
				}
			}
			if stats.RowsScanned.Load() != int64(tc.n) || stats.BytesScanned.Load() == 0 {
				t.Fatalf("stats: rows %d bytes %d", stats.RowsScanned.Load(), stats.BytesScanned.Load())
			}
		})
	}
}

func TestProjectionAndWidening(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.parquet")
	writeFile(t, path, 50, pq.MaxRowsPerRowGroup(20))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "d32", Type: types.Decimal(12, 5)}, // scale 3 -> 5
		{Name: "i32", Type: types.Int64},          // widen
		{Name: "NAME", Type: types.String},        // case-insensitive
		{Name: "d64", Type: types.Decimal(30, 2)}, // -> decimal128
		{Name: "day", Type: types.Timestamp},      // date -> timestamp
		{Name: "d64", Type: types.Float64},        // decimal -> double
	}, nil)
	got, err := scanAll(t, path, &connectors.ScanRequest{Schema: schema, Columns: []int{2, 0, 1, 3, 4, 5}, BatchSize: 16, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		r := mkRow(i)
		i32 := "NULL"
		if r.I32 != nil {
			i32 = fmt.Sprint(*r.I32)
		}
		want := []string{expected(i, "name"), fmt.Sprint(int64(r.D32) * 100), i32, fmt.Sprint(r.D64),
			fmt.Sprint(int64(r.Day) * 86400 * 1000000), fmt.Sprint(float64(r.D64) / 100)}
		if strings.Join(v, "|") != strings.Join(want, "|") {
			t.Fatalf("row %d: got %v want %v", i, v, want)
		}
	}
	// Narrowing and impossible conversions fail with the path and column.
	bad := arrow.NewSchema([]arrow.Field{{Name: "id", Type: types.Int32}}, nil)
	_, err = scanAll(t, path, &connectors.ScanRequest{Schema: bad, Columns: []int{0}, Mem: mem})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), `"id"`) {
		t.Fatalf("want narrowing error naming file and column, got %v", err)
	}
}

func TestPruneAndLimit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.parquet")
	writeFile(t, path, 1000, pq.MaxRowsPerRowGroup(100))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := []struct {
		r       connectors.Range
		groups  int64
		minRows int
	}{
		{connectors.Range{Column: 0, Min: int64(250), Max: int64(420)}, 3, 171},
		{connectors.Range{Column: 0, Values: []any{int64(5), int64(999)}}, 2, 2},
		{connectors.Range{Column: 0, Min: int64(5000)}, 0, 0},
		{connectors.Range{Column: 11, Max: int64(18099)}, 1, 100},     // date
		{connectors.Range{Column: 9, Min: int64(89991)}, 1, 59},       // decimal: d64 >= 899.91 -> i >= 941
		{connectors.Range{Column: 8, Min: "p999", Max: "p999"}, 1, 1}, // strings compare as bytes
		{connectors.Range{Column: 15, Min: int64(1)}, 0, 0},           // missing column, NULL never matches
	}
	for i, tc := range cases {
		stats := &connectors.ScanStats{}
		got, err := scanAll(t, path, &connectors.ScanRequest{Schema: tableSchema, Columns: []int{0}, Ranges: []connectors.Range{tc.r}, Mem: mem, Stats: stats})
		if err != nil {
			t.Fatal(err)
		}
		if stats.RowGroupsScanned.Load() != tc.groups || stats.RowGroupsTotal.Load() != 10 {
			t.Errorf("case %d: scanned %d of %d groups, want %d of 10", i, stats.RowGroupsScanned.Load(), stats.RowGroupsTotal.Load(), tc.groups)
		}
		if len(got) < tc.minRows {
			t.Errorf("case %d: %d rows < %d", i, len(got), tc.minRows)
		}
	}
	got, err := scanAll(t, path, &connectors.ScanRequest{Schema: tableSchema, Columns: []int{0}, Limit: 5, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	// Limit is per split (10 splits).
	if len(got) != 50 {
		t.Fatalf("limit: %d rows", len(got))
	}
}

func TestCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeFile(t, good, 500, pq.MaxRowsPerRowGroup(100))
	data, _ := os.ReadFile(good)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	variants := map[string][]byte{
		"truncated.parquet": data[:len(data)/2],
		"tiny.parquet":      data[:5],
		"text.parquet":      []byte("id,name\n1,foo\n2,bar\n"),
		"nofooter.parquet":  append(append([]byte{}, data[:len(data)-8]...), 0xff, 0xff, 0, 0, 'P', 'A', 'R', '1'),
	}
	// Flip bytes in the middle (page data) and in the footer.
	for _, at := range []int{len(data) / 3, len(data) / 2, len(data) - 40, len(data) - 100} {
		b := append([]byte{}, data...)
		for k := 0; k < 8; k++ {
			b[at+k] ^= 0x5a
		}
		variants[fmt.Sprintf("flip%d.parquet", at)] = b
	}
	cols := make([]int, tableSchema.NumFields())
	for i := range cols {
		cols[i] = i
	}
	for name, b := range variants {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		_, err := scanAll(t, p, &connectors.ScanRequest{Schema: tableSchema, Columns: cols, Mem: mem})
		if strings.HasPrefix(name, "flip") && err == nil {
			continue // some flips land in values and stay readable
		}
		if err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: want an error naming the file, got %v", name, err)
		}
	}
}

func TestFooterCache(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.parquet")
	writeFile(t, path, 10)
	f := New()
	fs := local.New()
	ctx := context.Background()
	fi, _ := fs.Stat(ctx, path)
	m1, err := f.footer(ctx, fs, fi, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := f.footer(ctx, fs, fi, nil, nil)
	if m1 != m2 {
		t.Fatal("footer not cached")
	}
	fi.ModTime = fi.ModTime.Add(1)
	m3, _ := f.footer(ctx, fs, fi, nil, nil)
	if m3 == m1 {
		t.Fatal("changed file served from cache")
	}
	sch, err := f.InferSchema(ctx, fs, fi, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sch.NumFields() != 15 || !arrow.TypeEqual(sch.Field(9).Type, types.Decimal(15, 2)) || sch.Field(14).Type.ID() != arrow.TIMESTAMP {
		t.Fatalf("schema: %v", sch)
	}
	var _ = errors.New
}
