// Package colbuf holds the output column buffers the file formats decode
// into: fixed-width values, booleans and strings, with a validity bitmap
// created on the first NULL. All Arrow memory comes from the scan's
// allocator.
package colbuf

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Validity is a lazily created validity bitmap for n rows.
type Validity struct {
	mem   memory.Allocator
	n     int
	buf   *memory.Buffer
	Nulls int
}

// Bits returns the bitmap, creating it all-valid on first use.
func (v *Validity) Bits() []byte {
	if v.buf == nil {
		v.buf = memory.NewResizableBuffer(v.mem)
		v.buf.Resize(int(bitutil.BytesForBits(int64(v.n))))
		bs := v.buf.Bytes()
		for i := range bs {
			bs[i] = 0xff
		}
	}
	return v.buf.Bytes()
}

// SetNull marks row i NULL.
func (v *Validity) SetNull(i int) {
	bitutil.ClearBit(v.Bits(), i)
	v.Nulls++
}

// take hands the bitmap over (nil when there are no NULLs).
func (v *Validity) take() *memory.Buffer {
	b := v.buf
	v.buf = nil
	if v.Nulls == 0 && b != nil {
		b.Release()
		return nil
	}
	return b
}

func (v *Validity) release() {
	if v.buf != nil {
		v.buf.Release()
		v.buf = nil
	}
}

// Fixed is a fixed-width column of n values.
type Fixed struct {
	Validity
	data  *memory.Buffer
	width int
}

// NewFixed allocates n slots of width bytes.
func NewFixed(mem memory.Allocator, width, n int) *Fixed {
	f := &Fixed{Validity: Validity{mem: mem, n: n}, width: width}
	f.data = memory.NewResizableBuffer(mem)
	f.data.Resize(n * width)
	return f
}

// Bytes is the raw value storage (n*width bytes).
func (f *Fixed) Bytes() []byte { return f.data.Bytes()[:f.n*f.width] }

// Width is the value width in bytes.
func (f *Fixed) Width() int { return f.width }

// Len is the number of slots.
func (f *Fixed) Len() int { return f.n }

// Finish returns the array of type dt; f must not be used afterwards.
func (f *Fixed) Finish(dt arrow.DataType) arrow.Array {
	valid := f.take()
	d := array.NewData(dt, f.n, []*memory.Buffer{valid, f.data}, nil, f.Nulls, 0)
	f.data.Release()
	f.data = nil
	if valid != nil {
		valid.Release()
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// Release frees the buffers of an unfinished column.
func (f *Fixed) Release() {
	if f.data != nil {
		f.data.Release()
		f.data = nil
	}
	f.release()
}

// View returns the storage of a Fixed as a typed slice.
func View[T any](f *Fixed) []T {
	bs := f.Bytes()
	if len(bs) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(bs))), len(bs)/int(unsafe.Sizeof(zero)))
}

// Bools is a boolean column of n values.
type Bools struct {
	Validity
	bits *memory.Buffer
}

// NewBools allocates n booleans (all false).
func NewBools(mem memory.Allocator, n int) *Bools {
	b := &Bools{Validity: Validity{mem: mem, n: n}}
	b.bits = memory.NewResizableBuffer(mem)
	b.bits.Resize(int(bitutil.BytesForBits(int64(n))))
	clear(b.bits.Bytes())
	return b
}

// Bits is the value bitmap.
func (b *Bools) Bits() []byte { return b.bits.Bytes() }

// Set sets row i to v.
func (b *Bools) Set(i int, v bool) { bitutil.SetBitTo(b.bits.Bytes(), i, v) }

// Finish returns the BOOLEAN array.
func (b *Bools) Finish() arrow.Array {
	valid := b.take()
	d := array.NewData(arrow.FixedWidthTypes.Boolean, b.n, []*memory.Buffer{valid, b.bits}, nil, b.Nulls, 0)
	b.bits.Release()
	b.bits = nil
	if valid != nil {
		valid.Release()
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// Release frees the buffers of an unfinished column.
func (b *Bools) Release() {
	if b.bits != nil {
		b.bits.Release()
		b.bits = nil
	}
	b.release()
}

// Strings is a VARCHAR column built by appending n values.
type Strings struct {
	Validity
	offs    *memory.Buffer
	data    *memory.Buffer
	off     []int32 // view of offs
	dataLen int
	rows    int
}

// NewStrings starts a column of n values with room for about dataHint bytes.
func NewStrings(mem memory.Allocator, n, dataHint int) *Strings {
	s := &Strings{Validity: Validity{mem: mem, n: n}}
	s.offs = memory.NewResizableBuffer(mem)
	s.offs.Resize((n + 1) * 4)
	s.off = unsafe.Slice((*int32)(unsafe.Pointer(unsafe.SliceData(s.offs.Bytes()))), n+1)
	s.off[0] = 0
	s.data = memory.NewResizableBuffer(mem)
	if dataHint < 64 {
		dataHint = 64
	}
	s.data.Reserve(dataHint)
	return s
}

// Rows is the number of values appended so far.
func (s *Strings) Rows() int { return s.rows }

// Reserve makes room for n more data bytes.
func (s *Strings) Reserve(n int) {
	need := s.dataLen + n
	if need > s.data.Cap() {
		c := s.data.Cap() * 2
		if c < need {
			c = need
		}
		s.data.Reserve(c)
	}
}

// Append adds a value.
func (s *Strings) Append(v []byte) {
	if s.dataLen+len(v) > s.data.Cap() {
		s.Reserve(len(v))
	}
	buf := s.data.Buf()
	copy(buf[s.dataLen:], v)
	s.dataLen += len(v)
	s.rows++
	s.off[s.rows] = int32(s.dataLen)
}

// AppendString adds a value.
func (s *Strings) AppendString(v string) {
	if s.dataLen+len(v) > s.data.Cap() {
		s.Reserve(len(v))
	}
	buf := s.data.Buf()
	copy(buf[s.dataLen:], v)
	s.dataLen += len(v)
	s.rows++
	s.off[s.rows] = int32(s.dataLen)
}

// AppendNull adds a NULL.
func (s *Strings) AppendNull() {
	s.SetNull(s.rows)
	s.rows++
	s.off[s.rows] = int32(s.dataLen)
}

// AppendEmpty adds an empty value.
func (s *Strings) AppendEmpty() {
	s.rows++
	s.off[s.rows] = int32(s.dataLen)
}

// Tail returns the raw data buffer and the current length, for bulk
// appends with AppendRaw (call Reserve first).
func (s *Strings) Tail() ([]byte, int) { return s.data.Buf(), s.dataLen }

// Commit records one value ending at data length end (after writing
// into Tail directly).
func (s *Strings) Commit(end int) {
	s.dataLen = end
	s.rows++
	s.off[s.rows] = int32(end)
}

// DataLen is the number of data bytes so far.
func (s *Strings) DataLen() int { return s.dataLen }

// Finish returns the VARCHAR array; all n values must have been appended.
func (s *Strings) Finish() arrow.Array {
	valid := s.take()
	s.data.Resize(s.dataLen)
	d := array.NewData(arrow.BinaryTypes.String, s.n, []*memory.Buffer{valid, s.offs, s.data}, nil, s.Nulls, 0)
	s.offs.Release()
	s.data.Release()
	s.offs, s.data = nil, nil
	if valid != nil {
		valid.Release()
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// Release frees the buffers of an unfinished column.
func (s *Strings) Release() {
	if s.offs != nil {
		s.offs.Release()
		s.data.Release()
		s.offs, s.data = nil, nil
	}
	s.release()
}

// AppendBulk appends the values data[offs[i]:offs[i+1]] for
// i in [0, len(offs)-1) with one copy (offs must be non-decreasing and
// within data; the caller checks).
func (s *Strings) AppendBulk(data []byte, offs []uint32) {
	k := len(offs) - 1
	if k <= 0 {
		return
	}
	lo, hi := offs[0], offs[k]
	s.Reserve(int(hi - lo))
	buf := s.data.Buf()
	copy(buf[s.dataLen:], data[lo:hi])
	base := int32(s.dataLen) - int32(lo)
	dst := s.off[s.rows+1 : s.rows+1+k]
	for i := range dst {
		dst[i] = base + int32(offs[i+1])
	}
	s.dataLen += int(hi - lo)
	s.rows += k
}

// Truncate shortens a column to its first n slots (n <= Len).
func (f *Fixed) Truncate(n int) {
	if n < f.n {
		f.n = n
		f.Validity.n = n
	}
}

// Truncate shortens a boolean column to its first n slots.
func (b *Bools) Truncate(n int) {
	if n < b.n {
		b.n = n
	}
}

// Truncate shortens a string column to the n values appended so far.
func (s *Strings) Truncate(n int) {
	if n < s.n {
		s.n = n
	}
}
