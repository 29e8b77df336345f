package eval

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// Dates are days since 1970-01-01 (Date32); timestamps are microseconds
// since the epoch without time zone. The civil-calendar conversions are
// Howard Hinnant's algorithms (proleptic Gregorian), branch-light and
// allocation-free.

const usPerDay = 86_400_000_000

// civil converts days since the epoch to year, month (1-12), day (1-31).
func civil(days int64) (y, m, d int64) {
	z := days + 719468
	era := z
	if z < 0 {
		era = z - 146096
	}
	era /= 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

// daysFromCivil is the inverse of civil.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y
	if y < 0 {
		era = y - 399
	}
	era /= 400
	yoe := y - era*400
	mp := m - 3
	if m <= 2 {
		mp = m + 9
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func isLeap(y int64) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

func daysInMonth(y, m int64) int64 {
	switch m {
	case 2:
		if isLeap(y) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// splitTS splits microseconds into days and microseconds within the day.
func splitTS(us int64) (days, tod int64) {
	days = floorDiv(us, usPerDay)
	return days, us - days*usPerDay
}

// appendDate formats days as YYYY-MM-DD.
func appendDate(dst []byte, days int64) []byte {
	y, m, d := civil(days)
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	dst = appendPad(dst, y, 4)
	dst = append(dst, '-')
	dst = appendPad(dst, m, 2)
	dst = append(dst, '-')
	return appendPad(dst, d, 2)
}

// appendTimestamp formats as YYYY-MM-DD HH:MM:SS[.ffffff] (fraction
// trimmed of trailing zeros, omitted when zero).
func appendTimestamp(dst []byte, us int64) []byte {
	days, tod := splitTS(us)
	dst = appendDate(dst, days)
	dst = append(dst, ' ')
	secs := tod / 1_000_000
	frac := tod % 1_000_000
	dst = appendPad(dst, secs/3600, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, secs/60%60, 2)
	dst = append(dst, ':')
	dst = appendPad(dst, secs%60, 2)
	if frac != 0 {
		dst = append(dst, '.')
		digits := 6
		for frac%10 == 0 {
			frac /= 10
			digits--
		}
		dst = appendPad(dst, frac, digits)
	}
	return dst
}

func appendPad(dst []byte, v int64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	buf[i] = byte('0' + v)
	for len(buf)-i < width {
		i--
		buf[i] = '0'
	}
	return append(dst, buf[i:]...)
}

// parseDigits reads an unsigned decimal number from s[*pos:] (at most max
// digits, at least one).
func parseDigits(s string, pos *int, max int) (int64, bool) {
	v, n := int64(0), 0
	for *pos < len(s) && n < max && s[*pos] >= '0' && s[*pos] <= '9' {
		v = v*10 + int64(s[*pos]-'0')
		*pos++
		n++
	}
	return v, n > 0
}

// parseDate parses YYYY-MM-DD (month and day may have one digit); rest is
// what follows the date.
func parseDate(s string) (days int64, rest string, ok bool) {
	pos := 0
	neg := false
	if pos < len(s) && s[pos] == '-' {
		neg = true
		pos++
	}
	y, ok1 := parseDigits(s, &pos, 6)
	if !ok1 || pos >= len(s) || s[pos] != '-' {
		return 0, "", false
	}
	pos++
	m, ok2 := parseDigits(s, &pos, 2)
	if !ok2 || pos >= len(s) || s[pos] != '-' {
		return 0, "", false
	}
	pos++
	d, ok3 := parseDigits(s, &pos, 2)
	if !ok3 {
		return 0, "", false
	}
	if neg {
		y = -y
	}
	if m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m) {
		return 0, "", false
	}
	return daysFromCivil(y, m, d), s[pos:], true
}

// parseTimestamp parses 'YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]]'.
func parseTimestamp(s string) (int64, bool) {
	days, rest, ok := parseDate(s)
	if !ok {
		return 0, false
	}
	us := days * usPerDay
	if rest == "" {
		return us, true
	}
	if rest[0] != ' ' && rest[0] != 'T' {
		return 0, false
	}
	rest = strings.TrimLeft(rest[1:], " ")
	pos := 0
	h, ok1 := parseDigits(rest, &pos, 2)
	if !ok1 || pos >= len(rest) || rest[pos] != ':' {
		return 0, false
	}
	pos++
	mi, ok2 := parseDigits(rest, &pos, 2)
	if !ok2 {
		return 0, false
	}
	var sec, frac int64
	if pos < len(rest) && rest[pos] == ':' {
		pos++
		var ok3 bool
		if sec, ok3 = parseDigits(rest, &pos, 2); !ok3 {
			return 0, false
		}
		if pos < len(rest) && rest[pos] == '.' {
			pos++
			start := pos
			f, okf := parseDigits(rest, &pos, 6)
			if !okf {
				return 0, false
			}
			for i := pos - start; i < 6; i++ {
				f *= 10
			}
			frac = f
			for pos < len(rest) && rest[pos] >= '0' && rest[pos] <= '9' { // beyond microseconds: truncate
				pos++
			}
		}
	}
	if pos != len(rest) || h > 23 || mi > 59 || sec > 59 {
		return 0, false
	}
	return us + ((h*60+mi)*60+sec)*1_000_000 + frac, true
}

// ---------------------------------------------------------------------
// extract_*

// extract_dow follows PostgreSQL: 0 = Sunday .. 6 = Saturday (not MySQL's
// DAYOFWEEK, which is 1 = Sunday). extract_week is the ISO-8601 week
// number (1-53). extract_doy is 1-366. extract_second returns whole seconds.

func (c *compiler) compileExtract(e *expr.Call) (node, error) {
	if len(e.Args) != 1 {
		return nil, fmt.Errorf("%s: expected 1 argument", e)
	}
	at := e.Args[0].Type()
	if at.ID() != arrow.DATE32 && at.ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("%s: argument is %s, expected DATE or TIMESTAMP", e, types.SQLName(at))
	}
	if !types.IsInteger(e.T) {
		return nil, fmt.Errorf("%s: result type %s, expected BIGINT", e, types.SQLName(e.T))
	}
	if e.T.ID() != arrow.INT64 {
		return c.compile(&expr.Cast{E: &expr.Call{Fn: e.Fn, Args: e.Args, T: types.Int64}, T: e.T})
	}
	o, err := c.operand(e.Args[0])
	if err != nil {
		return nil, err
	}
	part := strings.TrimPrefix(e.Fn, "extract_")
	return &extractNode{part: part, arg: o, ts: at.ID() == arrow.TIMESTAMP, t: e.T, mem: c.mem}, nil
}

type extractNode struct {
	part string
	arg  operand
	ts   bool
	t    arrow.DataType
	mem  memory.Allocator
}

func (n *extractNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	ar, err := n.arg.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer ar.release()
	cnt := b.NumRows()
	if ar.arr == nil {
		ar = rop{arr: constArray(n.mem, n.arg.t, ar.c.v, cnt), owned: true}
	}
	valid, nulls := combineValidity(n.mem, cnt, &ar)
	out := vec.NewBuilder[int64](n.mem, n.t, cnt)
	out.SetValidity(valid, nulls)
	o := out.Values
	if n.ts {
		v := fixedView[int64](&ar)
		for j := range o {
			days, tod := splitTS(v.at(j))
			o[j] = extractPart(n.part, days, tod)
		}
	} else {
		v := fixedView[int32](&ar)
		switch n.part { // the hot ones get their own loops
		case "year":
			if v.v != nil && v.sel == nil {
				src := v.v[:len(o)]
				for j := range o {
					o[j] = fastYear(int64(src[j]))
				}
				break
			}
			for j := range o {
				o[j] = fastYear(int64(v.at(j)))
			}
		case "month":
			for j := range o {
				_, m, _ := fastCivil(int64(v.at(j)))
				o[j] = m
			}
		default:
			for j := range o {
				o[j] = extractPart(n.part, int64(v.at(j)), 0)
			}
		}
	}
	return out.Finish(), nil
}

func extractPart(part string, days, tod int64) int64 {
	switch part {
	case "hour":
		return tod / 3_600_000_000
	case "minute":
		return tod / 60_000_000 % 60
	case "second":
		return tod / 1_000_000 % 60
	case "dow":
		return ((days+4)%7 + 7) % 7 // 1970-01-01 was a Thursday
	}
	y, m, d := fastCivil(days)
	switch part {
	case "year":
		return y
	case "month":
		return m
	case "day":
		return d
	case "quarter":
		return (m-1)/3 + 1
	case "doy":
		return days - daysFromCivil(y, 1, 1) + 1
	case "week":
		return isoWeek(days)
	}
	return 0
}

// isoWeek returns the ISO-8601 week number of a date.
func isoWeek(days int64) int64 {
	// ISO weekday 1 = Monday .. 7 = Sunday
	wd := ((days+3)%7+7)%7 + 1
	thursday := days - wd + 4
	y, _, _ := civil(thursday)
	return (thursday-daysFromCivil(y, 1, 1))/7 + 1
}

// ---------------------------------------------------------------------
// date_add / datediff / date_trunc

func unitOf(e expr.Expr, what string) (string, error) {
	l, ok := e.(*expr.Literal)
	if !ok {
		return "", fmt.Errorf("%s: unit must be a literal string", what)
	}
	s, ok := l.Value.(string)
	if !ok {
		return "", fmt.Errorf("%s: unit must be a literal string", what)
	}
	return strings.ToLower(s), nil
}

// compileDateAdd: date_add(date|timestamp, amount, unit). Month, quarter
// and year clamp the day to the end of the target month (MySQL:
// 2024-01-31 + 1 month = 2024-02-29). A DATE plus a sub-day unit gives a
// TIMESTAMP when the binder typed it so; otherwise whole days are added.
func (c *compiler) compileDateAdd(e *expr.Call) (node, error) {
	if len(e.Args) != 3 {
		return nil, fmt.Errorf("%s: expected 3 arguments", e)
	}
	unit, err := unitOf(e.Args[2], e.String())
	if err != nil {
		return nil, err
	}
	switch unit {
	case "day", "week", "month", "quarter", "year", "hour", "minute", "second", "microsecond":
	default:
		return nil, fmt.Errorf("%s: unknown unit %q", e, unit)
	}
	src := e.Args[0]
	if src.Type().ID() != arrow.DATE32 && src.Type().ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("%s: argument is %s, expected DATE or TIMESTAMP", e, types.SQLName(src.Type()))
	}
	if e.T.ID() == arrow.TIMESTAMP && src.Type().ID() == arrow.DATE32 {
		src = &expr.Cast{E: src, T: types.Timestamp}
	}
	d, err := c.operand(src)
	if err != nil {
		return nil, err
	}
	amt := e.Args[1]
	if amt.Type().ID() != arrow.INT64 {
		amt = &expr.Cast{E: amt, T: types.Int64}
	}
	a, err := c.operand(amt)
	if err != nil {
		return nil, err
	}
	return &dateAddNode{unit: unit, d: d, a: a, ts: src.Type().ID() == arrow.TIMESTAMP, t: e.T, e: e, mem: c.mem}, nil
}

type dateAddNode struct {
	unit string
	d, a operand
	ts   bool
	t    arrow.DataType
	e    expr.Expr
	mem  memory.Allocator
}

// addMonths adds n months to a day count, clamping the day.
func addMonths(days, n int64) int64 {
	y, m, d := civil(days)
	tot := y*12 + (m - 1) + n
	ny, nm := floorDiv(tot, 12), tot-floorDiv(tot, 12)*12+1
	if dm := daysInMonth(ny, nm); d > dm {
		d = dm
	}
	return daysFromCivil(ny, nm, d)
}

func (n *dateAddNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	dr, ar, err := resolve2(ctx, b, &n.d, &n.a, n.mem)
	if err != nil {
		return nil, err
	}
	defer dr.release()
	defer ar.release()
	cnt := b.NumRows()
	valid, nulls := combineValidity(n.mem, cnt, &dr, &ar)
	amt := fixedView[int64](&ar)
	months := int64(0)
	switch n.unit {
	case "month":
		months = 1
	case "quarter":
		months = 3
	case "year":
		months = 12
	}
	if n.ts {
		out := vec.NewBuilder[int64](n.mem, n.t, cnt)
		out.SetValidity(valid, nulls)
		v := fixedView[int64](&dr)
		var mul int64
		switch n.unit {
		case "microsecond":
			mul = 1
		case "second":
			mul = 1_000_000
		case "minute":
			mul = 60_000_000
		case "hour":
			mul = 3_600_000_000
		case "day":
			mul = usPerDay
		case "week":
			mul = 7 * usPerDay
		}
		o := out.Values
		for j := range o {
			if months != 0 {
				days, tod := splitTS(v.at(j))
				o[j] = addMonths(days, amt.at(j)*months)*usPerDay + tod
			} else {
				o[j] = v.at(j) + amt.at(j)*mul
			}
		}
		return out.Finish(), nil
	}
	out := vec.NewBuilder[int32](n.mem, n.t, cnt)
	out.SetValidity(valid, nulls)
	v := fixedView[int32](&dr)
	o := out.Values
	var mul int64 = 1
	switch n.unit {
	case "week":
		mul = 7
	case "hour", "minute", "second", "microsecond":
		var per int64
		switch n.unit {
		case "hour":
			per = 3_600_000_000
		case "minute":
			per = 60_000_000
		case "second":
			per = 1_000_000
		default:
			per = 1
		}
		// result stays a DATE: add whole days of the interval
		for j := range o {
			o[j] = int32(floorDiv(int64(v.at(j))*usPerDay+amt.at(j)*per, usPerDay))
		}
		return out.Finish(), nil
	}
	if months != 0 {
		for j := range o {
			o[j] = int32(addMonths(int64(v.at(j)), amt.at(j)*months))
		}
	} else {
		for j := range o {
			o[j] = int32(int64(v.at(j)) + amt.at(j)*mul)
		}
	}
	return out.Finish(), nil
}

// datediff(a, b) = days(a) - days(b) (MySQL; time parts ignored).
func (c *compiler) compileDatediff(e *expr.Call) (node, error) {
	if len(e.Args) != 2 {
		return nil, fmt.Errorf("%s: expected 2 arguments", e)
	}
	var ops [2]operand
	for i, a := range e.Args {
		if a.Type().ID() == arrow.TIMESTAMP {
			a = &expr.Cast{E: a, T: types.Date}
		}
		if a.Type().ID() != arrow.DATE32 {
			return nil, fmt.Errorf("%s: argument %d is %s, expected DATE", e, i+1, types.SQLName(a.Type()))
		}
		o, err := c.operand(a)
		if err != nil {
			return nil, err
		}
		ops[i] = o
	}
	return &datediffNode{l: ops[0], r: ops[1], t: e.T, mem: c.mem}, nil
}

type datediffNode struct {
	l, r operand
	t    arrow.DataType
	mem  memory.Allocator
}

func (n *datediffNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	lr, rr, err := resolve2(ctx, b, &n.l, &n.r, n.mem)
	if err != nil {
		return nil, err
	}
	defer lr.release()
	defer rr.release()
	cnt := b.NumRows()
	valid, nulls := combineValidity(n.mem, cnt, &lr, &rr)
	x, y := fixedView[int32](&lr), fixedView[int32](&rr)
	switch physOf(n.t) {
	case kI32:
		out := vec.NewBuilder[int32](n.mem, n.t, cnt)
		out.SetValidity(valid, nulls)
		for j := range out.Values {
			out.Values[j] = x.at(j) - y.at(j)
		}
		return out.Finish(), nil
	}
	out := vec.NewBuilder[int64](n.mem, n.t, cnt)
	out.SetValidity(valid, nulls)
	for j := range out.Values {
		out.Values[j] = int64(x.at(j)) - int64(y.at(j))
	}
	return out.Finish(), nil
}

// date_trunc(unit, date|timestamp): truncates to the start of the unit
// (weeks start on Monday, as in PostgreSQL).
func (c *compiler) compileDateTrunc(e *expr.Call) (node, error) {
	if len(e.Args) != 2 {
		return nil, fmt.Errorf("%s: expected 2 arguments", e)
	}
	unit, err := unitOf(e.Args[0], e.String())
	if err != nil {
		return nil, err
	}
	switch unit {
	case "year", "quarter", "month", "week", "day", "hour", "minute", "second", "microsecond":
	default:
		return nil, fmt.Errorf("%s: unknown unit %q", e, unit)
	}
	src := e.Args[1]
	if src.Type().ID() != arrow.DATE32 && src.Type().ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("%s: argument is %s, expected DATE or TIMESTAMP", e, types.SQLName(src.Type()))
	}
	if e.T.ID() == arrow.TIMESTAMP && src.Type().ID() == arrow.DATE32 {
		src = &expr.Cast{E: src, T: types.Timestamp}
	}
	o, err := c.operand(src)
	if err != nil {
		return nil, err
	}
	return &dateTruncNode{unit: unit, arg: o, ts: src.Type().ID() == arrow.TIMESTAMP, t: e.T, mem: c.mem}, nil
}

type dateTruncNode struct {
	unit string
	arg  operand
	ts   bool
	t    arrow.DataType
	mem  memory.Allocator
}

func truncDays(unit string, days int64) int64 {
	switch unit {
	case "year":
		y, _, _ := civil(days)
		return daysFromCivil(y, 1, 1)
	case "quarter":
		y, m, _ := civil(days)
		return daysFromCivil(y, (m-1)/3*3+1, 1)
	case "month":
		y, m, _ := civil(days)
		return daysFromCivil(y, m, 1)
	case "week":
		wd := ((days+3)%7 + 7) % 7 // 0 = Monday
		return days - wd
	}
	return days
}

func (n *dateTruncNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	ar, err := n.arg.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer ar.release()
	cnt := b.NumRows()
	if ar.arr == nil {
		ar = rop{arr: constArray(n.mem, n.arg.t, ar.c.v, cnt), owned: true}
	}
	valid, nulls := combineValidity(n.mem, cnt, &ar)
	if n.ts {
		out := vec.NewBuilder[int64](n.mem, n.t, cnt)
		out.SetValidity(valid, nulls)
		v := fixedView[int64](&ar)
		var per int64
		switch n.unit {
		case "hour":
			per = 3_600_000_000
		case "minute":
			per = 60_000_000
		case "second":
			per = 1_000_000
		case "microsecond":
			per = 1
		}
		for j := range out.Values {
			x := v.at(j)
			if per != 0 {
				out.Values[j] = floorDiv(x, per) * per
			} else {
				days, _ := splitTS(x)
				out.Values[j] = truncDays(n.unit, days) * usPerDay
			}
		}
		return out.Finish(), nil
	}
	out := vec.NewBuilder[int32](n.mem, n.t, cnt)
	out.SetValidity(valid, nulls)
	v := fixedView[int32](&ar)
	for j := range out.Values {
		out.Values[j] = int32(truncDays(n.unit, int64(v.at(j))))
	}
	return out.Finish(), nil
}

// Table-driven civil conversion for 1900..2399 (the common case): the
// year comes from an estimate corrected against a table of January 1sts,
// month and day from a day-of-year table. Outside the range civil is used.
const (
	ftFirstYear = 1900
	ftYears     = 500
)

var (
	ftYearStart [ftYears + 1]int32
	ftMonthDay  [2][366]uint16 // month<<8 | day, by [leap][day of year]
	ftLo, ftHi  int64
)

func init() {
	for i := range ftYearStart {
		ftYearStart[i] = int32(daysFromCivil(int64(ftFirstYear+i), 1, 1))
	}
	ftLo, ftHi = int64(ftYearStart[0]), int64(ftYearStart[ftYears])
	for leap := 0; leap < 2; leap++ {
		y := int64(2001) // a common year
		if leap == 1 {
			y = 2004
		}
		start := daysFromCivil(y, 1, 1)
		n := int64(365 + leap)
		for doy := int64(0); doy < n; doy++ {
			_, m, d := civil(start + doy)
			ftMonthDay[leap][doy] = uint16(m<<8 | d)
		}
	}
}

// fastCivil is civil with a table fast path.
func fastCivil(days int64) (y, m, d int64) {
	if days < ftLo || days >= ftHi {
		return civil(days)
	}
	i := (days - ftLo) * 400 / 146097
	if i >= ftYears {
		i = ftYears - 1
	}
	for int64(ftYearStart[i]) > days {
		i--
	}
	for int64(ftYearStart[i+1]) <= days {
		i++
	}
	doy := days - int64(ftYearStart[i])
	leap := 0
	if ftYearStart[i+1]-ftYearStart[i] == 366 {
		leap = 1
	}
	md := ftMonthDay[leap][doy]
	return int64(ftFirstYear) + i, int64(md >> 8), int64(md & 0xff)
}

// fastYear is the year of a day count.
func fastYear(days int64) int64 {
	if days < ftLo || days >= ftHi {
		y, _, _ := civil(days)
		return y
	}
	i := (days - ftLo) * 400 / 146097
	if i >= ftYears {
		i = ftYears - 1
	}
	for int64(ftYearStart[i]) > days {
		i--
	}
	for int64(ftYearStart[i+1]) <= days {
		i++
	}
	return int64(ftFirstYear) + i
}
