package crawler

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/tarnsql/tarn/catalog/types"
)

// avroMagic starts an Avro object container file.
var avroMagic = []byte("Obj\x01")

// avroSchema reads the writer schema from an Avro container header
// (the "avro.schema" metadata entry) and maps its record fields to
// columns.
func avroSchema(head []byte) ([]Column, error) {
	if !bytes.HasPrefix(head, avroMagic) {
		return nil, errors.New("not an Avro container file")
	}
	r := &avroReader{b: head[len(avroMagic):]}
	var schema []byte
	for {
		n, err := r.long()
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		if n < 0 {
			n = -n
			if _, err := r.long(); err != nil { // block size in bytes
				return nil, err
			}
		}
		if n > 1<<16 {
			return nil, fmt.Errorf("header metadata of %d entries", n)
		}
		for i := int64(0); i < n; i++ {
			k, err := r.bytes()
			if err != nil {
				return nil, err
			}
			v, err := r.bytes()
			if err != nil {
				return nil, err
			}
			if string(k) == "avro.schema" {
				schema = v
			}
		}
	}
	if schema == nil {
		return nil, errors.New("header has no avro.schema entry")
	}
	var s any
	if err := json.Unmarshal(schema, &s); err != nil {
		return nil, fmt.Errorf("avro.schema is not JSON: %v", err)
	}
	m := &avroMapper{named: map[string]*Type{}, defining: map[string]bool{}}
	t, err := m.typeOf(s, 0)
	if err != nil {
		return nil, err
	}
	if t.Kind != KindStruct {
		return nil, errors.New("the top-level schema is not a record")
	}
	cols := make([]Column, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = Column(f)
	}
	return cols, nil
}

type avroReader struct{ b []byte }

var errAvroShort = errors.New("header truncated (larger than the sample)")

func (r *avroReader) long() (int64, error) {
	var u uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if len(r.b) == 0 {
			return 0, errAvroShort
		}
		c := r.b[0]
		r.b = r.b[1:]
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, errors.New("bad varint in header")
}

func (r *avroReader) bytes() ([]byte, error) {
	n, err := r.long()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, errors.New("negative length in header")
	}
	if int64(len(r.b)) < n {
		return nil, errAvroShort
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v, nil
}

type avroMapper struct {
	named    map[string]*Type
	defining map[string]bool
}

func (m *avroMapper) typeOf(s any, depth int) (*Type, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	switch v := s.(type) {
	case string:
		switch v {
		case "null":
			return tNull, nil
		case "boolean":
			return tBool, nil
		case "int":
			return tInt, nil
		case "long":
			return tBigint, nil
		case "float":
			return scalar(types.Float32), nil
		case "double":
			return tDouble, nil
		case "bytes", "string":
			return tString, nil
		}
		if m.defining[v] {
			return tString, nil // a recursive record: no finite type text
		}
		if t, ok := m.named[v]; ok {
			return t, nil
		}
		return nil, fmt.Errorf("unknown Avro type %q", v)
	case []any: // union
		var out *Type = tNull
		for _, b := range v {
			t, err := m.typeOf(b, depth+1)
			if err != nil {
				return nil, err
			}
			mt, ok := Merge(out, t, false)
			if !ok {
				return tString, nil // a union of unrelated types
			}
			out = mt
		}
		return out, nil
	case map[string]any:
		typ, _ := v["type"].(string)
		logical, _ := v["logicalType"].(string)
		switch logical {
		case "date":
			return tDate, nil
		case "timestamp-millis", "timestamp-micros", "timestamp-nanos",
			"local-timestamp-millis", "local-timestamp-micros", "local-timestamp-nanos":
			return tTimestamp, nil
		case "decimal":
			p, _ := v["precision"].(float64)
			sc, _ := v["scale"].(float64)
			if p >= 1 && p <= types.MaxDecimalPrecision && sc >= 0 && sc <= p {
				return scalar(types.Decimal(int32(p), int32(sc))), nil
			}
		}
		switch typ {
		case "record", "error":
			st := &Type{Kind: KindStruct}
			name, _ := v["name"].(string)
			if name != "" {
				m.defining[name] = true
				defer delete(m.defining, name)
				m.named[name] = st
			}
			fields, _ := v["fields"].([]any)
			for _, f := range fields {
				fm, ok := f.(map[string]any)
				if !ok {
					return nil, errors.New("record field is not an object")
				}
				fname, _ := fm["name"].(string)
				ft, err := m.typeOf(fm["type"], depth+1)
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", fname, err)
				}
				st.Fields = append(st.Fields, Field{Name: fname, Type: ft})
			}
			return st, nil
		case "enum", "fixed":
			if name, ok := v["name"].(string); ok {
				m.named[name] = tString
			}
			return tString, nil
		case "array":
			e, err := m.typeOf(v["items"], depth+1)
			if err != nil {
				return nil, err
			}
			return &Type{Kind: KindArray, Elem: e}, nil
		case "map":
			e, err := m.typeOf(v["values"], depth+1)
			if err != nil {
				return nil, err
			}
			return &Type{Kind: KindMap, Key: tString, Elem: e}, nil
		case "":
			return nil, errors.New("type object without a type")
		}
		return m.typeOf(typ, depth+1)
	}
	return nil, fmt.Errorf("unexpected schema element %T", s)
}
