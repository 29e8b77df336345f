package planner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

func planOf(t *testing.T, sql string) (*Planned, error) {
	t.Helper()
	stmt, err := Parse(sql)
	if err != nil {
		return nil, err
	}
	return PlanQuery(context.Background(), sql, stmt, tpchCatalog(), Options{Database: "tpch"})
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		sql       string
		line, col int
		near      string
	}{
		{"select a fro t where", 1, 14, "t"},
		{"select a\nfrom t\nwhere a = = 1", 3, 11, "="},
		{"selec 1", 1, 1, "selec"},
	}
	for _, c := range cases {
		_, err := Parse(c.sql)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("%q: want *Error, got %v", c.sql, err)
		}
		if pe.Code != 1064 || pe.Line != c.line || pe.Col != c.col || !strings.Contains(pe.Msg, c.near) {
			t.Errorf("%q: got code %d at %d:%d %q, want 1064 at %d:%d near %q", c.sql, pe.Code, pe.Line, pe.Col, pe.Msg, c.line, c.col, c.near)
		}
	}
	if _, err := Parse("select 1;"); err != nil {
		t.Errorf("trailing semicolon: %v", err)
	}
}

func TestBindErrors(t *testing.T) {
	cases := []struct {
		sql       string
		code      int
		line, col int
		msg       string
	}{
		{"select a from t\nwhere l_shipdat > 1", CodeBadField, 2, 7, "Unknown column 'l_shipdat' in 'where clause'"},
		{"select a from t, u", CodeAmbiguous, 1, 8, "Column 'a' in field list is ambiguous"},
		{"select x from nosuch", CodeNoTable, 1, 15, "Table 'tpch.nosuch' doesn't exist"},
		{"select t.zz from t", CodeBadField, 1, 10, "Unknown column 't.zz' in 'field list'"},
		{"select a from t order by nope", CodeBadField, 1, 26, "in 'order clause'"},
		{"select a from t group by nope", CodeBadField, 1, 26, "in 'group statement'"},
		{"select 'x' as zz, a from t where zz = 1", CodeBadField, 1, 15, "Unknown column 'zz' in 'where clause'"},
		{"select a, b from t group by a", CodeGroupBy, 1, 11, "not in GROUP BY"},
		{"select sum(sum(a)) from t", CodeOther, 0, 0, "Invalid use of group function"},
		{"select a from t where sum(a) > 1", CodeOther, 0, 0, "Invalid use of group function"},
		{"select a from t where f = '2020-13-45'", CodeOther, 0, 0, "invalid DATE literal"},
		{"select nosuchfn(a) from t", CodeOther, 1, 8, "FUNCTION nosuchfn does not exist"},
		{"select a from t union select a, c from t", CodeOther, 0, 0, "different number of columns"},
		{"select (select a, b from u) from t", CodeOther, 0, 0, "Operand should contain 1 column"},
		{"select a from t where f = a", CodeOther, 0, 0, "cannot compare DATE with INT"},
	}
	for _, c := range cases {
		_, err := planOf(t, c.sql)
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: want *Error, got %v", c.sql, err)
			continue
		}
		if pe.Code != c.code || !strings.Contains(pe.Msg, c.msg) || c.line != 0 && (pe.Line != c.line || pe.Col != c.col) {
			t.Errorf("%q: got %d %q at %d:%d; want %d %q at %d:%d", c.sql, pe.Code, pe.Msg, pe.Line, pe.Col, c.code, c.msg, c.line, c.col)
		}
	}
}

// TestExpressionTypes checks the result types of the typing rules.
func TestExpressionTypes(t *testing.T) {
	cases := []struct {
		expr string
		want string
	}{
		{"a + b", "BIGINT"},
		{"h + s", "SMALLINT"},
		{"a + 1", "BIGINT"},
		{"d + 1", "DECIMAL(11,2)"},
		{"d - d", "DECIMAL(11,2)"},
		{"d * d", "DECIMAL(18,4)"},
		{"k * d", "DECIMAL(38,7)"},
		{"d * 2", "DECIMAL(11,2)"},
		{"a / 2", "DECIMAL(14,4)"},
		{"d / d", "DECIMAL(16,6)"},
		{"e + d", "DOUBLE"},
		{"e / 2", "DOUBLE"},
		{"a div 2", "BIGINT"},
		{"a % 3", "BIGINT"},
		{"-d", "DECIMAL(10,2)"},
		{"1.5 + 2.25", "DECIMAL(4,2)"},
		{"c + 1", "DOUBLE"},
		{"f + interval 1 day", "DATE"},
		{"f + interval 2 hour", "TIMESTAMP"},
		{"date_add(g, interval 1 month)", "TIMESTAMP"},
		{"case when a > 1 then d else 0 end", "DECIMAL(10,2)"},
		{"case when a > 1 then 'x' else a end", "VARCHAR"},
		{"coalesce(a, b)", "BIGINT"},
		{"coalesce(d, k)", "DECIMAL(30,5)"},
		{"ifnull(a, 0)", "INT"},
		{"if(bo, e, a)", "DOUBLE"},
		{"nullif(a, 0)", "INT"},
		{"extract(year from f)", "BIGINT"},
		{"substring(c, 1, 2)", "VARCHAR"},
		{"length(c)", "BIGINT"},
		{"round(d, 1)", "DECIMAL(10,1)"},
		{"round(e)", "DOUBLE"},
		{"floor(d)", "DECIMAL(9,0)"},
		{"sqrt(a)", "DOUBLE"},
		{"cast(a as decimal(12,2))", "DECIMAL(12,2)"},
		{"cast(c as date)", "DATE"},
		{"a in (1, 2)", "BOOLEAN"},
		{"c like 'a%'", "BOOLEAN"},
		{"greatest(a, b, 3)", "BIGINT"},
	}
	for _, c := range cases {
		p, err := planOf(t, "select "+c.expr+" from t")
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := types.SQLName(p.Root.Schema().Field(0).Type); got != c.want {
			t.Errorf("%s: type %s, want %s\n%s", c.expr, got, c.want, explainOf(p))
		}
	}
}

func TestAggregateTypes(t *testing.T) {
	cases := []struct {
		expr string
		want string
	}{
		{"count(*)", "BIGINT"},
		{"count(c)", "BIGINT"},
		{"count(distinct a)", "BIGINT"},
		{"sum(a)", "BIGINT"},
		{"sum(h)", "BIGINT"},
		{"sum(b)", "DECIMAL(38,0)"},
		{"sum(d)", "DECIMAL(38,2)"},
		{"sum(e)", "DOUBLE"},
		{"avg(a)", "DECIMAL(38,4)"},
		{"avg(d)", "DECIMAL(38,6)"},
		{"avg(e)", "DOUBLE"},
		{"min(c)", "VARCHAR"},
		{"max(f)", "DATE"},
		{"max(a)", "BIGINT"},
		{"stddev_samp(a)", "DOUBLE"},
	}
	for _, c := range cases {
		p, err := planOf(t, "select "+c.expr+" from t")
		if err != nil {
			t.Errorf("%s: %v", c.expr, err)
			continue
		}
		if got := types.SQLName(p.Root.Schema().Field(0).Type); got != c.want {
			t.Errorf("%s: type %s, want %s", c.expr, got, c.want)
		}
	}
	// Integer arguments reach the aggregate as BIGINT.
	p, err := planOf(t, "select sum(a), min(h) from t")
	if err != nil {
		t.Fatal(err)
	}
	if s := explainOf(p); !strings.Contains(s, "sum(CAST(a#0 AS BIGINT))") || !strings.Contains(s, "min(CAST(h#1 AS BIGINT))") {
		t.Errorf("integer aggregate args not widened:\n%s", s)
	}
}

// TestKernelContract walks every bound expression of a set of queries
// and checks the typing guarantees documented on expr.Call.
func TestKernelContract(t *testing.T) {
	queries := []string{
		"select a + b, d + k, d * k, d / a, e * a, a = b, d < k, d = 1, f < g, c = 'x', h in (1, 300) from t",
		"select case when a > 0 then d when a < 0 then k else 0 end, coalesce(a, h, b), d - 0.5 from t",
		"select t.a from t join u on t.a = u.a and t.d = u.y",
	}
	for _, q := range queries {
		p, err := planOf(t, q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if err := checkPlan(p.Root); err != nil {
			t.Errorf("%s: %v", q, err)
		}
		for _, e := range allExprs(p.Root) {
			if err := checkContract(e); err != nil {
				t.Errorf("%s: %v", q, err)
			}
		}
	}
}

func TestStarAndNames(t *testing.T) {
	cases := []struct {
		sql  string
		cols string
	}{
		{"select * from u", "a, x, y"},
		{"select u.*, t.a from t join u on t.a = u.a", "a, x, y, a"},
		{"select * from t join u using (a)", "a, b, c, d, e, f, g, h, k, s, bo, x, y"},
		{"select x as xx, a + 1, sum_y from (select a, x, y as sum_y from u) as q", "xx, a + 1, sum_y"},
		{"select q.c1 from (select a from u) as q(c1)", "c1"},
		{"select a from u order by x", "a"},
	}
	for _, c := range cases {
		p, err := planOf(t, c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got := strings.Join(p.Columns, ", "); got != c.cols {
			t.Errorf("%s: columns %q, want %q", c.sql, got, c.cols)
		}
		if p.Root.Schema().NumFields() != len(p.Columns) {
			t.Errorf("%s: root has %d fields for %d columns", c.sql, p.Root.Schema().NumFields(), len(p.Columns))
		}
	}
}

func TestParams(t *testing.T) {
	sql := "select a from t where a = ? and c = ?"
	stmt, err := Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PlanQuery(context.Background(), sql, stmt, tpchCatalog(), Options{Database: "tpch"})
	if err != nil {
		t.Fatal(err)
	}
	if s := explainOf(p); !strings.Contains(s, "(a#0 = ?0)") || !strings.Contains(s, "(c#1 = ?1)") {
		t.Errorf("params not bound:\n%s", s)
	}
	p, err = PlanQuery(context.Background(), sql, stmt, tpchCatalog(), Options{Database: "tpch", ParamTypes: []arrow.DataType{types.Int64, types.String}})
	if err != nil {
		t.Fatal(err)
	}
	if s := explainOf(p); !strings.Contains(s, "CAST(a#0 AS BIGINT) = ?0") {
		t.Errorf("typed param not respected:\n%s", s)
	}
}

func TestFoldDates(t *testing.T) {
	cases := map[string]string{
		"date '1998-12-01' - interval '90' day":                "DATE '1998-09-02'",
		"date '2020-01-31' + interval 1 month":                 "DATE '2020-02-29'",
		"date '1994-01-01' + interval '1' year":                "DATE '1995-01-01'",
		"timestamp '2020-01-01 00:00:00' + interval 90 minute": "TIMESTAMP '2020-01-01 01:30:00'",
		"date_sub('2020-03-01', interval 1 day)":               "DATE '2020-02-29'",
		"year(date '2021-06-30')":                              "2021",
	}
	for in, want := range cases {
		p, err := planOf(t, "select "+in)
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		if s := explainOf(p); !strings.Contains(s, "Project "+want+"\n") && !strings.Contains(s, "Project "+want+"  ") {
			t.Errorf("%s: not folded to %s:\n%s", in, want, s)
		}
	}
}

func explainOf(p *Planned) string {
	var b strings.Builder
	explainRows(&b, p.Root, 0)
	return b.String()
}

func allExprs(n plan.Node) []expr.Expr {
	var out []expr.Expr
	switch x := n.(type) {
	case *plan.Scan:
		out = append(out, wrap(x.Filter)...)
	case *plan.Filter:
		out = append(out, x.Pred)
	case *plan.Project:
		out = append(out, x.Exprs...)
	case *plan.Aggregate:
		out = append(out, x.Keys...)
		for _, a := range x.Aggs {
			out = append(out, a.Args...)
		}
	case *plan.HashJoin:
		out = append(out, x.LeftKeys...)
		out = append(out, x.RightKeys...)
		out = append(out, wrap(x.Residual)...)
	case *plan.NestedLoopJoin:
		out = append(out, wrap(x.Cond)...)
	}
	for _, c := range n.Children() {
		out = append(out, allExprs(c)...)
	}
	return out
}

// checkContract verifies the typing guarantees of the expr.Call doc.
func checkContract(e expr.Expr) error {
	var err error
	expr.Walk(e, func(x expr.Expr) bool {
		if err != nil {
			return false
		}
		switch n := x.(type) {
		case *expr.Call:
			switch n.Fn {
			case "+", "-", "%":
				for _, a := range n.Args {
					if types.IsDecimal(n.T) {
						_, s, _ := types.DecimalParams(n.T)
						_, as, ok := types.DecimalParams(a.Type())
						if !ok || as != s {
							err = fmt.Errorf("%s: decimal arg %s has scale %d, want %d", n, a, as, s)
						}
					} else if !arrow.TypeEqual(a.Type(), n.T) {
						err = fmt.Errorf("%s: arg %s is %s, want %s", n, a, a.Type(), n.T)
					}
				}
			case "*", "/":
				if types.IsDecimal(n.T) && n.Args[0].Type().ID() != n.Args[1].Type().ID() {
					err = fmt.Errorf("%s: decimal args of different widths", n)
				}
				if !types.IsDecimal(n.T) && (!arrow.TypeEqual(n.Args[0].Type(), n.T) || !arrow.TypeEqual(n.Args[1].Type(), n.T)) {
					err = fmt.Errorf("%s: args not of result type", n)
				}
			case "=", "<>", "<", "<=", ">", ">=":
				if !arrow.TypeEqual(n.Args[0].Type(), n.Args[1].Type()) {
					err = fmt.Errorf("%s: compares %s with %s", n, n.Args[0].Type(), n.Args[1].Type())
				}
			case "coalesce":
				for _, a := range n.Args {
					if !arrow.TypeEqual(a.Type(), n.T) {
						err = fmt.Errorf("%s: arg %s is %s", n, a, a.Type())
					}
				}
			}
		case *expr.Case:
			for _, w := range n.Whens {
				if !arrow.TypeEqual(w.Then.Type(), n.T) {
					err = fmt.Errorf("%s: branch %s is %s", n, w.Then, w.Then.Type())
				}
			}
			if n.Else != nil && !arrow.TypeEqual(n.Else.Type(), n.T) {
				err = fmt.Errorf("%s: else is %s", n, n.Else.Type())
			}
		case *expr.InList:
			for _, it := range n.List {
				if !arrow.TypeEqual(it.Type(), n.E.Type()) {
					err = fmt.Errorf("%s: item %s is %s", n, it, it.Type())
				}
			}
		}
		return true
	})
	return err
}
