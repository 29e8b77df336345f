// Package textcol builds typed Arrow columns from text values for the
// text formats (CSV, JSON, regex): allocation-free parsers and a column
// that parses a value straight into its typed buffer. The kind of a
// column is chosen once, when the scan is planned.
package textcol

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/format/internal/colbuf"
)

// Kind is the storage kind of a column.
type Kind uint8

const (
	String Kind = iota
	Bool
	Int
	Float32
	Float64
	Dec64
	Dec128
	Date
	Timestamp
)

// Column is one output column of a batch being built. Values are set
// in row order, exactly once per row (strings are appended).
type Column struct {
	Name  string
	DT    arrow.DataType
	Kind  Kind
	width int
	bits  int
	prec  int32
	scale int32
	fixed *colbuf.Fixed
	bools *colbuf.Bools
	strs  *colbuf.Strings
}

// Supported reports whether a type can be read from text.
func Supported(dt arrow.DataType) bool {
	_, err := New(arrow.Field{Name: "x", Type: dt})
	return err == nil
}

// New plans a column for a table field.
func New(f arrow.Field) (*Column, error) {
	c := &Column{Name: f.Name, DT: f.Type}
	switch f.Type.ID() {
	case arrow.STRING:
		c.Kind = String
	case arrow.BOOL:
		c.Kind = Bool
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		c.Kind = Int
		c.width = f.Type.(arrow.FixedWidthDataType).BitWidth() / 8
		c.bits = c.width * 8
	case arrow.FLOAT32:
		c.Kind, c.width = Float32, 4
	case arrow.FLOAT64:
		c.Kind, c.width = Float64, 8
	case arrow.DECIMAL64:
		c.Kind, c.width = Dec64, 8
		c.prec, c.scale, _ = types.DecimalParams(f.Type)
	case arrow.DECIMAL128:
		c.Kind, c.width = Dec128, 16
		c.prec, c.scale, _ = types.DecimalParams(f.Type)
	case arrow.DATE32:
		c.Kind, c.width = Date, 4
	case arrow.TIMESTAMP:
		c.Kind, c.width = Timestamp, 8
	default:
		return nil, fmt.Errorf("column %s: type %s is not supported", f.Name, types.SQLName(f.Type))
	}
	return c, nil
}

// Alloc starts a batch of n rows.
func (c *Column) Alloc(mem memory.Allocator, n int) {
	switch c.Kind {
	case String:
		c.strs = colbuf.NewStrings(mem, n, n*16)
	case Bool:
		c.bools = colbuf.NewBools(mem, n)
	default:
		c.fixed = colbuf.NewFixed(mem, c.width, n)
	}
}

// Release frees an unfinished batch.
func (c *Column) Release() {
	if c.strs != nil {
		c.strs.Release()
	}
	if c.bools != nil {
		c.bools.Release()
	}
	if c.fixed != nil {
		c.fixed.Release()
	}
	c.strs, c.bools, c.fixed = nil, nil, nil
}

// Finish returns the first rows values as an array; the column must be
// allocated again before the next batch.
func (c *Column) Finish(rows int) arrow.Array {
	var a arrow.Array
	switch c.Kind {
	case String:
		c.strs.Truncate(rows)
		a = c.strs.Finish()
	case Bool:
		c.bools.Truncate(rows)
		a = c.bools.Finish()
	default:
		c.fixed.Truncate(rows)
		a = c.fixed.Finish(c.DT)
	}
	c.strs, c.bools, c.fixed = nil, nil, nil
	return a
}

// SetNull makes row NULL.
func (c *Column) SetNull(row int) {
	switch c.Kind {
	case String:
		c.strs.AppendNull()
	case Bool:
		c.bools.SetNull(row)
	default:
		c.fixed.SetNull(row)
		clear(c.fixed.Bytes()[row*c.width : (row+1)*c.width])
	}
}

// IsBlankNull reports whether v is an empty (or blank) value, which is
// NULL for every type but VARCHAR.
func (c *Column) IsBlankNull(v []byte) bool {
	return c.Kind != String && len(TrimSpace(v)) == 0
}

// Set parses v into row; false when v is not a value of the column's
// type (the row is then left unset: call SetNull or fail).
func (c *Column) Set(row int, v []byte) bool {
	ok := true
	switch c.Kind {
	case String:
		c.strs.Append(v)
	case Bool:
		var b bool
		if b, ok = ParseBool(v); ok && b {
			c.bools.Set(row, true)
		}
	case Int:
		var x int64
		if x, ok = ParseInt(v, c.bits); ok {
			c.setInt(row, x)
		}
	case Float32:
		var f float64
		if f, ok = ParseFloat(v, 32); ok {
			colbuf.View[float32](c.fixed)[row] = float32(f)
		}
	case Float64:
		var f float64
		if f, ok = ParseFloat(v, 64); ok {
			colbuf.View[float64](c.fixed)[row] = f
		}
	case Dec64:
		var x int64
		if x, ok = ParseDec64(v, c.prec, c.scale); ok {
			colbuf.View[int64](c.fixed)[row] = x
		}
	case Dec128:
		var n decimal128.Num
		if n, ok = ParseDec128(v, c.prec, c.scale); ok {
			c.setDec128(row, n)
		}
	case Date:
		var d int64
		if d, ok = ParseDate(v); ok {
			colbuf.View[int32](c.fixed)[row] = int32(d)
		}
	case Timestamp:
		var t int64
		if t, ok = ParseTimestamp(v); ok {
			colbuf.View[int64](c.fixed)[row] = t
		}
	}
	return ok
}

func (c *Column) setInt(row int, x int64) {
	switch c.width {
	case 1:
		colbuf.View[int8](c.fixed)[row] = int8(x)
	case 2:
		colbuf.View[int16](c.fixed)[row] = int16(x)
	case 4:
		colbuf.View[int32](c.fixed)[row] = int32(x)
	default:
		colbuf.View[int64](c.fixed)[row] = x
	}
}

func (c *Column) setDec128(row int, n decimal128.Num) {
	out := colbuf.View[uint64](c.fixed)
	out[2*row] = n.LowBits()
	out[2*row+1] = uint64(n.HighBits())
}

// SetBool stores a boolean (a JSON true/false); false when the column
// is not BOOLEAN or VARCHAR.
func (c *Column) SetBool(row int, b bool) bool {
	switch c.Kind {
	case Bool:
		if b {
			c.bools.Set(row, true)
		}
		return true
	case String:
		if b {
			c.strs.AppendString("true")
		} else {
			c.strs.AppendString("false")
		}
		return true
	}
	return false
}

// SetInt64 stores an integer directly (Avro ints and longs, JSON
// integers already parsed); false when it does not fit the column.
func (c *Column) SetInt64(row int, x int64) bool {
	switch c.Kind {
	case Int:
		if c.bits < 64 {
			lim := int64(1) << (c.bits - 1)
			if x < -lim || x >= lim {
				return false
			}
		}
		c.setInt(row, x)
	case Float32:
		colbuf.View[float32](c.fixed)[row] = float32(x)
	case Float64:
		colbuf.View[float64](c.fixed)[row] = float64(x)
	case Dec64, Dec128:
		n, ok := decimal128.FromI64(x).Mul(decimal128.GetScaleMultiplier(int(c.scale))), true
		if !n.FitsInPrecision(c.prec) {
			return false
		}
		if c.Kind == Dec64 {
			colbuf.View[int64](c.fixed)[row] = int64(n.LowBits())
		} else {
			c.setDec128(row, n)
		}
		return ok
	default:
		return false
	}
	return true
}

// SetFloat64 stores a float directly; false for non-float columns.
func (c *Column) SetFloat64(row int, f float64) bool {
	switch c.Kind {
	case Float32:
		colbuf.View[float32](c.fixed)[row] = float32(f)
	case Float64:
		colbuf.View[float64](c.fixed)[row] = f
	default:
		return false
	}
	return true
}

// SetRaw stores a value already in the column's representation: days
// (DATE), micros (TIMESTAMP), unscaled decimals of the column's scale.
func (c *Column) SetRaw(row int, x int64) {
	switch c.Kind {
	case Date:
		colbuf.View[int32](c.fixed)[row] = int32(x)
	case Dec128:
		c.setDec128(row, decimal128.FromI64(x))
	default:
		colbuf.View[int64](c.fixed)[row] = x
	}
}

// SetDec128 stores an unscaled decimal of the column's scale; false
// when it exceeds the precision.
func (c *Column) SetDec128(row int, n decimal128.Num) bool {
	if !n.FitsInPrecision(c.prec) {
		return false
	}
	switch c.Kind {
	case Dec64:
		colbuf.View[int64](c.fixed)[row] = int64(n.LowBits())
	case Dec128:
		c.setDec128(row, n)
	default:
		return false
	}
	return true
}

// Scale is a decimal column's scale.
func (c *Column) Scale() int32 { return c.scale }
