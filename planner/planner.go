// Package planner turns SQL text into a physical plan: Parse (vitess,
// MySQL dialect) → bind (names, types, subqueries as Apply nodes; a
// logical plan over column IDs, see planner/logical) → optimize
// (planner/optimizer: folding, decorrelation, predicate pushdown, join
// ordering, pruning) → lower to planner/plan.
package planner

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/optimizer"
	"github.com/tarnsql/tarn/planner/plan"
)

// Catalog resolves names for the binder.
type Catalog interface {
	// Table resolves db.name; db == "" means the session's current database.
	// For views, ct.Kind == catalog.KindView, ct.ViewSQL holds the SELECT and tbl is nil.
	// A missing table returns an error wrapping catalog.ErrNotFound.
	Table(ctx context.Context, db, name string) (ct *catalog.Table, tbl connectors.Table, err error)
}

// ViewCatalog is implemented by catalogs that resolve the tables inside
// a view differently from the query's own (views with definer rights):
// the binder resolves a view's query through ForView(view).
type ViewCatalog interface {
	ForView(view *catalog.Table) Catalog
}

// CodedError is a catalog error that carries its own MySQL error code
// (access denied): the binder reports it with that code and message
// instead of wrapping it.
type CodedError interface {
	error
	MySQLCode() (code int, sqlState string)
}

// Options are per-query planning options.
type Options struct {
	Database   string           // current database (may be "")
	ParamTypes []arrow.DataType // prepared statement parameter types, if known
}

// Planned is a planned query.
type Planned struct {
	Root    plan.Node
	Columns []string // output column names as the client sees them
}

// MySQL error codes used by the planner.
const (
	CodeSyntax    = 1064
	CodeNoTable   = 1146
	CodeBadField  = 1054
	CodeAmbiguous = 1052
	CodeOther     = 1105
	CodeGroupBy   = 1055
)

// Error is a planning error with a MySQL error code and a 1-based
// position (0 when unknown).
type Error struct {
	Code     int
	SQLState string
	Msg      string
	Line     int
	Col      int

	ident string // identifier whose first occurrence locates the error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s at line %d, column %d", e.Msg, e.Line, e.Col)
	}
	return e.Msg
}

func sqlState(code int) string {
	switch code {
	case CodeSyntax, CodeNoTable, CodeBadField, CodeAmbiguous, CodeGroupBy:
		return "42000"
	}
	return "HY000"
}

func newErr(code int, format string, args ...any) *Error {
	st := sqlState(code)
	if code == CodeBadField || code == CodeAmbiguous {
		st = "42S22"
	}
	if code == CodeNoTable {
		st = "42S02"
	}
	return &Error{Code: code, SQLState: st, Msg: fmt.Sprintf(format, args...)}
}

var parser = func() *sqlparser.Parser {
	p, err := sqlparser.New(sqlparser.Options{MySQLServerVersion: "8.0.30"})
	if err != nil {
		return sqlparser.NewTestParser()
	}
	return p
}()

var posRe = regexp.MustCompile(`at position (\d+)(?: near '(.*)')?`)

// Parse parses one SQL statement. A syntax error is a *Error with Code
// 1064 saying line, column and the text near it.
func Parse(sql string) (sqlparser.Statement, error) {
	sql = rewriteHiddenColumnQuotes(sql)
	stmt, err := parser.Parse(sql)
	if err == nil {
		return stmt, nil
	}
	text, rewritten := sql, false
	if rw, ok := rewriteNested(text); ok {
		text, rewritten = rw, true
		if stmt, rerr := parser.Parse(text); rerr == nil {
			return stmt, nil
		}
	}
	if rw, ok := rewriteFullJoins(text); ok {
		text, rewritten = rw, true
		if stmt, rerr := parser.Parse(text); rerr == nil {
			return stmt, nil
		}
	}
	if rw, ok := rewriteSetOps(text); ok {
		text, rewritten = rw, true
	}
	if rewritten {
		if stmt, rerr := parser.Parse(text); rerr == nil {
			return stmt, nil
		}
	}
	msg := err.Error()
	if m := posRe.FindStringSubmatch(msg); m != nil {
		pos, _ := strconv.Atoi(m[1])
		// vitess reports the position just after the offending token.
		near := m[2]
		off := pos - 1 - len(near)
		if near == "" {
			// back up over blanks to the start of the last token read
			end := min(max(pos-1, 0), len(sql))
			for end > 0 && isBlank(sql[end-1]) {
				end--
			}
			off = end
			for off > 0 && !isBlank(sql[off-1]) {
				off--
			}
			near = sql[off:end]
			if near == "" {
				near = tail(sql, off)
			}
		}
		if off < 0 || off > len(sql) {
			off = max(0, min(pos-1, len(sql)))
		}
		line, col := lineCol(sql, off)
		e := newErr(CodeSyntax, "You have an error in your SQL syntax near '%s'", near)
		e.Line, e.Col = line, col
		return nil, e
	}
	return nil, newErr(CodeSyntax, "You have an error in your SQL syntax: %s", msg)
}

func tail(sql string, off int) string {
	s := sql[min(off, len(sql)):]
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

func lineCol(sql string, off int) (int, int) {
	line, col := 1, 1
	for i := 0; i < off && i < len(sql); i++ {
		if sql[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

// PlanQuery plans a SELECT / UNION / WITH statement. sql is the original
// text, used to locate identifiers for error positions.
func PlanQuery(ctx context.Context, sql string, stmt sqlparser.Statement, cat Catalog, opts Options) (*Planned, error) {
	lp, names, err := BindQuery(ctx, sql, stmt, cat, opts)
	if err != nil {
		return nil, err
	}
	lp, err = optimizer.Optimize(ctx, lp)
	if err != nil {
		return nil, asError(err)
	}
	if err := prunePartitions(ctx, lp, cat); err != nil {
		return nil, asError(err)
	}
	root, err := Lower(lp, names)
	if err != nil {
		return nil, asError(err)
	}
	return &Planned{Root: root, Columns: names}, nil
}

// BindQuery binds a query to a logical plan whose root outputs the
// query's columns in order; names are the client-visible column names.
func BindQuery(ctx context.Context, sql string, stmt sqlparser.Statement, cat Catalog, opts Options) (logical.Node, []string, error) {
	ts, ok := stmt.(sqlparser.TableStatement)
	if !ok {
		return nil, nil, newErr(CodeOther, "statement is not a query: %s", sqlparser.String(stmt))
	}
	b := &binder{ctx: ctx, sql: sql, cat: cat, db: opts.Database, meta: &logical.Meta{}, params: opts.ParamTypes}
	n, cols, err := b.bindTableStmt(ts, nil, nil)
	if err == nil {
		err = checkNestedKeys(n)
	}
	if err != nil {
		return nil, nil, b.locate(err)
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	// The root is a projection in output order.
	exprs := make([]logical.Col, len(cols))
	copy(exprs, cols)
	return rootProject(n, exprs), names, nil
}

func asError(err error) error {
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return newErr(CodeOther, "%s", err.Error())
}

func isBlank(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }
