package engine

// Users, groups, grants and authorization.
//
// Accounts live in the catalog store (catalog.AuthStore): users with
// their password hashes, Redshift-style groups and MySQL-style grants of
// SELECT, INSERT, CREATE, DROP, ALTER (ALL = all five) on *.*, db.* or
// db.table, to a user or to a GROUP.
//
// Principals:
//   - root is the built-in superuser: every privilege, never stored (its
//     password is the server's TARN_ROOT_PASSWORD / root_password).
//   - A stored user granted ALL on *.* (directly or through a group) is a
//     superuser too: it may manage users, groups and grants, sees every
//     user's rows in system tables and may change WLM configuration.
//   - Other stored users hold exactly their grants and their groups'.
//   - While the catalog holds no user at all, authorization is off: an
//     embedded engine without accounts lets every session do everything
//     (the server only ever opens sessions for root and stored users).
//     Once a user exists, a session whose user is not root and not a
//     stored user holds no privilege.
//
// Reads are checked where names are resolved (sessionCatalog.Table):
// SELECT on the table or view, 1142 otherwise, whether or not the table
// exists, so a denied user learns nothing of it. Views run with definer
// rights: the invoker needs SELECT on the view, and the tables inside it
// are checked against the view's definer (recorded when the view is
// created). information_schema and SHOW DATABASES / SHOW TABLES list
// only objects the user holds a privilege on; system.query_history and
// the WLM tables show a user only its own queries unless superuser.
//
// Storage roots: Config.AllowedLocations lists the directories and URL
// prefixes (s3://bucket/prefix/) every table, partition, database and
// crawl location must sit under; paths are cleaned and symlinks resolved
// before the check. An empty list imposes no restriction (the embedded
// default); the MySQL server installs the data directory when none is
// configured.

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/planner"
	"github.com/tarnsql/tarn/planner/ddl"
)

// MySQL error codes of authorization.
const (
	CodeDBAccessDenied    = 1044 // Access denied for user 'u'@'h' to database 'db'
	CodeAccessDenied      = 1045 // Access denied for user 'u'@'h' (using password: YES)
	CodeTableAccessDenied = 1142 // SELECT command denied to user 'u'@'h' for table 't'
	CodeSpecificDenied    = 1227 // Access denied; you need the X privilege
	CodeOperationFailed   = 1396 // Operation CREATE USER failed for 'u'@'%'
	CodeNoSuchGrant       = 1141 // There is no such grant defined for user
	CodeNoUser            = 1133 // Can't find any matching row in the user table
	CodeNoDefiner         = 1449 // The user specified as a definer does not exist
)

// RootUser is the built-in superuser.
const RootUser = "root"

// definerProp is the view property recording the user that created it.
const definerProp = "tarn.definer"

// authCacheTTL bounds how stale the cached accounts may be when another
// server shares the catalog (a PostgreSQL metastore); this engine's own
// changes are visible at once.
const authCacheTTL = time.Second

// authState is the engine's cached copy of the accounts.
type authState struct {
	authMu      sync.Mutex
	authData    *catalog.AuthData
	authLoaded  time.Time
	allowMu     sync.RWMutex
	allowed     []string // effective storage allow-list (nil: unrestricted)
	allowedInit bool
}

// AuthStore returns the catalog's account store (false when the
// catalog store keeps no accounts).
func (e *Engine) AuthStore() (catalog.AuthStore, bool) {
	as, ok := any(e.store).(catalog.AuthStore)
	return as, ok
}

// accounts returns the current users, groups and grants (cached).
func (e *Engine) accounts(ctx context.Context) (*catalog.AuthData, error) {
	as, ok := e.AuthStore()
	if !ok {
		return &catalog.AuthData{}, nil
	}
	e.authMu.Lock()
	defer e.authMu.Unlock()
	if e.authData != nil && time.Since(e.authLoaded) < authCacheTTL {
		return e.authData, nil
	}
	a, err := as.Auth(ctx)
	if err != nil {
		return nil, err
	}
	e.authData, e.authLoaded = a, time.Now()
	return a, nil
}

// invalidateAccounts drops the cache after a change.
func (e *Engine) invalidateAccounts() {
	e.authMu.Lock()
	e.authData = nil
	e.authMu.Unlock()
}

// initAuth plugs the accounts into WLM routing (user groups) and the
// superuser test.
func (e *Engine) initAuth() {
	e.SetUserGroups(e.Groups)
	e.SetSuperuser(e.superuser)
}

// Groups lists the groups user belongs to (what WLM routes on).
func (e *Engine) Groups(user string) []string {
	a, err := e.accounts(context.Background())
	if err != nil {
		return nil
	}
	return a.GroupsOf(user)
}

func (e *Engine) superuser(user string) bool {
	if user == RootUser {
		return true
	}
	a, err := e.accounts(context.Background())
	return err == nil && a.Superuser(user)
}

// User returns a stored user (its password hashes), for the server's
// authentication; it reads the store directly so a changed password
// applies to the next login at once.
func (e *Engine) User(ctx context.Context, name string) (*catalog.User, error) {
	as, ok := e.AuthStore()
	if !ok {
		return nil, fmt.Errorf("user '%s': %w", name, catalog.ErrNotFound)
	}
	return as.GetUser(ctx, name)
}

// principal is who a check is made for.
type principal struct {
	name  string
	host  string
	super bool
	open  bool // no accounts exist: authorization is off
	data  *catalog.AuthData
}

func (e *Engine) principal(ctx context.Context, user string) (*principal, error) {
	p := &principal{name: user, host: "%"}
	if user == RootUser {
		p.super = true
		return p, nil
	}
	a, err := e.accounts(ctx)
	if err != nil {
		return nil, newError(CodeOther, "HY000", err, "cannot read users and grants: %v", err)
	}
	p.data = a
	if len(a.Users) == 0 {
		p.open = true
		return p, nil
	}
	if u := a.User(user); u != nil && u.Host != "" {
		p.host = u.Host
	}
	p.super = a.Superuser(user)
	return p, nil
}

func (p *principal) all() bool { return p.super || p.open }

// has reports whether p holds every privilege of want on db.table
// (table "" = the database as a whole).
func (p *principal) has(db, table string, want catalog.Privileges) bool {
	if p.all() {
		return true
	}
	if db == InfoSchemaDatabase || db == SystemDatabase {
		return want == catalog.PrivSelect
	}
	return p.data.Privileges(p.name, db, table)&want == want
}

// sees reports whether p may know db.table exists (any privilege).
func (p *principal) sees(db, table string) bool {
	if p.all() || db == InfoSchemaDatabase || db == SystemDatabase {
		return true
	}
	return p.data.Privileges(p.name, db, table) != 0
}

// seesDB reports whether p may know db exists (any privilege on it or
// on one of its tables).
func (p *principal) seesDB(db string) bool {
	if p.all() || db == InfoSchemaDatabase || db == SystemDatabase {
		return true
	}
	return p.data.AnyOn(p.name, db)
}

func (p *principal) tableDenied(cmd, table string) error {
	return accessDenied{newError(CodeTableAccessDenied, "42000", nil, "%s command denied to user '%s'@'%s' for table '%s'", cmd, p.name, p.host, table)}
}

// accessDenied is an authorization error the planner passes on with its
// code (planner.CodedError) rather than wrapping it.
type accessDenied struct{ e *Error }

func (a accessDenied) Error() string                          { return a.e.Error() }
func (a accessDenied) Unwrap() error                          { return a.e }
func (a accessDenied) MySQLCode() (code int, sqlState string) { return a.e.Code, a.e.SQLState }

func (p *principal) dbDenied(db string) error {
	return newError(CodeDBAccessDenied, "42000", nil, "Access denied for user '%s'@'%s' to database '%s'", p.name, p.host, db)
}

func (p *principal) needSuper(what string) error {
	if p.super {
		return nil
	}
	return newError(CodeSpecificDenied, "42000", nil, "Access denied; you need (at least one of) the %s privilege(s) for this operation (user '%s'@'%s' is not a superuser: root or a user granted ALL ON *.*)", what, p.name, p.host)
}

// ---- reads ----

// readAs is the user whose rights a read through c is checked against:
// the view definer inside a view, else the session user.
func (c *sessionCatalog) readAs() string {
	if c.definer != "" {
		return c.definer
	}
	return c.s.user
}

// authorizeRead checks SELECT on db.name for a table reference (db and
// name folded). A denied reference is refused whether or not it exists.
func (c *sessionCatalog) authorizeRead(ctx context.Context, db, name string) error {
	user := c.readAs()
	if user == RootUser {
		return nil
	}
	p, err := c.s.e.principal(ctx, user)
	if err != nil {
		return err
	}
	if c.definer != "" && !p.open && p.data.User(user) == nil {
		return accessDenied{newError(CodeNoDefiner, "HY000", nil, "The user specified as a definer ('%s'@'%%') does not exist (view reading %s.%s)", user, db, name)}
	}
	if !p.has(db, name, catalog.PrivSelect) {
		return p.tableDenied("SELECT", name)
	}
	return nil
}

// ForView implements planner.ViewCatalog: a view's tables resolve with
// its definer's rights.
func (c *sessionCatalog) ForView(view *catalog.Table) planner.Catalog {
	d := view.Props[definerProp]
	if d == "" || d == c.readAs() {
		return c
	}
	return &sessionCatalog{s: c.s, cache: map[string]cached{}, definer: d}
}

var _ planner.ViewCatalog = (*sessionCatalog)(nil)

// viewProps are the properties a new view records: its definer.
func (s *Session) viewProps() map[string]string {
	return map[string]string{definerProp: s.user}
}

// filterSystemRows keeps the rows of system table name that the reader
// may see: its own queries (user_name, or query_id of its history) and,
// in system.tables, the tables it may read.
func (c *sessionCatalog) filterSystemRows(ctx context.Context, name string, ct *catalog.Table, rows [][]any) ([][]any, error) {
	p, err := c.s.e.principal(ctx, c.s.user)
	if err != nil {
		return nil, err
	}
	if p.all() {
		return rows, nil
	}
	col := func(n string) int {
		for i, c := range ct.Columns {
			if c.Name == n {
				return i
			}
		}
		return -1
	}
	keep := func(f func(r []any) bool) [][]any {
		out := rows[:0:0]
		for _, r := range rows {
			if f(r) {
				out = append(out, r)
			}
		}
		return out
	}
	if name == "tables" {
		si, ti := col("table_schema"), col("table_name")
		if si >= 0 && ti >= 0 {
			return keep(func(r []any) bool { return p.sees(asString(r[si]), asString(r[ti])) }), nil
		}
	}
	if ui := col("user_name"); ui >= 0 {
		return keep(func(r []any) bool { return asString(r[ui]) == p.name }), nil
	}
	if qi := col("query_id"); qi >= 0 {
		own := map[string]bool{}
		for _, h := range c.s.e.hist.snapshot() {
			if h.User == p.name {
				own[h.QueryID] = true
			}
		}
		for _, q := range c.s.e.wlm.Queries() {
			if q.User == p.name {
				own[q.QueryID] = true
			}
		}
		return keep(func(r []any) bool { return own[asString(r[qi])] }), nil
	}
	return rows, nil
}

func asString(v any) string {
	s, _ := v.(string)
	return s
}

// filterInfoRows keeps the information_schema rows naming objects the
// session user may see.
func (s *Session) filterInfoRows(ctx context.Context, ct *catalog.Table, rows [][]any) ([][]any, error) {
	if s.user == RootUser {
		return rows, nil
	}
	p, err := s.e.principal(ctx, s.user)
	if err != nil {
		return nil, err
	}
	if p.all() {
		return rows, nil
	}
	si, ti, sn := -1, -1, -1
	for i, c := range ct.Columns {
		switch strings.ToUpper(c.Name) {
		case "TABLE_SCHEMA":
			si = i
		case "TABLE_NAME":
			ti = i
		case "SCHEMA_NAME":
			sn = i
		}
	}
	out := rows[:0:0]
	for _, r := range rows {
		switch {
		case si >= 0 && ti >= 0:
			if !p.sees(asString(r[si]), asString(r[ti])) {
				continue
			}
		case si >= 0:
			if !p.seesDB(asString(r[si])) {
				continue
			}
		case sn >= 0:
			if !p.seesDB(asString(r[sn])) {
				continue
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// VisibleTables filters a list of catalog tables to those user may see
// (for the server's own metadata listings).
func (e *Engine) VisibleTables(ctx context.Context, user string, ts []catalog.Table) ([]catalog.Table, error) {
	p, err := e.principal(ctx, user)
	if err != nil {
		return nil, err
	}
	if p.all() {
		return ts, nil
	}
	out := ts[:0:0]
	for _, t := range ts {
		if p.sees(catalog.Normalize(t.Database), catalog.Normalize(t.Name)) {
			out = append(out, t)
		}
	}
	return out, nil
}

// VisibleDatabase reports whether user may see database db.
func (e *Engine) VisibleDatabase(ctx context.Context, user, db string) (bool, error) {
	p, err := e.principal(ctx, user)
	if err != nil {
		return false, err
	}
	return p.seesDB(catalog.Normalize(db)), nil
}

// ---- statements ----

// authorizeStatement runs the account statements and checks the
// privileges other catalog statements need. handled is true when st
// was an account statement (run) or was refused.
func (s *Session) authorizeStatement(ctx context.Context, r *Result, st ddl.Statement) (handled bool, err error) {
	switch st := st.(type) {
	case *ddl.CreateUser, *ddl.AlterUser, *ddl.DropUser, *ddl.CreateGroup, *ddl.AlterGroup, *ddl.DropGroup, *ddl.GrantStmt, *ddl.ShowGrants:
		return true, s.runAccountStatement(ctx, r, st)
	}
	if err := s.checkLocations(st); err != nil {
		return true, err
	}
	p, err := s.e.principal(ctx, s.user)
	if err != nil {
		return true, err
	}
	if p.all() {
		return false, nil
	}
	table := func(n ddl.Name, priv catalog.Privileges, cmd string) error {
		db, err := s.resolveDB(n)
		if err != nil {
			return err
		}
		name := catalog.Normalize(n.Name)
		if !p.has(db, name, priv) {
			return p.tableDenied(cmd, name)
		}
		return nil
	}
	database := func(name string, priv catalog.Privileges) error {
		db := catalog.Normalize(name)
		if !p.has(db, "", priv) {
			return p.dbDenied(db)
		}
		return nil
	}
	visible := func(n ddl.Name) error {
		db, err := s.resolveDB(n)
		if err != nil {
			return err
		}
		name := catalog.Normalize(n.Name)
		if !p.sees(db, name) {
			return p.tableDenied("SELECT", name)
		}
		return nil
	}
	switch st := st.(type) {
	case *ddl.Use:
		if !p.seesDB(catalog.Normalize(st.Database)) {
			return true, p.dbDenied(catalog.Normalize(st.Database))
		}
	case *ddl.CreateDatabase:
		err = database(st.Name, catalog.PrivCreate)
	case *ddl.DropDatabase:
		err = database(st.Name, catalog.PrivDrop)
	case *ddl.CreateTable:
		err = table(st.Table, catalog.PrivCreate, "CREATE")
	case *ddl.CreateView:
		err = table(st.View, catalog.PrivCreate, "CREATE")
		if err == nil && st.OrReplace {
			err = table(st.View, catalog.PrivDrop, "DROP")
		}
	case *ddl.DropTable:
		err = table(st.Table, catalog.PrivDrop, "DROP")
	case *ddl.AlterAddPartitions:
		err = table(st.Table, catalog.PrivAlter, "ALTER")
	case *ddl.AlterDropPartitions:
		err = table(st.Table, catalog.PrivAlter, "ALTER")
	case *ddl.AlterAddColumns:
		err = table(st.Table, catalog.PrivAlter, "ALTER")
	case *ddl.AlterSetProps:
		err = table(st.Table, catalog.PrivAlter, "ALTER")
	case *ddl.AlterSetLocation:
		err = table(st.Table, catalog.PrivAlter, "ALTER")
	case *ddl.MsckRepair:
		err = table(st.Table, catalog.PrivAlter, "ALTER")
	case *ddl.Analyze:
		// MySQL: ANALYZE TABLE needs SELECT and INSERT.
		err = table(st.Table, catalog.PrivSelect|catalog.PrivInsert, "ANALYZE")
	case *ddl.Describe:
		err = visible(st.Table)
	case *ddl.ShowCreateTable:
		err = visible(st.Table)
	case *ddl.ShowPartitions:
		err = visible(st.Table)
	case *ddl.ShowTables:
		db := catalog.Normalize(st.Database)
		if db == "" {
			db = s.db
		}
		if db != "" && !p.seesDB(db) {
			err = p.dbDenied(db)
		}
	case *ddl.Crawl:
		err = database(st.Database, catalog.PrivCreate)
	case *ddl.CreateConnection:
		err = p.needSuper("CREATE CONNECTION (superuser)")
	case *ddl.DropConnection:
		err = p.needSuper("DROP CONNECTION (superuser)")
	}
	return err != nil, err
}

// filterCatalogResult removes from SHOW DATABASES / SHOW TABLES the
// objects the session user may not see.
func (s *Session) filterCatalogResult(ctx context.Context, r *Result, st ddl.Statement) error {
	var show func(p *principal, v string) bool
	switch st := st.(type) {
	case *ddl.ShowDatabases:
		show = func(p *principal, v string) bool { return p.seesDB(v) }
	case *ddl.ShowTables:
		db := catalog.Normalize(st.Database)
		if db == "" {
			db = s.db
		}
		show = func(p *principal, v string) bool { return p.sees(db, v) }
	default:
		return nil
	}
	if s.user == RootUser || r.static == nil {
		return nil
	}
	p, err := s.e.principal(ctx, s.user)
	if err != nil || p.all() {
		return err
	}
	out := r.static[:0]
	for _, row := range r.static {
		if len(row) > 0 && show(p, asString(row[0])) {
			out = append(out, row)
		}
	}
	r.static = out
	return nil
}

func (s *Session) runAccountStatement(ctx context.Context, r *Result, st ddl.Statement) error {
	as, ok := s.e.AuthStore()
	if !ok {
		return newError(CodeNotSupported, "0A000", nil, "the catalog store does not keep users and grants")
	}
	p, err := s.e.principal(ctx, s.user)
	if err != nil {
		return err
	}
	defer s.e.invalidateAccounts()
	switch st := st.(type) {
	case *ddl.CreateUser:
		if err := p.needSuper("CREATE USER"); err != nil {
			return err
		}
		if st.User.Name == RootUser {
			return newError(CodeOperationFailed, "HY000", nil, "Operation CREATE USER failed for %s: root is built in (its password is TARN_ROOT_PASSWORD or root_password in tarn.yaml)", st.User)
		}
		u := catalog.User{Name: st.User.Name, Host: st.User.Host}
		u.SetPassword(st.Password)
		err := as.CreateUser(ctx, u, st.IfNotExists)
		if errors.Is(err, catalog.ErrExists) {
			return newError(CodeOperationFailed, "HY000", err, "Operation CREATE USER failed for %s: the user exists", st.User)
		}
		return err

	case *ddl.AlterUser:
		if st.User.Name != s.user {
			if err := p.needSuper("CREATE USER"); err != nil {
				return err
			}
		}
		if st.User.Name == RootUser {
			return newError(CodeOperationFailed, "HY000", nil, "Operation ALTER USER failed for %s: root's password is set by TARN_ROOT_PASSWORD or root_password in tarn.yaml", st.User)
		}
		u := catalog.User{Name: st.User.Name, Host: st.User.Host}
		u.SetPassword(st.Password)
		err := as.UpdateUser(ctx, u)
		if errors.Is(err, catalog.ErrNotFound) {
			if st.IfExists {
				return nil
			}
			return newError(CodeOperationFailed, "HY000", err, "Operation ALTER USER failed for %s: no such user", st.User)
		}
		return err

	case *ddl.DropUser:
		if err := p.needSuper("CREATE USER"); err != nil {
			return err
		}
		for _, u := range st.Users {
			if u.Name == RootUser {
				return newError(CodeOperationFailed, "HY000", nil, "Operation DROP USER failed for %s: root is built in and cannot be dropped", u)
			}
		}
		for _, u := range st.Users {
			if err := as.DropUser(ctx, u.Name, st.IfExists); err != nil {
				if errors.Is(err, catalog.ErrNotFound) {
					return newError(CodeOperationFailed, "HY000", err, "Operation DROP USER failed for %s: no such user", u)
				}
				return err
			}
		}
		return nil

	case *ddl.CreateGroup:
		if err := p.needSuper("CREATE USER"); err != nil {
			return err
		}
		err := as.CreateGroup(ctx, catalog.Group{Name: st.Name, Members: st.Members}, false)
		switch {
		case errors.Is(err, catalog.ErrExists):
			return newError(CodeOperationFailed, "HY000", err, "Operation CREATE GROUP failed for %s: the group exists", catalog.Normalize(st.Name))
		case errors.Is(err, catalog.ErrNotFound):
			return newError(CodeNoUser, "42000", err, "CREATE GROUP %s: %v", catalog.Normalize(st.Name), err)
		}
		return err

	case *ddl.AlterGroup:
		if err := p.needSuper("CREATE USER"); err != nil {
			return err
		}
		err := as.AlterGroup(ctx, st.Name, st.Add, st.Drop)
		if errors.Is(err, catalog.ErrNotFound) {
			return newError(CodeNoUser, "42000", err, "ALTER GROUP %s: %v", catalog.Normalize(st.Name), err)
		}
		return err

	case *ddl.DropGroup:
		if err := p.needSuper("CREATE USER"); err != nil {
			return err
		}
		err := as.DropGroup(ctx, st.Name, st.IfExists)
		if errors.Is(err, catalog.ErrNotFound) {
			return newError(CodeOperationFailed, "HY000", err, "Operation DROP GROUP failed for %s: no such group", catalog.Normalize(st.Name))
		}
		return err

	case *ddl.GrantStmt:
		return s.grant(ctx, as, p, st)

	case *ddl.ShowGrants:
		return s.showGrants(ctx, r, p, st)
	}
	return nil
}

func (s *Session) grant(ctx context.Context, as catalog.AuthStore, p *principal, st *ddl.GrantStmt) error {
	what := "GRANT OPTION"
	if err := p.needSuper(what); err != nil {
		return err
	}
	var privs catalog.Privileges
	for _, n := range st.Privileges {
		b, ok := catalog.ParsePrivilege(n)
		if !ok {
			return newError(CodeSyntax, "42000", nil, "unknown privilege %s", n)
		}
		privs |= b
	}
	db, table := st.Database, st.Table
	if db == "" {
		if s.db == "" {
			return newError(CodeNoDatabase, "3D000", nil, "no database selected for GRANT/REVOKE ON %s (USE a database or write db.%s)", table, table)
		}
		db = s.db
	}
	if db == catalog.Wildcard && table != catalog.Wildcard {
		return newError(CodeSyntax, "42000", nil, "grants on every database are written *.*")
	}
	if db == InfoSchemaDatabase || catalog.Normalize(db) == SystemDatabase {
		return newError(CodeDBAccessDenied, "42000", nil, "privileges on %s are implicit: every user may read it (rows are filtered)", db)
	}
	verb := "GRANT"
	if st.Revoke {
		verb = "REVOKE"
	}
	for _, g := range st.Grantees {
		cg := catalog.Grant{Grantee: g.User.Name, Database: db, Table: table, Privs: privs}
		shown := g.User.String()
		if g.Group != "" {
			cg.Grantee, cg.Group, shown = g.Group, true, "GROUP "+catalog.Normalize(g.Group)
		} else if g.User.Name == RootUser {
			return newError(CodeOperationFailed, "HY000", nil, "%s on root: root holds every privilege and cannot lose any", verb)
		}
		var err error
		if st.Revoke {
			err = as.Revoke(ctx, cg)
		} else {
			err = as.Grant(ctx, cg)
		}
		if errors.Is(err, catalog.ErrNotFound) {
			if st.Revoke && strings.HasPrefix(err.Error(), "grant of ") {
				return newError(CodeNoSuchGrant, "42000", err, "There is no such grant defined for %s on %s (%s)", shown, scopeText(cg), privs)
			}
			return newError(CodeNoUser, "42000", err, "%s: %s does not exist (CREATE USER / CREATE GROUP first)", verb, shown)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func scopeText(g catalog.Grant) string {
	q := func(s string) string {
		if s == catalog.Wildcard {
			return s
		}
		return "`" + strings.ReplaceAll(s, "`", "``") + "`"
	}
	return q(catalog.Normalize(g.Database)) + "." + q(catalog.Normalize(g.Table))
}

// showGrants lists grants in MySQL's form.
func (s *Session) showGrants(ctx context.Context, r *Result, p *principal, st *ddl.ShowGrants) error {
	name, host := s.user, "%"
	if st.User != nil {
		name = st.User.Name
		if st.User.Host != "" {
			host = st.User.Host
		}
	}
	if name != s.user {
		if err := p.needSuper("SELECT on the account tables (superuser)"); err != nil {
			return err
		}
	}
	a, err := s.e.accounts(ctx)
	if err != nil {
		return err
	}
	// Fresh after this session's own changes.
	if u := a.User(name); u != nil && (st.User == nil || st.User.Host == "") {
		host = u.Host
	} else if u == nil && name != RootUser && (len(a.Users) > 0 || st.User != nil) {
		return newError(CodeNoSuchGrant, "42000", nil, "There is no such grant defined for user '%s' on host '%s'", name, host)
	}
	who := "`" + name + "`@`" + host + "`"
	var rows [][]any
	if name == RootUser {
		rows = append(rows, []any{"GRANT ALL PRIVILEGES ON *.* TO " + who + " WITH GRANT OPTION"})
	} else {
		rows = append(rows, []any{"GRANT USAGE ON *.* TO " + who})
		groups := a.GroupsOf(name)
		for _, g := range a.Grants {
			if !g.Group && g.Grantee == name {
				rows = append(rows, []any{"GRANT " + g.Privs.String() + " ON " + scopeText(g) + " TO " + who})
			}
		}
		for _, g := range a.Grants {
			if g.Group && containsString(groups, g.Grantee) {
				rows = append(rows, []any{"GRANT " + g.Privs.String() + " ON " + scopeText(g) + " TO GROUP `" + g.Grantee + "`"})
			}
		}
		if len(groups) > 0 {
			sort.Strings(groups)
			rows = append(rows, []any{"-- member of group(s): " + strings.Join(groups, ", ")})
		}
	}
	r.setStatic([]string{"Grants for " + name + "@" + host}, []arrow.DataType{strT}, rows)
	return nil
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// ---- storage roots ----

// SetAllowedLocations replaces the storage allow-list (nil: unrestricted).
func (e *Engine) SetAllowedLocations(locs []string) {
	e.allowMu.Lock()
	e.allowed = append([]string(nil), locs...)
	e.allowedInit = true
	e.allowMu.Unlock()
}

// AllowedLocations is the effective storage allow-list (nil: unrestricted).
func (e *Engine) AllowedLocations() []string {
	e.allowMu.RLock()
	defer e.allowMu.RUnlock()
	if e.allowedInit {
		return e.allowed
	}
	return e.cfg.AllowedLocations
}

// checkLocations checks every location a statement names.
func (s *Session) checkLocations(st ddl.Statement) error {
	allow := s.e.AllowedLocations()
	if len(allow) == 0 {
		return nil
	}
	check := func(what, loc string) error {
		if loc == "" {
			return nil
		}
		return checkAllowed(allow, what, loc)
	}
	switch st := st.(type) {
	case *ddl.CreateDatabase:
		return check("database "+st.Name+" location", st.Location)
	case *ddl.CreateTable:
		if err := check("table "+st.Table.String()+" location", st.Location); err != nil {
			return err
		}
		return check("table "+st.Table.String()+" storage.location.template", templatePrefix(st.Props["storage.location.template"]))
	case *ddl.AlterSetLocation:
		return check("table "+st.Table.String()+" location", st.Location)
	case *ddl.AlterAddPartitions:
		for _, p := range st.Parts {
			if err := check("partition location of "+st.Table.String(), p.Location); err != nil {
				return err
			}
		}
	case *ddl.AlterSetProps:
		return check("table "+st.Table.String()+" storage.location.template", templatePrefix(st.Props["storage.location.template"]))
	case *ddl.Crawl:
		return check("crawl location", st.Location)
	}
	return nil
}

// templatePrefix is the fixed part of a projection location template
// (up to the first ${key}).
func templatePrefix(t string) string {
	if i := strings.Index(t, "${"); i >= 0 {
		t = t[:i]
		if j := strings.LastIndex(t, "/"); j >= 0 {
			t = t[:j+1]
		}
	}
	return t
}

// checkAllowed refuses loc unless it sits under an entry of allow.
func checkAllowed(allow []string, what, loc string) error {
	canon, err := canonicalLocation(loc)
	if err != nil {
		return newError(CodeDBAccessDenied, "42000", err, "%s '%s' refused: %v (storage.allowed_locations / Config.AllowedLocations)", what, loc, err)
	}
	for _, a := range allow {
		if a == "*" {
			return nil
		}
		ca, err := canonicalLocation(a)
		if err != nil {
			continue
		}
		if under(canon, ca) {
			return nil
		}
	}
	return newError(CodeDBAccessDenied, "42000", nil, "%s '%s' (%s) is outside the allowed storage locations %s: add it to storage.allowed_locations in tarn.yaml (Config.AllowedLocations)",
		what, loc, canon, strings.Join(allow, ", "))
}

// canonicalLocation is loc in a comparable form: a local path made
// absolute, cleaned and with symlinks resolved (as far as it exists), or
// a URL as scheme://host/clean/path. A URL path with .. segments is an
// error.
func canonicalLocation(loc string) (string, error) {
	if i := strings.Index(loc, "://"); i > 0 && !strings.HasPrefix(loc, "file://") {
		u, err := url.Parse(loc)
		if err != nil {
			return "", fmt.Errorf("not a valid URL: %v", err)
		}
		for _, seg := range strings.Split(u.Path, "/") {
			if seg == ".." {
				return "", fmt.Errorf("'..' is not allowed in a storage URL")
			}
		}
		p := path.Clean("/" + u.Path)
		if p != "/" {
			p += "/"
		}
		return strings.ToLower(u.Scheme) + "://" + u.Host + p, nil
	}
	p := strings.TrimPrefix(loc, "file://")
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return resolveExisting(abs) + string(filepath.Separator), nil
}

// resolveExisting resolves symlinks in the longest existing prefix of
// an absolute, clean path and appends the rest.
func resolveExisting(p string) string {
	rest := ""
	cur := p
	for {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		if _, err := os.Lstat(cur); err == nil {
			// Exists but cannot be resolved (a dangling or looping link):
			// keep it unresolved; it cannot be read through anyway.
			return filepath.Join(cur, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

// under reports whether canonical location c sits under root r (both end
// in a separator).
func under(c, r string) bool {
	return strings.HasPrefix(c, r)
}

// redactAccount masks the password of CREATE USER / ALTER USER (for the
// query history and logs); ok is false for other statements.
func redactAccount(st ddl.Statement) (string, bool) {
	switch st := st.(type) {
	case *ddl.CreateUser:
		if !st.HasPassword {
			return "", false
		}
		ine := ""
		if st.IfNotExists {
			ine = "IF NOT EXISTS "
		}
		return "CREATE USER " + ine + st.User.String() + " IDENTIFIED BY <secret>", true
	case *ddl.AlterUser:
		ie := ""
		if st.IfExists {
			ie = "IF EXISTS "
		}
		return "ALTER USER " + ie + st.User.String() + " IDENTIFIED BY <secret>", true
	}
	return "", false
}

// accountText reports whether unparsable text looks like a statement
// that may carry a password.
func accountText(sql string) bool {
	f := strings.Fields(strings.ToUpper(sql))
	return len(f) >= 2 && (f[0] == "CREATE" || f[0] == "ALTER") && f[1] == "USER"
}

// AuthorizeRead checks that user may SELECT from db.table (for readers
// outside the engine's own planning, such as the server's
// information_schema queries). The error is MySQL's 1142.
func (e *Engine) AuthorizeRead(ctx context.Context, user, db, table string) error {
	c := &sessionCatalog{s: &Session{e: e, user: user}}
	return c.authorizeRead(ctx, catalog.Normalize(db), catalog.Normalize(table))
}

// IsVisibleProcess reports whether viewer may see a statement of owner
// (SHOW PROCESSLIST): its own, or every one for a superuser.
func (e *Engine) IsVisibleProcess(viewer, owner string) bool {
	return viewer == owner || e.IsSuperuser(viewer)
}

// viewSecurity is a view's DEFINER and SECURITY_TYPE for
// information_schema.views.
func viewSecurity(t *catalog.Table) (definer, security string) {
	if d := t.Props[definerProp]; d != "" {
		return d + "@%", "DEFINER"
	}
	return "", "INVOKER"
}
