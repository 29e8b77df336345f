package engine

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestInfoSchemaProcesslist(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	root := e.NewSession("root")
	mustExec(t, root, "CREATE USER alice IDENTIFIED BY 'pw'")
	alice := e.NewSession("alice")
	const q = "SELECT ID, USER, HOST, DB, COMMAND, TIME, STATE, INFO FROM information_schema.processlist ORDER BY ID"

	// No front end registered: no connections.
	if got := collect(t, root, q); len(got) != 0 {
		t.Fatalf("processlist without a lister = %v", got)
	}
	remove1 := e.AddProcessLister(func() []Process {
		return []Process{
			{ID: 7, User: "alice", Host: "10.0.0.1", DB: "tpch", Command: "Query", Time: 3 * time.Second, State: "executing", Info: "SELECT 1"},
			{ID: 2, User: "root", Host: "127.0.0.1", Command: "Sleep"},
		}
	})
	remove2 := e.AddProcessLister(func() []Process {
		return []Process{{ID: 5, User: "bob", Host: "h", Command: "Sleep"}}
	})
	want := []string{
		"2 root 127.0.0.1 NULL Sleep 0 (empty) NULL",
		"5 bob h NULL Sleep 0 (empty) NULL",
		"7 alice 10.0.0.1 tpch Query 3 executing SELECT 1",
	}
	if got := collect(t, root, q); !reflect.DeepEqual(got, want) {
		t.Fatalf("root's processlist =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A user sees only its own connections.
	if got := collect(t, alice, q); !reflect.DeepEqual(got, want[2:]) {
		t.Fatalf("alice's processlist = %v, want %v", got, want[2:])
	}
	remove2()
	remove2() // idempotent
	if got := collect(t, root, "SELECT ID FROM information_schema.PROCESSLIST ORDER BY ID"); !reflect.DeepEqual(got, []string{"2", "7"}) {
		t.Fatalf("after removing a lister: %v", got)
	}
	remove1()
	if got := e.Processes(""); len(got) != 0 {
		t.Fatalf("Processes after removing every lister = %v", got)
	}
}

func TestInfoSchemaPrivileges(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	root := e.NewSession("root")
	for _, q := range []string{
		"CREATE DATABASE secret",
		"CREATE USER 'alice'@'%' IDENTIFIED BY 'pw'",
		"CREATE USER 'bob'@'10.0.0.%' IDENTIFIED BY 'pw'",
		"CREATE GROUP analysts WITH USER alice",
		"GRANT SELECT ON tpch.nation TO alice",
		"GRANT SELECT, INSERT ON tpch.* TO bob",
		"GRANT SELECT ON tpch.region TO GROUP analysts",
	} {
		mustExec(t, root, q)
	}
	alice := e.NewSession("alice")
	bob := e.NewSession("bob")
	const tp = "SELECT GRANTEE, TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.table_privileges ORDER BY 1, 2, 3, 4"
	const sp = "SELECT GRANTEE, TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.schema_privileges ORDER BY 1, 2, 3"
	const up = "SELECT GRANTEE, PRIVILEGE_TYPE, IS_GRANTABLE FROM information_schema.user_privileges ORDER BY 1, 2"

	// A superuser sees every user's grants (group grants under each member).
	wantTP := []string{"'alice'@'%' tpch nation SELECT NO", "'alice'@'%' tpch region SELECT NO"}
	if got := collect(t, root, tp); !reflect.DeepEqual(got, wantTP) {
		t.Fatalf("root's table_privileges = %v, want %v", got, wantTP)
	}
	if got := collect(t, root, sp); !reflect.DeepEqual(got, []string{"'bob'@'10.0.0.%' tpch INSERT", "'bob'@'10.0.0.%' tpch SELECT"}) {
		t.Fatalf("root's schema_privileges = %v", got)
	}
	wantUP := []string{"'root'@'%' ALTER YES", "'root'@'%' CREATE YES", "'root'@'%' DROP YES", "'root'@'%' INSERT YES", "'root'@'%' PROCESS YES", "'root'@'%' SELECT YES"}
	if got := collect(t, root, up); !reflect.DeepEqual(got, wantUP) {
		t.Fatalf("root's user_privileges = %v, want %v", got, wantUP)
	}
	// A user sees only its own.
	if got := collect(t, alice, tp); !reflect.DeepEqual(got, wantTP) {
		t.Fatalf("alice's table_privileges = %v", got)
	}
	if got := collect(t, alice, sp); len(got) != 0 {
		t.Fatalf("alice sees schema privileges: %v", got)
	}
	if got := collect(t, alice, up); len(got) != 0 {
		t.Fatalf("alice sees user privileges: %v", got)
	}
	if got := collect(t, bob, tp); len(got) != 0 {
		t.Fatalf("bob's table_privileges = %v", got)
	}
	// ALL on *.* makes a superuser, listed privilege by privilege.
	mustExec(t, root, "GRANT ALL ON *.* TO bob")
	if got := collect(t, bob, "SELECT PRIVILEGE_TYPE FROM information_schema.user_privileges WHERE GRANTEE = '''bob''@''10.0.0.%''' ORDER BY 1"); !reflect.DeepEqual(got, []string{"ALTER", "CREATE", "DROP", "INSERT", "SELECT"}) {
		t.Fatalf("bob's global privileges = %v", got)
	}
}

func TestInfoSchemaGrantFiltering(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	root := e.NewSession("root")
	mustExec(t, root, "CREATE USER alice IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT SELECT ON tpch.nation TO alice")
	alice := e.NewSession("alice")
	// Every information_schema table that names tables: alice sees nation
	// and no trace of the other tpch tables.
	for _, q := range []string{
		"SELECT DISTINCT TABLE_NAME FROM information_schema.tables WHERE TABLE_SCHEMA = 'tpch'",
		"SELECT DISTINCT TABLE_NAME FROM information_schema.columns WHERE TABLE_SCHEMA = 'tpch'",
		"SELECT DISTINCT TABLE_NAME FROM information_schema.partitions WHERE TABLE_SCHEMA = 'tpch'",
	} {
		if got := collect(t, alice, q); !reflect.DeepEqual(got, []string{"nation"}) {
			t.Fatalf("%s as alice = %v, want [nation]", q, got)
		}
		if got := collect(t, root, q); len(got) != len(tpchTables) {
			t.Fatalf("%s as root = %d tables, want %d", q, len(got), len(tpchTables))
		}
	}
	// The MySQL-client tables exist, in SHOW TABLES too.
	names := collect(t, root, "SHOW TABLES FROM information_schema")
	for _, n := range []string{"character_sets", "collations", "engines", "key_column_usage", "processlist", "routines", "statistics", "table_privileges", "user_privileges"} {
		found := false
		for _, have := range names {
			found = found || strings.EqualFold(have, n)
		}
		if !found {
			t.Errorf("SHOW TABLES FROM information_schema lacks %s: %v", n, names)
		}
	}
	if got := collect(t, alice, "SELECT ENGINE, SUPPORT FROM information_schema.ENGINES"); !reflect.DeepEqual(got, []string{"tarn DEFAULT"}) {
		t.Fatalf("ENGINES = %v", got)
	}
	if got := collect(t, alice, "SELECT COUNT(*) FROM information_schema.collations WHERE CHARACTER_SET_NAME = 'utf8mb4'"); got[0] != "4" {
		t.Fatalf("utf8mb4 collations = %v", got)
	}
	if got := collect(t, alice, "SELECT COUNT(*) FROM information_schema.statistics"); got[0] != "0" {
		t.Fatalf("statistics = %v", got)
	}
	// TABLES carries each table's location and format.
	if got := collect(t, root, "SELECT ENGINE, FORMAT, LOCATION FROM information_schema.tables WHERE TABLE_SCHEMA = 'tpch' AND TABLE_NAME = 'nation'"); len(got) != 1 ||
		got[0] != "PARQUET parquet "+filepath.Join(tpchDir, "nation") {
		t.Fatalf("nation's engine, format and location = %v, want PARQUET parquet %s", got, filepath.Join(tpchDir, "nation"))
	}
	if got := InfoSchemaTables(); len(got) == 0 || got[0].Database != InfoSchemaDatabase {
		t.Fatalf("InfoSchemaTables = %v", got)
	}
}
