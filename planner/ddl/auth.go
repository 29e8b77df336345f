package ddl

// Users, groups and grants: CREATE/ALTER/DROP USER (MySQL forms, and
// Redshift's PASSWORD 'pw'), CREATE/ALTER/DROP GROUP (Redshift),
// GRANT/REVOKE and SHOW GRANTS.

import (
	"strings"
)

func init() {
	for _, kw := range []string{"GRANT", "REVOKE"} {
		leadKeywords[kw] = true
	}
}

// UserName is 'user'[@'host']; Host is "" when not given.
type UserName struct {
	Name string
	Host string
}

func (u UserName) String() string {
	h := u.Host
	if h == "" {
		h = "%"
	}
	return "'" + u.Name + "'@'" + h + "'"
}

// CreateUser is CREATE USER [IF NOT EXISTS] 'u'[@'host'] IDENTIFIED BY 'pw'
// (or Redshift's CREATE USER u PASSWORD 'pw').
type CreateUser struct {
	User        UserName
	IfNotExists bool
	Password    string
	HasPassword bool
}

// AlterUser is ALTER USER [IF EXISTS] 'u'[@'host'] IDENTIFIED BY 'pw'
// (or ALTER USER u PASSWORD 'pw').
type AlterUser struct {
	User     UserName
	IfExists bool
	Password string
}

// DropUser is DROP USER [IF EXISTS] 'u'[@'host'][, ...].
type DropUser struct {
	Users    []UserName
	IfExists bool
}

// CreateGroup is CREATE GROUP g [[WITH] USER u1, u2].
type CreateGroup struct {
	Name    string
	Members []string
}

// AlterGroup is ALTER GROUP g ADD USER u1[, ...] or ALTER GROUP g DROP USER u1[, ...].
type AlterGroup struct {
	Name  string
	Add   []string
	Drop  []string
	IsAdd bool
}

// DropGroup is DROP GROUP [IF EXISTS] g.
type DropGroup struct {
	Name     string
	IfExists bool
}

// Grantee is a user or GROUP g.
type Grantee struct {
	User  UserName
	Group string // non-empty for GROUP g
}

// GrantStmt is GRANT privs ON scope TO grantee[, ...], and with Revoke set
// REVOKE privs ON scope FROM grantee[, ...]. Privileges are upper case
// (SELECT, INSERT, CREATE, DROP, ALTER, ALL). Database and Table are "*"
// for wildcards; Database is "" for an unqualified table (the session
// database applies).
type GrantStmt struct {
	Revoke     bool
	Privileges []string
	Database   string
	Table      string
	Grantees   []Grantee
}

// ShowGrants is SHOW GRANTS [FOR 'u'[@'host'] | FOR CURRENT_USER].
type ShowGrants struct {
	User *UserName // nil: the current user
}

func (*CreateUser) stmt()  {}
func (*AlterUser) stmt()   {}
func (*DropUser) stmt()    {}
func (*CreateGroup) stmt() {}
func (*AlterGroup) stmt()  {}
func (*DropGroup) stmt()   {}
func (*GrantStmt) stmt()   {}
func (*ShowGrants) stmt()  {}

// authStatement parses a statement of this file when the next tokens
// start one (ok false: nothing consumed).
func (p *parser) authStatement() (st Statement, ok bool, err error) {
	first, second := p.peek(), p.peekN(1)
	switch {
	case isKw(first, "CREATE") && isKw(second, "USER"):
		p.i += 2
		st, err = p.createUser()
	case isKw(first, "ALTER") && isKw(second, "USER"):
		p.i += 2
		st, err = p.alterUser()
	case isKw(first, "DROP") && isKw(second, "USER"):
		p.i += 2
		d := &DropUser{}
		if d.IfExists, err = p.ifExists(); err != nil {
			return nil, true, err
		}
		for {
			u, err := p.userName()
			if err != nil {
				return nil, true, err
			}
			d.Users = append(d.Users, u)
			if !p.accept(",") {
				break
			}
		}
		st = d
	case isKw(first, "CREATE") && isKw(second, "GROUP"):
		p.i += 2
		g := &CreateGroup{}
		if g.Name, err = p.ident("group name"); err != nil {
			return nil, true, err
		}
		if p.acceptKw("WITH") {
			if err = p.expectKw("USER"); err != nil {
				return nil, true, err
			}
			g.Members, err = p.userList()
		} else if p.acceptKw("USER") {
			g.Members, err = p.userList()
		}
		st = g
	case isKw(first, "ALTER") && isKw(second, "GROUP"):
		p.i += 2
		g := &AlterGroup{}
		if g.Name, err = p.ident("group name"); err != nil {
			return nil, true, err
		}
		switch {
		case p.acceptKw("ADD"):
			g.IsAdd = true
			if err = p.expectKw("USER"); err == nil {
				g.Add, err = p.userList()
			}
		case p.acceptKw("DROP"):
			if err = p.expectKw("USER"); err == nil {
				g.Drop, err = p.userList()
			}
		default:
			err = p.errf("expected ADD USER or DROP USER after ALTER GROUP %s", g.Name)
		}
		st = g
	case isKw(first, "DROP") && isKw(second, "GROUP"):
		p.i += 2
		g := &DropGroup{}
		if g.IfExists, err = p.ifExists(); err != nil {
			return nil, true, err
		}
		g.Name, err = p.ident("group name")
		st = g
	case isKw(first, "GRANT"), isKw(first, "REVOKE"):
		p.i++
		st, err = p.grant(isKw(first, "REVOKE"))
	case isKw(first, "SHOW") && isKw(second, "GRANTS"):
		p.i += 2
		sg := &ShowGrants{}
		if p.acceptKw("FOR") {
			if p.acceptKw("CURRENT_USER") {
				if p.accept("(") {
					err = p.expect(")")
				}
			} else {
				var u UserName
				u, err = p.userName()
				sg.User = &u
			}
		}
		st = sg
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return st, true, nil
}

// userName parses 'u'[@'host'] (names may be quoted strings, `quoted`
// or bare identifiers).
func (p *parser) userName() (UserName, error) {
	var u UserName
	t := p.peek()
	switch t.kind {
	case tokString, tokIdent, tokQIdent:
		p.i++
		u.Name = t.text
	default:
		return u, p.errf("expected a user name ('name' or 'name'@'host')")
	}
	if u.Name == "" {
		return u, p.errAtTok(t, "user name is empty")
	}
	if p.accept("@") {
		h := p.peek()
		switch h.kind {
		case tokString, tokIdent, tokQIdent:
			p.i++
			u.Host = h.text
		default:
			return u, p.errf("expected a host after @")
		}
	}
	return u, nil
}

func (p *parser) userList() ([]string, error) {
	var out []string
	for {
		u, err := p.userName()
		if err != nil {
			return nil, err
		}
		out = append(out, u.Name)
		if !p.accept(",") {
			return out, nil
		}
	}
}

// password parses IDENTIFIED BY 'pw' or PASSWORD 'pw'; ok is false when
// neither follows.
func (p *parser) password() (pw string, ok bool, err error) {
	switch {
	case p.acceptKw("IDENTIFIED"):
		if p.acceptKw("WITH") {
			// IDENTIFIED WITH plugin BY 'pw': tarn stores the hashes of
			// both plugins whatever is named.
			t := p.peek()
			if t.kind != tokIdent && t.kind != tokString && t.kind != tokQIdent {
				return "", false, p.errf("expected an authentication plugin name after IDENTIFIED WITH")
			}
			p.i++
		}
		if err := p.expectKw("BY"); err != nil {
			return "", false, err
		}
	case p.acceptKw("PASSWORD"):
	default:
		return "", false, nil
	}
	pw, err = p.str("password")
	return pw, err == nil, err
}

func (p *parser) createUser() (Statement, error) {
	st := &CreateUser{}
	var err error
	if st.IfNotExists, err = p.ifNotExists(); err != nil {
		return nil, err
	}
	if st.User, err = p.userName(); err != nil {
		return nil, err
	}
	if st.Password, st.HasPassword, err = p.password(); err != nil {
		return nil, err
	}
	return st, nil
}

func (p *parser) alterUser() (Statement, error) {
	st := &AlterUser{}
	var err error
	if st.IfExists, err = p.ifExists(); err != nil {
		return nil, err
	}
	if st.User, err = p.userName(); err != nil {
		return nil, err
	}
	var ok bool
	if st.Password, ok, err = p.password(); err != nil {
		return nil, err
	}
	if !ok {
		return nil, p.errf("expected IDENTIFIED BY 'password' or PASSWORD 'password'")
	}
	return st, nil
}

// privNames are the privileges GRANT and REVOKE accept.
var privNames = map[string]bool{"SELECT": true, "INSERT": true, "CREATE": true, "DROP": true, "ALTER": true, "ALL": true}

func (p *parser) grant(revoke bool) (Statement, error) {
	st := &GrantStmt{Revoke: revoke}
	for {
		t := p.peek()
		name := strings.ToUpper(t.text)
		if t.kind != tokIdent || !privNames[name] {
			return nil, p.errf("expected a privilege (SELECT, INSERT, CREATE, DROP, ALTER or ALL [PRIVILEGES])")
		}
		p.i++
		if name == "ALL" {
			p.acceptKw("PRIVILEGES")
		}
		st.Privileges = append(st.Privileges, name)
		if !p.accept(",") {
			break
		}
	}
	if err := p.expectKw("ON"); err != nil {
		return nil, err
	}
	p.acceptKw("TABLE")
	// scope: *, *.*, db.*, db.table, table
	if p.accept("*") {
		st.Database, st.Table = "*", "*"
		if p.accept(".") {
			if !p.accept("*") {
				return nil, p.errf("expected * after *. (grants on every database are written *.*)")
			}
		} else {
			st.Database = "" // * alone: every table of the current database
		}
	} else {
		a, err := p.ident("database or table name")
		if err != nil {
			return nil, err
		}
		if p.accept(".") {
			st.Database = a
			if p.accept("*") {
				st.Table = "*"
			} else if st.Table, err = p.ident("table name"); err != nil {
				return nil, err
			}
		} else {
			st.Table = a
		}
	}
	kw := "TO"
	if revoke {
		kw = "FROM"
	}
	if err := p.expectKw(kw); err != nil {
		return nil, err
	}
	for {
		var g Grantee
		if p.acceptKw("GROUP") {
			n, err := p.ident("group name")
			if err != nil {
				return nil, err
			}
			g.Group = n
		} else {
			u, err := p.userName()
			if err != nil {
				return nil, err
			}
			g.User = u
		}
		st.Grantees = append(st.Grantees, g)
		if !p.accept(",") {
			break
		}
	}
	return st, nil
}
