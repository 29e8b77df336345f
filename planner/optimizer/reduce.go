package optimizer

import (
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// Thresholds of ReduceAggregates.
const (
	// reduceMaxKeep: the other input must be estimated at most this
	// fraction of the aggregate's groups (the reduction must be large).
	reduceMaxKeep = 0.2
	// reduceMaxCost: the other input, which is evaluated a second time,
	// must read at most this fraction of the rows the aggregate's input
	// reads.
	reduceMaxCost = 0.5
)

// ReduceAggregates is a semi-join reduction ("magic sets" for grouped
// subqueries). An aggregate grouped by keys K whose output is joined on
// K = E(O) with another input O only contributes the groups whose keys
// appear in O, when the join drops the other groups: an inner join, or
// a left, semi or anti join with the aggregate on the right. So the
// aggregate's input can be semi-joined with (a copy of) O on K = E(O)
// first, and aggregates only the rows of those groups; each group kept
// is complete, so the aggregate values are unchanged. This is the shape
// a decorrelated correlated aggregate subquery takes (TPC-H Q2, Q17,
// Q20): the subquery is grouped over the whole table while the outer
// query needs a few keys.
//
// The copy of O gets fresh column IDs. The rule applies only when O is
// estimated much smaller than the aggregate's groups and reads few rows
// next to the aggregate's input (reduceMaxKeep, reduceMaxCost).
func ReduceAggregates(c *Ctx, n logical.Node) (logical.Node, bool, error) {
	st := NewStats(n)
	changed := false
	out, err := transformUp(n, func(n logical.Node) (logical.Node, error) {
		j, ok := n.(*logical.Join)
		if !ok || len(j.Conds) == 0 {
			return n, nil
		}
		switch {
		case j.Type == plan.Inner:
			if r := st.reduceSide(c, j, 0); r != nil {
				changed = true
				return r, nil
			}
			if r := st.reduceSide(c, j, 1); r != nil {
				changed = true
				return r, nil
			}
		case j.Type == plan.Left || j.Type == plan.Semi || j.Type == plan.Anti && !j.NullAware:
			// NOT IN (null-aware anti) sees NULL keys of the right side,
			// which a reduction would drop.
			if r := st.reduceSide(c, j, 1); r != nil {
				changed = true
				return r, nil
			}
		}
		return n, nil
	})
	return out, changed, err
}

// reduceSide tries the reduction with the aggregate on side (0 left, 1
// right) of j, returning the new join or nil.
func (st *Stats) reduceSide(c *Ctx, j *logical.Join, side int) logical.Node {
	aggSide, other := j.Left, j.Right
	if side == 1 {
		aggSide, other = j.Right, j.Left
	}
	agg, keyOf := groupedBy(aggSide)
	if agg == nil {
		return nil
	}
	oids := logical.IDs(other.Cols())
	type pair struct {
		key int // index into agg.Keys
		oe  expr.Expr
	}
	var pairs []pair
	for _, cond := range j.Conds {
		call, ok := cond.(*expr.Call)
		if !ok || call.Fn != "=" {
			continue
		}
		for k := 0; k < 2; k++ {
			ref, ok := call.Args[k].(*expr.ColumnRef)
			if !ok {
				continue
			}
			idx, ok := keyOf[ref.Index]
			if !ok {
				continue
			}
			oe := call.Args[1-k]
			refs := logical.Refs(oe)
			if len(refs) > 0 && logical.Subset(refs, oids) && !volatile(oe) && !volatile(agg.Keys[idx]) {
				pairs = append(pairs, pair{idx, oe})
				break
			}
		}
	}
	if len(pairs) == 0 {
		return nil
	}
	groups, _ := st.Estimate(agg)
	oRows, _ := st.Estimate(other)
	if oRows > groups*reduceMaxKeep || scanRows(other) > scanRows(agg.Input)*reduceMaxCost {
		return nil
	}
	ids := map[int]int{}
	cp, ok := cloneFresh(c, other, ids, st)
	if !ok {
		return nil
	}
	remap := func(e expr.Expr) expr.Expr {
		return expr.Transform(e, func(x expr.Expr) expr.Expr {
			if r, ok := x.(*expr.ColumnRef); ok {
				if id, ok := ids[r.Index]; ok {
					return &expr.ColumnRef{Index: id, Name: r.Name, T: r.T}
				}
			}
			return x
		})
	}
	semi := &logical.Join{Type: plan.Semi, Left: agg.Input, Right: cp}
	for _, p := range pairs {
		semi.Conds = append(semi.Conds, &expr.Call{Fn: "=", Args: []expr.Expr{agg.Keys[p.key], remap(p.oe)}, T: types.Boolean})
	}
	na := *agg
	na.Input = semi
	reduced := replaceNode(aggSide, agg, &na)
	out := *j
	if side == 0 {
		out.Left = reduced
	} else {
		out.Right = reduced
	}
	return &out
}

// groupedBy finds the aggregate under Filters and Projects at the top of
// n and maps the IDs of n's columns that are its grouping keys (passed
// through unchanged) to the key's index. agg is nil when n has no such
// aggregate or it has no keys.
func groupedBy(n logical.Node) (*logical.Aggregate, map[int]int) {
	switch x := n.(type) {
	case *logical.Aggregate:
		if len(x.Keys) == 0 {
			return nil, nil
		}
		m := map[int]int{}
		for i, k := range x.KeyCols {
			m[k.ID] = i
		}
		return x, m
	case *logical.Filter:
		return groupedBy(x.Input)
	case *logical.Project:
		agg, in := groupedBy(x.Input)
		if agg == nil {
			return nil, nil
		}
		m := map[int]int{}
		for i, e := range x.Exprs {
			if r, ok := e.(*expr.ColumnRef); ok {
				if k, ok := in[r.Index]; ok {
					m[x.Out[i].ID] = k
				}
			}
		}
		return agg, m
	}
	return nil, nil
}

// replaceNode returns n with the node old (reached through single-input
// nodes) replaced by repl.
func replaceNode(n, old, repl logical.Node) logical.Node {
	if n == old {
		return repl
	}
	ins := n.Inputs()
	return n.WithInputs([]logical.Node{replaceNode(ins[0], old, repl)})
}

// volatile reports whether e calls a function whose value changes from
// one evaluation to the next.
func volatile(e expr.Expr) bool {
	found := false
	expr.Walk(e, func(x expr.Expr) bool {
		if c, ok := x.(*expr.Call); ok {
			switch c.Fn {
			case "rand", "random", "uuid", "now", "current_timestamp":
				found = true
			}
		}
		return !found
	})
	return found
}

// scanRows is the number of rows the scans of n read (table
// estimates; defaultRows when unknown).
func scanRows(n logical.Node) float64 {
	if s, ok := n.(*logical.Scan); ok {
		if s.BaseRows < 0 {
			return defaultRows
		}
		return s.BaseRows
	}
	total := 0.0
	for _, in := range n.Inputs() {
		total += scanRows(in)
	}
	return total
}

// cloneFresh deep-copies n giving every column it defines a fresh ID
// (recorded in ids, old → new) and copying their distinct counts in st.
// ok is false for node types it does not copy (set operations, windows,
// unnest, subquery applications).
func cloneFresh(c *Ctx, n logical.Node, ids map[int]int, st *Stats) (logical.Node, bool) {
	fresh := func(col logical.Col) logical.Col {
		nc := c.Meta.NewCol(col.Name, col.T)
		ids[col.ID] = nc.ID
		if d, ok := st.ndv[col.ID]; ok {
			st.ndv[nc.ID] = d
		}
		return nc
	}
	freshAll := func(cols []logical.Col) []logical.Col {
		out := make([]logical.Col, len(cols))
		for i, col := range cols {
			out[i] = fresh(col)
		}
		return out
	}
	re := func(e expr.Expr) expr.Expr {
		return expr.Transform(e, func(x expr.Expr) expr.Expr {
			if r, ok := x.(*expr.ColumnRef); ok {
				if id, ok := ids[r.Index]; ok {
					return &expr.ColumnRef{Index: id, Name: r.Name, T: r.T}
				}
			}
			return x
		})
	}
	reAll := func(es []expr.Expr) []expr.Expr {
		if es == nil {
			return nil
		}
		out := make([]expr.Expr, len(es))
		for i, e := range es {
			out[i] = re(e)
		}
		return out
	}
	// Children first: their columns get IDs before this node's
	// expressions are rewritten.
	ins := n.Inputs()
	cins := make([]logical.Node, len(ins))
	for i, in := range ins {
		ci, ok := cloneFresh(c, in, ids, st)
		if !ok {
			return nil, false
		}
		cins[i] = ci
	}
	switch x := n.(type) {
	case *logical.Scan:
		s := *x
		s.All = freshAll(x.All)
		s.Used = append([]int(nil), x.Used...)
		if x.Used == nil {
			s.Used = nil
		}
		s.Filter = reAll(x.Filter)
		if x.NDV != nil {
			s.NDV = map[int]float64{}
			for id, d := range x.NDV {
				if nid, ok := ids[id]; ok {
					s.NDV[nid] = d
				}
			}
		}
		return &s, true
	case *logical.Filter:
		return &logical.Filter{Input: cins[0], Conds: reAll(x.Conds)}, true
	case *logical.Project:
		return &logical.Project{Input: cins[0], Exprs: reAll(x.Exprs), Out: freshAll(x.Out)}, true
	case *logical.Aggregate:
		a := &logical.Aggregate{Input: cins[0], Keys: reAll(x.Keys)}
		a.KeyCols = freshAll(x.KeyCols)
		for _, g := range x.Aggs {
			g.Args = reAll(g.Args)
			g.Col = fresh(g.Col)
			a.Aggs = append(a.Aggs, g)
		}
		return a, true
	case *logical.Join:
		jj := *x
		jj.Left, jj.Right = cins[0], cins[1]
		jj.Conds = reAll(x.Conds)
		if x.Type == plan.Mark {
			jj.MarkCol = fresh(x.MarkCol)
		}
		return &jj, true
	case *logical.Sort:
		s := &logical.Sort{Input: cins[0], Keys: append([]plan.SortKey(nil), x.Keys...)}
		for i := range s.Keys {
			s.Keys[i].Expr = re(s.Keys[i].Expr)
		}
		return s, true
	case *logical.Limit:
		l := *x
		l.Input = cins[0]
		return &l, true
	case *logical.Values:
		v := &logical.Values{Out: freshAll(x.Out)}
		for _, r := range x.Rows {
			v.Rows = append(v.Rows, reAll(r))
		}
		return v, true
	}
	return nil, false
}
