package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/logs"
	"github.com/tarnsql/tarn/engine"
)

// Demo web logs: 30 days at a rate that keeps the first --demo run fast.
const (
	demoLogsDB         = "weblogs"
	demoLogsDays       = 30
	demoLogsRowsPerDay = 20000
)

var demoLogsStart = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

func cmdGenLogs(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("tarn gen logs", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	days := fs.Int("days", 0, "number of days (one dt=YYYY-MM-DD partition per day)")
	start := fs.String("start", "2024-01-01", "first day, YYYY-MM-DD")
	rows := fs.Int("rows-per-day", 300000, "average rows per day (weekends have fewer)")
	seed := fs.Uint64("seed", 1, "random seed (the data depends only on the seed and the options)")
	dataDir := fs.String("data-dir", defaultDataDir(), "data directory")
	db := fs.String("database", "weblogs", "database to create")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *days < 1 {
		fmt.Fprintln(stderr, "tarn gen logs: --days is required and must be >= 1")
		return 2
	}
	if *rows < 1 {
		fmt.Fprintln(stderr, "tarn gen logs: --rows-per-day must be >= 1")
		return 2
	}
	st, err := time.Parse("2006-01-02", *start)
	if err != nil {
		fmt.Fprintf(stderr, "tarn gen logs: invalid --start %q: use YYYY-MM-DD\n", *start)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	e, err := engine.Open(ctx, engine.Config{DataDir: *dataDir})
	if err != nil {
		fmt.Fprintln(stderr, "tarn:", err)
		return 1
	}
	defer e.Close()
	t0 := time.Now()
	res, err := genLogs(ctx, e, logs.Options{Database: *db, Start: st, Days: *days, RowsPerDay: *rows, Seed: *seed})
	if err != nil {
		fmt.Fprintln(stderr, "tarn gen logs:", err)
		return 1
	}
	fmt.Fprintf(stdout, "generated %d rows in %d partitions into %s.%s (and %s.%s, by partition projection) in %.1f s\n",
		res.Rows, len(res.Partitions), catalog.Normalize(*db), logs.TableRequests, catalog.Normalize(*db), logs.TableProjected, time.Since(t0).Seconds())
	return 0
}

// genLogs writes the web logs under <data-dir>/warehouse/<db>/ and
// registers both tables and the partitions of requests.
func genLogs(ctx context.Context, e *engine.Engine, o logs.Options) (*logs.Result, error) {
	o.Database = catalog.Normalize(o.Database)
	o.Dir = filepath.Join(e.Config().DataDir, "warehouse", o.Database)
	store := e.Catalog()
	if err := store.CreateDatabase(ctx, catalog.Database{Name: o.Database, Location: o.Dir, Comment: "web request logs"}, true); err != nil {
		return nil, err
	}
	res, err := logs.Generate(ctx, o)
	if err != nil {
		return nil, err
	}
	return res, logs.Register(ctx, store, res)
}

// ensureDemoLogs generates the demo web logs unless the database exists.
func ensureDemoLogs(ctx context.Context, e *engine.Engine, stderr io.Writer) error {
	if _, err := e.Catalog().GetDatabase(ctx, demoLogsDB); err == nil {
		return nil
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	fmt.Fprintf(stderr, "generating %d days of web logs into database %s (first run only)...\n", demoLogsDays, demoLogsDB)
	_, err := genLogs(ctx, e, logs.Options{Database: demoLogsDB, Start: demoLogsStart, Days: demoLogsDays,
		RowsPerDay: demoLogsRowsPerDay, Reuse: true})
	return err
}
