package eval

import (
	"bytes"
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
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

type likeMatcher struct {
	kind likeKind
	a, b []byte
	segs [][]likeTok // general: segments between '%' (first and last anchored)
}

// compileLike parses pattern p with escape character esc (-1 = none).
func compileLikePattern(p string, esc rune) (*likeMatcher, error) {
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
	m := &likeMatcher{}
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
	return m, nil
}

func (m *likeMatcher) match(s []byte) bool {
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

func (m *likeMatcher) matchGeneral(s []byte) bool {
	segs := m.segs
	pos := 0
	if len(segs) == 1 { // no '%': whole-string match
		end, ok := segAt(s, 0, segs[0])
		return ok && end == len(s)
	}
	// first segment anchored at the start
	end, ok := segAt(s, 0, segs[0])
	if !ok {
		return false
	}
	pos = end
	last := len(segs) - 1
	for _, seg := range segs[1:last] {
		found := false
		for p := pos; p <= len(s); p++ {
			if e, ok := segAt(s, p, seg); ok {
				pos, found = e, true
				break
			}
			if p < len(s) && s[p] >= utf8.RuneSelf { // step whole characters
				_, size := utf8.DecodeRune(s[p:])
				p += size - 1
			}
		}
		if !found {
			return false
		}
	}
	// last segment anchored at the end (empty when the pattern ends in '%')
	if len(segs[last]) == 0 {
		return true
	}
	for p := pos; p <= len(s); p++ {
		if e, ok := segAt(s, p, segs[last]); ok && e == len(s) {
			return true
		}
	}
	return false
}

type likeNode struct {
	arg     operand
	pat     operand
	m       *likeMatcher // constant pattern
	esc     rune
	negated bool
	mem     memory.Allocator
	e       *expr.Call
}

func (c *compiler) compileLike(e *expr.Call) (node, error) {
	if len(e.Args) < 2 || len(e.Args) > 3 {
		return nil, fmt.Errorf("%s: expected 2 or 3 arguments", e)
	}
	for _, a := range e.Args[:2] {
		if !types.IsString(a.Type()) && a.Type().ID() != arrow.NULL {
			return nil, fmt.Errorf("%s: LIKE needs VARCHAR arguments, got %s", e, types.SQLName(a.Type()))
		}
	}
	esc := '\\'
	if len(e.Args) == 3 {
		l, ok := e.Args[2].(*expr.Literal)
		s, ok2 := "", false
		if ok {
			s, ok2 = l.Value.(string)
		}
		if !ok2 {
			return nil, fmt.Errorf("%s: ESCAPE must be a constant string", e)
		}
		switch utf8.RuneCountInString(s) {
		case 0:
			esc = -1
		case 1:
			esc, _ = utf8.DecodeRuneInString(s)
		default:
			return nil, fmt.Errorf("%s: ESCAPE must be a single character, got '%s'", e, s)
		}
	}
	arg, err := c.operand(e.Args[0])
	if err != nil {
		return nil, err
	}
	pat, err := c.operand(e.Args[1])
	if err != nil {
		return nil, err
	}
	n := &likeNode{arg: arg, pat: pat, esc: esc, negated: e.Fn == "not_like", mem: c.mem, e: e}
	if pat.cnst != nil && pat.cnst.v != nil {
		if n.m, err = compileLikePattern(pat.cnst.v.(string), esc); err != nil {
			return nil, fmt.Errorf("%s: %w", e, err)
		}
	}
	return n, nil
}

// rows computes, per logical row, 0 = false, 1 = true, 2 = NULL.
func (n *likeNode) rows(ctx context.Context, b *vec.Batch, fn func(j int, res bool)) (nullRows []int32, err error) {
	ar, err := n.arg.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer ar.release()
	pr, err := n.pat.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer pr.release()
	cnt := b.NumRows()
	if ar.arr == nil {
		ar = rop{arr: constArray(n.mem, types.String, ar.c.v, cnt), owned: true}
		defer ar.release()
	}
	sv := newStrView(&ar)
	m := n.m
	if m != nil {
		neg := n.negated
		noNulls := !ar.hasNulls()
		// constant pattern: one loop per matcher kind would be ideal; the
		// matcher's switch is perfectly predicted across the batch
		if ar.sel == nil {
			offs, data := sv.offs, sv.data
			for j := 0; j < cnt; j++ {
				if noNulls || ar.valid(j) {
					fn(j, m.match(data[offs[j]:offs[j+1]]) != neg)
				} else {
					nullRows = append(nullRows, int32(j))
				}
			}
			return nullRows, nil
		}
		for j, i := range ar.sel[:cnt] {
			if noNulls || ar.valid(j) {
				fn(j, m.match(sv.at(int(i))) != neg)
			} else {
				nullRows = append(nullRows, int32(j))
			}
		}
		return nullRows, nil
	}
	if pr.arr == nil { // NULL pattern
		for j := 0; j < cnt; j++ {
			nullRows = append(nullRows, int32(j))
		}
		return nullRows, nil
	}
	pv := newStrView(&pr)
	var lastPat []byte
	var lastM *likeMatcher
	for j := 0; j < cnt; j++ {
		if !ar.valid(j) || !pr.valid(j) {
			nullRows = append(nullRows, int32(j))
			continue
		}
		p := pv.at(pr.phys(j))
		if lastM == nil || !bytes.Equal(p, lastPat) {
			lastPat = append(lastPat[:0], p...)
			if lastM, err = compileLikePattern(string(p), n.esc); err != nil {
				return nil, fmt.Errorf("%s: %w", n.e, err)
			}
		}
		fn(j, lastM.match(sv.at(ar.phys(j))) != n.negated)
	}
	return nullRows, nil
}

func (n *likeNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	out := newBoolOut(n.mem, cnt)
	bs := out.vals.Bytes()
	nulls, err := n.rows(ctx, b, func(j int, res bool) {
		if res {
			bs[j>>3] |= 1 << (j & 7)
		}
	})
	if err != nil {
		out.finish().Release()
		return nil, err
	}
	for _, j := range nulls {
		out.setNull(int(j))
	}
	return out.finish(), nil
}

func (n *likeNode) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	out := growSel(buf, b.NumRows())
	k := 0
	sel := b.Sel
	_, err := n.rows(ctx, b, func(j int, res bool) {
		if sel != nil {
			out[k] = sel[j]
		} else {
			out[k] = int32(j)
		}
		if res {
			k++
		}
	})
	if err != nil {
		return nil, err
	}
	return out[:k], nil
}
