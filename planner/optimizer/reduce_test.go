package optimizer

import (
	"context"
	"testing"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// reduceFixture: a large table l(key, val) grouped by key, and a small
// filtered table p(pk, attr).
type reduceFixture struct {
	meta     *logical.Meta
	l, p     *logical.Scan
	key, val logical.Col
	pk, attr logical.Col
	agg      *logical.Aggregate
	avg      logical.Col
}

func newReduceFixture(pRows float64, filterP bool) *reduceFixture {
	f := &reduceFixture{meta: &logical.Meta{}}
	f.key = f.meta.NewCol("key", types.Int64)
	f.val = f.meta.NewCol("val", types.Int64)
	f.pk = f.meta.NewCol("pk", types.Int64)
	f.attr = f.meta.NewCol("attr", types.String)
	f.l = &logical.Scan{All: []logical.Col{f.key, f.val}, BaseRows: 1e6, NDV: map[int]float64{f.key.ID: 1e5}}
	f.p = &logical.Scan{All: []logical.Col{f.pk, f.attr}, BaseRows: pRows, NDV: map[int]float64{f.pk.ID: pRows}}
	if filterP {
		f.p.Filter = []expr.Expr{call("=", f.attr.Ref(), logical.Lit("x", types.String))}
	}
	f.avg = f.meta.NewCol("avg", types.Float64)
	f.agg = &logical.Aggregate{Input: f.l, Keys: []expr.Expr{f.key.Ref()}, KeyCols: []logical.Col{f.key},
		Aggs: []logical.Agg{{Fn: "avg", Args: []expr.Expr{f.val.Ref()}, Col: f.avg}}}
	return f
}

func (f *reduceFixture) join(t plan.JoinType, l, r logical.Node, conds ...expr.Expr) *logical.Join {
	return &logical.Join{Type: t, Left: l, Right: r, Conds: conds}
}

// reducedAgg returns the aggregate of n whose input is a semi join, or
// nil.
func reducedAgg(n logical.Node) *logical.Aggregate {
	if a, ok := n.(*logical.Aggregate); ok {
		if j, ok := a.Input.(*logical.Join); ok && j.Type == plan.Semi {
			return a
		}
	}
	for _, in := range n.Inputs() {
		if a := reducedAgg(in); a != nil {
			return a
		}
	}
	return nil
}

func TestReduceAggregates(t *testing.T) {
	cases := []struct {
		name    string
		pRows   float64
		filterP bool
		build   func(f *reduceFixture) logical.Node
		want    bool
	}{
		{"inner, aggregate on the left", 1e4, true, func(f *reduceFixture) logical.Node {
			return f.join(plan.Inner, f.agg, f.p, call("=", f.key.Ref(), f.pk.Ref()))
		}, true},
		{"inner, aggregate on the right, condition reversed", 1e4, true, func(f *reduceFixture) logical.Node {
			return f.join(plan.Inner, f.p, f.agg, call("=", f.pk.Ref(), f.key.Ref()))
		}, true},
		{"aggregate under a renaming projection and a filter", 1e4, true, func(f *reduceFixture) logical.Node {
			k2 := f.meta.NewCol("k2", types.Int64)
			a2 := f.meta.NewCol("a2", types.Float64)
			pr := &logical.Project{Input: &logical.Filter{Input: f.agg, Conds: []expr.Expr{call(">", f.avg.Ref(), logical.Lit(1.0, types.Float64))}},
				Exprs: []expr.Expr{f.key.Ref(), f.avg.Ref()}, Out: []logical.Col{k2, a2}}
			return f.join(plan.Inner, pr, f.p, call("=", k2.Ref(), f.pk.Ref()))
		}, true},
		{"left join, aggregate on the right", 1e4, true, func(f *reduceFixture) logical.Node {
			return f.join(plan.Left, f.p, f.agg, call("=", f.pk.Ref(), f.key.Ref()))
		}, true},
		{"semi join, aggregate on the right", 1e4, true, func(f *reduceFixture) logical.Node {
			return f.join(plan.Semi, f.p, f.agg, call("=", f.pk.Ref(), f.key.Ref()))
		}, true},
		{"left join keeps every group of a preserved aggregate", 1e4, true, func(f *reduceFixture) logical.Node {
			return f.join(plan.Left, f.agg, f.p, call("=", f.key.Ref(), f.pk.Ref()))
		}, false},
		{"NOT IN sees NULL keys", 1e4, true, func(f *reduceFixture) logical.Node {
			j := f.join(plan.Anti, f.p, f.agg, call("=", f.pk.Ref(), f.key.Ref()))
			j.NullAware = true
			return j
		}, false},
		{"condition on an aggregate value, not a key", 1e4, true, func(f *reduceFixture) logical.Node {
			return f.join(plan.Inner, f.agg, f.p, call("=", f.avg.Ref(), f.pk.Ref()))
		}, false},
		{"other side not much smaller than the groups", 1e6, false, func(f *reduceFixture) logical.Node {
			return f.join(plan.Inner, f.agg, f.p, call("=", f.key.Ref(), f.pk.Ref()))
		}, false},
		{"aggregate without keys", 1e4, true, func(f *reduceFixture) logical.Node {
			f.agg.Keys, f.agg.KeyCols = nil, nil
			return f.join(plan.Inner, f.agg, f.p, call("=", f.avg.Ref(), f.pk.Ref()))
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newReduceFixture(c.pRows, c.filterP)
			n := c.build(f)
			before := logical.SchemaKey(n.Cols())
			out, changed, err := ReduceAggregates(&Ctx{Context: context.Background(), Meta: f.meta}, n)
			if err != nil {
				t.Fatal(err)
			}
			if after := logical.SchemaKey(out.Cols()); after != before {
				t.Fatalf("schema changed: %s → %s", before, after)
			}
			a := reducedAgg(out)
			if changed != c.want || (a != nil) != c.want {
				t.Fatalf("changed=%v reduced=%v, want %v", changed, a != nil, c.want)
			}
			if !c.want {
				return
			}
			semi := a.Input.(*logical.Join)
			if semi.Left != f.l {
				t.Fatalf("semi join left input is %T, want the aggregate's input", semi.Left)
			}
			cp, ok := semi.Right.(*logical.Scan)
			if !ok {
				t.Fatalf("semi join right input is %T, want a copy of the scan", semi.Right)
			}
			// The copy reads the same table with the same filter over
			// fresh column IDs.
			orig := logical.IDs(f.p.All)
			for _, col := range cp.All {
				if orig[col.ID] {
					t.Fatalf("copied scan reuses column ID %d", col.ID)
				}
			}
			if len(cp.Filter) != len(f.p.Filter) || cp.BaseRows != f.p.BaseRows {
				t.Fatalf("copied scan: filter %v rows %v, want %v %v", cp.Filter, cp.BaseRows, f.p.Filter, f.p.BaseRows)
			}
			for _, e := range cp.Filter {
				if !logical.Subset(logical.Refs(e), logical.IDs(cp.All)) {
					t.Fatalf("copied filter %s refers outside the copy", e)
				}
			}
			if len(semi.Conds) != 1 {
				t.Fatalf("semi conditions %v", semi.Conds)
			}
			refs := logical.Refs(semi.Conds[0])
			if !refs[f.key.ID] || !refs[cp.All[0].ID] || len(refs) != 2 {
				t.Fatalf("semi condition %s, want key = copied pk", semi.Conds[0])
			}
		})
	}
}
