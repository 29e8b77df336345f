package engine

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Query states in system.query_history.
const (
	StateFinished  = "FINISHED"
	StateFailed    = "FAILED"
	StateCancelled = "CANCELLED"
)

// HistoryEntry is one row of system.query_history.
type HistoryEntry struct {
	QueryID      string    `json:"id"`
	User         string    `json:"user"`
	Query        string    `json:"query"`
	State        string    `json:"state"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	ElapsedMs    int64     `json:"elapsed_ms"`
	Rows         int64     `json:"rows"`
	BytesScanned int64     `json:"bytes"`
	FilesScanned int64     `json:"files"`
	Error        string    `json:"error,omitempty"`
	// PartitionsTotal and PartitionsScanned count the partitions of the
	// partitioned tables scanned, before and after pruning.
	PartitionsTotal   int64 `json:"partitions_total,omitempty"`
	PartitionsScanned int64 `json:"partitions_scanned,omitempty"`
	// WLM: the queue the statement ended in, its wait for slots, its
	// execution time and its peak memory.
	Queue           string `json:"queue,omitempty"`
	QueueWaitMs     int64  `json:"queue_wait_ms,omitempty"`
	ExecMs          int64  `json:"exec_ms,omitempty"`
	MemoryPeakBytes int64  `json:"memory_peak,omitempty"`
	// RowGroupsTotal and RowGroupsScanned count the Parquet row groups of
	// the files scanned, before and after pruning.
	RowGroupsTotal   int64 `json:"row_groups_total,omitempty"`
	RowGroupsScanned int64 `json:"row_groups_scanned,omitempty"`
}

var bucketHistory = []byte("query_history")

// history keeps the most recent statements in memory (what
// system.query_history reads) and persists them to the catalog file in
// the background, in batches, so recording never waits for an fsync.
// Both copies are capped at limit entries (oldest dropped first).
type history struct {
	db    *bolt.DB
	limit int

	mu      sync.Mutex
	entries []HistoryEntry // a ring of at most limit entries; the oldest at head
	head    int
	pending []HistoryEntry
	kick    chan struct{}
	done    chan struct{}
	closed  bool
	werr    error
	onDisk  int
}

func openHistory(db *bolt.DB, limit int) (*history, error) {
	h := &history{db: db, limit: limit, kick: make(chan struct{}, 1), done: make(chan struct{})}
	err := db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketHistory)
		if err != nil {
			return err
		}
		h.onDisk = b.Stats().KeyN
		c := b.Cursor()
		var rev []HistoryEntry
		for k, v := c.Last(); k != nil && len(rev) < limit; k, v = c.Prev() {
			var e HistoryEntry
			if err := json.Unmarshal(v, &e); err != nil {
				continue // skip a corrupt entry rather than refusing to start
			}
			rev = append(rev, e)
		}
		for i := len(rev) - 1; i >= 0; i-- {
			h.entries = append(h.entries, rev[i])
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("query history: %w", err)
	}
	go h.writer()
	return h, nil
}

func (h *history) add(e HistoryEntry) {
	h.mu.Lock()
	switch {
	case h.limit <= 0:
	case len(h.entries) < h.limit:
		h.entries = append(h.entries, e)
	default: // full: the newest replaces the oldest
		h.entries[h.head] = e
		h.head = (h.head + 1) % len(h.entries)
	}
	if !h.closed {
		h.pending = append(h.pending, e)
		// Non-blocking, and under the lock so close cannot race it.
		select {
		case h.kick <- struct{}{}:
		default:
		}
	}
	h.mu.Unlock()
}

// snapshot returns the entries, oldest first.
func (h *history) snapshot() []HistoryEntry {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]HistoryEntry, 0, len(h.entries))
	out = append(out, h.entries[h.head:]...)
	return append(out, h.entries[:h.head]...)
}

func (h *history) writer() {
	defer close(h.done)
	for range h.kick {
		h.flush()
	}
	h.flush()
}

func (h *history) flush() {
	h.mu.Lock()
	batch := h.pending
	h.pending = nil
	h.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	err := h.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketHistory)
		for _, e := range batch {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			var k [8]byte
			binary.BigEndian.PutUint64(k[:], seq)
			if err := b.Put(k[:], v); err != nil {
				return err
			}
			h.onDisk++
		}
		c := b.Cursor()
		for h.onDisk > h.limit {
			k, _ := c.First()
			if k == nil {
				break
			}
			if err := c.Delete(); err != nil {
				return err
			}
			h.onDisk--
		}
		return nil
	})
	if err != nil {
		h.mu.Lock()
		if h.werr == nil {
			h.werr = fmt.Errorf("query history: persist: %w", err)
		}
		h.mu.Unlock()
	}
}

// close stops the writer after persisting everything pending.
func (h *history) close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	close(h.kick)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.werr
}
