package wlm

import (
	"fmt"
	"strings"
	"time"
)

// compiled is a validated configuration with defaults resolved.
type compiled struct {
	cfg     *Config
	queues  []queueDef // user queues in routing order (default included)
	rules   []rule
	sqa     SQAConfig
	maxScan int64
}

type queueDef struct {
	name         string
	concurrency  int
	memPercent   float64 // resolved share of the engine memory
	setPercent   int     // as configured (0 = share of the rest)
	userGroups   []string
	queryGroups  []string
	queueTimeout time.Duration
	execTimeout  time.Duration
	priority     string
	isDefault    bool
}

type rule struct {
	name   string
	queue  string // "" = any queue
	action string
	preds  []pred
}

type pred struct {
	metric string
	op     string
	v      int64
	text   string
}

func (p pred) holds(x int64) bool {
	switch p.op {
	case ">":
		return x > p.v
	case ">=":
		return x >= p.v
	case "<":
		return x < p.v
	case "<=":
		return x <= p.v
	case "=":
		return x == p.v
	}
	return false
}

// LaneName is the SQA lane's name in system.wlm_query_state.
const LaneName = "short_query_queue"

func normName(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func compile(c *Config) (*compiled, error) {
	if c == nil {
		c = &Config{}
	}
	out := &compiled{cfg: c.Clone(), sqa: c.SQA, maxScan: int64(c.MaxScanBytes)}
	seen := map[string]bool{}
	hasDefault := false
	totalSlots := 0
	for i, q := range c.Queues {
		at := func(f string) string { return fmt.Sprintf("queues[%d].%s", i, f) }
		name := normName(q.Name)
		switch {
		case name == "":
			return nil, cfgErr(at("name"), "a queue needs a name")
		case !validName(name):
			return nil, cfgErr(at("name"), "queue name %q: use letters, digits, '_' and '-' (at most 64)", q.Name)
		case name == SuperuserQueue || name == LaneName:
			return nil, cfgErr(at("name"), "queue name %q is reserved", name)
		case seen[name]:
			return nil, cfgErr(at("name"), "queue %q is defined twice", name)
		}
		seen[name] = true
		d := queueDef{name: name, concurrency: q.Concurrency, setPercent: q.MemoryPercent,
			queueTimeout: time.Duration(q.QueueTimeout), execTimeout: time.Duration(q.ExecTimeout),
			priority: strings.ToLower(q.Priority), isDefault: name == DefaultQueue}
		if d.concurrency == 0 {
			d.concurrency = DefaultConcurrency
		}
		if d.concurrency < 1 || d.concurrency > MaxConcurrency {
			return nil, cfgErr(at("concurrency"), "queue %q: concurrency %d is out of range 1..%d", name, q.Concurrency, MaxConcurrency)
		}
		totalSlots += d.concurrency
		if q.MemoryPercent < 0 || q.MemoryPercent > 100 {
			return nil, cfgErr(at("memory_percent"), "queue %q: memory_percent %d is out of range 0..100", name, q.MemoryPercent)
		}
		if d.priority == "" {
			d.priority = "normal"
		}
		if priorityRank(d.priority) < 0 {
			return nil, cfgErr(at("priority"), "queue %q: unknown priority %q (use %s)", name, q.Priority, strings.Join(Priorities, ", "))
		}
		if q.QueueTimeout < 0 {
			return nil, cfgErr(at("queue_timeout"), "queue %q: negative timeout", name)
		}
		if q.ExecTimeout < 0 {
			return nil, cfgErr(at("exec_timeout"), "queue %q: negative timeout", name)
		}
		var err error
		if d.userGroups, err = patterns(q.UserGroups, at("user_groups")); err != nil {
			return nil, err
		}
		if d.queryGroups, err = patterns(q.QueryGroups, at("query_groups")); err != nil {
			return nil, err
		}
		if d.isDefault {
			hasDefault = true
			if len(d.userGroups)+len(d.queryGroups) > 0 {
				return nil, cfgErr(at("user_groups"), "the default queue takes every query no other queue matches; it has no user_groups or query_groups")
			}
		}
		out.queues = append(out.queues, d)
	}
	if !hasDefault {
		out.queues = append(out.queues, queueDef{name: DefaultQueue, concurrency: DefaultConcurrency, priority: "normal", isDefault: true})
		totalSlots += DefaultConcurrency
	}
	if len(out.queues) > MaxUserQueues {
		return nil, cfgErr("queues", "%d user queues (counting the default queue); at most %d", len(out.queues), MaxUserQueues)
	}
	if totalSlots > MaxConcurrency {
		return nil, cfgErr("queues", "the queues have %d slots in all; at most %d", totalSlots, MaxConcurrency)
	}
	// Memory: explicit shares, then the rest split evenly.
	sum, unset := 0, 0
	for _, q := range out.queues {
		sum += q.setPercent
		if q.setPercent == 0 {
			unset++
		}
	}
	if sum > 100 {
		return nil, cfgErr("queues.memory_percent", "the queues' memory_percent add up to %d; at most 100", sum)
	}
	if unset > 0 && sum >= 100 {
		for i, q := range c.Queues {
			if q.MemoryPercent == 0 {
				return nil, cfgErr(fmt.Sprintf("queues[%d].memory_percent", i), "queue %q: the other queues take all the memory", normName(q.Name))
			}
		}
		return nil, cfgErr("queues.memory_percent", "the default queue has no memory left (the queues take 100%%)")
	}
	for i := range out.queues {
		if out.queues[i].setPercent > 0 {
			out.queues[i].memPercent = float64(out.queues[i].setPercent)
		} else {
			out.queues[i].memPercent = float64(100-sum) / float64(unset)
		}
	}
	// SQA.
	if c.SQA.Concurrency < 0 || c.SQA.Concurrency > MaxConcurrency {
		return nil, cfgErr("short_query_acceleration.concurrency", "%d is out of range 1..%d", c.SQA.Concurrency, MaxConcurrency)
	}
	if c.SQA.MaxRuntime < 0 {
		return nil, cfgErr("short_query_acceleration.max_runtime", "negative duration")
	}
	if c.SQA.MaxRows < 0 {
		return nil, cfgErr("short_query_acceleration.max_rows", "negative row count")
	}
	if c.SQA.MaxScanBytes < 0 {
		return nil, cfgErr("short_query_acceleration.max_scan_bytes", "negative size")
	}
	if c.MaxScanBytes < 0 {
		return nil, cfgErr("max_scan_bytes", "negative size")
	}
	// Rules.
	ruleNames := map[string]bool{}
	for i, rc := range c.Rules {
		at := func(f string) string { return fmt.Sprintf("rules[%d].%s", i, f) }
		name := normName(rc.Name)
		if !validName(name) {
			return nil, cfgErr(at("name"), "rule name %q: use letters, digits, '_' and '-' (at most 64)", rc.Name)
		}
		if ruleNames[name] {
			return nil, cfgErr(at("name"), "rule %q is defined twice", name)
		}
		ruleNames[name] = true
		r := rule{name: name, queue: normName(rc.Queue), action: strings.ToLower(strings.TrimSpace(rc.Action))}
		if r.queue == "*" {
			r.queue = ""
		}
		if r.queue != "" && r.queue != SuperuserQueue && r.queue != LaneName && !seen[r.queue] && r.queue != DefaultQueue {
			return nil, cfgErr(at("queue"), "rule %q: no queue named %q", name, rc.Queue)
		}
		switch r.action {
		case ActionLog, ActionHop, ActionAbort:
		default:
			return nil, cfgErr(at("action"), "rule %q: unknown action %q (use log, hop or abort)", name, rc.Action)
		}
		preds := rc.Predicates
		if rc.When != "" {
			if len(preds) > 0 {
				return nil, cfgErr(at("when"), "rule %q: give either when or predicates, not both", name)
			}
			var err error
			if preds, err = ParseWhen(rc.When); err != nil {
				return nil, cfgErr(at("when"), "rule %q: %v", name, err)
			}
		}
		if len(preds) == 0 || len(preds) > MaxRulePredicates {
			return nil, cfgErr(at("predicates"), "rule %q has %d predicates; it needs 1 to %d", name, len(preds), MaxRulePredicates)
		}
		for j, p := range preds {
			pat := fmt.Sprintf("rules[%d].predicates[%d]", i, j)
			m := normName(p.Metric)
			if _, ok := metricKinds[m]; !ok {
				return nil, cfgErr(pat+".metric", "rule %q: unknown metric %q (use %s)", name, p.Metric, strings.Join(MetricNames, ", "))
			}
			op := strings.TrimSpace(p.Op)
			switch op {
			case ">", ">=", "<", "<=", "=":
			default:
				return nil, cfgErr(pat+".op", "rule %q: unknown operator %q (use >, >=, <, <= or =)", name, p.Op)
			}
			v, err := parseValue(m, p.Value)
			if err != nil {
				return nil, cfgErr(pat+".value", "rule %q, metric %s: %v", name, m, err)
			}
			r.preds = append(r.preds, pred{metric: m, op: op, v: v, text: m + " " + op + " " + strings.TrimSpace(p.Value)})
		}
		out.rules = append(out.rules, r)
	}
	return out, nil
}

func patterns(ps []string, setting string) ([]string, error) {
	var out []string
	for _, p := range ps {
		for _, part := range strings.Split(p, ",") {
			part = strings.ToLower(strings.TrimSpace(part))
			if part == "" {
				continue
			}
			if len(part) > 128 {
				return nil, cfgErr(setting, "pattern %q is too long", part)
			}
			out = append(out, part)
		}
	}
	if len(ps) > 0 && len(out) == 0 {
		return nil, cfgErr(setting, "empty group pattern")
	}
	return out, nil
}

func priorityRank(p string) int {
	for i, q := range Priorities {
		if q == p {
			return i
		}
	}
	return -1
}

// wildcard matches s against a pattern with '*' (any run) and '?' (one
// character), case-insensitively (both are lower-cased by the caller).
func wildcard(pat, s string) bool {
	// Iterative glob with single backtrack point: linear in practice.
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pat) && (pat[p] == '?' || pat[p] == s[i]):
			p++
			i++
		case p < len(pat) && pat[p] == '*':
			star, mark = p, i
			p++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pat) && pat[p] == '*' {
		p++
	}
	return p == len(pat)
}

func matchAny(pats []string, vals []string) bool {
	for _, v := range vals {
		v = strings.ToLower(v)
		for _, p := range pats {
			if wildcard(p, v) {
				return true
			}
		}
	}
	return false
}

// matches reports whether a query with these groups routes to q.
func (q *queueDef) matches(userGroups []string, queryGroup string) bool {
	if queryGroup != "" && matchAny(q.queryGroups, []string{queryGroup}) {
		return true
	}
	return matchAny(q.userGroups, userGroups)
}
