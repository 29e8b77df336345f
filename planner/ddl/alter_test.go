package ddl

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseAlter(t *testing.T) {
	spec := func(line, col int, kv ...string) PartitionSpec {
		s := PartitionSpec{Line: line, Col: col}
		for i := 0; i < len(kv); i += 2 {
			s.Keys = append(s.Keys, kv[i])
			s.Values = append(s.Values, kv[i+1])
			s.HasValue = append(s.HasValue, true)
		}
		return s
	}
	ps := func(s PartitionSpec) *PartitionSpec { return &s }
	tests := []struct {
		sql  string
		want Statement
	}{
		{"ALTER TABLE requests ADD PARTITION (dt='2024-06-01')",
			&AlterAddPartitions{Table: Name{Name: "requests"}, Parts: []PartitionDef{{Spec: spec(1, 26, "dt", "2024-06-01")}}}},
		{"alter table w.r add if not exists partition (dt='a', region = 'eu') location '/x/y'\n partition (dt='b', region='us');",
			&AlterAddPartitions{Table: Name{"w", "r"}, IfNotExists: true, Parts: []PartitionDef{
				{Spec: spec(1, 35, "dt", "a", "region", "eu"), Location: "/x/y"},
				{Spec: spec(2, 2, "dt", "b", "region", "us")}}}},
		{"ALTER TABLE t ADD PARTITION (year=2024, month=06)",
			&AlterAddPartitions{Table: Name{Name: "t"}, Parts: []PartitionDef{{Spec: spec(1, 19, "year", "2024", "month", "06")}}}},
		{"ALTER TABLE t DROP IF EXISTS PARTITION (dt='a'), PARTITION (dt='b') PURGE",
			&AlterDropPartitions{Table: Name{Name: "t"}, IfExists: true, Specs: []PartitionSpec{spec(1, 30, "dt", "a"), spec(1, 50, "dt", "b")}}},
		{"ALTER TABLE t ADD COLUMNS (referrer string COMMENT 'ref', n int)",
			&AlterAddColumns{Table: Name{Name: "t"}, Columns: []Column{
				{Name: "referrer", Type: "VARCHAR", Comment: "ref", Line: 1, Col: 28}, {Name: "n", Type: "INT", Line: 1, Col: 59}}}},
		{"ALTER TABLE t SET TBLPROPERTIES ('a'='b')", &AlterSetProps{Table: Name{Name: "t"}, Props: map[string]string{"a": "b"}}},
		{"ALTER TABLE t SET SERDEPROPERTIES ('field.delim'='|')", &AlterSetProps{Table: Name{Name: "t"}, SerDe: true, Props: map[string]string{"field.delim": "|"}}},
		{"ALTER TABLE t PARTITION (dt='a') SET LOCATION '/new'",
			&AlterSetLocation{Table: Name{Name: "t"}, Partition: ps(spec(1, 15, "dt", "a")), Location: "/new"}},
		{"ALTER TABLE t SET LOCATION '/t2'", &AlterSetLocation{Table: Name{Name: "t"}, Location: "/t2"}},
		{"MSCK REPAIR TABLE weblogs.requests", &MsckRepair{Table: Name{"weblogs", "requests"}, Mode: RepairAdd}},
		{"msck repair table r sync partitions;", &MsckRepair{Table: Name{Name: "r"}, Mode: RepairSync}},
		{"MSCK REPAIR TABLE r DROP PARTITIONS", &MsckRepair{Table: Name{Name: "r"}, Mode: RepairDrop}},
		{"SHOW PARTITIONS r", &ShowPartitions{Table: Name{Name: "r"}}},
		{"SHOW PARTITIONS d.r PARTITION (region='eu')", &ShowPartitions{Table: Name{"d", "r"}, Partition: ps(spec(1, 21, "region", "eu"))}},
		{"ANALYZE TABLE t COMPUTE STATISTICS", &Analyze{Table: Name{Name: "t"}}},
		{"ANALYZE TABLE t COMPUTE STATISTICS NOSCAN", &Analyze{Table: Name{Name: "t"}, NoScan: true}},
		{"ANALYZE TABLE t COMPUTE STATISTICS FOR COLUMNS", &Analyze{Table: Name{Name: "t"}, ForColumns: true}},
		{"ANALYZE TABLE t PARTITION (dt='a') COMPUTE STATISTICS FOR COLUMNS a, `b`",
			&Analyze{Table: Name{Name: "t"}, Partition: ps(spec(1, 17, "dt", "a")), ForColumns: true, Columns: []string{"a", "b"}}},
		{"ANALYZE TABLE t PARTITION (dt) COMPUTE STATISTICS",
			&Analyze{Table: Name{Name: "t"}, Partition: &PartitionSpec{Keys: []string{"dt"}, Values: []string{""}, HasValue: []bool{false}, Line: 1, Col: 17}}},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			got, err := Parse(tc.sql)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Parse =\n%#v\nwant\n%#v", got, tc.want)
			}
			if !IsCatalogStatement(tc.sql) {
				t.Fatal("not classified as a catalog statement")
			}
		})
	}
}

func TestParseAlterErrors(t *testing.T) {
	tests := []struct{ sql, want string }{
		{"ALTER TABLE t ADD PARTITION dt='a'", "line 1, column 29 near 'dt': expected '('"},
		{"ALTER TABLE t ADD PARTITION (dt)", "expected '=' and a value for partition key dt"},
		{"ALTER TABLE t ADD PARTITION (dt=x)", "column 33 near 'x': expected a quoted string or a number"},
		{"ALTER TABLE t ADD PARTITION (dt='a', dt='b')", "partition key dt given twice"},
		{"ALTER TABLE t ADD", "expected PARTITION or COLUMNS after ADD"},
		{"ALTER TABLE t DROP COLUMN x", "expected PARTITION after DROP"},
		{"ALTER TABLE t RENAME TO u", "near 'RENAME': expected ADD PARTITION"},
		{"ALTER VIEW v AS SELECT 1", "expected TABLE after ALTER"},
		{"ALTER TABLE t SET FOO", "expected TBLPROPERTIES, SERDEPROPERTIES or LOCATION"},
		{"ALTER TABLE t PARTITION (dt='a') SET TBLPROPERTIES ('a'='b')", "expected SET LOCATION"},
		{"MSCK TABLE t", "expected REPAIR TABLE"},
		{"MSCK REPAIR TABLE t SYNC", "at end of input: expected PARTITIONS"},
		{"ANALYZE TABLE t", "expected COMPUTE STATISTICS"},
		{"ANALYZE TABLE t COMPUTE STATISTICS FOR COLUMNS a,", "expected column name"},
		{"SHOW PARTITIONS", "expected table name"},
	}
	for _, tc := range tests {
		t.Run(tc.sql, func(t *testing.T) {
			_, err := Parse(tc.sql)
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not *ddl.Error", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
