package planner

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/optimizer"
)

// bindLogical binds sql to an unoptimized logical plan.
func bindLogical(t *testing.T, sql string) logical.Node {
	t.Helper()
	stmt, err := Parse(sql)
	if err != nil {
		t.Fatal(err)
	}
	n, _, err := BindQuery(context.Background(), sql, stmt, tpchCatalog(), Options{Database: "tpch"})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var ruleByName = map[string]optimizer.Rule{}

func init() {
	for _, r := range optimizer.Rules {
		ruleByName[r.Name] = r
	}
}

// runRules applies the named rules in order and returns the logical
// EXPLAIN with column IDs blanked (they depend on binding order).
func runRules(t *testing.T, sql string, names ...string) string {
	t.Helper()
	n := bindLogical(t, sql)
	var rules []optimizer.Rule
	for _, name := range names {
		r, ok := ruleByName[name]
		if !ok {
			t.Fatalf("no rule %s", name)
		}
		rules = append(rules, r)
	}
	out, err := optimizer.Run(context.Background(), n, rules)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return logical.Explain(out)
}

var hashIDs = regexp.MustCompile(`#\d+`)

func norm(s string) string { return hashIDs.ReplaceAllString(s, "") }

func TestRuleFold(t *testing.T) {
	cases := []struct{ sql, want, not string }{
		{"select a from t where f <= date '1998-12-01' - interval '90' day", "(f <= DATE '1998-09-02')", "date_add"},
		{"select a from t where 1 = 1 and a > 2", "Filter (a > 2)", "(1 = 1)"},
		{"select a from t where 1 = 0 or a > 2", "Filter (a > 2)", "false"},
		{"select a from t where (a = 1 and b = 2) or (a = 1 and c = 'x')", "Filter (a = 1), ((b = 2) OR (c = 'x'))", ""},
		{"select cast('12.5' as decimal(5,2)) + 1", "13.50", "CAST"},
		{"select a from t where a in (1, null) is null", "", ""},
		{"select a from t where not (a < 3)", "(a >= 3)", "not("},
	}
	for _, c := range cases {
		got := norm(runRules(t, c.sql, "fold"))
		if !strings.Contains(got, c.want) || c.not != "" && strings.Contains(got, c.not) {
			t.Errorf("%s:\n%s\nwant %q, not %q", c.sql, got, c.want, c.not)
		}
	}
}

func TestRulePushDown(t *testing.T) {
	cases := []struct{ sql, want string }{
		// into scans, through a projection and a derived table
		{"select * from (select a, b + 1 as b1 from t) q where b1 > 5 and a = 2",
			"Scan tpch.t [a, b, c, d, e, f, g, h, k, s, bo] filter=[((b + 1) > 5), (a = 2)]"},
		// cross join + equality → join condition; single-side conjuncts into scans
		{"select t.a from t, u where t.a = u.a and u.x = 'q'",
			"Join Inner on [(a = a)]\n  Scan tpch.t [a, b, c, d, e, f, g, h, k, s, bo]\n  Scan tpch.u [a, x, y] filter=[(x = 'q')]"},
		// left join: conjunct on the preserved side goes down, ON conjunct on the right side into the right
		{"select t.a from t left join u on t.a = u.a and u.y > 1 where t.b = 1",
			"Join Left on [(a = a)]\n  Scan tpch.t [a, b, c, d, e, f, g, h, k, s, bo] filter=[(b = 1)]\n  Scan tpch.u [a, x, y] filter=[(y > 1.000)]"},
		// a NULL-rejecting WHERE on the right side turns the left join inner
		{"select t.a from t left join u on t.a = u.a where u.y > 1", "Join Inner on [(a = a)]"},
		// below an aggregate when over group keys only
		{"select a, n from (select a, count(*) as n from t group by a) q where a > 3 and n > 1",
			"Filter (count(*) > 1)\n  Aggregate keys=[a] aggs=[count(*) AS ]\n    Scan tpch.t [a, b, c, d, e, f, g, h, k, s, bo] filter=[(a > 3)]"},
		// into every union input
		{"select a from (select a from t union all select a from u) q where a = 1",
			"Scan tpch.u [a, x, y] filter=[(a = 1)]"},
	}
	for _, c := range cases {
		got := norm(runRules(t, c.sql, "fold", "decorrelate", "pushdown"))
		if !containsTree(got, c.want) {
			t.Errorf("%s:\n%s\nwant:\n%s", c.sql, got, c.want)
		}
	}
}

func TestRulePrune(t *testing.T) {
	got := norm(runRules(t, "select q.a from (select a, b, c, d + 1 as d1 from t) q join u on q.a = u.a", "pushdown", "prune"))
	if !strings.Contains(got, "Scan tpch.t [a]") || !strings.Contains(got, "Scan tpch.u [a]") || strings.Contains(got, "d1") {
		t.Errorf("not pruned:\n%s", got)
	}
	// count(*) still reads one (the narrowest) column
	got = norm(runRules(t, "select count(*) from t", "prune"))
	if !strings.Contains(got, "Scan tpch.t [bo]") {
		t.Errorf("count(*) scan:\n%s", got)
	}
	// unused aggregates and window functions are dropped
	got = norm(runRules(t, "select a from (select a, sum(b) as sb, max(c) as mc from t group by a) q", "prune"))
	if strings.Contains(got, "sum(") || strings.Contains(got, "max(") {
		t.Errorf("unused aggregates kept:\n%s", got)
	}
}

func TestRuleDecorrelate(t *testing.T) {
	cases := []struct{ sql, want, not string }{
		{"select a from t where exists (select * from u where u.a = t.a and u.y > t.d)", "Join Semi on [(a = a), (y > CAST(d AS DECIMAL(12,3)))]", "Apply"},
		{"select a from t where not exists (select * from u where u.a = t.a)", "Join Anti on [(a = a)]", "Apply"},
		{"select a from t where a in (select a from u)", "Join Semi on [(a = a)]", "Apply"},
		{"select a from t where a not in (select a from u)", "Join Anti on [(a = a)] null-aware", "Apply"},
		{"select a from t where a in (select a from u) or b = 1", "Join Mark on [(a = a)]", "Apply"},
		{"select a, (select max(y) from u where u.a = t.a) from t", "Join Left on [(a = a)]", "Apply"},
		{"select a, (select count(*) from u where u.a = t.a) from t", "coalesce(count(*), 0)", "Apply"},
		{"select a from t where d > (select avg(y) from u)", "Join Inner on []", "Apply"},
		{"select a from t where a = (select a from u where x = 'z')", "aggs=[single_value(a)", "Join Left"},
		{"select a, (select x from u where u.a = t.a) from t", "Aggregate keys=[a] aggs=[single_value(x)", "Apply"},
	}
	for _, c := range cases {
		got := norm(runRules(t, c.sql, "decorrelate"))
		if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
			t.Errorf("%s:\n%s\nwant %q", c.sql, got, c.want)
		}
	}
	// unsupported correlation is an error, not a wrong plan
	stmt, _ := Parse("select a from t where exists (select 1 from u where u.a = t.a limit 1)")
	if _, err := PlanQuery(context.Background(), "", stmt, tpchCatalog(), Options{Database: "tpch"}); err == nil || !strings.Contains(err.Error(), "correlated") {
		t.Errorf("want a correlated-subquery error, got %v", err)
	}
}

func TestRuleJoinOrder(t *testing.T) {
	// nation(25) ⋈ customer(150K) ⋈ orders(1.5M): the big table probes,
	// the smaller inputs build; no cross product although FROM lists
	// nation first and orders is only connected through customer.
	sql := "select n_name from nation, orders, customer where c_nationkey = n_nationkey and o_custkey = c_custkey"
	got := norm(runRules(t, sql, "decorrelate", "pushdown", "join-order"))
	want := "Join Inner on [(o_custkey = c_custkey)]\n  Scan tpch.orders"
	if !containsTree(got, want) || strings.Contains(got, "on []") {
		t.Errorf("join order:\n%s", got)
	}
}

func TestRuleLimit(t *testing.T) {
	got := norm(runRules(t, "select a from t limit 5", "limit"))
	if !strings.Contains(got, "limit=5") {
		t.Errorf("limit not pushed:\n%s", got)
	}
	got = norm(runRules(t, "select a from t where b > 1 limit 5", "pushdown", "limit"))
	if strings.Contains(got, "limit=5") {
		t.Errorf("limit pushed below a filter:\n%s", got)
	}
	p, err := planOf(t, "select a from t order by b desc limit 5 offset 2")
	if err != nil {
		t.Fatal(err)
	}
	if s := explainOf(p); !strings.Contains(s, "TopN limit=5 offset=2 b#1 DESC NULLS LAST") {
		t.Errorf("no TopN:\n%s", s)
	}
}

func TestRuleSchemaCheck(t *testing.T) {
	bad := optimizer.Rule{Name: "bad", Fn: func(_ *optimizer.Ctx, n logical.Node) (logical.Node, bool, error) {
		for len(n.Inputs()) > 0 {
			n = n.Inputs()[0]
		}
		return n, true, nil
	}}
	n := bindLogical(t, "select a + 1 from t")
	if _, err := optimizer.Run(context.Background(), n, []optimizer.Rule{bad}); err == nil || !strings.Contains(err.Error(), "changed the output schema") {
		t.Errorf("schema change not caught: %v", err)
	}
}

func BenchmarkPlanTPCH(b *testing.B) {
	sql := `select l_returnflag, l_linestatus, sum(l_quantity), sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)), count(*)
from lineitem, orders, customer, nation, region
where l_orderkey = o_orderkey and o_custkey = c_custkey and c_nationkey = n_nationkey and n_regionkey = r_regionkey
  and r_name = 'ASIA' and l_shipdate <= date '1998-12-01' - interval '90' day
  and exists (select * from lineitem l2 where l2.l_orderkey = o_orderkey and l2.l_suppkey <> lineitem.l_suppkey)
group by l_returnflag, l_linestatus order by 1, 2`
	cat := tpchCatalog()
	stmt, err := Parse(sql)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := PlanQuery(context.Background(), sql, stmt, cat, Options{Database: "tpch"}); err != nil {
			b.Fatal(err)
		}
	}
}

// containsTree reports whether the lines of want appear consecutively in
// got with the same relative indentation (each want line a prefix).
func containsTree(got, want string) bool {
	g := strings.Split(got, "\n")
	w := strings.Split(want, "\n")
	indent := func(l string) int { return len(l) - len(strings.TrimLeft(l, " ")) }
	for i := range g {
		base := indent(g[i]) - indent(w[0])
		ok := true
		for k := range w {
			if i+k >= len(g) || indent(g[i+k])-base != indent(w[k]) || !strings.HasPrefix(strings.TrimLeft(g[i+k], " "), strings.TrimLeft(w[k], " ")) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func TestRuleSemiJoinPushdown(t *testing.T) {
	// The IN filter on orders moves below the join with customer.
	sql := "select c_name from customer, orders where c_custkey = o_custkey and o_orderkey in (select l_orderkey from lineitem where l_quantity > 49)"
	got := norm(runRules(t, sql, "decorrelate", "pushdown", "join-order", "pushdown", "semijoin-pushdown"))
	if !containsTree(got, "Join Semi on [(o_orderkey = l_orderkey)]\n  Scan tpch.orders") {
		t.Errorf("semi join not pushed below the inner join:\n%s", got)
	}
}

func TestRuleImpliedOr(t *testing.T) {
	sql := "select t.a from t, u where t.a = u.a and ((t.b = 1 and u.x = 'p') or (t.b = 2 and u.x = 'q'))"
	got := norm(runRules(t, sql, "fold", "pushdown"))
	for _, want := range []string{"Scan tpch.t [a, b, c, d, e, f, g, h, k, s, bo] filter=[((b = 1) OR (b = 2))]", "Scan tpch.u [a, x, y] filter=[((x = 'p') OR (x = 'q'))]"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing implied filter %q:\n%s", want, got)
		}
	}
}
