// Package wlm is tarn's workload management, modelled on Redshift's
// manual WLM: queues with slots and memory, routing by user group and
// query group, a superuser queue, short query acceleration (SQA) and
// query monitoring rules.
//
// The Manager admits queries (Admit blocks FIFO per queue until the
// query's slots are free, or its context ends, or the queue timeout
// passes) and hands out a Ticket. The ticket carries the query's memory
// limit and its execution context; a monitor goroutine per running
// query checks the exec timeout, the SQA lane's maximum runtime and the
// rules every Tick, and logs, hops or aborts the query. The engine
// (package engine) wires it into the query lifecycle.
//
// Configuration is a Config (YAML `wlm:` section of tarn.yaml, or the SQL
// statements CREATE/ALTER/DROP QUEUE, CREATE/DROP RULE, persisted as
// JSON). Reload swaps it atomically: running queries keep running, waiting
// queries are re-routed, and an invalid configuration is refused with the
// setting's name while the running one is kept.
package wlm

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits and defaults.
const (
	MaxUserQueues        = 8
	MaxRulePredicates    = 3
	DefaultQueue         = "default"
	SuperuserQueue       = "superuser"
	DefaultConcurrency   = 5
	DefaultSQASlots      = 2
	DefaultSQAMaxRuntime = 5 * time.Second
	DefaultSQAMaxBytes   = 64 << 20
	DefaultSQAMaxRows    = 1000000
	MaxConcurrency       = 50 // Redshift's limit across manual queues
)

// Priorities, lowest first.
var Priorities = []string{"lowest", "low", "normal", "high", "highest"}

// Config is the WLM configuration: the `wlm:` section of tarn.yaml.
//
//	wlm:
//	  queues:
//	    - name: etl
//	      concurrency: 3
//	      memory_percent: 40
//	      user_groups: [etl, "ops*"]
//	      query_groups: [etl]
//	      queue_timeout: 30s
//	      exec_timeout: 10m
//	      priority: high
//	    - name: default
//	      concurrency: 5
//	  short_query_acceleration:
//	    enabled: true
//	    concurrency: 2
//	    max_runtime: 5s
//	  max_scan_bytes: 1TB
//	  rules:
//	    - name: big_scan
//	      queue: default
//	      when: scan_bytes > 10GB and query_execution_time > 60s
//	      action: abort
type Config struct {
	// Queues are the user queues in routing order (at most 8, counting
	// the default queue, which is added with 5 slots when missing).
	Queues []QueueConfig `yaml:"queues,omitempty" json:"queues,omitempty"`
	// SQA is short query acceleration.
	SQA SQAConfig `yaml:"short_query_acceleration,omitempty" json:"short_query_acceleration"`
	// Rules are query monitoring rules.
	Rules []RuleConfig `yaml:"rules,omitempty" json:"rules,omitempty"`
	// MaxScanBytes is an Athena-style per-query scan limit: queries whose
	// estimated scan exceeds it are refused before execution, and queries
	// that read more are stopped (0 = no limit).
	MaxScanBytes Bytes `yaml:"max_scan_bytes,omitempty" json:"max_scan_bytes,omitempty"`
}

// QueueConfig is one queue.
type QueueConfig struct {
	Name string `yaml:"name" json:"name"`
	// Concurrency is the number of slots (default 5).
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// MemoryPercent is the queue's share of the engine memory budget;
	// queues that leave it 0 share what the others leave unallocated.
	MemoryPercent int `yaml:"memory_percent,omitempty" json:"memory_percent,omitempty"`
	// UserGroups and QueryGroups route queries here; '*' matches any run
	// of characters, '?' one character.
	UserGroups  []string `yaml:"user_groups,omitempty" json:"user_groups,omitempty"`
	QueryGroups []string `yaml:"query_groups,omitempty" json:"query_groups,omitempty"`
	// QueueTimeout bounds the wait for a slot, ExecTimeout the execution
	// (0 = none).
	QueueTimeout Duration `yaml:"queue_timeout,omitempty" json:"queue_timeout,omitempty"`
	ExecTimeout  Duration `yaml:"exec_timeout,omitempty" json:"exec_timeout,omitempty"`
	// Priority (lowest, low, normal, high, highest; default normal)
	// sets the query's share of parallel slices: low gets half, lowest a
	// quarter.
	Priority string `yaml:"priority,omitempty" json:"priority,omitempty"`
}

// SQAConfig configures short query acceleration.
type SQAConfig struct {
	// Enabled defaults to true.
	Enabled *bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// Concurrency is the lane's slots (default 2).
	Concurrency int `yaml:"concurrency,omitempty" json:"concurrency,omitempty"`
	// MaxRuntime is how long a query may run in the lane before it hops
	// to its normal queue (default 5s).
	MaxRuntime Duration `yaml:"max_runtime,omitempty" json:"max_runtime,omitempty"`
	// MaxScanBytes and MaxRows bound the planner's estimates of a query
	// predicted to be short (defaults 64 MiB and 1,000,000 rows).
	MaxScanBytes Bytes `yaml:"max_scan_bytes,omitempty" json:"max_scan_bytes,omitempty"`
	MaxRows      int64 `yaml:"max_rows,omitempty" json:"max_rows,omitempty"`
}

// On reports whether SQA is enabled.
func (s SQAConfig) On() bool { return s.Enabled == nil || *s.Enabled }

func (s SQAConfig) slots() int {
	if s.Concurrency > 0 {
		return s.Concurrency
	}
	return DefaultSQASlots
}

func (s SQAConfig) maxRuntime() time.Duration {
	if s.MaxRuntime > 0 {
		return time.Duration(s.MaxRuntime)
	}
	return DefaultSQAMaxRuntime
}

func (s SQAConfig) maxBytes() int64 {
	if s.MaxScanBytes > 0 {
		return int64(s.MaxScanBytes)
	}
	return DefaultSQAMaxBytes
}

func (s SQAConfig) maxRows() int64 {
	if s.MaxRows > 0 {
		return s.MaxRows
	}
	return DefaultSQAMaxRows
}

// RuleConfig is a query monitoring rule: when all predicates hold for a
// query running in Queue ("" or "*": any queue), Action happens once.
type RuleConfig struct {
	Name  string `yaml:"name" json:"name"`
	Queue string `yaml:"queue,omitempty" json:"queue,omitempty"`
	// When is the predicate text ("scan_bytes > 10GB and
	// query_execution_time > 60s"); Predicates is the structured form.
	When       string      `yaml:"when,omitempty" json:"when,omitempty"`
	Predicates []Predicate `yaml:"predicates,omitempty" json:"predicates,omitempty"`
	// Action is log, hop or abort.
	Action string `yaml:"action" json:"action"`
}

// Predicate compares a metric with a threshold. Value is text with a
// unit for bytes (10GB, 512MiB) and times (60s, 500ms, 2m; a bare number
// is seconds); counts are plain numbers.
type Predicate struct {
	Metric string `yaml:"metric" json:"metric"`
	Op     string `yaml:"op" json:"op"`
	Value  string `yaml:"value" json:"value"`
}

// Metrics a rule can test.
const (
	MetricExecTime   = "query_execution_time"
	MetricQueueTime  = "query_queue_time"
	MetricScanBytes  = "scan_bytes"
	MetricScanRows   = "scan_row_count"
	MetricReturnRows = "return_row_count"
	MetricMemory     = "memory_bytes"
	MetricCPUTime    = "cpu_time"
	MetricJoinRows   = "join_row_count"
)

type metricKind int

const (
	kindDuration metricKind = iota
	kindBytes
	kindCount
)

var metricKinds = map[string]metricKind{
	MetricExecTime: kindDuration, MetricQueueTime: kindDuration, MetricCPUTime: kindDuration,
	MetricScanBytes: kindBytes, MetricMemory: kindBytes,
	MetricScanRows: kindCount, MetricReturnRows: kindCount, MetricJoinRows: kindCount,
}

// MetricNames lists the metrics in documentation order.
var MetricNames = []string{MetricExecTime, MetricQueueTime, MetricScanBytes, MetricScanRows,
	MetricReturnRows, MetricMemory, MetricCPUTime, MetricJoinRows}

// Actions.
const (
	ActionLog   = "log"
	ActionHop   = "hop"
	ActionAbort = "abort"
)

// ConfigError is an invalid configuration; Setting names the offending
// setting (queues[1].concurrency, rules[0].when, ...).
type ConfigError struct {
	Setting string
	Msg     string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid WLM configuration: setting %s: %s", e.Setting, e.Msg)
}

func cfgErr(setting, format string, args ...any) error {
	return &ConfigError{Setting: setting, Msg: fmt.Sprintf(format, args...)}
}

// Duration is a time.Duration written as text ("30s", "10m", "1h30m";
// a bare number is seconds).
type Duration time.Duration

// UnmarshalText implements encoding.TextUnmarshaler (YAML and JSON).
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// ParseDuration parses "30s", "1h30m", "500ms" or a bare number of
// seconds.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(t, 64); err == nil {
		if f < 0 || f > float64(math.MaxInt64)/1e9 {
			return 0, fmt.Errorf("duration %q out of range", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(strings.ToLower(t))
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: expected e.g. 30s, 10m, 1h30m, 500ms", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("duration %q is negative", s)
	}
	return d, nil
}

// Bytes is a byte count written with an optional unit (KB/MB/GB/TB are
// powers of 1000, KiB/MiB/GiB/TiB and K/M/G/T powers of 1024).
type Bytes int64

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *Bytes) UnmarshalText(t []byte) error {
	v, err := ParseBytes(string(t))
	if err != nil {
		return err
	}
	*b = Bytes(v)
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (b Bytes) MarshalText() ([]byte, error) { return []byte(strconv.FormatInt(int64(b), 10)), nil }

// ParseBytes parses a byte size such as 10GB, 512MiB or 1073741824.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	if num == "" {
		return 0, fmt.Errorf("invalid size %q: expected a number like 512MiB, 10GB or 1073741824", s)
	}
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"k": 1 << 10, "kib": 1 << 10, "kb": 1e3,
		"m": 1 << 20, "mib": 1 << 20, "mb": 1e6,
		"g": 1 << 30, "gib": 1 << 30, "gb": 1e9,
		"t": 1 << 40, "tib": 1 << 40, "tb": 1e12,
		"p": 1 << 50, "pib": 1 << 50, "pb": 1e15,
	}[unit]
	if !ok {
		return 0, fmt.Errorf("invalid size %q: unknown unit %q (use B, KiB, MiB, GiB, TiB, KB, MB, GB, TB)", s, t[i:])
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(f * mult), nil
}

// parseCount parses a row count (a number, possibly 1e6 or with K/M/B).
func parseCount(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := 1.0
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k', 'K':
			mult, t = 1e3, t[:n-1]
		case 'm', 'M':
			mult, t = 1e6, t[:n-1]
		case 'b', 'B':
			mult, t = 1e9, t[:n-1]
		}
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 || f*mult > 1<<62 {
		return 0, fmt.Errorf("invalid count %q: expected a number of rows such as 1000000", s)
	}
	return int64(f * mult), nil
}

// parseValue parses a predicate threshold for metric: nanoseconds for
// times, bytes or rows.
func parseValue(metric, v string) (int64, error) {
	switch metricKinds[metric] {
	case kindDuration:
		d, err := ParseDuration(v)
		return int64(d), err
	case kindBytes:
		return ParseBytes(v)
	}
	return parseCount(v)
}

// ParseWhen parses rule predicate text: up to three comparisons
// "metric op value" joined by AND.
func ParseWhen(s string) ([]Predicate, error) {
	var out []Predicate
	words := strings.Fields(s)
	var cur []string
	flush := func() error {
		if len(cur) == 0 {
			return errors.New("empty predicate (expected metric > value)")
		}
		p, err := splitComparison(strings.Join(cur, " "))
		if err != nil {
			return err
		}
		out = append(out, p)
		cur = nil
		return nil
	}
	for _, w := range words {
		if strings.EqualFold(w, "and") {
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		}
		cur = append(cur, w)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

func splitComparison(s string) (Predicate, error) {
	for _, op := range []string{">=", "<=", "<>", "!=", ">", "<", "="} {
		if i := strings.Index(s, op); i > 0 {
			return Predicate{Metric: strings.ToLower(strings.TrimSpace(s[:i])), Op: op, Value: strings.TrimSpace(s[i+len(op):])}, nil
		}
	}
	return Predicate{}, fmt.Errorf("predicate %q: expected metric > value (operators >, >=, <, <=, =)", s)
}

// Validate checks every setting and fills nothing in; it returns a
// *ConfigError naming the first bad setting.
func (c *Config) Validate() error {
	_, err := compile(c)
	return err
}

// ParseConfig parses a tarn.yaml document and returns its `wlm:`
// section (other top-level settings are ignored: they belong to the
// server). Unknown settings inside `wlm:` are errors naming them. A
// document without `wlm:` yields an empty Config (the defaults).
func ParseConfig(b []byte) (*Config, error) {
	var doc struct {
		WLM yaml.Node `yaml:"wlm"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("invalid WLM configuration: %w", err)
	}
	c := &Config{}
	if doc.WLM.Kind == 0 {
		return c, nil
	}
	out, err := yaml.Marshal(&doc.WLM)
	if err != nil {
		return nil, err
	}
	if err := ParseSection(out, c); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseSection decodes the body of a `wlm:` section (strictly) into c
// and validates it.
func ParseSection(b []byte, c *Config) error {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		msg := err.Error()
		if i := strings.Index(msg, "field "); i >= 0 && strings.Contains(msg, "not found in type") {
			name := strings.Fields(msg[i+len("field "):])[0]
			return &ConfigError{Setting: "wlm." + name, Msg: "unknown setting"}
		}
		return fmt.Errorf("invalid WLM configuration: %s", strings.TrimPrefix(msg, "yaml: "))
	}
	return c.Validate()
}

// LoadFile reads the `wlm:` section of a tarn.yaml file.
func LoadFile(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("WLM configuration %s: %w", path, err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// Clone returns a deep copy.
func (c *Config) Clone() *Config {
	if c == nil {
		return &Config{}
	}
	out := *c
	out.Queues = make([]QueueConfig, len(c.Queues))
	for i, q := range c.Queues {
		q.UserGroups = append([]string(nil), q.UserGroups...)
		q.QueryGroups = append([]string(nil), q.QueryGroups...)
		out.Queues[i] = q
	}
	out.Rules = make([]RuleConfig, len(c.Rules))
	for i, r := range c.Rules {
		r.Predicates = append([]Predicate(nil), r.Predicates...)
		out.Rules[i] = r
	}
	if c.SQA.Enabled != nil {
		v := *c.SQA.Enabled
		out.SQA.Enabled = &v
	}
	return &out
}
