package ddl

import (
	"fmt"
	"strings"

	"github.com/tarnsql/tarn/catalog/types"
)

// Formats lists the STORED AS formats the parser accepts, in their
// canonical lower-case spelling. Whether the engine can read a format
// is the engine's decision (it rejects the ones it cannot, by name).
var Formats = []string{"parquet", "textfile", "csv", "tsv", "jsonfile", "json", "orc", "avro", "rcfile", "sequencefile", "ion"}

var leadKeywords = map[string]bool{
	"CREATE": true, "DROP": true, "SHOW": true, "DESCRIBE": true, "DESC": true, "USE": true, "EXPLAIN": true,
}

// IsCatalogStatement reports whether sql starts with a keyword this
// package parses (CREATE, DROP, SHOW, DESCRIBE/DESC, USE, EXPLAIN);
// everything else goes to the query planner.
func IsCatalogStatement(sql string) bool {
	toks, err := tokenize(firstWords(sql))
	if err != nil || len(toks) == 0 || toks[0].kind != tokIdent {
		return false
	}
	return leadKeywords[strings.ToUpper(toks[0].text)]
}

// firstWords returns a prefix of sql long enough to hold its first
// keyword after comments (so classification does not lex the whole
// statement).
func firstWords(sql string) string {
	s := sql
	for {
		t := strings.TrimLeft(s, " \t\r\n\f")
		switch {
		case strings.HasPrefix(t, "--") || strings.HasPrefix(t, "#"):
			i := strings.IndexByte(t, '\n')
			if i < 0 {
				return ""
			}
			s = t[i+1:]
			continue
		case strings.HasPrefix(t, "/*"):
			i := strings.Index(t, "*/")
			if i < 0 {
				return t
			}
			s = t[i+2:]
			continue
		}
		end := 0
		for end < len(t) && (isIdentPart(rune(t[end])) || t[end] >= 0x80) {
			end++
		}
		return t[:end]
	}
}

// Parse parses one catalog statement (a trailing ';' is allowed).
func Parse(sql string) (Statement, error) {
	toks, err := tokenize(sql)
	if err != nil {
		return nil, err
	}
	p := &parser{src: sql, toks: toks}
	st, err := p.statement()
	if err != nil {
		return nil, err
	}
	if _, isExplain := st.(*Explain); !isExplain {
		if _, isView := st.(*CreateView); !isView {
			p.accept(";")
			if p.peek().kind != tokEOF {
				return nil, p.errf("unexpected text after the end of the statement")
			}
		}
	}
	return st, nil
}

type parser struct {
	src  string
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekN(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errAtTok(t token, msg string) *Error {
	near := ""
	if t.kind != tokEOF {
		near = p.src[t.pos:]
		if len(near) > 20 {
			near = near[:20]
		}
		if j := strings.IndexAny(near, "\r\n"); j >= 0 {
			near = near[:j]
		}
		// Stop at the end of the token when the token is a word.
		if t.kind == tokIdent || t.kind == tokNumber {
			near = t.raw
		}
	}
	return &Error{Line: t.line, Col: t.col, Near: near, Msg: msg}
}

func (p *parser) errf(format string, args ...any) *Error {
	return p.errAtTok(p.peek(), fmt.Sprintf(format, args...))
}

// isKw reports whether token t is the bare keyword kw.
func isKw(t token, kw string) bool { return t.kind == tokIdent && strings.EqualFold(t.text, kw) }

func (p *parser) isKw(kw string) bool { return isKw(p.peek(), kw) }

// acceptKw consumes keyword kw if it is next.
func (p *parser) acceptKw(kw string) bool {
	if p.isKw(kw) {
		p.i++
		return true
	}
	return false
}

func (p *parser) expectKw(kws ...string) error {
	for _, kw := range kws {
		if !p.acceptKw(kw) {
			return p.errf("expected %s", strings.Join(kws, " "))
		}
	}
	return nil
}

func (p *parser) accept(punct string) bool {
	t := p.peek()
	if t.kind == tokPunct && t.text == punct {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(punct string) error {
	if !p.accept(punct) {
		return p.errf("expected '%s'", punct)
	}
	return nil
}

func (p *parser) ident(what string) (string, error) {
	t := p.peek()
	if t.kind == tokIdent || t.kind == tokQIdent {
		p.i++
		return t.text, nil
	}
	return "", p.errf("expected %s", what)
}

func (p *parser) name(what string) (Name, error) {
	a, err := p.ident(what)
	if err != nil {
		return Name{}, err
	}
	if p.accept(".") {
		b, err := p.ident(what)
		if err != nil {
			return Name{}, err
		}
		return Name{Database: a, Name: b}, nil
	}
	return Name{Name: a}, nil
}

func (p *parser) str(what string) (string, error) {
	t := p.peek()
	if t.kind != tokString {
		return "", p.errf("expected %s as a quoted string", what)
	}
	p.i++
	return t.text, nil
}

func (p *parser) ifNotExists() (bool, error) {
	if p.acceptKw("IF") {
		if err := p.expectKw("NOT", "EXISTS"); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

func (p *parser) ifExists() (bool, error) {
	if p.acceptKw("IF") {
		if err := p.expectKw("EXISTS"); err != nil {
			return false, err
		}
		return true, nil
	}
	return false, nil
}

func (p *parser) statement() (Statement, error) {
	if st, ok, err := p.authStatement(); ok {
		return st, err
	}
	if st, ok, err := p.crawlStatement(); ok {
		return st, err
	}
	if st, ok, err := p.wlmStatement(); ok {
		return st, err
	}
	if st, ok, err := p.connStatement(); ok {
		return st, err
	}
	t := p.peek()
	switch {
	case p.acceptKw("CREATE"):
		return p.create()
	case p.acceptKw("DROP"):
		return p.drop()
	case p.acceptKw("SHOW"):
		return p.show()
	case p.acceptKw("DESCRIBE"), p.acceptKw("DESC"):
		return p.describe()
	case p.acceptKw("USE"):
		db, err := p.ident("database name")
		if err != nil {
			return nil, err
		}
		return &Use{Database: db}, nil
	case p.acceptKw("EXPLAIN"):
		ex := &Explain{}
		if p.acceptKw("ANALYZE") {
			ex.Analyze = true
		}
		q := p.peek()
		if q.kind == tokEOF {
			return nil, p.errf("expected a query after EXPLAIN")
		}
		ex.QueryOffset, ex.QueryLine, ex.QueryCol = q.pos, q.line, q.col
		ex.Query = strings.TrimRight(strings.TrimSpace(p.src[q.pos:]), ";")
		return ex, nil
	}
	if st, ok, err := p.extStatement(); ok {
		return st, err
	}
	return nil, p.errAtTok(t, "expected CREATE, DROP, ALTER, SHOW, DESCRIBE, USE, MSCK, ANALYZE or EXPLAIN")
}

func (p *parser) create() (Statement, error) {
	switch {
	case p.acceptKw("DATABASE"), p.acceptKw("SCHEMA"):
		return p.createDatabase()
	case p.acceptKw("EXTERNAL"):
		if err := p.expectKw("TABLE"); err != nil {
			return nil, err
		}
		return p.createTable(true)
	case p.acceptKw("TABLE"):
		return p.createTable(false)
	case p.isKw("OR") || p.isKw("VIEW"):
		return p.createView()
	}
	return nil, p.errf("expected DATABASE, SCHEMA, EXTERNAL TABLE, TABLE or VIEW after CREATE")
}

func (p *parser) createDatabase() (Statement, error) {
	st := &CreateDatabase{}
	var err error
	if st.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.Name, err = p.ident("database name"); err != nil {
		return nil, err
	}
	for {
		switch {
		case p.acceptKw("COMMENT"):
			if st.Comment, err = p.str("comment"); err != nil {
				return nil, err
			}
		case p.acceptKw("LOCATION"):
			if st.Location, err = p.str("location"); err != nil {
				return nil, err
			}
		case p.acceptKw("WITH"):
			if err := p.expectKw("DBPROPERTIES"); err != nil {
				return nil, err
			}
			if st.Props, err = p.props(); err != nil {
				return nil, err
			}
		default:
			return st, nil
		}
	}
}

func (p *parser) createTable(external bool) (Statement, error) {
	st := &CreateTable{External: external}
	var err error
	if st.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.Table, err = p.name("table name"); err != nil {
		return nil, err
	}
	if p.isKw("AS") || p.isKw("WITH") {
		return nil, p.errf("CREATE TABLE AS SELECT is not supported yet; use CREATE EXTERNAL TABLE ... STORED AS ... LOCATION")
	}
	if st.Columns, err = p.columns(); err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case p.acceptKw("COMMENT"):
			if st.Comment, err = p.str("comment"); err != nil {
				return nil, err
			}
		case p.acceptKw("PARTITIONED"):
			if err := p.expectKw("BY"); err != nil {
				return nil, err
			}
			if st.Partitions, err = p.columns(); err != nil {
				return nil, err
			}
		case p.acceptKw("CLUSTERED"), p.acceptKw("SORTED"), p.acceptKw("SKEWED"):
			return nil, p.errAtTok(t, strings.ToUpper(t.text)+" BY is not supported")
		case p.acceptKw("ROW"):
			if err := p.expectKw("FORMAT"); err != nil {
				return nil, err
			}
			if st.RowFormat, err = p.rowFormat(); err != nil {
				return nil, err
			}
		case p.acceptKw("STORED"):
			if err := p.expectKw("AS"); err != nil {
				return nil, err
			}
			if p.acceptKw("INPUTFORMAT") {
				if st.InputFormat, err = p.str("input format class"); err != nil {
					return nil, err
				}
				if err := p.expectKw("OUTPUTFORMAT"); err != nil {
					return nil, err
				}
				if st.OutputFormat, err = p.str("output format class"); err != nil {
					return nil, err
				}
				continue
			}
			ft := p.peek()
			f, err := p.ident("a storage format (PARQUET, TEXTFILE, CSV, JSONFILE, ORC, AVRO)")
			if err != nil {
				return nil, err
			}
			lf := strings.ToLower(f)
			known := false
			for _, k := range Formats {
				known = known || k == lf
			}
			if !known {
				return nil, p.errAtTok(ft, fmt.Sprintf("unknown storage format %s (expected one of %s)", f, strings.ToUpper(strings.Join(Formats, ", "))))
			}
			st.StoredAs = lf
		case p.acceptKw("LOCATION"):
			if st.Location, err = p.str("location"); err != nil {
				return nil, err
			}
		case p.acceptKw("TBLPROPERTIES"):
			if st.Props, err = p.props(); err != nil {
				return nil, err
			}
		default:
			if t.kind != tokEOF && !(t.kind == tokPunct && t.text == ";") {
				return nil, p.errf("expected COMMENT, PARTITIONED BY, ROW FORMAT, STORED AS, LOCATION or TBLPROPERTIES")
			}
			if st.StoredAs == "" && st.InputFormat == "" && st.RowFormat == nil {
				return nil, p.errf("expected STORED AS <format>")
			}
			if st.Location == "" {
				return nil, p.errf("expected LOCATION '<path>'")
			}
			return st, nil
		}
	}
}

func (p *parser) rowFormat() (*RowFormat, error) {
	rf := &RowFormat{}
	var err error
	if p.acceptKw("SERDE") {
		if rf.SerDe, err = p.str("SerDe class"); err != nil {
			return nil, err
		}
		if p.acceptKw("WITH") {
			if err := p.expectKw("SERDEPROPERTIES"); err != nil {
				return nil, err
			}
			if rf.SerDeProps, err = p.props(); err != nil {
				return nil, err
			}
		}
		return rf, nil
	}
	if !p.acceptKw("DELIMITED") {
		return nil, p.errf("expected DELIMITED or SERDE after ROW FORMAT")
	}
	for {
		switch {
		case p.acceptKw("FIELDS"):
			if err := p.expectKw("TERMINATED", "BY"); err != nil {
				return nil, err
			}
			if rf.FieldsTerminatedBy, err = p.str("field delimiter"); err != nil {
				return nil, err
			}
			if p.acceptKw("ESCAPED") {
				if err := p.expectKw("BY"); err != nil {
					return nil, err
				}
				if rf.EscapedBy, err = p.str("escape character"); err != nil {
					return nil, err
				}
			}
		case p.acceptKw("COLLECTION"):
			if err := p.expectKw("ITEMS", "TERMINATED", "BY"); err != nil {
				return nil, err
			}
			if rf.CollectionItemsBy, err = p.str("collection delimiter"); err != nil {
				return nil, err
			}
		case p.acceptKw("MAP"):
			if err := p.expectKw("KEYS", "TERMINATED", "BY"); err != nil {
				return nil, err
			}
			if rf.MapKeysBy, err = p.str("map key delimiter"); err != nil {
				return nil, err
			}
		case p.acceptKw("LINES"):
			if err := p.expectKw("TERMINATED", "BY"); err != nil {
				return nil, err
			}
			if rf.LinesTerminatedBy, err = p.str("line delimiter"); err != nil {
				return nil, err
			}
		case p.acceptKw("NULL"):
			if err := p.expectKw("DEFINED", "AS"); err != nil {
				return nil, err
			}
			if rf.NullDefinedAs, err = p.str("null marker"); err != nil {
				return nil, err
			}
			rf.HasNullDefinedAs = true
		default:
			return rf, nil
		}
	}
}

// props parses ('k'='v', ...).
func (p *parser) props() (map[string]string, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	m := map[string]string{}
	if p.accept(")") {
		return m, nil
	}
	for {
		k, err := p.str("property name")
		if err != nil {
			return nil, err
		}
		if err := p.expect("="); err != nil {
			return nil, err
		}
		v, err := p.str("property value")
		if err != nil {
			return nil, err
		}
		m[k] = v
		if p.accept(")") {
			return m, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// columns parses (name type [COMMENT '..'], ...).
func (p *parser) columns() ([]Column, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var cols []Column
	seen := map[string]bool{}
	for {
		nt := p.peek()
		name, err := p.ident("column name")
		if err != nil {
			return nil, err
		}
		if seen[strings.ToLower(name)] {
			return nil, p.errAtTok(nt, fmt.Sprintf("duplicate column name %s", name))
		}
		seen[strings.ToLower(name)] = true
		typ, complex, err := p.columnType()
		if err != nil {
			return nil, err
		}
		c := Column{Name: name, Type: typ, Complex: complex, Line: nt.line, Col: nt.col}
		// MySQL-style column attributes that carry no meaning for files.
		for {
			if p.acceptKw("NOT") {
				if err := p.expectKw("NULL"); err != nil {
					return nil, err
				}
			} else if p.acceptKw("NULL") {
			} else {
				break
			}
		}
		if p.acceptKw("COMMENT") {
			if c.Comment, err = p.str("column comment"); err != nil {
				return nil, err
			}
		}
		cols = append(cols, c)
		if p.accept(")") {
			return cols, nil
		}
		if err := p.expect(","); err != nil {
			return nil, err
		}
	}
}

// multiWordTypes are types spelled with two words.
var multiWordTypes = map[string]string{
	"DOUBLE":    "PRECISION",
	"CHARACTER": "VARYING",
}

// columnType parses a type: a scalar (with optional (p[,s]) and
// UNSIGNED) or a Hive complex type with <...>.
func (p *parser) columnType() (string, bool, error) {
	start := p.peek()
	base, err := p.ident("column type")
	if err != nil {
		return "", false, err
	}
	ub := strings.ToUpper(base)
	switch ub {
	case "ARRAY", "MAP", "STRUCT", "UNIONTYPE":
		var b strings.Builder
		b.WriteString(ub)
		if err := p.complexArgs(&b); err != nil {
			return "", false, err
		}
		return b.String(), true, nil
	}
	text := base
	if second, ok := multiWordTypes[ub]; ok && p.isKw(second) {
		p.next()
		text += " " + second
	}
	if p.accept("(") {
		text += "("
		for {
			t := p.next()
			if t.kind != tokNumber {
				return "", false, p.errAtTok(t, "expected a number in the type arguments")
			}
			text += t.text
			if p.accept(")") {
				text += ")"
				break
			}
			if err := p.expect(","); err != nil {
				return "", false, err
			}
			text += ","
		}
	}
	if p.acceptKw("UNSIGNED") {
		text += " unsigned"
	}
	dt, err := types.Parse(text)
	if err != nil {
		return "", false, p.errAtTok(start, err.Error())
	}
	return types.SQLName(dt), false, nil
}

// complexArgs parses <...> of a complex type into b, normalizing scalar
// element types and keeping field names.
func (p *parser) complexArgs(b *strings.Builder) error {
	if err := p.expect("<"); err != nil {
		return err
	}
	b.WriteByte('<')
	depth := 1
	for depth > 0 {
		t := p.next()
		switch {
		case t.kind == tokEOF:
			return p.errAtTok(t, "unterminated complex type: expected '>'")
		case t.kind == tokPunct && t.text == "<":
			depth++
		case t.kind == tokPunct && t.text == ">":
			depth--
		case t.kind == tokPunct && (t.text == "," || t.text == ":" || t.text == "(" || t.text == ")"):
		case t.kind == tokIdent || t.kind == tokQIdent || t.kind == tokNumber:
			// A field name is followed by ':'; keep its case.
			if nt := p.peek(); nt.kind == tokPunct && nt.text == ":" {
				b.WriteString(t.text)
				continue
			}
			b.WriteString(strings.ToUpper(t.text))
			continue
		default:
			return p.errAtTok(t, "unexpected token in complex type")
		}
		b.WriteString(t.text)
	}
	return nil
}

func (p *parser) createView() (Statement, error) {
	st := &CreateView{}
	if p.acceptKw("OR") {
		if err := p.expectKw("REPLACE"); err != nil {
			return nil, err
		}
		st.OrReplace = true
	}
	if err := p.expectKw("VIEW"); err != nil {
		return nil, err
	}
	var err error
	if st.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.View, err = p.name("view name"); err != nil {
		return nil, err
	}
	if p.accept("(") {
		for {
			c, err := p.ident("view column name")
			if err != nil {
				return nil, err
			}
			st.Columns = append(st.Columns, c)
			if p.accept(")") {
				break
			}
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
	}
	if err := p.expectKw("AS"); err != nil {
		return nil, err
	}
	q := p.peek()
	if q.kind == tokEOF {
		return nil, p.errf("expected a query after AS")
	}
	st.QueryOffset = q.pos
	st.Query = strings.TrimRight(strings.TrimSpace(p.src[q.pos:]), "; \t\r\n")
	return st, nil
}

func (p *parser) drop() (Statement, error) {
	switch {
	case p.acceptKw("DATABASE"), p.acceptKw("SCHEMA"):
		st := &DropDatabase{}
		var err error
		if st.IfExists, err = p.ifExists(); err != nil {
			return nil, err
		}
		if st.Name, err = p.ident("database name"); err != nil {
			return nil, err
		}
		if p.acceptKw("CASCADE") {
			st.Cascade = true
		} else {
			p.acceptKw("RESTRICT")
		}
		return st, nil
	case p.acceptKw("TABLE"), p.acceptKw("VIEW"):
		st := &DropTable{View: isKw(p.toks[p.i-1], "VIEW")}
		var err error
		if st.IfExists, err = p.ifExists(); err != nil {
			return nil, err
		}
		if st.Table, err = p.name("table name"); err != nil {
			return nil, err
		}
		p.acceptKw("PURGE")
		return st, nil
	}
	return nil, p.errf("expected DATABASE, SCHEMA, TABLE or VIEW after DROP")
}

func (p *parser) like() (string, bool, error) {
	if p.acceptKw("LIKE") {
		s, err := p.str("LIKE pattern")
		return s, true, err
	}
	// Hive also allows a bare pattern string: SHOW TABLES 'x*'.
	if p.peek().kind == tokString {
		return p.next().text, true, nil
	}
	return "", false, nil
}

func (p *parser) show() (Statement, error) {
	if st, ok, err := p.showExt(); ok {
		return st, err
	}
	switch {
	case p.acceptKw("DATABASES"), p.acceptKw("SCHEMAS"):
		st := &ShowDatabases{}
		var err error
		st.Like, st.HasLike, err = p.like()
		return st, err
	case p.acceptKw("TABLES"):
		st := &ShowTables{}
		var err error
		if p.acceptKw("IN") || p.acceptKw("FROM") {
			if st.Database, err = p.ident("database name"); err != nil {
				return nil, err
			}
		}
		st.Like, st.HasLike, err = p.like()
		return st, err
	case p.acceptKw("CREATE"):
		if !p.acceptKw("TABLE") && !p.acceptKw("VIEW") {
			return nil, p.errf("expected TABLE or VIEW after SHOW CREATE")
		}
		n, err := p.name("table name")
		if err != nil {
			return nil, err
		}
		return &ShowCreateTable{Table: n}, nil
	case p.acceptKw("COLUMNS"):
		if !p.acceptKw("FROM") && !p.acceptKw("IN") {
			return nil, p.errf("expected FROM after SHOW COLUMNS")
		}
		n, err := p.name("table name")
		if err != nil {
			return nil, err
		}
		if p.acceptKw("FROM") || p.acceptKw("IN") {
			db, err := p.ident("database name")
			if err != nil {
				return nil, err
			}
			n.Database = db
		}
		return &Describe{Table: n, ColumnsOnly: true}, nil
	}
	return nil, p.errf("expected DATABASES, SCHEMAS, TABLES, COLUMNS, PARTITIONS or CREATE TABLE after SHOW")
}

func (p *parser) describe() (Statement, error) {
	st := &Describe{}
	p.acceptKw("TABLE")
	if p.acceptKw("EXTENDED") {
		st.Extended = true
	} else if p.acceptKw("FORMATTED") {
		st.Extended, st.Formatted = true, true
	}
	var err error
	if st.Table, err = p.name("table name"); err != nil {
		return nil, err
	}
	return st, nil
}
