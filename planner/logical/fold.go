package logical

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
)

// Lit builds a literal.
func Lit(v any, t arrow.DataType) *expr.Literal { return &expr.Literal{Value: v, T: t} }

// True and False literals.
var (
	True  = Lit(true, types.Boolean)
	False = Lit(false, types.Boolean)
)

// IsLit reports whether e is a literal; v is its value.
func IsLit(e expr.Expr) (v any, ok bool) {
	l, ok := e.(*expr.Literal)
	if !ok {
		return nil, false
	}
	return l.Value, true
}

// IsBoolLit reports whether e is the literal b.
func IsBoolLit(e expr.Expr, b bool) bool {
	v, ok := IsLit(e)
	if !ok {
		return false
	}
	x, ok := v.(bool)
	return ok && x == b
}

// IsNullLit reports whether e is a NULL literal.
func IsNullLit(e expr.Expr) bool {
	v, ok := IsLit(e)
	return ok && v == nil
}

// toRat converts an exact numeric literal value (int or decimal) to a rational.
func toRat(v any, t arrow.DataType) (*big.Rat, bool) {
	switch {
	case types.IsInteger(t):
		return new(big.Rat).SetInt64(v.(int64)), true
	case types.IsDecimal(t):
		_, s, _ := types.DecimalParams(t)
		var u *big.Int
		switch x := v.(type) {
		case int64:
			u = big.NewInt(x)
		case decimal128.Num:
			u = x.BigInt()
		default:
			return nil, false
		}
		return new(big.Rat).SetFrac(u, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)), true
	case t.ID() == arrow.BOOL:
		if v.(bool) {
			return big.NewRat(1, 1), true
		}
		return new(big.Rat), true
	}
	return nil, false
}

// roundRat rounds r*10^s to an integer, half away from zero.
func roundRat(r *big.Rat, s int32) *big.Int {
	x := new(big.Rat).Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)))
	num, den := x.Num(), x.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	// |m|*2 >= den → round away from zero
	m2 := new(big.Int).Abs(m)
	m2.Lsh(m2, 1)
	if m2.Cmp(den) >= 0 {
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q
}

func pow10(n int32) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// ratToType converts an exact value to numeric type t (rounding half away
// from zero); it fails on overflow.
func ratToType(r *big.Rat, t arrow.DataType) (any, error) {
	switch {
	case types.IsInteger(t):
		q := roundRat(r, 0)
		if !q.IsInt64() || !fitsInt(q.Int64(), t) {
			return nil, fmt.Errorf("value %s out of range for %s", r.FloatString(4), types.SQLName(t))
		}
		return q.Int64(), nil
	case types.IsDecimal(t):
		p, s, _ := types.DecimalParams(t)
		q := roundRat(r, s)
		if new(big.Int).Abs(q).Cmp(pow10(p)) >= 0 {
			return nil, fmt.Errorf("value %s out of range for %s", r.FloatString(int(s)), types.SQLName(t))
		}
		if t.ID() == arrow.DECIMAL64 {
			return q.Int64(), nil
		}
		return decimal128.FromBigInt(q), nil
	case types.IsFloat(t):
		f, _ := r.Float64()
		return f, nil
	}
	return nil, fmt.Errorf("cannot convert number to %s", types.SQLName(t))
}

func fitsInt(v int64, t arrow.DataType) bool {
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

// ParseDate parses 'YYYY-MM-DD' (a time part is allowed and dropped).
func ParseDate(s string) (int32, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006-01-02 15:04:05", "2006-01-02 15:04:05.999999", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return int32(t.Unix() / 86400), nil
		}
	}
	return 0, fmt.Errorf("invalid DATE literal '%s'", s)
}

// ParseTimestamp parses 'YYYY-MM-DD[ HH:MM:SS[.ffffff]]'.
func ParseTimestamp(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05.999999", "2006-01-02 15:04:05", "2006-01-02T15:04:05.999999", "2006-01-02", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro(), nil
		}
	}
	return 0, fmt.Errorf("invalid TIMESTAMP literal '%s'", s)
}

// CastValue converts a literal value from type `from` to type `to`.
func CastValue(v any, from, to arrow.DataType) (any, error) {
	if v == nil {
		return nil, nil
	}
	if arrow.TypeEqual(from, to) {
		return v, nil
	}
	switch {
	case types.IsString(to):
		return expr.FormatPlain(v, from), nil
	case to.ID() == arrow.BOOL:
		if r, ok := toRat(v, from); ok {
			return r.Sign() != 0, nil
		}
		if f, ok := v.(float64); ok {
			return f != 0, nil
		}
		if s, ok := v.(string); ok {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "true", "1":
				return true, nil
			case "false", "0":
				return false, nil
			}
		}
	case types.IsNumeric(to):
		if r, ok := toRat(v, from); ok {
			return ratToType(r, to)
		}
		if f, ok := v.(float64); ok {
			if types.IsFloat(to) {
				return f, nil
			}
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("cannot convert %v to %s", f, types.SQLName(to))
			}
			return ratToType(new(big.Rat).SetFloat64(f), to)
		}
		if s, ok := v.(string); ok {
			s = strings.TrimSpace(s)
			if types.IsFloat(to) {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					return nil, fmt.Errorf("invalid %s value '%s'", types.SQLName(to), s)
				}
				return f, nil
			}
			r, ok := new(big.Rat).SetString(s)
			if !ok {
				return nil, fmt.Errorf("invalid %s value '%s'", types.SQLName(to), s)
			}
			return ratToType(r, to)
		}
	case to.ID() == arrow.DATE32:
		switch from.ID() {
		case arrow.STRING, arrow.LARGE_STRING:
			return ParseDate(v.(string))
		case arrow.TIMESTAMP:
			us := v.(int64)
			d := us / 86_400_000_000
			if us%86_400_000_000 < 0 {
				d--
			}
			return int32(d), nil
		}
	case to.ID() == arrow.TIMESTAMP:
		switch from.ID() {
		case arrow.STRING, arrow.LARGE_STRING:
			return ParseTimestamp(v.(string))
		case arrow.DATE32:
			return int64(v.(int32)) * 86_400_000_000, nil
		}
	}
	return nil, fmt.Errorf("cannot convert %s to %s", types.SQLName(from), types.SQLName(to))
}

// CastLit casts literal l to t (l itself when the types are equal).
func CastLit(l *expr.Literal, t arrow.DataType) (*expr.Literal, error) {
	if arrow.TypeEqual(l.T, t) {
		return l, nil
	}
	v, err := CastValue(l.Value, l.T, t)
	if err != nil {
		return nil, err
	}
	return Lit(v, t), nil
}

// ExactCast casts l to t only if no information is lost (the value
// converts back to the same value); used to compare a column with a
// literal in the column's own type.
func ExactCast(l *expr.Literal, t arrow.DataType) (*expr.Literal, bool) {
	if l.Value == nil {
		return Lit(nil, t), true
	}
	if !types.IsNumeric(l.T) || !types.IsNumeric(t) {
		return nil, false
	}
	if types.IsFloat(t) != types.IsFloat(l.T) {
		return nil, false
	}
	c, err := CastLit(l, t)
	if err != nil {
		return nil, false
	}
	back, err := CastValue(c.Value, t, l.T)
	if err != nil || compareValues(back, c.Value, l.Value, l.T) != 0 {
		return nil, false
	}
	return c, true
}

func compareValues(a, _, b any, t arrow.DataType) int {
	c, ok := Compare(a, b, t)
	if !ok {
		return 1
	}
	return c
}

// Compare compares two non-NULL values of type t.
func Compare(a, b any, t arrow.DataType) (int, bool) {
	if ra, ok := toRat(a, t); ok {
		rb, _ := toRat(b, t)
		return ra.Cmp(rb), true
	}
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case string:
		return strings.Compare(x, b.(string)), true
	case int32:
		y := b.(int32)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1, true
		case x > y:
			return 1, true
		}
		return 0, true
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0, true
		case !x:
			return -1, true
		}
		return 1, true
	}
	return 0, false
}

// Fold constant-folds e bottom-up. It errors only on a cast of a literal
// that cannot succeed (a bad literal); other failures (overflow) leave
// the expression to fail at run time.
func Fold(e expr.Expr) (expr.Expr, error) {
	var ferr error
	out := expr.Transform(e, func(x expr.Expr) expr.Expr {
		if ferr != nil {
			return x
		}
		switch n := x.(type) {
		case *expr.Cast:
			if l, ok := n.E.(*expr.Literal); ok {
				c, err := CastLit(l, n.T)
				if err != nil {
					ferr = err
					return x
				}
				return c
			}
			if arrow.TypeEqual(n.E.Type(), n.T) {
				return n.E
			}
		case *expr.Call:
			return foldCall(n)
		case *expr.InList:
			return foldIn(n)
		case *expr.Case:
			return foldCase(n)
		}
		return x
	})
	return out, ferr
}

// MustFold folds e and ignores cast errors (they cannot occur on bound
// plans: the binder folds literal casts first).
func MustFold(e expr.Expr) expr.Expr {
	out, err := Fold(e)
	if err != nil {
		return e
	}
	return out
}

func allLits(args []expr.Expr) bool {
	for _, a := range args {
		if _, ok := a.(*expr.Literal); !ok {
			return false
		}
	}
	return true
}

func foldCase(n *expr.Case) expr.Expr {
	var whens []expr.When
	for _, w := range n.Whens {
		if IsBoolLit(w.Cond, false) || IsNullLit(w.Cond) {
			continue
		}
		if IsBoolLit(w.Cond, true) && len(whens) == 0 {
			return w.Then
		}
		whens = append(whens, w)
	}
	if len(whens) == 0 {
		if n.Else == nil {
			return Lit(nil, n.T)
		}
		return n.Else
	}
	if len(whens) == len(n.Whens) {
		return n
	}
	return &expr.Case{Whens: whens, Else: n.Else, T: n.T}
}

func foldIn(n *expr.InList) expr.Expr {
	l, ok := n.E.(*expr.Literal)
	if !ok || !allLits(n.List) {
		return n
	}
	if l.Value == nil {
		return Lit(nil, types.Boolean)
	}
	sawNull := false
	for _, it := range n.List {
		v := it.(*expr.Literal).Value
		if v == nil {
			sawNull = true
			continue
		}
		if c, ok := Compare(l.Value, v, l.T); ok && c == 0 {
			return Lit(!n.Negated, types.Boolean)
		}
	}
	if sawNull {
		return Lit(nil, types.Boolean)
	}
	return Lit(n.Negated, types.Boolean)
}

func foldLogic(n *expr.Call) expr.Expr {
	isAnd := n.Fn == "and"
	var args []expr.Expr
	for _, a := range n.Args {
		// flatten
		if c, ok := a.(*expr.Call); ok && c.Fn == n.Fn {
			args = append(args, c.Args...)
			continue
		}
		args = append(args, a)
	}
	var keep []expr.Expr
	for _, a := range args {
		if IsBoolLit(a, isAnd) { // TRUE in AND, FALSE in OR: neutral
			continue
		}
		if IsBoolLit(a, !isAnd) { // FALSE in AND, TRUE in OR: absorbing
			return Lit(!isAnd, types.Boolean)
		}
		keep = append(keep, a)
	}
	switch len(keep) {
	case 0:
		return Lit(isAnd, types.Boolean)
	case 1:
		return keep[0]
	}
	if !isAnd {
		if f := factorOr(keep); f != nil {
			return f
		}
	}
	return &expr.Call{Fn: n.Fn, Args: keep, T: types.Boolean}
}

// factorOr rewrites (A AND B) OR (A AND C) as A AND (B OR C), so that
// common conjuncts (often join keys, as in TPC-H Q19) become usable.
func factorOr(args []expr.Expr) expr.Expr {
	branches := make([][]expr.Expr, len(args))
	for i, a := range args {
		branches[i] = Conjuncts(a)
	}
	var common []expr.Expr
	commonKey := map[string]bool{}
	for _, c := range branches[0] {
		k := c.String()
		if commonKey[k] {
			continue
		}
		inAll := true
		for _, br := range branches[1:] {
			found := false
			for _, x := range br {
				if x.String() == k {
					found = true
					break
				}
			}
			if !found {
				inAll = false
				break
			}
		}
		if inAll {
			common = append(common, c)
			commonKey[k] = true
		}
	}
	if len(common) == 0 {
		return nil
	}
	var rest []expr.Expr
	for _, br := range branches {
		var r []expr.Expr
		for _, x := range br {
			if !commonKey[x.String()] {
				r = append(r, x)
			}
		}
		if len(r) == 0 {
			// one branch is just the common part: the OR is implied by it
			return And(common)
		}
		rest = append(rest, And(r))
	}
	return And(append(common, &expr.Call{Fn: "or", Args: rest, T: types.Boolean}))
}

func foldCall(n *expr.Call) expr.Expr {
	switch n.Fn {
	case "and", "or":
		return foldLogic(n)
	case "not":
		if v, ok := IsLit(n.Args[0]); ok {
			if v == nil {
				return Lit(nil, types.Boolean)
			}
			return Lit(!v.(bool), types.Boolean)
		}
		if c, ok := n.Args[0].(*expr.Call); ok {
			if neg, ok := negateCmp[c.Fn]; ok {
				return &expr.Call{Fn: neg, Args: c.Args, T: c.T}
			}
		}
		return n
	case "is_null", "is_not_null":
		if v, ok := IsLit(n.Args[0]); ok {
			return Lit((v == nil) == (n.Fn == "is_null"), types.Boolean)
		}
		return n
	}
	if !allLits(n.Args) {
		return n
	}
	vals := make([]any, len(n.Args))
	for i, a := range n.Args {
		vals[i] = a.(*expr.Literal).Value
	}
	switch n.Fn {
	case "=", "<>", "<", "<=", ">", ">=":
		if vals[0] == nil || vals[1] == nil {
			return Lit(nil, types.Boolean)
		}
		c, ok := Compare(vals[0], vals[1], n.Args[0].Type())
		if !ok {
			return n
		}
		var r bool
		switch n.Fn {
		case "=":
			r = c == 0
		case "<>":
			r = c != 0
		case "<":
			r = c < 0
		case "<=":
			r = c <= 0
		case ">":
			r = c > 0
		case ">=":
			r = c >= 0
		}
		return Lit(r, types.Boolean)
	case "+", "-", "*", "/", "%", "neg":
		for _, v := range vals {
			if v == nil {
				return Lit(nil, n.T)
			}
		}
		if v, ok := foldArith(n.Fn, n.Args, vals, n.T); ok {
			return Lit(v, n.T)
		}
	case "date_add":
		if vals[0] == nil || vals[1] == nil {
			return Lit(nil, n.T)
		}
		if v, ok := DateAdd(vals[0], n.Args[0].Type(), vals[1].(int64), vals[2].(string)); ok && arrow.TypeEqual(n.Args[0].Type(), n.T) {
			return Lit(v, n.T)
		}
	case "extract_year", "extract_month", "extract_day", "extract_quarter":
		if vals[0] == nil {
			return Lit(nil, n.T)
		}
		var tm time.Time
		switch x := vals[0].(type) {
		case int32:
			tm = time.Unix(int64(x)*86400, 0).UTC()
		case int64:
			tm = time.UnixMicro(x).UTC()
		default:
			return n
		}
		var r int64
		switch n.Fn {
		case "extract_year":
			r = int64(tm.Year())
		case "extract_month":
			r = int64(tm.Month())
		case "extract_day":
			r = int64(tm.Day())
		case "extract_quarter":
			r = int64(tm.Month()-1)/3 + 1
		}
		return Lit(r, n.T)
	}
	return n
}

var negateCmp = map[string]string{"=": "<>", "<>": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}

func foldArith(fn string, args []expr.Expr, vals []any, t arrow.DataType) (any, bool) {
	if types.IsFloat(t) {
		f := make([]float64, len(vals))
		for i, v := range vals {
			x, ok := v.(float64)
			if !ok {
				return nil, false
			}
			f[i] = x
		}
		switch fn {
		case "+":
			return f[0] + f[1], true
		case "-":
			return f[0] - f[1], true
		case "*":
			return f[0] * f[1], true
		case "/":
			if f[1] == 0 {
				return nil, true
			}
			return f[0] / f[1], true
		case "neg":
			return -f[0], true
		}
		return nil, false
	}
	r := make([]*big.Rat, len(vals))
	for i, v := range vals {
		x, ok := toRat(v, args[i].Type())
		if !ok {
			return nil, false
		}
		r[i] = x
	}
	var out *big.Rat
	switch fn {
	case "+":
		out = new(big.Rat).Add(r[0], r[1])
	case "-":
		out = new(big.Rat).Sub(r[0], r[1])
	case "*":
		out = new(big.Rat).Mul(r[0], r[1])
	case "/":
		if r[1].Sign() == 0 {
			return nil, true
		}
		out = new(big.Rat).Quo(r[0], r[1])
	case "neg":
		out = new(big.Rat).Neg(r[0])
	default:
		return nil, false
	}
	v, err := ratToType(out, t)
	if err != nil {
		return nil, false
	}
	return v, true
}

// DateAdd adds n units to a DATE (int32 days) or TIMESTAMP (int64 µs).
func DateAdd(v any, t arrow.DataType, n int64, unit string) (any, bool) {
	var tm time.Time
	switch t.ID() {
	case arrow.DATE32:
		tm = time.Unix(int64(v.(int32))*86400, 0).UTC()
	case arrow.TIMESTAMP:
		tm = time.UnixMicro(v.(int64)).UTC()
	default:
		return nil, false
	}
	switch unit {
	case "day":
		tm = tm.AddDate(0, 0, int(n))
	case "week":
		tm = tm.AddDate(0, 0, 7*int(n))
	case "month", "quarter", "year":
		months := int(n)
		if unit == "quarter" {
			months *= 3
		} else if unit == "year" {
			months *= 12
		}
		// MySQL clamps the day to the last day of the target month.
		y, m, d := tm.Date()
		first := time.Date(y, m, 1, tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC).AddDate(0, months, 0)
		last := first.AddDate(0, 1, -1).Day()
		if d > last {
			d = last
		}
		tm = first.AddDate(0, 0, d-1)
	case "hour":
		tm = tm.Add(time.Duration(n) * time.Hour)
	case "minute":
		tm = tm.Add(time.Duration(n) * time.Minute)
	case "second":
		tm = tm.Add(time.Duration(n) * time.Second)
	case "microsecond":
		tm = tm.Add(time.Duration(n) * time.Microsecond)
	default:
		return nil, false
	}
	if t.ID() == arrow.DATE32 {
		return int32(tm.Unix() / 86400), true
	}
	return tm.UnixMicro(), true
}
