package exec_test

import (
	"fmt"
	"testing"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

// TestAggregateDictMinMax runs min, max and count over a VARCHAR column
// that arrives as dictionaries (one per split, the same strings at
// different indexes) mixed with plain batches and NULLs, with and
// without GROUP BY, below a dictionary filter (selection vectors) or
// not, and compares with the values computed directly.
func TestAggregateDictMinMax(t *testing.T) {
	tab := newDictTable()
	k, x := exectest.Col(0, types.String), exectest.Col(1, types.Int64)
	s := types.String
	for _, filtered := range []bool{false, true} {
		for _, grouped := range []bool{false, true} {
			type state struct {
				min, max string
				count    int64
				rows     int64
			}
			groups := map[int64]*state{}
			if !grouped {
				groups[0] = &state{}
			}
			for _, rows := range tab.splits {
				for _, r := range rows {
					if filtered && (r.k == nil || (*r.k != "MAIL" && *r.k != "SHIP" && *r.k != "" && *r.k != "TRUCK")) {
						continue
					}
					g := int64(0)
					if grouped {
						g = r.x
					}
					st := groups[g]
					if st == nil {
						st = &state{}
						groups[g] = st
					}
					st.rows++
					if r.k == nil {
						continue
					}
					if st.count == 0 || *r.k < st.min {
						st.min = *r.k
					}
					if st.count == 0 || *r.k > st.max {
						st.max = *r.k
					}
					st.count++
				}
			}
			var want [][]any
			for g, st := range groups {
				var lo, hi any
				if st.count > 0 {
					lo, hi = st.min, st.max
				}
				row := []any{lo, hi, st.count, st.rows}
				if grouped {
					row = append([]any{g}, row...)
				}
				want = append(want, row)
			}
			scan := &plan.Scan{Base: plan.Base{Out: tab.schema, Rows: -1}, Table: tab, Columns: []int{0, 1}, DictOK: []bool{true, false}}
			var in plan.Node = scan
			if filtered {
				in = &plan.Filter{Base: plan.Base{Out: tab.schema, Rows: -1}, Input: scan,
					Pred: &expr.InList{E: k, List: []expr.Expr{exectest.Lit("MAIL", s), exectest.Lit("SHIP", s), exectest.Lit("", s), exectest.Lit("TRUCK", s)}}}
			}
			var keys []expr.Expr
			if grouped {
				keys = []expr.Expr{x}
			}
			root := aggPlan(in, keys, agg("min", k, s), agg("max", k, s), agg("count", k, types.Int64), agg("count_star", nil, types.Int64))
			for _, slices := range []int{1, 3} {
				for _, bs := range []int{1, 7, 1024} {
					t.Run(fmt.Sprintf("filtered=%v/grouped=%v/slices=%d/batch=%d", filtered, grouped, slices, bs), func(t *testing.T) {
						got := exectest.Run(t, root, slices, bs)
						if d := exectest.Diff(got, want, false); d != "" {
							t.Fatal(d)
						}
					})
				}
			}
		}
	}
}
