package s3_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/s3"
	"github.com/tarnsql/tarn/datagen/tpch"
	"github.com/tarnsql/tarn/internal/testsrv/minio"
)

// BenchmarkScanLineitem scans TPC-H lineitem (Parquet, all columns)
// through filetable from the local disk and from MinIO on 127.0.0.1,
// with the splits read in parallel (GOMAXPROCS readers, as the engine's
// slices do). MB/s is the Parquet bytes per second. The scale factor is
// TARN_BENCH_SF (default 0.3, about 60 MB of lineitem); data is cached
// under the test cache directory.
func BenchmarkScanLineitem(b *testing.B) {
	sf := 0.3
	if s := os.Getenv("TARN_BENCH_SF"); s != "" {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			b.Fatal(err)
		}
		sf = v
	}
	dir := filepath.Join(filepath.Dir(minio.CacheDir()), "bench-tpch-"+strconv.FormatFloat(sf, 'f', -1, 64))
	tables, err := tpch.Generate(context.Background(), tpch.Options{SF: sf, Dir: dir, Database: "tpch", Format: "parquet", Reuse: true})
	if err != nil {
		b.Fatal(err)
	}
	var li *catalog.Table
	for i := range tables {
		if tables[i].Name == "lineitem" {
			li = &tables[i]
		}
	}
	var size int64
	filepath.Walk(li.Location, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			size += info.Size()
		}
		return nil
	})

	srv := minio.Start(b)
	srv.MakeBucket(b, bucket)
	uploadDir(b, srv, li.Location, "bench/lineitem")
	s3.SetBucket(bucket, s3.Config{Endpoint: srv.Endpoint, Region: srv.Region, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey})
	defer s3.ResetRegistry()

	for _, c := range []struct{ name, loc string }{
		{"local", li.Location},
		{"minio", "s3://" + bucket + "/bench/lineitem"},
	} {
		b.Run(c.name, func(b *testing.B) {
			tbl := openTable(b, li, c.loc)
			b.SetBytes(size)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				scanParallel(b, tbl)
			}
		})
	}
}

// scanParallel reads all splits with GOMAXPROCS workers, releasing
// batches as they come.
func scanParallel(b *testing.B, tbl connectors.Table) {
	ctx := context.Background()
	cols := make([]int, tbl.Schema().NumFields())
	for i := range cols {
		cols[i] = i
	}
	req := &connectors.ScanRequest{Schema: tbl.Schema(), Columns: cols, BatchSize: 1024, Mem: memory.DefaultAllocator, Stats: &connectors.ScanStats{}}
	splits, err := tbl.Splits(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	work := make(chan connectors.Split, len(splits))
	for _, s := range splits {
		work <- s
	}
	close(work)
	workers := max(2, runtimeProcs())
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		go func() {
			for s := range work {
				r, err := tbl.Open(ctx, s, req)
				if err != nil {
					errs <- err
					return
				}
				for {
					rec, err := r.Next(ctx)
					if err == io.EOF {
						break
					}
					if err != nil {
						r.Close()
						errs <- err
						return
					}
					rec.Release()
				}
				r.Close()
			}
			errs <- nil
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// BenchmarkRowGroupChunks reads the 16 column chunks of a simulated
// Parquet row group (4 MiB) through a proxy that adds 5 ms to every
// request, as a store farther away than 127.0.0.1 would: one ReadAt per
// chunk, as the Parquet reader does today, against one ReadRanges call
// (the connectors.RangeReader hook), which coalesces them.
func BenchmarkRowGroupChunks(b *testing.B) {
	srv := minio.Start(b)
	srv.MakeBucket(b, bucket)
	data := make([]byte, 5<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	srv.Put(b, bucket, "bench/rowgroup.bin", data)
	proxy := minio.NewFaultProxy(b, srv.Endpoint, 1)
	proxy.SetFaults(minio.Faults{Delay: 1, DelayFor: 5 * time.Millisecond})
	cfg := s3.Config{Endpoint: proxy.URL, Region: srv.Region, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey}
	fsys, err := s3.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	var ranges []connectors.ByteRange
	for off := int64(4); len(ranges) < 16; off += 256<<10 + 100 {
		ranges = append(ranges, connectors.ByteRange{Off: off, Len: 256 << 10})
	}
	ctx := context.Background()
	b.Run("ReadAt", func(b *testing.B) {
		b.SetBytes(16 * 256 << 10)
		for i := 0; i < b.N; i++ {
			f, err := fsys.Open(ctx, "s3://"+bucket+"/bench/rowgroup.bin")
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range ranges {
				if _, err := f.ReadAt(make([]byte, r.Len), r.Off); err != nil {
					b.Fatal(err)
				}
			}
			f.Close()
		}
	})
	b.Run("ReadRanges", func(b *testing.B) {
		b.SetBytes(16 * 256 << 10)
		for i := 0; i < b.N; i++ {
			f, err := fsys.Open(ctx, "s3://"+bucket+"/bench/rowgroup.bin")
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.(connectors.RangeReader).ReadRanges(ctx, ranges); err != nil {
				b.Fatal(err)
			}
			f.Close()
		}
	})
}

// BenchmarkSequentialRead reads a 16 MiB object front to back in 256 KiB
// ReadAt calls (as the text formats and compressed streams do) through a
// proxy adding 5 ms to every response (a network round trip), with the
// sequential read-ahead on and off. MB/s is the object's bytes per
// second.
func BenchmarkSequentialRead(b *testing.B) {
	srv := minio.Start(b)
	srv.MakeBucket(b, bucket)
	data := make([]byte, 16<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	srv.Put(b, bucket, "bench/sequential.bin", data)
	proxy := minio.NewFaultProxy(b, srv.Endpoint, 1)
	proxy.SetFaults(minio.Faults{Delay: 1, DelayFor: 5 * time.Millisecond})
	ctx := context.Background()
	for _, tc := range []struct {
		name      string
		readAhead int64
	}{{"ReadAhead", 0}, {"NoReadAhead", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := s3.Config{Endpoint: proxy.URL, Region: srv.Region, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, ReadAhead: tc.readAhead}
			fsys, err := s3.New(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 256<<10)
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				f, err := fsys.Open(ctx, "s3://"+bucket+"/bench/sequential.bin")
				if err != nil {
					b.Fatal(err)
				}
				for off := int64(0); off < f.Size(); off += int64(len(buf)) {
					if _, err := f.ReadAt(buf, off); err != nil && err != io.EOF {
						b.Fatal(err)
					}
				}
				f.Close()
			}
		})
	}
}
