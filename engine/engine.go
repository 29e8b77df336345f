// Package engine is tarn's leader: it owns the catalog store, parses and
// dispatches statements (catalog DDL to planner/ddl, queries to the
// planner and executor), keeps system.query_history and hands results
// out as streams of Arrow record batches.
//
// Embedding:
//
//	e, err := engine.Open(ctx, engine.Config{DataDir: "tarn-data"})
//	s := e.NewSession("alice")
//	r, err := s.Query(ctx, "SELECT ...")
//	for { rec, err := r.Next(ctx); if rec == nil { break }; ...; rec.Release() }
//	r.Close()
//
// A Session is used by one goroutine at a time; an Engine is safe for
// concurrent sessions.
//
// Data directory: catalog.db (bbolt) holds the catalog (databases,
// tables, views, superseded table versions) and the query history.
//
// Query history: every statement (queries, DDL, failed and cancelled
// ones) becomes a row of the virtual table system.query_history when its
// Result is closed. The most recent Config.HistoryLimit statements
// (default 10,000) are kept; older ones are dropped from memory and from
// disk. Rows are persisted in the background in batches (flushed on
// Close), so they survive restarts.
//
// Virtual system tables: system.query_history and system.tables.
package engine

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/boltstore"
	"github.com/tarnsql/tarn/engine/wlm"
	"github.com/tarnsql/tarn/exec"
)

// Config configures an engine.
type Config struct {
	// DataDir holds catalog.db (catalog and query history) and the
	// default warehouse; default ./tarn-data.
	DataDir string
	// Catalog selects the catalog store: "" keeps the catalog in the
	// data directory's bbolt file; a postgres:// (or postgresql://) DSN
	// uses a shared PostgreSQL metastore (catalog/pgstore). Query history
	// and other local state stay in the data directory either way.
	Catalog string
	// MemoryLimit is the engine's memory budget in bytes, which the WLM
	// queues' memory_percent and slots divide into per-query limits; 0
	// means 60% of physical memory (or of the cgroup limit when set).
	MemoryLimit int64
	// QueryMemoryLimit, when > 0, is every query's memory limit instead of
	// its WLM share. The single-session CLI sets it from --memory-limit:
	// a shell runs one statement at a time, so dividing the budget among
	// queue slots would only waste it.
	QueryMemoryLimit int64
	// Slices is the number of parallel slices per query; 0 = GOMAXPROCS.
	Slices int
	// BatchSize is the target rows per batch; 0 = 1024.
	BatchSize int
	// Allocator is the base Arrow allocator; nil = a pooling allocator (exec.PoolAllocator).
	Allocator memory.Allocator
	// HistoryLimit caps system.query_history (default 10,000 statements;
	// older entries are dropped from memory and from disk).
	HistoryLimit int
	// WLM is the workload management configuration (tarn.yaml's wlm:
	// section); nil keeps the one persisted by SQL statements, or the
	// defaults (a default queue of 5 slots and the superuser queue).
	// MemoryLimit is the budget the queues' memory_percent divide.
	WLM *wlm.Config
	// AllowedLocations lists the local directories and URL prefixes
	// (s3://bucket/prefix/) that every table, partition, database and
	// crawl LOCATION must sit under (paths cleaned, symlinks resolved).
	// Empty: no restriction (the embedded default); the MySQL server uses
	// the data directory when none is configured. "*" allows everything.
	AllowedLocations []string
	// S3 is the default S3 configuration (endpoint, region, addressing,
	// profile; credentials come from the environment or the profile).
	// The zero value leaves the process's S3 defaults alone.
	S3 S3Config
}

// Engine is an embedded tarn instance over one data directory.
type Engine struct {
	cfg     Config
	store   engineStore
	hist    *history
	idSfx   string
	counter atomic.Int64
	wlmState
	authState            // users, groups and grants cache; storage allow-list (auth.go)
	fed       federation // federated connections (connections.go)

	closeOnce sync.Once
}

// DefaultDataDir is the data directory used when Config.DataDir is empty.
const DefaultDataDir = "tarn-data"

// Open opens (creating if needed) the engine's data directory.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.DataDir == "" {
		cfg.DataDir = DefaultDataDir
	}
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("data directory %s: %w", cfg.DataDir, err)
	}
	cfg.DataDir = abs
	if cfg.MemoryLimit <= 0 {
		cfg.MemoryLimit = DefaultMemoryLimit()
	}
	if cfg.Slices <= 0 {
		cfg.Slices = runtime.GOMAXPROCS(0)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1024
	}
	if cfg.Allocator == nil {
		cfg.Allocator = exec.NewPoolAllocator()
	}
	if cfg.HistoryLimit <= 0 {
		cfg.HistoryLimit = 10000
	}
	if err := cfg.S3.apply(); err != nil {
		return nil, err
	}
	st, err := boltstore.Open(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	store, err := openCatalogStore(ctx, cfg.Catalog, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	h, err := openHistory(st.DB(), cfg.HistoryLimit)
	if err != nil {
		store.Close()
		return nil, err
	}
	var b [4]byte
	rand.Read(b[:])
	sfx := strconv.FormatUint(uint64(b[0])<<24|uint64(b[1])<<16|uint64(b[2])<<8|uint64(b[3]), 36)
	for len(sfx) < 5 {
		sfx = "0" + sfx
	}
	e := &Engine{cfg: cfg, store: store, hist: h, idSfx: sfx[len(sfx)-5:]}
	if err := e.openWLM(st.DB()); err != nil {
		h.close()
		store.Close()
		return nil, err
	}
	e.initAuth()
	return e, nil
}

// Config returns the effective configuration (defaults filled in).
func (e *Engine) Config() Config { return e.cfg }

// Catalog returns the catalog store.
func (e *Engine) Catalog() catalog.Store { return e.store }

// Close flushes the query history and closes the catalog.
func (e *Engine) Close() error {
	var err error
	e.closeOnce.Do(func() {
		e.closeFederation()
		herr := e.hist.close()
		err = e.store.Close()
		if err == nil {
			err = herr
		}
	})
	return err
}

// NewSession starts a session for user with no current database; ""
// is root, the superuser (see auth.go for who may do what).
func (e *Engine) NewSession(user string) *Session {
	if user == "" {
		user = RootUser
	}
	return &Session{e: e, user: user}
}

// DefaultMemoryLimit is 60% of physical memory, or of the cgroup memory
// limit when that is lower.
func DefaultMemoryLimit() int64 { return physicalMemory() / 10 * 6 }

// GC settings a tarn process uses (TuneGC): collect when the heap has
// grown by GCPercent over the live heap, and at the latest near
// GCMemoryShare of physical memory.
const (
	GCPercent     = 400
	GCMemoryShare = 0.8
)

// TuneGC sets the Go garbage collector for a query-engine process: query
// operators allocate and drop Arrow buffers at a high rate, and with Go's
// default GOGC=100 the collector's assists and pauses land on every
// query, short ones included (on 2 cores they were the tail of short
// queries' latency under load: docs/BENCHMARKS.md, WLM). A larger GOGC
// makes cycles rare; a soft memory limit (debug.SetMemoryLimit) makes the
// collector work harder before the heap approaches physical memory. The
// environment wins: GOGC or GOMEMLIMIT, when set, are left alone. It
// changes process-wide settings, so the tarn binary and benchmarks call
// it; a program embedding the engine decides for itself.
func TuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(float64(physicalMemory()) * GCMemoryShare))
	}
}

// physicalMemory is the machine's memory, or the cgroup memory limit when
// that is lower (4 GiB when neither can be read).
func physicalMemory() int64 {
	total := int64(0)
	if f, err := os.Open("/proc/meminfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fs := strings.Fields(sc.Text())
			if len(fs) >= 2 && fs[0] == "MemTotal:" {
				if kb, err := strconv.ParseInt(fs[1], 10, 64); err == nil {
					total = kb * 1024
				}
				break
			}
		}
		f.Close()
	}
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || v <= 0 || v >= 1<<60 { // "max" or "unlimited"
			continue
		}
		if total == 0 || v < total {
			total = v
		}
	}
	if total <= 0 {
		total = 4 << 30
	}
	return total
}

// ParseBytes parses a byte size: plain bytes, or a number with a unit
// KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB (powers of 1024); K/M/G/T
// alone are binary.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("invalid size %q: expected a number like 512MiB, 16GiB, 2GB or 1073741824", s)
	}
	mult := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", s, t[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f <= 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(f * mult), nil
}
