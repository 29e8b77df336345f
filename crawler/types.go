package crawler

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
)

// Kind is the shape of an inferred type.
type Kind uint8

// Kinds of inferred types.
const (
	KindNull   Kind = iota // only NULLs seen: no evidence yet
	KindScalar             // a tarn scalar type (Scalar)
	KindStruct             // STRUCT<name:type,...> (Fields)
	KindArray              // ARRAY<type> (Elem)
	KindMap                // MAP<key,value> (Key, Elem)
)

// Type is an inferred column type: a tarn scalar type or a Hive complex
// type (printed as type text; the catalog stores the text).
type Type struct {
	Kind   Kind
	Scalar arrow.DataType
	Fields []Field
	Key    *Type
	Elem   *Type
}

// Field is a struct field.
type Field struct {
	Name string
	Type *Type
}

var (
	tNull      = &Type{Kind: KindNull}
	tBool      = scalar(types.Boolean)
	tInt       = scalar(types.Int32)
	tBigint    = scalar(types.Int64)
	tDouble    = scalar(types.Float64)
	tDate      = scalar(types.Date)
	tTimestamp = scalar(types.Timestamp)
	tString    = scalar(types.String)
)

func scalar(dt arrow.DataType) *Type { return &Type{Kind: KindScalar, Scalar: dt} }

// String prints the type as catalog type text: tarn's canonical scalar
// names (types.SQLName) and Hive complex syntax in upper case, the way
// the DDL parser normalizes complex types. An all-NULL type prints as
// VARCHAR (as Glue types a column it saw no value of as string).
func (t *Type) String() string {
	var b strings.Builder
	t.write(&b)
	return b.String()
}

func (t *Type) write(b *strings.Builder) {
	switch t.Kind {
	case KindNull:
		b.WriteString("VARCHAR")
	case KindScalar:
		b.WriteString(types.SQLName(t.Scalar))
	case KindStruct:
		b.WriteString("STRUCT<")
		for i, f := range t.Fields {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(f.Name)
			b.WriteByte(':')
			f.Type.write(b)
		}
		b.WriteByte('>')
	case KindArray:
		b.WriteString("ARRAY<")
		t.Elem.write(b)
		b.WriteByte('>')
	case KindMap:
		b.WriteString("MAP<")
		t.Key.write(b)
		b.WriteByte(',')
		t.Elem.write(b)
		b.WriteByte('>')
	}
}

// Equal reports whether two types print the same.
func (t *Type) Equal(u *Type) bool { return t.String() == u.String() }

// isString reports whether t is VARCHAR.
func (t *Type) isString() bool { return t.Kind == KindScalar && types.IsString(t.Scalar) }

// Merge returns the type that holds values of both a and b, or ok false
// when there is none. Numeric types widen (INT+BIGINT→BIGINT,
// integer+DOUBLE→DOUBLE, decimals to a decimal wide enough for both),
// DATE+TIMESTAMP→TIMESTAMP, NULL takes the other side, structs merge
// field by field (union by name), arrays and maps by element. When
// lenient (text formats, whose values are text anyway) every other
// mismatch becomes VARCHAR; otherwise (Parquet, Avro: typed files that
// the reader must convert) it is a conflict.
func Merge(a, b *Type, lenient bool) (*Type, bool) {
	switch {
	case a.Kind == KindNull:
		return b, true
	case b.Kind == KindNull:
		return a, true
	case a.Kind != b.Kind:
		if lenient {
			return tString, true
		}
		return nil, false
	}
	switch a.Kind {
	case KindScalar:
		if t, ok := mergeScalar(a.Scalar, b.Scalar); ok {
			if arrow.TypeEqual(t, a.Scalar) {
				return a, true
			}
			return scalar(t), true
		}
	case KindArray:
		if e, ok := Merge(a.Elem, b.Elem, lenient); ok {
			if e == a.Elem {
				return a, true
			}
			return &Type{Kind: KindArray, Elem: e}, true
		}
	case KindMap:
		k, ok1 := Merge(a.Key, b.Key, lenient)
		e, ok2 := Merge(a.Elem, b.Elem, lenient)
		if ok1 && ok2 {
			return &Type{Kind: KindMap, Key: k, Elem: e}, true
		}
	case KindStruct:
		fields := append([]Field(nil), a.Fields...)
		idx := make(map[string]int, len(fields))
		for i, f := range fields {
			idx[strings.ToLower(f.Name)] = i
		}
		for _, f := range b.Fields {
			i, ok := idx[strings.ToLower(f.Name)]
			if !ok {
				idx[strings.ToLower(f.Name)] = len(fields)
				fields = append(fields, f)
				continue
			}
			m, ok := Merge(fields[i].Type, f.Type, lenient)
			if !ok {
				return nil, false
			}
			fields[i].Type = m
		}
		return &Type{Kind: KindStruct, Fields: fields}, true
	}
	if lenient {
		return tString, true
	}
	return nil, false
}

// mergeScalar widens two scalar types to one that holds both.
func mergeScalar(a, b arrow.DataType) (arrow.DataType, bool) {
	if arrow.TypeEqual(a, b) {
		return a, true
	}
	switch {
	case types.IsInteger(a) && types.IsInteger(b):
		if types.IntegerPrecision(a) >= types.IntegerPrecision(b) {
			return a, true
		}
		return b, true
	case types.IsFloat(a) && types.IsNumeric(b), types.IsNumeric(a) && types.IsFloat(b):
		return types.Float64, true
	case types.IsDecimal(a) || types.IsDecimal(b):
		if !types.IsNumeric(a) || !types.IsNumeric(b) {
			return nil, false
		}
		pa, sa := decParams(a)
		pb, sb := decParams(b)
		s := max(sa, sb)
		p := max(pa-sa, pb-sb) + s
		if p > types.MaxDecimalPrecision {
			return types.Float64, true
		}
		return types.Decimal(p, s), true
	case a.ID() == arrow.DATE32 && b.ID() == arrow.TIMESTAMP, a.ID() == arrow.TIMESTAMP && b.ID() == arrow.DATE32:
		return types.Timestamp, true
	}
	return nil, false
}

// decParams gives decimal precision and scale of a decimal or integer.
func decParams(t arrow.DataType) (int32, int32) {
	if p, s, ok := types.DecimalParams(t); ok {
		return p, s
	}
	return types.IntegerPrecision(t), 0
}

// Column is an inferred column.
type Column struct {
	Name string
	Type *Type
}

// schemasText prints a column list for messages: "a BIGINT, b VARCHAR".
func schemaText(cols []Column) string {
	var b strings.Builder
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
		b.WriteByte(' ')
		b.WriteString(c.Type.String())
	}
	return b.String()
}

// conflict describes why two schemas do not merge.
type conflict struct {
	column   string
	from, to string
}

func (c *conflict) Error() string {
	return "column " + c.column + ": " + c.from + " vs " + c.to
}

// mergeByName unions two column lists by name (case-insensitive),
// keeping a's order and appending b's new columns.
func mergeByName(a, b []Column, lenient bool) ([]Column, *conflict) {
	out := append([]Column(nil), a...)
	idx := make(map[string]int, len(out))
	for i, c := range out {
		idx[strings.ToLower(c.Name)] = i
	}
	for _, c := range b {
		i, ok := idx[strings.ToLower(c.Name)]
		if !ok {
			idx[strings.ToLower(c.Name)] = len(out)
			out = append(out, c)
			continue
		}
		m, ok := Merge(out[i].Type, c.Type, lenient)
		if !ok {
			return nil, &conflict{column: c.Name, from: out[i].Type.String(), to: c.Type.String()}
		}
		out[i].Type = m
	}
	return out, nil
}

// mergeByPosition merges two column lists of the same length position
// by position; names must match when checkNames.
func mergeByPosition(a, b []Column, checkNames, lenient bool) ([]Column, *conflict) {
	if len(a) != len(b) {
		return nil, &conflict{column: "count", from: itoa(len(a)) + " columns", to: itoa(len(b)) + " columns"}
	}
	out := make([]Column, len(a))
	for i := range a {
		if checkNames && !strings.EqualFold(a[i].Name, b[i].Name) {
			return nil, &conflict{column: itoa(i + 1), from: "named " + a[i].Name, to: "named " + b[i].Name}
		}
		m, ok := Merge(a[i].Type, b[i].Type, lenient)
		if !ok {
			return nil, &conflict{column: a[i].Name, from: a[i].Type.String(), to: b[i].Type.String()}
		}
		out[i] = Column{Name: a[i].Name, Type: m}
	}
	return out, nil
}

// overlap is |A∩B| / min(|A|,|B|) over column names: how alike two
// name-matched schemas are (1 when one holds the other).
func overlap(a, b []Column) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 1
	}
	names := make(map[string]bool, len(a))
	for _, c := range a {
		names[strings.ToLower(c.Name)] = true
	}
	n := 0
	for _, c := range b {
		if names[strings.ToLower(c.Name)] {
			n++
		}
	}
	return float64(n) / float64(min(len(a), len(b)))
}

func itoa(n int) string { return strconv.Itoa(n) }
