package sqldriver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDriver(t *testing.T) {
	dir := t.TempDir()
	files := filepath.Join(dir, "files")
	os.MkdirAll(files, 0o755)
	os.WriteFile(filepath.Join(files, "t.csv"), []byte("1,it's,12.50,2024-06-01,2024-06-01 13:45:00,1.5,true\n2,b?b,,,,,\n"), 0o644)

	db, err := sql.Open("tarn", filepath.Join(dir, "data")+"?memory_limit=256MiB&slices=2&user=tester")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(4)
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE d; CREATE EXTERNAL TABLE d.t (id bigint, s string, amount decimal(10,2), day date, ts timestamp, f double, b boolean) STORED AS CSV LOCATION ?", files); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, s, amount, day, ts, f, b FROM d.t WHERE id >= ? AND s <> ? ORDER BY id", 1, "x'; DROP DATABASE d; --")
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	if strings.Join(cols, ",") != "id,s,amount,day,ts,f,b" {
		t.Fatalf("columns %v", cols)
	}
	cts, _ := rows.ColumnTypes()
	if cts[2].DatabaseTypeName() != "DECIMAL(10,2)" || cts[3].DatabaseTypeName() != "DATE" {
		t.Fatalf("type names %s %s", cts[2].DatabaseTypeName(), cts[3].DatabaseTypeName())
	}
	type row struct {
		id     int64
		s      string
		amount sql.NullString
		day    sql.NullTime
		ts     sql.NullTime
		f      sql.NullFloat64
		b      sql.NullBool
	}
	var got []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.s, &r.amount, &r.day, &r.ts, &r.f, &r.b); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if len(got) != 2 {
		t.Fatalf("rows %+v", got)
	}
	r := got[0]
	if r.id != 1 || r.s != "it's" || r.amount.String != "12.50" || !r.day.Time.Equal(time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)) ||
		!r.ts.Time.Equal(time.Date(2024, 6, 1, 13, 45, 0, 0, time.UTC)) || r.f.Float64 != 1.5 || !r.b.Bool {
		t.Fatalf("row 1 = %+v", r)
	}
	if r := got[1]; r.s != "b?b" || r.amount.Valid || r.day.Valid || r.ts.Valid || r.f.Valid || r.b.Valid {
		t.Fatalf("row 2 = %+v", r)
	}
	// Prepared statements, a string placeholder value containing '?'.
	st, err := db.PrepareContext(ctx, "SELECT count(*) FROM d.t WHERE s = ? OR id = ?")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := st.QueryRowContext(ctx, "b?b", 1).Scan(&n); err != nil || n != 2 {
		t.Fatalf("prepared: %d %v", n, err)
	}
	st.Close()
	// Errors come back as errors; the database is still usable.
	if _, err := db.QueryContext(ctx, "SELECT nope FROM d.t"); err == nil {
		t.Fatal("bad column accepted")
	}
	var user string
	if err := db.QueryRowContext(ctx, "SELECT user_name FROM system.query_history LIMIT 1").Scan(&user); err != nil || user != "tester" {
		t.Fatalf("history user %q %v", user, err)
	}
	if _, err := db.BeginTx(ctx, nil); err == nil {
		t.Fatal("transactions accepted")
	}
}

func TestSharedEngineAndReopen(t *testing.T) {
	dir := t.TempDir()
	a, err := sql.Open("tarn", dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sql.Open("tarn", dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Exec("CREATE DATABASE x"); err != nil {
		t.Fatal(err)
	}
	var name string
	if err := b.QueryRow("SHOW DATABASES LIKE 'x'").Scan(&name); err != nil || name != "x" {
		t.Fatalf("second handle: %q %v", name, err)
	}
	a.Close()
	b.Close()
	// All connections closed: the engine is closed and can be reopened.
	c, err := sql.Open("tarn", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.QueryRow("SHOW DATABASES LIKE 'x'").Scan(&name); err != nil {
		t.Fatal(err)
	}
	enginesMu.Lock()
	open := len(engines)
	enginesMu.Unlock()
	if open != 1 {
		t.Fatalf("%d engines open", open)
	}
}

func TestBind(t *testing.T) {
	ts := time.Date(2024, 6, 1, 13, 45, 0, 500000000, time.UTC)
	tests := []struct {
		q    string
		args []any
		want string
		err  string
	}{
		{"SELECT ?", []any{int64(5)}, "SELECT 5", ""},
		{"SELECT ?, ?", []any{"a'b\\c", nil}, `SELECT 'a''b\\c', NULL`, ""},
		{"SELECT '?', `?`, ? -- ?\n", []any{true}, "SELECT '?', `?`, TRUE -- ?\n", ""},
		{"SELECT /* ? */ ?", []any{1.5}, "SELECT /* ? */ 1.5e+00", ""},
		{"SELECT ?", []any{ts}, "SELECT TIMESTAMP '2024-06-01 13:45:00.5'", ""},
		{"SELECT ?", []any{[]byte("x")}, "SELECT 'x'", ""},
		{"SELECT 'it''s ?', ?", []any{int64(1)}, "SELECT 'it''s ?', 1", ""},
		{"SELECT ?", nil, "", "1 placeholders but 0 arguments"},
		{"SELECT 1", []any{int64(1)}, "", "0 placeholders but 1 arguments"},
	}
	for _, tc := range tests {
		nv := make([]driver.NamedValue, len(tc.args))
		for i, a := range tc.args {
			nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
		}
		got, err := Bind(tc.q, nv)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Bind(%q) error %v, want %q", tc.q, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Bind(%q) = %q, %v; want %q", tc.q, got, err, tc.want)
		}
	}
}

func TestParseDSN(t *testing.T) {
	cfg, user, err := ParseDSN("/d?memory_limit=2GB&slices=3&batch_size=64&user=u")
	if err != nil || cfg.DataDir != "/d" || cfg.MemoryLimit != 2e9 || cfg.Slices != 3 || cfg.BatchSize != 64 || user != "u" {
		t.Fatalf("%+v %q %v", cfg, user, err)
	}
	for _, bad := range []string{"", "?x=1", "/d?memory_limit=lots", "/d?slices=-1", "/d?bogus=1"} {
		if _, _, err := ParseDSN(bad); err == nil {
			t.Errorf("ParseDSN(%q) accepted", bad)
		}
	}
}
