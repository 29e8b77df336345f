package mysqlwire

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"vitess.io/vitess/go/mysql/sqlerror"
	"vitess.io/vitess/go/sqltypes"
	querypb "vitess.io/vitess/go/vt/proto/query"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/engine"
)

// mysqlVersion is the MySQL version tarn speaks (clients pick features by
// it); the advertised server version adds "-tarn".
const (
	mysqlVersion   = "8.0.40"
	serverVersion  = mysqlVersion + "-tarn"
	versionComment = "tarn SQL engine over a data lake (MySQL protocol)"
)

// sqlValue is a session variable or static result value.
type sqlValue struct {
	null  bool
	isInt bool
	s     string
}

func str(s string) sqlValue { return sqlValue{s: s} }
func num(n int64) sqlValue  { return sqlValue{isInt: true, s: strconv.FormatInt(n, 10)} }

var nullValue = sqlValue{null: true}

func (v sqlValue) literal() sqlparser.Expr {
	switch {
	case v.null:
		return &sqlparser.NullVal{}
	case v.isInt:
		return sqlparser.NewIntLiteral(v.s)
	}
	return sqlparser.NewStrLiteral(v.s)
}

// globalVars are the server's system variables, as MySQL 8 names them.
func (h *handler) globalVars() map[string]sqlValue {
	host, _ := os.Hostname()
	port := int64(0)
	if h.srv != nil && h.srv.Addr() != nil {
		if _, p, err := splitHostPort(h.srv.Addr().String()); err == nil {
			port = p
		}
	}
	dataDir := h.eng.Config().DataDir
	ssl := "DISABLED"
	if h.srv != nil && h.srv.cfg.TLSConfig != nil {
		ssl = "YES"
	}
	secure := "OFF"
	if h.srv != nil && h.srv.cfg.RequireSecureTransport {
		secure = "ON"
	}
	return map[string]sqlValue{
		"auto_increment_increment": num(1),
		"auto_increment_offset":    num(1),
		"autocommit":               num(1),
		"character_set_client":     str("utf8mb4"),
		"character_set_connection": str("utf8mb4"),
		"character_set_database":   str("utf8mb4"),
		"character_set_filesystem": str("binary"),
		"character_set_results":    str("utf8mb4"),
		"character_set_server":     str("utf8mb4"),
		"character_set_system":     str("utf8mb3"),
		"collation_connection":     str("utf8mb4_0900_ai_ci"),
		"collation_database":       str("utf8mb4_0900_ai_ci"),
		"collation_server":         str("utf8mb4_0900_ai_ci"),
		"datadir":                  str(dataDir),
		"default_storage_engine":   str("tarn"),
		"div_precision_increment":  num(4),
		"have_ssl":                 str(ssl),
		"hostname":                 str(host),
		"init_connect":             str(""),
		"interactive_timeout":      num(28800),
		"license":                  str("Apache-2.0"),
		"lower_case_table_names":   num(1),
		"max_allowed_packet":       num(67108864),
		"max_connections":          num(151),
		"max_execution_time":       num(0),
		"memory_limit":             num(h.eng.Config().MemoryLimit),
		"net_buffer_length":        num(16384),
		"net_write_timeout":        num(60),
		"performance_schema":       num(0),
		"port":                     num(port),
		"protocol_version":         num(10),
		"query_cache_size":         num(0),
		"query_cache_type":         str("OFF"),
		"read_only":                num(1),
		"require_secure_transport": str(secure),
		"session_track_schema":     str("ON"),
		"sql_auto_is_null":         num(0),
		"sql_mode":                 str("ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"),
		"sql_select_limit":         sqlValue{isInt: true, s: "18446744073709551615"},
		"sql_safe_updates":         num(0),
		"system_time_zone":         str("UTC"),
		"time_zone":                str("SYSTEM"),
		"transaction_isolation":    str("REPEATABLE-READ"),
		"transaction_read_only":    num(0),
		"tx_isolation":             str("REPEATABLE-READ"),
		"tx_read_only":             num(0),
		"version":                  str(serverVersion),
		"version_comment":          str(versionComment),
		"version_compile_machine":  str(runtime.GOARCH),
		"version_compile_os":       str(runtime.GOOS),
		"wait_timeout":             num(28800),
		"tarn_slices":              num(int64(h.eng.Config().Slices)),
		"tarn_batch_size":          num(int64(h.eng.Config().BatchSize)),
	}
}

func splitHostPort(a string) (string, int64, error) {
	i := strings.LastIndexByte(a, ':')
	if i < 0 {
		return a, 0, fmt.Errorf("no port in %q", a)
	}
	p, err := strconv.ParseInt(a[i+1:], 10, 64)
	return a[:i], p, err
}

// variable looks a system variable up: session value first, then global.
func (h *handler) variable(cs *connState, name string, scope sqlparser.Scope) (sqlValue, bool) {
	name = strings.ToLower(name)
	if scope != sqlparser.GlobalScope {
		if v, ok := cs.vars[name]; ok {
			return v, true
		}
	}
	h.mu.Lock()
	g, ok := h.srv.globals[name]
	h.mu.Unlock()
	if ok {
		return g, true
	}
	v, ok := h.srv.defaults[name]
	return v, ok
}

func (cs *connState) maxExecutionTime() int64 {
	v, ok := cs.vars["max_execution_time"]
	if !ok || v.null {
		return 0
	}
	n, _ := strconv.ParseInt(v.s, 10, 64)
	return n
}

// intercept answers what clients send on their own and what tarn's engine
// does not know (session variables, MySQL SHOW forms, KILL,
// transactions). It returns handled=false to send the statement (possibly
// rewritten: system variables and functions replaced by literals) to the
// engine.
func (h *handler) intercept(ctx context.Context, cs *connState, stmt sqlparser.Statement) (res *sqltypes.Result, handled bool, rewritten string, err error) {
	switch st := stmt.(type) {
	case *sqlparser.Set:
		return nil, true, "", h.set(ctx, cs, st)
	case *sqlparser.Begin, *sqlparser.Commit, *sqlparser.Rollback, *sqlparser.Savepoint, *sqlparser.Release, *sqlparser.SRollback:
		// tarn is read-only for clients of this protocol: transactions are
		// accepted and have nothing to do.
		return nil, true, "", nil
	case *sqlparser.Use:
		return nil, false, "use " + quoteIdent(st.DBName.String()), nil
	case *sqlparser.Kill:
		return nil, true, "", h.kill(cs, st)
	case *sqlparser.Show:
		return h.show(ctx, cs, st)
	case sqlparser.TableStatement:
		inlined := inlineAssignments(st)
		if h.rewriteSystem(cs, st) || inlined {
			return nil, false, sqlparser.String(st), nil
		}
	}
	return nil, false, "", nil
}

func quoteIdent(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// set handles SET statements: system variables (session or global), user
// variables, SET NAMES / CHARACTER SET.
func (h *handler) set(ctx context.Context, cs *connState, st *sqlparser.Set) error {
	for _, e := range st.Exprs {
		name := e.Var.Name.Lowered()
		val, isDefault, err := h.constValue(ctx, cs, e.Expr)
		if err != nil {
			return sqlerror.NewSQLError(sqlerror.ERWrongValueForVar, "42000",
				fmt.Sprintf("Variable '%s' can't be set to the value of '%s': %v", name, sqlparser.String(e.Expr), err))
		}
		if e.Var.Scope == sqlparser.VariableScope {
			cs.userVars[name] = val
			continue
		}
		switch name {
		case "names", "charset", "character set", "character_set":
			for _, v := range []string{"character_set_client", "character_set_connection", "character_set_results"} {
				cs.vars[v] = val
			}
			continue
		case "tx_isolation", "transaction_isolation":
			cs.vars["tx_isolation"] = sqlValue{s: strings.ToUpper(val.s), null: val.null}
			name = "transaction_isolation"
			val.s = strings.ToUpper(val.s)
		case "tx_read_only", "transaction_read_only":
			cs.vars["tx_read_only"] = val
			name = "transaction_read_only"
		case "max_execution_time":
			if _, err := strconv.ParseUint(val.s, 10, 63); err != nil && !val.null {
				return sqlerror.NewSQLError(sqlerror.ERWrongTypeForVar, "42000", fmt.Sprintf("Incorrect argument type to variable 'max_execution_time': %q is not a number of milliseconds", val.s))
			}
		}
		if e.Var.Scope == sqlparser.GlobalScope || e.Var.Scope == sqlparser.PersistSysScope || e.Var.Scope == sqlparser.PersistOnlySysScope {
			h.mu.Lock()
			if isDefault {
				delete(h.srv.globals, name)
			} else {
				h.srv.globals[name] = val
			}
			h.mu.Unlock()
			continue
		}
		if isDefault {
			delete(cs.vars, name)
		} else {
			cs.vars[name] = val
		}
	}
	return nil
}

// constValue evaluates the right-hand side of a SET.
func (h *handler) constValue(ctx context.Context, cs *connState, e sqlparser.Expr) (v sqlValue, isDefault bool, err error) {
	switch x := e.(type) {
	case *sqlparser.Literal:
		switch x.Type {
		case sqlparser.IntVal:
			return num0(x.Val), false, nil
		case sqlparser.HexVal, sqlparser.HexNum, sqlparser.BitNum:
			return str(x.Val), false, nil
		}
		return str(x.Val), false, nil
	case *sqlparser.NullVal:
		return nullValue, false, nil
	case sqlparser.BoolVal:
		if x {
			return num(1), false, nil
		}
		return num(0), false, nil
	case *sqlparser.Default:
		return sqlValue{}, true, nil
	case *sqlparser.ColName:
		// SET autocommit = ON, SET NAMES utf8 (bare words)
		w := x.Name.String()
		switch strings.ToUpper(w) {
		case "ON", "TRUE":
			return num(1), false, nil
		case "OFF", "FALSE":
			return num(0), false, nil
		case "DEFAULT":
			return sqlValue{}, true, nil
		}
		return str(w), false, nil
	case *sqlparser.UnaryExpr:
		if x.Operator == sqlparser.UMinusOp {
			v, d, err := h.constValue(ctx, cs, x.Expr)
			if err == nil && v.isInt {
				v.s = "-" + v.s
			}
			return v, d, err
		}
	case *sqlparser.Variable:
		if x.Scope == sqlparser.VariableScope {
			if v, ok := cs.userVars[x.Name.Lowered()]; ok {
				return v, false, nil
			}
			return nullValue, false, nil
		}
		if v, ok := h.variable(cs, x.Name.Lowered(), x.Scope); ok {
			return v, false, nil
		}
		return nullValue, false, nil
	}
	v, err = h.evalScalar(ctx, cs, e)
	return v, false, err
}

// evalScalar evaluates an expression (SET sql_mode = CONCAT(@@sql_mode,
// ...)) with the engine after replacing variables by their values.
func (h *handler) evalScalar(ctx context.Context, cs *connState, e sqlparser.Expr) (sqlValue, error) {
	stmt, err := h.parser.Parse("SELECT " + sqlparser.String(e))
	if err != nil {
		return sqlValue{}, err
	}
	h.rewriteSystem(cs, stmt)
	r, err := cs.sess.Query(ctx, sqlparser.String(stmt))
	if err != nil {
		return sqlValue{}, err
	}
	defer r.Close()
	rec, err := r.Next(ctx)
	if err != nil {
		return sqlValue{}, err
	}
	if rec == nil || rec.NumRows() != 1 || rec.NumCols() != 1 {
		if rec != nil {
			rec.Release()
		}
		return sqlValue{}, fmt.Errorf("expression did not produce one value")
	}
	defer rec.Release()
	c := rec.Column(0)
	switch {
	case c.IsNull(0):
		return nullValue, nil
	case types.IsInteger(c.DataType()):
		return num0(c.ValueStr(0)), nil
	}
	return str(c.ValueStr(0)), nil
}

func num0(s string) sqlValue { return sqlValue{isInt: true, s: s} }

// rewriteSystem replaces system variables (@@x), user variables (@x)
// and session functions (DATABASE(), USER(), CONNECTION_ID(), VERSION(),
// ...) by literals, keeping the client-visible column names. It reports
// whether anything changed.
func (h *handler) rewriteSystem(cs *connState, stmt sqlparser.Statement) bool {
	changed := false
	// Column names as the client wrote them, for unaliased expressions.
	var selects []*sqlparser.Select
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if s, ok := n.(*sqlparser.Select); ok {
			selects = append(selects, s)
		}
		return true, nil
	}, stmt)
	type named struct {
		ae   *sqlparser.AliasedExpr
		text string
	}
	var orig []named
	for _, s := range selects {
		if s.SelectExprs == nil {
			continue
		}
		for _, se := range s.SelectExprs.Exprs {
			if ae, ok := se.(*sqlparser.AliasedExpr); ok && ae.As.IsEmpty() {
				orig = append(orig, named{ae, sqlparser.String(ae.Expr)})
			}
		}
	}
	sqlparser.Rewrite(stmt, nil, func(cur *sqlparser.Cursor) bool {
		switch n := cur.Node().(type) {
		case *sqlparser.Variable:
			var v sqlValue
			if n.Scope == sqlparser.VariableScope {
				v = cs.userVars[n.Name.Lowered()]
				if _, ok := cs.userVars[n.Name.Lowered()]; !ok {
					v = nullValue
				}
			} else if val, ok := h.variable(cs, n.Name.Lowered(), n.Scope); ok {
				v = val
			} else {
				v = nullValue
				cs.warnings = append(cs.warnings, warning{"Warning", 1193, fmt.Sprintf("Unknown system variable '%s' (returned as NULL)", n.Name.String())})
			}
			cur.Replace(v.literal())
			changed = true
		case *sqlparser.CharExpr:
			// CHAR(39, 65): constant codes become a string literal.
			var b []byte
			for _, a := range n.Exprs {
				lit, ok := a.(*sqlparser.Literal)
				if !ok || lit.Type != sqlparser.IntVal {
					return true
				}
				c, err := strconv.ParseUint(lit.Val, 10, 32)
				if err != nil {
					return true
				}
				var tmp []byte
				for c > 0 || len(tmp) == 0 {
					tmp = append([]byte{byte(c)}, tmp...)
					c >>= 8
				}
				b = append(b, tmp...)
			}
			cur.Replace(sqlparser.NewStrLiteral(string(b)))
			changed = true
		case *sqlparser.FuncExpr:
			if !n.Qualifier.IsEmpty() {
				return true
			}
			var v sqlValue
			switch n.Name.Lowered() {
			case "database", "schema":
				if db := cs.db(); db != "" {
					v = str(db)
				} else {
					v = nullValue
				}
			case "user", "session_user", "system_user":
				host, _, _ := splitHostPort(cs.host)
				v = str(cs.sess.User() + "@" + host)
			case "current_user":
				v = str(cs.sess.User() + "@%")
			case "connection_id":
				v = num(int64(cs.id))
			case "version":
				v = str(serverVersion)
			case "last_insert_id":
				v = num(0)
			case "found_rows":
				v = num(cs.lastQuery.Load())
			case "row_count":
				v = num(-1)
			default:
				return true
			}
			cur.Replace(v.literal())
			changed = true
		}
		return true
	})
	if changed {
		for _, o := range orig {
			if sqlparser.String(o.ae.Expr) != o.text {
				o.ae.As = sqlparser.NewIdentifierCI(o.text)
			}
		}
	}
	return changed
}

// kill handles KILL [QUERY|CONNECTION] id.
func (h *handler) kill(cs *connState, st *sqlparser.Kill) error {
	h.mu.Lock()
	target := h.conns[uint32(st.ProcesslistID)]
	h.mu.Unlock()
	if target == nil || st.ProcesslistID > 1<<32-1 {
		return sqlerror.NewSQLError(sqlerror.ERNoSuchThread, "HY000", fmt.Sprintf("Unknown thread id: %d", st.ProcesslistID))
	}
	target.mu.Lock()
	owner := target.user
	target.mu.Unlock()
	if !h.eng.IsVisibleProcess(cs.c.User, owner) {
		// MySQL's ER_KILL_DENIED_ERROR: only superusers kill others' threads.
		return sqlerror.NewSQLError(sqlerror.ErrorCode(1095), "HY000", fmt.Sprintf("You are not owner of thread %d", st.ProcesslistID))
	}
	h.log.Info("kill", "by", cs.id, "target", st.ProcesslistID, "connection", st.Type == sqlparser.ConnectionType)
	if st.Type == sqlparser.QueryType {
		if target == cs {
			return nil // this statement is the running query; nothing else runs
		}
		target.mu.Lock()
		if target.cancel != nil {
			target.cancel(errKilled)
		}
		target.mu.Unlock()
		return nil
	}
	target.mu.Lock()
	if target.cancel != nil && target != cs {
		target.cancel(errKilled)
	}
	target.mu.Unlock()
	if target == cs {
		cs.c.MarkForClose()
		return sqlerror.NewSQLError(sqlerror.ERQueryInterrupted, "70100", "Query execution was interrupted (KILL CONNECTION of this connection)")
	}
	target.c.Close()
	return nil
}

// col describes a static result column.
type col struct {
	name string
	typ  querypb.Type
}

func vc(name string) col { return col{name, sqltypes.VarChar} }
func ic(name string) col { return col{name, sqltypes.Int64} }

// staticResult builds a result from values.
func staticResult(cols []col, rows [][]sqlValue) *sqltypes.Result {
	r := &sqltypes.Result{Fields: make([]*querypb.Field, len(cols)), Rows: make([][]sqltypes.Value, len(rows))}
	for i, c := range cols {
		f := &querypb.Field{Name: c.name, OrgName: c.name, Type: c.typ}
		if c.typ == sqltypes.VarChar {
			f.Charset, f.ColumnLength = collUTF8MB4, 256*4
		} else {
			f.Charset, f.ColumnLength, f.Flags = collBinary, 21, flagNum|flagBinary
		}
		r.Fields[i] = f
	}
	for i, row := range rows {
		vals := make([]sqltypes.Value, len(cols))
		for j, v := range row {
			if v.null {
				vals[j] = sqltypes.NULL
			} else {
				vals[j] = sqltypes.MakeTrusted(cols[j].typ, []byte(v.s))
			}
		}
		r.Rows[i] = vals
	}
	return r
}

// show answers SHOW statements in MySQL's shapes.
func (h *handler) show(ctx context.Context, cs *connState, st *sqlparser.Show) (*sqltypes.Result, bool, string, error) {
	if sc, ok := st.Internal.(*sqlparser.ShowCreate); ok && (sc.Command == sqlparser.CreateTbl || sc.Command == sqlparser.CreateV) {
		return h.showCreate(ctx, cs, sc)
	}
	b, ok := st.Internal.(*sqlparser.ShowBasic)
	if !ok {
		return nil, false, "", nil // other SHOW forms: the engine
	}
	filter := func(cols []col, rows [][]sqlValue, likeCol int) ([][]sqlValue, error) {
		return filterRows(cols, rows, b.Filter, likeCol)
	}
	done := func(cols []col, rows [][]sqlValue, likeCol int) (*sqltypes.Result, bool, string, error) {
		rows, err := filter(cols, rows, likeCol)
		if err != nil {
			return nil, true, "", err
		}
		return staticResult(cols, rows), true, "", nil
	}
	switch b.Command {
	case sqlparser.Database:
		names, err := h.databases(ctx)
		if err != nil {
			return nil, true, "", err
		}
		rows := make([][]sqlValue, len(names))
		for i, n := range names {
			rows[i] = []sqlValue{str(n)}
		}
		return done([]col{vc("Database")}, rows, 0)

	case sqlparser.Table, sqlparser.TableStatus:
		db := b.DbName.String()
		if db == "" {
			db = cs.db()
		}
		if db == "" {
			return nil, true, "", sqlerror.NewSQLError(sqlerror.ERNoDb, "3D000", "No database selected")
		}
		tabs, err := h.tables(ctx, db)
		if err != nil {
			return nil, true, "", err
		}
		if b.Command == sqlparser.TableStatus {
			cols := []col{vc("Name"), vc("Engine"), ic("Version"), vc("Row_format"), ic("Rows"), ic("Avg_row_length"), ic("Data_length"),
				ic("Max_data_length"), ic("Index_length"), ic("Data_free"), ic("Auto_increment"), vc("Create_time"), vc("Update_time"),
				vc("Check_time"), vc("Collation"), vc("Checksum"), vc("Create_options"), vc("Comment")}
			var rows [][]sqlValue
			for _, t := range tabs {
				rs, bs := nullValue, nullValue
				if t.Stats != nil && t.Stats.Rows >= 0 {
					rs, bs = num(t.Stats.Rows), num(t.Stats.Bytes)
				}
				rows = append(rows, []sqlValue{str(t.Name), str(engine.EngineName(t)), num(10), str("Dynamic"), rs, nullValue, bs,
					nullValue, num(0), num(0), nullValue, timeValue(t.Created), nullValue, nullValue, str("utf8mb4_0900_ai_ci"),
					nullValue, str(""), str(t.Comment)})
			}
			return done(cols, rows, 0)
		}
		cols := []col{vc("Tables_in_" + db)}
		if b.Full {
			cols = append(cols, vc("Table_type"))
		}
		var rows [][]sqlValue
		for _, t := range tabs {
			r := []sqlValue{str(t.Name)}
			if b.Full {
				r = append(r, str(engine.TableType(t)))
			}
			rows = append(rows, r)
		}
		return done(cols, rows, 0)

	case sqlparser.Column:
		db := b.Tbl.Qualifier.String()
		if d := b.DbName.String(); d != "" {
			db = d
		}
		if db == "" {
			db = cs.db()
		}
		t, err := h.table(ctx, db, b.Tbl.Name.String())
		if err != nil {
			return nil, true, "", err
		}
		var cols []col
		if b.Full {
			cols = []col{vc("Field"), vc("Type"), vc("Collation"), vc("Null"), vc("Key"), vc("Default"), vc("Extra"), vc("Privileges"), vc("Comment")}
		} else {
			cols = []col{vc("Field"), vc("Type"), vc("Null"), vc("Key"), vc("Default"), vc("Extra")}
		}
		var rows [][]sqlValue
		for _, c := range t.Columns {
			ti := engine.MySQLColumnOf(c.Type)
			coll := nullValue
			if ti.Charset {
				coll = str("utf8mb4_0900_ai_ci")
			}
			if b.Full {
				rows = append(rows, []sqlValue{str(c.Name), str(ti.ColumnType), coll, str("YES"), str(""), nullValue, str(""), str("select"), str(c.Comment)})
			} else {
				rows = append(rows, []sqlValue{str(c.Name), str(ti.ColumnType), str("YES"), str(""), nullValue, str("")})
			}
		}
		return done(cols, rows, 0)

	case sqlparser.Index:
		db := b.Tbl.Qualifier.String()
		if d := b.DbName.String(); d != "" {
			db = d
		}
		if db == "" {
			db = cs.db()
		}
		if _, err := h.table(ctx, db, b.Tbl.Name.String()); err != nil {
			return nil, true, "", err
		}
		cols := []col{vc("Table"), ic("Non_unique"), vc("Key_name"), ic("Seq_in_index"), vc("Column_name"), vc("Collation"), ic("Cardinality"),
			ic("Sub_part"), vc("Packed"), vc("Null"), vc("Index_type"), vc("Comment"), vc("Index_comment"), vc("Visible"), vc("Expression")}
		return staticResult(cols, nil), true, "", nil

	case sqlparser.VariableGlobal, sqlparser.VariableSession:
		all := map[string]sqlValue{}
		for k, v := range h.srv.defaults {
			all[k] = v
		}
		h.mu.Lock()
		for k, v := range h.srv.globals {
			all[k] = v
		}
		h.mu.Unlock()
		if b.Command == sqlparser.VariableSession {
			for k, v := range cs.vars {
				all[k] = v
			}
		}
		return done([]col{vc("Variable_name"), vc("Value")}, sortedPairs(all), 0)

	case sqlparser.StatusGlobal, sqlparser.StatusSession:
		h.mu.Lock()
		nconn := len(h.conns)
		h.mu.Unlock()
		running := 0
		for _, p := range h.processesFor(cs.c.User) {
			if p.command == "Query" {
				running++
			}
		}
		st := map[string]sqlValue{
			"Uptime":            num(int64(time.Since(h.started).Seconds())),
			"Threads_connected": num(int64(nconn)),
			"Threads_running":   num(int64(running)),
			"Connections":       num(int64(h.srv.connections.Load())),
			"Queries":           num(h.queries.Load()),
			"Questions":         num(h.queries.Load()),
			"Ssl_cipher":        str(""),
			"Aborted_connects":  num(0),
		}
		if cs.c.TLSEnabled() {
			st["Ssl_cipher"] = str("TLS")
		}
		return done([]col{vc("Variable_name"), vc("Value")}, sortedPairs(st), 0)

	case sqlparser.Warnings, sqlparser.Errors:
		var rows [][]sqlValue
		for _, w := range cs.warnings {
			if b.Command == sqlparser.Errors && w.level != "Error" {
				continue
			}
			rows = append(rows, []sqlValue{str(w.level), num(int64(w.code)), str(w.msg)})
		}
		return staticResult([]col{vc("Level"), ic("Code"), vc("Message")}, rows), true, "", nil

	case sqlparser.Collation:
		cols := []col{vc("Collation"), vc("Charset"), ic("Id"), vc("Default"), vc("Compiled"), ic("Sortlen"), vc("Pad_attribute")}
		var rows [][]sqlValue
		for _, c := range engine.Collations {
			rows = append(rows, []sqlValue{str(c.Name), str(c.Charset), num(c.ID), str(c.Default), str("Yes"), num(c.SortLen), str(c.Pad)})
		}
		return done(cols, rows, 0)

	case sqlparser.Charset:
		cols := []col{vc("Charset"), vc("Description"), vc("Default collation"), ic("Maxlen")}
		var rows [][]sqlValue
		for _, c := range engine.CharacterSets {
			rows = append(rows, []sqlValue{str(c.Name), str(c.Description), str(c.DefaultCollation), num(c.MaxLen)})
		}
		return done(cols, rows, 0)

	case sqlparser.Engines:
		cols := []col{vc("Engine"), vc("Support"), vc("Comment"), vc("Transactions"), vc("XA"), vc("Savepoints")}
		var row []sqlValue
		for _, v := range engine.StorageEngine {
			row = append(row, str(v))
		}
		rows := [][]sqlValue{row}
		return done(cols, rows, 0)

	case sqlparser.ProcessList:
		cols := []col{ic("Id"), vc("User"), vc("Host"), vc("db"), vc("Command"), ic("Time"), vc("State"), vc("Info"),
			vc("Query_id"), ic("Rows_sent"), ic("Bytes_scanned"), ic("Splits_done"), ic("Splits_total"), vc("Progress"),
			vc("Queue"), vc("WLM_state")}
		var rows [][]sqlValue
		for _, p := range h.processesFor(cs.c.User) {
			info := nullValue
			if p.info != "" {
				s := p.info
				if !b.Full && len(s) > 100 {
					s = s[:100]
				}
				info = str(s)
			}
			db := nullValue
			if p.db != "" {
				db = str(p.db)
			}
			qid, rs, bs, sd, stt, prog := nullValue, nullValue, nullValue, nullValue, nullValue, nullValue
			queue, wstate := nullValue, nullValue
			if p.stats != nil {
				qid, rs, bs, sd, stt = str(p.stats.QueryID), num(p.stats.Rows), num(p.stats.BytesScanned), num(p.stats.SplitsDone), num(p.stats.SplitsTotal)
				if p.stats.Queue != "" {
					queue, wstate = str(p.stats.Queue), str(p.stats.WLMState)
				}
				if p.stats.SplitsTotal > 0 {
					prog = str(fmt.Sprintf("%.1f%%", 100*float64(p.stats.SplitsDone)/float64(p.stats.SplitsTotal)))
				}
			}
			rows = append(rows, []sqlValue{num(int64(p.id)), str(p.user), str(p.host), db, str(p.command), num(int64(p.time.Seconds())),
				str(p.state), info, qid, rs, bs, sd, stt, prog, queue, wstate})
		}
		return staticResult(cols, rows), true, "", nil
	}
	return nil, false, "", nil
}

type process struct {
	id                             uint32
	user, host, db, command, state string
	info                           string
	time                           time.Duration
	stats                          *engine.QueryStats
}

// engineProcesses lists every connection for the engine's
// information_schema.PROCESSLIST (which applies the viewer's visibility).
func (h *handler) engineProcesses() []engine.Process {
	ps := h.processesFor("")
	out := make([]engine.Process, len(ps))
	for i, p := range ps {
		out[i] = engine.Process{ID: int64(p.id), User: p.user, Host: p.host, DB: p.db, Command: p.command, Time: p.time, State: p.state, Info: p.info}
	}
	return out
}

// processes snapshots every connection for SHOW PROCESSLIST.
func (h *handler) processes() []process { return h.processesFor("") }

// processesFor snapshots the connections viewer may see: its own, or
// all for a superuser ("" = all).
func (h *handler) processesFor(viewer string) []process {
	h.mu.Lock()
	css := make([]*connState, 0, len(h.conns))
	for _, cs := range h.conns {
		css = append(css, cs)
	}
	h.mu.Unlock()
	sort.Slice(css, func(i, j int) bool { return css[i].id < css[j].id })
	out := make([]process, 0, len(css))
	for _, cs := range css {
		cs.mu.Lock()
		if viewer != "" && !h.eng.IsVisibleProcess(viewer, cs.user) {
			cs.mu.Unlock()
			continue
		}
		// curDB, not the session: the session belongs to the connection's
		// goroutine; user, not c.User, which the handshake writes.
		p := process{id: cs.id, user: cs.user, host: cs.host, command: cs.command, info: cs.info, time: time.Since(cs.since), db: cs.curDB}
		if cs.busy {
			p.state = "executing"
			if cs.result != nil {
				s := cs.result.Stats()
				p.stats = &s
				if s.Rows > 0 {
					p.state = "Sending data"
				}
			}
		}
		cs.mu.Unlock()
		out = append(out, p)
	}
	return out
}

func sortedPairs(m map[string]sqlValue) [][]sqlValue {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	rows := make([][]sqlValue, len(keys))
	for i, k := range keys {
		v := m[k]
		if v.null {
			v = str("")
		}
		rows[i] = []sqlValue{str(k), str(v.s)}
	}
	return rows
}

func timeValue(t time.Time) sqlValue {
	if t.IsZero() {
		return nullValue
	}
	return str(t.UTC().Format("2006-01-02 15:04:05"))
}

// filterRows applies SHOW ... LIKE 'pat' (to column likeCol) or WHERE expr
// (over the result's column names).
func filterRows(cols []col, rows [][]sqlValue, f *sqlparser.ShowFilter, likeCol int) ([][]sqlValue, error) {
	if f == nil {
		return rows, nil
	}
	var out [][]sqlValue
	for _, r := range rows {
		keep := true
		if f.Filter == nil {
			keep = likeMatch(f.Like, r[likeCol].s)
		} else {
			v, err := evalFilter(f.Filter, cols, r)
			if err != nil {
				return nil, sqlerror.NewSQLError(sqlerror.ERNotSupportedYet, "42000", fmt.Sprintf("SHOW ... WHERE: %v", err))
			}
			keep = v
		}
		if keep {
			out = append(out, r)
		}
	}
	return out, nil
}

// evalFilter evaluates the small WHERE language clients use with SHOW:
// comparisons, LIKE, IN, AND/OR/NOT over the result's columns.
func evalFilter(e sqlparser.Expr, cols []col, row []sqlValue) (bool, error) {
	val := func(x sqlparser.Expr) (sqlValue, error) {
		switch x := x.(type) {
		case *sqlparser.ColName:
			for i, c := range cols {
				if strings.EqualFold(c.name, x.Name.String()) {
					return row[i], nil
				}
			}
			return sqlValue{}, fmt.Errorf("unknown column '%s'", x.Name.String())
		case *sqlparser.Literal:
			return str(x.Val), nil
		case *sqlparser.NullVal:
			return nullValue, nil
		}
		return sqlValue{}, fmt.Errorf("unsupported expression %s", sqlparser.String(x))
	}
	switch x := e.(type) {
	case *sqlparser.AndExpr:
		l, err := evalFilter(x.Left, cols, row)
		if err != nil || !l {
			return false, err
		}
		return evalFilter(x.Right, cols, row)
	case *sqlparser.OrExpr:
		l, err := evalFilter(x.Left, cols, row)
		if err != nil || l {
			return l, err
		}
		return evalFilter(x.Right, cols, row)
	case *sqlparser.NotExpr:
		v, err := evalFilter(x.Expr, cols, row)
		return !v, err
	case *sqlparser.ComparisonExpr:
		l, err := val(x.Left)
		if err != nil {
			return false, err
		}
		if x.Operator == sqlparser.InOp || x.Operator == sqlparser.NotInOp {
			tup, ok := x.Right.(sqlparser.ValTuple)
			if !ok {
				return false, fmt.Errorf("unsupported IN list %s", sqlparser.String(x.Right))
			}
			found := false
			for _, t := range tup {
				r, err := val(t)
				if err != nil {
					return false, err
				}
				if !l.null && !r.null && strings.EqualFold(l.s, r.s) {
					found = true
				}
			}
			return found == (x.Operator == sqlparser.InOp), nil
		}
		r, err := val(x.Right)
		if err != nil {
			return false, err
		}
		if l.null || r.null {
			return false, nil
		}
		c := strings.Compare(strings.ToLower(l.s), strings.ToLower(r.s))
		switch x.Operator {
		case sqlparser.EqualOp:
			return c == 0, nil
		case sqlparser.NotEqualOp:
			return c != 0, nil
		case sqlparser.LessThanOp:
			return c < 0, nil
		case sqlparser.LessEqualOp:
			return c <= 0, nil
		case sqlparser.GreaterThanOp:
			return c > 0, nil
		case sqlparser.GreaterEqualOp:
			return c >= 0, nil
		case sqlparser.LikeOp:
			return likeMatch(r.s, l.s), nil
		case sqlparser.NotLikeOp:
			return !likeMatch(r.s, l.s), nil
		}
	}
	return false, fmt.Errorf("unsupported condition %s", sqlparser.String(e))
}

// likeMatch matches a SQL LIKE pattern case-insensitively (% _ and \
// escapes).
func likeMatch(pattern, s string) bool {
	p := []rune(strings.ToLower(pattern))
	t := []rune(strings.ToLower(s))
	var match func(pi, ti int) bool
	match = func(pi, ti int) bool {
		for pi < len(p) {
			switch p[pi] {
			case '%':
				for pi < len(p) && p[pi] == '%' {
					pi++
				}
				if pi == len(p) {
					return true
				}
				for k := ti; k <= len(t); k++ {
					if match(pi, k) {
						return true
					}
				}
				return false
			case '_':
				if ti >= len(t) {
					return false
				}
				pi++
				ti++
			case '\\':
				if pi+1 < len(p) {
					pi++
				}
				fallthrough
			default:
				if ti >= len(t) || t[ti] != p[pi] {
					return false
				}
				pi++
				ti++
			}
		}
		return ti == len(t)
	}
	return match(0, 0)
}

// databases lists information_schema, system and the catalog's databases.
func (h *handler) databases(ctx context.Context) ([]string, error) {
	dbs, err := h.eng.Catalog().ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	names := []string{engine.InfoSchemaDatabase, engine.SystemDatabase}
	for _, d := range dbs {
		names = append(names, d.Name)
	}
	sort.Strings(names)
	return h.visibleDatabases(ctx, names)
}

// tables lists a database's tables (information_schema's own included).
func (h *handler) tables(ctx context.Context, db string) ([]catalog.Table, error) {
	ldb := strings.ToLower(db)
	switch ldb {
	case engine.InfoSchemaDatabase:
		return engine.InfoSchemaTables(), nil
	case engine.SystemDatabase:
		return h.systemTables(ctx)
	}
	if _, err := h.eng.Catalog().GetDatabase(ctx, ldb); err != nil {
		return nil, sqlerror.NewSQLError(sqlerror.ERBadDb, "42000", fmt.Sprintf("Unknown database '%s'", db))
	}
	ts, err := h.eng.Catalog().ListTables(ctx, ldb)
	if err != nil {
		return nil, err
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i].Name < ts[j].Name })
	return h.visibleTables(ctx, ts)
}

// table resolves one table or view.
func (h *handler) table(ctx context.Context, db, name string) (*catalog.Table, error) {
	if db == "" {
		return nil, sqlerror.NewSQLError(sqlerror.ERNoDb, "3D000", "No database selected")
	}
	ts, err := h.tables(ctx, db)
	if err != nil {
		return nil, err
	}
	for i := range ts {
		if strings.EqualFold(ts[i].Name, name) {
			return &ts[i], nil
		}
	}
	return nil, sqlerror.NewSQLError(sqlerror.ERNoSuchTable, "42S02", fmt.Sprintf("Table '%s.%s' doesn't exist", strings.ToLower(db), name))
}

// systemTables describes the engine's system tables through DESCRIBE-free
// means: a query of system.tables is not needed, the engine exposes them by
// name; we list the known ones by probing SELECT * ... LIMIT 0.
func (h *handler) systemTables(ctx context.Context) ([]catalog.Table, error) {
	var out []catalog.Table
	for _, name := range []string{"query_history", "tables"} {
		s := h.eng.NewSession("root")
		r, err := s.Query(ctx, "SELECT * FROM system."+name+" LIMIT 0")
		if err != nil {
			continue
		}
		t := catalog.Table{Database: engine.SystemDatabase, Name: name, Kind: engine.KindSystem}
		sch := r.Schema()
		for i := 0; i < sch.NumFields(); i++ {
			t.Columns = append(t.Columns, catalog.Column{Name: sch.Field(i).Name, Type: types.SQLName(sch.Field(i).Type)})
		}
		r.Close()
		out = append(out, t)
	}
	return out, nil
}

// inlineAssignments rewrites MySQL's legacy per-row user variable
// assignments in a select list (MariaDB ODBC's SQLColumns query uses
// "CASE ... THEN @dt:=5 ... END AS DATA_TYPE, ... CASE @dt WHEN ...") into
// plain expressions: each read of @v in a later select expression becomes
// the expression that assigned it (the smallest subexpression holding all
// of the assignments to @v, e.g. the whole CASE), and every "@v := e"
// becomes e. It reports whether anything changed.
func inlineAssignments(stmt sqlparser.Statement) bool {
	changed := false
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		sel, ok := n.(*sqlparser.Select)
		if !ok || sel.SelectExprs == nil {
			return true, nil
		}
		defs := map[string]sqlparser.Expr{}
		for _, se := range sel.SelectExprs.Exprs {
			ae, ok := se.(*sqlparser.AliasedExpr)
			if !ok {
				continue
			}
			// Reads of variables assigned in earlier expressions.
			if len(defs) > 0 {
				ae.Expr = sqlparser.Rewrite(ae.Expr, nil, func(cur *sqlparser.Cursor) bool {
					if v, ok := cur.Node().(*sqlparser.Variable); ok && v.Scope == sqlparser.VariableScope {
						if d, ok := defs[v.Name.Lowered()]; ok {
							cur.Replace(sqlparser.CloneExpr(d))
							changed = true
						}
					}
					return true
				}).(sqlparser.Expr)
			}
			// Assignments made here.
			for _, v := range assignedVars(ae.Expr) {
				defs[v] = stripAssignments(smallestHolding(ae.Expr, v))
				changed = true
			}
			if changed {
				ae.Expr = stripAssignments(ae.Expr)
			}
		}
		if sel.Where != nil && len(defs) > 0 {
			sel.Where.Expr = stripAssignments(sel.Where.Expr)
		}
		return true, nil
	}, stmt)
	return changed
}

func isUserAssign(n sqlparser.SQLNode) (string, bool) {
	a, ok := n.(*sqlparser.AssignmentExpr)
	if !ok {
		return "", false
	}
	v, ok := a.Left.(*sqlparser.Variable)
	if !ok || v.Scope != sqlparser.VariableScope {
		return "", false
	}
	return v.Name.Lowered(), true
}

func countAssign(e sqlparser.SQLNode, name string) int {
	n := 0
	_ = sqlparser.Walk(func(x sqlparser.SQLNode) (bool, error) {
		if v, ok := isUserAssign(x); ok && v == name {
			n++
		}
		return true, nil
	}, e)
	return n
}

func assignedVars(e sqlparser.Expr) []string {
	var out []string
	seen := map[string]bool{}
	_ = sqlparser.Walk(func(x sqlparser.SQLNode) (bool, error) {
		if v, ok := isUserAssign(x); ok && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
		return true, nil
	}, e)
	return out
}

// smallestHolding is the deepest subexpression of e holding every
// assignment to name (ancestors precede descendants in pre-order).
func smallestHolding(e sqlparser.Expr, name string) sqlparser.Expr {
	total := countAssign(e, name)
	best := e
	_ = sqlparser.Walk(func(x sqlparser.SQLNode) (bool, error) {
		if xe, ok := x.(sqlparser.Expr); ok && countAssign(xe, name) == total {
			best = xe
			if a, ok := x.(*sqlparser.AssignmentExpr); ok && total == 1 {
				best = a.Right
				return false, nil
			}
		}
		return true, nil
	}, e)
	return best
}

// stripAssignments returns a copy of e with "@v := x" replaced by x.
func stripAssignments(e sqlparser.Expr) sqlparser.Expr {
	return sqlparser.Rewrite(sqlparser.CloneExpr(e), nil, func(cur *sqlparser.Cursor) bool {
		if _, ok := isUserAssign(cur.Node()); ok {
			cur.Replace(cur.Node().(*sqlparser.AssignmentExpr).Right)
		}
		return true
	}).(sqlparser.Expr)
}

// showCreate answers SHOW CREATE TABLE/VIEW in MySQL's two-column shape
// (Table, Create Table) from the engine's statement text.
func (h *handler) showCreate(ctx context.Context, cs *connState, sc *sqlparser.ShowCreate) (*sqltypes.Result, bool, string, error) {
	name := sc.Op.Name.String()
	q := "SHOW CREATE TABLE " + quoteIdent(name)
	if db := sc.Op.Qualifier.String(); db != "" {
		q = "SHOW CREATE TABLE " + quoteIdent(db) + "." + quoteIdent(name)
	}
	r, err := cs.sess.Query(ctx, q)
	if err != nil {
		return nil, true, "", err
	}
	defer r.Close()
	var text strings.Builder
	for {
		rec, err := r.Next(ctx)
		if err != nil {
			return nil, true, "", err
		}
		if rec == nil {
			break
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			if text.Len() > 0 {
				text.WriteByte('\n')
			}
			text.WriteString(rec.Column(0).ValueStr(i))
		}
		rec.Release()
	}
	first := "Table"
	second := "Create Table"
	if sc.Command == sqlparser.CreateV {
		first, second = "View", "Create View"
	}
	return staticResult([]col{vc(first), vc(second)}, [][]sqlValue{{str(name), str(text.String())}}), true, "", nil
}
