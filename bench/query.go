package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
)

// Query is one TPC-H query text.
type Query struct {
	Num  int
	Name string // q01 ...
	SQL  string // without comments' trailing semicolon
}

// LoadQueries reads dir/qNN.sql for the given query numbers.
func LoadQueries(dir string, nums []int) ([]Query, error) {
	var qs []Query
	for _, n := range nums {
		name := fmt.Sprintf("q%02d", n)
		b, err := os.ReadFile(filepath.Join(dir, name+".sql"))
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", name, err)
		}
		qs = append(qs, Query{Num: n, Name: name, SQL: CleanSQL(string(b))})
	}
	return qs, nil
}

// CleanSQL removes -- comments and the trailing semicolon.
func CleanSQL(s string) string {
	var b strings.Builder
	inStr := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\'' {
			inStr = !inStr
		}
		if !inStr && c == '-' && i+1 < len(s) && s[i+1] == '-' {
			for i < len(s) && s[i] != '\n' {
				i++
			}
			b.WriteByte('\n')
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimRight(strings.TrimSpace(b.String()), ";")
}

// ParseRange parses "1-22", "1,3,6" or "2-5,9".
func ParseRange(s string) ([]int, error) {
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(lo)
		if err != nil {
			return nil, fmt.Errorf("query list %q: %w", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(hi); err != nil {
				return nil, fmt.Errorf("query list %q: %w", s, err)
			}
		}
		if a < 1 || b > 22 || a > b {
			return nil, fmt.Errorf("query list %q: queries are 1..22", s)
		}
		for n := a; n <= b; n++ {
			out = append(out, n)
		}
	}
	return out, nil
}

// token is a top-level word of a query (outside parentheses and strings).
type token struct {
	text  string
	start int
	depth int
}

func tokenize(sql string) []token {
	var toks []token
	depth := 0
	for i := 0; i < len(sql); {
		c := rune(sql[i])
		switch {
		case c == '\'':
			j := i + 1
			for j < len(sql) {
				if sql[j] == '\'' {
					if j+1 < len(sql) && sql[j+1] == '\'' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			toks = append(toks, token{sql[i:min(j+1, len(sql))], i, depth})
			i = j + 1
		case c == '(':
			toks = append(toks, token{"(", i, depth})
			depth++
			i++
		case c == ')':
			depth--
			toks = append(toks, token{")", i, depth})
			i++
		case unicode.IsSpace(c):
			i++
		case c == '_' || c == '.' || c == '`' || c == '"' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(sql) && (sql[j] == '_' || sql[j] == '.' || sql[j] == '`' || sql[j] == '"' || unicode.IsLetter(rune(sql[j])) || unicode.IsDigit(rune(sql[j]))) {
				j++
			}
			toks = append(toks, token{sql[i:j], i, depth})
			i = j
		default:
			toks = append(toks, token{string(c), i, depth})
			i++
		}
	}
	return toks
}

// ParseOrdering finds the outermost ORDER BY of a query and resolves its
// keys to output columns (by name, alias or ordinal). Keys it cannot
// resolve (expressions not in the output) end the key list.
func ParseOrdering(sql string, cols []string) Ordering {
	toks := tokenize(sql)
	var ord Ordering
	start := -1
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].depth == 0 && strings.EqualFold(toks[i].text, "order") && strings.EqualFold(toks[i+1].text, "by") {
			start = i + 2
		}
	}
	for i, t := range toks {
		if t.depth == 0 && strings.EqualFold(t.text, "limit") && i+1 < len(toks) {
			ord.Limit, _ = strconv.Atoi(toks[i+1].text)
		}
	}
	if start < 0 {
		return ord
	}
	var items [][]token
	var cur []token
	for _, t := range toks[start:] {
		if t.depth == 0 && (strings.EqualFold(t.text, "limit") || t.text == ";") {
			break
		}
		if t.depth == 0 && t.text == "," {
			items = append(items, cur)
			cur = nil
			continue
		}
		cur = append(cur, t)
	}
	if len(cur) > 0 {
		items = append(items, cur)
	}
	for _, it := range items {
		for len(it) > 1 {
			last := strings.ToLower(it[len(it)-1].text)
			if last == "asc" || last == "desc" || last == "first" || last == "last" || last == "nulls" {
				it = it[:len(it)-1]
				continue
			}
			break
		}
		if len(it) != 1 {
			break
		}
		name := strings.Trim(it[0].text, "`\"")
		if n, err := strconv.Atoi(name); err == nil {
			if n < 1 || n > len(cols) {
				break
			}
			ord.Keys = append(ord.Keys, n-1)
			continue
		}
		if dot := strings.LastIndexByte(name, '.'); dot >= 0 {
			name = name[dot+1:]
		}
		idx := -1
		for i, c := range cols {
			if strings.EqualFold(c, name) {
				idx = i
				break
			}
		}
		if idx < 0 {
			break
		}
		ord.Keys = append(ord.Keys, idx)
	}
	return ord
}
