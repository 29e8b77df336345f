package crawler

import (
	"bytes"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func TestInferText(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"", "VARCHAR"}, // NULL prints as VARCHAR
		{"  ", "VARCHAR"},
		{"true", "BOOLEAN"}, {"FALSE", "BOOLEAN"}, {"yes", "VARCHAR"}, {"t", "VARCHAR"},
		{"0", "INT"}, {"-0", "INT"}, {"42", "INT"}, {"+42", "INT"}, {" 42 ", "INT"},
		{"2147483647", "INT"}, {"-2147483648", "INT"}, {"2147483648", "BIGINT"}, {"-2147483649", "BIGINT"},
		{"9223372036854775807", "BIGINT"}, {"-9223372036854775808", "BIGINT"},
		{"9223372036854775808", "VARCHAR"}, {"123456789012345678901234", "VARCHAR"},
		{"007", "VARCHAR"}, {"00.5", "VARCHAR"},
		{"1.5", "DOUBLE"}, {"-.5", "DOUBLE"}, {"1.", "DOUBLE"}, {"1e10", "DOUBLE"}, {"1.5E-3", "DOUBLE"}, {"0.25", "DOUBLE"},
		{"1e", "VARCHAR"}, {".", "VARCHAR"}, {"-", "VARCHAR"}, {"1.2.3", "VARCHAR"}, {"NaN", "VARCHAR"}, {"inf", "VARCHAR"}, {"0x10", "VARCHAR"},
		{"2024-06-01", "DATE"}, {"2024-02-29", "DATE"}, {"2023-02-29", "VARCHAR"}, {"2024-13-01", "VARCHAR"}, {"2024-6-1", "VARCHAR"},
		{"2024-06-01 12:34:56", "TIMESTAMP"}, {"2024-06-01 12:34:56.123456", "TIMESTAMP"}, {"2024-06-01T12:34:56Z", "TIMESTAMP"},
		{"2024-06-01T12:34:56.5Z", "TIMESTAMP"}, {"2024-06-01 24:00:00", "VARCHAR"}, {"2024-06-01 12:34", "VARCHAR"},
		{"2024-06-01T12:34:56+02:00", "VARCHAR"}, {"2024-06-01 12:34:56.1234567890", "VARCHAR"},
		{"hello", "VARCHAR"}, {"1 2", "VARCHAR"},
	}
	for _, c := range cases {
		if got := InferText(c.in).String(); got != c.want {
			t.Errorf("InferText(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func mustType(t *testing.T, s string) *Type {
	t.Helper()
	ty, err := ParseType(s)
	if err != nil {
		t.Fatal(err)
	}
	return ty
}

func TestMerge(t *testing.T) {
	cases := []struct {
		a, b    string
		lenient bool
		want    string // "" = conflict
	}{
		{"INT", "BIGINT", false, "BIGINT"},
		{"BIGINT", "INT", false, "BIGINT"},
		{"INT", "DOUBLE", false, "DOUBLE"},
		{"BIGINT", "FLOAT", false, "DOUBLE"},
		{"SMALLINT", "TINYINT", false, "SMALLINT"},
		{"DATE", "TIMESTAMP", false, "TIMESTAMP"},
		{"DECIMAL(10,2)", "DECIMAL(12,4)", false, "DECIMAL(12,4)"},
		{"DECIMAL(10,2)", "INT", false, "DECIMAL(12,2)"},
		{"DECIMAL(38,10)", "DECIMAL(38,0)", false, "DOUBLE"},
		{"DECIMAL(10,2)", "DOUBLE", false, "DOUBLE"},
		{"INT", "VARCHAR", false, ""},
		{"INT", "VARCHAR", true, "VARCHAR"},
		{"BOOLEAN", "INT", true, "VARCHAR"},
		{"BOOLEAN", "INT", false, ""},
		{"DATE", "INT", true, "VARCHAR"},
		{"STRUCT<a:INT>", "STRUCT<b:VARCHAR,a:BIGINT>", false, "STRUCT<a:BIGINT,b:VARCHAR>"},
		{"STRUCT<a:INT>", "STRUCT<a:VARCHAR>", false, ""},
		{"ARRAY<INT>", "ARRAY<DOUBLE>", false, "ARRAY<DOUBLE>"},
		{"ARRAY<INT>", "INT", false, ""},
		{"ARRAY<INT>", "INT", true, "VARCHAR"},
		{"MAP<VARCHAR,INT>", "MAP<VARCHAR,BIGINT>", false, "MAP<VARCHAR,BIGINT>"},
	}
	for _, c := range cases {
		got, ok := Merge(mustType(t, c.a), mustType(t, c.b), c.lenient)
		switch {
		case c.want == "" && ok:
			t.Errorf("Merge(%s, %s) = %s, want a conflict", c.a, c.b, got)
		case c.want != "" && !ok:
			t.Errorf("Merge(%s, %s): conflict, want %s", c.a, c.b, c.want)
		case ok && got.String() != c.want:
			t.Errorf("Merge(%s, %s) = %s, want %s", c.a, c.b, got, c.want)
		}
	}
	// NULL takes the other side.
	if got, _ := Merge(tNull, tDate, false); got != tDate {
		t.Errorf("Merge(NULL, DATE) = %s", got)
	}
}

func TestParseTypeRoundTrip(t *testing.T) {
	for _, s := range []string{"INT", "DECIMAL(12,2)", "STRUCT<a:INT,b:ARRAY<STRUCT<c:DATE>>>", "MAP<VARCHAR,ARRAY<DOUBLE>>", "STRUCT<>"} {
		if got := mustType(t, s).String(); got != s {
			t.Errorf("ParseType(%q).String() = %q", s, got)
		}
	}
	for _, s := range []string{"ARRAY<INT", "STRUCT<a INT>", "BLOB", "MAP<INT>", "INT junk"} {
		if _, err := ParseType(s); err == nil {
			t.Errorf("ParseType(%q): expected an error", s)
		}
	}
}

func TestMergeSchemas(t *testing.T) {
	a := []Column{{"id", tInt}, {"name", tString}}
	b := []Column{{"ID", tBigint}, {"score", tDouble}}
	got, cf := mergeByName(a, b, false)
	if cf != nil || schemaText(got) != "id BIGINT, name VARCHAR, score DOUBLE" {
		t.Fatalf("mergeByName = %s, %v", schemaText(got), cf)
	}
	if _, cf := mergeByName(a, []Column{{"name", tInt}}, false); cf == nil || !strings.Contains(cf.Error(), "name") {
		t.Fatalf("expected a conflict on name, got %v", cf)
	}
	got, cf = mergeByPosition([]Column{{"a", tInt}, {"b", tDate}}, []Column{{"A", tDouble}, {"b", tString}}, true, true)
	if cf != nil || schemaText(got) != "a DOUBLE, b VARCHAR" {
		t.Fatalf("mergeByPosition = %s, %v", schemaText(got), cf)
	}
	if _, cf := mergeByPosition([]Column{{"a", tInt}}, []Column{{"x", tInt}}, true, true); cf == nil {
		t.Fatal("expected a header name conflict")
	}
	if _, cf := mergeByPosition([]Column{{"a", tInt}}, []Column{{"a", tInt}, {"b", tInt}}, false, true); cf == nil {
		t.Fatal("expected a column count conflict")
	}
	if ov := overlap(a, b); ov != 0.5 {
		t.Fatalf("overlap = %v", ov)
	}
}

func TestSniffCSV(t *testing.T) {
	cases := []struct {
		name   string
		data   string
		delim  byte
		header bool
		schema string
	}{
		{"comma header", "id,name,price\n1,apple,1.5\n2,pear,2\n", ',', true, "id INT, name VARCHAR, price DOUBLE"},
		{"tab", "a\tb\n1\t2024-01-01\n2\t2024-01-02\n", '\t', true, "a INT, b DATE"},
		{"pipe no header", "1|x|true\n2|y|false\n", '|', false, "col0 INT, col1 VARCHAR, col2 BOOLEAN"},
		{"semicolon", "k;v\nx;1\ny;2\n", ';', true, "k VARCHAR, v INT"},
		{"all strings: no header (Glue rule)", "name,city\nann,oslo\nbob,rome\n", ',', false, "col0 VARCHAR, col1 VARCHAR"},
		{"quoted delimiters", "id,text\n1,\"a, b\"\n2,\"c \"\"q\"\" d\"\n3,\"multi\nline\"\n", ',', true, "id INT, text VARCHAR"},
		{"duplicate names are data", "a,a\n1,2\n", ',', false, "col0 VARCHAR, col1 VARCHAR"},
		{"numeric first row", "1,2\n3,4\n", ',', false, "col0 INT, col1 INT"},
		{"header names sanitised", "User ID,First Name\n1,x\n", ',', true, "user_id INT, first_name VARCHAR"},
		{"crlf", "a,b\r\n1,2\r\n3,4\r\n", ',', true, "a INT, b INT"},
		{"nulls widen", "a,b\n1,\n,2.5\n3000000000,\n", ',', true, "a BIGINT, b DOUBLE"},
		{"ts", "t\n2024-01-01 10:00:00\n2024-01-02T11:00:00Z\n", ',', true, "t TIMESTAMP"},
		{"date and ts", "t,u\n2024-01-01,1\n2024-01-02 00:00:01,2\n", ',', true, "t TIMESTAMP, u INT"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info, cert := analyzeCSV([]byte(c.data), true, 1000)
			if info == nil || cert < minCertainty {
				t.Fatalf("not classified as CSV (certainty %v)", cert)
			}
			if info.delim != c.delim {
				t.Fatalf("delimiter %q, want %q", info.delim, c.delim)
			}
			g := fileGroup(&fileResult{format: FormatCSV, csv: info}, "auto")
			if g.header() != c.header {
				t.Fatalf("header = %v, want %v (vote %d)", g.header(), c.header, info.vote)
			}
			if got := schemaText(g.schema()); got != c.schema {
				t.Fatalf("schema %q, want %q", got, c.schema)
			}
		})
	}
}

func TestParseRecordsPrefix(t *testing.T) {
	// A sample cut in the middle of a record drops the partial record.
	recs, bad := parseRecords([]byte("a,b\n1,2\n3,"), ',', 0, false)
	if len(recs) != 2 || bad != 0 {
		t.Fatalf("recs %q bad %d", recs, bad)
	}
	recs, _ = parseRecords([]byte("a,b\n1,2\n3,"), ',', 0, true)
	if len(recs) != 3 || len(recs[2]) != 2 {
		t.Fatalf("recs %q", recs)
	}
	_, bad = parseRecords([]byte("a,b\"c\n"), ',', 0, true)
	if bad != 1 {
		t.Fatalf("stray quote not counted: %d", bad)
	}
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zst(t testing.TB, s string) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll([]byte(s), nil)
}

// bz2JSON is `printf '{"id":1,"name":"a"}\n{"id":2,"name":"b"}\n' | bzip2 -9`.
var bz2JSON = []byte{
	0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x80, 0xe7,
	0x45, 0xa4, 0x00, 0x00, 0x12, 0x59, 0x80, 0x00, 0x10, 0x10, 0x04, 0x30,
	0x10, 0x36, 0x23, 0x00, 0x0a, 0x20, 0x00, 0x31, 0x4c, 0x00, 0x00, 0x95,
	0x34, 0x01, 0xb5, 0x1e, 0xa3, 0x24, 0x93, 0x63, 0x34, 0x25, 0x2b, 0x22,
	0xa0, 0xc8, 0xf0, 0xca, 0x9a, 0x20, 0x64, 0x1f, 0x17, 0x72, 0x45, 0x38,
	0x50, 0x90, 0x80, 0xe7, 0x45, 0xa4,
}

// avroFile builds an Avro container header with the given schema.
func avroFile(schema string) []byte {
	zz := func(n int64) []byte {
		u := uint64(n<<1) ^ uint64(n>>63)
		var out []byte
		for u >= 0x80 {
			out = append(out, byte(u)|0x80)
			u >>= 7
		}
		return append(out, byte(u))
	}
	str := func(s string) []byte { return append(zz(int64(len(s))), s...) }
	b := append([]byte{}, avroMagic...)
	b = append(b, zz(2)...)
	b = append(b, str("avro.codec")...)
	b = append(b, str("null")...)
	b = append(b, str("avro.schema")...)
	b = append(b, str(schema)...)
	b = append(b, zz(0)...)
	b = append(b, bytes.Repeat([]byte{0xAB}, 16)...) // sync marker
	return b
}

func TestClassify(t *testing.T) {
	jsonl := "{\"id\":1,\"name\":\"a\",\"tags\":[\"x\"],\"geo\":{\"lat\":1.5,\"lon\":2},\"d\":\"2024-01-01\"}\n{\"id\":3000000000,\"name\":null,\"tags\":[],\"geo\":{\"lat\":2,\"alt\":7},\"d\":\"2024-01-02\"}\n"
	avroSchemaJSON := `{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"name","type":["null","string"]},` +
		`{"name":"day","type":{"type":"int","logicalType":"date"}},{"name":"amt","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},` +
		`{"name":"tags","type":{"type":"array","items":"string"}},{"name":"next","type":["null","r"]}]}`
	cases := []struct {
		name      string
		path      string
		data      []byte
		tail      []byte
		format    string
		codec     string
		schema    string
		errSubstr string
	}{
		{"csv", "a.csv", []byte("a,b\n1,x\n"), nil, FormatCSV, "none", "a INT, b VARCHAR", ""},
		{"json lines", "a.json", []byte(jsonl), nil, FormatJSON, "none",
			"id BIGINT, name VARCHAR, tags ARRAY<VARCHAR>, geo STRUCT<lat:DOUBLE,lon:INT,alt:INT>, d DATE", ""},
		{"json with a .csv name", "data.csv", []byte(jsonl), nil, FormatJSON, "none", "", ""},
		{"csv with a .json name", "data.json", []byte("x|y\n1|2\n"), nil, FormatCSV, "none", "x INT, y INT", ""},
		{"gzip json without extension", "part-0000", gz(t, jsonl), nil, FormatJSON, "gzip", "", ""},
		{"gzip csv with .gz", "a.csv.gz", gz(t, "k\tv\nx\t1\n"), nil, FormatCSV, "gzip", "k VARCHAR, v INT", ""},
		{"zstd json", "a.zst", zst(t, jsonl), nil, FormatJSON, "zstd", "", ""},
		{"bzip2 json", "a.bz2", bz2JSON, nil, FormatJSON, "bzip2", "id INT, name VARCHAR", ""},
		{"gz extension, plain content", "a.csv.gz", []byte("a,b\n1,2\n"), nil, "", "", "", "not gzip data"},
		{"parquet magic both ends", "x.csv", append([]byte("PAR1"), []byte("....PAR1")...), []byte("PAR1"), FormatParquet, "none", "", ""},
		{"truncated parquet", "x.parquet", []byte("PAR1\x00\x00\x00\x00\x00\x00"), []byte("\x00\x00\x00\x00"), "", "", "", "without the footer magic"},
		{"avro", "x.bin", avroFile(avroSchemaJSON), nil, FormatAvro, "none",
			"id BIGINT, name VARCHAR, day DATE, amt DECIMAL(10,2), tags ARRAY<VARCHAR>, next VARCHAR", ""},
		{"binary", "x.bin", []byte{1, 2, 0, 4, 5, 0, 0, 9}, nil, "", "", "", "binary"},
		{"gzipped parquet", "x.parquet.gz", gz(t, "PAR1....PAR1"), nil, "", "", "", "compressed binary"},
		{"malformed json is csv at best", "x.json", []byte("{\"a\":1\n{\"a\":\n"), nil, "", "", "", "unrecognised"},
		{"single text column", "notes.txt", []byte("hello\nworld\n"), nil, FormatCSV, "none", "col0 VARCHAR", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Classify(c.path, c.data, c.tail, true, 100)
			if c.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), c.errSubstr) {
					t.Fatalf("err = %v, want one containing %q (got %+v)", err, c.errSubstr, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != c.format || got.Codec != c.codec {
				t.Fatalf("format %s codec %s, want %s %s", got.Format, got.Codec, c.format, c.codec)
			}
			if got.Certainty <= 0 || got.Certainty > 1 {
				t.Fatalf("certainty %v", got.Certainty)
			}
			if c.schema != "" {
				if s := schemaText(got.Columns); s != c.schema {
					t.Fatalf("schema %q, want %q", s, c.schema)
				}
			}
		})
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pat, rel string
		want     bool
	}{
		{"**/tmp/**", "a/tmp/x.csv", true},
		{"**/tmp/**", "tmp/x.csv", true},
		{"**/tmp/**", "a/b/tmp/c/x.csv", true},
		{"**/tmp/**", "a/tmpx/x.csv", false},
		{"*.bak", "x.bak", true},
		{"*.bak", "a/x.bak", false},
		{"**/*.bak", "a/b/x.bak", true},
		{"logs/2023", "logs/2023/01/x.csv", true}, // a folder match excludes its contents
		{"logs/202[0-3]/**", "logs/2022/x", true},
		{"logs/202[0-3]/**", "logs/2024/x", false},
		{"events/dt=2024-0?-01/**", "events/dt=2024-06-01/a.parquet", true},
	}
	for _, c := range cases {
		g, err := compileGlob(c.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.match(c.rel); got != c.want {
			t.Errorf("%q match %q = %v, want %v", c.pat, c.rel, got, c.want)
		}
	}
	if _, err := compileGlob("a/[x"); err == nil {
		t.Error("expected a bad pattern error")
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"Events": "events", "my-table.v2": "my_table_v2", "  a  b ": "a_b", "__x__": "x", "Ünïcode": "ünïcode", "***": "",
	} {
		if got := SanitizeName(in); got != want {
			t.Errorf("SanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClassifyPrefix(t *testing.T) {
	// A sample without a line end from a longer file is not classified.
	if _, err := Classify("big.csv", bytes.Repeat([]byte("a,"), 1000), nil, false, 100); err == nil || !strings.Contains(err.Error(), "no line end in the first 2000 bytes") {
		t.Fatalf("err = %v", err)
	}
	// A prefix whose last line is cut: the complete lines decide.
	c, err := Classify("p.json", []byte("{\"a\":1}\n{\"a\":2}\n{\"a\""), nil, false, 100)
	if err != nil || c.Format != FormatJSON || c.Certainty != 1 {
		t.Fatalf("%+v %v", c, err)
	}
}
