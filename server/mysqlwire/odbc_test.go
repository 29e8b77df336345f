package mysqlwire

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// odbcDriver finds MariaDB Connector/ODBC's shared library.
func odbcDriver(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/lib/x86_64-linux-gnu/odbc/libmaodbc.so", "/usr/lib/aarch64-linux-gnu/odbc/libmaodbc.so"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if out, err := exec.Command("dpkg", "-L", "odbc-mariadb").Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasSuffix(l, "libmaodbc.so") {
				return l
			}
		}
	}
	requireFile(t, "/usr/lib/x86_64-linux-gnu/odbc/libmaodbc.so", "MariaDB Connector/ODBC (odbc-mariadb)")
	return ""
}

// oneLine drops "--" comment lines and joins a query onto one line
// (isql reads one statement per line).
func oneLine(sql string) string {
	var parts []string
	for _, l := range strings.Split(sql, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		parts = append(parts, strings.TrimSpace(l))
	}
	return strings.Join(parts, " ")
}

// isqlRun runs isql in batch mode with tab-separated output; every input
// line's result rows are returned in order.
func isqlRun(t *testing.T, dir string, lines ...string) string {
	t.Helper()
	cmd := exec.Command("isql", "-b", "-x0x09", "tarn", "root", testPassword)
	cmd.Env = append(os.Environ(), "ODBCSYSINI="+dir, "ODBCINI="+filepath.Join(dir, "odbc.ini"))
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("isql: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errb.String())
	}
	if strings.Contains(out.String(), "[ISQL]ERROR") || strings.Contains(errb.String(), "[ISQL]ERROR") {
		t.Fatalf("isql reported an error:\n%s\n%s", out.String(), errb.String())
	}
	return out.String()
}

func tsvRows(s string) [][]string {
	var rows [][]string
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" {
			rows = append(rows, strings.Split(l, "\t"))
		}
	}
	return rows
}

func TestODBC(t *testing.T) {
	requireClient(t, "isql")
	drv := odbcDriver(t)
	dir := t.TempDir()
	host, port := hostPort()
	inst := fmt.Sprintf("[MariaDB]\nDescription=MariaDB Connector/ODBC\nDriver=%s\n", drv)
	ini := fmt.Sprintf("[tarn]\nDriver=MariaDB\nSERVER=%s\nPORT=%s\nDATABASE=tpch\n", host, port)
	if err := os.WriteFile(filepath.Join(dir, "odbcinst.ini"), []byte(inst), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "odbc.ini"), []byte(ini), 0o644); err != nil {
		t.Fatal(err)
	}
	// SQLTables ("help") and SQLColumns ("help table").
	tables := tsvRows(isqlRun(t, dir, "help"))
	var tpchTables [][]string
	for _, r := range tables {
		if r[0] == "tpch" {
			tpchTables = append(tpchTables, []string{r[0], r[2], r[3]})
		}
	}
	compareRows(t, "SQLTables", tpchTables, [][]string{
		{"tpch", "customer", "TABLE"}, {"tpch", "lineitem", "TABLE"}, {"tpch", "nation", "TABLE"}, {"tpch", "orders", "TABLE"},
		{"tpch", "part", "TABLE"}, {"tpch", "partsupp", "TABLE"}, {"tpch", "region", "TABLE"}, {"tpch", "supplier", "TABLE"}})
	cols := tsvRows(isqlRun(t, dir, "help orders"))
	var got [][]string
	for _, r := range cols {
		if len(r) < 8 {
			t.Fatalf("SQLColumns row: %v", r)
		}
		got = append(got, []string{r[3], r[4], r[5], r[6], r[7]})
	}
	// SQL types: BIGINT -5, WVARCHAR -9, DECIMAL 3, DATE 9 (ODBC 2 code
	// used by the driver's query) / INT 4.
	compareRows(t, "SQLColumns(orders)", got, [][]string{
		{"o_orderkey", "-5", "BIGINT", "19", "20"},
		{"o_custkey", "-5", "BIGINT", "19", "20"},
		{"o_orderstatus", "-9", "VARCHAR", "65535", "262140"},
		{"o_totalprice", "3", "DECIMAL", "15", "17"},
		{"o_orderdate", "9", "DATE", "10", "6"},
		{"o_orderpriority", "-9", "VARCHAR", "65535", "262140"},
		{"o_clerk", "-9", "VARCHAR", "65535", "262140"},
		{"o_shippriority", "4", "INT", "10", "4"},
		{"o_comment", "-9", "VARCHAR", "65535", "262140"},
	})
	for _, q := range tpchQueries {
		t.Run(q, func(t *testing.T) {
			sql := tpchSQL(t, q)
			compareRows(t, "ODBC "+q, tsvRows(isqlRun(t, dir, oneLine(sql))), expectedRows(t, sql))
		})
	}
}
