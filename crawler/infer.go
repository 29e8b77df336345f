package crawler

// InferText returns the narrowest type of one text value, trying in
// order: NULL (empty), BOOLEAN (true/false, any case), INT, BIGINT,
// DOUBLE, DATE (yyyy-MM-dd), TIMESTAMP (yyyy-MM-dd HH:mm:ss[.f] or ISO
// 8601 with 'T' and an optional 'Z'), else VARCHAR.
//
// Integers with a leading zero ("007", zip codes) and integers beyond
// BIGINT stay VARCHAR: reading them as numbers would lose information.
// Surrounding spaces and tabs are ignored, as the CSV reader ignores them.
func InferText(s string) *Type {
	s = trimBlank(s)
	if s == "" {
		return tNull
	}
	switch len(s) {
	case 4, 5:
		if eqFold(s, "true") || eqFold(s, "false") {
			return tBool
		}
	}
	c := s[0]
	if c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9') {
		if t := inferNumber(s); t != nil {
			return t
		}
		if c >= '0' && c <= '9' {
			if isDate(s) {
				return tDate
			}
			if isTimestamp(s) {
				return tTimestamp
			}
		}
	}
	return tString
}

func trimBlank(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}

// eqFold compares s with a lower-case ASCII word, ignoring case.
func eqFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i]|0x20 != lower[i] {
			return false
		}
	}
	return true
}

// inferNumber recognises [+-]digits (INT/BIGINT) and decimal/exponent
// forms (DOUBLE); nil when s is not a number.
func inferNumber(s string) *Type {
	i := 0
	if s[0] == '-' || s[0] == '+' {
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intDigits := i - start
	if i == len(s) {
		if intDigits == 0 {
			return nil
		}
		if intDigits > 1 && s[start] == '0' {
			return nil // leading zero: an identifier, not a number
		}
		if intDigits > 19 {
			return nil
		}
		var u uint64
		for _, d := range s[start:] {
			u = u*10 + uint64(d-'0')
		}
		neg := s[0] == '-'
		switch {
		case neg && u <= 1<<31, !neg && u < 1<<31:
			return tInt
		case neg && u <= 1<<63, !neg && u < 1<<63:
			return tBigint
		}
		return nil
	}
	fracDigits := 0
	if s[i] == '.' {
		i++
		f := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		fracDigits = i - f
	}
	if intDigits+fracDigits == 0 {
		return nil
	}
	if intDigits > 1 && s[start] == '0' {
		return nil
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		e := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == e {
			return nil
		}
	}
	if i != len(s) {
		return nil
	}
	return tDouble
}

func digits(s string) (int, bool) {
	if len(s) == 0 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int(d)
	}
	return n, true
}

var monthDays = [13]int{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// isDate checks yyyy-MM-dd (a real calendar day).
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	y, ok1 := digits(s[:4])
	m, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > monthDays[m] {
		return false
	}
	if m == 2 && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		return false
	}
	return true
}

// isTimestamp checks yyyy-MM-dd( |T)HH:mm:ss[.f{1,9}][Z]. Offsets other
// than Z are not recognised (the readers do not convert them).
func isTimestamp(s string) bool {
	if len(s) < 19 || !isDate(s[:10]) || (s[10] != ' ' && s[10] != 'T') {
		return false
	}
	t := s[11:]
	if t[len(t)-1] == 'Z' {
		t = t[:len(t)-1]
	}
	if len(t) < 8 || t[2] != ':' || t[5] != ':' {
		return false
	}
	h, ok1 := digits(t[:2])
	mi, ok2 := digits(t[3:5])
	sec, ok3 := digits(t[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 59 {
		return false
	}
	t = t[8:]
	if len(t) == 0 {
		return true
	}
	if t[0] != '.' || len(t) < 2 || len(t) > 10 {
		return false
	}
	_, ok := digits(t[1:])
	return ok
}

// numberType types a JSON number literal: INT/BIGINT for integers in
// range, else DOUBLE.
func numberType(lit string) *Type {
	if t := inferNumber(lit); t != nil {
		return t
	}
	return tDouble // JSON numbers are always numbers ("0", "1e400", ...)
}
