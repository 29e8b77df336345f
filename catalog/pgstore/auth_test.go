package pgstore

import (
	"testing"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

func TestAuthSuite(t *testing.T) {
	pg := postgres.Get(t)
	catalogtest.RunAuthSuite(t, func(t *testing.T) catalog.Store {
		return openTest(t, pg.NewDatabase(t))
	})
}
