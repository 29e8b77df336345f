package avro

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	havro "github.com/hamba/avro/v2"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

// A record is decoded by a list of field operations compiled once per
// file from the writer schema: each field is either skipped or decoded
// straight into its output column.

// op decodes (or skips, when c is nil) one value.
type op func(r *bin, c *textcol.Column, row int, scratch *[]byte)

func deref(s havro.Schema) havro.Schema {
	for s.Type() == havro.Ref {
		s = s.(*havro.RefSchema).Schema()
	}
	return s
}

// nonNull returns the branch of a [null, T] union (or s itself).
func nonNull(s havro.Schema) havro.Schema {
	s = deref(s)
	if u, ok := s.(*havro.UnionSchema); ok {
		var only havro.Schema
		for _, t := range u.Types() {
			if deref(t).Type() != havro.Null {
				if only != nil {
					return s // a general union
				}
				only = t
			}
		}
		if only != nil {
			return deref(only)
		}
	}
	return s
}

// arrowType is the natural tarn type of an Avro schema.
func arrowType(s havro.Schema) (arrow.DataType, error) {
	s = nonNull(s)
	if ls, ok := s.(havro.LogicalTypeSchema); ok && ls.Logical() != nil {
		switch l := ls.Logical(); l.Type() {
		case havro.Date:
			return types.Date, nil
		case havro.TimestampMillis, havro.TimestampMicros, havro.LocalTimestampMillis, havro.LocalTimestampMicros:
			return types.Timestamp, nil
		case havro.Decimal:
			d := l.(*havro.DecimalLogicalSchema)
			if d.Precision() < 1 || d.Precision() > types.MaxDecimalPrecision {
				return nil, fmt.Errorf("decimal(%d,%d) is out of range", d.Precision(), d.Scale())
			}
			return types.Decimal(int32(d.Precision()), int32(d.Scale())), nil
		}
	}
	switch s.Type() {
	case havro.Boolean:
		return types.Boolean, nil
	case havro.Int:
		return types.Int32, nil
	case havro.Long:
		return types.Int64, nil
	case havro.Float:
		return types.Float32, nil
	case havro.Double:
		return types.Float64, nil
	case havro.String, havro.Enum, havro.Bytes, havro.Fixed:
		return types.String, nil
	}
	return nil, fmt.Errorf("Avro type %s is not supported", s.Type())
}

// compile returns the operation that reads values of schema s into a
// column (c nil: the value is skipped).
func compile(s havro.Schema, c *textcol.Column) (op, error) {
	s = deref(s)
	if c == nil {
		return skipOp(s)
	}
	if u, ok := s.(*havro.UnionSchema); ok {
		branches := make([]op, len(u.Types()))
		for i, t := range u.Types() {
			if deref(t).Type() == havro.Null {
				branches[i] = func(r *bin, c *textcol.Column, row int, _ *[]byte) { c.SetNull(row) }
				continue
			}
			b, err := compile(t, c)
			if err != nil {
				return nil, err
			}
			branches[i] = b
		}
		return func(r *bin, c *textcol.Column, row int, sc *[]byte) {
			i := r.long()
			if r.err != nil {
				return
			}
			if i < 0 || i >= int64(len(branches)) {
				r.fail("union branch %d out of range", i)
				return
			}
			branches[i](r, c, row, sc)
		}, nil
	}
	bad := func(r *bin, what string) {
		r.fail("cannot read %s as %s", what, types.SQLName(c.DT))
	}
	if ls, ok := s.(havro.LogicalTypeSchema); ok && ls.Logical() != nil {
		switch l := ls.Logical(); l.Type() {
		case havro.Date:
			if c.Kind == textcol.Date {
				return func(r *bin, c *textcol.Column, row int, _ *[]byte) { c.SetRaw(row, r.long()) }, nil
			}
		case havro.TimestampMillis, havro.LocalTimestampMillis:
			if c.Kind == textcol.Timestamp {
				return func(r *bin, c *textcol.Column, row int, _ *[]byte) {
					v := r.long()
					if v > math.MaxInt64/1000 || v < math.MinInt64/1000 {
						r.fail("timestamp-millis %d out of range", v)
						return
					}
					c.SetRaw(row, v*1000)
				}, nil
			}
		case havro.TimestampMicros, havro.LocalTimestampMicros:
			if c.Kind == textcol.Timestamp {
				return func(r *bin, c *textcol.Column, row int, _ *[]byte) { c.SetRaw(row, r.long()) }, nil
			}
		case havro.Decimal:
			scale := int32(l.(*havro.DecimalLogicalSchema).Scale())
			size := -1
			if f, ok := s.(*havro.FixedSchema); ok {
				size = f.Size()
			}
			return decimalOp(scale, size, c)
		}
	}
	switch s.Type() {
	case havro.Boolean:
		return func(r *bin, c *textcol.Column, row int, _ *[]byte) {
			if !c.SetBool(row, r.byte1() != 0) {
				bad(r, "boolean")
			}
		}, nil
	case havro.Int, havro.Long:
		if c.Kind == textcol.String {
			return func(r *bin, c *textcol.Column, row int, sc *[]byte) {
				*sc = strconv.AppendInt((*sc)[:0], r.long(), 10)
				c.Set(row, *sc)
			}, nil
		}
		return func(r *bin, c *textcol.Column, row int, _ *[]byte) {
			if v := r.long(); r.err == nil && !c.SetInt64(row, v) {
				r.fail("value %d does not fit %s", v, types.SQLName(c.DT))
			}
		}, nil
	case havro.Float, havro.Double:
		width := 4
		if s.Type() == havro.Double {
			width = 8
		}
		return func(r *bin, c *textcol.Column, row int, sc *[]byte) {
			b := r.fixed(width)
			if r.err != nil {
				return
			}
			var f float64
			if width == 4 {
				f = float64(math.Float32frombits(le32(b)))
			} else {
				f = math.Float64frombits(le64(b))
			}
			if c.Kind == textcol.String {
				*sc = strconv.AppendFloat((*sc)[:0], f, 'g', -1, width*8)
				c.Set(row, *sc)
				return
			}
			if !c.SetFloat64(row, f) {
				bad(r, "a float")
			}
		}, nil
	case havro.String, havro.Bytes:
		return func(r *bin, c *textcol.Column, row int, _ *[]byte) {
			v := r.bytes()
			if r.err != nil {
				return
			}
			if c.IsBlankNull(v) {
				c.SetNull(row)
			} else if !c.Set(row, v) {
				r.fail("cannot parse %q as %s", v, types.SQLName(c.DT))
			}
		}, nil
	case havro.Fixed:
		n := s.(*havro.FixedSchema).Size()
		return func(r *bin, c *textcol.Column, row int, _ *[]byte) {
			v := r.fixed(n)
			if r.err == nil && !c.Set(row, v) {
				r.fail("cannot parse %q as %s", v, types.SQLName(c.DT))
			}
		}, nil
	case havro.Enum:
		syms := s.(*havro.EnumSchema).Symbols()
		return func(r *bin, c *textcol.Column, row int, _ *[]byte) {
			i := r.long()
			if r.err != nil {
				return
			}
			if i < 0 || i >= int64(len(syms)) {
				r.fail("enum index %d out of range", i)
				return
			}
			if !c.Set(row, []byte(syms[i])) {
				r.fail("cannot parse %q as %s", syms[i], types.SQLName(c.DT))
			}
		}, nil
	}
	return nil, fmt.Errorf("Avro type %s cannot be read as %s", s.Type(), types.SQLName(c.DT))
}

func decimalOp(scale int32, size int, c *textcol.Column) (op, error) {
	switch c.Kind {
	case textcol.Dec64, textcol.Dec128, textcol.Float32, textcol.Float64, textcol.String:
	default:
		return nil, fmt.Errorf("Avro decimal cannot be read as %s", types.SQLName(c.DT))
	}
	return func(r *bin, c *textcol.Column, row int, sc *[]byte) {
		var b []byte
		if size >= 0 {
			b = r.fixed(size)
		} else {
			b = r.bytes()
		}
		if r.err != nil {
			return
		}
		if len(b) > 16 {
			r.fail("decimal of %d bytes is too wide", len(b))
			return
		}
		n := beInt(b)
		switch c.Kind {
		case textcol.String:
			*sc = append((*sc)[:0], n.ToString(scale)...)
			c.Set(row, *sc)
		case textcol.Float32, textcol.Float64:
			c.SetFloat64(row, n.ToFloat64(scale))
		default:
			to := c.Scale()
			if to != scale {
				if to < scale {
					r.fail("decimal scale %d does not fit %s", scale, types.SQLName(c.DT))
					return
				}
				// n·10^up stays in 128 bits when n has at most 38-up
				// digits; SetDec128 checks the column's precision.
				up := to - scale
				if n != (decimal128.Num{}) && (up >= 38 || !n.FitsInPrecision(38-up)) {
					r.fail("decimal %s does not fit %s", n.ToString(scale), types.SQLName(c.DT))
					return
				}
				n = n.Mul(decimal128.GetScaleMultiplier(int(up)))
			}
			if !c.SetDec128(row, n) {
				r.fail("decimal %s does not fit %s", n.ToString(to), types.SQLName(c.DT))
			}
		}
	}, nil
}

// beInt reads a big-endian two's complement integer of up to 16 bytes.
func beInt(b []byte) decimal128.Num {
	var hi, lo uint64
	if len(b) > 0 && b[0]&0x80 != 0 {
		hi, lo = math.MaxUint64, math.MaxUint64
	}
	for _, x := range b {
		hi = hi<<8 | lo>>56
		lo = lo<<8 | uint64(x)
	}
	return decimal128.New(int64(hi), lo)
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}
func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }

// skipOp skips values of schema s.
func skipOp(s havro.Schema) (op, error) {
	s = deref(s)
	switch t := s.(type) {
	case *havro.UnionSchema:
		branches := make([]op, len(t.Types()))
		for i, b := range t.Types() {
			o, err := skipOp(b)
			if err != nil {
				return nil, err
			}
			branches[i] = o
		}
		return func(r *bin, c *textcol.Column, row int, sc *[]byte) {
			i := r.long()
			if r.err != nil {
				return
			}
			if i < 0 || i >= int64(len(branches)) {
				r.fail("union branch %d out of range", i)
				return
			}
			branches[i](r, nil, row, sc)
		}, nil
	case *havro.RecordSchema:
		fields := make([]op, len(t.Fields()))
		for i, f := range t.Fields() {
			o, err := skipOp(f.Type())
			if err != nil {
				return nil, err
			}
			fields[i] = o
		}
		return func(r *bin, c *textcol.Column, row int, sc *[]byte) {
			for _, f := range fields {
				if r.err != nil {
					return
				}
				f(r, nil, row, sc)
			}
		}, nil
	case *havro.ArraySchema:
		item, err := skipOp(t.Items())
		if err != nil {
			return nil, err
		}
		return blocksOp(func(r *bin, sc *[]byte) { item(r, nil, 0, sc) }), nil
	case *havro.MapSchema:
		val, err := skipOp(t.Values())
		if err != nil {
			return nil, err
		}
		return blocksOp(func(r *bin, sc *[]byte) { r.bytes(); val(r, nil, 0, sc) }), nil
	case *havro.FixedSchema:
		n := t.Size()
		return func(r *bin, _ *textcol.Column, _ int, _ *[]byte) { r.fixed(n) }, nil
	}
	switch s.Type() {
	case havro.Null:
		return func(*bin, *textcol.Column, int, *[]byte) {}, nil
	case havro.Boolean:
		return func(r *bin, _ *textcol.Column, _ int, _ *[]byte) { r.byte1() }, nil
	case havro.Int, havro.Long, havro.Enum:
		return func(r *bin, _ *textcol.Column, _ int, _ *[]byte) { r.long() }, nil
	case havro.Float:
		return func(r *bin, _ *textcol.Column, _ int, _ *[]byte) { r.fixed(4) }, nil
	case havro.Double:
		return func(r *bin, _ *textcol.Column, _ int, _ *[]byte) { r.fixed(8) }, nil
	case havro.String, havro.Bytes:
		return func(r *bin, _ *textcol.Column, _ int, _ *[]byte) { r.bytes() }, nil
	}
	return nil, fmt.Errorf("Avro type %s is not supported", s.Type())
}

// blocksOp skips an array or map: blocks of items ending with a zero
// count; a negative count is followed by the block's byte size.
func blocksOp(item func(r *bin, sc *[]byte)) op {
	return func(r *bin, _ *textcol.Column, _ int, sc *[]byte) {
		for r.err == nil {
			n := r.long()
			if n == 0 || r.err != nil {
				return
			}
			if n < 0 {
				n = -n
				size := r.long()
				if size >= 0 && r.err == nil {
					r.fixed(int(min(size, math.MaxInt32)))
					continue
				}
			}
			if n > int64(len(r.b)-r.p) {
				// Every item takes at least... nothing for null
				// items, but a block this large is corrupt.
				if n > int64(len(r.b)) {
					r.fail("block of %d items exceeds the data", n)
					return
				}
			}
			for i := int64(0); i < n && r.err == nil; i++ {
				item(r, sc)
			}
		}
	}
}
