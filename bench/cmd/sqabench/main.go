// Command sqabench measures short query acceleration (WLM): a stream of
// short, pruned point lookups runs while long TPC-H scans saturate the
// default queue, with SQA on, with SQA off, and on an idle engine. It
// prints short-query latency percentiles.
//
//	go run ./cmd/sqabench -sf 1 -long 8 -short 200
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/tarnsql/tarn/bench"
	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/engine"
	"github.com/tarnsql/tarn/engine/wlm"
)

func main() {
	sf := flag.Float64("sf", 1, "TPC-H scale factor")
	dataDir := flag.String("data", bench.DataDir(), "TPC-H data cache")
	long := flag.Int("long", 8, "concurrent long scans")
	short := flag.Int("short", 200, "short queries per mode")
	gap := flag.Duration("gap", 20*time.Millisecond, "pause between short queries")
	flag.Parse()
	ctx := context.Background()
	tables, _, err := bench.PrepareTPCH(ctx, *dataDir, *sf, nil)
	if err != nil {
		fail(err)
	}
	fmt.Printf("TPC-H SF %g; %d long scans; %d short lookups per mode; GOMAXPROCS %d\n", *sf, *long, *short, runtime.GOMAXPROCS(0))
	fmt.Printf("short: %s\nlong:  %s\n\n", shortSQL(1), longSQL)
	fmt.Printf("%-8s %10s %10s %10s %8s %12s\n", "mode", "p50", "p99", "max", "in lane", "long done")
	for _, m := range []struct {
		name  string
		sqa   bool
		loads int
	}{{"idle", true, 0}, {"sqa-on", true, *long}, {"sqa-off", false, *long}} {
		r, err := run(ctx, tables, m.sqa, m.loads, *short, *gap)
		if err != nil {
			fail(err)
		}
		fmt.Printf("%-8s %10s %10s %10s %8d %12d\n", m.name, r.p(50), r.p(99), r.p(100), r.inLane, r.longDone)
	}
}

const longSQL = "SELECT l_returnflag, l_linestatus, sum(l_extendedprice * (1 - l_discount)), count(*) FROM lineitem GROUP BY l_returnflag, l_linestatus"

func shortSQL(key int) string { return fmt.Sprintf("SELECT * FROM orders WHERE o_orderkey = %d", key) }

type result struct {
	lat      []time.Duration
	inLane   int
	longDone int
}

func (r *result) p(q int) string {
	if len(r.lat) == 0 {
		return "-"
	}
	i := (len(r.lat) - 1) * q / 100
	return r.lat[i].Round(100 * time.Microsecond).String()
}

func run(ctx context.Context, tables []catalog.Table, sqa bool, loads, n int, gap time.Duration) (*result, error) {
	dir, err := os.MkdirTemp("", "sqabench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	on := sqa
	cfg := &wlm.Config{SQA: wlm.SQAConfig{Enabled: &on}}
	eng, err := engine.Open(ctx, engine.Config{DataDir: filepath.Join(dir, "tarn"), WLM: cfg})
	if err != nil {
		return nil, err
	}
	defer eng.Close()
	if err := eng.Catalog().CreateDatabase(ctx, catalog.Database{Name: "tpch"}, true); err != nil {
		return nil, err
	}
	for _, t := range tables {
		t.Database = "tpch"
		if err := eng.Catalog().CreateTable(ctx, t, true); err != nil {
			return nil, err
		}
	}
	lctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var mu sync.Mutex
	res := &result{}
	for i := 0; i < loads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := eng.NewSession("loader")
			if err := s.Exec(lctx, "USE tpch"); err != nil {
				return
			}
			for lctx.Err() == nil {
				if err := s.Exec(lctx, longSQL); err == nil {
					mu.Lock()
					res.longDone++
					mu.Unlock()
				}
			}
		}()
	}
	if loads > 0 {
		// Let the long scans fill the default queue.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			running := 0
			for _, q := range eng.Running() {
				if q.Queue == wlm.DefaultQueue && q.State == wlm.StateRunning {
					running++
				}
			}
			if running >= 5 {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	s := eng.NewSession("analyst")
	if err := s.Exec(ctx, "USE tpch"); err != nil {
		stop()
		wg.Wait()
		return nil, err
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < n; i++ {
		key := 1 + rng.Intn(1500000)
		start := time.Now()
		r, err := s.Query(ctx, shortSQL(key))
		if err != nil {
			stop()
			wg.Wait()
			return nil, err
		}
		if st := r.Stats(); st.Queue == wlm.LaneName {
			res.inLane++
		}
		for {
			rec, err := r.Next(ctx)
			if err != nil {
				r.Close()
				stop()
				wg.Wait()
				return nil, err
			}
			if rec == nil {
				break
			}
			rec.Release()
		}
		r.Close()
		res.lat = append(res.lat, time.Since(start))
		time.Sleep(gap)
	}
	stop()
	wg.Wait()
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	return res, nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sqabench:", err)
	os.Exit(1)
}
