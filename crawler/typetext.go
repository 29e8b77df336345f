package crawler

import (
	"fmt"
	"strings"

	"github.com/tarnsql/tarn/catalog/types"
)

// ParseType reads catalog type text back into a Type: scalar names as
// types.Parse reads them, and Hive complex types ARRAY<t>, MAP<k,v>,
// STRUCT<name:t,...> (any case).
func ParseType(s string) (*Type, error) {
	p := &typeParser{s: s}
	t, err := p.parse(0)
	if err != nil {
		return nil, err
	}
	if p.skipSpace(); p.i != len(p.s) {
		return nil, fmt.Errorf("type %q: unexpected text at offset %d", s, p.i)
	}
	return t, nil
}

type typeParser struct {
	s string
	i int
}

func (p *typeParser) skipSpace() {
	for p.i < len(p.s) && p.s[p.i] == ' ' {
		p.i++
	}
}

func (p *typeParser) expect(c byte) error {
	p.skipSpace()
	if p.i >= len(p.s) || p.s[p.i] != c {
		return fmt.Errorf("type %q: expected '%c' at offset %d", p.s, c, p.i)
	}
	p.i++
	return nil
}

// word reads up to one of the stop characters at nesting depth 0
// (parentheses of DECIMAL(p,s) are part of the word).
func (p *typeParser) word() string {
	p.skipSpace()
	start, paren := p.i, 0
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '(':
			paren++
		case c == ')':
			paren--
		case paren == 0 && (c == '<' || c == '>' || c == ',' || c == ':'):
			return strings.TrimSpace(p.s[start:p.i])
		}
		p.i++
	}
	return strings.TrimSpace(p.s[start:p.i])
}

func (p *typeParser) parse(depth int) (*Type, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	w := p.word()
	switch strings.ToUpper(w) {
	case "ARRAY":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		e, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Type{Kind: KindArray, Elem: e}, p.expect('>')
	case "MAP":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		k, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		if err := p.expect(','); err != nil {
			return nil, err
		}
		v, err := p.parse(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Type{Kind: KindMap, Key: k, Elem: v}, p.expect('>')
	case "STRUCT":
		if err := p.expect('<'); err != nil {
			return nil, err
		}
		st := &Type{Kind: KindStruct}
		for {
			if p.skipSpace(); p.i < len(p.s) && p.s[p.i] == '>' && len(st.Fields) == 0 {
				p.i++
				return st, nil
			}
			name := p.word()
			if err := p.expect(':'); err != nil {
				return nil, err
			}
			ft, err := p.parse(depth + 1)
			if err != nil {
				return nil, err
			}
			st.Fields = append(st.Fields, Field{Name: name, Type: ft})
			p.skipSpace()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			return st, p.expect('>')
		}
	}
	dt, err := types.Parse(w)
	if err != nil {
		return nil, err
	}
	return scalar(dt), nil
}
