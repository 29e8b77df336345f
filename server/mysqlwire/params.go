package mysqlwire

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"vitess.io/vitess/go/sqltypes"
	querypb "vitess.io/vitess/go/vt/proto/query"
)

// scanPlaceholders calls fn with the byte offset of every '?' placeholder
// outside quotes, backquotes and comments. It returns an error for an
// unterminated quote or comment.
func scanPlaceholders(sql string, fn func(off int)) error {
	for i := 0; i < len(sql); i++ {
		switch ch := sql[i]; ch {
		case '\'', '"', '`':
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == '\\' && ch != '`' {
					j++
					continue
				}
				if sql[j] == ch {
					if j+1 < len(sql) && sql[j+1] == ch { // doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(sql) {
				return fmt.Errorf("unterminated %c quote starting at offset %d", ch, i)
			}
			i = j
		case '#':
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				return nil
			}
			i += j
		case '-':
			if strings.HasPrefix(sql[i:], "-- ") || sql[i:] == "--" || strings.HasPrefix(sql[i:], "--\t") || strings.HasPrefix(sql[i:], "--\n") {
				j := strings.IndexByte(sql[i:], '\n')
				if j < 0 {
					return nil
				}
				i += j
			}
		case '/':
			if strings.HasPrefix(sql[i:], "/*") {
				j := strings.Index(sql[i+2:], "*/")
				if j < 0 {
					return fmt.Errorf("unterminated comment starting at offset %d", i)
				}
				i += j + 3
			}
		case '?':
			fn(i)
		}
	}
	return nil
}

// countParams counts a statement's '?' placeholders.
func countParams(sql string) (int, error) {
	n := 0
	err := scanPlaceholders(sql, func(int) { n++ })
	if err != nil {
		return 0, &statusError{code: 1064, state: "42000", msg: "You have an error in your SQL syntax: " + err.Error()}
	}
	return n, nil
}

// bindParams substitutes bound values (vitess names them v1..vN) for the
// placeholders as SQL literals: tarn's engine takes statement text only.
func bindParams(sql string, n int, binds map[string]*querypb.BindVariable) (string, error) {
	if n == 0 {
		return sql, nil
	}
	var b strings.Builder
	b.Grow(len(sql) + 16*n)
	last, k := 0, 0
	var err error
	_ = scanPlaceholders(sql, func(off int) {
		if err != nil {
			return
		}
		k++
		bv, ok := binds["v"+strconv.Itoa(k)]
		if !ok {
			err = &statusError{code: 1210, state: "HY000", msg: fmt.Sprintf("Incorrect arguments to mysqld_stmt_execute: parameter %d was not bound", k)}
			return
		}
		b.WriteString(sql[last:off])
		if lerr := writeLiteral(&b, bv); lerr != nil {
			err = &statusError{code: 1210, state: "HY000", msg: fmt.Sprintf("Incorrect arguments to mysqld_stmt_execute: parameter %d: %v", k, lerr)}
			return
		}
		last = off + 1
	})
	if err != nil {
		return "", err
	}
	b.WriteString(sql[last:])
	return b.String(), nil
}

// writeLiteral renders a bound value as a SQL literal of its type.
func writeLiteral(b *strings.Builder, bv *querypb.BindVariable) error {
	v := bv.Value
	switch t := bv.Type; {
	case t == sqltypes.Null:
		b.WriteString("NULL")
	case sqltypes.IsIntegral(t), t == sqltypes.Decimal:
		if !isNumber(v, false) {
			return fmt.Errorf("invalid %s value %q", t, v)
		}
		b.Write(v)
	case sqltypes.IsFloat(t):
		s := string(v)
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			return fmt.Errorf("invalid %s value %q", t, v)
		}
		if strings.ContainsAny(s, "IiNn") { // Inf, NaN: no SQL literal
			return fmt.Errorf("%s value %s has no SQL literal", t, s)
		}
		b.WriteString(s)
		if !strings.ContainsAny(s, ".eE") {
			// keep it a DOUBLE, not an integer literal
			b.WriteString("e0")
		}
	case t == sqltypes.Date:
		b.WriteString("DATE ")
		quote(b, v)
	case t == sqltypes.Datetime, t == sqltypes.Timestamp:
		b.WriteString("TIMESTAMP ")
		quote(b, v)
	case t == sqltypes.Time:
		quote(b, v)
	case t == sqltypes.VarBinary || t == sqltypes.Blob || t == sqltypes.Binary || t == sqltypes.Bit:
		if utf8.Valid(v) {
			quote(b, v)
		} else {
			b.WriteString("X'")
			const hexd = "0123456789ABCDEF"
			for _, c := range v {
				b.WriteByte(hexd[c>>4])
				b.WriteByte(hexd[c&15])
			}
			b.WriteByte('\'')
		}
	default:
		quote(b, v)
	}
	return nil
}

func isNumber(v []byte, _ bool) bool {
	if len(v) == 0 {
		return false
	}
	i := 0
	if v[0] == '-' || v[0] == '+' {
		i++
	}
	digits, dot := 0, false
	for ; i < len(v); i++ {
		switch {
		case v[i] >= '0' && v[i] <= '9':
			digits++
		case v[i] == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// quote writes a single-quoted string literal with MySQL escapes.
func quote(b *strings.Builder, v []byte) {
	b.WriteByte('\'')
	for _, c := range v {
		switch c {
		case '\'':
			b.WriteString("''")
		case '\\':
			b.WriteString(`\\`)
		case 0:
			b.WriteString(`\0`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case 0x1a:
			b.WriteString(`\Z`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('\'')
}
