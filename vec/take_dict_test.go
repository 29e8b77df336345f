package vec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestTakeDict takes rows of a dictionary array (with NULL rows and
// negative positions): the indices are gathered and the dictionary is
// shared, not copied.
func TestTakeDict(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	db := array.NewStringBuilder(mem)
	db.AppendValues([]string{"a", "bb", "ccc"}, nil)
	dict := db.NewArray()
	db.Release()
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{2, 0, 0, 1, 2}, []bool{true, true, false, true, true})
	ix := ib.NewArray()
	ib.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	a := array.NewDictionaryArray(dt, ix, dict)
	ix.Release()
	dict.Release()
	defer a.Release()
	for _, sl := range []*array.Dictionary{a, array.NewSlice(a, 1, 5).(*array.Dictionary)} {
		got := Take(mem, sl, []int32{3, -1, 1, 0, 3})
		d := got.(*array.Dictionary)
		if d.Data().Dictionary() != a.Data().Dictionary() {
			t.Fatal("dictionary copied, want shared")
		}
		var want []string
		for _, p := range []int32{3, -1, 1, 0, 3} {
			if p < 0 || sl.IsNull(int(p)) {
				want = append(want, "NULL")
			} else {
				want = append(want, sl.Dictionary().(*array.String).Value(sl.GetValueIndex(int(p))))
			}
		}
		for i, w := range want {
			g := "NULL"
			if d.IsValid(i) {
				g = d.Dictionary().(*array.String).Value(d.GetValueIndex(i))
			}
			if g != w {
				t.Fatalf("row %d: got %q, want %q", i, g, w)
			}
		}
		got.Release()
		if sl != a {
			sl.Release()
		}
	}
}
