package planner

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
)

// String ranges a key predicate implies for one key, so that stores can
// seek (catalog.PartitionFilter Lo/Hi) instead of scanning. Only string
// keys get ranges: stores compare values as strings, which orders other
// types' text wrongly ("10" < "9").

// strRange is an inclusive interval of strings; nil ends are unbounded.
type strRange struct{ lo, hi *string }

// strSet is a union of disjoint ranges sorted by their low ends; all
// means unconstrained.
type strSet struct {
	all bool
	rs  []strRange
}

var anyString = strSet{all: true}

func pointSet(v string) strSet { return strSet{rs: []strRange{{lo: &v, hi: &v}}} }

// lessLo orders low ends (nil, unbounded, first).
func lessLo(a, b *string) bool { return a == nil && b != nil || a != nil && b != nil && *a < *b }

func (s strSet) normalize() strSet {
	if s.all {
		return s
	}
	sort.SliceStable(s.rs, func(i, j int) bool { return lessLo(s.rs[i].lo, s.rs[j].lo) })
	var out []strRange
	for _, r := range s.rs {
		if r.lo != nil && r.hi != nil && *r.lo > *r.hi {
			continue // empty
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.hi == nil || r.lo == nil || *r.lo <= *last.hi {
				if last.hi != nil && (r.hi == nil || *r.hi > *last.hi) {
					last.hi = r.hi
				}
				continue
			}
		}
		out = append(out, r)
	}
	return strSet{rs: out}
}

func (s strSet) and(t strSet) strSet {
	if s.all {
		return t
	}
	if t.all {
		return s
	}
	var out []strRange
	for _, a := range s.rs {
		for _, b := range t.rs {
			r := a
			if b.lo != nil && (r.lo == nil || *b.lo > *r.lo) {
				r.lo = b.lo
			}
			if b.hi != nil && (r.hi == nil || *b.hi < *r.hi) {
				r.hi = b.hi
			}
			out = append(out, r)
		}
	}
	return strSet{rs: out}.normalize()
}

func (s strSet) or(t strSet) strSet {
	if s.all || t.all {
		return anyString
	}
	return strSet{rs: append(append([]strRange(nil), s.rs...), t.rs...)}.normalize()
}

// hull is the smallest single range holding the set (nil ends when
// unbounded).
func (s strSet) hull() (lo, hi *string) {
	if s.all || len(s.rs) == 0 {
		return nil, nil
	}
	lo, hi = s.rs[0].lo, s.rs[0].hi
	for _, r := range s.rs[1:] {
		if hi == nil || r.hi == nil {
			hi = nil
		} else if *r.hi > *hi {
			hi = r.hi
		}
	}
	return lo, hi
}

// keyBounds is the hull of keyRanges(k).
func (sk *scanKeys) keyBounds(k int) (lo, hi *string) {
	return sk.keyRanges(k).hull()
}

// keyRanges derives the ranges of string key k the conjuncts allow.
func (sk *scanKeys) keyRanges(k int) strSet {
	if !types.IsString(sk.kc.keyTypes[k]) {
		return anyString
	}
	set := anyString
	for _, c := range sk.conj {
		if cs, ok := sk.bounds(c, k); ok {
			set = set.and(cs)
		}
	}
	return set
}

// prefixRange holds every string with prefix p: [p, succ(p)], where
// succ(p) is p with its last character incremented — the smallest
// string above every string that starts with p, and valid UTF-8 (stores
// may keep values in UTF-8 text columns). The inclusive end may admit
// succ(p) itself; Match rejects it.
func prefixRange(p string) strSet {
	lo := p
	r := strRange{lo: &lo}
	for q := p; q != ""; {
		c, size := utf8.DecodeLastRuneInString(q)
		q = q[:len(q)-size]
		if c == utf8.RuneError && size <= 1 || c >= utf8.MaxRune {
			continue // carry into the previous character
		}
		c++
		if c >= 0xD800 && c <= 0xDFFF { // surrogates are not characters
			c = 0xE000
		}
		hi := q + string(c)
		r.hi = &hi
		break
	}
	return strSet{rs: []strRange{r}}
}

// bounds reports the ranges of key key a TRUE e implies (ok false: no
// information).
func (sk *scanKeys) bounds(e expr.Expr, key int) (strSet, bool) {
	isKey := func(x expr.Expr) bool {
		c, ok := x.(*expr.ColumnRef)
		if !ok {
			return false
		}
		k, ok := sk.kc.keyOf[c.Index]
		return ok && k == key && types.IsString(c.T)
	}
	strLit := func(x expr.Expr) (string, bool) {
		l, ok := x.(*expr.Literal)
		if !ok {
			return "", false
		}
		s, ok := l.Value.(string)
		return s, ok
	}
	intLit := func(x expr.Expr) (int64, bool) {
		l, ok := x.(*expr.Literal)
		if !ok {
			return 0, false
		}
		v, ok := l.Value.(int64)
		return v, ok
	}
	switch n := e.(type) {
	case *expr.InList:
		if n.Negated || !isKey(n.E) {
			return strSet{}, false
		}
		var set strSet
		for _, it := range n.List {
			if l, ok := it.(*expr.Literal); ok && l.Value == nil {
				continue // NULL never matches
			}
			v, ok := strLit(it)
			if !ok {
				return strSet{}, false
			}
			set.rs = append(set.rs, strRange{lo: &v, hi: &v})
		}
		return set.normalize(), true
	case *expr.Call:
		switch n.Fn {
		case "and":
			set, any := anyString, false
			for _, a := range n.Args {
				if as, ok := sk.bounds(a, key); ok {
					set, any = set.and(as), true
				}
			}
			return set, any
		case "or":
			var set strSet
			for _, a := range n.Args {
				as, ok := sk.bounds(a, key)
				if !ok {
					return strSet{}, false
				}
				set = set.or(as)
			}
			return set, len(n.Args) > 0
		case "like":
			if len(n.Args) != 2 || !isKey(n.Args[0]) {
				return strSet{}, false
			}
			p, ok := strLit(n.Args[1])
			if !ok {
				return strSet{}, false
			}
			i := strings.IndexAny(p, `%_\`)
			switch {
			case i < 0:
				return pointSet(p), true
			case i == 0:
				return strSet{}, false
			}
			return prefixRange(p[:i]), true
		case "starts_with":
			if len(n.Args) != 2 || !isKey(n.Args[0]) {
				return strSet{}, false
			}
			p, ok := strLit(n.Args[1])
			if !ok {
				return strSet{}, false
			}
			return prefixRange(p), true
		case "=", "<", "<=", ">", ">=":
			if len(n.Args) != 2 {
				return strSet{}, false
			}
			op, l, r := n.Fn, n.Args[0], n.Args[1]
			if _, ok := strLit(l); ok {
				l, r, op = r, l, flipOp[op]
			}
			v, ok := strLit(r)
			if !ok {
				return strSet{}, false
			}
			if isKey(l) {
				switch op {
				case "=":
					return pointSet(v), true
				case ">", ">=":
					return strSet{rs: []strRange{{lo: &v}}}, true
				default:
					return strSet{rs: []strRange{{hi: &v}}}, true
				}
			}
			// substring(key, 1, n) = 'p' / left(key, n) = 'p' with p of
			// n characters: the key starts with p.
			if op != "=" {
				return strSet{}, false
			}
			c, ok := l.(*expr.Call)
			if !ok || len(c.Args) < 2 || !isKey(c.Args[0]) {
				return strSet{}, false
			}
			var width int64
			switch {
			case c.Fn == "substring" && len(c.Args) == 3:
				if start, ok := intLit(c.Args[1]); !ok || start != 1 {
					return strSet{}, false
				}
				if width, ok = intLit(c.Args[2]); !ok {
					return strSet{}, false
				}
			case c.Fn == "left" && len(c.Args) == 2:
				if width, ok = intLit(c.Args[1]); !ok {
					return strSet{}, false
				}
			default:
				return strSet{}, false
			}
			if int64(utf8.RuneCountInString(v)) != width {
				return strSet{}, false
			}
			return prefixRange(v), true
		}
	}
	return strSet{}, false
}
