package mysqlwire

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func dsn(db string, params ...string) string {
	c := mysql.NewConfig()
	c.User, c.Passwd, c.Net, c.Addr, c.DBName = "root", testPassword, "tcp", testAddr, db
	s := c.FormatDSN()
	for _, p := range params {
		if strings.Contains(s, "?") {
			s += "&" + p
		} else {
			s += "?" + p
		}
	}
	return s
}

func openDB(t testing.TB, db string, params ...string) *sql.DB {
	t.Helper()
	d, err := sql.Open("mysql", dsn(db, params...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// scanStrings reads every row as strings (NULL as "NULL").
func scanStrings(t testing.TB, rows *sql.Rows) [][]string {
	t.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			if v.Valid {
				row[i] = v.String
			} else {
				row[i] = "NULL"
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func queryStrings(t testing.TB, db *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return scanStrings(t, rows)
}

func mysqlErr(err error) (uint16, string) {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number, string(me.SQLState[:])
	}
	return 0, ""
}

func TestGoDriverMetadataAndTPCH(t *testing.T) {
	db := openDB(t, "tpch")
	db.SetMaxOpenConns(4)
	compareRows(t, "schemata", queryStrings(t, db, "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1"),
		[][]string{{"information_schema"}, {"system"}, {"tpch"}})
	compareRows(t, "tables", queryStrings(t, db,
		"SELECT TABLE_NAME, TABLE_TYPE, ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE 'n%' ORDER BY TABLE_NAME"),
		[][]string{{"nation", "BASE TABLE", "PARQUET"}})
	compareRows(t, "columns", queryStrings(t, db,
		"SELECT COLUMN_NAME, ORDINAL_POSITION, DATA_TYPE, COLUMN_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='tpch' AND TABLE_NAME='lineitem' AND COLUMN_NAME IN ('l_quantity','l_shipdate','l_orderkey') ORDER BY ORDINAL_POSITION"),
		[][]string{{"l_orderkey", "1", "bigint", "bigint", "19", "0"}, {"l_quantity", "5", "decimal", "decimal(15,2)", "15", "2"}, {"l_shipdate", "11", "date", "date", "NULL", "NULL"}})
	for _, q := range tpchQueries {
		t.Run(q, func(t *testing.T) {
			sql := tpchSQL(t, q)
			compareRows(t, q, queryStrings(t, db, sql), expectedRows(t, sql))
		})
	}
}

func TestGoDriverColumnTypes(t *testing.T) {
	db := openDB(t, "tpch")
	rows, err := db.Query(`SELECT l_orderkey, l_quantity, l_shipdate, l_comment, CAST(l_tax AS DOUBLE) AS d,
		TIMESTAMP '2024-01-02 03:04:05.25' AS ts, NULL AS n, l_linenumber = 1 AS b FROM lineitem LIMIT 1`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name, typ    string
		prec, scale  int64
		decimalKnown bool
	}{
		{"l_orderkey", "BIGINT", 0, 0, false},
		{"l_quantity", "DECIMAL", 15, 2, true},
		{"l_shipdate", "DATE", 0, 0, false},
		{"l_comment", "VARCHAR", 0, 0, false},
		{"d", "DOUBLE", 0, 0, false},
		{"ts", "DATETIME", 0, 0, false},
		{"n", "NULL", 0, 0, false},
		{"b", "TINYINT", 0, 0, false},
	}
	if len(cts) != len(want) {
		t.Fatalf("got %d columns, want %d", len(cts), len(want))
	}
	for i, w := range want {
		ct := cts[i]
		if ct.Name() != w.name || ct.DatabaseTypeName() != w.typ {
			t.Errorf("column %d: got %s %s, want %s %s", i, ct.Name(), ct.DatabaseTypeName(), w.name, w.typ)
		}
		if w.decimalKnown {
			p, s, ok := ct.DecimalSize()
			if !ok || p != w.prec || s != w.scale {
				t.Errorf("column %s: DecimalSize = %d,%d,%v want %d,%d", w.name, p, s, ok, w.prec, w.scale)
			}
		}
	}
	got := scanStrings(t, rows)
	if len(got) != 1 || got[0][5] != "2024-01-02 03:04:05.250000" || got[0][6] != "NULL" || (got[0][7] != "1" && got[0][7] != "0") {
		t.Fatalf("values: %v", got)
	}
}

func TestGoDriverPreparedStatements(t *testing.T) {
	db := openDB(t, "tpch")
	// Every parameter type the driver sends, round-tripped (the driver
	// sends time.Time as a string).
	ts := time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC)
	var (
		i64  int64
		f64  float64
		s    string
		b    []byte
		bl   int64
		null sql.NullString
		tsv  string
		u64  string
	)
	err := db.QueryRow("SELECT ?, ?, ?, ?, ?, ?, ?, ?", int64(-42), 2.5, "it's a \\ \"quote\"? yes", []byte{0, 1, 2, 0xff}, true, nil, ts, uint64(1<<62)).
		Scan(&i64, &f64, &s, &b, &bl, &null, &tsv, &u64)
	if err != nil {
		t.Fatal(err)
	}
	if i64 != -42 || f64 != 2.5 || s != "it's a \\ \"quote\"? yes" || string(b) != "\x00\x01\x02\xff" || bl != 1 || null.Valid || tsv != "2024-02-29 13:14:15.123456" || u64 != "4611686018427387904" {
		t.Fatalf("round trip: %v %v %q %x %v %v %v %v", i64, f64, s, b, bl, null, tsv, u64)
	}
	// Q6 with its parameters bound.
	stmt, err := db.Prepare(`SELECT SUM(l_extendedprice * l_discount) AS revenue FROM lineitem
		WHERE l_shipdate >= ? AND l_shipdate < ? AND l_discount BETWEEN ? - 0.01 AND ? + 0.01 AND l_quantity < ?`)
	if err != nil {
		t.Fatal(err)
	}
	defer stmt.Close()
	want := expectedRows(t, tpchSQL(t, "q06"))
	for range 3 { // re-execution of the same statement
		rows, err := stmt.Query(time.Date(1994, 1, 1, 0, 0, 0, 0, time.UTC), "1995-01-01", 0.06, 0.06, 24)
		if err != nil {
			t.Fatal(err)
		}
		compareRows(t, "prepared q6", scanStrings(t, rows), want)
	}
	// Errors in prepared statements keep their codes.
	_, err = db.Query("SELECT * FROM nosuch WHERE x = ?", 1)
	if code, state := mysqlErr(err); code != 1146 || state != "42S02" {
		t.Fatalf("want 1146 42S02, got %v", err)
	}
}

func TestGoDriverPoolingAndMultiStatements(t *testing.T) {
	db := openDB(t, "tpch", "multiStatements=true")
	db.SetMaxOpenConns(8)
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 5 {
				var n int64
				key := (g*5 + k) % 25
				if err := db.QueryRow("SELECT n_regionkey FROM nation WHERE n_nationkey = ?", key).Scan(&n); err != nil {
					errs <- err
					return
				}
				var want int64
				if err := db.QueryRow(fmt.Sprintf("SELECT n_regionkey FROM nation WHERE n_nationkey = %d", key)).Scan(&want); err != nil || want != n {
					errs <- fmt.Errorf("key %d: %d vs %d (%v)", key, n, want, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Multi-statements: results come back one after the other.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(context.Background(), "SET @a = 5; SELECT 1 AS x; SELECT r_name FROM region ORDER BY r_regionkey LIMIT 2")
	if err != nil {
		t.Fatal(err)
	}
	var sets [][][]string
	for {
		var set [][]string
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			var r []string
			for _, v := range vals {
				r = append(r, v.String)
			}
			set = append(set, r)
		}
		if len(cols) > 0 {
			sets = append(sets, set)
		}
		if !rows.NextResultSet() {
			break
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	if fmt.Sprint(sets) != "[[[1]] [[AFRICA] [AMERICA]]]" {
		t.Fatalf("multi-statement results: %v", sets)
	}
	// A failing statement ends the batch with its error.
	_, err = conn.ExecContext(context.Background(), "SELECT 1; SELECT * FROM nosuch; SELECT 2")
	if err == nil {
		rows, qerr := conn.QueryContext(context.Background(), "SELECT 1; SELECT * FROM nosuch; SELECT 2")
		if qerr == nil {
			for rows.NextResultSet() {
			}
			qerr = rows.Err()
			rows.Close()
		}
		err = qerr
	}
	if code, _ := mysqlErr(err); code != 1146 {
		t.Fatalf("want 1146 from the failing statement, got %v", err)
	}
}

func TestSessionQueries(t *testing.T) {
	db := openDB(t, "tpch")
	db.SetMaxOpenConns(1)
	for _, tc := range []struct {
		sql  string
		want [][]string
	}{
		{"SELECT @@version_comment LIMIT 1", [][]string{{versionComment}}},
		{"SELECT @@session.autocommit, @@global.max_allowed_packet, @@tx_isolation", [][]string{{"1", "67108864", "REPEATABLE-READ"}}},
		{"SELECT DATABASE(), USER() LIKE 'root@%', CURRENT_USER()", [][]string{{"tpch", "1", "root@%"}}},
		{"SET NAMES utf8mb4", nil},
		{"SET autocommit = 1, sql_mode = 'ANSI_QUOTES', @@session.net_write_timeout = 120", nil},
		{"SET character_set_results = NULL", nil},
		{"SELECT @@sql_mode, @@net_write_timeout, @@character_set_results", [][]string{{"ANSI_QUOTES", "120", "NULL"}}},
		{"SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED", nil},
		{"SELECT @@transaction_isolation", [][]string{{"READ-COMMITTED"}}},
		{"SET @x = 41", nil},
		{"SELECT @x + 1", [][]string{{"42"}}},
		{"SHOW VARIABLES LIKE 'lower_case%'", [][]string{{"lower_case_table_names", "1"}}},
		{"SHOW SESSION VARIABLES WHERE Variable_name IN ('autocommit', 'net_write_timeout')", [][]string{{"autocommit", "1"}, {"net_write_timeout", "120"}}},
		{"SHOW FULL TABLES FROM tpch LIKE 'part%'", [][]string{{"part", "BASE TABLE"}, {"partsupp", "BASE TABLE"}}},
		{"SHOW INDEX FROM nation", nil},
		{"SHOW ENGINES", [][]string{{"tarn", "DEFAULT", "Columnar scans over Parquet/CSV files in a data lake (read-only)", "NO", "NO", "NO"}}},
		{"SHOW CHARACTER SET LIKE 'utf8mb4'", [][]string{{"utf8mb4", "UTF-8 Unicode", "utf8mb4_0900_ai_ci", "4"}}},
		{"SHOW COLLATION WHERE Collation = 'binary'", [][]string{{"binary", "binary", "63", "Yes", "Yes", "1", "NO PAD"}}},
		{"BEGIN", nil},
		{"COMMIT", nil},
		{"SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'tpch'", [][]string{{"61"}}},
	} {
		got := queryStrings(t, db, tc.sql)
		compareRows(t, tc.sql, got, tc.want)
	}
	// SHOW WARNINGS reports an unknown variable read as NULL.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(context.Background(), "SELECT @@no_such_variable")
	if err != nil {
		t.Fatal(err)
	}
	if got := scanStrings(t, rows); len(got) != 1 || got[0][0] != "NULL" {
		t.Fatalf("unknown variable: %v", got)
	}
	rows, err = conn.QueryContext(context.Background(), "SHOW WARNINGS")
	if err != nil {
		t.Fatal(err)
	}
	if got := scanStrings(t, rows); len(got) != 1 || got[0][1] != "1193" {
		t.Fatalf("SHOW WARNINGS: %v", got)
	}
	// USE information_schema works and SHOW TABLES lists it.
	if _, err := conn.ExecContext(context.Background(), "USE information_schema"); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.QueryContext(context.Background(), "SELECT COUNT(*) FROM TABLES WHERE TABLE_SCHEMA = 'tpch'")
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, "TABLES from USE information_schema", scanStrings(t, rows), [][]string{{"8"}})
	if _, err := conn.ExecContext(context.Background(), "USE tpch"); err != nil {
		t.Fatal(err)
	}
	rows, err = conn.QueryContext(context.Background(), "SELECT COUNT(*) FROM region")
	if err != nil {
		t.Fatal(err)
	}
	compareRows(t, "back to tpch", scanStrings(t, rows), [][]string{{"5"}})
}

func TestShowCreateAndStreaming(t *testing.T) {
	db := openDB(t, "tpch")
	got := queryStrings(t, db, "SHOW CREATE TABLE region")
	if len(got) != 1 || len(got[0]) != 2 || got[0][0] != "region" || !strings.Contains(got[0][1], "CREATE EXTERNAL TABLE `tpch`.`region`") {
		t.Fatalf("SHOW CREATE TABLE: %v", got)
	}
	// A result of many batches arrives whole and in order.
	rows, err := db.Query("SELECT l_orderkey, l_linenumber, l_comment FROM lineitem ORDER BY l_orderkey, l_linenumber")
	if err != nil {
		t.Fatal(err)
	}
	all := scanStrings(t, rows)
	want := expectedRows(t, "SELECT l_orderkey, l_linenumber, l_comment FROM lineitem ORDER BY l_orderkey, l_linenumber")
	if len(all) != 60175 {
		t.Fatalf("%d rows, want 60175", len(all))
	}
	compareRows(t, "lineitem stream", all, want)
}
