package planner

import (
	"strings"
	"testing"
)

// TestRuleShareScalarAggregates: an uncorrelated scalar aggregate over a
// relation the outer query also reads is computed by a window over that
// relation, only where that is exact.
func TestRuleShareScalarAggregates(t *testing.T) {
	const rev = "with r as (select l_suppkey as k, sum(l_extendedprice) as v from lineitem group by l_suppkey) "
	cases := []struct {
		name   string
		sql    string
		shared bool
		want   string // in the shared plan
	}{
		{"argmax of the CTE", rev + "select k, v from r where v = (select max(v) from r)", true,
			"Window 1 funcs"},
		{"through an inner join with another table", rev + "select s_name, v from supplier, r where s_suppkey = k and v = (select max(v) from r)", true,
			"Window 1 funcs"},
		{"an expression over two aggregates", rev + "select k from r where v > (select avg(v) + count(*) from r)", true,
			"Window 2 funcs"},
		{"the relation under a projection", rev + "select k2 from (select k + 1 as k2, v from r) q where v = (select min(v) from r)", true,
			"Window 1 funcs"},
		{"a different filter in the subquery", rev + "select k from r where v = (select max(v) from r where k > 5)", false, ""},
		{"a different aggregate in the subquery's relation", "with r as (select l_suppkey as k, sum(l_extendedprice) as v from lineitem group by l_suppkey) " +
			"select k from r where v = (select max(v) from (select l_suppkey as k, max(l_extendedprice) as v from lineitem group by l_suppkey) q)", false, ""},
		{"DISTINCT aggregate", rev + "select k from r where v > (select count(distinct v) from r)", false, ""},
		{"aggregate the window does not compute", rev + "select k from r where v > (select stddev_samp(v) from r)", false, ""},
		{"relation only on the NULL-extended side", rev + "select s_name from supplier left join r on s_suppkey = k where s_acctbal > (select max(v) from r)", false, ""},
		{"relation under a grouped aggregate", rev + "select n from (select count(*) as n from r group by v) q where n = (select max(v) from r)", false, ""},
		{"large relation read twice instead", "select l_orderkey from lineitem where l_quantity = (select max(l_quantity) from lineitem)", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := norm(runRules(t, c.sql, "fold", "decorrelate", "fold", "share-scalar-aggregates"))
			if c.shared {
				if !strings.Contains(got, c.want) || strings.Count(got, "Scan tpch.lineitem") != 1 {
					t.Errorf("not shared:\n%s", got)
				}
				return
			}
			if strings.Contains(got, "Window") {
				t.Errorf("shared, want two evaluations:\n%s", got)
			}
		})
	}
}
