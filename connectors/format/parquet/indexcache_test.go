package parquet

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/memfs"
)

// readLog is a file system that records every read's extent.
type readLog struct {
	*memfs.FS
	mu    sync.Mutex
	reads [][2]int64
}

type loggedFile struct {
	connectors.File
	log *readLog
}

func (f loggedFile) ReadAt(p []byte, off int64) (int, error) {
	f.log.mu.Lock()
	f.log.reads = append(f.log.reads, [2]int64{off, off + int64(len(p))})
	f.log.mu.Unlock()
	return f.File.ReadAt(p, off)
}

func (l *readLog) Open(ctx context.Context, path string) (connectors.File, error) {
	f, err := l.FS.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	return loggedFile{f, l}, nil
}

// take returns and clears the reads so far.
func (l *readLog) take() [][2]int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.reads
	l.reads = nil
	return r
}

// overlapping counts the reads that touch [lo, hi).
func overlapping(reads [][2]int64, lo, hi int64) int {
	n := 0
	for _, r := range reads {
		if r[0] < hi && r[1] > lo {
			n++
		}
	}
	return n
}

func TestIndexCache(t *testing.T) {
	const n = 6000
	data := writePg(t, n, pq.MaxRowsPerRowGroup(1000), pq.PageBufferSize(2048),
		pq.BloomFilters(pq.SplitBlockFilter(10, "name")))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fs := &readLog{FS: memfs.New()}
	fi := fs.Put("pg.parquet", data)
	f := &Format{cache: newFooterCache(4)}
	m, err := f.footer(context.Background(), fs, fi, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi, ok := m.indexRegion()
	if !ok || hi-lo > maxIndexRegion {
		t.Fatalf("index region [%d, %d) ok=%v: the test file should have a small page index", lo, hi, ok)
	}
	var blooms [][2]int64 // the first byte of each bloom filter
	for _, g := range m.pf.Metadata().RowGroups {
		if o := g.Columns[1].MetaData.BloomFilterOffset; o > 0 {
			blooms = append(blooms, [2]int64{o, o + 1})
		}
	}
	if len(blooms) == 0 {
		t.Fatal("the test file has no bloom filters")
	}
	fs.take()

	for _, tc := range []struct {
		name string
		r    connectors.Range
	}{
		{"page index", connectors.Range{Column: 0, Min: int64(2500), Max: int64(2600)}},
		{"bloom", connectors.Range{Column: 1, Values: []any{"n02550", "n02551x"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := func() *connectors.ScanRequest {
				return &connectors.ScanRequest{Schema: pgSchema, Columns: []int{0, 1, 5}, Ranges: []connectors.Range{tc.r}, Mem: mem, Stats: &connectors.ScanStats{}}
			}
			want := scanPg(t, data, req()) // uncached reference
			r1 := req()
			got1 := scanPgWith(t, f, fs, fi, r1)
			reads1 := fs.take()
			r2 := req()
			got2 := scanPgWith(t, f, fs, fi, r2)
			reads2 := fs.take()
			if !slices.Equal(got1, want) || !slices.Equal(got2, want) {
				t.Fatalf("cached scans differ from the uncached one:\n%v\n%v\n%v", want, got1, got2)
			}
			if k := overlapping(reads2, lo, hi); k != 0 {
				t.Errorf("second scan read the page-index region %d times; want 0 (cached)", k)
			}
			for _, b := range blooms {
				if k := overlapping(reads2, b[0], b[1]); k != 0 {
					t.Errorf("second scan read the bloom filter at %d %d times; want 0 (cached)", b[0], k)
				}
			}
			if b1, b2 := r1.Stats.BytesScanned.Load(), r2.Stats.BytesScanned.Load(); b2 > b1 {
				t.Errorf("bytes scanned grew from %d to %d", b1, b2)
			}
			if tc.name == "page index" && overlapping(reads1, lo, hi) != 1 {
				t.Errorf("first scan read the page-index region %d times; want one read of the whole region", overlapping(reads1, lo, hi))
			}
		})
	}

	// Evicting the footer returns its index bytes to the budget.
	used := indexCacheUsed.Load()
	held := m.idx.bytes
	if held == 0 {
		t.Fatal("nothing cached")
	}
	for i := range 4 {
		other := fs.Put("other"+string(rune('a'+i))+".parquet", data)
		if _, err := f.footer(context.Background(), fs, other, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if got := indexCacheUsed.Load(); got != used-held {
		t.Errorf("after eviction %d bytes are counted, want %d", got, used-held)
	}
	if m.idx.parts != nil || !m.idx.evicted {
		t.Error("the evicted footer still keeps index bytes")
	}
}
