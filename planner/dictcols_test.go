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
// dictionaries: only strings used as bare group keys and in simple
// predicates against constants.
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
		{"SELECT l_shipmode, max(l_shipinstruct) FROM lineitem GROUP BY 1", "l_shipmode"},
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
