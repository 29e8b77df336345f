// Package types is tarn's SQL type system. Every SQL type is an Arrow
// data type; this package parses type names in MySQL and Hive spelling,
// prints them back, and holds the rules for decimals.
//
// Physical representation (fixed for the whole engine):
//
//	BOOLEAN        arrow.Boolean
//	TINYINT..BIGINT arrow.Int8 .. arrow.Int64
//	FLOAT          arrow.Float32 (computations widen to DOUBLE)
//	DOUBLE         arrow.Float64
//	DECIMAL(p,s)   arrow.Decimal64 when p <= 18, arrow.Decimal128 when p > 18
//	VARCHAR        arrow.String
//	DATE           arrow.Date32 (days since epoch)
//	TIMESTAMP      arrow.Timestamp(us), no time zone
//	NULL           arrow.Null
package types

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Common types.
var (
	Boolean   arrow.DataType = arrow.FixedWidthTypes.Boolean
	Int8      arrow.DataType = arrow.PrimitiveTypes.Int8
	Int16     arrow.DataType = arrow.PrimitiveTypes.Int16
	Int32     arrow.DataType = arrow.PrimitiveTypes.Int32
	Int64     arrow.DataType = arrow.PrimitiveTypes.Int64
	Float32   arrow.DataType = arrow.PrimitiveTypes.Float32
	Float64   arrow.DataType = arrow.PrimitiveTypes.Float64
	String    arrow.DataType = arrow.BinaryTypes.String
	Date      arrow.DataType = arrow.FixedWidthTypes.Date32
	Timestamp arrow.DataType = &arrow.TimestampType{Unit: arrow.Microsecond}
	Null      arrow.DataType = arrow.Null
)

// MaxDecimalPrecision is the largest precision tarn supports.
const MaxDecimalPrecision = 38

// MaxDecimal64Precision is the largest precision stored in 64 bits.
const MaxDecimal64Precision = 18

// Decimal returns the decimal type of precision p and scale s, choosing
// the 64-bit representation when it fits.
func Decimal(p, s int32) arrow.DataType {
	if p > MaxDecimalPrecision {
		p = MaxDecimalPrecision
	}
	if p <= MaxDecimal64Precision {
		return &arrow.Decimal64Type{Precision: p, Scale: s}
	}
	return &arrow.Decimal128Type{Precision: p, Scale: s}
}

// DecimalParams returns precision and scale of a decimal type; ok is false
// for other types.
func DecimalParams(t arrow.DataType) (p, s int32, ok bool) {
	switch d := t.(type) {
	case *arrow.Decimal64Type:
		return d.Precision, d.Scale, true
	case *arrow.Decimal128Type:
		return d.Precision, d.Scale, true
	}
	return 0, 0, false
}

// IsInteger reports whether t is a signed integer type.
func IsInteger(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

// IsFloat reports whether t is FLOAT or DOUBLE.
func IsFloat(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

// IsDecimal reports whether t is a decimal type.
func IsDecimal(t arrow.DataType) bool {
	return t.ID() == arrow.DECIMAL64 || t.ID() == arrow.DECIMAL128
}

// IsNumeric reports whether t is an integer, decimal or float type.
func IsNumeric(t arrow.DataType) bool { return IsInteger(t) || IsFloat(t) || IsDecimal(t) }

// IsString reports whether t is VARCHAR.
func IsString(t arrow.DataType) bool {
	return t.ID() == arrow.STRING || t.ID() == arrow.LARGE_STRING
}

// IntegerPrecision is the number of decimal digits an integer type needs.
func IntegerPrecision(t arrow.DataType) int32 {
	switch t.ID() {
	case arrow.INT8:
		return 3
	case arrow.INT16:
		return 5
	case arrow.INT32:
		return 10
	}
	return 19
}

// SQLName prints a type as tarn shows it to users (MySQL spelling).
func SQLName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.BOOL:
		return "BOOLEAN"
	case arrow.INT8:
		return "TINYINT"
	case arrow.INT16:
		return "SMALLINT"
	case arrow.INT32:
		return "INT"
	case arrow.INT64:
		return "BIGINT"
	case arrow.FLOAT32:
		return "FLOAT"
	case arrow.FLOAT64:
		return "DOUBLE"
	case arrow.DECIMAL64, arrow.DECIMAL128:
		p, s, _ := DecimalParams(t)
		return fmt.Sprintf("DECIMAL(%d,%d)", p, s)
	case arrow.STRING, arrow.LARGE_STRING:
		return "VARCHAR"
	case arrow.DATE32:
		return "DATE"
	case arrow.TIMESTAMP:
		return "TIMESTAMP"
	case arrow.NULL:
		return "NULL"
	case arrow.LIST:
		return "ARRAY<" + SQLName(t.(*arrow.ListType).Elem()) + ">"
	case arrow.MAP:
		m := t.(*arrow.MapType)
		return "MAP<" + SQLName(m.KeyType()) + "," + SQLName(m.ItemType()) + ">"
	case arrow.STRUCT:
		st := t.(*arrow.StructType)
		parts := make([]string, st.NumFields())
		for i, f := range st.Fields() {
			parts[i] = f.Name + ":" + SQLName(f.Type)
		}
		return "STRUCT<" + strings.Join(parts, ",") + ">"
	}
	return strings.ToUpper(t.String())
}

// Parse parses a column type written in MySQL or Hive spelling:
// boolean/bool, tinyint, smallint, int/integer, bigint, float/real,
// double [precision], decimal/numeric[(p[,s])], string, varchar[(n)],
// char[(n)], text, date, timestamp/datetime.
func Parse(s string) (arrow.DataType, error) {
	orig := s
	s = strings.TrimSpace(s)
	if t, ok, err := parseNested(s); ok {
		if err != nil {
			return nil, fmt.Errorf("invalid type %q: %w", orig, err)
		}
		return t, nil
	}
	s = strings.ToLower(s)
	name, args := s, ""
	if i := strings.IndexByte(s, '('); i >= 0 {
		if !strings.HasSuffix(s, ")") {
			return nil, fmt.Errorf("invalid type %q: missing ')'", orig)
		}
		name, args = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
	}
	name = strings.TrimSuffix(name, " unsigned")
	switch name {
	case "boolean", "bool":
		return Boolean, nil
	case "tinyint":
		return Int8, nil
	case "smallint":
		return Int16, nil
	case "int", "integer", "mediumint":
		return Int32, nil
	case "bigint":
		return Int64, nil
	case "float", "real":
		return Float32, nil
	case "double", "double precision":
		return Float64, nil
	case "decimal", "numeric", "dec":
		p, sc := int64(10), int64(0)
		if args != "" {
			parts := strings.Split(args, ",")
			var err error
			if p, err = strconv.ParseInt(strings.TrimSpace(parts[0]), 10, 32); err != nil {
				return nil, fmt.Errorf("invalid type %q: bad precision", orig)
			}
			if len(parts) > 1 {
				if sc, err = strconv.ParseInt(strings.TrimSpace(parts[1]), 10, 32); err != nil {
					return nil, fmt.Errorf("invalid type %q: bad scale", orig)
				}
			}
			if len(parts) > 2 {
				return nil, fmt.Errorf("invalid type %q: too many arguments", orig)
			}
		}
		if p < 1 || p > MaxDecimalPrecision || sc < 0 || sc > p {
			return nil, fmt.Errorf("invalid type %q: precision must be 1..%d and scale 0..precision", orig, MaxDecimalPrecision)
		}
		return Decimal(int32(p), int32(sc)), nil
	case "string", "varchar", "char", "text", "longtext", "mediumtext", "tinytext", "character varying":
		return String, nil
	case "date":
		return Date, nil
	case "timestamp", "datetime":
		return Timestamp, nil
	}
	return nil, fmt.Errorf("unknown type %q", orig)
}

// IsNested reports whether t is ARRAY, MAP or STRUCT.
func IsNested(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.MAP, arrow.STRUCT:
		return true
	}
	return false
}

// parseNested parses Hive's nested type spellings: array<t>,
// map<k,v> and struct<name:t, ...> (any nesting). ok is false when s
// is not a nested type.
func parseNested(s string) (arrow.DataType, bool, error) {
	lower := strings.ToLower(s)
	var kind string
	for _, k := range []string{"array", "map", "struct"} {
		rest := strings.TrimSpace(lower[min(len(k), len(lower)):])
		if strings.HasPrefix(lower, k) && strings.HasPrefix(rest, "<") {
			kind = k
			break
		}
	}
	if kind == "" {
		return nil, false, nil
	}
	open := strings.IndexByte(s, '<')
	if !strings.HasSuffix(s, ">") {
		return nil, true, fmt.Errorf("missing '>'")
	}
	body := s[open+1 : len(s)-1]
	parts, err := splitTopLevel(body)
	if err != nil {
		return nil, true, err
	}
	switch kind {
	case "array":
		if len(parts) != 1 {
			return nil, true, fmt.Errorf("array takes one element type")
		}
		elem, err := Parse(parts[0])
		if err != nil {
			return nil, true, err
		}
		return arrow.ListOf(elem), true, nil
	case "map":
		if len(parts) != 2 {
			return nil, true, fmt.Errorf("map takes a key and a value type")
		}
		k, err := Parse(parts[0])
		if err != nil {
			return nil, true, err
		}
		if IsNested(k) {
			return nil, true, fmt.Errorf("map keys must be primitive")
		}
		v, err := Parse(parts[1])
		if err != nil {
			return nil, true, err
		}
		return arrow.MapOf(k, v), true, nil
	}
	fields := make([]arrow.Field, 0, len(parts))
	seen := map[string]bool{}
	for _, p := range parts {
		name, typ, ok := strings.Cut(p, ":")
		name = strings.Trim(strings.TrimSpace(name), "`")
		if !ok || name == "" {
			return nil, true, fmt.Errorf("struct field %q needs name:type", strings.TrimSpace(p))
		}
		if seen[strings.ToLower(name)] {
			return nil, true, fmt.Errorf("duplicate struct field %q", name)
		}
		seen[strings.ToLower(name)] = true
		t, err := Parse(typ)
		if err != nil {
			return nil, true, err
		}
		fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: true})
	}
	if len(fields) == 0 {
		return nil, true, fmt.Errorf("struct needs at least one field")
	}
	return arrow.StructOf(fields...), true, nil
}

// splitTopLevel splits a type list at commas outside <...> and (...).
func splitTopLevel(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '<', '(':
			depth++
		case '>', ')':
			depth--
			if depth < 0 {
				return nil, fmt.Errorf("unbalanced brackets")
			}
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("unbalanced brackets")
	}
	if last := strings.TrimSpace(s[start:]); last != "" {
		out = append(out, last)
	}
	return out, nil
}
