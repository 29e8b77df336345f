package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/crawler"
)

func TestCrawlCommand(t *testing.T) {
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	for rel, content := range map[string]string{
		"sales/region=eu/a.csv": "id,amount\n1,2.5\n2,3\n",
		"sales/region=us/b.csv": "id,amount\n3,10\n",
		"sales/tmp/x.csv":       "garbage\n",
		"notes/readme.bin":      "\x00\x01\x02binary",
	} {
		p := filepath.Join(lake, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dd := filepath.Join(dir, "dd")
	out, stderr, code := tarn(t, "", "crawl", lake, "--data-dir", dd, "--database", "Lake", "--exclude", "**/tmp/**", "--progress", "on")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"Crawled " + lake + " into database lake",
		"Created database lake.",
		"Tables: 1 created, 0 updated; partitions: 2 added, 0 removed.",
		"lake.sales",
		"partitioned by (region)",
		filepath.Join(lake, "sales", "tmp", "x.csv") + ": excluded by pattern '**/tmp/**'",
		filepath.Join(lake, "notes", "readme.bin") + ": binary content of no known format",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr, "] 3/3 files") {
		t.Errorf("no progress bar on stderr: %q", stderr)
	}
	out, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-e",
		"SELECT region, count(*) AS n, sum(amount) AS s FROM lake.sales GROUP BY region ORDER BY region")
	if code != 0 || out != "region,n,s\neu,2,5.5\nus,1,10\n" {
		t.Fatalf("query: exit %d out %q err %q", code, out, stderr)
	}
	// CRAWL from SQL returns the summary as rows; a re-crawl changes nothing.
	out, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-e",
		"CRAWL '"+lake+"' INTO DATABASE lake WITH (exclude = '**/tmp/**', mode = 'incremental')")
	if code != 0 || !strings.Contains(out, "table unchanged,lake.sales") || !strings.Contains(out, "0 tables created, 0 updated") {
		t.Fatalf("CRAWL: exit %d out %q err %q", code, out, stderr)
	}

	for _, args := range [][]string{
		{"crawl", lake, "--data-dir", dd},
		{"crawl", "--data-dir", dd, "--database", "x"},
		{"crawl", lake, "--data-dir", dd, "--database", "x", "--mode", "weekly"},
		{"crawl", filepath.Join(dir, "missing"), "--data-dir", dd, "--database", "x"},
	} {
		if _, stderr, code := tarn(t, "", args...); code == 0 || stderr == "" {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

func TestRenderProgress(t *testing.T) {
	cases := []struct {
		p    crawler.Progress
		want string
	}{
		{crawler.Progress{Phase: "listing", Folder: "/data"}, "listing /data ..."},
		{crawler.Progress{Phase: "scanning", Done: 5, Total: 10, Folder: "a/b"}, "[#####.....] 5/10 files  a/b"},
		{crawler.Progress{Phase: "scanning", Done: 0, Total: 0}, "[..........] 0/0 files  "},
		{crawler.Progress{Phase: "scanning", Done: 10, Total: 10, Folder: strings.Repeat("x", 50)}, "[##########] 10/10 files  ..." + strings.Repeat("x", 37)},
		{crawler.Progress{Phase: "done", Done: 7}, "done: 7 files scanned"},
	}
	for _, c := range cases {
		if got := renderProgress(c.p, 10); got != c.want {
			t.Errorf("renderProgress(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
}
