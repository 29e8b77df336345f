package planner

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/boltstore"
	"github.com/tarnsql/tarn/catalog/catalogtest"
	"github.com/tarnsql/tarn/catalog/pgstore"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
	"github.com/tarnsql/tarn/planner/plan"
)

// partTable is a partitioned table without data: it records the
// partitions the planner selected.
type partTable struct {
	statTable
	ct       *catalog.Table
	parts    []catalog.Partition
	total    int
	selected bool
}

func (t *partTable) CatalogTable() *catalog.Table { return t.ct }
func (t *partTable) WithPartitions(parts []catalog.Partition, total int) (connectors.Table, error) {
	c := *t
	c.parts, c.total, c.selected = parts, total, true
	return &c, nil
}
func (t *partTable) PartitionCounts() (int, int) {
	if !t.selected {
		return -1, -1
	}
	return len(t.parts), t.total
}

// partCatalog serves partitioned tables from a PartitionStore (or an
// in-memory list) and records the filters it was given.
type partCatalog struct {
	tables  map[string]*catalog.Table
	store   catalog.PartitionStore
	mem     map[string][]catalog.Partition
	filters []*catalog.PartitionFilter
	visited int // partitions Match was called on (in-memory store)
}

func (c *partCatalog) Table(_ context.Context, db, name string) (*catalog.Table, connectors.Table, error) {
	ct, ok := c.tables[strings.ToLower(name)]
	if !ok {
		return nil, nil, fmt.Errorf("table %s: %w", name, catalog.ErrNotFound)
	}
	sch, err := ct.ArrowSchema()
	if err != nil {
		return nil, nil, err
	}
	return ct, &partTable{statTable: statTable{name: ct.Database + "." + ct.Name, schema: sch, rows: 1000}, ct: ct}, nil
}

func (c *partCatalog) Partitions(ctx context.Context, db, table string, fs []*catalog.PartitionFilter) ([]catalog.Partition, int, error) {
	if len(fs) == 0 {
		fs = []*catalog.PartitionFilter{nil}
	}
	var out []catalog.Partition
	total := 0
	for _, f := range fs {
		c.filters = append(c.filters, f)
		if c.store != nil {
			ps, err := c.store.ListPartitions(ctx, db, table, f)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, ps...)
			continue
		}
		all := c.mem[table]
		total = len(all)
		for _, p := range all {
			if f != nil {
				if f.Lo != nil && p.Values[0] < *f.Lo || f.Hi != nil && p.Values[0] > *f.Hi {
					continue
				}
				c.visited++
				if f.Match != nil && !f.Match(p.Values) {
					continue
				}
			}
			out = append(out, p)
		}
	}
	if c.store != nil {
		n, err := c.store.CountPartitions(ctx, db, table)
		return out, n, err
	}
	return out, total, nil
}

func logsCatalog() *partCatalog {
	ct := &catalog.Table{Database: "db", Name: "logs", Kind: catalog.KindExternal, Format: "parquet", Location: "/data/logs",
		Columns:       []catalog.Column{{Name: "host", Type: "varchar"}, {Name: "bytes", Type: "bigint"}},
		PartitionKeys: []catalog.Column{{Name: "dt", Type: "varchar"}, {Name: "region", Type: "varchar"}}}
	hourly := &catalog.Table{Database: "db", Name: "hourly", Kind: catalog.KindExternal, Format: "parquet", Location: "/data/hourly",
		Columns:       []catalog.Column{{Name: "v", Type: "bigint"}},
		PartitionKeys: []catalog.Column{{Name: "d", Type: "date"}, {Name: "h", Type: "int"}}}
	c := &partCatalog{tables: map[string]*catalog.Table{"logs": ct, "hourly": hourly}, mem: map[string][]catalog.Partition{}}
	day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 366 {
		dt := day.AddDate(0, 0, i).Format("2006-01-02")
		for _, r := range []string{"eu", "us"} {
			c.mem["logs"] = append(c.mem["logs"], catalog.Partition{Values: []string{dt, r}, Location: "/data/logs/dt=" + dt + "/region=" + r})
		}
	}
	c.mem["logs"] = append(c.mem["logs"], catalog.Partition{Values: []string{"2024-06-01", catalog.HiveDefaultPartition}, Location: "/data/logs/null"})
	sort.Slice(c.mem["logs"], func(i, j int) bool {
		a, b := c.mem["logs"][i].Values, c.mem["logs"][j].Values
		return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
	})
	for i := range 3 {
		d := day.AddDate(0, 0, i).Format("2006-01-02")
		for h := range 24 {
			c.mem["hourly"] = append(c.mem["hourly"], catalog.Partition{Values: []string{d, fmt.Sprint(h)}, Location: "/x"})
		}
	}
	return c
}

func scanOf(t *testing.T, root plan.Node) *plan.Scan {
	t.Helper()
	var found *plan.Scan
	var walk func(plan.Node)
	walk = func(n plan.Node) {
		if s, ok := n.(*plan.Scan); ok && found == nil {
			found = s
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(root)
	if found == nil {
		t.Fatal("no scan")
	}
	return found
}

func planWith(cat Catalog, sql string) (*Planned, error) {
	stmt, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	return PlanQuery(context.Background(), sql, stmt, cat, Options{Database: "db"})
}

func TestPartitionPruning(t *testing.T) {
	const all = 733
	tests := []struct {
		where  string
		n      int
		ranges string // first-key ranges listed, "lo..hi" each ("" = one unbounded listing)
	}{
		{"dt = '2024-06-01'", 3, "2024-06-01..2024-06-01"},
		{"'2024-06-01' = dt and region = 'eu'", 1, "2024-06-01..2024-06-01"},
		{"dt in ('2024-06-01', '2024-06-03')", 5, "2024-06-01..2024-06-01 2024-06-03..2024-06-03"},
		{"dt in ('2024-06-01', '2024-06-03', '2024-07-01') and dt >= '2024-06-02'", 4, "2024-06-03..2024-06-03 2024-07-01..2024-07-01"},
		{"dt = '2024-06-01' and dt = '2024-06-02'", 0, "b..a"},
		{"dt >= '2024-12-25'", 14, "2024-12-25.."},
		{"dt > '2024-12-25'", 12, "2024-12-25.."},
		{"dt between '2024-06-01' and '2024-06-07'", 15, "2024-06-01..2024-06-07"},
		{"dt < '2024-01-03' or dt > '2024-12-30'", 6, "..2024-01-03 2024-12-30.."},
		{"cast(dt as date) between date '2024-06-01' and date '2024-06-07'", 15, ""},
		{"month(cast(dt as date)) = 2", 58, ""},
		{"year(cast(dt as date)) = 2024 and dayofmonth(cast(dt as date)) = 31 and region = 'us'", 7, ""},
		{"substr(dt, 1, 7) = '2024-06'", 61, "2024-06..2024-07"},
		{"substring(dt, 6, 2) = '06'", 61, ""},
		{"left(dt, 4) = '2023'", 0, "2023..2024"},
		{"dt like '2024-06-1%'", 20, "2024-06-1..2024-06-2"},
		{"dt not like '2024-%'", 0, ""},
		{"not (region = 'eu')", 366, ""},
		{"region <> 'eu'", 366, ""},
		{"region is null", 1, ""},
		{"region is not null and dt = '2024-06-01'", 2, "2024-06-01..2024-06-01"},
		{"region = 'eu' or dt = '2024-06-01'", 368, ""},
		{"dt = '2024-06-01' or dt = '2024-07-01'", 5, "2024-06-01..2024-06-01 2024-07-01..2024-07-01"},
		{"(dt = '2024-06-01' and region = 'eu') or (dt = '2024-06-02' and region = 'us')", 2, "2024-06-01..2024-06-01 2024-06-02..2024-06-02"},
		{"concat(dt, '/', region) = '2024-06-01/eu'", 1, ""},
		{"upper(region) = 'EU' and dt = '2024-03-03'", 1, "2024-03-03..2024-03-03"},
		{"coalesce(region, 'none') = 'none'", 1, ""},
		{"case when region = 'eu' then 1 else 0 end = 1 and dt = '2024-01-01'", 1, "2024-01-01..2024-01-01"},
		{"region in ('eu', null)", 366, ""},
		{"region not in ('eu', 'us')", 0, ""},
		// Mixed and unsupported predicates keep partitions.
		{"host = 'x'", all, ""},
		{"dt = '2024-06-01' or host = 'x'", all, ""},
		{"dt = '2024-06-01' and host = 'x'", 3, "2024-06-01..2024-06-01"},
		{"cast(region as signed) = 5", all - 1, ""}, // errors keep the partition; NULL prunes
		{"cast(dt as date) = date '2024-06-01' and region = 'eu'", 1, ""},
		{"length(dt) = 10 and dt = '2024-01-02'", 2, "2024-01-02..2024-01-02"},
	}
	for _, tc := range tests {
		t.Run(tc.where, func(t *testing.T) {
			cat := logsCatalog()
			p, err := planWith(cat, "select count(*), sum(bytes) from logs where "+tc.where)
			if err != nil {
				t.Fatal(err)
			}
			s := scanOf(t, p.Root)
			pt, ok := s.Table.(*partTable)
			if !ok || !pt.selected {
				t.Fatalf("scan table %T not pruned", s.Table)
			}
			if len(pt.parts) != tc.n || pt.total != all {
				var vs []string
				for _, x := range pt.parts {
					vs = append(vs, strings.Join(x.Values, "/"))
				}
				if len(vs) > 10 {
					vs = vs[:10]
				}
				t.Fatalf("selected %d/%d partitions, want %d (%v)", len(pt.parts), pt.total, tc.n, vs)
			}
			if want := fmt.Sprintf("partitions=%d/%d", tc.n, all); !strings.Contains(plan.Explain(p.Root), want) {
				t.Fatalf("EXPLAIN lacks %s:\n%s", want, plan.Explain(p.Root))
			}
			var ranges []string
			for _, f := range cat.filters {
				if f != nil && (f.Lo != nil || f.Hi != nil) {
					var lo, hi string
					if f.Lo != nil {
						lo = *f.Lo
					}
					if f.Hi != nil {
						hi = *f.Hi
					}
					ranges = append(ranges, lo+".."+hi)
				} else if len(cat.filters) != 1 {
					t.Fatalf("unbounded listing among %d", len(cat.filters))
				}
			}
			if got := strings.Join(ranges, " "); got != tc.ranges {
				t.Fatalf("ranges %q, want %q", got, tc.ranges)
			}
			// Cross-check against a brute-force evaluation: every
			// partition the filter rejected must be rejected by the
			// predicate on its values too (no data dropped).
			// Cross-check against a brute-force evaluation of the
			// predicate on every partition's values: the listings must
			// select exactly the partitions it accepts (no data dropped).
			if f := cat.filters[0]; f != nil && f.Match != nil {
				kept := map[string]bool{}
				for _, x := range pt.parts {
					kept[strings.Join(x.Values, "/")] = true
				}
				for _, x := range cat.mem["logs"] {
					if in := f.Match(x.Values); in != kept[strings.Join(x.Values, "/")] {
						t.Fatalf("partition %v: predicate says %v, plan says %v", x.Values, in, !in)
					}
				}
			}
		})
	}
}

// Predicates decided by pruning leave the scan's filter.
func TestPartitionFilterDropped(t *testing.T) {
	cat := logsCatalog()
	p, err := planWith(cat, "select host from logs where dt = '2024-06-01' and region = 'eu' and host = 'a'")
	if err != nil {
		t.Fatal(err)
	}
	s := scanOf(t, p.Root)
	if s.Filter == nil || strings.Contains(s.Filter.String(), "dt") || strings.Contains(s.Filter.String(), "region") ||
		!strings.Contains(s.Filter.String(), "host") {
		t.Fatalf("scan filter %v", s.Filter)
	}
	// A conjunct not TRUE on every selected partition stays.
	p, err = planWith(cat, "select host from logs where dt <= '2024-01-02' and region >= 'f'")
	if err != nil {
		t.Fatal(err)
	}
	if f := scanOf(t, p.Root).Filter; f != nil {
		t.Fatalf("filter %v should be decided by partitions", f)
	}
	p, err = planWith(cat, "select host from logs where month(cast(dt as date)) = 1 and host like 'x%'")
	if err != nil {
		t.Fatal(err)
	}
	if f := scanOf(t, p.Root).Filter; f == nil || strings.Contains(f.String(), "dt") {
		t.Fatalf("filter %v", f)
	}
}

func TestPartitionPruningTypedKeys(t *testing.T) {
	tests := []struct {
		where string
		n     int
	}{
		{"h = 5", 3},
		{"h between 3 and 5 and d = date '2024-01-02'", 3},
		{"h + 1 = 5", 3},
		{"d >= date '2024-01-02'", 48},
		{"d > '2024-01-02'", 24},
		{"extract(day from d) = 3 and h in (0, 23)", 2},
		{"h % 2 = 0", 72}, // % is not evaluated at plan time: every partition is kept
	}
	for _, tc := range tests {
		t.Run(tc.where, func(t *testing.T) {
			cat := logsCatalog()
			p, err := planWith(cat, "select sum(v) from hourly where "+tc.where)
			if err != nil {
				t.Fatal(err)
			}
			pt := scanOf(t, p.Root).Table.(*partTable)
			if len(pt.parts) != tc.n {
				t.Fatalf("selected %d, want %d", len(pt.parts), tc.n)
			}
			if pt.total != 72 {
				t.Fatalf("total %d", pt.total)
			}
			// Non-string first keys never get string bounds.
			if f := cat.filters[0]; f != nil && (f.Lo != nil || f.Hi != nil) {
				t.Fatalf("bounds on a DATE key: %v %v", f.Lo, f.Hi)
			}
		})
	}
}

func TestKeyPredicateErrorsKeep(t *testing.T) {
	// A partition whose value does not parse as the key's type is kept
	// (the scan reports it), never silently dropped.
	cat := logsCatalog()
	cat.mem["hourly"] = append(cat.mem["hourly"], catalog.Partition{Values: []string{"junk", "1"}, Location: "/x"},
		catalog.Partition{Values: []string{catalog.HiveDefaultPartition, "1"}, Location: "/x"})
	p, err := planWith(cat, "select sum(v) from hourly where d = date '2024-01-01'")
	if err != nil {
		t.Fatal(err)
	}
	pt := scanOf(t, p.Root).Table.(*partTable)
	if len(pt.parts) != 25 { // 24 hours + the unparsable one; the NULL one is pruned
		t.Fatalf("selected %d", len(pt.parts))
	}
}

func projCatalog(props map[string]string, keys ...catalog.Column) *partCatalog {
	ct := &catalog.Table{Database: "db", Name: "plogs", Kind: catalog.KindExternal, Format: "parquet", Location: "s3://b/plogs/",
		Columns: []catalog.Column{{Name: "bytes", Type: "bigint"}}, PartitionKeys: keys, Props: props}
	return &partCatalog{tables: map[string]*catalog.Table{"plogs": ct}}
}

func TestPartitionProjection(t *testing.T) {
	dateProps := map[string]string{
		"projection.enabled": "true", "projection.dt.type": "date", "projection.dt.format": "yyyy-MM-dd",
		"projection.dt.range": "2024-01-01,2024-12-30", "projection.dt.interval": "1", "projection.dt.interval.unit": "DAYS",
		"projection.region.type": "enum", "projection.region.values": "eu, us",
		"storage.location.template": "s3://b/plogs/${region}/${dt}/",
	}
	str := catalog.Column{Name: "dt", Type: "varchar"}
	region := catalog.Column{Name: "region", Type: "varchar"}
	tests := []struct {
		name  string
		props map[string]string
		keys  []catalog.Column
		where string
		n     int
		total int
		first string // first partition's location
		err   string
	}{
		{"equality", dateProps, []catalog.Column{str, region}, "dt = '2024-06-01' and region = 'us'", 1, 730, "s3://b/plogs/us/2024-06-01/", ""},
		{"7-day range", dateProps, []catalog.Column{str, region}, "dt between '2024-06-01' and '2024-06-07'", 14, 730, "s3://b/plogs/eu/2024-06-01/", ""},
		{"cast range", dateProps, []catalog.Column{str, region}, "cast(dt as date) between date '2024-06-01' and date '2024-06-07' and region = 'eu'", 7, 730, "", ""},
		{"no predicate", dateProps, []catalog.Column{str, region}, "bytes > 0", 730, 730, "", ""},
		{"outside the range", dateProps, []catalog.Column{str, region}, "dt = '2025-06-01'", 0, 730, "", ""},
		{"unknown enum value", dateProps, []catalog.Column{str, region}, "region = 'ap'", 0, 730, "", ""},
		{"integer with digits", map[string]string{"projection.enabled": "true", "projection.h.type": "integer",
			"projection.h.range": "0,23", "projection.h.digits": "2"}, []catalog.Column{{Name: "h", Type: "varchar"}},
			"h in ('07', '7', '23')", 2, 24, "s3://b/plogs/h=07", ""},
		{"integer key typed int", map[string]string{"projection.enabled": "true", "projection.h.type": "integer",
			"projection.h.range": "0,100", "projection.h.interval": "10"}, []catalog.Column{{Name: "h", Type: "int"}},
			"h >= 35", 7, 11, "s3://b/plogs/h=40", ""},
		{"injected", map[string]string{"projection.enabled": "true", "projection.dev.type": "injected"},
			[]catalog.Column{{Name: "dev", Type: "varchar"}}, "dev in ('a', 'b') and dev <> 'b'", 1, 2, "s3://b/plogs/dev=a", ""},
		{"injected missing", map[string]string{"projection.enabled": "true", "projection.dev.type": "injected"},
			[]catalog.Column{{Name: "dev", Type: "varchar"}}, "dev like 'a%'", 0, 0, "", "injected"},
		{"hourly format", map[string]string{"projection.enabled": "true", "projection.ts.type": "date",
			"projection.ts.format": "yyyy/MM/dd/HH", "projection.ts.range": "2024/01/01/00,2024/01/31/23",
			"projection.ts.interval.unit": "HOURS", "storage.location.template": "s3://b/x/${ts}"},
			[]catalog.Column{{Name: "ts", Type: "varchar"}}, "ts >= '2024/01/02/22' and ts < '2024/01/03/02'", 4, 744, "s3://b/x/2024/01/02/22", ""},
		{"bad type", map[string]string{"projection.enabled": "true", "projection.k.type": "bogus"},
			[]catalog.Column{{Name: "k", Type: "varchar"}}, "k = 'a'", 0, 0, "", "not supported"},
		{"too many", map[string]string{"projection.enabled": "true", "projection.a.type": "integer", "projection.a.range": "0,9999",
			"projection.b.type": "integer", "projection.b.range": "0,9999"},
			[]catalog.Column{{Name: "a", Type: "varchar"}, {Name: "b", Type: "varchar"}}, "bytes = 1", 0, 0, "", "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cat := projCatalog(tc.props, tc.keys...)
			p, err := planWith(cat, "select sum(bytes) from plogs where "+tc.where)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an error with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			pt := scanOf(t, p.Root).Table.(*partTable)
			if len(pt.parts) != tc.n || pt.total != tc.total {
				t.Fatalf("selected %d/%d, want %d/%d", len(pt.parts), pt.total, tc.n, tc.total)
			}
			if tc.first != "" && pt.parts[0].Location != tc.first {
				t.Fatalf("location %s, want %s", pt.parts[0].Location, tc.first)
			}
			if len(cat.filters) != 0 {
				t.Fatal("projection listed the catalog")
			}
		})
	}
}

func TestProjectionNowRange(t *testing.T) {
	ct := &catalog.Table{Database: "db", Name: "p", Location: "/d",
		Columns:       []catalog.Column{{Name: "v", Type: "bigint"}},
		PartitionKeys: []catalog.Column{{Name: "dt", Type: "varchar"}},
		Props: map[string]string{"projection.enabled": "true", "projection.dt.type": "date", "projection.dt.format": "yyyyMMdd",
			"projection.dt.range": "NOW-3DAYS,NOW"}}
	now := time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC)
	sk := &scanKeys{ct: ct, kc: &keyCompiler{keyOf: map[int]int{}, keyTypes: []arrow.DataType{arrow.BinaryTypes.String}},
		names: []string{"dt"}, pred: &keyPredicate{}}
	parts, total, err := projectPartitions(ct, sk, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range parts {
		got = append(got, p.Values[0]+"@"+p.Location)
	}
	want := "20260227@/d/dt=20260227 20260228@/d/dt=20260228 20260301@/d/dt=20260301 20260302@/d/dt=20260302"
	if strings.Join(got, " ") != want || total != 4 {
		t.Fatalf("got %v (%d)", got, total)
	}
	for _, bad := range []string{"NOW-3FORTNIGHTS,NOW", "2026-01-01,NOW", "NOW"} {
		ct.Props["projection.dt.range"] = bad
		if _, _, err := projectPartitions(ct, sk, now); err == nil {
			t.Fatalf("range %q accepted", bad)
		}
	}
}

func TestJavaDateFormat(t *testing.T) {
	tm := time.Date(2024, 6, 1, 7, 8, 9, 0, time.UTC)
	for _, tc := range []struct{ f, want string }{
		{"yyyy-MM-dd", "2024-06-01"}, {"yyyy/MM/dd/HH", "2024/06/01/07"}, {"yyyyMMdd'T'HHmmss", "20240601T070809"},
		{"yy-M-d", "24-6-1"}, {"yyyy-MM", "2024-06"},
	} {
		df, err := parseJavaDateFormat(tc.f)
		if err != nil {
			t.Fatal(err)
		}
		if got := df.format(tm); got != tc.want {
			t.Fatalf("%s: %s", tc.f, got)
		}
		back, err := df.parse(tc.want)
		if err != nil || df.format(back) != tc.want {
			t.Fatalf("%s: parse %v %v", tc.f, back, err)
		}
	}
	if _, err := parseJavaDateFormat("yyyy-MM-dd EEE"); err == nil {
		t.Fatal("EEE accepted")
	}
}

// fillStore adds n daily partitions (two regions) to store.
func fillStore(tb testing.TB, st catalog.Store, n int) *partCatalog {
	tb.Helper()
	ctx := context.Background()
	cat := logsCatalog()
	ct := *cat.tables["logs"]
	if err := st.CreateDatabase(ctx, catalog.Database{Name: "db"}, false); err != nil {
		tb.Fatal(err)
	}
	if err := st.CreateTable(ctx, ct, false); err != nil {
		tb.Fatal(err)
	}
	ps := any(st).(catalog.PartitionStore)
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	var batch []catalog.Partition
	for i := range n / 2 {
		dt := day.AddDate(0, 0, i).Format("2006-01-02")
		for _, r := range []string{"eu", "us"} {
			batch = append(batch, catalog.Partition{Values: []string{dt, r}, Location: "/data/logs/dt=" + dt + "/region=" + r})
		}
		if len(batch) >= 10000 || i == n/2-1 {
			if err := ps.AddPartitions(ctx, "db", "logs", batch, false); err != nil {
				tb.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	cat.store = ps
	return cat
}

func testPruningStore(t *testing.T, st catalog.Store) {
	cat := fillStore(t, st, 2000)
	for _, tc := range []struct {
		where string
		n     int
	}{
		{"dt = '2001-06-01'", 2},
		{"dt between '2001-06-01' and '2001-06-07' and region = 'eu'", 7},
		{"year(cast(dt as date)) = 2001 and region = 'us'", 365},
		{"substr(dt, 1, 7) = '2002-02'", 56},
		{"dt like '2001-1%' and region = 'eu'", 92},
		{"dt in ('2000-01-01', '2002-09-26', '2030-01-01')", 4},
		{"dt = '2001-06-01' and dt = '2001-06-02'", 0},
		{"dt >= 'é'", 0},
	} {
		cat.filters = nil
		p, err := planWith(cat, "select count(*) from logs where "+tc.where)
		if err != nil {
			t.Fatalf("%s: %v", tc.where, err)
		}
		pt := scanOf(t, p.Root).Table.(*partTable)
		if len(pt.parts) != tc.n || pt.total != 2000 {
			t.Fatalf("%s: selected %d/%d, want %d/2000", tc.where, len(pt.parts), pt.total, tc.n)
		}
		for _, x := range pt.parts {
			if x.Location == "" {
				t.Fatal("partition without location")
			}
		}
	}
}

func TestPartitionPruningBolt(t *testing.T) {
	st, err := boltstore.OpenFile(filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testPruningStore(t, st)
}

func TestPartitionPruningPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	srv := postgres.New(t)
	st, err := pgstore.Open(context.Background(), srv.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	testPruningStore(t, st)
}

func TestPrefixRange(t *testing.T) {
	for _, tc := range []struct{ p, hi string }{
		{"2024-06", "2024-07"}, {"ab\u00ff", "ab\u0100"}, {"a\U0010FFFF", "b"}, {"\U0010FFFF", ""},
		{"x\uD7FF", "x\uE000"},
	} {
		r := prefixRange(tc.p).rs[0]
		hi := ""
		if r.hi != nil {
			hi = *r.hi
		}
		if *r.lo != tc.p || hi != tc.hi || !utf8.ValidString(hi) {
			t.Fatalf("%q: [%q, %q]", tc.p, *r.lo, hi)
		}
	}
}

// benchPlanPruned plans pruned queries over 100,000 daily partitions
// (catalogtest.FillPartitions) in store.
func benchPlanPruned(b *testing.B, store catalog.Store) {
	ctx := context.Background()
	ct := catalogtest.PartitionedTable("db", "logs", "dt", "region")
	ct.Columns = append(ct.Columns, catalog.Column{Name: "bytes", Type: "BIGINT"})
	if err := store.CreateDatabase(ctx, catalog.Database{Name: "db"}, true); err != nil {
		b.Fatal(err)
	}
	if err := store.CreateTable(ctx, ct, false); err != nil {
		b.Fatal(err)
	}
	ps := any(store).(catalog.PartitionStore)
	if err := catalogtest.FillPartitions(ctx, ps, "db", "logs", 100_000); err != nil {
		b.Fatal(err)
	}
	cat := &partCatalog{tables: map[string]*catalog.Table{"logs": &ct}, store: ps}
	for _, q := range []struct {
		name, where string
		n           int
	}{
		{"eq", "dt = '2001-06-01'", 1},
		{"range7", "dt between '2001-06-01' and '2001-06-07'", 7},
		{"in3", "dt in ('2001-06-01', '2100-01-01', '2200-01-01')", 3},
		{"cast-year-fullscan", "year(cast(dt as date)) = 2001 and region = '0'", 365},
	} {
		b.Run(q.name, func(b *testing.B) {
			sql := "select count(*), sum(bytes) from logs where " + q.where
			for b.Loop() {
				cat.filters = cat.filters[:0]
				p, err := planWith(cat, sql)
				if err != nil {
					b.Fatal(err)
				}
				pt, _ := findScan(p.Root, "db.logs").Table.(*partTable)
				if pt == nil || len(pt.parts) != q.n || pt.total != 100_000 {
					b.Fatalf("selected %v", pt)
				}
			}
		})
	}
}

// BenchmarkPlanPruned100k: bbolt (target ≤ 50 ms per plan).
func BenchmarkPlanPruned100k(b *testing.B) {
	st, err := boltstore.OpenFile(filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchPlanPruned(b, st)
}

// BenchmarkPlanPruned100kPostgres: PostgreSQL (target ≤ 200 ms per
// plan); skipped when PostgreSQL is not installed.
func BenchmarkPlanPruned100kPostgres(b *testing.B) {
	srv := postgres.New(b)
	st, err := pgstore.Open(context.Background(), srv.NewDatabase(b))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	benchPlanPruned(b, st)
}

// BenchmarkKeyPredicateMatch measures the compiled key predicate alone:
// one Match call per partition over 100,000 partitions.
func BenchmarkKeyPredicateMatch(b *testing.B) {
	cat := logsCatalog()
	if _, err := planWith(cat, "select count(*) from logs where year(cast(dt as date)) = 2024 and month(cast(dt as date)) in (2, 3) and region = 'eu'"); err != nil {
		b.Fatal(err)
	}
	f := cat.filters[0]
	vals := make([][]string, 100_000)
	day := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range vals {
		vals[i] = []string{day.AddDate(0, 0, i/2).Format("2006-01-02"), []string{"eu", "us"}[i%2]}
	}
	b.ResetTimer()
	for b.Loop() {
		n := 0
		for _, v := range vals {
			if f.Match(v) {
				n++
			}
		}
		if n == 0 {
			b.Fatal("nothing matched")
		}
	}
}
