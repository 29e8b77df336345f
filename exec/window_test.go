package exec_test

import (
	"errors"

	"fmt"
	"github.com/tarnsql/tarn/exec"
	"math/big"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

var winSchema = exectest.Schema("g", types.String, "h", types.Int64, "o", types.Int64, "x", types.Int64,
	"d", types.Decimal(10, 2), "f", types.Float64, "id", types.Int64)

func winRows(rng *rand.Rand, n int) [][]any {
	rows := make([][]any, n)
	maybe := func(v any) any {
		if rng.Intn(7) == 0 {
			return nil
		}
		return v
	}
	for i := range rows {
		rows[i] = []any{
			maybe(fmt.Sprintf("g%d", rng.Intn(4))), int64(rng.Intn(3)), maybe(int64(rng.Intn(12))),
			maybe(int64(rng.Intn(100) - 30)), maybe(int64(rng.Intn(10000) - 3000)),
			maybe(float64(rng.Intn(64)) / 8), int64(i),
		}
	}
	return rows
}

type winCase struct {
	name  string
	fn    string
	args  []expr.Expr
	part  []int
	order []sortRefKey
	frame *plan.Frame
	t     arrow.DataType
}

func winCol(i int) *expr.ColumnRef { return exectest.Col(i, winSchema.Field(i).Type) }

// winRef computes one window function naively: per row, its partition,
// the partition sorted, the frame by definition, then the function.
func winRef(rows [][]any, c winCase) []any {
	out := make([]any, len(rows))
	groups := map[string][]int{}
	var order []string
	for i, r := range rows {
		k := ""
		for _, p := range c.part {
			k += fmt.Sprintf("%v|", r[p])
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	frame := c.frame
	if frame == nil {
		if len(c.order) > 0 {
			frame = &plan.Frame{Start: plan.FrameBound{Unbounded: true}}
		} else {
			frame = &plan.Frame{Rows: true, Start: plan.FrameBound{Unbounded: true}, End: plan.FrameBound{Unbounded: true}}
		}
	}
	for _, k := range order {
		idx := groups[k]
		prow := make([][]any, len(idx))
		for i, r := range idx {
			prow[i] = append(append([]any(nil), rows[r]...), int64(r))
		}
		prow = sortRef(prow, c.order)
		n := len(prow)
		ordCmp := func(a, b int) int {
			for _, k := range c.order {
				x, y := prow[a][k.col], prow[b][k.col]
				if x == nil || y == nil {
					if x == nil && y == nil {
						continue
					}
					r := 1
					if y == nil {
						r = -1
					}
					if k.nullsFirst {
						r = -r
					}
					return r
				}
				r := sortCmpValues(x, y)
				if k.desc {
					r = -r
				}
				if r != 0 {
					return r
				}
			}
			return 0
		}
		inFrame := func(i, q int) bool {
			ok := func(b plan.FrameBound, start bool) bool {
				if b.Unbounded {
					return true
				}
				if frame.Rows {
					if start {
						return q >= i+int(b.Offset)
					}
					return q <= i+int(b.Offset)
				}
				if b.Offset == 0 {
					if start {
						return ordCmp(q, i) >= 0
					}
					return ordCmp(q, i) <= 0
				}
				k := c.order[0]
				vi, vq := prow[i][k.col], prow[q][k.col]
				if vi == nil || vq == nil {
					return vi == nil && vq == nil
				}
				t := vi.(int64) + b.Offset
				if k.desc {
					t = vi.(int64) - b.Offset
				}
				x := vq.(int64)
				switch {
				case start && !k.desc:
					return x >= t
				case start && k.desc:
					return x <= t
				case !k.desc:
					return x <= t
				}
				return x >= t
			}
			return ok(frame.Start, true) && ok(frame.End, false)
		}
		for i := 0; i < n; i++ {
			var fr []int
			for q := 0; q < n; q++ {
				if inFrame(i, q) {
					fr = append(fr, q)
				}
			}
			rank := i
			for rank > 0 && ordCmp(rank-1, i) == 0 {
				rank--
			}
			last := i
			for last+1 < n && ordCmp(last+1, i) == 0 {
				last++
			}
			var v any
			switch c.fn {
			case "row_number":
				v = int64(i + 1)
			case "rank":
				v = int64(rank + 1)
			case "dense_rank":
				d := int64(1)
				for q := 1; q <= i; q++ {
					if ordCmp(q-1, q) != 0 {
						d++
					}
				}
				v = d
			case "percent_rank":
				v = 0.0
				if n > 1 {
					v = float64(rank) / float64(n-1)
				}
			case "cume_dist":
				v = float64(last+1) / float64(n)
			case "ntile":
				k := int(c.args[0].(*expr.Literal).Value.(int64))
				// Row i goes to bucket b where the first n%k buckets have one extra row.
				q, r := n/k, n%k
				if i < r*(q+1) {
					v = int64(i/(q+1) + 1)
				} else {
					v = int64(r + (i-r*(q+1))/q + 1)
				}
			case "lag", "lead":
				off := 1
				if len(c.args) > 1 {
					off = int(c.args[1].(*expr.Literal).Value.(int64))
				}
				if c.fn == "lag" {
					off = -off
				}
				x := c.args[0].(*expr.ColumnRef).Index
				if t := i + off; t >= 0 && t < n {
					v = prow[t][x]
				} else if len(c.args) > 2 {
					v = c.args[2].(*expr.Literal).Value
				}
			case "first_value", "last_value":
				x := c.args[0].(*expr.ColumnRef).Index
				if len(fr) > 0 {
					if c.fn == "first_value" {
						v = prow[fr[0]][x]
					} else {
						v = prow[fr[len(fr)-1]][x]
					}
				}
			case "count_star":
				v = int64(len(fr))
			default:
				x := c.args[0].(*expr.ColumnRef).Index
				var vals []any
				for _, q := range fr {
					if prow[q][x] != nil {
						vals = append(vals, prow[q][x])
					}
				}
				v = winAgg(c, vals)
			}
			out[prow[i][len(prow[i])-1].(int64)] = v
		}
	}
	return out
}

func winAgg(c winCase, vals []any) any {
	if c.fn == "count" {
		return int64(len(vals))
	}
	if len(vals) == 0 {
		return nil
	}
	switch c.fn {
	case "min", "max":
		best := vals[0]
		for _, v := range vals[1:] {
			r := sortCmpValues(v, best)
			if (c.fn == "min" && r < 0) || (c.fn == "max" && r > 0) {
				best = v
			}
		}
		return best
	}
	if f, ok := vals[0].(float64); ok {
		s := f
		for _, v := range vals[1:] {
			s += v.(float64)
		}
		if c.fn == "avg" {
			return s / float64(len(vals))
		}
		return s
	}
	sum := new(big.Int)
	for _, v := range vals {
		sum.Add(sum, big.NewInt(v.(int64)))
	}
	xt := c.args[0].Type()
	_, xs, _ := types.DecimalParams(xt)
	_, ts, isDec := types.DecimalParams(c.t)
	if c.fn == "sum" {
		if !isDec {
			return sum.Int64()
		}
		return decimal128.FromBigInt(sum).IncreaseScaleBy(ts - xs)
	}
	// avg: round half away from zero at T's scale.
	num := new(big.Int).Mul(sum, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(ts-xs)), nil))
	cnt := big.NewInt(int64(len(vals)))
	q, r := new(big.Int).QuoRem(num, cnt, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(cnt) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return decimal128.FromBigInt(q)
}

func TestWindow(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	rows := winRows(rng, 300)
	in := exectest.Scan(exectest.Table("t", winSchema, rows))
	i64, f64 := types.Int64, types.Float64
	byO := []sortRefKey{{2, false, false}, {6, false, false}}
	byOOnly := []sortRefKey{{2, false, false}}
	byODesc := []sortRefKey{{2, true, true}}
	lit := func(v int64) expr.Expr { return exectest.Lit(v, i64) }
	rowsFr := func(s, e int64, su, eu bool) *plan.Frame {
		return &plan.Frame{Rows: true, Start: plan.FrameBound{Unbounded: su, Offset: s}, End: plan.FrameBound{Unbounded: eu, Offset: e}}
	}
	rangeFr := func(s, e int64, su, eu bool) *plan.Frame {
		return &plan.Frame{Start: plan.FrameBound{Unbounded: su, Offset: s}, End: plan.FrameBound{Unbounded: eu, Offset: e}}
	}
	g := []int{0}
	cases := []winCase{
		{"row_number", "row_number", nil, g, byO, nil, i64},
		{"rank", "rank", nil, g, byOOnly, nil, i64},
		{"dense_rank", "dense_rank", nil, g, byODesc, nil, i64},
		{"percent_rank", "percent_rank", nil, g, byOOnly, nil, f64},
		{"cume_dist", "cume_dist", nil, []int{0, 1}, byODesc, nil, f64},
		{"ntile", "ntile", []expr.Expr{lit(3)}, g, byO, nil, i64},
		{"lag", "lag", []expr.Expr{winCol(3)}, g, byO, nil, i64},
		{"lead-default", "lead", []expr.Expr{winCol(3), lit(2), lit(-1)}, g, byO, nil, i64},
		{"first_value-rows", "first_value", []expr.Expr{winCol(3)}, g, byO, rowsFr(-2, 1, false, false), i64},
		{"last_value-default", "last_value", []expr.Expr{winCol(3)}, g, byO, nil, i64},
		{"sum-running", "sum", []expr.Expr{winCol(3)}, g, byOOnly, nil, i64},
		{"sum-whole", "sum", []expr.Expr{winCol(3)}, g, nil, nil, i64},
		{"sum-nopart", "sum", []expr.Expr{winCol(3)}, nil, byO, rowsFr(-3, 0, false, false), i64},
		{"sum-dec", "sum", []expr.Expr{winCol(4)}, g, byO, rowsFr(-1, 1, false, false), types.Decimal(38, 2)},
		{"sum-float", "sum", []expr.Expr{winCol(5)}, g, byO, nil, f64},
		{"avg-int", "avg", []expr.Expr{winCol(3)}, g, byOOnly, rangeFr(-3, 0, false, false), types.Decimal(38, 4)},
		{"avg-dec", "avg", []expr.Expr{winCol(4)}, []int{1}, byO, rowsFr(0, 0, false, true), types.Decimal(38, 6)},
		{"avg-float", "avg", []expr.Expr{winCol(5)}, g, nil, nil, f64},
		{"min-rows", "min", []expr.Expr{winCol(3)}, g, byO, rowsFr(-2, 2, false, false), i64},
		{"max-range-desc", "max", []expr.Expr{winCol(5)}, g, byODesc, rangeFr(-2, 1, false, false), f64},
		{"max-string", "max", []expr.Expr{winCol(0)}, []int{1}, byO, nil, types.String},
		{"count", "count", []expr.Expr{winCol(3)}, g, byOOnly, rangeFr(0, 2, false, false), i64},
		{"count_star", "count_star", nil, g, byOOnly, rangeFr(0, 0, false, true), i64},
		{"count_star-rows-following", "count_star", nil, g, byO, rowsFr(1, 3, false, false), i64},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := winFuncOf(c)
			node := &plan.Window{Base: plan.Base{Out: winOutSchema(c.t), Rows: -1}, Input: in, Funcs: []plan.WindowFunc{f}}
			ref := winRef(rows, c)
			want := make([][]any, len(rows))
			for i, r := range rows {
				want[i] = append(append([]any(nil), r...), ref[i])
			}
			exectest.Check(t, node, want, false)
		})
	}
	t.Run("several", func(t *testing.T) {
		// Functions with different partitioning: one without PARTITION BY
		// sends everything to one slice.
		cs := []winCase{cases[0], cases[12], cases[16], cases[20]}
		var fs []plan.WindowFunc
		fields := append([]arrow.Field(nil), winSchema.Fields()...)
		refs := make([][]any, len(cs))
		for i, c := range cs {
			fs = append(fs, winFuncOf(c))
			fields = append(fields, arrow.Field{Name: c.name, Type: c.t, Nullable: true})
			refs[i] = winRef(rows, c)
		}
		want := make([][]any, len(rows))
		for i, r := range rows {
			want[i] = append([]any(nil), r...)
			for _, ref := range refs {
				want[i] = append(want[i], ref[i])
			}
		}
		node := &plan.Window{Base: plan.Base{Out: arrow.NewSchema(fields, nil), Rows: -1}, Input: in, Funcs: fs}
		exectest.Check(t, node, want, false)
	})
}

func winFuncOf(c winCase) plan.WindowFunc {
	f := plan.WindowFunc{Fn: c.fn, Args: c.args, Frame: c.frame, T: c.t}
	for _, p := range c.part {
		f.PartitionBy = append(f.PartitionBy, winCol(p))
	}
	for _, k := range c.order {
		f.OrderBy = append(f.OrderBy, plan.SortKey{Expr: winCol(k.col), Desc: k.desc, NullsFirst: k.nullsFirst})
	}
	return f
}

func winOutSchema(t arrow.DataType) *arrow.Schema {
	fs := append(append([]arrow.Field(nil), winSchema.Fields()...), arrow.Field{Name: "w", Type: t, Nullable: true})
	return arrow.NewSchema(fs, nil)
}

func TestWindowMemoryLimit(t *testing.T) {
	var rows [][]any
	for i := 0; i < 20000; i++ {
		rows = append(rows, []any{int64(i % 10)})
	}
	sch := exectest.Schema("k", types.Int64)
	in := exectest.Scan(exectest.Table("t", sch, rows))
	wf := plan.WindowFunc{Fn: "row_number", PartitionBy: []expr.Expr{exectest.Col(0, types.Int64)}, T: types.Int64}
	node := &plan.Window{Base: plan.Base{Out: winOutSchemaOf(sch, types.Int64), Rows: -1}, Input: in, Funcs: []plan.WindowFunc{wf}}
	for _, sl := range []int{1, 4} {
		_, err := exectest.RunErr(node, sl, 1024, 250<<10)
		var me *exec.MemoryError
		if !errors.As(err, &me) || me.Op != "Window" {
			t.Fatalf("slices=%d: want Window memory error, got %v", sl, err)
		}
		got, err := exectest.RunErr(node, sl, 1024, 4<<20)
		if err != nil || len(got) != len(rows) {
			t.Fatalf("slices=%d: with a higher limit: %d rows, %v", sl, len(got), err)
		}
	}
}
