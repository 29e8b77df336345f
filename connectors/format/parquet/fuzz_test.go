package parquet

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

// FuzzRead feeds mutated Parquet files through footer parsing and page
// decoding: any outcome but a panic, a leak or a large allocation is
// fine. Files live in memory and the seed is small so that each input
// (and the minimization of new ones) runs fast.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	w := pq.NewGenericWriter[row](&buf, pq.MaxRowsPerRowGroup(6), pq.PageBufferSize(64),
		pq.BloomFilters(pq.SplitBlockFilter(10, "name"), pq.SplitBlockFilter(10, "id")))
	rows := make([]row, 12)
	for i := range rows {
		rows[i] = mkRow(i)
	}
	w.Write(rows)
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PAR1PAR1"))
	// Nested columns (structs, lists, maps; v1 pages split rows).
	buf.Reset()
	nw := pq.NewGenericWriter[nRow](&buf, pq.MaxRowsPerRowGroup(6), pq.PageBufferSize(64), pq.DataPageVersion(1))
	for i := 0; i < 9; i++ {
		nw.Write([]nRow{mkNRow(i)})
	}
	nw.Close()
	f.Add(buf.Bytes())
	cols := make([]int, tableSchema.NumFields())
	for i := range cols {
		cols[i] = i
	}
	fs := memfs.New()
	readAll := func(fm *Format, s connectors.Split, req *connectors.ScanRequest) {
		ctx := context.Background()
		r, err := fm.Open(ctx, fs, s, req)
		if err != nil {
			return
		}
		for {
			rec, err := r.Next(ctx)
			if err != nil {
				break
			}
			rec.Release()
		}
		r.Close()
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		ctx := context.Background()
		fi := fs.Put("f.parquet", data) // a new modification time defeats the footer cache
		fm := &Format{cache: newFooterCache(4)}
		splits, err := fm.Splits(ctx, fs, fi, nil)
		if err != nil {
			return
		}
		// Once without ranges, once with ranges that use row group
		// statistics, page indexes, bloom filters and page skipping.
		ranges := []connectors.Range{{Column: 0, Min: int64(3), Max: int64(9)}, {Column: 7, Values: []any{"name-3", "name-5"}}}
		for k := 0; k < 2*len(splits); k++ {
			s := splits[k/2]
			req := &connectors.ScanRequest{Schema: tableSchema, Columns: cols, BatchSize: 7, Mem: mem}
			if k%2 == 1 {
				req.Ranges = ranges
				var ok bool
				if s, ok, _, err = fm.PruneSplit(ctx, fs, s, req); err != nil || !ok {
					continue
				}
			}
			readAll(fm, s, req)
		}
		// Every column as the file declares it (nested ones included).
		if sc, err := fm.InferSchema(ctx, fs, fi, nil); err == nil {
			for _, s := range splits {
				readAll(fm, s, &connectors.ScanRequest{Schema: sc, Columns: allCols(sc), BatchSize: 3, Mem: mem})
			}
		}
	})
}

// TestCorruptPageSize reads a file whose page header declares a ~1 GB
// compressed page (found by FuzzRead, where it stalled the fuzzer): the
// read must fail fast with the path and offset, allocating little.
func TestCorruptPageSize(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	fs := local.New()
	path := filepath.Join("testdata", "page_size_1gb.parquet")
	fi, err := fs.Stat(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cols := make([]int, tableSchema.NumFields())
	for i := range cols {
		cols[i] = i
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	fm := &Format{cache: newFooterCache(4)}
	splits, err := fm.Splits(ctx, fs, fi, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Every row group is read: the oversized page is in row group 1.
	var errs []error
	for _, s := range splits {
		r, err := fm.Open(ctx, fs, s, &connectors.ScanRequest{Schema: tableSchema, Columns: cols, BatchSize: 7, Mem: mem})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for {
			rec, err := r.Next(ctx)
			if err != nil {
				if err != io.EOF {
					errs = append(errs, err)
				}
				break
			}
			rec.Release()
		}
		r.Close()
	}
	runtime.ReadMemStats(&after)
	if len(errs) != len(splits) {
		t.Fatalf("%d of %d corrupt row groups reported: %v", len(errs), len(splits), errs)
	}
	for _, err := range errs {
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "offset") {
			t.Errorf("error %q should name the file and the offset", msg)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 32<<20 {
		t.Errorf("allocated %d bytes reading a %d-byte file", got, fi.Size)
	}
}
