package planner

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/filetable/partvalue"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
)

// Partition-key predicates compiled into Go closures over a partition's
// values (the folder text, one string per key). A closure returns the
// expression's value in the expr.Literal representation (nil = NULL) or
// an error; the partition filter keeps a partition unless every
// conjunct could be evaluated and one is FALSE or NULL. Only
// deterministic expressions the closures implement compile; any other
// conjunct is left out of pruning (it keeps every partition).

// keyFn evaluates an expression over one partition's values.
type keyFn func(vals []string) (any, error)

var errKeyEval = errors.New("partition predicate cannot be evaluated")

// keyCompiler compiles expressions whose column references are partition
// keys. keyOf maps a column ID to its key index.
type keyCompiler struct {
	keyOf    map[int]int
	keyTypes []arrow.DataType
}

// refsOnlyKeys reports whether e reads only partition keys (at least one)
// and has no parameters.
func (kc *keyCompiler) refsOnlyKeys(e expr.Expr) bool {
	ok, any := true, false
	expr.Walk(e, func(x expr.Expr) bool {
		switch n := x.(type) {
		case *expr.ColumnRef:
			if _, isKey := kc.keyOf[n.Index]; !isKey {
				ok = false
			}
			any = true
		case *expr.Param:
			ok = false
		}
		return ok
	})
	return ok && any
}

func (kc *keyCompiler) compile(e expr.Expr) (keyFn, bool) {
	switch n := e.(type) {
	case *expr.Literal:
		v := n.Value
		return func([]string) (any, error) { return v, nil }, true
	case *expr.ColumnRef:
		k, ok := kc.keyOf[n.Index]
		if !ok {
			return nil, false
		}
		return kc.keyRef(k, n.T)
	case *expr.Cast:
		return kc.compileCast(n)
	case *expr.InList:
		return kc.compileIn(n)
	case *expr.Case:
		return kc.compileCase(n)
	case *expr.Call:
		return kc.compileCall(n)
	}
	return nil, false
}

// keyRef reads key k as type t (the key's declared type), parsed as the
// scan fills the key's column (partvalue.Parse), so pruning and reading
// agree on every partition's values.
func (kc *keyCompiler) keyRef(k int, t arrow.DataType) (keyFn, bool) {
	if types.IsString(t) {
		return func(v []string) (any, error) {
			s := v[k]
			if s == catalog.HiveDefaultPartition {
				return nil, nil
			}
			return s, nil
		}, true
	}
	if !partvalue.Supported(t) {
		return nil, false // a key type the scan cannot fill
	}
	return func(v []string) (any, error) {
		x, err := partvalue.Parse(v[k], t)
		if err != nil {
			return nil, errKeyEval
		}
		return x, nil
	}, true
}

// parseDateStrict parses a string as the executor's CAST to DATE does
// when there is no time part.
func parseDateStrict(s string) (int32, bool) { return partvalue.ParseDate(s) }

func (kc *keyCompiler) compileCast(n *expr.Cast) (keyFn, bool) {
	in, ok := kc.compile(n.E)
	if !ok {
		return nil, false
	}
	from, to := n.E.Type(), n.T
	if arrow.TypeEqual(from, to) {
		return in, true
	}
	if types.IsString(from) && to.ID() == arrow.DATE32 {
		return func(v []string) (any, error) {
			x, err := in(v)
			if err != nil || x == nil {
				return nil, err
			}
			d, ok := parseDateStrict(x.(string))
			if !ok {
				return nil, errKeyEval
			}
			return d, nil
		}, true
	}
	if !castSupported(from) || !castSupported(to) {
		return nil, false
	}
	return func(v []string) (any, error) {
		x, err := in(v)
		if err != nil || x == nil {
			return nil, err
		}
		y, err := logical.CastValue(x, from, to)
		if err != nil {
			return nil, errKeyEval
		}
		return y, nil
	}, true
}

func castSupported(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL64, arrow.DECIMAL128, arrow.DATE32, arrow.TIMESTAMP, arrow.BOOL:
		return true
	}
	return false
}

// cmpValues compares two non-NULL values of type t.
func cmpValues(a, b any, t arrow.DataType) (int, error) {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		if !ok {
			return 0, errKeyEval
		}
		return strings.Compare(x, y), nil
	case int64:
		y, ok := b.(int64)
		if !ok {
			return 0, errKeyEval
		}
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
		return 0, nil
	case int32:
		y, ok := b.(int32)
		if !ok {
			return 0, errKeyEval
		}
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
		return 0, nil
	case float64:
		y, ok := b.(float64)
		if !ok || math.IsNaN(x) || math.IsNaN(y) {
			return 0, errKeyEval
		}
		switch {
		case x < y:
			return -1, nil
		case x > y:
			return 1, nil
		}
		return 0, nil
	}
	c, ok := logical.Compare(a, b, t)
	if !ok {
		return 0, errKeyEval
	}
	return c, nil
}

func (kc *keyCompiler) args(es []expr.Expr) ([]keyFn, bool) {
	out := make([]keyFn, len(es))
	for i, e := range es {
		f, ok := kc.compile(e)
		if !ok {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

func (kc *keyCompiler) compileCall(n *expr.Call) (keyFn, bool) {
	switch n.Fn {
	case "and", "or":
		fs, ok := kc.args(n.Args)
		if !ok {
			return nil, false
		}
		isAnd := n.Fn == "and"
		return func(v []string) (any, error) {
			// Kleene logic; an error makes the result unknown unless
			// another argument decides it.
			sawNull, sawErr := false, false
			for _, f := range fs {
				x, err := f(v)
				if err != nil {
					sawErr = true
					continue
				}
				if x == nil {
					sawNull = true
					continue
				}
				b, ok := x.(bool)
				if !ok {
					sawErr = true
					continue
				}
				if b != isAnd {
					return b, nil
				}
			}
			if sawErr {
				return nil, errKeyEval
			}
			if sawNull {
				return nil, nil
			}
			return isAnd, nil
		}, true
	case "not", "is_null", "is_not_null", "is_true", "is_false":
		if len(n.Args) != 1 {
			return nil, false
		}
		f, ok := kc.compile(n.Args[0])
		if !ok {
			return nil, false
		}
		fn := n.Fn
		return func(v []string) (any, error) {
			x, err := f(v)
			if err != nil {
				return nil, err
			}
			switch fn {
			case "is_null":
				return x == nil, nil
			case "is_not_null":
				return x != nil, nil
			}
			if x == nil {
				if fn == "not" {
					return nil, nil
				}
				return false, nil
			}
			b, ok := x.(bool)
			if !ok {
				return nil, errKeyEval
			}
			switch fn {
			case "not", "is_false":
				return !b, nil
			}
			return b, nil
		}, true
	case "=", "<>", "<", "<=", ">", ">=", "<=>":
		if len(n.Args) != 2 {
			return nil, false
		}
		return kc.compileCmp(n.Fn, n.Args[0], n.Args[1])
	case "like", "not_like":
		return kc.compileLike(n)
	case "coalesce":
		fs, ok := kc.args(n.Args)
		if !ok {
			return nil, false
		}
		return func(v []string) (any, error) {
			for _, f := range fs {
				x, err := f(v)
				if err != nil {
					return nil, err
				}
				if x != nil {
					return x, nil
				}
			}
			return nil, nil
		}, true
	case "if":
		fs, ok := kc.args(n.Args)
		if !ok || len(fs) != 3 {
			return nil, false
		}
		return func(v []string) (any, error) {
			c, err := fs[0](v)
			if err != nil {
				return nil, err
			}
			if b, ok := c.(bool); ok && b {
				return fs[1](v)
			}
			return fs[2](v)
		}, true
	case "extract_year", "extract_month", "extract_day", "extract_quarter", "extract_doy",
		"extract_hour", "extract_minute", "extract_second":
		return kc.compileExtract(n)
	case "+", "-", "*":
		if !types.IsInteger(n.T) || len(n.Args) != 2 {
			return nil, false
		}
		fs, ok := kc.args(n.Args)
		if !ok {
			return nil, false
		}
		op := n.Fn[0]
		return func(v []string) (any, error) {
			a, err := fs[0](v)
			if err != nil || a == nil {
				return nil, err
			}
			b, err := fs[1](v)
			if err != nil || b == nil {
				return nil, err
			}
			x, ok1 := a.(int64)
			y, ok2 := b.(int64)
			if !ok1 || !ok2 {
				return nil, errKeyEval
			}
			var r int64
			switch op {
			case '+':
				r = x + y
				if (r > x) != (y > 0) {
					return nil, errKeyEval
				}
			case '-':
				r = x - y
				if (r < x) != (y > 0) {
					return nil, errKeyEval
				}
			default:
				if x != 0 && y != 0 {
					r = x * y
					if r/y != x || (x == -1 && y == math.MinInt64) || (y == -1 && x == math.MinInt64) {
						return nil, errKeyEval
					}
				}
			}
			if !fitsType(r, n.T) {
				return nil, errKeyEval
			}
			return r, nil
		}, true
	}
	if sf, ok := keyStringFns[n.Fn]; ok {
		return kc.compileString(n, sf)
	}
	return nil, false
}

func fitsType(v int64, t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8:
		return v >= math.MinInt8 && v <= math.MaxInt8
	case arrow.INT16:
		return v >= math.MinInt16 && v <= math.MaxInt16
	case arrow.INT32:
		return v >= math.MinInt32 && v <= math.MaxInt32
	}
	return true
}

func (kc *keyCompiler) compileCmp(op string, l, r expr.Expr) (keyFn, bool) {
	t := l.Type()
	// Fast path: a string key against a string literal.
	if c, ok := l.(*expr.ColumnRef); ok && types.IsString(c.T) {
		if lit, ok := r.(*expr.Literal); ok && op != "<=>" {
			k, isKey := kc.keyOf[c.Index]
			s, isStr := lit.Value.(string)
			if isKey && isStr {
				test := cmpTest(op)
				return func(v []string) (any, error) {
					x := v[k]
					if x == catalog.HiveDefaultPartition {
						return nil, nil
					}
					return test(strings.Compare(x, s)), nil
				}, true
			}
		}
	}
	lf, ok := kc.compile(l)
	if !ok {
		return nil, false
	}
	rf, ok := kc.compile(r)
	if !ok {
		return nil, false
	}
	if op == "<=>" {
		return func(v []string) (any, error) {
			a, err := lf(v)
			if err != nil {
				return nil, err
			}
			b, err := rf(v)
			if err != nil {
				return nil, err
			}
			if a == nil || b == nil {
				return a == nil && b == nil, nil
			}
			c, err := cmpValues(a, b, t)
			if err != nil {
				return nil, err
			}
			return c == 0, nil
		}, true
	}
	test := cmpTest(op)
	return func(v []string) (any, error) {
		a, err := lf(v)
		if err != nil {
			return nil, err
		}
		b, err := rf(v)
		if err != nil {
			return nil, err
		}
		if a == nil || b == nil {
			return nil, nil
		}
		c, err := cmpValues(a, b, t)
		if err != nil {
			return nil, err
		}
		return test(c), nil
	}, true
}

func cmpTest(op string) func(int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "<>":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	}
	return func(c int) bool { return c >= 0 }
}

func (kc *keyCompiler) compileIn(n *expr.InList) (keyFn, bool) {
	ef, ok := kc.compile(n.E)
	if !ok {
		return nil, false
	}
	t := n.E.Type()
	set := map[any]bool{}
	sawNull := false
	var dyn []keyFn
	for _, it := range n.List {
		if l, ok := it.(*expr.Literal); ok {
			switch l.Value.(type) {
			case nil:
				sawNull = true
			case string, int64, int32, bool:
				set[l.Value] = true
			default:
				f, _ := kc.compile(l)
				dyn = append(dyn, f)
			}
			continue
		}
		f, ok := kc.compile(it)
		if !ok {
			return nil, false
		}
		dyn = append(dyn, f)
	}
	neg := n.Negated
	return func(v []string) (any, error) {
		x, err := ef(v)
		if err != nil {
			return nil, err
		}
		if x == nil {
			return nil, nil
		}
		found := set[x]
		null := sawNull
		for i := 0; !found && i < len(dyn); i++ {
			y, err := dyn[i](v)
			if err != nil {
				return nil, err
			}
			if y == nil {
				null = true
				continue
			}
			c, err := cmpValues(x, y, t)
			if err != nil {
				return nil, err
			}
			found = c == 0
		}
		if found {
			return !neg, nil
		}
		if null {
			return nil, nil
		}
		return neg, nil
	}, true
}

func (kc *keyCompiler) compileCase(n *expr.Case) (keyFn, bool) {
	conds := make([]keyFn, len(n.Whens))
	thens := make([]keyFn, len(n.Whens))
	for i, w := range n.Whens {
		var ok bool
		if conds[i], ok = kc.compile(w.Cond); !ok {
			return nil, false
		}
		if thens[i], ok = kc.compile(w.Then); !ok {
			return nil, false
		}
	}
	var els keyFn
	if n.Else != nil {
		var ok bool
		if els, ok = kc.compile(n.Else); !ok {
			return nil, false
		}
	}
	return func(v []string) (any, error) {
		for i, c := range conds {
			x, err := c(v)
			if err != nil {
				return nil, err
			}
			if b, ok := x.(bool); ok && b {
				return thens[i](v)
			}
		}
		if els == nil {
			return nil, nil
		}
		return els(v)
	}, true
}

func (kc *keyCompiler) compileLike(n *expr.Call) (keyFn, bool) {
	if len(n.Args) < 2 || len(n.Args) > 3 {
		return nil, false
	}
	pat, ok := n.Args[1].(*expr.Literal)
	if !ok {
		return nil, false
	}
	esc := '\\'
	if len(n.Args) == 3 {
		el, ok := n.Args[2].(*expr.Literal)
		if !ok {
			return nil, false
		}
		es, _ := el.Value.(string)
		if es == "" {
			esc = -1
		} else {
			esc, _ = utf8.DecodeRuneInString(es)
		}
	}
	sf, ok := kc.compile(n.Args[0])
	if !ok {
		return nil, false
	}
	neg := n.Fn == "not_like"
	if pat.Value == nil {
		return func([]string) (any, error) { return nil, nil }, true
	}
	p, ok := pat.Value.(string)
	if !ok {
		return nil, false
	}
	re, err := likeRegexp(p, esc)
	if err != nil {
		return nil, false
	}
	return func(v []string) (any, error) {
		x, err := sf(v)
		if err != nil || x == nil {
			return nil, err
		}
		s, ok := x.(string)
		if !ok {
			return nil, errKeyEval
		}
		return re.MatchString(s) != neg, nil
	}, true
}

// likeRegexp translates a case-sensitive LIKE pattern into an anchored
// regular expression.
func likeRegexp(p string, esc rune) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	escaped := false
	for _, r := range p {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case esc >= 0 && r == esc:
			escaped = true
		case r == '%':
			b.WriteString(`.*`)
		case r == '_':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	if escaped {
		b.WriteString(regexp.QuoteMeta(string(esc)))
	}
	b.WriteString(`$`)
	return regexp.Compile(b.String())
}

func (kc *keyCompiler) compileExtract(n *expr.Call) (keyFn, bool) {
	if len(n.Args) != 1 {
		return nil, false
	}
	at := n.Args[0].Type().ID()
	if at != arrow.DATE32 && at != arrow.TIMESTAMP {
		return nil, false
	}
	f, ok := kc.compile(n.Args[0])
	if !ok {
		return nil, false
	}
	part := strings.TrimPrefix(n.Fn, "extract_")
	return func(v []string) (any, error) {
		x, err := f(v)
		if err != nil || x == nil {
			return nil, err
		}
		var tm time.Time
		switch y := x.(type) {
		case int32:
			tm = time.Unix(int64(y)*86400, 0).UTC()
		case int64:
			tm = time.UnixMicro(y).UTC()
		default:
			return nil, errKeyEval
		}
		switch part {
		case "year":
			return int64(tm.Year()), nil
		case "month":
			return int64(tm.Month()), nil
		case "day":
			return int64(tm.Day()), nil
		case "quarter":
			return int64(tm.Month()-1)/3 + 1, nil
		case "doy":
			return int64(tm.YearDay()), nil
		case "hour":
			return int64(tm.Hour()), nil
		case "minute":
			return int64(tm.Minute()), nil
		}
		return int64(tm.Second()), nil
	}, true
}

// strFn computes a string function over non-NULL arguments (strings,
// int64s) in MySQL's semantics, as the executor's kernels do.
type strFn func(args []any) (any, error)

var keyStringFns map[string]strFn

func init() {
	str := func(a any) (string, bool) { s, ok := a.(string); return s, ok }
	keyStringFns = map[string]strFn{
		"concat": func(a []any) (any, error) {
			var b strings.Builder
			for _, x := range a {
				s, ok := str(x)
				if !ok {
					return nil, errKeyEval
				}
				b.WriteString(s)
			}
			return b.String(), nil
		},
		"substring": func(a []any) (any, error) {
			s, ok := str(a[0])
			start, ok2 := a[1].(int64)
			if !ok || !ok2 {
				return nil, errKeyEval
			}
			length := int64(math.MinInt64)
			if len(a) == 3 {
				l, ok := a[2].(int64)
				if !ok {
					return nil, errKeyEval
				}
				length = l
			}
			return substrChars(s, start, length), nil
		},
		"left": func(a []any) (any, error) {
			s, ok := str(a[0])
			n, ok2 := a[1].(int64)
			if !ok || !ok2 {
				return nil, errKeyEval
			}
			if n <= 0 {
				return "", nil
			}
			return s[:charPrefixLen(s, n)], nil
		},
		"right": func(a []any) (any, error) {
			s, ok := str(a[0])
			n, ok2 := a[1].(int64)
			if !ok || !ok2 {
				return nil, errKeyEval
			}
			if n <= 0 {
				return "", nil
			}
			cl := int64(utf8.RuneCountInString(s))
			if n >= cl {
				return s, nil
			}
			return s[charPrefixLen(s, cl-n):], nil
		},
		"upper": func(a []any) (any, error) {
			s, ok := str(a[0])
			if !ok {
				return nil, errKeyEval
			}
			return strings.ToUpper(s), nil
		},
		"lower": func(a []any) (any, error) {
			s, ok := str(a[0])
			if !ok {
				return nil, errKeyEval
			}
			return strings.ToLower(s), nil
		},
		"length": func(a []any) (any, error) {
			s, ok := str(a[0])
			if !ok {
				return nil, errKeyEval
			}
			return int64(len(s)), nil
		},
		"char_length": func(a []any) (any, error) {
			s, ok := str(a[0])
			if !ok {
				return nil, errKeyEval
			}
			return int64(utf8.RuneCountInString(s)), nil
		},
		"starts_with": func(a []any) (any, error) {
			s, ok := str(a[0])
			p, ok2 := str(a[1])
			if !ok || !ok2 {
				return nil, errKeyEval
			}
			return strings.HasPrefix(s, p), nil
		},
		"replace": func(a []any) (any, error) {
			s, ok := str(a[0])
			from, ok2 := str(a[1])
			to, ok3 := str(a[2])
			if !ok || !ok2 || !ok3 {
				return nil, errKeyEval
			}
			if from == "" {
				return s, nil
			}
			return strings.ReplaceAll(s, from, to), nil
		},
	}
}

func (kc *keyCompiler) compileString(n *expr.Call, sf strFn) (keyFn, bool) {
	fs, ok := kc.args(n.Args)
	if !ok || len(fs) == 0 {
		return nil, false
	}
	// The executor's case mapping may differ from Go's on non-ASCII
	// text, so upper and lower evaluate ASCII values only.
	asciiOnly := n.Fn == "upper" || n.Fn == "lower"
	return func(v []string) (any, error) {
		args := make([]any, len(fs))
		for i, f := range fs {
			x, err := f(v)
			if err != nil || x == nil {
				return nil, err
			}
			if asciiOnly {
				if s, ok := x.(string); ok && !isASCIIString(s) {
					return nil, errKeyEval
				}
			}
			args[i] = x
		}
		return sf(args)
	}, true
}

func isASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// charPrefixLen is the byte length of the first n characters of s.
func charPrefixLen(s string, n int64) int {
	pos := 0
	for i := int64(0); i < n && pos < len(s); i++ {
		_, size := utf8.DecodeRuneInString(s[pos:])
		pos += size
	}
	return pos
}

// substrChars is MySQL SUBSTRING(s, start[, length]) over characters;
// length math.MinInt64 means to the end.
func substrChars(s string, start, length int64) string {
	if start == 0 {
		return ""
	}
	cl := int64(utf8.RuneCountInString(s))
	if start < 0 {
		start = cl + start + 1
		if start < 1 {
			return ""
		}
	}
	if start > cl {
		return ""
	}
	rest := s[charPrefixLen(s, start-1):]
	if length == math.MinInt64 {
		return rest
	}
	if length < 0 {
		return ""
	}
	return rest[:charPrefixLen(rest, length)]
}

// keyPredicate is a conjunction of compiled key conjuncts.
type keyPredicate struct {
	fns  []keyFn
	text []string // for messages and tests
}

// match keeps a partition unless a conjunct is FALSE or NULL; a
// conjunct that errors keeps it (never drop data on doubt).
func (p *keyPredicate) match(vals []string) bool {
	for _, f := range p.fns {
		x, err := f(vals)
		if err != nil {
			continue
		}
		if x == nil {
			return false
		}
		if b, ok := x.(bool); ok && !b {
			return false
		}
	}
	return true
}

func (p *keyPredicate) String() string { return fmt.Sprintf("%v", p.text) }
