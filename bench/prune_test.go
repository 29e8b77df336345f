package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
)

var (
	pruneRows = flag.Int64("prune.rows", 2_000_000, "rows of the events table for TestPruneEvents (the acceptance run uses 100000000)")
	pruneDir  = flag.String("prune.dir", "", "where TestPruneEvents keeps its data (default bench/data/events<rows>, reused while complete)")
)

// yearMicros is 2024 (a leap year) in microseconds.
const yearMicros = 366 * 86400 * 1_000_000

// TestPruneEvents is the pruning acceptance test: DuckDB writes an
// events table sorted by event_time over one year (events.parquet, its
// own bloom filters on dictionary-encoded columns only), and parquet-go
// rewrites the same rows with a bloom filter on user_id, a high
// cardinality unsorted BIGINT (bloom/events.parquet: DuckDB writes no
// bloom filter for a column it does not dictionary-encode). tarn then
// runs, through SQL:
//
//   - a one-hour range on event_time, which must read at most 2% of the
//     table's bytes and at most 2% of its row groups;
//   - user_id = <one user>, which bloom filters must answer by skipping
//     at least 90% of the row groups;
//
// read back from system.query_history and EXPLAIN ANALYZE, and both
// results must equal DuckDB's. -prune.rows sets the size (2M by default;
// the acceptance figure is 100M).
func TestPruneEvents(t *testing.T) {
	ctx := context.Background()
	n := *pruneRows
	dir := *pruneDir
	if dir == "" {
		dir = filepath.Join(DataDir(), fmt.Sprintf("events%d", n))
	}
	rgRows := min(max(n/200, 10_000), 122_880)
	if err := prepareEvents(t, dir, n, rgRows); err != nil {
		t.Fatal(err)
	}
	duckFile := filepath.Join(dir, "duckdb", "events.parquet")
	bloomFile := filepath.Join(dir, "bloom", "events.parquet")

	duck, err := OpenDuckDB(ctx, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	if err := duck.Exec(ctx, fmt.Sprintf("CREATE VIEW events AS SELECT * FROM read_parquet('%s')", sqlQuote(duckFile))); err != nil {
		t.Fatal(err)
	}
	// A user that exists, from the middle of the table.
	probe, err := duck.Query(ctx, fmt.Sprintf("SELECT user_id FROM events LIMIT 1 OFFSET %d", n/2+7))
	if err != nil || len(probe.Rows) != 1 {
		t.Fatalf("picking a user: %v", err)
	}
	user := probe.Rows[0][0].(int64)
	// A user inside user_id's min/max in every row group but in none of
	// them, so only bloom filters can skip.
	miss, err := duck.Query(ctx, "SELECT min(x) FROM range(500000000, 500000200) r(x) WHERE x NOT IN (SELECT user_id FROM events WHERE user_id BETWEEN 500000000 AND 500000200)")
	if err != nil || len(miss.Rows) != 1 || miss.Rows[0][0] == nil {
		t.Fatalf("picking an absent user: %v", err)
	}
	absent := miss.Rows[0][0].(int64)

	tdir := t.TempDir()
	tarn, err := OpenTarn(ctx, tdir, "lake", nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer tarn.Close()
	const cols = "(event_time TIMESTAMP, user_id BIGINT, kind INT, amount DOUBLE, page VARCHAR)"
	for name, file := range map[string]string{"events": duckFile, "events_bloom": bloomFile} {
		q := fmt.Sprintf("CREATE EXTERNAL TABLE %s %s STORED AS PARQUET LOCATION '%s'", name, cols, sqlQuote(filepath.Dir(file)))
		if err := tarn.Session.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	hourStart := time.Date(2024, 7, 1, 12, 0, 0, 0, time.UTC)
	rangeWhere := fmt.Sprintf("event_time >= TIMESTAMP '%s' AND event_time < TIMESTAMP '%s'",
		hourStart.Format("2006-01-02 15:04:05"), hourStart.Add(time.Hour).Format("2006-01-02 15:04:05"))
	for _, tc := range []struct {
		name, table, sql string
		maxBytes         float64 // fraction of the file's bytes
		maxRowGroups     float64 // fraction of the row groups
	}{
		{"hour range", "events", "SELECT count(*), sum(amount), min(event_time), max(event_time), count(DISTINCT user_id) FROM %s WHERE " + rangeWhere, 0.02, 0.02},
		{"hour range (parquet-go copy)", "events_bloom", "SELECT count(*), sum(amount), min(event_time), max(event_time), count(DISTINCT user_id) FROM %s WHERE " + rangeWhere, 0.02, 0.02},
		{"bloom user_id =", "events_bloom", "SELECT count(*), min(event_time), sum(kind) FROM %s WHERE user_id = " + strconv.FormatInt(user, 10), 1, 0.10},
		{"bloom user_id = (absent)", "events_bloom", "SELECT count(*) FROM %s WHERE user_id = " + strconv.FormatInt(absent, 10), 1, 0.10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := duckFile
			if tc.table == "events_bloom" {
				file = bloomFile
			}
			st, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			q := fmt.Sprintf(tc.sql, tc.table)
			t0 := time.Now()
			got, id, err := tarnQueryWithID(ctx, tarn, q)
			if err != nil {
				t.Fatalf("tarn: %s: %v", q, err)
			}
			elapsed := time.Since(t0)
			want, err := duck.Query(ctx, fmt.Sprintf(tc.sql, "events"))
			if err != nil {
				t.Fatalf("duckdb: %v", err)
			}
			if err := Compare(got, want, Ordering{}); err != nil {
				t.Fatalf("%s: tarn differs from DuckDB: %v\ntarn:   %v\nduckdb: %v", q, err, FormatRow(got.Rows[0]), FormatRow(want.Rows[0]))
			}
			h, err := tarn.Query(ctx, fmt.Sprintf("SELECT bytes_scanned, row_groups_total, row_groups_scanned, files_scanned FROM system.query_history WHERE query_id = '%s'", id))
			if err != nil || len(h.Rows) != 1 {
				t.Fatalf("system.query_history for %s: %v (%d rows)", id, err, len(h.Rows))
			}
			bytes, rgTotal, rgScanned := h.Rows[0][0].(int64), h.Rows[0][1].(int64), h.Rows[0][2].(int64)
			if rgTotal == 0 {
				t.Fatalf("query_history reports no row groups: %v", FormatRow(h.Rows[0]))
			}
			fb, fr := float64(bytes)/float64(st.Size()), float64(rgScanned)/float64(rgTotal)
			t.Logf("%s\n  result %s (equal to DuckDB) in %s\n  query_history: bytes_scanned %d of %d (%.3f%%), row groups %d of %d scanned (%.2f%%, %.2f%% skipped)",
				q, FormatRow(got.Rows[0]), elapsed.Round(time.Millisecond), bytes, st.Size(), 100*fb, rgScanned, rgTotal, 100*fr, 100*(1-fr))
			if fb > tc.maxBytes {
				t.Errorf("read %.3f%% of the table's bytes, want at most %.0f%%", 100*fb, 100*tc.maxBytes)
			}
			if fr > tc.maxRowGroups {
				t.Errorf("read %.2f%% of the row groups, want at most %.0f%%", 100*fr, 100*tc.maxRowGroups)
			}
			an, err := tarn.Query(ctx, "EXPLAIN ANALYZE "+q)
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, r := range an.Rows {
				lines = append(lines, fmt.Sprint(r[0]))
			}
			text := strings.Join(lines, "\n")
			t.Logf("EXPLAIN ANALYZE:\n%s", text)
			wantRG := fmt.Sprintf("%d/%d", rgScanned, rgTotal)
			if !strings.Contains(text, wantRG) && !strings.Contains(text, fmt.Sprintf("%d of %d", rgScanned, rgTotal)) {
				t.Errorf("EXPLAIN ANALYZE does not show the %s row groups query_history reports", wantRG)
			}
		})
	}
}

// tarnQueryWithID runs q and returns its result and query id.
func tarnQueryWithID(ctx context.Context, t *Tarn, q string) (*Result, string, error) {
	res, err := t.Session.Query(ctx, q)
	if err != nil {
		return nil, "", err
	}
	out := &Result{}
	for _, f := range res.Schema().Fields() {
		out.Columns = append(out.Columns, arrowColumn(f))
	}
	for {
		rec, err := res.Next(ctx)
		if err != nil {
			res.Close()
			return nil, "", err
		}
		if rec == nil {
			break
		}
		rows, err := arrowRows(rec, out.Columns)
		rec.Release()
		if err != nil {
			res.Close()
			return nil, "", err
		}
		out.Rows = append(out.Rows, rows...)
	}
	id := res.Stats().QueryID
	return out, id, res.Close()
}

// prepareEvents writes dir/duckdb/events.parquet with DuckDB and
// dir/bloom/events.parquet (the same rows, bloom filter on user_id) with
// parquet-go, unless a complete earlier run left them (dir/_done records
// the parameters).
func prepareEvents(t *testing.T, dir string, n, rgRows int64) error {
	stamp := fmt.Sprintf("events v1 rows=%d rg=%d\n", n, rgRows)
	if b, err := os.ReadFile(filepath.Join(dir, "_done")); err == nil && string(b) == stamp {
		return nil
	}
	os.RemoveAll(dir)
	for _, d := range []string{"duckdb", "bloom"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	ctx := context.Background()
	duck, err := OpenDuckDB(ctx, nil, 2)
	if err != nil {
		return err
	}
	defer duck.Close()
	t0 := time.Now()
	duckFile := filepath.Join(dir, "duckdb", "events.parquet")
	// range() is produced in order and DuckDB preserves insertion order,
	// so event_time ascends through the file without a sort.
	copySQL := fmt.Sprintf(`COPY (
		SELECT TIMESTAMP '2024-01-01 00:00:00' + to_microseconds(i * (%d // %d)) AS event_time,
		       (hash(i) %% 1000000000)::BIGINT AS user_id,
		       (i %% 17)::INTEGER AS kind,
		       (hash(i * 3) %% 100000)::DOUBLE / 100 AS amount,
		       '/p/' || (i %% 1000)::VARCHAR AS page
		FROM range(%d) t(i)
	) TO '%s' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE %d)`, int64(yearMicros), n, n, sqlQuote(duckFile), rgRows)
	for _, s := range []string{"SET memory_limit = '4GB'", "SET preserve_insertion_order = true", copySQL} {
		if err := duck.Exec(ctx, s); err != nil {
			return fmt.Errorf("duckdb: %s: %w", s, err)
		}
	}
	t.Logf("DuckDB wrote %d rows in %s", n, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if err := rewriteWithBloom(duckFile, filepath.Join(dir, "bloom", "events.parquet"), rgRows); err != nil {
		return err
	}
	t.Logf("parquet-go rewrote them with a user_id bloom filter in %s", time.Since(t0).Round(time.Millisecond))
	return os.WriteFile(filepath.Join(dir, "_done"), []byte(stamp), 0o644)
}

// rewriteWithBloom copies src's rows to dst with the same schema and row
// group size, adding a split-block bloom filter (10 bits per value) on
// user_id.
func rewriteWithBloom(src, dst string, rgRows int64) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	pf, err := pq.OpenFile(in, st.Size())
	if err != nil {
		return fmt.Errorf("parquet-go: open %s: %w", src, err)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	w := pq.NewWriter(out, pf.Schema(),
		pq.MaxRowsPerRowGroup(rgRows),
		pq.Compression(&pq.Zstd),
		pq.BloomFilters(pq.SplitBlockFilter(10, "user_id")))
	r := pq.NewReader(pf)
	if _, err := pq.CopyRows(w, r); err != nil {
		out.Close()
		return fmt.Errorf("parquet-go: copy %s to %s: %w", src, dst, err)
	}
	r.Close()
	if err := w.Close(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
