package planner

import (
	"fmt"
	"go/build"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/plan"
)

func findScan(n plan.Node, table string) *plan.Scan {
	if s, ok := n.(*plan.Scan); ok && s.Table.Name() == table {
		return s
	}
	for _, c := range n.Children() {
		if s := findScan(c, table); s != nil {
			return s
		}
	}
	return nil
}

func fmtRanges(rs []connectors.Range) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("col%d[%v,%v] values=%v", r.Column, r.Min, r.Max, r.Values))
	}
	return strings.Join(parts, "; ")
}

func TestScanRanges(t *testing.T) {
	cases := []struct{ sql, want string }{
		// t: a=0 b=1 c=2 d=3 e=4 f=5 g=6 h=7
		{"select a from t where a >= 3 and a < 10 and 12 > a", "col0[3,10] values=[]"},
		{"select a from t where c in ('x', 'y')", "col2[<nil>,<nil>] values=[x y]"},
		{"select a from t where f = date '1970-01-03'", "col5[2,2] values=[2]"},
		{"select a from t where c like 'ab%'", "col2[ab,ac] values=[]"},
		{"select a from t where d between 1.5 and 2", "col3[150,200] values=[]"},
		{"select a from t where a in (1, 2) and a = 2", "col0[2,2] values=[2]"},
		{"select a from t where a = 1 and a = 2", "col0[2,1] values=[]"},
		{"select a from t where c not like 'ab%' and a <> 3", ""},
	}
	for _, c := range cases {
		p, err := planOf(t, c.sql)
		if err != nil {
			t.Fatalf("%s: %v", c.sql, err)
		}
		s := findScan(p.Root, "tpch.t")
		if got := fmtRanges(s.Ranges); got != c.want {
			t.Errorf("%s: ranges %q, want %q", c.sql, got, c.want)
		}
	}
}

func TestBuildSide(t *testing.T) {
	// lineitem (6M) probes, the filtered orders build; a left join with a
	// small preserved side becomes a right join.
	p, err := planOf(t, "select l_orderkey from lineitem join orders on l_orderkey = o_orderkey where o_orderdate < date '1993-01-01'")
	if err != nil {
		t.Fatal(err)
	}
	hj := findJoin(p.Root)
	if hj == nil || findScan(hj.Left, "tpch.lineitem") == nil || findScan(hj.Right, "tpch.orders") == nil {
		t.Errorf("wrong build side:\n%s", explainOf(p))
	}
	p, err = planOf(t, "select c_custkey, o_orderkey from customer left join orders on c_custkey = o_custkey")
	if err != nil {
		t.Fatal(err)
	}
	hj = findJoin(p.Root)
	if hj == nil || hj.Type != plan.Right || findScan(hj.Right, "tpch.customer") == nil {
		t.Errorf("left join not turned into a right join with customer building:\n%s", explainOf(p))
	}
}

func findJoin(n plan.Node) *plan.HashJoin {
	if j, ok := n.(*plan.HashJoin); ok {
		return j
	}
	for _, c := range n.Children() {
		if j := findJoin(c); j != nil {
			return j
		}
	}
	return nil
}

// TestLayering keeps the planner independent of the executor.
func TestLayering(t *testing.T) {
	for _, dir := range []string{".", "logical", "optimizer"} {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pkg.Imports {
			if strings.Contains(imp, "tarn/exec") || strings.Contains(imp, "tarn/engine") {
				t.Errorf("planner/%s imports %s", dir, imp)
			}
		}
	}
}
