package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/engine/wlm"
)

// join_row_count rules judge the rows the joins actually produced (the
// executor's live counter), not the planner's estimate: a join the
// planner expects rows from but that produces none does not fire, and
// the action's detail reports the exact count.
func TestWLMJoinRowCountIsLive(t *testing.T) {
	_, s := wlmEngine(t, Config{})
	mustExec(t, s, "CREATE RULE any_join_rows ON QUEUE default WHEN join_row_count > 0 THEN log")
	mustExec(t, s, "CREATE RULE all_join_rows ON QUEUE default WHEN join_row_count > 6004 THEN log")
	empty := "SELECT count(*) FROM tpch.lineitem JOIN tpch.orders ON l_orderkey = o_orderkey WHERE o_totalprice < 0"
	if got := collect(t, s, "EXPLAIN "+empty); !strings.Contains(strings.Join(got, "\n"), "HashJoin") {
		t.Fatalf("no hash join in the plan: %q", got)
	}
	if got := collect(t, s, empty); got[0] != "0" {
		t.Fatalf("empty join: %q", got)
	}
	if got := collect(t, s, "SELECT rule FROM system.wlm_rule_actions"); len(got) != 0 {
		t.Fatalf("a join that produced no rows fired %q", got)
	}
	full := "SELECT count(*) FROM tpch.lineitem JOIN tpch.orders ON l_orderkey = o_orderkey"
	if got := collect(t, s, full); got[0] != "6005" {
		t.Fatalf("join: %q", got)
	}
	got := collect(t, s, "SELECT rule, detail FROM system.wlm_rule_actions ORDER BY rule")
	want := []string{"all_join_rows join_row_count > 6004 (actual 6005)", "any_join_rows"}
	if len(got) != 2 || got[0] != want[0] || !strings.HasPrefix(got[1], want[1]+" join_row_count > 0 (actual ") {
		t.Fatalf("rule actions: got %q want %q", got, want)
	}
}

// Queries of the normal queues yield to short ones (their QueryCtx has a
// Throttle), lane queries do not, and no query leaves a planning mark
// behind: not one that fails to plan, not one admitted to a normal queue,
// not one that ran in the lane.
func TestWLMYieldWiring(t *testing.T) {
	on := true
	e, s := wlmEngine(t, Config{WLM: &wlm.Config{SQA: wlm.SQAConfig{Enabled: &on, MaxScanBytes: 4 << 10}}})
	ctx := context.Background()
	tests := []struct {
		sql      string
		queue    string
		throttle bool
	}{
		{"SELECT count(*) FROM tpch.region", wlm.LaneName, false},
		{"SELECT sum(l_quantity) FROM tpch.lineitem", wlm.DefaultQueue, true},
	}
	for _, tc := range tests {
		r, err := s.Query(ctx, tc.sql)
		if err != nil {
			t.Fatal(err)
		}
		if q := r.Stats().Queue; q != tc.queue {
			t.Errorf("%s: queue %q, want %q", tc.sql, q, tc.queue)
		}
		if got := r.qc.Load().Throttle != nil; got != tc.throttle {
			t.Errorf("%s: throttle %v, want %v", tc.sql, got, tc.throttle)
		}
		if tc.queue == wlm.LaneName && e.WLM().Urgent() != 1 {
			t.Errorf("%s: urgent %d while running in the lane", tc.sql, e.WLM().Urgent())
		}
		if tc.queue != wlm.LaneName && e.WLM().Urgent() != 0 {
			t.Errorf("%s: urgent %d after admission to a normal queue", tc.sql, e.WLM().Urgent())
		}
		if _, err := drain(ctx, r); err != nil {
			t.Fatal(err)
		}
		r.Close()
		if n := e.WLM().Urgent(); n != 0 {
			t.Errorf("%s: urgent %d after the query ended", tc.sql, n)
		}
	}
	if _, err := s.Query(ctx, "SELECT nope FROM tpch.region"); err == nil {
		t.Fatal("bad query planned")
	}
	if n := e.WLM().Urgent(); n != 0 {
		t.Errorf("urgent %d after a query that failed to plan", n)
	}
}
