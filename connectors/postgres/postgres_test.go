package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	pgtest "github.com/tarnsql/tarn/internal/testsrv/postgres"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const typesDDL = `CREATE TABLE public.all_types (
  id int4 PRIMARY KEY, s int2, b int8, r float4, d float8,
  n numeric(12,2), nbig numeric(30,5), nfree numeric,
  t text, v varchar(10), c char(5), ok bool, dt date, ts timestamp, tstz timestamptz,
  u uuid, j jsonb, arr int4[], "MixedCase" text)`

var typesRows = []string{
	`INSERT INTO all_types VALUES (1, -32768, 9223372036854775807, 1.5, -2.25, 1234567890.12, -1234567890123456789012.34567, 3.14159265358979,
	  'héllo', 'abc', 'ab', true, '2024-02-29', '2024-02-29 13:14:15.123456', '2024-02-29 13:14:15+02',
	  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"k": [1, 2]}', '{1,2,3}', 'M')`,
	`INSERT INTO all_types VALUES (2, 32767, -1, -0.5, 1e300, -0.01, 0.00001, -12345678901234567890.0000000001,
	  '', 'z', 'abcde', false, '1969-12-31', '1900-01-01 00:00:00', '1970-01-01 00:00:00+00',
	  '00000000-0000-0000-0000-000000000000', 'null', '{}', 'm')`,
	`INSERT INTO all_types (id) VALUES (3)`,
}

// setup creates a database with all_types and returns a source on it.
func setup(t *testing.T) (*Source, string) {
	t.Helper()
	srv := pgtest.Get(t)
	dsn := srv.NewDatabase(t)
	ctx := context.Background()
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	if err := srv.Exec(ctx, db, append([]string{typesDDL}, typesRows...)...); err != nil {
		t.Fatal(err)
	}
	src, err := Open(ctx, Config{Name: "pg", URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return src, db
}

// scanAll reads every split of t with req and renders rows as text.
func scanAll(t *testing.T, tbl *Table, req *connectors.ScanRequest) []string {
	t.Helper()
	ctx := context.Background()
	splits, err := tbl.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sp := range splits {
		r, err := tbl.Open(ctx, sp, req)
		if err != nil {
			t.Fatal(err)
		}
		for {
			rec, err := r.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				t.Fatal(err)
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				var cells []string
				for c := 0; c < int(rec.NumCols()); c++ {
					col := rec.Column(c)
					if col.IsNull(i) {
						cells = append(cells, "NULL")
					} else {
						cells = append(cells, col.ValueStr(i))
					}
				}
				out = append(out, strings.Join(cells, "|"))
			}
			rec.Release()
		}
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func colIdx(t *testing.T, tbl *Table, names ...string) []int {
	t.Helper()
	var out []int
	for _, n := range names {
		i := tbl.Schema().FieldIndices(n)
		if len(i) != 1 {
			t.Fatalf("column %s not found in %s", n, tbl.Schema())
		}
		out = append(out, i[0])
	}
	return out
}

func TestSchemaMapping(t *testing.T) {
	src, _ := setup(t)
	tbl, err := src.Table(context.Background(), "public", "all_types")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range tbl.Columns() {
		got = append(got, c.Name+" "+c.Type)
	}
	want := []string{"id INT", "s SMALLINT", "b BIGINT", "r FLOAT", "d DOUBLE",
		"n DECIMAL(12,2)", "nbig DECIMAL(30,5)", "nfree DECIMAL(38,10)",
		"t VARCHAR", "v VARCHAR", "c VARCHAR", "ok BOOLEAN", "dt DATE", "ts TIMESTAMP", "tstz TIMESTAMP",
		"u VARCHAR", "j VARCHAR", "arr VARCHAR", "MixedCase VARCHAR"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("columns:\n got %v\nwant %v", got, want)
	}
	if tbl.Name() != "pg.public.all_types" {
		t.Errorf("Name() = %q", tbl.Name())
	}
	// Case-insensitive resolution of a lower-cased name.
	if _, err := src.Table(context.Background(), "PUBLIC", "ALL_TYPES"); err != nil {
		t.Errorf("case-insensitive lookup: %v", err)
	}
}

func TestScanAllTypes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src, _ := setup(t)
	tbl, err := src.Table(context.Background(), "", "all_types")
	if err != nil {
		t.Fatal(err)
	}
	all := make([]int, tbl.Schema().NumFields())
	for i := range all {
		all[i] = i
	}
	var stats connectors.ScanStats
	var mu sync.Mutex
	var sqls []string
	SetTracer(func(conn, sql string, args []any) {
		mu.Lock()
		sqls = append(sqls, sql)
		mu.Unlock()
	})
	defer SetTracer(nil)
	got := scanAll(t, tbl, &connectors.ScanRequest{Schema: tbl.Schema(), Columns: all, BatchSize: 2, Mem: mem, Stats: &stats})
	// ORDER is the heap order (inserted order for a fresh table).
	want := []string{
		"1|-32768|9223372036854775807|1.5|-2.25|1234567890.12|-1234567890123456789012.34567|3.1415926536|héllo|abc|ab|true|2024-02-29|2024-02-29T13:14:15.123456|2024-02-29T11:14:15|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{\"k\": [1, 2]}|{1,2,3}|M",
		"2|32767|-1|-0.5|1e+300|-0.01|1e-05|-12345678901234567890.0000000001||z|abcde|false|1969-12-31|1900-01-01T00:00:00|1970-01-01T00:00:00|00000000-0000-0000-0000-000000000000|null|{}|m",
		"3|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if stats.RowsScanned.Load() != 3 || stats.BytesScanned.Load() <= 0 || stats.SplitsTotal.Load() != 1 {
		t.Errorf("stats: rows %d bytes %d splits %d", stats.RowsScanned.Load(), stats.BytesScanned.Load(), stats.SplitsTotal.Load())
	}
	wantSQL := `SELECT "id", "s", "b", "r", "d", "n", "nbig", "nfree"::numeric(38,10), "t", "v", "c"::text, "ok", "dt", "ts", "tstz", "u", "j"::text, "arr"::text, "MixedCase" FROM "public"."all_types"`
	if len(sqls) != 1 || sqls[0] != wantSQL {
		t.Errorf("SQL sent:\n%q\nwant\n%q", sqls, wantSQL)
	}
}

func TestPushdown(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src, _ := setup(t)
	ctx := context.Background()
	tbl, err := src.Table(ctx, "public", "all_types")
	if err != nil {
		t.Fatal(err)
	}
	idx := func(n string) int { return colIdx(t, tbl, n)[0] }
	cases := []struct {
		name   string
		cols   []string
		ranges []connectors.Range
		limit  int64
		sql    string
		args   string
		rows   []string
	}{
		{name: "projection", cols: []string{"id", "t"},
			sql: `SELECT "id", "t" FROM "public"."all_types"`, args: "[]",
			rows: []string{"1|héllo", "2|", "3|NULL"}},
		{name: "no columns", cols: nil,
			sql: `SELECT  FROM "public"."all_types"`, args: "[]", rows: []string{"", "", ""}},
		{name: "int range", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("s"), Min: int64(0)}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "s" >= $1::int8`, args: "[0]", rows: []string{"2"}},
		{name: "int set", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("id"), Values: []any{int64(1), int64(3), int64(7)}}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "id" = ANY($1::int8[])`, args: "[[1 3 7]]", rows: []string{"1", "3"}},
		{name: "eq and null allowed", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("id"), Values: []any{int64(2)}, AllowNull: true}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE ("id" = $1::int8 OR "id" IS NULL)`, args: "[2]", rows: []string{"2"}},
		{name: "string range bytewise", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("MixedCase"), Min: "M", Max: "M"}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "MixedCase" COLLATE "C" >= $1::text AND "MixedCase" COLLATE "C" <= $2::text`, args: "[M M]", rows: []string{"1"}},
		{name: "char as text", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("c"), Values: []any{"ab"}}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "c"::text = $1::text`, args: "[ab]", rows: []string{"1"}},
		{name: "decimal", cols: []string{"id", "n"}, ranges: []connectors.Range{{Column: idx("n"), Max: int64(0)}},
			sql: `SELECT "id", "n" FROM "public"."all_types" WHERE "n" <= $1::numeric`, rows: []string{"2|-0.01"}},
		{name: "unconstrained numeric compared after rounding", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("nfree"), Values: []any{int64(31415926536)}}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "nfree"::numeric(38,10) = $1::numeric`, rows: []string{"1"}},
		{name: "date", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("dt"), Min: int64(19782)}}, // 2024-02-29
			sql: `SELECT "id" FROM "public"."all_types" WHERE "dt" >= $1::date`, rows: []string{"1"}},
		{name: "timestamp", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("ts"), Min: int64(1709212455123456)}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "ts" >= $1::timestamp`, rows: []string{"1"}},
		{name: "timestamptz", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("tstz"), Max: int64(0)}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "tstz" <= $1::timestamptz`, rows: []string{"2"}},
		{name: "uuid", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("u"), Values: []any{"not-a-uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"}}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "u"::text = ANY($1::text[])`, rows: []string{"1"}},
		{name: "bool set", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("ok"), Values: []any{false}}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "ok" = $1::bool`, rows: []string{"2"}},
		{name: "wrong Go type is not pushed", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("id"), Min: "x"}},
			sql: `SELECT "id" FROM "public"."all_types"`, rows: []string{"1", "2", "3"}},
		{name: "float", cols: []string{"id"}, ranges: []connectors.Range{{Column: idx("d"), Min: float64(0)}},
			sql: `SELECT "id" FROM "public"."all_types" WHERE "d" >= $1::float8`, rows: []string{"2"}},
		{name: "limit", cols: []string{"id"}, limit: 2,
			sql: `SELECT "id" FROM "public"."all_types" LIMIT 2`, rows: []string{"1", "2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var cols []int
			if len(tc.cols) > 0 {
				cols = colIdx(t, tbl, tc.cols...)
			}
			req := &connectors.ScanRequest{Schema: tbl.Schema(), Columns: cols, Ranges: tc.ranges, Limit: tc.limit, BatchSize: 1024, Mem: mem}
			sql, args, err := tbl.SQL(connectors.Split{}, req)
			if err != nil {
				t.Fatal(err)
			}
			if sql != tc.sql {
				t.Errorf("SQL:\n got %s\nwant %s", sql, tc.sql)
			}
			if tc.args != "" && fmt.Sprint(args) != tc.args {
				t.Errorf("args = %v, want %s", args, tc.args)
			}
			got := scanAll(t, tbl, req)
			if strings.Join(got, ",") != strings.Join(tc.rows, ",") {
				t.Errorf("rows = %q, want %q", got, tc.rows)
			}
		})
	}
}

func TestSplitsByCtid(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	srv := pgtest.Get(t)
	dsn := srv.NewDatabase(t)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	if err := srv.Exec(ctx, db,
		`CREATE TABLE big AS SELECT g AS id, repeat('x', 100) AS pad FROM generate_series(1, 20000) g`,
		`ANALYZE big`); err != nil {
		t.Fatal(err)
	}
	src, err := Open(ctx, Config{Name: "pg", URL: dsn, SplitPages: 50})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tbl, err := src.Table(ctx, "public", "big")
	if err != nil {
		t.Fatal(err)
	}
	if rows, bytes := tbl.Estimate(ctx); rows != 20000 || bytes <= 0 {
		t.Errorf("Estimate = %d rows, %d bytes", rows, bytes)
	}
	var st connectors.ScanStats
	req := &connectors.ScanRequest{Schema: tbl.Schema(), Columns: []int{0}, BatchSize: 1000, Mem: mem, Stats: &st}
	splits, err := tbl.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) < 3 {
		t.Fatalf("expected several ctid splits, got %d", len(splits))
	}
	sql, _, _ := tbl.SQL(splits[1], req)
	if !strings.Contains(sql, `ctid >= '(50,0)'::tid AND ctid < '(100,0)'::tid`) {
		t.Errorf("split SQL: %s", sql)
	}
	got := scanAll(t, tbl, req)
	seen := map[string]bool{}
	for _, r := range got {
		if seen[r] {
			t.Fatalf("row %s read twice", r)
		}
		seen[r] = true
	}
	if len(got) != 20000 {
		t.Fatalf("read %d rows over %d splits, want 20000", len(got), len(splits))
	}
	// With a limit, one split.
	req.Limit = 5
	if sp, _ := tbl.Splits(ctx, req); len(sp) != 1 {
		t.Errorf("limit: %d splits", len(sp))
	}
}

func TestEarlyCloseCancels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	srv := pgtest.Get(t)
	dsn := srv.NewDatabase(t)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	if err := srv.Exec(ctx, db, `CREATE VIEW endless AS SELECT g AS id FROM generate_series(1, 100000000) g`); err != nil {
		t.Fatal(err)
	}
	src, err := Open(ctx, Config{Name: "pg", URL: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	tbl, err := src.Table(ctx, "public", "endless")
	if err != nil {
		t.Fatal(err)
	}
	req := &connectors.ScanRequest{Schema: tbl.Schema(), Columns: []int{0}, BatchSize: 10, Mem: mem}
	r, err := tbl.Open(ctx, connectors.Split{}, req)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rec.NumRows() != 10 {
		t.Errorf("batch of %d rows", rec.NumRows())
	}
	rec.Release()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// The pool still works after the cancelled query.
	if _, err := src.Table(ctx, "public", "endless"); err != nil {
		t.Fatal(err)
	}
}

func TestErrors(t *testing.T) {
	src, _ := setup(t)
	ctx := context.Background()
	_, err := src.Table(ctx, "public", "nope")
	if err == nil || !IsNotFound(err) || !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("missing table: %v", err)
	}
	if !strings.Contains(err.Error(), "connection pg, table pg.public.nope") {
		t.Errorf("missing table error does not name connection and table: %v", err)
	}

	// Unreachable server, password in the URL: never in the error.
	bad, err := Open(ctx, Config{Name: "down", URL: "postgres://alice:s3cr3t-pw@127.0.0.1:1/db?connect_timeout=2"})
	if err != nil {
		t.Fatal(err)
	}
	defer bad.Close()
	_, err = bad.Table(ctx, "public", "t")
	if err == nil || !strings.Contains(err.Error(), "connection down") || strings.Contains(err.Error(), "s3cr3t-pw") {
		t.Fatalf("unreachable: %v", err)
	}

	// Unknown role (the test server trusts local connections, so this is
	// how authentication fails here): the password is not shown.
	srv := pgtest.Get(t)
	authURL := fmt.Sprintf("postgres://nobody:topsecret@%s:%d/postgres?sslmode=disable", srv.Host, srv.Port)
	au, err := Open(ctx, Config{Name: "auth", URL: authURL})
	if err != nil {
		t.Fatal(err)
	}
	defer au.Close()
	err = au.Ping(ctx)
	if err == nil || !strings.Contains(err.Error(), "connection auth: authentication failed") || strings.Contains(err.Error(), "topsecret") {
		t.Fatalf("auth: %v", err)
	}

	// A bad URL never echoes the URL.
	_, err = Open(ctx, Config{Name: "u", URL: "postgres://bob:hunter2@host:notaport/db"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("bad URL: %v", err)
	}

	// Remote errors while reading name the connection and table.
	_, db := src, ""
	db = strings.TrimPrefix(src.cfg.URL[strings.LastIndexByte(src.cfg.URL, '/')+1:], "")
	db = db[:strings.IndexByte(db, '?')]
	if err := srv.Exec(ctx, db, `CREATE TABLE ov (x numeric)`, `INSERT INTO ov VALUES (1), (1e30)`); err != nil {
		t.Fatal(err)
	}
	tbl, err := src.Table(ctx, "public", "ov")
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	req := &connectors.ScanRequest{Schema: tbl.Schema(), Columns: []int{0}, BatchSize: 10, Mem: mem}
	r, err := tbl.Open(ctx, connectors.Split{}, req)
	if err == nil {
		var rec arrow.RecordBatch
		rec, err = r.Next(ctx)
		if rec != nil {
			rec.Release()
		}
		r.Close()
	}
	if err == nil || !strings.Contains(err.Error(), "connection pg, table pg.public.ov: numeric field overflow") {
		t.Fatalf("overflow while reading: %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://u:pw@h:5432/db?sslmode=disable": "postgres://u:********@h:5432/db?sslmode=disable",
		"postgres://u@h/db":                         "postgres://u@h/db",
		"host=h user=u password=pw dbname=d":        "host=h user=u password=******** dbname=d",
		"postgres://h/db?password=pw":               "postgres://h/db?password=xxxxx",
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseNumeric(t *testing.T) {
	enc := func(s string) []byte {
		// Encode through pgtype to get PostgreSQL's binary form.
		var n pgtype.Numeric
		if err := n.Scan(s); err != nil {
			t.Fatal(err)
		}
		m := pgtype.NewMap()
		b, err := m.Encode(pgtype.NumericOID, pgtype.BinaryFormatCode, n, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, tc := range []struct {
		in    string
		scale int32
		want  string
	}{
		{"0", 2, "0"}, {"1", 0, "1"}, {"-1.5", 1, "-15"}, {"12345678.9", 2, "1234567890"},
		{"0.00001", 5, "1"}, {"10000", 0, "10000"}, {"1.25", 1, "13"}, {"-1.25", 1, "-13"},
		{"99999999999999999999999999999999999999", 0, "99999999999999999999999999999999999999"},
		{"1234567890123456.78", 2, "123456789012345678"},
	} {
		neg, u, err := parseNumeric(enc(tc.in), tc.scale)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		v := new(big.Int).Lsh(new(big.Int).SetUint64(u.hi), 64)
		v.Or(v, new(big.Int).SetUint64(u.lo))
		if neg {
			v.Neg(v)
		}
		if v.String() != tc.want {
			t.Errorf("parseNumeric(%s, %d) = %s, want %s", tc.in, tc.scale, v, tc.want)
		}
	}
	if _, _, err := parseNumeric(enc("NaN"), 0); err == nil {
		t.Error("NaN accepted")
	}
	if _, _, err := parseNumeric(enc("1"+strings.Repeat("0", 40)), 0); err == nil {
		t.Error("overflow accepted")
	}
}
