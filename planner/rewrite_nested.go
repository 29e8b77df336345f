package planner

import (
	"strings"
)

// vitess (MySQL's grammar) parses neither Trino's UNNEST nor subscripts
// (a[1], m['k']). Like INTERSECT / EXCEPT (setops.go), they are rewritten
// at the token level into forms vitess accepts, which the binder
// recognises:
//
//	x[i]                   → __tarn_subscript(x, i)
//	UNNEST(e1, e2) [WITH ORDINALITY] [AS] [u[(c1, ...)]]
//	                       → (SELECT e1 AS __tarn_u0, e2 AS __tarn_u1)
//	                          AS `__tarn_unnest_<o|n>_u` [(c1, ...)]
//
// The derived table never runs: the binder binds e1, e2 over the tables
// to the left of it (a lateral reference) and plans an Unnest node.

const (
	unnestAliasPrefix = "__tarn_unnest_"
	subscriptFn       = "__tarn_subscript"
	fieldFn           = "__tarn_field"
)

// hasNestedSyntax reports whether the tokens use UNNEST( or [.
func hasNestedSyntax(ts []sqlTok) bool {
	for i, t := range ts {
		if t.text == "[" || t.upper == "UNNEST" && i+1 < len(ts) && ts[i+1].text == "(" {
			return true
		}
	}
	return false
}

// rewriteNested returns the rewritten SQL, or ok=false when the query
// uses neither form.
func rewriteNested(sql string) (string, bool) {
	ts := lexSQL(strings.TrimRight(strings.TrimSpace(sql), ";"))
	if !hasNestedSyntax(ts) {
		return "", false
	}
	ts = rewriteSubscripts(ts)
	ts = rewriteUnnests(ts)
	return joinToks(ts), true
}

func isWordTok(t sqlTok) bool {
	if t.text == "" {
		return false
	}
	c := t.text[0]
	return c == '`' || isWordByte(c) && !(c >= '0' && c <= '9') && c != '.'
}

// rewriteSubscripts turns base[index] into __tarn_subscript(base, index);
// base is a (qualified) name, a parenthesised expression or function
// call, or an earlier subscript (a[1][2]).
func rewriteSubscripts(ts []sqlTok) []sqlTok {
	var out []sqlTok
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.text != "[" || len(out) == 0 {
			out = append(out, t)
			continue
		}
		// the base expression ends at the last output token
		k := len(out) - 1
		last := out[k]
		switch {
		case last.text == ")":
			depth := 0
			for ; k >= 0; k-- {
				if out[k].text == ")" {
					depth++
				} else if out[k].text == "(" {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			if k < 0 {
				out = append(out, t)
				continue
			}
			if k > 0 && isWordTok(out[k-1]) && !isKeyword(out[k-1].upper) {
				k-- // a function call
			}
		case isWordTok(last) && !isKeyword(last.upper):
		default:
			out = append(out, t)
			continue
		}
		// the index runs to the matching ]
		j, depth := i+1, 1
		for ; j < len(ts); j++ {
			if ts[j].text == "[" {
				depth++
			} else if ts[j].text == "]" {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if j >= len(ts) {
			out = append(out, t)
			continue
		}
		inner := rewriteSubscripts(ts[i+1 : j])
		text := subscriptFn + "(" + joinToks(out[k:]) + ", " + joinToks(inner) + ")"
		// x[i].f.g: struct fields of the element
		for j+1 < len(ts) && strings.HasPrefix(ts[j+1].text, ".") && len(ts[j+1].text) > 1 {
			for _, f := range strings.Split(ts[j+1].text[1:], ".") {
				text = fieldFn + "(" + text + ", '" + strings.ReplaceAll(f, "'", "''") + "')"
			}
			j++
		}
		out = append(out[:k], sqlTok{text: text, upper: strings.ToUpper(text), depth: out[k].depth})
		i = j
	}
	return out
}

// isKeyword lists the words that cannot end a subscript base or be an
// UNNEST alias.
func isKeyword(u string) bool {
	switch u {
	case "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ON", "JOIN", "CROSS", "LEFT", "RIGHT", "INNER", "OUTER",
		"FULL", "GROUP", "ORDER", "BY", "HAVING", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "WINDOW",
		"AS", "WITH", "USING", "NATURAL", "STRAIGHT_JOIN", "ARRAY", "MAP", "IN", "IS", "CASE", "WHEN", "THEN",
		"ELSE", "END", "LATERAL", "ORDINALITY", "INTO", "FOR", "LOCK":
		return true
	}
	return false
}

// rewriteUnnests rewrites UNNEST(...) table functions.
func rewriteUnnests(ts []sqlTok) []sqlTok {
	var out []sqlTok
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.upper != "UNNEST" || i+1 >= len(ts) || ts[i+1].text != "(" {
			out = append(out, t)
			continue
		}
		// arguments up to the matching )
		j, depth := i+2, 1
		var args [][]sqlTok
		var cur []sqlTok
		for ; j < len(ts); j++ {
			x := ts[j]
			if x.text == "(" {
				depth++
			} else if x.text == ")" {
				depth--
				if depth == 0 {
					break
				}
			}
			if x.text == "," && depth == 1 {
				args = append(args, cur)
				cur = nil
				continue
			}
			cur = append(cur, x)
		}
		if j >= len(ts) {
			out = append(out, t)
			continue
		}
		args = append(args, cur)
		j++
		ord := "n"
		if j+1 < len(ts) && ts[j].upper == "WITH" && ts[j+1].upper == "ORDINALITY" {
			ord = "o"
			j += 2
		}
		if j < len(ts) && ts[j].upper == "AS" {
			j++
		}
		alias := ""
		if j < len(ts) && isWordTok(ts[j]) && !isKeyword(ts[j].upper) {
			alias = strings.Trim(ts[j].text, "`")
			j++
		}
		var colToks []sqlTok
		if alias != "" && j < len(ts) && ts[j].text == "(" {
			k := j + 1
			for k < len(ts) && ts[k].text != ")" {
				k++
			}
			if k < len(ts) {
				colToks = ts[j : k+1]
				j = k + 1
			}
		}
		var b strings.Builder
		b.WriteString("(SELECT ")
		for n, a := range args {
			if n > 0 {
				b.WriteString(", ")
			}
			b.WriteString(joinToks(rewriteUnnests(a)))
			b.WriteString(" AS __tarn_u")
			b.WriteByte(byte('0' + n%10))
		}
		b.WriteString(") AS `" + unnestAliasPrefix + ord + "_" + strings.ReplaceAll(alias, "`", "") + "`")
		if len(colToks) > 0 {
			b.WriteByte(' ')
			b.WriteString(joinToks(colToks))
		}
		text := b.String()
		out = append(out, sqlTok{text: text, upper: strings.ToUpper(text), depth: t.depth})
		i = j - 1
	}
	return out
}

// showSubscripts turns __tarn_subscript(a, i) back into a[i] in SQL text
// shown to users (column names).
func showSubscripts(s string) string {
	for {
		fn := subscriptFn
		i := strings.Index(s, subscriptFn+"(")
		if f := strings.Index(s, fieldFn+"("); f >= 0 && (i < 0 || f < i) {
			i, fn = f, fieldFn
		}
		if i < 0 {
			return s
		}
		start := i + len(fn) + 1
		depth, comma, end := 1, -1, -1
		var quote byte
		for j := start; j < len(s) && end < 0; j++ {
			c := s[j]
			switch {
			case quote != 0:
				if c == '\\' {
					j++
				} else if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"' || c == '`':
				quote = c
			case c == '(':
				depth++
			case c == ')':
				depth--
				if depth == 0 {
					end = j
				}
			case c == ',' && depth == 1 && comma < 0:
				comma = j
			}
		}
		if end < 0 || comma < 0 {
			return s
		}
		base := strings.TrimSpace(s[start:comma])
		idx := strings.TrimSpace(s[comma+1 : end])
		if fn == fieldFn {
			s = s[:i] + base + "." + strings.ReplaceAll(strings.Trim(idx, "'"), "''", "'") + s[end+1:]
		} else {
			s = s[:i] + base + "[" + idx + "]" + s[end+1:]
		}
	}
}
