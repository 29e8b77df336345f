package ddl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConnections(t *testing.T) {
	q := "SELECT * FROM t WHERE a = 1"
	for _, tc := range []struct {
		sql  string
		want Statement
	}{
		{"CREATE CONNECTION pg TYPE postgres URL 'postgres://u:p@h:5432/db'",
			&CreateConnection{Name: "pg", Type: "postgres", URL: "postgres://u:p@h:5432/db", Props: map[string]string{}}},
		{"create connection if not exists pg url 'postgres://u@h/db' type POSTGRESQL with (password_env='PGPASS', max_connections=8);",
			&CreateConnection{Name: "pg", IfNotExists: true, Type: "postgres", URL: "postgres://u@h/db",
				Props: map[string]string{"password_env": "PGPASS", "max_connections": "8"}}},
		{"DROP CONNECTION pg", &DropConnection{Name: "pg"}},
		{"DROP CONNECTION IF EXISTS pg;", &DropConnection{Name: "pg", IfExists: true}},
		{"SHOW CONNECTIONS", &ShowConnections{}},
		{"SHOW CONNECTIONS LIKE 'p%'", &ShowConnections{Like: "p%", HasLike: true}},
		{"EXPLAIN (TYPE IO) " + q, &ExplainIO{Explain{Query: q, QueryOffset: 18, QueryLine: 1, QueryCol: 19}}},
		{"explain (type io, format text) " + q + ";", &ExplainIO{Explain{Query: q, QueryOffset: 31, QueryLine: 1, QueryCol: 32}}},
		{"EXPLAIN IO " + q, &ExplainIO{Explain{Query: q, QueryOffset: 11, QueryLine: 1, QueryCol: 12}}},
		{"EXPLAIN (TYPE LOGICAL) " + q, &Explain{Query: q, QueryOffset: 23, QueryLine: 1, QueryCol: 24}},
		{"EXPLAIN (SELECT 1)", &Explain{Query: "(SELECT 1)", QueryOffset: 8, QueryLine: 1, QueryCol: 9}},
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

func TestParseConnectionErrors(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"CREATE CONNECTION pg URL 'x'", "expected TYPE postgres"},
		{"CREATE CONNECTION pg TYPE postgres", "expected URL"},
		{"CREATE CONNECTION pg TYPE mysql URL 'x'", "unknown connection type mysql"},
		{"CREATE CONNECTION `a.b` TYPE postgres URL 'x'", "cannot contain '.'"},
		{"CREATE CONNECTION pg TYPE postgres URL x", "expected connection URL as a quoted string"},
		{"CREATE CONNECTION pg TYPE postgres URL 'x' foo", "expected TYPE, URL or WITH"},
		{"DROP CONNECTION", "expected connection name"},
		{"EXPLAIN (TYPE JSON) SELECT 1", "unsupported EXPLAIN option TYPE JSON"},
		{"EXPLAIN (TYPE IO", "expected ','"},
		{"EXPLAIN IO", "expected a query after EXPLAIN"},
	} {
		_, err := Parse(tc.sql)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.sql, err, tc.want)
		}
	}
}
