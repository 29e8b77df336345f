package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/tpch"
)

// RepoRoot returns the tarn repository root (the bench module's parent).
func RepoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ".."
	}
	return filepath.Dir(filepath.Dir(file))
}

// QueriesDir is where the TPC-H query texts live.
func QueriesDir() string { return filepath.Join(RepoRoot(), "testdata", "tpch", "queries") }

// DataDir is the default data cache: bench/data (git-ignored).
func DataDir() string { return filepath.Join(RepoRoot(), "bench", "data") }

// PrepareTPCH generates TPC-H at sf into dir/sf<sf> unless an intact
// earlier generation is there, and returns the tables (database "tpch").
func PrepareTPCH(ctx context.Context, dir string, sf float64, progress func(string, int64, int64)) ([]catalog.Table, string, error) {
	d := filepath.Join(dir, fmt.Sprintf("sf%g", sf))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, "", err
	}
	tbls, err := tpch.Generate(ctx, tpch.Options{SF: sf, Dir: d, Database: "tpch", Reuse: true, Progress: progress})
	return tbls, d, err
}
