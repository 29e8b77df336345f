package minio

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Faults are what a FaultProxy injects, as fractions of requests.
type Faults struct {
	// SlowDown answers 503 SlowDown without forwarding.
	SlowDown float64
	// Delay holds a request for DelayFor before forwarding it.
	Delay    float64
	DelayFor time.Duration
	// Drop forwards a GET but cuts the connection half way through the
	// response body.
	Drop float64
	// ThrottleAll answers every request with 503 SlowDown (a throttling
	// burst).
	ThrottleAll bool
}

// FaultProxy is an HTTP reverse proxy on 127.0.0.1 in front of an S3
// endpoint that injects throttling, delays and connections dropped
// mid-body. It keeps the client's Host header, so SigV4 signatures made
// for the proxy's address verify at the server.
type FaultProxy struct {
	URL    string
	target *url.URL
	srv    *httptest.Server
	tr     *http.Transport

	mu     sync.Mutex
	faults Faults
	rng    *rand.Rand
	log    []Event

	Requests  atomic.Int64
	InFlight  atomic.Int64 // requests being served now
	MaxFlight atomic.Int64 // the most requests served at once
	SlowDowns atomic.Int64
	Delays    atomic.Int64
	Drops     atomic.Int64
}

// Event is one request seen by the proxy.
type Event struct {
	At        time.Time
	Throttled bool
}

// NewFaultProxy starts a proxy to target (stopped in t.Cleanup).
func NewFaultProxy(t testing.TB, target string, seed uint64) *FaultProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := &FaultProxy{target: u, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		tr: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}}
	p.srv = httptest.NewServer(p)
	p.URL = p.srv.URL
	t.Cleanup(func() {
		p.srv.CloseClientConnections()
		p.srv.Close()
		p.tr.CloseIdleConnections()
	})
	return p
}

// SetFaults changes the injected faults.
func (p *FaultProxy) SetFaults(f Faults) {
	p.mu.Lock()
	p.faults = f
	p.mu.Unlock()
}

// Events returns the requests seen so far.
func (p *FaultProxy) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.log...)
}

type decision struct {
	slowDown, drop bool
	delay          time.Duration
}

func (p *FaultProxy) decide(r *http.Request) decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults
	var d decision
	d.slowDown = f.ThrottleAll || p.rng.Float64() < f.SlowDown
	if !d.slowDown && p.rng.Float64() < f.Delay {
		d.delay = f.DelayFor
	}
	d.drop = !d.slowDown && r.Method == http.MethodGet && p.rng.Float64() < f.Drop
	p.log = append(p.log, Event{At: time.Now(), Throttled: d.slowDown})
	return d
}

const slowDownBody = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fault-proxy</RequestId></Error>`

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.Requests.Add(1)
	n := p.InFlight.Add(1)
	defer p.InFlight.Add(-1)
	for {
		m := p.MaxFlight.Load()
		if n <= m || p.MaxFlight.CompareAndSwap(m, n) {
			break
		}
	}
	d := p.decide(r)
	if d.slowDown {
		p.SlowDowns.Add(1)
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		if r.Method != http.MethodHead {
			io.WriteString(w, slowDownBody)
		}
		return
	}
	if d.delay > 0 {
		p.Delays.Add(1)
		select {
		case <-time.After(d.delay):
		case <-r.Context().Done():
			return
		}
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme = p.target.Scheme
	out.URL.Host = p.target.Host
	out.Host = r.Host
	if r.ContentLength == 0 {
		out.Body = nil
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, fmt.Sprintf("fault proxy: %v", err), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if d.drop && resp.StatusCode/100 == 2 && resp.ContentLength > 1 {
		p.Drops.Add(1)
		io.CopyN(w, resp.Body, resp.ContentLength/2)
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		// Abort: the server closes the connection with the body unfinished.
		panic(http.ErrAbortHandler)
	}
	io.Copy(w, resp.Body)
}
