package types

import "testing"

func TestParseAndPrint(t *testing.T) {
	cases := []struct{ in, want string }{
		{"int", "INT"}, {"BIGINT", "BIGINT"}, {"string", "VARCHAR"}, {"varchar(20)", "VARCHAR"},
		{"decimal(15,2)", "DECIMAL(15,2)"}, {"decimal(38,6)", "DECIMAL(38,6)"}, {"decimal", "DECIMAL(10,0)"},
		{"date", "DATE"}, {"timestamp", "TIMESTAMP"}, {"double", "DOUBLE"}, {"boolean", "BOOLEAN"},
		{"array<string>", "ARRAY<VARCHAR>"},
		{"map<string,int>", "MAP<VARCHAR,INT>"},
		{"struct<lookup:double, total:double>", "STRUCT<lookup:DOUBLE,total:DOUBLE>"},
		{"STRUCT<a:ARRAY<STRUCT<b:INT,c:MAP<STRING,DECIMAL(10,2)>>>>", "STRUCT<a:ARRAY<STRUCT<b:INT,c:MAP<VARCHAR,DECIMAL(10,2)>>>>"},
	}
	for _, c := range cases {
		dt, err := Parse(c.in)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if got := SQLName(dt); got != c.want {
			t.Errorf("%s: got %s, want %s", c.in, got, c.want)
		}
		// printing round-trips
		dt2, err := Parse(SQLName(dt))
		if err != nil || SQLName(dt2) != c.want {
			t.Errorf("%s: round trip gave %v %v", c.in, dt2, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"array<>", "array<int,int>", "map<int>", "map<array<int>,int>", "struct<>", "struct<a int>",
		"struct<a:int,a:int>", "array<int", "decimal(40,2)", "decimal(5,6)", "blob", "struct<a:array<int>"} {
		if _, err := Parse(in); err == nil {
			t.Errorf("%s: expected an error", in)
		}
	}
}
