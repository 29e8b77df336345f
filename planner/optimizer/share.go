package optimizer

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// shareMaxRows: the shared subtree must be estimated at most this
// fraction of the rows its scans read, so that keeping its rows for a
// window costs much less than computing it a second time.
// Subtrees of at most shareSmallRows estimated rows are always kept.
const (
	shareMaxRows   = 0.25
	shareSmallRows = 1e4
)

// ShareScalarAggregates evaluates once a subquery that the query would
// otherwise evaluate twice: an uncorrelated scalar aggregate over a
// relation X that also appears in the outer query ("rows whose value is
// the maximum of the same view", TPC-H Q15, the usual CTE-used-twice
// shape). The join
//
//	Join(L ⊇ S, Project*(Aggregate keys=[] (X)))   with X ≡ S
//
// becomes L with S replaced by Window(S) computing the aggregates over
// the whole of S (no PARTITION BY, no ORDER BY), the Projects above the
// aggregate evaluated on top, and the join's conditions as a filter.
//
// This is exact when L is empty whenever S is: then both plans give no
// rows (the scalar aggregate's one row meets an empty L). So the path
// from L's root down to S may only pass through filters, projections,
// sorts, either side of inner joins and the preserved side of left,
// semi and anti joins. Otherwise every row of L comes from a row of S,
// the window gives it the aggregate over all of S, which is the
// aggregate over X. X ≡ S is checked structurally, mapping X's column
// IDs onto S's; only deterministic expressions and the aggregates the
// window operator computes (count, sum, avg, min, max, not DISTINCT)
// qualify. The rule applies only when S is estimated to be much smaller
// than what its scans read (shareMaxRows) or small (shareSmallRows).
func ShareScalarAggregates(_ *Ctx, n logical.Node) (logical.Node, bool, error) {
	st := NewStats(n)
	changed := false
	out, err := transformUp(n, func(n logical.Node) (logical.Node, error) {
		j, ok := n.(*logical.Join)
		if !ok || (j.Type != plan.Inner && j.Type != plan.Cross) {
			return n, nil
		}
		if r := st.shareSide(j, j.Left, j.Right); r != nil {
			changed = true
			return r, nil
		}
		if r := st.shareSide(j, j.Right, j.Left); r != nil {
			changed = true
			return r, nil
		}
		return n, nil
	})
	return out, changed, err
}

// shareSide tries the rewrite with the scalar aggregate on side sub and
// the relation containing its input on side outer.
func (st *Stats) shareSide(j *logical.Join, outer, sub logical.Node) logical.Node {
	projs, cur := peelProjects(sub)
	agg, ok := cur.(*logical.Aggregate)
	if !ok || len(agg.Keys) != 0 || len(agg.Aggs) == 0 {
		return nil
	}
	for _, a := range agg.Aggs {
		if !windowAgg(a) {
			return nil
		}
	}
	for _, p := range projs {
		for _, e := range p.Exprs {
			if volatile(e) {
				return nil
			}
		}
	}
	x := agg.Input
	s, m := findShared(outer, x)
	if s == nil {
		return nil
	}
	rows, _ := st.Estimate(s)
	if rows > shareSmallRows && rows > shareMaxRows*scanRows(s) {
		return nil
	}
	funcs := make([]logical.WinFunc, len(agg.Aggs))
	for i, a := range agg.Aggs {
		args := make([]expr.Expr, len(a.Args))
		for k, e := range a.Args {
			args[k] = remap(e, m)
		}
		funcs[i] = logical.WinFunc{WindowFunc: plan.WindowFunc{Fn: a.Fn, Args: args, T: a.Col.T}, Col: a.Col}
	}
	win := &logical.Window{Input: s, Funcs: funcs}
	var extra []logical.Col
	for _, f := range funcs {
		extra = append(extra, f.Col)
	}
	top := replaceShared(outer, s, win, extra)
	for i := len(projs) - 1; i >= 0; i-- {
		p := projs[i]
		np := &logical.Project{Input: top}
		redefined := logical.IDs(p.Out)
		for _, c := range top.Cols() {
			if redefined[c.ID] {
				continue
			}
			np.Exprs = append(np.Exprs, c.Ref())
			np.Out = append(np.Out, c)
		}
		np.Exprs = append(np.Exprs, p.Exprs...)
		np.Out = append(np.Out, p.Out...)
		top = np
	}
	// The projections above the aggregate keep only its value columns;
	// drop the window columns the join did not output.
	want := logical.IDs(j.Cols())
	if cols := top.Cols(); len(cols) != len(want) {
		np := &logical.Project{Input: top}
		for _, c := range cols {
			if want[c.ID] {
				np.Exprs = append(np.Exprs, c.Ref())
				np.Out = append(np.Out, c)
			}
		}
		top = np
	}
	return filterOver(top, j.Conds)
}

// windowAgg reports whether the window operator computes a over a whole
// partition exactly as the aggregate does.
func windowAgg(a logical.Agg) bool {
	if a.Distinct {
		return false
	}
	switch a.Fn {
	case "count_star", "count", "sum", "avg", "min", "max":
	default:
		return false
	}
	for _, e := range a.Args {
		if volatile(e) {
			return false
		}
	}
	return true
}

// findShared looks for a subtree of n equivalent to x, reached from n's
// root through nodes that give no rows when the subtree gives none and
// that output the subtree's columns. It returns the subtree and the map
// from x's column IDs to its own.
func findShared(n, x logical.Node) (logical.Node, map[int]int) {
	m := map[int]int{}
	if sameTree(n, x, m) {
		return n, m
	}
	var next []logical.Node
	switch y := n.(type) {
	case *logical.Filter, *logical.Project, *logical.Sort:
		next = n.Inputs()
	case *logical.Join:
		switch y.Type {
		case plan.Inner, plan.Cross:
			next = []logical.Node{y.Left, y.Right}
		case plan.Left, plan.Semi, plan.Anti:
			next = []logical.Node{y.Left}
		}
	}
	for _, in := range next {
		if s, m := findShared(in, x); s != nil {
			return s, m
		}
	}
	return nil, nil
}

// replaceShared returns n with s replaced by repl, passing the columns
// extra (which repl adds) through the projections on the way up.
func replaceShared(n, s, repl logical.Node, extra []logical.Col) logical.Node {
	if n == s {
		return repl
	}
	ins := n.Inputs()
	out := make([]logical.Node, len(ins))
	for i, in := range ins {
		out[i] = replaceShared(in, s, repl, extra)
	}
	n = n.WithInputs(out)
	if p, ok := n.(*logical.Project); ok && contains(p.Input, repl) {
		p.Exprs = append(append([]expr.Expr(nil), p.Exprs...), refs(extra)...)
		p.Out = append(append([]logical.Col(nil), p.Out...), extra...)
	}
	return n
}

func contains(n, x logical.Node) bool {
	if n == x {
		return true
	}
	for _, in := range n.Inputs() {
		if contains(in, x) {
			return true
		}
	}
	return false
}

func refs(cols []logical.Col) []expr.Expr {
	out := make([]expr.Expr, len(cols))
	for i, c := range cols {
		out[i] = c.Ref()
	}
	return out
}

// remap rewrites column references through m.
func remap(e expr.Expr, m map[int]int) expr.Expr {
	return expr.Transform(e, func(x expr.Expr) expr.Expr {
		if r, ok := x.(*expr.ColumnRef); ok {
			if id, ok := m[r.Index]; ok {
				return &expr.ColumnRef{Index: id, Name: r.Name, T: r.T}
			}
		}
		return x
	})
}

// sameExpr reports whether b, with its column references mapped through
// m, is a, and deterministic.
func sameExpr(a, b expr.Expr, m map[int]int) bool {
	if volatile(a) || volatile(b) {
		return false
	}
	for id := range logical.Refs(b) {
		if _, ok := m[id]; !ok {
			return false
		}
	}
	rb := remap(b, m)
	return arrow.TypeEqual(a.Type(), rb.Type()) && a.String() == rb.String()
}

func sameExprs(a, b []expr.Expr, m map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameExpr(a[i], b[i], m) {
			return false
		}
	}
	return true
}

// sameCol maps column b onto a when their types agree.
func sameCol(a, b logical.Col, m map[int]int) bool {
	if !arrow.TypeEqual(a.T, b.T) {
		return false
	}
	m[b.ID] = a.ID
	return true
}

func sameColList(a, b []logical.Col, m map[int]int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameCol(a[i], b[i], m) {
			return false
		}
	}
	return true
}

// sameTree reports whether b computes the same rows as a, recording in m
// the IDs of b's columns mapped to a's. It is conservative: node types
// it does not compare are never the same.
func sameTree(a, b logical.Node, m map[int]int) bool {
	ai, bi := a.Inputs(), b.Inputs()
	if len(ai) != len(bi) {
		return false
	}
	for i := range ai {
		if !sameTree(ai[i], bi[i], m) {
			return false
		}
	}
	switch x := a.(type) {
	case *logical.Scan:
		y, ok := b.(*logical.Scan)
		if !ok || x.Table.Name() != y.Table.Name() || !x.Table.Schema().Equal(y.Table.Schema()) ||
			x.Limit != y.Limit || len(x.Used) != len(y.Used) || (x.Used == nil) != (y.Used == nil) {
			return false
		}
		for i := range x.Used {
			if x.Used[i] != y.Used[i] {
				return false
			}
		}
		return sameColList(x.All, y.All, m) && sameExprs(x.Filter, y.Filter, m)
	case *logical.Filter:
		y, ok := b.(*logical.Filter)
		return ok && sameExprs(x.Conds, y.Conds, m)
	case *logical.Project:
		y, ok := b.(*logical.Project)
		return ok && sameExprs(x.Exprs, y.Exprs, m) && sameColList(x.Out, y.Out, m)
	case *logical.Aggregate:
		y, ok := b.(*logical.Aggregate)
		if !ok || len(x.Aggs) != len(y.Aggs) || !sameExprs(x.Keys, y.Keys, m) {
			return false
		}
		for i := range x.Aggs {
			xa, ya := x.Aggs[i], y.Aggs[i]
			if xa.Fn != ya.Fn || xa.Distinct != ya.Distinct || !sameExprs(xa.Args, ya.Args, m) {
				return false
			}
		}
		if !sameColList(x.KeyCols, y.KeyCols, m) {
			return false
		}
		for i := range x.Aggs {
			if !sameCol(x.Aggs[i].Col, y.Aggs[i].Col, m) {
				return false
			}
		}
		return true
	case *logical.Join:
		y, ok := b.(*logical.Join)
		if !ok || x.Type != y.Type || x.NullAware != y.NullAware || x.MarkExists != y.MarkExists ||
			!sameExprs(x.Conds, y.Conds, m) {
			return false
		}
		return x.Type != plan.Mark || sameCol(x.MarkCol, y.MarkCol, m)
	case *logical.Sort:
		y, ok := b.(*logical.Sort)
		if !ok || len(x.Keys) != len(y.Keys) {
			return false
		}
		for i := range x.Keys {
			xk, yk := x.Keys[i], y.Keys[i]
			if xk.Desc != yk.Desc || xk.NullsFirst != yk.NullsFirst || !sameExpr(xk.Expr, yk.Expr, m) {
				return false
			}
		}
		return true
	case *logical.Limit:
		y, ok := b.(*logical.Limit)
		return ok && x.Limit == y.Limit && x.Offset == y.Offset
	}
	return false
}

// peelProjects returns the Projects stacked on top of n (outermost first)
// and the node below them.
func peelProjects(n logical.Node) ([]*logical.Project, logical.Node) {
	var projs []*logical.Project
	for {
		p, ok := n.(*logical.Project)
		if !ok {
			return projs, n
		}
		projs = append(projs, p)
		n = p.Input
	}
}
