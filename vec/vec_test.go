package vec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestTakeNested(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	lb := array.NewListBuilder(mem, arrow.PrimitiveTypes.Int64)
	vb := lb.ValueBuilder().(*array.Int64Builder)
	lb.Append(true)
	vb.AppendValues([]int64{1, 2}, nil)
	lb.AppendNull()
	lb.Append(true)
	vb.Append(3)
	l := lb.NewArray()
	lb.Release()
	defer l.Release()
	got := Take(mem, l, []int32{2, -1, 0, 1})
	defer got.Release()
	want := []any{"[3]", nil, "[1,2]", nil}
	for i, w := range want {
		if v := Value(got, i); v != w {
			t.Errorf("row %d: got %v, want %v", i, v, w)
		}
	}
}

func TestTakeAndValuesRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, c := range []struct {
		dt   arrow.DataType
		vals []any
	}{
		{arrow.PrimitiveTypes.Int64, []any{int64(1), nil, int64(3)}},
		{arrow.BinaryTypes.String, []any{"a", nil, "ccc"}},
		{arrow.FixedWidthTypes.Boolean, []any{true, nil, false}},
		{arrow.FixedWidthTypes.Date32, []any{int32(1), nil, int32(3)}},
		{&arrow.Decimal64Type{Precision: 10, Scale: 2}, []any{int64(100), nil, int64(-5)}},
	} {
		a, err := FromValues(mem, c.dt, c.vals)
		if err != nil {
			t.Fatal(err)
		}
		got := Take(mem, a, []int32{2, 1, -1, 0})
		want := []any{c.vals[2], nil, nil, c.vals[0]}
		for i, w := range want {
			if v := Value(got, i); v != w {
				t.Errorf("%s row %d: got %v, want %v", c.dt, i, v, w)
			}
		}
		got.Release()
		a.Release()
	}
}

// recycler hands back the last freed buffer, like a pooling allocator.
type recycler struct{ last []byte }

func (r *recycler) Allocate(n int) []byte {
	if cap(r.last) >= n {
		b := r.last[:n]
		r.last = nil
		clear(b)
		return b
	}
	return make([]byte, n)
}
func (r *recycler) Reallocate(n int, b []byte) []byte {
	if cap(b) >= n {
		return b[:n]
	}
	nb := make([]byte, n)
	copy(nb, b)
	return nb
}
func (r *recycler) Free(b []byte) { r.last = b }

// Value's strings must survive the array's release: with a recycling
// allocator the buffer is reused at once (the bench harness once read
// corrupted TPC-H Q16 brands this way).
func TestValueStringOutlivesArray(t *testing.T) {
	mem := &recycler{}
	a, err := FromValues(mem, arrow.BinaryTypes.String, []any{"Brand#41", "Brand#12"})
	if err != nil {
		t.Fatal(err)
	}
	got := Value(a, 0)
	a.Release()
	b, _ := FromValues(mem, arrow.BinaryTypes.String, []any{"XXXXXXXXXXXXXXXX"})
	defer b.Release()
	if got != "Brand#41" {
		t.Fatalf("value changed after release: %q", got)
	}
}
