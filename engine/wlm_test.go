package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tarnsql/tarn/engine/wlm"
)

// wlmEngine opens a test engine; SQA is off unless cfg.WLM turns it on
// (the fixture's queries are all short).
func wlmEngine(t *testing.T, cfg Config) (*Engine, *Session) {
	t.Helper()
	if cfg.WLM == nil {
		off := false
		cfg.WLM = &wlm.Config{SQA: wlm.SQAConfig{Enabled: &off}}
	}
	e, _ := testEngine(t, cfg)
	e.WLM().Tick = 2 * time.Millisecond
	return e, e.NewSession("root")
}

func TestWLMSystemTablesDefault(t *testing.T) {
	_, s := wlmEngine(t, Config{})
	got := collect(t, s, "SELECT name, concurrency, memory_percent, running, queued FROM system.wlm_queues")
	want := []string{"default 5 100 0 0", "superuser 1 0 0 0"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("wlm_queues: got %q want %q", got, want)
	}
	// System tables are read when the query is planned, before it is
	// admitted: the reader does not see itself.
	got = collect(t, s, "SELECT queue, state, slots FROM system.wlm_query_state")
	if len(got) != 0 {
		t.Fatalf("wlm_query_state: %q", got)
	}
}

func TestWLMRoutingAndHistory(t *testing.T) {
	e, s := wlmEngine(t, Config{})
	mustExec(t, s, "CREATE QUEUE etl WITH (concurrency=2, memory_percent=40, query_groups='etl', user_groups='loaders*', priority='high')")
	mustExec(t, s, "SET query_group TO 'etl'")
	collect(t, s, "SELECT count(*) FROM tpch.nation")
	mustExec(t, s, "RESET query_group")
	collect(t, s, "SELECT count(*) FROM tpch.region")
	e.SetUserGroups(func(u string) []string {
		if u == "bob" {
			return []string{"loaders_night"}
		}
		return nil
	})
	bob := e.NewSession("bob")
	collect(t, bob, "SELECT count(*) FROM tpch.nation WHERE n_nationkey > 3")
	got := collect(t, s, "SELECT queue, query_text FROM system.query_history WHERE query_text LIKE 'SELECT count(*) FROM tpch.%' ORDER BY start_time")
	want := []string{"etl SELECT count(*) FROM tpch.nation", "default SELECT count(*) FROM tpch.region", "etl SELECT count(*) FROM tpch.nation WHERE n_nationkey > 3"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("history: got %q want %q", got, want)
	}
	// Non-superusers cannot use the superuser queue or change WLM.
	if err := bob.Exec(context.Background(), "SET query_group TO 'superuser'"); err == nil || !strings.Contains(err.Error(), "reserved for superusers") {
		t.Fatalf("bob superuser queue: %v", err)
	}
	if err := bob.Exec(context.Background(), "DROP QUEUE etl"); err == nil || !strings.Contains(err.Error(), "not a superuser") {
		t.Fatalf("bob drop queue: %v", err)
	}
	mustExec(t, s, "SET query_group TO 'superuser'")
	collect(t, s, "SELECT count(*) FROM tpch.supplier")
	got = collect(t, s, "SELECT queue FROM system.query_history WHERE query_text = 'SELECT count(*) FROM tpch.supplier'")
	if len(got) != 1 || got[0] != "superuser" {
		t.Fatalf("superuser query: %q", got)
	}
}

func TestWLMAbortRule(t *testing.T) {
	_, s := wlmEngine(t, Config{})
	mustExec(t, s, "CREATE RULE big_scan ON QUEUE default WHEN scan_bytes > 1KB AND scan_row_count > 10 THEN abort")
	_, _, err := queryRows(context.Background(), s, "SELECT sum(l_quantity) FROM tpch.lineitem", false)
	var ra *wlm.RuleAbortError
	if !errors.As(err, &ra) || !strings.Contains(err.Error(), `rule "big_scan"`) {
		t.Fatalf("want an abort naming the rule, got %v", err)
	}
	if code, state := ErrorCode(err); code != CodeInterrupted || state != "70100" {
		t.Fatalf("code %d %s", code, state)
	}
	got := collect(t, s, "SELECT rule, action, queue FROM system.wlm_rule_actions")
	if len(got) != 1 || got[0] != "big_scan abort default" {
		t.Fatalf("rule actions: %q", got)
	}
	got = collect(t, s, "SELECT state FROM system.query_history WHERE query_text LIKE '%l_quantity%'")
	if len(got) != 1 || got[0] != "FAILED" {
		t.Fatalf("history: %q", got)
	}
	// A small scan stays under the rule.
	if got := collect(t, s, "SELECT count(*) FROM tpch.region"); got[0] != "5" {
		t.Fatalf("region: %q", got)
	}
}

func TestWLMMaxScanBytesBeforeExecution(t *testing.T) {
	off := false
	_, s := wlmEngine(t, Config{WLM: &wlm.Config{MaxScanBytes: 1000, SQA: wlm.SQAConfig{Enabled: &off}}})
	_, _, err := queryRows(context.Background(), s, "SELECT * FROM tpch.lineitem", false)
	var sl *wlm.ScanLimitError
	if !errors.As(err, &sl) || sl.Estimated == 0 {
		t.Fatalf("want a pre-execution refusal, got %v", err)
	}
	got := collect(t, s, "SELECT bytes_scanned FROM system.query_history WHERE query_text = 'SELECT * FROM tpch.lineitem'")
	if len(got) != 1 || got[0] != "0" {
		t.Fatalf("the refused query scanned: %q", got)
	}
}

func TestWLMHopRule(t *testing.T) {
	_, s := wlmEngine(t, Config{})
	mustExec(t, s, "CREATE QUEUE etl WITH (concurrency=1, query_groups='etl')")
	mustExec(t, s, "CREATE RULE demote ON QUEUE etl WHEN scan_bytes > 1KB THEN hop")
	mustExec(t, s, "SET query_group TO etl")
	got := collect(t, s, "SELECT count(*) FROM tpch.lineitem")
	if got[0] != "6005" {
		t.Fatalf("hopped query result: %q", got)
	}
	got = collect(t, s, "SELECT rule, action, queue, target_queue FROM system.wlm_rule_actions")
	if len(got) != 1 || got[0] != "demote hop etl default" {
		t.Fatalf("rule actions: %q", got)
	}
	got = collect(t, s, "SELECT queue FROM system.query_history WHERE query_text = 'SELECT count(*) FROM tpch.lineitem'")
	if len(got) != 1 || got[0] != "default" {
		t.Fatalf("history queue: %q", got)
	}
}

func TestWLMPersistAndBadConfig(t *testing.T) {
	dir := t.TempDir()
	e, s := wlmEngine(t, Config{DataDir: dir})
	mustExec(t, s, "CREATE QUEUE etl WITH (concurrency=3, memory_percent=30, user_groups='etl,ops*', queue_timeout='30s', exec_timeout='10m', priority='high')")
	mustExec(t, s, "ALTER QUEUE etl WITH (concurrency=4)")
	mustExec(t, s, "CREATE RULE r1 WHEN query_execution_time > 60s THEN log")
	err := s.Exec(context.Background(), "ALTER QUEUE etl WITH (memory_percent=150)")
	var ce *wlm.ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "memory_percent") {
		t.Fatalf("bad ALTER: %v", err)
	}
	got := collect(t, s, "SHOW QUEUES")
	if len(got) < 3 || !strings.HasPrefix(got[0], "etl 4 30 ") {
		t.Fatalf("SHOW QUEUES: %q", got)
	}
	// A reload with a bad config keeps the running one.
	if err := e.ReloadWLM(&wlm.Config{Queues: []wlm.QueueConfig{{Name: "x", Concurrency: -1}}}); err == nil || !strings.Contains(err.Error(), "queues[0].concurrency") {
		t.Fatalf("bad reload: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e2, err := Open(context.Background(), Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer e2.Close()
	s2 := e2.NewSession("root")
	got = collect(t, s2, "SELECT name, concurrency, timeout_ms, priority FROM system.wlm_queues")
	if strings.Join(got, "|") != "etl 4 30000 high|default 5 0 normal|superuser 1 0 highest" {
		t.Fatalf("after reopen: %q", got)
	}
	if got := collect(t, s2, "SHOW RULES"); len(got) != 1 || got[0] != "r1 * query_execution_time > 60s log" {
		t.Fatalf("rules after reopen: %q", got)
	}
	mustExec(t, s2, "DROP RULE r1")
	mustExec(t, s2, "DROP QUEUE etl")
	if got := collect(t, s2, "SELECT count(*) FROM system.wlm_queues"); got[0] != "2" {
		t.Fatalf("after drop: %q", got)
	}
}

// Queries wait for slots and leave the queue when cancelled.
func TestWLMQueueingAndCancel(t *testing.T) {
	off := false
	_, s := wlmEngine(t, Config{WLM: &wlm.Config{SQA: wlm.SQAConfig{Enabled: &off}, Queues: []wlm.QueueConfig{{Name: "default", Concurrency: 1}}}})
	ctx := context.Background()
	r, err := s.Query(ctx, "SELECT * FROM tpch.lineitem")
	if err != nil {
		t.Fatal(err)
	}
	// r holds the only slot until closed.
	s2 := s.e.NewSession("alice")
	s2.SetConnectionID(42)
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := s2.Query(cctx, "SELECT count(*) FROM tpch.nation")
		done <- err
	}()
	var qs []wlm.QueryState
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		qs = s.e.Running()
		if len(qs) == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if len(qs) != 2 || qs[1].State != wlm.StateQueued || qs[1].ProcessID != 42 || qs[1].User != "alice" {
		t.Fatalf("running: %+v", qs)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled query: %v", err)
	}
	if n := len(s.e.Running()); n != 1 {
		t.Fatalf("%d queries after the cancel", n)
	}
	if st := r.Stats(); st.Queue != "default" || st.WLMState != wlm.StateRunning {
		t.Fatalf("stats: %+v", st)
	}
	r.Close()
	if n := len(s.e.Running()); n != 0 {
		t.Fatalf("%d queries after close", n)
	}
}
