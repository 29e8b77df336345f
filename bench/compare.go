package bench

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Ordering says which result rows' order is fixed by the query.
type Ordering struct {
	// Keys are the output column indexes of the ORDER BY keys that could
	// be resolved, in order; rows are compared in order only as far as
	// these keys fix it (tied rows are compared as a multiset).
	Keys []int
	// Limit is the query's outermost LIMIT (0 if none). When the result
	// has exactly Limit rows, the last tie group may have been cut
	// differently by two correct engines: if it differs as a multiset,
	// only its key columns must agree.
	Limit int
}

// Compare compares got (the engine under test) with want (the reference)
// and returns nil when they agree, or an error describing the first
// difference. Rules: integers, strings, dates and booleans exactly;
// decimals at the scale of the decimal side (a double on the other side
// is rounded to that scale and may differ by one unit in the last digit;
// two decimals are compared at the smaller scale, exactly); doubles to a
// relative 1e-9.
func Compare(got, want *Result, ord Ordering) error {
	if len(got.Columns) != len(want.Columns) {
		return fmt.Errorf("column count: got %d %v, want %d %v", len(got.Columns), colNames(got), len(want.Columns), colNames(want))
	}
	for i := range want.Columns {
		g, w := got.Columns[i], want.Columns[i]
		if plainIdent.MatchString(w.Name) && !strings.EqualFold(g.Name, w.Name) {
			return fmt.Errorf("column %d name: got %q, want %q", i+1, g.Name, w.Name)
		}
		if !comparableKinds(g.Kind, w.Kind) {
			return fmt.Errorf("column %s type: got %s (%s), want %s (%s)", w.Name, g.Kind, g.Type, w.Kind, w.Type)
		}
	}
	if len(got.Rows) != len(want.Rows) {
		return fmt.Errorf("row count: got %d, want %d%s", len(got.Rows), len(want.Rows), firstMissing(got, want))
	}
	cmp := &comparator{got: got.Columns, want: want.Columns}
	// Tie groups in want's order.
	n := len(want.Rows)
	for i := 0; i < n; {
		j := i + 1
		if len(ord.Keys) == 0 {
			j = n
		} else {
			for j < n && cmp.keysEqual(want.Rows[i], want.Rows[j], ord.Keys) {
				j++
			}
		}
		if ord.Limit == n && j == n && len(ord.Keys) > 0 && cmp.groupEqual(got.Rows[i:j], want.Rows[i:j], i) != nil {
			for r := i; r < j; r++ {
				if c, ok := cmp.rowsEqualOn(got.Rows[r], want.Rows[r], ord.Keys); !ok {
					return fmt.Errorf("row %d (last, tied under LIMIT) column %s: got %s, want %s", r+1, want.Columns[c].Name, FormatRow(got.Rows[r]), FormatRow(want.Rows[r]))
				}
			}
			break
		}
		if err := cmp.groupEqual(got.Rows[i:j], want.Rows[i:j], i); err != nil {
			return err
		}
		i = j
	}
	return nil
}

var plainIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func colNames(r *Result) []string {
	var s []string
	for _, c := range r.Columns {
		s = append(s, c.Name)
	}
	return s
}

func comparableKinds(a, b Kind) bool {
	if a == b || a == KindNull || b == KindNull {
		return true
	}
	num := func(k Kind) bool { return k == KindInt || k == KindDecimal || k == KindFloat }
	return num(a) && num(b)
}

func firstMissing(got, want *Result) string {
	cmp := &comparator{got: got.Columns, want: want.Columns}
	used := make([]bool, len(got.Rows))
	for _, w := range want.Rows {
		found := false
		for gi, g := range got.Rows {
			if !used[gi] && cmp.rowEqual(g, w) {
				used[gi], found = true, true
				break
			}
		}
		if !found {
			return "; first wanted row missing: " + FormatRow(w)
		}
	}
	for gi, u := range used {
		if !u {
			return "; first unexpected row: " + FormatRow(got.Rows[gi])
		}
	}
	return ""
}

type comparator struct {
	got, want []Column
}

func (c *comparator) keysEqual(a, b []any, keys []int) bool {
	for _, k := range keys {
		if !valueEqual(a[k], b[k], c.want[k], c.want[k]) {
			return false
		}
	}
	return true
}

func (c *comparator) rowsEqualOn(g, w []any, cols []int) (int, bool) {
	for _, k := range cols {
		if !valueEqual(g[k], w[k], c.got[k], c.want[k]) {
			return k, false
		}
	}
	return 0, true
}

func (c *comparator) rowEqual(g, w []any) bool {
	for k := range w {
		if !valueEqual(g[k], w[k], c.got[k], c.want[k]) {
			return false
		}
	}
	return true
}

// groupEqual compares two groups of rows as multisets: both are sorted by
// a canonical key and compared pairwise; when a pair differs (values
// within tolerance can sort apart) it falls back to matching rows greedily.
func (c *comparator) groupEqual(got, want [][]any, offset int) error {
	if len(want) == 1 {
		if k, ok := c.rowsEqualOn(got[0], want[0], allCols(len(want[0]))); !ok {
			return fmt.Errorf("row %d column %s: got %s, want %s", offset+1, c.want[k].Name, FormatRow(got[0]), FormatRow(want[0]))
		}
		return nil
	}
	g := sortedCanon(got)
	w := sortedCanon(want)
	pairwise := true
	for i := range w {
		if !c.rowEqual(g[i], w[i]) {
			pairwise = false
			break
		}
	}
	if pairwise {
		return nil
	}
	used := make([]bool, len(g))
	for _, wr := range w {
		found := false
		for gi, gr := range g {
			if !used[gi] && c.rowEqual(gr, wr) {
				used[gi], found = true, true
				break
			}
		}
		if !found {
			var extra []any
			for gi, u := range used {
				if !u && !rowIn(c, g[gi], w) {
					extra = g[gi]
					break
				}
			}
			msg := fmt.Sprintf("rows %d..%d (compared as a multiset): wanted row missing: %s", offset+1, offset+len(want), FormatRow(wr))
			if extra != nil {
				msg += "; got instead: " + FormatRow(extra)
			}
			return fmt.Errorf("%s", msg)
		}
	}
	return nil
}

func rowIn(c *comparator, g []any, rows [][]any) bool {
	for _, w := range rows {
		if c.rowEqual(g, w) {
			return true
		}
	}
	return false
}

func allCols(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// sortedCanon returns the rows sorted by a canonical rendering in which
// numbers are rounded to 9 significant digits.
func sortedCanon(rows [][]any) [][]any {
	type keyed struct {
		key string
		row []any
	}
	ks := make([]keyed, len(rows))
	for i, r := range rows {
		var b strings.Builder
		for _, v := range r {
			b.WriteString(canon(v))
			b.WriteByte(0)
		}
		ks[i] = keyed{b.String(), r}
	}
	slices.SortStableFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	out := make([][]any, len(rows))
	for i, k := range ks {
		out[i] = k.row
	}
	return out
}

func canon(v any) string {
	switch x := v.(type) {
	case nil:
		return "\x01"
	case int64:
		return strconv.FormatFloat(float64(x), 'e', 8, 64)
	case float64:
		return strconv.FormatFloat(x, 'e', 8, 64)
	case Decimal:
		return strconv.FormatFloat(x.Float64(), 'e', 8, 64)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return "s" + x
	}
	return fmt.Sprint(v)
}

// valueEqual compares one value of got (type gc) with one of want (wc).
func valueEqual(g, w any, gc, wc Column) bool {
	if g == nil || w == nil {
		return g == nil && w == nil
	}
	switch wv := w.(type) {
	case string:
		gv, ok := g.(string)
		return ok && gv == wv
	case bool:
		gv, ok := g.(bool)
		return ok && gv == wv
	}
	// Numbers.
	switch wv := w.(type) {
	case int64:
		switch gv := g.(type) {
		case int64:
			return gv == wv
		case Decimal:
			return decimalEqualExact(gv, Decimal{big.NewInt(wv), 0})
		case float64:
			return floatEqual(gv, float64(wv))
		}
	case Decimal:
		switch gv := g.(type) {
		case int64:
			return decimalEqualExact(Decimal{big.NewInt(gv), 0}, wv)
		case Decimal:
			return decimalEqualExact(gv, wv)
		case float64:
			return decimalDoubleEqual(wv, gv)
		}
	case float64:
		switch gv := g.(type) {
		case int64:
			return floatEqual(float64(gv), wv)
		case Decimal:
			return decimalDoubleEqual(gv, wv)
		case float64:
			return floatEqual(gv, wv)
		}
	}
	return false
}

// floatEqual: equal within 1e-9 relative (and 1e-12 absolute near zero).
func floatEqual(a, b float64) bool {
	if a == b {
		return true
	}
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return false
	}
	d := math.Abs(a - b)
	return d <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) || d <= 1e-12
}

// decimalEqualExact compares two decimals at the smaller of their scales,
// rounding the finer one half away from zero.
func decimalEqualExact(a, b Decimal) bool {
	s := min(a.Scale, b.Scale)
	return roundTo(a, s).Cmp(roundTo(b, s)) == 0
}

// decimalDoubleEqual rounds the double to the decimal's scale and allows
// one unit of difference in the last digit.
func decimalDoubleEqual(d Decimal, f float64) bool {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return false
	}
	r := new(big.Rat)
	if r.SetFloat64(f) == nil {
		return false
	}
	r.Mul(r, new(big.Rat).SetInt(pow10(d.Scale)))
	u := roundRat(r)
	diff := new(big.Int).Sub(u, d.Unscaled)
	return diff.CmpAbs(big.NewInt(1)) <= 0
}

func pow10(n int32) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// roundTo returns d's unscaled value at scale s <= d.Scale, rounded half
// away from zero.
func roundTo(d Decimal, s int32) *big.Int {
	if s >= d.Scale {
		return new(big.Int).Mul(d.Unscaled, pow10(s-d.Scale))
	}
	return roundRat(new(big.Rat).SetFrac(d.Unscaled, pow10(d.Scale-s)))
}

// roundRat rounds half away from zero.
func roundRat(r *big.Rat) *big.Int {
	num := new(big.Int).Abs(r.Num())
	den := r.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if new(big.Int).Mul(m, big.NewInt(2)).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	if r.Sign() < 0 {
		q.Neg(q)
	}
	return q
}
