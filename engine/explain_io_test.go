package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/logs"
)

// chunkBytes sums, independently of tarn's reader, the compressed sizes
// of the named columns' chunks over all row groups of the Parquet files
// under dir, and counts the row groups.
func chunkBytes(t *testing.T, dir string, cols ...string) (bytes, rowGroups int64) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no parquet files in %s: %v", dir, err)
	}
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		pf, err := pq.OpenFile(f, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		md := pf.Metadata()
		for _, rg := range md.RowGroups {
			rowGroups++
			for _, c := range rg.Columns {
				for _, want := range cols {
					if len(c.MetaData.PathInSchema) == 1 && c.MetaData.PathInSchema[0] == want {
						bytes += c.MetaData.TotalCompressedSize
					}
				}
			}
		}
		f.Close()
	}
	return bytes, rowGroups
}

func TestExplainIO(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("x")
	mustExec(t, s, "USE tpch")
	liBytes, liRGs := chunkBytes(t, filepath.Join(tpchDir, "lineitem"), "l_orderkey", "l_quantity")
	nBytes, _ := chunkBytes(t, filepath.Join(tpchDir, "nation"), "n_nationkey", "n_name")

	csvDir := t.TempDir()
	csvPath := writeCSV(t, csvDir, "t.csv", "1,a\n2,b\n3,c\n")
	st, err := os.Stat(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, fmt.Sprintf("CREATE EXTERNAL TABLE c (id INT, v STRING) ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' STORED AS TEXTFILE LOCATION '%s'", filepath.Dir(csvPath)))

	for _, tc := range []struct {
		name string
		sql  string
		want []string
	}{
		{"projected parquet columns", "EXPLAIN (TYPE IO) SELECT l_orderkey, sum(l_quantity) FROM lineitem GROUP BY l_orderkey",
			[]string{fmt.Sprintf("tpch.lineitem 1 %d %d 0 0 %d", liRGs, liRGs, liBytes), fmt.Sprintf("TOTAL 1 %d %d 0 0 %d", liRGs, liRGs, liBytes)}},
		{"row groups pruned by min/max", "EXPLAIN IO SELECT l_quantity FROM lineitem WHERE l_orderkey < -5",
			[]string{fmt.Sprintf("tpch.lineitem 0 0 %d 0 0 0", liRGs), fmt.Sprintf("TOTAL 0 0 %d 0 0 0", liRGs)}},
		{"csv reads whole files", "EXPLAIN (TYPE IO) SELECT v FROM c",
			[]string{fmt.Sprintf("tpch.c 1 0 0 0 0 %d", st.Size()), fmt.Sprintf("TOTAL 1 0 0 0 0 %d", st.Size())}},
		{"one row per scan", "EXPLAIN (TYPE IO) SELECT n_name, l_quantity FROM nation JOIN lineitem ON l_orderkey = n_nationkey",
			[]string{
				fmt.Sprintf("tpch.nation 1 1 1 0 0 %d", nBytes),
				fmt.Sprintf("tpch.lineitem 1 %d %d 0 0 %d", liRGs, liRGs, liBytes),
				fmt.Sprintf("TOTAL 2 %d %d 0 0 %d", liRGs+1, liRGs+1, liBytes+nBytes)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := collect(t, s, tc.sql)
			for i := range got { // drop the human-readable size column
				if f := strings.Fields(got[i]); len(f) >= 7 {
					got[i] = strings.Join(f[:7], " ")
				}
			}
			if strings.Join(sortScans(got), "\n") != strings.Join(sortScans(tc.want), "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}

	// The estimate comes before execution and matches what execution
	// then reads (row groups; bytes are the column chunks plus footers).
	ctx := context.Background()
	p, err := s.plan(ctx, "SELECT l_orderkey, l_quantity FROM lineitem")
	if err != nil {
		t.Fatal(err)
	}
	est, err := EstimateScanBytes(ctx, p.Root)
	if err != nil {
		t.Fatal(err)
	}
	if est.Bytes != liBytes || est.RowGroups != liRGs || len(est.Scans) != 1 || !est.Scans[0].Exact {
		t.Fatalf("EstimateScanBytes = %+v", est)
	}
	collect(t, s, "SELECT l_orderkey, l_quantity FROM lineitem")
	h := collect(t, s, "SELECT bytes_scanned, row_groups_total, row_groups_scanned FROM system.query_history WHERE query_text = 'SELECT l_orderkey, l_quantity FROM lineitem'")
	var bytes, total, scanned int64
	if len(h) != 1 {
		t.Fatalf("history: %q", h)
	}
	fmt.Sscan(h[0], &bytes, &total, &scanned)
	if total != liRGs || scanned != liRGs || bytes < liBytes {
		t.Fatalf("history bytes %d (estimate %d), row groups %d/%d (want %d)", bytes, liBytes, scanned, total, liRGs)
	}
	collect(t, s, "SELECT l_quantity FROM lineitem WHERE l_orderkey < -5")
	h = collect(t, s, "SELECT row_groups_total, row_groups_scanned FROM system.query_history WHERE query_text LIKE '%l_orderkey < -5' AND query_text NOT LIKE 'EXPLAIN%'")
	if len(h) != 1 || h[0] != fmt.Sprintf("%d 0", liRGs) {
		t.Fatalf("pruned query history: %q", h)
	}
}

// sortScans keeps TOTAL last and orders the scan rows (their order
// follows the plan's shape, which join ordering may change).
func sortScans(rows []string) []string {
	out := append([]string(nil), rows...)
	n := len(out)
	if n > 1 {
		body := out[:n-1]
		for i := 1; i < len(body); i++ {
			for j := i; j > 0 && body[j] < body[j-1]; j-- {
				body[j], body[j-1] = body[j-1], body[j]
			}
		}
	}
	return out
}

func TestExplainIOPartitions(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	ctx := context.Background()
	if err := e.Catalog().CreateDatabase(ctx, catalog.Database{Name: "weblogs"}, true); err != nil {
		t.Fatal(err)
	}
	res, err := logs.Generate(ctx, logs.Options{Dir: t.TempDir(), Database: "weblogs", Days: 30, RowsPerDay: 200, RowGroupRows: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := logs.Register(ctx, e.Catalog(), res); err != nil {
		t.Fatal(err)
	}
	s := e.NewSession("alice")
	mustExec(t, s, "USE weblogs")
	day := collect(t, s, "SELECT min(dt) FROM requests")[0]
	for _, table := range []string{"requests", logs.TableProjected} {
		t.Run(table, func(t *testing.T) {
			all, err := s.plan(ctx, "SELECT sum(bytes) FROM "+table)
			if err != nil {
				t.Fatal(err)
			}
			full, err := EstimateScanBytes(ctx, all.Root)
			if err != nil {
				t.Fatal(err)
			}
			if full.Partitions != 30 || full.PartitionsTotal != 30 || full.Bytes <= 0 {
				t.Fatalf("full estimate %+v", full)
			}
			q := fmt.Sprintf("SELECT sum(bytes) FROM %s WHERE dt = '%s'", table, day)
			rows := collect(t, s, "EXPLAIN (TYPE IO) "+q)
			if len(rows) != 2 {
				t.Fatalf("EXPLAIN IO: %q", rows)
			}
			var name string
			var files, rgs, rgt, parts, partsTotal, bytes int64
			fmt.Sscan(rows[0], &name, &files, &rgs, &rgt, &parts, &partsTotal, &bytes)
			if name != "weblogs."+table || parts != 1 || partsTotal != 30 || bytes <= 0 || bytes*10 > full.Bytes {
				t.Fatalf("EXPLAIN IO one day: %q (full scan %d bytes)", rows, full.Bytes)
			}
			// Execution reads what was estimated: the same files and row
			// groups, and the estimated column bytes plus footers.
			_, st := queryStats(t, s, q)
			if st.FilesScanned != files || st.RowGroupsScanned != rgs || st.RowGroupsTotal != rgt || st.BytesScanned < bytes {
				t.Fatalf("executed: files %d row groups %d/%d bytes %d; estimated %q", st.FilesScanned, st.RowGroupsScanned, st.RowGroupsTotal, st.BytesScanned, rows[0])
			}
		})
	}
}
