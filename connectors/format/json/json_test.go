package json

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: types.Int64, Nullable: true},
	{Name: "Name", Type: types.String, Nullable: true},
	{Name: "price", Type: types.Decimal(10, 2), Nullable: true},
	{Name: "ok", Type: types.Boolean, Nullable: true},
	{Name: "day", Type: types.Date, Nullable: true},
	{Name: "ts", Type: types.Timestamp, Nullable: true},
	{Name: "f", Type: types.Float64, Nullable: true},
	{Name: "small", Type: types.Int16, Nullable: true},
}, nil)

const sample = `{"id": 1, "name": "a\"b\u00e9", "price": 12.5, "ok": true, "day": "2024-01-02", "ts": "2024-01-02 03:04:05", "f": 1.5e2, "small": 7}
{"ID": 2, "NAME": "x", "price": "3.10", "ok": false, "extra": {"deep": [1, {"x": 2}]}, "f": -0.25}

{"id": 3, "name": null, "small": 2.0}
{"id": 4, "name": {"k": [1,2]}, "price": null}
`

func readAll(t *testing.T, fs connectors.FileSystem, fi connectors.FileInfo, sc *arrow.Schema, opts map[string]string, mem memory.Allocator) ([]string, error) {
	t.Helper()
	f := New()
	splits, err := f.Splits(context.Background(), fs, fi, opts)
	if err != nil {
		return nil, err
	}
	cols := make([]int, sc.NumFields())
	for i := range cols {
		cols[i] = i
	}
	var out []string
	for _, s := range splits {
		r, err := f.Open(context.Background(), fs, s, &connectors.ScanRequest{Schema: sc, Columns: cols, BatchSize: 2, Mem: mem, Options: opts})
		if err != nil {
			return nil, err
		}
		for {
			rec, err := r.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				return nil, err
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var parts []string
				for _, c := range rec.Columns() {
					parts = append(parts, c.ValueStr(i))
				}
				out = append(out, strings.Join(parts, "|"))
			}
			rec.Release()
		}
		r.Close()
	}
	return out, nil
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zst(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := zstd.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestRead(t *testing.T) {
	want := []string{
		`1|a"bé|12.5|true|2024-01-02|2024-01-02T03:04:05|150|7`,
		`2|x|3.1|false|(null)|(null)|-0.25|(null)`,
		`3|(null)|(null)|(null)|(null)|(null)|(null)|2`,
		`4|{"k": [1,2]}|(null)|(null)|(null)|(null)|(null)|(null)`,
	}
	for _, tc := range []struct {
		name string
		path string
		data []byte
	}{
		{"plain", "t/a.json", []byte(sample)},
		{"gzip", "t/a.json.gz", gz([]byte(sample))},
		{"zstd", "t/a.json.zst", zst([]byte(sample))},
		{"gzip-by-magic", "t/a.json", gz([]byte(sample))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			fs := memfs.New()
			fi := fs.Put(tc.path, tc.data)
			got, err := readAll(t, fs, fi, schema, nil, mem)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		opts       map[string]string
		want       string // error substring; "" = no error
		rows       []string
	}{
		{name: "bad line", data: "{\"id\": 1}\n{\"id\": 2,\n", want: "t/a.json: line 2: invalid JSON"},
		{name: "not object", data: "[1]\n", want: "line 1: invalid JSON at character 1: a JSON object expected"},
		{name: "bad value", data: "{\"id\": \"x\"}\n", want: "line 1, column id: cannot parse \"x\" as BIGINT"},
		{name: "overflow", data: "{\"small\": 70000}\n", want: "column small: cannot read JSON number 70000 as SMALLINT"},
		{name: "object into int", data: "{\"id\": {}}\n", want: "a JSON object cannot be read as BIGINT"},
		{name: "ignore malformed", data: "{\"id\": 1}\n{oops\n{\"id\": \"x\", \"small\": 3}\n", opts: map[string]string{"ignore.malformed.json": "true"},
			rows: []string{"1|(null)|(null)|(null)|(null)|(null)|(null)|(null)", "(null)|(null)|(null)|(null)|(null)|(null)|(null)|(null)", "(null)|(null)|(null)|(null)|(null)|(null)|(null)|3"}},
		{name: "case sensitive", data: "{\"ID\": 1, \"Name\": \"n\"}\n", opts: map[string]string{"case.insensitive": "false"},
			rows: []string{"(null)|n|(null)|(null)|(null)|(null)|(null)|(null)"}},
		{name: "bad option", data: "{}\n", opts: map[string]string{"ignore.malformed.json": "yes"}, want: "must be 'true' or 'false'"},
		{name: "gz not gzip", data: "{}\n", want: "extension says gzip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			fs := memfs.New()
			path := "t/a.json"
			if tc.name == "gz not gzip" {
				path += ".gz"
			}
			fi := fs.Put(path, []byte(tc.data))
			got, err := readAll(t, fs, fi, schema, tc.opts, mem)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("error %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.rows, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.rows, "\n"))
			}
		})
	}
}

func TestNested(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "a", Type: types.Int64, Nullable: true}, arrow.Field{Name: "b", Type: arrow.ListOf(types.String), Nullable: true}), Nullable: true},
		{Name: "l", Type: arrow.ListOf(types.Float64), Nullable: true},
		{Name: "m", Type: arrow.MapOf(types.String, types.Int32), Nullable: true},
	}, nil)
	data := `{"s": {"A": 1, "b": ["x", null]}, "l": [1.5, 2], "m": {"k": 1, "j": 2}}
{"s": null, "l": [], "m": {}}
{"s": {"a": null}}
`
	fs := memfs.New()
	fi := fs.Put("n.json", []byte(data))
	got, err := readAll(t, fs, fi, sc, nil, mem)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"a":1,"b":["x",null]}|[1.5,2]|[{"key":"k","value":1},{"key":"j","value":2}]`,
		`(null)|[]|[]`,
		`{"a":null,"b":null}|(null)|(null)`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSplits reads a file cut into many byte ranges: every line is read
// exactly once whatever the cut points.
func TestSplits(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 200; i++ {
		b.WriteString(`{"id": ` + itoa(i) + `, "name": "n` + itoa(i%7) + "\"}\n")
	}
	old := SplitSize
	defer func() { SplitSize = old }()
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: types.Int64, Nullable: true}}, nil)
	for _, size := range []int64{7, 33, 100, 1000} {
		SplitSize = size
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		fs := memfs.New()
		fi := fs.Put("s.json", []byte(b.String()))
		got, err := readAll(t, fs, fi, sc, nil, mem)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 200 {
			t.Fatalf("split size %d: %d rows", size, len(got))
		}
		for i, g := range got {
			if g != itoa(i) {
				t.Fatalf("split size %d: row %d = %s", size, i, g)
			}
		}
		mem.AssertSize(t, 0)
	}
}

func itoa(i int) string { return fmtInt(i) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

func TestInferSchema(t *testing.T) {
	fs := memfs.New()
	fi := fs.Put("i.json", []byte("\n{\"a\": 1, \"b\": 2.5, \"c\": \"x\", \"d\": true, \"A\": 3}\n"))
	s, err := New().InferSchema(context.Background(), fs, fi, nil)
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, f := range s.Fields() {
		parts = append(parts, f.Name+" "+types.SQLName(f.Type))
	}
	if got, want := strings.Join(parts, ", "), "a BIGINT, b DOUBLE, c VARCHAR, d BOOLEAN"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// FuzzJSON feeds arbitrary lines to the reader: errors are fine, panics
// and leaks are not.
func FuzzJSON(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"s": {"a": 1, "b": ["x"]}, "l": [1, 2], "m": {"k": 1}}`))
	f.Add([]byte("{\"a\":\"\\ud83d\\ude00\"}\n{"))
	sc := arrow.NewSchema(append(schema.Fields(),
		arrow.Field{Name: "s", Type: arrow.StructOf(arrow.Field{Name: "a", Type: types.Int64, Nullable: true}, arrow.Field{Name: "b", Type: arrow.ListOf(types.String), Nullable: true}), Nullable: true},
		arrow.Field{Name: "l", Type: arrow.ListOf(types.Float64), Nullable: true},
		arrow.Field{Name: "m", Type: arrow.MapOf(types.String, types.Int32), Nullable: true},
	), nil)
	fs := memfs.New()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []map[string]string{nil, {"ignore.malformed.json": "true"}} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			fi := fs.Put("f.json", data)
			rows, err := readAll(t, fs, fi, sc, opts, mem)
			if err == nil && opts != nil && len(rows) > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("%d rows from %d lines", len(rows), bytes.Count(data, []byte("\n"))+1)
			}
			if opts != nil && err != nil {
				t.Fatalf("ignore.malformed.json still failed: %v", err)
			}
			mem.AssertSize(t, 0)
		}
	})
}
