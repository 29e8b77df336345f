package engine

// information_schema tables that MySQL clients, JDBC/ODBC drivers and BI
// tools query besides the catalog's own (infoschema.go): ENGINES,
// CHARACTER_SETS, COLLATIONS, PROCESSLIST (fed by the front ends that
// hold client connections, see AddProcessLister), the privilege tables
// (built from the grants) and the empty tables of keys, constraints and
// routines, which tarn does not have.

import (
	"context"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tarnsql/tarn/catalog"
)

// Process is one client connection as information_schema.PROCESSLIST and
// SHOW PROCESSLIST show it.
type Process struct {
	ID      int64
	User    string
	Host    string
	DB      string // "" = none
	Command string // Sleep, Query, Connect, ...
	Time    time.Duration
	State   string
	Info    string // the running statement ("" = none)
}

// ProcessLister lists the client connections of one front end (the
// MySQL-wire server registers one).
type ProcessLister func() []Process

// processListers holds each engine's registered listers. It lives beside
// the Engine rather than in it so that the front end, not the engine,
// decides what a connection is.
var processListers sync.Map // *Engine -> *listerSet

type listerSet struct {
	mu   sync.Mutex
	next int
	fs   map[int]ProcessLister
}

// AddProcessLister registers a source of PROCESSLIST rows for e; call
// the returned function to remove it (when the front end stops).
func (e *Engine) AddProcessLister(f ProcessLister) (remove func()) {
	v, _ := processListers.LoadOrStore(e, &listerSet{fs: map[int]ProcessLister{}})
	ls := v.(*listerSet)
	ls.mu.Lock()
	id := ls.next
	ls.next++
	ls.fs[id] = f
	ls.mu.Unlock()
	return func() {
		ls.mu.Lock()
		delete(ls.fs, id)
		ls.mu.Unlock()
	}
}

// Processes lists the client connections viewer may see (its own, or
// every one for a superuser), ordered by id.
func (e *Engine) Processes(viewer string) []Process {
	v, ok := processListers.Load(e)
	if !ok {
		return nil
	}
	ls := v.(*listerSet)
	ls.mu.Lock()
	fs := make([]ProcessLister, 0, len(ls.fs))
	for _, f := range ls.fs {
		fs = append(fs, f)
	}
	ls.mu.Unlock()
	var out []Process
	for _, f := range fs {
		for _, p := range f() {
			if viewer == "" || e.IsVisibleProcess(viewer, p.User) {
				out = append(out, p)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Collation is a row of information_schema.COLLATIONS / SHOW COLLATION.
type Collation struct {
	Name, Charset string
	ID            int64
	Default       string // "Yes" or ""
	SortLen       int64
	Pad           string
}

// Collations are the collations MySQL clients ask about.
var Collations = []Collation{
	{"binary", "binary", 63, "Yes", 1, "NO PAD"},
	{"latin1_swedish_ci", "latin1", 8, "Yes", 1, "PAD SPACE"},
	{"utf8mb3_general_ci", "utf8mb3", 33, "Yes", 1, "PAD SPACE"},
	{"utf8mb4_0900_ai_ci", "utf8mb4", 255, "Yes", 0, "NO PAD"},
	{"utf8mb4_bin", "utf8mb4", 46, "", 1, "PAD SPACE"},
	{"utf8mb4_general_ci", "utf8mb4", 45, "", 1, "PAD SPACE"},
	{"utf8mb4_unicode_ci", "utf8mb4", 224, "", 8, "PAD SPACE"},
}

// CharacterSet is a row of information_schema.CHARACTER_SETS / SHOW
// CHARACTER SET.
type CharacterSet struct {
	Name, Description, DefaultCollation string
	MaxLen                              int64
}

// CharacterSets are the character sets MySQL clients ask about.
var CharacterSets = []CharacterSet{
	{"ascii", "US ASCII", "ascii_general_ci", 1},
	{"binary", "Binary pseudo charset", "binary", 1},
	{"latin1", "cp1252 West European", "latin1_swedish_ci", 1},
	{"utf8mb3", "UTF-8 Unicode", "utf8mb3_general_ci", 3},
	{"utf8mb4", "UTF-8 Unicode", "utf8mb4_0900_ai_ci", 4},
}

// StorageEngine is tarn's one row of information_schema.ENGINES / SHOW
// ENGINES: name, support, comment, transactions, XA, savepoints.
var StorageEngine = [6]string{"tarn", "DEFAULT", "Columnar scans over Parquet/CSV files in a data lake (read-only)", "NO", "NO", "NO"}

// MySQLColumn is how a tarn column type appears in MySQL metadata
// (information_schema.COLUMNS, SHOW COLUMNS).
type MySQLColumn struct {
	DataType, ColumnType string
	// Charset is true for character types (they report utf8mb4).
	Charset bool
}

// MySQLColumnOf maps a catalog column type to MySQL 8 metadata.
func MySQLColumnOf(typeText string) MySQLColumn {
	m := mysqlTypeOf(typeText)
	return MySQLColumn{DataType: m.dataType, ColumnType: m.columnType, Charset: m.charset}
}

// InfoSchemaTables describes information_schema's tables, ordered by name
// (SHOW TABLES, SHOW COLUMNS and DESCRIBE of a front end).
func InfoSchemaTables() []catalog.Table {
	var out []catalog.Table
	for _, n := range sortedMapKeys(infoSchemaTables) {
		t, _ := infoSchemaCatalogTable(n)
		out = append(out, *t)
	}
	return out
}

// engineName is the ENGINE of a table in MySQL metadata.
func engineName(t catalog.Table) string {
	if t.Format != "" {
		return strings.ToUpper(t.Format)
	}
	return "tarn"
}

// EngineName is the ENGINE of a table in MySQL metadata ("" for a view).
func EngineName(t catalog.Table) string {
	if t.Kind == catalog.KindView {
		return ""
	}
	if t.Kind == KindSystem || t.Kind == KindSystemView {
		return "MEMORY"
	}
	return engineName(t)
}

// TableType is the TABLE_TYPE of a table in MySQL metadata.
func TableType(t catalog.Table) string {
	switch t.Kind {
	case catalog.KindView:
		return "VIEW"
	case KindSystem, KindSystemView:
		return "SYSTEM VIEW"
	}
	return "BASE TABLE"
}

// grantee is a MySQL account name: 'user'@'host'.
func grantee(user, host string) string {
	if host == "" {
		host = "%"
	}
	return "'" + strings.ReplaceAll(user, "'", "''") + "'@'" + strings.ReplaceAll(host, "'", "''") + "'"
}

// grantRow is one privilege held by a user on a scope (directly or
// through a group).
type grantRow struct {
	user, host, db, table, priv string
}

// privilegeRows lists the privileges the session user may see: every
// user's for a superuser, its own otherwise (as MySQL shows them). root's
// are global and implicit.
func privilegeRows(ctx context.Context, s *Session) ([]grantRow, error) {
	p, err := s.e.principal(ctx, s.user)
	if err != nil {
		return nil, err
	}
	// ALL expands to its privileges, as MySQL lists it.
	var all []string
	for _, b := range []catalog.Privileges{catalog.PrivSelect, catalog.PrivInsert, catalog.PrivCreate, catalog.PrivDrop, catalog.PrivAlter} {
		all = append(all, b.Names()...)
	}
	var out []grantRow
	if p.super {
		for _, n := range append(all, "PROCESS") {
			out = append(out, grantRow{RootUser, "%", catalog.Wildcard, catalog.Wildcard, n})
		}
	}
	a, err := s.e.accounts(ctx)
	if err != nil {
		return nil, err
	}
	for _, u := range a.Users {
		if !p.super && u.Name != s.user {
			continue
		}
		groups := a.GroupsOf(u.Name)
		for _, g := range a.Grants {
			if g.Group && !containsString(groups, g.Grantee) || !g.Group && g.Grantee != u.Name {
				continue
			}
			names := g.Privs.Names()
			if len(names) == 1 && names[0] == "ALL PRIVILEGES" {
				names = all
			}
			for _, n := range names {
				out = append(out, grantRow{u.Name, u.Host, g.Database, g.Table, n})
			}
		}
	}
	return out, nil
}

func mysqlInfoSchemaDefs() map[string]*infoTable {
	privRows := func(keep func(g grantRow) bool, row func(g grantRow) []any) func(ctx context.Context, s *Session) ([][]any, error) {
		return func(ctx context.Context, s *Session) ([][]any, error) {
			gs, err := privilegeRows(ctx, s)
			if err != nil {
				return nil, err
			}
			seen := map[string]bool{}
			var out [][]any
			for _, g := range gs {
				if !keep(g) {
					continue
				}
				k := strings.Join([]string{g.user, g.host, g.db, g.table, g.priv}, "\x00")
				if seen[k] {
					continue
				}
				seen[k] = true
				out = append(out, row(g))
			}
			return out, nil
		}
	}
	return map[string]*infoTable{
		"engines": {
			columns: cols("ENGINE", tV, "SUPPORT", tV, "COMMENT", tV, "TRANSACTIONS", tV, "XA", tV, "SAVEPOINTS", tV),
			rows: func(context.Context, *Session) ([][]any, error) {
				r := make([]any, len(StorageEngine))
				for i, v := range StorageEngine {
					r[i] = v
				}
				return [][]any{r}, nil
			},
		},
		"character_sets": {
			columns: cols("CHARACTER_SET_NAME", tV, "DEFAULT_COLLATE_NAME", tV, "DESCRIPTION", tV, "MAXLEN", tB),
			rows: func(context.Context, *Session) ([][]any, error) {
				out := make([][]any, len(CharacterSets))
				for i, c := range CharacterSets {
					out[i] = []any{c.Name, c.DefaultCollation, c.Description, c.MaxLen}
				}
				return out, nil
			},
		},
		"collations": {
			columns: cols("COLLATION_NAME", tV, "CHARACTER_SET_NAME", tV, "ID", tB, "IS_DEFAULT", tV, "IS_COMPILED", tV, "SORTLEN", tB, "PAD_ATTRIBUTE", tV),
			rows: func(context.Context, *Session) ([][]any, error) {
				out := make([][]any, len(Collations))
				for i, c := range Collations {
					out[i] = []any{c.Name, c.Charset, c.ID, c.Default, "Yes", c.SortLen, c.Pad}
				}
				return out, nil
			},
		},
		"processlist": {
			columns: cols("ID", tB, "USER", tV, "HOST", tV, "DB", tV, "COMMAND", tV, "TIME", tB, "STATE", tV, "INFO", tV),
			rows: func(_ context.Context, s *Session) ([][]any, error) {
				ps := s.e.Processes(s.user)
				out := make([][]any, len(ps))
				for i, p := range ps {
					out[i] = []any{p.ID, p.User, p.Host, nullIfEmpty(p.DB), p.Command, int64(p.Time.Seconds()), p.State, nullIfEmpty(p.Info)}
				}
				return out, nil
			},
		},
		"user_privileges": {
			columns: cols("GRANTEE", tV, "TABLE_CATALOG", tV, "PRIVILEGE_TYPE", tV, "IS_GRANTABLE", tV),
			rows: privRows(func(g grantRow) bool { return g.db == catalog.Wildcard },
				func(g grantRow) []any { return []any{grantee(g.user, g.host), "def", g.priv, grantable(g)} }),
		},
		"schema_privileges": {
			columns: cols("GRANTEE", tV, "TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "PRIVILEGE_TYPE", tV, "IS_GRANTABLE", tV),
			rows: privRows(func(g grantRow) bool { return g.db != catalog.Wildcard && g.table == catalog.Wildcard },
				func(g grantRow) []any { return []any{grantee(g.user, g.host), "def", g.db, g.priv, "NO"} }),
		},
		"table_privileges": {
			columns: cols("GRANTEE", tV, "TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "TABLE_NAME", tV, "PRIVILEGE_TYPE", tV, "IS_GRANTABLE", tV),
			rows: privRows(func(g grantRow) bool { return g.db != catalog.Wildcard && g.table != catalog.Wildcard },
				func(g grantRow) []any { return []any{grantee(g.user, g.host), "def", g.db, g.table, g.priv, "NO"} }),
		},
		"column_privileges": {columns: cols("GRANTEE", tV, "TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "TABLE_NAME", tV, "COLUMN_NAME", tV,
			"PRIVILEGE_TYPE", tV, "IS_GRANTABLE", tV)},
		// tarn has no indexes, keys, constraints, routines, triggers or
		// events: the tables exist (tools query them) and are empty.
		"statistics": {columns: cols("TABLE_CATALOG", tV, "TABLE_SCHEMA", tV, "TABLE_NAME", tV, "NON_UNIQUE", tB, "INDEX_SCHEMA", tV,
			"INDEX_NAME", tV, "SEQ_IN_INDEX", tB, "COLUMN_NAME", tV, "COLLATION", tV, "CARDINALITY", tB, "SUB_PART", tB, "PACKED", tV,
			"NULLABLE", tV, "INDEX_TYPE", tV, "COMMENT", tV, "INDEX_COMMENT", tV, "IS_VISIBLE", tV, "EXPRESSION", tV)},
		"key_column_usage": {columns: cols("CONSTRAINT_CATALOG", tV, "CONSTRAINT_SCHEMA", tV, "CONSTRAINT_NAME", tV, "TABLE_CATALOG", tV,
			"TABLE_SCHEMA", tV, "TABLE_NAME", tV, "COLUMN_NAME", tV, "ORDINAL_POSITION", tB, "POSITION_IN_UNIQUE_CONSTRAINT", tB,
			"REFERENCED_TABLE_SCHEMA", tV, "REFERENCED_TABLE_NAME", tV, "REFERENCED_COLUMN_NAME", tV)},
		"table_constraints": {columns: cols("CONSTRAINT_CATALOG", tV, "CONSTRAINT_SCHEMA", tV, "CONSTRAINT_NAME", tV, "TABLE_SCHEMA", tV,
			"TABLE_NAME", tV, "CONSTRAINT_TYPE", tV, "ENFORCED", tV)},
		"referential_constraints": {columns: cols("CONSTRAINT_CATALOG", tV, "CONSTRAINT_SCHEMA", tV, "CONSTRAINT_NAME", tV,
			"UNIQUE_CONSTRAINT_CATALOG", tV, "UNIQUE_CONSTRAINT_SCHEMA", tV, "UNIQUE_CONSTRAINT_NAME", tV, "MATCH_OPTION", tV,
			"UPDATE_RULE", tV, "DELETE_RULE", tV, "TABLE_NAME", tV, "REFERENCED_TABLE_NAME", tV)},
		"routines": {columns: cols("SPECIFIC_NAME", tV, "ROUTINE_CATALOG", tV, "ROUTINE_SCHEMA", tV, "ROUTINE_NAME", tV, "ROUTINE_TYPE", tV,
			"DATA_TYPE", tV, "ROUTINE_BODY", tV, "ROUTINE_DEFINITION", tV, "EXTERNAL_NAME", tV, "PARAMETER_STYLE", tV,
			"IS_DETERMINISTIC", tV, "SQL_DATA_ACCESS", tV, "SECURITY_TYPE", tV, "ROUTINE_COMMENT", tV, "DEFINER", tV)},
		"parameters": {columns: cols("SPECIFIC_CATALOG", tV, "SPECIFIC_SCHEMA", tV, "SPECIFIC_NAME", tV, "ORDINAL_POSITION", tB,
			"PARAMETER_MODE", tV, "PARAMETER_NAME", tV, "DATA_TYPE", tV, "CHARACTER_MAXIMUM_LENGTH", tB, "NUMERIC_PRECISION", tB,
			"NUMERIC_SCALE", tB, "DTD_IDENTIFIER", tV, "ROUTINE_TYPE", tV)},
		"triggers": {columns: cols("TRIGGER_CATALOG", tV, "TRIGGER_SCHEMA", tV, "TRIGGER_NAME", tV, "EVENT_MANIPULATION", tV,
			"EVENT_OBJECT_SCHEMA", tV, "EVENT_OBJECT_TABLE", tV, "ACTION_STATEMENT", tV, "ACTION_TIMING", tV)},
		"events": {columns: cols("EVENT_CATALOG", tV, "EVENT_SCHEMA", tV, "EVENT_NAME", tV, "DEFINER", tV, "EVENT_TYPE", tV, "STATUS", tV)},
	}
}

// grantable: root's global privileges are grantable (it manages
// accounts), a stored user's only through ALL on *.* (a superuser).
func grantable(g grantRow) string {
	if g.user == RootUser {
		return "YES"
	}
	return "NO"
}
