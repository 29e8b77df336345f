// Package crawler is tarn's Glue-style crawler: it lists a location,
// detects file formats from content with classifiers that each report a
// certainty, infers and merges schemas, finds table roots and partition
// folders, and creates or updates catalog tables and partitions.
//
// A crawl runs in three steps: list and classify every file (in
// parallel), plan (new tables from the folder tree; schema changes,
// new and vanished partitions of tables an earlier crawl created), then
// write the plan to the catalog. Nothing is written when planning fails
// (for example a schema change under the 'fail' policy). See
// docs/CRAWLER.md for the rules.
package crawler

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable"
	"github.com/tarnsql/tarn/connectors/storage/local"
)

// Modes of a crawl.
const (
	ModeFull        = "full"
	ModeIncremental = "incremental"
)

// Schema change policies.
const (
	SchemaUpdate = "update"
	SchemaLog    = "log"
	SchemaFail   = "fail"
)

// Delete behaviours for partitions whose folders are gone.
const (
	DeleteDelete = "delete"
	DeleteLog    = "log"
)

// Options configure a crawl.
type Options struct {
	// Location is the folder (or single file) to crawl: a local path,
	// file://, s3:// or hdfs:// URL.
	Location string
	// Database receives the tables; it is created when missing.
	Database string
	// Mode is "full" (default: re-read every file) or "incremental"
	// (read only folders not yet registered as partitions or tables).
	Mode string
	// SchemaChange is what a re-crawl does when a crawled table's schema
	// changed: "update" (default: a new table version), "log" (report
	// only) or "fail" (return an error, write nothing).
	SchemaChange string
	// DeleteBehavior is what a full re-crawl does with partitions whose
	// folders are gone: "delete" or "log". Default: delete under the
	// update policy, else log.
	DeleteBehavior string
	// Exclude lists glob patterns of paths (relative to Location) to
	// skip; '**' crosses folders.
	Exclude []string
	// SampleRows is the number of records of each text file that type
	// inference reads (default 1000).
	SampleRows int
	// SampleBytes bounds the bytes read (after decompression) from the
	// start of each text file (default 1 MiB).
	SampleBytes int
	// Header forces CSV header detection: "auto" (default), "true" or
	// "false".
	Header string
	// Parallel is the number of files classified at once (default 8).
	Parallel int
	// FS overrides the file system chosen from Location's scheme.
	FS connectors.FileSystem
	// Progress, when set, is called as the crawl advances (from one
	// goroutine at a time).
	Progress func(Progress)
	// ZoneMaps reads the files of the tables and partitions written
	// whole and records their zone maps, exact row counts and column
	// bounds in the catalog (text formats only; see zones.go).
	ZoneMaps bool
}

// Progress reports how far a crawl is.
type Progress struct {
	Phase  string // "listing", "scanning", "zone maps", "writing" or "done"
	Done   int    // files scanned so far
	Total  int    // files to scan
	Folder string // folder of the file last scanned
}

// Skipped is a file the crawl did not catalogue.
type Skipped struct {
	Path   string
	Reason string
}

// TableResult is what the crawl did to one table.
type TableResult struct {
	Table    string // db.name
	Action   string // "created", "updated", "unchanged", "schema change logged"
	Location string
	Format   string
	Columns  int
	// PartitionKeys names the partition columns.
	PartitionKeys []string
	Files         int
	// PartitionsAdded and PartitionsRemoved count partition changes.
	PartitionsAdded   int
	PartitionsRemoved int
	// Changes lists schema changes ("column x added (BIGINT)", ...).
	Changes []string
	// Notes are other remarks (vanished partitions kept, ...).
	Notes []string
}

// Summary is the outcome of a crawl.
type Summary struct {
	Database        string
	DatabaseCreated bool
	FilesListed     int
	FilesScanned    int
	Tables          []TableResult
	Skipped         []Skipped
	Elapsed         time.Duration
}

// Counts returns the number of tables created and updated and the
// partitions added and removed.
func (s *Summary) Counts() (created, updated, added, removed int) {
	for _, t := range s.Tables {
		switch t.Action {
		case "created":
			created++
		case "updated":
			updated++
		}
		added += t.PartitionsAdded
		removed += t.PartitionsRemoved
	}
	return
}

// ResultColumns name the columns of Rows.
var ResultColumns = []string{"action", "table_name", "path", "detail"}

// maxSkippedRows bounds the skipped-file rows of Rows.
const maxSkippedRows = 1000

// Rows renders the summary as a result set (ResultColumns): one row per
// table, per schema change and note, per skipped file (at most 1000,
// then a count), and a final total.
func (s *Summary) Rows() [][]string {
	var rows [][]string
	for _, t := range s.Tables {
		detail := fmt.Sprintf("%s, %d columns", t.Format, t.Columns)
		if len(t.PartitionKeys) > 0 {
			detail += fmt.Sprintf(", partitioned by (%s)", strings.Join(t.PartitionKeys, ", "))
		}
		detail += fmt.Sprintf(", %d files", t.Files)
		if t.PartitionsAdded > 0 || t.PartitionsRemoved > 0 {
			detail += fmt.Sprintf(", %d partitions added, %d removed", t.PartitionsAdded, t.PartitionsRemoved)
		}
		rows = append(rows, []string{"table " + t.Action, t.Table, t.Location, detail})
		for _, c := range t.Changes {
			rows = append(rows, []string{"schema change", t.Table, t.Location, c})
		}
		for _, n := range t.Notes {
			rows = append(rows, []string{"note", t.Table, t.Location, n})
		}
	}
	for i, sk := range s.Skipped {
		if i == maxSkippedRows {
			rows = append(rows, []string{"skipped", "", "", fmt.Sprintf("... and %d more files", len(s.Skipped)-i)})
			break
		}
		rows = append(rows, []string{"skipped", "", sk.Path, sk.Reason})
	}
	created, updated, added, removed := s.Counts()
	rows = append(rows, []string{"summary", s.Database, "", fmt.Sprintf(
		"%d files listed, %d scanned, %d skipped; %d tables created, %d updated; %d partitions added, %d removed; %.1fs",
		s.FilesListed, s.FilesScanned, len(s.Skipped), created, updated, added, removed, s.Elapsed.Seconds())})
	return rows
}

// crawl is the state of one run.
type crawl struct {
	opts     Options
	store    catalog.Store
	parts    catalog.PartitionStore
	fs       connectors.FileSystem
	root     string // the crawl location as listed paths spell it
	excludes []*glob
	sum      *Summary
}

// normalize checks the options and fills defaults.
func (o *Options) normalize() error {
	if strings.TrimSpace(o.Location) == "" {
		return errors.New("crawl: no location given")
	}
	if strings.TrimSpace(o.Database) == "" {
		return errors.New("crawl: no database given")
	}
	o.Database = catalog.Normalize(strings.TrimSpace(o.Database))
	o.Mode = strings.ToLower(strings.TrimSpace(o.Mode))
	switch o.Mode {
	case "":
		o.Mode = ModeFull
	case ModeFull, ModeIncremental:
	default:
		return fmt.Errorf("crawl: mode %q: expected full or incremental", o.Mode)
	}
	o.SchemaChange = strings.ToLower(strings.TrimSpace(o.SchemaChange))
	switch o.SchemaChange {
	case "":
		o.SchemaChange = SchemaUpdate
	case SchemaUpdate, SchemaLog, SchemaFail:
	default:
		return fmt.Errorf("crawl: schema change policy %q: expected update, log or fail", o.SchemaChange)
	}
	o.DeleteBehavior = strings.ToLower(strings.TrimSpace(o.DeleteBehavior))
	switch o.DeleteBehavior {
	case "":
		o.DeleteBehavior = DeleteLog
		if o.SchemaChange == SchemaUpdate {
			o.DeleteBehavior = DeleteDelete
		}
	case DeleteDelete, DeleteLog:
	default:
		return fmt.Errorf("crawl: delete behavior %q: expected delete or log", o.DeleteBehavior)
	}
	o.Header = strings.ToLower(strings.TrimSpace(o.Header))
	switch o.Header {
	case "":
		o.Header = "auto"
	case "auto", "true", "false":
	default:
		return fmt.Errorf("crawl: header %q: expected auto, true or false", o.Header)
	}
	if o.SampleRows < 0 || o.SampleBytes < 0 || o.Parallel < 0 {
		return errors.New("crawl: sample_rows, sample_bytes and parallel must not be negative")
	}
	if o.SampleRows == 0 {
		o.SampleRows = 1000
	}
	if o.SampleBytes == 0 {
		o.SampleBytes = 1 << 20
	}
	if o.Parallel == 0 {
		o.Parallel = 8
	}
	return nil
}

// Run crawls opts.Location into opts.Database of store. Partitioned
// tables need a store that implements catalog.PartitionStore.
func Run(ctx context.Context, store catalog.Store, opts Options) (*Summary, error) {
	start := time.Now()
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	c := &crawl{opts: opts, store: store, sum: &Summary{Database: opts.Database}}
	c.parts, _ = store.(catalog.PartitionStore)
	for _, p := range opts.Exclude {
		g, err := compileGlob(p)
		if err != nil {
			return nil, fmt.Errorf("crawl: %w", err)
		}
		c.excludes = append(c.excludes, g)
	}
	c.fs = opts.FS
	if c.fs == nil {
		fsys, err := filetable.FileSystemFor(opts.Location)
		if err != nil {
			return nil, fmt.Errorf("crawl %s: %w", opts.Location, err)
		}
		c.fs = fsys
	}
	c.root = rootPath(opts.Location)
	c.progress(Progress{Phase: "listing", Folder: opts.Location})
	listed, err := c.fs.List(ctx, opts.Location)
	if err != nil {
		return nil, fmt.Errorf("crawl %s: %w", opts.Location, err)
	}
	c.sum.FilesListed = len(listed)
	p, err := c.plan(ctx, listed)
	if err != nil {
		return nil, err
	}
	if c.opts.ZoneMaps {
		c.progress(Progress{Phase: "zone maps", Done: c.sum.FilesScanned, Total: c.sum.FilesScanned})
		if err := c.fillZones(ctx, p); err != nil {
			return nil, err
		}
	}
	if err := c.apply(ctx, p); err != nil {
		return nil, err
	}
	c.sum.Elapsed = time.Since(start)
	c.progress(Progress{Phase: "done", Done: c.sum.FilesScanned, Total: c.sum.FilesScanned})
	return c.sum, nil
}

func (c *crawl) progress(p Progress) {
	if c.opts.Progress != nil {
		c.opts.Progress(p)
	}
}

// rootPath spells a location the way listings spell paths under it.
func rootPath(loc string) string {
	if !strings.Contains(loc, "://") || strings.HasPrefix(loc, "file:") {
		if p, err := local.Clean(loc); err == nil {
			return p
		}
	}
	return strings.TrimRight(loc, "/")
}

// relPath returns p relative to root ('/'-separated), ok false when p
// is not below root.
func relPath(root, p string) (string, bool) {
	if p == root {
		return "", true
	}
	if root == "/" {
		return strings.TrimPrefix(p, "/"), strings.HasPrefix(p, "/")
	}
	if strings.HasPrefix(p, root+"/") {
		return p[len(root)+1:], true
	}
	return "", false
}

// hiddenSegment returns the first hidden segment of a relative path.
func hiddenSegment(rel string) string {
	for _, s := range strings.Split(rel, "/") {
		if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "_") {
			return s
		}
	}
	return ""
}

// scanFiles classifies files in parallel, reporting progress.
func (c *crawl) scanFiles(ctx context.Context, files []*fileResult) error {
	total := len(files)
	c.progress(Progress{Phase: "scanning", Total: total})
	var (
		mu   sync.Mutex
		done int
		wg   sync.WaitGroup
	)
	work := make(chan *fileResult)
	for w := 0; w < min(c.opts.Parallel, max(total, 1)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				c.classify(ctx, f)
				mu.Lock()
				done++
				folder := strings.Join(f.dirs, "/")
				c.progress(Progress{Phase: "scanning", Done: done, Total: total, Folder: folder})
				mu.Unlock()
			}
		}()
	}
	var err error
loop:
	for _, f := range files {
		select {
		case work <- f:
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		err = ctx.Err()
	}
	c.sum.FilesScanned = total
	return err
}

func (c *crawl) skip(f *fileResult, reason string) {
	f.skip = reason
	c.sum.Skipped = append(c.sum.Skipped, Skipped{Path: f.info.Path, Reason: reason})
}

// sortSkipped orders skipped files by path.
func (c *crawl) sortSkipped() {
	sort.SliceStable(c.sum.Skipped, func(i, j int) bool { return c.sum.Skipped[i].Path < c.sum.Skipped[j].Path })
}
