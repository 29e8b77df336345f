package catalog

// Users, groups and grants: the security model the engine enforces and
// the server authenticates against. Stores that keep it implement
// AuthStore (both the bbolt and the PostgreSQL store do).

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"sort"
	"strings"
	"time"
)

// User is a login. Passwords are never stored: NativeHash is what
// mysql_native_password verifies against (SHA1(SHA1(password)), the
// value MySQL keeps in mysql.user) and Sha2Hash what caching_sha2_password
// fast authentication verifies against (SHA256(SHA256(password)), the
// value MySQL keeps in its authentication cache). User names are
// case-sensitive, as in MySQL; one user per name (Host records the host
// part given at creation, '%' when none).
type User struct {
	Name       string    `json:"name"`
	Host       string    `json:"host"`
	NativeHash []byte    `json:"native_hash,omitempty"`
	Sha2Hash   []byte    `json:"sha2_hash,omitempty"`
	Created    time.Time `json:"created"`
}

// SetPassword stores the hashes of password (an empty password stores
// no hashes: only an empty password then authenticates).
func (u *User) SetPassword(password string) {
	if password == "" {
		u.NativeHash, u.Sha2Hash = nil, nil
		return
	}
	s1 := sha1.Sum([]byte(password))
	s2 := sha1.Sum(s1[:])
	u.NativeHash = s2[:]
	h1 := sha256.Sum256([]byte(password))
	h2 := sha256.Sum256(h1[:])
	u.Sha2Hash = h2[:]
}

// Group is a named set of users (Redshift's user groups: grants to a
// group apply to its members, and WLM routes queries on them). Group
// names fold to lower case; Members are sorted user names.
type Group struct {
	Name    string    `json:"name"`
	Members []string  `json:"members,omitempty"`
	Created time.Time `json:"created"`
}

// Privileges is a set of privileges.
type Privileges uint32

// Privileges.
const (
	PrivSelect Privileges = 1 << iota
	PrivInsert
	PrivCreate
	PrivDrop
	PrivAlter

	PrivAll = PrivSelect | PrivInsert | PrivCreate | PrivDrop | PrivAlter
)

var privNames = []struct {
	p    Privileges
	name string
}{{PrivSelect, "SELECT"}, {PrivInsert, "INSERT"}, {PrivCreate, "CREATE"}, {PrivDrop, "DROP"}, {PrivAlter, "ALTER"}}

// ParsePrivilege maps a privilege name (SELECT, INSERT, CREATE, DROP,
// ALTER, ALL, ALL PRIVILEGES) to its bit; ok is false for other names.
func ParsePrivilege(name string) (Privileges, bool) {
	n := strings.ToUpper(strings.Join(strings.Fields(name), " "))
	if n == "ALL" || n == "ALL PRIVILEGES" {
		return PrivAll, true
	}
	for _, p := range privNames {
		if p.name == n {
			return p.p, true
		}
	}
	return 0, false
}

// Names lists the privileges in MySQL's order; PrivAll is "ALL PRIVILEGES".
func (p Privileges) Names() []string {
	if p&PrivAll == PrivAll {
		return []string{"ALL PRIVILEGES"}
	}
	var out []string
	for _, n := range privNames {
		if p&n.p != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

func (p Privileges) String() string { return strings.Join(p.Names(), ", ") }

// Wildcard is the Database or Table of a grant on every database (*.*)
// or every table of a database (db.*).
const Wildcard = "*"

// Grant is a set of privileges on one scope (*.*, db.* or db.table)
// held by a user or a group. Database and Table fold to lower case.
type Grant struct {
	Grantee  string     `json:"grantee"`
	Group    bool       `json:"group,omitempty"`
	Database string     `json:"database"`
	Table    string     `json:"table"`
	Privs    Privileges `json:"privs"`
}

// Covers reports whether the grant's scope includes db.table (both
// already folded).
func (g *Grant) Covers(db, table string) bool {
	return g.Database == Wildcard || g.Database == db && (g.Table == Wildcard || g.Table == table)
}

// AuthData is a consistent snapshot of every user, group and grant.
type AuthData struct {
	Users  []User
	Groups []Group
	Grants []Grant
}

// User finds a user by name (nil when there is none).
func (a *AuthData) User(name string) *User {
	for i := range a.Users {
		if a.Users[i].Name == name {
			return &a.Users[i]
		}
	}
	return nil
}

// GroupsOf lists the groups user belongs to, sorted.
func (a *AuthData) GroupsOf(user string) []string {
	var out []string
	for _, g := range a.Groups {
		for _, m := range g.Members {
			if m == user {
				out = append(out, g.Name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// Privileges returns the privileges user holds on db.table, directly or
// through its groups (table "" asks about the database as a whole: only
// *.* and db.* grants count).
func (a *AuthData) Privileges(user, db, table string) Privileges {
	groups := a.GroupsOf(user)
	var p Privileges
	for i := range a.Grants {
		g := &a.Grants[i]
		if g.Group {
			if !contains(groups, g.Grantee) {
				continue
			}
		} else if g.Grantee != user {
			continue
		}
		if table == "" {
			if g.Database == Wildcard || g.Database == db && g.Table == Wildcard {
				p |= g.Privs
			}
		} else if g.Covers(db, table) {
			p |= g.Privs
		}
	}
	return p
}

// AnyOn reports whether user holds any privilege on db or on a table of
// it (what SHOW DATABASES / USE need).
func (a *AuthData) AnyOn(user, db string) bool {
	groups := a.GroupsOf(user)
	for i := range a.Grants {
		g := &a.Grants[i]
		if g.Group && !contains(groups, g.Grantee) || !g.Group && g.Grantee != user {
			continue
		}
		if g.Privs != 0 && (g.Database == Wildcard || g.Database == db) {
			return true
		}
	}
	return false
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// AuthStore persists users, groups and grants. Every method is atomic.
// Errors wrap ErrNotFound / ErrExists with the object's name.
type AuthStore interface {
	// CreateUser adds a user; an existing name is ErrExists unless
	// ifNotExists (then nothing changes).
	CreateUser(ctx context.Context, u User, ifNotExists bool) error
	// UpdateUser replaces an existing user's host and hashes.
	UpdateUser(ctx context.Context, u User) error
	// DropUser removes a user with its grants and group memberships.
	DropUser(ctx context.Context, name string, ifExists bool) error
	// GetUser returns one user.
	GetUser(ctx context.Context, name string) (*User, error)

	// CreateGroup adds a group; every member must be an existing user.
	CreateGroup(ctx context.Context, g Group, ifNotExists bool) error
	// AlterGroup adds and removes members (added users must exist;
	// removing a non-member is ErrNotFound).
	AlterGroup(ctx context.Context, name string, add, drop []string) error
	// DropGroup removes a group and its grants.
	DropGroup(ctx context.Context, name string, ifExists bool) error

	// Grant adds g.Privs to the grantee's privileges on g's scope; the
	// grantee (user or group) must exist.
	Grant(ctx context.Context, g Grant) error
	// Revoke removes g.Privs from the grantee's grant on exactly g's
	// scope (a grant left with no privilege is deleted); ErrNotFound when
	// the grantee holds none of them there.
	Revoke(ctx context.Context, g Grant) error

	// Auth returns every user, group and grant, from one snapshot, sorted
	// (users and groups by name; grants by grantee, database, table).
	Auth(ctx context.Context) (*AuthData, error)
}

// NormalizeGrant folds a grant's names the way stores key them.
func NormalizeGrant(g Grant) Grant {
	if g.Group {
		g.Grantee = Normalize(g.Grantee)
	}
	if g.Database != Wildcard {
		g.Database = Normalize(g.Database)
	}
	if g.Table != Wildcard {
		g.Table = Normalize(g.Table)
	}
	return g
}

// SortAuth orders an AuthData the way Auth documents.
func SortAuth(a *AuthData) {
	sort.Slice(a.Users, func(i, j int) bool { return a.Users[i].Name < a.Users[j].Name })
	sort.Slice(a.Groups, func(i, j int) bool { return a.Groups[i].Name < a.Groups[j].Name })
	for i := range a.Groups {
		sort.Strings(a.Groups[i].Members)
	}
	sort.Slice(a.Grants, func(i, j int) bool {
		x, y := a.Grants[i], a.Grants[j]
		if x.Group != y.Group {
			return !x.Group
		}
		if x.Grantee != y.Grantee {
			return x.Grantee < y.Grantee
		}
		if x.Database != y.Database {
			return x.Database < y.Database
		}
		return x.Table < y.Table
	})
}

// Superuser reports whether user holds every privilege on *.* (directly
// or through a group): tarn treats such users like root.
func (a *AuthData) Superuser(user string) bool {
	if a.User(user) == nil {
		return false
	}
	groups := a.GroupsOf(user)
	var p Privileges
	for i := range a.Grants {
		g := &a.Grants[i]
		if g.Database != Wildcard || g.Group && !contains(groups, g.Grantee) || !g.Group && g.Grantee != user {
			continue
		}
		p |= g.Privs
	}
	return p&PrivAll == PrivAll
}
