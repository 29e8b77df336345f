package engine

import (
	"context"
	"fmt"

	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tarnsql/tarn/connectors/postgres"
	pgtest "github.com/tarnsql/tarn/internal/testsrv/postgres"
)

// pgTrace records the SELECTs federated tables send.
type pgTrace struct {
	mu   sync.Mutex
	sqls []string
}

func (p *pgTrace) take() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.sqls
	p.sqls = nil
	return out
}

// loadNation copies tpch.nation (the Parquet fixture) into PostgreSQL,
// with one extra row holding NULLs.
func loadNation(t *testing.T, s *Session, dsn string) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, `CREATE SCHEMA sales;
		CREATE TABLE sales.nation (n_nationkey int4 PRIMARY KEY, n_name varchar(25), n_regionkey int8, n_comment text, n_rate numeric(6,3), n_since date)`); err != nil {
		t.Fatal(err)
	}
	b := &pgx.Batch{}
	r, err := s.Query(ctx, "SELECT n_nationkey, n_name, n_regionkey, n_comment FROM tpch.nation")
	if err != nil {
		t.Fatal(err)
	}
	for {
		rec, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			break
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			f := make([]string, 4)
			for j := range f {
				f[j] = rec.Column(j).ValueStr(i)
			}
			b.Queue(`INSERT INTO sales.nation VALUES ($1::int4, $2, $3::int8, $4, $1::numeric / 8, date '2000-01-01' + $1::int4)`, f[0], f[1], f[2], f[3])
		}
		rec.Release()
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	b.Queue(`INSERT INTO sales.nation VALUES (99, NULL, NULL, NULL, NULL, NULL)`)
	if err := c.SendBatch(ctx, b).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `ANALYZE sales.nation`); err != nil {
		t.Fatal(err)
	}
}

func TestFederatedPostgres(t *testing.T) {
	srv := pgtest.New(t)
	dsn := srv.NewDatabase(t)
	e, _ := testEngine(t, Config{})
	s := e.NewSession("alice")
	loadNation(t, s, dsn)
	ctx := context.Background()

	tr := &pgTrace{}
	postgres.SetTracer(func(conn, sql string, args []any) {
		tr.mu.Lock()
		tr.sqls = append(tr.sqls, fmt.Sprintf("%s: %s %v", conn, sql, args))
		tr.mu.Unlock()
	})
	defer postgres.SetTracer(nil)

	// The password comes from the environment; the test server trusts
	// local connections, so any password works.
	t.Setenv("TARN_TEST_PGPASS", "pw-from-env-123")
	url := strings.Replace(dsn, "postgres://"+srv.User+"@", "postgres://"+srv.User+":inline-secret-456@", 1)
	mustExec(t, s, "CREATE CONNECTION pg TYPE postgres URL '"+url+"' WITH (password_env='TARN_TEST_PGPASS', schema='sales')")
	mustExec(t, s, "CREATE CONNECTION IF NOT EXISTS pg TYPE postgres URL 'postgres://x@127.0.0.1:1/db'")

	t.Run("show connections", func(t *testing.T) {
		got := collect(t, s, "SHOW CONNECTIONS")
		if len(got) != 1 || !strings.HasPrefix(got[0], "pg postgres postgres://"+srv.User+":********@") ||
			!strings.Contains(got[0], "password_env=TARN_TEST_PGPASS, schema=sales") {
			t.Fatalf("SHOW CONNECTIONS = %q", got)
		}
	})

	t.Run("projection filter limit", func(t *testing.T) {
		tr.take()
		got := collect(t, s, "SELECT n_name, n_rate FROM `pg.sales`.nation WHERE n_regionkey = 1 AND n_nationkey >= 2 ORDER BY n_name")
		want := collect(t, s, "SELECT n_name, CAST(CAST(n_nationkey AS DECIMAL(6,3)) / 8 AS DECIMAL(6,3)) FROM tpch.nation WHERE n_regionkey = 1 AND n_nationkey >= 2 ORDER BY n_name")
		if len(got) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("got %q\nwant %q", got, want)
		}
		sqls := tr.take()
		if len(sqls) != 1 || !strings.Contains(sqls[0], `SELECT "n_nationkey", "n_name", "n_regionkey", "n_rate" FROM "sales"."nation" WHERE`) ||
			!strings.Contains(sqls[0], `"n_regionkey" = $`) || !strings.Contains(sqls[0], `"n_nationkey" >= $`) {
			t.Fatalf("pushed SQL: %q", sqls)
		}
		got = collect(t, s, "SELECT n_nationkey FROM pg.nation LIMIT 3")
		if len(got) != 3 {
			t.Fatalf("limit: %q", got)
		}
		if sqls := tr.take(); len(sqls) != 1 || !strings.Contains(sqls[0], `SELECT "n_nationkey" FROM "sales"."nation" LIMIT 3`) {
			t.Fatalf("pushed SQL: %q", sqls)
		}
	})

	t.Run("name forms and nulls", func(t *testing.T) {
		for _, q := range []string{
			"SELECT n_nationkey, n_name, n_rate, n_since FROM pg__sales.nation WHERE n_nationkey IN (3, 99) ORDER BY 1",
			"SELECT n_nationkey, n_name, n_rate, n_since FROM `pg.sales`.nation n WHERE n.n_nationkey IN (3, 99) ORDER BY 1",
			"SELECT n_nationkey, n_name, n_rate, n_since FROM pg.nation WHERE n_nationkey IN (3, 99) ORDER BY 1",
		} {
			got := collect(t, s, q)
			want := []string{"3 CANADA 0.375 2000-01-04", "99 NULL NULL NULL"}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s:\n got %q\nwant %q", q, got, want)
			}
		}
		if got := collect(t, s, "SELECT count(*), count(n_name) FROM pg.nation"); got[0] != "26 25" {
			t.Errorf("counts = %q", got)
		}
	})

	t.Run("typed predicates", func(t *testing.T) {
		for _, tc := range []struct{ where, want string }{
			{"n_rate > 2", "17 18 19 20 21 22 23 24"},
			{"n_rate = 0.375", "3"},
			{"n_rate BETWEEN 1 AND 1.25", "8 9 10"},
			{"n_since >= DATE '2000-01-20'", "19 20 21 22 23 24"},
			{"n_name LIKE 'UNITED%'", "23 24"},
			{"n_name >= 'W' OR n_nationkey = 99", "99"},
			{"n_name IN ('PERU', 'CHINA', 'nope')", "17 18"},
		} {
			rows := collect(t, s, "SELECT n_nationkey FROM pg.nation WHERE "+tc.where+" ORDER BY 1")
			if got := strings.Join(rows, " "); got != tc.want {
				t.Errorf("WHERE %s: got %s, want %s (pushed %q)", tc.where, got, tc.want, tr.take())
			}
			tr.take()
		}
	})

	t.Run("join with parquet", func(t *testing.T) {
		q := `SELECT n.n_name, count(*), sum(s.s_acctbal) FROM %s n JOIN tpch.supplier s ON s.s_nationkey = n.n_nationkey
		      WHERE n.n_regionkey IN (1, 3) GROUP BY n.n_name ORDER BY n.n_name`
		got := collect(t, s, fmt.Sprintf(q, "`pg.sales`.nation"))
		want := collect(t, s, fmt.Sprintf(q, "tpch.nation"))
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("join:\n got %q\nwant %q", got, want)
		}
	})

	t.Run("explain and history never show the password", func(t *testing.T) {
		plan := strings.Join(collect(t, s, "EXPLAIN SELECT n_name FROM pg.nation WHERE n_nationkey = 1"), "\n")
		if !strings.Contains(plan, "Scan pg.sales.nation") {
			t.Errorf("EXPLAIN:\n%s", plan)
		}
		io := collect(t, s, "EXPLAIN (TYPE IO) SELECT n_name FROM pg.nation")
		if len(io) != 2 || !strings.HasPrefix(io[0], "pg.sales.nation 0 0 0 0 0 ") {
			t.Errorf("EXPLAIN IO: %q", io)
		}
		hist := strings.Join(collect(t, s, "SELECT query_text, error FROM system.query_history"), "\n")
		for _, secret := range []string{"inline-secret-456", "pw-from-env-123"} {
			if strings.Contains(plan+hist+strings.Join(io, ""), secret) {
				t.Errorf("secret %s shown:\n%s\n%s", secret, plan, hist)
			}
		}
		if !strings.Contains(hist, "CREATE CONNECTION pg TYPE postgres URL 'postgres://"+srv.User+":********@") {
			t.Errorf("history does not hold the redacted CREATE CONNECTION:\n%s", hist)
		}
	})

	t.Run("errors", func(t *testing.T) {
		_, _, err := queryRows(ctx, s, "SELECT * FROM `pg.sales`.nope", false)
		if err == nil || !strings.Contains(err.Error(), "'pg.sales.nope' doesn't exist") {
			t.Errorf("missing table: %v", err)
		}
		if code, _ := ErrorCode(err); code != CodeNoTable {
			t.Errorf("missing table code %d", code)
		}
		mustExec(t, s, "CREATE CONNECTION down TYPE postgres URL 'postgres://bob:hunter2@127.0.0.1:1/db?connect_timeout=2' WITH (validate='false')")
		_, _, err = queryRows(ctx, s, "SELECT * FROM down.t", false)
		if err == nil || !strings.Contains(err.Error(), "connection down") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("unreachable: %v", err)
		}
		err = s.Exec(ctx, "CREATE CONNECTION down2 TYPE postgres URL 'postgres://bob:hunter2@127.0.0.1:1/db?connect_timeout=2'")
		if err == nil || !strings.Contains(err.Error(), "cannot connect") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("validation: %v", err)
		}
		err = s.Exec(ctx, "CREATE CONNECTION pg TYPE postgres URL '"+dsn+"'")
		if err == nil || !strings.Contains(err.Error(), "connection 'pg' already exists") {
			t.Errorf("duplicate: %v", err)
		}
		err = s.Exec(ctx, "CREATE CONNECTION tpch TYPE postgres URL '"+dsn+"'")
		if err == nil || !strings.Contains(err.Error(), "already a database name") {
			t.Errorf("database clash: %v", err)
		}
		err = s.Exec(ctx, "CREATE CONNECTION x TYPE postgres URL '"+dsn+"' WITH (password_env='TARN_NO_SUCH_VAR_X')")
		if err == nil || !strings.Contains(err.Error(), "TARN_NO_SUCH_VAR_X") {
			t.Errorf("missing env: %v", err)
		}
		err = s.Exec(ctx, "CREATE CONNECTION x TYPE postgres URL '"+dsn+"' WITH (colour='blue')")
		if err == nil || !strings.Contains(err.Error(), "unknown property colour") {
			t.Errorf("unknown property: %v", err)
		}
		mustExec(t, s, "DROP CONNECTION down")
		err = s.Exec(ctx, "DROP CONNECTION down")
		if err == nil || !strings.Contains(err.Error(), "connection 'down' doesn't exist") {
			t.Errorf("drop missing: %v", err)
		}
		mustExec(t, s, "DROP CONNECTION IF EXISTS down")
	})

	// Connections survive a restart; DROP CONNECTION removes them.
	dir := e.Config().DataDir
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2, _ := testEngine(t, Config{DataDir: dir})
	s2 := e2.NewSession("bob")
	if got := collect(t, s2, "SELECT count(*) FROM pg.nation"); got[0] != "26" {
		t.Fatalf("after restart: %q", got)
	}
	mustExec(t, s2, "DROP CONNECTION pg")
	if got := collect(t, s2, "SHOW CONNECTIONS"); len(got) != 0 {
		t.Fatalf("after drop: %q", got)
	}
	if _, _, err := queryRows(ctx, s2, "SELECT count(*) FROM pg.nation", false); err == nil {
		t.Fatal("dropped connection still resolves")
	}
}

func TestRedactStatement(t *testing.T) {
	for in, want := range map[string]string{
		"CREATE CONNECTION a TYPE postgres URL 'postgres://u:pw@h/db'":   "CREATE CONNECTION a TYPE postgres URL 'postgres://u:********@h/db'",
		"CREATE CONNECTION a TYPE postgres URL 'postgres://u@h/db'":      "CREATE CONNECTION a TYPE postgres URL 'postgres://u@h/db'",
		"CREATE CONNECTION a TYPE postgres URL 'postgres://u:p''w@h/db'": "CREATE CONNECTION a TYPE postgres URL 'postgres://u:********@h/db' ...",
		"CREATE CONNECTION a URL 'postgres://u:pw@h/db' TYPE":            "CREATE CONNECTION ... (text withheld: it may hold a password)",
		"SELECT 'postgres://u:pw@h/db'":                                  "SELECT 'postgres://u:pw@h/db'",
	} {
		if got := RedactStatement(in); got != want {
			t.Errorf("RedactStatement(%q) = %q, want %q", in, got, want)
		}
	}
}
