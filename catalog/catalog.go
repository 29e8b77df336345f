// Package catalog holds tarn's catalog model (databases, tables, columns,
// statistics) and the Store interface that the embedded bbolt store and
// later the PostgreSQL store implement.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
)

// Errors returned by stores. Wrap them with context; test with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrNotEmpty = errors.New("not empty")
)

// Database is a namespace of tables.
type Database struct {
	Name     string    `json:"name"`
	Location string    `json:"location,omitempty"`
	Comment  string    `json:"comment,omitempty"`
	Created  time.Time `json:"created"`
}

// Column is a table column. Type is the SQL type text as parsed by
// types.Parse (stored in tarn's canonical spelling).
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Comment string `json:"comment,omitempty"`
}

// TableKind distinguishes external tables, managed tables and views.
type TableKind string

// Table kinds.
const (
	KindExternal TableKind = "EXTERNAL_TABLE"
	KindManaged  TableKind = "MANAGED_TABLE"
	KindView     TableKind = "VIRTUAL_VIEW"
)

// Table is a catalog table or view.
type Table struct {
	Database   string            `json:"database"`
	Name       string            `json:"name"`
	Kind       TableKind         `json:"kind"`
	Columns    []Column          `json:"columns"`
	Location   string            `json:"location,omitempty"`
	Format     string            `json:"format,omitempty"` // parquet, csv, ...
	SerDe      string            `json:"serde,omitempty"`
	SerDeProps map[string]string `json:"serde_props,omitempty"`
	Props      map[string]string `json:"props,omitempty"`
	ViewSQL    string            `json:"view_sql,omitempty"`
	Comment    string            `json:"comment,omitempty"`
	Created    time.Time         `json:"created"`
	Version    int               `json:"version"`
	Stats      *TableStats       `json:"stats,omitempty"`
}

// TableStats are statistics the optimizer uses. Rows < 0 means unknown.
type TableStats struct {
	Rows  int64                  `json:"rows"`
	Files int64                  `json:"files"`
	Bytes int64                  `json:"bytes"`
	Cols  map[string]ColumnStats `json:"cols,omitempty"`
}

// ColumnStats are per-column statistics; Min and Max are rendered as SQL
// literal text ("" when unknown).
type ColumnStats struct {
	NullCount int64  `json:"null_count"`
	Distinct  int64  `json:"distinct"`
	Min       string `json:"min,omitempty"`
	Max       string `json:"max,omitempty"`
}

// ArrowSchema returns the table's columns as an Arrow schema.
func (t *Table) ArrowSchema() (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		dt, err := types.Parse(c.Type)
		if err != nil {
			return nil, fmt.Errorf("table %s.%s column %s: %w", t.Database, t.Name, c.Name, err)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: dt, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

// Store persists the catalog. Names are case-insensitive: stores fold
// database and table names to lower case. Every method is atomic.
type Store interface {
	CreateDatabase(ctx context.Context, db Database, ifNotExists bool) error
	DropDatabase(ctx context.Context, name string, ifExists, cascade bool) error
	GetDatabase(ctx context.Context, name string) (*Database, error)
	ListDatabases(ctx context.Context) ([]Database, error)

	CreateTable(ctx context.Context, t Table, ifNotExists bool) error
	// ReplaceTable overwrites an existing table (or view) and bumps its version.
	ReplaceTable(ctx context.Context, t Table) error
	DropTable(ctx context.Context, db, name string, ifExists bool) error
	GetTable(ctx context.Context, db, name string) (*Table, error)
	ListTables(ctx context.Context, db string) ([]Table, error)

	Close() error
}

// Normalize folds an identifier the way stores key it.
func Normalize(name string) string { return strings.ToLower(name) }
