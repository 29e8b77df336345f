package eval

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// mkDict builds a dictionary<int32, utf8> array of the values (nil =
// NULL row) over dictionary dict.
func mkDict(mem memory.Allocator, dict []string, rows []*int32) arrow.Array {
	db := array.NewStringBuilder(mem)
	db.AppendValues(dict, nil)
	d := db.NewArray()
	db.Release()
	ib := array.NewInt32Builder(mem)
	for _, r := range rows {
		if r == nil {
			ib.AppendNull()
		} else {
			ib.Append(*r)
		}
	}
	ix := ib.NewArray()
	ib.Release()
	out := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, ix, d)
	ix.Release()
	d.Release()
	return out
}

// decodeDict is the plain String array a dictionary array stands for.
func decodeDict(mem memory.Allocator, a arrow.Array) arrow.Array {
	d := a.(*array.Dictionary)
	vals := d.Dictionary().(*array.String)
	b := array.NewStringBuilder(mem)
	for i := 0; i < d.Len(); i++ {
		if d.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(vals.Value(d.GetValueIndex(i)))
		}
	}
	out := b.NewArray()
	b.Release()
	return out
}

// TestDictPredicates checks that the dictionary predicates select (and
// evaluate) exactly as the plain kernels over the decoded column, with
// and without a selection, NULL rows and a second column.
func TestDictPredicates(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	s, b := types0()
	c := col(1, s)
	preds := []expr.Expr{
		call("=", b, c, lit("MAIL", s)),
		call("<>", b, c, lit("MAIL", s)),
		call("=", b, lit("SHIP", s), c),
		call("<", b, c, lit("MAIL", s)),
		call("=", b, c, null(s)),
		call("<=>", b, c, null(s)),
		&expr.InList{E: c, List: []expr.Expr{lit("MAIL", s), lit("SHIP", s)}},
		&expr.InList{E: c, List: []expr.Expr{lit("MAIL", s), lit("SHIP", s)}, Negated: true},
		&expr.InList{E: c, List: []expr.Expr{lit("MAIL", s), null(s)}, Negated: true},
		call("like", b, c, lit("%AI%", s)),
		call("not_like", b, c, lit("R_%", s)),
		call("is_null", b, c),
		call("is_not_null", b, c),
		call("not", b, call("=", b, c, lit("AIR", s))),
		call("or", b, call("=", b, c, lit("AIR", s)), call("is_null", b, c)),
		call("and", b, call("=", b, c, lit("AIR", s)), call("=", b, col(0, s), lit("x", s))),
	}
	dict := []string{"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK", ""}
	var rows []*int32
	var other []string
	for i := 0; i < 300; i++ {
		if i%7 == 3 {
			rows = append(rows, nil)
		} else {
			x := int32((i*5 + i/4) % len(dict))
			rows = append(rows, &x)
		}
		other = append(other, []string{"x", "y"}[i%2])
	}
	ob := array.NewStringBuilder(mem)
	ob.AppendValues(other, nil)
	oa := ob.NewArray()
	ob.Release()
	defer oa.Release()
	for _, withNulls := range []bool{true, false} {
		rs := rows
		if !withNulls {
			rs = slices.DeleteFunc(slices.Clone(rows), func(p *int32) bool { return p == nil })
		}
		da := mkDict(mem, dict, rs)
		pa := decodeDict(mem, da)
		o := array.NewSlice(oa, 0, int64(len(rs)))
		var sel []int32
		for i := 0; i < len(rs); i += 3 {
			sel = append(sel, int32(i))
		}
		for _, sl := range [][]int32{nil, sel} {
			for _, p := range preds {
				name := fmt.Sprintf("nulls=%v/sel=%v/%s", withNulls, sl != nil, p)
				pred, err := CompilePredicate(p, &Env{Mem: mem})
				if err != nil {
					t.Fatal(err)
				}
				db := &vec.Batch{Cols: []arrow.Array{o, da}, Len: len(rs), Sel: sl}
				pb := &vec.Batch{Cols: []arrow.Array{o, pa}, Len: len(rs), Sel: sl}
				for rep := 0; rep < 2; rep++ { // second time: from the cache
					got, err := pred.Select(ctx, db, nil)
					if err != nil {
						t.Fatal(name, err)
					}
					want, err := pred.Select(ctx, pb, nil)
					if err != nil {
						t.Fatal(name, err)
					}
					if !slices.Equal(got, want) {
						t.Fatalf("%s: Select got %v, want %v", name, got, want)
					}
				}
				ev, err := Compile(p, &Env{Mem: mem})
				if err != nil {
					t.Fatal(err)
				}
				ga, err := ev.Eval(ctx, db)
				if err != nil {
					t.Fatal(name, err)
				}
				wa, err := ev.Eval(ctx, pb)
				if err != nil {
					t.Fatal(name, err)
				}
				if !array.Equal(ga, wa) {
					t.Fatalf("%s: Eval got %v, want %v", name, ga, wa)
				}
				ga.Release()
				wa.Release()
			}
		}
		o.Release()
		da.Release()
		pa.Release()
	}
}

func types0() (arrow.DataType, arrow.DataType) {
	return arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean
}

// BenchmarkDictFilter compares an IN filter over a plain and a
// dictionary-encoded column of 8192 rows.
func BenchmarkDictFilter(b *testing.B) {
	mem := memory.NewGoAllocator()
	s, bt := types0()
	dict := []string{"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"}
	var rows []*int32
	for i := 0; i < 8192; i++ {
		x := int32((i*5 + i/4) % len(dict))
		rows = append(rows, &x)
	}
	da := mkDict(mem, dict, rows)
	pa := decodeDict(mem, da)
	for _, tc := range []struct {
		name string
		p    expr.Expr
	}{
		{"in", &expr.InList{E: col(0, s), List: []expr.Expr{lit("MAIL", s), lit("SHIP", s)}}},
		{"eq", call("=", bt, col(0, s), lit("REG AIR", s))},
		{"like", call("like", bt, col(0, s), lit("%AI%", s))},
	} {
		pred, err := CompilePredicate(tc.p, &Env{Mem: mem})
		if err != nil {
			b.Fatal(err)
		}
		for _, mode := range []string{"plain", "dict"} {
			a := pa
			if mode == "dict" {
				a = da
			}
			bt := &vec.Batch{Cols: []arrow.Array{a}, Len: a.Len()}
			b.Run(tc.name+"/"+mode, func(b *testing.B) {
				var buf []int32
				for i := 0; i < b.N; i++ {
					buf, _ = pred.Select(context.Background(), bt, buf[:0])
				}
			})
		}
	}
}
