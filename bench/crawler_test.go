package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tarnsql/tarn/crawler"
)

// TestCrawlerDuckDBLake is the crawler's acceptance test: DuckDB writes
// a small data lake (Hive-partitioned Parquet via COPY ... PARTITION_BY,
// a CSV dataset of two files, gzipped JSON lines), tarn's crawler
// catalogues it, and the same aggregate queries on tarn (over the
// crawled tables) and on DuckDB (over read_parquet/read_csv/read_json of
// the same files) must agree.
func TestCrawlerDuckDBLake(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lake := filepath.Join(dir, "lake")
	duck, err := OpenDuckDB(ctx, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	q := func(p string) string { return sqlQuote(filepath.ToSlash(filepath.Join(lake, p))) }
	for _, d := range []string{"orders", "users"} {
		if err := os.MkdirAll(filepath.Join(lake, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []string{
		`CREATE TABLE ev AS SELECT i AS id, (i % 97)::INTEGER AS user_id, round(i * 1.25 + 0.5, 2)::DOUBLE AS amount,
			CAST(DATE '2024-06-01' + (i % 4)::INTEGER AS DATE) AS dt, ['eu', 'us', 'ap'][(i % 3) + 1] AS region,
			'item' || (i % 13) AS item, TIMESTAMP '2024-06-01 00:00:00' + to_seconds(i * 37) AS ts
			FROM range(6000) t(i)`,
		fmt.Sprintf(`COPY ev TO '%s' (FORMAT parquet, PARTITION_BY (dt, region))`, q("events")),
		fmt.Sprintf(`COPY (SELECT i AS order_id, (i %% 97)::INTEGER AS user_id, (i * 3.75)::DECIMAL(12,2) AS total,
			CAST(DATE '2023-01-01' + (i %% 365)::INTEGER AS DATE) AS order_date, ['open', 'shipped', 'returned'][(i %% 3) + 1] AS status,
			i %% 2 = 0 AS paid FROM range(0, 700) t(i)) TO '%s' (FORMAT csv, HEADER)`, q("orders/part-0.csv")),
		fmt.Sprintf(`COPY (SELECT i AS order_id, (i %% 97)::INTEGER AS user_id, (i * 3.75)::DECIMAL(12,2) AS total,
			CAST(DATE '2023-01-01' + (i %% 365)::INTEGER AS DATE) AS order_date, ['open', 'shipped', 'returned'][(i %% 3) + 1] AS status,
			i %% 2 = 0 AS paid FROM range(700, 1500) t(i)) TO '%s' (FORMAT csv, HEADER)`, q("orders/part-1.csv")),
		fmt.Sprintf(`COPY (SELECT i AS user_id, 'user' || i AS name, (i %% 5)::INTEGER AS tier, CAST(DATE '2020-01-01' + i::INTEGER AS DATE) AS joined,
			i * 1000000000 AS big FROM range(97) t(i)) TO '%s' (FORMAT json, COMPRESSION gzip)`, q("users/users.json.gz")),
		fmt.Sprintf(`CREATE VIEW events AS SELECT * FROM read_parquet('%s', hive_partitioning = true, hive_types_autocast = false)`, q("events/**/*.parquet")),
		fmt.Sprintf(`CREATE VIEW orders AS SELECT * FROM read_csv('%s', header = true)`, q("orders/*.csv")),
		fmt.Sprintf(`CREATE VIEW users AS SELECT * FROM read_json('%s')`, q("users/*.json.gz")),
	} {
		if err := duck.Exec(ctx, s); err != nil {
			t.Fatalf("DuckDB: %v\n%s", err, s)
		}
	}

	tarn, err := OpenTarn(ctx, filepath.Join(dir, "tarn"), "lake", nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer tarn.Close()
	sum, err := crawler.Run(ctx, tarn.Engine.Catalog(), crawler.Options{Location: lake, Database: "lake"})
	if err != nil {
		t.Fatal(err)
	}
	created, _, added, _ := sum.Counts()
	if created != 3 || added != 12 || len(sum.Skipped) != 0 {
		t.Fatalf("crawl: %d tables created, %d partitions added, skipped %v\n%v", created, added, sum.Skipped, sum.Rows())
	}
	for _, want := range []struct{ table, cols, keys, format string }{
		{"events", "id BIGINT, user_id INT, amount DOUBLE, item VARCHAR, ts TIMESTAMP", "dt VARCHAR, region VARCHAR", "parquet"},
		{"orders", "order_id INT, user_id INT, total DOUBLE, order_date DATE, status VARCHAR, paid BOOLEAN", "", "csv"},
		{"users", "user_id INT, name VARCHAR, tier INT, joined DATE, big BIGINT", "", "json"},
	} {
		tb, err := tarn.Engine.Catalog().GetTable(ctx, "lake", want.table)
		if err != nil {
			t.Fatal(err)
		}
		var cols, keys []string
		for _, c := range tb.Columns {
			cols = append(cols, c.Name+" "+c.Type)
		}
		for _, c := range tb.PartitionKeys {
			keys = append(keys, c.Name+" "+c.Type)
		}
		if strings.Join(cols, ", ") != want.cols || strings.Join(keys, ", ") != want.keys || tb.Format != want.format {
			t.Errorf("table %s: %s (%s) %s, want %s (%s) %s", want.table, strings.Join(cols, ", "), strings.Join(keys, ", "), tb.Format,
				want.cols, want.keys, want.format)
		}
	}

	queries := []string{
		`SELECT count(*) AS n, sum(amount) AS s, min(id) AS lo, max(id) AS hi FROM events`,
		`SELECT dt, region, count(*) AS n, sum(amount) AS s, max(ts) AS last_ts FROM events GROUP BY dt, region ORDER BY dt, region`,
		`SELECT item, count(*) AS n, avg(amount) AS a FROM events WHERE region = 'eu' AND dt >= '2024-06-03' GROUP BY item ORDER BY item`,
		`SELECT status, paid, count(*) AS n, sum(total) AS s, min(order_date) AS first, max(order_date) AS last FROM orders GROUP BY status, paid ORDER BY status, paid`,
		`SELECT tier, count(*) AS n, min(joined) AS j, max(name) AS m, sum(big) AS b FROM users GROUP BY tier ORDER BY tier`,
		`SELECT u.tier, count(*) AS n, sum(e.amount) AS s FROM events e JOIN users u ON e.user_id = u.user_id WHERE e.region = 'us' GROUP BY u.tier ORDER BY u.tier`,
		`SELECT o.status, count(*) AS n, sum(o.total) AS s FROM orders o JOIN users u ON o.user_id = u.user_id WHERE u.tier >= 3 GROUP BY o.status ORDER BY o.status`,
	}
	for i, sql := range queries {
		t.Run(fmt.Sprintf("q%d", i+1), func(t *testing.T) {
			qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			want, err := duck.Query(qctx, sql)
			if err != nil {
				t.Fatalf("DuckDB: %v", err)
			}
			got, err := tarn.Query(qctx, sql)
			if err != nil {
				t.Fatalf("tarn: %v", err)
			}
			names := make([]string, len(want.Columns))
			for i, c := range want.Columns {
				names[i] = c.Name
			}
			if err := Compare(got, want, ParseOrdering(sql, names)); err != nil {
				t.Errorf("differs from DuckDB: %v\n%s", err, indent(sql))
			}
		})
	}
}
