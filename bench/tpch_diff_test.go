package bench

import (
	"context"
	"flag"
	"strings"
	"testing"
	"time"
)

var (
	diffSF      = flag.Float64("tpch.sf", 0.01, "TPC-H scale factor for TestTPCHDiff")
	diffQueries = flag.String("tpch.queries", "1-22", "TPC-H queries for TestTPCHDiff")
	diffData    = flag.String("tpch.data", "", "data cache directory (default bench/data)")
)

// TestTPCHDiff runs the TPC-H queries on tarn and on DuckDB over the same
// generated Parquet files and compares the results (see Compare for the
// rules). DuckDB is the reference.
func TestTPCHDiff(t *testing.T) {
	ctx := context.Background()
	dataDir := *diffData
	if dataDir == "" {
		dataDir = DataDir()
	}
	tbls, _, err := PrepareTPCH(ctx, dataDir, *diffSF, nil)
	if err != nil {
		t.Fatalf("generate TPC-H SF %g: %v", *diffSF, err)
	}
	nums, err := ParseRange(*diffQueries)
	if err != nil {
		t.Fatal(err)
	}
	queries, err := LoadQueries(QueriesDir(), nums)
	if err != nil {
		t.Fatal(err)
	}
	duck, err := OpenDuckDB(ctx, tbls, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	tarn, err := OpenTarn(ctx, t.TempDir(), "tpch", tbls, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tarn.Close()

	for _, q := range queries {
		t.Run(q.Name, func(t *testing.T) {
			qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			want, err := duck.Query(qctx, q.SQL)
			if err != nil {
				t.Fatalf("DuckDB: %v", err)
			}
			got, err := tarn.Query(qctx, q.SQL)
			if err != nil {
				t.Fatalf("tarn: %v", err)
			}
			names := make([]string, len(want.Columns))
			for i, c := range want.Columns {
				names[i] = c.Name
			}
			if err := Compare(got, want, ParseOrdering(q.SQL, names)); err != nil {
				t.Errorf("%s differs from DuckDB: %v\n%s", q.Name, err, indent(q.SQL))
			}
		})
	}
}

func indent(s string) string { return "    " + strings.ReplaceAll(s, "\n", "\n    ") }
