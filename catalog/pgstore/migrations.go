package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Schema is the PostgreSQL schema that holds tarn's catalog tables.
const Schema = "tarn"

// migration is one schema change; migrations are applied in order, each
// in its own transaction together with its schema_migrations row.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations is append-only: never edit a released migration, add one.
//
// Names are compared byte-wise (COLLATE "C") so listing order matches
// Go's string order and the bbolt store's. Partition values are a text[]
// with the first value duplicated into v1 (generated) so a bound on the
// first key is an index range scan.
var migrations = []migration{
	{1, "catalog", `
CREATE TABLE tarn.databases (
	name text COLLATE "C" PRIMARY KEY,
	body jsonb NOT NULL
);
CREATE TABLE tarn.tables (
	id      bigserial PRIMARY KEY,
	db      text COLLATE "C" NOT NULL REFERENCES tarn.databases (name) ON DELETE CASCADE,
	name    text COLLATE "C" NOT NULL,
	version integer NOT NULL,
	body    jsonb NOT NULL,
	UNIQUE (db, name)
);
CREATE TABLE tarn.table_versions (
	table_id bigint NOT NULL REFERENCES tarn.tables (id) ON DELETE CASCADE,
	version  integer NOT NULL,
	body     jsonb NOT NULL,
	PRIMARY KEY (table_id, version)
);`},
	{2, "partitions", `
CREATE TABLE tarn.partitions (
	id       bigserial PRIMARY KEY,
	table_id bigint NOT NULL REFERENCES tarn.tables (id) ON DELETE CASCADE,
	vals     text[] COLLATE "C" NOT NULL,
	v1       text COLLATE "C" GENERATED ALWAYS AS (vals[1]) STORED,
	body     jsonb NOT NULL,
	UNIQUE (table_id, vals) INCLUDE (id)
);
CREATE INDEX partitions_first_value ON tarn.partitions (table_id, v1);`},
	{3, "auth", `
CREATE TABLE tarn.users (
	name        text COLLATE "C" PRIMARY KEY,
	host        text NOT NULL,
	native_hash bytea,
	sha2_hash   bytea,
	created     timestamptz NOT NULL
);
CREATE TABLE tarn.groups (
	name    text COLLATE "C" PRIMARY KEY,
	created timestamptz NOT NULL
);
CREATE TABLE tarn.group_members (
	grp  text COLLATE "C" NOT NULL REFERENCES tarn.groups (name) ON DELETE CASCADE,
	usr  text COLLATE "C" NOT NULL REFERENCES tarn.users (name) ON DELETE CASCADE,
	PRIMARY KEY (grp, usr)
);
CREATE INDEX group_members_user ON tarn.group_members (usr);
CREATE TABLE tarn.grants (
	is_group boolean NOT NULL,
	grantee  text COLLATE "C" NOT NULL,
	db       text COLLATE "C" NOT NULL,
	tbl      text COLLATE "C" NOT NULL,
	privs    integer NOT NULL CHECK (privs <> 0),
	PRIMARY KEY (is_group, grantee, db, tbl)
);`},
}

// advisoryKey serializes migrations across servers starting at once.
const advisoryKey = 0x7461726e_63617431 // "tarncat1"

// migrate brings the schema up to date. It holds a session-level
// advisory lock on one connection for the whole run, so two servers
// starting together apply each migration once.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("catalog: connect to PostgreSQL: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(advisoryKey)); err != nil {
		return fmt.Errorf("catalog: lock for migrations: %w", err)
	}
	defer func() {
		// A fresh context: the lock must be released even if ctx ended.
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", int64(advisoryKey)); err != nil {
			// The session may hold the lock still: drop the connection.
			conn.Conn().Close(uctx)
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+Schema+`;
CREATE TABLE IF NOT EXISTS `+Schema+`.schema_migrations (
	version    integer PRIMARY KEY,
	name       text NOT NULL,
	applied_at timestamptz NOT NULL DEFAULT now()
)`); err != nil {
		return fmt.Errorf("catalog: create %s.schema_migrations: %w", Schema, err)
	}
	var current int
	if err := conn.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+Schema+".schema_migrations").Scan(&current); err != nil {
		return fmt.Errorf("catalog: read schema version: %w", err)
	}
	latest := migrations[len(migrations)-1].version
	if current > latest {
		return fmt.Errorf("catalog: the PostgreSQL catalog has schema version %d, newer than this tarn understands (%d): upgrade tarn", current, latest)
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+Schema+".schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("catalog: migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// SchemaVersion returns the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM "+Schema+".schema_migrations").Scan(&v)
	return v, err
}
