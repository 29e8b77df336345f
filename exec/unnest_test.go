package exec_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

func TestUnnest(t *testing.T) {
	item := arrow.StructOf(arrow.Field{Name: "sku", Type: types.String, Nullable: true}, arrow.Field{Name: "qty", Type: types.Int32, Nullable: true})
	lt, mt, it := arrow.ListOf(types.Int64), arrow.MapOf(types.String, types.String), arrow.ListOf(item)
	s := exectest.Schema("id", types.Int64, "l", lt, "m", mt, "items", it)
	rows := [][]any{
		{int64(1), `[1,2,3]`, `[{"key":"k","value":"v"}]`, `[{"sku":"a","qty":2},null]`},
		{int64(2), `[]`, `[]`, `[]`},
		{int64(3), `[4,null]`, nil, `[{"sku":"c","qty":null}]`},
		{int64(4), nil, `[{"key":"x","value":null},{"key":"y","value":"z"}]`, nil},
	}
	// one row with a long array, to split across output batches
	long := "[0"
	for i := 1; i < 2500; i++ {
		long += ",1"
	}
	rows = append(rows, []any{int64(5), long + "]", nil, nil})
	scan := func() plan.Node { return exectest.Scan(exectest.Table("t", s, rows)) }
	out := func(in plan.Node, extra ...any) *arrow.Schema {
		var fs []arrow.Field
		fs = append(fs, in.Schema().Fields()...)
		for i := 0; i < len(extra); i += 2 {
			fs = append(fs, arrow.Field{Name: extra[i].(string), Type: extra[i+1].(arrow.DataType), Nullable: true})
		}
		return arrow.NewSchema(fs, nil)
	}
	unnest := func(in plan.Node, e expr.Expr, ord, outer bool, extra ...any) *plan.Unnest {
		return &plan.Unnest{Base: plan.Base{Out: out(in, extra...), Rows: -1}, Input: in, Exprs: []expr.Expr{e}, Ordinality: ord, Outer: outer}
	}
	// project id and the element columns only (row 5 is summed separately)
	project := func(in plan.Node, cols ...int) plan.Node {
		p := &plan.Project{Input: in}
		var names []string
		for _, c := range cols {
			f := in.Schema().Field(c)
			p.Exprs = append(p.Exprs, exectest.Col(c, f.Type))
			names = append(names, f.Name)
		}
		p.Base = plan.Base{Out: plan.FieldsOf(names, p.Exprs), Rows: -1}
		return p
	}
	small := func() plan.Node {
		sc := scan()
		return &plan.Filter{Base: plan.Base{Out: sc.Schema(), Rows: -1}, Input: sc,
			Pred: &expr.Call{Fn: "<", Args: []expr.Expr{exectest.Col(0, types.Int64), exectest.Lit(int64(5), types.Int64)}, T: types.Boolean}}
	}
	t.Run("array with ordinality", func(t *testing.T) {
		u := unnest(small(), exectest.Col(1, lt), true, false, "x", types.Int64, "n", types.Int64)
		exectest.Check(t, project(u, 0, 4, 5), [][]any{
			{int64(1), int64(1), int64(1)}, {int64(1), int64(2), int64(2)}, {int64(1), int64(3), int64(3)},
			{int64(3), int64(4), int64(1)}, {int64(3), nil, int64(2)},
		}, false)
	})
	t.Run("outer", func(t *testing.T) {
		u := unnest(small(), exectest.Col(1, lt), true, true, "x", types.Int64, "n", types.Int64)
		exectest.Check(t, project(u, 0, 4, 5), [][]any{
			{int64(1), int64(1), int64(1)}, {int64(1), int64(2), int64(2)}, {int64(1), int64(3), int64(3)},
			{int64(2), nil, nil}, {int64(3), int64(4), int64(1)}, {int64(3), nil, int64(2)}, {int64(4), nil, nil},
		}, false)
	})
	t.Run("map", func(t *testing.T) {
		u := unnest(small(), exectest.Col(2, mt), false, false, "k", types.String, "v", types.String)
		exectest.Check(t, project(u, 0, 4, 5), [][]any{
			{int64(1), "k", "v"}, {int64(4), "x", nil}, {int64(4), "y", "z"},
		}, false)
	})
	t.Run("array of structs", func(t *testing.T) {
		u := unnest(small(), exectest.Col(3, it), false, false, "sku", types.String, "qty", types.Int32)
		exectest.Check(t, project(u, 0, 4, 5), [][]any{
			{int64(1), "a", int64(2)}, {int64(1), nil, nil}, {int64(3), "c", nil},
		}, false)
	})
	t.Run("long array", func(t *testing.T) {
		u := unnest(scan(), exectest.Col(1, lt), false, false, "x", types.Int64)
		agg := &plan.Aggregate{Input: u, Aggs: []plan.AggFunc{{Fn: "sum", Args: []expr.Expr{exectest.Col(4, types.Int64)}, T: types.Decimal(38, 0)},
			{Fn: "count_star", T: types.Int64}}}
		agg.Base = plan.Base{Out: exectest.Schema("s", types.Decimal(38, 0), "c", types.Int64), Rows: -1}
		got := exectest.Run(t, agg, 4, 7)
		want := exectest.Run(t, agg, 1, 1024)
		if exectest.Diff(got, want, true) != "" || len(got) != 1 {
			t.Fatalf("got %v want %v", got, want)
		}
		if c := got[0][1]; c != int64(2499+3+2+1) {
			t.Fatalf("count = %v", c)
		}
	})
}
