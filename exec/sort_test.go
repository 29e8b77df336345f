package exec_test

import (
	"time"

	"context"
	"github.com/tarnsql/tarn/planner/expr"

	"errors"
	"fmt"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"math/rand"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/plan"
)

var sortSchema = exectest.Schema(
	"i", types.Int64, "s", types.String, "d", types.Date, "dec", types.Decimal(30, 2),
	"dec64", types.Decimal(10, 2), "f", types.Float64, "b", types.Boolean, "ts", types.Timestamp,
	"i32", types.Int32, "id", types.Int64)

func sortRandRows(rng *rand.Rand, n int) [][]any {
	rows := make([][]any, n)
	maybe := func(v any) any {
		if rng.Intn(8) == 0 {
			return nil
		}
		return v
	}
	for i := range rows {
		rows[i] = []any{
			maybe(int64(rng.Intn(20) - 10)),
			maybe(fmt.Sprintf("s%02d", rng.Intn(15))),
			maybe(int32(rng.Intn(30) - 5)),
			maybe(decimal128.FromI64(int64(rng.Intn(40) - 20)).Mul(decimal128.FromI64(1 << 40))),
			maybe(int64(rng.Intn(40) - 20)),
			maybe(float64(rng.Intn(20)) / 4),
			maybe(rng.Intn(2) == 0),
			maybe(int64(rng.Intn(10)) * 1_000_000),
			maybe(int64(rng.Intn(9) - 4)),
			int64(i),
		}
	}
	return rows
}

// sortCmpValues compares two non-NULL Go values of the same kind.
func sortCmpValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case int32:
		return sortCmpValues(int64(x), int64(b.(int32)))
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case string:
		y := b.(string)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case decimal128.Num:
		return x.Cmp(b.(decimal128.Num))
	}
	panic(fmt.Sprintf("sortCmpValues: %T", a))
}

type sortRefKey struct {
	col              int
	desc, nullsFirst bool
}

func sortRef(rows [][]any, keys []sortRefKey) [][]any {
	out := append([][]any(nil), rows...)
	sort.SliceStable(out, func(i, j int) bool {
		for _, k := range keys {
			a, b := out[i][k.col], out[j][k.col]
			if a == nil || b == nil {
				if a == nil && b == nil {
					continue
				}
				aFirst := (a == nil) == k.nullsFirst
				return aFirst
			}
			c := sortCmpValues(a, b)
			if c != 0 {
				if k.desc {
					return c > 0
				}
				return c < 0
			}
		}
		return false
	})
	return out
}

func sortKeysOf(keys []sortRefKey) []plan.SortKey {
	out := make([]plan.SortKey, len(keys))
	for i, k := range keys {
		out[i] = plan.SortKey{Expr: exectest.Col(k.col, sortSchema.Field(k.col).Type), Desc: k.desc, NullsFirst: k.nullsFirst}
	}
	return out
}

func TestSort(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	rows := sortRandRows(rng, 1300)
	in := exectest.Scan(exectest.Table("t", sortSchema, rows))
	id := sortRefKey{col: 9}
	cases := [][]sortRefKey{}
	// Every key type, both directions and NULL placements.
	for col := 0; col < 9; col++ {
		cases = append(cases, []sortRefKey{{col, false, col%2 == 0}, id}, []sortRefKey{{col, true, col%2 == 1}, id})
	}
	cases = append(cases,
		[]sortRefKey{{1, false, false}, {0, true, true}, {3, false, true}, id},
		[]sortRefKey{{6, true, false}, {2, false, false}, {5, true, true}, {9, true, false}},
	)
	for _, keys := range cases {
		name := ""
		for _, k := range keys {
			name += fmt.Sprintf("%s:%v:%v,", sortSchema.Field(k.col).Name, k.desc, k.nullsFirst)
		}
		t.Run(name, func(t *testing.T) {
			node := &plan.Sort{Base: plan.Base{Out: sortSchema, Rows: -1}, Input: in, Keys: sortKeysOf(keys)}
			exectest.Check(t, node, sortRef(rows, keys), true)
		})
	}
	t.Run("empty", func(t *testing.T) {
		e := exectest.Scan(exectest.Table("e", sortSchema, nil))
		node := &plan.Sort{Base: plan.Base{Out: sortSchema, Rows: -1}, Input: e, Keys: sortKeysOf([]sortRefKey{id})}
		exectest.Check(t, node, nil, true)
	})
	t.Run("computed-key", func(t *testing.T) {
		// ORDER BY i + id DESC (an evaluated key, not a column).
		k := plan.SortKey{Expr: joinCall("+", types.Int64, exectest.Col(9, types.Int64), exectest.Col(9, types.Int64)), Desc: true}
		node := &plan.Sort{Base: plan.Base{Out: sortSchema, Rows: -1}, Input: in, Keys: []plan.SortKey{k}}
		exectest.Check(t, node, sortRef(rows, []sortRefKey{{9, true, false}}), true)
	})
}

func TestTopN(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	rows := sortRandRows(rng, 1500)
	in := exectest.Scan(exectest.Table("t", sortSchema, rows))
	for _, tc := range []struct {
		keys          []sortRefKey
		limit, offset int64
	}{
		{[]sortRefKey{{0, false, false}, {9, false, false}}, 10, 0},
		{[]sortRefKey{{1, true, true}, {9, false, false}}, 25, 7},
		{[]sortRefKey{{3, false, true}, {9, true, false}}, 1, 1499},
		{[]sortRefKey{{2, true, false}, {9, false, false}}, 5000, 0},
		{[]sortRefKey{{9, false, false}}, 0, 0},
		{[]sortRefKey{{9, false, false}}, 3, 4000},
		{[]sortRefKey{{5, false, false}, {9, false, false}}, 1300, 100},
	} {
		t.Run(fmt.Sprintf("%v/%d/%d", tc.keys, tc.limit, tc.offset), func(t *testing.T) {
			want := sortRef(rows, tc.keys)
			lo := min(int(tc.offset), len(want))
			hi := min(lo+int(tc.limit), len(want))
			node := &plan.TopN{Base: plan.Base{Out: sortSchema, Rows: -1}, Input: in, Keys: sortKeysOf(tc.keys),
				Limit: tc.limit, Offset: tc.offset}
			exectest.Check(t, node, want[lo:hi], true)
		})
	}
}

// TestTopNCompaction feeds each slice more rows than the local
// compaction threshold, so the per-slice top-K pruning runs repeatedly.
func TestTopNCompaction(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	sch := exectest.Schema("k", types.Int64, "id", types.Int64)
	var rows [][]any
	for i := 0; i < 12000; i++ {
		var k any = int64(rng.Intn(5000))
		if i%97 == 0 {
			k = nil
		}
		rows = append(rows, []any{k, int64(i)})
	}
	in := exectest.Scan(exectest.Table("t", sch, rows))
	keys := []plan.SortKey{{Expr: exectest.Col(0, types.Int64), Desc: true, NullsFirst: true}, {Expr: exectest.Col(1, types.Int64)}}
	want := sortRef(rows, []sortRefKey{{0, true, true}, {1, false, false}})
	for _, tc := range [][2]int64{{7, 0}, {20, 30}, {1000, 5000}} {
		node := &plan.TopN{Base: plan.Base{Out: sch, Rows: -1}, Input: in, Keys: keys, Limit: tc[0], Offset: tc[1]}
		for _, sl := range []int{1, 4} {
			got := exectest.Run(t, node, sl, 256)
			if msg := exectest.Diff(got, want[tc[1]:tc[1]+tc[0]], true); msg != "" {
				t.Fatalf("limit=%d offset=%d slices=%d: %s", tc[0], tc[1], sl, msg)
			}
		}
	}
}

func TestSortMemoryLimit(t *testing.T) {
	var rows [][]any
	for i := 0; i < 20000; i++ {
		rows = append(rows, []any{int64(i)})
	}
	sch := exectest.Schema("k", types.Int64)
	in := exectest.Scan(exectest.Table("t", sch, rows))
	k := []plan.SortKey{{Expr: exectest.Col(0, types.Int64), Desc: true}}
	node := &plan.Sort{Base: plan.Base{Out: sch, Rows: -1}, Input: in, Keys: k}
	for _, sl := range []int{1, 4} {
		// The scan holds 160 KB; the sort's concatenation doubles it.
		_, err := exectest.RunErr(node, sl, 1024, 250<<10)
		var me *exec.MemoryError
		if !errors.As(err, &me) || me.Op != "Sort" {
			t.Fatalf("slices=%d: want Sort memory error, got %v", sl, err)
		}
	}
	_ = arrow.PrimitiveTypes.Int64
}

// BenchmarkSort sorts 1M rows by a random int64 key; reports ns per row.
func BenchmarkSort(b *testing.B) {
	for _, slices := range []int{1, 2} {
		b.Run(fmt.Sprintf("slices=%d", slices), func(b *testing.B) {
			mem := memory.NewGoAllocator()
			src := joinBenchInts(mem, 1_000_000, 1<<30, 3)
			node := &plan.Sort{Base: plan.Base{Out: src.Schema(), Rows: -1}, Input: src,
				Keys: []plan.SortKey{{Expr: exectest.Col(0, types.Int64)}}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sortBenchDrain(b, node, slices)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1e6, "ns/row")
		})
	}
}

func sortBenchDrain(b *testing.B, node plan.Node, slices int) int {
	qc := exec.NewQueryCtx(slices, 1024, nil, memory.NewGoAllocator())
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
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return rows
}

// TestSortWindowCancel cancels Sort, TopN and Window queries (4 slices)
// while they consume their input: Close must return promptly, no leaks.
func TestSortWindowCancel(t *testing.T) {
	var rows [][]any
	for i := 0; i < 100000; i++ {
		rows = append(rows, []any{int64(i % 777), int64(i)})
	}
	sch := exectest.Schema("k", types.Int64, "id", types.Int64)
	in := exectest.Scan(exectest.Table("t", sch, rows))
	keys := []plan.SortKey{{Expr: exectest.Col(0, types.Int64)}}
	wf := plan.WindowFunc{Fn: "row_number", PartitionBy: []expr.Expr{exectest.Col(0, types.Int64)}, OrderBy: keys, T: types.Int64}
	nodes := []plan.Node{
		&plan.Sort{Base: plan.Base{Out: sch, Rows: -1}, Input: in, Keys: keys},
		&plan.TopN{Base: plan.Base{Out: sch, Rows: -1}, Input: in, Keys: keys, Limit: 10},
		&plan.Window{Base: plan.Base{Out: winOutSchemaOf(sch, types.Int64), Rows: -1}, Input: in, Funcs: []plan.WindowFunc{wf}},
	}
	for _, node := range nodes {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		qc := exec.NewQueryCtx(4, 64, nil, mem)
		ctx, cancel := context.WithCancel(context.Background())
		s, err := exec.Run(ctx, qc, node)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		cancel()
		start := time.Now()
		s.Close()
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s: close after cancel took %v", node.Describe(), d)
		}
		if n := mem.CurrentAlloc(); n != 0 {
			t.Errorf("%s: %d bytes leaked", node.Describe(), n)
		}
	}
}

func winOutSchemaOf(in *arrow.Schema, t arrow.DataType) *arrow.Schema {
	return arrow.NewSchema(append(append([]arrow.Field(nil), in.Fields()...), arrow.Field{Name: "w", Type: t, Nullable: true}), nil)
}
