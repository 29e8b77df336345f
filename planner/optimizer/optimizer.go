// Package optimizer rewrites logical plans (planner/logical). Every rule
// is a function over the tree returning the new tree and whether it
// changed anything; the driver checks that no rule changes the root's
// output schema (as a set of column IDs and types).
package optimizer

import (
	"context"
	"fmt"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
)

// Rule is one rewrite.
type Rule struct {
	Name string
	Fn   func(ctx *Ctx, n logical.Node) (logical.Node, bool, error)
}

// Ctx is what rules share.
type Ctx struct {
	context.Context
	Meta *logical.Meta
}

// Rules is the default pipeline, in order.
var Rules = []Rule{
	{"fold", FoldConstants},
	{"decorrelate", Decorrelate},
	{"fold", FoldConstants},
	{"share-scalar-aggregates", ShareScalarAggregates},
	{"pushdown", PushDown},
	{"join-order", ReorderJoins},
	{"pushdown", PushDown},
	{"reduce-aggregates", ReduceAggregates},
	{"semijoin-pushdown", PushSemiJoins},
	{"limit", PushLimits},
	{"prune", Prune},
}

// Optimize runs the default rules.
func Optimize(ctx context.Context, n logical.Node) (logical.Node, error) {
	return Run(ctx, n, Rules)
}

// Run applies rules in order, checking schemas.
func Run(ctx context.Context, n logical.Node, rules []Rule) (logical.Node, error) {
	c := &Ctx{Context: ctx, Meta: metaFor(n)}
	for _, r := range rules {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		before := logical.SchemaKey(n.Cols())
		out, _, err := r.Fn(c, n)
		if err != nil {
			return nil, err
		}
		if after := logical.SchemaKey(out.Cols()); after != before {
			return nil, fmt.Errorf("internal error: optimizer rule %s changed the output schema (%s → %s)", r.Name, before, after)
		}
		n = out
	}
	return n, nil
}

// metaFor returns an ID allocator above every ID used in n.
func metaFor(n logical.Node) *logical.Meta {
	maxID := 0
	var walk func(logical.Node)
	walk = func(n logical.Node) {
		for _, c := range n.Cols() {
			maxID = max(maxID, c.ID)
		}
		if s, ok := n.(*logical.Scan); ok {
			for _, c := range s.All {
				maxID = max(maxID, c.ID)
			}
		}
		if a, ok := n.(*logical.Apply); ok {
			maxID = max(maxID, a.Out.ID)
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	return logical.MetaAfter(maxID)
}

// mapExprs returns n with fn applied to each of its expressions.
func mapExprs(n logical.Node, fn func(expr.Expr) expr.Expr) logical.Node {
	mapList := func(es []expr.Expr) []expr.Expr {
		out := make([]expr.Expr, len(es))
		for i, e := range es {
			out[i] = fn(e)
		}
		return out
	}
	switch x := n.(type) {
	case *logical.Scan:
		c := *x
		c.Filter = mapList(x.Filter)
		return &c
	case *logical.Filter:
		c := *x
		c.Conds = mapList(x.Conds)
		return &c
	case *logical.Project:
		c := *x
		c.Exprs = mapList(x.Exprs)
		return &c
	case *logical.Aggregate:
		c := *x
		c.Keys = mapList(x.Keys)
		c.Aggs = make([]logical.Agg, len(x.Aggs))
		for i, a := range x.Aggs {
			a.Args = mapList(a.Args)
			c.Aggs[i] = a
		}
		return &c
	case *logical.Join:
		c := *x
		c.Conds = mapList(x.Conds)
		return &c
	case *logical.Sort:
		c := *x
		c.Keys = append(c.Keys[:0:0], x.Keys...)
		for i := range c.Keys {
			c.Keys[i].Expr = fn(c.Keys[i].Expr)
		}
		return &c
	case *logical.Window:
		c := *x
		c.Funcs = make([]logical.WinFunc, len(x.Funcs))
		for i, f := range x.Funcs {
			f.Args = mapList(f.Args)
			f.PartitionBy = mapList(f.PartitionBy)
			f.OrderBy = append(f.OrderBy[:0:0], f.OrderBy...)
			for j := range f.OrderBy {
				f.OrderBy[j].Expr = fn(f.OrderBy[j].Expr)
			}
			c.Funcs[i] = f
		}
		return &c
	case *logical.Values:
		c := *x
		c.Rows = make([][]expr.Expr, len(x.Rows))
		for i, r := range x.Rows {
			c.Rows[i] = mapList(r)
		}
		return &c
	case *logical.Apply:
		c := *x
		if x.Probe != nil {
			c.Probe = fn(x.Probe)
		}
		return &c
	case *logical.Unnest:
		c := *x
		c.Exprs = mapList(x.Exprs)
		return &c
	}
	return n
}

// transformUp rebuilds the tree bottom-up with fn applied to every node.
func transformUp(n logical.Node, fn func(logical.Node) (logical.Node, error)) (logical.Node, error) {
	ins := n.Inputs()
	if len(ins) > 0 {
		out := make([]logical.Node, len(ins))
		for i, in := range ins {
			c, err := transformUp(in, fn)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		n = n.WithInputs(out)
	}
	return fn(n)
}

// FoldConstants folds constant expressions and simplifies TRUE/FALSE/NULL
// in AND/OR everywhere; always-TRUE filter conjuncts are dropped.
func FoldConstants(_ *Ctx, n logical.Node) (logical.Node, bool, error) {
	changed := false
	out, err := transformUp(n, func(n logical.Node) (logical.Node, error) {
		var ferr error
		m := mapExprs(n, func(e expr.Expr) expr.Expr {
			f, err := logical.Fold(e)
			if err != nil {
				ferr = err
				return e
			}
			if f.String() != e.String() {
				changed = true
			}
			return f
		})
		if ferr != nil {
			return nil, ferr
		}
		switch x := m.(type) {
		case *logical.Filter:
			x.Conds = simplifyConds(x.Conds)
			if len(x.Conds) == 0 {
				changed = true
				return x.Input, nil
			}
		case *logical.Join:
			x.Conds = simplifyConds(x.Conds)
		case *logical.Scan:
			x.Filter = simplifyConds(x.Filter)
		}
		return m, nil
	})
	return out, changed, err
}

// simplifyConds flattens ANDs and drops TRUE conjuncts; a FALSE or NULL
// conjunct makes the whole list FALSE.
func simplifyConds(cs []expr.Expr) []expr.Expr {
	var out []expr.Expr
	for _, c := range cs {
		for _, x := range logical.Conjuncts(c) {
			if logical.IsBoolLit(x, true) {
				continue
			}
			if logical.IsBoolLit(x, false) || logical.IsNullLit(x) {
				return []expr.Expr{logical.False}
			}
			out = append(out, x)
		}
	}
	return out
}
