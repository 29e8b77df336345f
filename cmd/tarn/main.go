// Command tarn is tarn's CLI: an embedded SQL shell over a data
// directory (tarn sql) and the TPC-H data generator (tarn gen tpch).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/datagen/tpch"
	"github.com/tarnsql/tarn/engine"
)

const usage = `tarn: a SQL query engine over a data lake

Usage:
  tarn sql [--data-dir D] [-e "SQL; SQL..."] [-f file.sql] [--format table|csv|tsv|json]
           [--memory-limit 16GiB] [--slices N] [--demo]
  tarn gen tpch --sf F [--data-dir D] [--database tpch] [--format parquet|csv]
  tarn gen logs --days N [--start 2024-01-01] [--rows-per-day 300000] [--data-dir D] [--database weblogs]
  tarn crawl <location> --database db [--data-dir D] [--mode full|incremental]
           [--schema-change update|log|fail] [--exclude glob ...] [--sample-rows 1000]
  tarn help

Without -e or -f, "tarn sql" opens an interactive shell (or reads a script
from standard input when it is not a terminal).
`

func main() {
	engine.TuneGC()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "sql":
		return cmdSQL(args[1:], stdin, stdout, stderr)
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "crawl":
		return cmdCrawl(args[1:], stdout, stderr)
	case "gen":
		if len(args) >= 2 && args[1] == "logs" {
			return cmdGenLogs(args[2:], stdout, stderr)
		}
		if len(args) < 2 || args[1] != "tpch" {
			fmt.Fprintln(stderr, "tarn gen: expected a generator name: tarn gen tpch --sf F, or tarn gen logs --days N")
			return 2
		}
		return cmdGenTPCH(args[2:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "tarn: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// catalogFlagHelp documents --catalog (default $TARN_CATALOG).
const catalogFlagHelp = "catalog store: empty for the data directory's catalog.db, or a postgres://user@host:port/db DSN for a shared PostgreSQL metastore (default $TARN_CATALOG)"

func defaultDataDir() string {
	if d := os.Getenv("TARN_DATA_DIR"); d != "" {
		return d
	}
	return engine.DefaultDataDir
}

type sqlOptions struct {
	dataDir, execute, file, format, memLimit, user string
	catalog                                        string
	slices, batchSize                              int
	demo                                           bool
}

func cmdSQL(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var o sqlOptions
	fs := pflag.NewFlagSet("tarn sql", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dataDir, "data-dir", defaultDataDir(), "data directory (catalog and query history)")
	fs.StringVar(&o.catalog, "catalog", os.Getenv("TARN_CATALOG"), catalogFlagHelp)
	fs.StringVarP(&o.execute, "execute", "e", "", "run these ';'-separated statements and exit")
	fs.StringVarP(&o.file, "file", "f", "", "run the statements in this file and exit")
	fs.StringVar(&o.format, "format", "table", "output format: table, csv, tsv or json")
	fs.StringVar(&o.memLimit, "memory-limit", "", "per-query memory limit, e.g. 512MiB, 16GiB, 2GB (default 60% of RAM)")
	fs.IntVar(&o.slices, "slices", 0, "parallel slices per query (default: number of CPUs)")
	fs.IntVar(&o.batchSize, "batch-size", 0, "rows per batch (default 1024)")
	fs.BoolVar(&o.demo, "demo", false, "generate TPC-H SF 0.1 into the data directory if missing, then USE tpch")
	fs.StringVar(&o.user, "user", "", "user name recorded in system.query_history (default $USER)")
	s3f := addS3Flags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "tarn sql: unexpected argument %q (quote SQL passed with -e)\n", fs.Arg(0))
		return 2
	}
	if _, err := newPrinter(o.format, io.Discard); err != nil {
		fmt.Fprintln(stderr, "tarn sql:", err)
		return 2
	}
	cfg := engine.Config{DataDir: o.dataDir, Catalog: o.catalog, Slices: o.slices, BatchSize: o.batchSize, S3: s3f.apply(fs, engine.S3Config{})}
	if o.memLimit != "" {
		n, err := engine.ParseBytes(o.memLimit)
		if err != nil {
			fmt.Fprintf(stderr, "tarn sql: invalid --memory-limit: %v\n", err)
			return 2
		}
		// One statement runs at a time in the shell: the limit is the
		// query's, not a budget for WLM to divide among slots.
		cfg.MemoryLimit = n
		cfg.QueryMemoryLimit = n
	}
	if o.slices < 0 {
		fmt.Fprintln(stderr, "tarn sql: invalid --slices: must be >= 0")
		return 2
	}
	ctx := context.Background()
	e, err := engine.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "tarn:", err)
		return 1
	}
	defer e.Close()
	// The embedded shell runs as root unless --user says otherwise (the
	// data directory is the user's own).
	user := o.user
	if user == "" {
		user = engine.RootUser
	}
	sess := e.NewSession(user)
	c := &client{sess: sess, format: o.format, out: stdout, errw: stderr, progress: isTerminal(stderr)}

	if o.demo {
		if err := ensureDemo(ctx, e, stderr); err != nil {
			fmt.Fprintln(stderr, "tarn --demo:", err)
			return 1
		}
		if err := sess.Exec(ctx, "USE tpch"); err != nil {
			c.printError(err)
			return 1
		}
	}
	if o.file != "" {
		b, err := os.ReadFile(o.file)
		if err != nil {
			fmt.Fprintln(stderr, "tarn sql: -f:", err)
			return 1
		}
		if !c.runScript(ctx, string(b), true) {
			return 1
		}
	}
	if o.execute != "" {
		if !c.runScript(ctx, o.execute, true) {
			return 1
		}
	}
	if o.file != "" || o.execute != "" {
		return 0
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return c.interactive(ctx)
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		fmt.Fprintln(stderr, "tarn sql: reading stdin:", err)
		return 1
	}
	if !c.runScript(ctx, string(b), true) {
		return 1
	}
	return 0
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// client runs statements of one session and prints their results.
type client struct {
	sess     *engine.Session
	format   string
	out      io.Writer
	errw     io.Writer
	progress bool
}

// runScript runs ';'-separated statements; it reports whether all
// succeeded. With stopOnError it stops at the first failure.
func (c *client) runScript(ctx context.Context, script string, stopOnError bool) bool {
	stmts, err := engine.SplitStatements(script)
	if err != nil {
		c.printError(err)
		return false
	}
	ok := true
	for _, st := range stmts {
		if err := c.runOne(ctx, st); err != nil {
			c.printError(err)
			ok = false
			if stopOnError {
				return false
			}
		}
	}
	return ok
}

func (c *client) printError(err error) {
	code, _ := engine.ErrorCode(err)
	msg := err.Error()
	if code == engine.CodeInterrupted {
		msg = "query cancelled"
	}
	fmt.Fprintf(c.errw, "ERROR %d: %s\n", code, msg)
}

// runOne runs one statement; Ctrl-C cancels it.
func (c *client) runOne(parent context.Context, sql string) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt)
	defer signal.Stop(sigc)
	go func() {
		select {
		case <-sigc:
			cancel()
		case <-ctx.Done():
		}
	}()

	start := time.Now()
	r, err := c.sess.Query(ctx, sql)
	if err != nil {
		return err
	}
	stopProgress := func() {}
	if c.progress {
		stopProgress = startProgress(r, c.errw)
	}
	p, _ := newPrinter(c.format, c.out)
	err = func() error {
		if err := p.begin(r.Schema()); err != nil {
			return err
		}
		for {
			rec, err := r.Next(ctx)
			if err != nil {
				return err
			}
			if rec == nil {
				return nil
			}
			err = p.batch(rec)
			rec.Release()
			if err != nil {
				return err
			}
		}
	}()
	stopProgress()
	cerr := r.Close()
	if err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return p.end(r.Stats().Rows, time.Since(start), len(r.Columns()) > 0)
}

// startProgress shows a live status line on w once the query has run for
// a second, refreshed four times a second; the returned func clears it.
func startProgress(r *engine.Result, w io.Writer) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		shown := false
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				if shown {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
				st := r.Stats()
				if st.Elapsed < time.Second {
					continue
				}
				shown = true
				fmt.Fprintf(w, "\r\033[K%s  %.1fs  rows %d  scanned %s (%d files)  splits %d/%d  peak mem %s",
					st.QueryID, st.Elapsed.Seconds(), st.Rows, humanBytes(st.BytesScanned), st.FilesScanned,
					st.SplitsDone, st.SplitsTotal, humanBytes(st.PeakMemory))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// ensureDemo generates TPC-H SF 0.1 (unless a tpch database exists) and
// 30 days of web logs (unless a weblogs database exists) into the data
// directory.
func ensureDemo(ctx context.Context, e *engine.Engine, stderr io.Writer) error {
	if err := ensureDemoLogs(ctx, e, stderr); err != nil {
		return err
	}
	if _, err := e.Catalog().GetDatabase(ctx, "tpch"); err == nil {
		return nil
	} else if !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	fmt.Fprintln(stderr, "generating TPC-H SF 0.1 into database tpch (first run only)...")
	return genTPCH(ctx, e, 0.1, "tpch", "parquet", stderr)
}

func cmdGenTPCH(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("tarn gen tpch", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	sf := fs.Float64("sf", 0, "scale factor (e.g. 0.01, 0.1, 1, 10)")
	dataDir := fs.String("data-dir", defaultDataDir(), "data directory")
	catalogDSN := fs.String("catalog", os.Getenv("TARN_CATALOG"), catalogFlagHelp)
	db := fs.String("database", "tpch", "database to create")
	format := fs.String("format", "parquet", "file format: parquet or csv")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *sf <= 0 {
		fmt.Fprintln(stderr, "tarn gen tpch: --sf is required and must be > 0")
		return 2
	}
	if *format != "parquet" && *format != "csv" {
		fmt.Fprintf(stderr, "tarn gen tpch: invalid --format %q: use parquet or csv\n", *format)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	e, err := engine.Open(ctx, engine.Config{DataDir: *dataDir, Catalog: *catalogDSN})
	if err != nil {
		fmt.Fprintln(stderr, "tarn:", err)
		return 1
	}
	defer e.Close()
	start := time.Now()
	if err := genTPCH(ctx, e, *sf, *db, *format, stderr); err != nil {
		fmt.Fprintln(stderr, "tarn gen tpch:", err)
		return 1
	}
	fmt.Fprintf(stdout, "generated TPC-H SF %g into database %s in %.1f s\n", *sf, *db, time.Since(start).Seconds())
	return 0
}

// genTPCH writes the TPC-H tables under <data-dir>/warehouse/<db>/ and
// registers them (replacing existing definitions of the same names).
func genTPCH(ctx context.Context, e *engine.Engine, sf float64, db, format string, stderr io.Writer) error {
	db = catalog.Normalize(db)
	dir := filepath.Join(e.Config().DataDir, "warehouse", db)
	store := e.Catalog()
	if err := store.CreateDatabase(ctx, catalog.Database{Name: db, Location: dir, Comment: fmt.Sprintf("TPC-H SF %g", sf)}, true); err != nil {
		return err
	}
	tty := isTerminal(stderr)
	last := time.Time{}
	lastTable := ""
	tables, err := tpch.Generate(ctx, tpch.Options{SF: sf, Dir: dir, Database: db, Format: format,
		Progress: func(table string, done, total int64) {
			if table != lastTable && lastTable != "" && !tty {
				fmt.Fprintf(stderr, "  %s done\n", lastTable)
			}
			lastTable = table
			if tty && (time.Since(last) > 100*time.Millisecond || done == total) {
				last = time.Now()
				pct := 100.0
				if total > 0 {
					pct = 100 * float64(done) / float64(total)
				}
				fmt.Fprintf(stderr, "\r\033[K  %-9s %5.1f%%  %d/%d rows", table, pct, done, total)
			}
		}})
	if tty {
		fmt.Fprint(stderr, "\r\033[K")
	} else if lastTable != "" {
		fmt.Fprintf(stderr, "  %s done\n", lastTable)
	}
	if err != nil {
		return err
	}
	for _, t := range tables {
		t.Database = db
		if err := store.CreateTable(ctx, t, false); err != nil {
			if !errors.Is(err, catalog.ErrExists) {
				return err
			}
			if err := store.ReplaceTable(ctx, t); err != nil {
				return err
			}
		}
	}
	return nil
}

// statementComplete reports whether buf holds at least one complete
// statement: it ends with ';' outside quotes and comments.
func statementComplete(buf string) bool {
	inQuote := byte(0)
	last := byte(0)
	for i := 0; i < len(buf); i++ {
		ch := buf[i]
		switch {
		case inQuote != 0:
			if ch == '\\' && inQuote != '`' {
				i++
				continue
			}
			if ch == inQuote {
				inQuote = 0
			}
			last = 'x'
		case ch == '\'' || ch == '"' || ch == '`':
			inQuote = ch
			last = 'x'
		case ch == '-' && strings.HasPrefix(buf[i:], "--"), ch == '#':
			j := strings.IndexByte(buf[i:], '\n')
			if j < 0 {
				i = len(buf)
			} else {
				i += j
			}
		case ch == '/' && strings.HasPrefix(buf[i:], "/*"):
			j := strings.Index(buf[i+2:], "*/")
			if j < 0 {
				return false
			}
			i += j + 3
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
		default:
			last = ch
		}
	}
	return inQuote == 0 && last == ';'
}
