package mysqlwire

import (
	"fmt"
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"vitess.io/vitess/go/sqltypes"
	querypb "vitess.io/vitess/go/vt/proto/query"

	"github.com/tarnsql/tarn/vec"
)

// MySQL column flags (include/mysql_com.h).
const (
	flagNotNull  = 1
	flagBlob     = 16
	flagUnsigned = 32
	flagBinary   = 128
	flagNum      = 32768
)

// Collation ids sent in column definitions.
const (
	collUTF8MB4 = 255 // utf8mb4_0900_ai_ci
	collBinary  = 63
)

// maxStringLen is the column length advertised for VARCHAR results of
// unknown width: 65535 characters of up to 4 bytes.
const maxStringLen = 65535 * 4

// fieldFor maps one Arrow result field to a MySQL column definition:
// type, flags, charset, display length and decimals.
func fieldFor(f arrow.Field) *querypb.Field {
	out := &querypb.Field{Name: f.Name, OrgName: f.Name, Charset: collBinary}
	var flags uint32
	if !f.Nullable {
		flags |= flagNotNull
	}
	num := func(t querypb.Type, length uint32, unsigned bool) {
		out.Type, out.ColumnLength = t, length
		flags |= flagNum | flagBinary
		if unsigned {
			flags |= flagUnsigned
		}
	}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		num(sqltypes.Int8, 1, false)
		out.ColumnType = "tinyint(1)"
	case *arrow.Int8Type:
		num(sqltypes.Int8, 4, false)
	case *arrow.Int16Type:
		num(sqltypes.Int16, 6, false)
	case *arrow.Int32Type:
		num(sqltypes.Int32, 11, false)
	case *arrow.Int64Type:
		num(sqltypes.Int64, 20, false)
	case *arrow.Uint8Type:
		num(sqltypes.Uint8, 3, true)
	case *arrow.Uint16Type:
		num(sqltypes.Uint16, 5, true)
	case *arrow.Uint32Type:
		num(sqltypes.Uint32, 10, true)
	case *arrow.Uint64Type:
		num(sqltypes.Uint64, 20, true)
	case *arrow.Float16Type, *arrow.Float32Type:
		num(sqltypes.Float32, 12, false)
		out.Decimals = 31 // MySQL: "not fixed"
	case *arrow.Float64Type:
		num(sqltypes.Float64, 22, false)
		out.Decimals = 31
	case *arrow.Decimal32Type:
		decimalField(out, t.Precision, t.Scale)
		flags |= flagNum | flagBinary
	case *arrow.Decimal64Type:
		decimalField(out, t.Precision, t.Scale)
		flags |= flagNum | flagBinary
	case *arrow.Decimal128Type:
		decimalField(out, t.Precision, t.Scale)
		flags |= flagNum | flagBinary
	case *arrow.Decimal256Type:
		decimalField(out, t.Precision, t.Scale)
		flags |= flagNum | flagBinary
	case *arrow.Date32Type, *arrow.Date64Type:
		out.Type, out.ColumnLength = sqltypes.Date, 10
		flags |= flagBinary
	case *arrow.TimestampType:
		out.Type = sqltypes.Datetime
		d := fracDigits(t.Unit)
		out.ColumnLength, out.Decimals = 19, uint32(d)
		if d > 0 {
			out.ColumnLength += uint32(d) + 1
		}
		flags |= flagBinary
	case *arrow.Time32Type, *arrow.Time64Type:
		out.Type = sqltypes.Time
		var d int
		if tt, ok := t.(*arrow.Time64Type); ok {
			d = fracDigits(tt.Unit)
		} else {
			d = fracDigits(t.(*arrow.Time32Type).Unit)
		}
		out.ColumnLength, out.Decimals = 10, uint32(d)
		if d > 0 {
			out.ColumnLength += uint32(d) + 1
		}
		flags |= flagBinary
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		out.Type, out.ColumnLength, out.Charset = sqltypes.VarChar, maxStringLen, collUTF8MB4
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		out.Type, out.ColumnLength = sqltypes.VarBinary, maxStringLen
		flags |= flagBinary
	case *arrow.NullType:
		out.Type, out.ColumnLength = sqltypes.Null, 0
		flags |= flagBinary
	case *arrow.StructType, *arrow.ListType, *arrow.LargeListType, *arrow.MapType, *arrow.FixedSizeListType:
		// Nested values travel as MySQL JSON (their JSON text), with the
		// metadata MySQL 8 gives JSON columns: MYSQL_TYPE_JSON, binary
		// charset, BLOB flag, 4 GiB length.
		out.Type, out.ColumnLength, out.Charset = sqltypes.TypeJSON, math.MaxUint32, collBinary
		out.ColumnType = "json"
		flags |= flagBlob | flagBinary
	default:
		// Nested and other types are sent as their text rendering.
		out.Type, out.ColumnLength, out.Charset = sqltypes.VarChar, maxStringLen, collUTF8MB4
	}
	// (vitess derives flags from the type when Flags is 0; a nullable
	// VARCHAR has none either way.)
	out.Flags = flags
	return out
}

func decimalField(out *querypb.Field, prec, scale int32) {
	out.Type = sqltypes.Decimal
	l := prec + 1 // sign
	if scale > 0 {
		l++ // decimal point
	}
	out.ColumnLength, out.Decimals = uint32(l), uint32(max(scale, 0))
}

func fracDigits(u arrow.TimeUnit) int {
	switch u {
	case arrow.Millisecond:
		return 3
	case arrow.Microsecond:
		return 6
	case arrow.Nanosecond:
		return 9
	}
	return 0
}

// fieldsFor maps a whole schema.
func fieldsFor(s *arrow.Schema) []*querypb.Field {
	fs := make([]*querypb.Field, s.NumFields())
	for i := range fs {
		fs[i] = fieldFor(s.Field(i))
	}
	return fs
}

// rowEncoder converts Arrow batches to MySQL text-protocol rows. It
// reuses its buffers from batch to batch: the rows it returns are valid
// until the next call to encode.
type rowEncoder struct {
	fields []*querypb.Field
	bufs   [][]byte // per column: concatenated value texts
	ends   [][]int  // per column: end offset of each row's text, -1 = NULL
	vals   []sqltypes.Value
	rows   [][]sqltypes.Value
}

func newRowEncoder(fields []*querypb.Field) *rowEncoder {
	return &rowEncoder{fields: fields, bufs: make([][]byte, len(fields)), ends: make([][]int, len(fields))}
}

// encode converts rec's rows. The type switch runs once per column per
// batch; the loops inside are per type.
func (e *rowEncoder) encode(rec arrow.RecordBatch) ([][]sqltypes.Value, error) {
	n := int(rec.NumRows())
	nc := int(rec.NumCols())
	if nc != len(e.fields) {
		return nil, fmt.Errorf("result batch has %d columns, expected %d", nc, len(e.fields))
	}
	for j := 0; j < nc; j++ {
		b, ends, err := appendColumn(e.bufs[j][:0], e.ends[j][:0], rec.Column(j))
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", e.fields[j].Name, err)
		}
		e.bufs[j], e.ends[j] = b, ends
	}
	if cap(e.vals) < n*nc {
		e.vals = make([]sqltypes.Value, n*nc)
	}
	vals := e.vals[:n*nc]
	if cap(e.rows) < n {
		e.rows = make([][]sqltypes.Value, n)
	}
	rows := e.rows[:n]
	for j := 0; j < nc; j++ {
		typ := e.fields[j].Type
		buf, ends := e.bufs[j], e.ends[j]
		start := 0
		for i := 0; i < n; i++ {
			end := ends[i]
			if end < 0 {
				vals[i*nc+j] = sqltypes.NULL
				continue
			}
			vals[i*nc+j] = sqltypes.MakeTrusted(typ, buf[start:end:end])
			start = end
		}
	}
	for i := range rows {
		rows[i] = vals[i*nc : (i+1)*nc : (i+1)*nc]
	}
	return rows, nil
}

// appendColumn appends the text of every value of a to buf, recording in
// ends each value's end offset (-1 for NULL).
func appendColumn(buf []byte, ends []int, a arrow.Array) ([]byte, []int, error) {
	n := a.Len()
	nulls := a.NullN() > 0
	mark := func(i int) bool {
		if nulls && a.IsNull(i) {
			ends = append(ends, -1)
			return true
		}
		return false
	}
	switch c := a.(type) {
	case *array.Int64:
		vs := c.Int64Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendInt(buf, vs[i], 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Int32:
		vs := c.Int32Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendInt(buf, int64(vs[i]), 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Int16:
		vs := c.Int16Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendInt(buf, int64(vs[i]), 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Int8:
		vs := c.Int8Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendInt(buf, int64(vs[i]), 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Uint64:
		vs := c.Uint64Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendUint(buf, vs[i], 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Uint32:
		vs := c.Uint32Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendUint(buf, uint64(vs[i]), 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Uint16:
		vs := c.Uint16Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendUint(buf, uint64(vs[i]), 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Uint8:
		vs := c.Uint8Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = strconv.AppendUint(buf, uint64(vs[i]), 10)
				ends = append(ends, len(buf))
			}
		}
	case *array.Boolean:
		for i := 0; i < n; i++ {
			if !mark(i) {
				if c.Value(i) {
					buf = append(buf, '1')
				} else {
					buf = append(buf, '0')
				}
				ends = append(ends, len(buf))
			}
		}
	case *array.Float64:
		vs := c.Float64Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendFloat(buf, vs[i], 64)
				ends = append(ends, len(buf))
			}
		}
	case *array.Float32:
		vs := c.Float32Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendFloat(buf, float64(vs[i]), 32)
				ends = append(ends, len(buf))
			}
		}
	case *array.Decimal64:
		scale := c.DataType().(*arrow.Decimal64Type).Scale
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendScaledInt(buf, int64(c.Value(i)), scale)
				ends = append(ends, len(buf))
			}
		}
	case *array.Decimal128:
		scale := c.DataType().(*arrow.Decimal128Type).Scale
		for i := 0; i < n; i++ {
			if !mark(i) {
				v := c.Value(i)
				if v.FitsInPrecision(18) {
					buf = appendScaledInt(buf, int64(v.LowBits()), scale)
				} else {
					buf = append(buf, v.ToString(scale)...)
				}
				ends = append(ends, len(buf))
			}
		}
	case *array.Date32:
		vs := c.Date32Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendDate(buf, int64(vs[i]))
				ends = append(ends, len(buf))
			}
		}
	case *array.Date64:
		vs := c.Date64Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendDate(buf, floorDiv(int64(vs[i]), 86400000))
				ends = append(ends, len(buf))
			}
		}
	case *array.Timestamp:
		unit := c.DataType().(*arrow.TimestampType).Unit
		vs := c.TimestampValues()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendTimestamp(buf, int64(vs[i]), unit)
				ends = append(ends, len(buf))
			}
		}
	case *array.Time64:
		unit := c.DataType().(*arrow.Time64Type).Unit
		vs := c.Time64Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendTimeOfDay(buf, int64(vs[i]), unit)
				ends = append(ends, len(buf))
			}
		}
	case *array.Time32:
		unit := c.DataType().(*arrow.Time32Type).Unit
		vs := c.Time32Values()
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = appendTimeOfDay(buf, int64(vs[i]), unit)
				ends = append(ends, len(buf))
			}
		}
	case *array.String:
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = append(buf, c.Value(i)...)
				ends = append(ends, len(buf))
			}
		}
	case *array.LargeString:
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = append(buf, c.Value(i)...)
				ends = append(ends, len(buf))
			}
		}
	case *array.Binary:
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = append(buf, c.Value(i)...)
				ends = append(ends, len(buf))
			}
		}
	case *array.LargeBinary:
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = append(buf, c.Value(i)...)
				ends = append(ends, len(buf))
			}
		}
	case *array.Null:
		for i := 0; i < n; i++ {
			ends = append(ends, -1)
		}
	case *array.Struct, *array.List, *array.LargeList, *array.Map, *array.FixedSizeList:
		// nested values: their JSON text (the same as CAST(x AS JSON))
		for i := 0; i < n; i++ {
			if !mark(i) {
				buf = vec.AppendJSON(buf, a, i)
				ends = append(ends, len(buf))
			}
		}
	default:
		// Rare types (views, dictionaries): their generic text.
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				ends = append(ends, -1)
				continue
			}
			buf = append(buf, a.ValueStr(i)...)
			ends = append(ends, len(buf))
		}
	}
	return buf, ends, nil
}

// appendFloat formats like MySQL: plain notation for ordinary
// magnitudes, exponent notation (1e20, 1.5e-7) otherwise.
func appendFloat(buf []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, 1):
		return append(buf, "Infinity"...)
	case math.IsInf(f, -1):
		return append(buf, "-Infinity"...)
	}
	a := math.Abs(f)
	if a == 0 || (a >= 1e-5 && a < 1e15) {
		return strconv.AppendFloat(buf, f, 'f', -1, bits)
	}
	start := len(buf)
	buf = strconv.AppendFloat(buf, f, 'e', -1, bits)
	// Go writes 1e+20 and 1.5e-07; MySQL writes 1e20 and 1.5e-7.
	out := buf[:start]
	s := buf[start:]
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == 'e' {
			j := i + 1
			if j < len(s) && s[j] == '+' {
				j++
			} else if j < len(s) && s[j] == '-' {
				out = append(out, '-')
				j++
			}
			for j < len(s)-1 && s[j] == '0' {
				j++
			}
			out = append(out, s[j:]...)
			break
		}
	}
	return out
}

var pow10 = [...]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// appendScaledInt writes an unscaled decimal with scale digits after the
// point (MySQL always shows all scale digits: 12.50).
func appendScaledInt(buf []byte, v int64, scale int32) []byte {
	if scale <= 0 {
		buf = strconv.AppendInt(buf, v, 10)
		for ; scale < 0; scale++ {
			buf = append(buf, '0')
		}
		return buf
	}
	if scale > 18 {
		return append(buf, decimalString(v, scale)...)
	}
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
		buf = append(buf, '-')
	}
	p := uint64(pow10[scale])
	buf = strconv.AppendUint(buf, u/p, 10)
	buf = append(buf, '.')
	frac := u % p
	var tmp [20]byte
	fs := strconv.AppendUint(tmp[:0], frac, 10)
	for k := len(fs); k < int(scale); k++ {
		buf = append(buf, '0')
	}
	return append(buf, fs...)
}

func decimalString(v int64, scale int32) string {
	s := strconv.FormatInt(v, 10)
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	for len(s) <= int(scale) {
		s = "0" + s
	}
	s = s[:len(s)-int(scale)] + "." + s[len(s)-int(scale):]
	if neg {
		s = "-" + s
	}
	return s
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(days int64) (y int64, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = int(doy - (153*mp+2)/5 + 1)
	if mp < 10 {
		m = int(mp + 3)
	} else {
		m = int(mp - 9)
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func append2(buf []byte, v int) []byte {
	return append(buf, byte('0'+v/10), byte('0'+v%10))
}

func appendDate(buf []byte, days int64) []byte {
	y, m, d := civil(days)
	if y >= 0 && y <= 9999 {
		yy := int(y)
		buf = append(buf, byte('0'+yy/1000), byte('0'+yy/100%10), byte('0'+yy/10%10), byte('0'+yy%10))
	} else {
		buf = strconv.AppendInt(buf, y, 10)
	}
	buf = append(buf, '-')
	buf = append2(buf, m)
	buf = append(buf, '-')
	return append2(buf, d)
}

func unitsPerSecond(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Millisecond:
		return 1e3
	case arrow.Microsecond:
		return 1e6
	case arrow.Nanosecond:
		return 1e9
	}
	return 1
}

func appendFrac(buf []byte, frac int64, digits int) []byte {
	if digits == 0 {
		return buf
	}
	buf = append(buf, '.')
	var tmp [12]byte
	for k := digits - 1; k >= 0; k-- {
		tmp[k] = byte('0' + frac%10)
		frac /= 10
	}
	return append(buf, tmp[:digits]...)
}

// appendTimestamp writes YYYY-MM-DD HH:MM:SS[.ffffff] (UTC).
func appendTimestamp(buf []byte, v int64, unit arrow.TimeUnit) []byte {
	ups := unitsPerSecond(unit)
	secs := floorDiv(v, ups)
	frac := v - secs*ups
	days := floorDiv(secs, 86400)
	sod := int(secs - days*86400)
	buf = appendDate(buf, days)
	buf = append(buf, ' ')
	buf = append2(buf, sod/3600)
	buf = append(buf, ':')
	buf = append2(buf, sod/60%60)
	buf = append(buf, ':')
	buf = append2(buf, sod%60)
	return appendFrac(buf, frac, fracDigits(unit))
}

// appendTimeOfDay writes HH:MM:SS[.ffffff].
func appendTimeOfDay(buf []byte, v int64, unit arrow.TimeUnit) []byte {
	ups := unitsPerSecond(unit)
	if v < 0 {
		buf = append(buf, '-')
		v = -v
	}
	secs := v / ups
	frac := v % ups
	h := secs / 3600
	if h < 100 {
		buf = append2(buf, int(h))
	} else {
		buf = strconv.AppendInt(buf, h, 10)
	}
	buf = append(buf, ':')
	buf = append2(buf, int(secs/60%60))
	buf = append(buf, ':')
	buf = append2(buf, int(secs%60))
	return appendFrac(buf, frac, fracDigits(unit))
}
