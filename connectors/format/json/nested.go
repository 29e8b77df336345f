package json

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

// Nested columns (STRUCT, LIST, MAP) are built with Arrow builders:
// they are rare next to flat columns, and a builder handles the child
// offsets and validity.

// checkNested reports whether every leaf of a nested type is readable.
func checkNested(dt arrow.DataType) error {
	switch t := dt.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if err := checkNested(f.Type); err != nil {
				return err
			}
		}
		return nil
	case *arrow.ListType:
		return checkNested(t.Elem())
	case *arrow.MapType:
		if t.KeyType().ID() != arrow.STRING {
			return fmt.Errorf("JSON map keys are strings: %s is not supported", types.SQLName(dt))
		}
		return checkNested(t.ItemType())
	}
	if !textcol.Supported(dt) {
		return fmt.Errorf("type %s is not supported in JSON", types.SQLName(dt))
	}
	return nil
}

// appendNested appends the JSON value v to b (of type dt).
func (r *reader) appendNested(b array.Builder, dt arrow.DataType, v []byte) error {
	if v[0] == 'n' {
		b.AppendNull()
		return nil
	}
	switch t := dt.(type) {
	case *arrow.StructType:
		sb := b.(*array.StructBuilder)
		if v[0] != '{' {
			return fmt.Errorf("JSON %s for STRUCT column", truncate(v))
		}
		n := t.NumFields()
		spans := make([][2]int, n)
		for i := range spans {
			spans[i][0] = -1
		}
		err := eachKey(v, func(key []byte, vs, ve int) {
			for i := 0; i < n; i++ {
				name := t.Field(i).Name
				if string(key) == name || r.opt.CaseInsensitive && strings.EqualFold(string(key), name) {
					spans[i] = [2]int{vs, ve}
					return
				}
			}
		})
		if err != nil {
			return err
		}
		sb.Append(true)
		for i := 0; i < n; i++ {
			fb := sb.FieldBuilder(i)
			if spans[i][0] < 0 {
				fb.AppendNull()
				continue
			}
			if err := r.appendNested(fb, t.Field(i).Type, v[spans[i][0]:spans[i][1]]); err != nil {
				return fmt.Errorf("field %s: %w", t.Field(i).Name, err)
			}
		}
		return nil
	case *arrow.ListType:
		lb := b.(*array.ListBuilder)
		if v[0] != '[' {
			return fmt.Errorf("JSON %s for ARRAY column", truncate(v))
		}
		lb.Append(true)
		return eachElem(v, func(e []byte) error { return r.appendNested(lb.ValueBuilder(), t.Elem(), e) })
	case *arrow.MapType:
		mb := b.(*array.MapBuilder)
		if v[0] != '{' {
			return fmt.Errorf("JSON %s for MAP column", truncate(v))
		}
		mb.Append(true)
		var ferr error
		err := eachKey(v, func(key []byte, vs, ve int) {
			if ferr != nil {
				return
			}
			mb.KeyBuilder().(*array.StringBuilder).Append(string(key))
			ferr = r.appendNested(mb.ItemBuilder(), t.ItemType(), v[vs:ve])
		})
		if err != nil {
			return err
		}
		return ferr
	}
	return r.appendScalar(b, dt, v)
}

// eachElem calls fn for each element of the JSON array v.
func eachElem(v []byte, fn func([]byte) error) error {
	i := skipWS(v, 1)
	if i < len(v) && v[i] == ']' {
		return nil
	}
	for {
		e, err := skipValue(v, i, 1)
		if err != nil {
			return err
		}
		if err := fn(v[i:e]); err != nil {
			return err
		}
		i = skipWS(v, e)
		if i < len(v) && v[i] == ',' {
			i = skipWS(v, i+1)
			continue
		}
		return nil // skipValue validated the array
	}
}

// appendScalar appends a scalar JSON value to a primitive builder.
func (r *reader) appendScalar(b array.Builder, dt arrow.DataType, v []byte) error {
	text := v
	if v[0] == '"' {
		text = v[1 : len(v)-1]
		if containsByte(text, '\\') {
			var ok bool
			if r.strBuf, ok = unescape(r.strBuf[:0], text); !ok {
				return fmt.Errorf("invalid escape in string %s", truncate(v))
			}
			text = r.strBuf
		}
	} else if v[0] == '{' || v[0] == '[' {
		if sb, ok := b.(*array.StringBuilder); ok {
			sb.Append(string(v))
			return nil
		}
		return fmt.Errorf("a JSON %s cannot be read as %s", kindName(v[0]), types.SQLName(dt))
	}
	bad := func() error { return fmt.Errorf("cannot read JSON %s as %s", truncate(v), types.SQLName(dt)) }
	switch bb := b.(type) {
	case *array.StringBuilder:
		bb.Append(string(text))
		return nil
	case *array.BooleanBuilder:
		x, ok := textcol.ParseBool(text)
		if !ok {
			return bad()
		}
		bb.Append(x)
		return nil
	}
	if v[0] == '"' && len(textcol.TrimSpace(text)) == 0 {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.Int8Builder:
		x, ok := textcol.ParseInt(text, 8)
		if !ok {
			return bad()
		}
		bb.Append(int8(x))
	case *array.Int16Builder:
		x, ok := textcol.ParseInt(text, 16)
		if !ok {
			return bad()
		}
		bb.Append(int16(x))
	case *array.Int32Builder:
		x, ok := textcol.ParseInt(text, 32)
		if !ok {
			return bad()
		}
		bb.Append(int32(x))
	case *array.Int64Builder:
		x, ok := textcol.ParseInt(text, 64)
		if !ok {
			return bad()
		}
		bb.Append(x)
	case *array.Float32Builder:
		x, ok := textcol.ParseFloat(text, 32)
		if !ok {
			return bad()
		}
		bb.Append(float32(x))
	case *array.Float64Builder:
		x, ok := textcol.ParseFloat(text, 64)
		if !ok {
			return bad()
		}
		bb.Append(x)
	case *array.Decimal64Builder:
		p, s, _ := types.DecimalParams(dt)
		x, ok := textcol.ParseDec64(text, p, s)
		if !ok {
			return bad()
		}
		bb.Append(decimal.Decimal64(x))
	case *array.Decimal128Builder:
		p, s, _ := types.DecimalParams(dt)
		x, ok := textcol.ParseDec128(text, p, s)
		if !ok {
			return bad()
		}
		bb.Append(decimal128.Num(x))
	case *array.Date32Builder:
		x, ok := textcol.ParseDate(text)
		if !ok {
			return bad()
		}
		bb.Append(arrow.Date32(x))
	case *array.TimestampBuilder:
		x, ok := textcol.ParseTimestamp(text)
		if !ok {
			return bad()
		}
		bb.Append(arrow.Timestamp(x))
	default:
		return fmt.Errorf("type %s is not supported in JSON", types.SQLName(dt))
	}
	return nil
}
