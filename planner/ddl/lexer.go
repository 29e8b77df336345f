// Package ddl parses the catalog statements tarn speaks in Hive / Athena
// style, which the MySQL parser (vitess) does not handle: CREATE/DROP
// DATABASE, CREATE EXTERNAL TABLE, CREATE VIEW, DROP TABLE/VIEW,
// SHOW DATABASES/TABLES/CREATE TABLE, DESCRIBE, USE and EXPLAIN [ANALYZE].
//
// It is a hand-written tokenizer plus a recursive-descent parser. Every
// syntax error is an *Error carrying the 1-based line and column of the
// offending token.
package ddl

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind int

const (
	tokEOF    tokKind = iota
	tokIdent          // bare identifier or keyword
	tokQIdent         // `quoted` identifier
	tokString         // 'string' or "string"
	tokNumber         // 123, 1.5
	tokPunct          // ( ) , . = ; < > : * [ ]
)

type token struct {
	kind tokKind
	text string // identifier/string value (unescaped), punctuation char, number text
	raw  string // source text of the token
	pos  int    // byte offset
	line int
	col  int
}

// Error is a DDL syntax or semantic error with a 1-based position.
type Error struct {
	Line, Col int
	Near      string // source text at the error ("" at end of input)
	Msg       string // what was expected / what is wrong
}

func (e *Error) Error() string {
	near := "near '" + e.Near + "'"
	if e.Near == "" {
		near = "at end of input"
	}
	s := fmt.Sprintf("syntax error at line %d, column %d %s", e.Line, e.Col, near)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// Code is the MySQL error code (ER_PARSE_ERROR).
func (e *Error) Code() int { return 1064 }

// SQLState is the SQLSTATE of a syntax error.
func (e *Error) SQLState() string { return "42000" }

type lexer struct {
	src  string
	pos  int
	line int
	col  int
}

func (l *lexer) errAt(pos, line, col int, msg string) *Error {
	near := l.src[pos:]
	if len(near) > 20 {
		near = near[:20]
	}
	if i := strings.IndexByte(near, '\n'); i >= 0 {
		near = near[:i]
	}
	return &Error{Line: line, Col: col, Near: near, Msg: msg}
}

func (l *lexer) advance(n int) {
	for i := 0; i < n && l.pos < len(l.src); i++ {
		if l.src[l.pos] == '\n' {
			l.line++
			l.col = 1
		} else if l.src[l.pos]&0xC0 != 0x80 {
			l.col++
		}
		l.pos++
	}
}

func isIdentStart(r rune) bool { return r == '_' || r == '$' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool  { return isIdentStart(r) || unicode.IsDigit(r) }

// tokenize splits the whole statement into tokens.
func tokenize(src string) ([]token, error) {
	l := &lexer{src: src, line: 1, col: 1}
	var toks []token
	for {
		// Skip space and comments.
		for l.pos < len(l.src) {
			c := l.src[l.pos]
			if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' {
				l.advance(1)
			} else if strings.HasPrefix(l.src[l.pos:], "--") || c == '#' {
				for l.pos < len(l.src) && l.src[l.pos] != '\n' {
					l.advance(1)
				}
			} else if strings.HasPrefix(l.src[l.pos:], "/*") {
				sl, sc, sp := l.line, l.col, l.pos
				end := strings.Index(l.src[l.pos+2:], "*/")
				if end < 0 {
					return nil, l.errAt(sp, sl, sc, "unterminated comment")
				}
				l.advance(end + 4)
			} else {
				break
			}
		}
		start, line, col := l.pos, l.line, l.col
		if l.pos >= len(l.src) {
			toks = append(toks, token{kind: tokEOF, pos: start, line: line, col: col})
			return toks, nil
		}
		c := l.src[l.pos]
		r, size := utf8.DecodeRuneInString(l.src[l.pos:])
		switch {
		case c == '\'' || c == '"':
			s, n, ok := unquote(l.src[l.pos:], c)
			if !ok {
				return nil, l.errAt(start, line, col, "unterminated string")
			}
			l.advance(n)
			toks = append(toks, token{kind: tokString, text: s, raw: l.src[start:l.pos], pos: start, line: line, col: col})
		case c == '`':
			var b strings.Builder
			i := 1
			closed := false
			for i < len(l.src)-l.pos {
				ch := l.src[l.pos+i]
				if ch == '`' {
					if l.pos+i+1 < len(l.src) && l.src[l.pos+i+1] == '`' {
						b.WriteByte('`')
						i += 2
						continue
					}
					closed = true
					i++
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, l.errAt(start, line, col, "unterminated quoted identifier")
			}
			l.advance(i)
			toks = append(toks, token{kind: tokQIdent, text: b.String(), raw: l.src[start:l.pos], pos: start, line: line, col: col})
		case c >= '0' && c <= '9':
			i := 0
			for l.pos+i < len(l.src) {
				ch := l.src[l.pos+i]
				if (ch >= '0' && ch <= '9') || ch == '.' {
					i++
					continue
				}
				break
			}
			// 1abc is an identifier in MySQL/Hive (e.g. a table named 1st_quarter).
			if l.pos+i < len(l.src) {
				if r2, _ := utf8.DecodeRuneInString(l.src[l.pos+i:]); isIdentStart(r2) && !strings.Contains(l.src[l.pos:l.pos+i], ".") {
					goto ident
				}
			}
			l.advance(i)
			toks = append(toks, token{kind: tokNumber, text: l.src[start:l.pos], raw: l.src[start:l.pos], pos: start, line: line, col: col})
		case isIdentStart(r):
			goto ident
		case strings.ContainsRune("(),.=;<>:*[]", rune(c)):
			l.advance(1)
			toks = append(toks, token{kind: tokPunct, text: string(c), raw: string(c), pos: start, line: line, col: col})
		default:
			// Any other character is a one-character token: the parser
			// rejects it where a catalog statement cannot have it, and
			// EXPLAIN / CREATE VIEW hand their query text on untouched.
			n := utf8.RuneLen(r)
			if n < 1 {
				n = 1
			}
			l.advance(n)
			toks = append(toks, token{kind: tokPunct, text: l.src[start:l.pos], raw: l.src[start:l.pos], pos: start, line: line, col: col})
		}
		_ = size
		continue
	ident:
		{
			i := 0
			for l.pos+i < len(l.src) {
				r2, n := utf8.DecodeRuneInString(l.src[l.pos+i:])
				if !isIdentPart(r2) {
					break
				}
				i += n
			}
			l.advance(i)
			toks = append(toks, token{kind: tokIdent, text: l.src[start:l.pos], raw: l.src[start:l.pos], pos: start, line: line, col: col})
		}
	}
}

// unquote reads a quoted string starting at s[0] == q. It accepts a
// doubled quote and Hive's backslash escapes (\t \n \r \0 \\ \' \" \NNN
// octal, \uXXXX). It returns the value and the bytes consumed.
func unquote(s string, q byte) (string, int, bool) {
	var b strings.Builder
	i := 1
	for i < len(s) {
		c := s[i]
		switch {
		case c == q:
			if i+1 < len(s) && s[i+1] == q {
				b.WriteByte(q)
				i += 2
				continue
			}
			return b.String(), i + 1, true
		case c == '\\' && i+1 < len(s):
			e := s[i+1]
			switch {
			case e == 't':
				b.WriteByte('\t')
			case e == 'n':
				b.WriteByte('\n')
			case e == 'r':
				b.WriteByte('\r')
			case e == 'b':
				b.WriteByte('\b')
			case e == 'Z':
				b.WriteByte(26)
			case e >= '0' && e <= '7':
				j := i + 1
				for j < len(s) && j < i+4 && s[j] >= '0' && s[j] <= '7' {
					j++
				}
				v, _ := strconv.ParseUint(s[i+1:j], 8, 8)
				b.WriteByte(byte(v))
				i = j
				continue
			case e == 'u' && i+6 <= len(s):
				if v, err := strconv.ParseUint(s[i+2:i+6], 16, 32); err == nil {
					b.WriteRune(rune(v))
					i += 6
					continue
				}
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", i, false
}
