package exec_test

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/plan"
)

func setop(kind plan.SetOpKind, all bool, ins ...plan.Node) *plan.SetOp {
	return &plan.SetOp{Base: plan.Base{Out: ins[0].Schema(), Rows: -1}, Kind: kind, All: all, Inputs: ins}
}

// setopRef computes a set operation on rows with bag semantics by
// counting formatted rows.
func setopRef(kind plan.SetOpKind, all bool, ins ...[][]any) [][]any {
	type entry struct {
		row    []any
		counts []int
	}
	m := map[string]*entry{}
	var order []string
	for k, rows := range ins {
		for _, r := range rows {
			key := fmt.Sprintf("%#v", r)
			e := m[key]
			if e == nil {
				e = &entry{row: r, counts: make([]int, len(ins))}
				m[key] = e
				order = append(order, key)
			}
			e.counts[k]++
		}
	}
	var out [][]any
	for _, key := range order {
		e := m[key]
		n := 0
		switch kind {
		case plan.Union:
			for _, c := range e.counts {
				n += c
			}
			if !all {
				n = 1
			}
		case plan.Intersect:
			n = min(e.counts[0], e.counts[1])
			if !all {
				n = min(n, 1)
			}
		case plan.Except:
			n = max(e.counts[0]-e.counts[1], 0)
			if !all && n > 0 {
				n = 0
				if e.counts[1] == 0 {
					n = 1
				}
			}
		}
		for range n {
			out = append(out, e.row)
		}
	}
	return out
}

func TestSetOps(t *testing.T) {
	s := exectest.Schema("a", types.Int64, "s", types.String)
	left := [][]any{{1, "x"}, {1, "x"}, {1, "x"}, {2, nil}, {2, nil}, {nil, nil}, {nil, "y"}, {3, "z"}}
	right := [][]any{{1, "x"}, {2, nil}, {2, nil}, {2, nil}, {nil, nil}, {nil, nil}, {4, "w"}}
	third := [][]any{{5, "v"}, {1, "x"}, {nil, nil}}
	l := exectest.Scan(exectest.Table("l", s, left))
	r := exectest.Scan(exectest.Table("r", s, right))
	th := exectest.Scan(exectest.Table("t3", s, third))
	empty := exectest.Scan(exectest.Table("e", s, nil))
	cases := []struct {
		name string
		kind plan.SetOpKind
		all  bool
		ins  []plan.Node
		rows [][][]any
	}{
		{"union_all", plan.Union, true, []plan.Node{l, r, th}, [][][]any{left, right, third}},
		{"union", plan.Union, false, []plan.Node{l, r, th}, [][][]any{left, right, third}},
		{"union_one", plan.Union, false, []plan.Node{l}, [][][]any{left}},
		{"intersect", plan.Intersect, false, []plan.Node{l, r}, [][][]any{left, right}},
		{"intersect_all", plan.Intersect, true, []plan.Node{l, r}, [][][]any{left, right}},
		{"except", plan.Except, false, []plan.Node{l, r}, [][][]any{left, right}},
		{"except_all", plan.Except, true, []plan.Node{l, r}, [][][]any{left, right}},
		{"except_all_rev", plan.Except, true, []plan.Node{r, l}, [][][]any{right, left}},
		{"intersect_empty", plan.Intersect, false, []plan.Node{l, empty}, [][][]any{left, nil}},
		{"except_empty", plan.Except, true, []plan.Node{l, empty}, [][][]any{left, nil}},
		{"union_empty", plan.Union, false, []plan.Node{empty, empty}, [][][]any{nil, nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := setopRef(tc.kind, tc.all, tc.rows...)
			exectest.Check(t, setop(tc.kind, tc.all, tc.ins...), want, false)
		})
	}
}

// TestSetOpsSingleColumn covers the fixed-width key path, including many
// duplicates of one row (copies spanning several output batches).
func TestSetOpsSingleColumn(t *testing.T) {
	s := exectest.Schema("a", types.Int64)
	var left, right [][]any
	for i := 0; i < 3000; i++ {
		left = append(left, []any{int64(i % 1500)})
		if i%3 == 0 {
			right = append(right, []any{int64(i % 2000)})
		}
	}
	for i := 0; i < 2500; i++ {
		left = append(left, []any{int64(-1)})
		right = append(right, []any{int64(-1)})
		if i%2 == 0 {
			right = append(right, []any{nil})
			left = append(left, []any{nil})
			left = append(left, []any{nil})
		}
	}
	l := exectest.Scan(exectest.Table("l", s, left))
	r := exectest.Scan(exectest.Table("r", s, right))
	for _, kind := range []plan.SetOpKind{plan.Union, plan.Intersect, plan.Except} {
		for _, all := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s_all=%v", kind, all), func(t *testing.T) {
				want := setopRef(kind, all, left, right)
				exectest.Check(t, setop(kind, all, l, r), want, false)
			})
		}
	}
}

func TestSetOpsFloatAndTypes(t *testing.T) {
	s := exectest.Schema("f", types.Float64, "d", types.Date, "e", types.Decimal(30, 2), "b", types.Boolean)
	negZero := math.Copysign(0, -1)
	left := [][]any{{0.0, int32(1), d128(5), true}, {1.5, nil, nil, nil}, {nil, int32(2), d128(-1), false}}
	right := [][]any{{negZero, int32(1), d128(5), true}, {nil, int32(2), d128(-1), false}, {2.5, int32(3), d128(0), nil}}
	l := exectest.Scan(exectest.Table("l", s, left))
	r := exectest.Scan(exectest.Table("r", s, right))
	exectest.Check(t, setop(plan.Intersect, false, l, r), [][]any{{0.0, int32(1), d128(5), true}, {nil, int32(2), d128(-1), false}}, false)
	exectest.Check(t, setop(plan.Except, false, l, r), [][]any{{1.5, nil, nil, nil}}, false)
	// One float column: the fixed-width path normalises -0 too.
	fs := exectest.Schema("f", types.Float64)
	l1 := exectest.Scan(exectest.Table("l1", fs, [][]any{{0.0}, {math.NaN()}, {nil}}))
	r1 := exectest.Scan(exectest.Table("r1", fs, [][]any{{negZero}, {math.NaN()}}))
	got := exectest.Run(t, setop(plan.Intersect, false, l1, r1), 4, 7)
	strs := exectest.Format(got)
	sort.Strings(strs)
	if fmt.Sprint(strs) != "[0 NaN]" {
		t.Fatalf("intersect of floats: %v", strs)
	}
}

func TestSetOpMemoryLimit(t *testing.T) {
	s := exectest.Schema("s", types.String)
	var rows [][]any
	for i := 0; i < 100000; i++ {
		rows = append(rows, []any{fmt.Sprintf("row-%d", i)})
	}
	tbl := exectest.Table("t", s, rows)
	p := setop(plan.Union, false, exectest.Scan(tbl), exectest.Scan(tbl))
	for _, sl := range []int{1, 4} {
		_, err := exectest.RunErr(p, sl, 1024, 1<<20)
		var me *exec.MemoryError
		if !errors.As(err, &me) || me.Op != "SetOp" {
			t.Fatalf("slices=%d: want a SetOp memory error, got %v", sl, err)
		}
	}
}

func TestSetOpBadInputs(t *testing.T) {
	s := exectest.Schema("a", types.Int64)
	l := exectest.Scan(exectest.Table("l", s, nil))
	p := &plan.SetOp{Base: plan.Base{Out: arrow.NewSchema(s.Fields(), nil)}, Kind: plan.Intersect, Inputs: []plan.Node{l, l, l}}
	if _, err := exectest.RunErr(p, 1, 10, 0); err == nil {
		t.Fatal("intersect with 3 inputs: no error")
	}
}

// TestSetOpDecimalPrecision: inputs whose decimal precision differs from
// the output type (same scale and width) are relabelled, not rejected.
func TestSetOpDecimalPrecision(t *testing.T) {
	l := exectest.Scan(exectest.Table("l", exectest.Schema("d", types.Decimal(10, 2)), [][]any{{100}, {nil}}))
	r := exectest.Scan(exectest.Table("r", exectest.Schema("d", types.Decimal(12, 2)), [][]any{{100}, {250}}))
	out := exectest.Schema("d", types.Decimal(12, 2))
	for _, all := range []bool{true, false} {
		p := &plan.SetOp{Base: plan.Base{Out: out, Rows: -1}, Kind: plan.Union, All: all, Inputs: []plan.Node{l, r}}
		want := [][]any{{100}, {nil}, {250}}
		if all {
			want = append(want, []any{100})
		}
		exectest.Check(t, p, want, false)
	}
	bad := exectest.Scan(exectest.Table("b", exectest.Schema("d", types.Decimal(12, 3)), [][]any{{1}}))
	p := &plan.SetOp{Base: plan.Base{Out: out, Rows: -1}, Kind: plan.Union, All: true, Inputs: []plan.Node{l, bad}}
	if _, err := exectest.RunErr(p, 1, 10, 0); err == nil {
		t.Fatal("union of different decimal scales: no error")
	}
}
