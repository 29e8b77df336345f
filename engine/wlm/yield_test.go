package wlm

import (
	"context"
	"sync"
	"testing"
	"time"
)

var (
	shortEst = Estimate{ScanBytes: 1000, Rows: 1, Known: true}
	longEst  = Estimate{ScanBytes: 1 << 40, Rows: 1 << 40, Known: true}
)

// yieldReturns runs f and reports whether it returned within d.
func yieldReturns(f func(), d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		f()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(d):
		<-done
		return false
	}
}

// The urgent count follows planning marks and lane queries: a mark ends
// when Admit routes its query (to the lane: the lane slot takes over in
// the same critical section; to a normal queue: at routing, even if the
// query then waits), and lane queries count until Done or a hop out of
// the lane.
func TestUrgentFollowsPlanningAndLane(t *testing.T) {
	m := newTestManager(t, &Config{Queues: []QueueConfig{{Name: "default", Concurrency: 1}}}, 1<<30)
	ctx := context.Background()
	if m.Urgent() != 0 {
		t.Fatalf("urgent %d at start", m.Urgent())
	}
	// A long query: its mark ends at routing.
	pm := m.BeginPlanning()
	if m.Urgent() != 1 {
		t.Fatalf("urgent %d while planning, want 1", m.Urgent())
	}
	long, err := m.Admit(ctx, Request{QueryID: "long", Estimate: longEst, Planning: pm})
	if err != nil {
		t.Fatal(err)
	}
	if m.Urgent() != 0 {
		t.Fatalf("urgent %d after a long query was routed, want 0", m.Urgent())
	}
	pm.End() // idempotent
	if m.Urgent() != 0 {
		t.Fatalf("urgent %d after a second End, want 0", m.Urgent())
	}
	// A second long query waits in the full default queue: its mark
	// still ends at routing.
	pm2 := m.BeginPlanning()
	waitCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := m.Admit(waitCtx, Request{QueryID: "waiter", Estimate: longEst, Planning: pm2})
		errc <- err
	}()
	waitUntil(t, "the waiter to queue", func() bool { return queueState(m, "default").Queued == 1 })
	if m.Urgent() != 0 {
		t.Fatalf("urgent %d with a long query waiting, want 0", m.Urgent())
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("cancelled admission succeeded")
	}
	// A short query: planning then lane, without a gap.
	pm3 := m.BeginPlanning()
	short, err := m.Admit(ctx, Request{QueryID: "short", Estimate: shortEst, Planning: pm3})
	if err != nil {
		t.Fatal(err)
	}
	if q := short.Queue(); q != LaneName {
		t.Fatalf("short query in %q", q)
	}
	if m.Urgent() != 1 {
		t.Fatalf("urgent %d with a lane query running, want 1", m.Urgent())
	}
	pm3.End()
	if m.Urgent() != 1 {
		t.Fatalf("urgent %d after ending an already routed mark, want 1", m.Urgent())
	}
	short.Done()
	short.Done()
	if m.Urgent() != 0 {
		t.Fatalf("urgent %d after the lane query ended, want 0", m.Urgent())
	}
	long.Done()
	// A mark whose query fails before admission (parse error) is ended
	// by End.
	pm4 := m.BeginPlanning()
	pm4.End()
	if m.Urgent() != 0 {
		t.Fatalf("urgent %d after an abandoned mark, want 0", m.Urgent())
	}
}

// With SQA off nothing is urgent: no query is planned into a lane.
func TestPlanningNoopWithoutSQA(t *testing.T) {
	m := newTestManager(t, &Config{SQA: noSQA()}, 1<<30)
	pm := m.BeginPlanning()
	if m.Urgent() != 0 {
		t.Fatalf("urgent %d with SQA off", m.Urgent())
	}
	pm.End()
}

// A yielding slice parks while a query is urgent and resumes as soon as
// none is (not after a fixed sleep); it returns at once when nothing is
// urgent or its context ends.
func TestYielderParksUntilIdle(t *testing.T) {
	m := newTestManager(t, &Config{}, 1<<30)
	y := newYielder(&m.prio, 2, 10*time.Second, 0.9)
	ctx := context.Background()
	if !yieldReturns(func() { y.yield(ctx) }, time.Second) {
		t.Fatal("yield blocked with nothing urgent")
	}
	if st := m.YieldStats(); st.Pauses != 0 {
		t.Fatalf("pauses %d with nothing urgent", st.Pauses)
	}

	tests := []struct {
		name    string
		release func(t *testing.T, m *Manager, pm *Planning, tk *Ticket)
	}{
		{"planning ends", func(t *testing.T, m *Manager, pm *Planning, _ *Ticket) { pm.End() }},
		{"lane query ends", func(t *testing.T, m *Manager, _ *Planning, tk *Ticket) { tk.Done() }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var pm *Planning
			var tk *Ticket
			if tc.name == "planning ends" {
				pm = m.BeginPlanning()
			} else {
				var err error
				tk, err = m.Admit(ctx, Request{QueryID: "short", Estimate: shortEst})
				if err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			released := make(chan time.Time, 1)
			returned := make(chan time.Time, 4)
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					y.yield(ctx)
					returned <- time.Now()
				}()
			}
			time.Sleep(30 * time.Millisecond)
			if len(returned) != 0 {
				t.Fatal("a slice did not park while a query was urgent")
			}
			released <- time.Now()
			tc.release(t, m, pm, tk)
			if !yieldReturns(wg.Wait, 2*time.Second) {
				t.Fatal("slices still parked after the urgent query ended")
			}
			rel := <-released
			for i := 0; i < 4; i++ {
				if at := <-returned; at.Before(rel) {
					t.Fatal("a slice resumed before the urgent query ended")
				}
			}
		})
	}

	// Cancellation ends a pause.
	pm := m.BeginPlanning()
	defer pm.End()
	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	if !yieldReturns(func() { y.yield(cctx) }, 2*time.Second) {
		t.Fatal("a parked slice ignored its cancelled context")
	}
}

// One pause lasts at most maxPause, and a query stops pausing once it has
// been paused for its share of its slices' time: long queries progress
// even when short queries never stop.
func TestYielderBounds(t *testing.T) {
	m := newTestManager(t, &Config{}, 1<<30)
	pm := m.BeginPlanning() // urgent for the whole test
	defer pm.End()
	ctx := context.Background()

	y := newYielder(&m.prio, 1, 5*time.Millisecond, 0.5)
	start := time.Now()
	y.yield(ctx)
	if d := time.Since(start); d < 5*time.Millisecond || d > time.Second {
		t.Fatalf("capped pause lasted %s, want about 5ms", d)
	}
	if st := m.YieldStats(); st.Capped != 1 || st.Pauses != 1 {
		t.Fatalf("stats %+v, want one capped pause", st)
	}

	// Busy-loop with a yield per "batch" for 200ms: the time paused must
	// stay near half of it (plus the one-pause credit), not all of it.
	y = newYielder(&m.prio, 1, 5*time.Millisecond, 0.5)
	begin := time.Now()
	for time.Since(begin) < 200*time.Millisecond {
		y.yield(ctx)
		for spin := time.Now(); time.Since(spin) < 200*time.Microsecond; {
		}
	}
	elapsed := time.Since(begin)
	paused := time.Duration(y.paused.Load())
	if paused > elapsed*6/10+5*time.Millisecond+20*time.Millisecond {
		t.Fatalf("paused %s of %s, over the 50%% share", paused, elapsed)
	}
	if paused < elapsed/4 {
		t.Fatalf("paused only %s of %s: the share cap denied too early", paused, elapsed)
	}
	if st := m.YieldStats(); st.Denied == 0 {
		t.Fatalf("stats %+v: no pause was denied", st)
	}
}
