package optimizer

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// PushLimits gives a scan the limit of a LIMIT directly above it (or
// above projections of it) when no filter sits between: the scan may
// stop early. The LIMIT itself stays.
func PushLimits(_ *Ctx, n logical.Node) (logical.Node, bool, error) {
	changed := false
	out, err := transformUp(n, func(n logical.Node) (logical.Node, error) {
		l, ok := n.(*logical.Limit)
		if !ok || l.Limit < 0 {
			return n, nil
		}
		want := l.Limit + l.Offset
		var set func(logical.Node) logical.Node
		set = func(n logical.Node) logical.Node {
			switch x := n.(type) {
			case *logical.Project:
				in := set(x.Input)
				if in == nil {
					return nil
				}
				p := *x
				p.Input = in
				return &p
			case *logical.Scan:
				if len(x.Filter) > 0 || x.Limit > 0 && x.Limit <= want {
					return nil
				}
				s := *x
				s.Limit = want
				return &s
			}
			return nil
		}
		if in := set(l.Input); in != nil {
			changed = true
			c := *l
			c.Input = in
			return &c, nil
		}
		return n, nil
	})
	return out, changed, err
}

// Prune removes columns nobody reads: scans read only the needed
// columns, projections, aggregates and windows drop unused outputs.
func Prune(_ *Ctx, n logical.Node) (logical.Node, bool, error) {
	return prune(n, logical.IDs(n.Cols())), true, nil
}

func addRefs(req map[int]bool, es ...expr.Expr) map[int]bool {
	out := make(map[int]bool, len(req))
	for id := range req {
		out[id] = true
	}
	for _, e := range es {
		for id := range logical.Refs(e) {
			out[id] = true
		}
	}
	return out
}

// narrowest picks the cheapest column to keep when none is needed.
func narrowest(cols []logical.Col) int {
	best, bestW := 0, 1<<30
	for i, c := range cols {
		w := 16
		if fw, ok := c.T.(arrow.FixedWidthDataType); ok {
			w = fw.BitWidth()
		}
		if w < bestW {
			best, bestW = i, w
		}
	}
	return best
}

func prune(n logical.Node, req map[int]bool) logical.Node {
	switch x := n.(type) {
	case *logical.Scan:
		need := addRefs(req, x.Filter...)
		s := *x
		s.Used = nil
		for i, c := range x.All {
			if need[c.ID] {
				s.Used = append(s.Used, i)
			}
		}
		if len(s.Used) == 0 {
			s.Used = []int{narrowest(x.All)}
		}
		return &s
	case *logical.Filter:
		f := *x
		f.Input = prune(x.Input, addRefs(req, x.Conds...))
		return &f
	case *logical.Project:
		p := &logical.Project{}
		for i, c := range x.Out {
			if req[c.ID] {
				p.Exprs = append(p.Exprs, x.Exprs[i])
				p.Out = append(p.Out, c)
			}
		}
		if len(p.Out) == 0 && len(x.Out) > 0 {
			i := narrowest(x.Out)
			p.Exprs, p.Out = []expr.Expr{x.Exprs[i]}, []logical.Col{x.Out[i]}
		}
		p.Input = prune(x.Input, addRefs(nil, p.Exprs...))
		// A projection that passes its input through unchanged goes away.
		if sameCols(p.Out, p.Exprs, p.Input.Cols()) {
			return p.Input
		}
		return p
	case *logical.Aggregate:
		a := *x
		a.Aggs = nil
		for _, ag := range x.Aggs {
			if req[ag.Col.ID] {
				a.Aggs = append(a.Aggs, ag)
			}
		}
		var es []expr.Expr
		es = append(es, x.Keys...)
		for _, ag := range a.Aggs {
			es = append(es, ag.Args...)
		}
		a.Input = prune(x.Input, addRefs(nil, es...))
		return &a
	case *logical.Join:
		need := addRefs(req, x.Conds...)
		j := *x
		j.Left = prune(x.Left, need)
		j.Right = prune(x.Right, need)
		return &j
	case *logical.Sort:
		s := *x
		var es []expr.Expr
		for _, k := range x.Keys {
			es = append(es, k.Expr)
		}
		s.Input = prune(x.Input, addRefs(req, es...))
		return &s
	case *logical.Limit:
		l := *x
		l.Input = prune(x.Input, req)
		return &l
	case *logical.Unnest:
		// the element columns always stay (they define the row count)
		u := *x
		u.Input = prune(x.Input, addRefs(req, x.Exprs...))
		return &u
	case *logical.Window:
		w := *x
		w.Funcs = nil
		var es []expr.Expr
		for _, f := range x.Funcs {
			if !req[f.Col.ID] {
				continue
			}
			w.Funcs = append(w.Funcs, f)
			es = append(es, f.Args...)
			es = append(es, f.PartitionBy...)
			for _, k := range f.OrderBy {
				es = append(es, k.Expr)
			}
		}
		w.Input = prune(x.Input, addRefs(req, es...))
		if len(w.Funcs) == 0 {
			return w.Input
		}
		return &w
	case *logical.SetOp:
		so := *x
		so.Ins = make([]logical.Node, len(x.Ins))
		keepAll := !x.All || x.Kind != plan.Union
		var keep []int
		for j, c := range x.Out {
			if keepAll || req[c.ID] {
				keep = append(keep, j)
			}
		}
		if len(keep) == 0 {
			keep = []int{0}
		}
		so.Out = nil
		for _, j := range keep {
			so.Out = append(so.Out, x.Out[j])
		}
		so.InCols = make([][]int, len(x.Ins))
		for i, in := range x.Ins {
			need := map[int]bool{}
			for _, j := range keep {
				so.InCols[i] = append(so.InCols[i], x.InCols[i][j])
				need[x.InCols[i][j]] = true
			}
			so.Ins[i] = prune(in, need)
		}
		return &so
	}
	return n
}

func sameCols(out []logical.Col, es []expr.Expr, in []logical.Col) bool {
	if len(out) != len(in) {
		return false
	}
	for i, c := range out {
		cr, ok := es[i].(*expr.ColumnRef)
		if !ok || cr.Index != c.ID || in[i].ID != c.ID {
			return false
		}
	}
	return true
}
