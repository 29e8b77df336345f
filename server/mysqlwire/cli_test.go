package mysqlwire

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// mysqlBatch runs the mysql CLI in batch mode (-B -N) and returns its rows.
func mysqlBatch(t *testing.T, db, sql string) ([][]string, string, error) {
	t.Helper()
	host, port := hostPort()
	args := []string{"-h", host, "-P", port, "-u", "root", "-B", "-N", "-e", sql}
	if db != "" {
		args = append(args, db)
	}
	cmd := exec.Command("mysql", args...)
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+testPassword)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var rows [][]string
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if line == "" {
			continue
		}
		rows = append(rows, strings.Split(line, "\t"))
	}
	return rows, errb.String(), err
}

func TestMySQLCLIBatch(t *testing.T) {
	requireClient(t, "mysql")
	// Metadata: databases, tables, columns.
	rows, stderr, err := mysqlBatch(t, "", "SHOW DATABASES")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	compareRows(t, "SHOW DATABASES", rows, [][]string{{"information_schema"}, {"system"}, {"tpch"}})
	rows, stderr, err = mysqlBatch(t, "tpch", "SHOW TABLES")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	compareRows(t, "SHOW TABLES", rows, [][]string{{"customer"}, {"lineitem"}, {"nation"}, {"orders"}, {"part"}, {"partsupp"}, {"region"}, {"supplier"}})
	rows, stderr, err = mysqlBatch(t, "tpch", "SHOW COLUMNS FROM region")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	compareRows(t, "SHOW COLUMNS", rows, [][]string{
		{"r_regionkey", "bigint", "YES", "", "NULL", ""},
		{"r_name", "varchar(65535)", "YES", "", "NULL", ""},
		{"r_comment", "varchar(65535)", "YES", "", "NULL", ""},
	})
	for _, q := range tpchQueries {
		t.Run(q, func(t *testing.T) {
			sql := tpchSQL(t, q)
			rows, stderr, err := mysqlBatch(t, "tpch", sql)
			if err != nil {
				t.Fatalf("%v: %s", err, stderr)
			}
			compareRows(t, q, rows, expectedRows(t, sql))
		})
	}
	// Errors keep MySQL codes and SQLSTATEs.
	for _, tc := range []struct{ sql, want string }{
		{"SELECT * FROM nosuch", "ERROR 1146 (42S02)"},
		{"SELECT nocol FROM nation", "ERROR 1054 (42S22)"},
		{"SELEC 1", "ERROR 1064 (42000)"},
	} {
		_, stderr, err := mysqlBatch(t, "tpch", tc.sql)
		if err == nil || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: want %s, got err=%v stderr=%q", tc.sql, tc.want, err, stderr)
		}
	}
	// A wrong password is 1045.
	host, port := hostPort()
	cmd := exec.Command("mysql", "-h", host, "-P", port, "-u", "root", "-pwrong", "-e", "SELECT 1")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "ERROR 1045 (28000)") {
		t.Errorf("wrong password: want ERROR 1045 (28000), got %v %s", err, out)
	}
}

// ptySession drives the interactive mysql client.
type ptySession struct {
	t   *testing.T
	f   *os.File
	mu  sync.Mutex
	buf bytes.Buffer
}

func (p *ptySession) expect(s string, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		p.mu.Lock()
		out := p.buf.String()
		p.mu.Unlock()
		if i := strings.Index(out, s); i >= 0 {
			p.mu.Lock()
			p.buf.Next(i + len(s))
			p.mu.Unlock()
			return out[:i+len(s)]
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("interactive mysql: timed out waiting for %q; screen so far:\n%s", s, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMySQLCLIInteractive(t *testing.T) {
	requireClient(t, "mysql")
	host, port := hostPort()
	// With a database on the command line the client reads table and
	// column names for completion (SHOW TABLES + COM_FIELD_LIST).
	cmd := exec.Command("mysql", "-h", host, "-P", port, "-u", "root", "tpch")
	cmd.Env = append(os.Environ(), "MYSQL_PWD="+testPassword, "TERM=dumb", "HOME="+t.TempDir())
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &ptySession{t: t, f: f}
	go func() {
		b := make([]byte, 4096)
		for {
			n, err := f.Read(b)
			p.mu.Lock()
			p.buf.Write(b[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	p.expect("[tpch]>", 10*time.Second)
	f.Write([]byte("SELECT n_name FROM nation WHERE n_nationkey = 7;\n"))
	out := p.expect("row in set", 10*time.Second)
	if !strings.Contains(out, "GERMANY") {
		t.Fatalf("want GERMANY in the answer, got:\n%s", out)
	}
	p.expect("[tpch]>", 5*time.Second)
	f.Write([]byte("SELECT DATABASE(), CURRENT_USER();\n"))
	out = p.expect("row in set", 10*time.Second)
	if !strings.Contains(out, "tpch") || !strings.Contains(out, "root@%") {
		t.Fatalf("DATABASE(), CURRENT_USER(): got\n%s", out)
	}
	p.expect("[tpch]>", 5*time.Second)
	f.Write([]byte("SELECT * FROM nosuch;\n"))
	out = p.expect("doesn't exist", 10*time.Second)
	if !strings.Contains(out, "ERROR 1146 (42S02)") {
		t.Fatalf("want ERROR 1146, got\n%s", out)
	}
	p.expect("[tpch]>", 5*time.Second)
	f.Write([]byte("status\n"))
	out = p.expect("Uptime", 10*time.Second)
	if !strings.Contains(out, "8.0.40-tarn") {
		t.Fatalf("status: want server version 8.0.40-tarn, got\n%s", out)
	}
	p.expect("[tpch]>", 5*time.Second)
	f.Write([]byte("quit\n"))
	p.expect("Bye", 5*time.Second)
}
