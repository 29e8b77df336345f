package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// Columns that are slices of larger arrays (non-zero offsets, validity
// bitmaps not byte-aligned) must be read correctly.
func TestSlicedInputs(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	mk := func(dt arrow.DataType, vals ...any) arrow.Array {
		a, err := vec.FromValues(mem, dt, vals)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Release()
		return array.NewSlice(a, 3, int64(len(vals)))
	}
	// physical rows after slicing: 3..12
	ints := mk(tI64, int64(100), nil, int64(100), int64(1), nil, int64(3), int64(4), nil, int64(6), int64(7), int64(8), int64(9), int64(10))
	bools := mk(tBool, true, nil, true, true, false, nil, true, false, nil, true, true, false, nil)
	strs := mk(tStr, "x", "x", "x", "green", "red", nil, "greenish", "blue", "xgreen", "a", "b", "c", "d")
	b := vec.New([]arrow.Array{ints, bools, strs}, 10)
	defer b.Release()
	ctx := context.Background()
	cases := []struct {
		e    expr.Expr
		want string
	}{
		{call("+", tI64, col(0, tI64), lit(int64(1), tI64)), "2|NULL|4|5|NULL|7|8|9|10|11"},
		{call("*", tI64, col(0, tI64), col(0, tI64)), "1|NULL|9|16|NULL|36|49|64|81|100"},
		{call(">", tBool, col(0, tI64), lit(int64(4), tI64)), "false|NULL|false|false|NULL|true|true|true|true|true"},
		{call("and", tBool, col(1, tBool), call(">", tBool, col(0, tI64), lit(int64(2), tI64))), "false|false|NULL|true|false|NULL|true|true|false|NULL"},
		{call("not", tBool, col(1, tBool)), "false|true|NULL|false|true|NULL|false|false|true|NULL"},
		{call("is_null", tBool, col(0, tI64)), "false|true|false|false|true|false|false|false|false|false"},
		{call("like", tBool, col(2, tStr), lit("%green%", tStr)), "true|false|NULL|true|false|true|false|false|false|false"},
		{cast(col(0, tI64), tStr), "1|NULL|3|4|NULL|6|7|8|9|10"},
		{call("coalesce", tI64, col(0, tI64), lit(int64(0), tI64)), "1|0|3|4|0|6|7|8|9|10"},
	}
	for _, c := range cases {
		for _, withSel := range []bool{false, true} {
			bt := b
			if withSel {
				bt = &vec.Batch{Cols: b.Cols, Len: b.Len, Sel: []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
			}
			ev, err := Compile(c.e, &Env{Mem: mem})
			if err != nil {
				t.Fatal(err)
			}
			a, err := ev.Eval(ctx, bt)
			if err != nil {
				t.Fatalf("%s: %v", c.e, err)
			}
			got := strings.Join(fmtArray(a), "|")
			a.Release()
			if got != c.want {
				t.Fatalf("%s (sel=%v):\n got  %s\n want %s", c.e, withSel, got, c.want)
			}
			if c.e.Type().ID() == arrow.BOOL {
				p, _ := CompilePredicate(c.e, &Env{Mem: mem})
				sel, err := p.Select(ctx, bt, nil)
				if err != nil {
					t.Fatal(err)
				}
				var want []string
				for j, v := range strings.Split(c.want, "|") {
					if v == "true" {
						want = append(want, string(rune('0'+j)))
					}
				}
				var gotS []string
				for _, j := range sel {
					gotS = append(gotS, string(rune('0'+j)))
				}
				if strings.Join(gotS, ",") != strings.Join(want, ",") {
					t.Fatalf("select %s: got %v want %v", c.e, gotS, want)
				}
			}
		}
	}
}
