// Package vec holds the executor's batch type and the low-level helpers
// every kernel and operator uses: typed views of Arrow buffers, output
// arrays allocated from a memory.Allocator, and gathers by selection.
package vec

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// DefaultBatchSize is the number of rows operators aim for per batch.
const DefaultBatchSize = 1024

// Batch is a set of equal-length columns plus an optional selection
// vector. When Sel is nil all Len rows are live; otherwise only the
// physical rows listed in Sel (strictly increasing) are.
//
// Ownership: whoever receives a Batch from Operator.Next owns it and must
// Release it (or hand it on). To keep a column past that, Retain it.
type Batch struct {
	Cols []arrow.Array
	Len  int
	Sel  []int32
}

// New returns a batch over cols (which it takes ownership of).
func New(cols []arrow.Array, n int) *Batch { return &Batch{Cols: cols, Len: n} }

// NumRows is the number of live rows.
func (b *Batch) NumRows() int {
	if b.Sel != nil {
		return len(b.Sel)
	}
	return b.Len
}

// Release releases the columns.
func (b *Batch) Release() {
	if b == nil {
		return
	}
	for _, c := range b.Cols {
		if c != nil {
			c.Release()
		}
	}
	b.Cols = nil
}

// Compact returns the live rows as dense arrays (Sel applied). The
// batch keeps its own columns; the caller owns the result.
func (b *Batch) Compact(mem memory.Allocator) []arrow.Array {
	out := make([]arrow.Array, len(b.Cols))
	for i, c := range b.Cols {
		if b.Sel == nil {
			c.Retain()
			out[i] = c
		} else {
			out[i] = Take(mem, c, b.Sel)
		}
	}
	return out
}

// Record converts the batch to an arrow.RecordBatch with the given schema
// (compacting the selection) and releases the batch.
func (b *Batch) Record(mem memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	cols := b.Compact(mem)
	n := b.NumRows()
	b.Release()
	rec := array.NewRecordBatch(schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// FromRecord wraps a record's columns in a batch (retaining them) and
// releases the record.
func FromRecord(rec arrow.RecordBatch) *Batch {
	cols := make([]arrow.Array, rec.NumCols())
	for i := range cols {
		cols[i] = rec.Column(i)
		cols[i].Retain()
	}
	b := New(cols, int(rec.NumRows()))
	rec.Release()
	return b
}

// Fixed is the set of Go types stored in fixed-width Arrow buffers.
type Fixed interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// Values returns the typed values of a fixed-width array (int, float,
// decimal64, date32, timestamp) without copying. The array's offset is
// applied.
func Values[T Fixed](a arrow.Array) []T {
	d := a.Data()
	buf := d.Buffers()[1]
	if buf == nil || a.Len() == 0 {
		return nil
	}
	var zero T
	sz := int(unsafe.Sizeof(zero))
	bs := buf.Bytes()
	all := unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(bs))), len(bs)/sz)
	return all[d.Offset() : d.Offset()+d.Len()]
}

// Bytes16 is the raw representation of a 16-byte value (decimal128).
type Bytes16 struct{ Lo, Hi uint64 }

// Values16 returns the values of a decimal128 array as raw 16-byte pairs
// (little-endian: Lo then Hi, as decimal128.Num lays them out).
func Values16(a arrow.Array) []Bytes16 {
	d := a.Data()
	buf := d.Buffers()[1]
	if buf == nil || a.Len() == 0 {
		return nil
	}
	bs := buf.Bytes()
	all := unsafe.Slice((*Bytes16)(unsafe.Pointer(unsafe.SliceData(bs))), len(bs)/16)
	return all[d.Offset() : d.Offset()+d.Len()]
}

// Builder is an output array under construction: Values holds n slots to
// fill and Valid (nil until SetNull is first called) tracks nulls.
type Builder[T Fixed] struct {
	mem    memory.Allocator
	dt     arrow.DataType
	data   *memory.Buffer
	valid  *memory.Buffer
	Values []T
	nulls  int
}

// NewBuilder allocates a fixed-width array of n values of type dt from mem.
// T must match dt's physical width.
func NewBuilder[T Fixed](mem memory.Allocator, dt arrow.DataType, n int) *Builder[T] {
	var zero T
	sz := int(unsafe.Sizeof(zero))
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * sz)
	b := &Builder[T]{mem: mem, dt: dt, data: buf}
	if n > 0 {
		b.Values = unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
	}
	return b
}

// SetNull marks slot i NULL.
func (b *Builder[T]) SetNull(i int) {
	if b.valid == nil {
		b.valid = NewValidity(b.mem, len(b.Values))
	}
	bitutil.ClearBit(b.valid.Bytes(), i)
	b.nulls++
}

// SetValidity installs a ready validity bitmap (ownership passes to the
// builder) with the given null count.
func (b *Builder[T]) SetValidity(valid *memory.Buffer, nulls int) {
	if b.valid != nil {
		b.valid.Release()
	}
	b.valid, b.nulls = valid, nulls
	if nulls == 0 && valid != nil {
		valid.Release()
		b.valid = nil
	}
}

// Finish returns the array; the builder must not be used afterwards.
func (b *Builder[T]) Finish() arrow.Array {
	d := array.NewData(b.dt, len(b.Values), []*memory.Buffer{b.valid, b.data}, nil, b.nulls, 0)
	b.data.Release()
	if b.valid != nil {
		b.valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

// NewValidity allocates an all-valid bitmap for n rows.
func NewValidity(mem memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	nb := int(bitutil.BytesForBits(int64(n)))
	buf.Resize(nb)
	bs := buf.Bytes()
	for i := range bs {
		bs[i] = 0xff
	}
	return buf
}

// FixedArray builds an array of dt from a filled values slice and optional
// validity (nil = all valid), copying the values into mem.
func FixedArray[T Fixed](mem memory.Allocator, dt arrow.DataType, vals []T, valid []bool) arrow.Array {
	b := NewBuilder[T](mem, dt, len(vals))
	copy(b.Values, vals)
	for i, ok := range valid {
		if !ok {
			b.SetNull(i)
		}
	}
	return b.Finish()
}

// IsValid reports whether row i of a is not NULL (fast when a has no nulls).
func IsValid(a arrow.Array, i int) bool {
	return a.NullN() == 0 || a.IsValid(i)
}

// Concat concatenates arrays of one type into a new array.
func Concat(mem memory.Allocator, parts []arrow.Array) (arrow.Array, error) {
	if len(parts) == 1 {
		parts[0].Retain()
		return parts[0], nil
	}
	return array.Concatenate(parts, mem)
}
