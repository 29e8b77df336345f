package engine

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/engine/wlm"
	"github.com/tarnsql/tarn/planner/ddl"
)

// runWLMStatement executes the WLM statements (ok false: st is not one).
// Configuration changes need a superuser; they apply at once (waiting
// queries are re-routed, running ones keep running) and are persisted in
// the catalog.
func (s *Session) runWLMStatement(_ context.Context, r *Result, st ddl.Statement) (ok bool, err error) {
	switch st := st.(type) {
	case *ddl.SetSession:
		return true, s.setSession(st)
	case *ddl.ShowQueues:
		s.showQueues(r)
		return true, nil
	case *ddl.ShowRules:
		s.showRules(r)
		return true, nil
	case *ddl.CreateQueue, *ddl.AlterQueue, *ddl.DropQueue, *ddl.CreateRule, *ddl.DropRule:
	default:
		return false, nil
	}
	if !s.e.IsSuperuser(s.user) {
		return true, newError(1227, "42000", nil, "access denied: user %q is not a superuser; changing the WLM configuration needs one", s.user)
	}
	switch st := st.(type) {
	case *ddl.CreateQueue:
		return true, s.e.updateWLM(func(c *wlm.Config) error { return c.CreateQueue(st.Name, st.Props, st.IfNotExists) })
	case *ddl.AlterQueue:
		return true, s.e.updateWLM(func(c *wlm.Config) error { return c.AlterQueue(st.Name, st.Props) })
	case *ddl.DropQueue:
		return true, s.e.updateWLM(func(c *wlm.Config) error { return c.DropQueue(st.Name, st.IfExists) })
	case *ddl.CreateRule:
		rc := wlm.RuleConfig{Name: st.Name, Queue: st.Queue, Action: st.Action}
		for _, p := range st.Predicates {
			rc.Predicates = append(rc.Predicates, wlm.Predicate{Metric: p.Metric, Op: p.Op, Value: p.Value})
		}
		return true, s.e.updateWLM(func(c *wlm.Config) error { return c.CreateRule(rc, st.IfNotExists) })
	case *ddl.DropRule:
		return true, s.e.updateWLM(func(c *wlm.Config) error { return c.DropRule(st.Name, st.IfExists) })
	}
	return false, nil
}

func (s *Session) setSession(st *ddl.SetSession) error {
	switch st.Name {
	case "query_group":
		if st.Reset {
			s.SetQueryGroup("")
			return nil
		}
		if strings.EqualFold(st.Value, wlm.SuperuserQueue) && !s.e.IsSuperuser(s.user) {
			return newError(1227, "42000", nil, "access denied: query_group 'superuser' is reserved for superusers (user %q is not one)", s.user)
		}
		s.SetQueryGroup(st.Value)
		return nil
	case "wlm_query_slot_count":
		if st.Reset {
			s.slotCount = 0
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(st.Value))
		if err != nil {
			return newError(CodeWrongValue, "42000", err, "wlm_query_slot_count must be a whole number of slots, got %q", st.Value)
		}
		return s.SetSlotCount(n)
	}
	return newError(CodeNotSupported, "42000", nil, "unknown setting %s", st.Name)
}

func (s *Session) showQueues(r *Result) {
	names := []string{"name", "concurrency", "memory_percent", "memory_per_slot", "user_groups", "query_groups",
		"queue_timeout", "exec_timeout", "priority", "running", "queued"}
	types := []arrow.DataType{strT, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, strT, strT, strT,
		strT, strT, strT, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64}
	var rows [][]any
	qs := s.e.wlm.Queues()
	if lane, on := s.e.wlm.Lane(); on {
		qs = append(qs, lane)
	}
	for _, q := range qs {
		rows = append(rows, []any{q.Name, int64(q.Concurrency), q.MemoryPercent, formatBytes(q.MemoryPerSlot),
			strings.Join(q.UserGroups, ","), strings.Join(q.QueryGroups, ","), durationText(q.QueueTimeout),
			durationText(q.ExecTimeout), q.Priority, int64(q.Running), int64(q.Queued)})
	}
	r.setStatic(names, types, rows)
}

func (s *Session) showRules(r *Result) {
	c := s.e.wlm.Config()
	var rows [][]any
	for _, rc := range c.Rules {
		when := rc.When
		if when == "" {
			parts := make([]string, len(rc.Predicates))
			for i, p := range rc.Predicates {
				parts[i] = p.Metric + " " + p.Op + " " + p.Value
			}
			when = strings.Join(parts, " AND ")
		}
		q := rc.Queue
		if q == "" {
			q = "*"
		}
		rows = append(rows, []any{rc.Name, q, when, rc.Action})
	}
	r.setStatic([]string{"name", "queue", "when", "action"}, []arrow.DataType{strT, strT, strT, strT}, rows)
}

func durationText(d time.Duration) any {
	if d == 0 {
		return nil
	}
	return d.String()
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " B"
}
