package parquet

import (
	"encoding/binary"
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/catalog/types"
)

// srcKind is the physical representation of the page values.
type srcKind uint8

const (
	sBool srcKind = iota
	sI32
	sU32
	sI64
	sU64
	sF32
	sF64
	sBytes
	sFixed
	sI96
)

// opKind is the conversion from page values to the output type, chosen
// once per column when a split is opened.
type opKind uint8

const (
	opBool        opKind = iota // BOOLEAN -> BOOLEAN
	opIntCast                   // integer -> integer/date of the same or wider width
	opDec64                     // integer or decimal -> Decimal64 (rescaled)
	opDec128                    // integer or decimal -> Decimal128 (rescaled)
	opFloat                     // integer, decimal or float -> FLOAT/DOUBLE
	opTs                        // INT64 timestamp or INT32 date -> TIMESTAMP(us)
	opI96                       // INT96 -> TIMESTAMP(us)
	opString                    // BYTE_ARRAY / FIXED -> VARCHAR
	opBytesDec64                // big-endian decimal bytes -> Decimal64
	opBytesDec128               // big-endian decimal bytes -> Decimal128
	opBytesFloat                // big-endian decimal bytes -> DOUBLE/FLOAT
)

// conv converts packed (non-NULL) page values into output slots.
type conv struct {
	src   srcKind
	op    opKind
	dt    arrow.DataType
	width int // output bytes per value (0 for strings and booleans)
	// integer rescaling: value*mul or round(value/div); 1 = none.
	mul, div int64
	// decimal scales for opDec128 / bytes decimals / floats.
	srcScale, dstScale int32
	dstPrec            int32
	floor              bool // opTs division rounds toward -inf
	uuid               bool // opString: format 16 bytes as a UUID
}

func srcKindOf(c *fileColumn) srcKind {
	switch c.phys {
	case format.Boolean:
		return sBool
	case format.Int32:
		if c.unsigned {
			return sU32
		}
		return sI32
	case format.Int64:
		if c.unsigned {
			return sU64
		}
		return sI64
	case format.Float:
		return sF32
	case format.Double:
		return sF64
	case format.ByteArray:
		return sBytes
	case format.FixedLenByteArray:
		return sFixed
	default:
		return sI96
	}
}

// srcBits is the number of bits a file integer column's values need.
func srcBits(c *fileColumn) int {
	if c.bits != 0 {
		if c.unsigned {
			return c.bits + 1
		}
		return c.bits
	}
	if c.phys == format.Int32 {
		return 32
	}
	return 64
}

func pow10(n int32) int64 {
	v := int64(1)
	for ; n > 0; n-- {
		v *= 10
	}
	return v
}

// planConv chooses how a file column is read as the table type dt.
func planConv(c *fileColumn, dt arrow.DataType) (*conv, error) {
	if c.nested {
		return nil, fmt.Errorf("nested (group, list or map) columns are not supported yet")
	}
	if c.logical == lUnsupported {
		return nil, fmt.Errorf("Parquet type %s is not supported", c.describe())
	}
	cv := &conv{src: srcKindOf(c), dt: dt, mul: 1, div: 1}
	bad := func() (*conv, error) {
		return nil, fmt.Errorf("file type %s cannot be read as %s", c.describe(), types.SQLName(dt))
	}
	isInt := (cv.src == sI32 || cv.src == sU32 || cv.src == sI64 || cv.src == sU64) &&
		(c.logical == lPlain || c.logical == lDecimal)
	var ss int32 // source scale
	if c.logical == lDecimal {
		ss = c.scale
	}
	isBytesDec := (cv.src == sBytes || cv.src == sFixed) && c.logical == lDecimal
	if isBytesDec && cv.src == sFixed && c.flbaLen > 16 {
		return nil, fmt.Errorf("DECIMAL stored in %d bytes is not supported (at most 16)", c.flbaLen)
	}
	switch dt.ID() {
	case arrow.BOOL:
		if cv.src != sBool {
			return bad()
		}
		cv.op = opBool
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		if !isInt || ss != 0 || cv.src == sU64 {
			return bad()
		}
		cv.width = dt.(arrow.FixedWidthDataType).BitWidth() / 8
		if srcBits(c) > cv.width*8 {
			return nil, fmt.Errorf("file type %s does not fit %s (narrowing is not allowed)", c.describe(), types.SQLName(dt))
		}
		cv.op = opIntCast
	case arrow.DATE32:
		if c.logical != lDate || cv.src != sI32 {
			return bad()
		}
		cv.width, cv.op = 4, opIntCast
	case arrow.TIMESTAMP:
		cv.width = 8
		switch {
		case c.logical == lTimestamp && cv.src == sI96:
			cv.op = opI96
		case c.logical == lTimestamp && cv.src == sI64:
			cv.op = opTs
			if c.tsUnit > 0 {
				cv.mul = c.tsUnit
			} else {
				cv.div, cv.floor = -c.tsUnit, true
			}
		case c.logical == lDate && cv.src == sI32:
			cv.op, cv.mul = opTs, 86400*1000000
		default:
			return bad()
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		cv.width = dt.(arrow.FixedWidthDataType).BitWidth() / 8
		switch {
		case cv.src == sF32 || (cv.src == sF64 && dt.ID() == arrow.FLOAT64):
			if c.logical != lPlain {
				return bad()
			}
			cv.op = opFloat
		case isInt:
			cv.op, cv.srcScale = opFloat, ss
		case isBytesDec:
			cv.op, cv.srcScale = opBytesFloat, ss
		default:
			return bad()
		}
	case arrow.DECIMAL64, arrow.DECIMAL128:
		p, s, _ := types.DecimalParams(dt)
		cv.srcScale, cv.dstScale, cv.dstPrec = ss, s, p
		if dt.ID() == arrow.DECIMAL64 {
			cv.width = 8
		} else {
			cv.width = 16
		}
		switch {
		case isInt && dt.ID() == arrow.DECIMAL64 && cv.src != sU64:
			cv.op = opDec64
			if s >= ss {
				if s-ss > 18 {
					return bad()
				}
				cv.mul = pow10(s - ss)
			} else {
				if ss-s > 18 {
					return bad()
				}
				cv.div = pow10(ss - s)
			}
		case isInt:
			cv.op = opDec128
		case isBytesDec && dt.ID() == arrow.DECIMAL64:
			cv.op = opBytesDec64
		case isBytesDec:
			cv.op = opBytesDec128
		default:
			return bad()
		}
	case arrow.STRING:
		if (cv.src != sBytes && cv.src != sFixed) || c.logical == lDecimal {
			return bad()
		}
		if c.logical == lUUID {
			if c.flbaLen != 16 {
				return bad()
			}
			cv.uuid = true
		}
		cv.op = opString
	default:
		return nil, fmt.Errorf("table type %s is not supported for Parquet", types.SQLName(dt))
	}
	return cv, nil
}

// count returns the number of packed values a page's data holds.
func (cv *conv) count(v encoding.Values) int {
	switch cv.src {
	case sBool:
		return -1 // booleans: not known from the bitmap alone
	case sI32, sU32:
		return len(v.Int32())
	case sI64, sU64:
		return len(v.Int64())
	case sF32:
		return len(v.Float())
	case sF64:
		return len(v.Double())
	case sBytes:
		_, offs := v.ByteArray()
		if len(offs) == 0 {
			return 0
		}
		return len(offs) - 1
	case sFixed:
		data, size := v.FixedLenByteArray()
		if size <= 0 {
			return 0
		}
		return len(data) / size
	default:
		return len(v.Int96())
	}
}

func view[T any](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(zero)))
}

type anyInt interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint32 | ~uint64
}

func castInts[S, D anyInt](dst []D, src []S) {
	_ = dst[len(src)-1]
	for i, v := range src {
		dst[i] = D(v)
	}
}

func castIntsTo[S anyInt](dst []byte, width int, src []S) {
	switch width {
	case 1:
		castInts(view[int8](dst), src)
	case 2:
		castInts(view[int16](dst), src)
	case 4:
		castInts(view[int32](dst), src)
	default:
		castInts(view[int64](dst), src)
	}
}

// mulInts writes src*mul, failing on int64 overflow.
func mulInts[S anyInt](dst []int64, src []S, mul int64) bool {
	lim := math.MaxInt64 / mul
	_ = dst[len(src)-1]
	ok := true
	for i, v := range src {
		x := int64(v)
		ok = ok && x <= lim && x >= -lim
		dst[i] = x * mul
	}
	return ok
}

// divInts writes src/div rounded half away from zero.
func divInts[S anyInt](dst []int64, src []S, div int64) {
	half := div / 2
	_ = dst[len(src)-1]
	for i, v := range src {
		x := int64(v)
		if x >= 0 {
			dst[i] = (x + half) / div
		} else {
			dst[i] = (x - half) / div
		}
	}
}

// floorDivInts writes floor(src/div).
func floorDivInts(dst []int64, src []int64, div int64) {
	_ = dst[len(src)-1]
	for i, x := range src {
		q := x / div
		if x%div < 0 {
			q--
		}
		dst[i] = q
	}
}

func intsToFloat[S anyInt, D float32 | float64](dst []D, src []S, scale float64) {
	_ = dst[len(src)-1]
	if scale == 1 {
		for i, v := range src {
			dst[i] = D(v)
		}
		return
	}
	for i, v := range src {
		dst[i] = D(float64(v) / scale)
	}
}

func floatsTo[S, D float32 | float64](dst []D, src []S) {
	_ = dst[len(src)-1]
	for i, v := range src {
		dst[i] = D(v)
	}
}

// toDec128 rescales one integer into a 128-bit decimal.
func (cv *conv) toDec128(n decimal128.Num) (decimal128.Num, bool) {
	if cv.dstScale > cv.srcScale {
		n = n.IncreaseScaleBy(cv.dstScale - cv.srcScale)
	} else if cv.dstScale < cv.srcScale {
		n = n.ReduceScaleBy(cv.srcScale-cv.dstScale, true)
	}
	return n, n.FitsInPrecision(cv.dstPrec)
}

func putDec128(dst []uint64, i int, n decimal128.Num) {
	dst[2*i] = n.LowBits()
	dst[2*i+1] = uint64(n.HighBits())
}

// beInt decodes a big-endian two's complement integer of up to 16 bytes.
func beInt(b []byte) (decimal128.Num, bool) {
	if len(b) == 0 {
		return decimal128.Num{}, true
	}
	if len(b) > 16 {
		// Accept redundant sign-extension bytes.
		ext := byte(0)
		if b[0]&0x80 != 0 {
			ext = 0xff
		}
		for _, x := range b[:len(b)-16] {
			if x != ext {
				return decimal128.Num{}, false
			}
		}
		b = b[len(b)-16:]
	}
	var buf [16]byte
	if b[0]&0x80 != 0 {
		for i := range buf {
			buf[i] = 0xff
		}
	}
	copy(buf[16-len(b):], b)
	hi := int64(binary.BigEndian.Uint64(buf[:8]))
	lo := binary.BigEndian.Uint64(buf[8:])
	return decimal128.New(hi, lo), true
}

// beInt64 decodes a big-endian integer of up to 8 bytes.
func beInt64(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	v := int64(int8(b[0]))
	for _, x := range b[1:] {
		v = v<<8 | int64(x)
	}
	return v
}

// int96Micros converts an INT96 (nanos of day, Julian day) to micros.
func int96Micros(v deprecated.Int96) int64 {
	nanos := int64(uint64(v[1])<<32 | uint64(v[0]))
	day := int64(v[2])
	return (day-2440588)*86400*1000000 + nanos/1000
}

var errOverflow = fmt.Errorf("value out of range for the column type")

// decode converts k packed values starting at from into dst (k*width bytes).
func (cv *conv) decode(dst []byte, v encoding.Values, from, k int) error {
	if k == 0 {
		return nil
	}
	switch cv.op {
	case opIntCast:
		switch cv.src {
		case sI32:
			src := v.Int32()[from : from+k]
			if cv.width == 4 {
				copy(view[int32](dst), src)
				return nil
			}
			castIntsTo(dst, cv.width, src)
		case sU32:
			castIntsTo(dst, cv.width, view[uint32](unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v.Int32()[from:from+k]))), 4*k)))
		case sI64:
			copy(view[int64](dst), v.Int64()[from:from+k])
		}
		return nil
	case opDec64:
		out := view[int64](dst)
		var ok = true
		switch cv.src {
		case sI32:
			src := v.Int32()[from : from+k]
			switch {
			case cv.div > 1:
				divInts(out, src, cv.div)
			case cv.mul > 1:
				ok = mulInts(out, src, cv.mul)
			default:
				castInts(out, src)
			}
		case sU32:
			src := view[uint32](unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v.Int32()[from:from+k]))), 4*k))
			switch {
			case cv.div > 1:
				divInts(out, src, cv.div)
			case cv.mul > 1:
				ok = mulInts(out, src, cv.mul)
			default:
				castInts(out, src)
			}
		case sI64:
			src := v.Int64()[from : from+k]
			switch {
			case cv.div > 1:
				divInts(out, src, cv.div)
			case cv.mul > 1:
				ok = mulInts(out, src, cv.mul)
			default:
				copy(out, src)
			}
		}
		if !ok {
			return errOverflow
		}
		return nil
	case opDec128:
		out := view[uint64](dst)
		for i := 0; i < k; i++ {
			var n decimal128.Num
			switch cv.src {
			case sI32:
				n = decimal128.FromI64(int64(v.Int32()[from+i]))
			case sU32:
				n = decimal128.FromU64(uint64(uint32(v.Int32()[from+i])))
			case sI64:
				n = decimal128.FromI64(v.Int64()[from+i])
			case sU64:
				n = decimal128.FromU64(uint64(v.Int64()[from+i]))
			}
			n, ok := cv.toDec128(n)
			if !ok {
				return errOverflow
			}
			putDec128(out, i, n)
		}
		return nil
	case opFloat:
		scale := float64(pow10(cv.srcScale))
		if cv.width == 4 {
			out := view[float32](dst)
			switch cv.src {
			case sF32:
				copy(out, v.Float()[from:from+k])
			case sI32:
				intsToFloat(out, v.Int32()[from:from+k], scale)
			case sU32:
				intsToFloat(out, view[uint32](unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v.Int32()[from:from+k]))), 4*k)), scale)
			case sI64:
				intsToFloat(out, v.Int64()[from:from+k], scale)
			case sU64:
				intsToFloat(out, view[uint64](unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v.Int64()[from:from+k]))), 8*k)), scale)
			}
			return nil
		}
		out := view[float64](dst)
		switch cv.src {
		case sF32:
			floatsTo(out, v.Float()[from:from+k])
		case sF64:
			copy(out, v.Double()[from:from+k])
		case sI32:
			intsToFloat(out, v.Int32()[from:from+k], scale)
		case sU32:
			intsToFloat(out, view[uint32](unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v.Int32()[from:from+k]))), 4*k)), scale)
		case sI64:
			intsToFloat(out, v.Int64()[from:from+k], scale)
		case sU64:
			intsToFloat(out, view[uint64](unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v.Int64()[from:from+k]))), 8*k)), scale)
		}
		return nil
	case opTs:
		out := view[int64](dst)
		if cv.src == sI32 { // date
			src := v.Int32()[from : from+k]
			for i, d := range src {
				out[i] = int64(d) * cv.mul
			}
			return nil
		}
		src := v.Int64()[from : from+k]
		switch {
		case cv.mul > 1:
			if !mulInts(out, src, cv.mul) {
				return errOverflow
			}
		case cv.div > 1:
			floorDivInts(out, src, cv.div)
		default:
			copy(out, src)
		}
		return nil
	case opI96:
		out := view[int64](dst)
		src := v.Int96()[from : from+k]
		for i, x := range src {
			out[i] = int96Micros(x)
		}
		return nil
	case opBytesDec64, opBytesDec128, opBytesFloat:
		return cv.decodeBytesDecimal(dst, v, from, k)
	}
	return fmt.Errorf("internal error: conversion %d has no fixed-width kernel", cv.op)
}

func (cv *conv) decodeBytesDecimal(dst []byte, v encoding.Values, from, k int) error {
	var data []byte
	var offs []uint32
	size := 0
	if cv.src == sBytes {
		data, offs = v.ByteArray()
	} else {
		data, size = v.FixedLenByteArray()
	}
	get := func(i int) []byte {
		if offs != nil {
			return data[offs[i]:offs[i+1]]
		}
		return data[i*size : (i+1)*size]
	}
	switch cv.op {
	case opBytesDec64:
		out := view[int64](dst)
		fast := cv.srcScale == cv.dstScale
		for i := 0; i < k; i++ {
			b := get(from + i)
			if fast && len(b) <= 8 {
				out[i] = beInt64(b)
				continue
			}
			n, ok := beInt(b)
			if !ok {
				return errOverflow
			}
			n, ok = cv.toDec128(n)
			if !ok || n.HighBits() != int64(n.LowBits())>>63 {
				return errOverflow
			}
			out[i] = int64(n.LowBits())
		}
	case opBytesDec128:
		out := view[uint64](dst)
		for i := 0; i < k; i++ {
			n, ok := beInt(get(from + i))
			if !ok {
				return errOverflow
			}
			if n, ok = cv.toDec128(n); !ok {
				return errOverflow
			}
			putDec128(out, i, n)
		}
	case opBytesFloat:
		for i := 0; i < k; i++ {
			n, ok := beInt(get(from + i))
			if !ok {
				return errOverflow
			}
			f := n.ToFloat64(cv.srcScale)
			if cv.width == 4 {
				view[float32](dst)[i] = float32(f)
			} else {
				view[float64](dst)[i] = f
			}
		}
	}
	return nil
}
