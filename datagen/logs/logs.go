// Package logs generates a realistic web-request log table as Parquet
// files partitioned by day (dt=YYYY-MM-DD folders), for demos, tests and
// benchmarks of partition pruning.
//
// Table requests:
//
//	ts timestamp, host string, method string, path string, status int,
//	bytes bigint, latency_ms double, user_agent string, referrer string,
//	region string, user_id bigint       PARTITIONED BY (dt string)
//
// Distributions: traffic follows a diurnal curve (a trough at 04:00 UTC,
// a peak in the afternoon, lighter weekends); paths are Zipf-distributed
// over a fixed site map (a few pages get most hits); status is mostly
// 200 with 304/301/302, 4xx and 5xx tails (5xx more likely at peak load
// and on API paths); bytes and latency are log-normal by kind of path;
// referrer is NULL for direct traffic and user_id NULL for anonymous
// users. Rows are sorted by ts within a day, so Parquet row-group
// statistics on ts are tight.
//
// The output depends only on the options (the seed, the days and the
// rows per day): every day has its own random stream, and days are
// generated in parallel.
package logs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog"
)

// Options control Generate.
type Options struct {
	// Dir is the database's warehouse directory; the files go to
	// Dir/requests/dt=YYYY-MM-DD/.
	Dir string
	// Database is the database name put in the returned tables.
	Database string
	// Start is the first day (UTC; the time of day is ignored); default
	// 2024-01-01.
	Start time.Time
	// Days is the number of days (>= 1).
	Days int
	// RowsPerDay is the average number of rows per day (default 300,000);
	// weekends have fewer, weekdays more.
	RowsPerDay int
	// Seed selects the data (default 1).
	Seed uint64
	// RowGroupRows is the Parquet row group size (default 65,536).
	RowGroupRows int
	// Parallelism is the number of days generated at once (default
	// GOMAXPROCS). The output does not depend on it.
	Parallelism int
	// Reuse returns the result of an earlier Generate with the same
	// options in Dir when its files are still there, unchanged.
	Reuse bool
}

// Table names.
const (
	TableRequests  = "requests"
	TableProjected = "requests_projected"
)

// Columns are the data columns of the requests table.
var Columns = []catalog.Column{
	{Name: "ts", Type: "TIMESTAMP", Comment: "request time (UTC)"},
	{Name: "host", Type: "VARCHAR"},
	{Name: "method", Type: "VARCHAR"},
	{Name: "path", Type: "VARCHAR"},
	{Name: "status", Type: "INT"},
	{Name: "bytes", Type: "BIGINT", Comment: "response size"},
	{Name: "latency_ms", Type: "DOUBLE"},
	{Name: "user_agent", Type: "VARCHAR"},
	{Name: "referrer", Type: "VARCHAR", Comment: "NULL for direct traffic"},
	{Name: "region", Type: "VARCHAR"},
	{Name: "user_id", Type: "BIGINT", Comment: "NULL for anonymous requests"},
}

// PartitionKeys are the partition keys of the requests table.
var PartitionKeys = []catalog.Column{{Name: "dt", Type: "VARCHAR", Comment: "day, yyyy-MM-dd"}}

// row is one request in its Parquet layout.
type row struct {
	TS        int64   `parquet:"ts,timestamp(microsecond)"`
	Host      string  `parquet:"host,dict"`
	Method    string  `parquet:"method,dict"`
	Path      string  `parquet:"path,dict"`
	Status    int32   `parquet:"status"`
	Bytes     int64   `parquet:"bytes"`
	LatencyMs float64 `parquet:"latency_ms"`
	UserAgent string  `parquet:"user_agent,dict"`
	Referrer  string  `parquet:"referrer,optional,dict"`
	Region    string  `parquet:"region,dict"`
	UserID    int64   `parquet:"user_id,optional"`
}

// Result is what Generate produced.
type Result struct {
	// Tables are requests (partitions listed in Partitions) and
	// requests_projected (the same files, partitions by projection).
	Tables []catalog.Table
	// Partitions are the partitions of requests, in day order.
	Partitions []catalog.Partition
	// Rows is the total number of rows.
	Rows int64
}

const manifestName = "_logs.json"

type manifest struct {
	Opts  manifestOpts   `json:"opts"`
	Res   Result         `json:"result"`
	Files []manifestFile `json:"files"`
}

type manifestOpts struct {
	Start      string `json:"start"`
	Days       int    `json:"days"`
	RowsPerDay int    `json:"rows_per_day"`
	Seed       uint64 `json:"seed"`
	RowGroup   int    `json:"row_group"`
}

type manifestFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

func (o *Options) defaults() error {
	if o.Dir == "" {
		return errors.New("logs: Options.Dir is empty")
	}
	if o.Days < 1 {
		return fmt.Errorf("logs: days must be >= 1, got %d", o.Days)
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	y, m, d := o.Start.UTC().Date()
	o.Start = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if o.RowsPerDay == 0 {
		o.RowsPerDay = 300000
	}
	if o.RowsPerDay < 1 {
		return fmt.Errorf("logs: rows per day must be >= 1, got %d", o.RowsPerDay)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	if o.RowGroupRows <= 0 {
		o.RowGroupRows = 65536
	}
	if o.Parallelism <= 0 {
		o.Parallelism = runtime.GOMAXPROCS(0)
	}
	return nil
}

// dayOut is one generated day.
type dayOut struct {
	day  int
	path string
	rows int64
	size int64
}

// Generate writes the requests files and returns the catalog entries.
// Existing files of the same days are replaced.
func Generate(ctx context.Context, opts Options) (*Result, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("logs: directory %s: %w", opts.Dir, err)
	}
	root := filepath.Join(dir, TableRequests)
	mo := manifestOpts{Start: opts.Start.Format("2006-01-02"), Days: opts.Days, RowsPerDay: opts.RowsPerDay, Seed: opts.Seed, RowGroup: opts.RowGroupRows}
	if opts.Reuse {
		if res, ok := reuse(root, opts.Database, mo); ok {
			return res, nil
		}
	}
	os.Remove(filepath.Join(root, manifestName))
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("logs: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu       sync.Mutex
		outs     []dayOut
		firstErr error
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	site := newSiteMap()
	for range min(opts.Parallelism, opts.Days) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				d := int(next.Add(1) - 1)
				if d >= opts.Days || ctx.Err() != nil {
					return
				}
				o, err := genDay(ctx, &opts, site, root, d)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				if err == nil {
					outs = append(outs, o)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		for _, o := range outs {
			os.Remove(o.path)
		}
		return nil, firstErr
	}
	slices.SortFunc(outs, func(a, b dayOut) int { return a.day - b.day })
	now := time.Now().UTC()
	res := &Result{}
	total := &catalog.TableStats{}
	m := manifest{Opts: mo}
	for _, o := range outs {
		dt := dayString(opts.Start, o.day)
		res.Partitions = append(res.Partitions, catalog.Partition{
			Values: []string{dt}, Location: filepath.Join(root, "dt="+dt), Created: now,
			Stats: &catalog.TableStats{Rows: o.rows, Files: 1, Bytes: o.size},
		})
		res.Rows += o.rows
		total.Rows += o.rows
		total.Files++
		total.Bytes += o.size
		rel, _ := filepath.Rel(root, o.path)
		m.Files = append(m.Files, manifestFile{Path: filepath.ToSlash(rel), Size: o.size})
	}
	total.Cols = map[string]catalog.ColumnStats{
		"host": {Distinct: int64(len(hosts))}, "method": {Distinct: int64(len(methods))},
		"region": {Distinct: int64(len(regions))}, "user_agent": {Distinct: int64(len(userAgents))},
		"dt": {Distinct: int64(opts.Days)},
	}
	last := dayString(opts.Start, opts.Days-1)
	first := dayString(opts.Start, 0)
	base := catalog.Table{
		Database: opts.Database, Kind: catalog.KindExternal, Columns: Columns, PartitionKeys: PartitionKeys,
		Location: root, Format: "parquet", Created: now, Stats: total,
	}
	req := base
	req.Name = TableRequests
	req.Comment = fmt.Sprintf("web request logs %s to %s, partitions registered in the catalog", first, last)
	proj := base
	proj.Name = TableProjected
	proj.Comment = fmt.Sprintf("web request logs %s to %s, partitions by projection", first, last)
	proj.Props = ProjectionProps(root, first, last)
	res.Tables = []catalog.Table{req, proj}
	m.Res = *res
	if b, err := json.MarshalIndent(m, "", "  "); err == nil {
		if err := os.WriteFile(filepath.Join(root, manifestName), b, 0o644); err != nil {
			return nil, fmt.Errorf("logs: write manifest: %w", err)
		}
	}
	return res, nil
}

// ProjectionProps are the Athena partition projection properties of a
// table over dt=yyyy-MM-dd folders under root for days first..last.
func ProjectionProps(root, first, last string) map[string]string {
	return map[string]string{
		"projection.enabled":          "true",
		"projection.dt.type":          "date",
		"projection.dt.format":        "yyyy-MM-dd",
		"projection.dt.range":         first + "," + last,
		"projection.dt.interval":      "1",
		"projection.dt.interval.unit": "DAYS",
		"storage.location.template":   root + "/dt=${dt}",
	}
}

// Register creates (or replaces) the tables in store and registers the
// partitions of requests. The database must exist.
func Register(ctx context.Context, store catalog.Store, res *Result) error {
	for _, t := range res.Tables {
		if err := store.CreateTable(ctx, t, false); err != nil {
			if !errors.Is(err, catalog.ErrExists) {
				return err
			}
			if err := store.ReplaceTable(ctx, t); err != nil {
				return err
			}
		}
	}
	ps, ok := store.(catalog.PartitionStore)
	if !ok {
		return errors.New("logs: the catalog store does not keep partitions")
	}
	return ps.AddPartitions(ctx, res.Tables[0].Database, TableRequests, res.Partitions, true)
}

func reuse(root, db string, mo manifestOpts) (*Result, bool) {
	b, err := os.ReadFile(filepath.Join(root, manifestName))
	if err != nil {
		return nil, false
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil || m.Opts != mo || len(m.Res.Tables) != 2 {
		return nil, false
	}
	for _, f := range m.Files {
		st, err := os.Stat(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil || st.Size() != f.Size {
			return nil, false
		}
	}
	for i := range m.Res.Tables {
		m.Res.Tables[i].Database = db
	}
	return &m.Res, true
}

func dayString(start time.Time, d int) string {
	return start.AddDate(0, 0, d).Format("2006-01-02")
}

// genDay generates and writes one day.
func genDay(ctx context.Context, o *Options, site *siteMap, root string, d int) (dayOut, error) {
	day := o.Start.AddDate(0, 0, d)
	dt := day.Format("2006-01-02")
	dir := filepath.Join(root, "dt="+dt)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return dayOut{}, fmt.Errorf("logs: %w", err)
	}
	r := rand.New(rand.NewPCG(o.Seed, uint64(day.Unix())))
	g := newDayGen(r, site, day)
	n := g.rowCount(o.RowsPerDay)
	rows := g.rows(n)
	path := filepath.Join(dir, "part-00000.parquet")
	tmp := filepath.Join(dir, ".part-00000.parquet.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return dayOut{}, fmt.Errorf("logs: %w", err)
	}
	fail := func(err error) (dayOut, error) {
		f.Close()
		os.Remove(tmp)
		return dayOut{}, fmt.Errorf("logs: write %s: %w", path, err)
	}
	w := parquet.NewGenericWriter[row](f,
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(int64(o.RowGroupRows)),
		parquet.DataPageStatistics(true),
		parquet.CreatedBy("tarn gen logs", "1", ""),
	)
	for i := 0; i < len(rows); i += o.RowGroupRows {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		end := min(i+o.RowGroupRows, len(rows))
		if _, err := w.Write(rows[i:end]); err != nil {
			return fail(err)
		}
		if err := w.Flush(); err != nil {
			return fail(err)
		}
	}
	if err := w.Close(); err != nil {
		return fail(err)
	}
	st, err := f.Stat()
	if err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return dayOut{}, fmt.Errorf("logs: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return dayOut{}, fmt.Errorf("logs: %w", err)
	}
	return dayOut{day: d, path: path, rows: int64(len(rows)), size: st.Size()}, nil
}

// weighted picks from a fixed list by cumulative weights.
type weighted[T any] struct {
	vals []T
	cum  []float64
}

func newWeighted[T any](vals []T, weights []float64) weighted[T] {
	w := weighted[T]{vals: vals, cum: make([]float64, len(weights))}
	s := 0.0
	for _, x := range weights {
		s += x
	}
	acc := 0.0
	for i, x := range weights {
		acc += x / s
		w.cum[i] = acc
	}
	w.cum[len(w.cum)-1] = 1
	return w
}

func (w *weighted[T]) pick(r *rand.Rand) T {
	u := r.Float64()
	i, _ := slices.BinarySearch(w.cum, u)
	if i >= len(w.vals) {
		i = len(w.vals) - 1
	}
	return w.vals[i]
}

var (
	hosts      = []string{"www.example.com", "api.example.com", "cdn.example.com", "shop.example.com"}
	methods    = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS"}
	regions    = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-1", "ap-northeast-1", "sa-east-1"}
	regionW    = []float64{34, 16, 18, 10, 9, 9, 4}
	userAgents = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
		"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		"curl/8.6.0",
		"python-requests/2.31.0",
		"okhttp/4.12.0",
	}
	userAgentW = []float64{30, 14, 16, 12, 6, 3, 5, 4, 2, 2, 3, 3}
	referrers  = []string{"https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/",
		"https://www.example.com/", "https://www.example.com/products", "https://www.example.com/search",
		"https://t.co/", "https://www.facebook.com/", "https://news.ycombinator.com/", "https://www.reddit.com/"}
	referrerW = []float64{30, 5, 3, 25, 12, 10, 4, 5, 3, 3}
)

// pathKind classifies paths for sizes, latencies and statuses.
type pathKind uint8

const (
	kindPage pathKind = iota
	kindStatic
	kindAPI
)

type sitePath struct {
	path string
	host string
	kind pathKind
}

// siteMap is the fixed set of paths, most popular first (Zipf rank order).
type siteMap struct {
	paths []sitePath
}

func newSiteMap() *siteMap {
	s := &siteMap{}
	add := func(p, h string, k pathKind) { s.paths = append(s.paths, sitePath{p, h, k}) }
	// A deterministic interleaving of page, static and API paths so
	// each kind has popular and rare members.
	pages := []string{"/", "/search", "/products", "/cart", "/checkout", "/login", "/account", "/about", "/help", "/contact"}
	statics := []string{"/static/js/app.js", "/static/css/main.css", "/favicon.ico", "/static/js/vendor.js", "/robots.txt", "/static/img/logo.svg"}
	apis := []string{"/api/v1/session", "/api/v1/cart", "/api/v1/recommendations", "/api/v1/search", "/api/v1/orders", "/api/v1/users/me"}
	for i := 0; i < max(len(pages), len(statics), len(apis)); i++ {
		if i < len(pages) {
			add(pages[i], "www.example.com", kindPage)
		}
		if i < len(statics) {
			add(statics[i], "cdn.example.com", kindStatic)
		}
		if i < len(apis) {
			add(apis[i], "api.example.com", kindAPI)
		}
	}
	// The long tail: product and category pages, images, API objects.
	for i := 1; i <= 2000; i++ {
		add("/products/"+strconv.Itoa(1000+i*7%9973), "shop.example.com", kindPage)
		if i%4 == 0 {
			add("/static/img/p/"+strconv.Itoa(1000+i*7%9973)+".jpg", "cdn.example.com", kindStatic)
		}
		if i%5 == 0 {
			add("/api/v1/products/"+strconv.Itoa(1000+i*7%9973), "api.example.com", kindAPI)
		}
		if i%40 == 0 {
			add("/category/"+strconv.Itoa(i/40), "shop.example.com", kindPage)
		}
	}
	return s
}

// dayGen generates the rows of one day.
type dayGen struct {
	r        *rand.Rand
	site     *siteMap
	day      time.Time
	zipf     *rand.Zipf
	users    *rand.Zipf
	region   weighted[string]
	ua       weighted[int]
	ref      weighted[string]
	hourLoad [24]float64
}

func newDayGen(r *rand.Rand, site *siteMap, day time.Time) *dayGen {
	g := &dayGen{r: r, site: site, day: day,
		zipf:   rand.NewZipf(r, 1.15, 1, uint64(len(site.paths)-1)),
		users:  rand.NewZipf(r, 1.05, 10, 999999),
		region: newWeighted(regions, regionW),
		ua:     newWeighted(uaIndexes(), userAgentW),
		ref:    newWeighted(referrers, referrerW),
	}
	// Diurnal load: trough at 04:00 UTC, peak around 15:00 UTC.
	for h := range g.hourLoad {
		g.hourLoad[h] = 1 + 0.8*math.Cos(2*math.Pi*(float64(h)-15)/24)
	}
	return g
}

// rowCount is the day's row count: lighter weekends, ±5% noise.
func (g *dayGen) rowCount(perDay int) int {
	f := 1.08
	if wd := g.day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		f = 0.8
	}
	f *= 0.95 + 0.1*g.r.Float64()
	return max(1, int(float64(perDay)*f))
}

// timestamps draws n request times over the day from the diurnal
// curve, sorted.
func (g *dayGen) timestamps(n int) []int64 {
	var cum [24]float64
	s := 0.0
	for h, w := range g.hourLoad {
		s += w
		cum[h] = s
	}
	base := g.day.UnixMicro()
	ts := make([]int64, n)
	for i := range ts {
		u := g.r.Float64() * s
		h, _ := slices.BinarySearch(cum[:], u)
		h = min(h, 23)
		ts[i] = base + int64(h)*3_600_000_000 + g.r.Int64N(3_600_000_000)
	}
	slices.Sort(ts)
	return ts
}

func (g *dayGen) rows(n int) []row {
	ts := g.timestamps(n)
	out := make([]row, n)
	for i := range out {
		out[i] = g.row(ts[i])
	}
	return out
}

func (g *dayGen) row(ts int64) row {
	r := g.r
	p := g.site.paths[g.zipf.Uint64()]
	hour := (ts - g.day.UnixMicro()) / 3_600_000_000
	load := g.hourLoad[hour] / 1.8 // 0.11 .. 1
	ua := g.ua.pick(r)
	bot := botAgents[ua]
	rw := row{TS: ts, Host: p.host, Path: p.path, Region: g.region.pick(r), UserAgent: userAgents[ua]}
	// Method by kind of path.
	u := r.Float64()
	switch p.kind {
	case kindAPI:
		switch {
		case u < 0.60:
			rw.Method = "GET"
		case u < 0.85:
			rw.Method = "POST"
		case u < 0.93:
			rw.Method = "PUT"
		case u < 0.97:
			rw.Method = "DELETE"
		default:
			rw.Method = "OPTIONS"
		}
	case kindStatic:
		rw.Method = "GET"
		if u < 0.04 {
			rw.Method = "HEAD"
		}
	default:
		rw.Method = "GET"
		if u < 0.05 && (p.path == "/login" || p.path == "/checkout" || p.path == "/cart") {
			rw.Method = "POST"
		} else if u < 0.01 {
			rw.Method = "HEAD"
		}
	}
	// Status: 5xx rise with load and on the API.
	u = r.Float64()
	p5xx := 0.004 + 0.012*load*load
	if p.kind == kindAPI {
		p5xx *= 2.5
	}
	switch {
	case u < p5xx:
		rw.Status = []int32{500, 502, 503, 504}[r.IntN(4)]
	case u < p5xx+0.035:
		rw.Status = 404
	case u < p5xx+0.05:
		rw.Status = []int32{400, 401, 403, 429}[r.IntN(4)]
	case u < p5xx+0.08 && p.kind == kindPage:
		rw.Status = []int32{301, 302}[r.IntN(2)]
	case u < p5xx+0.20 && p.kind == kindStatic:
		rw.Status = 304
	default:
		rw.Status = 200
	}
	// Bytes: log-normal by kind; no body for 304, HEAD and redirects.
	switch {
	case rw.Status == 304 || rw.Method == "HEAD" || rw.Status == 301 || rw.Status == 302:
		rw.Bytes = 0
	case rw.Status >= 400:
		rw.Bytes = 150 + r.Int64N(400)
	default:
		mu, sigma := 9.6, 0.7 // pages ~15 KB
		switch p.kind {
		case kindStatic:
			mu, sigma = 10.5, 1.2 // assets ~36 KB, wide
		case kindAPI:
			mu, sigma = 7.2, 0.9 // JSON ~1.3 KB
		}
		rw.Bytes = int64(math.Exp(mu + sigma*r.NormFloat64()))
	}
	// Latency: log-normal, slower under load, much slower for 5xx.
	mu, sigma := 3.4, 0.6 // pages ~30 ms
	switch p.kind {
	case kindStatic:
		mu, sigma = 1.6, 0.5 // ~5 ms
	case kindAPI:
		mu, sigma = 3.9, 0.7 // ~50 ms
	}
	lat := math.Exp(mu+sigma*r.NormFloat64()) * (0.8 + 0.6*load)
	if rw.Status >= 500 {
		lat = lat*4 + 200*r.Float64()
		if rw.Status == 504 {
			lat = 30000 + 100*r.Float64()
		}
	}
	rw.LatencyMs = math.Round(lat*1000) / 1000
	// Referrer: NULL (direct) 40%; bots and API clients send none.
	if r.Float64() >= 0.4 && p.kind != kindAPI && !bot {
		rw.Referrer = g.ref.pick(r)
	}
	// User: 30% anonymous; Zipf otherwise (a few heavy users).
	if r.Float64() >= 0.3 && !bot {
		rw.UserID = int64(g.users.Uint64()) + 1
	}
	return rw
}

func uaIndexes() []int {
	ix := make([]int, len(userAgents))
	for i := range ix {
		ix[i] = i
	}
	return ix
}

// botAgents marks the user agents of crawlers and scripts (no
// referrer, no user).
var botAgents = func() []bool {
	b := make([]bool, len(userAgents))
	for i, ua := range userAgents {
		l := strings.ToLower(ua)
		b[i] = strings.Contains(l, "bot") || strings.HasPrefix(l, "curl/") || strings.HasPrefix(l, "python-requests/")
	}
	return b
}()
