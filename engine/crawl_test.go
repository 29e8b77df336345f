package engine

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/planner/ddl"
)

type crawlEvent struct {
	ID     int64   `parquet:"id"`
	Amount float64 `parquet:"amount"`
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCrawlStatement(t *testing.T) {
	e, _ := testEngine(t, Config{Slices: 2})
	s := e.NewSession("alice")
	dir := t.TempDir()
	id := int64(0)
	for _, dt := range []string{"2024-06-01", "2024-06-02"} {
		for _, region := range []string{"eu", "us"} {
			var rows []crawlEvent
			for i := 0; i < 3; i++ {
				id++
				rows = append(rows, crawlEvent{ID: id, Amount: float64(id) / 2})
			}
			var b bytes.Buffer
			if err := pq.Write(&b, rows); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(dir, "events", "dt="+dt, "region="+region, "data_0.parquet"), b.Bytes())
		}
	}
	writeFile(t, filepath.Join(dir, "logs", "2024", "01", "a.csv"), []byte("day,level,msg\n2024-01-01,1,x\n2024-01-02,2,y\n"))
	writeFile(t, filepath.Join(dir, "logs", "2024", "02", "b.csv"), []byte("day,level,msg\n2024-02-01,5,z\n"))
	writeFile(t, filepath.Join(dir, "logs", "tmp", "junk.csv"), []byte("not,the,same,shape\n"))
	var gzb bytes.Buffer
	zw := gzip.NewWriter(&gzb)
	fmt.Fprint(zw, "{\"user\":\"ann\",\"n\":1,\"geo\":{\"c\":\"no\"}}\n{\"user\":\"bob\",\"n\":2,\"geo\":{\"c\":\"se\"}}\n{\"user\":\"ann\",\"n\":4,\"geo\":null}\n")
	zw.Close()
	writeFile(t, filepath.Join(dir, "clicks", "part-0.json.gz"), gzb.Bytes())

	got := collect(t, s, fmt.Sprintf("CRAWL '%s' INTO DATABASE lake WITH (exclude = '**/tmp/**')", dir))
	text := strings.Join(got, "\n")
	for _, want := range []string{
		"table created lake.events " + filepath.Join(dir, "events") + " parquet, 2 columns, partitioned by (dt, region), 4 files, 4 partitions added, 0 removed",
		"table created lake.logs",
		"table created lake.clicks",
		"skipped NULL " + filepath.Join(dir, "logs", "tmp", "junk.csv") + " excluded by pattern '**/tmp/**'",
		"3 tables created, 0 updated; 6 partitions added, 0 removed",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("CRAWL result lacks %q:\n%s", want, text)
		}
	}

	checks := []struct{ sql, want string }{
		{"SELECT count(*), sum(amount) FROM lake.events", "12 39"},
		{"SELECT dt, count(*) FROM lake.events GROUP BY dt ORDER BY dt", "2024-06-01 6|2024-06-02 6"},
		{"SELECT sum(level), max(day) FROM lake.logs", "8 2024-02-01"},
		{"SELECT partition_1, count(*) FROM lake.logs GROUP BY partition_1 ORDER BY 1", "01 2|02 1"},
		{"SELECT user, sum(n) FROM lake.clicks GROUP BY user ORDER BY user", "ann 5|bob 2"},
		{"SELECT count(*) FROM lake.clicks WHERE geo IS NOT NULL", "2"},
	}
	for _, c := range checks {
		rows, _, err := queryRows(context.Background(), s, c.sql, false)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if g := strings.Join(rows, "|"); g != c.want {
			t.Errorf("%s = %q, want %q", c.sql, g, c.want)
		}
	}

	// Incremental re-crawl with a new partition.
	var b bytes.Buffer
	if err := pq.Write(&b, []crawlEvent{{ID: 100, Amount: 1}}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "events", "dt=2024-06-03", "region=eu", "data_0.parquet"), b.Bytes())
	got = collect(t, s, fmt.Sprintf("CRAWL '%s' INTO DATABASE lake WITH (mode='incremental', exclude='**/tmp/**')", dir))
	if text := strings.Join(got, "\n"); !strings.Contains(text, "table updated lake.events") || !strings.Contains(text, "1 partitions added") {
		t.Errorf("incremental CRAWL:\n%s", text)
	}
	if rows := collect(t, s, "SELECT count(*) FROM lake.events"); strings.Join(rows, "|") != "13" {
		t.Errorf("after incremental crawl: %v", rows)
	}

	for _, c := range []struct{ sql, err string }{
		{"CRAWL '/x' INTO DATABASE d WITH (speed = 'fast')", "CRAWL option speed at line 1, column 34 is unknown"},
		{"CRAWL '/x' INTO DATABASE d WITH (sample_rows = 'many')", "is not a positive integer"},
		{"CRAWL '/x' INTO DATABASE system", "cannot write into the system database"},
		{"CRAWL '" + filepath.Join(dir, "nope") + "' INTO DATABASE d", "no such file or directory"},
		{"CRAWL '" + dir + "' INTO DATABASE d WITH (mode = 'sometimes')", "mode \"sometimes\""},
	} {
		_, _, err := queryRows(context.Background(), s, c.sql, false)
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: err = %v, want %q", c.sql, err, c.err)
		}
	}
}

func TestCrawlOptions(t *testing.T) {
	st, err := ddl.Parse("CRAWL 's3://b/x' INTO DATABASE d WITH (exclude = 'a/**, b/**', exclude='c', sample_rows = 10, parallel = 2, header = 'true', delete_behavior = log)")
	if err != nil {
		t.Fatal(err)
	}
	o, err := CrawlOptions(st.(*ddl.Crawl))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.Exclude, " ") != "a/** b/** c" || o.SampleRows != 10 || o.Parallel != 2 || o.Header != "true" || o.DeleteBehavior != "log" || o.Location != "s3://b/x" {
		t.Fatalf("options %+v", o)
	}
}
