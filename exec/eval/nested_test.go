package eval

import (
	"context"
	"math/rand"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

var (
	nsStruct = arrow.StructOf(arrow.Field{Name: "a", Type: types.Int32, Nullable: true},
		arrow.Field{Name: "b", Type: types.String, Nullable: true})
	nsList    = arrow.ListOf(types.Int64)
	nsStrList = arrow.ListOf(types.String)
	nsMap     = arrow.MapOf(types.String, types.Int64)
	nsIntMap  = arrow.MapOf(types.Int32, types.String)
	nsDecList = arrow.ListOf(types.Decimal(5, 2))
)

// nestedBatch holds 5 rows: a NULL struct, an empty array, an array with
// a NULL element, a missing map key, NULL arrays and maps.
func nestedBatch(t testing.TB, mem memory.Allocator, withSel bool) *vec.Batch {
	t.Helper()
	mk := func(dt arrow.DataType, js string) arrow.Array {
		a, _, err := array.FromJSON(mem, dt, strings.NewReader(js))
		if err != nil {
			t.Fatalf("%s: %v", dt, err)
		}
		return a
	}
	cols := []arrow.Array{
		mk(nsStruct, `[{"a":1,"b":"x"}, null, {"a":null,"b":"z"}, {"a":4,"b":null}, {"a":5,"b":"w"}]`),
		mk(nsList, `[[1,2,3], [], [4,null,6], null, [7]]`),
		mk(nsStrList, `[["red","green"], ["blue"], null, [], ["a",null,"b"]]`),
		mk(nsMap, `[[{"key":"k","value":1},{"key":"k2","value":2}], [], [{"key":"k","value":null}], null, [{"key":"z","value":9}]]`),
		mk(nsIntMap, `[[{"key":1,"value":"one"}], [{"key":2,"value":"two"},{"key":1,"value":"uno"}], [], null, [{"key":3,"value":null}]]`),
		mk(nsDecList, `[["1.50","2.25"], [null], [], null, ["0.01"]]`),
		mk(types.Int64, `[2, 1, -1, 1, null]`),
		mk(types.String, `["k2", "k", "k", "k", null]`),
	}
	b := vec.New(cols, 5)
	if withSel {
		b.Sel = []int32{0, 2, 3, 4} // row 1 filtered out
	}
	return b
}

// jsonRows renders every row of a as JSON ("null" for NULL), joined by |.
func jsonRows(a arrow.Array) string {
	parts := make([]string, a.Len())
	for i := range parts {
		parts[i] = vec.JSONText(a, i)
	}
	return strings.Join(parts, "|")
}

// dropRow1 removes the second |-separated value (the row the selection
// filters out).
func dropRow1(s string) string {
	p := strings.Split(s, "|")
	return strings.Join(append(p[:1:1], p[2:]...), "|")
}

func TestNestedKernels(t *testing.T) {
	s, l, tags, m, im, dl := col(0, nsStruct), col(1, nsList), col(2, nsStrList), col(3, nsMap), col(4, nsIntMap), col(5, nsDecList)
	idx, key := col(6, types.Int64), col(7, types.String)
	cases := []struct {
		name string
		e    expr.Expr
		want string
	}{
		{"field a", call("struct_field", types.Int32, s, lit("a", types.String)), `1|null|null|4|5`},
		{"field b", call("struct_field", types.String, s, lit("b", types.String)), `"x"|null|"z"|null|"w"`},
		{"element_at 1", call("element_at", types.Int64, l, lit(int64(1), types.Int64)), `1|null|4|null|7`},
		{"element_at -1", call("element_at", types.Int64, l, lit(int64(-1), types.Int64)), `3|null|6|null|7`},
		{"element_at 2 null elem", call("element_at", types.Int64, l, lit(int64(2), types.Int64)), `2|null|null|null|null`},
		{"element_at 9", call("element_at", types.Int64, l, lit(int64(9), types.Int64)), `null|null|null|null|null`},
		{"element_at col idx", call("element_at", types.Int64, l, idx), `2|null|6|null|null`},
		{"element_at strings", call("element_at", types.String, tags, lit(int64(2), types.Int64)), `"green"|null|null|null|null`},
		{"element_at decimals", call("element_at", types.Decimal(5, 2), dl, lit(int64(1), types.Int64)), `1.50|null|null|null|0.01`},
		{"map lookup", call("element_at", types.Int64, m, lit("k", types.String)), `1|null|null|null|null`},
		{"map lookup k2", call("element_at", types.Int64, m, lit("k2", types.String)), `2|null|null|null|null`},
		{"map lookup col", call("element_at", types.Int64, m, key), `2|null|null|null|null`},
		{"int map lookup", call("element_at", types.String, im, lit(int64(1), types.Int32)), `"one"|"uno"|null|null|null`},
		{"cardinality list", call("cardinality", types.Int64, l), `3|0|3|null|1`},
		{"cardinality map", call("cardinality", types.Int64, m), `2|0|1|null|1`},
		{"contains 2", call("contains", types.Boolean, l, lit(int64(2), types.Int64)), `true|false|null|null|false`},
		{"contains 6", call("contains", types.Boolean, l, lit(int64(6), types.Int64)), `false|false|true|null|false`},
		{"contains col", call("contains", types.Boolean, l, idx), `true|false|null|null|null`},
		{"contains str", call("contains", types.Boolean, tags, lit("blue", types.String)), `false|true|null|false|null`},
		{"contains dec", call("contains", types.Boolean, dl, lit(int64(225), types.Decimal(5, 2))), `true|null|false|null|false`},
		{"array_join", call("array_join", types.String, l, lit(",", types.String)), `"1,2,3"|""|"4,6"|null|"7"`},
		{"array_join rep", call("array_join", types.String, l, lit("-", types.String), lit("N", types.String)), `"1-2-3"|""|"4-N-6"|null|"7"`},
		{"array_join str", call("array_join", types.String, tags, key), `"redk2green"|"blue"|null|""|null`},
		{"array_join dec", call("array_join", types.String, dl, lit(";", types.String)), `"1.50;2.25"|""|""|null|"0.01"`},
		{"map_keys", call("map_keys", arrow.ListOf(types.String), m), `["k","k2"]|[]|["k"]|null|["z"]`},
		{"map_values", call("map_values", arrow.ListOf(types.Int64), m), `[1,2]|[]|[null]|null|[9]`},
		{"to_json struct", call("to_json", types.String, s), `"{\"a\":1,\"b\":\"x\"}"|null|"{\"a\":null,\"b\":\"z\"}"|"{\"a\":4,\"b\":null}"|"{\"a\":5,\"b\":\"w\"}"`},
		{"cast list", cast(l, types.String), `"[1,2,3]"|"[]"|"[4,null,6]"|null|"[7]"`},
		{"null arg", call("cardinality", types.Int64, null(nsList)), `null|null|null|null|null`},
	}
	for _, withSel := range []bool{false, true} {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				mem := newMem(t)
				b := nestedBatch(t, mem, withSel)
				defer b.Release()
				ev, err := Compile(tc.e, &Env{Mem: mem})
				if err != nil {
					t.Fatalf("%s: %v", tc.e, err)
				}
				a, err := ev.Eval(context.Background(), b)
				if err != nil {
					t.Fatalf("%s: %v", tc.e, err)
				}
				defer a.Release()
				want := tc.want
				if withSel {
					want = dropRow1(want)
				}
				if !arrow.TypeEqual(a.DataType(), tc.e.Type()) {
					t.Errorf("%s: result type %s, want %s", tc.e, a.DataType(), tc.e.Type())
				}
				if got := jsonRows(a); got != want {
					t.Errorf("%s (sel=%v):\n got %s\nwant %s", tc.e, withSel, got, want)
				}
			})
		}
	}
}

func TestNestedKernelErrors(t *testing.T) {
	l, m := col(1, nsList), col(3, nsMap)
	cases := []struct {
		e    expr.Expr
		want string
	}{
		{call("element_at", types.Int64, l, lit(int64(0), types.Int64)), "SQL array indices start at 1"},
		{call("subscript", types.Int64, l, lit(int64(3), types.Int64)), "array subscript 3 out of bounds (the array has 0 elements)"},
		{call("subscript", types.Int64, l, lit(int64(-1), types.Int64)), "array subscript -1 out of bounds"},
		{call("subscript", types.Int64, m, lit("k2", types.String)), "key not present in map"},
	}
	for _, tc := range cases {
		mem := newMem(t)
		b := nestedBatch(t, mem, false)
		ev, err := Compile(tc.e, &Env{Mem: mem})
		if err != nil {
			t.Fatalf("%s: %v", tc.e, err)
		}
		a, err := ev.Eval(context.Background(), b)
		if err == nil {
			a.Release()
			t.Errorf("%s: no error, want %q", tc.e, tc.want)
		} else if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q, want %q", tc.e, err, tc.want)
		}
		b.Release()
	}
	// subscript within range works
	mem := newMem(t)
	b := nestedBatch(t, mem, true)
	defer b.Release()
	b.Sel = []int32{0, 2}
	if got := evalStrings(t, &Env{Mem: mem}, call("subscript", types.Int64, l, lit(int64(3), types.Int64)), b); got != "3|6" {
		t.Errorf("subscript: got %s", got)
	}
}

// benchLists builds benchRows arrays of 0..8 BIGINTs (10% NULL arrays).
func benchLists(b *testing.B, mem memory.Allocator) arrow.Array {
	r := rand.New(rand.NewSource(1))
	lb := array.NewListBuilder(mem, types.Int64)
	defer lb.Release()
	vb := lb.ValueBuilder().(*array.Int64Builder)
	for i := 0; i < benchRows; i++ {
		if r.Intn(10) == 0 {
			lb.AppendNull()
			continue
		}
		lb.Append(true)
		for k := r.Intn(9); k > 0; k-- {
			vb.Append(r.Int63n(1000))
		}
	}
	return lb.NewArray()
}

func benchMaps(b *testing.B, mem memory.Allocator) arrow.Array {
	r := rand.New(rand.NewSource(1))
	mb := array.NewMapBuilder(mem, types.String, types.Int64, false)
	defer mb.Release()
	kb, ib := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.Int64Builder)
	for i := 0; i < benchRows; i++ {
		mb.Append(true)
		for k := r.Intn(6); k > 0; k-- {
			kb.Append(benchWords[r.Intn(len(benchWords))])
			ib.Append(r.Int63n(1000))
		}
	}
	return mb.NewArray()
}

func BenchmarkNestedElementAt(b *testing.B) {
	mem := memory.NewGoAllocator()
	for _, withSel := range sels() {
		name := "dense"
		if withSel {
			name = "sel"
		}
		bt := vec.New([]arrow.Array{benchLists(b, mem)}, benchRows)
		if withSel {
			for i := 0; i < benchRows; i++ {
				if i%10 != 0 {
					bt.Sel = append(bt.Sel, int32(i))
				}
			}
		}
		b.Run("array/"+name, func(b *testing.B) {
			benchEval(b, call("element_at", types.Int64, col(0, nsList), lit(int64(2), types.Int64)), bt, mem)
		})
		bt.Release()
	}
	bt := vec.New([]arrow.Array{benchMaps(b, mem)}, benchRows)
	defer bt.Release()
	b.Run("map/dense", func(b *testing.B) {
		benchEval(b, call("element_at", types.Int64, col(0, nsMap), lit("blue", types.String)), bt, mem)
	})
}

func BenchmarkNestedCardinality(b *testing.B) {
	mem := memory.NewGoAllocator()
	bt := vec.New([]arrow.Array{benchLists(b, mem)}, benchRows)
	defer bt.Release()
	b.Run("array/dense", func(b *testing.B) {
		benchEval(b, call("cardinality", types.Int64, col(0, nsList)), bt, mem)
	})
}
