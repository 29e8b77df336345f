package eval

import (
	"context"
	"fmt"
	"math/big"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/internal/likepat"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// A row-at-a-time reference evaluator for a subset of the language,
// written independently of the kernels (big.Int arithmetic, regexp LIKE),
// used for randomized differential testing.

var errOverflow = fmt.Errorf("overflow")

func refEval(e expr.Expr, row []any) (any, error) {
	switch e := e.(type) {
	case *expr.ColumnRef:
		return row[e.Index], nil
	case *expr.Literal:
		return e.Value, nil
	case *expr.InList:
		v, err := refEval(e.E, row)
		if err != nil {
			return nil, err
		}
		var res any = false
		for _, it := range e.List {
			x, err := refEval(it, row)
			if err != nil {
				return nil, err
			}
			if v == nil || x == nil {
				if res == false {
					res = nil
				}
				continue
			}
			if refCmp(v, x) == 0 {
				res = true
			}
		}
		if v == nil {
			res = nil
		}
		if e.Negated && res != nil {
			res = !res.(bool)
		}
		return res, nil
	case *expr.Case:
		for _, w := range e.Whens {
			c, err := refEval(w.Cond, row)
			if err != nil {
				return nil, err
			}
			if c == true {
				return refEval(w.Then, row)
			}
		}
		if e.Else == nil {
			return nil, nil
		}
		return refEval(e.Else, row)
	case *expr.Call:
		switch e.Fn {
		case "and", "or":
			sawNull := false
			for _, a := range e.Args {
				v, err := refEval(a, row)
				if err != nil {
					return nil, err
				}
				if v == nil {
					sawNull = true
				} else if v.(bool) == (e.Fn == "or") {
					return e.Fn == "or", nil
				}
			}
			if sawNull {
				return nil, nil
			}
			return e.Fn == "and", nil
		case "coalesce":
			for _, a := range e.Args {
				v, err := refEval(a, row)
				if err != nil || v != nil {
					return v, err
				}
			}
			return nil, nil
		}
		args := make([]any, len(e.Args))
		for i, a := range e.Args {
			v, err := refEval(a, row)
			if err != nil {
				return nil, err
			}
			args[i] = v
		}
		if e.Fn == "is_null" {
			return args[0] == nil, nil
		}
		for _, a := range args {
			if a == nil {
				return nil, nil
			}
		}
		switch e.Fn {
		case "not":
			return !args[0].(bool), nil
		case "=", "<>", "<", "<=", ">", ">=":
			c := refCmp(args[0], args[1])
			return map[string]bool{"=": c == 0, "<>": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[e.Fn], nil
		case "+", "-", "*":
			switch x := args[0].(type) {
			case float64:
				y := args[1].(float64)
				return map[string]float64{"+": x + y, "-": x - y, "*": x * y}[e.Fn], nil
			case int64:
				a, b := big.NewInt(x), big.NewInt(args[1].(int64))
				switch e.Fn {
				case "+":
					a.Add(a, b)
				case "-":
					a.Sub(a, b)
				case "*":
					a.Mul(a, b)
				}
				if !a.IsInt64() {
					return nil, errOverflow
				}
				return a.Int64(), nil
			}
		case "like":
			re := likepat.Regexp(args[1].(string))
			return re.MatchString(args[0].(string)), nil
		}
	}
	panic(fmt.Sprintf("refEval: unsupported %s", e))
}

func refCmp(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case int32:
		return refCmp(int64(x), int64(b.(int32)))
	case float64:
		y := b.(float64)
		if x < y {
			return -1
		} else if x > y {
			return 1
		}
		return 0
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		return refCmp(int64(b2i(x)), int64(b2i(b.(bool))))
	}
	panic(fmt.Sprintf("refCmp %T", a))
}

// Random expression generation over the columns:
// 0 a BIGINT, 1 b BIGINT, 2 x DOUBLE, 3 s VARCHAR, 4 d DATE, 5 f BOOLEAN.
var diffTypes = []arrow.DataType{tI64, tI64, tF64, tStr, tDate, tBool}

type gen struct{ r *rand.Rand }

func (g *gen) intExpr(depth int) expr.Expr {
	if depth == 0 || g.r.Intn(3) == 0 {
		switch g.r.Intn(4) {
		case 0:
			return lit(int64(g.r.Intn(21)-10), tI64)
		case 1:
			return col(1, tI64)
		default:
			return col(0, tI64)
		}
	}
	switch g.r.Intn(5) {
	case 0:
		return &expr.Case{Whens: []expr.When{{Cond: g.boolExpr(depth - 1), Then: g.intExpr(depth - 1)}}, Else: g.intExpr(depth - 1), T: tI64}
	case 1:
		return call("coalesce", tI64, g.intExpr(depth-1), g.intExpr(depth-1))
	}
	op := []string{"+", "-", "*"}[g.r.Intn(3)]
	return call(op, tI64, g.intExpr(depth-1), g.intExpr(depth-1))
}

func (g *gen) boolExpr(depth int) expr.Expr {
	if depth == 0 || g.r.Intn(4) == 0 {
		switch g.r.Intn(6) {
		case 0:
			return col(5, tBool)
		case 1:
			return call("<=", tBool, col(4, tDate), lit(int32(g.r.Intn(40)), tDate))
		case 2:
			return call(">", tBool, col(2, tF64), lit(float64(g.r.Intn(10))-5, tF64))
		case 3:
			pats := []string{"%a%", "a%", "%b", "a_", "%", "_b%", "ab", `a\%`}
			return call("like", tBool, col(3, tStr), lit(pats[g.r.Intn(len(pats))], tStr))
		case 4:
			return &expr.InList{E: col(3, tStr), List: []expr.Expr{lit("ab", tStr), lit("b", tStr), null(tStr)}[:1+g.r.Intn(3)], Negated: g.r.Intn(2) == 0}
		default:
			return call("is_null", tBool, g.intExpr(0))
		}
	}
	switch g.r.Intn(5) {
	case 0, 1:
		fn := []string{"and", "or"}[g.r.Intn(2)]
		args := []expr.Expr{g.boolExpr(depth - 1), g.boolExpr(depth - 1)}
		if g.r.Intn(2) == 0 {
			args = append(args, g.boolExpr(depth-1))
		}
		return call(fn, tBool, args...)
	case 2:
		return call("not", tBool, g.boolExpr(depth-1))
	case 3:
		return &expr.InList{E: g.intExpr(depth - 1), List: []expr.Expr{lit(int64(1), tI64), lit(int64(-2), tI64), col(1, tI64)}, Negated: g.r.Intn(2) == 0}
	}
	op := []string{"=", "<>", "<", "<=", ">", ">="}[g.r.Intn(6)]
	return call(op, tBool, g.intExpr(depth-1), g.intExpr(depth-1))
}

func (g *gen) value(t arrow.DataType) any {
	if g.r.Intn(5) == 0 {
		return nil
	}
	switch t.ID() {
	case arrow.INT64:
		return int64(g.r.Intn(21) - 10)
	case arrow.FLOAT64:
		return float64(g.r.Intn(100))/10 - 5
	case arrow.STRING:
		return []string{"", "a", "ab", "b", "ba", "a%", "abc", "bab"}[g.r.Intn(8)]
	case arrow.DATE32:
		return int32(g.r.Intn(40))
	case arrow.BOOL:
		return g.r.Intn(2) == 0
	}
	panic(t)
}

func TestDifferential(t *testing.T) {
	g := &gen{r: rand.New(rand.NewSource(diffSeed))}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	env := &Env{Mem: mem}
	ctx := context.Background()
	for iter := 0; iter < diffIters; iter++ {
		n := 1 + g.r.Intn(70)
		rows := make([][]any, n)
		var arrs []arrow.Array
		for c, tp := range diffTypes {
			vals := make([]any, n)
			for i := range vals {
				vals[i] = g.value(tp)
				if c == 0 {
					rows[i] = make([]any, len(diffTypes))
				}
				rows[i][c] = vals[i]
			}
			a, err := vec.FromValues(mem, tp, vals)
			if err != nil {
				t.Fatal(err)
			}
			arrs = append(arrs, a)
		}
		b := vec.New(arrs, n)
		if g.r.Intn(2) == 0 {
			for i := 0; i < n; i++ {
				if g.r.Intn(3) != 0 {
					b.Sel = append(b.Sel, int32(i))
				}
			}
			if b.Sel == nil {
				b.Sel = []int32{}
			}
		}
		var e expr.Expr
		if g.r.Intn(2) == 0 {
			e = g.boolExpr(3)
		} else {
			e = g.intExpr(3)
		}
		// reference
		live := make([]int, 0, n)
		if b.Sel != nil {
			for _, i := range b.Sel {
				live = append(live, int(i))
			}
		} else {
			for i := 0; i < n; i++ {
				live = append(live, i)
			}
		}
		want := make([]string, len(live))
		var refErr error
		for j, i := range live {
			v, err := refEval(e, rows[i])
			if err != nil {
				refErr = err
				break
			}
			want[j] = fmtVal(v, e.Type())
		}
		ev, err := Compile(e, env)
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		a, err := ev.Eval(ctx, b)
		if refErr != nil {
			// the kernels may skip work the reference did (or vice versa
			// for lazily evaluated branches), but an overflow the
			// reference hit on a taken path must be reported
			if err == nil {
				a.Release()
				t.Fatalf("%s: expected an overflow error", e)
			}
			b.Release()
			continue
		}
		if err != nil {
			t.Fatalf("%s: unexpected error %v", e, err)
		}
		got := strings.Join(fmtArray(a), "|")
		if w := strings.Join(want, "|"); got != w {
			t.Fatalf("iter %d %s (sel=%v):\n got  %s\n want %s", iter, e, b.Sel, got, w)
		}
		if e.Type().ID() == arrow.BOOL {
			p, err := CompilePredicate(e, env)
			if err != nil {
				t.Fatal(err)
			}
			sel, err := p.Select(ctx, b, nil)
			if err != nil {
				t.Fatalf("%s: select: %v", e, err)
			}
			var wantSel []int32
			for j, i := range live {
				if want[j] == "true" {
					wantSel = append(wantSel, int32(i))
				}
			}
			if fmt.Sprint(sel) != fmt.Sprint(wantSel) && len(sel)+len(wantSel) > 0 {
				t.Fatalf("iter %d %s: select got %v want %v (sel=%v)", iter, e, sel, wantSel, b.Sel)
			}
		}
		a.Release()
		b.Release()
	}
}

var diffIters = 400
var diffSeed int64 = 42
