package ddl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseWLM(t *testing.T) {
	for _, tc := range []struct {
		sql  string
		want Statement
	}{
		{"CREATE QUEUE etl WITH (concurrency=3, memory_percent=30, user_groups='etl,ops*', queue_timeout='30s', priority=high)",
			&CreateQueue{Name: "etl", Props: map[string]string{"concurrency": "3", "memory_percent": "30", "user_groups": "etl,ops*", "queue_timeout": "30s", "priority": "high"}}},
		{"create queue if not exists q", &CreateQueue{Name: "q", IfNotExists: true, Props: map[string]string{}}},
		{"ALTER QUEUE etl WITH (concurrency = 4)", &AlterQueue{Name: "etl", Props: map[string]string{"concurrency": "4"}}},
		{"DROP QUEUE IF EXISTS etl", &DropQueue{Name: "etl", IfExists: true}},
		{"CREATE RULE big ON QUEUE q WHEN scan_bytes > 10GB AND query_execution_time >= 60s THEN abort",
			&CreateRule{Name: "big", Queue: "q", Action: "abort", Predicates: []RulePredicate{{"scan_bytes", ">", "10GB"}, {"query_execution_time", ">=", "60s"}}}},
		{"CREATE RULE r WHEN scan_bytes > 1.5 GB THEN hop", &CreateRule{Name: "r", Action: "hop", Predicates: []RulePredicate{{"scan_bytes", ">", "1.5GB"}}}},
		{"DROP RULE r", &DropRule{Name: "r"}},
		{"SHOW QUEUES", &ShowQueues{}},
		{"SHOW RULES;", &ShowRules{}},
		{"SET query_group TO 'etl'", &SetSession{Name: "query_group", Value: "etl"}},
		{"set query_group = etl", &SetSession{Name: "query_group", Value: "etl"}},
		{"SET query_group TO DEFAULT", &SetSession{Name: "query_group", Reset: true}},
		{"RESET query_group", &SetSession{Name: "query_group", Reset: true}},
		{"SET wlm_query_slot_count TO 3", &SetSession{Name: "wlm_query_slot_count", Value: "3"}},
	} {
		if !IsCatalogStatement(tc.sql) {
			t.Errorf("%s: not a catalog statement", tc.sql)
		}
		got, err := Parse(tc.sql)
		if err != nil {
			t.Errorf("%s: %v", tc.sql, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", tc.sql, got, tc.want)
		}
	}
}

func TestParseWLMErrors(t *testing.T) {
	for _, tc := range []struct{ sql, msg string }{
		{"SET autocommit = 1", "unknown setting autocommit"},
		{"CREATE RULE r WHEN scan_bytes 5 THEN abort", "expected >, >=, <, <= or = after scan_bytes"},
		{"CREATE RULE r WHEN scan_bytes > 5 THEN explode", "expected action log, hop or abort"},
		{"CREATE QUEUE q WITH (concurrency=1, concurrency=2)", "given twice"},
		{"ALTER QUEUE q", "expected WITH"},
		{"SET query_group", "expected TO or ="},
	} {
		_, err := Parse(tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %q", tc.sql, err, tc.msg)
		}
	}
}
