package textcol

import (
	"math"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Value parsers: allocation-free, straight from the field bytes.

func TrimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

func ParseInt(b []byte, bits int) (int64, bool) {
	b = TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		d := c - '0'
		if d > 9 {
			return 0, false
		}
		u = u*10 + uint64(d)
	}
	lim := uint64(1) << (bits - 1)
	if neg {
		if u > lim {
			return 0, false
		}
		return -int64(u), true
	}
	if u >= lim {
		return 0, false
	}
	return int64(u), true
}

func bstr(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func ParseFloat(b []byte, bits int) (float64, bool) {
	b = TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(bstr(b), bits)
	if err != nil {
		// Accept overflow to ±Inf like other engines; reject syntax errors.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

func ParseBool(b []byte) (bool, bool) {
	b = TrimSpace(b)
	switch len(b) {
	case 1:
		switch b[0] | 0x20 {
		case 't', 'y', '1' | 0x20:
			return true, true
		case 'f', 'n', '0' | 0x20:
			return false, true
		}
	case 2:
		if b[0]|0x20 == 'n' && b[1]|0x20 == 'o' {
			return false, true
		}
	case 3:
		if b[0]|0x20 == 'y' && b[1]|0x20 == 'e' && b[2]|0x20 == 's' {
			return true, true
		}
	case 4:
		if b[0]|0x20 == 't' && b[1]|0x20 == 'r' && b[2]|0x20 == 'u' && b[3]|0x20 == 'e' {
			return true, true
		}
	case 5:
		if b[0]|0x20 == 'f' && b[1]|0x20 == 'a' && b[2]|0x20 == 'l' && b[3]|0x20 == 's' && b[4]|0x20 == 'e' {
			return false, true
		}
	}
	return false, false
}

// decDigits splits a decimal literal into sign, integer and fraction digits.
func decDigits(b []byte) (neg bool, ip, fp []byte, ok bool) {
	b = TrimSpace(b)
	if len(b) == 0 {
		return false, nil, nil, false
	}
	switch b[0] {
	case '-':
		neg, b = true, b[1:]
	case '+':
		b = b[1:]
	}
	dot := -1
	for i, c := range b {
		if c == '.' {
			if dot >= 0 {
				return false, nil, nil, false
			}
			dot = i
		} else if c < '0' || c > '9' {
			return false, nil, nil, false
		}
	}
	if dot < 0 {
		ip = b
	} else {
		ip, fp = b[:dot], b[dot+1:]
	}
	if len(ip)+len(fp) == 0 {
		return false, nil, nil, false
	}
	return neg, ip, fp, true
}

// parseDec64 parses a decimal into an unscaled int64 at scale s with at
// most p digits, rounding extra fraction digits half away from zero.
func ParseDec64(b []byte, p, s int32) (int64, bool) {
	neg, ip, fp, ok := decDigits(b)
	if !ok {
		return 0, false
	}
	var u uint64
	digits := 0
	add := func(d byte) bool {
		if u == 0 && d == 0 {
			return true
		}
		digits++
		if digits > 18 {
			return false
		}
		u = u*10 + uint64(d-'0')
		return true
	}
	for _, c := range ip {
		if !add(c) {
			return 0, false
		}
	}
	for i := int32(0); i < s; i++ {
		d := byte('0')
		if int(i) < len(fp) {
			d = fp[i]
		}
		if !add(d) {
			return 0, false
		}
	}
	if int(s) < len(fp) && fp[s] >= '5' {
		u++
	}
	if u >= uint64(math.Pow10(int(p))) {
		return 0, false
	}
	if neg {
		return -int64(u), true
	}
	return int64(u), true
}

var ten = decimal128.FromI64(10)

// parseDec128 is parseDec64 for precisions above 18.
func ParseDec128(b []byte, p, s int32) (decimal128.Num, bool) {
	neg, ip, fp, ok := decDigits(b)
	if !ok {
		return decimal128.Num{}, false
	}
	var n decimal128.Num
	digits := 0
	add := func(d byte) bool {
		if digits == 0 && d == '0' {
			return true
		}
		digits++
		if digits > 38 {
			return false
		}
		n = n.Mul(ten).Add(decimal128.FromI64(int64(d - '0')))
		return true
	}
	for _, c := range ip {
		if !add(c) {
			return n, false
		}
	}
	for i := int32(0); i < s; i++ {
		d := byte('0')
		if int(i) < len(fp) {
			d = fp[i]
		}
		if !add(d) {
			return n, false
		}
	}
	if int(s) < len(fp) && fp[s] >= '5' {
		n = n.Add(decimal128.FromI64(1))
	}
	if !n.FitsInPrecision(p) {
		return n, false
	}
	if neg {
		n = n.Negate()
	}
	return n, true
}

// daysFromCivil converts a proleptic Gregorian date to days since 1970-01-01.
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func num(b []byte) (int64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

var monthDays = [13]int64{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// parseDate parses YYYY-MM-DD into days since the epoch.
func ParseDate(b []byte) (int64, bool) {
	b = TrimSpace(b)
	return parseDatePart(b)
}

func parseDatePart(b []byte) (int64, bool) {
	if len(b) < 8 || len(b) > 10 {
		return 0, false
	}
	i := 0
	for i < len(b) && b[i] != '-' {
		i++
	}
	j := i + 1
	for j < len(b) && b[j] != '-' {
		j++
	}
	if i != 4 || j >= len(b) {
		return 0, false
	}
	y, ok1 := num(b[:i])
	m, ok2 := num(b[i+1 : j])
	d, ok3 := num(b[j+1:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > monthDays[m] {
		return 0, false
	}
	if m == 2 && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		return 0, false
	}
	return daysFromCivil(y, m, d), true
}

// parseTimestamp parses "YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]]" into
// microseconds since the epoch.
func ParseTimestamp(b []byte) (int64, bool) {
	b = TrimSpace(b)
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != 'T' {
		i++
	}
	days, ok := parseDatePart(b[:i])
	if !ok {
		return 0, false
	}
	us := days * 86400 * 1000000
	if i == len(b) {
		return us, true
	}
	t := b[i+1:]
	if len(t) > 0 && t[len(t)-1] == 'Z' {
		t = t[:len(t)-1]
	}
	if len(t) < 5 || t[2] != ':' {
		return 0, false
	}
	h, ok1 := num(t[:2])
	mi, ok2 := num(t[3:5])
	if !ok1 || !ok2 || h > 23 || mi > 59 {
		return 0, false
	}
	var sec, frac int64
	t = t[5:]
	if len(t) > 0 {
		if t[0] != ':' || len(t) < 3 {
			return 0, false
		}
		s, ok := num(t[1:3])
		if !ok || s > 59 {
			return 0, false
		}
		sec = s
		t = t[3:]
		if len(t) > 0 {
			if t[0] != '.' || len(t) < 2 || len(t) > 10 {
				return 0, false
			}
			f := t[1:]
			v, ok := num(f)
			if !ok {
				return 0, false
			}
			for k := len(f); k < 6; k++ {
				v *= 10
			}
			for k := len(f); k > 6; k-- {
				v /= 10
			}
			frac = v
		}
	}
	return us + ((h*60+mi)*60+sec)*1000000 + frac, true
}
