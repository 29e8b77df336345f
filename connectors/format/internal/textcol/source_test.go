package textcol_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

func gz(t *testing.T, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readLines reads the lines a source owns.
func readLines(t *testing.T, s *textcol.Source) []string {
	t.Helper()
	lines, err := s.Lines()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		l, ok, err := lines.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return out
		}
		out = append(out, string(l))
	}
}

func TestSourceRanges(t *testing.T) {
	const text = "aa\nbbb\ncccc\nd\n" // lines start at 0, 3, 7, 12
	fs := memfs.New()
	plain := fs.Put("t.txt", []byte(text))
	packed := fs.Put("t.txt.gz", gz(t, text))
	for _, tc := range []struct {
		name       string
		split      connectors.Split
		start, end int64
		lines      string
	}{
		{"whole", connectors.Split{File: plain}, 0, 14, "aa|bbb|cccc|d"},
		{"first range", connectors.Split{File: plain, Offset: 0, Length: 4}, 0, 4, "aa|bbb"},
		{"middle range", connectors.Split{File: plain, Offset: 4, Length: 4}, 4, 8, "cccc"},
		{"range past the end", connectors.Split{File: plain, Offset: 8, Length: 100}, 8, 14, "d"},
		{"compressed", connectors.Split{File: packed}, 0, -1, "aa|bbb|cccc|d"},
		{"compressed, range at 0", connectors.Split{File: packed, Offset: 0, Length: 5}, 0, -1, "aa|bbb|cccc|d"},
		{"compressed, range past 0", connectors.Split{File: packed, Offset: 5, Length: 5}, 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := textcol.Open(context.Background(), fs, tc.split, &connectors.ScanRequest{}, 77)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			end := tc.end
			if end < 0 {
				end = s.In.Size // a stream: read to its end
			}
			if s.Start != tc.start || s.End != end {
				t.Errorf("range [%d, %d), want [%d, %d)", s.Start, s.End, tc.start, end)
			}
			if s.Path != tc.split.File.Path || s.Mem == nil || s.BatchSize != 77 {
				t.Errorf("path %q mem %v batch size %d: defaults not applied", s.Path, s.Mem, s.BatchSize)
			}
			if got := strings.Join(readLines(t, s), "|"); got != tc.lines {
				t.Errorf("lines %q, want %q", got, tc.lines)
			}
		})
	}
}

func TestSourceBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fs := memfs.New()
	file := fs.Put("t.txt", []byte("1\n2\n3\n4\n5\n"))
	stats := &connectors.ScanStats{}
	req := &connectors.ScanRequest{Mem: mem, BatchSize: 2, Limit: 3, Stats: stats}
	s, err := textcol.Open(context.Background(), fs, connectors.Split{File: file}, req, 1024)
	if err != nil {
		t.Fatal(err)
	}
	field := arrow.Field{Name: "x", Type: types.Int64, Nullable: true}
	schema := arrow.NewSchema([]arrow.Field{field}, nil)
	col, err := textcol.New(field)
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for {
		n, err := s.BatchRows(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, n)
		col.Alloc(mem, n)
		for i := range n {
			col.SetInt64(i, int64(len(sizes)*10+i))
		}
		rec, err := textcol.Finish(s, schema, []*textcol.Column{col}, n)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rec.Column(0).ValueStr(n-1), fmt.Sprint(len(sizes)*10+n-1); rec.NumRows() != int64(n) || got != want {
			t.Errorf("batch of %d rows ending in %s, want %d ending in %s", rec.NumRows(), got, n, want)
		}
		rec.Release()
		if len(sizes) > 5 {
			t.Fatal("the limit does not end the split")
		}
	}
	if len(sizes) != 2 || sizes[0] != 2 || sizes[1] != 1 {
		t.Errorf("batch sizes %v, want [2 1] (batch size 2, limit 3)", sizes)
	}
	if got := stats.RowsScanned.Load(); got != 3 {
		t.Errorf("rows scanned %d, want 3", got)
	}
	if got := stats.BytesScanned.Load(); got != 0 {
		t.Errorf("bytes scanned %d before any read, want 0", got)
	}
	readLines(t, s)
	s.Flush()
	if got := stats.BytesScanned.Load(); got != 10 {
		t.Errorf("bytes scanned %d, want 10", got)
	}
	s.Flush()
	if got := stats.BytesScanned.Load(); got != 10 {
		t.Errorf("bytes scanned %d after a second flush, want 10 (counted once)", got)
	}
	col.Alloc(mem, 2) // released by Finish of no rows (the allocator checks)
	if rec, err := textcol.Finish(s, schema, []*textcol.Column{col}, 0); rec != nil || err != io.EOF {
		t.Errorf("Finish of no rows: %v, %v; want nil, io.EOF", rec, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2, err := textcol.Open(ctx, fs, connectors.Split{File: file}, &connectors.ScanRequest{}, 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if _, err := s2.BatchRows(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("BatchRows on a cancelled context: %v", err)
	}
}

// TestOpenRaw: a format that frames its own data reads the file as
// stored (no decompression, even of gzip bytes), with the split's range
// cut to the file, and the bytes it reads through File counted once.
func TestOpenRaw(t *testing.T) {
	fs := memfs.New()
	packed := gz(t, "aa\nbbb\n")
	file := fs.Put("t.bin.gz", packed)
	size := int64(len(packed))
	for _, tc := range []struct {
		name       string
		split      connectors.Split
		start, end int64
	}{
		{"whole", connectors.Split{File: file}, 0, size},
		{"range", connectors.Split{File: file, Offset: 2, Length: 5}, 2, 7},
		{"range past the end", connectors.Split{File: file, Offset: 4, Length: 1000}, 4, size},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stats := &connectors.ScanStats{}
			s, err := textcol.OpenRaw(context.Background(), fs, tc.split, &connectors.ScanRequest{Stats: stats}, 33)
			if err != nil {
				t.Fatal(err)
			}
			if s.In != nil {
				t.Error("OpenRaw set In")
			}
			if s.Start != tc.start || s.End != tc.end {
				t.Errorf("range [%d, %d), want [%d, %d)", s.Start, s.End, tc.start, tc.end)
			}
			if s.Mem == nil || s.BatchSize != 33 {
				t.Errorf("mem %v batch size %d: defaults not applied", s.Mem, s.BatchSize)
			}
			buf := make([]byte, 4)
			if _, err := s.File.ReadAt(buf, 0); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf, packed[:4]) {
				t.Errorf("read % x, want the stored bytes % x", buf, packed[:4])
			}
			s.Flush()
			if _, err := s.File.ReadAt(buf[:3], 4); err != nil {
				t.Fatal(err)
			}
			s.Flush()
			s.Flush()
			if got := stats.BytesScanned.Load(); got != 7 {
				t.Errorf("bytes scanned %d, want 7", got)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}
		})
	}
}

func TestOpenMissing(t *testing.T) {
	for name, open := range map[string]func(context.Context, connectors.FileSystem, connectors.Split, *connectors.ScanRequest, int) (*textcol.Source, error){
		"Open": textcol.Open, "OpenRaw": textcol.OpenRaw,
	} {
		split := connectors.Split{File: connectors.FileInfo{Path: "missing.txt"}}
		if _, err := open(context.Background(), memfs.New(), split, &connectors.ScanRequest{}, 1); err == nil || !strings.Contains(err.Error(), "missing.txt") {
			t.Errorf("%s of a missing file: %v, want an error naming it", name, err)
		}
	}
}
