package wlm

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	src := `
data_dir: /var/lib/tarn
mysql:
  listen: 127.0.0.1:3306
wlm:
  max_scan_bytes: 1TB
  queues:
    - name: etl
      concurrency: 3
      memory_percent: 40
      user_groups: [etl, "ops*"]
      query_groups: [etl]
      queue_timeout: 30s
      exec_timeout: 10m
      priority: high
    - name: default
      concurrency: 5
  short_query_acceleration:
    enabled: true
    concurrency: 2
    max_runtime: 3s
    max_scan_bytes: 32MiB
  rules:
    - name: big_scan
      queue: default
      when: scan_bytes > 10GB and query_execution_time > 60s
      action: abort
    - name: rows
      predicates:
        - {metric: return_row_count, op: ">", value: "1000000"}
      action: log
`
	c, err := ParseConfig([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Queues) != 2 || c.Queues[0].Concurrency != 3 || time.Duration(c.Queues[0].ExecTimeout) != 10*time.Minute ||
		c.Queues[0].UserGroups[1] != "ops*" || int64(c.MaxScanBytes) != 1e12 || int64(c.SQA.MaxScanBytes) != 32<<20 ||
		time.Duration(c.SQA.MaxRuntime) != 3*time.Second || len(c.Rules) != 2 {
		t.Fatalf("parsed: %+v", c)
	}
	comp, err := compile(c)
	if err != nil {
		t.Fatal(err)
	}
	if r := comp.rules[0]; len(r.preds) != 2 || r.preds[0].v != 10e9 || r.preds[1].v != int64(60*time.Second) {
		t.Fatalf("rule: %+v", r)
	}
	if c, err := ParseConfig([]byte("data_dir: x\n")); err != nil || len(c.Queues) != 0 {
		t.Fatalf("no wlm section: %v %+v", err, c)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, setting, msg string }{
		{"wlm:\n  queus: []\n", "wlm.queus", "unknown setting"},
		{"wlm:\n  queues:\n    - name: a\n      concurrency: 0\n    - name: a\n", "queues[1].name", "defined twice"},
		{"wlm:\n  queues:\n    - name: a\n      concurrency: 99\n", "queues[0].concurrency", "out of range"},
		{"wlm:\n  queues:\n    - name: a\n      memory_percent: 70\n    - name: b\n      memory_percent: 40\n", "queues.memory_percent", "add up to 110"},
		{"wlm:\n  queues:\n    - name: a\n      memory_percent: 100\n", "queues.memory_percent", "no memory left"},
		{"wlm:\n  queues:\n    - name: a\n      priority: urgent\n", "queues[0].priority", "unknown priority"},
		{"wlm:\n  queues:\n    - name: superuser\n", "queues[0].name", "reserved"},
		{"wlm:\n  queues:\n    - name: default\n      user_groups: [x]\n", "queues[0].user_groups", "default queue"},
		{"wlm:\n  queues: [{name: a}, {name: b}, {name: c}, {name: d}, {name: e}, {name: f}, {name: g}, {name: h}]\n", "queues", "at most 8"},
		{"wlm:\n  rules:\n    - {name: r, when: 'cpu_usage > 5', action: log}\n", "rules[0].predicates[0].metric", "unknown metric"},
		{"wlm:\n  rules:\n    - {name: r, when: 'scan_bytes > lots', action: log}\n", "rules[0].predicates[0].value", "invalid size"},
		{"wlm:\n  rules:\n    - {name: r, when: 'scan_bytes > 1 and scan_row_count > 1 and cpu_time > 1 and memory_bytes > 1', action: log}\n", "rules[0].predicates", "1 to 3"},
		{"wlm:\n  rules:\n    - {name: r, when: 'scan_bytes > 1', action: kill}\n", "rules[0].action", "unknown action"},
		{"wlm:\n  rules:\n    - {name: r, queue: nosuch, when: 'scan_bytes > 1', action: log}\n", "rules[0].queue", "no queue named"},
	} {
		_, err := ParseConfig([]byte(tc.yaml))
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Setting != tc.setting || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: got %v, want setting %s with %q", tc.yaml, err, tc.setting, tc.msg)
		}
	}
	if _, err := ParseConfig([]byte("wlm:\n  queues:\n    - name: a\n      queue_timeout: soon\n")); err == nil || !strings.Contains(err.Error(), "invalid duration") {
		t.Errorf("bad duration: %v", err)
	}
}

func TestSQLEdits(t *testing.T) {
	c := &Config{}
	if err := c.CreateQueue("ETL", map[string]string{"concurrency": "3", "memory_percent": "30", "user_groups": "etl,ops*", "queue_timeout": "30s", "priority": "high"}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateQueue("etl", nil, false); err == nil {
		t.Fatal("duplicate queue accepted")
	}
	if err := c.AlterQueue("default", map[string]string{"concurrency": "4"}); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateQueue("bi", map[string]string{"slots": "2"}, false); err != nil {
		t.Fatal(err)
	}
	if got := []string{c.Queues[0].Name, c.Queues[1].Name, c.Queues[2].Name}; strings.Join(got, ",") != "etl,default,bi" {
		// bi was created after default became explicit: it goes before it.
		if strings.Join(got, ",") != "etl,bi,default" {
			t.Fatalf("order %v", got)
		}
	}
	if err := c.CreateRule(RuleConfig{Name: "r", Queue: "etl", When: "scan_bytes > 1GB", Action: "abort"}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := c.AlterQueue("etl", map[string]string{"colour": "red"}); err == nil || !strings.Contains(err.Error(), "queue etl.colour") {
		t.Fatalf("unknown property: %v", err)
	}
	if err := c.DropQueue("etl", false); err != nil || len(c.Rules) != 0 {
		t.Fatalf("drop queue: %v, rules %v", err, c.Rules)
	}
	if err := c.DropQueue("default", false); err == nil {
		t.Fatal("dropped the default queue")
	}
}

func TestWildcard(t *testing.T) {
	for _, tc := range []struct {
		p, s string
		want bool
	}{
		{"ops*", "ops", true}, {"ops*", "ops_night", true}, {"*night", "ops_night", true}, {"o?s", "ops", true},
		{"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false}, {"etl", "etl2", false}, {"*", "", true},
	} {
		if got := wildcard(tc.p, tc.s); got != tc.want {
			t.Errorf("wildcard(%q, %q) = %v", tc.p, tc.s, got)
		}
	}
}

func BenchmarkAdmitDone(b *testing.B) {
	m, _ := NewManager(&Config{}, 1<<30, nil)
	req := Request{QueryID: "q", Estimate: Estimate{ScanBytes: 1 << 40, Known: true}}
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		tk, err := m.Admit(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		tk.Done()
	}
}
