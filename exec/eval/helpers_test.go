package eval

import (
	"context"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

var (
	tBool = types.Boolean
	tI8   = types.Int8
	tI16  = types.Int16
	tI32  = types.Int32
	tI64  = types.Int64
	tF32  = types.Float32
	tF64  = types.Float64
	tStr  = types.String
	tDate = types.Date
	tTS   = types.Timestamp
	tNull = types.Null
)

func dec(p, s int32) arrow.DataType { return types.Decimal(p, s) }

func col(i int, t arrow.DataType) *expr.ColumnRef {
	return &expr.ColumnRef{Index: i, Name: fmt.Sprintf("c%d", i), T: t}
}

func lit(v any, t arrow.DataType) *expr.Literal { return &expr.Literal{Value: v, T: t} }

func null(t arrow.DataType) *expr.Literal { return &expr.Literal{T: t} }

func call(fn string, t arrow.DataType, args ...expr.Expr) *expr.Call {
	return &expr.Call{Fn: fn, Args: args, T: t}
}

func cast(e expr.Expr, t arrow.DataType) *expr.Cast { return &expr.Cast{E: e, T: t} }

// n128 parses an unscaled decimal128 value.
func n128(s string) decimal128.Num {
	z, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return decimal128.FromBigInt(z)
}

// date parses YYYY-MM-DD to days.
func date(s string) int32 {
	d, rest, ok := parseDate(s)
	if !ok || rest != "" {
		panic(s)
	}
	return int32(d)
}

func ts(s string) int64 {
	v, ok := parseTimestamp(s)
	if !ok {
		panic(s)
	}
	return v
}

type colData struct {
	t    arrow.DataType
	vals []any
}

func cols(pairs ...any) []colData {
	var out []colData
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, colData{t: pairs[i].(arrow.DataType), vals: pairs[i+1].([]any)})
	}
	return out
}

// buildBatch makes a batch of the columns. With sel, every live row is
// preceded by a decoy row (a different row's values) and Sel lists the
// live rows, so kernels that ignore the selection give wrong answers.
func buildBatch(t testing.TB, mem memory.Allocator, cd []colData, withSel bool) *vec.Batch {
	t.Helper()
	n := 1
	if len(cd) > 0 {
		n = len(cd[0].vals)
	}
	var arrs []arrow.Array
	for _, c := range cd {
		vals := c.vals
		if withSel {
			vals = make([]any, 0, 2*n+1)
			for i := range c.vals {
				vals = append(vals, c.vals[(i+1)%n], c.vals[i])
			}
			vals = append(vals, c.vals[0])
		}
		a, err := vec.FromValues(mem, c.t, vals)
		if err != nil {
			t.Fatal(err)
		}
		arrs = append(arrs, a)
	}
	if !withSel {
		return vec.New(arrs, n)
	}
	b := vec.New(arrs, 2*n+1)
	b.Sel = make([]int32, n)
	for i := range b.Sel {
		b.Sel[i] = int32(2*i + 1)
	}
	return b
}

func fmtVal(v any, t arrow.DataType) string {
	if v == nil {
		return "NULL"
	}
	return expr.FormatPlain(v, t)
}

func fmtArray(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		out[i] = fmtVal(vec.Value(a, i), a.DataType())
	}
	return out
}

func wantStrings(want []any) []string {
	out := make([]string, len(want))
	for i, w := range want {
		if w == nil {
			out[i] = "NULL"
		} else {
			out[i] = fmt.Sprint(w)
		}
	}
	return out
}

type tcase struct {
	name string
	e    expr.Expr
	cols []colData
	want []any // formatted results (strings / fmt.Sprint-able), nil = NULL
	err  string
}

// runCases evaluates every case without and with a selection vector,
// checks the results (and, for booleans, that Select agrees), and checks
// for leaks.
func runCases(t *testing.T, cases []tcase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, withSel := range []bool{false, true} {
				runCase(t, tc, withSel)
			}
		})
	}
}

func runCase(t *testing.T, tc tcase, withSel bool) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	env := &Env{Mem: mem}
	b := buildBatch(t, mem, tc.cols, withSel)
	defer b.Release()
	ev, err := Compile(tc.e, env)
	if err == nil {
		var a arrow.Array
		a, err = ev.Eval(context.Background(), b)
		if err == nil {
			defer a.Release()
			if tc.err != "" {
				t.Fatalf("sel=%v: %s: expected error %q, got %v", withSel, tc.e, tc.err, fmtArray(a))
			}
			if a.Len() != b.NumRows() {
				t.Fatalf("sel=%v: %s: got %d rows, want %d", withSel, tc.e, a.Len(), b.NumRows())
			}
			if !arrow.TypeEqual(a.DataType(), tc.e.Type()) && tc.e.Type().ID() != arrow.NULL {
				t.Fatalf("sel=%v: %s: result type %s, want %s", withSel, tc.e, a.DataType(), tc.e.Type())
			}
			got := strings.Join(fmtArray(a), "|")
			want := strings.Join(wantStrings(tc.want), "|")
			if got != want {
				t.Fatalf("sel=%v: %s:\n got  %s\n want %s", withSel, tc.e, got, want)
			}
			if tc.e.Type().ID() == arrow.BOOL {
				checkSelect(t, tc, env, b, a)
			}
			return
		}
	}
	if tc.err == "" {
		t.Fatalf("sel=%v: %s: unexpected error: %v", withSel, tc.e, err)
	}
	if !strings.Contains(err.Error(), tc.err) {
		t.Fatalf("sel=%v: %s: error %q does not contain %q", withSel, tc.e, err, tc.err)
	}
}

// checkSelect compares Predicate.Select with the TRUE rows of Eval.
func checkSelect(t *testing.T, tc tcase, env *Env, b *vec.Batch, res arrow.Array) {
	t.Helper()
	p, err := CompilePredicate(tc.e, env)
	if err != nil {
		t.Fatalf("CompilePredicate %s: %v", tc.e, err)
	}
	got, err := p.Select(context.Background(), b, nil)
	if err != nil {
		t.Fatalf("Select %s: %v", tc.e, err)
	}
	var want []int32
	for j := 0; j < res.Len(); j++ {
		if v := vec.Value(res, j); v == true {
			if b.Sel != nil {
				want = append(want, b.Sel[j])
			} else {
				want = append(want, int32(j))
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("Select %s (sel=%v): got %v want %v", tc.e, b.Sel != nil, got, want)
	}
}

func anys(v ...any) []any { return v }

func newMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// evalStrings compiles and evaluates e over b, returning "v1|v2|...".
func evalStrings(t *testing.T, env *Env, e expr.Expr, b *vec.Batch) string {
	t.Helper()
	ev, err := Compile(e, env)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	a, err := ev.Eval(context.Background(), b)
	if err != nil {
		t.Fatalf("%s: %v", e, err)
	}
	defer a.Release()
	return strings.Join(fmtArray(a), "|")
}
