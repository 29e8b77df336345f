package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/boltstore"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable"
)

type event struct {
	ID    int64   `parquet:"id"`
	Name  string  `parquet:"name"`
	Score float64 `parquet:"score"`
}

type eventV2 struct {
	ID    int64   `parquet:"id"`
	Name  string  `parquet:"name"`
	Score float64 `parquet:"score"`
	Extra int32   `parquet:"extra"`
}

type eventBad struct {
	ID   string `parquet:"id"`
	Name string `parquet:"name"`
}

func parquetBytes[T any](t testing.TB, rows []T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pq.Write(&b, rows); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeTree writes files (relative path -> content) below dir.
func writeTree(t testing.TB, dir string, files map[string][]byte) {
	t.Helper()
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func openStore(t testing.TB) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func crawlOK(t testing.TB, s catalog.Store, o Options) *Summary {
	t.Helper()
	sum, err := Run(context.Background(), s, o)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func tableOf(t testing.TB, s catalog.Store, db, name string) *catalog.Table {
	t.Helper()
	tb, err := s.GetTable(context.Background(), db, name)
	if err != nil {
		t.Fatalf("table %s.%s: %v", db, name, err)
	}
	return tb
}

func colsText(cols []catalog.Column) string {
	var parts []string
	for _, c := range cols {
		parts = append(parts, c.Name+" "+c.Type)
	}
	return strings.Join(parts, ", ")
}

func partsOf(t testing.TB, s catalog.Store, db, name string) []string {
	t.Helper()
	ps, err := s.(catalog.PartitionStore).ListPartitions(context.Background(), db, name, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, strings.Join(p.Values, "/"))
	}
	return out
}

func tableNames(t testing.TB, s catalog.Store, db string) []string {
	t.Helper()
	ts, err := s.ListTables(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tb := range ts {
		out = append(out, tb.Name)
	}
	sort.Strings(out)
	return out
}

func skippedReasons(sum *Summary) map[string]string {
	out := map[string]string{}
	for _, s := range sum.Skipped {
		out[filepath.Base(s.Path)] = s.Reason
	}
	return out
}

// lakeTree is a small data lake: Hive-partitioned Parquet, CSV under
// plain folders, gzipped JSON lines, and files to skip.
func lakeTree(t testing.TB) map[string][]byte {
	ev := func(id int64) []byte {
		return parquetBytes(t, []event{{ID: id, Name: "n", Score: 1.5}, {ID: id + 1, Name: "m", Score: 2}})
	}
	return map[string][]byte{
		"events/dt=2024-06-01/region=eu/part-0.parquet": ev(1),
		"events/dt=2024-06-01/region=us/part-0.parquet": ev(3),
		"events/dt=2024-06-02/region=eu/part-0.parquet": ev(5),
		"events/dt=2024-06-02/region=eu/_SUCCESS":       nil,
		"events/dt=2024-06-02/region=eu/.part-0.crc":    []byte("crc"),
		"logs/2024/01/a.csv":                            []byte("ts,level,msg\n2024-01-01 10:00:00,1,hello\n2024-01-01 11:00:00,2,\"a, b\"\n"),
		"logs/2024/02/b.csv":                            []byte("ts,level,msg\n2024-02-01 10:00:00,3,x\n"),
		"logs/tmp/scratch.csv":                          []byte("garbage;here\n"),
		"users/users.json.gz":                           gz(t, "{\"id\":1,\"name\":\"ann\",\"address\":{\"city\":\"oslo\"}}\n{\"id\":2,\"name\":\"bob\",\"tags\":[\"a\"]}\n"),
		"users/empty.json":                              {},
	}
}

func TestCrawlLake(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, lakeTree(t))
	s := openStore(t)
	var progress []Progress
	sum := crawlOK(t, s, Options{Location: dir, Database: "lake", Exclude: []string{"**/tmp/**"},
		Progress: func(p Progress) { progress = append(progress, p) }})

	if !sum.DatabaseCreated {
		t.Error("database not reported created")
	}
	if got := tableNames(t, s, "lake"); strings.Join(got, ",") != "events,logs,users" {
		t.Fatalf("tables %v", got)
	}
	ev := tableOf(t, s, "lake", "events")
	if got := colsText(ev.Columns); got != "id BIGINT, name VARCHAR, score DOUBLE" {
		t.Errorf("events columns %q", got)
	}
	if got := colsText(ev.PartitionKeys); got != "dt VARCHAR, region VARCHAR" {
		t.Errorf("events keys %q", got)
	}
	if ev.Format != "parquet" || ev.Location != filepath.Join(dir, "events") || ev.Props[PropCrawler] != "tarn" {
		t.Errorf("events table %+v", ev)
	}
	if ev.Stats == nil || ev.Stats.Rows != 6 || ev.Stats.Files != 3 {
		t.Errorf("events stats %+v", ev.Stats)
	}
	if got := partsOf(t, s, "lake", "events"); strings.Join(got, " ") != "2024-06-01/eu 2024-06-01/us 2024-06-02/eu" {
		t.Errorf("events partitions %v", got)
	}
	logs := tableOf(t, s, "lake", "logs")
	if got := colsText(logs.Columns); got != "ts TIMESTAMP, level INT, msg VARCHAR" {
		t.Errorf("logs columns %q", got)
	}
	if got := colsText(logs.PartitionKeys); got != "partition_0 VARCHAR, partition_1 VARCHAR" {
		t.Errorf("logs keys %q", got)
	}
	if logs.Format != "csv" || logs.SerDeProps["skip.header.line.count"] != "1" || logs.SerDeProps["field.delim"] != "" {
		t.Errorf("logs format %s props %v", logs.Format, logs.SerDeProps)
	}
	if got := partsOf(t, s, "lake", "logs"); strings.Join(got, " ") != "2024/01 2024/02" {
		t.Errorf("logs partitions %v", got)
	}
	users := tableOf(t, s, "lake", "users")
	wantUsers := "id INT, name VARCHAR, address STRUCT<city:VARCHAR>, tags ARRAY<VARCHAR>"
	if !complexTypes {
		wantUsers = "id INT, name VARCHAR, address VARCHAR, tags VARCHAR"
		notes := ""
		for _, tr := range sum.Tables {
			if tr.Table == "lake.users" {
				notes = strings.Join(tr.Notes, "|")
			}
		}
		if !strings.Contains(notes, "column address holds STRUCT<city:VARCHAR> values: typed VARCHAR") ||
			!strings.Contains(notes, "column tags holds ARRAY<VARCHAR> values") {
			t.Errorf("users notes %q", notes)
		}
	}
	if got := colsText(users.Columns); got != wantUsers {
		t.Errorf("users columns %q, want %q", got, wantUsers)
	}
	if users.Format != "json" || users.Props[PropCompression] != "gzip" || len(users.PartitionKeys) != 0 {
		t.Errorf("users table %+v", users)
	}
	reasons := skippedReasons(sum)
	if !strings.Contains(reasons["scratch.csv"], "excluded by pattern '**/tmp/**'") || reasons["empty.json"] != "empty file" {
		t.Errorf("skipped %v", sum.Skipped)
	}
	created, updated, added, removed := sum.Counts()
	if created != 3 || updated != 0 || added != 5 || removed != 0 {
		t.Errorf("counts %d %d %d %d", created, updated, added, removed)
	}
	if len(progress) == 0 || progress[len(progress)-1].Phase != "done" {
		t.Errorf("progress %v", progress)
	}
	maxDone := 0
	for _, p := range progress {
		if p.Phase == "scanning" {
			maxDone = max(maxDone, p.Done)
			if p.Total != 6 {
				t.Errorf("scanning total %d, want 6", p.Total)
			}
		}
	}
	if maxDone != 6 {
		t.Errorf("scanned %d files, want 6", maxDone)
	}
	rows := sum.Rows()
	if last := rows[len(rows)-1]; last[0] != "summary" || !strings.Contains(last[3], "3 tables created") || !strings.Contains(last[3], "5 partitions added") {
		t.Errorf("summary row %v", last)
	}

	// A second full crawl changes nothing.
	sum2 := crawlOK(t, s, Options{Location: dir, Database: "lake", Exclude: []string{"**/tmp/**"}})
	for _, tr := range sum2.Tables {
		if tr.Action != "unchanged" {
			t.Errorf("re-crawl: %s %s %v %v", tr.Table, tr.Action, tr.Changes, tr.Notes)
		}
	}
	if got := tableNames(t, s, "lake"); strings.Join(got, ",") != "events,logs,users" {
		t.Fatalf("tables after re-crawl %v", got)
	}
}

// TestCrawledCSVReads reads a crawled CSV table back through tarn's file
// table: the inferred types, delimiter and header settings must match
// what the reader needs.
func TestCrawledCSVReads(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{
		"sales/a.tsv":    []byte("id\tday\tamount\tok\n1\t2024-01-01\t1.5\ttrue\n2\t2024-01-02\t\tfalse\n"),
		"sales/b.tsv.gz": gz(t, "id\tday\tamount\tok\n3000000000\t2024-01-03\t7\ttrue\n"),
	})
	s := openStore(t)
	crawlOK(t, s, Options{Location: dir, Database: "d"})
	ct := tableOf(t, s, "d", "sales")
	if got := colsText(ct.Columns); got != "id BIGINT, day DATE, amount DOUBLE, ok BOOLEAN" {
		t.Fatalf("columns %q", got)
	}
	tbl, err := filetable.New(ct)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	req := &connectors.ScanRequest{Schema: tbl.Schema(), Columns: []int{0, 1, 2, 3}, Mem: mem, BatchSize: 16}
	splits, err := tbl.Splits(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	var rows int64
	var ids []string
	for _, sp := range splits {
		r, err := tbl.Open(ctx, sp, req)
		if err != nil {
			t.Fatal(err)
		}
		for {
			b, err := r.Next(ctx)
			if err != nil {
				break
			}
			rows += b.NumRows()
			for i := 0; i < int(b.NumRows()); i++ {
				ids = append(ids, b.Column(0).ValueStr(i))
			}
			b.Release()
		}
		r.Close()
	}
	sort.Strings(ids)
	if rows != 3 || strings.Join(ids, ",") != "1,2,3000000000" {
		t.Fatalf("read %d rows, ids %v", rows, ids)
	}
}

func TestTableRoots(t *testing.T) {
	csvA := []byte("id,v\n1,2.5\n")
	csvB := []byte("name,city,zip\nann,oslo,1\n")
	cases := []struct {
		name   string
		files  map[string][]byte
		tables string // name:keys;...
	}{
		{"root with files is a table", map[string][]byte{"a.csv": csvA, "b.csv": csvA}, "ROOT:"},
		{"root with value folders is a table", map[string][]byte{"2024/a.csv": csvA, "2025/b.csv": csvA}, "ROOT:partition_0"},
		{"root with kv folders is a table", map[string][]byte{"k=1/a.csv": csvA, "k=2/b.csv": csvA}, "ROOT:k"},
		{"named folders are tables", map[string][]byte{"t1/a.csv": csvA, "t2/b.csv": csvA}, "t1:;t2:"},
		{"different schemas split", map[string][]byte{"x/a/1.csv": csvA, "x/b/1.csv": csvB}, "a:;b:"},
		{"same schema merges into partitions", map[string][]byte{"x/a/1.csv": csvA, "x/b/1.csv": csvA}, "x:partition_0"},
		{"mixed files become one table each", map[string][]byte{"m/a.csv": csvA, "m/b.csv": csvB}, "a:;b:"},
		{"mixed depth is unpartitioned", map[string][]byte{"t/a.csv": csvA, "t/sub/b.csv": csvA}, "t:"},
		{"mixed formats split", map[string][]byte{"m/p/a.parquet": parquetBytes(t, []event{{ID: 1}}), "m/q/b.csv": csvA}, "p:;q:"},
		{"mixed key names", map[string][]byte{"t/a=1/x.csv": csvA, "t/b=2/x.csv": csvA}, "t:partition_0"},
		{"name collisions get a suffix", map[string][]byte{"u/My-Table/a.csv": csvA, "u/my_table/b.csv": csvB}, "my_table:;my_table_2:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "Root")
			writeTree(t, dir, c.files)
			s := openStore(t)
			sum := crawlOK(t, s, Options{Location: dir, Database: "d"})
			var got []string
			for _, name := range tableNames(t, s, "d") {
				tb := tableOf(t, s, "d", name)
				var keys []string
				for _, k := range tb.PartitionKeys {
					keys = append(keys, k.Name)
				}
				if name == "root" {
					name = "ROOT"
				}
				got = append(got, name+":"+strings.Join(keys, ","))
			}
			if g := strings.Join(got, ";"); g != c.tables {
				t.Fatalf("tables %q, want %q (skipped %v)", g, c.tables, sum.Skipped)
			}
		})
	}
}

func TestSingleFileLocation(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"Trips 2024.csv": []byte("a,b\n1,2\n")})
	s := openStore(t)
	crawlOK(t, s, Options{Location: filepath.Join(dir, "Trips 2024.csv"), Database: "d"})
	tb := tableOf(t, s, "d", "trips_2024")
	if tb.Location != filepath.Join(dir, "Trips 2024.csv") || colsText(tb.Columns) != "a INT, b INT" {
		t.Fatalf("table %+v", tb)
	}
}

func TestHiveEscapesAndDefaultPartition(t *testing.T) {
	dir := t.TempDir()
	csv := []byte("a,b\n1,2\n")
	writeTree(t, dir, map[string][]byte{
		"t/city=New%20York/x.csv":                  csv,
		"t/city=__HIVE_DEFAULT_PARTITION__/x.csv":  csv,
		"t/city=Oslo/x.csv":                        csv,
		"t/city=Oslo/nested/too/deep/x.csv":        csv, // mixed depth: unpartitioned
		"p/Year=2024/a=1/x.csv":                    csv,
		"p/Year=2025/a=2/x.csv":                    csv,
		"q/dt=2024-01-01/part.parquet":             parquetBytes(t, []struct{ Dt string }{{"2024-01-01"}}),
		"q/dt=2024-01-02/part.parquet":             parquetBytes(t, []struct{ Dt string }{{"2024-01-02"}}),
		"q/dt=2024-01-02/part-more.snappy.parquet": parquetBytes(t, []struct{ Dt string }{{"2024-01-02"}}),
	})
	s := openStore(t)
	sum := crawlOK(t, s, Options{Location: dir, Database: "d"})
	if tb := tableOf(t, s, "d", "t"); len(tb.PartitionKeys) != 0 {
		t.Errorf("t keys %v", tb.PartitionKeys)
	}
	if got := colsText(tableOf(t, s, "d", "p").PartitionKeys); got != "year VARCHAR, a VARCHAR" {
		t.Errorf("p keys %q", got)
	}
	q := tableOf(t, s, "d", "q")
	if colsText(q.Columns) != "" || colsText(q.PartitionKeys) != "dt VARCHAR" {
		t.Errorf("q: columns %q keys %q", colsText(q.Columns), colsText(q.PartitionKeys))
	}
	found := false
	for _, tr := range sum.Tables {
		for _, n := range tr.Notes {
			found = found || strings.Contains(n, "column Dt is also a partition key") || strings.Contains(n, "column dt is also a partition key")
		}
	}
	if !found {
		t.Errorf("no note about the dt column: %+v", sum.Tables)
	}

	dir2 := t.TempDir()
	writeTree(t, dir2, map[string][]byte{
		"t/city=New%20York/x.csv":                 csv,
		"t/city=__HIVE_DEFAULT_PARTITION__/x.csv": csv,
	})
	crawlOK(t, s, Options{Location: dir2, Database: "e"})
	if got := partsOf(t, s, "e", "t"); strings.Join(got, "|") != "New York|__HIVE_DEFAULT_PARTITION__" {
		t.Errorf("partitions %q", got)
	}
}

func TestRecrawl(t *testing.T) {
	ctx := context.Background()
	base := func(t *testing.T) (string, *boltstore.Store) {
		dir := t.TempDir()
		writeTree(t, dir, map[string][]byte{
			"ev/dt=1/a.parquet": parquetBytes(t, []event{{ID: 1}}),
			"ev/dt=2/a.parquet": parquetBytes(t, []event{{ID: 2}}),
		})
		s := openStore(t)
		crawlOK(t, s, Options{Location: dir, Database: "d"})
		return dir, s
	}

	t.Run("incremental reads only new folders", func(t *testing.T) {
		dir, s := base(t)
		// Corrupt a registered partition's file: an incremental crawl
		// must not read it, a full crawl must.
		writeTree(t, dir, map[string][]byte{
			"ev/dt=1/a.parquet": []byte("PAR1 not really"),
			"ev/dt=3/a.parquet": parquetBytes(t, []eventV2{{ID: 3, Extra: 1}}),
		})
		sum := crawlOK(t, s, Options{Location: dir, Database: "d", Mode: "incremental"})
		if sum.FilesScanned != 1 {
			t.Errorf("incremental scanned %d files, want 1", sum.FilesScanned)
		}
		if got := partsOf(t, s, "d", "ev"); strings.Join(got, ",") != "1,2,3" {
			t.Errorf("partitions %v", got)
		}
		ev := tableOf(t, s, "d", "ev")
		if colsText(ev.Columns) != "id BIGINT, name VARCHAR, score DOUBLE, extra INT" || ev.Version != 2 {
			t.Errorf("columns %q version %d", colsText(ev.Columns), ev.Version)
		}
		if tr := sum.Tables[0]; tr.Action != "updated" || len(tr.Changes) != 1 || !strings.Contains(tr.Changes[0], "column extra added (INT)") {
			t.Errorf("result %+v", tr)
		}
		sum = crawlOK(t, s, Options{Location: dir, Database: "d", Mode: "full"})
		if sum.FilesScanned != 3 || !strings.Contains(skippedReasons(sum)["a.parquet"], "without the footer magic") {
			t.Errorf("full crawl scanned %d, skipped %v", sum.FilesScanned, sum.Skipped)
		}
	})

	t.Run("log policy reports only", func(t *testing.T) {
		dir, s := base(t)
		writeTree(t, dir, map[string][]byte{"ev/dt=3/a.parquet": parquetBytes(t, []eventV2{{ID: 3}})})
		sum := crawlOK(t, s, Options{Location: dir, Database: "d", SchemaChange: "log"})
		ev := tableOf(t, s, "d", "ev")
		if ev.Version != 1 || len(ev.Columns) != 3 {
			t.Errorf("log policy changed the table: %q v%d", colsText(ev.Columns), ev.Version)
		}
		tr := sum.Tables[0]
		if tr.Action != "schema change logged" || len(tr.Changes) != 1 || !strings.Contains(tr.Changes[0], "not applied") || tr.PartitionsAdded != 1 {
			t.Errorf("result %+v", tr)
		}
	})

	t.Run("fail policy writes nothing", func(t *testing.T) {
		dir, s := base(t)
		writeTree(t, dir, map[string][]byte{
			"ev/dt=3/a.parquet": parquetBytes(t, []eventV2{{ID: 3}}),
			"other/x.csv":       []byte("a,b\n1,2\n"),
		})
		_, err := Run(ctx, s, Options{Location: dir, Database: "d", SchemaChange: "fail"})
		if err == nil || !strings.Contains(err.Error(), "d.ev") || !strings.Contains(err.Error(), "extra") {
			t.Fatalf("err = %v", err)
		}
		if got := partsOf(t, s, "d", "ev"); len(got) != 2 {
			t.Errorf("partitions %v", got)
		}
		if _, err := s.GetTable(ctx, "d", "other"); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("table other was created: %v", err)
		}
	})

	t.Run("incompatible file is skipped or fails", func(t *testing.T) {
		dir, s := base(t)
		writeTree(t, dir, map[string][]byte{"ev/dt=3/a.parquet": parquetBytes(t, []eventBad{{ID: "x"}})})
		sum := crawlOK(t, s, Options{Location: dir, Database: "d"})
		if r := skippedReasons(sum)["a.parquet"]; !strings.Contains(r, "does not fit table d.ev") || !strings.Contains(r, "column id") {
			t.Errorf("skipped %v", sum.Skipped)
		}
		if got := partsOf(t, s, "d", "ev"); len(got) != 2 {
			t.Errorf("partitions %v", got)
		}
		if _, err := Run(ctx, s, Options{Location: dir, Database: "d", SchemaChange: "fail"}); err == nil {
			t.Error("fail policy accepted an incompatible file")
		}
	})

	t.Run("vanished partitions", func(t *testing.T) {
		dir, s := base(t)
		if err := os.RemoveAll(filepath.Join(dir, "ev", "dt=2")); err != nil {
			t.Fatal(err)
		}
		sum := crawlOK(t, s, Options{Location: dir, Database: "d", Mode: "incremental"})
		if got := partsOf(t, s, "d", "ev"); len(got) != 2 || sum.Tables[0].PartitionsRemoved != 0 {
			t.Errorf("incremental removed partitions: %v", got)
		}
		sum = crawlOK(t, s, Options{Location: dir, Database: "d", SchemaChange: "log"})
		if got := partsOf(t, s, "d", "ev"); len(got) != 2 || len(sum.Tables[0].Notes) != 1 || !strings.Contains(sum.Tables[0].Notes[0], "has no files any more") {
			t.Errorf("log: partitions %v notes %v", got, sum.Tables[0].Notes)
		}
		sum = crawlOK(t, s, Options{Location: dir, Database: "d"})
		if got := partsOf(t, s, "d", "ev"); strings.Join(got, ",") != "1" || sum.Tables[0].PartitionsRemoved != 1 || sum.Tables[0].Action != "updated" {
			t.Errorf("update: partitions %v result %+v", got, sum.Tables[0])
		}
	})

	t.Run("user tables keep their names", func(t *testing.T) {
		dir := t.TempDir()
		writeTree(t, dir, map[string][]byte{"ev/a.csv": []byte("a,b\n1,2\n")})
		s := openStore(t)
		if err := s.CreateDatabase(ctx, catalog.Database{Name: "d"}, false); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateTable(ctx, catalog.Table{Database: "d", Name: "ev", Columns: []catalog.Column{{Name: "x", Type: "INT"}}, Location: "/elsewhere", Format: "csv"}, false); err != nil {
			t.Fatal(err)
		}
		crawlOK(t, s, Options{Location: dir, Database: "d"})
		if got := tableNames(t, s, "d"); strings.Join(got, ",") != "ev,ev_2" {
			t.Errorf("tables %v", got)
		}
		if tb := tableOf(t, s, "d", "ev"); tb.Location != "/elsewhere" {
			t.Errorf("user table changed: %+v", tb)
		}
	})
}

func TestCSVHeaderVotes(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{
		// Only strings in a.csv: on its own no header; b.csv shows one.
		"t/a.csv": []byte("name,city\nann,oslo\n"),
		"t/b.csv": []byte("name,city\n1,2\n"),
		// A header over data in one file, data only in the other.
		"u/a.csv": []byte("x,y\n1,2\n"),
		"u/b.csv": []byte("3,4\n5,6\n"),
	})
	s := openStore(t)
	sum := crawlOK(t, s, Options{Location: dir, Database: "d"})
	tb := tableOf(t, s, "d", "t")
	if colsText(tb.Columns) != "name VARCHAR, city VARCHAR" || tb.SerDeProps["skip.header.line.count"] != "1" {
		t.Errorf("t: %q %v", colsText(tb.Columns), tb.SerDeProps)
	}
	// u's files disagree about the header: one table per file.
	if got := tableNames(t, s, "d"); strings.Join(got, ",") != "a,b,t" {
		t.Errorf("tables %v (%+v)", got, sum.Tables)
	}
	// Forcing the header off reads every first row as data.
	s2 := openStore(t)
	crawlOK(t, s2, Options{Location: filepath.Join(dir, "t"), Database: "d", Header: "false"})
	if tb := tableOf(t, s2, "d", "t"); colsText(tb.Columns) != "col0 VARCHAR, col1 VARCHAR" || tb.SerDeProps != nil {
		t.Errorf("header=false: %q %v", colsText(tb.Columns), tb.SerDeProps)
	}
}

func TestOptionsErrors(t *testing.T) {
	s := openStore(t)
	dir := t.TempDir()
	for _, o := range []Options{
		{Database: "d"},
		{Location: dir},
		{Location: dir, Database: "d", Mode: "partial"},
		{Location: dir, Database: "d", SchemaChange: "ignore"},
		{Location: dir, Database: "d", Exclude: []string{"[x"}},
		{Location: dir, Database: "d", Header: "maybe"},
		{Location: filepath.Join(dir, "missing"), Database: "d"},
	} {
		if _, err := Run(context.Background(), s, o); err == nil {
			t.Errorf("%+v: expected an error", o)
		}
	}
}

// memStore is a catalog store without partitions.
type memStore struct{ catalog.Store }

func TestStoreWithoutPartitions(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string][]byte{"t/k=1/a.csv": []byte("a\n1\n")})
	s := memStore{openStore(t)}
	_, err := Run(context.Background(), s, Options{Location: dir, Database: "d"})
	if err == nil || !strings.Contains(err.Error(), "does not keep partitions") {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkAnalyzeCSV(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("id,name,price,day,ts,flag\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&buf, "%d,name %d,%d.25,2024-01-%02d,2024-01-01 10:00:%02d,true\n", i, i, i, i%28+1, i%60)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if info, _ := analyzeCSV(data, true, 1000); info == nil || info.cols != 6 {
			b.Fatal("bad sniff")
		}
	}
}

func BenchmarkAnalyzeJSON(b *testing.B) {
	var buf bytes.Buffer
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&buf, "{\"id\":%d,\"name\":\"n%d\",\"geo\":{\"lat\":%d.5},\"tags\":[\"a\",\"b\"]}\n", i, i, i)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if cols, _ := analyzeJSON(data, true, 1000); len(cols) != 4 {
			b.Fatal("bad sniff")
		}
	}
}

// BenchmarkCrawl crawls a tree of 300 files (Hive-partitioned Parquet
// and CSV under plain folders) into a fresh catalog per iteration.
func BenchmarkCrawl(b *testing.B) {
	dir := b.TempDir()
	files := map[string][]byte{}
	pqData := parquetBytes(b, []event{{ID: 1, Name: "a", Score: 1}, {ID: 2, Name: "b", Score: 2}})
	var csv bytes.Buffer
	csv.WriteString("id,day,amount,note\n")
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&csv, "%d,2024-01-%02d,%d.5,text %d\n", i, i%28+1, i, i)
	}
	for d := 0; d < 20; d++ {
		for r := 0; r < 5; r++ {
			files[fmt.Sprintf("events/dt=2024-01-%02d/region=r%d/part-0.parquet", d+1, r)] = pqData
			files[fmt.Sprintf("logs/2024/%02d/%d.csv", d+1, r)] = csv.Bytes()
			files[fmt.Sprintf("logs/2024/%02d/%d-b.csv", d+1, r)] = csv.Bytes()
		}
	}
	writeTree(b, dir, files)
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		s, err := boltstore.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := Run(context.Background(), s, Options{Location: dir, Database: "d"})
		if err != nil {
			b.Fatal(err)
		}
		if c, _, _, _ := sum.Counts(); c != 2 {
			b.Fatalf("%d tables", c)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(files))*float64(b.N)/b.Elapsed().Seconds(), "files/s")
}
