// Package catalogtest is a conformance suite for catalog.Store
// implementations: every store (bbolt, PostgreSQL, ...) runs the same
// tests through RunStoreSuite.
package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tarnsql/tarn/catalog"
)

// Versioned is implemented by stores that keep superseded table
// definitions (Glue-style table versions).
type Versioned interface {
	TableVersions(ctx context.Context, db, name string) ([]catalog.Table, error)
}

// RunStoreSuite runs the conformance suite. newStore returns a fresh,
// empty store; the suite closes it.
func RunStoreSuite(t *testing.T, newStore func(t *testing.T) catalog.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s catalog.Store)
	}{
		{"Databases", testDatabases},
		{"DropDatabase", testDropDatabase},
		{"Tables", testTables},
		{"ReplaceTable", testReplaceTable},
		{"CaseFolding", testCaseFolding},
		{"ConcurrentDDL", func(t *testing.T, s catalog.Store) { ConcurrentDDL(t, s) }},
		{"Partitions", testPartitions},
		{"ManyPartitions", testManyPartitions},
		{"TableVersions", testTableVersions},
		{"ConcurrentPartitions", testConcurrentPartitions},
		{"ZoneMaps", testZoneMaps},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

func mustErr(t *testing.T, err, target error, name string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
	if name != "" && !strings.Contains(err.Error(), name) {
		t.Fatalf("error %q does not name %q", err, name)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func sampleTable(db, name string) catalog.Table {
	return catalog.Table{
		Database: db, Name: name, Kind: catalog.KindExternal,
		Columns: []catalog.Column{
			{Name: "id", Type: "BIGINT", Comment: "key"},
			{Name: "price", Type: "DECIMAL(15,2)"},
			{Name: "d", Type: "DATE"},
		},
		Location:   "/data/" + name,
		Format:     "parquet",
		SerDeProps: map[string]string{"separatorChar": ","},
		Props:      map[string]string{"skip.header.line.count": "1"},
		Comment:    "a table",
		Stats:      &catalog.TableStats{Rows: 42, Files: 2, Bytes: 1000, Cols: map[string]catalog.ColumnStats{"id": {Distinct: 42, Min: "1", Max: "42"}}},
	}
}

func testDatabases(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	dbs, err := s.ListDatabases(ctx)
	must(t, err)
	if len(dbs) != 0 {
		t.Fatalf("fresh store has databases %v", dbs)
	}
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "sales", Comment: "c", Location: "/w/sales"}, false))
	mustErr(t, s.CreateDatabase(ctx, catalog.Database{Name: "sales"}, false), catalog.ErrExists, "sales")
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "sales", Comment: "other"}, true))
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "ads"}, false))
	d, err := s.GetDatabase(ctx, "sales")
	must(t, err)
	if d.Name != "sales" || d.Comment != "c" || d.Location != "/w/sales" || d.Created.IsZero() {
		t.Fatalf("GetDatabase = %+v (IF NOT EXISTS must not overwrite)", d)
	}
	_, err = s.GetDatabase(ctx, "nope")
	mustErr(t, err, catalog.ErrNotFound, "nope")
	dbs, err = s.ListDatabases(ctx)
	must(t, err)
	if len(dbs) != 2 || dbs[0].Name != "ads" || dbs[1].Name != "sales" {
		t.Fatalf("ListDatabases = %+v, want [ads sales]", dbs)
	}
}

func testDropDatabase(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	mustErr(t, s.DropDatabase(ctx, "ghost", false, false), catalog.ErrNotFound, "ghost")
	must(t, s.DropDatabase(ctx, "ghost", true, false))
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "empty"}, false))
	must(t, s.DropDatabase(ctx, "empty", false, false))
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "full"}, false))
	must(t, s.CreateTable(ctx, sampleTable("full", "t1"), false))
	must(t, s.CreateTable(ctx, sampleTable("full", "t2"), false))
	mustErr(t, s.DropDatabase(ctx, "full", false, false), catalog.ErrNotEmpty, "full")
	if _, err := s.GetTable(ctx, "full", "t1"); err != nil {
		t.Fatalf("failed drop removed a table: %v", err)
	}
	must(t, s.DropDatabase(ctx, "full", false, true))
	_, err := s.GetDatabase(ctx, "full")
	mustErr(t, err, catalog.ErrNotFound, "full")
	// Re-creating the database must not resurrect its tables.
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "full"}, false))
	ts, err := s.ListTables(ctx, "full")
	must(t, err)
	if len(ts) != 0 {
		t.Fatalf("CASCADE left tables behind: %+v", ts)
	}
}

func testTables(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	mustErr(t, s.CreateTable(ctx, sampleTable("nodb", "t"), false), catalog.ErrNotFound, "nodb")
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "db"}, false))
	want := sampleTable("db", "orders")
	must(t, s.CreateTable(ctx, want, false))
	mustErr(t, s.CreateTable(ctx, want, false), catalog.ErrExists, "orders")
	must(t, s.CreateTable(ctx, want, true))
	got, err := s.GetTable(ctx, "db", "orders")
	must(t, err)
	if got.Version != 1 || got.Created.IsZero() || got.Location != want.Location || got.Format != "parquet" ||
		len(got.Columns) != 3 || got.Columns[1].Type != "DECIMAL(15,2)" || got.Columns[0].Comment != "key" ||
		got.Props["skip.header.line.count"] != "1" || got.SerDeProps["separatorChar"] != "," ||
		got.Stats == nil || got.Stats.Rows != 42 || got.Stats.Cols["id"].Max != "42" || got.Kind != catalog.KindExternal {
		t.Fatalf("GetTable round trip = %+v", got)
	}
	view := catalog.Table{Database: "db", Name: "v", Kind: catalog.KindView, ViewSQL: "SELECT 1",
		Columns: []catalog.Column{{Name: "x", Type: "BIGINT"}}}
	must(t, s.CreateTable(ctx, view, false))
	must(t, s.CreateTable(ctx, sampleTable("db", "a"), false))
	ts, err := s.ListTables(ctx, "db")
	must(t, err)
	var names []string
	for _, tb := range ts {
		names = append(names, tb.Name)
	}
	if strings.Join(names, ",") != "a,orders,v" {
		t.Fatalf("ListTables = %v", names)
	}
	if ts[2].ViewSQL != "SELECT 1" || ts[2].Kind != catalog.KindView {
		t.Fatalf("view round trip = %+v", ts[2])
	}
	_, err = s.ListTables(ctx, "nodb")
	mustErr(t, err, catalog.ErrNotFound, "nodb")
	_, err = s.GetTable(ctx, "db", "missing")
	mustErr(t, err, catalog.ErrNotFound, "missing")
	mustErr(t, s.DropTable(ctx, "db", "missing", false), catalog.ErrNotFound, "missing")
	must(t, s.DropTable(ctx, "db", "missing", true))
	must(t, s.DropTable(ctx, "db", "orders", false))
	_, err = s.GetTable(ctx, "db", "orders")
	mustErr(t, err, catalog.ErrNotFound, "orders")
}

func testReplaceTable(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "db"}, false))
	mustErr(t, s.ReplaceTable(ctx, sampleTable("db", "t")), catalog.ErrNotFound, "t")
	must(t, s.CreateTable(ctx, sampleTable("db", "t"), false))
	for i := 2; i <= 4; i++ {
		tb := sampleTable("db", "t")
		tb.Comment = fmt.Sprintf("v%d", i)
		tb.Columns = append(tb.Columns, catalog.Column{Name: fmt.Sprintf("c%d", i), Type: "VARCHAR"})
		must(t, s.ReplaceTable(ctx, tb))
	}
	got, err := s.GetTable(ctx, "db", "t")
	must(t, err)
	if got.Version != 4 || got.Comment != "v4" || len(got.Columns) != 4 {
		t.Fatalf("after 3 replaces: version %d comment %q cols %d", got.Version, got.Comment, len(got.Columns))
	}
	if v, ok := s.(Versioned); ok {
		hist, err := v.TableVersions(ctx, "db", "t")
		must(t, err)
		if len(hist) != 3 || hist[0].Version != 1 || hist[0].Comment != "a table" || hist[2].Version != 3 || hist[2].Comment != "v3" {
			t.Fatalf("TableVersions = %+v", hist)
		}
		// Dropping and re-creating starts a fresh history.
		must(t, s.DropTable(ctx, "db", "t", false))
		must(t, s.CreateTable(ctx, sampleTable("db", "t"), false))
		hist, err = v.TableVersions(ctx, "db", "t")
		must(t, err)
		if len(hist) != 0 {
			t.Fatalf("history survived drop: %+v", hist)
		}
	}
}

func testCaseFolding(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "Sales"}, false))
	mustErr(t, s.CreateDatabase(ctx, catalog.Database{Name: "SALES"}, false), catalog.ErrExists, "sales")
	d, err := s.GetDatabase(ctx, "sALES")
	must(t, err)
	if d.Name != "sales" {
		t.Fatalf("database name not folded: %q", d.Name)
	}
	must(t, s.CreateTable(ctx, sampleTable("SALES", "Orders"), false))
	tb, err := s.GetTable(ctx, "sales", "ORDERS")
	must(t, err)
	if tb.Database != "sales" || tb.Name != "orders" {
		t.Fatalf("table names not folded: %s.%s", tb.Database, tb.Name)
	}
	must(t, s.DropTable(ctx, "Sales", "oRdErS", false))
}

// RunSharedSuite runs the concurrency tests with the workers spread
// over several stores opened on the same catalog (two tarn servers
// sharing one metastore). newStores returns them on a fresh catalog;
// the suite closes them.
func RunSharedSuite(t *testing.T, newStores func(t *testing.T) []catalog.Store) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, stores ...catalog.Store)
	}{
		{"ConcurrentDDL", ConcurrentDDL},
		{"ConcurrentPartitions", ConcurrentPartitions},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stores := newStores(t)
			defer func() {
				for _, s := range stores {
					s.Close()
				}
			}()
			tc.fn(t, stores...)
		})
	}
}

// ConcurrentDDL runs 8 goroutines creating, replacing and dropping
// tables and databases at once, spread over the given stores (which must
// share one catalog); nothing may be lost.
func ConcurrentDDL(t *testing.T, stores ...catalog.Store) {
	ctx := context.Background()
	s := stores[0]
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "shared"}, false))
	const workers, perWorker = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			s := stores[w%len(stores)]
			own := fmt.Sprintf("db%d", w)
			if err := s.CreateDatabase(ctx, catalog.Database{Name: own}, false); err != nil {
				errs <- err
				return
			}
			for i := 0; i < perWorker; i++ {
				name := fmt.Sprintf("t_%d_%d", w, i)
				for _, db := range []string{"shared", own} {
					if err := s.CreateTable(ctx, sampleTable(db, name), false); err != nil {
						errs <- err
						return
					}
				}
				tb := sampleTable("shared", name)
				tb.Comment = "replaced"
				if err := s.ReplaceTable(ctx, tb); err != nil {
					errs <- err
					return
				}
				if i%5 == 4 {
					if err := s.DropTable(ctx, own, name, false); err != nil {
						errs <- err
						return
					}
				}
				// Everybody races on the same IF NOT EXISTS create.
				if err := s.CreateDatabase(ctx, catalog.Database{Name: "race"}, true); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	ts, err := s.ListTables(ctx, "shared")
	must(t, err)
	if len(ts) != workers*perWorker {
		t.Fatalf("shared has %d tables, want %d", len(ts), workers*perWorker)
	}
	for _, tb := range ts {
		if tb.Version != 2 || tb.Comment != "replaced" {
			t.Fatalf("table %s: version %d comment %q", tb.Name, tb.Version, tb.Comment)
		}
	}
	for w := 0; w < workers; w++ {
		ts, err := s.ListTables(ctx, fmt.Sprintf("db%d", w))
		must(t, err)
		if want := perWorker - perWorker/5; len(ts) != want {
			t.Fatalf("db%d has %d tables, want %d", w, len(ts), want)
		}
	}
	dbs, err := s.ListDatabases(ctx)
	must(t, err)
	if len(dbs) != workers+2 {
		t.Fatalf("%d databases, want %d", len(dbs), workers+2)
	}
}
