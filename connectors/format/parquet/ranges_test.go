package parquet

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

// rangeFS wraps the local file system; its files implement
// connectors.RangeReader and count calls and bytes.
type rangeFS struct {
	*local.FS
	calls, ranges, rangeBytes, readAtBytes atomic.Int64
	fail                                   error
	// block, when set, makes ReadRanges wait for its context to end
	// and count the cancellations.
	block     bool
	cancelled atomic.Int64
}

type rangeFile struct {
	connectors.File
	fs *rangeFS
}

func (f *rangeFS) Open(ctx context.Context, path string) (connectors.File, error) {
	file, err := f.FS.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return &rangeFile{File: file, fs: f}, nil
}

func (f *rangeFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.File.ReadAt(p, off)
	f.fs.readAtBytes.Add(int64(n))
	return n, err
}

func (f *rangeFile) ReadRanges(ctx context.Context, rs []connectors.ByteRange) ([][]byte, error) {
	f.fs.calls.Add(1)
	f.fs.ranges.Add(int64(len(rs)))
	if f.fs.block {
		<-ctx.Done()
		f.fs.cancelled.Add(1)
		return nil, ctx.Err()
	}
	if f.fs.fail != nil {
		return nil, f.fs.fail
	}
	// One backing buffer, like a coalescing object store.
	var total int64
	for _, r := range rs {
		total += r.Len
	}
	buf := make([]byte, total)
	out := make([][]byte, len(rs))
	var at int64
	for i, r := range rs {
		if _, err := f.File.ReadAt(buf[at:at+r.Len], r.Off); err != nil {
			return nil, err
		}
		out[i] = buf[at : at+r.Len]
		at += r.Len
	}
	f.fs.rangeBytes.Add(total)
	return out, nil
}

func readWith(t *testing.T, fs connectors.FileSystem, path string, cols []int, ranges []connectors.Range) ([][]string, *connectors.ScanStats, error) {
	t.Helper()
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fi, err := fs.Stat(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	f := &Format{cache: newFooterCache(4)}
	st := &connectors.ScanStats{}
	req := &connectors.ScanRequest{Schema: tableSchema, Columns: cols, Ranges: ranges, BatchSize: 50, Mem: mem, Stats: st}
	r, err := f.Open(ctx, fs, connectors.Split{File: fi}, req)
	if err != nil {
		return nil, st, err
	}
	defer r.Close()
	var out [][]string
	for {
		rec, err := r.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, st, err
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			var vals []string
			for c := 0; c < int(rec.NumCols()); c++ {
				vals = append(vals, render(rec.Column(c), i))
			}
			out = append(out, vals)
		}
		rec.Release()
	}
	return out, st, nil
}

func TestReadRangesHook(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.parquet")
	writeFile(t, path, 1000, pq.MaxRowsPerRowGroup(128), pq.PageBufferSize(512))
	cols := []int{0, 3, 7, 9, 15} // ID, i32, name, d64, missing
	want, wantSt, err := readWith(t, local.New(), path, cols, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := &rangeFS{FS: local.New()}
	got, st, err := readWith(t, fs, path, cols, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1000 || len(got) != len(want) {
		t.Fatalf("rows %d vs %d", len(got), len(want))
	}
	for i := range want {
		for c := range want[i] {
			if got[i][c] != want[i][c] {
				t.Fatalf("row %d col %d: %s vs %s", i, c, got[i][c], want[i][c])
			}
		}
	}
	const rowGroups = 8 // 1000 rows / 128
	if fs.calls.Load() != rowGroups || fs.ranges.Load() != rowGroups*4 {
		t.Errorf("ReadRanges: %d calls, %d ranges; want %d calls of 4 ranges (the missing column reads nothing)", fs.calls.Load(), fs.ranges.Load(), rowGroups)
	}
	// Bytes are counted the same way on both paths; column data came
	// through ReadRanges, only metadata through ReadAt.
	if st.BytesScanned.Load() != wantSt.BytesScanned.Load() {
		t.Errorf("BytesScanned %d with ReadRanges, %d without", st.BytesScanned.Load(), wantSt.BytesScanned.Load())
	}
	// ReadRanges fetched exactly the projected chunks (from the footer,
	// independently of the reader), ReadAt only the rest (footer).
	var chunks int64
	pf := openMeta(t, path)
	for _, rg := range pf.Metadata().RowGroups {
		for _, c := range rg.Columns {
			switch c.MetaData.PathInSchema[0] {
			case "id", "i32", "name", "d64":
				chunks += c.MetaData.TotalCompressedSize
			}
		}
	}
	if fs.rangeBytes.Load() != chunks || fs.readAtBytes.Load()+fs.rangeBytes.Load() != st.BytesScanned.Load() {
		t.Errorf("ReadRanges read %d bytes (chunks: %d), ReadAt %d, counted %d", fs.rangeBytes.Load(), chunks, fs.readAtBytes.Load(), st.BytesScanned.Load())
	}

	// Pruned row groups are not fetched.
	fs2 := &rangeFS{FS: local.New()}
	got, _, err = readWith(t, fs2, path, cols, []connectors.Range{{Column: 0, Min: int64(300), Max: int64(400)}})
	if err != nil {
		t.Fatal(err)
	}
	if n := fs2.calls.Load(); n != 2 { // rows 256..383 and 384..511
		t.Errorf("pruned read: %d ReadRanges calls, want 2", n)
	}
	if len(got) == 0 {
		t.Error("pruned read returned nothing")
	}

	// Errors name the file and row group.
	fs3 := &rangeFS{FS: local.New(), fail: io.ErrUnexpectedEOF}
	_, _, err = readWith(t, fs3, path, cols, nil)
	if err == nil || !contains(err.Error(), "f.parquet: row group 0: reading 4 column chunks: unexpected EOF") {
		t.Errorf("error: %v", err)
	}
}

// TestReadAhead checks that on a file that reads ranges (an object
// store) the reader fetches a row group before it is needed: Open starts
// the first, and opening one starts the next; Close cancels a fetch in
// flight and waits for it.
func TestReadAhead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.parquet")
	writeFile(t, path, 1000, pq.MaxRowsPerRowGroup(128), pq.PageBufferSize(512))
	ctx := context.Background()
	open := func(fs connectors.FileSystem, mem memory.Allocator) connectors.BatchReader {
		t.Helper()
		fi, err := fs.Stat(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		req := &connectors.ScanRequest{Schema: tableSchema, Columns: []int{0, 7}, BatchSize: 1000, Mem: mem}
		r, err := (&Format{cache: newFooterCache(4)}).Open(ctx, fs, connectors.Split{File: fi}, req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	waitCalls := func(fs *rangeFS, n int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for fs.calls.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d ReadRanges calls, want %d: the fetch was not started ahead", fs.calls.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}

	t.Run("ahead", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		fs := &rangeFS{FS: local.New()}
		r := open(fs, mem)
		waitCalls(fs, 1) // row group 0, before any Next
		rec, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec.NumRows() != 128 {
			t.Errorf("first batch has %d rows, want row group 0's 128", rec.NumRows())
		}
		rec.Release()
		waitCalls(fs, 2) // row group 1, while row group 0 is consumed
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("close cancels", func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		before := runtime.NumGoroutine()
		fs := &rangeFS{FS: local.New(), block: true}
		r := open(fs, mem)
		waitCalls(fs, 1)
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if fs.cancelled.Load() != 1 {
			t.Errorf("Close returned with the fetch still in flight")
		}
		if n := runtime.NumGoroutine(); n > before {
			t.Errorf("%d goroutines after Close, %d before", n, before)
		}
	})
}

func openMeta(t *testing.T, path string) *pq.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	st, _ := f.Stat()
	pf, err := pq.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	return pf
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
