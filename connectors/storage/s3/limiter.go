package s3

import (
	"context"
	"math"
	"sync"
	"time"
)

// Limiter is an adaptive client-side request rate limit. It is
// unlimited until the service throttles; throttling signals multiply
// the rate by beta (at most once per decreaseEvery, so a burst of
// concurrent 503s counts once), down to a floor, and hold it there while
// they keep coming. Once no throttling has been seen for a holdoff
// (500ms) the rate doubles every RecoverEvery, computed from the time
// since the last signal, so it recovers even when few requests are sent; once it
// exceeds the ceiling (MaxRate, or twice the rate observed when
// throttling began) the limit is lifted entirely. A limit that only
// ever decreases (Trino #24282) cannot happen: recovery is a function of
// elapsed time, not of successes.
type Limiter struct {
	mu            sync.Mutex
	now           func() time.Time
	minRate       float64
	maxRate       float64 // 0: unlimited once recovered
	recoverEvery  time.Duration
	beta          float64
	decreaseEvery time.Duration
	holdoff       time.Duration // quiet time before recovery starts

	limited   bool
	base      float64   // rate at the last throttling signal
	decreased time.Time // time of the last decrease
	quiet     time.Time // time of the last throttling signal
	ceiling   float64   // rate above which the limit is lifted
	next      time.Time // earliest time of the next request (GCRA)

	// observed request rate: counts in fixed one-second windows.
	winStart  time.Time
	winCount  int
	prevCount int

	throttles int64
}

// NewLimiter returns a limiter with the given floor, cap (0: none) and
// recovery doubling time.
func NewLimiter(minRate, maxRate float64, recoverEvery time.Duration) *Limiter {
	if minRate <= 0 {
		minRate = defaultMinRate
	}
	if recoverEvery <= 0 {
		recoverEvery = defaultRecoverEvery
	}
	return &Limiter{
		now: time.Now, minRate: minRate, maxRate: maxRate, recoverEvery: recoverEvery,
		beta: 0.7, decreaseEvery: 200 * time.Millisecond, holdoff: 500 * time.Millisecond,
	}
}

// rateLocked returns the current rate (Inf when unlimited), lifting the
// limit once it has recovered past the ceiling.
func (l *Limiter) rateLocked(now time.Time) float64 {
	if !l.limited {
		if l.maxRate > 0 {
			return l.maxRate
		}
		return math.Inf(1)
	}
	el := now.Sub(l.quiet) - l.holdoff
	if el <= 0 {
		return l.base
	}
	r := l.base * math.Exp2(float64(el)/float64(l.recoverEvery))
	if r >= l.ceiling {
		l.limited = false
		if l.maxRate > 0 {
			return l.maxRate
		}
		return math.Inf(1)
	}
	return r
}

// Rate is the current permitted request rate per second (+Inf: no limit).
func (l *Limiter) Rate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rateLocked(l.now())
}

// Throttles is the number of throttling signals seen.
func (l *Limiter) Throttles() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.throttles
}

// observedLocked is the request rate of the last full window (or of the
// current one when it is busier).
func (l *Limiter) observedLocked(now time.Time) float64 {
	l.rollLocked(now)
	el := now.Sub(l.winStart).Seconds()
	cur := 0.0
	if el > 0.1 {
		cur = float64(l.winCount) / el
	}
	return math.Max(float64(l.prevCount), cur)
}

func (l *Limiter) rollLocked(now time.Time) {
	if l.winStart.IsZero() {
		l.winStart = now
		return
	}
	if d := now.Sub(l.winStart); d >= time.Second {
		if d >= 2*time.Second {
			l.prevCount = 0
		} else {
			l.prevCount = l.winCount
		}
		l.winCount = 0
		l.winStart = now
	}
}

// reserve books the next request slot and returns how long to wait.
func (l *Limiter) reserve() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.rollLocked(now)
	l.winCount++
	r := l.rateLocked(now)
	if math.IsInf(r, 1) {
		return 0
	}
	t := l.next
	if t.Before(now) {
		t = now
	}
	l.next = t.Add(time.Duration(float64(time.Second) / r))
	return t.Sub(now)
}

// Wait blocks until the next request may be sent.
func (l *Limiter) Wait(ctx context.Context) error {
	d := l.reserve()
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Throttled records a throttling response (503 SlowDown, 429, ...).
func (l *Limiter) Throttled() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.throttles++
	now := l.now()
	var cur float64
	if l.limited {
		cur = l.rateLocked(now)
	}
	if l.limited && now.Sub(l.decreased) < l.decreaseEvery {
		// Same burst: no further decrease, but no recovery either.
		l.base, l.quiet = cur, now
		return
	}
	if !l.limited {
		obs := l.observedLocked(now)
		if l.maxRate > 0 && (obs <= 0 || obs > l.maxRate) {
			obs = l.maxRate
		}
		if obs < l.minRate {
			obs = l.minRate
		}
		cur = obs
		l.ceiling = 2 * obs
		if l.maxRate > 0 {
			l.ceiling = l.maxRate
		}
		l.limited = true
	}
	l.base = math.Max(l.minRate, cur*l.beta)
	l.decreased, l.quiet = now, now
}
