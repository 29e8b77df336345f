package optimizer

import (
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// PushDown moves filter conjuncts as close to the scans as they can go:
// into Scan.Filter, through projections (substituting computed columns),
// below aggregates (conjuncts over group keys), into both sides of inner
// joins and the preserved side of outer joins, and into union inputs.
// Conjuncts over both sides of an inner join become its condition, so a
// cross join under an equality filter becomes an equi-join; a left join
// under a NULL-rejecting conjunct on its right side becomes inner.
func PushDown(_ *Ctx, n logical.Node) (logical.Node, bool, error) {
	return push(n, nil), true, nil
}

func filterOver(n logical.Node, preds []expr.Expr) logical.Node {
	if len(preds) == 0 {
		return n
	}
	if f, ok := n.(*logical.Filter); ok {
		return &logical.Filter{Input: f.Input, Conds: dedupe(append(append([]expr.Expr(nil), f.Conds...), preds...))}
	}
	return &logical.Filter{Input: n, Conds: dedupe(preds)}
}

// split partitions preds into those whose columns are all in ids and the
// rest.
func split(preds []expr.Expr, ids map[int]bool) (in, out []expr.Expr) {
	for _, p := range preds {
		if logical.Subset(logical.Refs(p), ids) {
			in = append(in, p)
		} else {
			out = append(out, p)
		}
	}
	return in, out
}

// substitute replaces column references by expressions.
func substitute(e expr.Expr, m map[int]expr.Expr) expr.Expr {
	return expr.Transform(e, func(x expr.Expr) expr.Expr {
		if cr, ok := x.(*expr.ColumnRef); ok {
			if r, ok := m[cr.Index]; ok {
				return r
			}
		}
		return x
	})
}

// nullRejecting reports whether p is NULL (so not TRUE) whenever any
// column in ids is NULL — then an outer join producing NULLs for ids can
// become an inner join.
func nullRejecting(p expr.Expr, ids map[int]bool) bool {
	switch x := p.(type) {
	case *expr.Call:
		switch x.Fn {
		case "=", "<>", "<", "<=", ">", ">=", "like", "not_like", "+", "-", "*", "/":
			for _, a := range x.Args {
				if nullRejecting(a, ids) {
					return true
				}
			}
		case "is_not_null", "is_true":
			return nullRejecting(x.Args[0], ids)
		case "and":
			for _, a := range x.Args {
				if nullRejecting(a, ids) {
					return true
				}
			}
		case "or":
			for _, a := range x.Args {
				if !nullRejecting(a, ids) {
					return false
				}
			}
			return true
		}
	case *expr.InList:
		return nullRejecting(x.E, ids)
	case *expr.Cast:
		return nullRejecting(x.E, ids)
	case *expr.ColumnRef:
		return ids[x.Index]
	}
	return false
}

func push(n logical.Node, preds []expr.Expr) logical.Node {
	switch x := n.(type) {
	case *logical.Filter:
		return push(x.Input, append(append([]expr.Expr(nil), preds...), x.Conds...))
	case *logical.Scan:
		s := *x
		s.Filter = dedupe(append(append([]expr.Expr(nil), x.Filter...), preds...))
		return &s
	case *logical.Project:
		m := map[int]expr.Expr{}
		for i, c := range x.Out {
			m[c.ID] = x.Exprs[i]
		}
		var below, above []expr.Expr
		for _, p := range preds {
			if hasNonDeterministic(p, m) {
				above = append(above, p)
				continue
			}
			below = append(below, substitute(p, m))
		}
		p := *x
		p.Input = push(x.Input, below)
		return filterOver(&p, above)
	case *logical.Aggregate:
		keyMap := map[int]expr.Expr{}
		keyIDs := map[int]bool{}
		for i, c := range x.KeyCols {
			keyMap[c.ID] = x.Keys[i]
			keyIDs[c.ID] = true
		}
		var below, above []expr.Expr
		for _, p := range preds {
			if len(x.Keys) > 0 && logical.Subset(logical.Refs(p), keyIDs) {
				below = append(below, substitute(p, keyMap))
			} else {
				above = append(above, p)
			}
		}
		a := *x
		a.Input = push(x.Input, below)
		return filterOver(&a, above)
	case *logical.Join:
		return pushJoin(x, preds)
	case *logical.Sort:
		s := *x
		s.Input = push(x.Input, preds)
		return &s
	case *logical.SetOp:
		so := *x
		so.Ins = make([]logical.Node, len(x.Ins))
		for i, in := range x.Ins {
			m := map[int]expr.Expr{}
			for j, c := range x.Out {
				m[c.ID] = &expr.ColumnRef{Index: x.InCols[i][j], Name: c.Name, T: c.T}
			}
			var mine []expr.Expr
			for _, p := range preds {
				mine = append(mine, substitute(p, m))
			}
			so.Ins[i] = push(in, mine)
		}
		return &so
	case *logical.Unnest:
		// conjuncts over the input's columns alone filter input rows
		// (not for Outer: that would drop them, not null-extend them)
		in := logical.IDs(x.Input.Cols())
		var below, above []expr.Expr
		for _, p := range preds {
			if !x.Outer && logical.Subset(logical.Refs(p), in) {
				below = append(below, p)
			} else {
				above = append(above, p)
			}
		}
		u := *x
		u.Input = push(x.Input, below)
		return filterOver(&u, above)
	case *logical.Window:
		// Conjuncts over columns every function partitions by could move
		// below; keep it simple and stop here.
		w := *x
		w.Input = push(x.Input, nil)
		return filterOver(&w, preds)
	}
	// Limit, Values, Apply: stop here.
	ins := n.Inputs()
	if len(ins) > 0 {
		out := make([]logical.Node, len(ins))
		for i, in := range ins {
			out[i] = push(in, nil)
		}
		n = n.WithInputs(out)
	}
	return filterOver(n, preds)
}

func hasNonDeterministic(p expr.Expr, m map[int]expr.Expr) bool {
	bad := false
	for id := range logical.Refs(p) {
		if e, ok := m[id]; ok {
			expr.Walk(e, func(x expr.Expr) bool {
				if c, ok := x.(*expr.Call); ok && (c.Fn == "now" || c.Fn == "current_date") {
					bad = true
				}
				return true
			})
		}
	}
	return bad
}

func pushJoin(j *logical.Join, preds []expr.Expr) logical.Node {
	lids := logical.IDs(j.Left.Cols())
	rids := logical.IDs(j.Right.Cols())
	out := *j
	switch j.Type {
	case plan.Left:
		for _, p := range preds {
			if intersects(logical.Refs(p), rids) && nullRejecting(p, rids) {
				out.Type = plan.Inner
				return pushJoin(&out, preds)
			}
		}
		lp, above := split(preds, lids)
		// ON conjuncts over the right side only filter the right input.
		rp, keep := split(j.Conds, rids)
		out.Conds = keep
		out.Left = push(j.Left, lp)
		out.Right = push(j.Right, rp)
		return filterOver(&out, above)
	case plan.Inner, plan.Cross:
		all := append(append([]expr.Expr(nil), preds...), j.Conds...)
		lp, rest := split(all, lids)
		rp, both := split(rest, rids)
		// An OR over both sides implies, per side, the OR of each
		// branch's conjuncts over that side alone (TPC-H Q19).
		for _, p := range both {
			if e := impliedFor(p, lids); e != nil {
				lp = append(lp, e)
			}
			if e := impliedFor(p, rids); e != nil {
				rp = append(rp, e)
			}
		}
		out.Type = plan.Inner
		out.Conds = both
		out.Left = push(j.Left, lp)
		out.Right = push(j.Right, rp)
		return &out
	case plan.Semi, plan.Anti, plan.Mark:
		lp, above := split(preds, lids)
		rp, keep := split(j.Conds, rids)
		if j.Type == plan.Semi {
			var lc []expr.Expr
			lc, keep = split(keep, lids)
			lp = append(lp, lc...)
		}
		if j.NullAware {
			// the NOT IN equality must stay first and in place
			rp, keep = nil, j.Conds
		}
		out.Conds = keep
		out.Left = push(j.Left, lp)
		out.Right = push(j.Right, rp)
		return filterOver(&out, above)
	}
	out.Left = push(j.Left, nil)
	out.Right = push(j.Right, nil)
	return filterOver(&out, preds)
}

// PushSemiJoins moves a semi or anti join below an inner join when its
// condition only needs one input of that join and that input is
// estimated smaller than the join (filtering early is then cheaper).
func PushSemiJoins(_ *Ctx, n logical.Node) (logical.Node, bool, error) {
	st := NewStats(n)
	changed := false
	out, err := transformUp(n, func(n logical.Node) (logical.Node, error) {
		j, ok := n.(*logical.Join)
		if !ok || j.Type != plan.Semi && j.Type != plan.Anti {
			return n, nil
		}
		if r := st.sinkSemi(j); r != nil {
			changed = true
			return r, nil
		}
		return n, nil
	})
	return out, changed, err
}

func (st *Stats) sinkSemi(j *logical.Join) logical.Node {
	inner, ok := j.Left.(*logical.Join)
	if !ok || inner.Type != plan.Inner {
		return nil
	}
	rids := logical.IDs(j.Right.Cols())
	need := map[int]bool{}
	for _, c := range j.Conds {
		for id := range logical.Refs(c) {
			if !rids[id] {
				need[id] = true
			}
		}
	}
	joinRows, _ := st.Estimate(inner)
	for side := 0; side < 2; side++ {
		child := inner.Left
		if side == 1 {
			child = inner.Right
		}
		if !logical.Subset(need, logical.IDs(child.Cols())) {
			continue
		}
		if r, _ := st.Estimate(child); r > joinRows {
			continue
		}
		moved := *j
		moved.Left = child
		var newChild logical.Node = &moved
		if deeper := st.sinkSemi(&moved); deeper != nil {
			newChild = deeper
		}
		out := *inner
		if side == 0 {
			out.Left = newChild
		} else {
			out.Right = newChild
		}
		return &out
	}
	return nil
}

// impliedFor derives from an OR a weaker predicate over ids only: the OR
// of each branch's conjuncts over ids (nil if some branch has none).
func impliedFor(p expr.Expr, ids map[int]bool) expr.Expr {
	c, ok := p.(*expr.Call)
	if !ok || c.Fn != "or" {
		return nil
	}
	var branches []expr.Expr
	for _, br := range c.Args {
		var mine []expr.Expr
		for _, x := range logical.Conjuncts(br) {
			refs := logical.Refs(x)
			if len(refs) > 0 && logical.Subset(refs, ids) {
				mine = append(mine, x)
			}
		}
		if len(mine) == 0 {
			return nil
		}
		branches = append(branches, logical.And(mine))
	}
	return &expr.Call{Fn: "or", Args: branches, T: c.T}
}

// dedupe drops repeated conjuncts.
func dedupe(es []expr.Expr) []expr.Expr {
	seen := map[string]bool{}
	out := es[:0:0]
	for _, e := range es {
		k := e.String()
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, e)
	}
	return out
}
