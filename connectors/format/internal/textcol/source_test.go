package textcol_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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
	if _, err := textcol.Open(context.Background(), fs, connectors.Split{File: connectors.FileInfo{Path: "missing.txt"}}, &connectors.ScanRequest{}, 1); err == nil {
		t.Error("opening a missing file: no error")
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
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: types.Int64, Nullable: true}}, nil)
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
		b := array.NewInt64Builder(mem)
		for i := range n {
			b.Append(int64(i))
		}
		col := b.NewArray()
		b.Release()
		rec := s.Emit(schema, []arrow.Array{col}, n)
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
