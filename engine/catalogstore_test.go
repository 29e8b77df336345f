package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

// Two engines with their own data directories share one PostgreSQL
// catalog: DDL through one is visible to the other, partitions included.
func TestPostgresCatalog(t *testing.T) {
	pg := postgres.New(t)
	dsn := pg.NewDatabase(t)
	ctx := context.Background()
	a, err := Open(ctx, Config{DataDir: t.TempDir(), Catalog: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, Config{DataDir: t.TempDir(), Catalog: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, ok := a.Catalog().(catalog.PartitionStore); !ok {
		t.Fatalf("%T hides catalog.PartitionStore", a.Catalog())
	}
	if err := a.Catalog().CreateDatabase(ctx, catalog.Database{Name: "shared"}, false); err != nil {
		t.Fatal(err)
	}
	tb := catalog.Table{Database: "shared", Name: "ev", Columns: []catalog.Column{{Name: "x", Type: "BIGINT"}},
		PartitionKeys: []catalog.Column{{Name: "dt", Type: "VARCHAR"}}, Location: t.TempDir(), Format: "parquet"}
	if err := a.Catalog().CreateTable(ctx, tb, false); err != nil {
		t.Fatal(err)
	}
	if err := a.Catalog().(catalog.PartitionStore).AddPartitions(ctx, "shared", "ev",
		[]catalog.Partition{{Values: []string{"2024-01-01"}, Location: tb.Location + "/dt=2024-01-01"}}, false); err != nil {
		t.Fatal(err)
	}
	got, err := b.Catalog().GetTable(ctx, "shared", "ev")
	if err != nil || got.Location != tb.Location {
		t.Fatalf("engine b sees %+v, %v", got, err)
	}
	n, err := b.Catalog().(catalog.PartitionStore).CountPartitions(ctx, "shared", "ev")
	if err != nil || n != 1 {
		t.Fatalf("engine b sees %d partitions, %v", n, err)
	}
	// SQL DDL goes to the shared catalog too.
	if err := b.NewSession("tarn").Exec(ctx, "CREATE DATABASE from_b"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Catalog().GetDatabase(ctx, "from_b"); err != nil {
		t.Fatalf("database created through engine b: %v", err)
	}
	if _, isPG := a.Catalog().(pgCatalog); !isPG {
		t.Fatalf("catalog is %T", a.Catalog())
	}
}

func TestCatalogSpecErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Open(ctx, Config{DataDir: t.TempDir(), Catalog: "mysql://x"}); err == nil || !strings.Contains(err.Error(), "mysql://x") {
		t.Fatalf("unknown catalog spec: %v", err)
	}
	// A failed PostgreSQL open releases the data directory.
	dir := t.TempDir()
	if _, err := Open(ctx, Config{DataDir: dir, Catalog: "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}); err == nil {
		t.Fatal("unreachable PostgreSQL catalog opened")
	}
	e, err := Open(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatalf("data directory still locked after a failed open: %v", err)
	}
	e.Close()
}
