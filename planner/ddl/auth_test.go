package ddl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseAuth(t *testing.T) {
	u := func(n, h string) UserName { return UserName{Name: n, Host: h} }
	for _, tc := range []struct {
		sql  string
		want Statement
	}{
		{"CREATE USER 'alice'@'%' IDENTIFIED BY 's3cret'", &CreateUser{User: u("alice", "%"), Password: "s3cret", HasPassword: true}},
		{"create user if not exists bob identified by 'x'", &CreateUser{User: u("bob", ""), IfNotExists: true, Password: "x", HasPassword: true}},
		{"CREATE USER carol PASSWORD 'pw'", &CreateUser{User: u("carol", ""), Password: "pw", HasPassword: true}},
		{"CREATE USER `dave`@localhost IDENTIFIED WITH caching_sha2_password BY 'pw'", &CreateUser{User: u("dave", "localhost"), Password: "pw", HasPassword: true}},
		{"CREATE USER eve", &CreateUser{User: u("eve", "")}},
		{"ALTER USER 'alice' IDENTIFIED BY 'new'", &AlterUser{User: u("alice", ""), Password: "new"}},
		{"ALTER USER IF EXISTS alice PASSWORD 'new'", &AlterUser{User: u("alice", ""), IfExists: true, Password: "new"}},
		{"DROP USER 'alice'@'%', bob", &DropUser{Users: []UserName{u("alice", "%"), u("bob", "")}}},
		{"DROP USER IF EXISTS alice", &DropUser{Users: []UserName{u("alice", "")}, IfExists: true}},
		{"CREATE GROUP analysts", &CreateGroup{Name: "analysts"}},
		{"CREATE GROUP analysts WITH USER alice, 'bob'", &CreateGroup{Name: "analysts", Members: []string{"alice", "bob"}}},
		{"ALTER GROUP analysts ADD USER carol, dave", &AlterGroup{Name: "analysts", IsAdd: true, Add: []string{"carol", "dave"}}},
		{"ALTER GROUP analysts DROP USER carol", &AlterGroup{Name: "analysts", Drop: []string{"carol"}}},
		{"DROP GROUP IF EXISTS analysts", &DropGroup{Name: "analysts", IfExists: true}},
		{"GRANT SELECT ON sales.* TO 'alice'@'%'", &GrantStmt{Privileges: []string{"SELECT"}, Database: "sales", Table: "*", Grantees: []Grantee{{User: u("alice", "%")}}}},
		{"GRANT ALL PRIVILEGES ON *.* TO bob", &GrantStmt{Privileges: []string{"ALL"}, Database: "*", Table: "*", Grantees: []Grantee{{User: u("bob", "")}}}},
		{"grant select, insert on table sales.orders to group analysts, alice", &GrantStmt{Privileges: []string{"SELECT", "INSERT"}, Database: "sales", Table: "orders",
			Grantees: []Grantee{{Group: "analysts"}, {User: u("alice", "")}}}},
		{"GRANT CREATE, DROP, ALTER ON orders TO alice", &GrantStmt{Privileges: []string{"CREATE", "DROP", "ALTER"}, Table: "orders", Grantees: []Grantee{{User: u("alice", "")}}}},
		{"GRANT SELECT ON * TO alice", &GrantStmt{Privileges: []string{"SELECT"}, Table: "*", Grantees: []Grantee{{User: u("alice", "")}}}},
		{"REVOKE SELECT ON sales.* FROM 'alice'", &GrantStmt{Revoke: true, Privileges: []string{"SELECT"}, Database: "sales", Table: "*", Grantees: []Grantee{{User: u("alice", "")}}}},
		{"REVOKE ALL ON *.* FROM GROUP g", &GrantStmt{Revoke: true, Privileges: []string{"ALL"}, Database: "*", Table: "*", Grantees: []Grantee{{Group: "g"}}}},
		{"SHOW GRANTS", &ShowGrants{}},
		{"SHOW GRANTS FOR CURRENT_USER()", &ShowGrants{}},
		{"SHOW GRANTS FOR 'alice'@'%'", &ShowGrants{User: &UserName{Name: "alice", Host: "%"}}},
	} {
		if !IsCatalogStatement(tc.sql) {
			t.Errorf("%s: not a catalog statement", tc.sql)
		}
		got, err := Parse(tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.sql, got, tc.want)
		}
	}
}

func TestParseAuthErrors(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"CREATE USER", "expected a user name"},
		{"ALTER USER alice", "expected IDENTIFIED BY 'password' or PASSWORD 'password'"},
		{"GRANT UPDATE ON d.* TO alice", "expected a privilege"},
		{"GRANT SELECT d.* TO alice", "expected ON"},
		{"GRANT SELECT ON d.* alice", "expected TO"},
		{"REVOKE SELECT ON d.* TO alice", "expected FROM"},
		{"GRANT SELECT ON *.t TO alice", "expected * after *."},
		{"ALTER GROUP g RENAME TO h", "expected ADD USER or DROP USER"},
		{"CREATE USER 'a'@", "expected a host after @"},
		{"CREATE USER a IDENTIFIED BY x", "expected password as a quoted string"},
	} {
		_, err := Parse(tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.sql, err, tc.want)
		}
	}
}
