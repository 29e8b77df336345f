package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner"
	"github.com/tarnsql/tarn/planner/ddl"
	"github.com/tarnsql/tarn/planner/plan"
)

// Session is one client's state: user and current database. A session
// runs one statement at a time.
type Session struct {
	e    *Engine
	user string
	db   string
	// WLM: SET query_group, SET wlm_query_slot_count, the connection id.
	queryGroup string
	slotCount  int
	connID     int64
}

// Database is the current database ("" when none is selected).
func (s *Session) Database() string { return s.db }

// User is the session's user name.
func (s *Session) User() string { return s.user }

var splitter = sqlparser.NewTestParser()

// SplitStatements splits a script on ';' (respecting quotes and
// comments) and drops empty statements.
func SplitStatements(script string) ([]string, error) {
	pieces, err := splitter.SplitStatementToPieces(script)
	if err != nil {
		return nil, newError(CodeSyntax, "42000", err, "cannot split statements: %v", err)
	}
	out := pieces[:0]
	for _, p := range pieces {
		if strings.TrimSpace(stripComments(p)) != "" {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out, nil
}

// stripComments removes leading comments (to detect comment-only pieces).
func stripComments(s string) string {
	for {
		t := strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(t, "--"), strings.HasPrefix(t, "#"):
			i := strings.IndexByte(t, '\n')
			if i < 0 {
				return ""
			}
			s = t[i+1:]
		case strings.HasPrefix(t, "/*"):
			i := strings.Index(t, "*/")
			if i < 0 {
				return t
			}
			s = t[i+2:]
		default:
			return t
		}
	}
}

// Exec runs one or more statements separated by ';', discarding results.
// It stops at the first failing statement.
func (s *Session) Exec(ctx context.Context, sql string) error {
	stmts, err := SplitStatements(sql)
	if err != nil {
		return err
	}
	for _, st := range stmts {
		r, err := s.Query(ctx, st)
		if err != nil {
			return err
		}
		for {
			rec, err := r.Next(ctx)
			if err != nil {
				r.Close()
				return err
			}
			if rec == nil {
				break
			}
			rec.Release()
		}
		if err := r.Close(); err != nil {
			return err
		}
	}
	return nil
}

// Query runs exactly one statement and returns its result, which the
// caller must Close. A statement that fails before producing a result is
// recorded in the query history and returned as an error.
func (s *Session) Query(ctx context.Context, sql string) (*Result, error) {
	r := &Result{s: s, id: s.e.nextQueryID(), sql: strings.TrimSpace(sql), start: time.Now(), mem: s.e.cfg.Allocator,
		schema: arrow.NewSchema(nil, nil)}
	err := s.start(ctx, r)
	if err != nil {
		if r.stream != nil {
			r.stream.Close()
			r.stream = nil
		}
		r.finish(err)
		r.closed = true
		s.e.record(r, err)
		return nil, err
	}
	return r, nil
}

func (s *Session) start(ctx context.Context, r *Result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	stmts, err := SplitStatements(r.sql)
	if err != nil {
		return err
	}
	switch len(stmts) {
	case 0:
		return newError(CodeSyntax, "42000", nil, "empty statement")
	case 1:
	default:
		return newError(CodeSyntax, "42000", nil, "Query takes exactly one statement, got %d (use Exec for scripts)", len(stmts))
	}
	sql := stmts[0]
	if ddl.IsCatalogStatement(sql) {
		st, err := ddl.Parse(sql)
		if err != nil {
			return err
		}
		if ok, err := s.authorizeStatement(ctx, r, st); ok {
			return err
		}
		if ok, err := s.runWLMStatement(ctx, r, st); ok {
			return err
		}
		if err := s.runCatalog(ctx, r, st); err != nil {
			return err
		}
		return s.filterCatalogResult(ctx, r, st)
	}
	return s.runQuery(ctx, r, sql, false)
}

// plan parses and plans a query.
func (s *Session) plan(ctx context.Context, sql string) (*planner.Planned, error) {
	stmt, err := planner.Parse(sql)
	if err != nil {
		return nil, err
	}
	switch stmt.(type) {
	case sqlparser.TableStatement:
	default:
		return nil, newError(CodeNotSupported, "42000", nil, "statement not supported: %s", firstWord(sql))
	}
	return planner.PlanQuery(ctx, sql, stmt, s.catalog(), planner.Options{Database: s.db})
}

func firstWord(sql string) string {
	f := strings.Fields(stripComments(sql))
	if len(f) == 0 {
		return ""
	}
	return strings.ToUpper(f[0])
}

// newQueryCtx is a query context outside WLM (the whole memory budget).
func (s *Session) newQueryCtx() *exec.QueryCtx {
	c := s.e.cfg
	return exec.NewQueryCtx(c.Slices, c.BatchSize, exec.NewBudget(c.MemoryLimit), c.Allocator)
}

// runQuery plans and starts a query; the result streams its batches.
func (s *Session) runQuery(ctx context.Context, r *Result, sql string, _ bool) error {
	p, err := s.planAndAdmit(ctx, r, sql)
	if err != nil {
		return err
	}
	if err := r.startExec(false); err != nil {
		return err
	}
	r.columns = p.Columns
	r.schema = renameSchema(p.Root.Schema(), p.Columns)
	return nil
}

func renameSchema(s *arrow.Schema, names []string) *arrow.Schema {
	fs := make([]arrow.Field, s.NumFields())
	for i := range fs {
		fs[i] = s.Field(i)
		if i < len(names) {
			fs[i].Name = names[i]
		}
	}
	return arrow.NewSchema(fs, nil)
}

// explain runs EXPLAIN [ANALYZE].
func (s *Session) explain(ctx context.Context, r *Result, st *ddl.Explain) error {
	p, err := s.plan(ctx, st.Query)
	if err != nil {
		return shiftPosition(err, st)
	}
	text := plan.Explain(p.Root)
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if st.Analyze {
		if err := s.admit(ctx, r, p.Root); err != nil {
			return err
		}
		start := time.Now()
		if err := r.startExec(false); err != nil {
			return err
		}
		var rows int64
		for {
			rec, err := r.nextStream(ctx, false)
			if err != nil {
				return err
			}
			if rec == nil {
				break
			}
			rows += rec.NumRows()
			rec.Release()
		}
		stream := r.stream
		r.stream = nil
		if err := stream.Close(); err != nil {
			return err
		}
		qc := r.qc.Load()
		el := time.Since(start)
		ss := qc.Stats
		lines = append(lines, "",
			fmt.Sprintf("rows: %d", rows),
			fmt.Sprintf("elapsed: %s", el.Round(time.Microsecond)),
			fmt.Sprintf("bytes scanned: %d (%s)", ss.BytesScanned.Load(), exec.FormatBytes(ss.BytesScanned.Load())),
			fmt.Sprintf("rows scanned: %d", ss.RowsScanned.Load()),
			fmt.Sprintf("files scanned: %d", ss.FilesScanned.Load()),
			fmt.Sprintf("partitions scanned: %d/%d", ss.PartitionsScanned.Load(), ss.PartitionsTotal.Load()),
			fmt.Sprintf("splits: %d/%d", ss.SplitsDone.Load(), ss.SplitsTotal.Load()),
			fmt.Sprintf("row groups scanned: %d/%d", ss.RowGroupsScanned.Load(), ss.RowGroupsTotal.Load()),
			fmt.Sprintf("peak memory: %s", exec.FormatBytes(qc.Budget.Peak())),
		)
	}
	rows := make([][]any, len(lines))
	for i, l := range lines {
		rows[i] = []any{l}
	}
	r.setStatic([]string{"plan"}, []arrow.DataType{arrow.BinaryTypes.String}, rows)
	return nil
}

// shiftPosition moves a planner error's position from the EXPLAIN'd
// query text to the whole statement.
func shiftPosition(err error, st *ddl.Explain) error {
	var pe *planner.Error
	if !errors.As(err, &pe) || pe.Line == 0 {
		return err
	}
	c := *pe
	if c.Line == 1 {
		c.Col += st.QueryCol - 1
	}
	c.Line += st.QueryLine - 1
	return &c
}

func (r *Result) setStatic(names []string, types []arrow.DataType, rows [][]any) {
	fs := make([]arrow.Field, len(names))
	for i := range names {
		fs[i] = arrow.Field{Name: names[i], Type: types[i], Nullable: true}
	}
	r.columns = names
	r.schema = arrow.NewSchema(fs, nil)
	if rows == nil {
		rows = [][]any{}
	}
	r.static = rows
}

// nextQueryID returns a Trino-style id: 20261121_101500_00001_ab12c.
func (e *Engine) nextQueryID() string {
	n := e.counter.Add(1)
	return fmt.Sprintf("%s_%05d_%s", time.Now().UTC().Format("20060102_150405"), n%100000, e.idSfx)
}

// record appends a finished statement to the query history.
func (e *Engine) record(r *Result, err error) {
	st := r.Stats()
	end := time.Unix(0, r.endNano.Load())
	if r.endNano.Load() == 0 {
		end = time.Now()
	}
	h := HistoryEntry{
		QueryID: r.id, User: r.s.user, Query: RedactStatement(r.sql), State: stateOf(err),
		Start: r.start.UTC(), End: end.UTC(), ElapsedMs: end.Sub(r.start).Milliseconds(),
		Rows: st.Rows, BytesScanned: st.BytesScanned, FilesScanned: st.FilesScanned,
		PartitionsTotal: st.PartitionsTotal, PartitionsScanned: st.PartitionsScanned,
		MemoryPeakBytes: st.PeakMemory,
		RowGroupsTotal:  st.RowGroupsTotal, RowGroupsScanned: st.RowGroupsScanned,
	}
	h.Queue, h.QueueWaitMs, h.ExecMs = r.wlmSummary(end.Sub(r.start))
	if err != nil {
		h.Error = err.Error()
	}
	e.hist.add(h)
}
