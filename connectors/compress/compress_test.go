package compress

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

type memFile struct{ *bytes.Reader }

func mf(b []byte) memFile { return memFile{bytes.NewReader(b)} }

func compressWith(t testing.TB, c Codec, data []byte) []byte {
	var b bytes.Buffer
	var w io.WriteCloser
	switch c {
	case Gzip:
		w = gzip.NewWriter(&b)
	case Zstd:
		w, _ = zstd.NewWriter(&b)
	case Snappy:
		w = snappy.NewBufferedWriter(&b)
	case LZ4:
		w = lz4.NewWriter(&b)
	case Deflate:
		w, _ = flate.NewWriter(&b, 5)
	case Zlib:
		w = zlib.NewWriter(&b)
	default:
		t.Fatalf("no writer for %s", c)
	}
	w.Write(data)
	w.Close()
	return b.Bytes()
}

// hadoopSnappyBlock frames data as Hadoop's SnappyCodec does.
func hadoopSnappyBlock(data []byte, chunk int) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(data)))
	for off := 0; off < len(data); off += chunk {
		c := snappy.Encode(nil, data[off:min(off+chunk, len(data))])
		binary.Write(&b, binary.BigEndian, uint32(len(c)))
		b.Write(c)
	}
	return b.Bytes()
}

// readAll reads an input front to back the way the text readers do.
func readAll(in *Input) ([]byte, error) {
	var out []byte
	buf := make([]byte, 1000)
	for off := int64(0); ; {
		n := min(int64(len(buf)), in.Size-off)
		if n <= 0 {
			return out, nil
		}
		k, err := in.ReadAt(buf[:n], off)
		out = append(out, buf[:k]...)
		off += int64(k)
		if err != nil && err != io.EOF {
			return out, err
		}
		if err == io.EOF || k == 0 {
			return out, nil
		}
	}
}

func TestRoundTrip(t *testing.T) {
	var sb strings.Builder
	for i := 0; i < 5000; i++ {
		sb.WriteString("line of text number ")
		sb.WriteString(strings.Repeat("x", i%17))
		sb.WriteString("\n")
	}
	data := []byte(sb.String())
	bz, err := os.ReadFile("testdata/small.csv.bz2")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		path  string
		file  []byte
		want  []byte
		codec Codec
		opts  map[string]string
	}{
		{"plain", "a.csv", data, data, None, nil},
		{"gzip", "a.csv.gz", compressWith(t, Gzip, data), data, Gzip, nil},
		{"gzip multi-member", "a.csv.gz", append(compressWith(t, Gzip, data[:100]), compressWith(t, Gzip, data[100:])...), data, Gzip, nil},
		{"zstd", "a.csv.zst", compressWith(t, Zstd, data), data, Zstd, nil},
		{"snappy framed", "a.csv.sz", compressWith(t, Snappy, data), data, Snappy, nil},
		{"snappy hadoop", "a.csv.snappy", hadoopSnappyBlock(data, 4096), data, Snappy, nil},
		{"lz4", "a.csv.lz4", compressWith(t, LZ4, data), data, LZ4, nil},
		{"deflate raw", "a.csv.deflate", compressWith(t, Deflate, data), data, Deflate, nil},
		{"deflate hadoop (zlib)", "a.csv.deflate", compressWith(t, Zlib, data), data, Zlib, nil},
		{"zlib", "a.csv.zz", compressWith(t, Zlib, data), data, Zlib, nil},
		{"bzip2", "small.csv.bz2", bz, []byte("a,b\n1,hello\n2,world\n"), Bzip2, nil},
		{"gzip by magic", "a.csv", compressWith(t, Gzip, data), data, Gzip, nil},
		{"zstd named gz", "a.csv.gz", compressWith(t, Zstd, data), data, Zstd, nil},
		{"forced", "a.dat", compressWith(t, Zlib, data), data, Zlib, map[string]string{"compression": "zlib"}},
		{"forced none", "a.csv.gz", data, data, None, map[string]string{"COMPRESSION": "none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Open(tc.path, mf(tc.file), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			if in.Codec != tc.codec {
				t.Errorf("codec %s, want %s", in.Codec, tc.codec)
			}
			if in.Stream() != (tc.codec != None) || (in.Size == math.MaxInt64) != in.Stream() {
				t.Errorf("stream %v size %d", in.Stream(), in.Size)
			}
			got, err := readAll(in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(tc.want))
			}
			if in.RawBytes() != int64(len(tc.file)) {
				t.Errorf("raw bytes %d, file has %d", in.RawBytes(), len(tc.file))
			}
		})
	}
}

func TestErrors(t *testing.T) {
	gz := compressWith(t, Gzip, []byte(strings.Repeat("hello\n", 1000)))
	for _, tc := range []struct {
		name, path string
		file       []byte
		opts       map[string]string
		open, read string // expected error substrings
	}{
		{name: "gz not gzip", path: "dir/a.csv.gz", file: []byte("id,name\n1,x\n"), open: "dir/a.csv.gz: file extension says gzip but the file is not gzip data"},
		{name: "zlib wrong", path: "a.zz", file: []byte("hello"), open: "a.zz: file extension says zlib"},
		{name: "forced mismatch", path: "a.csv", file: []byte("plain"), opts: map[string]string{"compression": "gzip"}, open: "compression=gzip but the file does not start with gzip data"},
		{name: "bad option", path: "a.csv", file: []byte("plain"), opts: map[string]string{"compression": "rar"}, open: "unknown codec"},
		{name: "truncated gzip", path: "t.gz", file: gz[:len(gz)/2], read: "t.gz: corrupt gzip data"},
		{name: "corrupt gzip", path: "c.gz", file: append(append([]byte{}, gz[:20]...), bytes.Repeat([]byte{0xff}, 50)...), read: "c.gz: corrupt gzip data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := Open(tc.path, mf(tc.file), tc.opts)
			if tc.open != "" {
				if err == nil || !strings.Contains(err.Error(), tc.open) {
					t.Fatalf("open error %v, want %q", err, tc.open)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			_, err = readAll(in)
			if err == nil || !strings.Contains(err.Error(), tc.read) {
				t.Fatalf("read error %v, want %q", err, tc.read)
			}
		})
	}
}

func TestSequentialOnly(t *testing.T) {
	in, err := Open("a.gz", mf(compressWith(t, Gzip, []byte("abcdef"))), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := in.ReadAt(make([]byte, 2), 3); err == nil || !strings.Contains(err.Error(), "read sequentially") {
		t.Fatalf("random read: %v", err)
	}
}

func TestSplittable(t *testing.T) {
	for _, tc := range []struct {
		path string
		opts map[string]string
		want bool
	}{
		{"a.csv", nil, true},
		{"a.csv.gz", nil, false},
		{"a.json.zst", nil, false},
		{"a.csv", map[string]string{"compression": "gzip"}, false},
		{"a.csv.gz", map[string]string{"compression": "none"}, true},
	} {
		if got := Splittable(tc.path, tc.opts); got != tc.want {
			t.Errorf("Splittable(%s, %v) = %v", tc.path, tc.opts, got)
		}
	}
}

func BenchmarkGzipRead(b *testing.B) {
	data := []byte(strings.Repeat("2024-01-02,some text value,12345.67,true\n", 50000))
	gz := compressWith(b, Gzip, data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		in, err := Open("a.gz", mf(gz), nil)
		if err != nil {
			b.Fatal(err)
		}
		readAll(in)
		in.Close()
	}
}
