package mysqlwire

import (
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/tarnsql/tarn/engine"
)

// authServerFixture is an engine of its own (accounts change who may do
// what, so they stay out of the shared fixture) with two small tables,
// served with TLS available but not required.
func authServerFixture(t *testing.T) (*engine.Engine, string) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, Slices: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	for _, f := range []struct{ path, body string }{
		{"lake/orders/a.csv", "1,10\n2,20\n3,30\n"},
		{"lake/pay/a.csv", "1,1000\n"},
	} {
		p := filepath.Join(dir, f.path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	root := e.NewSession("root")
	for _, q := range []string{
		"CREATE DATABASE sales",
		"CREATE DATABASE hr",
		"CREATE EXTERNAL TABLE sales.orders (id INT, amount INT) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '" + filepath.Join(dir, "lake/orders") + "'",
		"CREATE EXTERNAL TABLE hr.pay (id INT, salary INT) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '" + filepath.Join(dir, "lake/pay") + "'",
		"CREATE USER 'alice'@'%' IDENTIFIED BY 'alice-pw'",
		"CREATE USER 'remote'@'10.9.9.9' IDENTIFIED BY 'remote-pw'",
		"GRANT SELECT ON sales.orders TO alice",
	} {
		if err := root.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	certFile, keyFile := selfSigned(t)
	tc, err := LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Engine: e, Addr: "127.0.0.1:0", RootPassword: "root-pw", TLSConfig: tc})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	t.Cleanup(func() { srv.Close() })
	return e, srv.Addr().String()
}

func TestStoredUserAuthentication(t *testing.T) {
	e, addr := authServerFixture(t)
	if err := mysql.RegisterTLSConfig("tarnauth", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	open := func(user, pw, params string) *sql.DB {
		c := mysql.NewConfig()
		c.User, c.Passwd, c.Net, c.Addr = user, pw, "tcp", addr
		d, err := sql.Open("mysql", c.FormatDSN()+params)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	count := func(d *sql.DB, q string) (int64, error) {
		var n int64
		err := d.QueryRow(q).Scan(&n)
		return n, err
	}
	// caching_sha2_password on plaintext and over TLS, with and without
	// mysql_native_password allowed (no auth switch is needed).
	for _, params := range []string{"", "?allowNativePasswords=false", "?tls=tarnauth", "?tls=tarnauth&allowNativePasswords=false"} {
		n, err := count(open("alice", "alice-pw", params), "SELECT count(*) FROM sales.orders")
		if err != nil || n != 3 {
			t.Fatalf("alice %s: %d, %v", params, n, err)
		}
		_, err = count(open("alice", "wrong", params), "SELECT 1")
		if code, state := mysqlErr(err); code != 1045 || state != "28000" ||
			!strings.Contains(err.Error(), "Access denied for user 'alice'@'127.0.0.1' (using password: YES)") {
			t.Fatalf("alice wrong password %s: %v", params, err)
		}
		_, err = count(open("nobody", "x", params), "SELECT 1")
		if code, _ := mysqlErr(err); code != 1045 {
			t.Fatalf("unknown user %s: %v", params, err)
		}
		// The host part: 'remote'@'10.9.9.9' may not connect from 127.0.0.1.
		_, err = count(open("remote", "remote-pw", params), "SELECT 1")
		if code, _ := mysqlErr(err); code != 1045 {
			t.Fatalf("remote from loopback %s: %v", params, err)
		}
	}
	alice := open("alice", "alice-pw", "")
	alice.SetMaxOpenConns(1)
	// Missing grant: 1142.
	_, err := count(alice, "SELECT count(*) FROM hr.pay")
	if code, _ := mysqlErr(err); code != 1142 || !strings.Contains(err.Error(), "SELECT command denied to user 'alice'@'%' for table 'pay'") {
		t.Fatalf("hr.pay as alice: %v", err)
	}
	// No trace of hr.pay in the metadata the server answers.
	rows := queryStrings(t, alice, "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('information_schema', 'system') ORDER BY 1, 2")
	if !reflect.DeepEqual(rows, [][]string{{"sales", "orders"}}) {
		t.Fatalf("alice information_schema.tables = %v", rows)
	}
	if rows := queryStrings(t, alice, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'pay'"); rows[0][0] != "0" {
		t.Fatalf("alice sees pay's columns: %v", rows)
	}
	if rows := queryStrings(t, alice, "SHOW DATABASES"); !reflect.DeepEqual(rows, [][]string{{"information_schema"}, {"sales"}, {"system"}}) {
		t.Fatalf("alice SHOW DATABASES = %v", rows)
	}
	if rows := queryStrings(t, alice, "SHOW TABLES FROM hr"); len(rows) != 0 {
		t.Fatalf("alice SHOW TABLES FROM hr = %v", rows)
	}
	// information_schema joined with a real table goes through the same check.
	_, err = count(alice, "SELECT count(*) FROM information_schema.tables t JOIN hr.pay p ON p.id = 1")
	if code, _ := mysqlErr(err); code != 1142 {
		t.Fatalf("information_schema JOIN hr.pay as alice: %v", err)
	}
	// The session runs as alice: her history only.
	if rows := queryStrings(t, alice, "SELECT DISTINCT user_name FROM system.query_history"); !reflect.DeepEqual(rows, [][]string{{"alice"}}) {
		t.Fatalf("alice's history users = %v", rows)
	}
	if rows := queryStrings(t, alice, "SHOW GRANTS"); len(rows) != 2 || rows[1][0] != "GRANT SELECT ON `sales`.`orders` TO `alice`@`%`" {
		t.Fatalf("alice SHOW GRANTS = %v", rows)
	}
	// DDL without the privilege.
	_, err = alice.Exec("CREATE DATABASE mine")
	if code, _ := mysqlErr(err); code != 1044 {
		t.Fatalf("CREATE DATABASE as alice: %v", err)
	}
	// A password change applies to the next login; history keeps no password.
	if _, err := open("root", "root-pw", "").Exec("ALTER USER alice IDENTIFIED BY 'second-pw'"); err != nil {
		t.Fatal(err)
	}
	if _, err := count(open("alice", "alice-pw", ""), "SELECT 1"); err == nil {
		t.Fatal("old password still accepted")
	}
	if _, err := count(open("alice", "second-pw", "?tls=tarnauth"), "SELECT 1"); err != nil {
		t.Fatalf("new password: %v", err)
	}
	hist := queryStrings(t, open("root", "root-pw", ""), "SELECT query_text FROM system.query_history WHERE query_text LIKE 'ALTER USER%'")
	if len(hist) != 1 || strings.Contains(hist[0][0], "second-pw") || !strings.Contains(hist[0][0], "<secret>") {
		t.Fatalf("history of ALTER USER = %v", hist)
	}
	if _, err := open("root", "root-pw", "").Exec("DROP USER alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := count(open("alice", "second-pw", ""), "SELECT 1"); err == nil {
		t.Fatal("dropped user can still log in")
	}
	_ = e
}

func TestStoredUserMySQLCLI(t *testing.T) {
	requireClient(t, "mysql")
	_, addr := authServerFixture(t)
	host, port, _ := net.SplitHostPort(addr)
	run := func(user, pw string, args ...string) (string, string, error) {
		cmd := exec.Command("mysql", append([]string{"-h", host, "-P", port, "-u", user, "-B", "-N"}, args...)...)
		cmd.Env = append(os.Environ(), "MYSQL_PWD="+pw)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.String(), errb.String(), err
	}
	out, stderr, err := run("alice", "alice-pw", "-e", "SELECT sum(amount) FROM sales.orders")
	if err != nil || strings.TrimSpace(out) != "60" {
		t.Fatalf("alice via mysql CLI: %q %s %v", out, stderr, err)
	}
	out, stderr, err = run("alice", "alice-pw", "--ssl", "-e", "SELECT sum(amount) FROM sales.orders")
	if err != nil || strings.TrimSpace(out) != "60" {
		t.Fatalf("alice via mysql CLI over TLS: %q %s %v", out, stderr, err)
	}
	_, stderr, err = run("alice", "nope", "-e", "SELECT 1")
	if err == nil || !strings.Contains(stderr, "ERROR 1045") || !strings.Contains(stderr, "Access denied for user 'alice'@'127.0.0.1' (using password: YES)") {
		t.Fatalf("wrong password via mysql CLI: %v %s", err, stderr)
	}
	_, stderr, err = run("alice", "alice-pw", "-e", "SELECT * FROM hr.pay")
	if err == nil || !strings.Contains(stderr, "ERROR 1142") || !strings.Contains(stderr, "for table 'pay'") {
		t.Fatalf("hr.pay via mysql CLI: %v %s", err, stderr)
	}
	out, _, err = run("alice", "alice-pw", "-e", "SHOW TABLES FROM sales; SELECT table_name FROM information_schema.tables WHERE table_schema = 'hr'")
	if err != nil || strings.TrimSpace(out) != "orders" {
		t.Fatalf("alice metadata via mysql CLI: %q %v", out, err)
	}
	// root manages accounts through the CLI.
	out, stderr, err = run("root", "root-pw", "-e", "CREATE USER bob IDENTIFIED BY 'bob-pw'; CREATE GROUP readers WITH USER bob; GRANT SELECT ON hr.* TO GROUP readers; SHOW GRANTS FOR bob")
	if err != nil || !strings.Contains(out, "GRANT SELECT ON `hr`.* TO GROUP `readers`") {
		t.Fatalf("root account statements: %q %s %v", out, stderr, err)
	}
	out, stderr, err = run("bob", "bob-pw", "-e", "SELECT salary FROM hr.pay")
	if err != nil || strings.TrimSpace(out) != "1000" {
		t.Fatalf("bob through his group: %q %s %v", out, stderr, err)
	}
}

func TestStorageConfig(t *testing.T) {
	c, err := ParseConfig([]byte("data_dir: /d\nstorage:\n  allowed_locations: [/lake, 's3://bucket/p/']\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.AllowedLocations(); !reflect.DeepEqual(got, []string{"/d", "/lake", "s3://bucket/p/"}) {
		t.Fatalf("AllowedLocations = %v", got)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"storage:\n  allowed_locations: [lake]\n", "setting storage.allowed_locations[0]"},
		{"storage:\n  allowed_locations: ['s3://b/../x']\n", "'..' is not allowed"},
		{"storage:\n  allowd: [x]\n", `unknown setting "allowd"`},
	} {
		if _, err := ParseConfig([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %q: want error containing %q, got %v", tc.yaml, tc.want, err)
		}
	}
}

// A server confines locations to the data directory unless configured.
func TestServerDefaultStorageRoots(t *testing.T) {
	e, addr := authServerFixture(t)
	if got := e.AllowedLocations(); !reflect.DeepEqual(got, []string{e.Config().DataDir}) {
		t.Fatalf("server allow-list = %v", got)
	}
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr = "root", "root-pw", "tcp", addr
	d, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Exec("CREATE EXTERNAL TABLE sales.etc (a STRING) STORED AS TEXTFILE LOCATION '/etc'")
	if code, _ := mysqlErr(err); code != 1044 || !strings.Contains(err.Error(), "storage.allowed_locations") {
		t.Fatalf("LOCATION '/etc' through the server: %v", err)
	}
	_, err = d.Exec("CREATE EXTERNAL TABLE sales.up (a STRING) STORED AS TEXTFILE LOCATION '" + e.Config().DataDir + "/../../'")
	if code, _ := mysqlErr(err); code != 1044 {
		t.Fatalf("LOCATION with ../.. through the server: %v", err)
	}
}

// Users see and kill only their own threads; superusers all of them.
func TestProcesslistPrivacy(t *testing.T) {
	_, addr := authServerFixture(t)
	ctx := context.Background()
	conn := func(user, pw string) *sql.Conn {
		c := mysql.NewConfig()
		c.User, c.Passwd, c.Net, c.Addr = user, pw, "tcp", addr
		d, err := sql.Open("mysql", c.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		cn, err := d.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cn.Close() })
		return cn
	}
	root, alice := conn("root", "root-pw"), conn("alice", "alice-pw")
	var rootID int64
	if err := root.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&rootID); err != nil {
		t.Fatal(err)
	}
	users := func(c *sql.Conn) []string {
		rows, err := c.QueryContext(ctx, "SELECT user FROM information_schema.processlist ORDER BY user")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var u string
			rows.Scan(&u)
			out = append(out, u)
		}
		return out
	}
	if got := users(alice); !reflect.DeepEqual(got, []string{"alice"}) {
		t.Fatalf("alice's processlist users = %v", got)
	}
	if got := users(root); !reflect.DeepEqual(got, []string{"alice", "root"}) {
		t.Fatalf("root's processlist users = %v", got)
	}
	_, err := alice.ExecContext(ctx, "KILL QUERY "+strconv.FormatInt(rootID, 10))
	if code, _ := mysqlErr(err); code != 1095 {
		t.Fatalf("alice KILL root's thread: %v", err)
	}
}
