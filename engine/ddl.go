package engine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/filetable"
	"github.com/tarnsql/tarn/planner/ddl"
)

var strT = arrow.BinaryTypes.String

// runCatalog executes a parsed catalog statement.
func (s *Session) runCatalog(ctx context.Context, r *Result, st ddl.Statement) error {
	store := s.e.store
	switch st := st.(type) {
	case *ddl.Explain:
		return s.explain(ctx, r, st)

	case *ddl.Use:
		name := catalog.Normalize(st.Database)
		if name != SystemDatabase && name != InfoSchemaDatabase {
			if _, err := store.GetDatabase(ctx, name); err != nil {
				return catalogError(err, "database", name)
			}
		}
		s.db = name
		return nil

	case *ddl.CreateDatabase:
		name := catalog.Normalize(st.Name)
		if name == SystemDatabase || name == InfoSchemaDatabase {
			return newError(CodeDBExists, "HY000", catalog.ErrExists, "database '%s' is reserved for system tables", name)
		}
		loc := st.Location
		if loc == "" {
			loc = filepath.Join(s.e.cfg.DataDir, "warehouse", name)
		}
		return catalogError(store.CreateDatabase(ctx, catalog.Database{Name: name, Comment: st.Comment, Location: loc}, st.IfNotExists), "database", name)

	case *ddl.DropDatabase:
		name := catalog.Normalize(st.Name)
		if name == SystemDatabase || name == InfoSchemaDatabase {
			return newError(CodeOther, "HY000", nil, "database '%s' cannot be dropped", name)
		}
		if err := store.DropDatabase(ctx, name, st.IfExists, st.Cascade); err != nil {
			return catalogError(err, "database", name)
		}
		if s.db == name {
			s.db = ""
		}
		return nil

	case *ddl.CreateTable:
		return s.createTable(ctx, st)

	case *ddl.CreateView:
		return s.createView(ctx, st)

	case *ddl.DropTable:
		db, err := s.resolveDB(st.Table)
		if err != nil {
			return err
		}
		name := catalog.Normalize(st.Table.Name)
		what := "table"
		if st.View {
			what = "view"
		}
		if db == SystemDatabase || db == InfoSchemaDatabase {
			return newError(CodeOther, "HY000", nil, "system tables cannot be dropped")
		}
		t, err := store.GetTable(ctx, db, name)
		if err != nil {
			if st.IfExists && errors.Is(err, catalog.ErrNotFound) {
				return nil
			}
			if _, derr := store.GetDatabase(ctx, db); derr != nil {
				return catalogError(derr, "database", db)
			}
			return catalogError(err, what, db+"."+name)
		}
		if st.View && t.Kind != catalog.KindView {
			return newError(CodeWrongObject, "HY000", nil, "'%s.%s' is not a view (use DROP TABLE)", db, name)
		}
		if !st.View && t.Kind == catalog.KindView {
			return newError(CodeWrongObject, "HY000", nil, "'%s.%s' is a view (use DROP VIEW)", db, name)
		}
		// External tables: only the catalog entry goes; files are kept.
		return catalogError(store.DropTable(ctx, db, name, st.IfExists), what, db+"."+name)

	case *ddl.ShowDatabases:
		names, err := allDatabases(ctx, s.e)
		if err != nil {
			return err
		}
		var rows [][]any
		for _, n := range names {
			if !st.HasLike || likeMatch(st.Like, n) {
				rows = append(rows, []any{n})
			}
		}
		r.setStatic([]string{"Database"}, []arrow.DataType{strT}, rows)
		return nil

	case *ddl.ShowTables:
		db := catalog.Normalize(st.Database)
		if db == "" {
			db = s.db
		}
		if db == "" {
			return newError(CodeNoDatabase, "3D000", nil, "no database selected (USE a database or SHOW TABLES IN db)")
		}
		var names []string
		switch db {
		case SystemDatabase:
			names = sortedMapKeys(systemTables)
		case InfoSchemaDatabase:
			names = sortedMapKeys(infoSchemaTables)
		default:
			ts, err := store.ListTables(ctx, db)
			if err != nil {
				return catalogError(err, "database", db)
			}
			for _, t := range ts {
				names = append(names, t.Name)
			}
		}
		var rows [][]any
		for _, n := range names {
			if !st.HasLike || likeMatch(st.Like, n) {
				rows = append(rows, []any{n})
			}
		}
		r.setStatic([]string{"Tables_in_" + db}, []arrow.DataType{strT}, rows)
		return nil

	case *ddl.Describe:
		return s.describe(ctx, r, st)

	case *ddl.ShowCreateTable:
		t, err := s.lookupTable(ctx, st.Table)
		if err != nil {
			return err
		}
		r.setStatic([]string{"createtab_stmt"}, []arrow.DataType{strT}, [][]any{{ShowCreate(t)}})
		return nil
	}
	if ok, err := s.runPartitionDDL(ctx, r, st); ok {
		return err
	}
	if ok, err := s.runConnectionDDL(ctx, r, st); ok {
		return err
	}
	if c, ok := st.(*ddl.Crawl); ok {
		return s.crawl(ctx, r, c)
	}
	return newError(CodeNotSupported, "42000", nil, "statement %T is not supported", st)
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// resolveDB returns the (folded) database of a name, defaulting to the
// session database.
func (s *Session) resolveDB(n ddl.Name) (string, error) {
	db := catalog.Normalize(n.Database)
	if db == "" {
		db = s.db
	}
	if db == "" {
		return "", newError(CodeNoDatabase, "3D000", nil, "no database selected for '%s' (USE a database or qualify the name as db.%s)", n.Name, n.Name)
	}
	return db, nil
}

// lookupTable finds a table, view or system table for DESCRIBE/SHOW.
func (s *Session) lookupTable(ctx context.Context, n ddl.Name) (*catalog.Table, error) {
	db, err := s.resolveDB(n)
	if err != nil {
		return nil, err
	}
	name := catalog.Normalize(n.Name)
	if db == SystemDatabase {
		if t, _ := systemCatalogTable(name); t != nil {
			return t, nil
		}
		return nil, newError(CodeNoTable, "42S02", catalog.ErrNotFound, "table 'system.%s' doesn't exist", name)
	}
	if db == InfoSchemaDatabase {
		if t, _ := infoSchemaCatalogTable(name); t != nil {
			return t, nil
		}
		return nil, newError(CodeNoTable, "42S02", catalog.ErrNotFound, "table 'information_schema.%s' doesn't exist", name)
	}
	t, err := s.e.store.GetTable(ctx, db, name)
	if err != nil {
		if _, derr := s.e.store.GetDatabase(ctx, db); derr != nil {
			return nil, catalogError(derr, "database", db)
		}
		return nil, catalogError(err, "table", db+"."+name)
	}
	return t, nil
}

func (s *Session) createTable(ctx context.Context, st *ddl.CreateTable) error {
	db, err := s.resolveDB(st.Table)
	if err != nil {
		return err
	}
	name := catalog.Normalize(st.Table.Name)
	if db == SystemDatabase || db == InfoSchemaDatabase {
		return newError(CodeOther, "HY000", nil, "cannot create tables in the %s database", db)
	}
	if _, err := s.e.store.GetDatabase(ctx, db); err != nil {
		return catalogError(err, "database", db)
	}
	cols := make([]catalog.Column, len(st.Columns))
	for i, c := range st.Columns {
		if c.Complex {
			if err := checkNestedColumn(fmt.Sprintf("table %s.%s column %s at line %d, column %d", db, name, c.Name, c.Line, c.Col), c.Type); err != nil {
				return err
			}
		}
		cols[i] = catalog.Column{Name: c.Name, Type: c.Type, Comment: c.Comment}
	}
	var keys []catalog.Column
	for _, c := range st.Partitions {
		if c.Complex {
			return newError(CodeNotSupported, "0A000", nil, "table %s.%s partition key %s at line %d, column %d: type %s cannot be a partition key (partition keys must be scalar types)",
				db, name, c.Name, c.Line, c.Col, c.Type)
		}
		for _, dc := range st.Columns {
			if strings.EqualFold(dc.Name, c.Name) {
				return newError(CodeOther, "42S21", nil, "table %s.%s: partition key %s at line %d, column %d is also a data column (partition keys are not stored in the files; remove it from the column list)",
					db, name, c.Name, c.Line, c.Col)
			}
		}
		keys = append(keys, catalog.Column{Name: c.Name, Type: c.Type, Comment: c.Comment})
	}
	format, opts, err := tableFormat(st)
	if err != nil {
		return err
	}
	var loc string
	if len(keys) > 0 && strings.EqualFold(st.Props["projection.enabled"], "true") {
		// Projected partitions are computed, their folders may not exist yet.
		loc, err = absLocation(st.Location)
	} else {
		loc, err = checkLocation(st.Location)
	}
	if err != nil {
		return newError(CodeOther, "HY000", err, "table %s.%s: %v", db, name, err)
	}
	t := catalog.Table{
		Database: db, Name: name, Kind: catalog.KindExternal, Columns: cols, PartitionKeys: keys, Location: loc, Format: format,
		Props: st.Props, Comment: st.Comment,
	}
	if st.RowFormat != nil && st.RowFormat.SerDe != "" {
		t.SerDe = st.RowFormat.SerDe
	}
	t.SerDeProps = opts
	fopts := map[string]string{}
	maps.Copy(fopts, opts)
	if _, err := filetable.FormatFor(format, fopts); err != nil {
		return newError(CodeNotSupported, "0A000", err, "table %s.%s: storage format %s is not supported yet (%v)", db, name, strings.ToUpper(format), err)
	}
	// Let the connector validate the combination (scheme, format, options).
	if _, err := openTable(&t); err != nil {
		return err
	}
	return catalogError(s.e.store.CreateTable(ctx, t, st.IfNotExists), "table", db+"."+name)
}

// checkLocation verifies that a local LOCATION exists and makes it
// absolute; other schemes are left to the connector.
func checkLocation(loc string) (string, error) {
	if i := strings.Index(loc, "://"); i > 0 && !strings.HasPrefix(loc, "file://") {
		return loc, nil
	}
	p := strings.TrimPrefix(loc, "file://")
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("location '%s': %v", loc, err)
	}
	if _, err := os.Stat(abs); err != nil {
		if os.IsNotExist(err) {
			return "", fmt.Errorf("location '%s' does not exist", loc)
		}
		return "", fmt.Errorf("location '%s': %v", loc, err)
	}
	return abs, nil
}

func (s *Session) createView(ctx context.Context, st *ddl.CreateView) error {
	db, err := s.resolveDB(st.View)
	if err != nil {
		return err
	}
	name := catalog.Normalize(st.View.Name)
	if db == SystemDatabase || db == InfoSchemaDatabase {
		return newError(CodeOther, "HY000", nil, "cannot create views in the %s database", db)
	}
	if _, err := s.e.store.GetDatabase(ctx, db); err != nil {
		return catalogError(err, "database", db)
	}
	// Plan the query in the view's database to validate it and learn
	// its columns.
	vs := &Session{e: s.e, user: s.user, db: db}
	p, err := vs.plan(ctx, st.Query)
	if err != nil {
		return err
	}
	sql := st.Query
	names := p.Columns
	if len(st.Columns) > 0 {
		if len(st.Columns) != len(p.Columns) {
			return newError(CodeOther, "HY000", nil, "view %s.%s: %d column names given but the query returns %d columns", db, name, len(st.Columns), len(p.Columns))
		}
		sel := make([]string, len(st.Columns))
		for i, c := range st.Columns {
			sel[i] = quoteIdent(p.Columns[i]) + " AS " + quoteIdent(c)
		}
		sql = "SELECT " + strings.Join(sel, ", ") + " FROM (" + st.Query + ") AS _v"
		names = st.Columns
	}
	schema := p.Root.Schema()
	cols := make([]catalog.Column, len(names))
	for i, n := range names {
		cols[i] = catalog.Column{Name: n, Type: types.SQLName(schema.Field(i).Type)}
	}
	v := catalog.Table{Database: db, Name: name, Kind: catalog.KindView, Columns: cols, ViewSQL: sql, Props: s.viewProps()}
	if st.OrReplace {
		old, err := s.e.store.GetTable(ctx, db, name)
		if err == nil {
			if old.Kind != catalog.KindView {
				return newError(CodeWrongObject, "HY000", nil, "'%s.%s' is not a view", db, name)
			}
			return catalogError(s.e.store.ReplaceTable(ctx, v), "view", db+"."+name)
		}
	}
	return catalogError(s.e.store.CreateTable(ctx, v, st.IfNotExists), "view", db+"."+name)
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\t", `\t`, "\r", `\r`, "\x01", `\001`)
	return "'" + r.Replace(s) + "'"
}

// likeMatch matches s against a SHOW ... LIKE pattern, case-insensitively:
// SQL wildcards % and _ (with \ escaping), or Hive's * and | when the
// pattern uses them and no %.
func likeMatch(pattern, s string) bool {
	if strings.ContainsAny(pattern, "*|") && !strings.Contains(pattern, "%") {
		for _, alt := range strings.Split(pattern, "|") {
			if likeMatch(strings.ReplaceAll(strings.TrimSpace(alt), "*", "%"), s) {
				return true
			}
		}
		return false
	}
	p, t := []rune(strings.ToLower(pattern)), []rune(strings.ToLower(s))
	// Iterative matcher with backtracking on the last %.
	pi, ti, star, mark := 0, 0, -1, 0
	for ti < len(t) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '%':
				star, mark = pi, ti
				pi++
				continue
			case c == '\\' && pi+1 < len(p):
				if p[pi+1] == t[ti] {
					pi += 2
					ti++
					continue
				}
			case c == '_' || c == t[ti]:
				pi++
				ti++
				continue
			}
		}
		if star < 0 {
			return false
		}
		pi = star + 1
		mark++
		ti = mark
	}
	for pi < len(p) && p[pi] == '%' {
		pi++
	}
	return pi == len(p)
}
