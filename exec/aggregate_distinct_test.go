package exec_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

// distinctCase is one argument type of TestAggregateDistinctTypes: gen
// makes a value from a small random domain (so values repeat), key maps
// a value to its SQL identity (NULLs excluded), and sum, when set, is
// the type of sum(DISTINCT v) with the reference sum of a value set.
type distinctCase struct {
	name string
	t    arrow.DataType
	gen  func(r *rand.Rand) any
	key  func(v any) any
	sumT arrow.DataType
	sum  func(vs []any) any
}

func distinctCases() []distinctCase {
	id := func(v any) any { return v }
	intSum := func(vs []any) any {
		var s int64
		for _, v := range vs {
			switch x := v.(type) {
			case int8:
				s += int64(x)
			case int16:
				s += int64(x)
			case int32:
				s += int64(x)
			case int64:
				s += x
			}
		}
		return s
	}
	floatKey := func(v any) any {
		f, ok := v.(float64)
		if !ok {
			f = float64(v.(float32))
		}
		switch {
		case f != f:
			return "NaN"
		case f == 0:
			return 0.0
		}
		return f
	}
	floatSum := func(vs []any) any {
		var s float64
		for _, v := range vs {
			f, ok := v.(float64)
			if !ok {
				f = float64(v.(float32))
			}
			s += f
		}
		return s
	}
	floatGen := func(r *rand.Rand) float64 {
		switch r.Intn(40) {
		case 0:
			return math.NaN()
		case 1:
			return math.Copysign(0, -1)
		case 2:
			return 0
		}
		return float64(r.Intn(300)-150) * 0.5
	}
	return []distinctCase{
		{"int8", types.Int8, func(r *rand.Rand) any { return int8(r.Intn(256) - 128) }, id, types.Int64, intSum},
		{"int16", types.Int16, func(r *rand.Rand) any { return int16(r.Intn(600) - 300) }, id, types.Int64, intSum},
		{"int32", types.Int32, func(r *rand.Rand) any { return int32(r.Intn(600)-300) * 1_000_000 }, id, types.Int64, intSum},
		{"int64", types.Int64, func(r *rand.Rand) any {
			if r.Intn(50) == 0 {
				return int64(0)
			}
			return int64(r.Intn(600)-300) * 1_000_000_007
		}, id, types.Int64, intSum},
		{"date", types.Date, func(r *rand.Rand) any { return int32(r.Intn(500) - 100) }, id, nil, nil},
		{"timestamp", types.Timestamp, func(r *rand.Rand) any { return int64(r.Intn(500)) * 86_400_000_000 }, id, nil, nil},
		{"decimal64", tDec64, func(r *rand.Rand) any { return int64(r.Intn(600) - 300) }, id, tSum38_2,
			func(vs []any) any { return d128(intSum(vs).(int64)) }},
		{"float32", types.Float32, func(r *rand.Rand) any { return float32(floatGen(r)) }, floatKey, types.Float64, floatSum},
		{"float64", types.Float64, func(r *rand.Rand) any { return floatGen(r) }, floatKey, types.Float64, floatSum},
		{"bool", types.Boolean, func(r *rand.Rand) any { return r.Intn(3) == 0 }, id, nil, nil},
		// Byte-keyed path.
		{"string", types.String, func(r *rand.Rand) any { return fmt.Sprintf("s%d", r.Intn(400)) }, id, nil, nil},
		{"decimal128", tDec128, func(r *rand.Rand) any { return d128(int64(r.Intn(400)) << 20) }, func(v any) any { return v.(decimal128.Num) }, nil, nil},
	}
}

// TestAggregateDistinctTypes checks count(DISTINCT v) (and sum(DISTINCT
// v) where defined) against a map-based reference for every argument
// type, with and without GROUP BY, with NULL values, NULL groups and a
// selection vector (the scan filter), under the harness's slice and
// batch-size matrix.
func TestAggregateDistinctTypes(t *testing.T) {
	for _, tc := range distinctCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(int64(len(tc.name))))
			s := exectest.Schema("g", types.Int64, "f", types.Int64, "v", tc.t)
			var rows [][]any
			for i := 0; i < 3000; i++ {
				var g any = int64(r.Intn(7))
				if r.Intn(20) == 0 {
					g = nil
				}
				var v any
				if r.Intn(10) != 0 {
					v = tc.gen(r)
				}
				rows = append(rows, []any{g, int64(i % 10), v})
			}
			// Group 9 only has NULL values.
			rows = append(rows, []any{int64(9), int64(5), nil}, []any{int64(9), int64(6), nil})
			scan := exectest.Scan(exectest.Table("t", s, rows))
			fcol, v := exectest.Col(1, types.Int64), exectest.Col(2, tc.t)
			scan.Filter = &expr.Call{Fn: ">", Args: []expr.Expr{fcol, exectest.Lit(int64(1), types.Int64)}, T: types.Boolean}
			aggs := []plan.AggFunc{aggDistinct("count", v, types.Int64), agg("count", v, types.Int64)}
			if tc.sum != nil {
				aggs = append(aggs, aggDistinct("sum", v, tc.sumT))
			}
			type st struct {
				seen map[any]bool
				vals []any
				n    int64
			}
			ref := func(grouped bool) [][]any {
				groups := map[any]*st{}
				var order []any
				for _, row := range rows {
					if row[1].(int64) <= 1 {
						continue
					}
					g := row[0]
					if !grouped {
						g = "all"
					}
					if groups[g] == nil {
						groups[g] = &st{seen: map[any]bool{}}
						order = append(order, g)
					}
					x := groups[g]
					if row[2] == nil {
						continue
					}
					x.n++
					if k := tc.key(row[2]); !x.seen[k] {
						x.seen[k] = true
						x.vals = append(x.vals, row[2])
					}
				}
				if !grouped && len(order) == 0 {
					groups["all"], order = &st{}, []any{"all"}
				}
				var want [][]any
				for _, g := range order {
					x := groups[g]
					var out []any
					if grouped {
						out = append(out, g)
					}
					out = append(out, int64(len(x.vals)), x.n)
					if tc.sum != nil {
						if len(x.vals) == 0 {
							out = append(out, nil)
						} else {
							out = append(out, tc.sum(x.vals))
						}
					}
					want = append(want, out)
				}
				return want
			}
			t.Run("grouped", func(t *testing.T) {
				exectest.Check(t, aggPlan(scan, []expr.Expr{exectest.Col(0, types.Int64)}, aggs...), ref(true), false)
			})
			t.Run("nogroup", func(t *testing.T) {
				exectest.Check(t, aggPlan(scan, nil, aggs...), ref(false), false)
			})
		})
	}
}

// TestAggregateDistinctManyValues grows the distinct sets through many
// rehashes (values spread over all slices), with and without groups,
// and several DISTINCT aggregates over the same and different columns.
func TestAggregateDistinctManyValues(t *testing.T) {
	s := exectest.Schema("g", types.Int64, "x", types.Int64, "d", types.Date)
	var rows [][]any
	const n, distinct = 40000, 9000
	for i := 0; i < n; i++ {
		x := int64((i * 7919) % distinct)
		rows = append(rows, []any{int64(i % 13), x - distinct/2, int32(x % 1000)})
	}
	in := exectest.Scan(exectest.Table("t", s, rows))
	x, d := exectest.Col(1, types.Int64), exectest.Col(2, types.Date)
	aggs := []plan.AggFunc{aggDistinct("count", x, types.Int64), aggDistinct("sum", x, types.Int64),
		aggDistinct("count", d, types.Int64), agg("count_star", nil, types.Int64)}
	type st struct {
		xs        map[int64]bool
		ds        map[int32]bool
		sum, rows int64
	}
	ref := func(grouped bool) [][]any {
		groups := map[any]*st{}
		for _, r := range rows {
			var g any = "all"
			if grouped {
				g = r[0]
			}
			if groups[g] == nil {
				groups[g] = &st{xs: map[int64]bool{}, ds: map[int32]bool{}}
			}
			st := groups[g]
			st.rows++
			if xv := r[1].(int64); !st.xs[xv] {
				st.xs[xv] = true
				st.sum += xv
			}
			st.ds[r[2].(int32)] = true
		}
		var want [][]any
		for g, st := range groups {
			row := []any{int64(len(st.xs)), st.sum, int64(len(st.ds)), st.rows}
			if grouped {
				row = append([]any{g}, row...)
			}
			want = append(want, row)
		}
		return want
	}
	exectest.Check(t, aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)}, aggs...), ref(true), false)
	exectest.Check(t, aggPlan(in, nil, aggs...), ref(false), false)
}

// TestAggregateDistinctBudget checks that the typed distinct sets are
// charged to the budget (a small limit fails with the operator's memory
// error, the charge grows with the set) and that every charge is
// returned once the query is closed.
func TestAggregateDistinctBudget(t *testing.T) {
	in := aggBigInput(200000, 10)
	v := exectest.Col(1, types.Int64)
	plans := map[string]plan.Node{
		"grouped": aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)}, aggDistinct("count", v, types.Int64)),
		"nogroup": aggPlan(in, nil, aggDistinct("count", v, types.Int64), aggDistinct("sum", v, types.Int64)),
	}
	for name, p := range plans {
		for _, sl := range []int{1, 4} {
			_, err := exectest.RunErr(p, sl, 1024, 1<<20)
			var me *exec.MemoryError
			if !errors.As(err, &me) || me.Op != "HashAggregate" || !strings.Contains(err.Error(), "HashAggregate") {
				t.Fatalf("%s slices=%d: want HashAggregate memory error, got %v", name, sl, err)
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			qc := exec.NewQueryCtx(sl, 1024, exec.NewBudget(0), mem)
			ctx := context.Background()
			s, err := exec.Run(ctx, qc, p)
			if err != nil {
				t.Fatal(err)
			}
			for {
				rec, err := s.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rec == nil {
					break
				}
				rec.Release()
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			// 200000 distinct 8-byte values at a load factor <= 1/2.
			if pk := qc.Budget.Peak(); pk < 200000*8*2 {
				t.Fatalf("%s slices=%d: peak charge %d bytes, want >= %d", name, sl, pk, 200000*16)
			}
			if u := qc.Budget.Used(); u != 0 {
				t.Fatalf("%s slices=%d: %d bytes still charged", name, sl, u)
			}
			mem.AssertSize(t, 0)
		}
	}
}
