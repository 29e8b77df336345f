package planner

import (
	"fmt"
	"strings"

	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/planner/plan"
)

// vitess (v0.24) parses UNION but not INTERSECT or EXCEPT. rewriteSetOps
// rewrites a query that uses them into one vitess accepts: every
// INTERSECT / EXCEPT becomes a derived table
//
//	SELECT * FROM ((L) UNION ALL (R)) AS __tarn_setop_<kind>[_all]
//
// which the binder recognises by its alias and binds as the set
// operation. INTERSECT binds tighter than UNION and EXCEPT, which are
// left-associative, as in the SQL standard. A trailing ORDER BY / LIMIT
// after the last operand applies to the whole expression.

const setopAliasPrefix = "__tarn_setop_"

type sqlTok struct {
	text  string // original text
	upper string // upper-cased for keywords
	depth int    // parenthesis depth before the token
}

// lexSQL splits SQL into rough tokens: words, quoted strings, comments
// (dropped), punctuation. It only needs to find keywords and parentheses.
func lexSQL(sql string) []sqlTok {
	var out []sqlTok
	depth := 0
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isCommentStart(sql, i):
			i = skipComment(sql, i)
		case c == '\'' || c == '"' || c == '`':
			j := min(quoteEnd(sql, i)+1, len(sql))
			out = append(out, sqlTok{text: sql[i:j], upper: sql[i:j], depth: depth})
			i = j
		case c == '(':
			out = append(out, sqlTok{text: "(", upper: "(", depth: depth})
			depth++
			i++
		case c == ')':
			depth--
			out = append(out, sqlTok{text: ")", upper: ")", depth: depth})
			i++
		case isWordByte(c):
			j := i
			for j < len(sql) && isWordByte(sql[j]) {
				j++
			}
			out = append(out, sqlTok{text: sql[i:j], upper: strings.ToUpper(sql[i:j]), depth: depth})
			i = j
		case strings.IndexByte("<>=!|&:", c) >= 0:
			// multi-character operators (<>, <=, >=, !=, <=>, ||, &&, :=)
			// stay one token: tokens are re-joined with spaces
			j := i + 1
			for j < len(sql) && strings.IndexByte("<>=!|&:", sql[j]) >= 0 {
				j++
			}
			out = append(out, sqlTok{text: sql[i:j], upper: sql[i:j], depth: depth})
			i = j
		default:
			out = append(out, sqlTok{text: sql[i : i+1], upper: sql[i : i+1], depth: depth})
			i++
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c == '$' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func joinToks(ts []sqlTok) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return b.String()
}

// hasSetOpKeyword reports whether INTERSECT or EXCEPT appears as a word.
func hasSetOpKeyword(ts []sqlTok) bool {
	for _, t := range ts {
		if t.upper == "INTERSECT" || t.upper == "EXCEPT" {
			return true
		}
	}
	return false
}

// rewriteSetOps returns the rewritten SQL, or ok=false when the query
// has no INTERSECT / EXCEPT.
func rewriteSetOps(sql string) (string, bool) {
	ts := lexSQL(strings.TrimRight(strings.TrimSpace(sql), ";"))
	if !hasSetOpKeyword(ts) {
		return "", false
	}
	return rewriteLevel(ts), true
}

// setExpr is a parsed set-operation expression at one nesting level.
type setExpr struct {
	leaf        []sqlTok // a query term (already rewritten inside)
	op          string   // UNION, INTERSECT, EXCEPT
	all         bool
	left, right *setExpr
}

// rewriteLevel rewrites a token run: nested parentheses first, then the
// set operators at depth 0 of this run.
func rewriteLevel(ts []sqlTok) string {
	if len(ts) == 0 {
		return ""
	}
	base := ts[0].depth
	// Rewrite parenthesised groups recursively (they may hold their own
	// set operations, e.g. derived tables and subqueries).
	var flat []sqlTok
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.text == "(" && t.depth == base {
			j := i + 1
			for j < len(ts) && !(ts[j].text == ")" && ts[j].depth == base) {
				j++
			}
			inner := ts[i+1 : min(j, len(ts))]
			text := "(" + rewriteLevel(inner) + ")"
			flat = append(flat, sqlTok{text: text, upper: text, depth: base})
			i = j
			continue
		}
		flat = append(flat, t)
	}
	// Split at the set operators of this level.
	var terms [][]sqlTok
	var ops []string
	var alls []bool
	start := 0
	for i := 0; i < len(flat); i++ {
		u := flat[i].upper
		if u != "UNION" && u != "INTERSECT" && u != "EXCEPT" {
			continue
		}
		terms = append(terms, flat[start:i])
		all := false
		if i+1 < len(flat) && (flat[i+1].upper == "ALL" || flat[i+1].upper == "DISTINCT") {
			all = flat[i+1].upper == "ALL"
			i++
		}
		ops = append(ops, u)
		alls = append(alls, all)
		start = i + 1
	}
	terms = append(terms, flat[start:])
	if len(ops) == 0 {
		return joinToks(flat)
	}
	hasNew := false
	for _, o := range ops {
		if o != "UNION" {
			hasNew = true
		}
	}
	if !hasNew {
		return joinToks(flat)
	}
	// A trailing ORDER BY / LIMIT in the last term belongs to the whole.
	last := terms[len(terms)-1]
	var tail []sqlTok
	for i, t := range last {
		if (t.upper == "ORDER" && i+1 < len(last) && last[i+1].upper == "BY") || t.upper == "LIMIT" {
			tail = last[i:]
			terms[len(terms)-1] = last[:i]
			break
		}
	}
	// Precedence: INTERSECT first, then UNION / EXCEPT left to right.
	exprs := make([]*setExpr, len(terms))
	for i, t := range terms {
		exprs[i] = &setExpr{leaf: t}
	}
	var lvl []*setExpr
	var lops []string
	var lalls []bool
	cur := exprs[0]
	for i, o := range ops {
		if o == "INTERSECT" {
			cur = &setExpr{op: o, all: alls[i], left: cur, right: exprs[i+1]}
			continue
		}
		lvl = append(lvl, cur)
		lops = append(lops, o)
		lalls = append(lalls, alls[i])
		cur = exprs[i+1]
	}
	lvl = append(lvl, cur)
	root := lvl[0]
	for i, o := range lops {
		root = &setExpr{op: o, all: lalls[i], left: root, right: lvl[i+1]}
	}
	out := root.sql()
	if len(tail) > 0 {
		out = "SELECT * FROM (" + out + ") AS " + setopAliasPrefix + "order " + joinToks(tail)
	}
	return out
}

func (e *setExpr) sql() string {
	if e.op == "" {
		return joinToks(e.leaf)
	}
	l, r := e.left.sql(), e.right.sql()
	if e.op == "UNION" {
		kw := "UNION"
		if e.all {
			kw += " ALL"
		}
		return fmt.Sprintf("SELECT * FROM ((%s) %s (%s)) AS %sunion", l, kw, r, setopAliasPrefix)
	}
	kind := strings.ToLower(e.op)
	if e.all {
		kind += "_all"
	}
	return fmt.Sprintf("SELECT * FROM ((%s) UNION ALL (%s)) AS %s%s", l, r, setopAliasPrefix, kind)
}

// setopFromAlias decodes a rewrite alias into the set operation it
// stands for (ok=false for plain derived tables and the wrappers).
func setopFromAlias(alias string) (kind plan.SetOpKind, all, ok bool) {
	s, found := strings.CutPrefix(strings.ToLower(alias), setopAliasPrefix)
	if !found {
		return 0, false, false
	}
	s, all = strings.CutSuffix(s, "_all")
	switch s {
	case "intersect":
		return plan.Intersect, all, true
	case "except":
		return plan.Except, all, true
	}
	return 0, false, false
}

// unionSides returns the two operands of a rewritten set operation.
func unionSides(ts sqlparser.TableStatement) (l, r sqlparser.TableStatement, ok bool) {
	u, isU := ts.(*sqlparser.Union)
	if !isU || u.Distinct || len(u.OrderBy) > 0 || u.Limit != nil {
		return nil, nil, false
	}
	return u.Left, u.Right, true
}

// vitess (MySQL's grammar) has no FULL [OUTER] JOIN either. The rewrite
// turns it into STRAIGHT_JOIN, which the binder then reads as a full
// outer join — only for statements whose original text uses FULL JOIN
// and never STRAIGHT_JOIN itself, so a real STRAIGHT_JOIN keeps its
// meaning.

// hasFullJoin reports whether the text uses FULL [OUTER] JOIN and not
// STRAIGHT_JOIN.
func hasFullJoin(ts []sqlTok) bool {
	full := false
	for i, t := range ts {
		if t.upper == "STRAIGHT_JOIN" {
			return false
		}
		if t.upper == "FULL" && i+1 < len(ts) && (ts[i+1].upper == "JOIN" ||
			ts[i+1].upper == "OUTER" && i+2 < len(ts) && ts[i+2].upper == "JOIN") {
			full = true
		}
	}
	return full
}

// rewriteFullJoins replaces FULL [OUTER] JOIN by STRAIGHT_JOIN.
func rewriteFullJoins(sql string) (string, bool) {
	ts := lexSQL(strings.TrimRight(strings.TrimSpace(sql), ";"))
	if !hasFullJoin(ts) {
		return "", false
	}
	out := make([]sqlTok, 0, len(ts))
	for i := 0; i < len(ts); i++ {
		t := ts[i]
		if t.upper == "FULL" && i+1 < len(ts) && ts[i+1].upper == "JOIN" {
			out = append(out, sqlTok{text: "STRAIGHT_JOIN", upper: "STRAIGHT_JOIN", depth: t.depth})
			i++
			continue
		}
		if t.upper == "FULL" && i+2 < len(ts) && ts[i+1].upper == "OUTER" && ts[i+2].upper == "JOIN" {
			out = append(out, sqlTok{text: "STRAIGHT_JOIN", upper: "STRAIGHT_JOIN", depth: t.depth})
			i += 2
			continue
		}
		out = append(out, t)
	}
	return joinToks(out), true
}

// isCommentStart reports whether a comment (-- … , # … , /* … */) starts
// at sql[i].
func isCommentStart(sql string, i int) bool {
	switch sql[i] {
	case '#':
		return true
	case '-':
		return i+1 < len(sql) && sql[i+1] == '-'
	case '/':
		return i+1 < len(sql) && sql[i+1] == '*'
	}
	return false
}

// skipComment returns the offset just past the comment starting at i.
func skipComment(sql string, i int) int {
	if sql[i] == '/' {
		j := strings.Index(sql[i+2:], "*/")
		if j < 0 {
			return len(sql)
		}
		return i + j + 4
	}
	for i < len(sql) && sql[i] != '\n' {
		i++
	}
	return i
}

// quoteEnd returns the offset of the quote that closes the quoted token
// starting at sql[i] (', " or `; doubled quotes and, outside backticks,
// backslash escapes stay inside), or len(sql) when it is unterminated.
func quoteEnd(sql string, i int) int {
	c := sql[i]
	j := i + 1
	for j < len(sql) {
		if sql[j] == '\\' && c != '`' {
			j += 2
			continue
		}
		if sql[j] == c {
			if j+1 < len(sql) && sql[j+1] == c {
				j += 2
				continue
			}
			return j
		}
		j++
	}
	return len(sql)
}
