package exec_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// joinSchemaOf is the output schema of a join of l and r.
func joinSchemaOf(typ plan.JoinType, l, r *arrow.Schema) *arrow.Schema {
	fs := append([]arrow.Field(nil), l.Fields()...)
	switch typ {
	case plan.Semi, plan.Anti:
	case plan.Mark:
		fs = append(fs, arrow.Field{Name: "mark", Type: types.Boolean, Nullable: true})
	default:
		fs = append(fs, r.Fields()...)
	}
	return arrow.NewSchema(fs, nil)
}

func joinHash(typ plan.JoinType, l, r plan.Node, lk, rk []expr.Expr, resid expr.Expr, nullAware bool) *plan.HashJoin {
	return &plan.HashJoin{Base: plan.Base{Out: joinSchemaOf(typ, l.Schema(), r.Schema()), Rows: -1},
		Type: typ, Left: l, Right: r, LeftKeys: lk, RightKeys: rk, Residual: resid, NullAware: nullAware}
}

func joinNL(typ plan.JoinType, l, r plan.Node, cond expr.Expr) *plan.NestedLoopJoin {
	return &plan.NestedLoopJoin{Base: plan.Base{Out: joinSchemaOf(typ, l.Schema(), r.Schema()), Rows: -1},
		Type: typ, Left: l, Right: r, Cond: cond}
}

func joinCall(fn string, t arrow.DataType, args ...expr.Expr) *expr.Call {
	return &expr.Call{Fn: fn, Args: args, T: t}
}

// joinRef is the naive reference join: key equality on lk/rk (NULL never
// equal), then cond (nil = TRUE; returns nil for NULL). Mark and
// null-aware Anti follow IN / NOT IN: a build row whose keys equal the
// probe row's but for NULLs, and that passes cond, makes the answer
// unknown; without keys (nested loop) a NULL cond does.
func joinRef(typ plan.JoinType, left, right [][]any, lk, rk []int, cond func(l, r []any) *bool, nullAware bool) [][]any {
	keyed := len(lk) > 0
	nullsRight := make([]any, joinRightWidth)
	var out [][]any
	rmatched := make([]bool, len(right))
	for _, l := range left {
		state := 0
		for ri, r := range right {
			var c *bool
			t := true
			if cond != nil {
				c = cond(l, r)
			} else {
				c = &t
			}
			if keyed {
				// IN semantics: equal keys match; keys equal but for NULLs
				// make the answer unknown; the condition filters rows.
				eq, maybe := true, true
				for i := range lk {
					a, b := l[lk[i]], r[rk[i]]
					if a == nil || b == nil {
						eq = false
					} else if a != b {
						eq, maybe = false, false
					}
				}
				if !maybe || c == nil || !*c {
					continue
				}
				if !eq {
					if state == 0 {
						state = 2
					}
					continue
				}
			} else {
				if c == nil && state == 0 {
					state = 2
				}
				if c == nil || !*c {
					continue
				}
			}
			state = 1
			rmatched[ri] = true
			switch typ {
			case plan.Inner, plan.Left, plan.Right, plan.Full, plan.Cross:
				out = append(out, append(append([]any(nil), l...), r...))
			}
		}
		switch typ {
		case plan.Left, plan.Full:
			if state != 1 {
				out = append(out, append(append([]any(nil), l...), nullsRight...))
			}
		case plan.Semi:
			if state == 1 {
				out = append(out, l)
			}
		case plan.Anti:
			if state == 0 || (state == 2 && !nullAware) {
				out = append(out, l)
			}
		case plan.Mark:
			var m any = false
			switch state {
			case 1:
				m = true
			case 2:
				m = nil
			}
			out = append(out, append(append([]any(nil), l...), m))
		}
	}
	if typ == plan.Right || typ == plan.Full {
		for ri, r := range right {
			if !rmatched[ri] {
				row := make([]any, joinLeftWidth)
				out = append(out, append(row, r...))
			}
		}
	}
	return out
}

// Widths of the fixed test tables (set by the tests before calling joinRef).
var joinLeftWidth, joinRightWidth int

var (
	joinLS = exectest.Schema("lk", types.Int64, "ls", types.String, "lv", types.Int64)
	joinRS = exectest.Schema("rk", types.Int64, "rs", types.String, "rv", types.Int64)
)

func joinRows() (left, right [][]any) {
	left = [][]any{
		{int64(1), "a", int64(10)},
		{int64(1), "a", int64(11)},
		{int64(2), "b", int64(20)},
		{int64(3), nil, int64(30)},
		{nil, "n", int64(40)},
		{int64(5), "e", int64(50)},
		{int64(2), "b", nil},
	}
	right = [][]any{
		{int64(1), "a", int64(100)},
		{int64(1), "x", int64(10)},
		{int64(2), "b", int64(200)},
		{int64(4), "d", int64(400)},
		{nil, "n", int64(0)},
		{int64(3), nil, int64(300)},
	}
	return
}

func TestHashJoinExplicit(t *testing.T) {
	left, right := joinRows()
	L, R := exectest.Scan(exectest.Table("l", joinLS, left)), exectest.Scan(exectest.Table("r", joinRS, right))
	k := func(i int) []expr.Expr { return []expr.Expr{exectest.Col(i, types.Int64)} }
	for _, tc := range []struct {
		name string
		typ  plan.JoinType
		want [][]any
	}{
		{"inner", plan.Inner, [][]any{
			{int64(1), "a", int64(10), int64(1), "a", int64(100)},
			{int64(1), "a", int64(10), int64(1), "x", int64(10)},
			{int64(1), "a", int64(11), int64(1), "a", int64(100)},
			{int64(1), "a", int64(11), int64(1), "x", int64(10)},
			{int64(2), "b", int64(20), int64(2), "b", int64(200)},
			{int64(2), "b", nil, int64(2), "b", int64(200)},
			{int64(3), nil, int64(30), int64(3), nil, int64(300)},
		}},
		{"semi", plan.Semi, [][]any{
			{int64(1), "a", int64(10)}, {int64(1), "a", int64(11)}, {int64(2), "b", int64(20)},
			{int64(3), nil, int64(30)}, {int64(2), "b", nil},
		}},
		{"anti", plan.Anti, [][]any{{nil, "n", int64(40)}, {int64(5), "e", int64(50)}}},
		{"mark", plan.Mark, [][]any{
			{int64(1), "a", int64(10), true}, {int64(1), "a", int64(11), true}, {int64(2), "b", int64(20), true},
			{int64(3), nil, int64(30), true}, {nil, "n", int64(40), nil}, {int64(5), "e", int64(50), nil},
			{int64(2), "b", nil, true},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exectest.Check(t, joinHash(tc.typ, L, R, k(0), k(0), nil, false), tc.want, false)
		})
	}
	// NOT IN: build has a NULL key → no rows at all.
	t.Run("not-in-null-build", func(t *testing.T) {
		exectest.Check(t, joinHash(plan.Anti, L, R, k(0), k(0), nil, true), nil, false)
	})
	// NOT IN without NULLs in the build: the NULL probe key is excluded.
	t.Run("not-in", func(t *testing.T) {
		R2 := exectest.Scan(exectest.Table("r2", joinRS, right[:4]))
		exectest.Check(t, joinHash(plan.Anti, L, R2, k(0), k(0), nil, true), [][]any{{int64(3), nil, int64(30)}, {int64(5), "e", int64(50)}}, false)
	})
	// NOT IN over an empty set keeps everything, NULL keys included.
	t.Run("not-in-empty", func(t *testing.T) {
		R0 := exectest.Scan(exectest.Table("r0", joinRS, nil))
		exectest.Check(t, joinHash(plan.Anti, L, R0, k(0), k(0), nil, true), left, false)
	})
	// Mark without NULLs in the build: FALSE for missing, NULL for NULL probe key.
	t.Run("mark-no-null-build", func(t *testing.T) {
		R2 := exectest.Scan(exectest.Table("r2", joinRS, right[:4]))
		exectest.Check(t, joinHash(plan.Mark, L, R2, k(0), k(0), nil, false), [][]any{
			{int64(1), "a", int64(10), true}, {int64(1), "a", int64(11), true}, {int64(2), "b", int64(20), true},
			{int64(3), nil, int64(30), false}, {nil, "n", int64(40), nil}, {int64(5), "e", int64(50), false},
			{int64(2), "b", nil, true},
		}, false)
	})
	// Residual: l.lv < r.rv (Q21-like condition on other columns).
	t.Run("semi-residual", func(t *testing.T) {
		res := joinCall("<", types.Boolean, exectest.Col(2, types.Int64), exectest.Col(5, types.Int64))
		exectest.Check(t, joinHash(plan.Semi, L, R, k(0), k(0), res, false), [][]any{
			{int64(1), "a", int64(10)}, {int64(1), "a", int64(11)}, {int64(2), "b", int64(20)}, {int64(3), nil, int64(30)},
		}, false)
		exectest.Check(t, joinHash(plan.Anti, L, R, k(0), k(0), res, false), [][]any{
			{nil, "n", int64(40)}, {int64(5), "e", int64(50)}, {int64(2), "b", nil},
		}, false)
	})
	t.Run("left-residual", func(t *testing.T) {
		res := joinCall("<>", types.Boolean, exectest.Col(2, types.Int64), exectest.Col(5, types.Int64))
		exectest.Check(t, joinHash(plan.Left, L, R, k(0), k(0), res, false), [][]any{
			{int64(1), "a", int64(10), int64(1), "a", int64(100)},
			{int64(1), "a", int64(11), int64(1), "a", int64(100)},
			{int64(1), "a", int64(11), int64(1), "x", int64(10)},
			{int64(2), "b", int64(20), int64(2), "b", int64(200)},
			{int64(2), "b", nil, nil, nil, nil},
			{int64(3), nil, int64(30), int64(3), nil, int64(300)},
			{nil, "n", int64(40), nil, nil, nil},
			{int64(5), "e", int64(50), nil, nil, nil},
		}, false)
	})
	t.Run("right-full", func(t *testing.T) {
		exectest.Check(t, joinHash(plan.Right, L, R, k(0), k(0), nil, false), [][]any{
			{int64(1), "a", int64(10), int64(1), "a", int64(100)},
			{int64(1), "a", int64(10), int64(1), "x", int64(10)},
			{int64(1), "a", int64(11), int64(1), "a", int64(100)},
			{int64(1), "a", int64(11), int64(1), "x", int64(10)},
			{int64(2), "b", int64(20), int64(2), "b", int64(200)},
			{int64(2), "b", nil, int64(2), "b", int64(200)},
			{int64(3), nil, int64(30), int64(3), nil, int64(300)},
			{nil, nil, nil, int64(4), "d", int64(400)},
			{nil, nil, nil, nil, "n", int64(0)},
		}, false)
	})
	t.Run("empty-probe", func(t *testing.T) {
		L0 := exectest.Scan(exectest.Table("l0", joinLS, nil))
		for _, typ := range []plan.JoinType{plan.Inner, plan.Left, plan.Semi, plan.Anti, plan.Mark} {
			exectest.Check(t, joinHash(typ, L0, R, k(0), k(0), nil, false), nil, false)
		}
		exectest.Check(t, joinHash(plan.Full, L0, R, k(0), k(0), nil, false), [][]any{
			{nil, nil, nil, int64(1), "a", int64(100)}, {nil, nil, nil, int64(1), "x", int64(10)},
			{nil, nil, nil, int64(2), "b", int64(200)}, {nil, nil, nil, int64(4), "d", int64(400)},
			{nil, nil, nil, nil, "n", int64(0)}, {nil, nil, nil, int64(3), nil, int64(300)},
		}, false)
	})
	t.Run("empty-build", func(t *testing.T) {
		R0 := exectest.Scan(exectest.Table("r0", joinRS, nil))
		exectest.Check(t, joinHash(plan.Inner, L, R0, k(0), k(0), nil, false), nil, false)
		exectest.Check(t, joinHash(plan.Anti, L, R0, k(0), k(0), nil, false), left, false)
		var marks [][]any
		var lefts [][]any
		for _, r := range left {
			marks = append(marks, append(append([]any(nil), r...), false))
			lefts = append(lefts, append(append([]any(nil), r...), nil, nil, nil))
		}
		exectest.Check(t, joinHash(plan.Mark, L, R0, k(0), k(0), nil, false), marks, false)
		exectest.Check(t, joinHash(plan.Left, L, R0, k(0), k(0), nil, false), lefts, false)
	})
	t.Run("string-key", func(t *testing.T) {
		sk := func() []expr.Expr { return []expr.Expr{exectest.Col(1, types.String)} }
		exectest.Check(t, joinHash(plan.Semi, L, R, sk(), sk(), nil, false), [][]any{
			{int64(1), "a", int64(10)}, {int64(1), "a", int64(11)}, {int64(2), "b", int64(20)},
			{nil, "n", int64(40)}, {int64(2), "b", nil},
		}, false)
	})
	t.Run("multi-key", func(t *testing.T) {
		mk := func() []expr.Expr { return []expr.Expr{exectest.Col(0, types.Int64), exectest.Col(1, types.String)} }
		exectest.Check(t, joinHash(plan.Inner, L, R, mk(), mk(), nil, false), [][]any{
			{int64(1), "a", int64(10), int64(1), "a", int64(100)},
			{int64(1), "a", int64(11), int64(1), "a", int64(100)},
			{int64(2), "b", int64(20), int64(2), "b", int64(200)},
			{int64(2), "b", nil, int64(2), "b", int64(200)},
		}, false)
	})
	t.Run("nl-cross", func(t *testing.T) {
		var want [][]any
		for _, l := range left {
			for _, r := range right {
				want = append(want, append(append([]any(nil), l...), r...))
			}
		}
		exectest.Check(t, joinNL(plan.Cross, L, R, nil), want, false)
		exectest.Check(t, joinNL(plan.Inner, L, R, nil), want, false)
	})
}

// joinRandRows makes rows (k1 int64, k2 string, k3 date, v int64) with a
// small key domain, duplicates and NULLs.
func joinRandRows(rng *rand.Rand, n int) [][]any {
	rows := make([][]any, n)
	for i := range rows {
		var k1, k2, k3 any
		if rng.Intn(10) > 0 {
			k1 = int64(rng.Intn(12))
		}
		if rng.Intn(10) > 0 {
			k2 = fmt.Sprintf("s%d", rng.Intn(3))
		}
		if rng.Intn(10) > 0 {
			k3 = int32(rng.Intn(3))
		}
		rows[i] = []any{k1, k2, k3, int64(rng.Intn(100))}
	}
	return rows
}

// TestJoinDifferential runs hash join, nested-loop join and the naive
// reference on random data for every join type, key set and residual.
func TestJoinDifferential(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	sch := exectest.Schema("k1", types.Int64, "k2", types.String, "k3", types.Date, "v", types.Int64)
	joinLeftWidth, joinRightWidth = 4, 4
	type keyset struct {
		name string
		cols []int
		ts   []arrow.DataType
	}
	keysets := []keyset{
		{"int", []int{0}, []arrow.DataType{types.Int64}},
		{"date", []int{2}, []arrow.DataType{types.Date}},
		{"str", []int{1}, []arrow.DataType{types.String}},
		{"mixed", []int{0, 1, 2}, []arrow.DataType{types.Int64, types.String, types.Date}},
	}
	for round := 0; round < 3; round++ {
		left, right := joinRandRows(rng, 30+rng.Intn(60)), joinRandRows(rng, 10+rng.Intn(40))
		if round == 2 {
			right = right[:0]
		}
		L, R := exectest.Scan(exectest.Table("l", sch, left)), exectest.Scan(exectest.Table("r", sch, right))
		for _, ks := range keysets {
			for _, withRes := range []bool{false, true} {
				for _, typ := range []plan.JoinType{plan.Inner, plan.Left, plan.Right, plan.Full, plan.Semi, plan.Anti, plan.Mark} {
					var lk, rk []expr.Expr
					var eqs []expr.Expr
					for i, c := range ks.cols {
						lk = append(lk, exectest.Col(c, ks.ts[i]))
						rk = append(rk, exectest.Col(c, ks.ts[i]))
						eqs = append(eqs, joinCall("=", types.Boolean, exectest.Col(c, ks.ts[i]), exectest.Col(4+c, ks.ts[i])))
					}
					var res expr.Expr
					var cond func(l, r []any) *bool
					if withRes {
						res = joinCall("<", types.Boolean, exectest.Col(3, types.Int64), exectest.Col(7, types.Int64))
						cond = func(l, r []any) *bool { b := l[3].(int64) < r[3].(int64); return &b }
						eqs = append(eqs, res)
					}
					want := joinRef(typ, left, right, ks.cols, ks.cols, cond, false)
					name := fmt.Sprintf("r%d/%s/res=%v/%s", round, ks.name, withRes, typ)
					t.Run(name+"/hash", func(t *testing.T) {
						exectest.Check(t, joinHash(typ, L, R, lk, rk, res, false), want, false)
					})
					t.Run(name+"/nl", func(t *testing.T) {
						exectest.Check(t, joinNL(typ, L, R, joinCall("and", types.Boolean, eqs...)), want, false)
					})
				}
				var res expr.Expr
				var cond func(l, r []any) *bool
				if withRes {
					res = joinCall("<", types.Boolean, exectest.Col(3, types.Int64), exectest.Col(7, types.Int64))
					cond = func(l, r []any) *bool { b := l[3].(int64) < r[3].(int64); return &b }
				}
				wantNA := joinRef(plan.Anti, left, right, ks.cols, ks.cols, cond, true)
				t.Run(fmt.Sprintf("r%d/%s/res=%v/notin", round, ks.name, withRes), func(t *testing.T) {
					exectest.Check(t, joinHash(plan.Anti, L, R, joinKeysOf(ks.cols, ks.ts), joinKeysOf(ks.cols, ks.ts), res, true), wantNA, false)
				})
			}
		}
	}
}

func joinKeysOf(cols []int, ts []arrow.DataType) []expr.Expr {
	var out []expr.Expr
	for i, c := range cols {
		out = append(out, exectest.Col(c, ts[i]))
	}
	return out
}

// TestJoinLargeFanout checks output batching when one probe row matches
// more build rows than a batch holds.
func TestJoinLargeFanout(t *testing.T) {
	var left, right [][]any
	for i := 0; i < 3; i++ {
		left = append(left, []any{int64(i % 2), "l", int64(i)})
	}
	for i := 0; i < 3000; i++ {
		right = append(right, []any{int64(i % 2), "r", int64(i)})
	}
	joinLeftWidth, joinRightWidth = 3, 3
	L, R := exectest.Scan(exectest.Table("l", joinLS, left)), exectest.Scan(exectest.Table("r", joinRS, right))
	k := []expr.Expr{exectest.Col(0, types.Int64)}
	want := joinRef(plan.Inner, left, right, []int{0}, []int{0}, nil, false)
	exectest.Check(t, joinHash(plan.Inner, L, R, k, k, nil, false), want, false)
}

func TestJoinMemoryLimit(t *testing.T) {
	// Narrow build rows, so the hash table (not the scan) crosses the limit.
	var rows [][]any
	for i := 0; i < 20000; i++ {
		rows = append(rows, []any{int64(i)})
	}
	sch := exectest.Schema("k", types.Int64)
	L, R := exectest.Scan(exectest.Table("l", sch, rows[:10])), exectest.Scan(exectest.Table("r", sch, rows))
	k := []expr.Expr{exectest.Col(0, types.Int64)}
	for _, sl := range []int{1, 4} {
		_, err := exectest.RunErr(joinHash(plan.Inner, L, R, k, k, nil, false), sl, 1024, 600<<10)
		var me *exec.MemoryError
		if !errors.As(err, &me) || me.Op != "HashJoin" {
			t.Fatalf("slices=%d: want HashJoin memory error, got %v", sl, err)
		}
		rows, err := exectest.RunErr(joinHash(plan.Inner, L, R, k, k, nil, false), sl, 1024, 2<<20)
		if err != nil || len(rows) != 10 {
			t.Fatalf("slices=%d: with a higher limit: %d rows, %v", sl, len(rows), err)
		}
	}
}

// TestJoinCancel checks that a join whose probe side never ends returns
// promptly when its query is cancelled, without leaking.
func TestJoinCancel(t *testing.T) {
	var rows [][]any
	for i := 0; i < 200000; i++ {
		rows = append(rows, []any{int64(i % 1000), "x", int64(i)})
	}
	L, R := exectest.Scan(exectest.Table("l", joinLS, rows)), exectest.Scan(exectest.Table("r", joinRS, rows[:5000]))
	k := []expr.Expr{exectest.Col(0, types.Int64)}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	qc := exec.NewQueryCtx(4, 1024, nil, mem)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := exec.Run(ctx, qc, joinHash(plan.Inner, L, R, k, k, nil, false))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Next(ctx)
	if err != nil || rec == nil {
		t.Fatalf("first batch: %v", err)
	}
	rec.Release()
	cancel()
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("close after cancel took %v", d)
	}
}

// joinBenchSource is a test-only plan node whose operator replays
// prebuilt batches (split across slices), so benchmarks measure the join.
type joinBenchSource struct {
	plan.Base
	batches []*vec.Batch
}

func (*joinBenchSource) Children() []plan.Node { return nil }
func (*joinBenchSource) Describe() string      { return "BenchSource" }

type joinBenchOp struct {
	src           *joinBenchSource
	slice, slices int
	i             int
}

func (o *joinBenchOp) Open(context.Context) error { o.i = o.slice; return nil }
func (o *joinBenchOp) Next(context.Context) (*vec.Batch, error) {
	if o.i >= len(o.src.batches) {
		return nil, nil
	}
	b := o.src.batches[o.i]
	o.i += o.slices
	for _, c := range b.Cols {
		c.Retain()
	}
	return &vec.Batch{Cols: append([]arrow.Array(nil), b.Cols...), Len: b.Len}, nil
}
func (o *joinBenchOp) Close() error { return nil }

func init() {
	exec.Register((*joinBenchSource)(nil), func(qc *exec.QueryCtx, n plan.Node, slice int, _ func(plan.Node) (exec.Operator, error)) (exec.Operator, error) {
		return &joinBenchOp{src: n.(*joinBenchSource), slice: slice, slices: qc.Slices}, nil
	})
}

func joinBenchInts(mem memory.Allocator, n, mod int, seed int64) *joinBenchSource {
	rng := rand.New(rand.NewSource(seed))
	src := &joinBenchSource{Base: plan.Base{Out: exectest.Schema("k", types.Int64, "v", types.Int64), Rows: -1}}
	for off := 0; off < n; off += vec.DefaultBatchSize {
		m := min(vec.DefaultBatchSize, n-off)
		k := make([]int64, m)
		v := make([]int64, m)
		for i := range k {
			k[i] = int64(rng.Intn(mod))
			v[i] = int64(off + i)
		}
		src.batches = append(src.batches, vec.New([]arrow.Array{
			vec.FixedArray(mem, types.Int64, k, nil), vec.FixedArray(mem, types.Int64, v, nil)}, m))
	}
	return src
}

// BenchmarkHashJoin: build 100k rows, probe 1M rows, one int64 key;
// reports ns per probe row.
func BenchmarkHashJoin(b *testing.B) {
	for _, slices := range []int{1, 2} {
		b.Run(fmt.Sprintf("slices=%d", slices), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			build := joinBenchInts(mem, 100_000, 200_000, 1)
			probe := joinBenchInts(mem, 1_000_000, 200_000, 2)
			k := []expr.Expr{exectest.Col(0, types.Int64)}
			node := joinHash(plan.Inner, probe, build, k, k, nil, false)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				qc := exec.NewQueryCtx(slices, 1024, nil, mem)
				s, err := exec.Run(context.Background(), qc, node)
				if err != nil {
					b.Fatal(err)
				}
				rows := 0
				for {
					rec, err := s.Next(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					if rec == nil {
						break
					}
					rows += int(rec.NumRows())
					rec.Release()
				}
				s.Close()
				if rows == 0 {
					b.Fatal("no rows")
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/probe-row")
		})
	}
}

// TestJoinMoreKeys covers computed keys, mixed integer widths and
// non-equi nested-loop conditions, against the reference.
func TestJoinMoreKeys(t *testing.T) {
	left, right := joinRows()
	joinLeftWidth, joinRightWidth = 3, 3
	L, R := exectest.Scan(exectest.Table("l", joinLS, left)), exectest.Scan(exectest.Table("r", joinRS, right))
	t.Run("computed-key", func(t *testing.T) {
		// l.lk + 1 = r.rk + 0 : evaluated keys on both sides.
		lk := []expr.Expr{joinCall("+", types.Int64, exectest.Col(0, types.Int64), exectest.Lit(int64(1), types.Int64))}
		rk := []expr.Expr{joinCall("+", types.Int64, exectest.Col(0, types.Int64), exectest.Lit(int64(0), types.Int64))}
		shifted := make([][]any, len(left))
		for i, r := range left {
			shifted[i] = append([]any(nil), r...)
			if r[0] != nil {
				shifted[i][0] = r[0].(int64) + 1
			}
		}
		for _, typ := range []plan.JoinType{plan.Inner, plan.Left, plan.Semi, plan.Mark} {
			want := joinRef(typ, shifted, right, []int{0}, []int{0}, nil, false)
			for i, w := range want {
				want[i] = append([]any(nil), w...)
				if w[0] != nil {
					want[i][0] = w[0].(int64) - 1
				}
			}
			exectest.Check(t, joinHash(typ, L, R, lk, rk, nil, false), want, false)
		}
	})
	t.Run("int32-int64", func(t *testing.T) {
		s32 := exectest.Schema("k", types.Int32)
		var rows32 [][]any
		for i := 0; i < 6; i++ {
			rows32 = append(rows32, []any{int64(i % 4)})
		}
		rows32 = append(rows32, []any{nil})
		L32 := exectest.Scan(exectest.Table("l32", s32, rows32))
		node := joinHash(plan.Inner, L32, R, []expr.Expr{exectest.Col(0, types.Int32)}, []expr.Expr{exectest.Col(0, types.Int64)}, nil, false)
		exectest.Check(t, node, [][]any{
			{int64(1), int64(1), "a", int64(100)}, {int64(1), int64(1), "x", int64(10)},
			{int64(1), int64(1), "a", int64(100)}, {int64(1), int64(1), "x", int64(10)},
			{int64(2), int64(2), "b", int64(200)}, {int64(3), int64(3), nil, int64(300)},
		}, false)
	})
	t.Run("correlated-not-in", func(t *testing.T) {
		// x NOT IN (SELECT y FROM r WHERE r.c = l.c): keys x = y, the
		// correlation is the residual, so a NULL y only matters within
		// its own correlation group.
		sch := exectest.Schema("x", types.Int64, "c", types.Int64)
		lrows := [][]any{{int64(1), int64(1)}, {int64(1), int64(2)}, {int64(2), int64(1)}, {nil, int64(3)}, {nil, int64(4)}, {int64(7), nil}}
		rrows := [][]any{{int64(2), int64(1)}, {nil, int64(2)}, {int64(5), int64(3)}}
		Lc, Rc := exectest.Scan(exectest.Table("lc", sch, lrows)), exectest.Scan(exectest.Table("rc", sch, rrows))
		k := []expr.Expr{exectest.Col(0, types.Int64)}
		res := joinCall("=", types.Boolean, exectest.Col(1, types.Int64), exectest.Col(3, types.Int64))
		exectest.Check(t, joinHash(plan.Anti, Lc, Rc, k, k, res, true), [][]any{
			{int64(1), int64(1)}, {nil, int64(4)}, {int64(7), nil},
		}, false)
		exectest.Check(t, joinHash(plan.Mark, Lc, Rc, k, k, res, false), [][]any{
			{int64(1), int64(1), false}, {int64(1), int64(2), nil}, {int64(2), int64(1), true},
			{nil, int64(3), nil}, {nil, int64(4), false}, {int64(7), nil, false},
		}, false)
	})
	t.Run("nl-non-equi", func(t *testing.T) {
		cond := joinCall("<", types.Boolean, exectest.Col(2, types.Int64), exectest.Col(5, types.Int64))
		fn := func(l, r []any) *bool {
			if l[2] == nil || r[2] == nil {
				return nil
			}
			b := l[2].(int64) < r[2].(int64)
			return &b
		}
		for _, typ := range []plan.JoinType{plan.Inner, plan.Left, plan.Right, plan.Full, plan.Semi, plan.Anti, plan.Mark} {
			want := joinRef(typ, left, right, nil, nil, fn, false)
			exectest.Check(t, joinNL(typ, L, R, cond), want, false)
		}
	})
}

// TestJoinSelection feeds both join sides and a sort through filters, so
// batches arrive with selection vectors.
func TestJoinSelection(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	sch := exectest.Schema("k1", types.Int64, "k2", types.String, "k3", types.Date, "v", types.Int64)
	left, right := joinRandRows(rng, 400), joinRandRows(rng, 300)
	joinLeftWidth, joinRightWidth = 4, 4
	filt := func(name string, rows [][]any, min int64) (plan.Node, [][]any) {
		scan := exectest.Scan(exectest.Table(name, sch, rows))
		pred := joinCall(">", types.Boolean, exectest.Col(3, types.Int64), exectest.Lit(min, types.Int64))
		var kept [][]any
		for _, r := range rows {
			if r[3].(int64) > min {
				kept = append(kept, r)
			}
		}
		return &plan.Filter{Base: plan.Base{Out: sch, Rows: -1}, Input: scan, Pred: pred}, kept
	}
	L, lk := filt("l", left, 40)
	R, rk := filt("r", right, 60)
	for _, ks := range [][]int{{0}, {1, 2}} {
		var keys []expr.Expr
		for _, c := range ks {
			keys = append(keys, exectest.Col(c, sch.Field(c).Type))
		}
		for _, typ := range []plan.JoinType{plan.Inner, plan.Full, plan.Semi, plan.Mark} {
			want := joinRef(typ, lk, rk, ks, ks, nil, false)
			exectest.Check(t, joinHash(typ, L, R, keys, keys, nil, false), want, false)
		}
	}
	sorted := &plan.Sort{Base: plan.Base{Out: sch, Rows: -1}, Input: L, Keys: []plan.SortKey{
		{Expr: exectest.Col(3, types.Int64), Desc: true}, {Expr: exectest.Col(1, types.String), NullsFirst: true},
		{Expr: exectest.Col(0, types.Int64)}, {Expr: exectest.Col(2, types.Date)}}}
	want := sortRef(lk, []sortRefKey{{3, true, false}, {1, false, true}, {0, false, false}, {2, false, false}})
	// Rows equal on every key are interchangeable: compare as multiset
	// and check the order of the keys separately.
	exectest.Check(t, sorted, want, false)
	got := exectest.Run(t, sorted, 4, 7)
	for i := 1; i < len(got); i++ {
		if got[i-1][3].(int64) < got[i][3].(int64) {
			t.Fatalf("row %d: v not descending: %v then %v", i, got[i-1], got[i])
		}
	}
}
