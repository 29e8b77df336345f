package keys

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/vec"
)

func TestEncodeDecodeRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tys := []arrow.DataType{types.Int64, types.String, types.Boolean, types.Decimal(30, 2), types.Date, types.Null, types.Int16}
	vals := [][]any{
		{int64(1), nil, int64(-5), int64(1)},
		{"a", "bb", nil, "a"},
		{true, false, nil, true},
		{decimal128.FromI64(100), nil, decimal128.FromI64(7), decimal128.FromI64(100)},
		{int32(10), int32(11), nil, int32(10)},
		{nil, nil, nil, nil},
		{int64(3), int64(4), nil, int64(3)},
	}
	cols := make([]arrow.Array, len(tys))
	for i, ty := range tys {
		a, err := vec.FromValues(mem, ty, vals[i])
		if err != nil {
			t.Fatal(err)
		}
		cols[i] = a
		defer a.Release()
	}
	for _, sel := range [][]int32{nil, {0, 2, 3}} {
		var k Keys
		Encode(cols, sel, 4, &k)
		rows := []int{0, 1, 2, 3}
		if sel != nil {
			rows = []int{0, 2, 3}
		}
		if k.N != len(rows) {
			t.Fatalf("N=%d", k.N)
		}
		ks := make([][]byte, k.N)
		for i := range ks {
			ks[i] = k.Key(i)
		}
		// rows 0 and 3 are equal
		if !bytes.Equal(k.Key(0), k.Key(len(rows)-1)) || k.Hash[0] != k.Hash[len(rows)-1] {
			t.Fatalf("equal rows encode differently")
		}
		if !k.AnyNull[0] {
			t.Fatalf("null column not flagged")
		}
		out := Decode(mem, tys, ks)
		for j, a := range out {
			for i, r := range rows {
				if got, want := vec.Value(a, i), vals[j][r]; got != want {
					t.Errorf("col %d row %d: got %v want %v", j, r, got, want)
				}
			}
			a.Release()
		}
	}
}
