package testfiles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/hamba/avro/v2/ocf"
	pq "github.com/parquet-go/parquet-go"
)

// AvroOptions are how an Avro object container file is written.
type AvroOptions struct {
	// Codec compresses the blocks (ocf.Null when empty).
	Codec ocf.CodecName
	// BlockLength is the number of rows per block (the library's
	// default when 0).
	BlockLength int
}

// avroType is a column's Avro type and the name hamba/avro gives its
// branch in a ["null", T] union.
func avroType(dt arrow.DataType) (typ any, branch string, err error) {
	switch dt.ID() {
	case arrow.INT32:
		return "int", "int", nil
	case arrow.INT64:
		return "long", "long", nil
	case arrow.FLOAT64:
		return "double", "double", nil
	case arrow.BOOL:
		return "boolean", "boolean", nil
	case arrow.STRING:
		return "string", "string", nil
	case arrow.DATE32:
		return map[string]any{"type": "int", "logicalType": "date"}, "int.date", nil
	case arrow.TIMESTAMP:
		return map[string]any{"type": "long", "logicalType": "timestamp-micros"}, "long.timestamp-micros", nil
	case arrow.DECIMAL64:
		d := dt.(*arrow.Decimal64Type)
		return map[string]any{"type": "bytes", "logicalType": "decimal", "precision": d.Precision, "scale": d.Scale}, "bytes.decimal", nil
	}
	return nil, "", fmt.Errorf("type %s has no Avro mapping here", dt)
}

// avroValue converts a non-NULL value to what the encoder takes for its
// Avro type.
func avroValue(dt arrow.DataType, v any) any {
	switch dt.ID() {
	case arrow.INT32:
		return int(v.(int32))
	case arrow.DATE32:
		return time.Unix(int64(v.(int32))*86400, 0).UTC()
	case arrow.TIMESTAMP:
		return time.UnixMicro(v.(int64)).UTC()
	case arrow.DECIMAL64:
		return new(big.Rat).SetFrac(big.NewInt(v.(int64)), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(dt.(*arrow.Decimal64Type).Scale)), nil))
	}
	return v
}

// Avro writes the table as an Avro object container file of one record
// type, "r": a nullable column is a ["null", T] union, DATE, TIMESTAMP
// and DECIMAL use the date, timestamp-micros and bytes decimal logical
// types.
func Avro(tb testing.TB, t *Table, o AvroOptions) []byte {
	tb.Helper()
	if err := t.Check(); err != nil {
		tb.Fatal(err)
	}
	fields := make([]map[string]any, len(t.Columns))
	branches := make([]string, len(t.Columns))
	for j, c := range t.Columns {
		typ, branch, err := avroType(c.Type)
		if err != nil {
			tb.Fatalf("testfiles: avro: column %s: %v", c.Name, err)
		}
		if c.Nullable {
			typ = []any{"null", typ}
			branches[j] = branch
		}
		fields[j] = map[string]any{"name": c.Name, "type": typ}
	}
	schema, err := json.Marshal(map[string]any{"type": "record", "name": "r", "fields": fields})
	if err != nil {
		tb.Fatalf("testfiles: avro schema: %v", err)
	}
	codec := o.Codec
	if codec == "" {
		codec = ocf.Null
	}
	opts := []ocf.EncoderFunc{ocf.WithCodec(codec)}
	if o.BlockLength > 0 {
		opts = append(opts, ocf.WithBlockLength(o.BlockLength))
	}
	var b bytes.Buffer
	enc, err := ocf.NewEncoder(string(schema), &b, opts...)
	if err != nil {
		tb.Fatalf("testfiles: avro: %v", err)
	}
	for i, r := range t.Rows {
		m := make(map[string]any, len(t.Columns))
		for j, c := range t.Columns {
			switch {
			case r[j] == nil:
				m[c.Name] = nil
			case c.Nullable:
				m[c.Name] = map[string]any{branches[j]: avroValue(c.Type, r[j])}
			default:
				m[c.Name] = avroValue(c.Type, r[j])
			}
		}
		if err := enc.Encode(m); err != nil {
			tb.Fatalf("testfiles: avro: row %d: %v", i, err)
		}
	}
	if err := enc.Close(); err != nil {
		tb.Fatalf("testfiles: avro: %v", err)
	}
	return b.Bytes()
}

// ParquetOptions are how a Parquet file is written.
type ParquetOptions struct {
	// RowGroupRows caps the rows of a row group (the library's default
	// when 0).
	RowGroupRows int64
	// DictStrings dictionary-encodes the VARCHAR columns.
	DictStrings bool
	// Writer are further writer options, e.g. pq.Compression(&pq.Zstd).
	Writer []pq.WriterOption
}

// parquetField is a column's Go field type and struct tag options: the
// physical type with its logical annotation, as parquet-go derives the
// schema from a struct.
func parquetField(c Column, dict bool) (reflect.Type, string, error) {
	var typ reflect.Type
	tag := ""
	switch c.Type.ID() {
	case arrow.INT32:
		typ = reflect.TypeFor[int32]()
	case arrow.INT64:
		typ = reflect.TypeFor[int64]()
	case arrow.FLOAT64:
		typ = reflect.TypeFor[float64]()
	case arrow.BOOL:
		typ = reflect.TypeFor[bool]()
	case arrow.STRING:
		typ = reflect.TypeFor[string]()
		if dict {
			tag += ",dict"
		}
	case arrow.DATE32:
		typ, tag = reflect.TypeFor[int32](), ",date"
	case arrow.TIMESTAMP:
		typ, tag = reflect.TypeFor[int64](), ",timestamp(microsecond)"
	case arrow.DECIMAL64:
		d := c.Type.(*arrow.Decimal64Type)
		typ, tag = reflect.TypeFor[int64](), fmt.Sprintf(",decimal(%d:%d)", d.Scale, d.Precision)
	default:
		return nil, "", fmt.Errorf("type %s has no Parquet mapping here", c.Type)
	}
	if c.Nullable {
		typ = reflect.PointerTo(typ)
		tag = ",optional" + tag
	}
	return typ, tag, nil
}

// Parquet writes the table as a Parquet file with the columns in their
// order: a nullable column is optional, DATE, TIMESTAMP(us) and DECIMAL
// are annotated int32/int64 columns.
func Parquet(tb testing.TB, t *Table, o ParquetOptions) []byte {
	tb.Helper()
	if err := t.Check(); err != nil {
		tb.Fatal(err)
	}
	// A struct type built for the columns keeps their order in the file
	// (a pq.Group would sort them by name).
	sf := make([]reflect.StructField, len(t.Columns))
	for j, c := range t.Columns {
		typ, tag, err := parquetField(c, o.DictStrings)
		if err != nil {
			tb.Fatalf("testfiles: parquet: column %s: %v", c.Name, err)
		}
		sf[j] = reflect.StructField{Name: fmt.Sprintf("C%d", j), Type: typ, Tag: reflect.StructTag(fmt.Sprintf(`parquet:"%s%s"`, c.Name, tag))}
	}
	rowType := reflect.StructOf(sf)
	opts := []pq.WriterOption{pq.SchemaOf(reflect.New(rowType).Interface())}
	if o.RowGroupRows > 0 {
		opts = append(opts, pq.MaxRowsPerRowGroup(o.RowGroupRows))
	}
	var b bytes.Buffer
	w := pq.NewWriter(&b, append(opts, o.Writer...)...)
	row := reflect.New(rowType).Elem()
	for i, r := range t.Rows {
		for j, v := range r {
			f := row.Field(j)
			switch {
			case v == nil:
				f.SetZero()
			case f.Kind() == reflect.Pointer:
				p := reflect.New(f.Type().Elem())
				p.Elem().Set(reflect.ValueOf(v))
				f.Set(p)
			default:
				f.Set(reflect.ValueOf(v))
			}
		}
		if err := w.Write(row.Interface()); err != nil {
			tb.Fatalf("testfiles: parquet: row %d: %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("testfiles: parquet: %v", err)
	}
	return b.Bytes()
}
