package vec

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Value returns row i of a in the Go representation used by
// expr.Literal: nil, bool, int64 (all integers, decimal64, timestamps),
// float64, string, int32 (dates), decimal128.Num.
func Value(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.String:
		// arrow's Value aliases the buffer, which is recycled once the
		// batch is released: the caller gets its own copy.
		return strings.Clone(a.Value(i))
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.Binary:
		return string(a.Value(i))
	case *array.Date32:
		return int32(a.Value(i))
	case *array.Timestamp:
		return int64(a.Value(i))
	case *array.Decimal64:
		return int64(a.Value(i))
	case *array.Decimal128:
		return decimal128.Num(a.Value(i))
	case *array.Null:
		return nil
	}
	if IsNestedType(a.DataType()) {
		// Nested values are shown as their JSON text (see json.go).
		return string(AppendJSON(nil, a, i))
	}
	return a.ValueStr(i)
}

// FromValues builds an array of type dt from Go values in the Literal
// representation (nil = NULL). Integers may be given as any Go int type.
func FromValues(mem memory.Allocator, dt arrow.DataType, vals []any) (arrow.Array, error) {
	n := len(vals)
	switch dt.ID() {
	case arrow.NULL:
		return array.NewNull(n), nil
	case arrow.BOOL:
		buf := memory.NewResizableBuffer(mem)
		buf.Resize(int(bitutil.BytesForBits(int64(n))))
		bs := buf.Bytes()
		for i := range bs {
			bs[i] = 0
		}
		var valid *memory.Buffer
		nulls := 0
		for i, v := range vals {
			switch x := v.(type) {
			case nil:
				if valid == nil {
					valid = NewValidity(mem, n)
				}
				bitutil.ClearBit(valid.Bytes(), i)
				nulls++
			case bool:
				if x {
					bitutil.SetBit(bs, i)
				}
			default:
				buf.Release()
				if valid != nil {
					valid.Release()
				}
				return nil, fmt.Errorf("value %v (%T) is not a BOOLEAN", v, v)
			}
		}
		d := array.NewData(dt, n, []*memory.Buffer{valid, buf}, nil, nulls, 0)
		buf.Release()
		if valid != nil {
			valid.Release()
		}
		defer d.Release()
		return array.MakeFromData(d), nil
	case arrow.STRING:
		sb := NewStringBuilder(mem, n)
		for _, v := range vals {
			switch x := v.(type) {
			case nil:
				sb.AppendNull()
			case string:
				sb.AppendString(x)
			case []byte:
				sb.Append(x)
			default:
				return nil, fmt.Errorf("value %v (%T) is not a VARCHAR", v, v)
			}
		}
		return sb.Finish(), nil
	case arrow.INT8:
		return fixedFrom[int8](mem, dt, vals)
	case arrow.INT16:
		return fixedFrom[int16](mem, dt, vals)
	case arrow.INT32, arrow.DATE32:
		return fixedFrom[int32](mem, dt, vals)
	case arrow.INT64, arrow.DECIMAL64, arrow.TIMESTAMP:
		return fixedFrom[int64](mem, dt, vals)
	case arrow.FLOAT32:
		return fixedFrom[float32](mem, dt, vals)
	case arrow.FLOAT64:
		return fixedFrom[float64](mem, dt, vals)
	case arrow.DECIMAL128:
		b := NewBuilder[int64](mem, dt, 2*n)
		valid := make([]bool, n)
		hasNull := false
		for i, v := range vals {
			var num decimal128.Num
			switch x := v.(type) {
			case nil:
				hasNull = true
				continue
			case decimal128.Num:
				num = x
			default:
				iv, ok := toInt64(v)
				if !ok {
					b.Finish().Release()
					return nil, fmt.Errorf("value %v (%T) is not a DECIMAL", v, v)
				}
				num = decimal128.FromI64(iv)
			}
			valid[i] = true
			b.Values[2*i] = int64(num.LowBits())
			b.Values[2*i+1] = num.HighBits()
		}
		var vb *memory.Buffer
		nulls := 0
		if hasNull {
			vb = NewValidity(mem, n)
			for i, ok := range valid {
				if !ok {
					bitutil.ClearBit(vb.Bytes(), i)
					nulls++
				}
			}
		}
		d := array.NewData(dt, n, []*memory.Buffer{vb, b.data}, nil, nulls, 0)
		b.data.Release()
		if vb != nil {
			vb.Release()
		}
		defer d.Release()
		return array.MakeFromData(d), nil
	}
	if IsNestedType(dt) {
		return nestedFromJSON(mem, dt, vals)
	}
	return nil, fmt.Errorf("vec.FromValues: unsupported type %s", dt)
}

// nestedFromJSON builds a STRUCT / LIST / MAP array from values given as
// JSON text (nil = NULL); maps as lists of {"key":…,"value":…} objects,
// arrow's JSON layout.
func nestedFromJSON(mem memory.Allocator, dt arrow.DataType, vals []any) (arrow.Array, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(',')
		}
		switch x := v.(type) {
		case nil:
			b.WriteString("null")
		case string:
			b.WriteString(x)
		default:
			return nil, fmt.Errorf("value %v (%T) is not the JSON text of a %s", v, v, dt)
		}
	}
	b.WriteByte(']')
	a, _, err := array.FromJSON(mem, dt, strings.NewReader(b.String()))
	if err != nil {
		return nil, fmt.Errorf("vec.FromValues %s: %w", dt, err)
	}
	return a, nil
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	}
	return 0, false
}

func fixedFrom[T Fixed](mem memory.Allocator, dt arrow.DataType, vals []any) (arrow.Array, error) {
	b := NewBuilder[T](mem, dt, len(vals))
	for i, v := range vals {
		switch x := v.(type) {
		case nil:
			b.SetNull(i)
		case float64:
			b.Values[i] = T(x)
		case float32:
			b.Values[i] = T(x)
		default:
			iv, ok := toInt64(v)
			if !ok {
				b.Finish().Release()
				return nil, fmt.Errorf("value %v (%T) does not fit %s", v, v, dt)
			}
			b.Values[i] = T(iv)
		}
	}
	return b.Finish(), nil
}
