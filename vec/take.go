package vec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Take gathers rows idx of a into a new dense array. idx entries < 0
// produce NULL (used by outer joins). Supports every type tarn uses.
func Take(mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	switch a.DataType().ID() {
	case arrow.INT8, arrow.UINT8:
		return takeFixed[int8](mem, a, idx)
	case arrow.INT16, arrow.UINT16:
		return takeFixed[int16](mem, a, idx)
	case arrow.INT32, arrow.UINT32, arrow.DATE32, arrow.FLOAT32:
		return takeFixed[int32](mem, a, idx)
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.DECIMAL64, arrow.TIMESTAMP, arrow.DATE64, arrow.DURATION:
		return takeFixed[int64](mem, a, idx)
	case arrow.DECIMAL128:
		return take16(mem, a, idx)
	case arrow.BOOL:
		return takeBool(mem, a, idx)
	case arrow.STRING, arrow.BINARY:
		return takeString(mem, a, idx)
	case arrow.NULL:
		return array.NewNull(len(idx))
	case arrow.DICTIONARY:
		if d, ok := a.(*array.Dictionary); ok && d.Indices().DataType().ID() == arrow.INT32 {
			return takeDict(mem, d, idx)
		}
		return takeGeneric(mem, a, idx)
	case arrow.LIST, arrow.LARGE_LIST, arrow.MAP, arrow.STRUCT, arrow.FIXED_SIZE_LIST, arrow.LARGE_STRING, arrow.FIXED_SIZE_BINARY:
		return takeGeneric(mem, a, idx)
	}
	panic(fmt.Sprintf("vec.Take: unsupported type %s", a.DataType()))
}

func takeValidity(mem memory.Allocator, a arrow.Array, idx []int32) (*memory.Buffer, int) {
	hasNeg := false
	for _, i := range idx {
		if i < 0 {
			hasNeg = true
			break
		}
	}
	if a.NullN() == 0 && !hasNeg {
		return nil, 0
	}
	buf := NewValidity(mem, len(idx))
	bs := buf.Bytes()
	nulls := 0
	for j, i := range idx {
		if i < 0 || a.IsNull(int(i)) {
			bitutil.ClearBit(bs, j)
			nulls++
		}
	}
	if nulls == 0 {
		buf.Release()
		return nil, 0
	}
	return buf, nulls
}

func takeFixed[T Fixed](mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	src := Values[T](a)
	b := NewBuilder[T](mem, a.DataType(), len(idx))
	dst := b.Values
	for j, i := range idx {
		if i >= 0 {
			dst[j] = src[i]
		}
	}
	b.SetValidity(takeValidity(mem, a, idx))
	return b.Finish()
}

func take16(mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	src := Values16(a)
	b := NewBuilder[int64](mem, a.DataType(), 2*len(idx))
	dst := b.Values
	for j, i := range idx {
		if i >= 0 {
			dst[2*j] = int64(src[i].Lo)
			dst[2*j+1] = int64(src[i].Hi)
		}
	}
	valid, nulls := takeValidity(mem, a, idx)
	d := array.NewData(a.DataType(), len(idx), []*memory.Buffer{valid, b.data}, nil, nulls, 0)
	b.data.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

func takeBool(mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	src := a.(*array.Boolean)
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(len(idx)))))
	bs := buf.Bytes()
	for i := range bs {
		bs[i] = 0
	}
	for j, i := range idx {
		if i >= 0 && src.Value(int(i)) {
			bitutil.SetBit(bs, j)
		}
	}
	valid, nulls := takeValidity(mem, a, idx)
	d := array.NewData(a.DataType(), len(idx), []*memory.Buffer{valid, buf}, nil, nulls, 0)
	buf.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

func takeString(mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	offs, data := StringParts(a)
	total := 0
	for _, i := range idx {
		if i >= 0 {
			total += int(offs[i+1] - offs[i])
		}
	}
	ob := NewBuilder[int32](mem, arrow.PrimitiveTypes.Int32, len(idx)+1)
	dbuf := memory.NewResizableBuffer(mem)
	dbuf.Resize(total)
	dst := dbuf.Bytes()
	o := ob.Values
	pos := int32(0)
	o[0] = 0
	for j, i := range idx {
		if i >= 0 {
			pos += int32(copy(dst[pos:], data[offs[i]:offs[i+1]]))
		}
		o[j+1] = pos
	}
	valid, nulls := takeValidity(mem, a, idx)
	d := array.NewData(a.DataType(), len(idx), []*memory.Buffer{valid, ob.data, dbuf}, nil, nulls, 0)
	ob.data.Release()
	dbuf.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

// StringParts returns the offsets (len+1 entries, offset applied) and the
// data bytes of a string or binary array.
func StringParts(a arrow.Array) (offs []int32, data []byte) {
	d := a.Data()
	bufs := d.Buffers()
	if a.Len() == 0 {
		return []int32{0}, nil
	}
	all := arrow.Int32Traits.CastFromBytes(bufs[1].Bytes())
	offs = all[d.Offset() : d.Offset()+d.Len()+1]
	if bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return offs, data
}

// StringBuilder builds a string array from appended values.
type StringBuilder struct {
	mem   memory.Allocator
	offs  []int32
	data  []byte
	valid []bool
	nulls int
}

// NewStringBuilder starts a string array with room for n values.
func NewStringBuilder(mem memory.Allocator, n int) *StringBuilder {
	return &StringBuilder{mem: mem, offs: append(make([]int32, 0, n+1), 0)}
}

// Append adds a value.
func (s *StringBuilder) Append(v []byte) {
	s.data = append(s.data, v...)
	s.offs = append(s.offs, int32(len(s.data)))
	if s.valid != nil {
		s.valid = append(s.valid, true)
	}
}

// AppendString adds a value.
func (s *StringBuilder) AppendString(v string) {
	s.data = append(s.data, v...)
	s.offs = append(s.offs, int32(len(s.data)))
	if s.valid != nil {
		s.valid = append(s.valid, true)
	}
}

// AppendNull adds a NULL.
func (s *StringBuilder) AppendNull() {
	if s.valid == nil {
		s.valid = make([]bool, len(s.offs)-1, cap(s.offs))
		for i := range s.valid {
			s.valid[i] = true
		}
	}
	s.valid = append(s.valid, false)
	s.offs = append(s.offs, int32(len(s.data)))
	s.nulls++
}

// Len is the number of values appended.
func (s *StringBuilder) Len() int { return len(s.offs) - 1 }

// Finish returns the array (copied into the allocator's memory).
func (s *StringBuilder) Finish() arrow.Array {
	n := len(s.offs) - 1
	ob := NewBuilder[int32](s.mem, arrow.PrimitiveTypes.Int32, n+1)
	copy(ob.Values, s.offs)
	dbuf := memory.NewResizableBuffer(s.mem)
	dbuf.Resize(len(s.data))
	copy(dbuf.Bytes(), s.data)
	var valid *memory.Buffer
	if s.nulls > 0 {
		valid = NewValidity(s.mem, n)
		for i, ok := range s.valid {
			if !ok {
				bitutil.ClearBit(valid.Bytes(), i)
			}
		}
	}
	d := array.NewData(arrow.BinaryTypes.String, n, []*memory.Buffer{valid, ob.data, dbuf}, nil, s.nulls, 0)
	ob.data.Release()
	dbuf.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

// takeGeneric gathers nested and other rarely used types through arrow's
// compute Take (slower, but they only pass through the engine).
func takeGeneric(mem memory.Allocator, a arrow.Array, idx []int32) arrow.Array {
	ib := NewBuilder[int32](mem, arrow.PrimitiveTypes.Int32, len(idx))
	for j, i := range idx {
		if i < 0 {
			ib.SetNull(j)
		} else {
			ib.Values[j] = i
		}
	}
	ia := ib.Finish()
	defer ia.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.TakeArray(ctx, a, ia)
	if err != nil {
		panic(fmt.Sprintf("vec.Take: %s: %v", a.DataType(), err))
	}
	return out
}

// takeDict gathers the indices of an int32-indexed dictionary array; the
// result shares a's dictionary (same identity, so per-dictionary caches
// of the operators above keep working).
func takeDict(mem memory.Allocator, a *array.Dictionary, idx []int32) arrow.Array {
	src := Values[int32](a)
	b := NewBuilder[int32](mem, arrow.PrimitiveTypes.Int32, len(idx))
	dst := b.Values
	for j, i := range idx {
		if i >= 0 {
			dst[j] = src[i]
		}
	}
	b.SetValidity(takeValidity(mem, a, idx))
	ind := b.Finish()
	d := array.NewData(a.DataType(), len(idx), ind.Data().Buffers(), nil, ind.NullN(), 0)
	d.SetDictionary(a.Data().Dictionary())
	ind.Release()
	out := array.MakeFromData(d)
	d.Release()
	return out
}
