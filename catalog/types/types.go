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
	}
	return strings.ToUpper(t.String())
}

// Parse parses a column type written in MySQL or Hive spelling:
// boolean/bool, tinyint, smallint, int/integer, bigint, float/real,
// double [precision], decimal/numeric[(p[,s])], string, varchar[(n)],
// char[(n)], text, date, timestamp/datetime.
func Parse(s string) (arrow.DataType, error) {
	orig := s
	s = strings.ToLower(strings.TrimSpace(s))
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
