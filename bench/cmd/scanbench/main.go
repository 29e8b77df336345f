// Command scanbench measures tarn's scan speed over TPC-H lineitem
// (Parquet) against DuckDB in the same process, and tarn's throughput on
// S3 (a MinIO server on 127.0.0.1, started from internal/testsrv/minio)
// against the local disk.
//
//	cd bench && go run ./cmd/scanbench --sf 1 --rounds 3 --runs 3 --storage local,s3
//
// Every query is first run once on tarn and DuckDB and the results
// compared (bench.Compare); a difference is shown in the table. Then, in
// each of --rounds rounds, every engine (tarn local, DuckDB, tarn on S3,
// interleaved so that a change in the shared machine's load falls on all
// of them) runs every query once to warm up and --runs times timed. The
// table shows medians over all rounds of wall time and of process CPU
// time (both engines run in this process; CPU time is the steadier
// figure on a loaded machine), the tarn/DuckDB ratios with their
// geometric means, and tarn's throughput (the Parquet bytes the query
// read, from its QueryStats, over its median time) locally and on S3.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tarnsql/tarn/bench"
	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors/storage/s3"
	"github.com/tarnsql/tarn/engine"
)

type scanQuery struct {
	name, sql string
}

var queries = []scanQuery{
	{"sum", "SELECT sum(l_extendedprice) FROM lineitem"},
	{"sum_expr", "SELECT sum(l_quantity * l_discount) FROM lineitem"},
	{"count_where", "SELECT count(*) FROM lineitem WHERE l_shipdate >= DATE '1995-01-01' AND l_discount > 0.05"},
	{"count_like", "SELECT count(*) FROM lineitem WHERE l_comment LIKE '%special%'"},
	{"group_low", "SELECT l_shipmode, count(*), avg(l_quantity) FROM lineitem GROUP BY 1"},
	{"group_high", "SELECT l_suppkey, sum(l_extendedprice) FROM lineitem GROUP BY 1"},
	{"count_distinct", "SELECT count(DISTINCT l_orderkey) FROM lineitem"},
	{"minmax_str", "SELECT min(l_comment), max(l_shipinstruct) FROM lineitem"},
}

func main() {
	engine.TuneGC() // measure tarn with the GC settings the tarn binary uses
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

type timing struct {
	median time.Duration // wall time
	cpu    time.Duration // median process CPU time (user+system) of a run
	bytes  int64         // bytes scanned (tarn)
	srvCPU time.Duration // median CPU time of the storage server (MinIO) per run
	err    error
}

// cpuTime is the process's user+system CPU time. Both engines run in
// this process, so a run's CPU time is its work, which on a shared
// machine is steadier than its wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func run() error {
	sf := flag.Float64("sf", 1, "TPC-H scale factor")
	data := flag.String("data", bench.DataDir(), "data directory (generated there if missing)")
	runs := flag.Int("runs", 3, "timed runs per query, engine, storage and round (after one warm-up)")
	rounds := flag.Int("rounds", 3, "rounds over all engines (medians are over all rounds' runs)")
	threads := flag.Int("threads", 2, "DuckDB threads and tarn slices")
	storage := flag.String("storage", "local", "tarn storages: local, s3 (MinIO on 127.0.0.1)")
	only := flag.String("queries", "", "comma-separated query names (default: all)")
	engines := flag.String("engines", "tarn,duckdb", "engines on local files: tarn, duckdb")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the timed runs to this file (use --engines tarn to profile tarn alone)")
	latency := flag.Duration("s3-latency", 0, "hold every S3 request this long (a proxy in front of MinIO, as a network round trip)")
	check := flag.Bool("check", true, "compare tarn's results with DuckDB's before timing")
	flag.Parse()

	qs := queries
	if *only != "" {
		qs = nil
		for _, n := range strings.Split(*only, ",") {
			i := slices.IndexFunc(queries, func(q scanQuery) bool { return q.name == strings.TrimSpace(n) })
			if i < 0 {
				return fmt.Errorf("unknown query %q", n)
			}
			qs = append(qs, queries[i])
		}
	}
	useStorage, useEngine := set(*storage), set(*engines)

	ctx := context.Background()
	tbls, dir, err := bench.PrepareTPCH(ctx, *data, *sf, nil)
	if err != nil {
		return err
	}
	var li catalog.Table
	for _, t := range tbls {
		if t.Name == "lineitem" {
			li = t
		}
	}
	if li.Name == "" {
		return fmt.Errorf("no lineitem table in %s", dir)
	}
	size, err := dirSize(li.Location)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "lineitem: %s (%.1f MiB Parquet)\n", li.Location, float64(size)/(1<<20))

	var duck *bench.DuckDB
	if useEngine["duckdb"] || *check {
		if duck, err = bench.OpenDuckDB(ctx, []catalog.Table{li}, *threads); err != nil {
			return err
		}
		defer duck.Close()
	}
	tdir, err := os.MkdirTemp("", "scanbench-tarn-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tdir)
	tarn, err := bench.OpenTarn(ctx, filepath.Join(tdir, "local"), "tpch", []catalog.Table{li}, *threads)
	if err != nil {
		return err
	}
	defer tarn.Close()

	checkErr := make([]error, len(qs))
	if *check {
		for i, q := range qs {
			checkErr[i] = compare(ctx, tarn, duck, q.sql)
			if checkErr[i] != nil {
				fmt.Fprintf(os.Stderr, "%s: results differ: %v\n", q.name, checkErr[i])
			}
		}
	}

	type engineRun struct {
		name string
		f    func(string) (int64, error)
		// server, when set, is the CPU time the storage server (MinIO)
		// has used so far; each run's share is recorded with the run.
		server func() time.Duration
	}
	var engs []engineRun
	if useEngine["tarn"] && useStorage["local"] {
		engs = append(engs, engineRun{name: "tarn", f: tarnRunner(ctx, tarn)})
	}
	if useEngine["duckdb"] {
		engs = append(engs, engineRun{name: "duckdb", f: func(q string) (int64, error) {
			_, err := duck.Drain(ctx, q)
			return 0, err
		}})
	}
	if useStorage["s3"] {
		remote, pid, stop, err := openS3(ctx, li, tdir, *threads, *latency)
		if err != nil {
			return err
		}
		defer stop()
		engs = append(engs, engineRun{name: "tarn-s3", f: tarnRunner(ctx, remote), server: func() time.Duration { return procCPU(pid) }})
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// Rounds interleave the engines, so a change in the machine's load
	// falls on all of them; medians are over every round's runs.
	samples := map[string][]samples{}
	for r := 0; r < *rounds; r++ {
		for _, e := range engs {
			samples[e.name] = timeAll(qs, *runs, fmt.Sprintf("%d/%d %s", r+1, *rounds, e.name), e.f, e.server, samples[e.name])
		}
	}
	res := map[string][]timing{}
	for name, ss := range samples {
		res[name] = medians(ss)
	}

	fmt.Printf("## Scan queries over TPC-H SF %g lineitem (%.1f MiB Parquet, %d files): median of %d rounds × %d runs (1 warm-up per round), engines interleaved; DuckDB threads = tarn slices = %d; GOMAXPROCS %d\n\n",
		*sf, float64(size)/(1<<20), countFiles(li.Location), *rounds, *runs, *threads, runtime.GOMAXPROCS(0))
	printTable(qs, res, *check, checkErr)
	return nil
}

func set(s string) map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			m[e] = true
		}
	}
	return m
}

// openS3 starts MinIO (behind a proxy adding latency when latency > 0),
// uploads lineitem once and opens a tarn engine over the copy; it returns the engine, MinIO's process id and a stop
// function that stops both.
func openS3(ctx context.Context, li catalog.Table, tdir string, threads int, latency time.Duration) (*bench.Tarn, int, func(), error) {
	fmt.Fprintln(os.Stderr, "starting MinIO")
	srv, err := bench.StartMinIO()
	if err != nil {
		return nil, 0, nil, err
	}
	const bucket = "scanbench"
	if err := srv.MakeBucket(bucket); err != nil {
		srv.Stop()
		return nil, 0, nil, err
	}
	t0 := time.Now()
	n, err := srv.UploadDir(bucket, "lineitem", li.Location)
	if err != nil {
		srv.Stop()
		return nil, 0, nil, err
	}
	fmt.Fprintf(os.Stderr, "uploaded %.1f MiB in %s\n", float64(n)/(1<<20), time.Since(t0).Round(time.Millisecond))
	cfg := srv.S3Config()
	if latency > 0 {
		if cfg, err = srv.WithLatency(latency); err != nil {
			srv.Stop()
			return nil, 0, nil, err
		}
	}
	s3.SetBucket(bucket, cfg)
	remote := li
	remote.Location = "s3://" + bucket + "/lineitem"
	tarn, err := bench.OpenTarn(ctx, filepath.Join(tdir, "s3"), "tpch", []catalog.Table{remote}, threads)
	if err != nil {
		s3.ResetRegistry()
		srv.Stop()
		return nil, 0, nil, err
	}
	return tarn, srv.Pid(), func() {
		tarn.Close()
		s3.ResetRegistry()
		srv.Stop()
	}, nil
}

func tarnRunner(ctx context.Context, t *bench.Tarn) func(string) (int64, error) {
	return func(q string) (int64, error) {
		res, err := t.Session.Query(ctx, q)
		if err != nil {
			return 0, err
		}
		defer res.Close()
		for {
			rec, err := res.Next(ctx)
			if err != nil {
				return 0, err
			}
			if rec == nil {
				break
			}
			rec.Release()
		}
		return res.Stats().BytesScanned, nil
	}
}

func compare(ctx context.Context, tarn *bench.Tarn, duck *bench.DuckDB, q string) error {
	got, err := tarn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("tarn: %w", err)
	}
	want, err := duck.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("duckdb: %w", err)
	}
	return bench.Compare(got, want, bench.Ordering{})
}

// samples are one engine's runs of one query.
type samples struct {
	walls, cpus []time.Duration
	srvCPUs     []time.Duration // the storage server's CPU time per run
	bytes       int64
	err         error
}

// timeAll runs every query once to warm up, then runs times, appending
// to prev (the earlier rounds).
func timeAll(qs []scanQuery, runs int, label string, f func(string) (int64, error), server func() time.Duration, prev []samples) []samples {
	out := prev
	if out == nil {
		out = make([]samples, len(qs))
	}
	for i, q := range qs {
		fmt.Fprintf(os.Stderr, "\r%-16s %-15s", label, q.name)
		sm := &out[i]
		if sm.err != nil {
			continue
		}
		if _, sm.err = f(q.sql); sm.err != nil {
			continue
		}
		for range runs {
			var s0 time.Duration
			if server != nil {
				s0 = server()
			}
			c0, start := cpuTime(), time.Now()
			b, err := f(q.sql)
			sm.walls = append(sm.walls, time.Since(start))
			sm.cpus = append(sm.cpus, cpuTime()-c0)
			if server != nil {
				sm.srvCPUs = append(sm.srvCPUs, server()-s0)
			}
			if err != nil {
				sm.err = err
				break
			}
			sm.bytes = b
		}
	}
	fmt.Fprintln(os.Stderr)
	return out
}

func medians(ss []samples) []timing {
	out := make([]timing, len(ss))
	for i, sm := range ss {
		out[i] = timing{bytes: sm.bytes, err: sm.err}
		if sm.err == nil && len(sm.walls) > 0 {
			slices.Sort(sm.walls)
			slices.Sort(sm.cpus)
			out[i].median, out[i].cpu = sm.walls[len(sm.walls)/2], sm.cpus[len(sm.cpus)/2]
		}
		if len(sm.srvCPUs) > 0 {
			slices.Sort(sm.srvCPUs)
			out[i].srvCPU = sm.srvCPUs[len(sm.srvCPUs)/2]
		}
	}
	return out
}

func printTable(qs []scanQuery, res map[string][]timing, checked bool, checkErr []error) {
	tarn, duck, s3 := res["tarn"], res["duckdb"], res["tarn-s3"]
	fmt.Println("| query | tarn (s) | DuckDB (s) | tarn/DuckDB | tarn CPU (s) | DuckDB CPU (s) | CPU ratio | tarn MB/s local | tarn on S3 (s) | tarn CPU on S3 (s) | MinIO CPU (s) | MB/s S3 | S3/local | results |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	var geo [3]struct {
		sum float64
		n   int
	}
	addGeo := func(k int, r float64) {
		geo[k].sum += math.Log(r)
		geo[k].n++
	}
	ok := func(ts []timing, i int) bool { return ts != nil && ts[i].err == nil && ts[i].median > 0 }
	secs := func(ts []timing, i int, cpu bool) string {
		switch {
		case ts == nil:
			return "–"
		case ts[i].err != nil:
			return "error: " + oneLine(ts[i].err)
		case cpu:
			return fmt.Sprintf("%.3f", ts[i].cpu.Seconds())
		}
		return fmt.Sprintf("%.3f", ts[i].median.Seconds())
	}
	mbs := func(t timing) float64 { return float64(t.bytes) / 1e6 / t.median.Seconds() }
	for i, q := range qs {
		ratio, cpuRatio, local, remote, s3r, srvCPU := "–", "–", "–", "–", "–", "–"
		if ok(tarn, i) && ok(duck, i) {
			r := tarn[i].median.Seconds() / duck[i].median.Seconds()
			ratio = fmt.Sprintf("%.2f", r)
			addGeo(0, r)
			if duck[i].cpu > 0 && tarn[i].cpu > 0 {
				r := tarn[i].cpu.Seconds() / duck[i].cpu.Seconds()
				cpuRatio = fmt.Sprintf("%.2f", r)
				addGeo(1, r)
			}
		}
		if ok(tarn, i) {
			local = fmt.Sprintf("%.0f", mbs(tarn[i]))
		}
		if ok(s3, i) {
			remote = fmt.Sprintf("%.0f", mbs(s3[i]))
			srvCPU = fmt.Sprintf("%.3f", s3[i].srvCPU.Seconds())
		}
		if ok(tarn, i) && ok(s3, i) && tarn[i].bytes > 0 {
			r := mbs(s3[i]) / mbs(tarn[i])
			s3r = fmt.Sprintf("%.0f%%", 100*r)
			addGeo(2, r)
		}
		check := "not checked"
		if checked {
			check = "equal to DuckDB"
			if checkErr[i] != nil {
				check = "DIFFER: " + oneLine(checkErr[i])
			}
		}
		fmt.Printf("| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", q.name,
			secs(tarn, i, false), secs(duck, i, false), ratio, secs(tarn, i, true), secs(duck, i, true), cpuRatio,
			local, secs(s3, i, false), secs(s3, i, true), srvCPU, remote, s3r, check)
	}
	fmt.Println()
	if g := geo[0]; g.n > 0 {
		fmt.Printf("Geometric mean tarn/DuckDB over %d queries: **%.2f** wall time, **%.2f** CPU time\n", g.n, math.Exp(g.sum/float64(g.n)), math.Exp(geo[1].sum/float64(max(geo[1].n, 1))))
	}
	if g := geo[2]; g.n > 0 {
		fmt.Printf("Geometric mean S3/local throughput over %d queries: **%.0f%%**\n", g.n, 100*math.Exp(g.sum/float64(g.n)))
	}
	fmt.Println()
	for _, q := range qs {
		fmt.Printf("- `%s`: `%s`\n", q.name, q.sql)
	}
}

func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !strings.HasPrefix(d.Name(), "_") && !strings.HasPrefix(d.Name(), ".") {
			n += info.Size()
		}
		return nil
	})
	return n, err
}

func countFiles(dir string) int {
	es, _ := os.ReadDir(dir)
	n := 0
	for _, e := range es {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), "_") && !strings.HasPrefix(e.Name(), ".") {
			n++
		}
	}
	return n
}

// procCPU is the CPU time (user+system) process pid has used, summed
// over its threads from /proc (nanosecond resolution; 0 where /proc is
// missing).
func procCPU(pid int) time.Duration {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/schedstat", pid))
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		var ns int64
		if _, err := fmt.Sscan(string(b), &ns); err == nil {
			total += time.Duration(ns)
		}
	}
	return total
}
