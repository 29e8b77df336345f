package catalogtest

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tarnsql/tarn/catalog"
)

// PartitionedTable returns a table partitioned by the given keys (all
// STRING), located at /lake/<name>.
func PartitionedTable(db, name string, keys ...string) catalog.Table {
	t := catalog.Table{
		Database: db, Name: name, Kind: catalog.KindExternal,
		Columns:  []catalog.Column{{Name: "id", Type: "BIGINT"}, {Name: "msg", Type: "VARCHAR"}},
		Location: "/lake/" + name,
		Format:   "parquet",
	}
	for _, k := range keys {
		t.PartitionKeys = append(t.PartitionKeys, catalog.Column{Name: k, Type: "VARCHAR"})
	}
	return t
}

var day0 = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Day returns the i-th daily partition value counted from 2000-01-01
// (yyyy-MM-dd, fixed width, so string order is date order).
func Day(i int) string { return day0.AddDate(0, 0, i).Format("2006-01-02") }

// FillPartitions registers n daily partitions (values Day(0) ..
// Day(n-1) for the first key, "0" for any further key) in batches, so
// benchmarks can set up 100,000 partitions quickly. The table must exist.
func FillPartitions(ctx context.Context, s catalog.PartitionStore, db, table string, n int) error {
	nkeys := 1
	loc := "/lake/" + table
	if cs, ok := s.(catalog.Store); ok {
		t, err := cs.GetTable(ctx, db, table)
		if err != nil {
			return err
		}
		nkeys = len(t.PartitionKeys)
		if t.Location != "" {
			loc = t.Location
		}
		if nkeys == 0 {
			return fmt.Errorf("table %s.%s is not partitioned", db, table)
		}
	}
	const batch = 5000
	now := time.Now().UTC()
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		parts := make([]catalog.Partition, 0, end-start)
		for i := start; i < end; i++ {
			vals := make([]string, nkeys)
			vals[0] = Day(i)
			for j := 1; j < nkeys; j++ {
				vals[j] = "0"
			}
			parts = append(parts, catalog.Partition{Values: vals, Location: loc + "/dt=" + vals[0], Created: now})
		}
		if err := s.AddPartitions(ctx, db, table, parts, false); err != nil {
			return err
		}
	}
	return nil
}

func partStore(t *testing.T, s catalog.Store) catalog.PartitionStore {
	t.Helper()
	ps, ok := s.(catalog.PartitionStore)
	if !ok {
		t.Skipf("%T does not implement catalog.PartitionStore", s)
	}
	return ps
}

func valuesOf(ps []catalog.Partition) string {
	var sb strings.Builder
	for i, p := range ps {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(strings.Join(p.Values, "/"))
	}
	return sb.String()
}

func strp(s string) *string { return &s }

func mkPart(loc string, vals ...string) catalog.Partition {
	return catalog.Partition{Values: vals, Location: loc}
}

func testPartitions(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	ps := partStore(t, s)
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "lake"}, false))
	must(t, s.CreateTable(ctx, PartitionedTable("lake", "Events", "dt", "region"), false))
	must(t, s.CreateTable(ctx, sampleTable("lake", "flat"), false))

	// Errors name what is missing.
	mustErr(t, ps.AddPartitions(ctx, "nodb", "events", []catalog.Partition{mkPart("/x", "a", "b")}, false), catalog.ErrNotFound, "nodb")
	mustErr(t, ps.AddPartitions(ctx, "lake", "nope", []catalog.Partition{mkPart("/x", "a", "b")}, false), catalog.ErrNotFound, "nope")
	_, err := ps.ListPartitions(ctx, "lake", "nope", nil)
	mustErr(t, err, catalog.ErrNotFound, "nope")
	_, err = ps.CountPartitions(ctx, "lake", "nope")
	mustErr(t, err, catalog.ErrNotFound, "nope")
	if err := ps.AddPartitions(ctx, "lake", "events", []catalog.Partition{mkPart("/x", "2024-01-01")}, false); err == nil {
		t.Fatal("a partition with 1 value on a table with 2 keys was accepted")
	}
	if err := ps.AddPartitions(ctx, "lake", "flat", []catalog.Partition{mkPart("/x", "a")}, false); err == nil {
		t.Fatal("a partition on an unpartitioned table was accepted")
	}

	// Empty table.
	got, err := ps.ListPartitions(ctx, "lake", "events", nil)
	must(t, err)
	if len(got) != 0 {
		t.Fatalf("fresh table lists %v", valuesOf(got))
	}

	// Added out of order, listed in value order; values with odd bytes
	// (control characters, quotes, braces, commas, backslashes, non-ASCII,
	// empty) round-trip. (NUL bytes cannot occur: partition values come
	// from folder names, and PostgreSQL text cannot hold them.)
	add := []catalog.Partition{
		mkPart("/l/3", "2024-01-03", "us"),
		mkPart("/l/1", "2024-01-01", "us"),
		mkPart("/l/2", "2024-01-02", "eu"),
		mkPart("/l/1e", "2024-01-01", "eu"),
		mkPart("/l/1n", "2024-01-01", catalog.HiveDefaultPartition),
		mkPart("/l/odd", "2024-01-02", "a\x01b,\"{c}\\ é"),
		mkPart("/l/odd2", "2024-01-02", "a"),
		mkPart("/l/odd3", "2024-01-02", ""),
	}
	add[0].Format, add[0].SerDe, add[0].SerDeProps = "csv", "org.apache.hadoop.hive.serde2.OpenCSVSerde", map[string]string{"separatorChar": ";"}
	add[0].Stats = &catalog.TableStats{Rows: 7, Files: 1, Bytes: 70}
	must(t, ps.AddPartitions(ctx, "LAKE", "EVENTS", add, false))
	n, err := ps.CountPartitions(ctx, "lake", "events")
	must(t, err)
	if n != len(add) {
		t.Fatalf("CountPartitions = %d, want %d", n, len(add))
	}
	got, err = ps.ListPartitions(ctx, "lake", "events", nil)
	must(t, err)
	want := "2024-01-01/__HIVE_DEFAULT_PARTITION__ 2024-01-01/eu 2024-01-01/us 2024-01-02/ 2024-01-02/a 2024-01-02/a\x01b,\"{c}\\ é 2024-01-02/eu 2024-01-03/us"
	if valuesOf(got) != want {
		t.Fatalf("ListPartitions order:\n got %q\nwant %q", valuesOf(got), want)
	}
	last := got[len(got)-1]
	if last.Location != "/l/3" || last.Format != "csv" || last.SerDeProps["separatorChar"] != ";" || last.Stats == nil ||
		last.Stats.Rows != 7 || last.Created.IsZero() || last.SerDe == "" {
		t.Fatalf("partition round trip = %+v", last)
	}
	if got[1].Location != "/l/1e" || got[1].Stats != nil || got[1].Format != "" {
		t.Fatalf("partition round trip = %+v", got[1])
	}

	// Atomicity: a batch with one existing partition adds nothing; the
	// error names the partition.
	batch := []catalog.Partition{mkPart("/n/1", "2024-02-01", "us"), mkPart("/dup", "2024-01-02", "eu"), mkPart("/n/2", "2024-02-02", "us")}
	mustErr(t, ps.AddPartitions(ctx, "lake", "events", batch, false), catalog.ErrExists, "2024-01-02")
	// A batch repeating a partition within itself is a duplicate too.
	mustErr(t, ps.AddPartitions(ctx, "lake", "events", []catalog.Partition{mkPart("/n/9", "2024-09-09", "x"), mkPart("/n/9", "2024-09-09", "x")}, false), catalog.ErrExists, "2024-09-09")
	if n, _ := ps.CountPartitions(ctx, "lake", "events"); n != len(add) {
		t.Fatalf("failed batch changed the partition count to %d", n)
	}
	// IF NOT EXISTS skips existing ones and keeps their definition.
	must(t, ps.AddPartitions(ctx, "lake", "events", batch, true))
	got, err = ps.ListPartitions(ctx, "lake", "events", &catalog.PartitionFilter{Match: func(v []string) bool { return v[1] == "eu" && v[0] == "2024-01-02" }})
	must(t, err)
	if len(got) != 1 || got[0].Location != "/l/2" {
		t.Fatalf("IF NOT EXISTS overwrote an existing partition: %+v", got)
	}
	if n, _ := ps.CountPartitions(ctx, "lake", "events"); n != len(add)+2 {
		t.Fatalf("count after IF NOT EXISTS add = %d, want %d", n, len(add)+2)
	}

	// Filters: Match, Lo/Hi, both.
	for _, tc := range []struct {
		name string
		f    *catalog.PartitionFilter
		want string
	}{
		{"match", &catalog.PartitionFilter{Match: func(v []string) bool { return v[1] == "us" }},
			"2024-01-01/us 2024-01-03/us 2024-02-01/us 2024-02-02/us"},
		{"lo", &catalog.PartitionFilter{Lo: strp("2024-01-03")}, "2024-01-03/us 2024-02-01/us 2024-02-02/us"},
		{"hi", &catalog.PartitionFilter{Hi: strp("2024-01-01")}, "2024-01-01/__HIVE_DEFAULT_PARTITION__ 2024-01-01/eu 2024-01-01/us"},
		{"lo-hi-between-keys", &catalog.PartitionFilter{Lo: strp("2024-01-02x"), Hi: strp("2024-01-31")}, "2024-01-03/us"},
		{"lo-hi-eq", &catalog.PartitionFilter{Lo: strp("2024-01-03"), Hi: strp("2024-01-03")}, "2024-01-03/us"},
		{"lo-hi-empty", &catalog.PartitionFilter{Lo: strp("2024-01-04"), Hi: strp("2024-01-31")}, ""},
		{"lo-above-all", &catalog.PartitionFilter{Lo: strp("2025")}, ""},
		{"hi-prefix", &catalog.PartitionFilter{Hi: strp("2024-01-0")}, ""},
		{"lo-hi-match", &catalog.PartitionFilter{Lo: strp("2024-01-01"), Hi: strp("2024-01-02"),
			Match: func(v []string) bool { return strings.HasPrefix(v[1], "a") }}, "2024-01-02/a 2024-01-02/a\x01b,\"{c}\\ é"},
		{"match-none", &catalog.PartitionFilter{Match: func([]string) bool { return false }}, ""},
		{"empty-filter", &catalog.PartitionFilter{}, valuesOfAll(t, ps)},
	} {
		got, err := ps.ListPartitions(ctx, "lake", "events", tc.f)
		must(t, err)
		if valuesOf(got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, valuesOf(got), tc.want)
		}
	}

	// Stats.
	st := &catalog.TableStats{Rows: 99, Files: 3, Bytes: 1234, Cols: map[string]catalog.ColumnStats{"id": {Min: "1", Max: "99"}}}
	must(t, ps.UpdatePartitionStats(ctx, "lake", "events", []string{"2024-01-01", "eu"}, st))
	mustErr(t, ps.UpdatePartitionStats(ctx, "lake", "events", []string{"2099-01-01", "eu"}, st), catalog.ErrNotFound, "2099-01-01")
	got, err = ps.ListPartitions(ctx, "lake", "events", &catalog.PartitionFilter{Lo: strp("2024-01-01"), Hi: strp("2024-01-01")})
	must(t, err)
	if len(got) != 3 || got[1].Stats == nil || got[1].Stats.Rows != 99 || got[1].Stats.Cols["id"].Max != "99" || got[1].Location != "/l/1e" {
		t.Fatalf("after UpdatePartitionStats: %+v", got)
	}

	// Drop: atomic, IF EXISTS.
	mustErr(t, ps.DropPartitions(ctx, "lake", "events", [][]string{{"2024-01-01", "us"}, {"2030-01-01", "us"}}, false), catalog.ErrNotFound, "2030-01-01")
	if n, _ := ps.CountPartitions(ctx, "lake", "events"); n != len(add)+2 {
		t.Fatalf("failed drop changed the count to %d", n)
	}
	must(t, ps.DropPartitions(ctx, "lake", "events", [][]string{{"2024-01-01", "us"}, {"2030-01-01", "us"}, {"2024-01-02", "a\x01b,\"{c}\\ é"}}, true))
	got, err = ps.ListPartitions(ctx, "lake", "events", &catalog.PartitionFilter{Hi: strp("2024-01-02")})
	must(t, err)
	if valuesOf(got) != "2024-01-01/__HIVE_DEFAULT_PARTITION__ 2024-01-01/eu 2024-01-02/ 2024-01-02/a 2024-01-02/eu" {
		t.Fatalf("after drop: %q", valuesOf(got))
	}
	// Dropped partitions can be added again.
	must(t, ps.AddPartitions(ctx, "lake", "events", []catalog.Partition{mkPart("/again", "2024-01-01", "us")}, false))

	// ReplaceTable (ALTER) keeps partitions.
	tb := PartitionedTable("lake", "events", "dt", "region")
	tb.Comment = "altered"
	must(t, s.ReplaceTable(ctx, tb))
	if n, _ := ps.CountPartitions(ctx, "lake", "events"); n != len(add)+1 {
		t.Fatalf("ReplaceTable changed the partition count to %d, want %d", n, len(add)+1)
	}

	// DROP TABLE removes partitions: a re-created table has none.
	must(t, s.DropTable(ctx, "lake", "events", false))
	must(t, s.CreateTable(ctx, PartitionedTable("lake", "events", "dt", "region"), false))
	if n, err := ps.CountPartitions(ctx, "lake", "events"); err != nil || n != 0 {
		t.Fatalf("re-created table has %d partitions (err %v)", n, err)
	}
	// DROP DATABASE CASCADE removes them too.
	must(t, ps.AddPartitions(ctx, "lake", "events", add, false))
	must(t, s.DropDatabase(ctx, "lake", false, true))
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "lake"}, false))
	must(t, s.CreateTable(ctx, PartitionedTable("lake", "events", "dt", "region"), false))
	if n, err := ps.CountPartitions(ctx, "lake", "events"); err != nil || n != 0 {
		t.Fatalf("table re-created after DROP DATABASE CASCADE has %d partitions (err %v)", n, err)
	}
}

func valuesOfAll(t *testing.T, ps catalog.PartitionStore) string {
	got, err := ps.ListPartitions(context.Background(), "lake", "events", nil)
	must(t, err)
	return valuesOf(got)
}

// testManyPartitions checks filtered listings against a brute-force
// filter over a few thousand partitions (several B-tree pages / index
// pages), with Lo/Hi landing on, between and outside keys.
func testManyPartitions(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	ps := partStore(t, s)
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "d"}, false))
	must(t, s.CreateTable(ctx, PartitionedTable("d", "t", "dt"), false))
	const n = 3000
	must(t, FillPartitions(ctx, ps, "d", "t", n))
	if c, err := ps.CountPartitions(ctx, "d", "t"); err != nil || c != n {
		t.Fatalf("CountPartitions = %d, %v", c, err)
	}
	all, err := ps.ListPartitions(ctx, "d", "t", nil)
	must(t, err)
	if len(all) != n {
		t.Fatalf("listed %d, want %d", len(all), n)
	}
	for i, p := range all {
		if p.Values[0] != Day(i) || p.Location != "/lake/t/dt="+Day(i) {
			t.Fatalf("partition %d = %+v", i, p)
		}
	}
	for _, tc := range []struct{ lo, hi *string }{
		{strp(Day(17)), strp(Day(23))},
		{strp(Day(17) + "a"), strp(Day(23) + "a")},
		{nil, strp(Day(5))},
		{strp(Day(n - 3)), nil},
		{strp("1999"), strp(Day(0))},
		{strp(Day(100)), strp(Day(99))},
	} {
		f := &catalog.PartitionFilter{Lo: tc.lo, Hi: tc.hi, Match: func(v []string) bool { return v[0][9] != '3' }}
		got, err := ps.ListPartitions(ctx, "d", "t", f)
		must(t, err)
		var want []catalog.Partition
		for _, p := range all {
			if (tc.lo == nil || p.Values[0] >= *tc.lo) && (tc.hi == nil || p.Values[0] <= *tc.hi) && f.Match(p.Values) {
				want = append(want, p)
			}
		}
		if valuesOf(got) != valuesOf(want) {
			t.Fatalf("lo %v hi %v: got %d partitions %q, want %d", deref(tc.lo), deref(tc.hi), len(got), valuesOf(got), len(want))
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// testTableVersions checks Glue-style version history beyond
// ReplaceTable: superseded definitions are complete and ordered, and
// every database/table keeps its own history.
func testTableVersions(t *testing.T, s catalog.Store) {
	v, ok := s.(Versioned)
	if !ok {
		t.Skipf("%T does not keep table versions", s)
	}
	ctx := context.Background()
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "a"}, false))
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "b"}, false))
	hist, err := v.TableVersions(ctx, "a", "missing")
	if err == nil && len(hist) != 0 {
		t.Fatalf("missing table has history %+v", hist)
	}
	var defs []catalog.Table
	for _, db := range []string{"a", "b"} {
		base := PartitionedTable(db, "t", "dt")
		must(t, s.CreateTable(ctx, base, false))
		for i := 0; i < 5; i++ {
			tb := PartitionedTable(db, "t", "dt")
			tb.Columns = append(tb.Columns, catalog.Column{Name: fmt.Sprintf("c%d_%s", i, db), Type: "DOUBLE"})
			tb.Props = map[string]string{"i": fmt.Sprint(i)}
			must(t, s.ReplaceTable(ctx, tb))
			if db == "a" {
				defs = append(defs, tb)
			}
		}
	}
	hist, err = v.TableVersions(ctx, "A", "T")
	must(t, err)
	if len(hist) != 5 {
		t.Fatalf("%d versions, want 5", len(hist))
	}
	for i, h := range hist {
		if h.Version != i+1 || h.Database != "a" || h.Name != "t" {
			t.Fatalf("version %d = %s.%s v%d", i, h.Database, h.Name, h.Version)
		}
		if i > 0 && !reflect.DeepEqual(h.Columns, defs[i-1].Columns) {
			t.Fatalf("version %d columns %+v, want %+v", h.Version, h.Columns, defs[i-1].Columns)
		}
	}
	cur, err := s.GetTable(ctx, "a", "t")
	must(t, err)
	if cur.Version != 6 || cur.Props["i"] != "4" || cur.Created.IsZero() || !cur.Created.Equal(hist[0].Created) {
		t.Fatalf("current = v%d props %v created %v (first %v)", cur.Version, cur.Props, cur.Created, hist[0].Created)
	}
	must(t, s.DropDatabase(ctx, "a", false, true))
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "a"}, false))
	must(t, s.CreateTable(ctx, PartitionedTable("a", "t", "dt"), false))
	hist, err = v.TableVersions(ctx, "a", "t")
	must(t, err)
	if len(hist) != 0 {
		t.Fatalf("history survived DROP DATABASE CASCADE: %d versions", len(hist))
	}
	hist, err = v.TableVersions(ctx, "b", "t")
	must(t, err)
	if len(hist) != 5 {
		t.Fatalf("b.t lost its history: %d versions", len(hist))
	}
}

// ConcurrentPartitions runs 8 goroutines adding and dropping partition
// batches on one table (spread over the given stores, which must share
// the same catalog) plus racing IF NOT EXISTS adds; nothing may be lost
// and every batch is all-or-nothing.
func ConcurrentPartitions(t *testing.T, stores ...catalog.Store) {
	ctx := context.Background()
	s0 := stores[0]
	must(t, s0.CreateDatabase(ctx, catalog.Database{Name: "cp"}, false))
	must(t, s0.CreateTable(ctx, PartitionedTable("cp", "t", "w", "i"), false))
	const workers, batches, per = 8, 12, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ps := stores[w%len(stores)].(catalog.PartitionStore)
			for b := 0; b < batches; b++ {
				parts := make([]catalog.Partition, per)
				for i := range parts {
					parts[i] = mkPart("/cp", fmt.Sprintf("w%d", w), fmt.Sprintf("%03d", b*per+i))
				}
				if err := ps.AddPartitions(ctx, "cp", "t", parts, false); err != nil {
					errs <- err
					return
				}
				// Everybody races on the same IF NOT EXISTS batch.
				shared := []catalog.Partition{mkPart("/s", "shared", fmt.Sprintf("%03d", b)), mkPart("/s", "shared", fmt.Sprintf("%03d", b+1))}
				if err := ps.AddPartitions(ctx, "cp", "t", shared, true); err != nil {
					errs <- err
					return
				}
				if b%3 == 2 {
					var drop [][]string
					for i := 0; i < per; i += 2 {
						drop = append(drop, []string{fmt.Sprintf("w%d", w), fmt.Sprintf("%03d", b*per+i)})
					}
					if err := ps.DropPartitions(ctx, "cp", "t", drop, false); err != nil {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ps := s0.(catalog.PartitionStore)
	all, err := ps.ListPartitions(ctx, "cp", "t", nil)
	must(t, err)
	perWorker := batches*per - (batches/3)*(per/2)
	if want := workers*perWorker + batches + 1; len(all) != want {
		t.Fatalf("%d partitions, want %d", len(all), want)
	}
	for w := 0; w < workers; w++ {
		got, err := ps.ListPartitions(ctx, "cp", "t", &catalog.PartitionFilter{Lo: strp(fmt.Sprintf("w%d", w)), Hi: strp(fmt.Sprintf("w%d", w))})
		must(t, err)
		if len(got) != perWorker {
			t.Fatalf("worker %d has %d partitions, want %d", w, len(got), perWorker)
		}
	}
}

func testConcurrentPartitions(t *testing.T, s catalog.Store) {
	partStore(t, s)
	ConcurrentPartitions(t, s)
}
