// Command tpchbench times the TPC-H queries on tarn and on peer engines
// (DuckDB, and go-mysql-server for Q1, Q3 and Q6) over the same generated
// data, and prints a markdown table of median times, tarn/DuckDB ratios
// and peak memory.
//
// Memory: for tarn, the engine's own per-query peak (QueryStats.PeakMemory,
// the memory budget's high-water mark); for every engine, the growth of
// the process's peak RSS during its runs (VmHWM after resetting it through
// /proc/self/clear_refs). All engines share one process, so RSS growth is
// what an engine added on top of what was already resident.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tarnsql/tarn/bench"
	"github.com/tarnsql/tarn/engine"
)

func main() {
	engine.TuneGC() // measure tarn with the GC settings the tarn binary uses
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "tpchbench:", err)
		os.Exit(1)
	}
}

type timing struct {
	median  time.Duration
	cpu     time.Duration // median process CPU time (user + system) per run
	rows    int64
	peakMem int64 // engine-reported (tarn)
	rssGrow int64
	err     error
}

func run() error {
	sf := flag.Float64("sf", 1, "TPC-H scale factor")
	data := flag.String("data", bench.DataDir(), "data directory (generated there if missing)")
	queries := flag.String("queries", "1-22", "queries to run, e.g. 1-22 or 1,3,6")
	runs := flag.Int("runs", 3, "timed runs per query and engine (after one warm-up)")
	engines := flag.String("engines", "tarn,duckdb", "engines: tarn, duckdb, gms")
	threads := flag.Int("threads", 2, "DuckDB threads and tarn slices")
	gmsSF := flag.Float64("gms-sf", 0.1, "scale factor for the go-mysql-server comparison (Q1, Q3, Q6)")
	plot := flag.String("png", "", "write a bar plot of per-query tarn/DuckDB ratios to this PNG file")
	showCPU := flag.Bool("cpu", false, "add a column of the median process CPU time (user + system) per run")
	explain := flag.Bool("explain", false, "print tarn's EXPLAIN ANALYZE of each query and exit")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of tarn's runs (warm-up and timed) to this file")
	flag.Parse()

	ctx := context.Background()
	nums, err := bench.ParseRange(*queries)
	if err != nil {
		return err
	}
	qs, err := bench.LoadQueries(bench.QueriesDir(), nums)
	if err != nil {
		return err
	}
	use := map[string]bool{}
	for _, e := range strings.Split(*engines, ",") {
		use[strings.TrimSpace(e)] = true
	}
	t0 := time.Now()
	tbls, dir, err := bench.PrepareTPCH(ctx, *data, *sf, progress())
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "\rdata: SF %g in %s (%s)\n", *sf, dir, time.Since(t0).Round(time.Millisecond))

	results := map[string][]timing{}
	var order []string
	if use["tarn"] {
		tdir, err := os.MkdirTemp("", "tpchbench-tarn-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tdir)
		tarn, err := bench.OpenTarn(ctx, tdir, "tpch", tbls, *threads)
		if err != nil {
			return err
		}
		if *explain {
			defer tarn.Close()
			return explainAll(ctx, tarn, qs)
		}
		stop, err := startProfile(*cpuprofile)
		if err != nil {
			tarn.Close()
			return err
		}
		results["tarn"] = timeAll(qs, *runs, "tarn", func(q string) (int64, int64, error) { return tarn.Drain(ctx, q) })
		stop()
		tarn.Close()
		order = append(order, "tarn")
		runtime.GC()
	}
	if use["duckdb"] {
		duck, err := bench.OpenDuckDB(ctx, tbls, *threads)
		if err != nil {
			return err
		}
		results["duckdb"] = timeAll(qs, *runs, "duckdb", func(q string) (int64, int64, error) {
			n, err := duck.Drain(ctx, q)
			return n, 0, err
		})
		duck.Close()
		order = append(order, "duckdb")
	}
	var ratios []float64
	if len(order) > 0 {
		fmt.Printf("## TPC-H SF %g: median of %d runs (after 1 warm-up); DuckDB threads = tarn slices = %d; GOMAXPROCS %d\n\n",
			*sf, *runs, *threads, runtime.GOMAXPROCS(0))
		ratios = printTable(qs, order, results, *showCPU)
	}
	if *plot != "" && len(ratios) > 0 {
		if err := writePlot(*plot, qs, ratios); err != nil {
			return err
		}
		fmt.Printf("\nplot: %s\n", *plot)
	}
	if use["gms"] {
		if err := runGMS(ctx, *data, *gmsSF, *runs, *threads); err != nil {
			return err
		}
	}
	return nil
}

// explainAll prints tarn's EXPLAIN ANALYZE of every query.
func explainAll(ctx context.Context, tarn *bench.Tarn, qs []bench.Query) error {
	for _, q := range qs {
		res, err := tarn.Query(ctx, "EXPLAIN ANALYZE "+q.SQL)
		if err != nil {
			return fmt.Errorf("%s: %w", q.Name, err)
		}
		fmt.Printf("-- %s\n", q.Name)
		for _, row := range res.Rows {
			for _, v := range row {
				fmt.Println(v)
			}
		}
		fmt.Println()
	}
	return nil
}

// startProfile starts a CPU profile written to path (nothing when path is
// empty) and returns the function that stops it.
func startProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

func progress() func(string, int64, int64) {
	last := time.Now()
	return func(table string, done, total int64) {
		if time.Since(last) > 500*time.Millisecond || done == total {
			fmt.Fprintf(os.Stderr, "\rgenerating %-9s %10d / %-10d", table, done, total)
			last = time.Now()
		}
	}
}

// timeAll runs every query once to warm up, then runs times, and keeps
// the median.
func timeAll(qs []bench.Query, runs int, engine string, f func(string) (rows, peak int64, err error)) []timing {
	out := make([]timing, len(qs))
	for i, q := range qs {
		fmt.Fprintf(os.Stderr, "\r%-7s %s   ", engine, q.Name)
		var tm timing
		bench.ResetPeakRSS()
		base, _ := bench.RSS()
		if tm.rows, _, tm.err = f(q.SQL); tm.err != nil {
			out[i] = tm
			continue
		}
		var ds, cs []time.Duration
		for range runs {
			start, cpu0 := time.Now(), cpuTime()
			_, peak, err := f(q.SQL)
			ds = append(ds, time.Since(start))
			cs = append(cs, cpuTime()-cpu0)
			if err != nil {
				tm.err = err
				break
			}
			tm.peakMem = max(tm.peakMem, peak)
		}
		_, hwm := bench.RSS()
		tm.rssGrow = max(hwm-base, 0)
		slices.Sort(ds)
		tm.median = ds[len(ds)/2]
		slices.Sort(cs)
		tm.cpu = cs[len(cs)/2]
		out[i] = tm
	}
	fmt.Fprintln(os.Stderr)
	return out
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func printTable(qs []bench.Query, engines []string, res map[string][]timing, showCPU bool) []float64 {
	both := slices.Contains(engines, "tarn") && slices.Contains(engines, "duckdb")
	hdr := "| query |"
	sep := "|---|"
	for _, e := range engines {
		hdr += fmt.Sprintf(" %s (s) | %s rows |", e, e)
		sep += "---:|---:|"
		if showCPU {
			hdr += fmt.Sprintf(" %s cpu (s) |", e)
			sep += "---:|"
		}
	}
	if both {
		hdr += " tarn/DuckDB |"
		sep += "---:|"
	}
	for _, e := range engines {
		hdr += fmt.Sprintf(" %s peak RSS growth |", e)
		sep += "---:|"
		if e == "tarn" {
			hdr += " tarn peak (engine) |"
			sep += "---:|"
		}
	}
	fmt.Println(hdr)
	fmt.Println(sep)
	var ratios []float64
	logSum, nRatio := 0.0, 0
	for i, q := range qs {
		line := "| " + q.Name + " |"
		for _, e := range engines {
			tm := res[e][i]
			if tm.err != nil {
				line += fmt.Sprintf(" error: %s | |", oneLine(tm.err))
				if showCPU {
					line += " |"
				}
				continue
			}
			line += fmt.Sprintf(" %.3f | %d |", tm.median.Seconds(), tm.rows)
			if showCPU {
				line += fmt.Sprintf(" %.3f |", tm.cpu.Seconds())
			}
		}
		ratio := math.NaN()
		if both {
			a, b := res["tarn"][i], res["duckdb"][i]
			if a.err == nil && b.err == nil && b.median > 0 {
				ratio = a.median.Seconds() / b.median.Seconds()
				logSum += math.Log(ratio)
				nRatio++
				line += fmt.Sprintf(" %.2f |", ratio)
			} else {
				line += " – |"
			}
		}
		ratios = append(ratios, ratio)
		for _, e := range engines {
			tm := res[e][i]
			line += " " + mib(tm.rssGrow) + " |"
			if e == "tarn" {
				line += " " + mib(tm.peakMem) + " |"
			}
		}
		fmt.Println(line)
	}
	if both && nRatio > 0 {
		fmt.Printf("\nGeometric mean of tarn/DuckDB time ratios over %d queries: **%.2f**\n", nRatio, math.Exp(logSum/float64(nRatio)))
	}
	if !both {
		return nil
	}
	return ratios
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func oneLine(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	s = strings.ReplaceAll(s, "|", "/")
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}

// runGMS compares tarn with go-mysql-server on Q1, Q3 and Q6 at sf.
func runGMS(ctx context.Context, dataDir string, sf float64, runs, threads int) error {
	tbls, _, err := bench.PrepareTPCH(ctx, dataDir, sf, progress())
	if err != nil {
		return err
	}
	qs, err := bench.LoadQueries(bench.QueriesDir(), []int{1, 3, 6})
	if err != nil {
		return err
	}
	duck, err := bench.OpenDuckDB(ctx, tbls, threads)
	if err != nil {
		return err
	}
	t0 := time.Now()
	gms, err := bench.OpenGMS(ctx, duck, "tpch", tbls)
	duck.Close()
	if err != nil {
		return err
	}
	defer gms.Close()
	fmt.Fprintf(os.Stderr, "\rgms: loaded %d rows in %s (not timed)\n", gms.Rows, time.Since(t0).Round(time.Millisecond))
	tdir, err := os.MkdirTemp("", "tpchbench-tarn-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tdir)
	tarn, err := bench.OpenTarn(ctx, tdir, "tpch", tbls, threads)
	if err != nil {
		return err
	}
	defer tarn.Close()
	tt := timeAll(qs, runs, "tarn", func(q string) (int64, int64, error) { return tarn.Drain(ctx, q) })
	gt := timeAll(qs, runs, "gms", func(q string) (int64, int64, error) {
		n, err := gms.Drain(ctx, q)
		return n, 0, err
	})
	fmt.Printf("\n## go-mysql-server (in-memory tables) vs tarn (Parquet), SF %g, median of %d runs\n\n", sf, runs)
	fmt.Println("| query | tarn (s) | go-mysql-server (s) | tarn's lead (gms/tarn) |")
	fmt.Println("|---|---:|---:|---:|")
	for i, q := range qs {
		a, b := tt[i], gt[i]
		switch {
		case a.err != nil || b.err != nil:
			fmt.Printf("| %s | %v | %v | – |\n", q.Name, errOr(a), errOr(b))
		default:
			fmt.Printf("| %s | %.3f | %.3f | %.1f× |\n", q.Name, a.median.Seconds(), b.median.Seconds(), b.median.Seconds()/a.median.Seconds())
		}
	}
	return nil
}

func errOr(t timing) string {
	if t.err != nil {
		return "error: " + oneLine(t.err)
	}
	return fmt.Sprintf("%.3f", t.median.Seconds())
}

// writePlot draws one bar per query: the tarn/DuckDB ratio on a log
// scale, with a line at 1 (parity). Green bars are queries where tarn is
// faster, red where it is slower.
func writePlot(path string, qs []bench.Query, ratios []float64) error {
	const w, h, pad, top = 60*22 + 80, 420, 40, 20
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fill(img, img.Bounds(), color.White)
	// log10 axis from 1/10 to 100.
	lo, hi := -1.0, 2.0
	y := func(r float64) int {
		l := math.Max(lo, math.Min(hi, math.Log10(r)))
		return top + int(float64(h-pad-top)*(hi-l)/(hi-lo))
	}
	axis := color.RGBA{80, 80, 80, 255}
	for _, g := range []float64{0.1, 1, 10, 100} {
		c := color.RGBA{220, 220, 220, 255}
		if g == 1 {
			c = axis
		}
		fill(img, image.Rect(pad, y(g), w-10, y(g)+1), c)
		drawText(img, 2, y(g)-3, fmt.Sprintf("%g", g), axis)
	}
	bw := (w - pad - 20) / max(len(qs), 1)
	for i, r := range ratios {
		x0 := pad + 10 + i*bw
		if !math.IsNaN(r) {
			c := color.RGBA{46, 160, 67, 255}
			if r > 1 {
				c = color.RGBA{215, 58, 73, 255}
			}
			y0, y1 := y(1), y(r)
			if y1 < y0 {
				y0, y1 = y1, y0
			}
			fill(img, image.Rect(x0, y0, x0+bw-8, max(y1, y0+1)), c)
		}
		drawText(img, x0, h-pad+8, fmt.Sprintf("%d", qs[i].Num), axis)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	for yy := r.Min.Y; yy < r.Max.Y; yy++ {
		for xx := r.Min.X; xx < r.Max.X; xx++ {
			img.Set(xx, yy, c)
		}
	}
}

// drawText draws digits and '.' in a 3×5 pixel font, scaled ×2.
func drawText(img *image.RGBA, x, y int, s string, c color.Color) {
	glyphs := map[rune][5]string{
		'0': {"111", "101", "101", "101", "111"}, '1': {"010", "110", "010", "010", "111"},
		'2': {"111", "001", "111", "100", "111"}, '3': {"111", "001", "111", "001", "111"},
		'4': {"101", "101", "111", "001", "001"}, '5': {"111", "100", "111", "001", "111"},
		'6': {"111", "100", "111", "101", "111"}, '7': {"111", "001", "010", "010", "010"},
		'8': {"111", "101", "111", "101", "111"}, '9': {"111", "101", "111", "001", "111"},
		'.': {"000", "000", "000", "000", "010"},
	}
	for _, ch := range s {
		g, ok := glyphs[ch]
		if !ok {
			x += 8
			continue
		}
		for gy, row := range g {
			for gx, p := range row {
				if p == '1' {
					fill(img, image.Rect(x+gx*2, y+gy*2, x+gx*2+2, y+gy*2+2), c)
				}
			}
		}
		x += 8
	}
}
