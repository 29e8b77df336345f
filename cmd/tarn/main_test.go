package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// tarnBin is the CLI built once for all tests.
var tarnBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tarn-cli-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tarnBin = filepath.Join(dir, "tarn")
	out, err := exec.Command("go", "build", "-o", tarnBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building tarn: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func tarn(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(tarnBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return o.String(), e.String(), code
}

// setup creates a data dir with database d and table d.t over a CSV file.
func setup(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "files")
	os.MkdirAll(data, 0o755)
	csv := "1,ann,12345678901234.56,2024-06-01,2024-06-01 13:45:00,1.5\n2,\"b\"\"o,b\",,,,\n"
	if err := os.WriteFile(filepath.Join(data, "t.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := tarn(t, "", "sql", "--data-dir", filepath.Join(dir, "dd"), "-e",
		"CREATE DATABASE d; CREATE EXTERNAL TABLE d.t (id int, name string, amount decimal(16,2), day date, ts timestamp, f double) "+
			"ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' STORED AS TEXTFILE LOCATION '"+data+"'")
	if code != 0 {
		t.Fatalf("setup failed: %s", stderr)
	}
	return filepath.Join(dir, "dd")
}

func TestFormats(t *testing.T) {
	dd := setup(t)
	q := "USE d; SELECT id, name, amount, day, ts, f FROM t ORDER BY id"
	tests := []struct {
		format string
		want   string
	}{
		{"json", `{"id":1,"name":"ann","amount":12345678901234.56,"day":"2024-06-01","ts":"2024-06-01 13:45:00","f":1.5}
{"id":2,"name":"b\"o,b","amount":null,"day":null,"ts":null,"f":null}
`},
		{"csv", `id,name,amount,day,ts,f
1,ann,12345678901234.56,2024-06-01,2024-06-01 13:45:00,1.5
2,"b""o,b",,,,
`},
		{"tsv", "id\tname\tamount\tday\tts\tf\n1\tann\t12345678901234.56\t2024-06-01\t2024-06-01 13:45:00\t1.5\n2\tb\"o,b\tNULL\tNULL\tNULL\tNULL\n"},
	}
	for _, tc := range tests {
		t.Run(tc.format, func(t *testing.T) {
			out, stderr, code := tarn(t, "", "sql", "--data-dir", dd, "--format", tc.format, "-e", q)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if out != tc.want {
				t.Fatalf("got\n%s\nwant\n%s", out, tc.want)
			}
		})
	}
	out, stderr, code := tarn(t, "", "sql", "--data-dir", dd, "-e", q)
	if code != 0 {
		t.Fatalf("table: exit %d: %s", code, stderr)
	}
	wantTable := `Query OK \(\d+\.\d\d sec\)

\+----\+-------\+-------------------\+------------\+---------------------\+------\+
\| id \| name  \| amount            \| day        \| ts                  \| f    \|
\+----\+-------\+-------------------\+------------\+---------------------\+------\+
\|  1 \| ann   \| 12345678901234\.56 \| 2024-06-01 \| 2024-06-01 13:45:00 \|  1\.5 \|
\|  2 \| b"o,b \|              NULL \| NULL       \| NULL                \| NULL \|
\+----\+-------\+-------------------\+------------\+---------------------\+------\+
2 rows in set \(\d+\.\d\d sec\)
`
	if !regexp.MustCompile("^" + wantTable).MatchString(out) {
		t.Fatalf("table output:\n%s", out)
	}
}

func TestScriptFileStdinAndErrors(t *testing.T) {
	dd := setup(t)
	f := filepath.Join(t.TempDir(), "q.sql")
	os.WriteFile(f, []byte("-- count rows\nUSE d;\nSELECT count(*) AS n\nFROM t;\n"), 0o644)
	out, stderr, code := tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-f", f)
	if code != 0 || out != "n\n2\n" {
		t.Fatalf("-f: exit %d out %q err %q", code, out, stderr)
	}
	out, _, code = tarn(t, "USE d; SELECT name FROM t WHERE id = 1;", "sql", "--data-dir", dd, "--format", "csv")
	if code != 0 || out != "name\nann\n" {
		t.Fatalf("stdin: exit %d out %q", code, out)
	}
	// An error stops the script, prints ERROR <code>: <message> and exits 1.
	out, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-e", "USE d; SELECT * FROM nope; SELECT 1 AS x FROM t")
	if code != 1 || stderr != "ERROR 1146: Table 'd.nope' doesn't exist\n" && !strings.HasPrefix(stderr, "ERROR 1146: ") {
		t.Fatalf("error: exit %d stderr %q", code, stderr)
	}
	if strings.Contains(out, "x") {
		t.Fatalf("statement after the error ran: %q", out)
	}
	_, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "-e", "CREATE EXTERNAL TABLE d.u (a int) STORD AS PARQUET LOCATION '/x'")
	if code != 1 || !strings.Contains(stderr, "ERROR 1064: syntax error at line 1, column 35 near 'STORD'") {
		t.Fatalf("syntax error: exit %d stderr %q", code, stderr)
	}
	_, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--memory-limit", "12QB", "-e", "SELECT 1")
	if code != 2 || !strings.Contains(stderr, "--memory-limit") {
		t.Fatalf("bad memory limit: exit %d stderr %q", code, stderr)
	}
	_, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--format", "xml", "-e", "SELECT 1")
	if code != 2 || !strings.Contains(stderr, "--format") {
		t.Fatalf("bad format: exit %d stderr %q", code, stderr)
	}
	// A tiny memory limit fails with the operator named.
	_, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--memory-limit", "1KiB", "-e", "SELECT name FROM d.t ORDER BY name")
	if code != 1 || !strings.Contains(stderr, "ERROR 1041: memory limit exceeded in ") {
		t.Fatalf("memory limit: exit %d stderr %q", code, stderr)
	}
	// Query history survives across processes.
	out, _, code = tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-e",
		"SELECT state, count(*) AS n FROM system.query_history GROUP BY state ORDER BY state")
	if code != 0 || !strings.Contains(out, "FAILED,") || !strings.Contains(out, "FINISHED,") {
		t.Fatalf("history: %q", out)
	}
}

func TestGenTPCH(t *testing.T) {
	if testing.Short() {
		t.Skip("generates data")
	}
	dd := t.TempDir()
	start := time.Now()
	out, stderr, code := tarn(t, "", "gen", "tpch", "--sf", "0.001", "--data-dir", dd)
	if code != 0 || !strings.Contains(out, "generated TPC-H SF 0.001 into database tpch") {
		t.Fatalf("gen: exit %d out %q err %q", code, out, stderr)
	}
	t.Logf("gen SF 0.001 took %v", time.Since(start))
	if _, err := os.Stat(filepath.Join(dd, "warehouse", "tpch", "lineitem")); err != nil {
		t.Fatal(err)
	}
	out, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-e",
		"USE tpch; SELECT count(*) AS n FROM nation; SELECT r_name FROM region ORDER BY r_name LIMIT 1")
	if code != 0 || out != "n\n25\nr_name\nAFRICA\n" {
		t.Fatalf("query: exit %d out %q err %q", code, out, stderr)
	}
	// Ctrl-C (SIGINT) cancels the running query promptly.
	cmd := exec.Command(tarnBin, "sql", "--data-dir", dd, "-e",
		"SELECT count(*) FROM tpch.lineitem a, tpch.lineitem b, tpch.nation c WHERE a.l_quantity + b.l_quantity + c.n_nationkey > 0")
	var se bytes.Buffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	sent := time.Now()
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(se.String(), "ERROR 1317: query cancelled") {
		t.Fatalf("after Ctrl-C: %v stderr %q", err, se.String())
	}
	if d := time.Since(sent); d > 3*time.Second {
		t.Fatalf("Ctrl-C took %v", d)
	}
	out, _, _ = tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-e",
		"SELECT state FROM system.query_history WHERE query_text LIKE '%lineitem a%'")
	if out != "state\nCANCELLED\n" {
		t.Fatalf("cancelled query history: %q", out)
	}
	// Regenerating replaces the registrations.
	if _, stderr, code = tarn(t, "", "gen", "tpch", "--sf", "0.001", "--data-dir", dd); code != 0 {
		t.Fatalf("regen: %s", stderr)
	}
	_, stderr, code = tarn(t, "", "gen", "tpch", "--data-dir", dd)
	if code != 2 || !strings.Contains(stderr, "--sf") {
		t.Fatalf("missing --sf: %d %q", code, stderr)
	}
}

func TestStatementComplete(t *testing.T) {
	tests := map[string]bool{
		"SELECT 1;": true, "SELECT 1": false, "SELECT ';'": false, "SELECT ';';": true, "SELECT 1; -- c": true,
		"SELECT 1 -- ;": false, "SELECT /* ; */ 1": false, "SELECT 'it''s';": true, `SELECT 'a\';`: false, "": false,
		"SELECT `a;b`": false, "SELECT 1;\n": true,
	}
	for in, want := range tests {
		if got := statementComplete(in); got != want {
			t.Errorf("statementComplete(%q) = %v", in, got)
		}
	}
}

func TestJSONValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 38, Scale: 4})
	defer b.Release()
	big, _ := decimal128.FromString("-12345678901234567890123.4567", 38, 4)
	b.Append(big)
	b.AppendNull()
	a := b.NewArray()
	defer a.Release()
	if got := jsonValue(a, 0); got != "-12345678901234567890123.4567" {
		t.Fatalf("decimal128 = %s", got)
	}
	if got := jsonValue(a, 1); got != "null" {
		t.Fatalf("null = %s", got)
	}
	if got := jsonString("a\"\\\n\x01é"); got != `"a\"\\\n\u0001é"` {
		t.Fatalf("jsonString = %s", got)
	}
}
