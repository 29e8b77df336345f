package mysqlwire

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/engine"
)

// processRow finds a connection's row in SHOW FULL PROCESSLIST.
func processRow(t *testing.T, db *sql.DB, id int64) map[string]string {
	t.Helper()
	rows, err := db.Query("SHOW FULL PROCESSLIST")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	for _, r := range scanStrings(t, rows) {
		if r[0] == itoa(id) {
			m := map[string]string{}
			for i, c := range cols {
				m[c] = r[i]
			}
			return m
		}
	}
	return nil
}

func itoa(n int64) string { return big.NewInt(n).String() }

func connID(t *testing.T, c *sql.Conn) int64 {
	t.Helper()
	var id int64
	if err := c.QueryRowContext(context.Background(), "SELECT CONNECTION_ID()").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestProcesslistAndKill(t *testing.T) {
	db := openDB(t, "tpch")
	ctx := context.Background()
	victim, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	vid := connID(t, victim)
	t.Cleanup(func() { _, _ = db.Exec("KILL QUERY " + itoa(vid)) })
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- victim.QueryRowContext(ctx, slowQuery).Scan(&n)
	}()
	var row map[string]string
	waitFor(t, 10*time.Second, "the slow query in SHOW PROCESSLIST", func() bool {
		row = processRow(t, db, vid)
		return row != nil && row["Command"] == "Query" && row["Query_id"] != "NULL"
	})
	if row["Info"] != slowQuery || row["User"] != "root" || row["db"] != "tpch" || row["Query_id"] == "NULL" || row["Splits_total"] == "NULL" {
		t.Fatalf("processlist row: %v", row)
	}
	if _, err := db.Exec("KILL QUERY " + itoa(vid)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if code, state := mysqlErr(err); code != 1317 || state != "70100" {
			t.Fatalf("killed query: want 1317 70100, got %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("KILL QUERY did not stop the query")
	}
	// The connection survives KILL QUERY.
	if n := connID(t, victim); n != vid {
		t.Fatalf("connection id changed: %d", n)
	}
	// KILL CONNECTION closes it; unknown ids are 1094.
	if _, err := db.Exec("KILL " + itoa(vid)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the killed connection to leave the processlist", func() bool { return processRow(t, db, vid) == nil })
	if _, err := db.Exec("KILL QUERY 999999"); err == nil {
		t.Fatal("KILL of an unknown id succeeded")
	} else if code, _ := mysqlErr(err); code != 1094 {
		t.Fatalf("want 1094, got %v", err)
	}
}

func TestDisconnectCancelsQuery(t *testing.T) {
	db := openDB(t, "tpch")
	victimDB := openDB(t, "tpch")
	conn, err := victimDB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	vid := connID(t, conn)
	t.Cleanup(func() { _, _ = db.Exec("KILL QUERY " + itoa(vid)) })
	qctx, cancel := context.WithCancel(context.Background())
	go func() {
		var n int64
		_ = conn.QueryRowContext(qctx, slowQuery).Scan(&n)
	}()
	var queryID string
	waitFor(t, 10*time.Second, "the slow query to start", func() bool {
		r := processRow(t, db, vid)
		if r != nil && r["Command"] == "Query" && r["Query_id"] != "" && r["Query_id"] != "NULL" {
			queryID = r["Query_id"]
			return true
		}
		return false
	})
	// go-sql-driver closes the socket when the context is cancelled.
	start := time.Now()
	cancel()
	waitFor(t, 5*time.Second, "the server to cancel the query of the disconnected client", func() bool {
		r := processRow(t, db, vid)
		return r == nil || r["Command"] != "Query"
	})
	if el := time.Since(start); el > 3*time.Second {
		t.Fatalf("cancel took %s", el)
	}
	// The cancelled statement is in the query history as CANCELLED (by
	// its query id: other tests run the same SQL, and the history row is
	// written when the statement has unwound).
	var state string
	waitFor(t, 10*time.Second, "query "+queryID+" in system.query_history", func() bool {
		err := db.QueryRow("SELECT state FROM system.query_history WHERE query_id = ?", queryID).Scan(&state)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			t.Fatalf("system.query_history: %v", err)
		}
		return err == nil
	})
	if state != "CANCELLED" {
		t.Fatalf("history state of query %s: %q, want CANCELLED", queryID, state)
	}
}

func TestTimeoutAndPanic(t *testing.T) {
	db := openDB(t, "tpch")
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("SET max_execution_time = 100"); err != nil {
		t.Fatal(err)
	}
	var n int64
	err := db.QueryRow(slowQuery).Scan(&n)
	if code, state := mysqlErr(err); code != 3024 || state != "HY000" {
		t.Fatalf("want 3024 HY000, got %v", err)
	}
	if _, err := db.Exec("SET max_execution_time = 0"); err != nil {
		t.Fatal(err)
	}
	// A panic while serving becomes error 1105 for this client only.
	err = db.QueryRow("SELECT 1 /* tarn-test-panic */").Scan(&n)
	if code, _ := mysqlErr(err); code != 1105 || !strings.Contains(err.Error(), "test panic") {
		t.Fatalf("want 1105 with the panic, got %v", err)
	}
	if err := db.QueryRow("SELECT 2").Scan(&n); err != nil || n != 2 {
		t.Fatalf("after the panic: %v %d", err, n)
	}
}

func TestMemoryLimitError(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	eng, err := openEngine(ctx, dir, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	srv, err := New(Config{Engine: eng, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	d, err := sql.Open("mysql", "root@tcp("+srv.Addr().String()+")/tpch")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	_, err = d.Query("SELECT l_comment, COUNT(*) FROM lineitem GROUP BY l_comment ORDER BY 2 DESC")
	if code, state := mysqlErr(err); code != 3170 || state != "HY000" || !strings.Contains(err.Error(), "memory limit exceeded in") {
		t.Fatalf("want 3170 naming the operator, got %v", err)
	}
}

// openEngine opens a second engine whose catalog points at the shared
// TPC-H files.
func openEngine(ctx context.Context, dir string, memLimit int64) (*engine.Engine, error) {
	e, err := engine.Open(ctx, engine.Config{DataDir: dir, MemoryLimit: memLimit, Slices: 2})
	if err != nil {
		return nil, err
	}
	src := testEng.Catalog()
	d, err := src.GetDatabase(ctx, "tpch")
	if err == nil {
		err = e.Catalog().CreateDatabase(ctx, *d, false)
	}
	if err == nil {
		var ts []catalog.Table
		if ts, err = src.ListTables(ctx, "tpch"); err == nil {
			for _, t := range ts {
				if err = e.Catalog().CreateTable(ctx, t, false); err != nil {
					break
				}
			}
		}
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

func execOut(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).CombinedOutput()
	return string(out), err
}

func TestShutdownGrace(t *testing.T) {
	ctx := context.Background()
	eng, err := openEngine(ctx, t.TempDir(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	srv, err := New(Config{Engine: eng, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	d, err := sql.Open("mysql", "root@tcp("+srv.Addr().String()+")/tpch")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Ping(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		var n int64
		done <- d.QueryRow(slowQuery).Scan(&n)
	}()
	waitFor(t, 5*time.Second, "the query to start", func() bool {
		for _, p := range srv.h.processes() {
			if p.command == "Query" {
				return true
			}
		}
		return false
	})
	sctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = srv.Shutdown(sctx)
	if err == nil || !strings.Contains(err.Error(), "grace period over") {
		t.Fatalf("Shutdown: %v", err)
	}
	if el := time.Since(start); el < 250*time.Millisecond || el > 5*time.Second {
		t.Fatalf("shutdown took %s", el)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("the slow query finished despite the shutdown")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the running query was not cancelled")
	}
	// No new connections.
	if c, err := net.DialTimeout("tcp", srv.Addr().String(), time.Second); err == nil {
		c.Close()
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestStartupChecks(t *testing.T) {
	if _, err := New(Config{Engine: testEng, Addr: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "empty root password") {
		t.Fatalf("non-loopback with empty password: %v", err)
	}
	if _, err := New(Config{Engine: testEng, Addr: "127.0.0.1:0", RequireSecureTransport: true}); err == nil {
		t.Fatal("require_secure_transport without TLS accepted")
	}
	for _, tc := range []struct{ yaml, want string }{
		{"mysql:\n  listen: 127.0.0.1:3306\n  lisen: x\n", `unknown setting "lisen"`},
		{"memory_limt: 1GiB\n", `unknown setting "memory_limt"`},
		{"memory_limit: lots\n", "setting memory_limit"},
		{"mysql:\n  listen: nowhere\n", "setting mysql.listen"},
		{"tls:\n  cert: a.pem\n", "tls.cert and tls.key"},
		{"require_secure_transport: yes please\n", "require_secure_transport"},
		{"log:\n  level: loud\n", "setting log.level"},
	} {
		if _, err := ParseConfig([]byte(tc.yaml)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("config %q: want error containing %q, got %v", tc.yaml, tc.want, err)
		}
	}
	c, err := ParseConfig([]byte("data_dir: /d\nmemory_limit: 2GiB\nroot_password: pw\nmysql:\n  listen: 127.0.0.1:3307\n"))
	if err != nil || c.DataDir != "/d" || c.MySQL.Listen != "127.0.0.1:3307" || *c.RootPassword != "pw" {
		t.Fatalf("valid config: %+v %v", c, err)
	}
}

// selfSigned writes a self-signed certificate and key for 127.0.0.1.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tarn test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

func TestTLSAndAuth(t *testing.T) {
	certFile, keyFile := selfSigned(t)
	tc, err := LoadTLS(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Engine: testEng, Addr: "127.0.0.1:0", RootPassword: "tls-pw", TLSConfig: tc, RequireSecureTransport: true})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	addr := srv.Addr().String()
	if err := mysql.RegisterTLSConfig("tarntest", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	try := func(params string, pw string) error {
		d, err := sql.Open("mysql", "root:"+pw+"@tcp("+addr+")/tpch?"+params)
		if err != nil {
			return err
		}
		defer d.Close()
		var n int64
		return d.QueryRow("SELECT COUNT(*) FROM region").Scan(&n)
	}
	// TLS with both authentication methods.
	for _, p := range []string{"tls=tarntest", "tls=tarntest&allowNativePasswords=true"} {
		if err := try(p, "tls-pw"); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if err := try("tls=tarntest", "wrong"); err == nil {
		t.Fatal("wrong password accepted over TLS")
	} else if code, state := mysqlErr(err); code != 1045 || state != "28000" {
		t.Fatalf("wrong password: want 1045 28000, got %v", err)
	}
	// Plaintext is refused.
	if err := try("tls=false", "tls-pw"); err == nil || !strings.Contains(err.Error(), "insecure") {
		t.Fatalf("plaintext with require_secure_transport: %v", err)
	}
	// The mysql CLI over TLS.
	requireClient(t, "mysql")
	host, port, _ := net.SplitHostPort(addr)
	out, err := execOut("mysql", "-h", host, "-P", port, "-u", "root", "-ptls-pw", "--ssl", "-B", "-N", "-e", "SHOW STATUS LIKE 'Ssl_cipher'")
	if err != nil || !strings.Contains(out, "Ssl_cipher\tTLS") {
		t.Fatalf("mysql --ssl: %v %s", err, out)
	}
}
