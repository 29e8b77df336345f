package engine

// information_schema: MySQL 8's metadata tables (SCHEMATA, TABLES,
// COLUMNS, VIEWS, PARTITIONS here; the ones MySQL clients and JDBC/ODBC
// drivers also ask about, PROCESSLIST and the privilege tables in
// infoschema_mysql.go), built on the fly from the catalog as in-memory
// tables, with MySQL 8's upper-case column names so JDBC/ODBC metadata
// queries and BI tools work. Column names resolve case-insensitively, so
// table_schema and TABLE_SCHEMA both work. This is the only
// information_schema: embedded sessions and the MySQL-wire server both
// read it, and rows naming objects the session user holds no privilege
// on are left out (filterInfoRows).

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/memtable"
)

// InfoSchemaDatabase is the virtual database of MySQL-style metadata tables.
const InfoSchemaDatabase = "information_schema"

// KindSystemView marks information_schema's tables.
const KindSystemView catalog.TableKind = "SYSTEM VIEW"

const (
	defCharset   = "utf8mb4"
	defCollation = "utf8mb4_0900_ai_ci"
)

// infoTable is one information_schema table.
type infoTable struct {
	columns []catalog.Column
	// rows builds the table for one session (nil: always empty).
	rows func(ctx context.Context, s *Session) ([][]any, error)
}

func cols(spec ...string) []catalog.Column {
	out := make([]catalog.Column, 0, len(spec)/2)
	for i := 0; i < len(spec); i += 2 {
		out = append(out, catalog.Column{Name: spec[i], Type: spec[i+1]})
	}
	return out
}

const (
	tV = "VARCHAR"
	tB = "BIGINT"
	tT = "TIMESTAMP"
)

// infoSchemaTables is filled in init (its row functions list it).
var infoSchemaTables map[string]*infoTable

func init() { infoSchemaTables = infoSchemaDefs() }

func infoSchemaDefs() map[string]*infoTable {
	m := map[string]*infoTable{
		"schemata": {
			columns: cols("CATALOG_NAME", tV, "SCHEMA_NAME", tV, "DEFAULT_CHARACTER_SET_NAME", tV, "DEFAULT_COLLATION_NAME", tV,
				"SQL_PATH", tV, "DEFAULT_ENCRYPTION", tV, "SCHEMA_COMMENT", tV),
			rows: func(ctx context.Context, s *Session) ([][]any, error) {
				dbs, err := s.e.store.ListDatabases(ctx)
				if err != nil {
					return nil, err
				}
				comments := map[string]string{}
				for _, d := range dbs {
					comments[d.Name] = d.Comment
				}
				names, err := allDatabases(ctx, s.e)
				if err != nil {
					return nil, err
				}
				out := make([][]any, len(names))
				for i, n := range names {
					out[i] = []any{"def", n, defCharset, defCollation, nil, "NO", comments[n]}
				}
				return out, nil
			},
		},
		"tables": {
			columns: cols("TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "TABLE_NAME", tV, "TABLE_TYPE", tV, "ENGINE", tV, "VERSION", tB,
				"ROW_FORMAT", tV, "TABLE_ROWS", tB, "AVG_ROW_LENGTH", tB, "DATA_LENGTH", tB, "MAX_DATA_LENGTH", tB, "INDEX_LENGTH", tB,
				"DATA_FREE", tB, "AUTO_INCREMENT", tB, "CREATE_TIME", tT, "UPDATE_TIME", tT, "CHECK_TIME", tT, "TABLE_COLLATION", tV,
				"CHECKSUM", tB, "CREATE_OPTIONS", tV, "TABLE_COMMENT", tV, "LOCATION", tV, "FORMAT", tV),
			rows: func(ctx context.Context, s *Session) ([][]any, error) {
				ts, err := allTables(ctx, s.e)
				if err != nil {
					return nil, err
				}
				out := make([][]any, len(ts))
				for i, t := range ts {
					var engine, collation, rowFormat, created, rows, avg, data, opts any
					ttype := "BASE TABLE"
					switch t.Kind {
					case catalog.KindView:
						ttype = "VIEW"
					case KindSystem, KindSystemView:
						ttype = "SYSTEM VIEW"
						engine, collation = "MEMORY", defCollation
					default:
						engine, collation, rowFormat = engineName(t), defCollation, "Dynamic"
						if t.Stats != nil && t.Stats.Rows >= 0 {
							rows, data = t.Stats.Rows, t.Stats.Bytes
							if t.Stats.Rows > 0 {
								avg = t.Stats.Bytes / t.Stats.Rows
							}
						}
						if len(t.PartitionKeys) > 0 {
							opts = "partitioned"
						} else {
							opts = ""
						}
					}
					if !t.Created.IsZero() {
						created = t.Created.UnixMicro()
					}
					out[i] = []any{"def", t.Database, t.Name, ttype, engine, int64(t.Version), rowFormat, rows, avg, data, nil, nil,
						nil, nil, created, nil, nil, collation, nil, opts, t.Comment, nullIfEmpty(t.Location), nullIfEmpty(t.Format)}
				}
				return out, nil
			},
		},
		"columns": {
			columns: cols("TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "TABLE_NAME", tV, "COLUMN_NAME", tV, "ORDINAL_POSITION", tB,
				"COLUMN_DEFAULT", tV, "IS_NULLABLE", tV, "DATA_TYPE", tV, "CHARACTER_MAXIMUM_LENGTH", tB, "CHARACTER_OCTET_LENGTH", tB,
				"NUMERIC_PRECISION", tB, "NUMERIC_SCALE", tB, "DATETIME_PRECISION", tB, "CHARACTER_SET_NAME", tV, "COLLATION_NAME", tV,
				"COLUMN_TYPE", tV, "COLUMN_KEY", tV, "EXTRA", tV, "PRIVILEGES", tV, "COLUMN_COMMENT", tV, "GENERATION_EXPRESSION", tV,
				"SRS_ID", tB),
			rows: func(ctx context.Context, s *Session) ([][]any, error) {
				ts, err := allTables(ctx, s.e)
				if err != nil {
					return nil, err
				}
				var out [][]any
				for _, t := range ts {
					all := append(append([]catalog.Column(nil), t.Columns...), t.PartitionKeys...)
					for i, c := range all {
						m := mysqlTypeOf(c.Type)
						var cs, coll any
						if m.charset {
							cs, coll = defCharset, defCollation
						}
						extra := ""
						if i >= len(t.Columns) {
							extra = "partition key"
						}
						out = append(out, []any{"def", t.Database, t.Name, c.Name, int64(i + 1), nil, "YES", m.dataType, m.charLen, m.octetLen,
							m.precision, m.scale, m.dtPrec, cs, coll, m.columnType, "", extra, "select", c.Comment, "", nil})
					}
				}
				return out, nil
			},
		},
		"views": {
			columns: cols("TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "TABLE_NAME", tV, "VIEW_DEFINITION", tV, "CHECK_OPTION", tV,
				"IS_UPDATABLE", tV, "DEFINER", tV, "SECURITY_TYPE", tV, "CHARACTER_SET_CLIENT", tV, "COLLATION_CONNECTION", tV),
			rows: func(ctx context.Context, s *Session) ([][]any, error) {
				ts, err := allTables(ctx, s.e)
				if err != nil {
					return nil, err
				}
				var out [][]any
				for _, t := range ts {
					if t.Kind == catalog.KindView {
						definer, security := viewSecurity(&t)
						out = append(out, []any{"def", t.Database, t.Name, t.ViewSQL, "NONE", "NO", definer, security, defCharset, defCollation})
					}
				}
				return out, nil
			},
		},
		"partitions": {
			columns: cols("TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "TABLE_NAME", tV, "PARTITION_NAME", tV, "SUBPARTITION_NAME", tV,
				"PARTITION_ORDINAL_POSITION", tB, "SUBPARTITION_ORDINAL_POSITION", tB, "PARTITION_METHOD", tV, "SUBPARTITION_METHOD", tV,
				"PARTITION_EXPRESSION", tV, "SUBPARTITION_EXPRESSION", tV, "PARTITION_DESCRIPTION", tV, "TABLE_ROWS", tB,
				"AVG_ROW_LENGTH", tB, "DATA_LENGTH", tB, "MAX_DATA_LENGTH", tB, "INDEX_LENGTH", tB, "DATA_FREE", tB,
				"CREATE_TIME", tT, "UPDATE_TIME", tT, "CHECK_TIME", tT, "CHECKSUM", tB, "PARTITION_COMMENT", tV, "NODEGROUP", tV,
				"TABLESPACE_NAME", tV, "LOCATION", tV),
			rows: func(ctx context.Context, s *Session) ([][]any, error) {
				ts, err := allTables(ctx, s.e)
				if err != nil {
					return nil, err
				}
				ps, _ := any(s.e.store).(catalog.PartitionStore)
				var out [][]any
				for _, t := range ts {
					if t.Kind != catalog.KindExternal && t.Kind != catalog.KindManaged {
						continue
					}
					if len(t.PartitionKeys) == 0 || ps == nil {
						// MySQL lists an unpartitioned table as one row with
						// NULL partition columns.
						var rows, data any
						if t.Stats != nil && t.Stats.Rows >= 0 {
							rows, data = t.Stats.Rows, t.Stats.Bytes
						}
						out = append(out, []any{"def", t.Database, t.Name, nil, nil, nil, nil, nil, nil, nil, nil, nil, rows,
							nil, data, nil, nil, nil, nil, nil, nil, nil, "", nil, nil, nullIfEmpty(t.Location)})
						continue
					}
					parts, err := ps.ListPartitions(ctx, t.Database, t.Name, nil)
					if err != nil {
						return nil, fmt.Errorf("information_schema.partitions: table %s.%s: %w", t.Database, t.Name, err)
					}
					keys := make([]string, len(t.PartitionKeys))
					for i, k := range t.PartitionKeys {
						keys[i] = quoteIdent(k.Name)
					}
					expr := strings.Join(keys, ",")
					for i, p := range parts {
						vals := make([]string, len(p.Values))
						for j, v := range p.Values {
							vals[j] = quoteString(v)
						}
						var rows, avg, data, created any
						if p.Stats != nil && p.Stats.Rows >= 0 {
							rows, data = p.Stats.Rows, p.Stats.Bytes
							if p.Stats.Rows > 0 {
								avg = p.Stats.Bytes / p.Stats.Rows
							}
						}
						if !p.Created.IsZero() {
							created = p.Created.UnixMicro()
						}
						out = append(out, []any{"def", t.Database, t.Name, PartitionName(t.PartitionKeys, p.Values), nil, int64(i + 1), nil,
							"LIST COLUMNS", nil, expr, nil, "(" + strings.Join(vals, ",") + ")", rows, avg, data, nil, nil, nil,
							created, nil, nil, nil, "", "default", nil, p.Location})
					}
				}
				return out, nil
			},
		},
	}
	for name, t := range mysqlInfoSchemaDefs() {
		m[name] = t
	}
	return m
}

// allDatabases lists every database name, virtual ones included, sorted.
func allDatabases(ctx context.Context, e *Engine) ([]string, error) {
	dbs, err := e.store.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	names := []string{InfoSchemaDatabase, SystemDatabase}
	for _, d := range dbs {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return names, nil
}

// allTables lists every table and view, virtual ones included, ordered
// by database and name.
func allTables(ctx context.Context, e *Engine) ([]catalog.Table, error) {
	dbs, err := e.store.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	var out []catalog.Table
	for _, n := range sortedMapKeys(infoSchemaTables) {
		t, _ := infoSchemaCatalogTable(n)
		out = append(out, *t)
	}
	for _, n := range sortedMapKeys(systemTables) {
		t, _ := systemCatalogTable(n)
		out = append(out, *t)
	}
	for _, d := range dbs {
		ts, err := e.store.ListTables(ctx, d.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, ts...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Database != out[j].Database {
			return out[i].Database < out[j].Database
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func sortedMapKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// infoSchemaCatalogTable describes one information_schema table.
func infoSchemaCatalogTable(name string) (*catalog.Table, *infoTable) {
	it, ok := infoSchemaTables[name]
	if !ok {
		return nil, nil
	}
	return &catalog.Table{Database: InfoSchemaDatabase, Name: name, Kind: KindSystemView, Columns: it.columns}, it
}

// virtualTable resolves information_schema tables for queries; ok is
// false for other databases.
func (s *Session) virtualTable(ctx context.Context, db, name string) (ct *catalog.Table, tbl connectors.Table, ok bool, err error) {
	if db != InfoSchemaDatabase {
		return nil, nil, false, nil
	}
	ct, it := infoSchemaCatalogTable(name)
	if ct == nil {
		return nil, nil, true, newError(CodeNoTable, "42S02", catalog.ErrNotFound, "table 'information_schema.%s' doesn't exist", name)
	}
	schema, err := ct.ArrowSchema()
	if err != nil {
		return nil, nil, true, err
	}
	var rows [][]any
	if it.rows != nil {
		if rows, err = it.rows(ctx, s); err != nil {
			return nil, nil, true, err
		}
	}
	if rows, err = s.filterInfoRows(ctx, ct, rows); err != nil {
		return nil, nil, true, err
	}
	return ct, memtable.New(db+"."+name, schema, rows), true, nil
}

// mysqlType is how a tarn column type appears in MySQL metadata.
type mysqlType struct {
	dataType, columnType                        string
	charLen, octetLen, precision, scale, dtPrec any
	charset                                     bool
}

// mysqlTypeOf maps a catalog column type to MySQL 8 metadata.
func mysqlTypeOf(typeText string) mysqlType {
	str := mysqlType{dataType: "varchar", columnType: "varchar(65535)", charLen: int64(65535), octetLen: int64(262140), charset: true}
	t, err := types.Parse(typeText)
	if err != nil {
		return str
	}
	num := func(dt string, p int64) mysqlType {
		return mysqlType{dataType: dt, columnType: dt, precision: p, scale: int64(0)}
	}
	switch t.ID() {
	case arrow.BOOL:
		m := num("tinyint", 3)
		m.columnType = "tinyint(1)"
		return m
	case arrow.INT8:
		return num("tinyint", 3)
	case arrow.INT16:
		return num("smallint", 5)
	case arrow.INT32:
		return num("int", 10)
	case arrow.INT64:
		return num("bigint", 19)
	case arrow.UINT8:
		m := num("tinyint", 3)
		m.columnType = "tinyint unsigned"
		return m
	case arrow.UINT16:
		m := num("smallint", 5)
		m.columnType = "smallint unsigned"
		return m
	case arrow.UINT32:
		m := num("int", 10)
		m.columnType = "int unsigned"
		return m
	case arrow.UINT64:
		m := num("bigint", 20)
		m.columnType = "bigint unsigned"
		return m
	case arrow.FLOAT32:
		return mysqlType{dataType: "float", columnType: "float", precision: int64(12)}
	case arrow.FLOAT64:
		return mysqlType{dataType: "double", columnType: "double", precision: int64(22)}
	case arrow.DECIMAL32, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DECIMAL256:
		p, s, _ := types.DecimalParams(t)
		return mysqlType{dataType: "decimal", columnType: fmt.Sprintf("decimal(%d,%d)", p, s), precision: int64(p), scale: int64(s)}
	case arrow.DATE32, arrow.DATE64:
		return mysqlType{dataType: "date", columnType: "date"}
	case arrow.TIMESTAMP:
		d := int64(6)
		switch t.(*arrow.TimestampType).Unit {
		case arrow.Second:
			d = 0
		case arrow.Millisecond:
			d = 3
		}
		ct := "datetime"
		if d > 0 {
			ct = fmt.Sprintf("datetime(%d)", d)
		}
		return mysqlType{dataType: "datetime", columnType: ct, dtPrec: d}
	case arrow.BINARY, arrow.LARGE_BINARY:
		return mysqlType{dataType: "varbinary", columnType: "varbinary(65535)", charLen: int64(65535), octetLen: int64(65535)}
	case arrow.LIST, arrow.LARGE_LIST, arrow.MAP, arrow.STRUCT:
		// Nested values travel as MySQL JSON (as MySQL 8 describes a
		// JSON column: no length, no character set).
		return mysqlType{dataType: "json", columnType: "json"}
	}
	return str
}
