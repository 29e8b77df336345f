package wlm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Estimate is the planner's prediction for a query (see EstimatePlan).
type Estimate struct {
	// ScanBytes is the bytes to read after pruning, Rows the result rows,
	// JoinRows the rows the plan's joins produce (-1 when unknown).
	ScanBytes int64
	Rows      int64
	JoinRows  int64
	// Known is false when some scanned table had no size estimate.
	Known bool
}

// Live are a running query's counters, read by the monitor every tick.
type Live struct {
	ScanBytes   int64
	ScanRows    int64
	ReturnRows  int64
	MemoryBytes int64
	JoinRows    int64 // -1: unknown, the estimate is used
}

// Request is a query asking for admission.
type Request struct {
	QueryID    string
	ProcessID  int64 // the client connection id (KILL QUERY target)
	User       string
	UserGroups []string
	Superuser  bool
	// QueryGroup is the session's SET query_group ("" when reset).
	QueryGroup string
	// Slots is the session's wlm_query_slot_count (0 = 1).
	Slots    int
	Estimate Estimate
	// Live reads the query's counters (nil: none).
	Live func() Live
	// OnRequeue is called (from the monitor goroutine, without locks held)
	// when a hop left the query waiting for slots in its new queue; the
	// engine then restarts the query if no row was sent yet.
	OnRequeue func()
	// Planning, when set, is the query's BeginPlanning mark: Admit ends
	// it once the query is routed (in the same critical section that
	// grants a lane slot, so queries yielding to it do not resume in
	// between).
	Planning *Planning
}

// Ticket states.
const (
	StateQueued  = "queued"
	StateRunning = "running"
	StateDone    = "done"
)

// Ticket is an admitted query's hold on its queue.
type Ticket struct {
	m   *Manager
	id  uint64
	req Request

	ctx    context.Context
	cancel context.CancelCauseFunc

	// Guarded by m.mu.
	queue      *queue
	normal     *queue // for SQA: the queue the query would have had
	slots      int
	state      string
	granted    chan struct{} // closed when the current wait is granted
	since      time.Time     // start of the current queued/running interval
	queueWait  time.Duration
	execTime   time.Duration
	memLimit   int64
	fired      map[string]bool
	waitErr    error // set when a hop wait cannot complete
	firstQueue string
	hops       int
	cpu        time.Duration
	lastCPU    time.Duration

	stop chan struct{}
	once sync.Once
}

// queue is a live queue (its definition may change on reload).
type queue struct {
	def     queueDef
	used    int // slots in use
	running int // queries running
	waiters []*Ticket
	removed bool
	lane    bool
	super   bool
	memSlot int64 // memory per slot
}

func (q *queue) free() int { return q.def.concurrency - q.used }

// RuleAction is one row of system.wlm_rule_actions.
type RuleAction struct {
	QueryID string
	Rule    string
	Action  string
	Queue   string // the queue the query was in
	Target  string // for hops: the new queue
	Detail  string
	At      time.Time
}

// QueryState is one row of system.wlm_query_state.
type QueryState struct {
	QueryID     string
	ProcessID   int64
	User        string
	Queue       string
	State       string
	QueueTime   time.Duration
	ExecTime    time.Duration
	Slots       int
	MemoryLimit int64
}

// QueueState is one row of system.wlm_queues.
type QueueState struct {
	Name          string
	Concurrency   int
	MemoryPercent float64
	MemoryPerSlot int64
	UserGroups    []string
	QueryGroups   []string
	QueueTimeout  time.Duration
	ExecTimeout   time.Duration
	Priority      string
	Running       int
	Queued        int
}

// Manager admits queries into queues.
type Manager struct {
	// Tick is the monitor interval (default 100ms); set before use.
	Tick time.Duration

	mu      sync.Mutex
	c       *compiled
	total   int64
	order   []*queue // user queues in routing order
	byName  map[string]*queue
	super   *queue
	lane    *queue
	tickets map[uint64]*Ticket
	nextID  uint64
	actions []RuleAction
	actHead int
	met     *metrics
	cpu     cpuSampler
	prio    prio
}

// maxActions is how many rule actions system.wlm_rule_actions keeps.
const maxActions = 10000

// NewManager builds a manager over totalMemory bytes (the engine's memory
// budget, split among the queues). reg receives the WLM metrics (nil: a
// private registry).
func NewManager(cfg *Config, totalMemory int64, reg prometheus.Registerer) (*Manager, error) {
	c, err := compile(cfg)
	if err != nil {
		return nil, err
	}
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	met, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	m := &Manager{Tick: 100 * time.Millisecond, total: totalMemory, byName: map[string]*queue{},
		tickets: map[uint64]*Ticket{}, met: met}
	m.super = &queue{def: queueDef{name: SuperuserQueue, concurrency: 1, priority: "highest"}, super: true}
	m.lane = &queue{def: queueDef{name: LaneName, priority: "high"}, lane: true}
	m.prio.init()
	m.apply(c)
	return m, nil
}

// Config returns a copy of the running configuration.
func (m *Manager) Config() *Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.c.cfg.Clone()
}

// Reload validates cfg and swaps it in: running queries keep running
// (a queue that shrank admits nobody until it is below its new slots),
// waiting queries are re-routed under the new configuration in their
// arrival order. An invalid cfg is refused and the running one is kept.
func (m *Manager) Reload(cfg *Config) error {
	c, err := compile(cfg)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apply(c)
	return nil
}

// apply installs c (m.mu held or not yet shared).
func (m *Manager) apply(c *compiled) {
	m.c = c
	m.prio.sqaOn.Store(c.sqa.On())
	old := m.order
	m.order = nil
	live := map[string]*queue{}
	for _, d := range c.queues {
		q := m.byName[d.name]
		if q == nil {
			q = &queue{}
		}
		q.def = d
		q.removed = false
		q.memSlot = int64(float64(m.total) * d.memPercent / 100 / float64(d.concurrency))
		m.order = append(m.order, q)
		live[d.name] = q
	}
	def := live[DefaultQueue]
	m.super.memSlot = def.memSlot
	m.lane.def.concurrency = c.sqa.slots()
	m.lane.memSlot = def.memSlot
	var orphans []*Ticket
	for _, q := range old {
		if live[q.def.name] == nil {
			q.removed = true
			orphans = append(orphans, q.waiters...)
			q.waiters = nil
			m.met.setQueue(q)
		}
	}
	m.byName = live
	// Re-route waiters of removed queues (oldest first) and clamp slot
	// counts that no longer fit.
	for _, t := range orphans {
		target := m.routeLocked(&t.req)
		if t.queue.lane {
			t.normal = target
			continue
		}
		t.queue = target
		target.waiters = append(target.waiters, t)
	}
	for _, q := range append(append([]*queue{}, m.order...), m.lane, m.super) {
		for _, t := range q.waiters {
			if t.slots > q.def.concurrency {
				t.slots = q.def.concurrency
			}
		}
		m.dispatchLocked(q)
		m.met.setQueue(q)
	}
}

// routeLocked picks the queue for a request: the superuser queue for
// superusers asking for it, else the first queue whose query groups or
// user groups match, else the default queue.
func (m *Manager) routeLocked(r *Request) *queue {
	if r.Superuser && strings.EqualFold(r.QueryGroup, SuperuserQueue) {
		return m.super
	}
	for _, q := range m.order {
		if !q.def.isDefault && q.def.matches(r.UserGroups, r.QueryGroup) {
			return q
		}
	}
	return m.byName[DefaultQueue]
}

// Route reports the queue a request would go to (without admitting it).
func (m *Manager) Route(r Request) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.routeLocked(&r).def.name
}

// Admit waits until the query may run and returns its ticket, which must
// be ended with Done. It fails when ctx ends (the query leaves its queue
// at once), when the queue timeout passes, when the query asks for more
// slots than its queue has, when a non-superuser asks for the superuser
// queue, or when the estimated scan exceeds max_scan_bytes.
func (m *Manager) Admit(ctx context.Context, req Request) (*Ticket, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if req.Slots <= 0 {
		req.Slots = 1
	}
	m.mu.Lock()
	if strings.EqualFold(req.QueryGroup, SuperuserQueue) && !req.Superuser {
		m.mu.Unlock()
		return nil, &AdmitError{Msg: fmt.Sprintf("user %q is not a superuser: query_group 'superuser' is reserved for superusers", req.User)}
	}
	if lim := m.c.maxScan; lim > 0 && req.Estimate.ScanBytes > lim {
		m.mu.Unlock()
		m.met.actions.WithLabelValues("max_scan_bytes", ActionAbort).Inc()
		return nil, &ScanLimitError{Estimated: req.Estimate.ScanBytes, Limit: lim}
	}
	q := m.routeLocked(&req)
	if req.Slots > q.def.concurrency {
		m.mu.Unlock()
		return nil, &AdmitError{Msg: fmt.Sprintf("wlm_query_slot_count %d exceeds the %d slots of queue %q", req.Slots, q.def.concurrency, q.def.name)}
	}
	m.nextID++
	t := &Ticket{m: m, id: m.nextID, req: req, slots: req.Slots, state: StateQueued, since: time.Now(),
		granted: make(chan struct{}), fired: map[string]bool{}, stop: make(chan struct{}), firstQueue: q.def.name}
	t.ctx, t.cancel = context.WithCancelCause(ctx)
	sqa := m.c.sqa
	if sqa.On() && req.Slots == 1 && !q.super && req.Estimate.Known &&
		req.Estimate.ScanBytes <= sqa.maxBytes() && req.Estimate.Rows <= sqa.maxRows() {
		t.normal = q
		q = m.lane
		t.firstQueue = q.def.name
	}
	t.queue = q
	m.tickets[t.id] = t
	q.waiters = append(q.waiters, t)
	m.dispatchLocked(q)
	req.Planning.End()
	m.met.setQueue(q)
	m.mu.Unlock()

	if err := t.waitGrant(ctx); err != nil {
		t.Done()
		return nil, err
	}
	go t.monitor()
	return t, nil
}

// waitGrant waits for the current queue to grant the ticket.
func (t *Ticket) waitGrant(ctx context.Context) error {
	m := t.m
	m.mu.Lock()
	ch, q := t.granted, t.queue
	timeout := q.def.queueTimeout
	m.mu.Unlock()
	var timer <-chan time.Time
	if timeout > 0 {
		tm := time.NewTimer(timeout)
		defer tm.Stop()
		timer = tm.C
	}
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.ctx.Done():
		return context.Cause(t.ctx)
	case <-timer:
		m.mu.Lock()
		granted := t.state == StateRunning
		m.mu.Unlock()
		if granted {
			return nil
		}
		m.met.timeouts.WithLabelValues(q.def.name).Inc()
		return &QueueTimeoutError{Queue: q.def.name, Timeout: timeout}
	}
}

// dispatchLocked grants waiters FIFO while the head's slots are free.
func (m *Manager) dispatchLocked(q *queue) {
	for len(q.waiters) > 0 {
		t := q.waiters[0]
		if t.slots > q.free() {
			// A query that asks for every slot of a queue that shrank
			// below it still runs once the queue is idle.
			if !(q.used == 0 && t.slots >= q.def.concurrency) {
				return
			}
		}
		q.waiters[0] = nil
		q.waiters = q.waiters[1:]
		m.grantLocked(q, t)
	}
}

func (m *Manager) grantLocked(q *queue, t *Ticket) {
	now := time.Now()
	wait := now.Sub(t.since)
	t.queueWait += wait
	t.since = now
	t.state = StateRunning
	q.used += t.slots
	q.running++
	if q.lane {
		m.prio.add(1)
	}
	mq := q
	if q.lane && t.normal != nil {
		mq = t.normal
	}
	if t.memLimit == 0 {
		t.memLimit = mq.memSlot * int64(t.slots)
	}
	close(t.granted)
	m.met.wait.WithLabelValues(q.def.name).Observe(wait.Seconds())
	m.met.admitted.WithLabelValues(q.def.name).Inc()
}

// releaseLocked gives the ticket's slots back (or takes it off the wait
// list) and admits the next waiters.
func (m *Manager) releaseLocked(t *Ticket) {
	q := t.queue
	now := time.Now()
	switch t.state {
	case StateRunning:
		t.execTime += now.Sub(t.since)
		q.used -= t.slots
		q.running--
		if q.lane {
			m.prio.add(-1)
		}
	case StateQueued:
		t.queueWait += now.Sub(t.since)
		for i, w := range q.waiters {
			if w == t {
				q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
				break
			}
		}
	}
	t.since = now
	m.dispatchLocked(q)
	m.met.setQueue(q)
}

// Done ends the ticket: its slots go to the next waiters and its monitor
// stops. It is safe to call more than once.
func (t *Ticket) Done() {
	t.once.Do(func() {
		m := t.m
		m.mu.Lock()
		if t.state != StateDone {
			m.releaseLocked(t)
			t.state = StateDone
			delete(m.tickets, t.id)
		}
		m.mu.Unlock()
		close(t.stop)
		t.cancel(nil)
	})
}

// Context is the query's execution context: cancelled with a
// *RuleAbortError or *ExecTimeoutError cause when WLM stops the query,
// and when the admission context ends.
func (t *Ticket) Context() context.Context { return t.ctx }

// Queue is the queue the query is in now.
func (t *Ticket) Queue() string {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.queue.def.name
}

// Summary returns the queue the query ended in, its total queue wait and
// execution time.
func (t *Ticket) Summary() (queue string, wait, exec time.Duration) {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	wait, exec = t.queueWait, t.execTime
	switch t.state {
	case StateQueued:
		wait += time.Since(t.since)
	case StateRunning:
		exec += time.Since(t.since)
	}
	return t.queue.def.name, wait, exec
}

// MemoryLimit is the query's memory limit: its queue's memory per slot
// times its slots (a short query gets its normal queue's).
func (t *Ticket) MemoryLimit() int64 {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.memLimit
}

// RestartMemoryLimit recomputes the memory limit for the query's current
// queue; the engine calls it when it restarts a hopped query (a query
// that continues after a hop keeps the budget it started with).
func (t *Ticket) RestartMemoryLimit() int64 {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	q := t.queue
	if q.lane && t.normal != nil {
		q = t.normal
	}
	t.memLimit = q.memSlot * int64(t.slots)
	return t.memLimit
}

// Slots is the number of slots the query holds.
func (t *Ticket) Slots() int {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.slots
}

// Slices scales the engine's parallelism by the queue's priority: low
// gets half, lowest a quarter (at least one slice).
func (t *Ticket) Slices(total int) int {
	t.m.mu.Lock()
	p := t.queue.def.priority
	t.m.mu.Unlock()
	switch p {
	case "low":
		total /= 2
	case "lowest":
		total /= 4
	}
	return max(total, 1)
}

// Waiting reports whether a hop left the query waiting for slots.
func (t *Ticket) Waiting() bool {
	t.m.mu.Lock()
	defer t.m.mu.Unlock()
	return t.state == StateQueued
}

// WaitRunning blocks while a hop has the query waiting for slots in its
// new queue (FIFO with the queue's other waiters, bounded by its queue
// timeout). The engine calls it before handing out each batch.
func (t *Ticket) WaitRunning(ctx context.Context) error {
	t.m.mu.Lock()
	queued, err := t.state == StateQueued, t.waitErr
	t.m.mu.Unlock()
	if err != nil {
		return err
	}
	if !queued {
		return nil
	}
	return t.waitGrant(ctx)
}

// hopLocked moves t to target: it releases its slots, and takes the new
// queue's slots at once when they are free with nobody waiting
// (returning true), else joins the new queue's wait list.
func (m *Manager) hopLocked(t *Ticket, target *queue) (queued bool) {
	old := t.queue
	m.releaseLocked(t)
	t.queue = target
	t.hops++
	if t.slots > target.def.concurrency {
		t.slots = target.def.concurrency
	}
	t.granted = make(chan struct{})
	t.state = StateQueued
	target.waiters = append(target.waiters, t)
	m.dispatchLocked(target)
	m.met.setQueue(old)
	m.met.setQueue(target)
	return t.state == StateQueued
}

// nextQueueLocked is where a hop rule sends a query: the next queue after
// its current one (in routing order) that matches it, the default queue
// as the last resort; nil when there is none.
func (m *Manager) nextQueueLocked(t *Ticket) *queue {
	cur := t.queue
	if cur.lane {
		return t.normal
	}
	if cur.super {
		return nil
	}
	after := false
	for _, q := range m.order {
		if q == cur {
			after = true
			continue
		}
		if after && !q.def.isDefault && q.def.matches(t.req.UserGroups, t.req.QueryGroup) {
			return q
		}
	}
	if def := m.byName[DefaultQueue]; def != cur && !cur.def.isDefault {
		return def
	}
	return nil
}

// Queues lists the user queues in routing order, then the superuser
// queue (the SQA lane is reported by Lane).
func (m *Manager) Queues() []QueueState {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]QueueState, 0, len(m.order)+1)
	for _, q := range append(append([]*queue{}, m.order...), m.super) {
		out = append(out, m.queueStateLocked(q))
	}
	return out
}

// Lane describes the SQA lane (ok is false when SQA is off).
func (m *Manager) Lane() (QueueState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.queueStateLocked(m.lane), m.c.sqa.On()
}

func (m *Manager) queueStateLocked(q *queue) QueueState {
	s := QueueState{Name: q.def.name, Concurrency: q.def.concurrency, MemoryPercent: q.def.memPercent,
		MemoryPerSlot: q.memSlot, UserGroups: q.def.userGroups, QueryGroups: q.def.queryGroups,
		QueueTimeout: q.def.queueTimeout, ExecTimeout: q.def.execTimeout, Priority: q.def.priority,
		Running: q.running, Queued: len(q.waiters)}
	if q.super {
		s.UserGroups = []string{"(superusers)"}
		s.QueryGroups = []string{SuperuserQueue}
	}
	return s
}

// Queries lists the queries WLM holds (queued and running), oldest first.
func (m *Manager) Queries() []QueryState {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	out := make([]QueryState, 0, len(m.tickets))
	ids := make([]uint64, 0, len(m.tickets))
	for id := range m.tickets {
		ids = append(ids, id)
	}
	sortU64(ids)
	for _, id := range ids {
		t := m.tickets[id]
		s := QueryState{QueryID: t.req.QueryID, ProcessID: t.req.ProcessID, User: t.req.User, Queue: t.queue.def.name,
			State: t.state, QueueTime: t.queueWait, ExecTime: t.execTime, Slots: t.slots, MemoryLimit: t.memLimit}
		if t.state == StateQueued {
			s.QueueTime += now.Sub(t.since)
		} else {
			s.ExecTime += now.Sub(t.since)
		}
		out = append(out, s)
	}
	return out
}

// Query returns the state of one query by id.
func (m *Manager) Query(queryID string) (QueryState, bool) {
	for _, q := range m.Queries() {
		if q.QueryID == queryID {
			return q, true
		}
	}
	return QueryState{}, false
}

func sortU64(a []uint64) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// RuleActions lists the recorded rule actions, oldest first.
func (m *Manager) RuleActions() []RuleAction {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.actions) < maxActions {
		return append([]RuleAction(nil), m.actions...)
	}
	out := make([]RuleAction, 0, maxActions)
	out = append(out, m.actions[m.actHead:]...)
	return append(out, m.actions[:m.actHead]...)
}

func (m *Manager) recordLocked(a RuleAction) {
	if len(m.actions) < maxActions {
		m.actions = append(m.actions, a)
	} else {
		m.actions[m.actHead] = a
		m.actHead = (m.actHead + 1) % maxActions
	}
	m.met.actions.WithLabelValues(a.Rule, a.Action).Inc()
}

// Errors.

// AdmitError is a query WLM refuses to admit.
type AdmitError struct{ Msg string }

func (e *AdmitError) Error() string { return "WLM: " + e.Msg }

// ScanLimitError is a query whose (estimated or actual) scan exceeds
// max_scan_bytes.
type ScanLimitError struct {
	Estimated int64 // planner estimate (0 when caught while running)
	Scanned   int64
	Limit     int64
}

func (e *ScanLimitError) Error() string {
	if e.Scanned > 0 {
		return fmt.Sprintf("WLM: query stopped: it scanned %s, over the per-query limit max_scan_bytes = %s", fmtBytes(e.Scanned), fmtBytes(e.Limit))
	}
	return fmt.Sprintf("WLM: query refused: it would scan about %s, over the per-query limit max_scan_bytes = %s (filter on partition or sorted columns to scan less)",
		fmtBytes(e.Estimated), fmtBytes(e.Limit))
}

// QueueTimeoutError is a query that waited longer than its queue's
// queue_timeout.
type QueueTimeoutError struct {
	Queue   string
	Timeout time.Duration
}

func (e *QueueTimeoutError) Error() string {
	return fmt.Sprintf("WLM: query waited longer than queue_timeout %s in queue %q", e.Timeout, e.Queue)
}

// ExecTimeoutError is a query that ran longer than its queue's
// exec_timeout.
type ExecTimeoutError struct {
	Queue   string
	Timeout time.Duration
}

func (e *ExecTimeoutError) Error() string {
	return fmt.Sprintf("WLM: query ran longer than exec_timeout %s of queue %q", e.Timeout, e.Queue)
}

// RuleAbortError is a query stopped by a monitoring rule.
type RuleAbortError struct {
	Rule, Queue, Detail string
}

func (e *RuleAbortError) Error() string {
	return fmt.Sprintf("WLM: query aborted by rule %q on queue %q: %s", e.Rule, e.Queue, e.Detail)
}

// IsWLMError reports whether err is one WLM raised.
func IsWLMError(err error) bool {
	var a *AdmitError
	var s *ScanLimitError
	var qt *QueueTimeoutError
	var et *ExecTimeoutError
	var r *RuleAbortError
	var c *ConfigError
	return errors.As(err, &a) || errors.As(err, &s) || errors.As(err, &qt) || errors.As(err, &et) || errors.As(err, &r) || errors.As(err, &c)
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// RefineAbove are the smallest scan-size and row thresholds WLM
// compares plan estimates with (the SQA lane's limits when SQA is on,
// max_scan_bytes when set): EstimatePlan refines estimates above them.
func (m *Manager) RefineAbove() (bytes, rows int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	bytes, rows = 1<<63-1, 1<<63-1
	if m.c.sqa.On() {
		bytes, rows = m.c.sqa.maxBytes(), m.c.sqa.maxRows()
	}
	if m.c.maxScan > 0 && m.c.maxScan < bytes {
		bytes = m.c.maxScan
	}
	return bytes, rows
}

// LaneRunning is the number of queries running in the SQA lane. Long
// queries yield to them (see engine: QueryCtx.Throttle), which is what
// keeps short queries fast on a machine the long ones saturate.
func (m *Manager) LaneRunning() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lane == nil {
		return 0
	}
	return m.lane.running
}
