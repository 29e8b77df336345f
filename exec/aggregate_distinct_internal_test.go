package exec

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/vec"
)

// TestAggFixedDistinctSet drives the fixed distinct set directly for the
// types the memtable harness cannot build (unsigned integers) and
// checks split + mergePart against a map reference: two local sets
// (grouped and not), merged partition-wise, every pair fed exactly once
// and the fed columns round-tripping the values.
func TestAggFixedDistinctSet(t *testing.T) {
	cases := []struct {
		name string
		dt   arrow.DataType
		mk   func(mem memory.Allocator, vals []uint64, valid []bool) arrow.Array
	}{
		{"uint8", arrow.PrimitiveTypes.Uint8, func(mem memory.Allocator, v []uint64, ok []bool) arrow.Array {
			return vec.FixedArray(mem, arrow.PrimitiveTypes.Uint8, conv[uint8](v), ok)
		}},
		{"uint16", arrow.PrimitiveTypes.Uint16, func(mem memory.Allocator, v []uint64, ok []bool) arrow.Array {
			return vec.FixedArray(mem, arrow.PrimitiveTypes.Uint16, conv[uint16](v), ok)
		}},
		{"uint32", arrow.PrimitiveTypes.Uint32, func(mem memory.Allocator, v []uint64, ok []bool) arrow.Array {
			return vec.FixedArray(mem, arrow.PrimitiveTypes.Uint32, conv[uint32](v), ok)
		}},
		{"uint64", arrow.PrimitiveTypes.Uint64, func(mem memory.Allocator, v []uint64, ok []bool) arrow.Array {
			return vec.FixedArray(mem, arrow.PrimitiveTypes.Uint64, v, ok)
		}},
	}
	for _, tc := range cases {
		for _, oneGroup := range []bool{true, false} {
			name := tc.name + "/grouped"
			if oneGroup {
				name = tc.name + "/nogroup"
			}
			t.Run(name, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				const groups, parts = 5, 3
				ng := groups
				if oneGroup {
					ng = 1
				}
				// Group g's merge partition and its id in the final sets.
				groupPart := make([]int32, ng)
				for g := range groupPart {
					groupPart[g] = int32(g % parts)
				}
				want := map[[2]uint64]bool{}
				locals := make([]aggDistinct, 2)
				for l := range locals {
					locals[l] = newAggDistinct(tc.dt, oneGroup)
					for b := 0; b < 20; b++ {
						n := 300
						vals, valid := make([]uint64, n), make([]bool, n)
						gids := make([]int32, 0, n)
						sel := make([]int32, 0, n)
						for i := range vals {
							x := uint64(i*b*2654435761+l) % 700
							if x%5 == 0 {
								x = math.MaxUint64 - x // high values (wrap for narrow types)
							}
							vals[i], valid[i] = x, (i+b)%9 != 0
							if i%4 == 3 {
								continue // not selected
							}
							sel = append(sel, int32(i))
							g := int32(i % ng)
							gids = append(gids, g)
							if valid[i] {
								c := tc.mk(memory.DefaultAllocator, []uint64{x}, nil)
								bits := make([]uint64, 1)
								aggDistinctBits(c, nil, bits)
								c.Release()
								want[[2]uint64{uint64(g), bits[0]}] = true
							}
						}
						c := tc.mk(mem, vals, valid)
						locals[l].add(mem, gids, c, sel)
						c.Release()
					}
					locals[l].split(groupPart, parts)
					if locals[l].memBytes() <= 0 {
						t.Fatalf("memBytes = %d", locals[l].memBytes())
					}
				}
				got := map[[2]uint64]bool{}
				for q := 0; q < parts; q++ {
					final := newAggDistinct(tc.dt, oneGroup)
					// Final group id of local group g: g+100 if in q.
					gidMap := make([]int32, ng)
					for g := range gidMap {
						gidMap[g] = -1
						if groupPart[g] == int32(q) {
							gidMap[g] = int32(g + 100)
						}
					}
					for _, l := range locals {
						err := final.mergePart(mem, l, q, gidMap, tc.dt, func(gids []int32, col arrow.Array) error {
							if col.Len() != len(gids) || col.NullN() != 0 || !arrow.TypeEqual(col.DataType(), tc.dt) {
								t.Fatalf("fed column %s len %d nulls %d for %d groups", col.DataType(), col.Len(), col.NullN(), len(gids))
							}
							bits := make([]uint64, len(gids))
							aggDistinctBits(col, nil, bits)
							for i, g := range gids {
								k := [2]uint64{uint64(g - 100), bits[i]}
								if groupPart[g-100] != int32(q) {
									t.Fatalf("group %d fed in partition %d", g-100, q)
								}
								if got[k] {
									t.Fatalf("pair %v fed twice", k)
								}
								got[k] = true
							}
							return nil
						})
						if err != nil {
							t.Fatal(err)
						}
					}
				}
				if len(got) != len(want) {
					t.Fatalf("fed %d pairs, want %d", len(got), len(want))
				}
				for k := range want {
					if !got[k] {
						t.Fatalf("pair %v not fed", k)
					}
				}
			})
		}
	}
}

func conv[T uint8 | uint16 | uint32](v []uint64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// TestAggDistinctColumnBool round-trips booleans through the set's bits.
func TestAggDistinctColumnBool(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewBooleanBuilder(mem)
	b.AppendValues([]bool{true, false, true, true}, nil)
	c := b.NewArray()
	b.Release()
	defer c.Release()
	bits := make([]uint64, 3)
	aggDistinctBits(c, []int32{1, 2, 3}, bits)
	if bits[0] != 0 || bits[1] != 1 || bits[2] != 1 {
		t.Fatalf("bits %v", bits)
	}
	out := aggDistinctColumn(mem, arrow.FixedWidthTypes.Boolean, bits)
	defer out.Release()
	bo := out.(*array.Boolean)
	if bo.Len() != 3 || bo.Value(0) || !bo.Value(1) || !bo.Value(2) {
		t.Fatalf("column %v", bo)
	}
}
