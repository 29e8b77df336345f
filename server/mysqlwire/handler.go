package mysqlwire

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/mysql"
	"vitess.io/vitess/go/mysql/replication"
	"vitess.io/vitess/go/mysql/sqlerror"
	"vitess.io/vitess/go/sqltypes"
	querypb "vitess.io/vitess/go/vt/proto/query"
	"vitess.io/vitess/go/vt/sqlparser"
	"vitess.io/vitess/go/vt/vtenv"

	"github.com/tarnsql/tarn/engine"
	"github.com/tarnsql/tarn/exec"
)

// errKilled and errClientGone are the causes a running query is cancelled
// with; errShutdown when the server's grace period ran out.
var (
	errKilled     = errors.New("query killed")
	errClientGone = errors.New("client disconnected")
	errShutdown   = errors.New("server shutdown")
)

// connState is one client connection: its engine session, session
// variables and what it is running (for SHOW PROCESSLIST and KILL).
type connState struct {
	id   uint32
	c    *mysql.Conn
	wc   *watchConn
	sess *engine.Session
	host string

	vars     map[string]sqlValue // session system variables set by the client
	userVars map[string]sqlValue // @user variables
	warnings []warning
	curDB    string // current database as of the last statement (under mu)

	mu        sync.Mutex
	user      string // the authenticated user ("" during the handshake: vitess sets c.User then, so other goroutines read this copy)
	command   string // Sleep, Query, Connect
	info      string // running statement
	since     time.Time
	result    *engine.Result
	cancel    context.CancelCauseFunc
	busy      bool
	lastQuery atomic.Int64 // rows returned by the last statement (FOUND_ROWS)
}

type warning struct {
	level string
	code  int
	msg   string
}

func (cs *connState) db() string { return cs.sess.Database() }

// handler implements mysql.Handler over a tarn engine.
type handler struct {
	mysql.UnimplementedHandler
	srv    *Server
	eng    *engine.Engine
	env    *vtenv.Environment
	parser *sqlparser.Parser
	log    *slog.Logger

	mu       sync.Mutex
	conns    map[uint32]*connState
	pending  map[uint32]*watchConn // wrapped net.Conns awaiting NewConnection
	shutdown atomic.Bool
	connWG   sync.WaitGroup
	queries  atomic.Int64 // statements served (Queries status variable)
	started  time.Time

	testHook func(sql string) // tests: runs first on every statement
}

func newHandler(srv *Server) (*handler, error) {
	env, err := vtenv.New(vtenv.Options{MySQLServerVersion: mysqlVersion})
	if err != nil {
		return nil, err
	}
	return &handler{srv: srv, eng: srv.cfg.Engine, env: env, parser: env.Parser(), log: srv.log,
		conns: map[uint32]*connState{}, pending: map[uint32]*watchConn{}, started: time.Now()}, nil
}

func (h *handler) Env() *vtenv.Environment { return h.env }

// NewConnection registers a connection before its handshake.
func (h *handler) NewConnection(c *mysql.Conn) {
	h.connWG.Add(1)
	cs := &connState{id: c.ConnectionID, c: c, command: "Connect", since: time.Now(),
		vars: map[string]sqlValue{}, userVars: map[string]sqlValue{}}
	if a := c.RemoteAddr(); a != nil {
		cs.host = a.String()
	}
	h.mu.Lock()
	cs.wc = h.pending[c.ConnectionID]
	delete(h.pending, c.ConnectionID)
	h.conns[c.ConnectionID] = cs
	h.mu.Unlock()
	c.StatusFlags |= mysql.ServerStatusAutocommit
	if cs.wc != nil {
		cs.wc.setHooks(cs, h)
	}
}

// ConnectionReady is called after authentication.
func (h *handler) ConnectionReady(c *mysql.Conn) {
	cs := h.state(c)
	if cs == nil {
		return
	}
	cs.mu.Lock()
	cs.user, cs.command, cs.since = c.User, "Sleep", time.Now()
	cs.mu.Unlock()
	if cs.wc != nil {
		cs.wc.setReady()
	}
	h.log.Debug("connection ready", "id", c.ConnectionID, "user", c.User, "remote", cs.host, "tls", c.TLSEnabled())
}

// ConnectionClosed forgets a connection and cancels what it was running.
func (h *handler) ConnectionClosed(c *mysql.Conn) {
	h.mu.Lock()
	cs := h.conns[c.ConnectionID]
	delete(h.conns, c.ConnectionID)
	delete(h.pending, c.ConnectionID)
	h.mu.Unlock()
	if cs != nil {
		cs.mu.Lock()
		if cs.cancel != nil {
			cs.cancel(errClientGone)
		}
		cs.mu.Unlock()
		h.connWG.Done()
	}
}

func (h *handler) state(c *mysql.Conn) *connState {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := h.conns[c.ConnectionID]
	if cs != nil && cs.sess == nil {
		user := c.User
		if user == "" {
			user = "root"
		}
		cs.sess = h.eng.NewSession(user)
		// KILL QUERY and system.wlm_query_state use the connection id.
		cs.sess.SetConnectionID(int64(c.ConnectionID))
	}
	return cs
}

// WarningCount is the number of warnings of the last statement.
func (h *handler) WarningCount(c *mysql.Conn) uint16 {
	if cs := h.state(c); cs != nil {
		return uint16(min(len(cs.warnings), 65535))
	}
	return 0
}

// ComResetConnection resets session state (COM_RESET_CONNECTION).
func (h *handler) ComResetConnection(c *mysql.Conn) {
	if cs := h.state(c); cs != nil {
		cs.vars = map[string]sqlValue{}
		cs.userVars = map[string]sqlValue{}
		cs.warnings = nil
	}
}

// recovered turns a panic in a command into error 1105 for this client;
// the server keeps serving.
func (h *handler) recovered(c *mysql.Conn, what string, err *error) {
	if x := recover(); x != nil {
		h.log.Error("panic while serving a client", "id", c.ConnectionID, "command", what, "panic", fmt.Sprint(x), "stack", string(debug.Stack()))
		*err = sqlerror.NewSQLError(sqlerror.ERUnknownError, sqlerror.SSUnknownSQLState,
			fmt.Sprintf("internal error in %s: %v (the server logged the stack trace)", what, x))
	}
}

// ComQuery runs one statement (vitess uses it for USE at connect time and
// for COM_INIT_DB; client queries arrive through ComQueryMulti).
func (h *handler) ComQuery(c *mysql.Conn, query string, callback func(*sqltypes.Result) error) (err error) {
	defer h.recovered(c, "query", &err)
	cs := h.state(c)
	if cs == nil {
		return sqlerror.NewSQLError(sqlerror.ERUnknownError, sqlerror.SSUnknownSQLState, "unknown connection")
	}
	return h.runStatement(cs, query, false, callback)
}

// ComQueryMulti runs a COM_QUERY that may hold several statements; each
// statement's result is streamed before the next one starts, and the
// first failing statement ends the batch (as in MySQL).
func (h *handler) ComQueryMulti(c *mysql.Conn, sql string, callback func(qr sqltypes.QueryResponse, more bool, firstPacket bool) error) (err error) {
	defer h.recovered(c, "query", &err)
	cs := h.state(c)
	if cs == nil {
		return sqlerror.NewSQLError(sqlerror.ERUnknownError, sqlerror.SSUnknownSQLState, "unknown connection")
	}
	stmts, serr := engine.SplitStatements(sql)
	if serr != nil {
		return callback(sqltypes.QueryResponse{QueryError: toSQLError(serr)}, false, true)
	}
	if len(stmts) == 0 {
		return callback(sqltypes.QueryResponse{QueryError: sqlerror.NewSQLError(sqlerror.EREmptyQuery, "42000", "Query was empty")}, false, true)
	}
	if len(stmts) > 1 && c.Capabilities&mysql.CapabilityClientMultiStatements == 0 {
		return callback(sqltypes.QueryResponse{QueryError: sqlerror.NewSQLError(sqlerror.ErrorCode(1064), "42000",
			fmt.Sprintf("You have an error in your SQL syntax: %d statements in one query, but the client did not enable multi-statements (CLIENT_MULTI_STATEMENTS)", len(stmts)))}, false, true)
	}
	for i, st := range stmts {
		more := i < len(stmts)-1
		first := true
		rerr := h.runStatement(cs, st, false, func(r *sqltypes.Result) error {
			f := first
			first = false
			return callback(sqltypes.QueryResponse{QueryResult: r}, more, f)
		})
		if rerr != nil {
			if !first {
				// Rows were already sent: the error cannot be reported
				// in-band; vitess drops the connection (client sees 2013).
				return rerr
			}
			return callback(sqltypes.QueryResponse{QueryError: rerr}, false, true)
		}
	}
	return nil
}

// ComPrepare prepares a statement: tarn's engine has no parameter API,
// so the text is kept and bound values are substituted as SQL literals
// at execution (see bindParams). Result columns are described at
// execution time.
func (h *handler) ComPrepare(c *mysql.Conn, query string) (fields []*querypb.Field, params uint16, err error) {
	defer h.recovered(c, "prepare", &err)
	h.log.Debug("prepare", "id", c.ConnectionID, "sql", query)
	n, perr := countParams(query)
	if perr != nil {
		return nil, 0, toSQLError(perr)
	}
	if n > 65535 {
		return nil, 0, sqlerror.NewSQLError(sqlerror.ErrorCode(1390), "HY000", "Prepared statement contains too many placeholders")
	}
	return nil, uint16(n), nil
}

// ComStmtExecute executes a prepared statement with its bound values.
func (h *handler) ComStmtExecute(c *mysql.Conn, prepare *mysql.PrepareData, callback func(*sqltypes.Result) error) (err error) {
	defer h.recovered(c, "execute", &err)
	cs := h.state(c)
	if cs == nil || prepare == nil {
		return sqlerror.NewSQLError(sqlerror.ERUnknownStmtHandler, "HY000", "Unknown prepared statement handler")
	}
	sql, berr := bindParams(prepare.PrepareStmt, int(prepare.ParamsCount), prepare.BindVars)
	if berr != nil {
		return toSQLError(berr)
	}
	return h.runStatement(cs, sql, true, callback)
}

// ComRegisterReplica, ComBinlogDump and ComBinlogDumpGTID: tarn is not a
// replication source.
func (h *handler) ComRegisterReplica(c *mysql.Conn, replicaHost string, replicaPort uint16, replicaUser string, replicaPassword string) error {
	return notReplication()
}

// ComBinlogDump is refused: tarn has no binary log.
func (h *handler) ComBinlogDump(c *mysql.Conn, logFile string, binlogPos uint32) error {
	return notReplication()
}

// ComBinlogDumpGTID is refused: tarn has no binary log.
func (h *handler) ComBinlogDumpGTID(c *mysql.Conn, logFile string, logPos uint64, gtidSet replication.GTIDSet, flags uint16) error {
	return notReplication()
}

func notReplication() error {
	return sqlerror.NewSQLError(sqlerror.ERNotSupportedYet, "42000", "tarn is not a replication source: binary log commands are not supported")
}

// runStatement runs one statement with processlist bookkeeping, the
// statement's own cancellable context, and streaming of its result.
func (h *handler) runStatement(cs *connState, sql string, binary bool, emit func(*sqltypes.Result) error) error {
	h.queries.Add(1)
	h.log.Debug("query", "id", cs.id, "db", cs.db(), "sql", engine.RedactStatement(sql))
	ctx, cancel := context.WithCancelCause(withUser(context.Background(), connUser(cs)))
	defer cancel(nil)
	if ms := cs.maxExecutionTime(); ms > 0 {
		var c2 context.CancelFunc
		ctx, c2 = context.WithTimeoutCause(ctx, time.Duration(ms)*time.Millisecond, context.DeadlineExceeded)
		defer c2()
	}
	cs.mu.Lock()
	cs.command, cs.info, cs.since, cs.cancel, cs.busy = "Query", engine.RedactStatement(sql), time.Now(), cancel, true
	cs.mu.Unlock()
	if cs.wc != nil {
		cs.wc.watch(func() { cancel(errClientGone) })
	}
	defer func() {
		if cs.wc != nil {
			cs.wc.watch(nil)
		}
		db := cs.db()
		cs.mu.Lock()
		cs.command, cs.info, cs.since, cs.cancel, cs.busy, cs.result = "Sleep", "", time.Now(), nil, false, nil
		cs.curDB = db
		cs.mu.Unlock()
		if h.shutdown.Load() {
			cs.c.MarkForClose()
		}
	}()
	if h.shutdown.Load() {
		return sqlerror.NewSQLError(sqlerror.ERServerShutdown, "08S01", "Server shutdown in progress")
	}
	err := h.execute(ctx, cs, sql, binary, emit)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && ctx.Err() != nil {
			err = causeError(cause, err)
		}
		h.log.Debug("query failed", "id", cs.id, "error", err)
		return toSQLError(err)
	}
	return nil
}

// causeError explains why a cancelled statement stopped.
func causeError(cause, err error) error {
	switch {
	case errors.Is(cause, errKilled):
		return &statusError{code: sqlerror.ERQueryInterrupted, state: "70100", msg: "Query execution was interrupted (KILL QUERY)"}
	case errors.Is(cause, errClientGone):
		return &statusError{code: sqlerror.ERQueryInterrupted, state: "70100", msg: "Query execution was interrupted: the client disconnected"}
	case errors.Is(cause, errShutdown):
		return &statusError{code: sqlerror.ERQueryInterrupted, state: "70100", msg: "Query execution was interrupted: server shutdown"}
	case errors.Is(cause, context.DeadlineExceeded):
		return &statusError{code: sqlerror.ERQueryTimeout, state: "HY000", msg: "Query execution was interrupted, maximum statement execution time exceeded"}
	}
	return err
}

// execute dispatches one statement: statements the server answers itself
// (session variables, SHOW, KILL, information_schema) and the rest to the
// engine.
func (h *handler) execute(ctx context.Context, cs *connState, sql string, binary bool, emit func(*sqltypes.Result) error) error {
	if h.testHook != nil {
		h.testHook(sql)
	}
	stmt, perr := h.parser.Parse(sql)
	if perr == nil {
		if !isShowWarnings(stmt) {
			cs.warnings = nil
		}
		res, handled, rewritten, err := h.intercept(ctx, cs, stmt)
		if err != nil {
			return err
		}
		if handled {
			if res == nil {
				return emit(&sqltypes.Result{})
			}
			cs.lastQuery.Store(int64(len(res.Rows)))
			return emit(res)
		}
		if rewritten != "" {
			sql = rewritten
		}
	} else {
		cs.warnings = nil
	}
	return h.runEngine(ctx, cs, sql, emit)
}

// runEngine runs a statement on the engine and streams its result batch
// by batch: each Arrow batch is converted and handed to vitess, which
// writes it to the socket before the next batch is read.
func (h *handler) runEngine(ctx context.Context, cs *connState, sql string, emit func(*sqltypes.Result) error) error {
	res, err := cs.sess.Query(ctx, sql)
	if err != nil {
		return err
	}
	cs.mu.Lock()
	cs.result = res
	cs.mu.Unlock()
	serr := streamResult(ctx, res.Schema(), res.Next, emit)
	cerr := res.Close()
	cs.lastQuery.Store(res.Stats().Rows)
	if serr != nil {
		return serr
	}
	if cerr != nil && !errors.Is(cerr, context.Canceled) {
		return cerr
	}
	return nil
}

// isShowWarnings: SHOW WARNINGS / SHOW ERRORS keep the warning list.
func isShowWarnings(stmt sqlparser.Statement) bool {
	if sh, ok := stmt.(*sqlparser.Show); ok {
		if b, ok := sh.Internal.(*sqlparser.ShowBasic); ok {
			return b.Command == sqlparser.Warnings || b.Command == sqlparser.Errors
		}
	}
	return false
}

// streamResult converts and emits batches from next until it returns nil.
// The first batch is fetched before anything is sent, so errors raised
// before the first row (planning, pipeline breakers running out of
// memory) reach the client as proper error packets.
func streamResult(ctx context.Context, schema *arrow.Schema, next func(context.Context) (arrow.RecordBatch, error), emit func(*sqltypes.Result) error) error {
	if schema == nil || schema.NumFields() == 0 {
		// Drain (statements without a result set produce no batches).
		for {
			rec, err := next(ctx)
			if err != nil {
				return err
			}
			if rec == nil {
				break
			}
			rec.Release()
		}
		return emit(&sqltypes.Result{})
	}
	fields := fieldsFor(schema)
	enc := newRowEncoder(fields)
	sent := false
	for {
		rec, err := next(ctx)
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		if rec.NumRows() == 0 {
			rec.Release()
			continue
		}
		rows, err := enc.encode(rec)
		if err != nil {
			rec.Release()
			return err
		}
		err = emit(&sqltypes.Result{Fields: fields, Rows: rows})
		rec.Release()
		if err != nil {
			return err
		}
		sent = true
	}
	if !sent {
		return emit(&sqltypes.Result{Fields: fields})
	}
	return nil
}

// statusError is an error with an explicit MySQL code and SQLSTATE.
type statusError struct {
	code  sqlerror.ErrorCode
	state string
	msg   string
}

func (e *statusError) Error() string { return e.msg }

// toSQLError maps any error to a MySQL error packet (see docs/SERVER.md
// for the table).
func toSQLError(err error) error {
	var se *sqlerror.SQLError
	var st *statusError
	var me *exec.MemoryError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &se):
		return se
	case errors.As(err, &st):
		return sqlerror.NewSQLError(st.code, st.state, st.msg)
	case errors.As(err, &me):
		// ER_CAPACITY_EXCEEDED; the message names the operator.
		return sqlerror.NewSQLError(sqlerror.ErrorCode(3170), "HY000", me.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return sqlerror.NewSQLError(sqlerror.ERQueryTimeout, "HY000", "Query execution was interrupted, maximum statement execution time exceeded")
	case errors.Is(err, context.Canceled):
		return sqlerror.NewSQLError(sqlerror.ERQueryInterrupted, "70100", "Query execution was interrupted")
	}
	code, state := engine.ErrorCode(err)
	if code == 0 {
		code, state = 1105, "HY000"
	}
	return sqlerror.NewSQLError(sqlerror.ErrorCode(code), state, err.Error())
}
