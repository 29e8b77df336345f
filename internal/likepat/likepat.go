// Package likepat matches SQL LIKE patterns. It is shared by the LIKE
// kernel (exec/eval) and by tables that test constants against a scan's
// LIKE patterns (the hidden "$path" column of file tables).
package likepat

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// LIKE is case-sensitive (binary collation): '%' matches any sequence,
// '_' exactly one character (UTF-8 aware), and the escape character
// (default backslash; '' disables escaping) makes the next character
// literal. A constant pattern is compiled once into a matcher with fast
// paths for exact / prefix / suffix / contains / prefix+suffix; anything
// else runs a greedy segment matcher (never a regexp).

type likeKind int

const (
	likeExact likeKind = iota
	likePrefix
	likeSuffix
	likeContains
	likePrefixSuffix
	likeAny // '%' alone: every non-NULL string
	likeGeneral
)

// likeTok is one element of a pattern segment: a literal run or '_'.
type likeTok struct {
	lit []byte // nil: '_'
}

type Matcher struct {
	kind likeKind
	a, b []byte
	segs [][]likeTok // general: segments between '%' (first and last anchored)
	// segLit[i] is segment i as one literal when it has no '_' (nil
	// otherwise): it is then found with bytes.Index instead of trying
	// every position.
	segLit [][]byte
}

// Compile parses pattern p with escape character esc (-1 = none).
func Compile(p string, esc rune) (*Matcher, error) {
	var segs [][]likeTok
	var cur []likeTok
	var lit []byte
	hasUnderscore := false
	flushLit := func() {
		if lit != nil {
			cur = append(cur, likeTok{lit: lit})
			lit = nil
		}
	}
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		switch {
		case esc >= 0 && r == esc:
			if i+size >= len(p) {
				return nil, fmt.Errorf("LIKE pattern %q ends with the escape character", p)
			}
			_, s2 := utf8.DecodeRuneInString(p[i+size:])
			lit = append(lit, p[i+size:i+size+s2]...)
			i += size + s2
			continue
		case r == '%':
			flushLit()
			if len(cur) > 0 || len(segs) == 0 {
				segs = append(segs, cur)
			}
			cur = nil
			i += size
			continue
		case r == '_':
			flushLit()
			cur = append(cur, likeTok{})
			hasUnderscore = true
		default:
			lit = append(lit, p[i:i+size]...)
		}
		i += size
	}
	flushLit()
	segs = append(segs, cur)
	m := &Matcher{}
	// segs[0] is the part before the first '%' (possibly empty), the last
	// is the part after the last '%' (possibly empty); middle ones are
	// non-empty.
	if !hasUnderscore {
		lits := make([][]byte, len(segs))
		for i, s := range segs {
			for _, t := range s {
				lits[i] = append(lits[i], t.lit...)
			}
			if lits[i] == nil {
				lits[i] = []byte{}
			}
		}
		switch {
		case len(segs) == 1:
			m.kind, m.a = likeExact, lits[0]
			return m, nil
		case len(segs) == 2 && len(lits[0]) == 0 && len(lits[1]) == 0:
			m.kind = likeAny
			return m, nil
		case len(segs) == 2 && len(lits[1]) == 0:
			m.kind, m.a = likePrefix, lits[0]
			return m, nil
		case len(segs) == 2 && len(lits[0]) == 0:
			m.kind, m.a = likeSuffix, lits[1]
			return m, nil
		case len(segs) == 2:
			m.kind, m.a, m.b = likePrefixSuffix, lits[0], lits[1]
			return m, nil
		case len(segs) == 3 && len(lits[0]) == 0 && len(lits[2]) == 0:
			m.kind, m.a = likeContains, lits[1]
			return m, nil
		}
	}
	m.kind, m.segs = likeGeneral, segs
	m.segLit = make([][]byte, len(segs))
	for i, seg := range segs {
		lit := []byte{}
		for _, t := range seg {
			if t.lit == nil {
				lit = nil
				break
			}
			lit = append(lit, t.lit...)
		}
		m.segLit[i] = lit
	}
	return m, nil
}

func (m *Matcher) Match(s []byte) bool {
	switch m.kind {
	case likeExact:
		return string(s) == string(m.a)
	case likePrefix:
		return bytes.HasPrefix(s, m.a)
	case likeSuffix:
		return bytes.HasSuffix(s, m.a)
	case likeContains:
		return bytes.Contains(s, m.a)
	case likePrefixSuffix:
		return len(s) >= len(m.a)+len(m.b) && bytes.HasPrefix(s, m.a) && bytes.HasSuffix(s, m.b)
	case likeAny:
		return true
	}
	return m.matchGeneral(s)
}

// segAt matches segment seg at s[pos:], returning the end position.
func segAt(s []byte, pos int, seg []likeTok) (int, bool) {
	for _, t := range seg {
		if t.lit == nil {
			if pos >= len(s) {
				return 0, false
			}
			_, size := utf8.DecodeRune(s[pos:])
			pos += size
			continue
		}
		if !bytes.HasPrefix(s[pos:], t.lit) {
			return 0, false
		}
		pos += len(t.lit)
	}
	return pos, true
}

func (m *Matcher) matchGeneral(s []byte) bool {
	segs := m.segs
	if len(segs) == 1 { // no '%': whole-string match
		end, ok := segAt(s, 0, segs[0])
		return ok && end == len(s)
	}
	// first segment anchored at the start
	pos, ok := segAt(s, 0, segs[0])
	if !ok {
		return false
	}
	// Middle segments: the leftmost match of each is the best one (a
	// segment matches a fixed number of characters, so an earlier match
	// leaves more room for the rest).
	last := len(segs) - 1
	for i := 1; i < last; i++ {
		if pos, ok = m.findSeg(s, pos, i); !ok {
			return false
		}
	}
	// last segment anchored at the end (empty when the pattern ends in '%')
	if len(segs[last]) == 0 {
		return true
	}
	if lit := m.segLit[last]; lit != nil {
		return len(s)-pos >= len(lit) && bytes.HasSuffix(s, lit)
	}
	for p := pos; p <= len(s); p++ {
		if e, ok := segAt(s, p, segs[last]); ok && e == len(s) {
			return true
		}
	}
	return false
}

// findSeg finds the leftmost match of middle segment i in s[pos:] and
// returns the position after it. A literal segment is found with
// bytes.Index; a segment starting with a literal jumps to the candidate
// positions of that literal (a literal from the pattern starts with a
// whole character, so in UTF-8 text it is only found at character
// boundaries); one starting with '_' tries each character position.
func (m *Matcher) findSeg(s []byte, pos, i int) (int, bool) {
	if lit := m.segLit[i]; lit != nil {
		k := bytes.Index(s[pos:], lit)
		if k < 0 {
			return 0, false
		}
		return pos + k + len(lit), true
	}
	seg := m.segs[i]
	first := seg[0].lit
	for p := pos; p <= len(s); p++ {
		if first != nil {
			k := bytes.Index(s[p:], first)
			if k < 0 {
				return 0, false
			}
			p += k
		}
		if e, ok := segAt(s, p, seg); ok {
			return e, true
		}
		if p < len(s) && s[p] >= utf8.RuneSelf { // step whole characters
			_, size := utf8.DecodeRune(s[p:])
			p += size - 1
		}
	}
	return 0, false
}

// Regexp translates pattern p (backslash escape) into an equivalent
// regular expression: the reference semantics the matcher is tested
// against ('%' any sequence, '_' one character, both UTF-8 aware).
func Regexp(p string) *regexp.Regexp {
	var sb strings.Builder
	sb.WriteString("(?s)^")
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '\\':
			if i+1 < len(rs) {
				i++
				sb.WriteString(regexp.QuoteMeta(string(rs[i])))
			}
		case '%':
			sb.WriteString(".*")
		case '_':
			sb.WriteString(".")
		default:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	sb.WriteString("$")
	return regexp.MustCompile(sb.String())
}
