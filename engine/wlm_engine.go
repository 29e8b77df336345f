package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/engine/wlm"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner"
	"github.com/tarnsql/tarn/planner/plan"
)

// Workload management: every query (and EXPLAIN ANALYZE) is admitted by
// the engine's wlm.Manager before it runs. Its memory limit comes from
// its queue (memory_percent of Config.MemoryLimit divided among the
// queue's slots, times the session's wlm_query_slot_count), its
// parallelism from the queue's priority, and its execution context from
// the ticket, which the WLM monitor cancels when a rule aborts it.

// wlmState is the engine's WLM part.
type wlmState struct {
	wlm      *wlm.Manager
	wlmStore wlm.Store
	wlmMu    sync.Mutex // serializes configuration changes with persisting
	metrics  *prometheus.Registry
	groupsFn atomic.Pointer[func(string) []string]
	superFn  atomic.Pointer[func(string) bool]
}

// errRestart cancels a hopped query's execution so it restarts in its new
// queue (no row had been sent).
var errRestart = errors.New("WLM: query restarts in its new queue")

// openWLM builds the manager: Config.WLM (tarn.yaml) when given, which
// is then persisted, else the configuration persisted by SQL statements,
// else the defaults.
func (e *Engine) openWLM(db *bolt.DB) error {
	e.metrics = prometheus.NewRegistry()
	e.wlmStore = wlm.BoltStore{DB: db}
	cfg := e.cfg.WLM
	if cfg == nil {
		saved, err := e.wlmStore.Load()
		if err != nil {
			return err
		}
		cfg = saved
	}
	m, err := wlm.NewManager(cfg, e.cfg.MemoryLimit, e.metrics)
	if err != nil {
		return err
	}
	if e.cfg.WLM != nil {
		if err := e.wlmStore.Save(m.Config()); err != nil {
			return err
		}
	}
	e.wlm = m
	return nil
}

// WLM returns the workload manager (queues, running queries, rule
// actions).
func (e *Engine) WLM() *wlm.Manager { return e.wlm }

// Metrics is the engine's Prometheus registry (WLM queue lengths, waits,
// rule actions).
func (e *Engine) Metrics() *prometheus.Registry { return e.metrics }

// ReloadWLM replaces the WLM configuration without a restart (the
// server calls it on SIGHUP): running queries keep running, waiting ones
// are re-routed. An invalid configuration is refused with the setting's
// name and the running one is kept. The new configuration is persisted.
func (e *Engine) ReloadWLM(cfg *wlm.Config) error {
	e.wlmMu.Lock()
	defer e.wlmMu.Unlock()
	if err := e.wlm.Reload(cfg); err != nil {
		return wlmError(err)
	}
	return e.wlmStore.Save(e.wlm.Config())
}

// updateWLM applies a SQL change to the running configuration and
// persists it.
func (e *Engine) updateWLM(f func(c *wlm.Config) error) error {
	e.wlmMu.Lock()
	defer e.wlmMu.Unlock()
	c, err := e.wlm.Update(f)
	if err != nil {
		return wlmError(err)
	}
	return e.wlmStore.Save(c)
}

// SetUserGroups installs the hook WLM routing asks for a user's groups
// (the server's CREATE GROUP); the default is no groups.
func (e *Engine) SetUserGroups(f func(user string) []string) { e.groupsFn.Store(&f) }

// SetSuperuser installs the hook deciding who is a superuser (may use
// query_group 'superuser' and change WLM configuration); the default
// is the user root.
func (e *Engine) SetSuperuser(f func(user string) bool) { e.superFn.Store(&f) }

func (e *Engine) userGroups(user string) []string {
	if f := e.groupsFn.Load(); f != nil {
		return (*f)(user)
	}
	return nil
}

// IsSuperuser reports whether user is a superuser.
func (e *Engine) IsSuperuser(user string) bool {
	if f := e.superFn.Load(); f != nil {
		return (*f)(user)
	}
	return user == "root"
}

// RunningQuery is a query WLM holds, for SHOW PROCESSLIST.
type RunningQuery = wlm.QueryState

// Running lists the queries waiting in or running from WLM queues,
// oldest first (ProcessID is the session's ConnectionID).
func (e *Engine) Running() []RunningQuery { return e.wlm.Queries() }

// SetConnectionID sets the id KILL QUERY takes for this session's
// queries (the server's connection id); system.wlm_query_state shows it
// as process_id.
func (s *Session) SetConnectionID(id int64) { s.connID = id }

// ConnectionID is the session's connection id (0 when embedded).
func (s *Session) ConnectionID() int64 { return s.connID }

// QueryGroup is the session's query_group ("" when none).
func (s *Session) QueryGroup() string { return s.queryGroup }

// SetQueryGroup is SET query_group TO g ("" resets it).
func (s *Session) SetQueryGroup(g string) { s.queryGroup = strings.TrimSpace(g) }

// SlotCount is the session's wlm_query_slot_count.
func (s *Session) SlotCount() int {
	if s.slotCount <= 0 {
		return 1
	}
	return s.slotCount
}

// SetSlotCount is SET wlm_query_slot_count TO n (1..50).
func (s *Session) SetSlotCount(n int) error {
	if n < 1 || n > wlm.MaxConcurrency {
		return newError(CodeWrongValue, "42000", nil, "wlm_query_slot_count must be between 1 and %d, got %d", wlm.MaxConcurrency, n)
	}
	s.slotCount = n
	return nil
}

// CodeWrongValue is ER_WRONG_VALUE_FOR_VAR.
const CodeWrongValue = 1231

// wlmError gives WLM errors a MySQL code: refused or stopped queries are
// ER_QUERY_INTERRUPTED (70100) or ER_QUERY_TIMEOUT; bad configuration is
// ER_WRONG_ARGUMENTS. The WLM error stays wrapped (errors.As works).
func wlmError(err error) error {
	if err == nil {
		return nil
	}
	var ee *Error
	if errors.As(err, &ee) {
		return err
	}
	var ce *wlm.ConfigError
	var qt *wlm.QueueTimeoutError
	var et *wlm.ExecTimeoutError
	var ae *wlm.AdmitError
	switch {
	case errors.As(err, &ce):
		return newError(1210, "HY000", err, "%s", err.Error())
	case errors.As(err, &qt), errors.As(err, &et):
		return newError(3024, "HY000", err, "%s", err.Error())
	case errors.As(err, &ae):
		return newError(1227, "42000", err, "%s", err.Error())
	case wlm.IsWLMError(err):
		return newError(CodeInterrupted, "70100", err, "%s", err.Error())
	}
	return err
}

// planAndAdmit plans a query and admits it. Until WLM has routed it the
// query holds a planning mark, so that queries running in the normal
// queues yield the CPU to it like to a query in the SQA lane: planning
// and estimating are part of a short query's latency, and on a machine
// the long queries saturate they would otherwise wait in Go's run queue
// behind the long queries' slices.
func (s *Session) planAndAdmit(ctx context.Context, r *Result, sql string) (*planner.Planned, error) {
	pm := s.e.wlm.BeginPlanning()
	defer pm.End()
	p, err := s.plan(ctx, sql)
	if err != nil {
		return nil, err
	}
	if err := s.admitMarked(ctx, r, p.Root, pm); err != nil {
		return nil, err
	}
	return p, nil
}

// admit asks WLM for the query's slots (blocking FIFO in its queue) and
// keeps the ticket on the result.
func (s *Session) admit(ctx context.Context, r *Result, root plan.Node) error {
	return s.admitMarked(ctx, r, root, nil)
}

func (s *Session) admitMarked(ctx context.Context, r *Result, root plan.Node, pm *wlm.Planning) error {
	m := s.e.wlm
	bytesAbove, rowsAbove := m.RefineAbove()
	est := wlm.EstimatePlan(ctx, root, bytesAbove, rowsAbove)
	req := wlm.Request{
		QueryID: r.id, ProcessID: s.connID, User: s.user, UserGroups: s.e.userGroups(s.user),
		Superuser: s.e.IsSuperuser(s.user), QueryGroup: s.queryGroup, Slots: s.slotCount, Estimate: est,
		Live: r.live, OnRequeue: r.onRequeue, Planning: pm,
	}
	t, err := m.Admit(ctx, req)
	if err != nil {
		return wlmError(err)
	}
	r.ticket = t
	r.root = root
	return nil
}

// startExec (re)starts the query's execution under its ticket.
func (r *Result) startExec(restart bool) error {
	c := r.s.e.cfg
	limit := r.ticket.MemoryLimit()
	if restart {
		limit = r.ticket.RestartMemoryLimit()
	}
	if c.QueryMemoryLimit > 0 {
		limit = c.QueryMemoryLimit
	}
	qc := exec.NewQueryCtx(r.ticket.Slices(c.Slices), c.BatchSize, exec.NewBudget(limit), c.Allocator)
	if q := r.ticket.Queue(); q != wlm.LaneName && q != wlm.SuperuserQueue {
		// Yield to queries being planned or running in the SQA lane
		// (see wlm.Manager.Yielder).
		qc.Throttle = r.s.e.wlm.Yielder(qc.Slices)
	}
	ctx, cancel := context.WithCancelCause(r.ticket.Context())
	st, err := exec.Run(ctx, qc, r.root)
	if err != nil {
		cancel(nil)
		return err
	}
	r.wmu.Lock()
	r.stream, r.runCtx, r.runCancel = st, ctx, cancel
	r.restartPending = false
	r.wmu.Unlock()
	r.qc.Store(qc)
	return nil
}

// live reads the counters WLM's monitor checks.
func (r *Result) live() wlm.Live {
	l := wlm.Live{ReturnRows: r.rows.Load(), JoinRows: -1}
	if qc := r.qc.Load(); qc != nil {
		l.JoinRows = qc.Stats.JoinRows.Load()
		l.ScanBytes = qc.Stats.BytesScanned.Load()
		l.ScanRows = qc.Stats.RowsScanned.Load()
		l.MemoryBytes = qc.Budget.Peak()
	}
	return l
}

// onRequeue runs when a hop left the query waiting in its new queue:
// before any row reached the client the query restarts there (its work
// is dropped and it runs again with the new queue's memory); after that
// it continues, paused by back-pressure until its slots are granted.
func (r *Result) onRequeue() {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if !r.sent && r.runCancel != nil {
		r.restartPending = true
		r.runCancel(errRestart)
	}
}

// nextStream returns the next batch of a running query, renamed to the
// client-visible column names when rename is set.
func (r *Result) nextStream(ctx context.Context, rename bool) (arrow.RecordBatch, error) {
	for {
		if r.ticket != nil {
			r.wmu.Lock()
			pending := r.restartPending
			r.wmu.Unlock()
			if pending {
				if err := r.restart(ctx); err != nil {
					return nil, err
				}
				continue
			}
			if err := r.ticket.WaitRunning(ctx); err != nil {
				return nil, wlmError(err)
			}
		}
		rec, err := r.stream.Next(ctx)
		if r.ticket != nil {
			r.wmu.Lock()
			pending := r.restartPending
			if !pending && rec != nil {
				r.sent = true
			}
			r.wmu.Unlock()
			if pending {
				if rec != nil {
					rec.Release()
				}
				continue
			}
		}
		if err == nil && rec != nil && !rename {
			return rec, nil
		}
		if err == nil && rec != nil {
			// Rename to the client-visible column names.
			out := array.NewRecordBatch(r.schema, rec.Columns(), rec.NumRows())
			rec.Release()
			return out, nil
		}
		if err == nil && r.ticket != nil && r.runCtx.Err() == nil {
			// One last rule check on the final counters, so queries
			// shorter than the monitor's tick are judged too.
			r.ticket.Check()
			if cause := context.Cause(r.ticket.Context()); cause != nil && wlm.IsWLMError(cause) {
				return nil, wlmError(cause)
			}
			return nil, nil
		}
		if err == nil && r.runCtx.Err() != nil {
			// The query's own context ended: the stream is incomplete.
			err = context.Cause(r.runCtx)
		}
		if r.ticket != nil {
			if cause := context.Cause(r.ticket.Context()); cause != nil && wlm.IsWLMError(cause) {
				err = cause
			}
		}
		return nil, wlmError(err)
	}
}

// restart drops the current execution, waits for the new queue's slots
// and runs the query again.
func (r *Result) restart(ctx context.Context) error {
	r.stream.Close()
	if err := r.ticket.WaitRunning(ctx); err != nil {
		return wlmError(err)
	}
	if err := r.startExec(true); err != nil {
		return err
	}
	r.restarts.Add(1)
	return nil
}

// endWLM releases the query's slots.
func (r *Result) endWLM() {
	if r.ticket != nil {
		r.ticket.Done()
	}
}

// wlmSummary is the history's queue, queue wait and execution time.
func (r *Result) wlmSummary(elapsed time.Duration) (queue string, waitMs, execMs int64) {
	if r.ticket == nil {
		return "", 0, elapsed.Milliseconds()
	}
	q, w, x := r.ticket.Summary()
	return q, w.Milliseconds(), x.Milliseconds()
}

// wlmStats fills the WLM fields of QueryStats.
func (r *Result) wlmStats(st *QueryStats) {
	if r.ticket == nil {
		return
	}
	st.Queue = r.ticket.Queue()
	st.WLMState = wlm.StateRunning
	if r.ticket.Waiting() {
		st.WLMState = wlm.StateQueued
	}
}

// System tables.
func init() {
	systemTables["wlm_queues"] = &systemTable{
		comment: "WLM queues (Redshift STV_WLM_SERVICE_CLASS_CONFIG): the user queues in routing order, then the superuser queue",
		columns: []catalog.Column{
			{Name: "name", Type: "VARCHAR"},
			{Name: "concurrency", Type: "BIGINT", Comment: "slots"},
			{Name: "memory_percent", Type: "DOUBLE", Comment: "share of the engine memory budget"},
			{Name: "user_groups", Type: "VARCHAR"},
			{Name: "query_groups", Type: "VARCHAR"},
			{Name: "timeout_ms", Type: "BIGINT", Comment: "queue_timeout (0 = none)"},
			{Name: "exec_timeout_ms", Type: "BIGINT", Comment: "exec_timeout (0 = none)"},
			{Name: "priority", Type: "VARCHAR"},
			{Name: "memory_per_slot_bytes", Type: "BIGINT"},
			{Name: "running", Type: "BIGINT"},
			{Name: "queued", Type: "BIGINT"},
		},
		rows: func(e *Engine) [][]any {
			var out [][]any
			for _, q := range e.wlm.Queues() {
				out = append(out, []any{q.Name, int64(q.Concurrency), q.MemoryPercent, strings.Join(q.UserGroups, ","),
					strings.Join(q.QueryGroups, ","), q.QueueTimeout.Milliseconds(), q.ExecTimeout.Milliseconds(), q.Priority,
					q.MemoryPerSlot, int64(q.Running), int64(q.Queued)})
			}
			return out
		},
	}
	systemTables["wlm_query_state"] = &systemTable{
		comment: "queries waiting in or running from WLM queues (Redshift STV_WLM_QUERY_STATE)",
		columns: []catalog.Column{
			{Name: "query_id", Type: "VARCHAR"},
			{Name: "process_id", Type: "BIGINT", Comment: "connection id (KILL QUERY)"},
			{Name: "user_name", Type: "VARCHAR"},
			{Name: "queue", Type: "VARCHAR"},
			{Name: "state", Type: "VARCHAR", Comment: "queued or running"},
			{Name: "queue_time_ms", Type: "BIGINT"},
			{Name: "exec_time_ms", Type: "BIGINT"},
			{Name: "slots", Type: "BIGINT"},
			{Name: "memory_limit_bytes", Type: "BIGINT"},
		},
		rows: func(e *Engine) [][]any {
			var out [][]any
			for _, q := range e.wlm.Queries() {
				out = append(out, []any{q.QueryID, q.ProcessID, q.User, q.Queue, q.State, q.QueueTime.Milliseconds(),
					q.ExecTime.Milliseconds(), int64(q.Slots), q.MemoryLimit})
			}
			return out
		},
	}
	systemTables["wlm_rule_actions"] = &systemTable{
		comment: "actions of WLM query monitoring rules (Redshift STL_WLM_RULE_ACTION), most recent 10,000",
		columns: []catalog.Column{
			{Name: "query_id", Type: "VARCHAR"},
			{Name: "rule", Type: "VARCHAR"},
			{Name: "action", Type: "VARCHAR", Comment: "log, hop or abort"},
			{Name: "queue", Type: "VARCHAR", Comment: "the queue the query was in"},
			{Name: "target_queue", Type: "VARCHAR", Comment: "for hops, the new queue"},
			{Name: "detail", Type: "VARCHAR"},
			{Name: "at", Type: "TIMESTAMP", Comment: "UTC"},
		},
		rows: func(e *Engine) [][]any {
			var out [][]any
			for _, a := range e.wlm.RuleActions() {
				out = append(out, []any{a.QueryID, a.Rule, a.Action, a.Queue, nullIfEmpty(a.Target), a.Detail, a.At.UTC().UnixMicro()})
			}
			return out
		},
	}
}
