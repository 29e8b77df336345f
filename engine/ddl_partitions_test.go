package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/logs"
)

// TestMsckTempTree runs MSCK REPAIR TABLE over a folder tree built in a
// temp directory: matching folders, escaped values, deeper subfolders,
// hidden files, folders that do not match the keys, and folders deleted
// between runs.
func TestMsckTempTree(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("t")
	root := t.TempDir()
	files := map[string]string{
		"year=2024/month=1/a.csv":               "1,a\n2,b\n",
		"year=2024/month=2/sub/b.csv":           "3,c\n", // deeper folders belong to the partition
		"year=2024/month=2/_SUCCESS":            "",      // hidden: ignored
		"year=2025/month=12/c.csv":              "4,d\n",
		"year=2025/month=12/.c.csv.crc":         "x",
		"year=2024/month=x/d.csv":               "9,z\n", // month is INT
		"year=2024/d.csv":                       "9,z\n", // too shallow
		"year=2024/day=3/e.csv":                 "9,z\n", // wrong key
		"YEAR=2026/MONTH=3/f.csv":               "5,e\n", // key names are case-insensitive
		"tmp/g.csv":                             "9,z\n", // not key=value
		"year=/month=1/h.csv":                   "9,z\n", // empty value
		"year=2024/month=%31%32/i.csv":          "6,f\n", // escaped value 12
		"_temporary/year=2024/month=5/j.csv":    "9,z\n", // hidden folder
		".hidden/year=2024/month=6/k.csv":       "9,z\n",
		"year=2027/month=1/deep/er/still/l.csv": "7,g\n",
	}
	for p, c := range files {
		writeCSV(t, root, p, c)
	}
	mustExec(t, s, "CREATE DATABASE d")
	mustExec(t, s, "USE d")
	mustExec(t, s, fmt.Sprintf(`CREATE EXTERNAL TABLE t (id int, v string) PARTITIONED BY (year int, month int)
		ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '%s'`, root))
	got := collect(t, s, "MSCK REPAIR TABLE t")
	want := []string{
		"added year=2024/month=1 %R/year=2024/month=1 NULL",
		"added year=2024/month=12 %R/year=2024/month=%31%32 NULL",
		"added year=2024/month=2 %R/year=2024/month=2 NULL",
		"added year=2025/month=12 %R/year=2025/month=12 NULL",
		"added year=2026/month=3 %R/YEAR=2026/MONTH=3 NULL",
		"added year=2027/month=1 %R/year=2027/month=1 NULL",
		"skipped NULL %R/tmp folder name 'tmp' is not key=value (expected year=...)",
		"skipped NULL %R/year= empty value for partition key year",
		"skipped NULL %R/year=2024 holds files at depth 1 but the table has 2 partition keys (year, month)",
		"skipped NULL %R/year=2024/day=3 partition key 'day' does not match the table's key month at level 2 (keys in order: year, month)",
		"skipped NULL %R/year=2024/month=x value 'x' of partition key month is not a valid INT",
	}
	for i := range want {
		want[i] = strings.ReplaceAll(want[i], "%R", root)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("MSCK:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := collect(t, s, "SELECT count(*), sum(id) FROM t"); got[0] != "7 28" {
		t.Fatalf("rows after MSCK: %v", got)
	}
	if got := collect(t, s, "SELECT id FROM t WHERE month = 12 ORDER BY id"); strings.Join(got, ",") != "4,6" {
		t.Fatalf("month 12: %v", got)
	}

	// Remove a folder and add one: ADD only adds, DROP only drops, SYNC both.
	if err := os.RemoveAll(filepath.Join(root, "year=2025")); err != nil {
		t.Fatal(err)
	}
	writeCSV(t, root, "year=2028/month=2/m.csv", "8,h\n")
	added := func(rows []string, action string) []string {
		var out []string
		for _, r := range rows {
			if strings.HasPrefix(r, action+" ") {
				out = append(out, strings.Fields(r)[1])
			}
		}
		return out
	}
	rows := collect(t, s, "MSCK REPAIR TABLE t DROP PARTITIONS")
	if a, r := added(rows, "added"), added(rows, "removed"); len(a) != 0 || !reflect.DeepEqual(r, []string{"year=2025/month=12"}) {
		t.Fatalf("DROP: added %v removed %v", a, r)
	}
	rows = collect(t, s, "MSCK REPAIR TABLE t SYNC PARTITIONS")
	if a, r := added(rows, "added"), added(rows, "removed"); !reflect.DeepEqual(a, []string{"year=2028/month=2"}) || len(r) != 0 {
		t.Fatalf("SYNC: added %v removed %v", a, r)
	}
	if got := collect(t, s, "SHOW PARTITIONS t"); len(got) != 6 || got[5] != "year=2028/month=2" {
		t.Fatalf("partitions %v", got)
	}

	// A location that does not exist is an error naming it, and nothing is dropped.
	other := filepath.Join(t.TempDir(), "gone")
	writeCSV(t, other, "year=1/month=1/a.csv", "1,a\n")
	mustExec(t, s, fmt.Sprintf(`CREATE EXTERNAL TABLE g (id int) PARTITIONED BY (year int, month int)
		ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '%s'`, other))
	mustExec(t, s, "MSCK REPAIR TABLE g")
	os.RemoveAll(other)
	_, _, err := queryRows(context.Background(), s, "MSCK REPAIR TABLE g SYNC PARTITIONS", false)
	if err == nil || !strings.Contains(err.Error(), "cannot list location '"+other+"'") {
		t.Fatalf("missing location: %v", err)
	}
	if got := collect(t, s, "SHOW PARTITIONS g"); len(got) != 1 {
		t.Fatalf("partitions of g after a failed MSCK: %v", got)
	}
}

// TestShowCreateRoundTrip re-creates tables from SHOW CREATE TABLE and
// compares the catalog entries.
func TestShowCreateRoundTrip(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 1})
	s := e.NewSession("t")
	ctx := context.Background()
	dir := t.TempDir()
	writeCSV(t, dir, "dt=2024-06-01/a.csv", "1,x\n")
	mustExec(t, s, "CREATE DATABASE src")
	mustExec(t, s, "CREATE DATABASE dst")
	stmts := []string{
		`CREATE EXTERNAL TABLE src.parts (id bigint COMMENT 'the ''id''', price decimal(12,3), at timestamp, ok boolean)
		COMMENT 'partitioned, with comments'
		PARTITIONED BY (dt string COMMENT 'day', hour int)
		STORED AS PARQUET LOCATION '%D'
		TBLPROPERTIES ('parquet.compression'='ZSTD', 'classification'='parquet')`,
		`CREATE EXTERNAL TABLE src.quoted (a string, b int)
		ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
		WITH SERDEPROPERTIES ('separatorChar'=';', 'quoteChar'='"', 'escapeChar'='\\')
		STORED AS TEXTFILE LOCATION '%D' TBLPROPERTIES ('skip.header.line.count'='1')`,
		`CREATE EXTERNAL TABLE src.delimited (a string, b int)
		ROW FORMAT DELIMITED FIELDS TERMINATED BY '\t' ESCAPED BY '\\' NULL DEFINED AS '\\N'
		STORED AS TEXTFILE LOCATION '%D'`,
		`CREATE EXTERNAL TABLE src.projected (a string) PARTITIONED BY (dt string) STORED AS PARQUET LOCATION '%D/not/yet'
		TBLPROPERTIES ('projection.enabled'='true', 'projection.dt.type'='date', 'projection.dt.format'='yyyy-MM-dd',
		'projection.dt.range'='2024-01-01,NOW', 'storage.location.template'='%D/not/yet/${dt}')`,
		`CREATE EXTERNAL TABLE src.json (a string, b bigint) PARTITIONED BY (dt date)
		ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe' WITH SERDEPROPERTIES ('ignore.malformed.json'='true')
		LOCATION '%D'`,
		`CREATE EXTERNAL TABLE src.secret (a string) STORED AS PARQUET LOCATION '%D'
		TBLPROPERTIES ('s3.secret-key'='hunter2', 'fs.s3a.access.key'='AKIAXYZ', 'owner'='me')`,
	}
	for _, st := range stmts {
		mustExec(t, s, strings.ReplaceAll(st, "%D", dir))
	}
	for _, name := range []string{"parts", "quoted", "delimited", "projected", "json", "secret"} {
		show := collect(t, s, "SHOW CREATE TABLE src."+name)
		if len(show) != 1 {
			t.Fatalf("%s: %v", name, show)
		}
		text := show[0]
		if strings.Contains(text, "hunter2") || strings.Contains(text, "AKIAXYZ") {
			t.Fatalf("SHOW CREATE TABLE shows credentials:\n%s", text)
		}
		mustExec(t, s, strings.Replace(text, "`src`.", "`dst`.", 1))
		a, err := e.Catalog().GetTable(ctx, "src", name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.Catalog().GetTable(ctx, "dst", name)
		if err != nil {
			t.Fatal(err)
		}
		if name == "secret" {
			delete(a.Props, "s3.secret-key")
			delete(a.Props, "fs.s3a.access.key")
		}
		if !reflect.DeepEqual(a.Columns, b.Columns) || !reflect.DeepEqual(a.PartitionKeys, b.PartitionKeys) ||
			a.Format != b.Format || a.Location != b.Location || a.Comment != b.Comment ||
			!reflect.DeepEqual(a.Props, b.Props) || !reflect.DeepEqual(a.SerDeProps, b.SerDeProps) {
			t.Fatalf("%s: round trip differs\n%s\nsrc %+v\ndst %+v", name, text, a, b)
		}
		if again := collect(t, s, "SHOW CREATE TABLE dst."+name); strings.Replace(again[0], "`dst`.", "`src`.", 1) != text && name != "secret" {
			t.Fatalf("%s: SHOW CREATE of the copy differs:\n%s\n%s", name, text, again[0])
		}
	}
}

// TestAnalyzeStats checks the statistics ANALYZE stores.
func TestAnalyzeStats(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2, BatchSize: 3})
	s := e.NewSession("t")
	ctx := context.Background()
	dir := t.TempDir()
	writeCSV(t, dir, "people/p.csv", "1,Ann,34,Oslo,5200.50,2020-01-15,true\n2,Bob,,Bergen,4100.00,2019-06-01,false\n3,Cid,28,,3900.25,,\n"+
		"4,Dee,45,Oslo,,2018-03-20,true\n5,Eve,28,Bergen,6100.75,2021-11-30,true\n6,Fay,51,Trondheim,-7300.00,2015-09-09,false\n")
	mustExec(t, s, "CREATE DATABASE d")
	mustExec(t, s, "USE d")
	mustExec(t, s, fmt.Sprintf(`CREATE EXTERNAL TABLE people (id bigint, name string, age int, city string, salary decimal(10,2), joined date, ok boolean)
		ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '%s/people'`, dir))
	mustExec(t, s, "ANALYZE TABLE people COMPUTE STATISTICS")
	tb, err := e.Catalog().GetTable(ctx, "d", "people")
	if err != nil {
		t.Fatal(err)
	}
	st := tb.Stats
	if st == nil || st.Rows != 6 || st.Files != 1 || st.Bytes == 0 {
		t.Fatalf("table stats %+v", st)
	}
	want := map[string]catalog.ColumnStats{
		"id":     {NullCount: 0, Distinct: 6, Min: "1", Max: "6"},
		"name":   {NullCount: 0, Distinct: 6, Min: "'Ann'", Max: "'Fay'"},
		"age":    {NullCount: 1, Distinct: 4, Min: "28", Max: "51"},
		"city":   {NullCount: 0, Distinct: 4, Min: "''", Max: "'Trondheim'"}, // CSV: empty text is '', not NULL
		"salary": {NullCount: 1, Distinct: 5, Min: "-7300.00", Max: "6100.75"},
		"joined": {NullCount: 1, Distinct: 5, Min: "DATE '2015-09-09'", Max: "DATE '2021-11-30'"},
		"ok":     {NullCount: 1, Distinct: 2, Min: "false", Max: "true"},
	}
	if !reflect.DeepEqual(st.Cols, want) {
		t.Fatalf("column stats\n%+v\nwant\n%+v", st.Cols, want)
	}
	// FOR COLUMNS refreshes only the named columns and keeps the others.
	mustExec(t, s, "ANALYZE TABLE people COMPUTE STATISTICS FOR COLUMNS age")
	tb, _ = e.Catalog().GetTable(ctx, "d", "people")
	if !reflect.DeepEqual(tb.Stats.Cols, want) {
		t.Fatalf("after FOR COLUMNS: %+v", tb.Stats.Cols)
	}
	// DESCRIBE FORMATTED shows them.
	desc := strings.Join(collect(t, s, "DESCRIBE FORMATTED people"), "\n")
	for _, w := range []string{"numRows 6", "age 28 / 51 1 / 4", "SerDe Library: org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe NULL", "Table Type: EXTERNAL_TABLE NULL"} {
		if !strings.Contains(desc, w) {
			t.Fatalf("DESCRIBE FORMATTED lacks %q:\n%s", w, desc)
		}
	}

	// Partitioned: per-partition stats and merged table totals.
	writeCSV(t, dir, "ev/dt=1/a.csv", "1,a\n2,b\n3,a\n")
	writeCSV(t, dir, "ev/dt=2/a.csv", "4,a\n5,c\n")
	writeCSV(t, dir, "ev/dt=3/a.csv", "6,d\n")
	mustExec(t, s, fmt.Sprintf(`CREATE EXTERNAL TABLE ev (id int, k string) PARTITIONED BY (dt string)
		ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '%s/ev'`, dir))
	mustExec(t, s, "MSCK REPAIR TABLE ev")
	mustExec(t, s, "ANALYZE TABLE ev COMPUTE STATISTICS")
	tb, _ = e.Catalog().GetTable(ctx, "d", "ev")
	if tb.Stats.Rows != 6 || tb.Stats.Files != 3 || tb.Stats.Cols["k"].Distinct != 4 || tb.Stats.Cols["id"].Max != "6" || tb.Stats.Cols["dt"].Distinct != 3 {
		t.Fatalf("ev stats %+v", tb.Stats)
	}
	ps := any(e.store).(catalog.PartitionStore)
	parts, err := ps.ListPartitions(ctx, "d", "ev", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 || parts[0].Stats == nil || parts[0].Stats.Rows != 3 || parts[0].Stats.Cols["k"].Distinct != 2 || parts[1].Stats.Cols["id"].Min != "4" {
		t.Fatalf("partition stats %+v", parts[0].Stats)
	}
}

func TestHLL(t *testing.T) {
	for _, n := range []int{0, 1, 100, 8192, 8193, 20000, 40000, 70000, 300000, 2000000} {
		h := newHLL()
		for i := 0; i < n; i++ {
			h.add(mix64(uint64(i)))
			h.add(mix64(uint64(i))) // duplicates do not count
		}
		got := h.count()
		tol := 0.03 * float64(n)
		if n <= hllExactLimit {
			tol = 0
		}
		if d := float64(got - int64(n)); d > tol || d < -tol {
			t.Errorf("n=%d: estimate %d", n, got)
		}
	}
	// Merging sketches of overlapping sets estimates the union.
	a, b := newHLL(), newHLL()
	for i := 0; i < 60000; i++ {
		a.add(mix64(uint64(i)))
		b.add(mix64(uint64(i + 30000)))
	}
	small := newHLL()
	for i := 0; i < 100; i++ {
		small.add(mix64(uint64(1<<40 + i)))
	}
	a.merge(b)
	a.merge(small)
	if got := a.count(); got < 87000 || got > 93200 {
		t.Errorf("union estimate %d, want ~90100", got)
	}
	small.merge(newHLL())
	if small.count() != 100 {
		t.Errorf("exact merge %d", small.count())
	}
}

func BenchmarkAnalyzeColumn(b *testing.B) {
	mem := memory.NewGoAllocator()
	ib := array.NewInt64Builder(mem)
	sb := array.NewStringBuilder(mem)
	for i := 0; i < 1<<16; i++ {
		ib.Append(int64(i % 50000))
		sb.Append(fmt.Sprintf("/products/%d", i%5000))
	}
	ints, strs := ib.NewArray(), sb.NewArray()
	defer ints.Release()
	defer strs.Release()
	for _, bc := range []struct {
		name string
		arr  arrow.Array
	}{{"int64", ints}, {"string", strs}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportMetric(0, "ns/op")
			for i := 0; i < b.N; i++ {
				a := newColAcc(bc.arr.DataType())
				if err := a.add(bc.arr); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*bc.arr.Len()), "ns/row")
		})
	}
}

// TestAnalyzeGeneratedLogs analyzes the generated web logs through both
// tables: registered partitions and partition projection.
func TestAnalyzeGeneratedLogs(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("t")
	ctx := context.Background()
	dir := t.TempDir()
	if err := e.Catalog().CreateDatabase(ctx, catalog.Database{Name: "weblogs"}, false); err != nil {
		t.Fatal(err)
	}
	res, err := logs.Generate(ctx, logs.Options{Dir: dir, Database: "weblogs", Days: 4, RowsPerDay: 2000, RowGroupRows: 500})
	if err != nil {
		t.Fatal(err)
	}
	if err := logs.Register(ctx, e.Catalog(), res); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "USE weblogs")
	mustExec(t, s, "ANALYZE TABLE requests COMPUTE STATISTICS")
	mustExec(t, s, "ANALYZE TABLE requests_projected COMPUTE STATISTICS")
	for _, name := range []string{"requests", "requests_projected"} {
		tb, err := e.Catalog().GetTable(ctx, "weblogs", name)
		if err != nil {
			t.Fatal(err)
		}
		st := tb.Stats
		if st.Rows != res.Rows || st.Files != 4 {
			t.Fatalf("%s: %d rows, %d files; generated %d rows", name, st.Rows, st.Files, res.Rows)
		}
		for col, n := range map[string]int64{"region": 7, "method": 6, "host": 4, "dt": 4} {
			if st.Cols[col].Distinct != n {
				t.Errorf("%s.%s: %d distinct, want %d", name, col, st.Cols[col].Distinct, n)
			}
		}
		if c := st.Cols["referrer"]; c.NullCount < res.Rows/3 || c.NullCount > res.Rows*2/3 {
			t.Errorf("%s.referrer: %d NULLs of %d", name, c.NullCount, res.Rows)
		}
		if c := st.Cols["ts"]; c.Min < "TIMESTAMP '2024-01-01" || c.Max > "TIMESTAMP '2024-01-05" {
			t.Errorf("%s.ts: %s .. %s", name, c.Min, c.Max)
		}
	}
	if _, _, err := queryRows(ctx, s, "ANALYZE TABLE requests_projected PARTITION (dt='2024-01-01') COMPUTE STATISTICS", false); err == nil ||
		!strings.Contains(err.Error(), "partitions are projected") {
		t.Fatalf("projected partition ANALYZE: %v", err)
	}
}

// BenchmarkMsckRepair discovers and registers 2,000 partitions
// (dt × hour folders) per iteration.
func BenchmarkMsckRepair(b *testing.B) {
	root := b.TempDir()
	for d := 0; d < 100; d++ {
		for h := 0; h < 20; h++ {
			p := filepath.Join(root, fmt.Sprintf("dt=2024-%02d-%02d", 1+d/28, 1+d%28), fmt.Sprintf("hour=%02d", h))
			if err := os.MkdirAll(p, 0o755); err != nil {
				b.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(p, "a.csv"), []byte("1\n"), 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	e, err := Open(context.Background(), Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	s := e.NewSession("b")
	ctx := context.Background()
	if err := s.Exec(ctx, "CREATE DATABASE d"); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sql := fmt.Sprintf(`CREATE EXTERNAL TABLE d.t%d (id int) PARTITIONED BY (dt string, hour int)
			ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '%s'; MSCK REPAIR TABLE d.t%d`, i, root, i)
		if err := s.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
}
