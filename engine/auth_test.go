package engine

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tarnsql/tarn/catalog/boltstore"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

// wantErr runs sql and checks the MySQL error code and a message part.
func wantErr(t *testing.T, s *Session, sql string, code int, msg string) {
	t.Helper()
	err := s.Exec(context.Background(), sql)
	if err == nil {
		t.Fatalf("%s (as %s): succeeded, want error %d %q", sql, s.User(), code, msg)
	}
	if c, _ := ErrorCode(err); c != code || !strings.Contains(err.Error(), msg) {
		t.Fatalf("%s (as %s): %s, want error %d containing %q", sql, s.User(), errText(err), code, msg)
	}
}

func TestAccountStatements(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	root := e.NewSession("")
	if root.User() != RootUser {
		t.Fatalf("default session user = %q, want root", root.User())
	}
	mustExec(t, root, "CREATE USER 'alice'@'%' IDENTIFIED BY 'alice-pw-123'")
	mustExec(t, root, "CREATE USER IF NOT EXISTS alice IDENTIFIED BY 'other'")
	mustExec(t, root, "CREATE USER bob PASSWORD 'bob-pw'")
	wantErr(t, root, "CREATE USER alice IDENTIFIED BY 'x'", CodeOperationFailed, "Operation CREATE USER failed for 'alice'@'%'")
	wantErr(t, root, "CREATE USER root IDENTIFIED BY 'x'", CodeOperationFailed, "root is built in")
	wantErr(t, root, "DROP USER root", CodeOperationFailed, "cannot be dropped")
	wantErr(t, root, "DROP USER nobody", CodeOperationFailed, "Operation DROP USER failed for 'nobody'@'%'")
	mustExec(t, root, "DROP USER IF EXISTS nobody")

	mustExec(t, root, "CREATE GROUP analysts WITH USER alice")
	mustExec(t, root, "ALTER GROUP analysts ADD USER bob")
	wantErr(t, root, "ALTER GROUP analysts ADD USER ghost", CodeNoUser, "ghost")
	wantErr(t, root, "CREATE GROUP analysts", CodeOperationFailed, "the group exists")
	if g := e.Groups("bob"); !reflect.DeepEqual(g, []string{"analysts"}) {
		t.Fatalf("Groups(bob) = %v", g)
	}
	mustExec(t, root, "GRANT SELECT ON tpch.* TO 'alice'@'%'")
	mustExec(t, root, "GRANT CREATE, DROP ON tpch.* TO alice")
	mustExec(t, root, "USE tpch")
	mustExec(t, root, "GRANT SELECT ON nation TO GROUP analysts")
	wantErr(t, root, "GRANT SELECT ON tpch.* TO ghost", CodeNoUser, "'ghost'@'%' does not exist")
	wantErr(t, root, "GRANT SELECT ON tpch.* TO GROUP nogroup", CodeNoUser, "GROUP nogroup does not exist")

	got := collect(t, root, "SHOW GRANTS FOR alice")
	want := []string{
		"GRANT USAGE ON *.* TO `alice`@`%`",
		"GRANT SELECT, CREATE, DROP ON `tpch`.* TO `alice`@`%`",
		"GRANT SELECT ON `tpch`.`nation` TO GROUP `analysts`",
		"-- member of group(s): analysts",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("SHOW GRANTS FOR alice =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := collect(t, root, "SHOW GRANTS"); !reflect.DeepEqual(got, []string{"GRANT ALL PRIVILEGES ON *.* TO `root`@`%` WITH GRANT OPTION"}) {
		t.Fatalf("SHOW GRANTS (root) = %v", got)
	}
	alice := e.NewSession("alice")
	if got := collect(t, alice, "SHOW GRANTS"); len(got) != 4 || got[1] != want[1] {
		t.Fatalf("alice's SHOW GRANTS = %v", got)
	}
	wantErr(t, alice, "SHOW GRANTS FOR bob", CodeSpecificDenied, "not a superuser")
	wantErr(t, alice, "CREATE USER carol IDENTIFIED BY 'x'", CodeSpecificDenied, "CREATE USER privilege")
	wantErr(t, alice, "GRANT SELECT ON *.* TO alice", CodeSpecificDenied, "GRANT OPTION")
	wantErr(t, alice, "ALTER USER bob IDENTIFIED BY 'x'", CodeSpecificDenied, "CREATE USER")
	mustExec(t, alice, "ALTER USER alice IDENTIFIED BY 'new-alice-pw'") // own password

	mustExec(t, root, "REVOKE CREATE ON tpch.* FROM alice")
	wantErr(t, root, "REVOKE CREATE ON tpch.* FROM alice", CodeNoSuchGrant, "no such grant")
	wantErr(t, root, "REVOKE SELECT ON tpch.* FROM ghost", CodeNoUser, "does not exist")
	if got := collect(t, root, "SHOW GRANTS FOR 'alice'@'%'"); got[1] != "GRANT SELECT, DROP ON `tpch`.* TO `alice`@`%`" {
		t.Fatalf("after REVOKE: %v", got)
	}
	mustExec(t, root, "ALTER GROUP analysts DROP USER alice")
	if g := e.Groups("alice"); len(g) != 0 {
		t.Fatalf("Groups(alice) after DROP USER from group = %v", g)
	}
	mustExec(t, root, "DROP GROUP analysts")
	wantErr(t, root, "DROP GROUP analysts", CodeOperationFailed, "no such group")
	mustExec(t, root, "DROP GROUP IF EXISTS analysts")

	// The password is stored only as hashes.
	u, err := e.User(context.Background(), "alice")
	if err != nil || len(u.NativeHash) != 20 || len(u.Sha2Hash) != 32 {
		t.Fatalf("stored alice = %+v, %v", u, err)
	}
	mustExec(t, root, "DROP USER alice, bob")
	wantErr(t, root, "SHOW GRANTS FOR alice", CodeNoSuchGrant, "no such grant defined for user 'alice'")
	dataDir := e.Config().DataDir
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dataDir, boltstore.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"alice-pw-123", "new-alice-pw", "bob-pw"} {
		if bytes.Contains(raw, []byte(pw)) {
			t.Fatalf("catalog.db holds the plaintext password %q", pw)
		}
	}
}

func TestAuthorizationReads(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	ctx := context.Background()
	root := e.NewSession("root")
	// No accounts yet: every session may do everything (embedded mode).
	anyone := e.NewSession("somebody")
	mustExec(t, anyone, "SELECT count(*) FROM tpch.region")

	mustExec(t, root, "CREATE DATABASE secret")
	mustExec(t, root, "CREATE USER alice IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT SELECT ON tpch.nation TO alice")
	alice := e.NewSession("alice")
	if got := collect(t, alice, "SELECT count(*) FROM tpch.nation"); got[0] != "25" {
		t.Fatalf("alice count(nation) = %v", got)
	}
	wantErr(t, alice, "SELECT * FROM tpch.region", CodeTableAccessDenied, "SELECT command denied to user 'alice'@'%' for table 'region'")
	// A missing table is refused the same way: no trace of what exists.
	wantErr(t, alice, "SELECT * FROM tpch.no_such_table", CodeTableAccessDenied, "for table 'no_such_table'")
	wantErr(t, alice, "SELECT n_name FROM tpch.nation JOIN tpch.region ON n_regionkey = r_regionkey", CodeTableAccessDenied, "'region'")
	wantErr(t, alice, "SELECT * FROM tpch.nation WHERE n_regionkey IN (SELECT r_regionkey FROM tpch.region)", CodeTableAccessDenied, "'region'")
	wantErr(t, alice, "EXPLAIN SELECT * FROM tpch.region", CodeTableAccessDenied, "'region'")
	wantErr(t, alice, "DESCRIBE tpch.region", CodeTableAccessDenied, "'region'")
	wantErr(t, alice, "SHOW CREATE TABLE tpch.region", CodeTableAccessDenied, "'region'")
	wantErr(t, alice, "USE secret", CodeDBAccessDenied, "Access denied for user 'alice'@'%' to database 'secret'")
	mustExec(t, alice, "USE tpch")
	if got := collect(t, alice, "SHOW TABLES"); !reflect.DeepEqual(got, []string{"nation"}) {
		t.Fatalf("alice SHOW TABLES = %v", got)
	}
	if got := collect(t, alice, "SHOW DATABASES"); !reflect.DeepEqual(got, []string{"information_schema", "system", "tpch"}) {
		t.Fatalf("alice SHOW DATABASES = %v", got)
	}
	// information_schema: no trace of other tables or databases.
	if got := collect(t, alice, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'tpch'"); !reflect.DeepEqual(got, []string{"nation"}) {
		t.Fatalf("alice information_schema.tables = %v", got)
	}
	if got := collect(t, alice, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'region'"); got[0] != "0" {
		t.Fatalf("alice sees region's columns: %v", got)
	}
	if got := collect(t, alice, "SELECT schema_name FROM information_schema.schemata ORDER BY 1"); !reflect.DeepEqual(got, []string{"information_schema", "system", "tpch"}) {
		t.Fatalf("alice schemata = %v", got)
	}
	if got := collect(t, alice, "SELECT count(*) FROM system.tables WHERE table_name = 'region'"); got[0] != "0" {
		t.Fatalf("alice sees region in system.tables: %v", got)
	}
	if got := collect(t, root, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'tpch'"); got[0] != "8" {
		t.Fatalf("root information_schema.tables tpch = %v", got)
	}
	// query_history: alice sees her own statements only; root sees all.
	rows := collect(t, alice, "SELECT DISTINCT user_name FROM system.query_history")
	if !reflect.DeepEqual(rows, []string{"alice"}) {
		t.Fatalf("alice's query_history users = %v", rows)
	}
	rows = collect(t, root, "SELECT DISTINCT user_name FROM system.query_history ORDER BY 1")
	if !reflect.DeepEqual(rows, []string{"alice", "root", "somebody"}) {
		t.Fatalf("root's query_history users = %v", rows)
	}
	// Once accounts exist, an unknown session user holds nothing.
	wantErr(t, e.NewSession("somebody"), "SELECT count(*) FROM tpch.region", CodeTableAccessDenied, "'somebody'@'%'")

	// Group grants apply to members; ALL ON *.* makes a superuser.
	mustExec(t, root, "CREATE GROUP g WITH USER alice")
	mustExec(t, root, "GRANT SELECT ON tpch.region TO GROUP g")
	mustExec(t, alice, "SELECT count(*) FROM tpch.region")
	mustExec(t, root, "CREATE USER admin IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT ALL ON *.* TO admin")
	admin := e.NewSession("admin")
	mustExec(t, admin, "CREATE USER carol IDENTIFIED BY 'pw'")
	if !e.IsSuperuser("admin") || e.IsSuperuser("alice") {
		t.Fatal("IsSuperuser wrong for admin / alice")
	}
	if got := collect(t, admin, "SELECT count(DISTINCT user_name) > 1 FROM system.query_history"); got[0] != "true" {
		t.Fatalf("superuser admin sees only own history: %v", got)
	}
	_ = ctx
}

func TestAuthorizationDDL(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	root := e.NewSession("root")
	data := t.TempDir()
	writeCSV(t, data, "t/a.csv", "1\n2\n")
	mustExec(t, root, "CREATE USER dev IDENTIFIED BY 'pw'")
	dev := e.NewSession("dev")
	create := "CREATE EXTERNAL TABLE tpch.t (a INT) STORED AS TEXTFILE LOCATION '" + filepath.Join(data, "t") + "'"
	wantErr(t, dev, create, CodeTableAccessDenied, "CREATE command denied to user 'dev'@'%' for table 't'")
	wantErr(t, dev, "CREATE DATABASE play", CodeDBAccessDenied, "to database 'play'")
	mustExec(t, root, "GRANT CREATE ON tpch.* TO dev")
	mustExec(t, dev, create)
	// CREATE alone does not let dev read, alter or drop.
	wantErr(t, dev, "SELECT * FROM tpch.t", CodeTableAccessDenied, "SELECT command denied")
	wantErr(t, dev, "ALTER TABLE tpch.t SET TBLPROPERTIES ('x'='y')", CodeTableAccessDenied, "ALTER command denied")
	wantErr(t, dev, "DROP TABLE tpch.t", CodeTableAccessDenied, "DROP command denied")
	mustExec(t, root, "GRANT SELECT, ALTER, DROP ON tpch.t TO dev")
	if got := collect(t, dev, "SELECT sum(a) FROM tpch.t"); got[0] != "3" {
		t.Fatalf("sum = %v", got)
	}
	mustExec(t, dev, "ALTER TABLE tpch.t SET TBLPROPERTIES ('x'='y')")
	mustExec(t, dev, "DROP TABLE tpch.t")
	wantErr(t, dev, "CREATE CONNECTION pg TYPE postgres URL 'postgres://x@127.0.0.1/db'", CodeSpecificDenied, "superuser")
	wantErr(t, dev, "CREATE QUEUE etl WITH (concurrency = 2)", CodeSpecificDenied, "not a superuser")
}

func TestViewDefinerRights(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	root := e.NewSession("root")
	mustExec(t, root, "CREATE USER owner IDENTIFIED BY 'pw'")
	mustExec(t, root, "CREATE USER reader IDENTIFIED BY 'pw'")
	mustExec(t, root, "GRANT SELECT ON tpch.region TO owner")
	mustExec(t, root, "GRANT CREATE ON tpch.* TO owner")
	owner, reader := e.NewSession("owner"), e.NewSession("reader")
	// Creating a view needs SELECT on what it reads.
	wantErr(t, owner, "CREATE VIEW tpch.nv AS SELECT n_name FROM tpch.nation", CodeTableAccessDenied, "'nation'")
	mustExec(t, owner, "CREATE VIEW tpch.rv AS SELECT r_name FROM tpch.region WHERE r_regionkey < 2")
	mustExec(t, root, "CREATE VIEW tpch.root_v AS SELECT count(*) AS c FROM tpch.nation")

	wantErr(t, reader, "SELECT * FROM tpch.rv", CodeTableAccessDenied, "'rv'")
	mustExec(t, root, "GRANT SELECT ON tpch.rv TO reader")
	mustExec(t, root, "GRANT SELECT ON tpch.root_v TO reader")
	if got := collect(t, reader, "SELECT r_name FROM tpch.rv ORDER BY 1"); !reflect.DeepEqual(got, []string{"AFRICA", "AMERICA"}) {
		t.Fatalf("reader through owner's view = %v", got)
	}
	if got := collect(t, reader, "SELECT c FROM tpch.root_v"); got[0] != "25" {
		t.Fatalf("reader through root's view = %v", got)
	}
	// The view does not open the base table to the reader.
	wantErr(t, reader, "SELECT * FROM tpch.region", CodeTableAccessDenied, "'region'")
	wantErr(t, reader, "SELECT * FROM tpch.rv, tpch.region", CodeTableAccessDenied, "'region'")
	// The definer's rights are checked at read time.
	mustExec(t, root, "REVOKE SELECT ON tpch.region FROM owner")
	wantErr(t, reader, "SELECT * FROM tpch.rv", CodeTableAccessDenied, "SELECT command denied to user 'owner'@'%' for table 'region'")
	mustExec(t, root, "DROP USER owner")
	wantErr(t, reader, "SELECT * FROM tpch.rv", CodeNoDefiner, "definer ('owner'@'%') does not exist")
}

func TestAllowedLocations(t *testing.T) {
	base := t.TempDir()
	allowed := filepath.Join(base, "lake")
	outside := filepath.Join(base, "private")
	writeCSV(t, allowed, "t/a.csv", "1\n")
	writeCSV(t, allowed, "p/dt=1/a.csv", "1\n")
	writeCSV(t, outside, "t/a.csv", "1\n")
	if err := os.Symlink(filepath.Join(outside, "t"), filepath.Join(allowed, "escape")); err != nil {
		t.Fatal(err)
	}
	e, _ := testEngine(t, Config{Slices: 1, AllowedLocations: []string{allowed, "s3://bucket/data/"}})
	s := e.NewSession("root")
	mustExec(t, s, "CREATE DATABASE d")
	mustExec(t, s, "USE d")
	create := func(name, loc string) string {
		return "CREATE EXTERNAL TABLE " + name + " (a INT) STORED AS TEXTFILE LOCATION '" + loc + "'"
	}
	mustExec(t, s, create("ok", filepath.Join(allowed, "t")))
	for _, loc := range []string{
		"/etc",
		outside + "/t",
		allowed + "/../private/t",
		allowed + "/t/../../private/t",
		filepath.Join(allowed, "escape"), // symlink out of the allowed root
		allowed + "x",                    // a sibling sharing the prefix
		"file://" + outside + "/t",
		"s3://other/data/",
		"s3://bucket/datax/",
		"s3://bucket/data/../secret/",
	} {
		wantErr(t, s, create("bad", loc), CodeDBAccessDenied, "storage.allowed_locations")
	}
	wantErr(t, s, create("bad", "/etc"), CodeDBAccessDenied, "table bad location '/etc' (/etc/) is outside the allowed storage locations")
	wantErr(t, s, "ALTER TABLE ok SET LOCATION '"+outside+"/t'", CodeDBAccessDenied, "storage.allowed_locations")
	mustExec(t, s, "ALTER TABLE ok SET LOCATION '"+allowed+"/t/'")
	mustExec(t, s, "CREATE EXTERNAL TABLE p (a INT) PARTITIONED BY (dt STRING) STORED AS TEXTFILE LOCATION '"+allowed+"/p'")
	wantErr(t, s, "ALTER TABLE p ADD PARTITION (dt='2') LOCATION '"+outside+"/t'", CodeDBAccessDenied, "partition location")
	mustExec(t, s, "ALTER TABLE p ADD PARTITION (dt='1') LOCATION '"+allowed+"/p/dt=1'")
	wantErr(t, s, "CREATE DATABASE d2 LOCATION '/var'", CodeDBAccessDenied, "database d2 location")
	wantErr(t, s, "CRAWL '"+outside+"' INTO DATABASE d", CodeDBAccessDenied, "crawl location")
	wantErr(t, s, "CREATE EXTERNAL TABLE pp (a INT) PARTITIONED BY (dt STRING) STORED AS TEXTFILE LOCATION '"+allowed+"/p' "+
		"TBLPROPERTIES ('projection.enabled'='true', 'projection.dt.type'='integer', 'projection.dt.range'='1,2', 'storage.location.template'='/etc/${dt}/')",
		CodeDBAccessDenied, "storage.location.template")

	// The server's default: the data directory only.
	e.SetAllowedLocations([]string{e.Config().DataDir})
	wantErr(t, s, create("bad2", filepath.Join(allowed, "t")), CodeDBAccessDenied, "storage.allowed_locations")
}

func TestCanonicalLocation(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"s3://Bucket/a//b/./c", "s3://Bucket/a/b/c/"},
		{"S3://b", "s3://b/"},
		{"/x/y/../z", "/x/z/"},
		{"file:///x/y", "/x/y/"},
	} {
		got, err := canonicalLocation(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("canonicalLocation(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	if _, err := canonicalLocation("s3://b/a/../c"); err == nil {
		t.Error("'..' in a URL accepted")
	}
}

func TestViewSecurityMetadata(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	s := e.NewSession("root")
	mustExec(t, s, "CREATE VIEW tpch.rv AS SELECT r_name FROM tpch.region")
	if got := collect(t, s, "SELECT definer, security_type FROM information_schema.views WHERE table_name = 'rv'"); !reflect.DeepEqual(got, []string{"root@% DEFINER"}) {
		t.Fatalf("information_schema.views = %v", got)
	}
}

// BenchmarkAuthorizeRead is the per-table cost of authorization for a
// user with grants (the accounts come from the engine's cache).
func BenchmarkAuthorizeRead(b *testing.B) {
	e, err := Open(context.Background(), Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	root := e.NewSession("root")
	ctx := context.Background()
	for _, q := range []string{"CREATE USER u IDENTIFIED BY 'pw'", "CREATE GROUP g WITH USER u", "GRANT SELECT ON d.* TO GROUP g", "GRANT SELECT ON e.t TO u"} {
		if err := root.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.AuthorizeRead(ctx, "u", "d", "t"); err != nil {
			b.Fatal(err)
		}
	}
}

// Accounts in a shared PostgreSQL metastore: a user and grant created
// through one engine authorize reads on another (within the cache TTL).
func TestPostgresAccounts(t *testing.T) {
	pg := postgres.New(t)
	dsn := pg.NewDatabase(t)
	ctx := context.Background()
	a, err := Open(ctx, Config{DataDir: t.TempDir(), Catalog: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, Config{DataDir: t.TempDir(), Catalog: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, ok := a.AuthStore(); !ok {
		t.Fatalf("%T hides catalog.AuthStore", a.Catalog())
	}
	mustExec(t, a.NewSession("root"), "CREATE DATABASE d; CREATE USER alice IDENTIFIED BY 'pw'; CREATE GROUP g WITH USER alice; GRANT SELECT ON d.* TO GROUP g")
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := b.AuthorizeRead(ctx, "alice", "d", "t")
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("engine b never saw alice's grant: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := b.AuthorizeRead(ctx, "alice", "other", "t"); err == nil {
		t.Fatal("alice may read other.t")
	}
	if g := b.Groups("alice"); !reflect.DeepEqual(g, []string{"g"}) {
		t.Fatalf("engine b Groups(alice) = %v", g)
	}
	u, err := b.User(ctx, "alice")
	if err != nil || len(u.NativeHash) != 20 {
		t.Fatalf("engine b User(alice) = %+v, %v", u, err)
	}
}
