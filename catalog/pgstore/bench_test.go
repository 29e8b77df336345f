package pgstore

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

const benchParts = 100_000

var (
	benchOnce  sync.Once
	benchStore *Store
	benchErr   error
)

// benchCatalog returns a store whose d.t has 100,000 daily partitions
// (built once per test process; the database is dropped by postgres.Main
// stopping the server).
func benchCatalog(b *testing.B) *Store {
	pg := postgres.Get(b)
	benchOnce.Do(func() {
		ctx := context.Background()
		name, err := pg.CreateDatabase(ctx)
		if err != nil {
			benchErr = err
			return
		}
		s, err := Open(ctx, pg.DSN(name))
		if err != nil {
			benchErr = err
			return
		}
		benchStore = s
		if benchErr = s.CreateDatabase(ctx, catalog.Database{Name: "d"}, false); benchErr != nil {
			return
		}
		if benchErr = s.CreateTable(ctx, catalogtest.PartitionedTable("d", "t", "dt"), false); benchErr != nil {
			return
		}
		start := time.Now()
		benchErr = catalogtest.FillPartitions(ctx, s, "d", "t", benchParts)
		b.Logf("FillPartitions(%d): %v", benchParts, time.Since(start))
		if benchErr == nil {
			_, benchErr = s.pool.Exec(ctx, "VACUUM ANALYZE tarn.partitions")
		}
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func BenchmarkListPartitions(b *testing.B) {
	ctx := context.Background()
	s := benchCatalog(b)
	one := catalogtest.Day(54321)
	lo, hi := catalogtest.Day(70000), catalogtest.Day(70006)
	for _, bc := range []struct {
		name string
		f    *catalog.PartitionFilter
		want int
	}{
		{"eq_1of100k", &catalog.PartitionFilter{Lo: &one, Hi: &one, Match: func(v []string) bool { return v[0] == one }}, 1},
		{"range_7of100k", &catalog.PartitionFilter{Lo: &lo, Hi: &hi, Match: func(v []string) bool { return v[0] >= lo && v[0] <= hi }}, 7},
		{"match_1of100k", &catalog.PartitionFilter{Match: func(v []string) bool { return v[0] == one }}, 1},
		{"all_100k", nil, benchParts},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				ps, err := s.ListPartitions(ctx, "d", "t", bc.f)
				if err != nil {
					b.Fatal(err)
				}
				if len(ps) != bc.want {
					b.Fatalf("%d partitions, want %d", len(ps), bc.want)
				}
			}
		})
	}
}

func BenchmarkCountPartitions(b *testing.B) {
	ctx := context.Background()
	s := benchCatalog(b)
	for i := 0; i < b.N; i++ {
		if n, err := s.CountPartitions(ctx, "d", "t"); err != nil || n != benchParts {
			b.Fatal(n, err)
		}
	}
}
