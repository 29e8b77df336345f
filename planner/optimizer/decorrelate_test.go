package optimizer

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// subqueryFixture builds an outer relation p(id, age, name) and an inner
// q(id, age, name) as Values, so scalar subqueries can be assembled by
// hand.
type subqueryFixture struct {
	meta           *logical.Meta
	p, q           *logical.Values
	pID, pAge, pNm logical.Col
	qID, qAge, qNm logical.Col
}

func newFixture() *subqueryFixture {
	f := &subqueryFixture{meta: &logical.Meta{}}
	values := func(id, age, nm *logical.Col) *logical.Values {
		*id = f.meta.NewCol("id", types.Int64)
		*age = f.meta.NewCol("age", types.Int64)
		*nm = f.meta.NewCol("name", types.String)
		v := &logical.Values{Out: []logical.Col{*id, *age, *nm}}
		for i := int64(1); i <= 3; i++ {
			v.Rows = append(v.Rows, []expr.Expr{logical.Lit(i, types.Int64), logical.Lit(20+i, types.Int64), logical.Lit("n", types.String)})
		}
		return v
	}
	f.p = values(&f.pID, &f.pAge, &f.pNm)
	f.q = values(&f.qID, &f.qAge, &f.qNm)
	return f
}

func call(fn string, args ...expr.Expr) expr.Expr {
	return &expr.Call{Fn: fn, Args: args, T: types.Boolean}
}

// scalar wraps sub (whose root projects one column) in a scalar Apply
// over outer and a projection of the outer id and the value.
func (f *subqueryFixture) scalar(outer logical.Node, sub *logical.Project) logical.Node {
	out := f.meta.NewCol("v", sub.Out[0].T)
	ap := &logical.Apply{Kind: logical.ApplyScalar, Input: outer, Sub: sub, Out: out}
	return &logical.Project{Input: ap, Exprs: []expr.Expr{f.pID.Ref(), out.Ref()}, Out: []logical.Col{f.pID, out}}
}

func (f *subqueryFixture) project(in logical.Node, c logical.Col) *logical.Project {
	nc := f.meta.NewCol(c.Name, c.T)
	return &logical.Project{Input: in, Exprs: []expr.Expr{c.Ref()}, Out: []logical.Col{nc}}
}

var colIDs = regexp.MustCompile(`#\d+`)

func TestDecorrelateScalarShapes(t *testing.T) {
	type build func(f *subqueryFixture) logical.Node
	gt := func(f *subqueryFixture) expr.Expr { return call(">", f.qAge.Ref(), f.pAge.Ref()) }
	eq := func(f *subqueryFixture) expr.Expr { return call("=", f.qID.Ref(), f.pID.Ref()) }
	cases := []struct {
		name    string
		build   build
		want    []string // substrings of the normalised logical plan
		not     []string
		wantErr string
	}{
		{
			name: "equality lookup keeps the fast path",
			build: func(f *subqueryFixture) logical.Node {
				return f.scalar(f.p, f.project(&logical.Filter{Input: f.q, Conds: []expr.Expr{eq(f)}}, f.qNm))
			},
			want: []string{"Join Left on [(id = id)]", "Aggregate keys=[id] aggs=[single_value(name) AS ]"},
			not:  []string{"Window", "present"},
		},
		{
			name: "inequality lookup is numbered and checked per outer row",
			build: func(f *subqueryFixture) logical.Node {
				return f.scalar(f.p, f.project(&logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}}, f.qNm))
			},
			want: []string{
				"Aggregate keys=[row] aggs=[any_value(id) AS , any_value(age) AS , any_value(name) AS , single_value(CASE WHEN present THEN v END) AS ]",
				"Join Left on [(age > age)]",
				"Window 1 funcs",
				"true AS present",
			},
		},
		{
			name: "equality mixed with a residual predicate",
			build: func(f *subqueryFixture) logical.Node {
				return f.scalar(f.p, f.project(&logical.Filter{Input: f.q, Conds: []expr.Expr{eq(f), call("<>", f.qAge.Ref(), f.pAge.Ref())}}, f.qNm))
			},
			want: []string{"Join Left on [(id = id), (age <> age)]", "single_value("},
		},
		{
			name: "aggregate without GROUP BY: COUNT(*) counts present rows",
			build: func(f *subqueryFixture) logical.Node {
				c := f.meta.NewCol("count", types.Int64)
				agg := &logical.Aggregate{Input: &logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}},
					Aggs: []logical.Agg{{Fn: "count_star", Col: c}}}
				return f.scalar(f.p, f.project(agg, c))
			},
			want: []string{"Aggregate keys=[row] aggs=[any_value(id) AS , any_value(age) AS , any_value(name) AS , count(present) AS ]"},
			not:  []string{"single_value", "coalesce"},
		},
		{
			name: "a grouped outer input reuses its key",
			build: func(f *subqueryFixture) logical.Node {
				g := &logical.Aggregate{Input: f.p, Keys: []expr.Expr{f.pID.Ref()}, KeyCols: []logical.Col{f.pID},
					Aggs: []logical.Agg{{Fn: "max", Args: []expr.Expr{f.pAge.Ref()}, Col: f.pAge}}}
				return f.scalar(g, f.project(&logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}}, f.qNm))
			},
			want: []string{"Aggregate keys=[id] aggs=[any_value(age) AS , single_value("},
			not:  []string{"Window"},
		},
		{
			name: "ORDER BY LIMIT 1 needs no single_value",
			build: func(f *subqueryFixture) logical.Node {
				s := &logical.Sort{Input: &logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}}, Keys: []plan.SortKey{{Expr: f.qAge.Ref()}}}
				return f.scalar(f.p, f.project(&logical.Limit{Input: s, Limit: 1}, f.qNm))
			},
			want: []string{"Filter (row_number <= 1)", "Window 1 funcs", "CASE WHEN present THEN v END AS v"},
			not:  []string{"single_value"},
		},
		{
			name: "LIMIT 2 OFFSET 1 keeps numbers 2..3 or a NULLed first row",
			build: func(f *subqueryFixture) logical.Node {
				s := &logical.Sort{Input: &logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}}, Keys: []plan.SortKey{{Expr: f.qAge.Ref()}}}
				return f.scalar(f.p, f.project(&logical.Limit{Input: s, Limit: 2, Offset: 1}, f.qNm))
			},
			want: []string{
				"Filter (((row_number > 1) AND (row_number <= 3)) OR ((row_number = 1) AND (present_rows <= 1)))",
				"Window 2 funcs",
				"single_value(CASE WHEN (present AND (row_number > 1)) THEN v END)",
			},
		},
		{
			name: "LIMIT 0 is NULL without a join",
			build: func(f *subqueryFixture) logical.Node {
				return f.scalar(f.p, f.project(&logical.Limit{Input: &logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}}, Limit: 0}, f.qNm))
			},
			want: []string{"NULL AS v"},
			not:  []string{"Join"},
		},
		{
			name: "GROUP BY with HAVING is refused, not answered wrongly",
			build: func(f *subqueryFixture) logical.Node {
				c := f.meta.NewCol("count", types.Int64)
				agg := &logical.Aggregate{Input: &logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}},
					Keys: []expr.Expr{f.qNm.Ref()}, KeyCols: []logical.Col{f.qNm},
					Aggs: []logical.Agg{{Fn: "count_star", Col: c}}}
				h := &logical.Filter{Input: agg, Conds: []expr.Expr{call(">", c.Ref(), logical.Lit(int64(1), types.Int64))}}
				return f.scalar(f.p, f.project(h, c))
			},
			wantErr: "HAVING with GROUP BY",
		},
		{
			name: "outer-only filter conjuncts move below the numbering",
			build: func(f *subqueryFixture) logical.Node {
				out := f.meta.NewCol("v", types.String)
				sub := f.project(&logical.Filter{Input: f.q, Conds: []expr.Expr{gt(f)}}, f.qNm)
				ap := &logical.Apply{Kind: logical.ApplyScalar, Input: f.p, Sub: sub, Out: out}
				flt := &logical.Filter{Input: ap, Conds: []expr.Expr{
					call("<", f.pID.Ref(), logical.Lit(int64(3), types.Int64)),
					&expr.Call{Fn: "is_null", Args: []expr.Expr{out.Ref()}, T: types.Boolean},
				}}
				return &logical.Project{Input: flt, Exprs: []expr.Expr{f.pID.Ref()}, Out: []logical.Col{f.pID}}
			},
			want: []string{"Window 1 funcs\nFilter (id < 3)\nValues", "Filter is_null(v)\n"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture()
			n := c.build(f)
			out, err := Run(context.Background(), n, []Rule{{"decorrelate", Decorrelate}})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("want error %q, got %v", c.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// IDs depend on allocation order; indentation is dropped
			lines := strings.Split(colIDs.ReplaceAllString(logical.Explain(out), ""), "\n")
			for i, l := range lines {
				lines[i] = strings.TrimSpace(l)
			}
			got := strings.Join(lines, "\n")
			if strings.Contains(got, "Apply") {
				t.Errorf("an Apply survived:\n%s", got)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("want %q in\n%s", w, got)
				}
			}
			for _, w := range c.not {
				if strings.Contains(got, w) {
					t.Errorf("do not want %q in\n%s", w, got)
				}
			}
		})
	}
}

func TestNullOnPadding(t *testing.T) {
	outer := map[int]bool{1: true}
	inner := &expr.ColumnRef{Index: 2, T: types.Int64}
	out := &expr.ColumnRef{Index: 1, T: types.Int64}
	one := logical.Lit(int64(1), types.Int64)
	cases := []struct {
		e    expr.Expr
		want bool
	}{
		{inner, true},
		{out, false},
		{one, false},
		{&expr.Cast{E: inner, T: types.Float64}, true},
		{&expr.Call{Fn: "+", Args: []expr.Expr{out, inner}, T: types.Int64}, true},
		{&expr.Call{Fn: "+", Args: []expr.Expr{out, one}, T: types.Int64}, false},
		{&expr.Call{Fn: "coalesce", Args: []expr.Expr{inner, one}, T: types.Int64}, false},
	}
	for _, c := range cases {
		if got := nullOnPadding(c.e, outer); got != c.want {
			t.Errorf("nullOnPadding(%s) = %v, want %v", c.e, got, c.want)
		}
	}
}
