package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/engine/wlm"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// QueryStats are a statement's live counters.
type QueryStats struct {
	QueryID      string
	State        string // RUNNING, FINISHED, FAILED, CANCELLED
	Rows         int64  // rows returned to the client so far
	BytesScanned int64
	FilesScanned int64
	RowsScanned  int64
	// PartitionsTotal and PartitionsScanned count partitions of the
	// partitioned tables scanned, before and after pruning.
	PartitionsTotal   int64
	PartitionsScanned int64
	SplitsDone        int64
	SplitsTotal       int64
	PeakMemory        int64
	// RowGroupsTotal and RowGroupsScanned count Parquet row groups of the
	// files scanned, before and after pruning.
	RowGroupsTotal   int64
	RowGroupsScanned int64
	Elapsed          time.Duration
	// Queue and WLMState (queued|running) place a query in WLM (empty
	// for statements WLM does not admit).
	Queue    string
	WLMState string
}

// Result is a statement's result: a stream of record batches. Statements
// without a result set (DDL, USE) have no columns and no batches. Close
// must always be called; it ends the statement and records it in
// system.query_history.
type Result struct {
	s       *Session
	id      string
	sql     string
	start   time.Time
	columns []string
	schema  *arrow.Schema

	// Query results; runCtx is the context the query executes under.
	stream *exec.Stream
	runCtx context.Context
	qc     atomic.Pointer[exec.QueryCtx]

	// WLM: the ticket, the plan (for restarts after a hop), and the
	// restart handshake with the WLM monitor (guarded by wmu).
	ticket         *wlm.Ticket
	root           plan.Node
	wmu            sync.Mutex
	runCancel      context.CancelCauseFunc
	sent           bool
	restartPending bool
	restarts       atomic.Int64

	// Static results (SHOW, DESCRIBE, EXPLAIN): rows in the expr.Literal
	// representation, built into one batch on the first Next.
	static     [][]any
	staticSent bool
	mem        memory.Allocator

	rows    atomic.Int64
	endNano atomic.Int64

	mu     sync.Mutex
	err    error
	ended  bool
	closed bool
}

// ID is the statement's query id (as in system.query_history).
func (r *Result) ID() string { return r.id }

// Schema is the result schema, with the client-visible column names.
func (r *Result) Schema() *arrow.Schema { return r.schema }

// Columns are the result's column names.
func (r *Result) Columns() []string { return r.columns }

// Next returns the next batch, or (nil, nil) at the end. The caller must
// Release each batch. After an error the statement has failed; Close it.
func (r *Result) Next(ctx context.Context) (arrow.RecordBatch, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, errors.New("result is closed")
	}
	if r.ended {
		err := r.err
		r.mu.Unlock()
		return nil, err
	}
	r.mu.Unlock()
	var rec arrow.RecordBatch
	var err error
	switch {
	case r.stream != nil:
		rec, err = r.nextStream(ctx, true)
	case len(r.static) > 0 && !r.staticSent:
		r.staticSent = true
		rec, err = buildRecord(r.mem, r.schema, r.static)
	}
	if err != nil || rec == nil {
		r.finish(err)
		return nil, err
	}
	r.rows.Add(rec.NumRows())
	return rec, nil
}

func (r *Result) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended {
		return
	}
	r.ended = true
	r.err = err
	r.endNano.Store(time.Now().UnixNano())
	r.endWLM()
}

// Err returns the error that ended the statement, if any.
func (r *Result) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Stats returns the statement's live counters; safe to call from another
// goroutine while Next runs.
func (r *Result) Stats() QueryStats {
	st := QueryStats{QueryID: r.id, Rows: r.rows.Load(), State: "RUNNING"}
	end := r.endNano.Load()
	if end == 0 {
		st.Elapsed = time.Since(r.start)
	} else {
		st.Elapsed = time.Duration(end - r.start.UnixNano())
	}
	r.wlmStats(&st)
	if qc := r.qc.Load(); qc != nil {
		s := qc.Stats
		st.BytesScanned = s.BytesScanned.Load()
		st.FilesScanned = s.FilesScanned.Load()
		st.PartitionsTotal = s.PartitionsTotal.Load()
		st.PartitionsScanned = s.PartitionsScanned.Load()
		st.RowsScanned = s.RowsScanned.Load()
		st.SplitsDone = s.SplitsDone.Load()
		st.SplitsTotal = s.SplitsTotal.Load()
		st.RowGroupsTotal = s.RowGroupsTotal.Load()
		st.RowGroupsScanned = s.RowGroupsScanned.Load()
		st.PeakMemory = qc.Budget.Peak()
	}
	r.mu.Lock()
	if r.ended {
		st.State = stateOf(r.err)
	}
	r.mu.Unlock()
	return st
}

func stateOf(err error) string {
	switch {
	case err == nil:
		return StateFinished
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return StateCancelled
	}
	return StateFailed
}

// Close ends the statement (stopping it if still running), releases its
// resources and records it in the query history. It returns the error
// that ended the statement, if any.
func (r *Result) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return r.err
	}
	r.closed = true
	r.mu.Unlock()
	if r.stream != nil {
		serr := r.stream.Close()
		r.mu.Lock()
		if r.err == nil && !r.ended && serr != nil {
			r.err = serr
		}
		r.mu.Unlock()
	}
	r.finish(nil)
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	r.s.e.record(r, err)
	return err
}

// buildRecord builds one record batch from rows of Go values.
func buildRecord(mem memory.Allocator, schema *arrow.Schema, rows [][]any) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	vals := make([]any, len(rows))
	for j := range cols {
		for i, row := range rows {
			vals[i] = row[j]
		}
		a, err := vec.FromValues(mem, schema.Field(j).Type, vals)
		if err != nil {
			for _, c := range cols[:j] {
				c.Release()
			}
			return nil, err
		}
		cols[j] = a
	}
	rec := array.NewRecordBatch(schema, cols, int64(len(rows)))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}
