package boltstore

import (
	"testing"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
)

func TestAuthSuite(t *testing.T) {
	catalogtest.RunAuthSuite(t, func(t *testing.T) catalog.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}
