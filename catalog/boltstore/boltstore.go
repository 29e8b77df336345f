// Package boltstore is the embedded catalog.Store: a single bbolt file
// (<data-dir>/catalog.db) holding databases, tables and Glue-style table
// versions. Every method runs in one bbolt transaction, so each call is
// atomic and concurrent callers serialize on bbolt's single writer.
//
// Layout:
//
//	databases/<db>                 JSON catalog.Database
//	tables/<db>/<table>            JSON catalog.Table (nested bucket per db)
//	versions/<db>/<table>/<v>      JSON catalog.Table of superseded versions
//	partitions/<db>/<table>/<key>  JSON catalog.Partition without its values;
//	                               <key> encodes the values in order
//
// Other packages may keep their own top-level buckets in the same file
// through DB (the engine stores query history there).
package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/tarnsql/tarn/catalog"
)

var (
	bucketDatabases = []byte("databases")
	bucketTables    = []byte("tables")
	bucketVersions  = []byte("versions")
)

// FileName is the catalog file name inside the data directory.
const FileName = "catalog.db"

// Store is a catalog.Store on bbolt.
type Store struct {
	db *bolt.DB
}

var _ catalog.Store = (*Store)(nil)

// Open opens (creating if needed) the catalog in dataDir/catalog.db.
func Open(dataDir string) (*Store, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("catalog: create data directory %s: %w", dataDir, err)
	}
	return OpenFile(filepath.Join(dataDir, FileName))
}

// OpenFile opens (creating if needed) the catalog file at path.
func OpenFile(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o644, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("catalog: open %s: %w (is another tarn process using this data directory?)", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDatabases, bucketTables, bucketVersions, bucketPartitions} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog: initialize %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// DB exposes the underlying bbolt database so the engine can keep other
// state (query history) in its own buckets of the same file.
func (s *Store) DB() *bolt.DB { return s.db }

// Close closes the file.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) update(ctx context.Context, f func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(f)
}

func (s *Store) view(ctx context.Context, f func(tx *bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(f)
}

// CreateDatabase creates a database.
func (s *Store) CreateDatabase(ctx context.Context, d catalog.Database, ifNotExists bool) error {
	name := catalog.Normalize(d.Name)
	if name == "" {
		return fmt.Errorf("create database: empty name")
	}
	d.Name = name
	if d.Created.IsZero() {
		d.Created = time.Now().UTC()
	}
	val, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		dbs := tx.Bucket(bucketDatabases)
		if dbs.Get([]byte(name)) != nil {
			if ifNotExists {
				return nil
			}
			return fmt.Errorf("database %s: %w", name, catalog.ErrExists)
		}
		if err := dbs.Put([]byte(name), val); err != nil {
			return err
		}
		if _, err := tx.Bucket(bucketTables).CreateBucketIfNotExists([]byte(name)); err != nil {
			return err
		}
		return nil
	})
}

// DropDatabase drops a database; without cascade it must be empty.
func (s *Store) DropDatabase(ctx context.Context, name string, ifExists, cascade bool) error {
	name = catalog.Normalize(name)
	return s.update(ctx, func(tx *bolt.Tx) error {
		dbs := tx.Bucket(bucketDatabases)
		if dbs.Get([]byte(name)) == nil {
			if ifExists {
				return nil
			}
			return fmt.Errorf("database %s: %w", name, catalog.ErrNotFound)
		}
		tb := tx.Bucket(bucketTables).Bucket([]byte(name))
		if tb != nil {
			if k, _ := tb.Cursor().First(); k != nil && !cascade {
				return fmt.Errorf("database %s contains tables (use DROP DATABASE %s CASCADE): %w", name, name, catalog.ErrNotEmpty)
			}
			if err := tx.Bucket(bucketTables).DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		if vb := tx.Bucket(bucketVersions).Bucket([]byte(name)); vb != nil {
			if err := tx.Bucket(bucketVersions).DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := deletePartitions(tx, name, ""); err != nil {
			return err
		}
		return dbs.Delete([]byte(name))
	})
}

// GetDatabase returns one database.
func (s *Store) GetDatabase(ctx context.Context, name string) (*catalog.Database, error) {
	name = catalog.Normalize(name)
	var d catalog.Database
	err := s.view(ctx, func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketDatabases).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("database %s: %w", name, catalog.ErrNotFound)
		}
		return json.Unmarshal(v, &d)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// ListDatabases lists databases by name.
func (s *Store) ListDatabases(ctx context.Context) ([]catalog.Database, error) {
	var out []catalog.Database
	err := s.view(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketDatabases).ForEach(func(k, v []byte) error {
			var d catalog.Database
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("catalog: database %s: corrupt entry: %w", k, err)
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

func normTable(t *catalog.Table) error {
	t.Database = catalog.Normalize(t.Database)
	t.Name = catalog.Normalize(t.Name)
	if t.Database == "" || t.Name == "" {
		return fmt.Errorf("table %q.%q: empty database or table name", t.Database, t.Name)
	}
	if t.Kind == "" {
		t.Kind = catalog.KindExternal
	}
	return nil
}

// CreateTable creates a table or view.
func (s *Store) CreateTable(ctx context.Context, t catalog.Table, ifNotExists bool) error {
	if err := normTable(&t); err != nil {
		return err
	}
	if t.Created.IsZero() {
		t.Created = time.Now().UTC()
	}
	t.Version = 1
	val, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTables).Bucket([]byte(t.Database))
		if tx.Bucket(bucketDatabases).Get([]byte(t.Database)) == nil || tb == nil {
			return fmt.Errorf("database %s: %w", t.Database, catalog.ErrNotFound)
		}
		if tb.Get([]byte(t.Name)) != nil {
			if ifNotExists {
				return nil
			}
			return fmt.Errorf("table %s.%s: %w", t.Database, t.Name, catalog.ErrExists)
		}
		// A re-created table starts a fresh version history and no
		// partitions (DropTable removes both; this guards older files).
		if vb := tx.Bucket(bucketVersions).Bucket([]byte(t.Database)); vb != nil && vb.Bucket([]byte(t.Name)) != nil {
			if err := vb.DeleteBucket([]byte(t.Name)); err != nil {
				return err
			}
		}
		if err := deletePartitions(tx, t.Database, t.Name); err != nil {
			return err
		}
		return tb.Put([]byte(t.Name), val)
	})
}

func versionKey(v int) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(v))
	return k[:]
}

// ReplaceTable overwrites an existing table, bumping its version and
// keeping the previous definition in the versions bucket.
func (s *Store) ReplaceTable(ctx context.Context, t catalog.Table) error {
	if err := normTable(&t); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTables).Bucket([]byte(t.Database))
		if tb == nil {
			return fmt.Errorf("database %s: %w", t.Database, catalog.ErrNotFound)
		}
		old := tb.Get([]byte(t.Name))
		if old == nil {
			return fmt.Errorf("table %s.%s: %w", t.Database, t.Name, catalog.ErrNotFound)
		}
		var prev catalog.Table
		if err := json.Unmarshal(old, &prev); err != nil {
			return fmt.Errorf("catalog: table %s.%s: corrupt entry: %w", t.Database, t.Name, err)
		}
		vdb, err := tx.Bucket(bucketVersions).CreateBucketIfNotExists([]byte(t.Database))
		if err != nil {
			return err
		}
		vt, err := vdb.CreateBucketIfNotExists([]byte(t.Name))
		if err != nil {
			return err
		}
		if err := vt.Put(versionKey(prev.Version), old); err != nil {
			return err
		}
		t.Version = prev.Version + 1
		if t.Created.IsZero() {
			t.Created = prev.Created
		}
		val, err := json.Marshal(t)
		if err != nil {
			return err
		}
		return tb.Put([]byte(t.Name), val)
	})
}

// TableVersions returns the superseded versions of a table, oldest first
// (the current definition is GetTable).
func (s *Store) TableVersions(ctx context.Context, db, name string) ([]catalog.Table, error) {
	db, name = catalog.Normalize(db), catalog.Normalize(name)
	var out []catalog.Table
	err := s.view(ctx, func(tx *bolt.Tx) error {
		vdb := tx.Bucket(bucketVersions).Bucket([]byte(db))
		if vdb == nil {
			return nil
		}
		vt := vdb.Bucket([]byte(name))
		if vt == nil {
			return nil
		}
		return vt.ForEach(func(_, v []byte) error {
			var t catalog.Table
			if err := json.Unmarshal(v, &t); err != nil {
				return err
			}
			out = append(out, t)
			return nil
		})
	})
	return out, err
}

// DropTable drops a table or view and its version history.
func (s *Store) DropTable(ctx context.Context, db, name string, ifExists bool) error {
	db, name = catalog.Normalize(db), catalog.Normalize(name)
	return s.update(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTables).Bucket([]byte(db))
		if tb == nil {
			if ifExists {
				return nil
			}
			return fmt.Errorf("database %s: %w", db, catalog.ErrNotFound)
		}
		if tb.Get([]byte(name)) == nil {
			if ifExists {
				return nil
			}
			return fmt.Errorf("table %s.%s: %w", db, name, catalog.ErrNotFound)
		}
		if vdb := tx.Bucket(bucketVersions).Bucket([]byte(db)); vdb != nil && vdb.Bucket([]byte(name)) != nil {
			if err := vdb.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := deletePartitions(tx, db, name); err != nil {
			return err
		}
		return tb.Delete([]byte(name))
	})
}

// GetTable returns one table.
func (s *Store) GetTable(ctx context.Context, db, name string) (*catalog.Table, error) {
	db, name = catalog.Normalize(db), catalog.Normalize(name)
	var t catalog.Table
	err := s.view(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTables).Bucket([]byte(db))
		if tb == nil {
			return fmt.Errorf("database %s: %w", db, catalog.ErrNotFound)
		}
		v := tb.Get([]byte(name))
		if v == nil {
			return fmt.Errorf("table %s.%s: %w", db, name, catalog.ErrNotFound)
		}
		return json.Unmarshal(v, &t)
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ListTables lists a database's tables by name.
func (s *Store) ListTables(ctx context.Context, db string) ([]catalog.Table, error) {
	db = catalog.Normalize(db)
	var out []catalog.Table
	err := s.view(ctx, func(tx *bolt.Tx) error {
		tb := tx.Bucket(bucketTables).Bucket([]byte(db))
		if tb == nil {
			return fmt.Errorf("database %s: %w", db, catalog.ErrNotFound)
		}
		return tb.ForEach(func(k, v []byte) error {
			var t catalog.Table
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("catalog: table %s.%s: corrupt entry: %w", db, k, err)
			}
			out = append(out, t)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}
