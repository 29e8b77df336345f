package crawler

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

// refLineType is a reference implementation of jsonLineType over
// encoding/json's tokenizer, for differential tests.
// jsonLineType types one JSON object, keeping its key order.
func refLineType(line []byte) (*Type, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	t, err := refValueType(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the object")
	}
	if t.Kind != KindStruct {
		return nil, errors.New("not an object")
	}
	return t, nil
}

// jsonValueType reads one value from dec and types it: objects as
// STRUCT (fields in key order), arrays as ARRAY of the merged element
// type, numbers as INT/BIGINT/DOUBLE, strings as DATE/TIMESTAMP when
// they hold one, else VARCHAR.
func refValueType(dec *json.Decoder, depth int) (*Type, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case nil:
		return tNull, nil
	case bool:
		return tBool, nil
	case json.Number:
		return numberType(string(v)), nil
	case string:
		switch {
		case isDate(v):
			return tDate, nil
		case isTimestamp(v):
			return tTimestamp, nil
		}
		return tString, nil
	case json.Delim:
		switch v {
		case '{':
			st := &Type{Kind: KindStruct}
			idx := map[string]int{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, _ := kt.(string)
				ft, err := refValueType(dec, depth+1)
				if err != nil {
					return nil, err
				}
				if i, ok := idx[key]; ok { // a repeated key: the types merge
					st.Fields[i].Type, _ = Merge(st.Fields[i].Type, ft, true)
					continue
				}
				idx[key] = len(st.Fields)
				st.Fields = append(st.Fields, Field{Name: key, Type: ft})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return st, nil
		case '[':
			elem := tNull
			for dec.More() {
				et, err := refValueType(dec, depth+1)
				if err != nil {
					return nil, err
				}
				elem, _ = Merge(elem, et, true)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return &Type{Kind: KindArray, Elem: elem}, nil
		}
	}
	return nil, errors.New("unexpected JSON token")
}
