package mysqlwire

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/tpch"
	"github.com/tarnsql/tarn/engine"
)

// The shared test fixture: TPC-H SF 0.01 in a temporary data directory,
// served on a random loopback port with root password testPassword.
var (
	testEng  *engine.Engine
	testSrv  *Server
	testAddr string
	testMem  *memory.CheckedAllocator
	testDir  string
)

const testPassword = "s3cret'pw"

var tpchQueries = []string{"q01", "q03", "q06"}

func TestMain(m *testing.M) {
	code, err := setup(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "mysqlwire tests:", err)
		code = 1
	}
	os.Exit(code)
}

func setup(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "tarn-mysqlwire-")
	if err != nil {
		return 1, err
	}
	testDir = dir
	defer os.RemoveAll(dir)
	ctx := context.Background()
	testMem = memory.NewCheckedAllocator(memory.NewGoAllocator())
	testEng, err = engine.Open(ctx, engine.Config{DataDir: dir, Allocator: testMem, Slices: 2})
	if err != nil {
		return 1, err
	}
	defer testEng.Close()
	if !isFuzzWorker() { // fuzz workers restart often and need no data
		if err := loadTPCH(ctx, testEng, dir); err != nil {
			return 1, err
		}
	}
	level := slog.LevelWarn
	if os.Getenv("TARN_TEST_DEBUG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	testSrv, err = New(Config{Engine: testEng, Addr: "127.0.0.1:0", RootPassword: testPassword, Logger: logger})
	if err != nil {
		return 1, err
	}
	testSrv.h.testHook = func(sql string) {
		if strings.Contains(sql, "/* tarn-test-panic */") {
			panic("test panic")
		}
	}
	testAddr = testSrv.Addr().String()
	go testSrv.Serve()
	code := m.Run()
	if err := testSrv.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "server close:", err)
	}
	if n := testMem.CurrentAlloc(); n != 0 && code == 0 {
		return 1, fmt.Errorf("arrow memory leak: %d bytes still allocated after all tests", n)
	}
	return code, nil
}

// loadTPCH generates TPC-H SF 0.01 and registers it as database tpch (as
// "tarn gen tpch" does).
func loadTPCH(ctx context.Context, e *engine.Engine, dir string) error {
	wh := filepath.Join(dir, "warehouse", "tpch")
	store := e.Catalog()
	if err := store.CreateDatabase(ctx, catalog.Database{Name: "tpch", Location: wh, Comment: "TPC-H SF 0.01"}, true); err != nil {
		return err
	}
	tables, err := tpch.Generate(ctx, tpch.Options{SF: 0.01, Dir: wh, Database: "tpch", Format: "parquet"})
	if err != nil {
		return err
	}
	for _, t := range tables {
		t.Database = "tpch"
		if err := store.CreateTable(ctx, t, false); err != nil {
			return err
		}
	}
	return nil
}

// requireClient skips when a client binary is missing, unless
// TARN_REQUIRE_ALL=1 makes that a failure.
func requireClient(t *testing.T, bins ...string) {
	t.Helper()
	for _, b := range bins {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("TARN_REQUIRE_ALL") == "1" {
				t.Fatalf("client %s is not installed and TARN_REQUIRE_ALL=1", b)
			}
			t.Skipf("client %s is not installed (set TARN_REQUIRE_ALL=1 to fail instead)", b)
		}
	}
}

func requireFile(t *testing.T, path, what string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("TARN_REQUIRE_ALL") == "1" {
			t.Fatalf("%s (%s) is not installed and TARN_REQUIRE_ALL=1", what, path)
		}
		t.Skipf("%s (%s) is not installed (set TARN_REQUIRE_ALL=1 to fail instead)", what, path)
	}
}

func hostPort() (string, string) {
	i := strings.LastIndexByte(testAddr, ':')
	return testAddr[:i], testAddr[i+1:]
}

func tpchSQL(t *testing.T, q string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "..", "testdata", "tpch", "queries", q+".sql"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(b))
	return strings.TrimSuffix(s, ";")
}

// expectedRows runs sql in-process on the engine and renders each value
// with Arrow's own formatting (NULL as "NULL"): the reference the wire
// results are compared with.
func expectedRows(t *testing.T, sql string) [][]string {
	t.Helper()
	ctx := context.Background()
	s := testEng.NewSession("test")
	if err := s.Exec(ctx, "USE tpch"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Query(ctx, sql)
	if err != nil {
		t.Fatalf("engine (reference) failed on %s: %v", sql, err)
	}
	defer r.Close()
	var rows [][]string
	for {
		rec, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			break
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]string, rec.NumCols())
			for j := range row {
				c := rec.Column(j)
				switch {
				case c.IsNull(i):
					row[j] = "NULL"
				case c.DataType().ID() == arrow.TIMESTAMP:
					ts := c.(interface {
						Value(int) arrow.Timestamp
					}).Value(i)
					row[j] = time.UnixMicro(int64(ts)).UTC().Format("2006-01-02 15:04:05.000000")
				default:
					row[j] = c.ValueStr(i)
				}
			}
			rows = append(rows, row)
		}
		rec.Release()
	}
	if len(rows) == 0 {
		t.Fatalf("reference query returned no rows: %s", sql)
	}
	return rows
}

// sameValue compares a wire value with a reference value: exactly, or as
// numbers within 1e-9 relative error (float text differs by formatter).
func sameValue(got, want string) bool {
	if got == want {
		return true
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	return math.Abs(g-w) <= 1e-9*math.Max(1, math.Abs(w))
}

func compareRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d rows, want %d\ngot:  %v\nwant: %v", what, len(got), len(want), got, want)
	}
	for i := range want {
		if len(got[i]) != len(want[i]) {
			t.Fatalf("%s row %d: got %d columns %v, want %d %v", what, i, len(got[i]), got[i], len(want[i]), want[i])
		}
		for j := range want[i] {
			if !sameValue(got[i][j], want[i][j]) {
				t.Fatalf("%s row %d column %d: got %q, want %q\nrow got:  %v\nrow want: %v", what, i, j, got[i][j], want[i][j], got[i], want[i])
			}
		}
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// slowQuery runs for a long time on SF 0.01 (a 60k x 60k nested-loop
// join) and is used to test KILL, disconnect and timeouts.
const slowQuery = "SELECT COUNT(*) FROM tpch.lineitem a, tpch.lineitem b WHERE a.l_orderkey + b.l_orderkey < 0"

func isFuzzWorker() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.fuzzworker") {
			return true
		}
	}
	return false
}
