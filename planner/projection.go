package planner

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/planner/expr"
)

// Partition projection (Athena): table properties describe each key's
// values, and the planner computes the candidate partitions from the
// query's predicate without listing the catalog or storage.
//
//	'projection.enabled'='true'
//	'projection.<key>.type'='date'     format, range ('2023-01-01,NOW',
//	                                   'NOW-3DAYS,NOW'), interval, interval.unit
//	'projection.<key>.type'='integer'  range ('0,23'), interval, digits
//	'projection.<key>.type'='enum'     values ('a,b,c')
//	'projection.<key>.type'='injected' values come from = / IN predicates
//	'storage.location.template'='s3://bucket/prefix/${dt}/'
//
// Without a template a partition lives at <table location>/k=v/....
// A projected partition whose folder does not exist has no files.

// maxProjected bounds the partitions one scan may project.
const maxProjected = 1_000_000

func projectionEnabled(ct *catalog.Table) bool {
	return strings.EqualFold(strings.TrimSpace(prop(ct, "projection.enabled")), "true")
}

// prop reads a table property, case-insensitively on the key.
func prop(ct *catalog.Table, key string) string {
	if v, ok := ct.Props[key]; ok {
		return v
	}
	for k, v := range ct.Props {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return ""
}

// projectPartitions enumerates the projected partitions that the scan's
// key predicate may accept; total is the size of the projected space.
func projectPartitions(ct *catalog.Table, sk *scanKeys, now time.Time) ([]catalog.Partition, int, error) {
	nk := len(ct.PartitionKeys)
	perKey := make([][]string, nk)
	total := 1
	for k, key := range ct.PartitionKeys {
		vals, full, err := sk.projectKey(k, key.Name, now)
		if err != nil {
			return nil, 0, err
		}
		if total > 0 && full > 0 && total > maxProjected*100/full {
			total = -1 // too large to count exactly; unknown
		} else if total > 0 {
			total *= full
		}
		// Prune each key's values with the conjuncts on that key alone.
		perKey[k] = sk.pruneKeyValues(k, vals)
	}
	n := 1
	for k := range perKey {
		if len(perKey[k]) == 0 {
			return nil, max(total, 0), nil
		}
		if n > maxProjected/len(perKey[k]) {
			return nil, 0, fmt.Errorf("the query selects more than %d projected partitions; constrain the partition keys (%s)",
				maxProjected, strings.Join(sk.names, ", "))
		}
		n *= len(perKey[k])
	}
	tmpl := prop(ct, "storage.location.template")
	var parts []catalog.Partition
	vals := make([]string, nk)
	var rec func(k int)
	rec = func(k int) {
		if k == nk {
			if !sk.pred.match(vals) {
				return
			}
			v := append([]string(nil), vals...)
			parts = append(parts, catalog.Partition{Values: v, Location: projectedLocation(ct, tmpl, sk.names, v)})
			return
		}
		for _, x := range perKey[k] {
			vals[k] = x
			rec(k + 1)
		}
	}
	rec(0)
	if total < 0 {
		total = len(parts)
	}
	return parts, total, nil
}

func projectedLocation(ct *catalog.Table, tmpl string, names, vals []string) string {
	if tmpl != "" {
		out := tmpl
		for i, n := range names {
			out = strings.ReplaceAll(out, "${"+n+"}", vals[i])
		}
		return out
	}
	loc := strings.TrimRight(ct.Location, "/")
	for i, n := range names {
		loc += "/" + n + "=" + vals[i]
	}
	return loc
}

// pruneKeyValues keeps the values of key k that the conjuncts reading
// only key k accept.
func (sk *scanKeys) pruneKeyValues(k int, vals []string) []string {
	var fns []keyFn
	for i, c := range sk.conj {
		cols := expr.Columns(c)
		only := true
		for id := range cols {
			if sk.kc.keyOf[id] != k {
				only = false
			}
		}
		if only {
			fns = append(fns, sk.pred.fns[i])
		}
	}
	if len(fns) == 0 {
		return vals
	}
	p := &keyPredicate{fns: fns}
	row := make([]string, len(sk.names))
	out := vals[:0:0]
	for _, v := range vals {
		row[k] = v
		if p.match(row) {
			out = append(out, v)
		}
	}
	return out
}

// projectKey enumerates key k's projected values (before pruning).
// full is the number of values of the whole projected range.
func (sk *scanKeys) projectKey(k int, name string, now time.Time) (vals []string, full int, err error) {
	if typ := strings.ToLower(strings.TrimSpace(prop(sk.ct, "projection."+name+".type"))); typ == "date" {
		p := func(s string) string { return strings.TrimSpace(prop(sk.ct, "projection."+name+"."+s)) }
		return sk.projectDates(k, name, p, now)
	}
	vals, err = sk.projectKeyValues(k, name)
	return vals, len(vals), err
}

func (sk *scanKeys) projectKeyValues(k int, name string) ([]string, error) {
	ct := sk.ct
	p := func(s string) string { return strings.TrimSpace(prop(ct, "projection."+name+"."+s)) }
	typ := strings.ToLower(p("type"))
	switch typ {
	case "enum":
		raw := p("values")
		if raw == "" {
			return nil, fmt.Errorf("key %s: projection.%s.values is required for enum projection", name, name)
		}
		var out []string
		for v := range strings.SplitSeq(raw, ",") {
			out = append(out, strings.TrimSpace(v))
		}
		return out, nil
	case "integer":
		lo, hi, err := intRange(p("range"))
		if err != nil {
			return nil, fmt.Errorf("key %s: projection.%s.range: %v", name, name, err)
		}
		step := int64(1)
		if s := p("interval"); s != "" {
			if step, err = strconv.ParseInt(s, 10, 64); err != nil || step <= 0 {
				return nil, fmt.Errorf("key %s: projection.%s.interval '%s' is not a positive integer", name, name, s)
			}
		}
		digits := 0
		if s := p("digits"); s != "" {
			if digits, err = strconv.Atoi(s); err != nil || digits < 0 {
				return nil, fmt.Errorf("key %s: projection.%s.digits '%s' is not a non-negative integer", name, name, s)
			}
		}
		if (hi-lo)/step >= maxProjected {
			return nil, fmt.Errorf("key %s: the projected range %d..%d has more than %d values", name, lo, hi, maxProjected)
		}
		var out []string
		for v := lo; v <= hi; v += step {
			s := strconv.FormatInt(v, 10)
			if neg := v < 0; len(s) < digits+btoi(neg) {
				d := strings.TrimPrefix(s, "-")
				d = strings.Repeat("0", digits-len(d)) + d
				if neg {
					d = "-" + d
				}
				s = d
			}
			out = append(out, s)
		}
		return out, nil
	case "injected":
		return sk.injectedValues(k, name)
	case "":
		return nil, fmt.Errorf("key %s: projection.%s.type is not set (date, integer, enum or injected)", name, name)
	}
	return nil, fmt.Errorf("key %s: projection type '%s' is not supported (date, integer, enum or injected)", name, typ)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func intRange(s string) (int64, int64, error) {
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		return 0, 0, fmt.Errorf("'%s' is not 'low,high'", s)
	}
	lo, err1 := strconv.ParseInt(strings.TrimSpace(a), 10, 64)
	hi, err2 := strconv.ParseInt(strings.TrimSpace(b), 10, 64)
	if err1 != nil || err2 != nil || lo > hi {
		return 0, 0, fmt.Errorf("'%s' is not 'low,high' with integers low <= high", s)
	}
	return lo, hi, nil
}

// injectedValues takes an injected key's values from conjuncts key = 'v'
// or key IN (...).
func (sk *scanKeys) injectedValues(k int, name string) ([]string, error) {
	isKey := func(x expr.Expr) bool {
		c, ok := x.(*expr.ColumnRef)
		if !ok {
			return false
		}
		kk, ok := sk.kc.keyOf[c.Index]
		return ok && kk == k
	}
	text := func(x expr.Expr) (string, bool) {
		l, ok := x.(*expr.Literal)
		if !ok || l.Value == nil {
			return "", false
		}
		return expr.FormatPlain(l.Value, l.T), true
	}
	var set []string
	found := false
	for _, c := range sk.conj {
		var vals []string
		switch n := c.(type) {
		case *expr.Call:
			if n.Fn != "=" || len(n.Args) != 2 {
				continue
			}
			a, b := n.Args[0], n.Args[1]
			if !isKey(a) {
				a, b = b, a
			}
			if !isKey(a) {
				continue
			}
			v, ok := text(b)
			if !ok {
				continue
			}
			vals = []string{v}
		case *expr.InList:
			if n.Negated || !isKey(n.E) {
				continue
			}
			ok := true
			for _, it := range n.List {
				v, isLit := text(it)
				if !isLit {
					if l, isNull := it.(*expr.Literal); isNull && l.Value == nil {
						continue
					}
					ok = false
					break
				}
				vals = append(vals, v)
			}
			if !ok {
				continue
			}
		default:
			continue
		}
		if !found {
			set, found = vals, true
			continue
		}
		// Intersect with earlier constraints.
		keep := set[:0:0]
		for _, s := range set {
			for _, v := range vals {
				if s == v {
					keep = append(keep, s)
					break
				}
			}
		}
		set = keep
	}
	if !found {
		return nil, fmt.Errorf("partition key %s is injected: the query must give its value with %s = ... or %s IN (...)", name, name, name)
	}
	return set, nil
}

// projectDates enumerates a date key's values.
func (sk *scanKeys) projectDates(k int, name string, p func(string) string, now time.Time) ([]string, int, error) {
	fmtS := p("format")
	if fmtS == "" {
		return nil, 0, fmt.Errorf("key %s: projection.%s.format is required for date projection", name, name)
	}
	df, err := parseJavaDateFormat(fmtS)
	if err != nil {
		return nil, 0, fmt.Errorf("key %s: projection.%s.format: %v", name, name, err)
	}
	a, b, ok := strings.Cut(p("range"), ",")
	if !ok {
		return nil, 0, fmt.Errorf("key %s: projection.%s.range '%s' is not 'start,end'", name, name, p("range"))
	}
	start, err := df.bound(strings.TrimSpace(a), now)
	if err != nil {
		return nil, 0, fmt.Errorf("key %s: projection.%s.range start: %v", name, name, err)
	}
	end, err := df.bound(strings.TrimSpace(b), now)
	if err != nil {
		return nil, 0, fmt.Errorf("key %s: projection.%s.range end: %v", name, name, err)
	}
	step := 1
	if s := p("interval"); s != "" {
		if step, err = strconv.Atoi(s); err != nil || step <= 0 {
			return nil, 0, fmt.Errorf("key %s: projection.%s.interval '%s' is not a positive integer", name, name, s)
		}
	}
	unit := df.finest
	if s := p("interval.unit"); s != "" {
		u, ok := parseUnit(s)
		if !ok {
			return nil, 0, fmt.Errorf("key %s: projection.%s.interval.unit '%s' is not YEARS, MONTHS, WEEKS, DAYS, HOURS, MINUTES or SECONDS", name, name, s)
		}
		unit = u
	}
	full, err := countSteps(start, end, step, unit)
	if err != nil {
		return nil, 0, fmt.Errorf("key %s: %v", name, err)
	}
	// Narrow the walk with the query's string bounds on the key when
	// they parse in the key's format (the format orders like its text).
	if lo, hi := sk.keyBounds(k); df.ordered {
		if lo != nil {
			if t, err := df.parse(*lo); err == nil && t.After(start) {
				start = alignUp(start, t, step, unit)
			}
		}
		if hi != nil {
			if t, err := df.parse(*hi); err == nil && t.Before(end) {
				end = t
			}
		}
	}
	var out []string
	for i, t := 0, start; !t.After(end); i++ {
		if len(out) >= maxProjected {
			return nil, 0, fmt.Errorf("key %s: the projected date range has more than %d values", name, maxProjected)
		}
		out = append(out, df.format(t))
		t = addUnit(start, unit, step*(i+1))
	}
	return out, full, nil
}

// countSteps counts start, start+step, ... up to end.
func countSteps(start, end time.Time, step int, u timeUnit) (int, error) {
	n := 0
	for t := start; !t.After(end); t = addUnit(start, u, step*n) {
		n++
		if n > maxProjected {
			return 0, fmt.Errorf("the projected date range has more than %d values", maxProjected)
		}
	}
	return n, nil
}

// alignUp returns the first start + n*step units at or after t.
func alignUp(start, t time.Time, step int, u timeUnit) time.Time {
	// Jump close with an estimate, then walk.
	n := 0
	if d := approxUnit(u) * time.Duration(step); d > 0 {
		n = max(int(t.Sub(start)/d)-1, 0)
	}
	cur := addUnit(start, u, step*n)
	for cur.Before(t) {
		n++
		cur = addUnit(start, u, step*n)
	}
	return cur
}

type timeUnit int

const (
	unitSecond timeUnit = iota
	unitMinute
	unitHour
	unitDay
	unitWeek
	unitMonth
	unitYear
)

func approxUnit(u timeUnit) time.Duration {
	switch u {
	case unitSecond:
		return time.Second
	case unitMinute:
		return time.Minute
	case unitHour:
		return time.Hour
	case unitDay:
		return 24 * time.Hour
	case unitWeek:
		return 7 * 24 * time.Hour
	case unitMonth:
		return 28 * 24 * time.Hour
	}
	return 365 * 24 * time.Hour
}

func parseUnit(s string) (timeUnit, bool) {
	s = strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(s)), "S")
	switch s {
	case "SECOND":
		return unitSecond, true
	case "MINUTE":
		return unitMinute, true
	case "HOUR":
		return unitHour, true
	case "DAY":
		return unitDay, true
	case "WEEK":
		return unitWeek, true
	case "MONTH":
		return unitMonth, true
	case "YEAR":
		return unitYear, true
	}
	return 0, false
}

func addUnit(t time.Time, u timeUnit, n int) time.Time {
	switch u {
	case unitSecond:
		return t.Add(time.Duration(n) * time.Second)
	case unitMinute:
		return t.Add(time.Duration(n) * time.Minute)
	case unitHour:
		return t.Add(time.Duration(n) * time.Hour)
	case unitDay:
		return t.AddDate(0, 0, n)
	case unitWeek:
		return t.AddDate(0, 0, 7*n)
	case unitMonth:
		return t.AddDate(0, n, 0)
	}
	return t.AddDate(n, 0, 0)
}

// dateFormat is a Java date pattern (yyyy, yy, MM, M, dd, d, HH, H, mm,
// ss, SSS, quoted literals and separators).
type dateFormat struct {
	toks    []dateTok
	finest  timeUnit
	ordered bool // fixed-width fields from the most to the least significant
}

type dateTok struct {
	field byte // 'y','M','d','H','m','s','S' or 0 for a literal
	width int  // digits (0 = variable for M, d, H)
	lit   string
}

func parseJavaDateFormat(s string) (*dateFormat, error) {
	df := &dateFormat{finest: unitYear, ordered: true}
	rank := map[byte]int{'y': 0, 'M': 1, 'd': 2, 'H': 3, 'm': 4, 's': 5, 'S': 6}
	last := -1
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quote in '%s'", s)
			}
			lit := s[i+1 : i+1+j]
			if j == 0 {
				lit = "'"
			}
			df.toks = append(df.toks, dateTok{lit: lit})
			i += j + 2
		case strings.IndexByte("yMdHmsS", c) >= 0:
			j := i
			for j < len(s) && s[j] == c {
				j++
			}
			n := j - i
			w := n
			switch c {
			case 'y':
				if n != 2 && n != 4 {
					w = 4
				}
			case 'M', 'd', 'H', 'm', 's':
				if n > 2 {
					return nil, fmt.Errorf("pattern '%s' in '%s' is not supported", s[i:j], s)
				}
				if n == 1 {
					w = 0
					df.ordered = false
				}
			}
			df.toks = append(df.toks, dateTok{field: c, width: w})
			if rank[c] <= last {
				df.ordered = false
			}
			last = rank[c]
			switch c {
			case 'M':
				df.finest = min(df.finest, unitMonth)
			case 'd':
				df.finest = min(df.finest, unitDay)
			case 'H':
				df.finest = min(df.finest, unitHour)
			case 'm':
				df.finest = min(df.finest, unitMinute)
			case 's', 'S':
				df.finest = min(df.finest, unitSecond)
			}
			i = j
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			return nil, fmt.Errorf("pattern letter '%c' in '%s' is not supported", c, s)
		default:
			df.toks = append(df.toks, dateTok{lit: string(c)})
			i++
		}
	}
	if len(df.toks) == 0 {
		return nil, fmt.Errorf("empty date format")
	}
	return df, nil
}

func (df *dateFormat) format(t time.Time) string {
	var b strings.Builder
	pad := func(v, w int) {
		s := strconv.Itoa(v)
		for len(s) < w {
			s = "0" + s
		}
		b.WriteString(s)
	}
	for _, tk := range df.toks {
		switch tk.field {
		case 0:
			b.WriteString(tk.lit)
		case 'y':
			if tk.width == 2 {
				pad(t.Year()%100, 2)
			} else {
				pad(t.Year(), tk.width)
			}
		case 'M':
			pad(int(t.Month()), tk.width)
		case 'd':
			pad(t.Day(), tk.width)
		case 'H':
			pad(t.Hour(), tk.width)
		case 'm':
			pad(t.Minute(), tk.width)
		case 's':
			pad(t.Second(), tk.width)
		case 'S':
			pad(t.Nanosecond()/1e6, 3)
		}
	}
	return b.String()
}

func (df *dateFormat) parse(s string) (time.Time, error) {
	y, mo, d, h, mi, sec, ms := 1970, 1, 1, 0, 0, 0, 0
	pos := 0
	for _, tk := range df.toks {
		if tk.field == 0 {
			if !strings.HasPrefix(s[pos:], tk.lit) {
				return time.Time{}, fmt.Errorf("'%s' does not match the date format", s)
			}
			pos += len(tk.lit)
			continue
		}
		maxW := tk.width
		if maxW == 0 {
			maxW = 2
		}
		start := pos
		for pos < len(s) && pos-start < maxW && s[pos] >= '0' && s[pos] <= '9' {
			pos++
		}
		if pos == start || (tk.width > 0 && pos-start != tk.width) {
			return time.Time{}, fmt.Errorf("'%s' does not match the date format", s)
		}
		v, _ := strconv.Atoi(s[start:pos])
		switch tk.field {
		case 'y':
			if tk.width == 2 {
				v += 2000
			}
			y = v
		case 'M':
			mo = v
		case 'd':
			d = v
		case 'H':
			h = v
		case 'm':
			mi = v
		case 's':
			sec = v
		case 'S':
			ms = v
		}
	}
	if pos != len(s) {
		return time.Time{}, fmt.Errorf("'%s' does not match the date format", s)
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, ms*1e6, time.UTC)
	if t.Month() != time.Month(mo) || t.Day() != d || t.Hour() != h || t.Minute() != mi || t.Second() != sec {
		return time.Time{}, fmt.Errorf("'%s' is not a valid date", s)
	}
	return t, nil
}

// bound parses a range end: a date in the format, or NOW[(+|-)N UNIT].
// Both are truncated to the format's precision.
func (df *dateFormat) bound(s string, now time.Time) (time.Time, error) {
	u := strings.ToUpper(strings.ReplaceAll(s, " ", ""))
	if strings.HasPrefix(u, "NOW") {
		t := now.UTC()
		rest := u[3:]
		if rest != "" {
			sign := 1
			switch rest[0] {
			case '+':
			case '-':
				sign = -1
			default:
				return time.Time{}, fmt.Errorf("'%s' is not NOW, NOW+nUNIT or NOW-nUNIT", s)
			}
			rest = rest[1:]
			i := 0
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			n, err := strconv.Atoi(rest[:i])
			if err != nil {
				return time.Time{}, fmt.Errorf("'%s' is not NOW, NOW+nUNIT or NOW-nUNIT", s)
			}
			unit, ok := parseUnit(rest[i:])
			if !ok {
				return time.Time{}, fmt.Errorf("'%s': unknown unit '%s'", s, rest[i:])
			}
			t = addUnit(t, unit, sign*n)
		}
		// Truncate to the format's precision.
		return df.parse(df.format(t))
	}
	return df.parse(s)
}
