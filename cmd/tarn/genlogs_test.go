package main

import (
	"strings"
	"testing"
)

func TestGenLogs(t *testing.T) {
	dd := t.TempDir()
	out, stderr, code := tarn(t, "", "gen", "logs", "--days", "3", "--start", "2024-02-28", "--rows-per-day", "500", "--data-dir", dd)
	if code != 0 || !strings.Contains(out, "in 3 partitions into weblogs.requests (and weblogs.requests_projected") {
		t.Fatalf("gen: exit %d out %q err %q", code, out, stderr)
	}
	// Both tables read the same rows; SHOW PARTITIONS lists the days
	// (2024 is a leap year).
	out, stderr, code = tarn(t, "", "sql", "--data-dir", dd, "--format", "csv", "-e",
		"USE weblogs; SHOW PARTITIONS requests; "+
			"SELECT (SELECT count(*) FROM requests) = (SELECT count(*) FROM requests_projected) AS same, "+
			"(SELECT count(*) FROM requests WHERE dt = '2024-02-29') = (SELECT count(*) FROM requests_projected WHERE dt = '2024-02-29') AS same_day")
	want := "partition\ndt=2024-02-28\ndt=2024-02-29\ndt=2024-03-01\nsame,same_day\ntrue,true\n"
	if code != 0 || out != want {
		t.Fatalf("query: exit %d out %q err %q", code, out, stderr)
	}
	for _, bad := range [][]string{
		{"gen", "logs", "--data-dir", dd},
		{"gen", "logs", "--days", "2", "--start", "June 1", "--data-dir", dd},
		{"gen", "logs", "--days", "2", "--rows-per-day", "0", "--data-dir", dd},
	} {
		if _, stderr, code := tarn(t, "", bad...); code != 2 || !strings.Contains(stderr, "tarn gen logs:") {
			t.Errorf("%v: exit %d err %q", bad, code, stderr)
		}
	}
}
