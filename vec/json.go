package vec

import (
	"math"
	"math/big"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Nested values (STRUCT, ARRAY, MAP) are shown to users as JSON text,
// the way Athena / Trino print them through CAST(x AS JSON):
//
//	STRUCT<a:INT,b:STRING>  {"a":1,"b":"x"}
//	ARRAY<INT>              [1,2,null]
//	MAP<STRING,INT>         {"k":1}   (keys are always JSON strings)
//
// Scalars inside them: numbers and decimals as JSON numbers (NaN and
// infinities as strings), booleans as true/false, strings, dates and
// timestamps as JSON strings, NULL as null.

// IsNestedType reports whether t is STRUCT, LIST (ARRAY) or MAP.
func IsNestedType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.MAP, arrow.FIXED_SIZE_LIST:
		return true
	}
	return false
}

// JSONText returns row i of a as JSON text (null for NULL).
func JSONText(a arrow.Array, i int) string {
	return string(AppendJSON(nil, a, i))
}

// AppendJSON appends row i of a as JSON to dst.
func AppendJSON(dst []byte, a arrow.Array, i int) []byte {
	if a.IsNull(i) {
		return append(dst, "null"...)
	}
	switch x := a.(type) {
	case *array.Struct:
		st := x.DataType().(*arrow.StructType)
		dst = append(dst, '{')
		for f := 0; f < x.NumField(); f++ {
			if f > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, st.Field(f).Name)
			dst = append(dst, ':')
			dst = AppendJSON(dst, x.Field(f), i)
		}
		return append(dst, '}')
	case *array.Map:
		// Map embeds List: test it first.
		start, end := x.ValueOffsets(i)
		keys, items := x.Keys(), x.Items()
		dst = append(dst, '{')
		for j := int(start); j < int(end); j++ {
			if j > int(start) {
				dst = append(dst, ',')
			}
			if keys.DataType().ID() == arrow.STRING {
				dst = AppendJSON(dst, keys, j)
			} else {
				dst = AppendJSONString(dst, string(AppendJSON(nil, keys, j)))
			}
			dst = append(dst, ':')
			dst = AppendJSON(dst, items, j)
		}
		return append(dst, '}')
	case array.ListLike:
		start, end := x.ValueOffsets(i)
		child := x.ListValues()
		dst = append(dst, '[')
		for j := start; j < end; j++ {
			if j > start {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, child, int(j))
		}
		return append(dst, ']')
	case *array.Boolean:
		if x.Value(i) {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case *array.Int8:
		return strconv.AppendInt(dst, int64(x.Value(i)), 10)
	case *array.Int16:
		return strconv.AppendInt(dst, int64(x.Value(i)), 10)
	case *array.Int32:
		return strconv.AppendInt(dst, int64(x.Value(i)), 10)
	case *array.Int64:
		return strconv.AppendInt(dst, x.Value(i), 10)
	case *array.Uint8:
		return strconv.AppendUint(dst, uint64(x.Value(i)), 10)
	case *array.Uint16:
		return strconv.AppendUint(dst, uint64(x.Value(i)), 10)
	case *array.Uint32:
		return strconv.AppendUint(dst, uint64(x.Value(i)), 10)
	case *array.Uint64:
		return strconv.AppendUint(dst, x.Value(i), 10)
	case *array.Float32:
		return appendJSONFloat(dst, float64(x.Value(i)), 32)
	case *array.Float64:
		return appendJSONFloat(dst, x.Value(i), 64)
	case *array.String:
		return AppendJSONString(dst, x.Value(i))
	case *array.LargeString:
		return AppendJSONString(dst, x.Value(i))
	case *array.Binary:
		return AppendJSONString(dst, string(x.Value(i)))
	case *array.Decimal64:
		s := x.DataType().(*arrow.Decimal64Type).Scale
		return append(dst, formatUnscaled(big.NewInt(int64(x.Value(i))), s)...)
	case *array.Decimal128:
		s := x.DataType().(*arrow.Decimal128Type).Scale
		return append(dst, formatUnscaled(decimal128.Num(x.Value(i)).BigInt(), s)...)
	case *array.Date32:
		dst = append(dst, '"')
		dst = time.Unix(int64(x.Value(i))*86400, 0).UTC().AppendFormat(dst, "2006-01-02")
		return append(dst, '"')
	case *array.Timestamp:
		us := int64(x.Value(i))
		dst = append(dst, '"')
		t := time.UnixMicro(us).UTC()
		if us%1_000_000 == 0 {
			dst = t.AppendFormat(dst, "2006-01-02 15:04:05")
		} else {
			dst = t.AppendFormat(dst, "2006-01-02 15:04:05.999999")
		}
		return append(dst, '"')
	case *array.Null:
		return append(dst, "null"...)
	}
	return AppendJSONString(dst, a.ValueStr(i))
}

func appendJSONFloat(dst []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return AppendJSONString(dst, strconv.FormatFloat(f, 'g', -1, bits))
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

// formatUnscaled prints an unscaled decimal with scale s ("-12.30").
func formatUnscaled(u *big.Int, s int32) string {
	neg := u.Sign() < 0
	digits := new(big.Int).Abs(u).String()
	if s > 0 {
		for len(digits) <= int(s) {
			digits = "0" + digits
		}
		digits = digits[:len(digits)-int(s)] + "." + digits[len(digits)-int(s):]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a quoted JSON string (invalid UTF-8
// becomes U+FFFD).
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
