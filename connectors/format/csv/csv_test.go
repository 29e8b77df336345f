package csv

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

var schema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: types.Int64}, {Name: "name", Type: types.String},
	{Name: "price", Type: types.Decimal(10, 2)}, {Name: "day", Type: types.Date},
	{Name: "ts", Type: types.Timestamp}, {Name: "ok", Type: types.Boolean},
	{Name: "f", Type: types.Float64}, {Name: "big", Type: types.Decimal(25, 3)},
}, nil)

func render(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Decimal64:
		return fmt.Sprint(int64(a.Value(i)))
	case *array.Decimal128:
		return a.Value(i).BigInt().String()
	case *array.Date32:
		return fmt.Sprint(int32(a.Value(i)))
	case *array.Timestamp:
		return fmt.Sprint(int64(a.Value(i)))
	}
	return a.ValueStr(i)
}

func scan(t testing.TB, path string, opts map[string]string, splitSize int64, batch int) ([]string, error) {
	ctx := context.Background()
	fs := local.New()
	fi, err := fs.Stat(ctx, path)
	if err != nil {
		return nil, err
	}
	old := SplitSize
	SplitSize = splitSize
	defer func() { SplitSize = old }()
	f := New()
	splits, _ := f.Splits(ctx, fs, fi, opts)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out []string
	cols := make([]int, schema.NumFields())
	for i := range cols {
		cols[i] = i
	}
	for _, s := range splits {
		r, err := f.Open(ctx, fs, s, &connectors.ScanRequest{Schema: schema, Columns: cols, BatchSize: batch, Mem: mem, Options: opts})
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
			for i := 0; i < int(rec.NumRows()); i++ {
				var vs []string
				for c := 0; c < int(rec.NumCols()); c++ {
					vs = append(vs, render(rec.Column(c), i))
				}
				out = append(out, strings.Join(vs, "|"))
			}
			rec.Release()
		}
		r.Close()
	}
	return out, nil
}

func write(t testing.TB, dir, name, data string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	data := "id,name,price,day,ts,ok,f,big\n" +
		"1,plain,12.5,2024-02-29,2024-02-29 13:45:01.25,true,1.5,1234567890123456789012.1\n" +
		"2,\"quoted, comma\",-0.005,1970-01-01,1970-01-01T00:00:00,f,-2e3,-1\n" +
		"3,\"multi\nline \"\"q\"\"\",,,,,,\n" +
		"4,\\N,\\N,\\N,\\N,\\N,\\N,\\N\r\n" +
		"\n" +
		"5,,7,1969-12-31,1969-12-31 23:59:59,0,NaN,0.0005"
	p := write(t, dir, "a.csv", data)
	got, err := scan(t, p, map[string]string{"skip.header.line.count": "1"}, 1<<30, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1|plain|1250|19782|1709214301250000|true|1.5|1234567890123456789012100",
		"2|quoted, comma|-1|0|0|false|-2000|-1000",
		"3|multi\nline \"q\"|NULL|NULL|NULL|NULL|NULL|NULL",
		"4|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
		"5||700|-1|-1000000|false|NaN|1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Options: TSV with escapes and a custom NULL.
	p2 := write(t, dir, "b.tsv", "7\ta\\\tb\t1\t2020-01-01\t2020-01-01\tyes\t0\t0\n8\tNULL\t1\t2020-01-01\t2020-01-01\tno\t1\t1\n")
	got, err = scan(t, p2, map[string]string{"field.delim": `\t`, "escapeChar": `\`, "serialization.null.format": "NULL"}, 1<<30, 10)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] != "7|a\tb|100|18262|1577836800000000|true|0|0" || got[1] != "8|NULL|100|18262|1577836800000000|false|1|1000" {
		t.Fatalf("tsv: %q", got)
	}
}

func TestBadValues(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ data, want string }{
		{"1,a,1.0,2020-01-01,,,,\n2,b,x1,2020-01-01,,,,\n", "line 2, column 3 (price)"},
		{"1,a,1.0,2020-02-30,,,,\n", "line 1, column 4 (day)"},
		{"1,\"a\nb\",1,2020-01-01,,,,\n99999999999999999999,b,1,,,,,\n", "line 3, column 1 (id)"},
		{"1,a,1,,2020-01-01 25:00:00,,,\n", "line 1, column 5 (ts)"},
		{"1,\"unterminated,1,,,,,\n", "unterminated quoted field"},
	}
	for i, tc := range cases {
		p := write(t, dir, fmt.Sprintf("bad%d.csv", i), tc.data)
		_, err := scan(t, p, nil, 1<<30, 4)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
			t.Errorf("case %d: want error with %q and the path, got %v", i, tc.want, err)
		}
	}
}

func TestSplitsMatchWholeFile(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("n%d", i)
		switch i % 5 {
		case 1:
			name = fmt.Sprintf("\"with, comma %d\"", i)
		case 2:
			name = fmt.Sprintf("\"multi\nline %d\"", i)
		case 3:
			name = fmt.Sprintf("\"q \"\"%d\"\" x\"", i)
		}
		fmt.Fprintf(&b, "%d,%s,%d.%02d,2021-03-%02d,,%v,%d.5,%d\n", i, name, i, i%100, i%28+1, i%2 == 0, i, i*1000)
	}
	p := write(t, dir, "s.csv", b.String())
	whole, err := scan(t, p, nil, 1<<30, 1024)
	if err != nil {
		t.Fatal(err)
	}
	if len(whole) != 300 {
		t.Fatalf("whole file: %d rows", len(whole))
	}
	for _, ss := range []int64{1, 2, 3, 7, 16, 31, 64, 100, 257, 1000, 4096} {
		got, err := scan(t, p, nil, ss, 13)
		if err != nil {
			t.Fatalf("split %d: %v", ss, err)
		}
		if strings.Join(got, "\n") != strings.Join(whole, "\n") {
			t.Fatalf("split size %d: %d rows differ from the whole-file result (%d rows)", ss, len(got), len(whole))
		}
	}
}

// TestCompressed reads gzip and zstd files (by extension, and a gzip
// file without one that was cut into byte ranges by its size: only the
// first range reads it, whole) and infers the header from a compressed
// file.
func TestCompressed(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("id,name,price,day,ts,ok,f,big\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&b, "%d,\"n, %d\",%d.25,2021-03-%02d,,%v,%d.5,%d\n", i, i, i, i%28+1, i%2 == 0, i, i*1000)
	}
	opts := map[string]string{"skip.header.line.count": "1"}
	plain := write(t, dir, "p.csv", b.String())
	want, err := scan(t, plain, opts, 1<<30, 1024)
	if err != nil || len(want) != 200 {
		t.Fatalf("plain: %d rows, %v", len(want), err)
	}
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte(b.String()))
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write([]byte(b.String()))
	zw.Close()
	for _, tc := range []struct {
		name  string
		data  []byte
		split int64
	}{
		{"c.csv.gz", gz.Bytes(), 1 << 30},
		{"c.csv.zst", zs.Bytes(), 1 << 30},
		{"c.csv.gz", gz.Bytes(), 100},    // not splittable: one split
		{"nogzext.csv", gz.Bytes(), 100}, // detected by magic after splitting
	} {
		p := write(t, dir, tc.name, string(tc.data))
		got, err := scan(t, p, opts, tc.split, 64)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s (split %d): %d rows differ from the plain file", tc.name, tc.split, len(got))
		}
	}
	fs := local.New()
	fi, _ := fs.Stat(context.Background(), filepath.Join(dir, "c.csv.gz"))
	sc, err := New().InferSchema(context.Background(), fs, fi, opts)
	if err != nil || sc.NumFields() != 8 || sc.Field(1).Name != "name" {
		t.Fatalf("infer from gzip: %v %v", sc, err)
	}
	bad := write(t, dir, "bad.csv.gz", "id\n1\n")
	if _, err := scan(t, bad, opts, 1<<30, 64); err == nil || !strings.Contains(err.Error(), "bad.csv.gz: file extension says gzip") {
		t.Fatalf("gz that is not gzip: %v", err)
	}
}

func TestInferSchema(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "h.csv", "a,b,a\n1,2,3\n")
	fs := local.New()
	fi, _ := fs.Stat(context.Background(), p)
	s, err := New().InferSchema(context.Background(), fs, fi, map[string]string{"skip.header.line.count": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if s.NumFields() != 3 || s.Field(0).Name != "a" || s.Field(2).Name != "a_2" || !arrow.TypeEqual(s.Field(1).Type, types.String) {
		t.Fatalf("schema %v", s)
	}
}

func FuzzCSV(f *testing.F) {
	f.Add("1,a,1.5,2020-01-01,2020-01-01 00:00:00,true,1,2\n2,\"x\ny\",,,,,,\n", int64(7))
	f.Add("\"\"\"\",\\N\r\n", int64(1))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data string, split int64) {
		if split <= 0 || split > 1<<20 {
			split = 1 << 20
		}
		p := write(t, dir, "f.csv", data)
		scan(t, p, nil, split, 3)
	})
}
