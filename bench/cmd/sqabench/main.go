// Command sqabench measures short query acceleration (WLM): a stream of
// short, pruned point lookups runs while long TPC-H scans saturate the
// default queue, with SQA on, with SQA off, and on an idle engine. It
// prints short-query latency percentiles per mode, where the time goes
// (planning and admission vs. execution), how much the long queries
// progressed and yielded, and with -runs N the medians over N runs of
// the three modes run back to back (absolute latencies are noisy on a
// shared machine; the loaded/idle ratios within a run are less so).
//
//	go run ./cmd/sqabench -sf 1 -long 8 -short 60 -gap 20ms -runs 3
package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tarnsql/tarn/bench"
	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/engine"
	"github.com/tarnsql/tarn/engine/wlm"
)

type mode struct {
	name  string
	sqa   bool
	loads int
	short int
}

func main() {
	engine.TuneGC() // measure tarn with the GC settings the tarn binary uses
	sf := flag.Float64("sf", 1, "TPC-H scale factor")
	dataDir := flag.String("data", bench.DataDir(), "TPC-H data cache")
	long := flag.Int("long", 8, "concurrent long scans")
	short := flag.Int("short", 200, "short queries per mode")
	shortOff := flag.Int("short-off", 20, "short queries in the sqa-off mode (each waits seconds for a slot); 0: same as -short")
	gap := flag.Duration("gap", 20*time.Millisecond, "pause between short queries")
	runs := flag.Int("runs", 1, "repeat the three modes this many times and print medians")
	off := flag.Bool("off", true, "run the sqa-off mode")
	traceFile := flag.String("trace", "", "write a runtime/trace of the first sqa-on mode to this file (go tool trace)")
	flag.Parse()
	if *shortOff <= 0 {
		*shortOff = *short
	}
	ctx := context.Background()
	tables, _, err := bench.PrepareTPCH(ctx, *dataDir, *sf, nil)
	if err != nil {
		fail(err)
	}
	fmt.Printf("TPC-H SF %g; %d long scans; %d short lookups per mode (%d with SQA off), %s apart; GOMAXPROCS %d; %d run(s)\n",
		*sf, *long, *short, *shortOff, *gap, runtime.GOMAXPROCS(0), *runs)
	fmt.Printf("short: %s\nlong:  %s\n", shortSQL(1), longSQL)
	fmt.Println("adm: parse, plan, estimate and WLM admission (Session.Query); exec: first batch to Close; paused: long queries' slices")
	fmt.Println("parked by the yield to short queries (summed; capped: cut at wlm.MaxYieldPause, denied: at wlm.MaxYieldShare)")
	fmt.Println()
	modes := []mode{{"idle", true, 0, *short}, {"sqa-on", true, *long, *short}}
	if *off {
		modes = append(modes, mode{"sqa-off", false, *long, *shortOff})
	}
	fmt.Printf("%-4s %-8s %9s %9s %9s %8s | %9s %9s %9s %9s | %9s %7s %9s %6s %6s %6s %9s %12s\n", "run", "mode", "p50", "p99", "max", "in lane",
		"adm p50", "adm p99", "exec p50", "exec p99", "long done", "long/s", "paused", "pauses", "capped", "denied", "GC pause", "long in lane")
	all := map[string][]*result{}
	for run := 1; run <= *runs; run++ {
		for _, m := range modes {
			tr := ""
			if run == 1 && m.name == "sqa-on" {
				tr = *traceFile
			}
			r, err := runMode(ctx, tables, m, *gap, tr)
			if err != nil {
				fail(err)
			}
			all[m.name] = append(all[m.name], r)
			fmt.Printf("%-4d %-8s %9s %9s %9s %5d/%-2d | %9s %9s %9s %9s | %9d %7.2f %9s %6d %6d %6d %9s %12d\n", run, m.name,
				fmtD(r.total.p(50)), fmtD(r.total.p(99)), fmtD(r.total.p(100)), r.inLane, len(r.total),
				fmtD(r.plan.p(50)), fmtD(r.plan.p(99)), fmtD(r.exec.p(50)), fmtD(r.exec.p(99)),
				r.longDone, float64(r.longDone)/r.window.Seconds(), fmtD(r.paused), r.pauses, r.capped, r.denied, fmtD(r.gcPause), r.longInLane)
		}
	}
	fmt.Printf("\nmedians over %d run(s):\n", *runs)
	fmt.Printf("%-8s %9s %9s %9s %9s %9s %9s %9s\n", "mode", "p50", "p99", "max", "p50/idle", "p99/idle", "long/s", "paused %")
	for _, m := range modes {
		rs := all[m.name]
		var p50, p99, mx, r50, r99, lps, share []float64
		for i, r := range rs {
			idle := all["idle"][i]
			p50 = append(p50, float64(r.total.p(50)))
			p99 = append(p99, float64(r.total.p(99)))
			mx = append(mx, float64(r.total.p(100)))
			r50 = append(r50, float64(r.total.p(50))/float64(idle.total.p(50)))
			r99 = append(r99, float64(r.total.p(99))/float64(idle.total.p(99)))
			lps = append(lps, float64(r.longDone)/r.window.Seconds())
			// Share of the long queries' slice time spent paused.
			if r.sliceTime > 0 {
				share = append(share, 100*float64(r.paused)/float64(r.sliceTime))
			} else {
				share = append(share, 0)
			}
		}
		fmt.Printf("%-8s %9s %9s %9s %9.2f %9.2f %9.2f %9.1f\n", m.name, fmtD(time.Duration(median(p50))), fmtD(time.Duration(median(p99))),
			fmtD(time.Duration(median(mx))), median(r50), median(r99), median(lps), median(share))
	}
}

const longSQL = "SELECT l_returnflag, l_linestatus, sum(l_extendedprice * (1 - l_discount)), count(*) FROM lineitem GROUP BY l_returnflag, l_linestatus"

func shortSQL(key int) string { return fmt.Sprintf("SELECT * FROM orders WHERE o_orderkey = %d", key) }

// durations is a latency sample; p sorts it on first use.
type durations []time.Duration

func (d durations) p(q int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append(durations(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[(len(s)-1)*q/100]
}

type result struct {
	total, plan, exec durations
	inLane            int
	longDone          int64
	longInLane        int64         // long queries WLM predicted short (should be 0)
	window            time.Duration // from the first short query to the last one's end
	paused            time.Duration // time long queries' slices spent yielding
	pauses            int64
	capped, denied    int64         // pauses cut by MaxYieldPause / skipped at MaxYieldShare
	sliceTime         time.Duration // long queries' slices × window (for the paused share)
	gcPause           time.Duration // total GC stop-the-world pause during the window
}

func runMode(ctx context.Context, tables []catalog.Table, m mode, gap time.Duration, traceFile string) (*result, error) {
	dir, err := os.MkdirTemp("", "sqabench")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	on := m.sqa
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
	var longDone, longInLane atomic.Int64
	var measuring atomic.Bool
	for i := 0; i < m.loads; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := eng.NewSession("loader")
			if err := s.Exec(lctx, "USE tpch"); err != nil {
				return
			}
			for lctx.Err() == nil {
				lane, err := runLong(lctx, s)
				if lane {
					longInLane.Add(1)
				}
				if err == nil && measuring.Load() {
					longDone.Add(1)
				}
			}
		}()
	}
	defer func() {
		stop()
		wg.Wait()
	}()
	if m.loads > 0 {
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
		return nil, err
	}
	if traceFile != "" {
		f, err := os.Create(traceFile)
		if err != nil {
			return nil, err
		}
		if err := trace.Start(f); err != nil {
			return nil, err
		}
		defer func() {
			trace.Stop()
			f.Close()
		}()
	}
	res := &result{}
	y0 := eng.WLM().YieldStats()
	var gc0, gc1 runtime.MemStats
	runtime.ReadMemStats(&gc0)
	measuring.Store(true)
	begin := time.Now()
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < m.short; i++ {
		key := 1 + rng.Intn(1500000)
		var reg *trace.Region
		tctx, task := trace.NewTask(ctx, "short")
		start := time.Now()
		reg = trace.StartRegion(tctx, "plan+admit")
		r, err := s.Query(tctx, shortSQL(key))
		reg.End()
		if err != nil {
			task.End()
			return nil, err
		}
		planned := time.Now()
		if st := r.Stats(); st.Queue == wlm.LaneName {
			res.inLane++
		}
		reg = trace.StartRegion(tctx, "exec")
		for {
			rec, err := r.Next(tctx)
			if err != nil {
				r.Close()
				reg.End()
				task.End()
				return nil, err
			}
			if rec == nil {
				break
			}
			rec.Release()
		}
		r.Close()
		reg.End()
		task.End()
		end := time.Now()
		res.total = append(res.total, end.Sub(start))
		res.plan = append(res.plan, planned.Sub(start))
		res.exec = append(res.exec, end.Sub(planned))
		if i < m.short-1 {
			time.Sleep(gap)
		}
	}
	res.window = time.Since(begin)
	measuring.Store(false)
	runtime.ReadMemStats(&gc1)
	y1 := eng.WLM().YieldStats()
	res.longDone = longDone.Load()
	res.longInLane = longInLane.Load()
	res.paused = y1.Paused - y0.Paused
	res.pauses = y1.Pauses - y0.Pauses
	res.capped = y1.Capped - y0.Capped
	res.denied = y1.Denied - y0.Denied
	res.gcPause = time.Duration(gc1.PauseTotalNs - gc0.PauseTotalNs)
	if m.loads > 0 {
		// Five long queries run at a time, each on GOMAXPROCS slices.
		res.sliceTime = time.Duration(min(m.loads, 5)*runtime.GOMAXPROCS(0)) * res.window
	}
	return res, nil
}

// runLong runs one long query to its end and reports whether WLM put it
// in the SQA lane (a misprediction that would make the lane useless).
func runLong(ctx context.Context, s *engine.Session) (lane bool, err error) {
	r, err := s.Query(ctx, longSQL)
	if err != nil {
		return false, err
	}
	defer r.Close()
	lane = r.Stats().Queue == wlm.LaneName
	for {
		rec, err := r.Next(ctx)
		if err != nil || rec == nil {
			return lane, err
		}
		rec.Release()
	}
}

func fmtD(d time.Duration) string {
	switch {
	case d == 0:
		return "0"
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1fms", float64(d)/1e6)
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return 0
	}
	s := append([]float64(nil), x...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "sqabench:", err)
	os.Exit(1)
}
