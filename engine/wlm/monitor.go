package wlm

import (
	"fmt"
	"strings"
	"time"
)

// cpuSampler hands out process CPU time; every running query's monitor
// takes the CPU used since its own last sample divided by the number of
// running queries (Go cannot measure a goroutine's CPU, so cpu_time is
// the query's share of the process's CPU while it ran).
type cpuSampler struct{}

func (cpuSampler) now() time.Duration { return processCPU() }

// ruleHop is the rule name recorded when a short query outlives the SQA
// lane's max_runtime and hops to its normal queue.
const ruleHop = "short_query_acceleration"

// monitor checks the running query every Tick until it ends.
func (t *Ticket) monitor() {
	m := t.m
	cpu := m.cpu.now() // a system call: not under the manager's lock
	t.m.mu.Lock()
	t.lastCPU = cpu
	t.m.mu.Unlock()
	tick := time.NewTicker(m.Tick)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-t.ctx.Done():
			return
		case <-tick.C:
		}
		if t.check() {
			return
		}
	}
}

// Check runs one monitoring pass now (tests and the engine's end-of-query
// check use it). It reports whether the query was stopped.
func (t *Ticket) Check() bool { return t.check() }

func (t *Ticket) check() (stopped bool) {
	var live Live
	if t.req.Live != nil {
		live = t.req.Live()
	}
	cpuNow := t.m.cpu.now()
	m := t.m
	m.mu.Lock()
	if t.state == StateDone || t.ctx.Err() != nil {
		m.mu.Unlock()
		return true
	}
	running := 0
	for _, q := range append([]*queue{m.lane, m.super}, m.order...) {
		running += q.running
	}
	if d := cpuNow - t.lastCPU; d > 0 && running > 0 && t.state == StateRunning {
		t.cpu += d / time.Duration(running)
	}
	t.lastCPU = cpuNow
	if t.state != StateRunning {
		m.mu.Unlock()
		return false
	}
	now := time.Now()
	exec := t.execTime + now.Sub(t.since)
	q := t.queue
	var abort error
	requeued := false
	switch {
	case q.def.execTimeout > 0 && exec > q.def.execTimeout:
		abort = &ExecTimeoutError{Queue: q.def.name, Timeout: q.def.execTimeout}
		m.recordLocked(RuleAction{QueryID: t.req.QueryID, Rule: "exec_timeout", Action: ActionAbort, Queue: q.def.name,
			Detail: fmt.Sprintf("query_execution_time %s > %s", exec.Round(time.Millisecond), q.def.execTimeout), At: now})
	case m.c.maxScan > 0 && live.ScanBytes > m.c.maxScan:
		abort = &ScanLimitError{Scanned: live.ScanBytes, Limit: m.c.maxScan}
		m.recordLocked(RuleAction{QueryID: t.req.QueryID, Rule: "max_scan_bytes", Action: ActionAbort, Queue: q.def.name,
			Detail: fmt.Sprintf("scan_bytes %d > %d", live.ScanBytes, m.c.maxScan), At: now})
	case q.lane && t.normal != nil && exec > m.c.sqa.maxRuntime():
		target := t.normal
		m.recordLocked(RuleAction{QueryID: t.req.QueryID, Rule: ruleHop, Action: ActionHop, Queue: q.def.name, Target: target.def.name,
			Detail: fmt.Sprintf("query_execution_time %s > max_runtime %s", exec.Round(time.Millisecond), m.c.sqa.maxRuntime()), At: now})
		requeued = m.hopLocked(t, target)
	default:
		vals := map[string]int64{
			MetricExecTime:   int64(exec),
			MetricQueueTime:  int64(t.queueWait),
			MetricScanBytes:  live.ScanBytes,
			MetricScanRows:   live.ScanRows,
			MetricReturnRows: live.ReturnRows,
			MetricMemory:     live.MemoryBytes,
			MetricCPUTime:    int64(t.cpu),
			MetricJoinRows:   live.JoinRows,
		}
		if live.JoinRows < 0 {
			vals[MetricJoinRows] = t.req.Estimate.JoinRows
		}
	rules:
		for _, r := range m.c.rules {
			if r.queue != "" && r.queue != q.def.name {
				continue
			}
			key := r.name + "@" + q.def.name
			if t.fired[key] {
				continue
			}
			parts := make([]string, 0, len(r.preds))
			ok := true
			for _, p := range r.preds {
				v := vals[p.metric]
				if !p.holds(v) {
					ok = false
					break
				}
				parts = append(parts, fmt.Sprintf("%s (actual %s)", p.text, formatMetric(p.metric, v)))
			}
			if !ok {
				continue
			}
			t.fired[key] = true
			detail := strings.Join(parts, " and ")
			a := RuleAction{QueryID: t.req.QueryID, Rule: r.name, Action: r.action, Queue: q.def.name, Detail: detail, At: now}
			switch r.action {
			case ActionLog:
				m.recordLocked(a)
			case ActionAbort:
				m.recordLocked(a)
				abort = &RuleAbortError{Rule: r.name, Queue: q.def.name, Detail: detail}
				break rules
			case ActionHop:
				target := m.nextQueueLocked(t)
				if target == nil {
					a.Action = ActionAbort
					a.Detail = detail + "; no other queue matches the query, so the hop cancels it"
					m.recordLocked(a)
					abort = &RuleAbortError{Rule: r.name, Queue: q.def.name, Detail: a.Detail}
					break rules
				}
				a.Target = target.def.name
				m.recordLocked(a)
				requeued = m.hopLocked(t, target)
				break rules
			}
		}
	}
	m.mu.Unlock()
	if abort != nil {
		t.cancel(abort)
		return true
	}
	if requeued && t.req.OnRequeue != nil {
		t.req.OnRequeue()
	}
	return false
}

func formatMetric(metric string, v int64) string {
	switch metricKinds[metric] {
	case kindDuration:
		return time.Duration(v).Round(time.Millisecond).String()
	case kindBytes:
		return fmtBytes(v)
	}
	return fmt.Sprint(v)
}
