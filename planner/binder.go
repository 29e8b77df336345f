package planner

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

type binder struct {
	ctx      context.Context
	sql      string
	cat      Catalog
	db       string
	meta     *logical.Meta
	params   []arrow.DataType
	paramSet map[int]bool
	depth    int // view / CTE nesting, to stop runaway recursion
}

// scopeCol is a column visible to name resolution.
type scopeCol struct {
	db, table string // qualifier (alias or table name) and its database
	name      string
	col       logical.Col
	// hiddenUnqualified columns (the right side of USING) are skipped by
	// unqualified references and by *.
	hiddenUnqualified bool
	// fileHidden marks a hidden file column ("$path", ...: see
	// hidden.go): skipped by * and NATURAL joins, bound by name.
	fileHidden bool
}

type scope struct {
	cols   []scopeCol
	parent *scope
}

type cteDef struct {
	stmt sqlparser.TableStatement
	cols sqlparser.Columns
	env  *cteEnv // environment the CTE was defined in
}

type cteEnv struct {
	defs   map[string]*cteDef
	parent *cteEnv
}

func (e *cteEnv) lookup(name string) *cteDef {
	for ; e != nil; e = e.parent {
		if d, ok := e.defs[strings.ToLower(name)]; ok {
			return d
		}
	}
	return nil
}

// errAt attaches the identifier to locate to a planning error.
func errAt(e *Error, ident string) *Error { e.ident = ident; return e }

// locate fills in the position of an error's identifier.
func (b *binder) locate(err error) error {
	var pe *Error
	if !errors.As(err, &pe) {
		return newErr(CodeOther, "%s", err.Error())
	}
	if pe.Line == 0 && pe.ident != "" {
		if off := findToken(b.sql, pe.ident); off >= 0 {
			pe.Line, pe.Col = lineCol(b.sql, off)
		}
	}
	return pe
}

// findToken finds the first occurrence of ident as a whole token in sql,
// outside string literals and comments; -1 if absent.
func findToken(sql, ident string) int {
	id := strings.ToLower(ident)
	low := strings.ToLower(sql)
	isWord := func(c byte) bool {
		return c == '_' || c == '$' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(sql) {
				if sql[j] == '\\' {
					j += 2
					continue
				}
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			i = j + 1
		case c == '#' || c == '-' && i+1 < len(sql) && sql[i+1] == '-':
			for i < len(sql) && sql[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(sql) && sql[i+1] == '*':
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return -1
			}
			i += j + 4
		case c == '`':
			j := strings.IndexByte(sql[i+1:], '`')
			if j < 0 {
				return -1
			}
			if strings.EqualFold(sql[i+1:i+1+j], ident) {
				return i
			}
			i += j + 2
		case isWord(c):
			j := i
			for j < len(sql) && isWord(sql[j]) {
				j++
			}
			if low[i:j] == id {
				return i
			}
			i = j
		default:
			i++
		}
	}
	return -1
}

// bindTableStmt binds a SELECT or UNION. outer is the enclosing scope
// for correlated subqueries.
func (b *binder) bindTableStmt(ts sqlparser.TableStatement, outer *scope, env *cteEnv) (logical.Node, []logical.Col, error) {
	if err := b.ctx.Err(); err != nil {
		return nil, nil, err
	}
	switch s := ts.(type) {
	case *sqlparser.Select:
		env, err := b.withEnv(s.With, env)
		if err != nil {
			return nil, nil, err
		}
		return b.bindSelect(s, outer, env)
	case *sqlparser.Union:
		env, err := b.withEnv(s.With, env)
		if err != nil {
			return nil, nil, err
		}
		return b.bindUnion(s, outer, env)
	}
	return nil, nil, newErr(CodeOther, "unsupported query form: %s", sqlparser.String(ts))
}

func (b *binder) withEnv(w *sqlparser.With, env *cteEnv) (*cteEnv, error) {
	if w == nil {
		return env, nil
	}
	if w.Recursive {
		return nil, newErr(CodeOther, "WITH RECURSIVE is not supported")
	}
	for _, c := range w.CTEs {
		// each CTE sees the ones before it
		env = &cteEnv{defs: map[string]*cteDef{strings.ToLower(c.ID.String()): {stmt: c.Subquery, cols: c.Columns, env: env}}, parent: env}
	}
	return env, nil
}

func (b *binder) bindUnion(u *sqlparser.Union, outer *scope, env *cteEnv) (logical.Node, []logical.Col, error) {
	n, cols, err := b.bindSetOp(u.Left, u.Right, plan.Union, !u.Distinct, outer, env)
	if err != nil {
		return nil, nil, err
	}
	return b.bindSetOpTail(u, n, cols)
}

// bindSetOp binds a two-input set operation (UNION flattens nested UNION
// ALLs; INTERSECT and EXCEPT keep exactly two inputs).
func (b *binder) bindSetOp(left, right sqlparser.TableStatement, kind plan.SetOpKind, all bool, outer *scope, env *cteEnv) (logical.Node, []logical.Col, error) {
	ln, lcols, err := b.bindTableStmt(left, outer, env)
	if err != nil {
		return nil, nil, err
	}
	rn, rcols, err := b.bindTableStmt(right, outer, env)
	if err != nil {
		return nil, nil, err
	}
	if len(lcols) != len(rcols) {
		return nil, nil, newErr(CodeOther, "The used SELECT statements have a different number of columns (%d and %d)", len(lcols), len(rcols))
	}
	// Unify column types; cast each side in a projection if needed.
	outT := make([]arrow.DataType, len(lcols))
	for i := range lcols {
		_, t, err := b.unify([]expr.Expr{lcols[i].Ref(), rcols[i].Ref()})
		if err != nil {
			return nil, nil, err
		}
		if isNullType(t) {
			t = types.String
		}
		outT[i] = t
	}
	if err := checkSetOpNested(kind, all, lcols, outT); err != nil {
		return nil, nil, err
	}
	castSide := func(n logical.Node, cols []logical.Col) (logical.Node, []logical.Col, error) {
		need := false
		for i, c := range cols {
			if !arrow.TypeEqual(c.T, outT[i]) {
				need = true
			}
		}
		if !need {
			return n, cols, nil
		}
		p := &logical.Project{Input: n}
		for i, c := range cols {
			e, err := b.castTo(c.Ref(), outT[i])
			if err != nil {
				return nil, nil, err
			}
			p.Exprs = append(p.Exprs, e)
			if _, same := e.(*expr.ColumnRef); same {
				p.Out = append(p.Out, c)
			} else {
				p.Out = append(p.Out, b.meta.NewCol(c.Name, outT[i]))
			}
		}
		return p, p.Out, nil
	}
	if ln, lcols, err = castSide(ln, lcols); err != nil {
		return nil, nil, err
	}
	if rn, rcols, err = castSide(rn, rcols); err != nil {
		return nil, nil, err
	}
	so := &logical.SetOp{Kind: kind, All: all}
	if kind == plan.Union {
		// UNION is bound as UNION ALL plus a DISTINCT aggregate.
		so.All = true
	}
	// Flatten nested UNION ALL.
	for _, side := range []struct {
		n    logical.Node
		cols []logical.Col
	}{{ln, lcols}, {rn, rcols}} {
		if inner, ok := side.n.(*logical.SetOp); ok && kind == plan.Union && all && inner.All && inner.Kind == plan.Union {
			so.Ins = append(so.Ins, inner.Ins...)
			so.InCols = append(so.InCols, inner.InCols...)
			continue
		}
		ids := make([]int, len(side.cols))
		for i, c := range side.cols {
			ids[i] = c.ID
		}
		so.Ins = append(so.Ins, side.n)
		so.InCols = append(so.InCols, ids)
	}
	for i, c := range lcols {
		so.Out = append(so.Out, b.meta.NewCol(c.Name, outT[i]))
	}
	var n logical.Node = so
	if kind == plan.Union && !all {
		n = distinct(n, so.Out)
	}
	return n, so.Out, nil
}

// bindSetOpTail applies a UNION's own ORDER BY and LIMIT.
func (b *binder) bindSetOpTail(u *sqlparser.Union, n logical.Node, cols []logical.Col) (logical.Node, []logical.Col, error) {
	var err error
	// ORDER BY / LIMIT over the union: by output name or position.
	if len(u.OrderBy) > 0 {
		var keys []plan.SortKey
		sc := &scope{}
		for _, c := range cols {
			sc.cols = append(sc.cols, scopeCol{name: c.Name, col: c})
		}
		for _, o := range u.OrderBy {
			var e expr.Expr
			if pos, ok := intLiteral(o.Expr); ok {
				if pos < 1 || pos > int64(len(cols)) {
					return nil, nil, newErr(CodeBadField, "Unknown column '%d' in 'order clause'", pos)
				}
				e = cols[pos-1].Ref()
			} else {
				ec := &ectx{b: b, sc: sc, clause: "order clause"}
				if e, err = ec.bind(o.Expr); err != nil {
					return nil, nil, err
				}
			}
			keys = append(keys, sortKey(e, o.Direction == sqlparser.DescOrder))
		}
		n = &logical.Sort{Input: n, Keys: keys}
	}
	n, err = b.bindLimit(n, u.Limit)
	if err != nil {
		return nil, nil, err
	}
	return n, cols, nil
}

func sortKey(e expr.Expr, desc bool) plan.SortKey {
	// MySQL: NULLs first ascending, last descending.
	return plan.SortKey{Expr: e, Desc: desc, NullsFirst: !desc}
}

func distinct(n logical.Node, cols []logical.Col) logical.Node {
	a := &logical.Aggregate{Input: n}
	for _, c := range cols {
		a.Keys = append(a.Keys, c.Ref())
		a.KeyCols = append(a.KeyCols, c)
	}
	return a
}

func intLiteral(e sqlparser.Expr) (int64, bool) {
	l, ok := e.(*sqlparser.Literal)
	if !ok || l.Type != sqlparser.IntVal {
		return 0, false
	}
	v, err := strconv.ParseInt(l.Val, 10, 64)
	return v, err == nil
}

func (b *binder) bindLimit(n logical.Node, l *sqlparser.Limit) (logical.Node, error) {
	if l == nil {
		return n, nil
	}
	lim, off := int64(-1), int64(0)
	if l.Rowcount != nil {
		v, ok := intLiteral(l.Rowcount)
		if !ok || v < 0 {
			return nil, newErr(CodeOther, "LIMIT must be a non-negative integer constant, got %s", sqlparser.String(l.Rowcount))
		}
		lim = v
	}
	if l.Offset != nil {
		v, ok := intLiteral(l.Offset)
		if !ok || v < 0 {
			return nil, newErr(CodeOther, "OFFSET must be a non-negative integer constant, got %s", sqlparser.String(l.Offset))
		}
		off = v
	}
	return &logical.Limit{Input: n, Limit: lim, Offset: off}, nil
}

// bindFrom binds a FROM list (comma = cross join).
func (b *binder) bindFrom(from []sqlparser.TableExpr, outer *scope, env *cteEnv) (logical.Node, []scopeCol, error) {
	if len(from) == 0 {
		return &logical.Values{Rows: [][]expr.Expr{{}}}, nil, nil
	}
	var n logical.Node
	var cols []scopeCol
	for _, te := range from {
		if ate, ok := unnestTE(te); ok {
			// FROM t, UNNEST(t.a): lateral over everything to its left
			un, uc, err := b.bindUnnest(n, cols, ate, false, outer, env)
			if err != nil {
				return nil, nil, err
			}
			n, cols = un, uc
			continue
		}
		tn, tc, err := b.bindTableExpr(te, outer, env)
		if err != nil {
			return nil, nil, err
		}
		if n == nil {
			n, cols = tn, tc
			continue
		}
		n = &logical.Join{Type: plan.Inner, Left: n, Right: tn}
		cols = append(cols, tc...)
	}
	return n, cols, nil
}

func (b *binder) bindTableExpr(te sqlparser.TableExpr, outer *scope, env *cteEnv) (logical.Node, []scopeCol, error) {
	switch t := te.(type) {
	case *sqlparser.AliasedTableExpr:
		alias := t.As.String()
		switch src := t.Expr.(type) {
		case sqlparser.TableName:
			return b.bindTableName(src, alias, t.Columns, env)
		case *sqlparser.DerivedTable:
			if alias == "" {
				return nil, nil, newErr(CodeOther, "Every derived table must have its own alias")
			}
			if kind, all, ok := setopFromAlias(alias); ok {
				l, r, ok := unionSides(src.Select)
				if !ok {
					return nil, nil, newErr(CodeOther, "malformed set operation")
				}
				n, cols, err := b.bindSetOp(l, r, kind, all, nil, env)
				if err != nil {
					return nil, nil, err
				}
				return b.derivedScope(n, cols, "", "", t.Columns)
			}
			n, cols, err := b.bindTableStmt(src.Select, nil, env)
			if err != nil {
				return nil, nil, err
			}
			if strings.HasPrefix(strings.ToLower(alias), setopAliasPrefix) {
				alias = ""
			}
			return b.derivedScope(n, cols, "", alias, t.Columns)
		}
	case *sqlparser.ParenTableExpr:
		return b.bindFrom(t.Exprs, outer, env)
	case *sqlparser.JoinTableExpr:
		return b.bindJoin(t, outer, env)
	}
	return nil, nil, newErr(CodeOther, "unsupported table expression: %s", sqlparser.String(te))
}

func (b *binder) derivedScope(n logical.Node, cols []logical.Col, db, alias string, names sqlparser.Columns) (logical.Node, []scopeCol, error) {
	if len(names) > 0 && len(names) != len(cols) {
		return nil, nil, newErr(CodeOther, "derived table %s has %d columns but %d names were given", alias, len(cols), len(names))
	}
	out := make([]scopeCol, len(cols))
	for i, c := range cols {
		name := c.Name
		if len(names) > 0 {
			name = names[i].String()
		}
		out[i] = scopeCol{db: db, table: alias, name: name, col: c}
	}
	return n, out, nil
}

func (b *binder) bindTableName(tn sqlparser.TableName, alias string, colNames sqlparser.Columns, env *cteEnv) (logical.Node, []scopeCol, error) {
	name := tn.Name.String()
	db := tn.Qualifier.String()
	if alias == "" {
		alias = name
	}
	if db == "" {
		if def := env.lookup(name); def != nil {
			if b.depth > 32 {
				return nil, nil, newErr(CodeOther, "CTE %s nests too deeply", name)
			}
			b.depth++
			n, cols, err := b.bindTableStmt(def.stmt, nil, def.env)
			b.depth--
			if err != nil {
				return nil, nil, err
			}
			names := colNames
			if len(names) == 0 {
				names = def.cols
			}
			return b.derivedScope(n, cols, "", alias, names)
		}
	}
	if db == "" && strings.EqualFold(name, "dual") {
		return &logical.Values{Rows: [][]expr.Expr{{}}}, nil, nil
	}
	lookupDB := db
	if lookupDB == "" {
		lookupDB = b.db
	}
	ct, tbl, err := b.cat.Table(b.ctx, lookupDB, name)
	if err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			shown := name
			d := db
			if d == "" {
				d = b.db
			}
			if d != "" {
				shown = d + "." + name
			}
			return nil, nil, errAt(newErr(CodeNoTable, "Table '%s' doesn't exist", shown), name)
		}
		var ce CodedError
		if errors.As(err, &ce) {
			code, state := ce.MySQLCode()
			return nil, nil, &Error{Code: code, SQLState: state, Msg: ce.Error()}
		}
		return nil, nil, errAt(newErr(CodeOther, "table %s: %v", name, err), name)
	}
	if ct != nil && ct.Kind == catalog.KindView {
		if b.depth > 32 {
			return nil, nil, newErr(CodeOther, "view %s nests too deeply", name)
		}
		stmt, perr := Parse(ct.ViewSQL)
		if perr != nil {
			return nil, nil, newErr(CodeOther, "view %s.%s: %v", ct.Database, ct.Name, perr)
		}
		vts, ok := stmt.(sqlparser.TableStatement)
		if !ok {
			return nil, nil, newErr(CodeOther, "view %s.%s is not a query", ct.Database, ct.Name)
		}
		vb := *b
		vb.db = ct.Database
		vb.sql = ct.ViewSQL
		if vc, ok := b.cat.(ViewCatalog); ok {
			vb.cat = vc.ForView(ct)
		}
		vb.depth++
		n, cols, err := vb.bindTableStmt(vts, nil, nil)
		if err != nil {
			var pe *Error
			if errors.As(err, &pe) {
				pe.Msg = fmt.Sprintf("in view %s.%s: %s", ct.Database, ct.Name, pe.Msg)
				pe.ident = ""
				return nil, nil, pe
			}
			return nil, nil, err
		}
		return b.derivedScope(n, cols, ct.Database, alias, colNames)
	}
	if tbl == nil {
		return nil, nil, errAt(newErr(CodeOther, "table %s has no storage", name), name)
	}
	tbl, nHidden := withHiddenColumns(tbl)
	sch := tbl.Schema()
	rows, _ := tbl.Estimate(b.ctx)
	s := &logical.Scan{Table: tbl, Alias: alias, BaseRows: float64(rows)}
	var sc []scopeCol
	dbName := db
	if ct != nil {
		dbName = ct.Database
	}
	if rows < 0 && ct != nil && ct.Stats != nil && ct.Stats.Rows >= 0 {
		s.BaseRows = float64(ct.Stats.Rows)
	}
	for i := 0; i < sch.NumFields(); i++ {
		f := sch.Field(i)
		c := b.meta.NewCol(f.Name, f.Type)
		if ct != nil && ct.Stats != nil {
			if cs, ok := ct.Stats.Cols[f.Name]; ok && cs.Distinct > 0 {
				if s.NDV == nil {
					s.NDV = map[int]float64{}
				}
				s.NDV[c.ID] = float64(cs.Distinct)
			}
		}
		s.All = append(s.All, c)
		sc = append(sc, scopeCol{db: dbName, table: alias, name: f.Name, col: c, fileHidden: i >= sch.NumFields()-nHidden})
	}
	if len(colNames) > 0 {
		if len(colNames) != len(sc)-nHidden {
			return nil, nil, newErr(CodeOther, "table %s has %d columns but %d names were given", alias, len(sc)-nHidden, len(colNames))
		}
		for i := range sc[:len(sc)-nHidden] {
			sc[i].name = colNames[i].String()
		}
	}
	return s, sc, nil
}

func (b *binder) bindJoin(j *sqlparser.JoinTableExpr, outer *scope, env *cteEnv) (logical.Node, []scopeCol, error) {
	if ate, ok := unnestTE(j.RightExpr); ok {
		return b.bindJoinUnnest(j, ate, outer, env)
	}
	ln, lc, err := b.bindTableExpr(j.LeftExpr, outer, env)
	if err != nil {
		return nil, nil, err
	}
	rn, rc, err := b.bindTableExpr(j.RightExpr, outer, env)
	if err != nil {
		return nil, nil, err
	}
	jt := plan.Inner
	switch j.Join {
	case sqlparser.LeftJoinType, sqlparser.NaturalLeftJoinType:
		jt = plan.Left
	case sqlparser.RightJoinType, sqlparser.NaturalRightJoinType:
		jt = plan.Right
	case sqlparser.StraightJoinType:
		// Parse rewrote FULL [OUTER] JOIN into STRAIGHT_JOIN (see
		// setops.go); a genuine STRAIGHT_JOIN is an inner join.
		if hasFullJoin(lexSQL(b.sql)) {
			jt = plan.Full
		}
	}
	cols := append(append([]scopeCol(nil), lc...), rc...)
	join := &logical.Join{Type: jt, Left: ln, Right: rn}
	var using sqlparser.Columns
	if j.Condition != nil {
		using = j.Condition.Using
	}
	if j.Join == sqlparser.NaturalJoinType || j.Join == sqlparser.NaturalLeftJoinType || j.Join == sqlparser.NaturalRightJoinType {
		for _, l := range lc {
			for _, r := range rc {
				if strings.EqualFold(l.name, r.name) && !l.hiddenUnqualified && !r.hiddenUnqualified && !l.fileHidden && !r.fileHidden {
					using = append(using, sqlparser.NewIdentifierCI(l.name))
				}
			}
		}
	}
	for _, u := range using {
		li, ri := -1, -1
		for i, c := range lc {
			if strings.EqualFold(c.name, u.String()) && !c.hiddenUnqualified {
				li = i
			}
		}
		for i, c := range rc {
			if strings.EqualFold(c.name, u.String()) && !c.hiddenUnqualified {
				ri = i
			}
		}
		if li < 0 || ri < 0 {
			return nil, nil, errAt(newErr(CodeBadField, "Unknown column '%s' in 'from clause'", u.String()), u.String())
		}
		cond, err := b.compare("=", lc[li].col.Ref(), rc[ri].col.Ref())
		if err != nil {
			return nil, nil, err
		}
		join.Conds = append(join.Conds, cond)
		// the USING column appears once: from the preserved side
		if jt == plan.Right {
			cols[li].hiddenUnqualified = true
		} else {
			cols[len(lc)+ri].hiddenUnqualified = true
		}
	}
	if j.Condition != nil && j.Condition.On != nil {
		ec := &ectx{b: b, sc: &scope{cols: cols, parent: outer}, clause: "on clause", env: env}
		e, err := ec.bind(j.Condition.On)
		if err != nil {
			return nil, nil, err
		}
		if len(ec.applies) > 0 {
			return nil, nil, newErr(CodeOther, "subqueries in ON conditions are not supported")
		}
		if e, err = asBool(b, e); err != nil {
			return nil, nil, err
		}
		join.Conds = append(join.Conds, logical.Conjuncts(e)...)
	}
	if jt == plan.Right {
		join.Type = plan.Left
		join.Left, join.Right = rn, ln
	}
	if jt == plan.Inner && len(join.Conds) == 0 {
		join.Type = plan.Inner
	}
	return join, cols, nil
}

// selectItem is one bound select-list entry.
type selectItem struct {
	e    expr.Expr
	name string
	ast  sqlparser.Expr
}

func (b *binder) bindSelect(sel *sqlparser.Select, outer *scope, env *cteEnv) (logical.Node, []logical.Col, error) {
	if sel.Into != nil {
		return nil, nil, newErr(CodeOther, "SELECT ... INTO is not supported")
	}
	if sel.GroupBy != nil && sel.GroupBy.WithRollup {
		return nil, nil, newErr(CodeOther, "GROUP BY ... WITH ROLLUP is not supported")
	}
	if len(sel.Windows) > 0 {
		return nil, nil, newErr(CodeOther, "named windows (WINDOW clause) are not supported")
	}
	n, fromCols, err := b.bindFrom(sel.From, outer, env)
	if err != nil {
		return nil, nil, err
	}
	sc := &scope{cols: fromCols, parent: outer}

	// WHERE
	if sel.Where != nil && sel.Where.Expr != nil {
		if n, err = b.bindWhere(n, sel.Where.Expr, sc, env); err != nil {
			return nil, nil, err
		}
	}

	// Expand the select list.
	var astItems []*sqlparser.AliasedExpr
	var starItems []selectItem
	var isStar []bool
	if sel.SelectExprs != nil {
		for _, se := range sel.SelectExprs.Exprs {
			switch s := se.(type) {
			case *sqlparser.StarExpr:
				q := s.TableName.Name.String()
				qdb := s.TableName.Qualifier.String()
				found := false
				for _, c := range fromCols {
					if c.hiddenUnqualified && q == "" || c.fileHidden {
						continue
					}
					if q != "" && (!strings.EqualFold(c.table, q) || qdb != "" && !strings.EqualFold(c.db, qdb)) {
						continue
					}
					found = true
					astItems = append(astItems, nil)
					starItems = append(starItems, selectItem{e: c.col.Ref(), name: c.name})
					isStar = append(isStar, true)
				}
				if q != "" && !found {
					return nil, nil, errAt(newErr(CodeBadField, "Unknown table '%s'", q), q)
				}
				if q == "" && len(fromCols) == 0 {
					return nil, nil, newErr(CodeOther, "No tables used")
				}
			case *sqlparser.AliasedExpr:
				astItems = append(astItems, s)
				starItems = append(starItems, selectItem{})
				isStar = append(isStar, false)
			default:
				return nil, nil, newErr(CodeOther, "unsupported select expression %s", sqlparser.String(se))
			}
		}
	}

	aggMode := sel.GroupBy != nil && len(sel.GroupBy.Exprs) > 0 || sel.Having != nil && hasAggregate(sel.Having.Expr)
	for _, it := range astItems {
		if it != nil && hasAggregate(it.Expr) {
			aggMode = true
		}
	}
	for _, o := range sel.OrderBy {
		if hasAggregate(o.Expr) {
			aggMode = true
		}
	}

	var agg *aggState
	if aggMode {
		agg = &aggState{keyIdx: map[string]int{}, aggIdx: map[string]int{}, fromIDs: logical.IDs(colsOf(fromCols))}
	}
	win := &winState{}
	// applies for subqueries in SELECT / HAVING / ORDER BY
	ec := &ectx{b: b, sc: sc, env: env, agg: agg, win: win}

	// GROUP BY
	if agg != nil && sel.GroupBy != nil {
		for _, g := range sel.GroupBy.Exprs {
			gx := g
			if pos, ok := intLiteral(g); ok {
				if pos < 1 || int(pos) > len(astItems) || astItems[pos-1] == nil {
					return nil, nil, newErr(CodeBadField, "Unknown column '%d' in 'group statement'", pos)
				}
				gx = astItems[pos-1].Expr
			} else if cn, ok := g.(*sqlparser.ColName); ok && cn.Qualifier.IsEmpty() {
				if _, err := resolveCol(sc, cn, "group statement"); err != nil {
					// MySQL allows grouping by a select alias.
					for _, it := range astItems {
						if it != nil && !it.As.IsEmpty() && it.As.EqualString(cn.Name.String()) {
							gx = it.Expr
						}
					}
				}
			}
			gc := &ectx{b: b, sc: sc, env: env, clause: "group statement"}
			e, err := gc.bind(gx)
			if err != nil {
				return nil, nil, err
			}
			if len(gc.applies) > 0 {
				return nil, nil, newErr(CodeOther, "subqueries in GROUP BY are not supported")
			}
			agg.addKey(b, e, exprName(gx))
		}
	}

	// SELECT list
	items := make([]selectItem, len(astItems))
	ec.clause = "field list"
	for i, it := range astItems {
		if isStar[i] {
			items[i] = starItems[i]
			if agg != nil {
				e, err := agg.finish(ec, items[i].e)
				if err != nil {
					return nil, nil, errAt(err.(*Error), items[i].name)
				}
				items[i].e = e
			}
			continue
		}
		e, err := ec.bind(it.Expr)
		if err != nil {
			return nil, nil, err
		}
		if agg != nil {
			if e, err = agg.finish(ec, e); err != nil {
				return nil, nil, err
			}
		}
		name := it.As.String()
		if name == "" {
			name = exprName(it.Expr)
		}
		items[i] = selectItem{e: e, name: name, ast: it.Expr}
	}
	aliases := map[string]expr.Expr{}
	for _, it := range items {
		if it.ast != nil {
			k := strings.ToLower(it.name)
			if _, dup := aliases[k]; !dup {
				aliases[k] = it.e
			}
		}
	}

	// HAVING
	var having expr.Expr
	if sel.Having != nil && sel.Having.Expr != nil {
		hc := &ectx{b: b, sc: sc, env: env, agg: agg, win: win, clause: "having clause", aliases: aliases}
		e, err := hc.bind(sel.Having.Expr)
		if err != nil {
			return nil, nil, err
		}
		if agg != nil {
			if e, err = agg.finish(hc, e); err != nil {
				return nil, nil, err
			}
		}
		if having, err = asBool(b, e); err != nil {
			return nil, nil, err
		}
		ec.applies = append(ec.applies, hc.applies...)
	}

	// ORDER BY: position, output alias, or an expression.
	type orderItem struct {
		item int // index into items (including hidden ones appended)
		desc bool
	}
	var orders []orderItem
	hiddenStart := len(items)
	for _, o := range sel.OrderBy {
		desc := o.Direction == sqlparser.DescOrder
		if pos, ok := intLiteral(o.Expr); ok {
			if pos < 1 || int(pos) > hiddenStart {
				return nil, nil, newErr(CodeBadField, "Unknown column '%d' in 'order clause'", pos)
			}
			orders = append(orders, orderItem{int(pos - 1), desc})
			continue
		}
		if cn, ok := o.Expr.(*sqlparser.ColName); ok && cn.Qualifier.IsEmpty() {
			found := -1
			for i, it := range items[:hiddenStart] {
				if it.ast != nil && strings.EqualFold(it.name, cn.Name.String()) && (astItems[i].As.String() != "" || isColName(it.ast)) {
					found = i
					break
				}
			}
			if found >= 0 {
				orders = append(orders, orderItem{found, desc})
				continue
			}
		}
		oc := &ectx{b: b, sc: sc, env: env, agg: agg, win: win, clause: "order clause"}
		e, err := oc.bind(o.Expr)
		if err != nil {
			return nil, nil, err
		}
		if agg != nil {
			if e, err = agg.finish(oc, e); err != nil {
				return nil, nil, err
			}
		}
		ec.applies = append(ec.applies, oc.applies...)
		found := -1
		for i, it := range items {
			if it.e.String() == e.String() {
				found = i
				break
			}
		}
		if found < 0 {
			if sel.Distinct {
				return nil, nil, newErr(CodeOther, "Expression #%d of ORDER BY clause is not in SELECT list, references column which is not in SELECT list; this is incompatible with DISTINCT", len(orders)+1)
			}
			items = append(items, selectItem{e: e, name: exprName(o.Expr)})
			found = len(items) - 1
		}
		orders = append(orders, orderItem{found, desc})
	}

	// Build: aggregate → having → applies → window → project.
	if agg != nil {
		a := &logical.Aggregate{Input: n, Keys: agg.keys, KeyCols: agg.keyCols, Aggs: agg.aggs}
		n = a
		if having != nil {
			n = b.wrapApplies(n, ec.applies)
			ec.applies = nil
			n = &logical.Filter{Input: n, Conds: logical.Conjuncts(having)}
		}
	}
	n = b.wrapApplies(n, ec.applies)
	if agg == nil && having != nil {
		// HAVING without aggregation filters like WHERE (MySQL)
		n = &logical.Filter{Input: n, Conds: logical.Conjuncts(having)}
	}
	if len(win.funcs) > 0 {
		n = &logical.Window{Input: n, Funcs: win.funcs}
	}
	proj := &logical.Project{Input: n}
	used := map[int]bool{}
	for _, it := range items {
		proj.Exprs = append(proj.Exprs, it.e)
		if cr, ok := it.e.(*expr.ColumnRef); ok && !used[cr.Index] {
			used[cr.Index] = true
			proj.Out = append(proj.Out, logical.Col{ID: cr.Index, Name: it.name, T: cr.T})
			continue
		}
		t := it.e.Type()
		proj.Out = append(proj.Out, b.meta.NewCol(it.name, t))
	}
	n = proj
	outCols := proj.Out[:hiddenStart]
	if sel.Distinct {
		n = distinct(n, outCols)
	}
	if len(orders) > 0 {
		keys := make([]plan.SortKey, len(orders))
		for i, o := range orders {
			keys[i] = sortKey(proj.Out[o.item].Ref(), o.desc)
		}
		n = &logical.Sort{Input: n, Keys: keys}
	}
	if n, err = b.bindLimit(n, sel.Limit); err != nil {
		return nil, nil, err
	}
	if len(items) > hiddenStart {
		n = rootProject(n, outCols)
	}
	return n, outCols, nil
}

func isColName(e sqlparser.Expr) bool { _, ok := e.(*sqlparser.ColName); return ok }

// rootProject projects n onto cols (bare references).
func rootProject(n logical.Node, cols []logical.Col) logical.Node {
	p := &logical.Project{Input: n, Out: append([]logical.Col(nil), cols...)}
	for _, c := range cols {
		p.Exprs = append(p.Exprs, c.Ref())
	}
	return p
}

func colsOf(sc []scopeCol) []logical.Col {
	out := make([]logical.Col, len(sc))
	for i, c := range sc {
		out[i] = c.col
	}
	return out
}

// exprName is the column name MySQL shows for an unaliased expression.
func exprName(e sqlparser.Expr) string {
	if cn, ok := e.(*sqlparser.ColName); ok {
		return cn.Name.String()
	}
	return showSubscripts(sqlparser.String(e))
}

// bindWhere binds a WHERE clause: top-level [NOT] EXISTS and [NOT] IN
// subqueries become semi/anti applies, other conjuncts a filter.
func (b *binder) bindWhere(n logical.Node, where sqlparser.Expr, sc *scope, env *cteEnv) (logical.Node, error) {
	var conds []expr.Expr
	for _, c := range splitAnd(where) {
		neg := false
		x := c
		if ne, ok := x.(*sqlparser.NotExpr); ok {
			neg, x = true, ne.Expr
		}
		switch s := x.(type) {
		case *sqlparser.ExistsExpr:
			sub, _, err := b.bindTableStmt(s.Subquery.Select, sc, env)
			if err != nil {
				return nil, err
			}
			kind := logical.ApplySemi
			if neg {
				kind = logical.ApplyAnti
			}
			n = &logical.Apply{Kind: kind, Input: n, Sub: sub}
			continue
		case *sqlparser.ComparisonExpr:
			if sq, ok := s.Right.(*sqlparser.Subquery); ok && (s.Operator == sqlparser.InOp || s.Operator == sqlparser.NotInOp) && s.Modifier == sqlparser.Missing {
				notIn := (s.Operator == sqlparser.NotInOp) != neg
				ec := &ectx{b: b, sc: sc, env: env, clause: "where clause"}
				ap, err := ec.inSubquery(s.Left, sq)
				if err != nil {
					return nil, err
				}
				// probe subqueries (rare) go below
				n = b.wrapApplies(n, ec.applies)
				ap.Input = n
				if notIn {
					ap.Kind = logical.ApplyAnti
					ap.NullAware = true
				} else {
					ap.Kind = logical.ApplySemi
				}
				n = ap
				continue
			}
		}
		ec := &ectx{b: b, sc: sc, env: env, clause: "where clause"}
		e, err := ec.bind(c)
		if err != nil {
			return nil, err
		}
		if e, err = asBool(b, e); err != nil {
			return nil, err
		}
		n = b.wrapApplies(n, ec.applies)
		conds = append(conds, logical.Conjuncts(e)...)
	}
	if len(conds) > 0 {
		n = &logical.Filter{Input: n, Conds: conds}
	}
	return n, nil
}

func splitAnd(e sqlparser.Expr) []sqlparser.Expr {
	if a, ok := e.(*sqlparser.AndExpr); ok {
		return append(splitAnd(a.Left), splitAnd(a.Right)...)
	}
	return []sqlparser.Expr{e}
}

// wrapApplies stacks pending subquery applies on n.
func (b *binder) wrapApplies(n logical.Node, aps []*logical.Apply) logical.Node {
	for _, ap := range aps {
		ap.Input = n
		n = ap
	}
	return n
}

// hasAggregate reports whether e contains an aggregate call (outside
// subqueries and window functions).
func hasAggregate(e sqlparser.SQLNode) bool {
	found := false
	_ = sqlparser.Walk(func(node sqlparser.SQLNode) (bool, error) {
		switch x := node.(type) {
		case *sqlparser.Subquery:
			return false, nil
		case sqlparser.AggrFunc:
			if !isWindowed(x) {
				found = true
				return false, nil
			}
		}
		return true, nil
	}, e)
	return found
}

func isWindowed(n sqlparser.SQLNode) bool {
	switch x := n.(type) {
	case *sqlparser.Count:
		return x.OverClause != nil
	case *sqlparser.CountStar:
		return x.OverClause != nil
	case *sqlparser.Sum:
		return x.OverClause != nil
	case *sqlparser.Avg:
		return x.OverClause != nil
	case *sqlparser.Min:
		return x.OverClause != nil
	case *sqlparser.Max:
		return x.OverClause != nil
	}
	return false
}
