// Package pgstore is the catalog.Store on PostgreSQL (a shared metastore:
// several tarn servers can use one catalog). Tables live in the "tarn"
// schema and are created by versioned migrations (tarn.schema_migrations)
// applied under an advisory lock when a store opens.
//
// Every method is one transaction. Concurrent DDL from several servers
// stays consistent through unique constraints, foreign keys with ON
// DELETE CASCADE and row locks; serialization failures and deadlocks are
// retried. Constraint violations map to catalog.ErrExists / ErrNotFound /
// ErrNotEmpty with the object's name in the message.
package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tarnsql/tarn/catalog"
)

// Store is a catalog.Store, catalog.PartitionStore and table-version
// store on PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

var (
	_ catalog.Store          = (*Store)(nil)
	_ catalog.PartitionStore = (*Store)(nil)
)

// Open connects to the PostgreSQL database at dsn (postgres://...) and
// applies pending migrations.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("catalog: PostgreSQL DSN: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("catalog: connect to PostgreSQL %s@%s:%d/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("%w (PostgreSQL %s@%s:%d/%s)", err, cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database)
	}
	return &Store{pool: pool}, nil
}

// Pool exposes the connection pool (for other tarn state kept in the
// same database).
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// testHookBeforeCommit, when set (by tests only), runs after a write
// transaction's statements and before its COMMIT.
var testHookBeforeCommit func()

// retryable reports errors after which the whole transaction is re-run.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01" // serialization failure, deadlock
	}
	return false
}

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// tx runs fn in a transaction, retrying on serialization failures and
// deadlocks. Read-only transactions run at REPEATABLE READ so multi-query
// reads see one snapshot.
func (s *Store) tx(ctx context.Context, readOnly bool, fn func(tx pgx.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	if readOnly {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := pgx.BeginTxFunc(ctx, s.pool, opts, func(tx pgx.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			if h := testHookBeforeCommit; h != nil && !readOnly {
				h()
			}
			return nil
		})
		if err == nil || !retryable(err) || attempt >= 10 {
			return err
		}
		time.Sleep(time.Duration(1+rand.Intn(5<<min(attempt, 4))) * time.Millisecond)
	}
}

func dbNotFound(db string) error { return fmt.Errorf("database %s: %w", db, catalog.ErrNotFound) }
func tableNotFound(db, t string) error {
	return fmt.Errorf("table %s.%s: %w", db, t, catalog.ErrNotFound)
}

func dbExists(ctx context.Context, tx pgx.Tx, db string) (bool, error) {
	var ok bool
	err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM tarn.databases WHERE name = $1)", db).Scan(&ok)
	return ok, err
}

// missingTable is the error for a table not found: the database's when
// the database is missing too.
func missingTable(ctx context.Context, tx pgx.Tx, db, t string) error {
	ok, err := dbExists(ctx, tx, db)
	if err != nil {
		return err
	}
	if !ok {
		return dbNotFound(db)
	}
	return tableNotFound(db, t)
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
	body, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "INSERT INTO tarn.databases (name, body) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", name, body)
		if err != nil {
			return fmt.Errorf("create database %s: %w", name, err)
		}
		if tag.RowsAffected() == 0 && !ifNotExists {
			return fmt.Errorf("database %s: %w", name, catalog.ErrExists)
		}
		return nil
	})
}

// DropDatabase drops a database; without cascade it must be empty. The
// database row is locked first, so a table created concurrently either
// commits before the emptiness check or fails on the foreign key.
func (s *Store) DropDatabase(ctx context.Context, name string, ifExists, cascade bool) error {
	name = catalog.Normalize(name)
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, "SELECT 1 FROM tarn.databases WHERE name = $1 FOR UPDATE", name).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			if ifExists {
				return nil
			}
			return dbNotFound(name)
		}
		if err != nil {
			return err
		}
		if !cascade {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM tarn.tables WHERE db = $1", name).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return fmt.Errorf("database %s contains %d tables (use DROP DATABASE %s CASCADE): %w", name, n, name, catalog.ErrNotEmpty)
			}
		}
		_, err = tx.Exec(ctx, "DELETE FROM tarn.databases WHERE name = $1", name)
		return err
	})
}

// GetDatabase returns one database.
func (s *Store) GetDatabase(ctx context.Context, name string) (*catalog.Database, error) {
	name = catalog.Normalize(name)
	var d catalog.Database
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		var body []byte
		err := tx.QueryRow(ctx, "SELECT body FROM tarn.databases WHERE name = $1", name).Scan(&body)
		if errors.Is(err, pgx.ErrNoRows) {
			return dbNotFound(name)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &d); err != nil {
			return fmt.Errorf("catalog: database %s: corrupt entry: %w", name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// ListDatabases lists databases by name.
func (s *Store) ListDatabases(ctx context.Context) ([]catalog.Database, error) {
	var out []catalog.Database
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, "SELECT name, body FROM tarn.databases ORDER BY name")
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var body []byte
			if err := rows.Scan(&name, &body); err != nil {
				return err
			}
			var d catalog.Database
			if err := json.Unmarshal(body, &d); err != nil {
				return fmt.Errorf("catalog: database %s: corrupt entry: %w", name, err)
			}
			out = append(out, d)
		}
		return rows.Err()
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
	body, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO tarn.tables (db, name, version, body) VALUES ($1, $2, 1, $3)
ON CONFLICT (db, name) DO NOTHING`, t.Database, t.Name, body)
		if pgCode(err) == "23503" { // foreign key: no such database
			return dbNotFound(t.Database)
		}
		if err != nil {
			return fmt.Errorf("create table %s.%s: %w", t.Database, t.Name, err)
		}
		if tag.RowsAffected() == 0 && !ifNotExists {
			return fmt.Errorf("table %s.%s: %w", t.Database, t.Name, catalog.ErrExists)
		}
		return nil
	})
}

// ReplaceTable overwrites an existing table, bumping its version and
// keeping the previous definition in tarn.table_versions.
func (s *Store) ReplaceTable(ctx context.Context, t catalog.Table) error {
	if err := normTable(&t); err != nil {
		return err
	}
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		var (
			id      int64
			version int
			old     []byte
		)
		err := tx.QueryRow(ctx, "SELECT id, version, body FROM tarn.tables WHERE db = $1 AND name = $2 FOR UPDATE",
			t.Database, t.Name).Scan(&id, &version, &old)
		if errors.Is(err, pgx.ErrNoRows) {
			return missingTable(ctx, tx, t.Database, t.Name)
		}
		if err != nil {
			return err
		}
		var prev catalog.Table
		if err := json.Unmarshal(old, &prev); err != nil {
			return fmt.Errorf("catalog: table %s.%s: corrupt entry: %w", t.Database, t.Name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO tarn.table_versions (table_id, version, body) VALUES ($1, $2, $3)", id, version, old); err != nil {
			return fmt.Errorf("replace table %s.%s: keep version %d: %w", t.Database, t.Name, version, err)
		}
		t.Version = version + 1
		if t.Created.IsZero() {
			t.Created = prev.Created
		}
		body, err := json.Marshal(t)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE tarn.tables SET version = $2, body = $3 WHERE id = $1", id, t.Version, body)
		return err
	})
}

// TableVersions returns the superseded versions of a table, oldest first.
func (s *Store) TableVersions(ctx context.Context, db, name string) ([]catalog.Table, error) {
	db, name = catalog.Normalize(db), catalog.Normalize(name)
	var out []catalog.Table
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		out = out[:0]
		rows, err := tx.Query(ctx, `SELECT v.body FROM tarn.table_versions v JOIN tarn.tables t ON t.id = v.table_id
WHERE t.db = $1 AND t.name = $2 ORDER BY v.version`, db, name)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var body []byte
			if err := rows.Scan(&body); err != nil {
				return err
			}
			var t catalog.Table
			if err := json.Unmarshal(body, &t); err != nil {
				return fmt.Errorf("catalog: table %s.%s: corrupt version: %w", db, name, err)
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// DropTable drops a table or view with its versions and partitions.
func (s *Store) DropTable(ctx context.Context, db, name string, ifExists bool) error {
	db, name = catalog.Normalize(db), catalog.Normalize(name)
	return s.tx(ctx, false, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM tarn.tables WHERE db = $1 AND name = $2", db, name)
		if err != nil {
			return fmt.Errorf("drop table %s.%s: %w", db, name, err)
		}
		if tag.RowsAffected() == 0 && !ifExists {
			return missingTable(ctx, tx, db, name)
		}
		return nil
	})
}

// GetTable returns one table.
func (s *Store) GetTable(ctx context.Context, db, name string) (*catalog.Table, error) {
	db, name = catalog.Normalize(db), catalog.Normalize(name)
	var t catalog.Table
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		var body []byte
		err := tx.QueryRow(ctx, "SELECT body FROM tarn.tables WHERE db = $1 AND name = $2", db, name).Scan(&body)
		if errors.Is(err, pgx.ErrNoRows) {
			return missingTable(ctx, tx, db, name)
		}
		if err != nil {
			return err
		}
		if err := json.Unmarshal(body, &t); err != nil {
			return fmt.Errorf("catalog: table %s.%s: corrupt entry: %w", db, name, err)
		}
		return nil
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
	err := s.tx(ctx, true, func(tx pgx.Tx) error {
		out = out[:0]
		ok, err := dbExists(ctx, tx, db)
		if err != nil {
			return err
		}
		if !ok {
			return dbNotFound(db)
		}
		rows, err := tx.Query(ctx, "SELECT name, body FROM tarn.tables WHERE db = $1 ORDER BY name", db)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			var body []byte
			if err := rows.Scan(&name, &body); err != nil {
				return err
			}
			var t catalog.Table
			if err := json.Unmarshal(body, &t); err != nil {
				return fmt.Errorf("catalog: table %s.%s: corrupt entry: %w", db, name, err)
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}
