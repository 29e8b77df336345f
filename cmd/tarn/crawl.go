package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/pflag"

	"github.com/tarnsql/tarn/crawler"
	"github.com/tarnsql/tarn/engine"
)

const crawlUsage = `Usage: tarn crawl <location> --database db [--data-dir D] [--mode full|incremental]
         [--schema-change update|log|fail] [--delete-behavior delete|log]
         [--exclude glob ...] [--sample-rows 1000] [--header auto|true|false]

Finds the datasets under <location> (a folder, a file, or an s3:// / hdfs://
URL), detects their formats and schemas, and creates one table per dataset
in the database, with its partitions. Re-running it updates those tables.
`

func cmdCrawl(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("tarn crawl", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, crawlUsage, "\nFlags:\n")
		fs.PrintDefaults()
	}
	var o crawler.Options
	dataDir := fs.String("data-dir", defaultDataDir(), "data directory (catalog)")
	catalogDSN := fs.String("catalog", os.Getenv("TARN_CATALOG"), catalogFlagHelp)
	fs.StringVar(&o.Database, "database", "", "database to create the tables in (created if missing)")
	fs.StringVar(&o.Mode, "mode", "full", "full: re-read every file; incremental: only folders not yet registered")
	fs.StringVar(&o.SchemaChange, "schema-change", "update", "when a crawled table's schema changed: update (new table version), log or fail")
	fs.StringVar(&o.DeleteBehavior, "delete-behavior", "", "partitions whose folders are gone: delete or log (default: delete under --schema-change update)")
	fs.StringArrayVar(&o.Exclude, "exclude", nil, "glob of paths to skip, relative to the location ('**' crosses folders); repeatable")
	fs.IntVar(&o.SampleRows, "sample-rows", 1000, "records of each text file used for type inference")
	fs.StringVar(&o.Header, "header", "auto", "CSV header row: auto, true or false")
	fs.IntVar(&o.Parallel, "parallel", 8, "files read at once")
	fs.BoolVar(&o.ZoneMaps, "zone-maps", false, "read every text file whole and record per-file and per-block zone maps (min/max) for pruning")
	progress := fs.String("progress", "auto", "progress bar on standard error: auto (on a terminal), on or off")
	verbose := fs.BoolP("verbose", "v", false, "list every skipped file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "tarn crawl: expected exactly one location")
		fs.Usage()
		return 2
	}
	if o.Database == "" {
		fmt.Fprintln(stderr, "tarn crawl: --database is required")
		return 2
	}
	o.Location = fs.Arg(0)
	if !strings.Contains(o.Location, "://") {
		abs, err := filepath.Abs(o.Location)
		if err != nil {
			fmt.Fprintln(stderr, "tarn crawl:", err)
			return 2
		}
		o.Location = abs
	}
	showBar := false
	switch *progress {
	case "auto":
		showBar = isTerminal(stderr)
	case "on":
		showBar = true
	case "off":
	default:
		fmt.Fprintf(stderr, "tarn crawl: invalid --progress %q: auto, on or off\n", *progress)
		return 2
	}
	var bar *progressBar
	if showBar {
		bar = &progressBar{w: stderr, width: 30}
		o.Progress = bar.update
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	e, err := engine.Open(ctx, engine.Config{DataDir: *dataDir, Catalog: *catalogDSN})
	if err != nil {
		fmt.Fprintln(stderr, "tarn:", err)
		return 1
	}
	defer e.Close()
	sum, err := crawler.Run(ctx, e.Catalog(), o)
	if bar != nil {
		bar.clear()
	}
	if err != nil {
		fmt.Fprintln(stderr, "tarn crawl:", err)
		return 1
	}
	printCrawlSummary(stdout, o.Location, sum, *verbose)
	return 0
}

// printCrawlSummary prints what the crawl did: one line per table, its
// schema changes and notes, and the skipped files grouped by reason.
func printCrawlSummary(w io.Writer, loc string, sum *crawler.Summary, verbose bool) {
	created, updated, added, removed := sum.Counts()
	fmt.Fprintf(w, "Crawled %s into database %s in %.1fs: %d files listed, %d scanned, %d skipped.\n",
		loc, sum.Database, sum.Elapsed.Seconds(), sum.FilesListed, sum.FilesScanned, len(sum.Skipped))
	if sum.DatabaseCreated {
		fmt.Fprintf(w, "Created database %s.\n", sum.Database)
	}
	fmt.Fprintf(w, "Tables: %d created, %d updated; partitions: %d added, %d removed.\n", created, updated, added, removed)
	for _, t := range sum.Tables {
		line := fmt.Sprintf("  %-22s %-28s %-8s %3d columns", t.Action, t.Table, t.Format, t.Columns)
		if len(t.PartitionKeys) > 0 {
			line += fmt.Sprintf(", partitioned by (%s)", strings.Join(t.PartitionKeys, ", "))
		}
		line += fmt.Sprintf(", %d files", t.Files)
		if t.PartitionsAdded > 0 || t.PartitionsRemoved > 0 {
			line += fmt.Sprintf(", +%d/-%d partitions", t.PartitionsAdded, t.PartitionsRemoved)
		}
		fmt.Fprintln(w, line)
		for _, c := range t.Changes {
			fmt.Fprintf(w, "      schema change: %s\n", c)
		}
		for _, n := range t.Notes {
			fmt.Fprintf(w, "      note: %s\n", n)
		}
	}
	if len(sum.Skipped) == 0 {
		return
	}
	fmt.Fprintln(w, "Skipped files:")
	if verbose {
		for _, s := range sum.Skipped {
			fmt.Fprintf(w, "  %s: %s\n", s.Path, s.Reason)
		}
		return
	}
	byReason := map[string][]string{}
	for _, s := range sum.Skipped {
		byReason[s.Reason] = append(byReason[s.Reason], s.Path)
	}
	reasons := make([]string, 0, len(byReason))
	for r := range byReason {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		if a, b := len(byReason[reasons[i]]), len(byReason[reasons[j]]); a != b {
			return a > b
		}
		return reasons[i] < reasons[j]
	})
	for _, r := range reasons {
		paths := byReason[r]
		if len(paths) == 1 {
			fmt.Fprintf(w, "  %s: %s\n", paths[0], r)
			continue
		}
		fmt.Fprintf(w, "  %d files: %s (e.g. %s)\n", len(paths), r, paths[0])
	}
}

// progressBar draws the crawl's progress on one terminal line.
type progressBar struct {
	mu    sync.Mutex
	w     io.Writer
	width int
	last  time.Time
	drawn bool
}

func (b *progressBar) update(p crawler.Progress) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	if p.Phase == "scanning" && p.Done < p.Total && now.Sub(b.last) < 100*time.Millisecond {
		return
	}
	b.last = now
	fmt.Fprint(b.w, "\r\033[K"+renderProgress(p, b.width))
	b.drawn = true
}

func (b *progressBar) clear() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// renderProgress renders one progress line: a bar of the given width,
// the file counts and the current folder.
func renderProgress(p crawler.Progress, width int) string {
	switch p.Phase {
	case "listing":
		return "listing " + p.Folder + " ..."
	case "writing":
		return fmt.Sprintf("writing the catalog (%d files scanned) ...", p.Done)
	case "done":
		return fmt.Sprintf("done: %d files scanned", p.Done)
	}
	filled := 0
	if p.Total > 0 {
		filled = p.Done * width / p.Total
	}
	folder := p.Folder
	if len(folder) > 40 {
		folder = "..." + folder[len(folder)-37:]
	}
	return fmt.Sprintf("[%s%s] %d/%d files  %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.Done, p.Total, folder)
}
