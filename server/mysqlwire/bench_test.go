package mysqlwire

import (
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkSelect1 measures round trips of SELECT 1 over the wire with
// go-sql-driver: queries/s and the median latency, for 1 and 16
// concurrent connections.
func BenchmarkSelect1(b *testing.B) {
	for _, conns := range []int{1, 16} {
		b.Run(map[int]string{1: "conns=1", 16: "conns=16"}[conns], func(b *testing.B) {
			db := openDB(b, "")
			db.SetMaxOpenConns(conns)
			db.SetMaxIdleConns(conns)
			lat := make([][]time.Duration, conns)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for w := 0; w < conns; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for next.Add(1) <= int64(b.N) {
						t0 := time.Now()
						var n int
						if err := db.QueryRow("SELECT 1").Scan(&n); err != nil || n != 1 {
							b.Error(err)
							return
						}
						lat[w] = append(lat[w], time.Since(t0))
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			var all []time.Duration
			for _, l := range lat {
				all = append(all, l...)
			}
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			if len(all) > 0 {
				b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "queries/s")
		})
	}
}

// BenchmarkStreamLineitem streams all of lineitem (60k rows, 16 columns)
// through the text protocol.
func BenchmarkStreamLineitem(b *testing.B) {
	db := openDB(b, "tpch")
	for i := 0; i < b.N; i++ {
		rows, err := db.Query("SELECT * FROM lineitem")
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rows.Next() {
			n++
		}
		if err := rows.Err(); err != nil || n != 60175 {
			b.Fatalf("%d rows, %v", n, err)
		}
		rows.Close()
	}
}
