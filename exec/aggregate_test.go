package exec_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

// aggPlan builds an Aggregate over in with the given keys and functions.
func aggPlan(in plan.Node, keys []expr.Expr, aggs ...plan.AggFunc) *plan.Aggregate {
	var fs []arrow.Field
	for i, k := range keys {
		fs = append(fs, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: k.Type(), Nullable: true})
	}
	for i, a := range aggs {
		fs = append(fs, arrow.Field{Name: fmt.Sprintf("a%d", i), Type: a.T, Nullable: true})
	}
	return &plan.Aggregate{Base: plan.Base{Out: arrow.NewSchema(fs, nil), Rows: -1}, Input: in, Keys: keys, Aggs: aggs}
}

func agg(fn string, arg expr.Expr, t arrow.DataType) plan.AggFunc {
	f := plan.AggFunc{Fn: fn, T: t}
	if arg != nil {
		f.Args = []expr.Expr{arg}
	}
	return f
}

func aggDistinct(fn string, arg expr.Expr, t arrow.DataType) plan.AggFunc {
	f := agg(fn, arg, t)
	f.Distinct = true
	return f
}

func d128(v int64) decimal128.Num { return decimal128.FromI64(v) }

var (
	tDec64   = types.Decimal(10, 2)
	tDec128  = types.Decimal(30, 2)
	tSum38_0 = types.Decimal(38, 0)
	tSum38_2 = types.Decimal(38, 2)
	tAvg38_4 = types.Decimal(38, 4)
	tAvg38_6 = types.Decimal(38, 6)
)

// aggTypesTable has one column per input type the planner guarantees;
// group 1 has values, group 2 one row, group 3 only NULLs, and the NULL
// group one row.
func aggTypesTable() *plan.Scan {
	s := exectest.Schema("g", types.Int64, "i", types.Int64, "f", types.Float64, "d", tDec64,
		"e", tDec128, "s", types.String, "dt", types.Date, "ts", types.Timestamp, "b", types.Boolean)
	huge := decimal128.FromBigInt(new(big.Int).Lsh(big.NewInt(3), 70)) // 3·2^70
	rows := [][]any{
		{1, 1, 1.5, 100, d128(1000), "b", int32(10), 100, true},
		{1, 3, 2.5, 250, d128(-500), "a", int32(5), 300, false},
		{1, 0, 4.0, 1, huge, "ba", int32(7), 200, true},
		{1, nil, nil, nil, nil, nil, nil, nil, nil},
		{2, -4, -1.0, -1, d128(-7), "zz", int32(-3), -1, true},
		{3, nil, nil, nil, nil, nil, nil, nil, nil},
		{nil, 7, 0.5, 5, d128(5), "", int32(0), 0, false},
	}
	return exectest.Scan(exectest.Table("t", s, rows))
}

func TestAggregateFunctions(t *testing.T) {
	in := aggTypesTable()
	c := func(i int) *expr.ColumnRef { return exectest.Col(i, in.Schema().Field(i).Type) }
	b3 := new(big.Int).Lsh(big.NewInt(3), 70)
	bigSum := decimal128.FromBigInt(new(big.Int).Add(b3, big.NewInt(500)))
	// avg of 1000, -500, 3·2^70 at scale 2 → scale 6: (sum·10^4)/3 rounded.
	avgBig := new(big.Int).Mul(new(big.Int).Add(b3, big.NewInt(500)), big.NewInt(10000))
	q, r := new(big.Int).QuoRem(avgBig, big.NewInt(3), new(big.Int))
	if r.Lsh(r, 1).Cmp(big.NewInt(3)) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	avgBigWant := decimal128.FromBigInt(q)
	cases := []struct {
		name string
		f    plan.AggFunc
		want map[any]any // group → value
	}{
		{"count_star", agg("count_star", nil, types.Int64), map[any]any{1: 4, 2: 1, 3: 1, nil: 1}},
		{"count_i", agg("count", c(1), types.Int64), map[any]any{1: 3, 2: 1, 3: 0, nil: 1}},
		{"count_s", agg("count", c(5), types.Int64), map[any]any{1: 3, 2: 1, 3: 0, nil: 1}},
		{"count_b", agg("count", c(8), types.Int64), map[any]any{1: 3, 2: 1, 3: 0, nil: 1}},
		{"sum_i_bigint", agg("sum", c(1), types.Int64), map[any]any{1: 4, 2: -4, 3: nil, nil: 7}},
		{"sum_i_dec", agg("sum", c(1), tSum38_0), map[any]any{1: d128(4), 2: d128(-4), 3: nil, nil: d128(7)}},
		{"sum_f", agg("sum", c(2), types.Float64), map[any]any{1: 8.0, 2: -1.0, 3: nil, nil: 0.5}},
		{"sum_d64", agg("sum", c(3), tSum38_2), map[any]any{1: d128(351), 2: d128(-1), 3: nil, nil: d128(5)}},
		{"sum_d128", agg("sum", c(4), tSum38_2), map[any]any{1: bigSum, 2: d128(-7), 3: nil, nil: d128(5)}},
		{"avg_i", agg("avg", c(1), tAvg38_4), map[any]any{1: d128(13333), 2: d128(-40000), 3: nil, nil: d128(70000)}},
		{"avg_f", agg("avg", c(2), types.Float64), map[any]any{1: 8.0 / 3, 2: -1.0, 3: nil, nil: 0.5}},
		// 351/3 = 117 exactly; scale 2 → 6.
		{"avg_d64", agg("avg", c(3), tAvg38_6), map[any]any{1: d128(1170000), 2: d128(-10000), 3: nil, nil: d128(50000)}},
		{"avg_d128", agg("avg", c(4), tAvg38_6), map[any]any{1: avgBigWant, 2: d128(-70000), 3: nil, nil: d128(50000)}},
		{"min_i", agg("min", c(1), types.Int64), map[any]any{1: 0, 2: -4, 3: nil, nil: 7}},
		{"max_i", agg("max", c(1), types.Int64), map[any]any{1: 3, 2: -4, 3: nil, nil: 7}},
		{"min_f", agg("min", c(2), types.Float64), map[any]any{1: 1.5, 2: -1.0, 3: nil, nil: 0.5}},
		{"max_f", agg("max", c(2), types.Float64), map[any]any{1: 4.0, 2: -1.0, 3: nil, nil: 0.5}},
		{"min_d64", agg("min", c(3), tDec64), map[any]any{1: 1, 2: -1, 3: nil, nil: 5}},
		{"max_d64", agg("max", c(3), tDec64), map[any]any{1: 250, 2: -1, 3: nil, nil: 5}},
		{"min_d128", agg("min", c(4), tDec128), map[any]any{1: d128(-500), 2: d128(-7), 3: nil, nil: d128(5)}},
		{"max_d128", agg("max", c(4), tDec128), map[any]any{1: decimal128.FromBigInt(b3), 2: d128(-7), 3: nil, nil: d128(5)}},
		{"min_s", agg("min", c(5), types.String), map[any]any{1: "a", 2: "zz", 3: nil, nil: ""}},
		{"max_s", agg("max", c(5), types.String), map[any]any{1: "ba", 2: "zz", 3: nil, nil: ""}},
		{"min_dt", agg("min", c(6), types.Date), map[any]any{1: int32(5), 2: int32(-3), 3: nil, nil: int32(0)}},
		{"max_dt", agg("max", c(6), types.Date), map[any]any{1: int32(10), 2: int32(-3), 3: nil, nil: int32(0)}},
		{"min_ts", agg("min", c(7), types.Timestamp), map[any]any{1: 100, 2: -1, 3: nil, nil: 0}},
		{"max_ts", agg("max", c(7), types.Timestamp), map[any]any{1: 300, 2: -1, 3: nil, nil: 0}},
		{"min_b", agg("min", c(8), types.Boolean), map[any]any{1: false, 2: true, 3: nil, nil: false}},
		{"max_b", agg("max", c(8), types.Boolean), map[any]any{1: true, 2: true, 3: nil, nil: false}},
		{"bool_and", agg("bool_and", c(8), types.Boolean), map[any]any{1: false, 2: true, 3: nil, nil: false}},
		{"bool_or", agg("bool_or", c(8), types.Boolean), map[any]any{1: true, 2: true, 3: nil, nil: false}},
		{"var_pop_i", agg("var_pop", c(1), types.Float64), map[any]any{1: 14.0 / 9, 2: 0.0, 3: nil, nil: 0.0}},
		{"var_samp_i", agg("var_samp", c(1), types.Float64), map[any]any{1: 7.0 / 3, 2: nil, 3: nil, nil: nil}},
		{"stddev_samp_f", agg("stddev_samp", c(2), types.Float64), map[any]any{1: math.Sqrt(19.0 / 12), 2: nil, 3: nil, nil: nil}},
		{"stddev_pop_d64", agg("stddev_pop", c(3), types.Float64), map[any]any{1: math.Sqrt(aggPopVar(1.00, 2.50, 0.01)), 2: 0.0, 3: nil, nil: 0.0}},
		{"min_distinct", aggDistinct("min", c(1), types.Int64), map[any]any{1: 0, 2: -4, 3: nil, nil: 7}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := aggPlan(in, []expr.Expr{c(0)}, tc.f)
			var want [][]any
			for g, v := range tc.want {
				want = append(want, []any{g, v})
			}
			checkApprox(t, p, want)
		})
	}
}

func aggPopVar(xs ...float64) float64 {
	m := 0.0
	for _, x := range xs {
		m += x
	}
	m /= float64(len(xs))
	v := 0.0
	for _, x := range xs {
		v += (x - m) * (x - m)
	}
	return v / float64(len(xs))
}

// checkApprox is exectest.Check with floats rounded to 9 significant
// digits (parallel merges change the order of float additions).
func checkApprox(t *testing.T, root plan.Node, want [][]any) {
	t.Helper()
	round := func(rows [][]any) [][]any {
		out := make([][]any, len(rows))
		for i, r := range rows {
			out[i] = make([]any, len(r))
			for j, v := range r {
				if f, ok := v.(float64); ok {
					v = fmt.Sprintf("%.9g", f)
				}
				out[i][j] = v
			}
		}
		return out
	}
	for _, sl := range exectest.Slices {
		for _, bs := range exectest.BatchSizes {
			if bs == 0 {
				bs = 1 + rand.Intn(2048)
			}
			got := exectest.Run(t, root, sl, bs)
			if msg := exectest.Diff(round(got), round(want), false); msg != "" {
				t.Fatalf("slices=%d batch=%d: %s\nplan:\n%s", sl, bs, msg, plan.Explain(root))
			}
		}
	}
}

func TestAggregateAnyValue(t *testing.T) {
	s := exectest.Schema("g", types.Int64, "v", types.String)
	in := exectest.Scan(exectest.Table("t", s, [][]any{{1, "x"}, {1, "x"}, {1, nil}, {2, nil}}))
	p := aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)}, agg("any_value", exectest.Col(1, types.String), types.String))
	exectest.Check(t, p, [][]any{{1, "x"}, {2, nil}}, false)
}

func TestAggregateAvgRounding(t *testing.T) {
	s := exectest.Schema("g", types.Int64, "d", tDec64, "i", types.Int64)
	in := exectest.Scan(exectest.Table("t", s, [][]any{
		{1, 1, 1}, {1, 2, 0}, {1, 0, 0}, // avg(d)=0.01 exactly; avg(i)=1/3
		{2, -1, -1}, {2, -2, 0}, // avg(d) = -0.015 → -0.02; avg(i) = -0.5
		{3, 1, 2}, {3, 2, 2}, {3, 2, 1}, // 5/3 → 0.017 (scale 3); 5/3 → 1.6667
	}))
	p := aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)},
		agg("avg", exectest.Col(1, tDec64), tSum38_2),
		agg("avg", exectest.Col(1, tDec64), types.Decimal(38, 3)),
		agg("avg", exectest.Col(2, types.Int64), tAvg38_4))
	exectest.Check(t, p, [][]any{
		{1, d128(1), d128(10), d128(3333)},
		{2, d128(-2), d128(-15), d128(-5000)},
		{3, d128(2), d128(17), d128(16667)},
	}, false)
}

func TestAggregateNoKeys(t *testing.T) {
	s := exectest.Schema("x", types.Int64, "s", types.String)
	fs := []plan.AggFunc{
		agg("count_star", nil, types.Int64),
		agg("count", exectest.Col(0, types.Int64), types.Int64),
		agg("sum", exectest.Col(0, types.Int64), types.Int64),
		agg("avg", exectest.Col(0, types.Int64), tAvg38_4),
		agg("min", exectest.Col(1, types.String), types.String),
		agg("max", exectest.Col(0, types.Int64), types.Int64),
		aggDistinct("count", exectest.Col(0, types.Int64), types.Int64),
	}
	var rows [][]any
	for i := 0; i < 5000; i++ {
		var x any = int64(i % 100)
		if i%7 == 0 {
			x = nil
		}
		rows = append(rows, []any{x, fmt.Sprintf("s%04d", 4999-i)})
	}
	// Sum over non-NULL x.
	sum, cnt := int64(0), int64(0)
	distinct := map[int64]bool{}
	for _, r := range rows {
		if r[0] != nil {
			sum += r[0].(int64)
			cnt++
			distinct[r[0].(int64)] = true
		}
	}
	avg := (sum*10000*2 + cnt) / (2 * cnt) // half up (positive)
	cases := []struct {
		name string
		rows [][]any
		want [][]any
	}{
		{"empty", nil, [][]any{{0, 0, nil, nil, nil, nil, 0}}},
		{"one_null", [][]any{{nil, nil}}, [][]any{{1, 0, nil, nil, nil, nil, 0}}},
		{"many", rows, [][]any{{5000, cnt, sum, d128(avg), "s0000", 99, len(distinct)}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := aggPlan(exectest.Scan(exectest.Table("t", s, tc.rows)), nil, fs...)
			exectest.Check(t, p, tc.want, false)
		})
	}
}

func TestAggregateEmptyWithKeys(t *testing.T) {
	s := exectest.Schema("k", types.Int64, "s", types.String)
	in := exectest.Scan(exectest.Table("t", s, nil))
	for _, keys := range [][]expr.Expr{
		{exectest.Col(0, types.Int64)},
		{exectest.Col(1, types.String)},
		{exectest.Col(0, types.Int64), exectest.Col(1, types.String)},
	} {
		p := aggPlan(in, keys, agg("count_star", nil, types.Int64))
		exectest.Check(t, p, nil, false)
	}
}

// aggRef is a row-at-a-time reference: count(*), count(v), sum(v),
// min(v), max(v), count(distinct v) per key tuple.
func aggRef(rows [][]any, keyCols []int, v int) [][]any {
	type st struct {
		key         []any
		n, cnt, sum int64
		mn, mx      any
		distinct    map[int64]bool
	}
	groups := map[string]*st{}
	var order []string
	for _, r := range rows {
		key := make([]any, len(keyCols))
		for i, c := range keyCols {
			key[i] = r[c]
		}
		ks := fmt.Sprintf("%#v", key)
		g := groups[ks]
		if g == nil {
			g = &st{key: key, distinct: map[int64]bool{}}
			groups[ks] = g
			order = append(order, ks)
		}
		g.n++
		if r[v] == nil {
			continue
		}
		x := r[v].(int64)
		g.cnt++
		g.sum += x
		g.distinct[x] = true
		if g.mn == nil || x < g.mn.(int64) {
			g.mn = x
		}
		if g.mx == nil || x > g.mx.(int64) {
			g.mx = x
		}
	}
	var out [][]any
	for _, ks := range order {
		g := groups[ks]
		var sum any
		if g.cnt > 0 {
			sum = g.sum
		}
		row := append(append([]any{}, g.key...), g.n, g.cnt, sum, g.mn, g.mx, int64(len(g.distinct)))
		out = append(out, row)
	}
	return out
}

func TestAggregateManyGroups(t *testing.T) {
	s := exectest.Schema("k", types.Int64, "s", types.String, "dt", types.Date, "e", tDec128, "v", types.Int64)
	rng := rand.New(rand.NewSource(7))
	var rows [][]any
	for i := 0; i < 12000; i++ {
		var k any = int64(rng.Intn(6000))
		if rng.Intn(50) == 0 {
			k = nil
		}
		var str any = fmt.Sprintf("key-%d", rng.Intn(3000))
		if rng.Intn(40) == 0 {
			str = nil
		}
		var dt any = int32(rng.Intn(5) - 2)
		var e any = d128(int64(rng.Intn(3)))
		var v any = int64(rng.Intn(20) - 10)
		if rng.Intn(10) == 0 {
			v = nil
		}
		rows = append(rows, []any{k, str, dt, e, v})
	}
	in := exectest.Scan(exectest.Table("t", s, rows))
	cols := []*expr.ColumnRef{
		exectest.Col(0, types.Int64), exectest.Col(1, types.String), exectest.Col(2, types.Date), exectest.Col(3, tDec128),
	}
	v := exectest.Col(4, types.Int64)
	fs := []plan.AggFunc{
		agg("count_star", nil, types.Int64), agg("count", v, types.Int64), agg("sum", v, types.Int64),
		agg("min", v, types.Int64), agg("max", v, types.Int64), aggDistinct("count", v, types.Int64),
	}
	cases := []struct {
		name string
		keys []int
	}{
		{"int64", []int{0}},
		{"string", []int{1}},
		{"date", []int{2}},
		{"decimal128", []int{3}},
		{"int64_string", []int{0, 1}},
		{"date_decimal_string", []int{2, 3, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var keys []expr.Expr
			for _, k := range tc.keys {
				keys = append(keys, cols[k])
			}
			want := aggRef(rows, tc.keys, 4)
			exectest.Check(t, aggPlan(in, keys, fs...), want, false)
		})
	}
}

func TestAggregateDistinct(t *testing.T) {
	s := exectest.Schema("g", types.String, "x", types.Int64, "d", tDec64, "f", types.Float64)
	rows := [][]any{
		{"a", 1, 100, 1.5}, {"a", 1, 100, 1.5}, {"a", 2, 250, 2.5}, {"a", nil, nil, nil},
		{"b", 5, -1, -1.0}, {"b", 5, -1, -1.0}, {"b", 5, -1, -1.0},
		{nil, 3, 1, 0.5}, {nil, 4, 2, 0.5},
		{"c", nil, nil, nil},
	}
	// Repeat the rows so duplicates spread over slices and splits.
	var all [][]any
	for i := 0; i < 50; i++ {
		all = append(all, rows...)
	}
	in := exectest.Scan(exectest.Table("t", s, all))
	x, d, f := exectest.Col(1, types.Int64), exectest.Col(2, tDec64), exectest.Col(3, types.Float64)
	p := aggPlan(in, []expr.Expr{exectest.Col(0, types.String)},
		aggDistinct("count", x, types.Int64),
		aggDistinct("sum", x, types.Int64),
		aggDistinct("avg", x, tAvg38_4),
		aggDistinct("sum", d, tSum38_2),
		aggDistinct("avg", f, types.Float64),
		agg("count", x, types.Int64),
	)
	exectest.Check(t, p, [][]any{
		{"a", 2, 3, d128(15000), d128(350), 2.0, 150},
		{"b", 1, 5, d128(50000), d128(-1), -1.0, 150},
		{nil, 2, 7, d128(35000), d128(3), 0.5, 100},
		{"c", 0, nil, nil, nil, nil, 0},
	}, false)
}

func TestAggregateNullKeysAndFloatKeys(t *testing.T) {
	s := exectest.Schema("f", types.Float64, "b", types.Boolean, "x", types.Int64)
	negZero := math.Copysign(0, -1)
	rows := [][]any{
		{0.0, true, 1}, {negZero, true, 2}, {nil, nil, 3}, {nil, false, 4}, {1.5, nil, 5}, {nil, nil, 6},
	}
	in := exectest.Scan(exectest.Table("t", s, rows))
	x := exectest.Col(2, types.Int64)
	exectest.Check(t, aggPlan(in, []expr.Expr{exectest.Col(0, types.Float64)}, agg("sum", x, types.Int64)),
		[][]any{{0.0, 3}, {nil, 13}, {1.5, 5}}, false)
	exectest.Check(t, aggPlan(in, []expr.Expr{exectest.Col(1, types.Boolean)}, agg("sum", x, types.Int64)),
		[][]any{{true, 3}, {false, 4}, {nil, 14}}, false)
	exectest.Check(t, aggPlan(in, []expr.Expr{exectest.Col(1, types.Boolean), exectest.Col(0, types.Float64)}, agg("count_star", nil, types.Int64)),
		[][]any{{true, 0.0, 2}, {nil, nil, 2}, {false, nil, 1}, {nil, 1.5, 1}}, false)
}

func TestAggregateOverflow(t *testing.T) {
	s := exectest.Schema("x", types.Int64)
	in := exectest.Scan(exectest.Table("t", s, [][]any{{int64(math.MaxInt64)}, {1}}))
	p := aggPlan(in, nil, agg("sum", exectest.Col(0, types.Int64), types.Int64))
	for _, sl := range []int{1, 4} {
		_, err := exectest.RunErr(p, sl, 1024, 0)
		if err == nil || !strings.Contains(err.Error(), "BIGINT overflow") || !strings.Contains(err.Error(), "sum(") {
			t.Fatalf("slices=%d: want BIGINT overflow error naming sum, got %v", sl, err)
		}
	}
	// The same sum in DECIMAL(38,0) is fine.
	p = aggPlan(in, nil, agg("sum", exectest.Col(0, types.Int64), tSum38_0))
	want := decimal128.FromBigInt(new(big.Int).Add(big.NewInt(math.MaxInt64), big.NewInt(1)))
	exectest.Check(t, p, [][]any{{want}}, false)
}

func aggBigInput(n, groups int) *plan.Scan {
	s := exectest.Schema("k", types.Int64, "v", types.Int64, "s", types.String)
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int64(i % groups), int64(i), fmt.Sprintf("value-%d", i)}
	}
	return exectest.Scan(exectest.Table("t", s, rows))
}

func TestAggregateMemoryLimit(t *testing.T) {
	in := aggBigInput(200000, 100000)
	p := aggPlan(in, []expr.Expr{exectest.Col(2, types.String)},
		agg("count_star", nil, types.Int64), agg("min", exectest.Col(2, types.String), types.String))
	for _, sl := range []int{1, 4} {
		_, err := exectest.RunErr(p, sl, 1024, 1<<20)
		var me *exec.MemoryError
		if !errors.As(err, &me) {
			t.Fatalf("slices=%d: want *exec.MemoryError, got %v", sl, err)
		}
		if me.Op != "HashAggregate" || !strings.Contains(err.Error(), "HashAggregate") {
			t.Fatalf("slices=%d: memory error names %q: %v", sl, me.Op, err)
		}
	}
	// A generous limit succeeds.
	rows, err := exectest.RunErr(aggPlan(aggBigInput(20000, 100), []expr.Expr{exectest.Col(0, types.Int64)},
		agg("count_star", nil, types.Int64)), 4, 1024, 64<<20)
	if err != nil || len(rows) != 100 {
		t.Fatalf("generous limit: %d rows, %v", len(rows), err)
	}
}

func TestAggregateCancel(t *testing.T) {
	in := aggBigInput(300000, 100000)
	p := aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)}, agg("sum", exectest.Col(1, types.Int64), types.Int64))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	qc := exec.NewQueryCtx(4, 64, exec.NewBudget(0), mem)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := exec.Run(ctx, qc, p)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(5*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		for {
			rec, err := s.Next(ctx)
			if err != nil || rec == nil {
				s.Close()
				done <- err
				return
			}
			rec.Release()
		}
	}()
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Fatalf("want cancellation, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("aggregate did not stop after cancellation")
	}
	if qc.Budget.Used() != 0 {
		t.Fatalf("budget still charged after close: %d bytes", qc.Budget.Used())
	}
}

// TestAggregateEarlyClose checks the barrier rule: a slice closed before
// its input ends must not deadlock the others.
func TestAggregateEarlyClose(t *testing.T) {
	in := aggBigInput(5000, 50)
	a := aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)}, agg("count_star", nil, types.Int64))
	p := &plan.Limit{Base: plan.Base{Out: a.Schema(), Rows: -1}, Input: a, Limit: 3}
	for _, sl := range []int{1, 4} {
		rows := exectest.Run(t, p, sl, 7)
		if len(rows) != 3 {
			t.Fatalf("slices=%d: %d rows", sl, len(rows))
		}
	}
}

func TestAggregateOutputBatchSize(t *testing.T) {
	in := aggBigInput(3000, 3000)
	p := aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)}, agg("count_star", nil, types.Int64))
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	qc := exec.NewQueryCtx(2, 100, exec.NewBudget(0), mem)
	ctx := context.Background()
	s, err := exec.Run(ctx, qc, p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var sizes []int
	total := 0
	for {
		rec, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			break
		}
		sizes = append(sizes, int(rec.NumRows()))
		total += int(rec.NumRows())
		rec.Release()
	}
	sort.Ints(sizes)
	if total != 3000 || sizes[len(sizes)-1] > 100 {
		t.Fatalf("total %d, batch sizes %v", total, sizes)
	}
}

// TestAggregateSelectionAndExprs runs over a filtered scan (selection
// vectors) with a mix of plain-column and computed keys and arguments.
func TestAggregateSelectionAndExprs(t *testing.T) {
	s := exectest.Schema("k", types.String, "x", types.Int64)
	var rows [][]any
	for i := 0; i < 3000; i++ {
		var x any = int64(i % 17)
		if i%11 == 0 {
			x = nil
		}
		rows = append(rows, []any{fmt.Sprintf("k%d", i%5), x})
	}
	scan := exectest.Scan(exectest.Table("t", s, rows))
	x := exectest.Col(1, types.Int64)
	scan.Filter = &expr.Call{Fn: ">", Args: []expr.Expr{x, exectest.Lit(int64(2), types.Int64)}, T: types.Boolean}
	mod := &expr.Call{Fn: "%", Args: []expr.Expr{x, exectest.Lit(int64(3), types.Int64)}, T: types.Int64}
	sq := &expr.Call{Fn: "*", Args: []expr.Expr{x, x}, T: types.Int64}
	p := aggPlan(scan, []expr.Expr{exectest.Col(0, types.String), mod},
		agg("sum", sq, types.Int64), agg("count", x, types.Int64), agg("max", exectest.Col(0, types.String), types.String))
	type st struct{ sum, n int64 }
	ref := map[[2]any]*st{}
	for _, r := range rows {
		if r[1] == nil || r[1].(int64) <= 2 {
			continue
		}
		v := r[1].(int64)
		key := [2]any{r[0], v % 3}
		if ref[key] == nil {
			ref[key] = &st{}
		}
		ref[key].sum += v * v
		ref[key].n++
	}
	var want [][]any
	for k, v := range ref {
		want = append(want, []any{k[0], k[1], v.sum, v.n, k[0]})
	}
	exectest.Check(t, p, want, false)
}

// TestAggregateBudgetReleased checks that every Go-heap charge is
// returned once the query is closed (aggregate with DISTINCT, set op).
func TestAggregateBudgetReleased(t *testing.T) {
	in := aggBigInput(20000, 3000)
	tbl := exectest.Table("t2", exectest.Schema("k", types.Int64), nil)
	plans := []plan.Node{
		aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)},
			agg("sum", exectest.Col(1, types.Int64), types.Int64), aggDistinct("count", exectest.Col(2, types.String), types.Int64)),
		aggPlan(in, []expr.Expr{exectest.Col(2, types.String), exectest.Col(0, types.Int64)}, agg("count_star", nil, types.Int64)),
		setop(plan.Except, true, aggPlan(in, []expr.Expr{exectest.Col(0, types.Int64)}), exectest.Scan(tbl)),
	}
	for i, p := range plans {
		for _, sl := range []int{1, 4} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			qc := exec.NewQueryCtx(sl, 512, exec.NewBudget(0), mem)
			ctx := context.Background()
			s, err := exec.Run(ctx, qc, p)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for {
				rec, err := s.Next(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rec == nil {
					break
				}
				n += int(rec.NumRows())
				rec.Release()
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if want := []int{3000, 20000, 3000}[i]; n != want {
				t.Fatalf("plan %d slices=%d: %d rows, want %d", i, sl, n, want)
			}
			if u := qc.Budget.Used(); u != 0 {
				t.Fatalf("plan %d slices=%d: %d bytes still charged", i, sl, u)
			}
			if qc.Budget.Peak() == 0 {
				t.Fatalf("plan %d slices=%d: nothing was charged", i, sl)
			}
			mem.AssertSize(t, 0)
		}
	}
}
