package testfiles

import (
	"bytes"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hamba/avro/v2/ocf"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog/types"
)

// small is a table with every supported type, NULLs, negative and
// sub-unit decimals, quotes and an empty string.
func small(t *testing.T) *Table {
	names := []any{`a "q", é`, nil, ""}
	return Generate(t, []Column{
		{Name: "id", Type: types.Int64, Gen: func(i int) any { return int64(i) - 1 }},
		{Name: "name", Type: types.String, Nullable: true, Gen: func(i int) any { return names[i] }},
		{Name: "price", Type: types.Decimal(10, 2), Nullable: true, Gen: func(i int) any { return []any{int64(-1205), int64(7), nil}[i] }},
		{Name: "day", Type: types.Date, Nullable: true, Gen: func(i int) any { return []any{int32(19000), nil, int32(-1)}[i] }},
		{Name: "ts", Type: types.Timestamp, Nullable: true, Gen: func(i int) any { return []any{nil, int64(1_700_000_000_000_123), int64(0)}[i] }},
		{Name: "ok", Type: types.Boolean, Nullable: true, Gen: func(i int) any { return []any{true, false, nil}[i] }},
		{Name: "f", Type: types.Float64, Nullable: true, Gen: func(i int) any { return []any{0.5, nil, -3.0}[i] }},
		{Name: "small", Type: types.Int32, Gen: func(i int) any { return int32(i * 10) }},
	}, 3)
}

func TestText(t *testing.T) {
	tbl := small(t)
	for _, tc := range []struct {
		name string
		got  []byte
		want string
	}{
		{"csv", CSV(t, tbl, CSVOptions{Header: true, Null: `\N`}), `id,name,price,day,ts,ok,f,small
-1,"a ""q"", é",-12.05,2022-01-08,\N,true,0.5,0
0,\N,0.07,\N,2023-11-14 22:13:20.000123,false,\N,10
1,"",\N,1969-12-31,1970-01-01 00:00:00,\N,-3,20
`},
		{"tsv-per-column-null", CSV(t, tbl, CSVOptions{Delimiter: '\t', NullByColumn: map[string]string{"name": "NULL"}}), "-1\t\"a \"\"q\"\", é\"\t-12.05\t2022-01-08\t\ttrue\t0.5\t0\n" +
			"0\tNULL\t0.07\t\t2023-11-14 22:13:20.000123\tfalse\t\t10\n" +
			"1\t\"\"\t\t1969-12-31\t1970-01-01 00:00:00\t\t-3\t20\n"},
		{"json", JSONLines(t, tbl, JSONOptions{}), `{"id": -1, "name": "a \"q\", é", "price": -12.05, "day": "2022-01-08", "ok": true, "f": 0.5, "small": 0}
{"id": 0, "price": 0.07, "ts": "2023-11-14 22:13:20.000123", "ok": false, "small": 10}
{"id": 1, "name": "", "day": "1969-12-31", "ts": "1970-01-01 00:00:00", "f": -3, "small": 20}
`},
		{"json-options", JSONLines(t, tbl.Slice(1, 3), JSONOptions{
			Keys:         map[string]string{"id": "ID"},
			ExplicitNull: func(row int, col string) bool { return row == 0 && col != "f" },
			Extra:        `"x": [1]`,
		}), `{"ID": 0, "name": null, "price": 0.07, "day": null, "ts": "2023-11-14 22:13:20.000123", "ok": false, "small": 10, "x": [1]}
{"ID": 1, "name": "", "day": "1969-12-31", "ts": "1970-01-01 00:00:00", "f": -3, "small": 20, "x": [1]}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.got) != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", tc.got, tc.want)
			}
		})
	}
}

func TestDecimalText(t *testing.T) {
	for _, tc := range []struct {
		v     int64
		scale int32
		want  string
	}{
		{0, 2, "0.00"}, {5, 2, "0.05"}, {-5, 2, "-0.05"}, {123456, 2, "1234.56"}, {-100, 2, "-1.00"},
		{42, 0, "42"}, {-42, 0, "-42"}, {1, 5, "0.00001"}, {-9223372036854775808, 3, "-9223372036854775.808"},
	} {
		if got := DecimalText(tc.v, tc.scale); got != tc.want {
			t.Errorf("DecimalText(%d, %d) = %s, want %s", tc.v, tc.scale, got, tc.want)
		}
	}
}

func TestAvro(t *testing.T) {
	tbl := small(t)
	for _, codec := range []ocf.CodecName{"", ocf.Deflate, ocf.Snappy, ocf.ZStandard} {
		t.Run(string(codec), func(t *testing.T) {
			data := Avro(t, tbl, AvroOptions{Codec: codec, BlockLength: 2})
			dec, err := ocf.NewDecoder(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if want := string(codec); want != "" && string(dec.Metadata()["avro.codec"]) != want {
				t.Errorf("codec %q, want %q", dec.Metadata()["avro.codec"], want)
			}
			i := 0
			for ; dec.HasNext(); i++ {
				var m map[string]any
				if err := dec.Decode(&m); err != nil {
					t.Fatal(err)
				}
				for j, c := range tbl.Columns {
					if got, want := avroPlain(m[c.Name]), tbl.Rows[i][j]; !sameValue(c.Type, got, want) {
						t.Errorf("row %d %s: got %#v, want %#v", i, c.Name, got, want)
					}
				}
			}
			if err := dec.Error(); err != nil {
				t.Fatal(err)
			}
			if i != len(tbl.Rows) {
				t.Fatalf("%d rows, want %d", i, len(tbl.Rows))
			}
		})
	}
}

// avroPlain unwraps a decoded union and converts decimals and ints back
// to this package's representation (times are compared by sameValue).
func avroPlain(v any) any {
	if m, ok := v.(map[string]any); ok {
		for _, x := range m {
			v = x
		}
	}
	switch x := v.(type) {
	case *big.Rat:
		c := new(big.Rat).Mul(x, big.NewRat(100, 1))
		return c.Num().Int64()
	case int:
		return int32(x)
	}
	return v
}

// sameValue compares a read-back value with the table's.
func sameValue(dt arrow.DataType, got, want any) bool {
	if tm, ok := got.(time.Time); ok && want != nil {
		if dt.ID() == arrow.DATE32 {
			return tm.Unix() == int64(want.(int32))*86400
		}
		return tm.UnixMicro() == want.(int64)
	}
	return got == want
}

func TestParquet(t *testing.T) {
	tbl := small(t)
	data := Parquet(t, tbl, ParquetOptions{RowGroupRows: 2, DictStrings: true, Writer: []pq.WriterOption{pq.Compression(&pq.Zstd)}})
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.RowGroups()); n != 2 {
		t.Errorf("%d row groups, want 2", n)
	}
	fields := f.Schema().Fields()
	wantTypes := []string{"INT(64,true)", "STRING", "DECIMAL(10,2)", "DATE", "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)", "BOOLEAN", "DOUBLE", "INT(32,true)"}
	for j, c := range tbl.Columns {
		fd := fields[j]
		if fd.Name() != c.Name || fd.Optional() != c.Nullable {
			t.Errorf("column %d: %s optional=%v, want %s optional=%v", j, fd.Name(), fd.Optional(), c.Name, c.Nullable)
		}
		typ := fd.Type().String()
		if lt := fd.Type().LogicalType(); lt != nil {
			typ = lt.String()
		}
		if typ != wantTypes[j] {
			t.Errorf("column %s: type %s, want %s", c.Name, typ, wantTypes[j])
		}
		if enc := fd.Encoding(); (c.Type.ID() == arrow.STRING) != (enc != nil && strings.Contains(enc.String(), "DICT")) {
			t.Errorf("column %s: encoding %v", c.Name, enc)
		}
	}
	r := pq.NewReader(f)
	rows := make([]pq.Row, 8)
	n, err := r.ReadRows(rows)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if n != len(tbl.Rows) {
		t.Fatalf("%d rows, want %d", n, len(tbl.Rows))
	}
	for i, row := range rows[:n] {
		for j, c := range tbl.Columns {
			v, want := row[j], tbl.Rows[i][j]
			var got any
			switch {
			case v.IsNull():
			case c.Type.ID() == arrow.STRING:
				got = string(v.ByteArray())
			case c.Type.ID() == arrow.BOOL:
				got = v.Boolean()
			case c.Type.ID() == arrow.FLOAT64:
				got = v.Double()
			case v.Kind() == pq.Int32:
				got = v.Int32()
			default:
				got = v.Int64()
			}
			if got != want {
				t.Errorf("row %d %s: got %#v, want %#v", i, c.Name, got, want)
			}
		}
	}
}

func TestCompression(t *testing.T) {
	data := []byte(strings.Repeat("tarn,1,2\n", 100))
	gz, err := gzip.NewReader(bytes.NewReader(Gzip(data)))
	if err != nil {
		t.Fatal(err)
	}
	zs, err := zstd.NewReader(bytes.NewReader(Zstd(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer zs.Close()
	for name, r := range map[string]io.Reader{"gzip": gz, "zstd": zs} {
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: round trip gave %d bytes (%v), want %d", name, len(got), err, len(data))
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		tbl  Table
		want string
	}{
		{"wrong go type", Table{Columns: []Column{{Name: "a", Type: types.Int32}}, Rows: [][]any{{int64(1)}}}, "a int64, want a int32"},
		{"null in non-nullable", Table{Columns: []Column{{Name: "a", Type: types.Int64}}, Rows: [][]any{{nil}}}, "NULL in the non-nullable column a"},
		{"short row", Table{Columns: []Column{{Name: "a", Type: types.Int64}, {Name: "b", Type: types.Int64}}, Rows: [][]any{{int64(1)}}}, "row 0 has 1 values for 2 columns"},
		{"unsupported type", Table{Columns: []Column{{Name: "a", Type: types.Int8}}}, "type int8 is not supported"},
		{"decimal128", Table{Columns: []Column{{Name: "a", Type: types.Decimal(30, 2)}}}, "is not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.tbl.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
	ok := small(t)
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestNullEvery(t *testing.T) {
	gen := NullEvery(3, 1, func(i int) any { return int64(i * 10) })
	var got []any
	for i := range 7 {
		got = append(got, gen(i))
	}
	want := []any{int64(0), nil, int64(20), int64(30), nil, int64(50), int64(60)}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
