package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/boltstore"
	"github.com/tarnsql/tarn/catalog/pgstore"
)

// engineStore is the engine's catalog store plus the data directory's
// bbolt file (DB) where query history and other per-server state live.
type engineStore interface {
	catalog.Store
	DB() *bolt.DB
}

// pgCatalog is a PostgreSQL catalog with the local bbolt file beside it.
// Embedding *pgstore.Store keeps its optional interfaces
// (catalog.PartitionStore, TableVersions) visible to type assertions.
type pgCatalog struct {
	*pgstore.Store
	local *boltstore.Store
}

func (p pgCatalog) DB() *bolt.DB { return p.local.DB() }

func (p pgCatalog) Close() error {
	return errors.Join(p.Store.Close(), p.local.Close())
}

// openCatalogStore picks the store for Config.Catalog: "" is the bbolt
// file itself, postgres:// / postgresql:// a PostgreSQL metastore.
func openCatalogStore(ctx context.Context, spec string, local *boltstore.Store) (engineStore, error) {
	switch {
	case spec == "" || spec == "bolt" || spec == "bbolt":
		return local, nil
	case strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://"):
		pg, err := pgstore.Open(ctx, spec)
		if err != nil {
			return nil, err
		}
		return pgCatalog{Store: pg, local: local}, nil
	default:
		return nil, fmt.Errorf("catalog %q: want empty (the data directory's bbolt file) or a postgres:// DSN", spec)
	}
}
