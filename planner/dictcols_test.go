package planner

import (
	"sort"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/planner/plan"
)

// dictColsOf lists the scan columns marked DictOK in a plan, as
// table.column, sorted.
func dictColsOf(n plan.Node) []string {
	var out []string
	if s, ok := n.(*plan.Scan); ok {
		for i, c := range s.Columns {
			if i < len(s.DictOK) && s.DictOK[i] {
				out = append(out, s.Table.Schema().Field(c).Name)
			}
		}
	}
	for _, c := range n.Children() {
		out = append(out, dictColsOf(c)...)
	}
	sort.Strings(out)
	return out
}

// TestDictColumns checks which scan columns the planner lets arrive as
// dictionaries: only strings used as bare group keys, bare arguments of
// min/max/any_value/count and in simple predicates against constants.
func TestDictColumns(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want string
	}{
		{"SELECT l_shipmode, count(*) FROM lineitem GROUP BY 1", "l_shipmode"},
		{"SELECT count(*) FROM lineitem WHERE l_shipmode IN ('MAIL', 'SHIP')", "l_shipmode"},
		{"SELECT count(*) FROM lineitem WHERE l_shipinstruct = 'DELIVER IN PERSON' AND l_quantity < 5", "l_shipinstruct"},
		{"SELECT count(*) FROM lineitem WHERE l_shipmode NOT IN ('MAIL') AND l_shipinstruct LIKE 'DELIVER%' AND l_comment IS NOT NULL", "l_comment,l_shipinstruct,l_shipmode"},
		{"SELECT l_returnflag, l_linestatus, sum(l_quantity), count(*) FROM lineitem WHERE l_shipdate <= DATE '1998-09-02' GROUP BY l_returnflag, l_linestatus", "l_linestatus,l_returnflag"},
		{"SELECT l_shipmode, count(*) FROM lineitem WHERE l_shipmode <> 'AIR' GROUP BY l_shipmode ORDER BY count(*) DESC", "l_shipmode"},
		// Output columns, expressions, join keys, aggregate arguments,
		// mixed-column predicates: plain.
		{"SELECT l_shipmode FROM lineitem WHERE l_shipmode = 'AIR'", ""},
		{"SELECT upper(l_shipmode), count(*) FROM lineitem GROUP BY 1", ""},
		{"SELECT l_shipmode, count(DISTINCT l_shipmode) FROM lineitem GROUP BY 1", ""},
		{"SELECT count(*) FROM lineitem WHERE l_shipmode = l_shipinstruct", ""},
		{"SELECT count(*) FROM lineitem WHERE l_shipmode = 'AIR' OR l_quantity < 5", ""},
		{"SELECT count(*) FROM lineitem WHERE substring(l_shipmode, 1, 1) = 'A'", ""},
		{"SELECT l_shipmode, max(l_shipinstruct) FROM lineitem GROUP BY 1", "l_shipinstruct,l_shipmode"},
		// Bare-column arguments of min, max, any_value and count.
		{"SELECT min(l_comment), max(l_shipinstruct) FROM lineitem", "l_comment,l_shipinstruct"},
		{"SELECT count(l_shipmode), any_value(l_comment), min(DISTINCT l_shipinstruct) FROM lineitem", "l_comment,l_shipinstruct,l_shipmode"},
		{"SELECT l_shipmode, min(l_shipmode), max(l_shipmode) FROM lineitem GROUP BY 1", "l_shipmode"},
		{"SELECT l_orderkey, min(l_shipmode) FROM lineitem GROUP BY 1 ORDER BY 2", "l_shipmode"},
		{"SELECT max(l_shipmode) FROM lineitem HAVING max(l_shipmode) > 'A'", "l_shipmode"},
		{"SELECT min(l_comment) FROM lineitem WHERE l_comment LIKE '%furious%' AND l_shipmode = 'AIR'", "l_comment,l_shipmode"},
		{"SELECT min(s) FROM (SELECT l_shipmode AS s, l_quantity FROM lineitem WHERE l_quantity > 3) t", "l_shipmode"},
		// ... but not through an expression, with another use of the
		// column, DISTINCT count, or other aggregates.
		{"SELECT min(upper(l_shipmode)) FROM lineitem", ""},
		{"SELECT count(DISTINCT l_shipmode) FROM lineitem", ""},
		{"SELECT count(DISTINCT l_shipmode), min(l_shipmode) FROM lineitem", ""},
		{"SELECT sum(l_quantity), avg(l_quantity), min(l_shipmode) FROM lineitem", "l_shipmode"},
		{"SELECT min(l_comment), sum(length(l_comment)) FROM lineitem", ""},
		{"SELECT min(l_comment) FROM lineitem WHERE l_comment < l_shipmode", ""},
		{"SELECT l_comment, min(l_shipmode) FROM lineitem GROUP BY upper(l_shipmode), l_comment", "l_comment"},
		{"SELECT min(l_comment) FROM (SELECT l_comment FROM lineitem ORDER BY l_comment LIMIT 10) t", ""},
		{"SELECT min(l_shipmode) OVER (ORDER BY l_shipmode) FROM lineitem", ""},
		{"SELECT max(l_shipmode) FROM lineitem WHERE l_orderkey IN (SELECT o_orderkey FROM orders)", ""},
		{"SELECT min(s) FROM (SELECT l_shipmode AS s FROM lineitem UNION ALL SELECT l_shipinstruct FROM lineitem) t", ""},
		{"SELECT min(l_shipmode), l_shipmode FROM lineitem GROUP BY l_shipmode", "l_shipmode"},
		{"SELECT n_name, count(*) FROM nation, region WHERE n_regionkey = r_regionkey AND r_name = 'ASIA' GROUP BY n_name", ""}, // joins keep their inputs plain
		{"SELECT count(*) FROM nation, region WHERE n_name = r_name", ""},
		{"SELECT l_shipmode, count(*) FROM lineitem GROUP BY 1 ORDER BY 1", "l_shipmode"},
	} {
		p, err := planOf(t, tc.sql)
		if err != nil {
			t.Fatalf("%s: %v", tc.sql, err)
		}
		if got := strings.Join(dictColsOf(p.Root), ","); got != tc.want {
			t.Errorf("%s:\n got  %q\n want %q", tc.sql, got, tc.want)
		}
	}
}
