// Package tpch generates the TPC-H tables as Parquet or CSV files.
//
// The data is dbgen 2.4.0's, value for value: this package re-implements
// dbgen's generators (following github.com/pingcap/go-tpc's Go port,
// whose output matches the official answer sets, and using its
// distribution tables) so that the output for a given scale factor is
// identical to dbgen's and the TPC-H validation answers apply. Unlike the
// port, every table chunk owns its random streams (dbgen's seeds are
// advanced to the chunk's first row, as dbgen's -C/-S options do), so
// tables and chunks of a table are generated in parallel and the output
// bytes do not depend on the degree of parallelism. Fractional scale
// factors below 1 follow dbgen's -s handling (row counts scaled by
// int(1000·SF)/1000, key ranges scaled with them).
//
// Column types (one mapping for all tables):
//
//	keys (*_orderkey, *_partkey, *_suppkey, *_custkey, *_nationkey, *_regionkey)  BIGINT
//	l_linenumber, p_size, ps_availqty, o_shippriority                              INT
//	money, quantities, discounts and taxes                                          DECIMAL(15,2)
//	dates                                                                            DATE
//	text                                                                             VARCHAR
//
// In Parquet, DECIMAL(15,2) is INT64 with the DECIMAL logical type, DATE
// is INT32 with the DATE logical type and VARCHAR is BYTE_ARRAY with the
// STRING logical type; columns are REQUIRED and snappy-compressed.
package tpch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tarnsql/tarn/catalog"
)

// Options control Generate.
type Options struct {
	// SF is the scale factor: a whole number >= 1, or a fraction in
	// [0.001, 1) (e.g. 0.01 = 60,175 lineitems).
	SF float64
	// Dir is the database's warehouse directory; table T is written to
	// Dir/T/.
	Dir string
	// Database is the database name put in the returned tables.
	Database string
	// Format is "parquet" (default) or "csv".
	Format string
	// Progress, when set, is called (never concurrently) as rows are
	// written. rowsTotal is exact for every table but lineitem, where it
	// is the expected count (4 per order) until the table is done.
	Progress func(table string, rowsDone, rowsTotal int64)
	// Reuse returns the tables of a previous Generate with the same SF
	// and format in Dir (recorded in Dir/_tpch.json) when all its files
	// are still present with their recorded sizes, instead of generating.
	Reuse bool
	// Parallelism is the number of concurrent generators (default
	// GOMAXPROCS). The output does not depend on it.
	Parallelism int
}

// Tables lists the TPC-H table names in dependency order.
var Tables = []string{"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

var rowTypes = map[string]reflect.Type{
	"region":   reflect.TypeFor[regionRow](),
	"nation":   reflect.TypeFor[nationRow](),
	"supplier": reflect.TypeFor[supplierRow](),
	"customer": reflect.TypeFor[customerRow](),
	"part":     reflect.TypeFor[partRow](),
	"partsupp": reflect.TypeFor[partsuppRow](),
	"orders":   reflect.TypeFor[orderRow](),
	"lineitem": reflect.TypeFor[lineitemRow](),
}

// Columns returns a table's columns (names and SQL types).
func Columns(table string) ([]catalog.Column, error) {
	t, ok := rowTypes[table]
	if !ok {
		return nil, fmt.Errorf("tpch: unknown table %q", table)
	}
	cols := make([]catalog.Column, t.NumField())
	for i := range cols {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("parquet"), ",")
		typ := ""
		switch f.Type.Kind() {
		case reflect.Int64:
			typ = "BIGINT"
			if slices.Contains(tag, "decimal(2:15)") {
				typ = "DECIMAL(15,2)"
			}
		case reflect.Int32:
			typ = "INT"
			if slices.Contains(tag, "date") {
				typ = "DATE"
			}
		case reflect.String:
			typ = "VARCHAR"
		}
		cols[i] = catalog.Column{Name: tag[0], Type: typ}
	}
	return cols, nil
}

// Row-group and file sizes, in "driver" rows (orders for orders and
// lineitem, parts for part and partsupp). At SF 1 lineitem is 4 files of
// about 1.5M rows, each with two row groups of about 750k rows.
const (
	ordersPerFile     = 375000
	ordersPerRowGroup = 187500
	partsPerFile      = 500000
	partsPerRowGroup  = 250000
	rowsPerFile       = 1000000 // customer, supplier
	batchRows         = 4096
)

// task generates one file (two for the orders/lineitem and part/partsupp
// pairs): driver rows first .. first+count-1.
type task struct {
	kind         string // region, nation, supplier, customer, part, orders
	first, count int64
	file         int
}

type fileOut struct {
	table string
	path  string
	size  int64
	rows  int64
}

type manifest struct {
	SF     float64         `json:"sf"`
	Format string          `json:"format"`
	Tables []catalog.Table `json:"tables"`
	Files  []manifestFile  `json:"files"`
}

type manifestFile struct {
	Path string `json:"path"` // relative to Dir
	Size int64  `json:"size"`
}

const manifestName = "_tpch.json"

// Generate writes all eight tables and returns their catalog entries
// (external tables located at Dir/<table>, with row counts and sizes).
// Existing files of an earlier generation in those directories are
// replaced; any other file there is an error.
func Generate(ctx context.Context, opts Options) ([]catalog.Table, error) {
	format := strings.ToLower(opts.Format)
	if format == "" {
		format = "parquet"
	}
	if format != "parquet" && format != "csv" {
		return nil, fmt.Errorf("tpch: unknown format %q (want parquet or csv)", opts.Format)
	}
	sc, err := newScale(opts.SF)
	if err != nil {
		return nil, err
	}
	if opts.Dir == "" {
		return nil, errors.New("tpch: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("tpch: directory %s: %w", opts.Dir, err)
	}
	if opts.Reuse {
		if tbls, ok := reuse(dir, opts.Database, sc.sf, format); ok {
			return tbls, nil
		}
	}
	os.Remove(filepath.Join(dir, manifestName))
	for _, t := range Tables {
		if err := prepareDir(filepath.Join(dir, t)); err != nil {
			return nil, err
		}
	}

	tasks := planTasks(sc)
	par := opts.Parallelism
	if par <= 0 {
		par = runtime.GOMAXPROCS(0)
	}
	pr := newProgress(sc, opts.Progress)
	pool := getTextPool()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu       sync.Mutex
		outs     []fileOut
		firstErr error
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for range par {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(tasks)) || ctx.Err() != nil {
					return
				}
				o, err := runTask(ctx, sc, pool, dir, format, tasks[i], pr)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				outs = append(outs, o...)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	runtime.KeepAlive(pool)
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		for _, o := range outs {
			os.Remove(o.path)
		}
		return nil, firstErr
	}
	pr.finish()

	m := manifest{SF: sc.sf, Format: format}
	slices.SortFunc(outs, func(a, b fileOut) int { return strings.Compare(a.path, b.path) })
	stats := map[string]*catalog.TableStats{}
	for _, t := range Tables {
		stats[t] = &catalog.TableStats{}
	}
	for _, o := range outs {
		s := stats[o.table]
		s.Rows += o.rows
		s.Files++
		s.Bytes += o.size
		rel, _ := filepath.Rel(dir, o.path)
		m.Files = append(m.Files, manifestFile{Path: filepath.ToSlash(rel), Size: o.size})
	}
	addColumnStats(stats)
	now := time.Now().UTC()
	for _, name := range Tables {
		cols, _ := Columns(name)
		t := catalog.Table{
			Database: opts.Database, Name: name, Kind: catalog.KindExternal,
			Columns: cols, Location: filepath.Join(dir, name), Format: format,
			Comment: fmt.Sprintf("TPC-H %s, scale factor %g", name, sc.sf),
			Created: now, Stats: stats[name],
		}
		if format == "csv" {
			t.SerDe = "org.apache.hadoop.hive.serde2.OpenCSVSerde"
			t.SerDeProps = map[string]string{"separatorChar": ",", "quoteChar": "\"", "escapeChar": "\""}
			t.Props = map[string]string{"skip.header.line.count": "1"}
		}
		m.Tables = append(m.Tables, t)
	}
	if b, err := json.MarshalIndent(m, "", "  "); err == nil {
		if err := os.WriteFile(filepath.Join(dir, manifestName), b, 0o644); err != nil {
			return nil, fmt.Errorf("tpch: write manifest: %w", err)
		}
	}
	return m.Tables, nil
}

// reuse loads the manifest of an earlier generation if it matches.
func reuse(dir, db string, sf float64, format string) ([]catalog.Table, bool) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, false
	}
	var m manifest
	if json.Unmarshal(b, &m) != nil || m.SF != sf || m.Format != format || len(m.Tables) != len(Tables) {
		return nil, false
	}
	for _, f := range m.Files {
		st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil || st.Size() != f.Size {
			return nil, false
		}
	}
	stats := map[string]*catalog.TableStats{}
	for i := range m.Tables {
		m.Tables[i].Database = db
		m.Tables[i].Location = filepath.Join(dir, m.Tables[i].Name)
		if m.Tables[i].Stats == nil {
			m.Tables[i].Stats = &catalog.TableStats{}
		}
		stats[m.Tables[i].Name] = m.Tables[i].Stats
	}
	// Manifests written before column statistics existed lack them.
	addColumnStats(stats)
	return m.Tables, true
}

// prepareDir creates a table directory and removes the files a previous
// generation left there.
func prepareDir(d string) error {
	if err := os.MkdirAll(d, 0o755); err != nil {
		return fmt.Errorf("tpch: create %s: %w", d, err)
	}
	ents, err := os.ReadDir(d)
	if err != nil {
		return fmt.Errorf("tpch: list %s: %w", d, err)
	}
	table := filepath.Base(d)
	for _, e := range ents {
		n := e.Name()
		ours := strings.HasPrefix(n, table+"-") && (strings.HasSuffix(n, ".parquet") || strings.HasSuffix(n, ".csv"))
		tmp := strings.HasPrefix(n, "."+table+"-") && strings.HasSuffix(n, ".tmp")
		switch {
		case ours || tmp:
			if err := os.Remove(filepath.Join(d, n)); err != nil {
				return fmt.Errorf("tpch: remove old file: %w", err)
			}
		case strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_"):
		default:
			return fmt.Errorf("tpch: table directory %s holds a file tpch did not write: %s", d, n)
		}
	}
	return nil
}

func planTasks(sc scale) []task {
	var ts []task
	split := func(kind string, total, per int64) {
		for f, first := 0, int64(1); first <= total; f, first = f+1, first+per {
			ts = append(ts, task{kind: kind, first: first, count: min(per, total-first+1), file: f})
		}
	}
	// Largest first, so the pool stays busy until the end.
	split("orders", sc.orders, ordersPerFile)
	split("part", sc.parts, partsPerFile)
	split("customer", sc.custs, rowsPerFile)
	split("supplier", sc.supps, rowsPerFile)
	ts = append(ts, task{kind: "nation", first: 1, count: 25}, task{kind: "region", first: 1, count: 5})
	return ts
}

func fileName(dir, table, format string, file int) string {
	return filepath.Join(dir, table, fmt.Sprintf("%s-%05d.%s", table, file, format))
}

func newWriter[T any](dir, table, format string, file int) (rowWriter[T], error) {
	path := fileName(dir, table, format, file)
	if format == "csv" {
		cols, _ := Columns(table)
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = c.Name
		}
		return newCSVWriter[T](path, names)
	}
	return newParquetWriter[T](path)
}

// runTask generates one task's files.
func runTask(ctx context.Context, sc scale, pool *textPool, dir, format string, t task, pr *progress) ([]fileOut, error) {
	switch t.kind {
	case "orders":
		return genPair(ctx, sc, pool, dir, format, t, pr, grpOrder, "orders", "lineitem", ordersPerRowGroup, oLcntMax,
			func(g *generator, idx int64, o *orderRow, ls []lineitemRow) []lineitemRow { return g.order(idx, o, ls) })
	case "part":
		return genPair(ctx, sc, pool, dir, format, t, pr, grpPart, "part", "partsupp", partsPerRowGroup, suppPerPart,
			func(g *generator, idx int64, p *partRow, ps []partsuppRow) []partsuppRow {
				g.part(idx, p, ps)
				return ps[:suppPerPart]
			})
	case "customer":
		return genSingle(ctx, sc, pool, dir, format, t, pr, grpCust, "customer", (*generator).customer)
	case "supplier":
		return genSingle(ctx, sc, pool, dir, format, t, pr, grpSupp, "supplier", (*generator).supplier)
	case "nation":
		return genSingle(ctx, sc, pool, dir, format, t, pr, grpNation, "nation", (*generator).nation)
	case "region":
		return genSingle(ctx, sc, pool, dir, format, t, pr, grpRegion, "region", (*generator).region)
	}
	return nil, fmt.Errorf("tpch: unknown task %q", t.kind)
}

func genSingle[T any](ctx context.Context, sc scale, pool *textPool, dir, format string, t task, pr *progress,
	grp group, table string, gen func(*generator, int64, *T)) ([]fileOut, error) {
	w, err := newWriter[T](dir, table, format, t.file)
	if err != nil {
		return nil, err
	}
	g := newGenerator(sc, grp, t.first, pool)
	rows := make([]T, batchRows)
	end := t.first + t.count
	for idx := t.first; idx < end; {
		if err := ctx.Err(); err != nil {
			w.abort()
			return nil, err
		}
		n := int(min(int64(batchRows), end-idx))
		for i := range n {
			gen(g, idx+int64(i), &rows[i])
		}
		if err := w.write(rows[:n]); err != nil {
			w.abort()
			return nil, err
		}
		idx += int64(n)
		pr.add(table, int64(n))
	}
	size, err := w.close()
	if err != nil {
		return nil, err
	}
	return []fileOut{{table: table, path: fileName(dir, table, format, t.file), size: size, rows: t.count}}, nil
}

// genPair generates a parent table and its child rows (orders and their
// lineitems, parts and their partsupps) from one set of streams.
func genPair[P, C any](ctx context.Context, sc scale, pool *textPool, dir, format string, t task, pr *progress,
	grp group, parent, child string, perRowGroup int64, maxChildren int,
	gen func(*generator, int64, *P, []C) []C) ([]fileOut, error) {
	pw, err := newWriter[P](dir, parent, format, t.file)
	if err != nil {
		return nil, err
	}
	cw, err := newWriter[C](dir, child, format, t.file)
	if err != nil {
		pw.abort()
		return nil, err
	}
	fail := func(err error) ([]fileOut, error) {
		pw.abort()
		cw.abort()
		return nil, err
	}
	g := newGenerator(sc, grp, t.first, pool)
	ps := make([]P, batchRows)
	cs := make([]C, batchRows*maxChildren)
	var nChild int64
	end := t.first + t.count
	for idx := t.first; idx < end; {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		// A batch never crosses a row-group boundary.
		rgEnd := t.first + ((idx-t.first)/perRowGroup+1)*perRowGroup
		n := int(min(int64(batchRows), end-idx, rgEnd-idx))
		nc := 0
		for i := range n {
			nc += len(gen(g, idx+int64(i), &ps[i], cs[nc:nc+maxChildren]))
		}
		if err := pw.write(ps[:n]); err != nil {
			return fail(err)
		}
		if err := cw.write(cs[:nc]); err != nil {
			return fail(err)
		}
		idx += int64(n)
		nChild += int64(nc)
		if idx == rgEnd && idx < end {
			if err := pw.endRowGroup(); err != nil {
				return fail(err)
			}
			if err := cw.endRowGroup(); err != nil {
				return fail(err)
			}
		}
		pr.add(parent, int64(n))
		pr.add(child, int64(nc))
	}
	psize, err := pw.close()
	if err != nil {
		cw.abort()
		return nil, err
	}
	csize, err := cw.close()
	if err != nil {
		return nil, err
	}
	return []fileOut{
		{table: parent, path: fileName(dir, parent, format, t.file), size: psize, rows: t.count},
		{table: child, path: fileName(dir, child, format, t.file), size: csize, rows: nChild},
	}, nil
}

// progress aggregates per-table counts and calls the user's callback,
// serialized, about every 64k rows per table.
type progress struct {
	fn    func(string, int64, int64)
	mu    sync.Mutex
	total map[string]int64
	done  map[string]int64
	last  map[string]int64
}

func newProgress(sc scale, fn func(string, int64, int64)) *progress {
	return &progress{fn: fn,
		total: map[string]int64{
			"region": 5, "nation": 25, "supplier": sc.supps, "customer": sc.custs,
			"part": sc.parts, "partsupp": sc.parts * suppPerPart, "orders": sc.orders,
			"lineitem": sc.orders * 4,
		},
		done: map[string]int64{}, last: map[string]int64{}}
}

func (p *progress) add(table string, n int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	d := p.done[table] + n
	p.done[table] = d
	tot := max(p.total[table], d)
	if d-p.last[table] >= 1<<16 || d == tot {
		p.last[table] = d
		p.fn(table, d, tot)
	}
}

// finish reports every table as complete with its exact total.
func (p *progress) finish() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range Tables {
		p.fn(t, p.done[t], p.done[t])
	}
}

// addColumnStats records the number of distinct values of the columns
// whose domain the specification fixes (keys and enumerations), so the
// optimizer can estimate joins such as customer ⋈ supplier on nationkey
// (many-to-many) correctly.
func addColumnStats(stats map[string]*catalog.TableStats) {
	rows := func(t string) int64 { return stats[t].Rows }
	fixed := map[string]map[string]int64{
		"region":   {"r_regionkey": 5, "r_name": 5},
		"nation":   {"n_nationkey": 25, "n_name": 25, "n_regionkey": 5},
		"supplier": {"s_suppkey": rows("supplier"), "s_name": rows("supplier"), "s_nationkey": 25},
		"customer": {"c_custkey": rows("customer"), "c_name": rows("customer"), "c_nationkey": 25, "c_mktsegment": 5},
		"part": {"p_partkey": rows("part"), "p_name": rows("part"), "p_mfgr": 5, "p_brand": 25, "p_type": 150,
			"p_size": 50, "p_container": 40},
		"partsupp": {"ps_partkey": rows("part"), "ps_suppkey": rows("supplier")},
		// Only two thirds of the customers place orders (spec 4.2.3).
		"orders": {"o_orderkey": rows("orders"), "o_custkey": rows("customer") * 2 / 3, "o_orderstatus": 3,
			"o_orderpriority": 5, "o_shippriority": 1, "o_orderdate": 2406},
		"lineitem": {"l_orderkey": rows("orders"), "l_partkey": rows("part"), "l_suppkey": rows("supplier"),
			"l_linenumber": 7, "l_returnflag": 3, "l_linestatus": 2, "l_shipinstruct": 4, "l_shipmode": 7,
			"l_quantity": 50, "l_discount": 11, "l_tax": 9},
	}
	for t, cols := range fixed {
		st := stats[t]
		if st.Cols == nil {
			st.Cols = map[string]catalog.ColumnStats{}
		}
		for c, d := range cols {
			st.Cols[c] = catalog.ColumnStats{Distinct: max(1, min(d, st.Rows))}
		}
	}
}
