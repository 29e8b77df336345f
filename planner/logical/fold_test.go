package logical

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
)

func TestCastValue(t *testing.T) {
	cases := []struct {
		v        any
		from, to arrow.DataType
		want     any
		err      bool
	}{
		{int64(24), types.Int64, types.Decimal(15, 2), int64(2400), false},
		{"12.345", types.String, types.Decimal(5, 2), int64(1235), false},   // half away from zero
		{"-12.345", types.String, types.Decimal(5, 2), int64(-1235), false}, // half away from zero
		{"1e3", types.String, types.Decimal(6, 2), int64(100000), false},
		{"12345", types.String, types.Decimal(5, 2), nil, true}, // overflow
		{int64(300), types.Int64, types.Int8, nil, true},
		{int64(1235), types.Decimal(5, 2), types.Int32, int64(12), false},
		{2.5, types.Float64, types.Int64, int64(3), false},
		{"2020-02-29", types.String, types.Date, int32(18321), false},
		{"2020-02-30", types.String, types.Date, nil, true},
		{int32(18321), types.Date, types.Timestamp, int64(18321) * 86_400_000_000, false},
		{int64(-1), types.Timestamp, types.Date, int32(-1), false},
		{int64(7), types.Int64, types.String, "7", false},
		{int64(1234), types.Decimal(6, 2), types.Decimal(20, 3), decimal128.FromI64(12340), false},
		{"abc", types.String, types.Int64, nil, true},
		{"true", types.String, types.Boolean, true, false},
	}
	for _, c := range cases {
		got, err := CastValue(c.v, c.from, c.to)
		if (err != nil) != c.err {
			t.Errorf("%v %s→%s: err %v", c.v, c.from, c.to, err)
			continue
		}
		if !c.err && got != c.want {
			t.Errorf("%v %s→%s: got %v (%T), want %v", c.v, c.from, c.to, got, got, c.want)
		}
	}
}

func TestExactCast(t *testing.T) {
	if _, ok := ExactCast(Lit(int64(5), types.Decimal(3, 1)), types.Decimal(15, 2)); !ok {
		t.Error("0.5 should fit DECIMAL(15,2)")
	}
	if _, ok := ExactCast(Lit(int64(55), types.Decimal(3, 3)), types.Decimal(15, 2)); ok {
		t.Error("0.055 must not be rounded into DECIMAL(15,2)")
	}
	if _, ok := ExactCast(Lit(int64(1<<40), types.Int64), types.Int32); ok {
		t.Error("2^40 does not fit INT")
	}
}

func TestDateAdd(t *testing.T) {
	d, _ := ParseDate("2020-01-31")
	cases := []struct {
		n    int64
		unit string
		want string
	}{
		{1, "month", "2020-02-29"}, {-1, "day", "2020-01-30"}, {1, "year", "2021-01-31"},
		{1, "quarter", "2020-04-30"}, {2, "week", "2020-02-14"}, {-90, "day", "2019-11-02"},
	}
	for _, c := range cases {
		v, ok := DateAdd(d, types.Date, c.n, c.unit)
		if !ok || expr.FormatDate(v.(int32)) != c.want {
			t.Errorf("2020-01-31 + %d %s = %v, want %s", c.n, c.unit, v, c.want)
		}
	}
}

func TestFoldLogic(t *testing.T) {
	a := &expr.ColumnRef{Index: 1, Name: "a", T: types.Boolean}
	b := &expr.ColumnRef{Index: 2, Name: "b", T: types.Boolean}
	c := &expr.ColumnRef{Index: 3, Name: "c", T: types.Boolean}
	and := func(xs ...expr.Expr) expr.Expr { return &expr.Call{Fn: "and", Args: xs, T: types.Boolean} }
	or := func(xs ...expr.Expr) expr.Expr { return &expr.Call{Fn: "or", Args: xs, T: types.Boolean} }
	cases := []struct {
		in   expr.Expr
		want string
	}{
		{and(a, True), "a#1"},
		{and(a, False), "false"},
		{or(a, True), "true"},
		{or(False, b), "b#2"},
		{and(a, Lit(nil, types.Boolean)), "(a#1 AND NULL)"},
		{or(and(a, b), and(a, c)), "(a#1 AND (b#2 OR c#3))"},
		{or(and(a, b), a), "a#1"},
	}
	for _, c := range cases {
		got, err := Fold(c.in)
		if err != nil || got.String() != c.want {
			t.Errorf("%s: got %s (%v), want %s", c.in, got, err, c.want)
		}
	}
}
