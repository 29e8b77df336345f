package pgstore

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

// Servers starting at once on a fresh database apply each migration
// exactly once; reopening applies nothing.
func TestMigrationsConcurrentOpen(t *testing.T) {
	pg := postgres.Get(t)
	dsn := pg.NewDatabase(t)
	ctx := context.Background()
	const servers = 4
	stores := make([]*Store, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			stores[i], errs[i] = Open(ctx, dsn)
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var n, distinct, maxV int
	err := stores[0].pool.QueryRow(ctx, "SELECT count(*), count(DISTINCT version), max(version) FROM tarn.schema_migrations").Scan(&n, &distinct, &maxV)
	if err != nil {
		t.Fatal(err)
	}
	if n != len(migrations) || distinct != n || maxV != migrations[len(migrations)-1].version {
		t.Fatalf("schema_migrations: %d rows, %d versions, max %d; want %d", n, distinct, maxV, len(migrations))
	}
	v, err := stores[1].SchemaVersion(ctx)
	if err != nil || v != maxV {
		t.Fatalf("SchemaVersion = %d, %v", v, err)
	}
	// The schema works through every store.
	for i, s := range stores {
		if err := s.CreateDatabase(ctx, catalog.Database{Name: "d"}, true); err != nil {
			t.Fatalf("server %d: %v", i, err)
		}
	}
	// A catalog written by a newer tarn is refused with a clear message.
	if _, err := stores[0].pool.Exec(ctx, "INSERT INTO tarn.schema_migrations (version, name) VALUES (9999, 'future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, dsn); err == nil || !strings.Contains(err.Error(), "9999") {
		t.Fatalf("opening a newer catalog: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"); err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("unreachable server: %v", err)
	}
	if _, err := Open(ctx, "postgres://%zz"); err == nil {
		t.Fatal("bad DSN accepted")
	}
}

// DROP DATABASE (no CASCADE) racing CREATE TABLE from another server:
// either the table is created first and the drop fails as not empty, or
// the drop wins and the create fails as not found — never a dropped
// database that silently took a new table with it, never a table in a
// missing database.
func TestDropDatabaseRacesCreateTable(t *testing.T) {
	pg := postgres.Get(t)
	dsn := pg.NewDatabase(t)
	ctx := context.Background()
	a, b := openTest(t, dsn), openTest(t, dsn)
	defer a.Close()
	defer b.Close()
	for i := 0; i < 40; i++ {
		if err := a.CreateDatabase(ctx, catalog.Database{Name: "r"}, false); err != nil {
			t.Fatal(err)
		}
		var dropErr, createErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); dropErr = a.DropDatabase(ctx, "r", false, false) }()
		go func() {
			defer wg.Done()
			createErr = b.CreateTable(ctx, catalogtest.PartitionedTable("r", "t", "dt"), false)
		}()
		wg.Wait()
		switch {
		case dropErr == nil && errors.Is(createErr, catalog.ErrNotFound):
			if _, err := a.GetDatabase(ctx, "r"); !errors.Is(err, catalog.ErrNotFound) {
				t.Fatalf("round %d: dropped database still there: %v", i, err)
			}
		case createErr == nil && errors.Is(dropErr, catalog.ErrNotEmpty):
			if _, err := a.GetTable(ctx, "r", "t"); err != nil {
				t.Fatalf("round %d: created table missing: %v", i, err)
			}
			if err := a.DropDatabase(ctx, "r", false, true); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("round %d: drop %v, create %v", i, dropErr, createErr)
		}
	}
}
