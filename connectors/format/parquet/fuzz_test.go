package parquet

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

// FuzzRead feeds mutated Parquet files through footer parsing and page
// decoding: any outcome but a panic or a leak is fine.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	w := pq.NewGenericWriter[row](&buf, pq.MaxRowsPerRowGroup(16), pq.PageBufferSize(64))
	rows := make([]row, 40)
	for i := range rows {
		rows[i] = mkRow(i)
	}
	w.Write(rows)
	w.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PAR1PAR1"))
	dir := f.TempDir()
	cols := make([]int, tableSchema.NumFields())
	for i := range cols {
		cols[i] = i
	}
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		path := filepath.Join(dir, "f.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Skip()
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		ctx := context.Background()
		fs := local.New()
		fi, err := fs.Stat(ctx, path)
		if err != nil {
			return
		}
		fi.ModTime = fi.ModTime.Add(int64Dur(n)) // defeat the footer cache
		fm := &Format{cache: newFooterCache(4)}
		splits, err := fm.Splits(ctx, fs, fi, nil)
		if err != nil {
			return
		}
		for _, s := range splits {
			r, err := fm.Open(ctx, fs, s, &connectors.ScanRequest{Schema: tableSchema, Columns: cols, BatchSize: 7, Mem: mem})
			if err != nil {
				continue
			}
			for {
				rec, err := r.Next(ctx)
				if err != nil {
					if err != io.EOF {
						break
					}
					break
				}
				rec.Release()
			}
			r.Close()
		}
	})
}

func int64Dur(n int) (d timeDuration) { return timeDuration(n) }

type timeDuration = time.Duration
