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
	return read(fs, fi, &connectors.ScanRequest{Schema: tableSchema, Columns: cols, BatchSize: 5, Mem: mem})
}

// read reads a file's splits: its rows with the values joined by "|".
func read(fs connectors.FileSystem, fi connectors.FileInfo, req *connectors.ScanRequest) ([]string, error) {
	f := New()
	splits, err := f.Splits(context.Background(), fs, fi, nil)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, s := range splits {
		r, err := f.Open(context.Background(), fs, s, req)
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

// countingFS counts the calls to ReadAt and the bytes they return.
type countingFS struct {
	*memfs.FS
	calls, bytes int64
}

type countingFile struct {
	connectors.File
	fs *countingFS
}

func (c *countingFS) Open(ctx context.Context, path string) (connectors.File, error) {
	f, err := c.FS.Open(ctx, path)
	return countingFile{f, c}, err // not used on an error
}

func (c countingFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.File.ReadAt(p, off)
	c.fs.calls++
	c.fs.bytes += int64(n)
	return n, err
}

// TestStats checks the rows and bytes counted into the scan stats, and
// that every byte of the file is read from storage once (the header
// read's bytes serve the blocks inside it).
func TestStats(t *testing.T) {
	for _, tc := range []struct {
		name      string
		recs      int
		limit     int64
		wantRows  int64
		maxCalls  int64 // ReadAt calls at most
		wholeFile bool  // every byte read, each once
	}{
		{"small file", 23, 0, 23, 1, true},
		{"small file, limit", 23, 3, 3, 1, false},
		{"large file", 4000, 0, 4000, -1, true},
		{"large file, limit", 4000, 10, 10, 1, false},
		{"empty file", 0, 0, 0, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			data := write(t, ocf.Deflate, mkRecs(tc.recs))
			if tc.recs == 4000 && len(data) <= 64<<10 {
				t.Fatalf("large file is only %d bytes: it must exceed the 64 KiB header read", len(data))
			}
			fs := &countingFS{FS: memfs.New()}
			fi := fs.Put("t/a.avro", data)
			var stats connectors.ScanStats
			out, err := read(fs, fi, &connectors.ScanRequest{
				Schema: tableSchema, Columns: []int{0, 1}, BatchSize: 100, Limit: tc.limit, Mem: mem, Stats: &stats,
			})
			if err != nil {
				t.Fatal(err)
			}
			if rows := int64(len(out)); rows != tc.wantRows || stats.RowsScanned.Load() != tc.wantRows {
				t.Errorf("rows %d, counted %d, want %d", len(out), stats.RowsScanned.Load(), tc.wantRows)
			}
			if got := stats.BytesScanned.Load(); got != fs.bytes {
				t.Errorf("BytesScanned %d, but %d bytes were read", got, fs.bytes)
			}
			if tc.wholeFile && fs.bytes != int64(len(data)) {
				t.Errorf("%d bytes read from a file of %d", fs.bytes, len(data))
			}
			if !tc.wholeFile && fs.bytes > int64(len(data)) {
				t.Errorf("%d bytes read from a file of %d", fs.bytes, len(data))
			}
			if tc.maxCalls > 0 && fs.calls > tc.maxCalls {
				t.Errorf("%d reads, want at most %d", fs.calls, tc.maxCalls)
			}
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, codec := range []ocf.CodecName{ocf.Null, ocf.Deflate} {
		b.Run(string(codec), func(b *testing.B) {
			data := write(b, codec, mkRecs(5000))
			fs := memfs.New()
			fi := fs.Put("t/a.avro", data)
			req := &connectors.ScanRequest{Schema: tableSchema, Columns: []int{0, 1, 2, 3, 4, 7, 8}, BatchSize: 1024, Mem: memory.NewGoAllocator()}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := New().Open(context.Background(), fs, connectors.Split{File: fi, Rows: -1}, req)
				if err != nil {
					b.Fatal(err)
				}
				ctx := context.Background()
				for rec, err := r.Next(ctx); err != io.EOF; rec, err = r.Next(ctx) {
					if err != nil {
						b.Fatal(err)
					}
					rec.Release()
				}
				r.Close()
			}
		})
	}
}

// TestDecimalScaleUp: a decimal read into a column of a larger scale is
// multiplied up exactly, and a value that does not fit the column is an
// error, also where the product would overflow 128 bits.
func TestDecimalScaleUp(t *testing.T) {
	const schema = `{"type": "record", "name": "r", "fields": [{"name": "v", "type": {"type": "fixed", "name": "d", "size": 16, "logicalType": "decimal", "precision": 38, "scale": 0}}]}`
	pow10 := func(k int64) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(k), nil) }
	for _, tc := range []struct {
		name string
		v    *big.Int
		dt   arrow.DataType
		want string // the value read (ValueStr), or the error
	}{
		{"small", big.NewInt(12345), types.Decimal(38, 2), "12345"},
		{"negative", big.NewInt(-7), types.Decimal(10, 3), "-7"},
		{"zero into scale 38", big.NewInt(0), types.Decimal(38, 38), "0"},
		{"largest that fits", new(big.Int).Sub(pow10(36), big.NewInt(1)), types.Decimal(38, 2), "999999999999999999999999999999999999"},
		{"too many digits", pow10(36), types.Decimal(38, 2), "does not fit DECIMAL(38,2)"},
		{"product overflows", new(big.Int).Neg(pow10(37)), types.Decimal(38, 2), "does not fit DECIMAL(38,2)"},
		{"into scale 38", big.NewInt(1), types.Decimal(38, 38), "does not fit DECIMAL(38,38)"},
		{"too wide for decimal64", pow10(8), types.Decimal(10, 2), "does not fit DECIMAL(10,2)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var buf bytes.Buffer
			enc, err := ocf.NewEncoder(schema, &buf)
			if err != nil {
				t.Fatal(err)
			}
			if err := enc.Encode(map[string]any{"v": new(big.Rat).SetInt(tc.v)}); err != nil {
				t.Fatal(err)
			}
			if err := enc.Close(); err != nil {
				t.Fatal(err)
			}
			fs := memfs.New()
			fi := fs.Put("t/a.avro", buf.Bytes())
			req := &connectors.ScanRequest{Schema: arrow.NewSchema([]arrow.Field{{Name: "v", Type: tc.dt, Nullable: true}}, nil), Columns: []int{0}, Mem: mem}
			got, err := read(fs, fi, req)
			if err != nil {
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("error %v, want %q", err, tc.want)
				}
				return
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("read %q, want %q", got, tc.want)
			}
		})
	}
}
