package parquet

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/catalog/types"
)

// logical is the tarn-relevant meaning of a Parquet leaf column.
type logical int

const (
	lPlain     logical = iota // plain number / bool / bytes
	lString                   // UTF8 / STRING / ENUM / JSON
	lDecimal                  // DECIMAL(precision, scale)
	lDate                     // DATE (days)
	lTimestamp                // TIMESTAMP(unit)
	lUUID                     // UUID (FIXED_LEN_BYTE_ARRAY(16)), read as its text form
	lUnsupported
)

// fileColumn describes one top-level column of a Parquet file.
type fileColumn struct {
	name     string
	leaf     int // index of the column chunk in each row group; -1 for groups
	nested   bool
	optional bool
	phys     format.Type
	flbaLen  int
	logical  logical
	// integers: bit width and signedness (from INT(bits,signed) or the
	// converted type); 0 = the physical width.
	bits     int
	unsigned bool
	// decimals
	precision, scale int32
	// timestamps: multiplier to micros (>0) or divisor (<0).
	tsUnit int64
	// detail names the unsupported annotation.
	detail string
	// tree is the schema subtree of a nested column (nil when flat).
	tree *pnode
}

// describe returns the file type as shown in errors.
func (c *fileColumn) describe() string {
	var b strings.Builder
	b.WriteString(c.phys.String())
	switch c.logical {
	case lString:
		b.WriteString(" (STRING)")
	case lUUID:
		b.WriteString(" (UUID)")
	case lDecimal:
		fmt.Fprintf(&b, " (DECIMAL(%d,%d))", c.precision, c.scale)
	case lDate:
		b.WriteString(" (DATE)")
	case lTimestamp:
		switch c.tsUnit {
		case 1000:
			b.WriteString(" (TIMESTAMP(MILLIS))")
		case 1:
			b.WriteString(" (TIMESTAMP(MICROS))")
		default:
			b.WriteString(" (TIMESTAMP(NANOS))")
		}
	case lUnsupported:
		fmt.Fprintf(&b, " (%s)", c.detail)
	default:
		if c.bits != 0 {
			if c.unsigned {
				fmt.Fprintf(&b, " (UINT%d)", c.bits)
			} else {
				fmt.Fprintf(&b, " (INT%d)", c.bits)
			}
		}
	}
	if c.nested {
		if c.tree != nil {
			if dt, err := c.tree.inferType(); err == nil {
				return types.SQLName(dt)
			}
		}
		return "nested group"
	}
	return b.String()
}

// fileSchema lists the top-level columns of a file.
type fileSchema struct {
	cols   []fileColumn
	byName map[string]int // lower-cased name -> index in cols
}

// parseSchema walks the flattened Thrift schema (depth-first) and
// describes each top-level field.
func parseSchema(elems []format.SchemaElement) (*fileSchema, error) {
	if len(elems) == 0 {
		return nil, fmt.Errorf("missing root schema element")
	}
	fs := &fileSchema{byName: map[string]int{}}
	pos := 1
	leaf := 0
	nTop := int(elems[0].NumChildren.V)
	for i := 0; i < nTop; i++ {
		if pos >= len(elems) {
			return nil, fmt.Errorf("schema has %d elements but the root declares %d children", len(elems), nTop)
		}
		e := &elems[pos]
		col := fileColumn{name: e.Name, leaf: -1}
		isGroup := e.NumChildren.Valid && e.NumChildren.V > 0 || !e.Type.Valid
		if isGroup || e.RepetitionType.Valid && e.RepetitionType.V == format.Repeated {
			// Groups and repeated fields: the whole subtree (nested.go).
			tree, err := parseTree(elems, &pos, &leaf, levels{}, 0)
			if err != nil {
				return nil, err
			}
			col.nested, col.tree = true, tree
			col.optional = tree.rep != format.Required
		} else {
			col.leaf = leaf
			leaf++
			pos++
			col.optional = !e.RepetitionType.Valid || e.RepetitionType.V == format.Optional
			describeLeaf(e, &col)
		}
		lower := strings.ToLower(col.name)
		if _, dup := fs.byName[lower]; !dup {
			fs.byName[lower] = len(fs.cols)
		}
		fs.cols = append(fs.cols, col)
	}
	return fs, nil
}

func describeLeaf(e *format.SchemaElement, c *fileColumn) {
	c.phys = e.Type.V
	if e.TypeLength.Valid {
		c.flbaLen = int(e.TypeLength.V)
	}
	switch lt := e.LogicalType.Value.(type) {
	case *format.StringType, *format.EnumType, *format.JsonType:
		c.logical = lString
		return
	case *format.DecimalType:
		c.logical, c.precision, c.scale = lDecimal, lt.Precision, lt.Scale
		return
	case *format.DateType:
		c.logical = lDate
		return
	case *format.TimestampType:
		c.logical = lTimestamp
		switch lt.Unit.Value.(type) {
		case *format.MilliSeconds:
			c.tsUnit = 1000
		case *format.MicroSeconds:
			c.tsUnit = 1
		case *format.NanoSeconds:
			c.tsUnit = -1000
		default:
			c.logical, c.detail = lUnsupported, "TIMESTAMP of unknown unit"
		}
		return
	case *format.IntType:
		c.bits, c.unsigned = int(lt.BitWidth), !lt.IsSigned
		return
	case *format.UUIDType:
		c.logical = lUUID
		return
	case nil:
	default:
		c.logical, c.detail = lUnsupported, lt.String()
		return
	}
	if !e.ConvertedType.Valid {
		if c.phys == format.Int96 {
			c.logical, c.tsUnit = lTimestamp, 1
		}
		return
	}
	switch e.ConvertedType.V {
	case deprecated.UTF8, deprecated.Enum, deprecated.Json:
		c.logical = lString
	case deprecated.Decimal:
		c.logical = lDecimal
		c.precision, c.scale = e.Precision.V, e.Scale.V
	case deprecated.Date:
		c.logical = lDate
	case deprecated.TimestampMillis:
		c.logical, c.tsUnit = lTimestamp, 1000
	case deprecated.TimestampMicros:
		c.logical, c.tsUnit = lTimestamp, 1
	case deprecated.Int8:
		c.bits = 8
	case deprecated.Int16:
		c.bits = 16
	case deprecated.Int32:
		c.bits = 32
	case deprecated.Int64:
		c.bits = 64
	case deprecated.Uint8:
		c.bits, c.unsigned = 8, true
	case deprecated.Uint16:
		c.bits, c.unsigned = 16, true
	case deprecated.Uint32:
		c.bits, c.unsigned = 32, true
	case deprecated.Uint64:
		c.bits, c.unsigned = 64, true
	default:
		c.logical, c.detail = lUnsupported, fmt.Sprintf("converted type %d", e.ConvertedType.V)
	}
}

// arrowType is the natural tarn type of a file column.
func (c *fileColumn) arrowType() (arrow.DataType, error) {
	if c.nested {
		if c.tree == nil {
			return nil, fmt.Errorf("column %q: malformed nested column", c.name)
		}
		dt, err := c.tree.inferType()
		if err != nil {
			return nil, fmt.Errorf("column %q: %v", c.name, err)
		}
		return dt, nil
	}
	switch c.logical {
	case lUnsupported:
		return nil, fmt.Errorf("column %q: Parquet type %s is not supported", c.name, c.describe())
	case lString:
		if c.phys == format.ByteArray || c.phys == format.FixedLenByteArray {
			return types.String, nil
		}
	case lDecimal:
		if c.precision < 1 || c.precision > types.MaxDecimalPrecision || c.scale < 0 || c.scale > c.precision {
			return nil, fmt.Errorf("column %q: invalid DECIMAL(%d,%d)", c.name, c.precision, c.scale)
		}
		switch c.phys {
		case format.Int32, format.Int64, format.ByteArray, format.FixedLenByteArray:
			return types.Decimal(c.precision, c.scale), nil
		}
	case lDate:
		if c.phys == format.Int32 {
			return types.Date, nil
		}
	case lUUID:
		if c.phys == format.FixedLenByteArray && c.flbaLen == 16 {
			return types.String, nil
		}
	case lTimestamp:
		if c.phys == format.Int64 || c.phys == format.Int96 {
			return types.Timestamp, nil
		}
	default:
		switch c.phys {
		case format.Boolean:
			return types.Boolean, nil
		case format.Int32:
			switch {
			case c.bits == 8 && !c.unsigned:
				return types.Int8, nil
			case c.bits == 8, c.bits == 16 && !c.unsigned:
				return types.Int16, nil
			case c.bits == 16, c.bits == 0, c.bits == 32 && !c.unsigned:
				return types.Int32, nil
			default:
				return types.Int64, nil
			}
		case format.Int64:
			if c.unsigned {
				return types.Decimal(20, 0), nil
			}
			return types.Int64, nil
		case format.Float:
			return types.Float32, nil
		case format.Double:
			return types.Float64, nil
		case format.ByteArray, format.FixedLenByteArray:
			return types.String, nil
		}
	}
	return nil, fmt.Errorf("column %q: Parquet type %s is not supported", c.name, c.describe())
}
