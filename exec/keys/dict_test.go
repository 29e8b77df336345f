package keys

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestEncodeDict checks that a dictionary-encoded string column (NULL
// rows included) encodes exactly as the plain column of its values, with
// and without a selection, next to another key column.
func TestEncodeDict(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	db := array.NewStringBuilder(mem)
	db.AppendValues([]string{"zz", "", "MAIL"}, nil)
	dict := db.NewArray()
	db.Release()
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{2, 0, 1, 0, 2, 1}, []bool{true, true, false, true, true, true})
	ix := ib.NewArray()
	ib.Release()
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	d := array.NewDictionaryArray(dt, ix, dict)
	ix.Release()
	dict.Release()
	defer d.Release()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"MAIL", "zz", "", "zz", "MAIL", ""}, []bool{true, true, false, true, true, true})
	plain := sb.NewArray()
	sb.Release()
	defer plain.Release()
	nb := array.NewInt64Builder(mem)
	nb.AppendValues([]int64{1, 2, 3, 4, 5, 6}, nil)
	other := nb.NewArray()
	nb.Release()
	defer other.Release()
	for _, sel := range [][]int32{nil, {0, 2, 5}} {
		var kd, kp Keys
		Encode([]arrow.Array{other, d}, sel, 6, &kd)
		Encode([]arrow.Array{other, plain}, sel, 6, &kp)
		if kd.N != kp.N {
			t.Fatalf("N %d vs %d", kd.N, kp.N)
		}
		for i := 0; i < kd.N; i++ {
			if !bytes.Equal(kd.Key(i), kp.Key(i)) || kd.Hash[i] != kp.Hash[i] || kd.AnyNull[i] != kp.AnyNull[i] {
				t.Fatalf("sel %v row %d: dictionary key %x, plain key %x", sel, i, kd.Key(i), kp.Key(i))
			}
		}
	}
}
