package ddl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCrawl(t *testing.T) {
	cases := []struct {
		sql  string
		want *Crawl
		err  string
	}{
		{sql: "CRAWL '/data/lake' INTO DATABASE lake", want: &Crawl{Location: "/data/lake", Database: "lake"}},
		{sql: "crawl 's3://b/p/' into schema `my db`;", want: &Crawl{Location: "s3://b/p/", Database: "my db"}},
		{
			sql: "CRAWL '/x' INTO DATABASE d WITH (mode = 'incremental', Schema_Change='log',\n exclude='**/tmp/**', exclude = '*.bak', sample_rows=1000, header = false)",
			want: &Crawl{Location: "/x", Database: "d", Options: []CrawlOption{
				{Key: "mode", Value: "incremental", Line: 1, Col: 34},
				{Key: "schema_change", Value: "log", Line: 1, Col: 56},
				{Key: "exclude", Value: "**/tmp/**", Line: 2, Col: 2},
				{Key: "exclude", Value: "*.bak", Line: 2, Col: 23},
				{Key: "sample_rows", Value: "1000", Line: 2, Col: 42},
				{Key: "header", Value: "false", Line: 2, Col: 60},
			}},
		},
		{sql: "CRAWL /x INTO DATABASE d", err: "expected location as a quoted string"},
		{sql: "CRAWL '/x' DATABASE d", err: "expected INTO"},
		{sql: "CRAWL '/x' INTO TABLE d", err: "expected DATABASE after INTO"},
		{sql: "CRAWL '/x' INTO DATABASE d WITH (mode)", err: "expected '='"},
		{sql: "CRAWL '/x' INTO DATABASE d WITH (mode = )", err: "expected a crawl option value"},
		{sql: "CRAWL '/x' INTO DATABASE d WITH (mode = 'a' 'b')", err: "expected ','"},
		{sql: "CRAWL '/x' INTO DATABASE d extra", err: "unexpected text after the end"},
	}
	for _, c := range cases {
		if !IsCatalogStatement(c.sql) {
			t.Errorf("%q is not a catalog statement", c.sql)
		}
		st, err := Parse(c.sql)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q) err = %v, want %q", c.sql, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q): %v", c.sql, err)
			continue
		}
		if !reflect.DeepEqual(st, c.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", c.sql, st, c.want)
		}
	}
}
