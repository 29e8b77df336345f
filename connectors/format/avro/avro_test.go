package avro

import (
	"bytes"
	"context"
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/hamba/avro/v2/ocf"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
)

const writerSchema = `{"type": "record", "name": "r", "fields": [
  {"name": "id", "type": "long"},
  {"name": "Name", "type": ["null", "string"]},
  {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
  {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
  {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
  {"name": "tsm", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "f", "type": "float"},
  {"name": "d", "type": "double"},
  {"name": "ok", "type": "boolean"},
  {"name": "color", "type": {"type": "enum", "name": "c", "symbols": ["RED", "GREEN"]}},
  {"name": "nested", "type": {"type": "record", "name": "n", "fields": [{"name": "x", "type": {"type": "array", "items": "string"}}, {"name": "m", "type": {"type": "map", "values": "long"}}]}},
  {"name": "small", "type": "int"},
  {"name": "fx", "type": {"type": "fixed", "name": "fx", "size": 3}}
]}`

type nested struct {
	X []string       `avro:"x"`
	M map[string]int `avro:"m"`
}

type rec struct {
	ID     int64      `avro:"id"`
	Name   *string    `avro:"Name"`
	Price  *big.Rat   `avro:"price"`
	Day    *time.Time `avro:"day"`
	Ts     time.Time  `avro:"ts"`
	Tsm    time.Time  `avro:"tsm"`
	F      float32    `avro:"f"`
	D      float64    `avro:"d"`
	OK     bool       `avro:"ok"`
	Color  string     `avro:"color"`
	Nested nested     `avro:"nested"`
	Small  int        `avro:"small"`
	Fx     [3]byte    `avro:"fx"`
}

func mkRecs(n int) []rec {
	out := make([]rec, n)
	for i := range out {
		r := rec{
			ID: int64(i), Price: big.NewRat(int64(i*101-500), 100),
			Ts:  time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC).Add(time.Duration(i) * time.Hour),
			Tsm: time.Date(2020, 5, 6, 7, 8, 9, 120000000, time.UTC),
			F:   float32(i) / 2, D: float64(i) * 1.25, OK: i%2 == 0, Color: []string{"RED", "GREEN"}[i%2],
			Nested: nested{X: []string{"a", "b"}[:i%3], M: map[string]int{"k": i}}, Small: i - 5, Fx: [3]byte{'a', 'b', byte('0' + i%10)},
		}
		if i%3 != 0 {
			s := "name-" + string(rune('a'+i%26))
			r.Name = &s
		}
		if i%4 != 1 {
			d := time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i)
			r.Day = &d
		}
		out[i] = r
	}
	return out
}

func write(t testing.TB, codec ocf.CodecName, recs []rec) []byte {
	var buf bytes.Buffer
	enc, err := ocf.NewEncoder(writerSchema, &buf, ocf.WithCodec(codec), ocf.WithBlockLength(7))
	if err != nil {
		t.Fatal(err)
	}
	for i := range recs {
		if err := enc.Encode(&recs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var tableSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: types.Int64, Nullable: true},
	{Name: "name", Type: types.String, Nullable: true},
	{Name: "price", Type: types.Decimal(12, 3), Nullable: true},
	{Name: "day", Type: types.Date, Nullable: true},
	{Name: "ts", Type: types.Timestamp, Nullable: true},
	{Name: "tsm", Type: types.Timestamp, Nullable: true},
	{Name: "f", Type: types.Float32, Nullable: true},
	{Name: "d", Type: types.Float64, Nullable: true},
	{Name: "ok", Type: types.Boolean, Nullable: true},
	{Name: "color", Type: types.String, Nullable: true},
	{Name: "absent", Type: types.Int32, Nullable: true},
	{Name: "small", Type: types.Int16, Nullable: true},
	{Name: "fx", Type: types.String, Nullable: true},
}, nil)

func readAll(t testing.TB, data []byte, cols []int, mem memory.Allocator) ([]string, error) {
	fs := memfs.New()
	fi := fs.Put("t/a.avro", data)
	f := New()
	splits, err := f.Splits(context.Background(), fs, fi, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range splits {
		r, err := f.Open(context.Background(), fs, s, &connectors.ScanRequest{Schema: tableSchema, Columns: cols, BatchSize: 5, Mem: mem})
		if err != nil {
			return nil, err
		}
		for {
			b, err := r.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				r.Close()
				return nil, err
			}
			for i := 0; i < int(b.NumRows()); i++ {
				var p []string
				for _, c := range b.Columns() {
					p = append(p, c.ValueStr(i))
				}
				out = append(out, strings.Join(p, "|"))
			}
			b.Release()
		}
		r.Close()
	}
	return out, nil
}

func TestCodecs(t *testing.T) {
	recs := mkRecs(23)
	all := make([]int, tableSchema.NumFields())
	for i := range all {
		all[i] = i
	}
	var want []string
	for _, codec := range []ocf.CodecName{ocf.Null, ocf.Deflate, ocf.Snappy, ocf.ZStandard} {
		t.Run(string(codec), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			got, err := readAll(t, write(t, codec, recs), all, mem)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(recs) {
				t.Fatalf("%d rows, want %d", len(got), len(recs))
			}
			if want == nil {
				want = got
				for _, i := range []int{0, 1, 5} {
					t.Logf("row %d: %s", i, got[i])
				}
			} else if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("codec %s differs from null", codec)
			}
		})
	}
	exp := map[int]string{
		0: "0|(null)|-5|2023-12-31|2024-01-02T03:04:05.123456|2020-05-06T07:08:09.12|0|0|true|RED|(null)|-5|ab0",
		1: "1|name-b|-3.99|(null)|2024-01-02T04:04:05.123456|2020-05-06T07:08:09.12|0.5|1.25|false|GREEN|(null)|-4|ab1",
	}
	for i, w := range exp {
		if want[i] != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, want[i], w)
		}
	}
}

func TestProjection(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got, err := readAll(t, write(t, ocf.Null, mkRecs(3)), []int{9, 0}, mem)
	if err != nil {
		t.Fatal(err)
	}
	if w := "RED|0\nGREEN|1\nRED|2"; strings.Join(got, "\n") != w {
		t.Errorf("got %q", strings.Join(got, "\n"))
	}
}

func TestCorrupt(t *testing.T) {
	good := write(t, ocf.Null, mkRecs(10))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"not avro", []byte("hello world"), "not an Avro object container file"},
		{"truncated", good[:len(good)-5], "offset"},
		{"bad sync", append(append([]byte{}, good[:len(good)-1]...), good[len(good)-1]^1), "sync marker mismatch"},
	} {
		_, err := readAll(t, tc.data, []int{0, 1}, mem)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "t/a.avro") {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestInferSchema(t *testing.T) {
	fs := memfs.New()
	fi := fs.Put("a.avro", write(t, ocf.Null, mkRecs(1)))
	_, err := New().InferSchema(context.Background(), fs, fi, nil)
	if err == nil || !strings.Contains(err.Error(), "field nested") {
		t.Fatalf("nested field: %v", err)
	}
}

func FuzzAvro(f *testing.F) {
	f.Add(write(f, ocf.Null, mkRecs(4)))
	f.Add(write(f, ocf.Snappy, mkRecs(2)))
	all := make([]int, tableSchema.NumFields())
	for i := range all {
		all[i] = i
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		readAll(t, data, all, mem)
		mem.AssertSize(t, 0)
	})
}
