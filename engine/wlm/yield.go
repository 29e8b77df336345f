package wlm

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Yielding to short queries. Go has no goroutine priorities: on a machine
// the long queries saturate, a short query's goroutines wait in the run
// queue behind the long queries' slices, and a lane slot alone does not
// make it fast. So while a query is being planned or admitted (every
// query is presumed short until WLM has routed it) or runs in the SQA
// lane, the slices of queries in the other queues (not the superuser
// queue) park at their next batch boundary (exec.QueryCtx.Throttle) until
// no such query is left. Two bounds keep long queries progressing under
// a steady stream of short ones: one pause lasts at most MaxYieldPause,
// and a query spends at most MaxYieldShare of its slices' time paused
// (past that it runs on until its average drops below again).

// MaxYieldPause bounds one pause of a long query's slice.
const MaxYieldPause = 100 * time.Millisecond

// MaxYieldShare bounds the share of a long query's slice time spent
// paused.
const MaxYieldShare = 0.75

// YieldStats counts how queries of the other queues yielded to queries
// being planned or running in the SQA lane.
type YieldStats struct {
	Pauses int64         // pauses taken
	Paused time.Duration // time paused, summed over slices
	Capped int64         // pauses cut short by MaxYieldPause
	Denied int64         // pauses skipped because the query was at MaxYieldShare
}

// prio tracks the queries the others yield to: queries between
// BeginPlanning and routing, and queries running in the SQA lane. It has
// its own mutex (taken after Manager.mu when both are held) so that a
// short query starting to plan does not wait for the manager's lock,
// which every running query's monitor takes.
type prio struct {
	mu    sync.Mutex
	n     atomic.Int64                  // how many (changed under mu)
	idle  atomic.Pointer[chan struct{}] // closed when n drops to 0
	sqaOn atomic.Bool                   // the configuration's SQA switch

	pauses, paused, capped, denied atomic.Int64
}

func (p *prio) init() {
	ch := make(chan struct{})
	close(ch)
	p.idle.Store(&ch)
}

// add changes the count.
func (p *prio) add(d int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addLocked(d)
}

// addLocked changes the count (p.mu held, so that the transitions
// through 0 are ordered).
func (p *prio) addLocked(d int64) {
	if d == 0 {
		return
	}
	old := p.n.Load()
	n := max(old+d, 0)
	switch {
	case old == 0 && n > 0:
		ch := make(chan struct{})
		p.idle.Store(&ch)
	case old > 0 && n == 0:
		close(*p.idle.Load())
	}
	p.n.Store(n)
}

// YieldStats returns the totals since the manager started.
func (m *Manager) YieldStats() YieldStats {
	p := &m.prio
	return YieldStats{Pauses: p.pauses.Load(), Paused: time.Duration(p.paused.Load()),
		Capped: p.capped.Load(), Denied: p.denied.Load()}
}

// Urgent is the number of queries the others yield to now (being
// planned or admitted, or running in the SQA lane).
func (m *Manager) Urgent() int { return int(m.prio.n.Load()) }

// Planning marks a query whose plan is being built and estimated: until
// End (or until Admit has routed the request carrying it) queries in the
// normal queues yield to it, since it may be short. End is idempotent.
type Planning struct {
	p     *prio
	ended bool // under p.mu
}

// BeginPlanning starts a Planning mark. With SQA off it is a no-op (no
// query would run in the lane either).
func (m *Manager) BeginPlanning() *Planning {
	p := &m.prio
	if !p.sqaOn.Load() {
		return &Planning{p: p, ended: true}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.addLocked(1)
	return &Planning{p: p}
}

// End removes the mark.
func (pm *Planning) End() {
	if pm == nil {
		return
	}
	pm.p.mu.Lock()
	defer pm.p.mu.Unlock()
	if !pm.ended {
		pm.ended = true
		pm.p.addLocked(-1)
	}
}

// Yielder returns the throttle of one query of a normal queue running on
// slices slices: called by each slice at batch boundaries, it returns at
// once when nobody is to be yielded to (an atomic load), else parks the
// slice until the planning marks and the lane are gone, MaxYieldPause has
// passed, or ctx ends. A query that has spent MaxYieldShare of its slice
// time paused (plus a credit of one pause per slice) stops pausing.
func (m *Manager) Yielder(slices int) func(ctx context.Context) {
	return newYielder(&m.prio, slices, MaxYieldPause, MaxYieldShare).yield
}

type yielder struct {
	p        *prio
	start    time.Time
	slices   int64
	maxPause time.Duration
	share    float64
	paused   atomic.Int64 // ns, summed over slices
}

func newYielder(p *prio, slices int, maxPause time.Duration, share float64) *yielder {
	return &yielder{p: p, start: time.Now(), slices: int64(max(slices, 1)), maxPause: maxPause, share: share}
}

func (y *yielder) yield(ctx context.Context) {
	p := y.p
	if p.n.Load() == 0 {
		// Nobody to yield to yet, but a short query's goroutine may be
		// runnable and not yet have said so: Go has no priorities, and a
		// goroutine woken (by the network, a timer) waits in the run
		// queue while these slices run their 10 ms time slices. Giving
		// up the processor at every batch boundary lets it in within a
		// batch's time; with nothing else runnable it costs ~100 ns.
		runtime.Gosched()
		return
	}
	ch := *p.idle.Load()
	if p.n.Load() == 0 {
		return
	}
	now := time.Now()
	allowed := (y.share*float64(now.Sub(y.start)) + float64(y.maxPause)) * float64(y.slices)
	if float64(y.paused.Load()) >= allowed {
		p.denied.Add(1)
		return
	}
	t := time.NewTimer(y.maxPause)
	select {
	case <-ch:
	case <-ctx.Done():
	case <-t.C:
		p.capped.Add(1)
	}
	t.Stop()
	d := int64(time.Since(now))
	y.paused.Add(d)
	p.pauses.Add(1)
	p.paused.Add(d)
}
