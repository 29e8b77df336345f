package ddl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		sql  string
		want Statement
	}{
		{"CREATE DATABASE weblogs", &CreateDatabase{Name: "weblogs"}},
		{"create schema if not exists `My DB` comment 'c' location 's3://b/w/';",
			&CreateDatabase{Name: "My DB", IfNotExists: true, Comment: "c", Location: "s3://b/w/"}},
		{"CREATE DATABASE d WITH DBPROPERTIES ('a'='b')", &CreateDatabase{Name: "d", Props: map[string]string{"a": "b"}}},
		{"DROP DATABASE d", &DropDatabase{Name: "d"}},
		{"drop schema if exists d cascade", &DropDatabase{Name: "d", IfExists: true, Cascade: true}},
		{"DROP DATABASE d RESTRICT", &DropDatabase{Name: "d"}},
		{"DROP TABLE IF EXISTS db.t", &DropTable{Table: Name{"db", "t"}, IfExists: true}},
		{"DROP VIEW v", &DropTable{Table: Name{Name: "v"}, View: true}},
		{"SHOW DATABASES", &ShowDatabases{}},
		{"SHOW SCHEMAS LIKE 'a%'", &ShowDatabases{Like: "a%", HasLike: true}},
		{"SHOW TABLES", &ShowTables{}},
		{"SHOW TABLES IN sales LIKE 'o%'", &ShowTables{Database: "sales", Like: "o%", HasLike: true}},
		{"show tables from sales", &ShowTables{Database: "sales"}},
		{"SHOW CREATE TABLE s.t", &ShowCreateTable{Table: Name{"s", "t"}}},
		{"SHOW COLUMNS FROM t IN d", &Describe{Table: Name{"d", "t"}, ColumnsOnly: true}},
		{"DESCRIBE db.orders", &Describe{Table: Name{"db", "orders"}}},
		{"desc `orders`", &Describe{Table: Name{Name: "orders"}}},
		{"DESCRIBE FORMATTED t", &Describe{Table: Name{Name: "t"}, Extended: true, Formatted: true}},
		{"USE tpch", &Use{Database: "tpch"}},
		{"EXPLAIN SELECT 1", &Explain{Query: "SELECT 1", QueryOffset: 8, QueryLine: 1, QueryCol: 9}},
		{"explain analyze\n  select * from t;", &Explain{Analyze: true, Query: "select * from t", QueryOffset: 18, QueryLine: 2, QueryCol: 3}},
		{"CREATE OR REPLACE VIEW v (a, b) AS SELECT x, y FROM t;",
			&CreateView{View: Name{Name: "v"}, OrReplace: true, Columns: []string{"a", "b"}, Query: "SELECT x, y FROM t", QueryOffset: 35}},
		{`CREATE EXTERNAL TABLE IF NOT EXISTS weblogs.requests (
  ts timestamp COMMENT 'when', host string, status int, bytes bigint, price decimal(15, 2),
  timers struct<lookup:double, total:double>, tags array<string>, m map<string,int>)
COMMENT 'requests'
PARTITIONED BY (dt string)
STORED AS PARQUET
LOCATION 's3://bucket/weblogs/requests/'
TBLPROPERTIES ('parquet.compression'='ZSTD', 'k2'='v2')`,
			&CreateTable{
				Table: Name{"weblogs", "requests"}, External: true, IfNotExists: true,
				Columns: []Column{
					{Name: "ts", Type: "TIMESTAMP", Comment: "when", Line: 2, Col: 3},
					{Name: "host", Type: "VARCHAR", Line: 2, Col: 32},
					{Name: "status", Type: "INT", Line: 2, Col: 45},
					{Name: "bytes", Type: "BIGINT", Line: 2, Col: 57},
					{Name: "price", Type: "DECIMAL(15,2)", Line: 2, Col: 71},
					{Name: "timers", Type: "STRUCT<lookup:DOUBLE,total:DOUBLE>", Complex: true, Line: 3, Col: 3},
					{Name: "tags", Type: "ARRAY<STRING>", Complex: true, Line: 3, Col: 47},
					{Name: "m", Type: "MAP<STRING,INT>", Complex: true, Line: 3, Col: 67},
				},
				Comment:    "requests",
				Partitions: []Column{{Name: "dt", Type: "VARCHAR", Line: 5, Col: 17}},
				StoredAs:   "parquet", Location: "s3://bucket/weblogs/requests/",
				Props: map[string]string{"parquet.compression": "ZSTD", "k2": "v2"},
			}},
		{`CREATE EXTERNAL TABLE raw_csv (a INT, b VARCHAR(20), c double precision)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' ESCAPED BY '\\' LINES TERMINATED BY '\n' NULL DEFINED AS ''
STORED AS TEXTFILE LOCATION '/data/raw' TBLPROPERTIES ('skip.header.line.count'='1')`,
			&CreateTable{
				Table: Name{Name: "raw_csv"}, External: true,
				Columns: []Column{{Name: "a", Type: "INT", Line: 1, Col: 32}, {Name: "b", Type: "VARCHAR", Line: 1, Col: 39},
					{Name: "c", Type: "DOUBLE", Line: 1, Col: 54}},
				RowFormat: &RowFormat{FieldsTerminatedBy: ",", EscapedBy: `\`, LinesTerminatedBy: "\n", HasNullDefinedAs: true},
				StoredAs:  "textfile", Location: "/data/raw",
				Props: map[string]string{"skip.header.line.count": "1"},
			}},
		{`CREATE EXTERNAL TABLE elb (a string)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES ('separatorChar'='\t', "quoteChar"='"')
LOCATION '/x'`,
			&CreateTable{
				Table: Name{Name: "elb"}, External: true,
				Columns:   []Column{{Name: "a", Type: "VARCHAR", Line: 1, Col: 28}},
				RowFormat: &RowFormat{SerDe: "org.apache.hadoop.hive.serde2.OpenCSVSerde", SerDeProps: map[string]string{"separatorChar": "\t", "quoteChar": `"`}},
				Location:  "/x",
			}},
		{"CREATE TABLE t (`a b` bigint unsigned, c bool) STORED AS csv LOCATION '/d' -- trailing comment",
			&CreateTable{Table: Name{Name: "t"}, Columns: []Column{{Name: "a b", Type: "BIGINT", Line: 1, Col: 17}, {Name: "c", Type: "BOOLEAN", Line: 1, Col: 40}},
				StoredAs: "csv", Location: "/d"}},
		{"/* c */ USE x", &Use{Database: "x"}},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			got, err := Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse =\n%#v\nwant\n%#v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		sql, want string
	}{
		{"CREATE EXTERNAL TABLE t (a int) STORD AS PARQUET LOCATION '/x'", "syntax error at line 1, column 33 near 'STORD'"},
		{"CREATE EXTERNAL TABLE t (a int)\n  STORED AS FOO LOCATION '/x'", "line 2, column 13 near 'FOO': unknown storage format FOO"},
		{"CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET", "expected LOCATION"},
		{"CREATE EXTERNAL TABLE t (a int) LOCATION '/x'", "expected STORED AS"},
		{"CREATE EXTERNAL TABLE t (a int, a int) STORED AS PARQUET LOCATION '/x'", "column 33 near 'a': duplicate column name a"},
		{"CREATE EXTERNAL TABLE t (a intt) STORED AS PARQUET LOCATION '/x'", "column 28 near 'intt': unknown type"},
		{"CREATE EXTERNAL TABLE t (a decimal(50,2)) STORED AS PARQUET LOCATION '/x'", "precision must be"},
		{"CREATE EXTERNAL TABLE t (a array<int) STORED AS PARQUET LOCATION '/x'", "column 66 near ''/x'': unexpected token in complex type"},
		{"CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET LOCATION x", "near 'x': expected location as a quoted string"},
		{"CREATE EXTERNAL TABLE t (a int) STORED AS PARQUET LOCATION /x", "column 60 near '/x': expected location as a quoted string"},
		{"CREATE EXTERNAL TABLE t (a array<int>>) STORED AS PARQUET LOCATION '/x'", "expected ','"},
		{"CREATE DATABASE", "at end of input: expected database name"},
		{"DROP DATABASE d CASCADE extra", "near 'extra': unexpected text"},
		{"SHOW FOO", "expected DATABASES"},
		{"CREATE DATABASE 'x", "unterminated string"},
		{"CREATE TABLE t AS SELECT 1", "CREATE TABLE AS SELECT is not supported"},
		{"EXPLAIN", "expected a query"},
		{"DESCRIBE", "expected table name"},
		{"CREATE EXTERNAL TABLE t (a int) TBLPROPERTIES ('a' 'b')", "expected '='"},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			_, err := Parse(tc.sql)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not *ddl.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestIsCatalogStatement(t *testing.T) {
	tests := map[string]bool{
		"CREATE EXTERNAL TABLE x": true, "  -- c\n show tables": true, "/* x */ describe t": true,
		"desc t": true, "USE db": true, "explain select 1": true, "drop table t": true,
		"SELECT 1": false, "WITH a AS (select 1) select * from a": false, "(select 1)": false,
		"": false, "select * from show": false, "created": false,
	}
	for sql, want := range tests {
		if got := IsCatalogStatement(sql); got != want {
			t.Errorf("IsCatalogStatement(%q) = %v, want %v", sql, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"CREATE EXTERNAL TABLE IF NOT EXISTS d.t (a int COMMENT 'x', b struct<c:array<int>>) PARTITIONED BY (dt string) ROW FORMAT DELIMITED FIELDS TERMINATED BY '\\t' STORED AS PARQUET LOCATION '/x' TBLPROPERTIES ('a'='b')",
		"DROP DATABASE IF EXISTS d CASCADE", "SHOW TABLES IN d LIKE 'x'", "EXPLAIN ANALYZE SELECT 1", "USE `a``b`",
		"CREATE OR REPLACE VIEW v AS SELECT 1", "DESCRIBE t", "CREATE DATABASE d COMMENT '\\u00e9\\101'",
		"ALTER TABLE t ADD IF NOT EXISTS PARTITION (dt='a', n=-1) LOCATION '/x' PARTITION (dt='b')",
		"ALTER TABLE t DROP IF EXISTS PARTITION (dt='a'), PARTITION (dt='b') PURGE", "MSCK REPAIR TABLE t SYNC PARTITIONS",
		"ANALYZE TABLE t PARTITION (dt) COMPUTE STATISTICS FOR COLUMNS a, b", "SHOW PARTITIONS t PARTITION (dt='x')",
		"ALTER TABLE t PARTITION (dt='a') SET LOCATION '/y'", "ALTER TABLE t ADD COLUMNS (c int COMMENT 'x')",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := Parse(s)
		if err == nil && st == nil {
			t.Fatal("nil statement without error")
		}
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || pe.Line < 1 || pe.Col < 1 {
				t.Fatalf("bad error %v", err)
			}
		}
		IsCatalogStatement(s)
	})
}

func BenchmarkParseCreateTable(b *testing.B) {
	sql := `CREATE EXTERNAL TABLE IF NOT EXISTS weblogs.requests (ts timestamp, host string, path string, status int, bytes bigint)
PARTITIONED BY (dt string) STORED AS PARQUET LOCATION 's3://bucket/weblogs/requests/' TBLPROPERTIES ('parquet.compression'='ZSTD')`
	for i := 0; i < b.N; i++ {
		if _, err := Parse(sql); err != nil {
			b.Fatal(err)
		}
	}
}
