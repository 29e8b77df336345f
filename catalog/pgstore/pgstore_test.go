package pgstore

import (
	"context"
	"testing"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

func openTest(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestStoreSuite(t *testing.T) {
	pg := postgres.Get(t)
	catalogtest.RunStoreSuite(t, func(t *testing.T) catalog.Store {
		return openTest(t, pg.NewDatabase(t))
	})
}

// Two stores on one database are two tarn servers sharing a metastore.
func TestSharedSuite(t *testing.T) {
	pg := postgres.Get(t)
	catalogtest.RunSharedSuite(t, func(t *testing.T) []catalog.Store {
		dsn := pg.NewDatabase(t)
		return []catalog.Store{openTest(t, dsn), openTest(t, dsn)}
	})
}
