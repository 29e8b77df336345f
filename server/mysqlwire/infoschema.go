package mysqlwire

// information_schema is implemented in the server layer: its tables are
// in-memory tables built from the tarn catalog (eng.Catalog()) when a
// query references them, and the query itself is planned and executed by
// tarn's own planner and executor, so the SQL that JDBC and ODBC
// drivers send (CASE, IF, LIKE, ORDER BY, joins) works unchanged.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/sqltypes"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable"
	"github.com/tarnsql/tarn/connectors/memtable"
	"github.com/tarnsql/tarn/engine"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner"
)

const infoSchemaDB = "information_schema"

// kindInfoSchema marks information_schema's tables.
const kindInfoSchema catalog.TableKind = "SYSTEM VIEW"

// mysqlType is how a tarn column type appears in MySQL metadata.
type mysqlType struct {
	dataType   string // DATA_TYPE
	columnType string // COLUMN_TYPE
	charLen    any    // CHARACTER_MAXIMUM_LENGTH
	octetLen   any    // CHARACTER_OCTET_LENGTH
	precision  any    // NUMERIC_PRECISION
	scale      any    // NUMERIC_SCALE
	dtPrec     any    // DATETIME_PRECISION
	charset    bool
}

func typeName(t arrow.DataType) string { return types.SQLName(t) }

// mysqlTypeOf maps a catalog column type (tarn's text) to MySQL metadata.
func mysqlTypeOf(typeText string) mysqlType {
	t, err := types.Parse(typeText)
	if err != nil {
		return mysqlType{dataType: "varchar", columnType: "varchar(65535)", charLen: int64(65535), octetLen: int64(262140), charset: true}
	}
	i := func(dt string, p int64) mysqlType {
		return mysqlType{dataType: dt, columnType: dt, precision: p, scale: int64(0)}
	}
	switch t.ID() {
	case arrow.BOOL:
		m := i("tinyint", 3)
		m.columnType = "tinyint(1)"
		return m
	case arrow.INT8:
		return i("tinyint", 3)
	case arrow.INT16:
		return i("smallint", 5)
	case arrow.INT32:
		return i("int", 10)
	case arrow.INT64:
		return i("bigint", 19)
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
		d := fracDigits(t.(*arrow.TimestampType).Unit)
		ct := "datetime"
		if d > 0 {
			ct = fmt.Sprintf("datetime(%d)", d)
		}
		return mysqlType{dataType: "datetime", columnType: ct, dtPrec: int64(d)}
	case arrow.BINARY, arrow.LARGE_BINARY:
		return mysqlType{dataType: "varbinary", columnType: "varbinary(65535)", charLen: int64(65535), octetLen: int64(65535)}
	}
	return mysqlType{dataType: "varchar", columnType: "varchar(65535)", charLen: int64(65535), octetLen: int64(262140), charset: true}
}

type isTable struct {
	name string
	cols []catalog.Column
	rows func(ctx context.Context, h *handler, cs *connState) ([][]any, error)
}

func vcol(n string) catalog.Column { return catalog.Column{Name: n, Type: "VARCHAR"} }
func bcol(n string) catalog.Column { return catalog.Column{Name: n, Type: "BIGINT"} }
func tcol(n string) catalog.Column { return catalog.Column{Name: n, Type: "TIMESTAMP"} }

func vcols(names ...string) []catalog.Column {
	out := make([]catalog.Column, len(names))
	for i, n := range names {
		out[i] = vcol(n)
	}
	return out
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// catalogTables returns every (database, table) pair the client may see,
// sorted.
func (h *handler) catalogTables(ctx context.Context) ([]catalog.Table, error) {
	dbs, err := h.databases(ctx)
	if err != nil {
		return nil, err
	}
	var out []catalog.Table
	for _, d := range dbs {
		ts, err := h.tables(ctx, d)
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			t.Database = d
			out = append(out, t)
		}
	}
	return out, nil
}

// infoSchema and infoSchemaByName are set in init: the row functions
// refer back to them through the catalog listing.
var (
	infoSchema       []*isTable
	infoSchemaByName map[string]*isTable
)

func init() {
	infoSchema = infoSchemaDefs()
	infoSchemaByName = map[string]*isTable{}
	for _, t := range infoSchema {
		infoSchemaByName[strings.ToLower(t.name)] = t
	}
}

func infoSchemaDefs() []*isTable {
	return []*isTable{
		{name: "SCHEMATA",
			cols: append(vcols("CATALOG_NAME", "SCHEMA_NAME", "DEFAULT_CHARACTER_SET_NAME", "DEFAULT_COLLATION_NAME", "SQL_PATH", "DEFAULT_ENCRYPTION"), vcol("SCHEMA_COMMENT")),
			rows: func(ctx context.Context, h *handler, cs *connState) ([][]any, error) {
				dbs, err := h.databases(ctx)
				if err != nil {
					return nil, err
				}
				var rows [][]any
				for _, d := range dbs {
					comment := ""
					if db, err := h.eng.Catalog().GetDatabase(ctx, d); err == nil {
						comment = db.Comment
					}
					rows = append(rows, []any{"def", d, "utf8mb4", "utf8mb4_0900_ai_ci", nil, "NO", comment})
				}
				return rows, nil
			}},
		{name: "TABLES",
			cols: []catalog.Column{vcol("TABLE_CATALOG"), vcol("TABLE_SCHEMA"), vcol("TABLE_NAME"), vcol("TABLE_TYPE"), vcol("ENGINE"), bcol("VERSION"),
				vcol("ROW_FORMAT"), bcol("TABLE_ROWS"), bcol("AVG_ROW_LENGTH"), bcol("DATA_LENGTH"), bcol("MAX_DATA_LENGTH"), bcol("INDEX_LENGTH"),
				bcol("DATA_FREE"), bcol("AUTO_INCREMENT"), tcol("CREATE_TIME"), tcol("UPDATE_TIME"), tcol("CHECK_TIME"), vcol("TABLE_COLLATION"),
				bcol("CHECKSUM"), vcol("CREATE_OPTIONS"), vcol("TABLE_COMMENT"), vcol("LOCATION"), vcol("FORMAT")},
			rows: func(ctx context.Context, h *handler, cs *connState) ([][]any, error) {
				ts, err := h.catalogTables(ctx)
				if err != nil {
					return nil, err
				}
				var rows [][]any
				for _, t := range ts {
					var nrows, bytes, avg any
					if t.Stats != nil && t.Stats.Rows >= 0 {
						nrows, bytes = t.Stats.Rows, t.Stats.Bytes
						if t.Stats.Rows > 0 {
							avg = t.Stats.Bytes / t.Stats.Rows
						}
					}
					var created any
					if !t.Created.IsZero() {
						created = t.Created.UnixMicro()
					}
					eng := orNil(engineName(t))
					var coll any = "utf8mb4_0900_ai_ci"
					if t.Kind == catalog.KindView {
						coll = nil
					}
					rows = append(rows, []any{"def", t.Database, t.Name, tableType(t), eng, int64(10), "Dynamic", nrows, avg, bytes,
						int64(0), int64(0), int64(0), nil, created, nil, nil, coll, nil, "", t.Comment, orNil(t.Location), orNil(t.Format)})
				}
				return rows, nil
			}},
		{name: "COLUMNS",
			cols: []catalog.Column{vcol("TABLE_CATALOG"), vcol("TABLE_SCHEMA"), vcol("TABLE_NAME"), vcol("COLUMN_NAME"), bcol("ORDINAL_POSITION"),
				vcol("COLUMN_DEFAULT"), vcol("IS_NULLABLE"), vcol("DATA_TYPE"), bcol("CHARACTER_MAXIMUM_LENGTH"), bcol("CHARACTER_OCTET_LENGTH"),
				bcol("NUMERIC_PRECISION"), bcol("NUMERIC_SCALE"), bcol("DATETIME_PRECISION"), vcol("CHARACTER_SET_NAME"), vcol("COLLATION_NAME"),
				vcol("COLUMN_TYPE"), vcol("COLUMN_KEY"), vcol("EXTRA"), vcol("PRIVILEGES"), vcol("COLUMN_COMMENT"), vcol("GENERATION_EXPRESSION"), bcol("SRS_ID")},
			rows: func(ctx context.Context, h *handler, cs *connState) ([][]any, error) {
				ts, err := h.catalogTables(ctx)
				if err != nil {
					return nil, err
				}
				var rows [][]any
				for _, t := range ts {
					for i, c := range t.Columns {
						m := mysqlTypeOf(c.Type)
						var cs, coll any
						if m.charset {
							cs, coll = "utf8mb4", "utf8mb4_0900_ai_ci"
						}
						rows = append(rows, []any{"def", t.Database, t.Name, c.Name, int64(i + 1), nil, "YES", m.dataType, m.charLen, m.octetLen,
							m.precision, m.scale, m.dtPrec, cs, coll, m.columnType, "", "", "select", c.Comment, "", nil})
					}
				}
				return rows, nil
			}},
		{name: "VIEWS",
			cols: vcols("TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "VIEW_DEFINITION", "CHECK_OPTION", "IS_UPDATABLE", "DEFINER", "SECURITY_TYPE", "CHARACTER_SET_CLIENT", "COLLATION_CONNECTION"),
			rows: func(ctx context.Context, h *handler, cs *connState) ([][]any, error) {
				ts, err := h.catalogTables(ctx)
				if err != nil {
					return nil, err
				}
				var rows [][]any
				for _, t := range ts {
					if t.Kind == catalog.KindView {
						rows = append(rows, []any{"def", t.Database, t.Name, t.ViewSQL, "NONE", "NO", "root@%", "DEFINER", "utf8mb4", "utf8mb4_0900_ai_ci"})
					}
				}
				return rows, nil
			}},
		{name: "ENGINES", cols: vcols("ENGINE", "SUPPORT", "COMMENT", "TRANSACTIONS", "XA", "SAVEPOINTS"),
			rows: func(context.Context, *handler, *connState) ([][]any, error) {
				return [][]any{{"tarn", "DEFAULT", "Columnar scans over Parquet/CSV files in a data lake (read-only)", "NO", "NO", "NO"}}, nil
			}},
		{name: "CHARACTER_SETS", cols: append(vcols("CHARACTER_SET_NAME", "DEFAULT_COLLATE_NAME", "DESCRIPTION"), bcol("MAXLEN")),
			rows: func(context.Context, *handler, *connState) ([][]any, error) {
				var rows [][]any
				for _, c := range charsetRows {
					rows = append(rows, []any{c.name, c.coll, c.desc, c.maxlen})
				}
				return rows, nil
			}},
		{name: "COLLATIONS", cols: []catalog.Column{vcol("COLLATION_NAME"), vcol("CHARACTER_SET_NAME"), bcol("ID"), vcol("IS_DEFAULT"), vcol("IS_COMPILED"), bcol("SORTLEN"), vcol("PAD_ATTRIBUTE")},
			rows: func(context.Context, *handler, *connState) ([][]any, error) {
				var rows [][]any
				for _, c := range collationRows {
					rows = append(rows, []any{c.name, c.charset, c.id, c.dflt, "Yes", c.sortlen, c.pad})
				}
				return rows, nil
			}},
		{name: "PROCESSLIST", cols: []catalog.Column{bcol("ID"), vcol("USER"), vcol("HOST"), vcol("DB"), vcol("COMMAND"), bcol("TIME"), vcol("STATE"), vcol("INFO")},
			rows: func(_ context.Context, h *handler, cs *connState) ([][]any, error) {
				var rows [][]any
				for _, p := range h.processesFor(cs.c.User) {
					rows = append(rows, []any{int64(p.id), p.user, p.host, orNil(p.db), p.command, int64(p.time.Seconds()), p.state, orNil(p.info)})
				}
				return rows, nil
			}},
		// Empty tables tools query for keys, routines and privileges: tarn
		// has none of these.
		{name: "STATISTICS", cols: []catalog.Column{vcol("TABLE_CATALOG"), vcol("TABLE_SCHEMA"), vcol("TABLE_NAME"), bcol("NON_UNIQUE"), vcol("INDEX_SCHEMA"),
			vcol("INDEX_NAME"), bcol("SEQ_IN_INDEX"), vcol("COLUMN_NAME"), vcol("COLLATION"), bcol("CARDINALITY"), bcol("SUB_PART"), vcol("PACKED"),
			vcol("NULLABLE"), vcol("INDEX_TYPE"), vcol("COMMENT"), vcol("INDEX_COMMENT"), vcol("IS_VISIBLE"), vcol("EXPRESSION")}},
		{name: "KEY_COLUMN_USAGE", cols: []catalog.Column{vcol("CONSTRAINT_CATALOG"), vcol("CONSTRAINT_SCHEMA"), vcol("CONSTRAINT_NAME"), vcol("TABLE_CATALOG"),
			vcol("TABLE_SCHEMA"), vcol("TABLE_NAME"), vcol("COLUMN_NAME"), bcol("ORDINAL_POSITION"), bcol("POSITION_IN_UNIQUE_CONSTRAINT"),
			vcol("REFERENCED_TABLE_SCHEMA"), vcol("REFERENCED_TABLE_NAME"), vcol("REFERENCED_COLUMN_NAME")}},
		{name: "TABLE_CONSTRAINTS", cols: vcols("CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "TABLE_SCHEMA", "TABLE_NAME", "CONSTRAINT_TYPE", "ENFORCED")},
		{name: "REFERENTIAL_CONSTRAINTS", cols: vcols("CONSTRAINT_CATALOG", "CONSTRAINT_SCHEMA", "CONSTRAINT_NAME", "UNIQUE_CONSTRAINT_CATALOG",
			"UNIQUE_CONSTRAINT_SCHEMA", "UNIQUE_CONSTRAINT_NAME", "MATCH_OPTION", "UPDATE_RULE", "DELETE_RULE", "TABLE_NAME", "REFERENCED_TABLE_NAME")},
		{name: "ROUTINES", cols: vcols("SPECIFIC_NAME", "ROUTINE_CATALOG", "ROUTINE_SCHEMA", "ROUTINE_NAME", "ROUTINE_TYPE", "DATA_TYPE", "ROUTINE_BODY",
			"ROUTINE_DEFINITION", "EXTERNAL_NAME", "PARAMETER_STYLE", "IS_DETERMINISTIC", "SQL_DATA_ACCESS", "SECURITY_TYPE", "ROUTINE_COMMENT", "DEFINER")},
		{name: "PARAMETERS", cols: []catalog.Column{vcol("SPECIFIC_CATALOG"), vcol("SPECIFIC_SCHEMA"), vcol("SPECIFIC_NAME"), bcol("ORDINAL_POSITION"),
			vcol("PARAMETER_MODE"), vcol("PARAMETER_NAME"), vcol("DATA_TYPE"), bcol("CHARACTER_MAXIMUM_LENGTH"), bcol("NUMERIC_PRECISION"),
			bcol("NUMERIC_SCALE"), vcol("DTD_IDENTIFIER"), vcol("ROUTINE_TYPE")}},
		{name: "TRIGGERS", cols: vcols("TRIGGER_CATALOG", "TRIGGER_SCHEMA", "TRIGGER_NAME", "EVENT_MANIPULATION", "EVENT_OBJECT_SCHEMA", "EVENT_OBJECT_TABLE", "ACTION_STATEMENT", "ACTION_TIMING")},
		{name: "EVENTS", cols: vcols("EVENT_CATALOG", "EVENT_SCHEMA", "EVENT_NAME", "DEFINER", "EVENT_TYPE", "STATUS")},
		{name: "PARTITIONS", cols: []catalog.Column{vcol("TABLE_CATALOG"), vcol("TABLE_SCHEMA"), vcol("TABLE_NAME"), vcol("PARTITION_NAME"), bcol("TABLE_ROWS")}},
		{name: "USER_PRIVILEGES", cols: vcols("GRANTEE", "TABLE_CATALOG", "PRIVILEGE_TYPE", "IS_GRANTABLE"),
			rows: func(context.Context, *handler, *connState) ([][]any, error) {
				return [][]any{{"'root'@'%'", "def", "SELECT", "YES"}, {"'root'@'%'", "def", "PROCESS", "YES"}}, nil
			}},
		{name: "SCHEMA_PRIVILEGES", cols: vcols("GRANTEE", "TABLE_CATALOG", "TABLE_SCHEMA", "PRIVILEGE_TYPE", "IS_GRANTABLE")},
		{name: "TABLE_PRIVILEGES", cols: vcols("GRANTEE", "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "PRIVILEGE_TYPE", "IS_GRANTABLE")},
		{name: "COLUMN_PRIVILEGES", cols: vcols("GRANTEE", "TABLE_CATALOG", "TABLE_SCHEMA", "TABLE_NAME", "COLUMN_NAME", "PRIVILEGE_TYPE", "IS_GRANTABLE")},
	}
}

// infoSchemaTables lists information_schema's tables as catalog tables.
func infoSchemaTables() []catalog.Table {
	out := make([]catalog.Table, 0, len(infoSchema))
	for _, t := range infoSchema {
		out = append(out, catalog.Table{Database: infoSchemaDB, Name: t.name, Kind: kindInfoSchema, Columns: t.cols})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// usesInfoSchema reports whether a query reads information_schema.
func usesInfoSchema(cs *connState, stmt sqlparser.Statement) bool {
	found := false
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if tn, ok := n.(sqlparser.TableName); ok {
			q := tn.Qualifier.String()
			if strings.EqualFold(q, infoSchemaDB) || (q == "" && cs.infoDB && infoSchemaByName[strings.ToLower(tn.Name.String())] != nil) {
				found = true
				return false, nil
			}
		}
		return true, nil
	}, stmt)
	return found
}

// infoCatalog resolves names for queries over information_schema: its
// tables are built now from the catalog; other tables open as the engine
// opens them (files through their format, views by their SQL).
type infoCatalog struct {
	h     *handler
	cs    *connState
	mu    sync.Mutex
	cache map[string]cachedTable
}

type cachedTable struct {
	ct  *catalog.Table
	tbl connectors.Table
}

// Table implements planner.Catalog.
func (c *infoCatalog) Table(ctx context.Context, db, name string) (*catalog.Table, connectors.Table, error) {
	if db == "" {
		db = c.cs.db()
	}
	ldb, lname := strings.ToLower(db), strings.ToLower(name)
	key := ldb + "." + lname
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.cache[key]; ok {
		return t.ct, t.tbl, nil
	}
	var ct *catalog.Table
	var tbl connectors.Table
	switch ldb {
	case "":
		return nil, nil, &statusError{code: 1046, state: "3D000", msg: fmt.Sprintf("no database selected for table '%s'", name)}
	case infoSchemaDB:
		it := infoSchemaByName[lname]
		if it == nil {
			return nil, nil, fmt.Errorf("table 'information_schema.%s' doesn't exist: %w", name, catalog.ErrNotFound)
		}
		ct = &catalog.Table{Database: infoSchemaDB, Name: it.name, Kind: kindInfoSchema, Columns: it.cols}
		schema, err := ct.ArrowSchema()
		if err != nil {
			return nil, nil, err
		}
		var rows [][]any
		if it.rows != nil {
			if rows, err = it.rows(ctx, c.h, c.cs); err != nil {
				return nil, nil, err
			}
		}
		tbl = memtable.New(key, schema, rows)
	case engine.SystemDatabase:
		return nil, nil, &statusError{code: 1235, state: "42000", msg: "queries joining information_schema with system tables are not supported"}
	default:
		if err := c.h.eng.AuthorizeRead(ctx, connUser(c.cs), ldb, lname); err != nil {
			return nil, nil, err
		}
		t, err := c.h.eng.Catalog().GetTable(ctx, ldb, lname)
		if err != nil {
			if errors.Is(err, catalog.ErrNotFound) {
				return nil, nil, &statusError{code: 1146, state: "42S02", msg: fmt.Sprintf("Table '%s.%s' doesn't exist", ldb, lname)}
			}
			return nil, nil, err
		}
		ct = t
		if t.Kind != catalog.KindView {
			if tbl, err = filetable.New(t); err != nil {
				return nil, nil, fmt.Errorf("table %s.%s: %w", ldb, lname, err)
			}
		}
	}
	c.cache[key] = cachedTable{ct, tbl}
	return ct, tbl, nil
}

// runInfoSchema plans and runs a query over information_schema with
// tarn's planner and executor, streaming its result.
func (h *handler) runInfoSchema(ctx context.Context, cs *connState, sql string, stmt sqlparser.Statement, emit func(*sqltypes.Result) error) error {
	cat := &infoCatalog{h: h, cs: cs, cache: map[string]cachedTable{}}
	p, err := planner.PlanQuery(ctx, sql, stmt, cat, planner.Options{Database: cs.db()})
	if err != nil {
		return err
	}
	cfg := h.eng.Config()
	qc := exec.NewQueryCtx(cfg.Slices, cfg.BatchSize, exec.NewBudget(cfg.MemoryLimit), cfg.Allocator)
	st, err := exec.Run(ctx, qc, p.Root)
	if err != nil {
		return err
	}
	s := p.Root.Schema()
	fs := make([]arrow.Field, s.NumFields())
	for i := range fs {
		fs[i] = s.Field(i)
		if i < len(p.Columns) {
			fs[i].Name = p.Columns[i]
		}
	}
	serr := streamResult(ctx, arrow.NewSchema(fs, nil), st.Next, emit)
	cerr := st.Close()
	if serr != nil {
		return serr
	}
	return cerr
}
