package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/tpch"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner"
	"github.com/tarnsql/tarn/planner/ddl"
)

var regexpQueryID = regexp.MustCompile(`\b\d{8}_\d{6}_\d{5}_[0-9a-z]{5}\b`)

// tpchDir is a TPC-H SF 0.001 Parquet warehouse generated once for all
// tests (tables under tpchDir/<table>/); tpchTables are its catalog
// entries.
var (
	tpchDir    string
	tpchTables []catalog.Table
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tarn-engine-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tpchDir = filepath.Join(dir, "tpch")
	tpchTables, err = tpch.Generate(context.Background(), tpch.Options{SF: 0.001, Dir: tpchDir, Database: "tpch", Format: "parquet"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "generating TPC-H fixture:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// testEngine opens an engine over a temp dir with the checked allocator
// and registers the TPC-H fixture as database tpch. The returned cleanup
// closes the engine and asserts that no Arrow memory leaked.
func testEngine(t *testing.T, cfg Config) (*Engine, *memory.CheckedAllocator) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Allocator = mem
	if cfg.MemoryLimit == 0 {
		cfg.MemoryLimit = 1 << 30
	}
	e, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := e.Catalog().CreateDatabase(ctx, catalog.Database{Name: "tpch"}, true); err != nil {
		t.Fatal(err)
	}
	for _, tb := range tpchTables {
		if err := e.Catalog().CreateTable(ctx, tb, true); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
		mem.AssertSize(t, 0)
	})
	return e, mem
}

// collect runs a query and renders its rows as space-joined text.
func collect(t *testing.T, s *Session, sql string) []string {
	t.Helper()
	rows, _, err := queryRows(context.Background(), s, sql, false)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return rows
}

func mustExec(t *testing.T, s *Session, sql string) {
	t.Helper()
	if err := s.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %s", sql, errText(err))
	}
}

func writeCSV(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCatalogStatements(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("alice")
	ctx := context.Background()
	dir := t.TempDir()
	csvPath := writeCSV(t, dir, "people/part-0.csv", "id,name,score\n1,ann,1.50\n2,bob,\n3,,3.25\n")

	mustExec(t, s, "CREATE DATABASE IF NOT EXISTS Sales COMMENT 'sales data'")
	mustExec(t, s, "CREATE DATABASE IF NOT EXISTS sales")
	mustExec(t, s, "USE sales")
	if s.Database() != "sales" {
		t.Fatalf("Database() = %q", s.Database())
	}
	mustExec(t, s, fmt.Sprintf(`CREATE EXTERNAL TABLE people (id bigint COMMENT 'key', name string, score decimal(10,2))
		ROW FORMAT DELIMITED FIELDS TERMINATED BY ','
		STORED AS TEXTFILE LOCATION '%s' TBLPROPERTIES ('skip.header.line.count'='1')`, filepath.Dir(csvPath)))

	tests := []struct {
		sql  string
		want string
	}{
		{"SHOW DATABASES", "information_schema|sales|system|tpch"},
		{"SHOW SCHEMAS LIKE 's%'", "sales|system"},
		{"SHOW TABLES", "people"},
		{"SHOW TABLES IN tpch LIKE 'l*'", "lineitem"},
		{"SHOW TABLES FROM system", "query_history|tables|wlm_query_state|wlm_queues|wlm_rule_actions"},
		{"DESCRIBE people", "id BIGINT key|name VARCHAR NULL|score DECIMAL(10,2) NULL"},
		{"DESC sales.people", "id BIGINT key|name VARCHAR NULL|score DECIMAL(10,2) NULL"},
		{"SELECT id, name, score FROM people ORDER BY id", "1 ann 1.50|2 bob NULL|3 (empty) 3.25"},
		{"SELECT table_schema, table_name, table_type FROM system.tables WHERE table_schema = 'sales'", "sales people EXTERNAL_TABLE"},
	}
	for _, tc := range tests {
		got := strings.Join(collect(t, s, tc.sql), "|")
		if got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.sql, got, tc.want)
		}
	}
	st, err := e.Catalog().GetTable(ctx, "sales", "people")
	if err != nil {
		t.Fatal(err)
	}
	if st.Format != "csv" || st.SerDeProps["field.delim"] != "," || st.Props["skip.header.line.count"] != "1" || st.Kind != catalog.KindExternal {
		t.Fatalf("stored table = %+v", st)
	}
	show := strings.Join(collect(t, s, "SHOW CREATE TABLE people"), "\n")
	if !strings.Contains(show, "CREATE EXTERNAL TABLE `sales`.`people`") || !strings.Contains(show, "'skip.header.line.count'='1'") {
		t.Fatalf("SHOW CREATE TABLE:\n%s", show)
	}
	// The rendered statement re-creates the same table.
	mustExec(t, s, "CREATE DATABASE copy")
	mustExec(t, s, strings.Replace(show, "`sales`.`people`", "copy.people", 1))
	if got := strings.Join(collect(t, s, "SELECT count(*) FROM copy.people"), ""); got != "3" {
		t.Fatalf("copy count = %s", got)
	}

	errs := []struct {
		sql  string
		code int
		msg  string
	}{
		{"USE nope", CodeUnknownDB, "unknown database 'nope'"},
		{"CREATE DATABASE sales", CodeDBExists, "database exists"},
		{"CREATE DATABASE system", CodeDBExists, "reserved"},
		{"DROP DATABASE sales", CodeDatabaseNotEmp, "CASCADE"},
		{"DESCRIBE missing", CodeNoTable, "'sales.missing' doesn't exist"},
		{"DESCRIBE nodb.t", CodeUnknownDB, "unknown database 'nodb'"},
		{"CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET LOCATION '/definitely/not/here'", CodeOther, "location '/definitely/not/here' does not exist"},
		{"CREATE EXTERNAL TABLE t (a int) STORED AS RCFILE LOCATION '" + dir + "'", CodeNotSupported, "storage format RCFILE is not supported"},
		{"CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (a string) STORED AS PARQUET LOCATION '" + dir + "'", CodeOther, "partition key a at line 1, column 49 is also a data column"},
		{"CREATE EXTERNAL TABLE t (a int) PARTITIONED BY (p struct<x:int>) STORED AS PARQUET LOCATION '" + dir + "'", CodeNotSupported, "partition key p at line 1, column 49: type STRUCT<x:INT> cannot be a partition key"},
		{"CREATE EXTERNAL TABLE people (a int) STORED AS PARQUET LOCATION '" + dir + "'", CodeTableExists, "'sales.people' already exists"},
		{"CREATE EXTERNAL TABLE t (a int) STORD AS PARQUET LOCATION '/x'", CodeSyntax, "syntax error at line 1, column 33 near 'STORD'"},
		{"DROP VIEW people", CodeWrongObject, "not a view"},
		{"SELECT 1; SELECT 2", CodeSyntax, "exactly one statement"},
		{"SELECT * FROM system.nope", CodeNoTable, "system.nope"},
	}
	for _, tc := range errs {
		r, err := s.Query(ctx, tc.sql)
		if err == nil {
			r.Close()
			t.Errorf("%s: no error", tc.sql)
			continue
		}
		code, _ := ErrorCode(err)
		if code != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %d %q, want %d containing %q", tc.sql, code, err, tc.code, tc.msg)
		}
	}
	mustExec(t, s, "DROP TABLE people; DROP TABLE IF EXISTS people")
	mustExec(t, s, "DROP DATABASE sales")
	if s.Database() != "" {
		t.Fatalf("dropping the current database left Database() = %q", s.Database())
	}
	_, err = s.Query(ctx, "SHOW TABLES")
	if code, _ := ErrorCode(err); code != CodeNoDatabase {
		t.Fatalf("SHOW TABLES without database: %v", err)
	}
	// The files of a dropped external table are kept.
	if _, err := os.Stat(csvPath); err != nil {
		t.Fatal(err)
	}
}

func TestViews(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("v")
	mustExec(t, s, "USE tpch")
	mustExec(t, s, "CREATE VIEW big_nations (k, n) AS SELECT n_nationkey, n_name FROM nation WHERE n_regionkey = 1")
	got := strings.Join(collect(t, s, "SELECT k, n FROM big_nations ORDER BY k"), "|")
	if got != "1 ARGENTINA|2 BRAZIL|3 CANADA|17 PERU|24 UNITED STATES" {
		t.Fatalf("view rows = %s", got)
	}
	if got := strings.Join(collect(t, s, "DESCRIBE big_nations"), "|"); got != "k BIGINT NULL|n VARCHAR NULL" && got != "k INT NULL|n VARCHAR NULL" {
		t.Fatalf("DESCRIBE view = %s", got)
	}
	mustExec(t, s, "CREATE OR REPLACE VIEW big_nations AS SELECT count(*) AS c FROM nation")
	if got := strings.Join(collect(t, s, "SELECT c FROM big_nations"), ""); got != "25" {
		t.Fatalf("replaced view = %s", got)
	}
	if err := s.Exec(context.Background(), "DROP TABLE big_nations"); err == nil {
		t.Fatal("DROP TABLE of a view succeeded")
	}
	mustExec(t, s, "DROP VIEW big_nations")
}

func TestQueryHistory(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	func() {
		e, _ := testEngine(t, Config{DataDir: dir, HistoryLimit: 50})
		s := e.NewSession("bob")
		mustExec(t, s, "USE tpch")
		rows := collect(t, s, "SELECT n_name FROM nation WHERE n_nationkey < 3")
		if len(rows) != 3 {
			t.Fatalf("rows = %v", rows)
		}
		if _, err := s.Query(ctx, "SELECT nope FROM nation"); err == nil {
			t.Fatal("bad column accepted")
		}
		got := collect(t, s, `SELECT user_name, query_text, state, rows_returned, error IS NULL, elapsed_ms >= 0, end_time >= start_time
			FROM system.query_history`)
		want := []string{
			"bob USE tpch FINISHED 0 true true true",
			"bob SELECT n_name FROM nation WHERE n_nationkey < 3 FINISHED 3 true true true",
			"bob SELECT nope FROM nation FAILED 0 false true true",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("history:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		// bytes/files scanned are recorded for scans.
		got = collect(t, s, "SELECT bytes_scanned > 0, files_scanned > 0 FROM system.query_history WHERE query_text LIKE 'SELECT n_name%'")
		if strings.Join(got, "|") != "true true" {
			t.Fatalf("scan counters = %v", got)
		}
		ids := collect(t, s, "SELECT count(DISTINCT query_id), count(*) FROM system.query_history")
		if ids[0] != "5 5" {
			t.Fatalf("query ids not unique: %v", ids)
		}
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
	}()
	// Persisted across a restart, capped at HistoryLimit.
	e, _ := testEngine(t, Config{DataDir: dir, HistoryLimit: 5})
	s := e.NewSession("carol")
	got := collect(t, s, "SELECT state, error FROM system.query_history WHERE query_text = 'SELECT nope FROM nation'")
	if len(got) != 1 || !strings.HasPrefix(strings.ToLower(got[0]), "failed unknown column") {
		t.Fatalf("after reopen: %v", got)
	}
	for i := 0; i < 10; i++ {
		collect(t, s, fmt.Sprintf("SELECT %d FROM tpch.region LIMIT 1", i))
	}
	got = collect(t, s, "SELECT query_text FROM system.query_history")
	if len(got) != 5 || got[4] != "SELECT 9 FROM tpch.region LIMIT 1" {
		t.Fatalf("capped history = %v", got)
	}
	id := regexpQueryID.FindString(strings.Join(collect(t, s, "SELECT query_id FROM system.query_history"), " "))
	if id == "" {
		t.Fatalf("query id format")
	}
}

func TestExplain(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("x")
	mustExec(t, s, "USE tpch")
	plan := collect(t, s, "EXPLAIN SELECT n_name FROM nation WHERE n_regionkey = 1")
	if len(plan) == 0 || !strings.Contains(strings.Join(plan, "\n"), "Scan tpch.nation") {
		t.Fatalf("EXPLAIN = %v", plan)
	}
	an := strings.Join(collect(t, s, "EXPLAIN ANALYZE SELECT count(*) FROM lineitem"), "\n")
	for _, w := range []string{"rows: 1", "bytes scanned:", "files scanned: ", "splits: ", "peak memory:"} {
		if !strings.Contains(an, w) {
			t.Fatalf("EXPLAIN ANALYZE lacks %q:\n%s", w, an)
		}
	}
	// Planner error positions are relative to the whole statement.
	_, err := s.Query(context.Background(), "EXPLAIN SELECT nope FROM nation")
	var pe *planner.Error
	if !errors.As(err, &pe) || pe.Line != 1 || pe.Col != 16 {
		t.Fatalf("EXPLAIN error = %#v", err)
	}
	var de *ddl.Error
	_, err = s.Query(context.Background(), "SHOW TABLEZ")
	if !errors.As(err, &de) {
		t.Fatalf("SHOW TABLEZ error = %v", err)
	}
}

func TestResultStreaming(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 4, BatchSize: 100})
	s := e.NewSession("x")
	ctx := context.Background()
	r, err := s.Query(ctx, "SELECT l_orderkey, l_extendedprice FROM tpch.lineitem")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(r.Columns(), ",") != "l_orderkey,l_extendedprice" || r.Schema().Field(1).Name != "l_extendedprice" {
		t.Fatalf("columns %v schema %v", r.Columns(), r.Schema())
	}
	var n, batches int64
	for {
		rec, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			break
		}
		if rec.NumRows() == 0 || rec.NumRows() > 100 {
			t.Fatalf("batch of %d rows", rec.NumRows())
		}
		if !rec.Schema().Equal(r.Schema()) {
			t.Fatalf("batch schema %v", rec.Schema())
		}
		n += rec.NumRows()
		batches++
		rec.Release()
	}
	st := r.Stats()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	want := collect(t, s, "SELECT count(*) FROM tpch.lineitem")[0]
	if fmt.Sprint(n) != want || st.Rows != n || st.BytesScanned <= 0 || st.SplitsDone == 0 || st.SplitsDone > st.SplitsTotal || st.State != StateFinished {
		t.Fatalf("rows %d (want %s), stats %+v", n, want, st)
	}
	// Closing early is fine and releases everything.
	r, err = s.Query(ctx, "SELECT * FROM tpch.lineitem")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next(ctx)
	if err != nil || rec == nil {
		t.Fatal(err)
	}
	rec.Release()
	if err := r.Close(); err != nil {
		t.Fatalf("early close: %v", err)
	}
}

func TestCancel(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2, BatchSize: 256})
	s := e.NewSession("x")
	ctx, cancel := context.WithCancel(context.Background())
	// A cross join of lineitem with itself and nation: ~900M rows, far more than the
	// test waits for.
	r, err := s.Query(ctx, "SELECT count(*) FROM tpch.lineitem a, tpch.lineitem b, tpch.nation c WHERE a.l_quantity + b.l_quantity + c.n_nationkey > 0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var nerr error
	var returned time.Time
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			rec, err := r.Next(ctx)
			if rec != nil {
				rec.Release()
				continue
			}
			nerr = err
			returned = time.Now()
			return
		}
	}()
	time.Sleep(300 * time.Millisecond)
	cancelled := time.Now()
	cancel()
	wg.Wait()
	if !errors.Is(nerr, context.Canceled) {
		t.Fatalf("Next after cancel: %v", nerr)
	}
	if d := returned.Sub(cancelled); d > 500*time.Millisecond {
		t.Fatalf("query stopped %v after cancel", d)
	}
	r.Close()
	got := collect(t, s, "SELECT state FROM system.query_history WHERE query_text LIKE '%lineitem a, tpch.lineitem b%'")
	if strings.Join(got, "") != StateCancelled {
		t.Fatalf("history state %v", got)
	}
}

func TestMemoryLimit(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2, MemoryLimit: 256 << 10})
	s := e.NewSession("x")
	_, _, err := queryRows(context.Background(), s, "SELECT l_comment, l_orderkey FROM tpch.lineitem ORDER BY l_comment", false)
	var me *exec.MemoryError
	if !errors.As(err, &me) || me.Op == "" {
		t.Fatalf("want a MemoryError naming the operator, got %v", err)
	}
	if code, _ := ErrorCode(err); code != CodeOutOfMemory {
		t.Fatalf("code %d", code)
	}
	// The session still works afterwards.
	if got := collect(t, s, "SELECT count(*) + 1 FROM tpch.nation"); got[0] != "26" {
		t.Fatal(got)
	}
}

func TestConcurrentSessions(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s := e.NewSession(fmt.Sprint("u", i))
			for j := 0; j < 5; j++ {
				rows, _, err := queryRows(context.Background(), s, fmt.Sprintf("SELECT count(*) FROM tpch.orders WHERE o_orderkey > %d", j), false)
				if err != nil {
					errs <- err
					return
				}
				if len(rows) != 1 {
					errs <- fmt.Errorf("rows %v", rows)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	s := e.NewSession("check")
	if got := collect(t, s, "SELECT count(*) FROM system.query_history"); got[0] != "20" {
		t.Fatalf("history count %v", got)
	}
}

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512MiB", 512 << 20, true}, {"16GiB", 16 << 30, true}, {"2GB", 2e9, true}, {"1048576", 1 << 20, true},
		{"1.5g", 3 << 29, true}, {"10 kb", 10000, true}, {"", 0, false}, {"abc", 0, false}, {"5XB", 0, false}, {"-1", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseBytes(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v", tc.in, got, err)
		}
	}
	if DefaultMemoryLimit() <= 0 {
		t.Fatal("DefaultMemoryLimit <= 0")
	}
}

func TestLikeMatch(t *testing.T) {
	tests := []struct {
		p, s string
		want bool
	}{
		{"a%", "abc", true}, {"a%", "bac", false}, {"%c", "abc", true}, {"a_c", "abc", true}, {"a_c", "abbc", false},
		{"%b%", "abc", true}, {"A%", "abc", true}, {"l*", "lineitem", true}, {"x*|n*", "nation", true}, {"a\\_b", "a_b", true},
		{"a\\_b", "axb", false}, {"%%", "", true}, {"", "", true}, {"", "a", false},
	}
	for _, tc := range tests {
		if got := likeMatch(tc.p, tc.s); got != tc.want {
			t.Errorf("likeMatch(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

// TestCancelQueryContext cancels the context given to Query while Next
// runs under another context: the result must end with the cancellation,
// not look complete.
func TestCancelQueryContext(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2, BatchSize: 64})
	s := e.NewSession("x")
	qctx, cancel := context.WithCancel(context.Background())
	r, err := s.Query(qctx, "SELECT count(*) FROM tpch.lineitem a, tpch.lineitem b, tpch.nation c WHERE a.l_quantity + b.l_quantity + c.n_nationkey > 0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	for {
		rec, err := r.Next(context.Background())
		if rec != nil {
			rec.Release()
			continue
		}
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Next = %v, want context.Canceled", err)
		}
		break
	}
	if err := r.Close(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Close = %v", err)
	}
	if st := r.Stats(); st.State != StateCancelled {
		t.Fatalf("state %s", st.State)
	}
}

func BenchmarkQueryOverhead(b *testing.B) {
	mem := memory.NewGoAllocator()
	e, err := Open(context.Background(), Config{DataDir: b.TempDir(), Allocator: mem, Slices: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	e.Catalog().CreateDatabase(ctx, catalog.Database{Name: "tpch"}, true)
	for _, tb := range tpchTables {
		e.Catalog().CreateTable(ctx, tb, true)
	}
	s := e.NewSession("bench")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := queryRows(ctx, s, "SELECT n_name FROM tpch.nation WHERE n_nationkey = 7", false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCatalogStatement(b *testing.B) {
	e, err := Open(context.Background(), Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession("bench")
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := queryRows(ctx, s, "SHOW DATABASES", false); err != nil {
			b.Fatal(err)
		}
	}
}
