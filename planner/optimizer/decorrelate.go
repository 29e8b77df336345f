package optimizer

import (
	"fmt"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// Decorrelate rewrites every Apply into joins:
//
//   - EXISTS / IN → semi join; NOT EXISTS → anti join; NOT IN →
//     null-aware anti join; EXISTS / IN elsewhere → mark join.
//   - Correlated predicates of the subquery are pulled up into the join
//     condition (equalities become hash keys, the rest the residual).
//   - Scalar subqueries: uncorrelated → a join with the single-row
//     subquery; correlated by equalities only → the subquery grouped by
//     the correlation keys, left-joined (lookups through single_value,
//     COUNT becomes COALESCE(count, 0)); any other correlation → per
//     outer row (see decorrelatePerRow in decorrelate_rows.go).
func Decorrelate(c *Ctx, n logical.Node) (logical.Node, bool, error) {
	changed := false
	n, err := pushBelowApplies(c, n)
	if err != nil {
		return nil, false, err
	}
	out, err := transformUp(n, func(n logical.Node) (logical.Node, error) {
		ap, ok := n.(*logical.Apply)
		if !ok {
			return n, nil
		}
		changed = true
		return decorrelateApply(c, ap)
	})
	return out, changed, err
}

func errCorrelated(what string) error {
	return fmt.Errorf("unsupported correlated subquery: %s", what)
}

func intersects(a, b map[int]bool) bool {
	for id := range a {
		if b[id] {
			return true
		}
	}
	return false
}

// outerIDs is every column ID the Apply input subtree produces.
func producedIDs(n logical.Node) map[int]bool {
	out := map[int]bool{}
	var walk func(logical.Node)
	walk = func(n logical.Node) {
		for _, c := range n.Cols() {
			out[c.ID] = true
		}
		if s, ok := n.(*logical.Scan); ok {
			for _, c := range s.All {
				out[c.ID] = true
			}
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	return out
}

func decorrelateApply(c *Ctx, ap *logical.Apply) (logical.Node, error) {
	outer := producedIDs(ap.Input)
	switch ap.Kind {
	case logical.ApplySemi, logical.ApplyAnti, logical.ApplyMark:
		sub, preds, err := pullUp(ap.Sub, outer)
		if err != nil {
			return nil, err
		}
		var conds []expr.Expr
		if ap.Probe != nil {
			// the subquery's value column is its first output column
			val := ap.Sub.Cols()[0]
			conds = append(conds, &expr.Call{Fn: "=", Args: []expr.Expr{ap.Probe, val.Ref()}, T: types.Boolean})
		}
		conds = append(conds, preds...)
		j := &logical.Join{Left: ap.Input, Right: sub, Conds: conds}
		switch ap.Kind {
		case logical.ApplySemi:
			j.Type = plan.Semi
		case logical.ApplyAnti:
			j.Type = plan.Anti
			j.NullAware = ap.NullAware && ap.Probe != nil
		default:
			j.Type = plan.Mark
			if !ap.Exists {
				j.MarkCol = ap.Out
				return j, nil
			}
			// EXISTS is never unknown: map NULL marks to FALSE.
			j.MarkCol = c.Meta.NewCol("mark", types.Boolean)
			p := passThrough(j)
			p.Exprs = append(p.Exprs, &expr.Call{Fn: "is_true", Args: []expr.Expr{j.MarkCol.Ref()}, T: types.Boolean})
			p.Out = append(p.Out, ap.Out)
			// drop the raw mark column from the pass-through
			p.Exprs, p.Out = dropCol(p.Exprs, p.Out, j.MarkCol.ID)
			return p, nil
		}
		return j, nil
	case logical.ApplyScalar:
		return decorrelateScalar(c, ap, outer)
	}
	return nil, fmt.Errorf("unknown apply kind %d", ap.Kind)
}

func dropCol(es []expr.Expr, cols []logical.Col, id int) ([]expr.Expr, []logical.Col) {
	var oe []expr.Expr
	var oc []logical.Col
	for i, c := range cols {
		if c.ID == id {
			continue
		}
		oe = append(oe, es[i])
		oc = append(oc, c)
	}
	return oe, oc
}

// passThrough returns a projection of all of n's columns.
func passThrough(n logical.Node) *logical.Project {
	p := &logical.Project{Input: n}
	for _, c := range n.Cols() {
		p.Exprs = append(p.Exprs, c.Ref())
		p.Out = append(p.Out, c)
	}
	return p
}

// singleRow reports whether n always yields exactly one row.
func singleRow(n logical.Node) bool {
	switch x := n.(type) {
	case *logical.Project:
		return singleRow(x.Input)
	case *logical.Aggregate:
		return len(x.Keys) == 0
	case *logical.Values:
		return len(x.Rows) == 1
	}
	return false
}

func decorrelateScalar(c *Ctx, ap *logical.Apply, outer map[int]bool) (logical.Node, error) {
	top, ok := ap.Sub.(*logical.Project)
	if !ok || len(top.Out) != 1 {
		return nil, fmt.Errorf("internal error: scalar subquery without a single-column projection")
	}
	// The subquery's value column takes the Apply's output ID.
	renamed := *top
	renamed.Out = []logical.Col{{ID: ap.Out.ID, Name: ap.Out.Name, T: ap.Out.T}}
	if !intersects(logical.FreeCols(ap.Sub), outer) {
		if singleRow(&renamed) {
			return &logical.Join{Type: plan.Inner, Left: ap.Input, Right: &renamed}, nil
		}
		// More than one row is an error: single_value enforces it, and
		// an aggregate without keys always yields the one row (NULL
		// when the subquery is empty).
		return &logical.Join{Type: plan.Inner, Left: ap.Input, Right: singleValue(top, top.Out[0], ap.Out, nil, nil)}, nil
	}
	if n, ok := scalarByKeys(c, ap, outer); ok {
		return n, nil
	}
	return decorrelatePerRow(c, ap, outer)
}

// scalarByKeys is the fast path for a scalar subquery correlated by
// equalities only (inner expression = outer expression): the subquery is
// grouped by its correlation keys and left-joined on them, so every outer
// row meets at most one group. Two shapes qualify: a lookup (grouped with
// single_value, which fails when a key has more than one row) and
// Project* over an aggregate without GROUP BY (grouped by the keys; COUNT
// becomes COALESCE(count, 0)). ok is false for any other subquery.
func scalarByKeys(c *Ctx, ap *logical.Apply, outer map[int]bool) (logical.Node, bool) {
	top := ap.Sub.(*logical.Project)
	renamed := *top
	renamed.Out = []logical.Col{{ID: ap.Out.ID, Name: ap.Out.Name, T: ap.Out.T}}
	// Project* over Aggregate(no keys) over correlated input.
	projs, cur := peelProjects(&renamed)
	agg, ok := cur.(*logical.Aggregate)
	if !ok || len(agg.Keys) != 0 {
		// A lookup (no aggregate): group the subquery by its correlation
		// keys with single_value, which fails when an outer row would
		// see more than one row, and left-join it on the keys.
		sub, preds, err := pullUp(top, outer)
		if err != nil {
			return nil, false
		}
		keys, keyCols, conds, ok := correlationKeys(c, preds, outer)
		if !ok {
			return nil, false
		}
		right := singleValue(sub, top.Out[0], ap.Out, keys, keyCols)
		return keepCols(ap, &logical.Join{Type: plan.Left, Left: ap.Input, Right: right, Conds: conds}), true
	}
	in, preds, err := pullUp(agg.Input, outer)
	if err != nil {
		return nil, false
	}
	keys, keyCols, joinConds, ok := correlationKeys(c, preds, outer)
	if !ok {
		return nil, false
	}
	for _, a := range agg.Aggs {
		for _, e := range a.Args {
			if intersects(logical.Refs(e), outer) {
				return nil, false // an aggregate over an outer column
			}
		}
	}
	for _, p := range projs {
		for _, e := range p.Exprs {
			if intersects(logical.Refs(e), outer) {
				return nil, false // the select list reads an outer column
			}
		}
	}
	newAgg := &logical.Aggregate{Input: in, Aggs: agg.Aggs, Keys: keys, KeyCols: keyCols}
	var node logical.Node = &logical.Join{Type: plan.Left, Left: ap.Input, Right: newAgg, Conds: joinConds}
	// COUNT over no rows is 0, not NULL.
	counts := map[int]bool{}
	for _, a := range agg.Aggs {
		if a.Fn == "count" || a.Fn == "count_star" {
			counts[a.Col.ID] = true
		}
	}
	fixCount := func(e expr.Expr) expr.Expr {
		return expr.Transform(e, func(x expr.Expr) expr.Expr {
			if cr, ok := x.(*expr.ColumnRef); ok && counts[cr.Index] {
				return &expr.Call{Fn: "coalesce", Args: []expr.Expr{cr, logical.Lit(int64(0), cr.T)}, T: cr.T}
			}
			return x
		})
	}
	for i := len(projs) - 1; i >= 0; i-- {
		p := passThroughExcept(node, projs[i].Out)
		for k, e := range projs[i].Exprs {
			if i == len(projs)-1 { // the projection reading the aggregate
				e = fixCount(e)
			}
			p.Exprs = append(p.Exprs, e)
			p.Out = append(p.Out, projs[i].Out[k])
		}
		node = p
	}
	// Keep exactly the Apply's schema.
	return keepCols(ap, node), true
}

// passThroughExcept starts a projection over n passing through every
// column of n except those redefined (by ID) in redefined.
func passThroughExcept(n logical.Node, redefined []logical.Col) *logical.Project {
	ids := logical.IDs(redefined)
	p := &logical.Project{Input: n}
	for _, col := range n.Cols() {
		if !ids[col.ID] {
			p.Exprs = append(p.Exprs, col.Ref())
			p.Out = append(p.Out, col)
		}
	}
	return p
}

// pullUp removes predicates that reference outer columns from the
// subquery n and returns them. It fails when a correlated reference
// sits where it cannot be pulled out.
func pullUp(n logical.Node, outer map[int]bool) (logical.Node, []expr.Expr, error) {
	if !intersects(logical.FreeCols(n), outer) {
		return n, nil, nil
	}
	switch x := n.(type) {
	case *logical.Filter:
		in, preds, err := pullUp(x.Input, outer)
		if err != nil {
			return nil, nil, err
		}
		var local []expr.Expr
		for _, c := range x.Conds {
			if intersects(logical.Refs(c), outer) {
				preds = append(preds, c)
			} else {
				local = append(local, c)
			}
		}
		if len(local) == 0 {
			return in, preds, nil
		}
		return &logical.Filter{Input: in, Conds: local}, preds, nil
	case *logical.Project:
		for _, e := range x.Exprs {
			if intersects(logical.Refs(e), outer) {
				return nil, nil, errCorrelated("outer reference in a select list: " + e.String())
			}
		}
		in, preds, err := pullUp(x.Input, outer)
		if err != nil {
			return nil, nil, err
		}
		p := &logical.Project{Input: in, Exprs: append([]expr.Expr(nil), x.Exprs...), Out: append([]logical.Col(nil), x.Out...)}
		have := logical.IDs(p.Out)
		inCols := map[int]logical.Col{}
		for _, c := range in.Cols() {
			inCols[c.ID] = c
		}
		for _, pr := range preds {
			for id := range logical.Refs(pr) {
				if outer[id] || have[id] {
					continue
				}
				col, ok := inCols[id]
				if !ok {
					return nil, nil, errCorrelated("cannot expose inner column for " + pr.String())
				}
				have[id] = true
				p.Exprs = append(p.Exprs, col.Ref())
				p.Out = append(p.Out, col)
			}
		}
		return p, preds, nil
	case *logical.Join:
		var preds []expr.Expr
		l, lp, err := pullUp(x.Left, outer)
		if err != nil {
			return nil, nil, err
		}
		preds = append(preds, lp...)
		r := x.Right
		if x.Type == plan.Inner || x.Type == plan.Cross {
			var rp []expr.Expr
			if r, rp, err = pullUp(x.Right, outer); err != nil {
				return nil, nil, err
			}
			preds = append(preds, rp...)
		} else if intersects(logical.FreeCols(x.Right), outer) {
			return nil, nil, errCorrelated("outer reference below an outer/semi join")
		}
		j := *x
		j.Left, j.Right, j.Conds = l, r, nil
		for _, c := range x.Conds {
			if intersects(logical.Refs(c), outer) {
				if x.Type != plan.Inner && x.Type != plan.Cross {
					return nil, nil, errCorrelated("outer reference in a join condition: " + c.String())
				}
				preds = append(preds, c)
			} else {
				j.Conds = append(j.Conds, c)
			}
		}
		return &j, preds, nil
	case *logical.Sort:
		in, preds, err := pullUp(x.Input, outer)
		if err != nil {
			return nil, nil, err
		}
		return in, preds, nil
	}
	return nil, nil, errCorrelated(fmt.Sprintf("outer reference inside %T", n))
}

// correlationKeys splits correlation predicates that are all equalities
// between an inner and an outer expression into grouping keys over the
// inner side (keys, their output columns keyCols) and the join
// conditions outer = key. ok is false for any other predicate.
func correlationKeys(c *Ctx, preds []expr.Expr, outer map[int]bool) (keys []expr.Expr, keyCols []logical.Col, conds []expr.Expr, ok bool) {
	for _, p := range preds {
		call, isCall := p.(*expr.Call)
		if !isCall || call.Fn != "=" {
			return nil, nil, nil, false
		}
		l, r := call.Args[0], call.Args[1]
		lOuter, rOuter := intersects(logical.Refs(l), outer), intersects(logical.Refs(r), outer)
		switch {
		case lOuter && !rOuter:
			l, r = r, l
		case rOuter && !lOuter:
		default:
			return nil, nil, nil, false
		}
		// l is inner, r is outer
		var key logical.Col
		if cr, isRef := l.(*expr.ColumnRef); isRef {
			key = logical.Col{ID: cr.Index, Name: cr.Name, T: cr.T}
		} else {
			key = c.Meta.NewCol("key", l.Type())
		}
		keys = append(keys, l)
		keyCols = append(keyCols, key)
		conds = append(conds, &expr.Call{Fn: "=", Args: []expr.Expr{r, key.Ref()}, T: types.Boolean})
	}
	return keys, keyCols, conds, true
}

// singleValue aggregates column val of in with single_value into column
// out, grouped by keys.
func singleValue(in logical.Node, val, out logical.Col, keys []expr.Expr, keyCols []logical.Col) *logical.Aggregate {
	return &logical.Aggregate{
		Input:   in,
		Keys:    keys,
		KeyCols: keyCols,
		Aggs:    []logical.Agg{{Fn: "single_value", Args: []expr.Expr{val.Ref()}, Col: out}},
	}
}

// keepCols projects n to exactly ap's columns.
func keepCols(ap *logical.Apply, n logical.Node) *logical.Project {
	final := &logical.Project{Input: n}
	for _, col := range ap.Cols() {
		final.Exprs = append(final.Exprs, col.Ref())
		final.Out = append(final.Out, col)
	}
	return final
}
