package catalogtest

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/tarnsql/tarn/catalog"
)

// RunAuthSuite runs the users, groups and grants conformance tests on
// stores that implement catalog.AuthStore. newStore returns a fresh,
// empty store; the suite closes it.
func RunAuthSuite(t *testing.T, newStore func(t *testing.T) catalog.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s catalog.AuthStore)
	}{
		{"Users", testUsers},
		{"Groups", testGroups},
		{"Grants", testGrants},
		{"DropCascades", testAuthDropCascades},
		{"ConcurrentGrants", testConcurrentGrants},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			defer s.Close()
			as, ok := s.(catalog.AuthStore)
			if !ok {
				t.Fatalf("%T does not implement catalog.AuthStore", s)
			}
			tc.fn(t, as)
		})
	}
}

func user(name, pw string) catalog.User {
	u := catalog.User{Name: name}
	u.SetPassword(pw)
	return u
}

func testUsers(t *testing.T, s catalog.AuthStore) {
	ctx := context.Background()
	a, err := s.Auth(ctx)
	must(t, err)
	if len(a.Users)+len(a.Groups)+len(a.Grants) != 0 {
		t.Fatalf("fresh store has auth data %+v", a)
	}
	must(t, s.CreateUser(ctx, user("alice", "s3cret"), false))
	mustErr(t, s.CreateUser(ctx, user("alice", "other"), false), catalog.ErrExists, "alice")
	must(t, s.CreateUser(ctx, user("alice", "other"), true)) // IF NOT EXISTS keeps the old password
	must(t, s.CreateUser(ctx, catalog.User{Name: "Bob", Host: "10.0.0.1"}, false))

	u, err := s.GetUser(ctx, "alice")
	must(t, err)
	h1 := sha1.Sum([]byte("s3cret"))
	h2 := sha1.Sum(h1[:])
	s1 := sha256.Sum256([]byte("s3cret"))
	s2 := sha256.Sum256(s1[:])
	if !bytes.Equal(u.NativeHash, h2[:]) || !bytes.Equal(u.Sha2Hash, s2[:]) {
		t.Fatalf("alice's hashes = %x / %x, want SHA1(SHA1(pw)) / SHA256(SHA256(pw))", u.NativeHash, u.Sha2Hash)
	}
	if u.Host != "%" || u.Created.IsZero() {
		t.Fatalf("alice = %+v, want host %% and a creation time", u)
	}
	// User names are case-sensitive.
	mustErr(t, func() error { _, err := s.GetUser(ctx, "bob"); return err }(), catalog.ErrNotFound, "bob")
	b, err := s.GetUser(ctx, "Bob")
	must(t, err)
	if b.Host != "10.0.0.1" || b.NativeHash != nil {
		t.Fatalf("Bob = %+v", b)
	}

	created := u.Created
	must(t, s.UpdateUser(ctx, user("alice", "new")))
	u, err = s.GetUser(ctx, "alice")
	must(t, err)
	n1 := sha1.Sum([]byte("new"))
	n2 := sha1.Sum(n1[:])
	if !bytes.Equal(u.NativeHash, n2[:]) || !u.Created.Equal(created) || u.Host != "%" {
		t.Fatalf("after UpdateUser alice = %+v", u)
	}
	mustErr(t, s.UpdateUser(ctx, user("nobody", "x")), catalog.ErrNotFound, "nobody")

	a, err = s.Auth(ctx)
	must(t, err)
	if len(a.Users) != 2 || a.Users[0].Name != "Bob" || a.Users[1].Name != "alice" {
		t.Fatalf("users = %+v, want Bob, alice", a.Users)
	}
	must(t, s.DropUser(ctx, "Bob", false))
	mustErr(t, s.DropUser(ctx, "Bob", false), catalog.ErrNotFound, "Bob")
	must(t, s.DropUser(ctx, "Bob", true))
	a, err = s.Auth(ctx)
	must(t, err)
	if len(a.Users) != 1 || a.User("alice") == nil || a.User("Bob") != nil {
		t.Fatalf("users after drop = %+v", a.Users)
	}
}

func testGroups(t *testing.T, s catalog.AuthStore) {
	ctx := context.Background()
	for _, n := range []string{"u1", "u2", "u3"} {
		must(t, s.CreateUser(ctx, user(n, "pw"), false))
	}
	must(t, s.CreateGroup(ctx, catalog.Group{Name: "Analysts", Members: []string{"u2", "u1", "u2"}}, false))
	mustErr(t, s.CreateGroup(ctx, catalog.Group{Name: "analysts"}, false), catalog.ErrExists, "analysts")
	must(t, s.CreateGroup(ctx, catalog.Group{Name: "analysts"}, true))
	mustErr(t, s.CreateGroup(ctx, catalog.Group{Name: "g2", Members: []string{"ghost"}}, false), catalog.ErrNotFound, "ghost")
	must(t, s.CreateGroup(ctx, catalog.Group{Name: "etl"}, false))

	a, err := s.Auth(ctx)
	must(t, err)
	if len(a.Groups) != 2 || a.Groups[0].Name != "analysts" || !reflect.DeepEqual(a.Groups[0].Members, []string{"u1", "u2"}) ||
		a.Groups[1].Name != "etl" || len(a.Groups[1].Members) != 0 {
		t.Fatalf("groups = %+v", a.Groups)
	}
	must(t, s.AlterGroup(ctx, "ANALYSTS", []string{"u3"}, []string{"u1"}))
	mustErr(t, s.AlterGroup(ctx, "analysts", nil, []string{"u1"}), catalog.ErrNotFound, "u1")
	mustErr(t, s.AlterGroup(ctx, "analysts", []string{"ghost"}, nil), catalog.ErrNotFound, "ghost")
	mustErr(t, s.AlterGroup(ctx, "nogroup", []string{"u1"}, nil), catalog.ErrNotFound, "nogroup")
	must(t, s.AlterGroup(ctx, "etl", []string{"u3", "u3"}, nil))
	a, err = s.Auth(ctx)
	must(t, err)
	if !reflect.DeepEqual(a.Groups[0].Members, []string{"u2", "u3"}) {
		t.Fatalf("analysts = %v, want [u2 u3]", a.Groups[0].Members)
	}
	if got := a.GroupsOf("u3"); !reflect.DeepEqual(got, []string{"analysts", "etl"}) {
		t.Fatalf("GroupsOf(u3) = %v", got)
	}
	if got := a.GroupsOf("u1"); len(got) != 0 {
		t.Fatalf("GroupsOf(u1) = %v, want none", got)
	}
	must(t, s.DropGroup(ctx, "etl", false))
	mustErr(t, s.DropGroup(ctx, "etl", false), catalog.ErrNotFound, "etl")
	must(t, s.DropGroup(ctx, "etl", true))
}

func testGrants(t *testing.T, s catalog.AuthStore) {
	ctx := context.Background()
	must(t, s.CreateUser(ctx, user("alice", "pw"), false))
	must(t, s.CreateUser(ctx, user("bob", "pw"), false))
	must(t, s.CreateGroup(ctx, catalog.Group{Name: "readers", Members: []string{"bob"}}, false))

	must(t, s.Grant(ctx, catalog.Grant{Grantee: "alice", Database: "Sales", Table: "*", Privs: catalog.PrivSelect}))
	must(t, s.Grant(ctx, catalog.Grant{Grantee: "alice", Database: "sales", Table: "*", Privs: catalog.PrivCreate}))
	must(t, s.Grant(ctx, catalog.Grant{Grantee: "alice", Database: "hr", Table: "Pay", Privs: catalog.PrivSelect}))
	must(t, s.Grant(ctx, catalog.Grant{Grantee: "READERS", Group: true, Database: "sales", Table: "orders", Privs: catalog.PrivSelect}))
	mustErr(t, s.Grant(ctx, catalog.Grant{Grantee: "ghost", Database: "*", Table: "*", Privs: catalog.PrivAll}), catalog.ErrNotFound, "ghost")
	mustErr(t, s.Grant(ctx, catalog.Grant{Grantee: "nogroup", Group: true, Database: "*", Table: "*", Privs: catalog.PrivAll}), catalog.ErrNotFound, "nogroup")

	a, err := s.Auth(ctx)
	must(t, err)
	want := []catalog.Grant{
		{Grantee: "alice", Database: "hr", Table: "pay", Privs: catalog.PrivSelect},
		{Grantee: "alice", Database: "sales", Table: "*", Privs: catalog.PrivSelect | catalog.PrivCreate},
		{Grantee: "readers", Group: true, Database: "sales", Table: "orders", Privs: catalog.PrivSelect},
	}
	if !reflect.DeepEqual(a.Grants, want) {
		t.Fatalf("grants =\n%+v\nwant\n%+v", a.Grants, want)
	}
	checks := []struct {
		user, db, table string
		want            catalog.Privileges
	}{
		{"alice", "sales", "orders", catalog.PrivSelect | catalog.PrivCreate},
		{"alice", "sales", "", catalog.PrivSelect | catalog.PrivCreate},
		{"alice", "hr", "pay", catalog.PrivSelect},
		{"alice", "hr", "other", 0},
		{"alice", "hr", "", 0},
		{"bob", "sales", "orders", catalog.PrivSelect},
		{"bob", "sales", "customers", 0},
		{"bob", "sales", "", 0},
	}
	for _, c := range checks {
		if got := a.Privileges(c.user, c.db, c.table); got != c.want {
			t.Errorf("Privileges(%s, %s, %s) = %v, want %v", c.user, c.db, c.table, got, c.want)
		}
	}
	if !a.AnyOn("alice", "hr") || !a.AnyOn("bob", "sales") || a.AnyOn("bob", "hr") {
		t.Errorf("AnyOn wrong")
	}

	must(t, s.Revoke(ctx, catalog.Grant{Grantee: "alice", Database: "sales", Table: "*", Privs: catalog.PrivSelect}))
	mustErr(t, s.Revoke(ctx, catalog.Grant{Grantee: "alice", Database: "sales", Table: "*", Privs: catalog.PrivSelect}), catalog.ErrNotFound, "alice")
	// A revoke on another scope does not touch db.* grants.
	mustErr(t, s.Revoke(ctx, catalog.Grant{Grantee: "alice", Database: "sales", Table: "orders", Privs: catalog.PrivCreate}), catalog.ErrNotFound, "alice")
	must(t, s.Revoke(ctx, catalog.Grant{Grantee: "alice", Database: "hr", Table: "pay", Privs: catalog.PrivAll}))
	a, err = s.Auth(ctx)
	must(t, err)
	want = []catalog.Grant{
		{Grantee: "alice", Database: "sales", Table: "*", Privs: catalog.PrivCreate},
		{Grantee: "readers", Group: true, Database: "sales", Table: "orders", Privs: catalog.PrivSelect},
	}
	if !reflect.DeepEqual(a.Grants, want) {
		t.Fatalf("grants after revoke =\n%+v\nwant\n%+v", a.Grants, want)
	}
	must(t, s.Grant(ctx, catalog.Grant{Grantee: "bob", Database: "*", Table: "*", Privs: catalog.PrivAll}))
	a, err = s.Auth(ctx)
	must(t, err)
	if a.Privileges("bob", "anything", "t") != catalog.PrivAll {
		t.Fatalf("*.* grant does not cover anything.t")
	}
}

func testAuthDropCascades(t *testing.T, s catalog.AuthStore) {
	ctx := context.Background()
	must(t, s.CreateUser(ctx, user("alice", "pw"), false))
	must(t, s.CreateUser(ctx, user("bob", "pw"), false))
	must(t, s.CreateGroup(ctx, catalog.Group{Name: "g", Members: []string{"alice", "bob"}}, false))
	must(t, s.Grant(ctx, catalog.Grant{Grantee: "alice", Database: "d", Table: "*", Privs: catalog.PrivSelect}))
	must(t, s.Grant(ctx, catalog.Grant{Grantee: "g", Group: true, Database: "d", Table: "t", Privs: catalog.PrivSelect}))
	must(t, s.DropUser(ctx, "alice", false))
	// A re-created alice starts with no grants and no groups.
	must(t, s.CreateUser(ctx, user("alice", "pw"), false))
	a, err := s.Auth(ctx)
	must(t, err)
	if len(a.GroupsOf("alice")) != 0 || a.Privileges("alice", "d", "x") != 0 {
		t.Fatalf("re-created alice inherited groups %v / privileges %v", a.GroupsOf("alice"), a.Privileges("alice", "d", "x"))
	}
	if !reflect.DeepEqual(a.GroupsOf("bob"), []string{"g"}) || a.Privileges("bob", "d", "t") != catalog.PrivSelect {
		t.Fatalf("bob lost his group grant")
	}
	must(t, s.DropGroup(ctx, "g", false))
	must(t, s.CreateGroup(ctx, catalog.Group{Name: "g", Members: []string{"bob"}}, false))
	a, err = s.Auth(ctx)
	must(t, err)
	if len(a.Grants) != 0 {
		t.Fatalf("grants survived their grantees: %+v", a.Grants)
	}
}

func testConcurrentGrants(t *testing.T, s catalog.AuthStore) {
	ctx := context.Background()
	must(t, s.CreateUser(ctx, user("u", "pw"), false))
	privs := []catalog.Privileges{catalog.PrivSelect, catalog.PrivInsert, catalog.PrivCreate, catalog.PrivDrop, catalog.PrivAlter}
	var wg sync.WaitGroup
	errs := make(chan error, len(privs)*4)
	for i := 0; i < 4; i++ {
		for _, p := range privs {
			wg.Add(1)
			go func(db string, p catalog.Privileges) {
				defer wg.Done()
				errs <- s.Grant(ctx, catalog.Grant{Grantee: "u", Database: db, Table: "*", Privs: p})
			}(fmt.Sprintf("d%d", i%2), p)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	a, err := s.Auth(ctx)
	must(t, err)
	if len(a.Grants) != 2 || a.Grants[0].Privs != catalog.PrivAll || a.Grants[1].Privs != catalog.PrivAll {
		t.Fatalf("concurrent grants lost updates: %+v", a.Grants)
	}
}
