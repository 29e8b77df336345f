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
	Database string    `json:"database"`
	Name     string    `json:"name"`
	Kind     TableKind `json:"kind"`
	Columns  []Column  `json:"columns"`
	// PartitionKeys are the Hive partition columns (dt, region, ...); they
	// follow Columns in the table's schema and are not stored in files.
	PartitionKeys []Column          `json:"partition_keys,omitempty"`
	Location      string            `json:"location,omitempty"`
	Format        string            `json:"format,omitempty"` // parquet, csv, ...
	SerDe         string            `json:"serde,omitempty"`
	SerDeProps    map[string]string `json:"serde_props,omitempty"`
	Props         map[string]string `json:"props,omitempty"`
	ViewSQL       string            `json:"view_sql,omitempty"`
	Comment       string            `json:"comment,omitempty"`
	Created       time.Time         `json:"created"`
	Version       int               `json:"version"`
	Stats         *TableStats       `json:"stats,omitempty"`
}

// TableStats are statistics the optimizer uses. Rows < 0 means unknown.
type TableStats struct {
	Rows  int64                  `json:"rows"`
	Files int64                  `json:"files"`
	Bytes int64                  `json:"bytes"`
	Cols  map[string]ColumnStats `json:"cols,omitempty"`
	// Zones are the per-file zone maps of the table's (or partition's)
	// files, when ANALYZE or the crawler recorded them.
	Zones *ZoneMaps `json:"zones,omitempty"`
}

// ZoneMaps are per-file — and, for large text files read as several
// byte-range splits, per-block — value statistics of files whose format
// carries none of its own (CSV, JSON, regex, Avro; Parquet keeps them in
// its footers). ANALYZE TABLE and the crawler record them; scans skip
// the files and blocks whose values cannot satisfy a predicate. A
// file's entry is used only while the file's listed size and
// modification time equal the recorded ones: a changed or new file is
// read in full.
type ZoneMaps struct {
	// Columns names the columns described (data columns, in table
	// order); every Cols slice below follows this order.
	Columns []string   `json:"columns"`
	Files   []FileZone `json:"files"`
}

// FileZone is the zone map of one file.
type FileZone struct {
	// Path is the file as the table's file system lists it.
	Path    string       `json:"path"`
	Size    int64        `json:"size"`
	ModTime time.Time    `json:"mtime"`
	Rows    int64        `json:"rows"`
	Cols    []ColumnZone `json:"cols"`
	// Blocks, for a file read as byte-range splits, describe the records
	// starting in each range (see connectors.Split); they cover the file
	// in order. Nil for a file read whole.
	Blocks []BlockZone `json:"blocks,omitempty"`
}

// BlockZone is the zone map of the records that start in the byte range
// [Offset, Offset+Length) of a file.
type BlockZone struct {
	Offset int64        `json:"off"`
	Length int64        `json:"len"`
	Rows   int64        `json:"rows"`
	Cols   []ColumnZone `json:"cols"`
}

// ColumnZone is one column's bounds in a file or block. Min and Max are
// SQL literal text like ColumnStats' ("" when unknown: no non-null
// value, or a type without an order); Nulls counts the NULLs.
type ColumnZone struct {
	Min   string `json:"min,omitempty"`
	Max   string `json:"max,omitempty"`
	Nulls int64  `json:"nulls,omitempty"`
}

// Zone returns the zone map of the file at path (nil when none).
func (z *ZoneMaps) Zone(path string) *FileZone {
	if z == nil {
		return nil
	}
	for i := range z.Files {
		if z.Files[i].Path == path {
			return &z.Files[i]
		}
	}
	return nil
}

// ColumnStats are per-column statistics; Min and Max are rendered as SQL
// literal text ("" when unknown).
type ColumnStats struct {
	NullCount int64  `json:"null_count"`
	Distinct  int64  `json:"distinct"`
	Min       string `json:"min,omitempty"`
	Max       string `json:"max,omitempty"`
}

// Partition is one partition of a partitioned table.
type Partition struct {
	// Values holds one value per partition key, in key order, as text
	// (the form used in folder names: dt=2024-06-01 → "2024-06-01").
	// NULL partitions use HiveDefaultPartition.
	Values   []string `json:"values"`
	Location string   `json:"location"`
	// Format, SerDe and SerDeProps override the table's when set.
	Format     string            `json:"format,omitempty"`
	SerDe      string            `json:"serde,omitempty"`
	SerDeProps map[string]string `json:"serde_props,omitempty"`
	Created    time.Time         `json:"created"`
	Stats      *TableStats       `json:"stats,omitempty"`
}

// HiveDefaultPartition is the folder value Hive uses for NULL keys.
const HiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// PartitionFilter narrows a partition listing. Stores must call Match on
// the values of every candidate partition and return only those it
// accepts, decoding the rest of a partition only when it matches. Lo and
// Hi, when set, bound the first key's value (inclusive, compared as
// strings — valid for fixed-width forms such as yyyy-MM-dd); stores use
// them to seek instead of scanning. A nil filter lists everything.
type PartitionFilter struct {
	Match  func(values []string) bool
	Lo, Hi *string
}

// PartitionStore is implemented by stores that keep partitions.
type PartitionStore interface {
	// AddPartitions adds partitions atomically (all or none). An existing
	// partition is an ErrExists error unless ifNotExists, which skips it.
	AddPartitions(ctx context.Context, db, table string, parts []Partition, ifNotExists bool) error
	// DropPartitions drops partitions by values atomically. A missing one
	// is an ErrNotFound error unless ifExists.
	DropPartitions(ctx context.Context, db, table string, values [][]string, ifExists bool) error
	// ListPartitions lists partitions in key order.
	ListPartitions(ctx context.Context, db, table string, f *PartitionFilter) ([]Partition, error)
	// CountPartitions is the number of partitions of a table.
	CountPartitions(ctx context.Context, db, table string) (int, error)
	// UpdatePartitionStats replaces the statistics of one partition.
	UpdatePartitionStats(ctx context.Context, db, table string, values []string, st *TableStats) error
}

// ArrowSchema returns the table's columns as an Arrow schema.
func (t *Table) ArrowSchema() (*arrow.Schema, error) {
	all := append(append([]Column(nil), t.Columns...), t.PartitionKeys...)
	fields := make([]arrow.Field, len(all))
	for i, c := range all {
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
