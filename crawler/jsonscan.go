package crawler

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// jsonTyper types one JSON text in a single pass over its bytes (no
// decoding into values): objects as STRUCT (keys in order, repeated
// keys merged), arrays as ARRAY of the merged element type, numbers as
// INT/BIGINT/DOUBLE, strings as DATE/TIMESTAMP when they hold one, else
// VARCHAR. It accepts exactly the texts encoding/json accepts.
type jsonTyper struct {
	b []byte
	i int
}

var errJSON = errors.New("invalid JSON")

func (p *jsonTyper) space() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// typeOf types a whole text holding one value.
func (p *jsonTyper) typeOf() (*Type, error) {
	t, err := p.value(0)
	if err != nil {
		return nil, err
	}
	if p.space(); p.i != len(p.b) {
		return nil, errJSON
	}
	return t, nil
}

func (p *jsonTyper) value(depth int) (*Type, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, errJSON
	}
	switch c := p.b[p.i]; {
	case c == '{':
		p.i++
		st := &Type{Kind: KindStruct}
		var idx map[string]int
		p.space()
		if p.i < len(p.b) && p.b[p.i] == '}' {
			p.i++
			return st, nil
		}
		for {
			p.space()
			key, _, err := p.str()
			if err != nil {
				return nil, err
			}
			if p.space(); p.i >= len(p.b) || p.b[p.i] != ':' {
				return nil, errJSON
			}
			p.i++
			ft, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if idx == nil {
				idx = map[string]int{}
			}
			if k, ok := idx[key]; ok {
				st.Fields[k].Type, _ = Merge(st.Fields[k].Type, ft, true)
			} else {
				idx[key] = len(st.Fields)
				st.Fields = append(st.Fields, Field{Name: key, Type: ft})
			}
			if p.space(); p.i >= len(p.b) {
				return nil, errJSON
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case '}':
				p.i++
				return st, nil
			default:
				return nil, errJSON
			}
		}
	case c == '[':
		p.i++
		elem := tNull
		p.space()
		if p.i < len(p.b) && p.b[p.i] == ']' {
			p.i++
			return &Type{Kind: KindArray, Elem: elem}, nil
		}
		for {
			et, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			elem, _ = Merge(elem, et, true)
			if p.space(); p.i >= len(p.b) {
				return nil, errJSON
			}
			switch p.b[p.i] {
			case ',':
				p.i++
			case ']':
				p.i++
				return &Type{Kind: KindArray, Elem: elem}, nil
			default:
				return nil, errJSON
			}
		}
	case c == '"':
		s, _, err := p.str()
		if err != nil {
			return nil, err
		}
		if len(s) >= 10 && s[0] >= '0' && s[0] <= '9' {
			switch {
			case isDate(s):
				return tDate, nil
			case isTimestamp(s):
				return tTimestamp, nil
			}
		}
		return tString, nil
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		if err := p.number(); err != nil {
			return nil, err
		}
		return numberType(string(p.b[start:p.i])), nil
	case c == 't':
		return tBool, p.lit("true")
	case c == 'f':
		return tBool, p.lit("false")
	case c == 'n':
		return tNull, p.lit("null")
	}
	return nil, errJSON
}

func (p *jsonTyper) lit(w string) error {
	if len(p.b)-p.i < len(w) || string(p.b[p.i:p.i+len(w)]) != w {
		return errJSON
	}
	p.i += len(w)
	return nil
}

// number checks the JSON number grammar.
func (p *jsonTyper) number() error {
	b := p.b
	if p.i < len(b) && b[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(b) && b[p.i] == '0':
		p.i++
	case p.i < len(b) && b[p.i] >= '1' && b[p.i] <= '9':
		for p.i < len(b) && b[p.i] >= '0' && b[p.i] <= '9' {
			p.i++
		}
	default:
		return errJSON
	}
	if p.i < len(b) && b[p.i] == '.' {
		p.i++
		d := p.i
		for p.i < len(b) && b[p.i] >= '0' && b[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			return errJSON
		}
	}
	if p.i < len(b) && (b[p.i] == 'e' || b[p.i] == 'E') {
		p.i++
		if p.i < len(b) && (b[p.i] == '+' || b[p.i] == '-') {
			p.i++
		}
		d := p.i
		for p.i < len(b) && b[p.i] >= '0' && b[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			return errJSON
		}
	}
	return nil
}

// str reads a string and decodes it; plain is false when it had
// escapes.
func (p *jsonTyper) str() (s string, plain bool, err error) {
	b := p.b
	if p.i >= len(b) || b[p.i] != '"' {
		return "", false, errJSON
	}
	p.i++
	start, plain, high := p.i, true, false
	for p.i < len(b) {
		c := b[p.i]
		switch {
		case c == '"':
			s = string(b[start:p.i])
			p.i++
			if !plain || high && !utf8.ValidString(s) {
				s = unescapeJSON(s) // also replaces invalid UTF-8 by U+FFFD
			}
			return s, plain, nil
		case c == '\\':
			plain = false
			if p.i+1 >= len(b) {
				return "", false, errJSON
			}
			switch b[p.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				p.i += 2
			case 'u':
				if p.i+6 > len(b) {
					return "", false, errJSON
				}
				for _, h := range b[p.i+2 : p.i+6] {
					if !(h >= '0' && h <= '9' || h|0x20 >= 'a' && h|0x20 <= 'f') {
						return "", false, errJSON
					}
				}
				p.i += 6
			default:
				return "", false, errJSON
			}
		case c < 0x20:
			return "", false, errJSON
		default:
			high = high || c >= 0x80
			p.i++
		}
	}
	return "", false, errJSON
}

// unescapeJSON decodes a JSON string body (validated by str).
func unescapeJSON(body string) string {
	var out string
	if err := json.Unmarshal([]byte(`"`+body+`"`), &out); err != nil {
		return body
	}
	return out
}
