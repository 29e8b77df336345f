package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tarnsql/tarn/engine/wlm"
)

// Engine-level acceptance tests for workload management: real queries
// through Session.Query / Result.Next, observed through Engine.Running,
// the WLM system tables, the Prometheus gauges and the query history.

const (
	wlmQuickSQL = "SELECT count(*) FROM tpch.nation"
	wlmJoinSQL  = "SELECT count(*) FROM tpch.lineitem l JOIN tpch.orders o ON l.l_orderkey = o.o_orderkey"
	wlmAggSQL   = "SELECT count(*) FROM (SELECT l_orderkey, sum(l_quantity) AS q FROM tpch.lineitem GROUP BY l_orderkey) t"
)

// wlmAcceptQueries are the submissions' queries with their answers on
// the TPC-H SF 0.001 fixture.
var wlmAcceptQueries = []struct{ sql, want string }{
	{wlmQuickSQL, "25"},
	{wlmJoinSQL, "6005"},
	{wlmAggSQL, "1500"},
}

func sqaOff() wlm.SQAConfig {
	off := false
	return wlm.SQAConfig{Enabled: &off}
}

// drain reads a result to its end and returns its rows.
func drain(ctx context.Context, r *Result) ([]string, error) {
	var out []string
	for {
		rec, err := r.Next(ctx)
		if err != nil {
			return out, err
		}
		if rec == nil {
			return out, nil
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			vals := make([]string, rec.NumCols())
			for j := range vals {
				vals[j] = sltValue(rec.Column(j), i)
			}
			out = append(out, strings.Join(vals, " "))
		}
		rec.Release()
	}
}

// wlmStateOf is the WLM state of the query the connection runs ("" when
// WLM does not hold it).
func wlmStateOf(e *Engine, pid int64) string {
	for _, q := range e.Running() {
		if q.ProcessID == pid {
			return q.State
		}
	}
	return ""
}

// waitFor polls cond every millisecond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// wlmGauges sums the WLM gauges (queue length, running queries, slots in
// use) over all queues.
func wlmGauges(t *testing.T, e *Engine) map[string]float64 {
	t.Helper()
	mfs, err := e.Metrics().Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		switch n := mf.GetName(); n {
		case "tarn_wlm_queue_length", "tarn_wlm_running_queries", "tarn_wlm_slots_in_use":
			for _, m := range mf.GetMetric() {
				out[n] += m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// assertWLMIdle checks that nothing is queued or running anywhere and
// that no Arrow memory is held.
func assertWLMIdle(t *testing.T, e *Engine, root *Session, mem interface{ CurrentAlloc() int }) {
	t.Helper()
	if qs := e.Running(); len(qs) != 0 {
		t.Fatalf("WLM still holds %d queries: %+v", len(qs), qs)
	}
	for _, row := range collect(t, root, "SELECT name, running, queued FROM system.wlm_queues") {
		if !strings.HasSuffix(row, " 0 0") {
			t.Fatalf("system.wlm_queues not idle: %q", row)
		}
	}
	for n, v := range wlmGauges(t, e) {
		if v != 0 {
			t.Fatalf("gauge %s = %v after all queries ended", n, v)
		}
	}
	if n := mem.CurrentAlloc(); n != 0 {
		t.Fatalf("%d bytes of Arrow memory still allocated", n)
	}
}

// 200 concurrent submissions into a 3-slot and a 2-slot queue, with
// cancellations while queued and while running: no queue ever runs more
// than its slots, cancelled waiters leave at once, and everything is
// released at the end.
func TestWLMAcceptConcurrentSubmissions(t *testing.T) {
	slots := map[string]int{"qa": 3, "qb": 2}
	cfg := &wlm.Config{SQA: sqaOff(), Queues: []wlm.QueueConfig{
		{Name: "qa", Concurrency: 3, QueryGroups: []string{"qa"}},
		{Name: "qb", Concurrency: 2, QueryGroups: []string{"qb"}},
	}}
	e, mem := testEngine(t, Config{WLM: cfg, Slices: 2})
	e.WLM().Tick = 2 * time.Millisecond
	root := e.NewSession("root")

	var (
		mu         sync.Mutex
		violations []string
		maxSeen    = map[string]int{}
		sawQueued  = map[string]bool{}
	)
	violate := func(format string, args ...any) {
		mu.Lock()
		if len(violations) < 10 {
			violations = append(violations, fmt.Sprintf(format, args...))
		}
		mu.Unlock()
	}

	// Watcher 1: Engine.Running() every millisecond.
	stop := make(chan struct{})
	var watchers sync.WaitGroup
	watchers.Add(2)
	go func() {
		defer watchers.Done()
		tk := time.NewTicker(time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			running, used := map[string]int{}, map[string]int{}
			for _, q := range e.Running() {
				switch q.State {
				case wlm.StateRunning:
					running[q.Queue]++
					used[q.Queue] += q.Slots
				case wlm.StateQueued:
					mu.Lock()
					sawQueued[q.Queue] = true
					mu.Unlock()
				}
			}
			mu.Lock()
			for name, n := range running {
				maxSeen[name] = max(maxSeen[name], n)
			}
			mu.Unlock()
			for name, n := range used {
				if lim, ok := slots[name]; ok && n > lim {
					violate("Running(): queue %s has %d slots in use, limit %d", name, n, lim)
				}
			}
		}
	}()
	// Watcher 2: system.wlm_query_state through SQL (in the default queue).
	var sqlSamples atomic.Int64
	go func() {
		defer watchers.Done()
		s := e.NewSession("root")
		for {
			select {
			case <-stop:
				return
			default:
			}
			rows, _, err := queryRows(context.Background(), s, "SELECT queue, state, slots FROM system.wlm_query_state", false)
			if err != nil {
				violate("wlm_query_state: %v", err)
				return
			}
			sqlSamples.Add(1)
			used := map[string]int{}
			for _, row := range rows {
				var q, st string
				var n int
				if _, err := fmt.Sscan(row, &q, &st, &n); err != nil {
					violate("wlm_query_state row %q: %v", row, err)
					return
				}
				if st == wlm.StateRunning {
					used[q] += n
				}
			}
			for name, n := range used {
				if lim, ok := slots[name]; ok && n > lim {
					violate("system.wlm_query_state: queue %s has %d slots in use, limit %d", name, n, lim)
				}
			}
			time.Sleep(time.Millisecond)
		}
	}()

	// Client-side: the interval between Query returning and the hold
	// ending lies inside the slot's tenure, so these counters can never
	// exceed the slots either.
	inflight := map[string]*atomic.Int64{"qa": {}, "qb": {}}
	maxInflight := map[string]*atomic.Int64{"qa": {}, "qb": {}}
	hold := func(q string, d time.Duration) {
		n := inflight[q].Add(1)
		for {
			m := maxInflight[q].Load()
			if n <= m || maxInflight[q].CompareAndSwap(m, n) {
				break
			}
		}
		if n > int64(slots[q]) {
			violate("client: %d queries of queue %s admitted at once, limit %d", n, q, slots[q])
		}
		time.Sleep(d)
		inflight[q].Add(-1)
	}

	const n = 200
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 6))
	type plan struct {
		queue string
		query int
		mode  int // 0 run, 1 cancel while queued, 2 cancel while running
		hold  time.Duration
	}
	plans := make([]plan, n)
	for i := range plans {
		p := plan{queue: "qa", query: rng.IntN(len(wlmAcceptQueries)), hold: time.Duration(rng.IntN(3000)) * time.Microsecond}
		if i%2 == 1 {
			p.queue = "qb"
		}
		switch r := rng.IntN(10); {
		case r < 2:
			p.mode = 1
		case r < 4:
			p.mode = 2
		}
		plans[i] = p
	}

	var finished, cancelledQueued, cancelledRunning, admittedBeforeCancel atomic.Int64
	// Cancellation must be prompt, but this runs 200 queries on 2 cores,
	// often under -race next to other test binaries: the bound only has to
	// tell "stopped at the next batch" from "ran to completion or hung".
	const cancelGrace = 2 * time.Second
	var wg sync.WaitGroup
	for i, p := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid := int64(i + 1)
			s := e.NewSession("root")
			s.SetConnectionID(pid)
			s.SetQueryGroup(p.queue)
			q := wlmAcceptQueries[p.query]
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			type started struct {
				r   *Result
				err error
				at  time.Time
			}
			ch := make(chan started, 1)
			go func() {
				r, err := s.Query(ctx, q.sql)
				ch <- started{r, err, time.Now()}
			}()
			var st started
			var cancelAt time.Time
			if p.mode == 1 {
			poll:
				for {
					select {
					case st = <-ch:
						break poll
					default:
					}
					if wlmStateOf(e, pid) == wlm.StateQueued {
						cancelAt = time.Now()
						cancel()
						select {
						case st = <-ch:
						case <-time.After(cancelGrace):
							violate("query %d: Query still blocked %s after its context was cancelled in the queue", pid, cancelGrace)
							st = <-ch
						}
						break poll
					}
					time.Sleep(500 * time.Microsecond)
				}
			} else {
				st = <-ch
			}
			if !cancelAt.IsZero() {
				if d := st.at.Sub(cancelAt); d > cancelGrace {
					violate("query %d: Query returned %s after the cancel of a queued query", pid, d)
				}
				if st.err != nil {
					if !errors.Is(st.err, context.Canceled) {
						violate("query %d cancelled while queued: %v, want context.Canceled", pid, st.err)
					}
					if state := wlmStateOf(e, pid); state != "" {
						violate("query %d cancelled while queued is still %s", pid, state)
					}
					cancelledQueued.Add(1)
					return
				}
				// Granted between the sample and the cancel: it must now
				// end promptly with the cancellation or its full answer.
				admittedBeforeCancel.Add(1)
				hold(p.queue, 0)
				rows, err := drain(ctx, st.r)
				st.r.Close()
				if err != nil && !errors.Is(err, context.Canceled) {
					violate("query %d (cancelled as it was granted): %v", pid, err)
				}
				if err == nil && (len(rows) != 1 || rows[0] != q.want) {
					violate("query %d: %q, want %s", pid, rows, q.want)
				}
				return
			}
			if st.err != nil {
				violate("query %d (%s): %v", pid, q.sql, st.err)
				return
			}
			r := st.r
			if stats := r.Stats(); stats.Queue != p.queue || stats.WLMState != wlm.StateRunning {
				violate("query %d: stats queue %q state %q, want %s running", pid, stats.Queue, stats.WLMState, p.queue)
			}
			hold(p.queue, p.hold)
			if p.mode == 2 {
				cancel()
				t0 := time.Now()
				rows, err := drain(ctx, r)
				if d := time.Since(t0); d > cancelGrace {
					violate("query %d: Next took %s to stop after the cancel of a running query", pid, d)
				}
				r.Close()
				switch {
				case errors.Is(err, context.Canceled):
					cancelledRunning.Add(1)
				case err != nil:
					violate("query %d cancelled while running: %v, want context.Canceled", pid, err)
				case len(rows) != 1 || rows[0] != q.want:
					violate("query %d cancelled while running returned %q, want an error or %s", pid, rows, q.want)
				}
				if state := wlmStateOf(e, pid); state != "" {
					violate("query %d cancelled while running is still %s after Close", pid, state)
				}
				return
			}
			rows, err := drain(ctx, r)
			if cerr := r.Close(); err == nil {
				err = cerr
			}
			if err != nil || len(rows) != 1 || rows[0] != q.want {
				violate("query %d (%s): %q %v, want %s", pid, q.sql, rows, err, q.want)
				return
			}
			finished.Add(1)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		close(stop)
		t.Fatalf("submissions did not finish in 60s; WLM holds %+v", e.Running())
	}
	close(stop)
	watchers.Wait()

	for _, v := range violations {
		t.Error(v)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("finished %d, cancelled queued %d, cancelled running %d, granted at cancel %d; max running %v; max client-side %d/%d; %d SQL samples",
		finished.Load(), cancelledQueued.Load(), cancelledRunning.Load(), admittedBeforeCancel.Load(), maxSeen,
		maxInflight["qa"].Load(), maxInflight["qb"].Load(), sqlSamples.Load())
	// The load must have saturated both queues, or the test proves nothing.
	for name, lim := range slots {
		if maxSeen[name] != lim {
			t.Errorf("queue %s: at most %d queries seen running, want the queue saturated at %d", name, maxSeen[name], lim)
		}
		if !sawQueued[name] {
			t.Errorf("queue %s: no query was ever seen waiting", name)
		}
	}
	if finished.Load() == 0 || cancelledQueued.Load() == 0 || cancelledRunning.Load() == 0 {
		t.Errorf("the mix did not exercise every path: finished %d, cancelled queued %d, cancelled running %d",
			finished.Load(), cancelledQueued.Load(), cancelledRunning.Load())
	}
	if sqlSamples.Load() == 0 {
		t.Error("the system.wlm_query_state watcher took no sample")
	}
	assertWLMIdle(t, e, root, mem)
	// The history knows every finished query's queue.
	got := collect(t, root, "SELECT queue, count(*) FROM system.query_history WHERE state = 'FINISHED' AND queue IN ('qa', 'qb') GROUP BY queue ORDER BY queue")
	var total int64
	for _, row := range got {
		var q string
		var c int64
		if _, err := fmt.Sscan(row, &q, &c); err != nil {
			t.Fatalf("history row %q: %v", row, err)
		}
		total += c
	}
	if total < finished.Load() {
		t.Errorf("history has %d finished queries in qa/qb (%q), want at least %d", total, got, finished.Load())
	}
}

// A queue's memory_percent is divided among its slots; a query's limit is
// the per-slot memory times its wlm_query_slot_count.
func TestWLMAcceptMemoryPerSlot(t *testing.T) {
	cfg := &wlm.Config{SQA: sqaOff(), Queues: []wlm.QueueConfig{
		{Name: "mq", Concurrency: 4, MemoryPercent: 40, QueryGroups: []string{"mq"}},
	}}
	var total int64 = 1 << 30
	e, mem := testEngine(t, Config{WLM: cfg, MemoryLimit: total})
	e.WLM().Tick = 2 * time.Millisecond
	root := e.NewSession("root")
	perSlot := int64(float64(total) * 40 / 100 / 4)
	if perSlot < 100<<20 || perSlot > 105<<20 {
		t.Fatalf("per-slot memory %d is not ~100 MiB", perSlot)
	}
	defPerSlot := int64(float64(total) * 60 / 100 / 5)
	got := collect(t, root, "SELECT name, memory_per_slot_bytes FROM system.wlm_queues")
	want := []string{fmt.Sprintf("mq %d", perSlot), fmt.Sprintf("default %d", defPerSlot), fmt.Sprintf("superuser %d", defPerSlot)}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("wlm_queues memory: got %q want %q", got, want)
	}

	s := e.NewSession("root")
	mustExec(t, s, "SET query_group TO 'mq'")
	ctx := context.Background()
	check := func(slotCount int) {
		t.Helper()
		r, err := s.Query(ctx, "SELECT * FROM tpch.lineitem")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		limit := perSlot * int64(slotCount)
		got := collect(t, root, "SELECT queue, state, slots, memory_limit_bytes FROM system.wlm_query_state")
		if w := fmt.Sprintf("mq running %d %d", slotCount, limit); len(got) != 1 || got[0] != w {
			t.Fatalf("slot count %d: wlm_query_state %q, want %q", slotCount, got, w)
		}
		if b := r.qc.Load().Budget.Limit(); b != limit {
			t.Fatalf("slot count %d: query budget %d, want %d", slotCount, b, limit)
		}
		if qs := e.Running(); len(qs) != 1 || qs[0].MemoryLimit != limit || qs[0].Slots != slotCount {
			t.Fatalf("slot count %d: Running() %+v", slotCount, qs)
		}
		rows, err := drain(ctx, r)
		if err != nil || len(rows) != 6005 {
			t.Fatalf("slot count %d: %d rows, %v", slotCount, len(rows), err)
		}
	}
	check(1)
	mustExec(t, s, "SET wlm_query_slot_count TO 2")
	check(2)

	// Two 2-slot queries fill the 4-slot queue: a 1-slot query waits.
	s2 := e.NewSession("root")
	mustExec(t, s2, "SET query_group = 'mq'")
	mustExec(t, s2, "SET wlm_query_slot_count TO 2")
	r1, err := s.Query(ctx, wlmQuickSQL)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := s2.Query(ctx, wlmQuickSQL)
	if err != nil {
		t.Fatal(err)
	}
	s3 := e.NewSession("root")
	s3.SetConnectionID(3)
	s3.SetQueryGroup("mq")
	third := make(chan error, 1)
	go func() {
		_, _, err := queryRows(ctx, s3, wlmQuickSQL, false)
		third <- err
	}()
	if !waitFor(5*time.Second, func() bool { return wlmStateOf(e, 3) == wlm.StateQueued }) {
		t.Fatalf("the 1-slot query is not waiting behind two 2-slot queries: %+v", e.Running())
	}
	r1.Close()
	if err := <-third; err != nil {
		t.Fatalf("the waiting query after a release: %v", err)
	}
	r2.Close()

	// More slots than the queue has is refused, naming both numbers.
	mustExec(t, s, "SET wlm_query_slot_count TO 5")
	if _, err := s.Query(ctx, wlmQuickSQL); err == nil || !strings.Contains(err.Error(), "wlm_query_slot_count 5 exceeds the 4 slots") {
		t.Fatalf("5 slots in a 4-slot queue: %v", err)
	}
	if err := s.Exec(ctx, "SET wlm_query_slot_count TO 0"); err == nil || !strings.Contains(err.Error(), "wlm_query_slot_count") {
		t.Fatalf("slot count 0: %v", err)
	}
	assertWLMIdle(t, e, root, mem)
}

// Reload while queries run: running queries finish, the new slot count
// takes effect, a shrunk queue admits nobody until below its slots, and
// a bad configuration is refused naming the setting while the previous
// one stays in force.
func TestWLMAcceptReload(t *testing.T) {
	queueCfg := func(n int) *wlm.Config {
		return &wlm.Config{SQA: sqaOff(), Queues: []wlm.QueueConfig{{Name: "rq", Concurrency: n, QueryGroups: []string{"rq"}}}}
	}
	e, mem := testEngine(t, Config{WLM: queueCfg(2)})
	e.WLM().Tick = 2 * time.Millisecond
	root := e.NewSession("root")
	ctx := context.Background()
	var nextPID atomic.Int64
	// open admits a query in rq and returns its result, held open (it
	// keeps its slot until drained or closed).
	type opened struct {
		pid int64
		r   *Result
		err error
	}
	open := func(sql string) (int64, chan opened) {
		pid := nextPID.Add(1)
		s := e.NewSession("root")
		s.SetConnectionID(pid)
		s.SetQueryGroup("rq")
		ch := make(chan opened, 1)
		go func() {
			r, err := s.Query(ctx, sql)
			ch <- opened{pid, r, err}
		}()
		return pid, ch
	}
	await := func(ch chan opened) *Result {
		t.Helper()
		select {
		case o := <-ch:
			if o.err != nil {
				t.Fatalf("query %d: %v", o.pid, o.err)
			}
			return o.r
		case <-time.After(10 * time.Second):
			t.Fatalf("query not admitted in 10s: %+v", e.Running())
		}
		return nil
	}
	expectQueued := func(pid int64) {
		t.Helper()
		if !waitFor(5*time.Second, func() bool { return wlmStateOf(e, pid) == wlm.StateQueued }) {
			t.Fatalf("query %d is not waiting: %+v", pid, e.Running())
		}
	}
	runningIn := func(q string) int {
		n := 0
		for _, qs := range e.Running() {
			if qs.Queue == q && qs.State == wlm.StateRunning {
				n++
			}
		}
		return n
	}
	mustDrain := func(r *Result, want string) {
		t.Helper()
		rows, err := drain(ctx, r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err != nil || len(rows) != 1 || rows[0] != want {
			t.Fatalf("%q %v, want %s", rows, err, want)
		}
	}

	_, c1 := open(wlmJoinSQL)
	_, c2 := open(wlmAggSQL)
	long1, long2 := await(c1), await(c2)
	p3, c3 := open(wlmJoinSQL)
	expectQueued(p3)
	if err := e.ReloadWLM(queueCfg(4)); err != nil {
		t.Fatal(err)
	}
	third := await(c3) // granted by the reload
	if n := runningIn("rq"); n != 3 {
		t.Fatalf("%d queries running in rq after the reload, want 3", n)
	}
	// The queries that ran across the reload finish with their answers.
	mustDrain(long1, "6005")
	mustDrain(long2, "1500")
	mustDrain(third, "6005")

	// Four at a time now; the fifth waits.
	var held []*Result
	for range 4 {
		_, c := open(wlmQuickSQL)
		held = append(held, await(c))
	}
	if n := runningIn("rq"); n != 4 {
		t.Fatalf("%d running in rq, want 4", n)
	}
	p5, c5 := open(wlmQuickSQL)
	expectQueued(p5)

	// Shrink to 1 slot with 4 running: they keep running, and the waiter
	// is admitted only when the queue is below its new size.
	if err := e.ReloadWLM(queueCfg(1)); err != nil {
		t.Fatal(err)
	}
	for i, r := range held[:3] {
		if st := wlmStateOf(e, p5); st != wlm.StateQueued {
			t.Fatalf("after %d of 4 closed in a 1-slot queue the waiter is %q", i, st)
		}
		mustDrain(r, "25")
	}
	if st := wlmStateOf(e, p5); st != wlm.StateQueued {
		t.Fatalf("with 1 of 1 slots in use the waiter is %q", st)
	}
	mustDrain(held[3], "25")
	mustDrain(await(c5), "25")

	if err := e.ReloadWLM(queueCfg(4)); err != nil {
		t.Fatal(err)
	}
	before := collect(t, root, "SELECT name, concurrency, memory_percent, query_groups FROM system.wlm_queues")
	nine := &wlm.Config{SQA: sqaOff()}
	for i := range 9 {
		nine.Queues = append(nine.Queues, wlm.QueueConfig{Name: fmt.Sprintf("q%d", i), Concurrency: 1})
	}
	bad := []struct {
		name    string
		cfg     *wlm.Config
		setting string
	}{
		{"negative concurrency", &wlm.Config{Queues: []wlm.QueueConfig{{Name: "rq", Concurrency: -1}}}, "queues[0].concurrency"},
		{"concurrency over 50", &wlm.Config{Queues: []wlm.QueueConfig{{Name: "rq", Concurrency: 51}}}, "queues[0].concurrency"},
		{"nine queues", nine, "queues"},
		{"memory over 100", &wlm.Config{Queues: []wlm.QueueConfig{{Name: "a", MemoryPercent: 60}, {Name: "b", MemoryPercent: 50}}}, "memory_percent"},
		{"bad priority", &wlm.Config{Queues: []wlm.QueueConfig{{Name: "x"}, {Name: "rq", Priority: "urgent"}}}, "queues[1].priority"},
		{"bad rule", &wlm.Config{Rules: []wlm.RuleConfig{{Name: "r", When: "scan_bytes >> 1", Action: "abort"}}}, "rules[0]"},
	}
	for _, tc := range bad {
		err := e.ReloadWLM(tc.cfg)
		var ce *wlm.ConfigError
		if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.setting) {
			t.Fatalf("%s: reload error %v, want a configuration error naming %s", tc.name, err, tc.setting)
		}
		if code, _ := ErrorCode(err); code != 1210 {
			t.Fatalf("%s: error code %d", tc.name, code)
		}
		if got := collect(t, root, "SELECT name, concurrency, memory_percent, query_groups FROM system.wlm_queues"); strings.Join(got, "|") != strings.Join(before, "|") {
			t.Fatalf("%s: wlm_queues changed by a refused reload: %q, was %q", tc.name, got, before)
		}
	}
	// The kept configuration still admits 4 at a time.
	held = held[:0]
	for range 4 {
		_, c := open(wlmQuickSQL)
		held = append(held, await(c))
	}
	if n := runningIn("rq"); n != 4 {
		t.Fatalf("%d running in rq after refused reloads, want 4", n)
	}
	for _, r := range held {
		mustDrain(r, "25")
	}
	assertWLMIdle(t, e, root, mem)
}

// Routing by query_group and by the user's groups (CREATE GROUP), seen in
// Result.Stats and system.query_history.
func TestWLMAcceptRouting(t *testing.T) {
	e, _ := wlmEngine(t, Config{})
	root := e.NewSession("root")
	mustExec(t, root, "CREATE QUEUE etl WITH (concurrency=2, user_groups='etl_*')")
	mustExec(t, root, "CREATE QUEUE reports WITH (concurrency=2, query_groups='report?,dash*', user_groups='analysts')")
	mustExec(t, root, "CREATE USER alice IDENTIFIED BY 'alice-pw-1'")
	mustExec(t, root, "CREATE USER bob IDENTIFIED BY 'bob-pw-1'")
	mustExec(t, root, "CREATE USER carol IDENTIFIED BY 'carol-pw-1'")
	mustExec(t, root, "CREATE GROUP etl_night WITH USER alice")
	mustExec(t, root, "CREATE GROUP analysts WITH USER carol")
	for _, u := range []string{"alice", "bob", "carol"} {
		mustExec(t, root, "GRANT SELECT ON tpch.* TO "+u)
	}
	sessions := map[string]*Session{}
	for _, u := range []string{"root", "alice", "bob", "carol"} {
		sessions[u] = e.NewSession(u)
	}
	cases := []struct {
		user, set, want string
	}{
		{"alice", "", "etl"},               // user group etl_night matches etl_*
		{"bob", "", "default"},             // no group, no query group
		{"carol", "", "reports"},           // user group analysts
		{"bob", "Reports", "reports"},      // query group, case-insensitive ?
		{"bob", "dashboard", "reports"},    // query group dash*
		{"bob", "reportxx", "default"},     // report? takes one character
		{"alice", "report1", "etl"},        // both match: the first queue in order wins
		{"root", "superuser", "superuser"}, // superuser queue
		{"root", "etl_night", "default"},   // a query group is not a user group
	}
	ctx := context.Background()
	for i, tc := range cases {
		s := sessions[tc.user]
		if tc.set == "" {
			mustExec(t, s, "RESET query_group")
		} else {
			mustExec(t, s, fmt.Sprintf("SET query_group TO '%s'", tc.set))
		}
		sql := fmt.Sprintf("SELECT count(*) FROM tpch.nation WHERE n_nationkey >= %d", i)
		r, err := s.Query(ctx, sql)
		if err != nil {
			t.Fatalf("case %d (%s, %q): %v", i, tc.user, tc.set, err)
		}
		if q := r.Stats().Queue; q != tc.want {
			t.Errorf("case %d (%s, query_group %q): Stats().Queue %q, want %q", i, tc.user, tc.set, q, tc.want)
		}
		rows, err := drain(ctx, r)
		r.Close()
		if err != nil || len(rows) != 1 || rows[0] != fmt.Sprint(25-i) {
			t.Fatalf("case %d: %q %v", i, rows, err)
		}
		got := collect(t, root, fmt.Sprintf("SELECT user_name, queue FROM system.query_history WHERE query_text = '%s'", strings.ReplaceAll(sql, "'", "''")))
		if w := tc.user + " " + tc.want; len(got) != 1 || got[0] != w {
			t.Errorf("case %d: history %q, want %q", i, got, w)
		}
	}
	// Group membership changes route at once.
	mustExec(t, root, "ALTER GROUP etl_night DROP USER alice")
	mustExec(t, sessions["alice"], "RESET query_group")
	r, err := sessions["alice"].Query(ctx, wlmQuickSQL)
	if err != nil {
		t.Fatal(err)
	}
	if q := r.Stats().Queue; q != "default" {
		t.Errorf("alice after leaving etl_night: queue %q, want default", q)
	}
	r.Close()
	// A non-superuser cannot ask for the superuser queue.
	if err := sessions["bob"].Exec(ctx, "SET query_group TO 'superuser'"); err == nil || !strings.Contains(err.Error(), "reserved for superusers") {
		t.Fatalf("bob superuser queue: %v", err)
	}
}
