package parquet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
)

type nPoint struct {
	X int32    `parquet:"x"`
	Y *float64 `parquet:"y,optional"`
}

type nInner struct {
	A *int64   `parquet:"a,optional"`
	B []string `parquet:"b"` // repeated, no annotation
}

type nDeep struct {
	P nPoint  `parquet:"p"`
	Q *nPoint `parquet:"q,optional"`
}

type nRow struct {
	ID   int64             `parquet:"id"`
	L    []*int64          `parquet:"l,optional,list"`
	M    map[string]*int32 `parquet:"m,optional"`
	S    *nInner           `parquet:"s,optional"`
	D    nDeep             `parquet:"d"`
	LS   []nPoint          `parquet:"ls,list"`
	MS   map[string]nPoint `parquet:"ms"`
	Tags []string          `parquet:"tags,list,dict"`
	Name *string           `parquet:"name,optional"`
}

var nestedSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: mustType("BIGINT"), Nullable: true},
	{Name: "l", Type: mustType("ARRAY<BIGINT>"), Nullable: true},
	{Name: "m", Type: mustType("MAP<VARCHAR,INT>"), Nullable: true},
	{Name: "s", Type: mustType("STRUCT<a:BIGINT,b:ARRAY<VARCHAR>>"), Nullable: true},
	{Name: "d", Type: mustType("STRUCT<p:STRUCT<x:INT,y:DOUBLE>,q:STRUCT<x:INT,y:DOUBLE>>"), Nullable: true},
	{Name: "ls", Type: mustType("ARRAY<STRUCT<x:INT,y:DOUBLE>>"), Nullable: true},
	{Name: "ms", Type: mustType("MAP<VARCHAR,STRUCT<x:INT,y:DOUBLE>>"), Nullable: true},
	{Name: "tags", Type: mustType("ARRAY<VARCHAR>"), Nullable: true},
	{Name: "name", Type: mustType("VARCHAR"), Nullable: true},
}, nil)

func mustType(s string) arrow.DataType {
	t, err := types.Parse(s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr[T any](v T) *T { return &v }

func mkPoint(i int) nPoint {
	p := nPoint{X: int32(i)}
	if i%3 != 0 {
		p.Y = ptr(float64(i) / 2)
	}
	return p
}

// mkNRow covers, over i: NULL vs empty vs non-empty lists and maps,
// NULL list elements and map values, NULL and all-NULL structs.
func mkNRow(i int) nRow {
	r := nRow{ID: int64(i)}
	switch i % 4 {
	case 1:
		r.L = []*int64{}
	case 2:
		r.L = []*int64{ptr(int64(i)), nil, ptr(int64(-i))}
	case 3:
		r.L = []*int64{ptr(int64(i * 10))}
	}
	switch i % 3 {
	case 1:
		r.M = map[string]*int32{}
	case 2:
		if i%2 == 0 {
			r.M = map[string]*int32{fmt.Sprintf("k%d", i): ptr(int32(i))}
		} else {
			r.M = map[string]*int32{fmt.Sprintf("k%d", i): nil}
		}
	}
	switch i % 5 {
	case 1:
		r.S = &nInner{} // present, all fields NULL / empty
	case 2, 3:
		r.S = &nInner{A: ptr(int64(i)), B: make([]string, i%4)}
		for j := range r.S.B {
			r.S.B[j] = fmt.Sprintf("b%d.%d", i, j)
		}
	}
	r.D.P = mkPoint(i)
	if i%2 == 1 {
		r.D.Q = ptr(mkPoint(i + 1))
	}
	for j := 0; j < i%3; j++ {
		r.LS = append(r.LS, mkPoint(i+j))
	}
	if i%4 != 0 {
		r.MS = map[string]nPoint{fmt.Sprintf("m%d", i): mkPoint(i)}
	}
	for j := 0; j < i%5; j++ {
		r.Tags = append(r.Tags, fmt.Sprintf("tag%d", (i+j)%4))
	}
	if i%7 != 3 {
		r.Name = ptr(fmt.Sprintf("n%d", i%9))
	}
	return r
}

// expectNRow renders mkNRow(i) as the JSON the reader must produce,
// independently of the reader's code.
func expectNRow(i int) []any {
	r := mkNRow(i)
	point := func(p nPoint) any {
		m := map[string]any{"x": p.X, "y": nil}
		if p.Y != nil {
			m["y"] = *p.Y
		}
		return m
	}
	out := []any{r.ID}
	if r.L == nil {
		out = append(out, nil)
	} else {
		l := []any{}
		for _, v := range r.L {
			if v == nil {
				l = append(l, nil)
			} else {
				l = append(l, *v)
			}
		}
		out = append(out, l)
	}
	if r.M == nil {
		out = append(out, nil)
	} else {
		m := []any{}
		for k, v := range r.M {
			e := map[string]any{"key": k, "value": nil}
			if v != nil {
				e["value"] = *v
			}
			m = append(m, e)
		}
		out = append(out, m)
	}
	if r.S == nil {
		out = append(out, nil)
	} else {
		s := map[string]any{"a": nil, "b": []any{}}
		if r.S.A != nil {
			s["a"] = *r.S.A
		}
		for _, b := range r.S.B {
			s["b"] = append(s["b"].([]any), b)
		}
		out = append(out, s)
	}
	d := map[string]any{"p": point(r.D.P), "q": nil}
	if r.D.Q != nil {
		d["q"] = point(*r.D.Q)
	}
	out = append(out, d)
	ls := []any{}
	for _, p := range r.LS {
		ls = append(ls, point(p))
	}
	out = append(out, ls)
	ms := []any{}
	for k, v := range r.MS {
		ms = append(ms, map[string]any{"key": k, "value": point(v)})
	}
	out = append(out, ms)
	tags := []any{}
	for _, t := range r.Tags {
		tags = append(tags, t)
	}
	out = append(out, tags)
	if r.Name == nil {
		out = append(out, nil)
	} else {
		out = append(out, *r.Name)
	}
	return out
}

func writeNRows(t testing.TB, n int, opts ...pq.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[nRow](&buf, opts...)
	for i := 0; i < n; i++ {
		// One row per call: parquet-go cuts pages between calls.
		if _, err := w.Write([]nRow{mkNRow(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readJSON reads the columns cols of a file (every split) and renders
// each row as a JSON array.
func readJSON(t testing.TB, mem memory.Allocator, data []byte, schema *arrow.Schema, cols []int, batch int) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	fs := memfs.New()
	fi := fs.Put("t/nested.parquet", data)
	fm := &Format{cache: newFooterCache(4)}
	splits, err := fm.Splits(ctx, fs, fi, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range splits {
		r, err := fm.Open(ctx, fs, s, &connectors.ScanRequest{Schema: schema, Columns: cols, BatchSize: batch, Mem: mem})
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
			if batch > 0 && rec.NumRows() > int64(batch) {
				t.Errorf("batch of %d rows, want at most %d", rec.NumRows(), batch)
			}
			out = append(out, recordJSON(t, rec)...)
			rec.Release()
		}
		r.Close()
	}
	return out, nil
}

func recordJSON(t testing.TB, rec arrow.RecordBatch) []string {
	var out []string
	for i := 0; i < int(rec.NumRows()); i++ {
		vs := make([]any, rec.NumCols())
		for j, c := range rec.Columns() {
			vs[j] = c.GetOneForMarshal(i)
		}
		b, err := json.Marshal(vs)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

func toJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func allCols(s *arrow.Schema) []int {
	cols := make([]int, s.NumFields())
	for i := range cols {
		cols[i] = i
	}
	return cols
}

// pageCount returns the number of data pages of the column chunk leaf
// in row group 0.
func pageCount(t testing.TB, data []byte, leaf int) int {
	t.Helper()
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pages := f.RowGroups()[0].ColumnChunks()[leaf].Pages()
	defer pages.Close()
	n := 0
	for {
		p, err := pages.ReadPage()
		if err != nil {
			break
		}
		pq.Release(p)
		n++
	}
	return n
}

func TestNestedRoundTrip(t *testing.T) {
	const n = 60
	files := []struct {
		name string
		opts []pq.WriterOption
	}{
		{"one row group", nil},
		{"small pages v1", []pq.WriterOption{pq.PageBufferSize(48), pq.DataPageVersion(1), pq.MaxRowsPerRowGroup(25)}},
		{"small pages v2", []pq.WriterOption{pq.PageBufferSize(48), pq.DataPageVersion(2)}},
	}
	want := make([]string, n)
	for i := range want {
		want[i] = toJSON(t, expectNRow(i))
	}
	for _, f := range files {
		data := writeNRows(t, n, f.opts...)
		if f.opts != nil {
			// Leaf 1 is l.list.element: several pages per chunk.
			if p := pageCount(t, data, 1); p < 3 {
				t.Fatalf("%s: l has %d pages, want several", f.name, p)
			}
		}
		for _, batch := range []int{1, 3, 1024} {
			t.Run(fmt.Sprintf("%s/batch=%d", f.name, batch), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				got, err := readJSON(t, mem, data, nestedSchema, allCols(nestedSchema), batch)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != n {
					t.Fatalf("got %d rows, want %d", len(got), n)
				}
				for i := range got {
					if got[i] != want[i] {
						t.Errorf("row %d:\n got %s\nwant %s", i, got[i], want[i])
					}
				}
			})
		}
	}
}

// TestNestedDictionary checks that list elements and map keys that are
// dictionary-encoded read like plain ones.
func TestNestedDictionary(t *testing.T) {
	data := writeNRows(t, 40, pq.PageBufferSize(64))
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	dict := false
	for _, c := range f.Metadata().RowGroups[0].Columns {
		if strings.Join(c.MetaData.PathInSchema, ".") == "tags.list.element" {
			dict = c.MetaData.DictionaryPageOffset > 0
		}
	}
	if !dict {
		t.Fatal("tags.list.element is not dictionary-encoded")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got, err := readJSON(t, mem, data, nestedSchema, []int{7, 0}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		e := expectNRow(i)
		if w := toJSON(t, []any{e[7], e[0]}); got[i] != w {
			t.Errorf("row %d: got %s want %s", i, got[i], w)
		}
	}
}

// TestNestedProjection reads struct subsets: fields matched by name
// case-insensitively, missing fields NULL, extra file fields ignored.
func TestNestedProjection(t *testing.T) {
	data := writeNRows(t, 30, pq.PageBufferSize(64))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "D", Type: mustType("STRUCT<Q:STRUCT<Y:DOUBLE,zz:BIGINT>,missing:ARRAY<INT>>"), Nullable: true},
		{Name: "S", Type: mustType("STRUCT<gone:INT>"), Nullable: true},
		{Name: "LS", Type: mustType("ARRAY<STRUCT<nope:VARCHAR>>"), Nullable: true},
		{Name: "absent", Type: mustType("MAP<VARCHAR,INT>"), Nullable: true},
		{Name: "M", Type: mustType("MAP<VARCHAR,BIGINT>"), Nullable: true}, // INT32 values widen
	}, nil)
	for _, batch := range []int{1, 7, 1024} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		got, err := readJSON(t, mem, data, schema, []int{0, 1, 2, 3, 4}, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i := range got {
			e := expectNRow(i)
			r := mkNRow(i)
			var q any
			if r.D.Q != nil {
				qq := e[4].(map[string]any)["q"].(map[string]any)
				q = map[string]any{"Y": qq["y"], "zz": nil}
			}
			var s any
			if r.S != nil {
				s = map[string]any{"gone": nil}
			}
			ls := []any{}
			for range r.LS {
				ls = append(ls, map[string]any{"nope": nil})
			}
			w := toJSON(t, []any{map[string]any{"Q": q, "missing": nil}, s, ls, nil, e[2]})
			if got[i] != w {
				t.Errorf("batch %d row %d:\n got %s\nwant %s", batch, i, got[i], w)
			}
		}
		mem.AssertSize(t, 0)
	}
}

func TestNestedMismatch(t *testing.T) {
	data := writeNRows(t, 5)
	cases := []struct {
		col, typ string
		want     []string
	}{
		{"l", "STRUCT<a:INT>", []string{`column "l"`, "STRUCT<a:INT>", "ARRAY<BIGINT>"}},
		{"s", "ARRAY<BIGINT>", []string{`column "s"`, "ARRAY<BIGINT>", "STRUCT<"}},
		{"m", "ARRAY<VARCHAR>", []string{`column "m"`, "MAP<VARCHAR,INT>"}},
		{"id", "ARRAY<BIGINT>", []string{`column "id"`, "ARRAY<BIGINT>", "INT64"}},
		{"l", "BIGINT", []string{`column "l"`, "BIGINT", "ARRAY<BIGINT>"}},
		{"s", "STRUCT<a:VARCHAR>", []string{`column "s"`, "s.a", "VARCHAR"}},
		{"d", "STRUCT<p:ARRAY<INT>>", []string{`column "d"`, "d.p", "ARRAY<INT>", "STRUCT<x:INT"}},
		{"ms", "MAP<VARCHAR,STRUCT<x:DATE>>", []string{`column "ms"`, "ms.value.x", "DATE"}},
		{"ls", "ARRAY<STRUCT<x:ARRAY<INT>>>", []string{`column "ls"`, "ls[].x"}},
	}
	for _, c := range cases {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		schema := arrow.NewSchema([]arrow.Field{{Name: c.col, Type: mustType(c.typ), Nullable: true}}, nil)
		_, err := readJSON(t, mem, data, schema, []int{0}, 10)
		if err == nil {
			t.Errorf("%s as %s: no error", c.col, c.typ)
			continue
		}
		for _, w := range append(c.want, "t/nested.parquet") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s as %s: error %q does not mention %q", c.col, c.typ, err, w)
			}
		}
		mem.AssertSize(t, 0)
	}
}

func TestNestedInferSchema(t *testing.T) {
	cases := []struct {
		file string
		data []byte
		want string
	}{
		{"nrow", writeNRows(t, 3), "id BIGINT, l ARRAY<BIGINT>, m MAP<VARCHAR,INT>, s STRUCT<a:BIGINT,b:ARRAY<VARCHAR>>, " +
			"d STRUCT<p:STRUCT<x:INT,y:DOUBLE>,q:STRUCT<x:INT,y:DOUBLE>>, ls ARRAY<STRUCT<x:INT,y:DOUBLE>>, " +
			"ms MAP<VARCHAR,STRUCT<x:INT,y:DOUBLE>>, tags ARRAY<VARCHAR>, name VARCHAR"},
		{"nested_lists.snappy.parquet", nil, "a ARRAY<ARRAY<ARRAY<VARCHAR>>>, b INT"},
		{"duckdb_nested.parquet", nil, "id BIGINT, l ARRAY<BIGINT>, s STRUCT<a:BIGINT,b:VARCHAR,c:ARRAY<BIGINT>>, m MAP<VARCHAR,BIGINT>, " +
			"ls ARRAY<STRUCT<x:BIGINT,y:ARRAY<VARCHAR>>>, ss STRUCT<inner:STRUCT<deep:DECIMAL(21,1)>>, ll ARRAY<ARRAY<BIGINT>>"},
		{"nested_maps.snappy.parquet", nil, "a MAP<VARCHAR,MAP<INT,BOOLEAN>>, b INT, c DOUBLE"},
		{"repeated_no_annotation.parquet", nil, "id INT, phoneNumbers STRUCT<phone:ARRAY<STRUCT<number:BIGINT,kind:VARCHAR>>>"},
		{"nullable.impala.parquet", nil, "id BIGINT, int_array ARRAY<INT>, int_array_Array ARRAY<ARRAY<INT>>, int_map MAP<VARCHAR,INT>, " +
			"int_Map_Array ARRAY<MAP<VARCHAR,INT>>, nested_struct STRUCT<A:INT,b:ARRAY<INT>,C:STRUCT<d:ARRAY<ARRAY<STRUCT<E:INT,F:VARCHAR>>>>,g:MAP<VARCHAR,STRUCT<H:STRUCT<i:ARRAY<DOUBLE>>>>>"},
	}
	for _, c := range cases {
		data := c.data
		if data == nil {
			var err error
			if data, err = os.ReadFile(filepath.Join("testdata", c.file)); err != nil {
				t.Fatal(err)
			}
		}
		ctx := context.Background()
		fs := memfs.New()
		fi := fs.Put(c.file, data)
		sc, err := (&Format{cache: newFooterCache(4)}).InferSchema(ctx, fs, fi, nil)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		var parts []string
		for _, f := range sc.Fields() {
			parts = append(parts, f.Name+" "+types.SQLName(f.Type))
		}
		if got := strings.Join(parts, ", "); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.file, got, c.want)
		}
	}
}

// oracleJSON reads a whole file with arrow-go's pqarrow, a Parquet
// reader written independently of this one.
func oracleJSON(t testing.TB, data []byte) []string {
	t.Helper()
	mem := memory.NewGoAllocator()
	rdr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1024}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 1024)
	defer tr.Release()
	var out []string
	for tr.Next() {
		out = append(out, recordJSON(t, tr.RecordBatch())...)
	}
	return out
}

// TestNestedFixtures reads files written by other Parquet writers
// (parquet-testing, via parquet-go's testdata: parquet-mr, Impala,
// repeated fields without annotation; DuckDB 1.5: duckdb_nested.parquet,
// 300 rows in 3 row groups, from a one-off program in the bench module)
// and files written here, and compares every row with pqarrow's reading.
func TestNestedFixtures(t *testing.T) {
	type fixture struct {
		name string
		data []byte
	}
	var fixtures []fixture
	for _, name := range []string{"nested_lists.snappy.parquet", "nested_maps.snappy.parquet", "nullable.impala.parquet",
		"nonnullable.impala.parquet", "repeated_no_annotation.parquet", "duckdb_nested.parquet"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		fixtures = append(fixtures, fixture{name, b})
	}
	fixtures = append(fixtures,
		fixture{"nrow multi-key maps", writeMultiKey(t)},
		fixture{"nrow small pages", writeNRows(t, 200, pq.PageBufferSize(100), pq.DataPageVersion(1))})
	ctx := context.Background()
	for _, f := range fixtures {
		want := oracleJSON(t, f.data)
		fs := memfs.New()
		sc, err := (&Format{cache: newFooterCache(4)}).InferSchema(ctx, fs, fs.Put("x", f.data), nil)
		if err != nil {
			t.Errorf("%s: %v", f.name, err)
			continue
		}
		for _, batch := range []int{1, 3, 1024} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			got, err := readJSON(t, mem, f.data, sc, allCols(sc), batch)
			if err != nil {
				t.Errorf("%s batch %d: %v", f.name, batch, err)
				continue
			}
			if len(got) != len(want) {
				t.Errorf("%s batch %d: %d rows, pqarrow %d", f.name, batch, len(got), len(want))
				continue
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("%s batch %d row %d:\n got %s\nwant %s", f.name, batch, i, got[i], want[i])
				}
			}
			mem.AssertSize(t, 0)
		}
	}
}

type mkRowMap struct {
	ID int64                       `parquet:"id"`
	M  map[string][]int64          `parquet:"m"` // values: repeated int64
	N  map[int32]map[string]string `parquet:"n,optional"`
	R  []int32                     `parquet:"r"` // top-level repeated, no annotation
}

func writeMultiKey(t testing.TB) []byte {
	var buf bytes.Buffer
	w := pq.NewGenericWriter[mkRowMap](&buf, pq.PageBufferSize(80))
	for i := 0; i < 50; i++ {
		r := mkRowMap{ID: int64(i), M: map[string][]int64{}}
		for j := 0; j < i%4; j++ {
			var l []int64
			for k := 0; k < (i+j)%3; k++ {
				l = append(l, int64(i*100+j*10+k))
			}
			r.M[fmt.Sprintf("k%d", j)] = l
		}
		if i%3 != 0 {
			r.N = map[int32]map[string]string{}
			for j := 0; j < i%3; j++ {
				r.N[int32(j)] = map[string]string{"a": fmt.Sprint(i), "b": fmt.Sprint(j)}
			}
		}
		for j := 0; j < i%3; j++ {
			r.R = append(r.R, int32(i-j))
		}
		if _, err := w.Write([]mkRowMap{r}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestNestedCorrupt flips bytes all over a small nested file: every
// read must end in rows or an error naming the file, never a panic or
// a leak.
func TestNestedCorrupt(t *testing.T) {
	data := writeNRows(t, 12, pq.PageBufferSize(64), pq.DataPageVersion(1))
	// About 1500 reads spread over the whole file (levels, values,
	// headers and footer); -short reads a third as many.
	step := max(1, 2*len(data)/1500)
	if testing.Short() {
		step *= 3
	}
	for pos := 4; pos < len(data)-8; pos += step {
		for _, x := range []byte{0x01, 0xff} {
			bad := bytes.Clone(data)
			bad[pos] ^= x
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			_, err := readJSON(t, mem, bad, nestedSchema, allCols(nestedSchema), 5)
			if err != nil && !strings.Contains(err.Error(), "t/nested.parquet") {
				t.Errorf("byte %d ^ %#x: error %q does not name the file", pos, x, err)
			}
			mem.AssertSize(t, 0)
		}
	}
}

func TestNestedSplitBytes(t *testing.T) {
	data := writeNRows(t, 20)
	ctx := context.Background()
	fs := memfs.New()
	fi := fs.Put("x", data)
	fm := &Format{cache: newFooterCache(4)}
	flat, err := fm.SplitBytes(ctx, fs, connectors.Split{File: fi}, &connectors.ScanRequest{Schema: nestedSchema, Columns: []int{0}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := fm.SplitBytes(ctx, fs, connectors.Split{File: fi}, &connectors.ScanRequest{Schema: nestedSchema, Columns: []int{0, 4}})
	if err != nil {
		t.Fatal(err)
	}
	if flat <= 0 || both <= flat {
		t.Errorf("SplitBytes: id %d, id+d %d", flat, both)
	}
	// The bytes counted while scanning include the nested leaves' chunks.
	for _, cols := range [][]int{{0}, {0, 4}} {
		st := &connectors.ScanStats{}
		r, err := fm.Open(ctx, fs, connectors.Split{File: fi}, &connectors.ScanRequest{Schema: nestedSchema, Columns: cols, Mem: memory.DefaultAllocator, Stats: st})
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next(ctx)
			if err != nil {
				break
			}
			rec.Release()
		}
		r.Close()
		want := flat
		if len(cols) == 2 {
			want = both
		}
		if got := st.BytesScanned.Load(); got < want {
			t.Errorf("columns %v: %d bytes scanned, the chunks hold %d", cols, got, want)
		}
	}
}

type benchStruct struct {
	A int64  `parquet:"a"`
	B string `parquet:"b"`
}

type benchNestedRow struct {
	L []int64     `parquet:"l,list"`
	S benchStruct `parquet:"s"`
}

// BenchmarkReadNested scans list<int64> (2 elements a row on average)
// and struct<int64,string> from a 1M-row file; ns/row per column.
func BenchmarkReadNested(b *testing.B) {
	const n = 1 << 20
	var buf bytes.Buffer
	w := pq.NewGenericWriter[benchNestedRow](&buf, pq.MaxRowsPerRowGroup(128<<10))
	rows := make([]benchNestedRow, 8192)
	for i := 0; i < n; i += len(rows) {
		for j := range rows {
			k := i + j
			rows[j] = benchNestedRow{L: rows[j].L[:0], S: benchStruct{A: int64(k), B: fmt.Sprintf("s%d", k%1000)}}
			for e := 0; e < k%5; e++ {
				rows[j].L = append(rows[j].L, int64(k*5+e))
			}
		}
		if _, err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	fs := memfs.New()
	fi := fs.Put("bench.parquet", buf.Bytes())
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l", Type: mustType("ARRAY<BIGINT>"), Nullable: true},
		{Name: "s", Type: mustType("STRUCT<a:BIGINT,b:VARCHAR>"), Nullable: true},
	}, nil)
	f := New()
	splits, err := f.Splits(ctx, fs, fi, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		col  int
	}{{"list_int64", 0}, {"struct_int64_string", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			for it := 0; it < b.N; it++ {
				total := scanRows(b, f, fs, splits, &connectors.ScanRequest{Schema: schema, Columns: []int{bc.col}, BatchSize: 1024, Mem: memory.DefaultAllocator})
				if total != n {
					b.Fatalf("%d rows", total)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/row")
		})
	}
}

func TestMaxByte(t *testing.T) {
	cases := []struct {
		b     []byte
		limit int
		over  bool
	}{
		{[]byte{0, 1, 1, 0, 1, 0, 0, 1, 1, 0}, 1, false},
		{[]byte{0, 1, 1, 0, 1, 0, 0, 1, 1, 2}, 1, true}, // in the tail
		{[]byte{0, 1, 2, 0, 1, 0, 0, 1, 1, 0}, 1, true}, // in a word
		{[]byte{3, 3, 3, 3, 3, 3, 3, 3, 3}, 3, false},
		{[]byte{3, 3, 3, 3, 3, 3, 3, 3, 255}, 3, true},
		{[]byte{2, 2, 1}, 2, false},
		{[]byte{2, 3, 1}, 2, true},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 0}, 0, false},
		{[]byte{0, 0, 0, 0, 0, 0, 0, 1}, 0, true},
		{nil, 1, false},
	}
	for i, c := range cases {
		if got := int(maxByte(c.b, c.limit)) > c.limit; got != c.over {
			t.Errorf("case %d: over = %v, want %v", i, got, c.over)
		}
	}
}

// TestNestedLevelErrors feeds inconsistent levels (which writers cannot
// be made to produce) to the level scan and the assembly: each is an
// error naming the file, column, path and offset.
func TestNestedLevelErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	r := &reader{path: "f.parquet", mem: mem}
	check := func(name string, err error, want ...string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: no error", name)
			return
		}
		for _, w := range append(want, "f.parquet", "offset 123") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", name, err, w)
			}
		}
	}
	// A batch whose first entry continues a row.
	c := &colReader{name: "l[]", chunkAt: 123, lv: &leafLevels{maxRep: 1, maxDef: 3, defSlot: 2}}
	c.lv.cur = &lvPage{reps: []byte{1, 0}, defs: []byte{3, 3}}
	check("row start", r.scanLevels(c, 1, false), `column "l[]"`, "repetition level 1")

	listType := mustType("ARRAY<BIGINT>")
	leaf := &anode{kind: kLeaf, dt: types.Int64, path: "l[]", repSlot: 1, defSlot: 2, defValid: 3, leaf: 0}
	list := &anode{kind: kList, dt: listType, path: "l", repSlot: 0, defSlot: 0, defValid: 1, elem: leaf}
	structType := mustType("STRUCT<a:BIGINT>")
	sleaf := &anode{kind: kLeaf, dt: types.Int64, path: "s.a", defValid: 2}
	strct := &anode{kind: kStruct, dt: structType, path: "s", defValid: 1, fields: []*anode{sleaf}}
	cases := []struct {
		name       string
		nd         *anode
		reps, defs []byte
		vals       []int64
		length     int
		want       string
	}{
		{"continuation first", list, []byte{1}, []byte{3}, []int64{1}, 1, "continues a list"},
		{"values vs slots", list, []byte{0, 1}, []byte{3, 3}, []int64{1, 2, 3}, 1, "3 values for 2 slots"},
		{"more list slots", list, []byte{0, 0, 0}, []byte{1, 1, 1}, nil, 2, "more than 2 values"},
		{"fewer list slots", list, []byte{0}, []byte{1}, nil, 2, "1 values, want 2"},
		{"more struct slots", strct, []byte{0, 0, 0}, []byte{2, 2, 2}, []int64{1, 2, 3}, 2, "more than 2 values"},
		{"fewer struct slots", strct, []byte{0}, []byte{2}, []int64{1}, 2, "1 values, want 2"},
	}
	for _, tc := range cases {
		bld := array.NewInt64Builder(mem)
		bld.AppendValues(tc.vals, nil)
		v := bld.NewArray()
		bld.Release()
		lc := &colReader{lv: &leafLevels{reps: tc.reps, defs: tc.defs}}
		b := &nestBuilder{r: r, c: &colReader{name: "col", chunkAt: 123}, mem: mem, leaves: []*colReader{lc}, vals: []arrow.Array{v}}
		d, err := b.build(tc.nd, tc.length)
		if d != nil {
			d.Release()
		}
		check(tc.name, err, `column "col"`, "("+tc.nd.path, tc.want)
		v.Release()
	}
}

// TestNestedWithRanges reads nested columns with ranges on a flat
// column: row groups are pruned, pages are not skipped (the nested
// columns' pages do not align with the flat column's rows), and every
// row read is whole and correct. Limits stop at whole rows.
func TestNestedWithRanges(t *testing.T) {
	data := writeNRows(t, 60, pq.MaxRowsPerRowGroup(10), pq.PageBufferSize(64))
	ctx := context.Background()
	fs := memfs.New()
	fi := fs.Put("r.parquet", data)
	fm := &Format{cache: newFooterCache(4)}
	for _, limit := range []int64{0, 13} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		st := &connectors.ScanStats{}
		req := &connectors.ScanRequest{Schema: nestedSchema, Columns: []int{1, 0, 6, 3}, BatchSize: 4, Mem: mem, Stats: st, Limit: limit,
			Ranges: []connectors.Range{{Column: 0, Min: int64(25), Max: int64(32)}}}
		r, err := fm.Open(ctx, fs, connectors.Split{File: fi}, req)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[int64]bool{}
		for {
			rec, err := r.Next(ctx)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			ids := rec.Column(1).(*array.Int64)
			for i, row := range recordJSON(t, rec) {
				id := ids.Value(i)
				seen[id] = true
				e := expectNRow(int(id))
				if w := toJSON(t, []any{e[1], e[0], e[6], e[3]}); row != w {
					t.Errorf("limit %d id %d:\n got %s\nwant %s", limit, id, row, w)
				}
			}
			rec.Release()
		}
		r.Close()
		switch {
		case limit == 0 && len(seen) != 20:
			t.Errorf("read %d rows, want the 20 of row groups 2 and 3", len(seen))
		case limit > 0 && int64(len(seen)) != limit:
			t.Errorf("read %d rows with limit %d", len(seen), limit)
		}
		for id := int64(25); id <= 32 && limit == 0; id++ {
			if !seen[id] {
				t.Errorf("row %d is missing", id)
			}
		}
		if got := st.RowGroupsScanned.Load(); got != 2 {
			t.Errorf("%d row groups scanned, want 2", got)
		}
		mem.AssertSize(t, 0)
	}
}

// TestLZ4Corrupt reads an LZ4_RAW file whose page bytes are flipped:
// parquet-go's codec would retry with ever larger buffers (out of
// memory); the page check rejects the page first. Intact files read.
func TestLZ4Corrupt(t *testing.T) {
	data := writeNRows(t, 30, pq.Compression(&pq.Lz4Raw), pq.PageBufferSize(256))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got, err := readJSON(t, mem, data, nestedSchema, allCols(nestedSchema), 7)
	if err != nil || len(got) != 30 {
		t.Fatalf("intact file: %d rows, %v", len(got), err)
	}
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rejected := 0
	for _, c := range f.Metadata().RowGroups[0].Columns {
		md := c.MetaData
		if md.Codec != format.Lz4Raw {
			t.Fatalf("codec %v", md.Codec)
		}
		// Flip bytes at the end of the chunk: the last page's LZ4 data.
		for _, back := range []int64{1, 3, 6} {
			bad := bytes.Clone(data)
			bad[md.DataPageOffset+md.TotalCompressedSize-back] ^= 0xa5
			if _, err := readJSON(t, mem, bad, nestedSchema, allCols(nestedSchema), 7); err != nil {
				if !strings.Contains(err.Error(), "t/nested.parquet") || !strings.Contains(err.Error(), "offset") {
					t.Errorf("error %q should name the file and offset", err)
				}
				rejected++
			}
		}
	}
	if rejected == 0 {
		t.Error("no corrupt page was rejected")
	}
}
