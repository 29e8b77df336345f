package wlm

import (
	"context"
	"errors"
	"math/rand"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newTestManager(t *testing.T, cfg *Config, total int64) *Manager {
	t.Helper()
	m, err := NewManager(cfg, total, nil)
	if err != nil {
		t.Fatal(err)
	}
	m.Tick = 2 * time.Millisecond
	return m
}

func noSQA() SQAConfig { f := false; return SQAConfig{Enabled: &f} }

func waitUntil(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func queueState(m *Manager, name string) QueueState {
	for _, q := range m.Queues() {
		if q.Name == name {
			return q
		}
	}
	return QueueState{}
}

// A queue never runs more queries (slots) than its concurrency, with 200
// concurrent submissions, random slot counts and random cancellations.
func TestSlotsNeverExceeded(t *testing.T) {
	cfg := &Config{SQA: noSQA(), Queues: []QueueConfig{
		{Name: "etl", Concurrency: 3, QueryGroups: []string{"etl"}},
		{Name: "default", Concurrency: 4},
	}}
	m := newTestManager(t, cfg, 1<<30)
	used := map[string]*atomic.Int64{"etl": {}, "default": {}}
	peak := map[string]*atomic.Int64{"etl": {}, "default": {}}
	limits := map[string]int64{"etl": 3, "default": 4}
	var wg sync.WaitGroup
	var admitted, cancelled atomic.Int64
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(i)))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if rng.Intn(3) == 0 {
				time.AfterFunc(time.Duration(rng.Intn(3000))*time.Microsecond, cancel)
			}
			req := Request{QueryID: "q", User: "u", Slots: 1 + rng.Intn(2)}
			if i%2 == 0 {
				req.QueryGroup = "etl"
			}
			tk, err := m.Admit(ctx, req)
			if err != nil {
				if !errors.Is(err, context.Canceled) {
					t.Errorf("admit: %v", err)
				}
				cancelled.Add(1)
				return
			}
			admitted.Add(1)
			q := tk.Queue()
			n := used[q].Add(int64(tk.Slots()))
			for {
				p := peak[q].Load()
				if n <= p || peak[q].CompareAndSwap(p, n) {
					break
				}
			}
			if n > limits[q] {
				t.Errorf("queue %s: %d slots in use, limit %d", q, n, limits[q])
			}
			time.Sleep(time.Duration(rng.Intn(500)) * time.Microsecond)
			used[q].Add(-int64(tk.Slots()))
			tk.Done()
		}(i)
	}
	wg.Wait()
	if admitted.Load() == 0 || cancelled.Load() == 0 {
		t.Fatalf("admitted %d, cancelled %d: the test should exercise both", admitted.Load(), cancelled.Load())
	}
	for _, q := range m.Queues() {
		if q.Running != 0 || q.Queued != 0 {
			t.Errorf("queue %s left %d running, %d queued", q.Name, q.Running, q.Queued)
		}
	}
	if len(m.Queries()) != 0 {
		t.Errorf("tickets left: %v", m.Queries())
	}
	for q, p := range peak {
		if p.Load() < 2 {
			t.Errorf("queue %s peaked at %d slots: no concurrency was exercised", q, p.Load())
		}
	}
}

func TestFIFOAndCancel(t *testing.T) {
	m := newTestManager(t, &Config{SQA: noSQA(), Queues: []QueueConfig{{Name: "default", Concurrency: 1}}}, 1<<30)
	ctx := context.Background()
	first, err := m.Admit(ctx, Request{QueryID: "first"})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	cctx, cancel := context.WithCancel(ctx)
	for i, id := range []string{"a", "b", "c", "d"} {
		wg.Add(1)
		c := ctx
		if id == "b" {
			c = cctx
		}
		go func() {
			defer wg.Done()
			tk, err := m.Admit(c, Request{QueryID: id})
			if err != nil {
				if id != "b" || !errors.Is(err, context.Canceled) {
					t.Errorf("%s: %v", id, err)
				}
				return
			}
			mu.Lock()
			order = append(order, id)
			mu.Unlock()
			tk.Done()
		}()
		waitUntil(t, "queued", func() bool { return queueState(m, "default").Queued == i+1 })
	}
	// Cancelling a queued query takes it off the queue at once.
	cancel()
	waitUntil(t, "b to leave", func() bool { return queueState(m, "default").Queued == 3 })
	for _, q := range m.Queries() {
		if q.QueryID == "b" {
			t.Fatal("cancelled query still listed")
		}
	}
	first.Done()
	wg.Wait()
	if got := strings.Join(order, ","); got != "a,c,d" {
		t.Fatalf("grant order %s, want a,c,d", got)
	}
}

func TestQueueTimeout(t *testing.T) {
	m := newTestManager(t, &Config{SQA: noSQA(), Queues: []QueueConfig{{Name: "default", Concurrency: 1, QueueTimeout: Duration(20 * time.Millisecond)}}}, 1<<30)
	hold, err := m.Admit(context.Background(), Request{QueryID: "hold"})
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Done()
	_, err = m.Admit(context.Background(), Request{QueryID: "late"})
	var qt *QueueTimeoutError
	if !errors.As(err, &qt) || qt.Queue != "default" {
		t.Fatalf("want a queue timeout on default, got %v", err)
	}
	if q := queueState(m, "default"); q.Queued != 0 {
		t.Fatalf("timed-out query still queued: %+v", q)
	}
}

func TestMemoryLimits(t *testing.T) {
	const total = 1000 << 20
	cfg := &Config{SQA: noSQA(), Queues: []QueueConfig{
		{Name: "etl", Concurrency: 4, MemoryPercent: 40, QueryGroups: []string{"etl"}},
		{Name: "bi", Concurrency: 2, QueryGroups: []string{"bi"}},
		{Name: "default", Concurrency: 3},
	}}
	m := newTestManager(t, cfg, total)
	for _, tc := range []struct {
		group string
		slots int
		want  int64
	}{
		{"etl", 1, total * 40 / 100 / 4},
		{"etl", 3, total * 40 / 100 / 4 * 3},
		{"bi", 1, total * 30 / 100 / 2}, // the unset 60% split between bi and default
		{"", 2, total * 30 / 100 / 3 * 2},
	} {
		tk, err := m.Admit(context.Background(), Request{QueryGroup: tc.group, Slots: tc.slots})
		if err != nil {
			t.Fatal(err)
		}
		if got := tk.MemoryLimit(); got < tc.want-8 || got > tc.want+8 {
			t.Errorf("group %q slots %d: memory limit %d, want %d", tc.group, tc.slots, got, tc.want)
		}
		tk.Done()
	}
	_, err := m.Admit(context.Background(), Request{QueryGroup: "bi", Slots: 3})
	if err == nil || !strings.Contains(err.Error(), "wlm_query_slot_count 3 exceeds the 2 slots of queue \"bi\"") {
		t.Fatalf("slot count over concurrency: %v", err)
	}
}

func TestRouting(t *testing.T) {
	cfg := &Config{SQA: noSQA(), Queues: []QueueConfig{
		{Name: "etl", UserGroups: []string{"etl", "ops*"}, QueryGroups: []string{"load_?"}},
		{Name: "reports", QueryGroups: []string{"report*", "etl"}},
	}}
	m := newTestManager(t, cfg, 1<<30)
	for _, tc := range []struct {
		groups []string
		qg     string
		super  bool
		want   string
	}{
		{nil, "", false, "default"},
		{[]string{"etl"}, "", false, "etl"},
		{[]string{"OPS_night"}, "", false, "etl"},
		{[]string{"dev"}, "load_1", false, "etl"},
		{nil, "load_12", false, "default"},
		{nil, "reporting", false, "reports"},
		{nil, "etl", false, "reports"},            // query group etl is listed by reports only
		{[]string{"etl"}, "report", false, "etl"}, // first matching queue wins
		{nil, "superuser", true, "superuser"},
		{nil, "SUPERUSER", true, "superuser"},
	} {
		if got := m.Route(Request{UserGroups: tc.groups, QueryGroup: tc.qg, Superuser: tc.super}); got != tc.want {
			t.Errorf("groups %v query_group %q: routed to %s, want %s", tc.groups, tc.qg, got, tc.want)
		}
	}
	_, err := m.Admit(context.Background(), Request{User: "bob", QueryGroup: "superuser"})
	if err == nil || !strings.Contains(err.Error(), "not a superuser") {
		t.Fatalf("non-superuser in superuser queue: %v", err)
	}
	qs := m.Queues()
	if len(qs) != 4 || qs[3].Name != "superuser" || qs[3].Concurrency != 1 {
		t.Fatalf("queues: %+v", qs)
	}
}

func TestDefaults(t *testing.T) {
	m := newTestManager(t, nil, 1<<30)
	qs := m.Queues()
	if len(qs) != 2 || qs[0].Name != "default" || qs[0].Concurrency != 5 || qs[1].Name != "superuser" || qs[1].Concurrency != 1 {
		t.Fatalf("default queues: %+v", qs)
	}
	if qs[0].MemoryPercent != 100 {
		t.Fatalf("default queue memory: %v", qs[0].MemoryPercent)
	}
}

type liveBox struct{ v atomic.Pointer[Live] }

func (b *liveBox) set(l Live) { b.v.Store(&l) }
func (b *liveBox) get() Live {
	if p := b.v.Load(); p != nil {
		return *p
	}
	return Live{JoinRows: -1}
}

func TestRuleAbort(t *testing.T) {
	cfg := &Config{SQA: noSQA(), Rules: []RuleConfig{
		{Name: "log_rows", When: "scan_row_count > 10", Action: "log"},
		{Name: "big_scan", Queue: "default", When: "scan_bytes > 10MB and query_execution_time > 10ms", Action: "abort"},
	}}
	m := newTestManager(t, cfg, 1<<30)
	var live liveBox
	live.set(Live{ScanBytes: 20e6, ScanRows: 100, JoinRows: -1})
	tk, err := m.Admit(context.Background(), Request{QueryID: "q1", Live: live.get})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Done()
	select {
	case <-tk.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("rule did not abort the query")
	}
	var ra *RuleAbortError
	if err := context.Cause(tk.Context()); !errors.As(err, &ra) || ra.Rule != "big_scan" {
		t.Fatalf("cause: %v", err)
	}
	if !strings.Contains(ra.Error(), `rule "big_scan"`) || !strings.Contains(ra.Error(), "scan_bytes > 10MB") {
		t.Fatalf("message: %s", ra.Error())
	}
	acts := m.RuleActions()
	if len(acts) != 2 || acts[0].Rule != "log_rows" || acts[0].Action != "log" || acts[1].Rule != "big_scan" || acts[1].Action != "abort" {
		t.Fatalf("actions: %+v", acts)
	}
}

func TestRuleHop(t *testing.T) {
	cfg := &Config{SQA: noSQA(), Queues: []QueueConfig{
		{Name: "fast", Concurrency: 2, UserGroups: []string{"bi"}},
		{Name: "slow", Concurrency: 1, UserGroups: []string{"bi"}},
	}, Rules: []RuleConfig{{Name: "demote", Queue: "fast", Predicates: []Predicate{{Metric: "return_row_count", Op: ">", Value: "1000"}}, Action: "hop"}}}
	m := newTestManager(t, cfg, 1<<30)
	// Fill the slow queue so the hop has to wait.
	blocker, err := m.Admit(context.Background(), Request{QueryID: "blocker", UserGroups: []string{"bi"}})
	if err != nil {
		t.Fatal(err)
	}
	if blocker.Queue() != "fast" {
		t.Fatalf("blocker in %s", blocker.Queue())
	}
	var live liveBox
	live.set(Live{ReturnRows: 5000, JoinRows: -1})
	var requeued atomic.Int64
	tk, err := m.Admit(context.Background(), Request{QueryID: "big", UserGroups: []string{"bi"}, Live: live.get,
		OnRequeue: func() { requeued.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Done()
	waitUntil(t, "the hop", func() bool { return tk.Queue() == "slow" })
	if tk.Waiting() {
		// slow had a free slot: reassigned at once.
		t.Fatal("hop waited although slow had a free slot")
	}
	acts := m.RuleActions()
	if len(acts) != 1 || acts[0].Action != "hop" || acts[0].Queue != "fast" || acts[0].Target != "slow" || acts[0].QueryID != "big" {
		t.Fatalf("actions: %+v", acts)
	}
	if requeued.Load() != 0 {
		t.Fatal("OnRequeue called for a reassigned query")
	}
	blocker.Done()
}

func TestHopWaitsAndRequeues(t *testing.T) {
	cfg := &Config{SQA: noSQA(), Queues: []QueueConfig{
		{Name: "fast", Concurrency: 1, QueryGroups: []string{"x"}},
		{Name: "default", Concurrency: 1},
	}, Rules: []RuleConfig{{Name: "demote", Queue: "fast", When: "query_execution_time > 5ms", Action: "hop"}}}
	m := newTestManager(t, cfg, 1<<30)
	hold, err := m.Admit(context.Background(), Request{QueryID: "hold"})
	if err != nil {
		t.Fatal(err)
	}
	requeued := make(chan struct{}, 1)
	tk, err := m.Admit(context.Background(), Request{QueryID: "q", QueryGroup: "x", OnRequeue: func() { requeued <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Done()
	select {
	case <-requeued:
	case <-time.After(5 * time.Second):
		t.Fatal("no requeue")
	}
	if !tk.Waiting() || tk.Queue() != "default" {
		t.Fatalf("after hop: waiting=%v queue=%s", tk.Waiting(), tk.Queue())
	}
	if q := queueState(m, "fast"); q.Running != 0 {
		t.Fatalf("fast still holds the hopped query: %+v", q)
	}
	done := make(chan error, 1)
	go func() { done <- tk.WaitRunning(context.Background()) }()
	select {
	case <-done:
		t.Fatal("WaitRunning returned while default is full")
	case <-time.After(20 * time.Millisecond):
	}
	hold.Done()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tk.Waiting() {
		t.Fatal("still waiting after grant")
	}
}

func TestHopWithoutTargetCancels(t *testing.T) {
	cfg := &Config{SQA: noSQA(), Rules: []RuleConfig{{Name: "h", When: "query_execution_time > 1ms", Action: "hop"}}}
	m := newTestManager(t, cfg, 1<<30)
	tk, err := m.Admit(context.Background(), Request{QueryID: "q"})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Done()
	<-tk.Context().Done()
	var ra *RuleAbortError
	if err := context.Cause(tk.Context()); !errors.As(err, &ra) || !strings.Contains(err.Error(), "no other queue matches") {
		t.Fatalf("cause: %v", err)
	}
}

func TestExecTimeoutAndScanLimit(t *testing.T) {
	m := newTestManager(t, &Config{SQA: noSQA(), MaxScanBytes: 1 << 20, Queues: []QueueConfig{{Name: "default", ExecTimeout: Duration(10 * time.Millisecond)}}}, 1<<30)
	_, err := m.Admit(context.Background(), Request{Estimate: Estimate{ScanBytes: 2 << 20, Known: true}})
	var sl *ScanLimitError
	if !errors.As(err, &sl) || !strings.Contains(err.Error(), "max_scan_bytes") {
		t.Fatalf("pre-execution scan limit: %v", err)
	}
	tk, err := m.Admit(context.Background(), Request{})
	if err != nil {
		t.Fatal(err)
	}
	defer tk.Done()
	<-tk.Context().Done()
	var et *ExecTimeoutError
	if !errors.As(context.Cause(tk.Context()), &et) {
		t.Fatalf("cause: %v", context.Cause(tk.Context()))
	}
}

func TestSQA(t *testing.T) {
	on := true
	cfg := &Config{SQA: SQAConfig{Enabled: &on, Concurrency: 1, MaxRuntime: Duration(20 * time.Millisecond), MaxScanBytes: 1 << 20},
		Queues: []QueueConfig{{Name: "default", Concurrency: 1}}}
	m := newTestManager(t, cfg, 1<<30)
	long, err := m.Admit(context.Background(), Request{QueryID: "long", Estimate: Estimate{ScanBytes: 1 << 30, Rows: 10, Known: true}})
	if err != nil {
		t.Fatal(err)
	}
	if long.Queue() != "default" {
		t.Fatalf("long query in %s", long.Queue())
	}
	// The default queue is full; a short query still runs at once.
	requeued := make(chan struct{}, 1)
	short, err := m.Admit(context.Background(), Request{QueryID: "short", Estimate: Estimate{ScanBytes: 1000, Rows: 1, Known: true},
		OnRequeue: func() { requeued <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	if short.Queue() != LaneName {
		t.Fatalf("short query in %s", short.Queue())
	}
	if want := queueState(m, "default").MemoryPerSlot; short.MemoryLimit() != want {
		t.Fatalf("short query memory %d, want its normal queue's %d", short.MemoryLimit(), want)
	}
	// It outlives max_runtime: it hops to default and waits there.
	select {
	case <-requeued:
	case <-time.After(5 * time.Second):
		t.Fatal("short query did not hop")
	}
	if short.Queue() != "default" || !short.Waiting() {
		t.Fatalf("after hop: %s waiting=%v", short.Queue(), short.Waiting())
	}
	long.Done()
	if err := short.WaitRunning(context.Background()); err != nil {
		t.Fatal(err)
	}
	short.Done()
	acts := m.RuleActions()
	if len(acts) != 1 || acts[0].Rule != "short_query_acceleration" || acts[0].Target != "default" {
		t.Fatalf("actions: %+v", acts)
	}
	// Unknown estimates never take the lane.
	tk, err := m.Admit(context.Background(), Request{Estimate: Estimate{ScanBytes: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if tk.Queue() != "default" {
		t.Fatalf("unknown estimate went to %s", tk.Queue())
	}
	tk.Done()
}

func TestReload(t *testing.T) {
	m := newTestManager(t, &Config{SQA: noSQA(), Queues: []QueueConfig{{Name: "default", Concurrency: 1}}}, 1<<30)
	running, err := m.Admit(context.Background(), Request{QueryID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *Ticket, 1)
	go func() {
		tk, err := m.Admit(context.Background(), Request{QueryID: "w"})
		if err != nil {
			t.Error(err)
		}
		got <- tk
	}()
	waitUntil(t, "w queued", func() bool { return queueState(m, "default").Queued == 1 })
	// A bad configuration is refused, naming the setting; nothing changes.
	err = m.Reload(&Config{Queues: []QueueConfig{{Name: "default", Concurrency: 0}, {Name: "x", MemoryPercent: 120}}})
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Setting != "queues[1].memory_percent" {
		t.Fatalf("bad reload: %v", err)
	}
	if q := queueState(m, "default"); q.Concurrency != 1 || q.Queued != 1 {
		t.Fatalf("bad reload changed the queue: %+v", q)
	}
	// Growing the queue admits the waiter; the running query is untouched.
	if err := m.Reload(&Config{SQA: noSQA(), Queues: []QueueConfig{{Name: "default", Concurrency: 3}}}); err != nil {
		t.Fatal(err)
	}
	w := <-got
	if q := queueState(m, "default"); q.Running != 2 || q.Concurrency != 3 {
		t.Fatalf("after reload: %+v", q)
	}
	if running.Context().Err() != nil {
		t.Fatal("reload cancelled a running query")
	}
	// Shrinking below the running count keeps both running.
	if err := m.Reload(&Config{SQA: noSQA(), Queues: []QueueConfig{{Name: "default", Concurrency: 1}}}); err != nil {
		t.Fatal(err)
	}
	if q := queueState(m, "default"); q.Running != 2 {
		t.Fatalf("after shrink: %+v", q)
	}
	running.Done()
	w.Done()
	if q := queueState(m, "default"); q.Running != 0 {
		t.Fatalf("at the end: %+v", q)
	}
}

func TestReloadRemovesQueueWithWaiters(t *testing.T) {
	m := newTestManager(t, &Config{SQA: noSQA(), Queues: []QueueConfig{{Name: "etl", Concurrency: 1, QueryGroups: []string{"etl"}}}}, 1<<30)
	hold, _ := m.Admit(context.Background(), Request{QueryGroup: "etl"})
	got := make(chan string, 1)
	go func() {
		tk, err := m.Admit(context.Background(), Request{QueryGroup: "etl"})
		if err != nil {
			got <- err.Error()
			return
		}
		got <- tk.Queue()
		tk.Done()
	}()
	waitUntil(t, "queued", func() bool { return queueState(m, "etl").Queued == 1 })
	if err := m.Reload(&Config{SQA: noSQA()}); err != nil {
		t.Fatal(err)
	}
	if q := <-got; q != "default" {
		t.Fatalf("waiter of a dropped queue went to %s", q)
	}
	hold.Done()
}
