package ddl

// Federation and I/O statements: CREATE CONNECTION, DROP CONNECTION,
// SHOW CONNECTIONS, and EXPLAIN (TYPE IO) / EXPLAIN IO.

import "strings"

// ConnectionTypes lists the connection types CREATE CONNECTION accepts.
var ConnectionTypes = []string{"postgres"}

// CreateConnection is
//
//	CREATE CONNECTION [IF NOT EXISTS] name TYPE postgres
//	  URL 'postgres://user[:password]@host:port/db' [WITH (key = 'value', ...)]
//
// Props keys are lower case (password_env, schema, max_connections,
// split_pages).
type CreateConnection struct {
	Name        string
	IfNotExists bool
	Type        string // lower case
	URL         string
	Props       map[string]string
}

// DropConnection is DROP CONNECTION [IF EXISTS] name.
type DropConnection struct {
	Name     string
	IfExists bool
}

// ShowConnections is SHOW CONNECTIONS [LIKE '..'].
type ShowConnections struct {
	Like    string
	HasLike bool
}

// ExplainIO is EXPLAIN (TYPE IO) query (Athena) or EXPLAIN IO query: the
// data the query would read, estimated from metadata without running it.
type ExplainIO struct {
	Explain
}

func (*CreateConnection) stmt() {}
func (*DropConnection) stmt()   {}
func (*ShowConnections) stmt()  {}
func (*ExplainIO) stmt()        {}

// connStatement parses the statements of this file; ok is false when the
// statement is not one of them (nothing consumed).
func (p *parser) connStatement() (Statement, bool, error) {
	first, second := p.peek(), p.peekN(1)
	switch {
	case isKw(first, "CREATE") && isKw(second, "CONNECTION"):
		p.i += 2
		st, err := p.createConnection()
		return st, true, err
	case isKw(first, "DROP") && isKw(second, "CONNECTION"):
		p.i += 2
		st := &DropConnection{}
		var err error
		if st.IfExists, err = p.ifExists(); err != nil {
			return nil, true, err
		}
		st.Name, err = p.ident("connection name")
		return st, true, err
	case isKw(first, "SHOW") && isKw(second, "CONNECTIONS"):
		p.i += 2
		st := &ShowConnections{}
		if p.acceptKw("LIKE") {
			var err error
			if st.Like, err = p.str("LIKE pattern"); err != nil {
				return nil, true, err
			}
			st.HasLike = true
		}
		return st, true, nil
	case isKw(first, "EXPLAIN"):
		return p.explainOptions()
	}
	return nil, false, nil
}

func (p *parser) createConnection() (Statement, error) {
	st := &CreateConnection{Props: map[string]string{}}
	var err error
	if st.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.Name, err = p.ident("connection name"); err != nil {
		return nil, err
	}
	if strings.ContainsAny(st.Name, ".") || strings.Contains(st.Name, "__") {
		return nil, p.errAtTok(p.toks[p.i-1], "a connection name cannot contain '.' or '__' (they separate the connection from the schema in table names)")
	}
	for {
		switch {
		case p.acceptKw("TYPE"):
			t := p.peek()
			typ, err := p.ident("connection type (POSTGRES)")
			if err != nil {
				return nil, err
			}
			typ = strings.ToLower(typ)
			if typ == "postgresql" {
				typ = "postgres"
			}
			known := false
			for _, k := range ConnectionTypes {
				known = known || k == typ
			}
			if !known {
				return nil, p.errAtTok(t, "unknown connection type "+typ+" (expected "+strings.ToUpper(strings.Join(ConnectionTypes, ", "))+")")
			}
			st.Type = typ
		case p.acceptKw("URL"):
			if st.URL, err = p.str("connection URL"); err != nil {
				return nil, err
			}
		case p.acceptKw("WITH"):
			if st.Props, err = p.wlmProps(); err != nil {
				return nil, err
			}
		default:
			t := p.peek()
			if t.kind != tokEOF && !(t.kind == tokPunct && t.text == ";") {
				return nil, p.errf("expected TYPE, URL or WITH (...)")
			}
			if st.Type == "" {
				return nil, p.errf("expected TYPE postgres")
			}
			if st.URL == "" {
				return nil, p.errf("expected URL 'postgres://user@host:port/database'")
			}
			return st, nil
		}
	}
}

// explainOptions parses EXPLAIN IO and EXPLAIN (option value, ...):
// (TYPE IO) gives ExplainIO; (TYPE LOGICAL|DISTRIBUTED) and
// (FORMAT TEXT) are the plain EXPLAIN. ok is false for other EXPLAINs
// (nothing consumed), including EXPLAIN (SELECT ...).
func (p *parser) explainOptions() (Statement, bool, error) {
	io := false
	save := p.i
	switch {
	case isKw(p.peekN(1), "IO"):
		p.i += 2
		io = true
	case p.peekN(1).kind == tokPunct && p.peekN(1).text == "(" && (isKw(p.peekN(2), "TYPE") || isKw(p.peekN(2), "FORMAT")):
		p.i += 3
		for {
			opt := p.toks[p.i-1]
			t := p.peek()
			v, err := p.ident("an EXPLAIN option value")
			if err != nil {
				return nil, true, err
			}
			switch {
			case isKw(opt, "TYPE") && strings.EqualFold(v, "IO"):
				io = true
			case isKw(opt, "TYPE") && (strings.EqualFold(v, "LOGICAL") || strings.EqualFold(v, "DISTRIBUTED")):
			case isKw(opt, "FORMAT") && strings.EqualFold(v, "TEXT"):
			default:
				return nil, true, p.errAtTok(t, "unsupported EXPLAIN option "+strings.ToUpper(opt.text)+" "+v+" (tarn accepts TYPE IO, TYPE LOGICAL, TYPE DISTRIBUTED and FORMAT TEXT)")
			}
			if p.accept(")") {
				break
			}
			if err := p.expect(","); err != nil {
				return nil, true, err
			}
			if !p.acceptKw("TYPE") && !p.acceptKw("FORMAT") {
				return nil, true, p.errf("expected TYPE or FORMAT")
			}
		}
	default:
		p.i = save
		return nil, false, nil
	}
	q := p.peek()
	if q.kind == tokEOF {
		return nil, true, p.errf("expected a query after EXPLAIN")
	}
	ex := Explain{QueryOffset: q.pos, QueryLine: q.line, QueryCol: q.col,
		Query: strings.TrimRight(strings.TrimSpace(p.src[q.pos:]), ";")}
	p.i = len(p.toks) - 1 // the query is the rest of the text
	if io {
		return &ExplainIO{Explain: ex}, true, nil
	}
	return &ex, true, nil
}
