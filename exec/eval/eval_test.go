package eval

import (
	"math"
	"testing"

	"github.com/tarnsql/tarn/planner/expr"
)

func TestLeaves(t *testing.T) {
	runCases(t, []tcase{
		{name: "column", e: col(0, tI64), cols: cols(tI64, anys(int64(1), nil, int64(3))), want: anys(1, nil, 3)},
		{name: "string column", e: col(0, tStr), cols: cols(tStr, anys("a", nil, "")), want: anys("a", nil, "")},
		{name: "int literal", e: lit(int64(7), tI32), cols: cols(tI64, anys(int64(1), int64(2))), want: anys(7, 7)},
		{name: "null literal int", e: null(tI64), cols: cols(tI64, anys(int64(1), int64(2))), want: anys(nil, nil)},
		{name: "null literal null", e: null(tNull), cols: cols(tI64, anys(int64(1))), want: anys(nil)},
		{name: "null literal string", e: null(tStr), cols: cols(tI64, anys(int64(1))), want: anys(nil)},
		{name: "null literal decimal128", e: null(dec(30, 2)), cols: cols(tI64, anys(int64(1))), want: anys(nil)},
		{name: "bool literal", e: lit(true, tBool), cols: cols(tI64, anys(int64(1), int64(2))), want: anys(true, true)},
		{name: "string literal", e: lit("x", tStr), cols: cols(tI64, anys(int64(1))), want: anys("x")},
		{name: "date literal", e: lit(date("2024-02-29"), tDate), cols: cols(tI64, anys(int64(1))), want: anys("2024-02-29")},
		{name: "timestamp literal", e: lit(ts("2024-02-29 10:11:12.5"), tTS), cols: cols(tI64, anys(int64(1))), want: anys("2024-02-29 10:11:12.5")},
		{name: "decimal literal", e: lit(int64(-1234), dec(10, 2)), cols: cols(tI64, anys(int64(1))), want: anys("-12.34")},
		{name: "decimal128 literal", e: lit(n128("123456789012345678901"), dec(30, 3)), cols: cols(tI64, anys(int64(1))), want: anys("123456789012345678.901")},
		{name: "float literal", e: lit(1.5, tF64), cols: cols(tI64, anys(int64(1))), want: anys("1.5")},
	})
}

func TestParam(t *testing.T) {
	mem := newMem(t)
	env := &Env{Mem: mem, Params: []any{int64(5), "abc"}}
	b := buildBatch(t, mem, cols(tI64, anys(int64(1), int64(9))), false)
	defer b.Release()
	got := evalStrings(t, env, call(">", tBool, col(0, tI64), &expr.Param{Index: 0, T: tI64}), b)
	if got != "false|true" {
		t.Fatal(got)
	}
	got = evalStrings(t, env, &expr.Param{Index: 1, T: tStr}, b)
	if got != "abc|abc" {
		t.Fatal(got)
	}
	if _, err := Compile(&expr.Param{Index: 2, T: tStr}, env); err == nil {
		t.Fatal("expected error for unbound parameter")
	}
}

func TestComparisons(t *testing.T) {
	ints := cols(tI64, anys(int64(1), int64(2), nil, int64(3)), tI64, anys(int64(2), int64(2), int64(1), nil))
	var cases []tcase
	for _, c := range []struct {
		op   string
		want []any
	}{
		{"=", anys(false, true, nil, nil)},
		{"<>", anys(true, false, nil, nil)},
		{"<", anys(true, false, nil, nil)},
		{"<=", anys(true, true, nil, nil)},
		{">", anys(false, false, nil, nil)},
		{">=", anys(false, true, nil, nil)},
	} {
		cases = append(cases, tcase{name: "int64 " + c.op, e: call(c.op, tBool, col(0, tI64), col(1, tI64)), cols: ints, want: c.want})
	}
	cases = append(cases, []tcase{
		{name: "col < const", e: call("<", tBool, col(0, tI32), lit(int64(2), tI32)), cols: cols(tI32, anys(int64(1), int64(2), nil, int64(3))), want: anys(true, false, nil, false)},
		{name: "const < col", e: call("<", tBool, lit(int64(2), tI32), col(0, tI32)), cols: cols(tI32, anys(int64(1), int64(2), nil, int64(3))), want: anys(false, false, nil, true)},
		{name: "const vs const", e: call("=", tBool, lit(int64(2), tI64), lit(int64(2), tI64)), cols: cols(tI64, anys(int64(1), int64(2))), want: anys(true, true)},
		{name: "null literal", e: call("=", tBool, col(0, tI64), null(tI64)), cols: cols(tI64, anys(int64(1))), want: anys(nil)},
		{name: "int8", e: call(">=", tBool, col(0, tI8), col(1, tI8)), cols: cols(tI8, anys(int64(-128), int64(127)), tI8, anys(int64(127), int64(-128))), want: anys(false, true)},
		{name: "int16", e: call("<>", tBool, col(0, tI16), lit(int64(5), tI16)), cols: cols(tI16, anys(int64(5), int64(6))), want: anys(false, true)},
		{name: "float", e: call("<", tBool, col(0, tF64), col(1, tF64)), cols: cols(tF64, anys(1.5, math.Copysign(0, -1), nil), tF64, anys(2.5, 0.0, 1.0)), want: anys(true, false, nil)},
		{name: "float32", e: call(">", tBool, col(0, tF32), lit(1.25, tF32)), cols: cols(tF32, anys(1.5, 1.0)), want: anys(true, false)},
		{name: "date <= const", e: call("<=", tBool, col(0, tDate), lit(date("1998-09-02"), tDate)), cols: cols(tDate, anys(date("1998-09-02"), date("1998-09-03"), nil)), want: anys(true, false, nil)},
		{name: "timestamp", e: call(">", tBool, col(0, tTS), lit(ts("2020-01-01 00:00:00"), tTS)), cols: cols(tTS, anys(ts("2020-01-01 00:00:01"), ts("2019-12-31 23:59:59"))), want: anys(true, false)},
		{name: "decimal64", e: call("<", tBool, col(0, dec(10, 2)), lit(int64(150), dec(10, 2))), cols: cols(dec(10, 2), anys(int64(149), int64(150), int64(-200))), want: anys(true, false, true)},
		{name: "decimal precisions differ", e: call("<", tBool, col(0, dec(10, 2)), col(1, dec(15, 2))), cols: cols(dec(10, 2), anys(int64(149), int64(151)), dec(15, 2), anys(int64(150), int64(150))), want: anys(true, false)},
		{name: "decimal scales differ", e: call("<", tBool, col(0, dec(10, 2)), col(1, dec(10, 3))), cols: cols(dec(10, 2), anys(int64(1)), dec(10, 3), anys(int64(1))), err: "cannot compare"},
		{name: "decimal128", e: call(">", tBool, col(0, dec(30, 2)), col(1, dec(30, 2))), cols: cols(dec(30, 2), anys(n128("-1"), n128("100000000000000000000"), n128("5"), nil), dec(30, 2), anys(n128("-2"), n128("99999999999999999999"), n128("5"), n128("1"))), want: anys(true, true, false, nil)},
		{name: "decimal128 negative hi", e: call("<", tBool, col(0, dec(30, 2)), lit(n128("0"), dec(30, 2))), cols: cols(dec(30, 2), anys(n128("-100000000000000000000"), n128("1"))), want: anys(true, false)},
		{name: "string binary", e: call("<", tBool, col(0, tStr), col(1, tStr)), cols: cols(tStr, anys("a", "B", "abc", "", nil), tStr, anys("b", "a", "ab", "a", "x")), want: anys(true, true, false, true, nil)},
		{name: "string eq const", e: call("=", tBool, col(0, tStr), lit("abc", tStr)), cols: cols(tStr, anys("abc", "ABC", "abcd", nil)), want: anys(true, false, false, nil)},
		{name: "const gt string", e: call(">", tBool, lit("m", tStr), col(0, tStr)), cols: cols(tStr, anys("a", "z")), want: anys(true, false)},
		{name: "bool", e: call("=", tBool, col(0, tBool), col(1, tBool)), cols: cols(tBool, anys(true, false, true, nil), tBool, anys(true, true, false, false)), want: anys(true, false, false, nil)},
		{name: "bool lt", e: call("<", tBool, col(0, tBool), lit(true, tBool)), cols: cols(tBool, anys(false, true)), want: anys(true, false)},
		{name: "null-safe eq", e: call("<=>", tBool, col(0, tI64), col(1, tI64)), cols: ints, want: anys(false, true, false, false)},
		{name: "null-safe both null", e: call("<=>", tBool, col(0, tStr), col(1, tStr)), cols: cols(tStr, anys(nil, "a", nil), tStr, anys(nil, "a", "b")), want: anys(true, true, false)},
		{name: "null-safe null literal", e: call("<=>", tBool, col(0, tI64), null(tI64)), cols: cols(tI64, anys(nil, int64(1))), want: anys(true, false)},
		{name: "computed vs column", e: call(">", tBool, call("+", tI64, col(0, tI64), lit(int64(1), tI64)), col(1, tI64)), cols: ints, want: anys(false, true, nil, nil)},
		{name: "mismatched types", e: call("=", tBool, col(0, tI64), col(1, tStr)), cols: cols(tI64, anys(int64(1)), tStr, anys("1")), err: "cannot compare"},
	}...)
	runCases(t, cases)
}

func TestLogic(t *testing.T) {
	// all 9 combinations of TRUE/FALSE/NULL
	a := anys(true, true, true, false, false, false, nil, nil, nil)
	b := anys(true, false, nil, true, false, nil, true, false, nil)
	c := cols(tBool, a, tBool, b)
	and := call("and", tBool, col(0, tBool), col(1, tBool))
	or := call("or", tBool, col(0, tBool), col(1, tBool))
	runCases(t, []tcase{
		{name: "and", e: and, cols: c, want: anys(true, false, nil, false, false, false, nil, false, nil)},
		{name: "or", e: or, cols: c, want: anys(true, true, true, true, false, nil, true, nil, nil)},
		{name: "not", e: call("not", tBool, col(0, tBool)), cols: c, want: anys(false, false, false, true, true, true, nil, nil, nil)},
		{name: "not and", e: call("not", tBool, and), cols: c, want: anys(false, true, nil, true, true, true, nil, true, nil)},
		{name: "and3 with null literal", e: call("and", tBool, col(0, tBool), col(1, tBool), null(tBool)), cols: c, want: anys(nil, false, nil, false, false, false, nil, false, nil)},
		{name: "or with null type", e: call("or", tBool, col(0, tBool), null(tNull)), cols: c, want: anys(true, true, true, nil, nil, nil, nil, nil, nil)},
		{name: "and of comparisons", e: call("and", tBool,
			call(">", tBool, col(0, tI64), lit(int64(1), tI64)),
			call("<", tBool, col(0, tI64), lit(int64(5), tI64)),
			call("<>", tBool, col(1, tStr), lit("x", tStr))),
			cols: cols(tI64, anys(int64(0), int64(2), int64(3), int64(6), nil), tStr, anys("a", "b", "x", "c", "d")),
			want: anys(false, true, false, false, nil)},
		{name: "or of comparisons", e: call("or", tBool,
			call("<", tBool, col(0, tI64), lit(int64(1), tI64)),
			call(">", tBool, col(0, tI64), lit(int64(5), tI64)),
			call("=", tBool, col(1, tStr), lit("x", tStr))),
			cols: cols(tI64, anys(int64(0), int64(2), int64(3), int64(6), nil), tStr, anys("a", "b", "x", "c", "d")),
			want: anys(true, false, true, true, nil)},
		{name: "is_null", e: call("is_null", tBool, col(0, tBool)), cols: c, want: anys(false, false, false, false, false, false, true, true, true)},
		{name: "is_not_null", e: call("is_not_null", tBool, col(1, tBool)), cols: c, want: anys(true, true, false, true, true, false, true, true, false)},
		{name: "is_true", e: call("is_true", tBool, and), cols: c, want: anys(true, false, false, false, false, false, false, false, false)},
		{name: "is_false", e: call("is_false", tBool, or), cols: c, want: anys(false, false, false, false, true, false, false, false, false)},
		{name: "is_null of expr", e: call("is_null", tBool, call("+", tI64, col(0, tI64), lit(int64(1), tI64))), cols: cols(tI64, anys(int64(1), nil)), want: anys(false, true)},
		{name: "is_null literal", e: call("is_null", tBool, null(tI64)), cols: cols(tI64, anys(int64(1))), want: anys(true)},
		{name: "is_not_null no nulls", e: call("is_not_null", tBool, col(0, tStr)), cols: cols(tStr, anys("a", "b")), want: anys(true, true)},
	})
}

func TestIntArithmetic(t *testing.T) {
	xy := cols(tI64, anys(int64(7), int64(-7), nil, int64(0), int64(5)), tI64, anys(int64(2), int64(2), int64(1), int64(3), int64(0)))
	runCases(t, []tcase{
		{name: "add", e: call("+", tI64, col(0, tI64), col(1, tI64)), cols: xy, want: anys(9, -5, nil, 3, 5)},
		{name: "sub", e: call("-", tI64, col(0, tI64), col(1, tI64)), cols: xy, want: anys(5, -9, nil, -3, 5)},
		{name: "mul", e: call("*", tI64, col(0, tI64), col(1, tI64)), cols: xy, want: anys(14, -14, nil, 0, 0)},
		{name: "div by zero is null", e: call("/", tI64, col(0, tI64), col(1, tI64)), cols: xy, want: anys(3, -3, nil, 0, nil)},
		{name: "div fn", e: call("div", tI64, col(0, tI64), col(1, tI64)), cols: xy, want: anys(3, -3, nil, 0, nil)},
		{name: "mod", e: call("%", tI64, col(0, tI64), col(1, tI64)), cols: xy, want: anys(1, -1, nil, 0, nil)},
		{name: "mod fn", e: call("mod", tI64, col(0, tI64), col(1, tI64)), cols: xy, want: anys(1, -1, nil, 0, nil)},
		{name: "neg", e: call("neg", tI64, col(0, tI64)), cols: xy, want: anys(-7, 7, nil, 0, -5)},
		{name: "col + const", e: call("+", tI64, col(0, tI64), lit(int64(10), tI64)), cols: xy, want: anys(17, 3, nil, 10, 15)},
		{name: "const - col", e: call("-", tI64, lit(int64(10), tI64), col(0, tI64)), cols: xy, want: anys(3, 17, nil, 10, 5)},
		{name: "const * const", e: call("*", tI64, lit(int64(3), tI64), lit(int64(4), tI64)), cols: xy, want: anys(12, 12, 12, 12, 12)},
		{name: "null literal", e: call("+", tI64, col(0, tI64), null(tI64)), cols: xy, want: anys(nil, nil, nil, nil, nil)},
		{name: "nested", e: call("*", tI64, call("+", tI64, col(0, tI64), lit(int64(1), tI64)), col(1, tI64)), cols: xy, want: anys(16, -12, nil, 3, 0)},
		{name: "add overflow", e: call("+", tI64, col(0, tI64), col(1, tI64)), cols: cols(tI64, anys(int64(math.MaxInt64)), tI64, anys(int64(1))), err: "BIGINT value is out of range in '(c0#0 + c1#1)'"},
		{name: "sub overflow", e: call("-", tI64, col(0, tI64), lit(int64(1), tI64)), cols: cols(tI64, anys(int64(math.MinInt64))), err: "BIGINT value is out of range"},
		{name: "mul overflow", e: call("*", tI64, col(0, tI64), col(1, tI64)), cols: cols(tI64, anys(int64(1)<<40), tI64, anys(int64(1)<<30)), err: "out of range"},
		{name: "mul big but fine", e: call("*", tI64, col(0, tI64), col(1, tI64)), cols: cols(tI64, anys(int64(1)<<40, int64(-3)), tI64, anys(int64(1)<<20, int64(math.MinInt64/3))), want: anys(int64(1)<<60, -(math.MinInt64/3)*3)},
		{name: "mul min * -1", e: call("*", tI64, col(0, tI64), lit(int64(-1), tI64)), cols: cols(tI64, anys(int64(math.MinInt64))), err: "out of range"},
		{name: "overflow under null ignored", e: call("+", tI64, col(0, tI64), col(1, tI64)), cols: cols(tI64, anys(nil, int64(1)), tI64, anys(int64(1), int64(1))), want: anys(nil, 2)},
		{name: "div overflow", e: call("div", tI64, col(0, tI64), lit(int64(-1), tI64)), cols: cols(tI64, anys(int64(math.MinInt64))), err: "out of range"},
		{name: "neg overflow", e: call("neg", tI64, col(0, tI64)), cols: cols(tI64, anys(int64(math.MinInt64))), err: "out of range"},
		{name: "int32 add overflow", e: call("+", tI32, col(0, tI32), col(1, tI32)), cols: cols(tI32, anys(int64(math.MaxInt32)), tI32, anys(int64(1))), err: "INT value is out of range"},
		{name: "int32 mul overflow", e: call("*", tI32, col(0, tI32), col(1, tI32)), cols: cols(tI32, anys(int64(1<<16)), tI32, anys(int64(1<<15))), err: "INT value is out of range"},
		{name: "int8 ops", e: call("*", tI8, col(0, tI8), col(1, tI8)), cols: cols(tI8, anys(int64(-8), int64(11)), tI8, anys(int64(16), int64(11))), want: anys(-128, 121)},
		{name: "int8 overflow", e: call("-", tI8, col(0, tI8), col(1, tI8)), cols: cols(tI8, anys(int64(-100)), tI8, anys(int64(29))), err: "TINYINT value is out of range"},
		{name: "int16 sub", e: call("-", tI16, col(0, tI16), col(1, tI16)), cols: cols(tI16, anys(int64(-100)), tI16, anys(int64(29))), want: anys(-129)},
		{name: "float ops", e: call("/", tF64, col(0, tF64), col(1, tF64)), cols: cols(tF64, anys(1.0, 1.0, nil), tF64, anys(4.0, 0.0, 1.0)), want: anys(0.25, nil, nil)},
		{name: "float mod", e: call("%", tF64, col(0, tF64), col(1, tF64)), cols: cols(tF64, anys(7.5, -7.5, 1.0), tF64, anys(2.0, 2.0, 0.0)), want: anys(1.5, -1.5, nil)},
		{name: "float ieee", e: call("*", tF64, col(0, tF64), col(1, tF64)), cols: cols(tF64, anys(1e308), tF64, anys(10.0)), want: anys("+Inf")},
		{name: "float32 add", e: call("+", tF32, col(0, tF32), col(1, tF32)), cols: cols(tF32, anys(1.5), tF32, anys(2.25)), want: anys(3.75)},
		{name: "float neg", e: call("neg", tF64, col(0, tF64)), cols: cols(tF64, anys(1.5, nil)), want: anys(-1.5, nil)},
	})
}

func TestDecimalArithmetic(t *testing.T) {
	d152 := dec(15, 2)
	runCases(t, []tcase{
		{name: "add", e: call("+", dec(16, 2), col(0, d152), col(1, d152)), cols: cols(d152, anys(int64(150), int64(-1), nil), d152, anys(int64(275), int64(1), int64(1))), want: anys("4.25", "0.00", nil)},
		{name: "sub", e: call("-", dec(16, 2), col(0, d152), lit(int64(100), d152)), cols: cols(d152, anys(int64(150), int64(-1))), want: anys("0.50", "-1.01")},
		{name: "mul", e: call("*", dec(18, 4), col(0, dec(9, 2)), col(1, dec(9, 2))), cols: cols(dec(9, 2), anys(int64(150), int64(-5)), dec(9, 2), anys(int64(250), int64(5))), want: anys("3.7500", "-0.0025")},
		{name: "1 - discount times price", e: call("*", dec(18, 4), col(0, d152), call("-", dec(16, 2), lit(int64(100), d152), col(1, d152))),
			cols: cols(d152, anys(int64(1000000), int64(2345)), d152, anys(int64(5), int64(10))), want: anys("9500.0000", "21.1050")},
		{name: "mul decimal64 overflow", e: call("*", dec(18, 4), col(0, dec(15, 2)), col(1, dec(15, 2))), cols: cols(d152, anys(int64(999999999999999)), d152, anys(int64(999999999999999))), err: "DECIMAL(18,4) value is out of range"},
		{name: "add precision overflow", e: call("+", dec(3, 1), col(0, dec(3, 1)), col(1, dec(3, 1))), cols: cols(dec(3, 1), anys(int64(999), int64(1)), dec(3, 1), anys(int64(1), int64(1))), err: "DECIMAL(3,1) value is out of range"},
		{name: "add precision ok under null", e: call("+", dec(3, 1), col(0, dec(3, 1)), col(1, dec(3, 1))), cols: cols(dec(3, 1), anys(int64(999), int64(1)), dec(3, 1), anys(nil, int64(1))), want: anys(nil, "0.2")},
		{name: "mul precision overflow", e: call("*", dec(4, 2), col(0, dec(3, 1)), col(1, dec(3, 1))), cols: cols(dec(3, 1), anys(int64(999)), dec(3, 1), anys(int64(20))), err: "DECIMAL(4,2) value is out of range"},
		{name: "mul widened to 128", e: call("*", dec(30, 4), col(0, d152), col(1, d152)), cols: cols(d152, anys(int64(999999999999999)), d152, anys(int64(999999999999999))), want: anys("99999999999999800000000000.0001")},
		{name: "mul 64 to 128 signs", e: call("*", dec(30, 4), col(0, d152), col(1, d152)), cols: cols(d152, anys(int64(-999999999999999), int64(-3), int64(7), nil), d152, anys(int64(999999999999999), int64(-5), int64(-2), int64(1))), want: anys("-99999999999999800000000000.0001", "0.0015", "-0.0014", nil)},
		{name: "mul 64 to 128 const", e: call("*", dec(30, 4), lit(int64(-100), d152), col(1, d152)), cols: cols(d152, anys(int64(1), int64(2)), d152, anys(int64(999999999999999), int64(-5))), want: anys("-9999999999999.9900", "0.0500")},
		{name: "add 64 to 128", e: call("+", dec(19, 2), col(0, dec(18, 2)), col(1, dec(18, 2))), cols: cols(dec(18, 2), anys(int64(999999999999999999), int64(-999999999999999999)), dec(18, 2), anys(int64(999999999999999999), int64(-999999999999999999))), want: anys("19999999999999999.98", "-19999999999999999.98")},
		{name: "sub 64 to 128", e: call("-", dec(19, 2), col(0, dec(18, 2)), col(1, dec(18, 2))), cols: cols(dec(18, 2), anys(int64(999999999999999999), int64(5)), dec(18, 2), anys(int64(-999999999999999999), int64(7))), want: anys("19999999999999999.98", "-0.02")},
		{name: "mul 64 to 128 precision check", e: call("*", dec(20, 4), col(0, d152), col(1, d152)), cols: cols(d152, anys(int64(999999999999999)), d152, anys(int64(999999999999999))), err: "DECIMAL(20,4) value is out of range"},
		{name: "add 128", e: call("+", dec(38, 2), col(0, dec(38, 2)), col(1, dec(38, 2))), cols: cols(dec(38, 2), anys(n128("99999999999999999999999"), n128("-5")), dec(38, 2), anys(n128("1"), n128("3"))), want: anys("1000000000000000000000.00", "-0.02")},
		{name: "add 128 precision overflow", e: call("+", dec(38, 0), col(0, dec(38, 0)), col(1, dec(38, 0))), cols: cols(dec(38, 0), anys(n128("99999999999999999999999999999999999999")), dec(38, 0), anys(n128("1"))), err: "DECIMAL(38,0) value is out of range"},
		{name: "sub 128 from 64 args", e: call("-", dec(20, 2), col(0, d152), col(1, d152)), cols: cols(d152, anys(int64(100)), d152, anys(int64(350))), want: anys("-2.50")},
		{name: "mul 128", e: call("*", dec(38, 4), col(0, dec(25, 2)), col(1, dec(25, 2))), cols: cols(dec(25, 2), anys(n128("100000000000000000000"), n128("-3")), dec(25, 2), anys(n128("-250"), n128("3"))), want: anys("-2500000000000000000.0000", "-0.0009")},
		{name: "mul 128 by 64 (Q1)", e: call("*", dec(38, 6), call("*", dec(31, 4), col(0, d152), call("-", dec(16, 2), lit(int64(100), dec(16, 2)), col(1, d152))), call("+", dec(16, 2), lit(int64(100), dec(16, 2)), col(2, d152))),
			cols: cols(d152, anys(int64(1000000), int64(-2345), nil), d152, anys(int64(5), int64(10), int64(1)), d152, anys(int64(8), int64(2), int64(3))), want: anys("10260.000000", "-21.527100", nil)},
		{name: "mul 128 big operands", e: call("*", dec(38, 0), col(0, dec(38, 0)), col(1, dec(38, 0))), cols: cols(dec(38, 0), anys(n128("100000000000000000000"), n128("-100000000000000000000")), dec(38, 0), anys(n128("100000000000000000"), n128("3"))), want: anys("10000000000000000000000000000000000000", "-300000000000000000000")},
		{name: "mul 128 overflow", e: call("*", dec(38, 0), col(0, dec(38, 0)), col(1, dec(38, 0))), cols: cols(dec(38, 0), anys(n128("100000000000000000000")), dec(38, 0), anys(n128("1000000000000000000"))), err: "DECIMAL(38,0) value is out of range"},
		{name: "mul 128 overflow 128 bits", e: call("*", dec(38, 0), col(0, dec(38, 0)), col(1, dec(38, 0))), cols: cols(dec(38, 0), anys(n128("10000000000000000000000000000000000000")), dec(38, 0), anys(n128("100000000000000000000"))), err: "DECIMAL(38,0) value is out of range"},
		{name: "sub 128 overflow", e: call("-", dec(38, 0), col(0, dec(38, 0)), col(1, dec(38, 0))), cols: cols(dec(38, 0), anys(n128("-99999999999999999999999999999999999999")), dec(38, 0), anys(n128("99999999999999999999999999999999999999"))), err: "out of range"},
		{name: "add 128 mixed widths", e: call("+", dec(38, 2), col(0, dec(38, 2)), col(1, d152)), cols: cols(dec(38, 2), anys(n128("-100000000000000000000"), nil), d152, anys(int64(-5), int64(1))), want: anys("-1000000000000000000.05", nil)},
		{name: "neg decimal", e: call("neg", d152, col(0, d152)), cols: cols(d152, anys(int64(150), nil)), want: anys("-1.50", nil)},
		{name: "neg decimal128", e: call("neg", dec(30, 2), col(0, dec(30, 2))), cols: cols(dec(30, 2), anys(n128("150"), nil)), want: anys("-1.50", nil)},
		// a * 10^(sT - s1 + s2) / b, half away from zero
		{name: "div rounding", e: call("/", dec(10, 2), col(0, dec(5, 0)), col(1, dec(5, 0))), cols: cols(dec(5, 0), anys(int64(2), int64(-2), int64(1), int64(5)), dec(5, 0), anys(int64(3), int64(3), int64(8), int64(0))), want: anys("0.67", "-0.67", "0.13", nil)},
		{name: "div half away", e: call("/", dec(10, 1), col(0, dec(5, 2)), col(1, dec(5, 0))), cols: cols(dec(5, 2), anys(int64(25), int64(-25)), dec(5, 0), anys(int64(2), int64(2))), want: anys("0.1", "-0.1")},
		{name: "div half away 2", e: call("/", dec(10, 1), col(0, dec(5, 2)), col(1, dec(5, 0))), cols: cols(dec(5, 2), anys(int64(30), int64(-30)), dec(5, 0), anys(int64(4), int64(4))), want: anys("0.1", "-0.1")},
		{name: "div half away 3", e: call("/", dec(10, 1), col(0, dec(5, 1)), col(1, dec(5, 0))), cols: cols(dec(5, 1), anys(int64(5), int64(-5)), dec(5, 0), anys(int64(2), int64(2))), want: anys("0.3", "-0.3")},
		{name: "div scales", e: call("/", dec(20, 6), col(0, dec(15, 2)), col(1, dec(15, 4))), cols: cols(d152, anys(int64(100)), dec(15, 4), anys(int64(30000))), want: anys("0.333333")},
		{name: "div negative k", e: call("/", dec(10, 0), col(0, dec(15, 0)), col(1, dec(15, 4))), cols: cols(dec(15, 0), anys(int64(7)), dec(15, 4), anys(int64(20000))), want: anys("4")},
		{name: "div to 128", e: call("/", dec(38, 6), col(0, dec(38, 2)), col(1, dec(38, 2))), cols: cols(dec(38, 2), anys(n128("100000000000000000000000000"), n128("1")), dec(38, 2), anys(n128("300"), n128("0"))), want: anys("333333333333333333333333.333333", nil)},
		{name: "div overflow", e: call("/", dec(5, 2), col(0, dec(10, 0)), col(1, dec(10, 0))), cols: cols(dec(10, 0), anys(int64(10000000)), dec(10, 0), anys(int64(1))), err: "DECIMAL(5,2) value is out of range"},
		{name: "div by int", e: call("/", dec(10, 4), col(0, dec(10, 2)), col(1, tI64)), cols: cols(dec(10, 2), anys(int64(100)), tI64, anys(int64(3))), want: anys("0.3333")},
		{name: "decimal mod", e: call("%", dec(5, 2), col(0, dec(5, 2)), col(1, dec(5, 1))), cols: cols(dec(5, 2), anys(int64(1050), int64(-1050), int64(1)), dec(5, 1), anys(int64(30), int64(30), int64(0))), want: anys("1.50", "-1.50", nil)},
	})
}

func TestCast(t *testing.T) {
	runCases(t, []tcase{
		{name: "int to int", e: cast(col(0, tI64), tI8), cols: cols(tI64, anys(int64(5), nil, int64(-128))), want: anys(5, nil, -128)},
		{name: "int to int overflow", e: cast(col(0, tI64), tI8), cols: cols(tI64, anys(int64(128))), err: "TINYINT value is out of range"},
		{name: "overflow under null ignored", e: cast(col(0, tI64), tI8), cols: cols(tI64, anys(nil)), want: anys(nil)},
		{name: "int to double", e: cast(col(0, tI32), tF64), cols: cols(tI32, anys(int64(5))), want: anys(5)},
		{name: "double to int rounds", e: cast(col(0, tF64), tI64), cols: cols(tF64, anys(2.5, -2.5, 2.4)), want: anys(3, -3, 2)},
		{name: "double to int overflow", e: cast(col(0, tF64), tI32), cols: cols(tF64, anys(3e9)), err: "INT value is out of range"},
		{name: "nan to int", e: cast(col(0, tF64), tI64), cols: cols(tF64, anys(math.NaN())), err: "out of range"},
		{name: "int to decimal", e: cast(col(0, tI64), dec(5, 2)), cols: cols(tI64, anys(int64(123), int64(-5))), want: anys("123.00", "-5.00")},
		{name: "int to decimal overflow", e: cast(col(0, tI64), dec(5, 2)), cols: cols(tI64, anys(int64(1000))), err: "DECIMAL(5,2) value is out of range"},
		{name: "decimal rescale down", e: cast(col(0, dec(10, 3)), dec(10, 1)), cols: cols(dec(10, 3), anys(int64(1250), int64(-1250), int64(1249))), want: anys("1.3", "-1.3", "1.2")},
		{name: "decimal rescale up", e: cast(col(0, dec(10, 1)), dec(12, 3)), cols: cols(dec(10, 1), anys(int64(15))), want: anys("1.500")},
		{name: "decimal 64 to 128", e: cast(col(0, dec(10, 2)), dec(30, 4)), cols: cols(dec(10, 2), anys(int64(-15), nil)), want: anys("-0.1500", nil)},
		{name: "decimal 128 to 64", e: cast(col(0, dec(30, 4)), dec(10, 2)), cols: cols(dec(30, 4), anys(n128("-12345"))), want: anys("-1.23")},
		{name: "decimal 128 to 64 overflow", e: cast(col(0, dec(30, 0)), dec(10, 0)), cols: cols(dec(30, 0), anys(n128("100000000000"))), err: "out of range"},
		{name: "decimal to int", e: cast(col(0, dec(10, 2)), tI64), cols: cols(dec(10, 2), anys(int64(250), int64(-250), int64(249))), want: anys(3, -3, 2)},
		{name: "decimal to double", e: cast(col(0, dec(10, 2)), tF64), cols: cols(dec(10, 2), anys(int64(250))), want: anys(2.5)},
		{name: "decimal128 to double", e: cast(col(0, dec(30, 2)), tF64), cols: cols(dec(30, 2), anys(n128("-250"))), want: anys(-2.5)},
		{name: "double to decimal", e: cast(col(0, tF64), dec(30, 2)), cols: cols(tF64, anys(1.005, -2.125, 0.1, 2.675, 1e20)), want: anys("1.01", "-2.13", "0.10", "2.68", "100000000000000000000.00")},
		{name: "double to decimal overflow", e: cast(col(0, tF64), dec(4, 2)), cols: cols(tF64, anys(100.0)), err: "out of range"},
		{name: "to string", e: cast(col(0, tI64), tStr), cols: cols(tI64, anys(int64(-42), nil)), want: anys("-42", nil)},
		{name: "decimal to string", e: cast(col(0, dec(10, 3)), tStr), cols: cols(dec(10, 3), anys(int64(-5), int64(12345))), want: anys("-0.005", "12.345")},
		{name: "decimal128 to string", e: cast(col(0, dec(30, 2)), tStr), cols: cols(dec(30, 2), anys(n128("-123456789012345678901"))), want: anys("-1234567890123456789.01")},
		{name: "date to string", e: cast(col(0, tDate), tStr), cols: cols(tDate, anys(date("1969-12-31"), date("2024-02-29"))), want: anys("1969-12-31", "2024-02-29")},
		{name: "timestamp to string", e: cast(col(0, tTS), tStr), cols: cols(tTS, anys(ts("2024-01-02 03:04:05"), ts("1960-01-02 03:04:05.000123"))), want: anys("2024-01-02 03:04:05", "1960-01-02 03:04:05.000123")},
		{name: "bool to string", e: cast(col(0, tBool), tStr), cols: cols(tBool, anys(true, false)), want: anys("true", "false")},
		{name: "double to string", e: cast(col(0, tF64), tStr), cols: cols(tF64, anys(1.5, 1e21)), want: anys("1.5", "1e+21")},
		{name: "string to int", e: cast(col(0, tStr), tI32), cols: cols(tStr, anys(" 42 ", "-7", nil)), want: anys(42, -7, nil)},
		{name: "string to int bad", e: cast(col(0, tStr), tI32), cols: cols(tStr, anys("abc")), err: "cannot cast 'abc' to INT"},
		{name: "string to int range", e: cast(col(0, tStr), tI8), cols: cols(tStr, anys("300")), err: "TINYINT value is out of range"},
		{name: "string to decimal", e: cast(col(0, tStr), dec(10, 2)), cols: cols(tStr, anys("1.005", "-3", "  2.5e1 ", ".5")), want: anys("1.01", "-3.00", "25.00", "0.50")},
		{name: "string to decimal bad", e: cast(col(0, tStr), dec(10, 2)), cols: cols(tStr, anys("1.2.3")), err: "cannot cast '1.2.3' to DECIMAL(10,2)"},
		{name: "string to decimal128", e: cast(col(0, tStr), dec(30, 2)), cols: cols(tStr, anys("123456789012345678901.239")), want: anys("123456789012345678901.24")},
		{name: "string to double", e: cast(col(0, tStr), tF64), cols: cols(tStr, anys("1.5", " -2e3")), want: anys(1.5, -2000)},
		{name: "string to double bad", e: cast(col(0, tStr), tF64), cols: cols(tStr, anys("x1")), err: "cannot cast 'x1' to DOUBLE"},
		{name: "string to date", e: cast(col(0, tStr), tDate), cols: cols(tStr, anys("2024-02-29", " 1998-9-2 ", "2024-01-01 10:00:00")), want: anys("2024-02-29", "1998-09-02", "2024-01-01")},
		{name: "string to date bad", e: cast(col(0, tStr), tDate), cols: cols(tStr, anys("abc")), err: "cannot cast 'abc' to DATE"},
		{name: "string to date invalid day", e: cast(col(0, tStr), tDate), cols: cols(tStr, anys("2023-02-29")), err: "cannot cast '2023-02-29' to DATE"},
		{name: "string to timestamp", e: cast(col(0, tStr), tTS), cols: cols(tStr, anys("2024-01-02 03:04:05.5", "2024-01-02", "2024-01-02T03:04")), want: anys("2024-01-02 03:04:05.5", "2024-01-02 00:00:00", "2024-01-02 03:04:00")},
		{name: "string to timestamp bad", e: cast(col(0, tStr), tTS), cols: cols(tStr, anys("2024-01-02 25:00:00")), err: "cannot cast '2024-01-02 25:00:00' to TIMESTAMP"},
		{name: "string to bool", e: cast(col(0, tStr), tBool), cols: cols(tStr, anys("true", "FALSE", "1", "0")), want: anys(true, false, true, false)},
		{name: "string to bool bad", e: cast(col(0, tStr), tBool), cols: cols(tStr, anys("maybe")), err: "cannot cast 'maybe' to BOOLEAN"},
		{name: "date to timestamp", e: cast(col(0, tDate), tTS), cols: cols(tDate, anys(date("2024-03-01"))), want: anys("2024-03-01 00:00:00")},
		{name: "timestamp to date", e: cast(col(0, tTS), tDate), cols: cols(tTS, anys(ts("1969-12-31 23:00:00"), ts("2024-03-01 13:00:00"))), want: anys("1969-12-31", "2024-03-01")},
		{name: "bool to int", e: cast(col(0, tBool), tI64), cols: cols(tBool, anys(true, false, nil)), want: anys(1, 0, nil)},
		{name: "int to bool", e: cast(col(0, tI64), tBool), cols: cols(tI64, anys(int64(2), int64(0))), want: anys(true, false)},
		{name: "null to int", e: cast(null(tNull), tI64), cols: cols(tI64, anys(int64(1))), want: anys(nil)},
		{name: "same type", e: cast(col(0, tI64), tI64), cols: cols(tI64, anys(int64(1))), want: anys(1)},
		{name: "constant folded", e: cast(lit("12", tStr), tI64), cols: cols(tI64, anys(int64(1), int64(2))), want: anys(12, 12)},
		{name: "constant folded error", e: cast(lit("x", tStr), tI64), cols: cols(tI64, anys(int64(1))), err: "cannot cast 'x' to BIGINT"},
		{name: "unsupported", e: cast(col(0, tDate), tI64), cols: cols(tDate, anys(int32(1))), err: "cannot cast DATE to BIGINT"},
	})
}

func TestConditionals(t *testing.T) {
	x := cols(tI64, anys(int64(1), int64(2), int64(3), nil, int64(0)))
	c := col(0, tI64)
	gt := func(v int64) expr.Expr { return call(">", tBool, c, lit(v, tI64)) }
	runCases(t, []tcase{
		{name: "case", e: &expr.Case{Whens: []expr.When{{Cond: gt(2), Then: lit("big", tStr)}, {Cond: gt(0), Then: lit("small", tStr)}}, Else: lit("other", tStr), T: tStr}, cols: x, want: anys("small", "small", "big", "other", "other")},
		{name: "case no else", e: &expr.Case{Whens: []expr.When{{Cond: gt(1), Then: c}}, T: tI64}, cols: x, want: anys(nil, 2, 3, nil, nil)},
		{name: "case all take first", e: &expr.Case{Whens: []expr.When{{Cond: lit(true, tBool), Then: c}}, Else: lit(int64(9), tI64), T: tI64}, cols: x, want: anys(1, 2, 3, nil, 0)},
		{name: "case null cond", e: &expr.Case{Whens: []expr.When{{Cond: null(tBool), Then: c}}, Else: lit(int64(9), tI64), T: tI64}, cols: x, want: anys(9, 9, 9, 9, 9)},
		// lazy: the division by a column that would overflow is only
		// evaluated where it is safe
		{name: "case lazy error", e: &expr.Case{Whens: []expr.When{{Cond: call("=", tBool, c, lit(int64(3), tI64)), Then: call("*", tI64, c, lit(int64(math.MaxInt64/2), tI64))}}, Else: c, T: tI64}, cols: cols(tI64, anys(int64(1), int64(3))), err: "out of range"},
		{name: "case lazy no error", e: &expr.Case{Whens: []expr.When{{Cond: call("<", tBool, c, lit(int64(2), tI64)), Then: call("*", tI64, c, lit(int64(math.MaxInt64/2), tI64))}}, Else: c, T: tI64}, cols: cols(tI64, anys(int64(1), int64(3), nil)), want: anys(int64(math.MaxInt64/2), 3, nil)},
		{name: "case lazy cast", e: &expr.Case{Whens: []expr.When{{Cond: call("<>", tBool, col(0, tStr), lit("x", tStr)), Then: cast(col(0, tStr), tI64)}}, T: tI64}, cols: cols(tStr, anys("1", "x", "3")), want: anys(1, nil, 3)},
		{name: "case decimal128", e: &expr.Case{Whens: []expr.When{{Cond: gt(1), Then: lit(n128("100000000000000000000"), dec(30, 0))}}, Else: null(tNull), T: dec(30, 0)}, cols: x, want: anys(nil, "100000000000000000000", "100000000000000000000", nil, nil)},
		{name: "case bool", e: &expr.Case{Whens: []expr.When{{Cond: gt(1), Then: lit(true, tBool)}}, Else: lit(false, tBool), T: tBool}, cols: x, want: anys(false, true, true, false, false)},
		{name: "if", e: call("if", tStr, gt(1), lit("y", tStr), lit("n", tStr)), cols: x, want: anys("n", "y", "y", "n", "n")},
		{name: "coalesce", e: call("coalesce", tI64, col(0, tI64), col(1, tI64), lit(int64(-1), tI64)), cols: cols(tI64, anys(int64(1), nil, nil), tI64, anys(int64(5), int64(6), nil)), want: anys(1, 6, -1)},
		{name: "coalesce strings", e: call("coalesce", tStr, col(0, tStr), col(1, tStr)), cols: cols(tStr, anys("a", nil, nil), tStr, anys("b", "c", nil)), want: anys("a", "c", nil)},
		{name: "coalesce lazy", e: call("coalesce", tI64, col(0, tI64), cast(col(1, tStr), tI64)), cols: cols(tI64, anys(int64(1), nil), tStr, anys("bad", "7")), want: anys(1, 7)},
		{name: "coalesce null first", e: call("coalesce", tI64, null(tNull), col(0, tI64)), cols: cols(tI64, anys(int64(1), nil)), want: anys(1, nil)},
		{name: "nullif", e: call("nullif", tI64, col(0, tI64), lit(int64(2), tI64)), cols: x, want: anys(1, nil, 3, nil, 0)},
		{name: "nullif strings", e: call("nullif", tStr, col(0, tStr), col(1, tStr)), cols: cols(tStr, anys("a", "b", nil), tStr, anys("a", "c", "d")), want: anys(nil, "b", nil)},
	})
}

func TestInList(t *testing.T) {
	s := cols(tStr, anys("a", "b", "z", nil))
	ints := cols(tI32, anys(int64(1), int64(5), int64(9), nil))
	strList := func(vals ...any) []expr.Expr {
		var out []expr.Expr
		for _, v := range vals {
			if v == nil {
				out = append(out, null(tStr))
			} else {
				out = append(out, lit(v, tStr))
			}
		}
		return out
	}
	intList := func(vals ...any) []expr.Expr {
		var out []expr.Expr
		for _, v := range vals {
			if v == nil {
				out = append(out, null(tI32))
			} else {
				out = append(out, lit(v, tI32))
			}
		}
		return out
	}
	many := make([]any, 0, 20)
	for i := int64(0); i < 20; i++ {
		many = append(many, i*2+1) // odd numbers 1..39
	}
	runCases(t, []tcase{
		{name: "strings", e: &expr.InList{E: col(0, tStr), List: strList("a", "z")}, cols: s, want: anys(true, false, true, nil)},
		{name: "strings not", e: &expr.InList{E: col(0, tStr), List: strList("a", "z"), Negated: true}, cols: s, want: anys(false, true, false, nil)},
		{name: "strings with null", e: &expr.InList{E: col(0, tStr), List: strList("a", nil)}, cols: s, want: anys(true, nil, nil, nil)},
		{name: "not in with null", e: &expr.InList{E: col(0, tStr), List: strList("a", nil), Negated: true}, cols: s, want: anys(false, nil, nil, nil)},
		{name: "ints", e: &expr.InList{E: col(0, tI32), List: intList(int64(5), int64(1))}, cols: ints, want: anys(true, true, false, nil)},
		{name: "ints hash", e: &expr.InList{E: col(0, tI32), List: intList(many...)}, cols: ints, want: anys(true, true, true, nil)},
		{name: "ints hash not", e: &expr.InList{E: col(0, tI32), List: intList(many...), Negated: true}, cols: cols(tI32, anys(int64(2), int64(3))), want: anys(true, false)},
		{name: "strings hash", e: &expr.InList{E: col(0, tStr), List: strList("a", "c", "d", "e", "f", "g", "h", "i", "j", "k")}, cols: s, want: anys(true, false, false, nil)},
		{name: "non-constant items", e: &expr.InList{E: col(0, tI64), List: []expr.Expr{col(1, tI64), lit(int64(9), tI64)}}, cols: cols(tI64, anys(int64(1), int64(9), int64(3), int64(4)), tI64, anys(int64(1), int64(0), nil, int64(5))), want: anys(true, true, nil, false)},
		{name: "dates", e: &expr.InList{E: col(0, tDate), List: []expr.Expr{lit(date("2024-01-01"), tDate)}}, cols: cols(tDate, anys(date("2024-01-01"), date("2024-01-02"))), want: anys(true, false)},
		{name: "decimal", e: &expr.InList{E: col(0, dec(10, 2)), List: []expr.Expr{lit(int64(150), dec(10, 2))}}, cols: cols(dec(10, 2), anys(int64(150), int64(15))), want: anys(true, false)},
		{name: "decimal128", e: &expr.InList{E: col(0, dec(30, 2)), List: []expr.Expr{lit(n128("150"), dec(30, 2))}}, cols: cols(dec(30, 2), anys(n128("150"), n128("15"))), want: anys(true, false)},
		{name: "floats", e: &expr.InList{E: col(0, tF64), List: []expr.Expr{lit(1.5, tF64)}}, cols: cols(tF64, anys(1.5, 2.5)), want: anys(true, false)},
		{name: "computed input", e: &expr.InList{E: call("+", tI64, col(0, tI64), lit(int64(1), tI64)), List: []expr.Expr{lit(int64(2), tI64)}}, cols: cols(tI64, anys(int64(1), int64(2))), want: anys(true, false)},
		{name: "int8 out of range item", e: &expr.InList{E: col(0, tI8), List: []expr.Expr{lit(int64(300), tI8), lit(int64(1), tI8)}}, cols: cols(tI8, anys(int64(44), int64(1))), want: anys(false, true)},
	})
}

func TestLike(t *testing.T) {
	s := cols(tStr, anys("forest green", "green", "Green", "greenish", "", nil, "xgreeny", "héllo", "a%b", "a_b", "axb"))
	like := func(p string) expr.Expr { return call("like", tBool, col(0, tStr), lit(p, tStr)) }
	runCases(t, []tcase{
		{name: "contains", e: like("%green%"), cols: s, want: anys(true, true, false, true, false, nil, true, false, false, false, false)},
		{name: "prefix", e: like("green%"), cols: s, want: anys(false, true, false, true, false, nil, false, false, false, false, false)},
		{name: "suffix", e: like("%green"), cols: s, want: anys(true, true, false, false, false, nil, false, false, false, false, false)},
		{name: "exact", e: like("green"), cols: s, want: anys(false, true, false, false, false, nil, false, false, false, false, false)},
		{name: "any", e: like("%"), cols: s, want: anys(true, true, true, true, true, nil, true, true, true, true, true)},
		{name: "prefix suffix", e: like("g%n"), cols: s, want: anys(false, true, false, false, false, nil, false, false, false, false, false)},
		{name: "underscore", e: like("_reen"), cols: s, want: anys(false, true, true, false, false, nil, false, false, false, false, false)},
		{name: "underscore utf8", e: like("h_llo"), cols: s, want: anys(false, false, false, false, false, nil, false, true, false, false, false)},
		{name: "general", e: like("%e_n%h"), cols: s, want: anys(false, false, false, true, false, nil, false, false, false, false, false)},
		{name: "multi segment", e: like("f%r%g%n"), cols: s, want: anys(true, false, false, false, false, nil, false, false, false, false, false)},
		{name: "escaped percent", e: like(`a\%b`), cols: s, want: anys(false, false, false, false, false, nil, false, false, true, false, false)},
		{name: "escaped underscore", e: like(`a\_b`), cols: s, want: anys(false, false, false, false, false, nil, false, false, false, true, false)},
		{name: "unescaped underscore", e: like(`a_b`), cols: s, want: anys(false, false, false, false, false, nil, false, false, true, true, true)},
		{name: "custom escape", e: call("like", tBool, col(0, tStr), lit("a!%b", tStr), lit("!", tStr)), cols: s, want: anys(false, false, false, false, false, nil, false, false, true, false, false)},
		{name: "not like", e: call("not_like", tBool, col(0, tStr), lit("%green%", tStr)), cols: s, want: anys(false, false, true, false, true, nil, false, true, true, true, true)},
		{name: "empty pattern", e: like(""), cols: s, want: anys(false, false, false, false, true, nil, false, false, false, false, false)},
		{name: "pattern column", e: call("like", tBool, col(0, tStr), col(1, tStr)), cols: cols(tStr, anys("abc", "abc", "abc", nil), tStr, anys("a%", "b%", nil, "%")), want: anys(true, false, nil, nil)},
		{name: "null pattern", e: like2(null(tStr)), cols: s, want: anys(nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil)},
		{name: "backtracking", e: like("%ab%abc"), cols: cols(tStr, anys("ababc", "abab", "xabyabcabc")), want: anys(true, false, true)},
	})
}

func like2(p expr.Expr) expr.Expr { return call("like", tBool, col(0, tStr), p) }

func TestDates(t *testing.T) {
	d := cols(tDate, anys(date("2024-01-31"), date("1969-12-31"), nil, date("2023-03-15"), date("2000-02-29")))
	ex := func(f string) expr.Expr { return call("extract_"+f, tI64, col(0, tDate)) }
	tsc := cols(tTS, anys(ts("2024-01-31 13:45:59.123456"), ts("1969-12-31 23:59:59"), nil))
	exT := func(f string) expr.Expr { return call("extract_"+f, tI64, col(0, tTS)) }
	add := func(n int64, unit string) expr.Expr {
		return call("date_add", tDate, col(0, tDate), lit(n, tI64), lit(unit, tStr))
	}
	runCases(t, []tcase{
		{name: "year", e: ex("year"), cols: d, want: anys(2024, 1969, nil, 2023, 2000)},
		{name: "month", e: ex("month"), cols: d, want: anys(1, 12, nil, 3, 2)},
		{name: "day", e: ex("day"), cols: d, want: anys(31, 31, nil, 15, 29)},
		{name: "quarter", e: ex("quarter"), cols: d, want: anys(1, 4, nil, 1, 1)},
		{name: "dow (0=Sunday)", e: ex("dow"), cols: d, want: anys(3, 3, nil, 3, 2)},
		{name: "doy", e: ex("doy"), cols: d, want: anys(31, 365, nil, 74, 60)},
		{name: "week (ISO)", e: ex("week"), cols: d, want: anys(5, 1, nil, 11, 9)},
		{name: "year as INT", e: call("extract_year", tI32, col(0, tDate)), cols: d, want: anys(2024, 1969, nil, 2023, 2000)},
		{name: "ts year", e: exT("year"), cols: tsc, want: anys(2024, 1969, nil)},
		{name: "ts hour", e: exT("hour"), cols: tsc, want: anys(13, 23, nil)},
		{name: "ts minute", e: exT("minute"), cols: tsc, want: anys(45, 59, nil)},
		{name: "ts second", e: exT("second"), cols: tsc, want: anys(59, 59, nil)},
		{name: "ts day", e: exT("day"), cols: tsc, want: anys(31, 31, nil)},
		{name: "add days", e: add(1, "day"), cols: d, want: anys("2024-02-01", "1970-01-01", nil, "2023-03-16", "2000-03-01")},
		{name: "add weeks", e: add(-2, "week"), cols: d, want: anys("2024-01-17", "1969-12-17", nil, "2023-03-01", "2000-02-15")},
		{name: "add month clamps", e: add(1, "month"), cols: d, want: anys("2024-02-29", "1970-01-31", nil, "2023-04-15", "2000-03-29")},
		{name: "add quarter", e: add(-1, "quarter"), cols: d, want: anys("2023-10-31", "1969-09-30", nil, "2022-12-15", "1999-11-29")},
		{name: "add year clamps", e: add(1, "year"), cols: d, want: anys("2025-01-31", "1970-12-31", nil, "2024-03-15", "2001-02-28")},
		{name: "add year column amount", e: call("date_add", tDate, col(0, tDate), col(1, tI64), lit("year", tStr)), cols: cols(tDate, anys(date("2024-02-29"), date("2024-02-29")), tI64, anys(int64(4), nil)), want: anys("2028-02-29", nil)},
		{name: "ts add hours", e: call("date_add", tTS, col(0, tTS), lit(int64(11), tI64), lit("hour", tStr)), cols: tsc, want: anys("2024-02-01 00:45:59.123456", "1970-01-01 10:59:59", nil)},
		{name: "ts add month", e: call("date_add", tTS, col(0, tTS), lit(int64(1), tI64), lit("month", tStr)), cols: tsc, want: anys("2024-02-29 13:45:59.123456", "1970-01-31 23:59:59", nil)},
		{name: "date add hours to ts", e: call("date_add", tTS, col(0, tDate), lit(int64(36), tI64), lit("hour", tStr)), cols: cols(tDate, anys(date("2024-01-01"))), want: anys("2024-01-02 12:00:00")},
		{name: "bad unit", e: call("date_add", tDate, col(0, tDate), lit(int64(1), tI64), lit("fortnight", tStr)), cols: d, err: "unknown unit"},
		{name: "datediff", e: call("datediff", tI64, col(0, tDate), col(1, tDate)), cols: cols(tDate, anys(date("2024-03-01"), nil), tDate, anys(date("2024-02-01"), date("2024-01-01"))), want: anys(29, nil)},
		{name: "date_trunc month", e: call("date_trunc", tDate, lit("month", tStr), col(0, tDate)), cols: d, want: anys("2024-01-01", "1969-12-01", nil, "2023-03-01", "2000-02-01")},
		{name: "date_trunc year", e: call("date_trunc", tDate, lit("year", tStr), col(0, tDate)), cols: d, want: anys("2024-01-01", "1969-01-01", nil, "2023-01-01", "2000-01-01")},
		{name: "date_trunc quarter", e: call("date_trunc", tDate, lit("quarter", tStr), col(0, tDate)), cols: d, want: anys("2024-01-01", "1969-10-01", nil, "2023-01-01", "2000-01-01")},
		{name: "date_trunc week", e: call("date_trunc", tDate, lit("week", tStr), col(0, tDate)), cols: d, want: anys("2024-01-29", "1969-12-29", nil, "2023-03-13", "2000-02-28")},
		{name: "date_trunc ts hour", e: call("date_trunc", tTS, lit("hour", tStr), col(0, tTS)), cols: tsc, want: anys("2024-01-31 13:00:00", "1969-12-31 23:00:00", nil)},
		{name: "date_trunc ts day", e: call("date_trunc", tTS, lit("day", tStr), col(0, tTS)), cols: tsc, want: anys("2024-01-31 00:00:00", "1969-12-31 00:00:00", nil)},
		{name: "date compare after add", e: call("<", tBool, col(0, tDate), call("date_add", tDate, lit(date("1994-01-01"), tDate), lit(int64(1), tI64), lit("year", tStr))), cols: cols(tDate, anys(date("1994-12-31"), date("1995-01-01"))), want: anys(true, false)},
	})
}

func TestCivilTables(t *testing.T) {
	for days := int64(-200000); days < 200000; days += 7 {
		y1, m1, d1 := civil(days)
		y2, m2, d2 := fastCivil(days)
		if y1 != y2 || m1 != m2 || d1 != d2 || fastYear(days) != y1 {
			t.Fatalf("days %d: civil %d-%d-%d fast %d-%d-%d year %d", days, y1, m1, d1, y2, m2, d2, fastYear(days))
		}
		if daysFromCivil(y1, m1, d1) != days {
			t.Fatalf("days %d: round trip gives %d", days, daysFromCivil(y1, m1, d1))
		}
	}
}

func TestNow(t *testing.T) {
	mem := newMem(t)
	b := buildBatch(t, mem, cols(tI64, anys(int64(1))), false)
	defer b.Release()
	env := &Env{Mem: mem}
	got := evalStrings(t, env, call("<", tBool, call("current_date", tDate), lit(date("2000-01-01"), tDate)), b)
	if got != "false" {
		t.Fatal(got)
	}
	got = evalStrings(t, env, call(">", tBool, call("now", tTS), lit(ts("2000-01-01 00:00:00"), tTS)), b)
	if got != "true" {
		t.Fatal(got)
	}
}

func TestStrings(t *testing.T) {
	s := cols(tStr, anys("Hello", "", nil, "héllo wörld"))
	f := func(fn string, args ...expr.Expr) expr.Expr {
		return call(fn, tStr, append([]expr.Expr{col(0, tStr)}, args...)...)
	}
	i := func(v int64) expr.Expr { return lit(v, tI64) }
	str := func(v string) expr.Expr { return lit(v, tStr) }
	runCases(t, []tcase{
		{name: "concat", e: f("concat", str("!"), col(0, tStr)), cols: s, want: anys("Hello!Hello", "!", nil, "héllo wörld!héllo wörld")},
		{name: "concat null literal", e: f("concat", null(tStr)), cols: s, want: anys(nil, nil, nil, nil)},
		{name: "concat number", e: call("concat", tStr, col(0, tStr), lit(int64(5), tI64)), cols: s, want: anys("Hello5", "5", nil, "héllo wörld5")},
		{name: "substring", e: f("substring", i(2), i(3)), cols: s, want: anys("ell", "", nil, "éll")},
		{name: "substring no len", e: f("substring", i(3)), cols: s, want: anys("llo", "", nil, "llo wörld")},
		{name: "substring negative", e: f("substring", i(-3)), cols: s, want: anys("llo", "", nil, "rld")},
		{name: "substring negative len", e: f("substring", i(-5), i(2)), cols: s, want: anys("He", "", nil, "wö")},
		{name: "substring zero", e: f("substring", i(0)), cols: s, want: anys("", "", nil, "")},
		{name: "substring beyond", e: f("substring", i(10), i(2)), cols: s, want: anys("", "", nil, "ld")},
		{name: "substring neg length", e: f("substring", i(1), i(-1)), cols: s, want: anys("", "", nil, "")},
		{name: "substring null start", e: f("substring", null(tI64)), cols: s, want: anys(nil, nil, nil, nil)},
		{name: "upper", e: f("upper"), cols: s, want: anys("HELLO", "", nil, "HÉLLO WÖRLD")},
		{name: "lower", e: f("lower"), cols: s, want: anys("hello", "", nil, "héllo wörld")},
		{name: "trim", e: call("trim", tStr, col(0, tStr)), cols: cols(tStr, anys("  a b  ", "x")), want: anys("a b", "x")},
		{name: "ltrim", e: call("ltrim", tStr, col(0, tStr)), cols: cols(tStr, anys("  a b  ")), want: anys("a b  ")},
		{name: "rtrim", e: call("rtrim", tStr, col(0, tStr)), cols: cols(tStr, anys("  a b  ")), want: anys("  a b")},
		{name: "trim chars", e: call("trim", tStr, col(0, tStr), str("xy")), cols: cols(tStr, anys("xyxyaxyx")), want: anys("axyx")},
		{name: "length bytes", e: call("length", tI64, col(0, tStr)), cols: s, want: anys(5, 0, nil, 13)},
		{name: "char_length", e: call("char_length", tI64, col(0, tStr)), cols: s, want: anys(5, 0, nil, 11)},
		{name: "replace", e: f("replace", str("l"), str("L")), cols: s, want: anys("HeLLo", "", nil, "héLLo wörLd")},
		{name: "replace empty", e: f("replace", str(""), str("L")), cols: s, want: anys("Hello", "", nil, "héllo wörld")},
		{name: "position", e: call("position", tI64, str("l"), col(0, tStr)), cols: s, want: anys(3, 0, nil, 3)},
		{name: "position utf8", e: call("position", tI64, str("w"), col(0, tStr)), cols: s, want: anys(0, 0, nil, 7)},
		{name: "left", e: f("left", i(2)), cols: s, want: anys("He", "", nil, "hé")},
		{name: "left negative", e: f("left", i(-1)), cols: s, want: anys("", "", nil, "")},
		{name: "right", e: f("right", i(3)), cols: s, want: anys("llo", "", nil, "rld")},
		{name: "right long", e: f("right", i(30)), cols: s, want: anys("Hello", "", nil, "héllo wörld")},
		{name: "lpad", e: f("lpad", i(8), str("ab")), cols: s, want: anys("abaHello", "abababab", nil, "héllo wö")},
		{name: "rpad", e: f("rpad", i(7), str("é")), cols: s, want: anys("Helloéé", "ééééééé", nil, "héllo w")},
		{name: "lpad empty pad", e: f("lpad", i(8), str("")), cols: s, want: anys(nil, nil, nil, "héllo wö")},
		{name: "lpad negative", e: f("lpad", i(-1), str("x")), cols: s, want: anys(nil, nil, nil, nil)},
		{name: "reverse", e: f("reverse"), cols: s, want: anys("olleH", "", nil, "dlröw olléh")},
		{name: "starts_with", e: call("starts_with", tBool, col(0, tStr), str("He")), cols: s, want: anys(true, false, nil, false)},
		{name: "string column args", e: call("concat", tStr, col(0, tStr), col(1, tStr)), cols: cols(tStr, anys("a", "b", nil), tStr, anys("x", nil, "z")), want: anys("ax", nil, nil)},
	})
}

func TestMath(t *testing.T) {
	fl := cols(tF64, anys(2.5, -2.5, nil, 4.0, 0.0))
	runCases(t, []tcase{
		{name: "abs float", e: call("abs", tF64, col(0, tF64)), cols: fl, want: anys(2.5, 2.5, nil, 4, 0)},
		{name: "abs int", e: call("abs", tI64, col(0, tI64)), cols: cols(tI64, anys(int64(-3), int64(3), nil)), want: anys(3, 3, nil)},
		{name: "abs int overflow", e: call("abs", tI64, col(0, tI64)), cols: cols(tI64, anys(int64(math.MinInt64))), err: "out of range"},
		{name: "abs decimal", e: call("abs", dec(10, 2), col(0, dec(10, 2))), cols: cols(dec(10, 2), anys(int64(-150), nil)), want: anys("1.50", nil)},
		{name: "abs decimal128", e: call("abs", dec(30, 2), col(0, dec(30, 2))), cols: cols(dec(30, 2), anys(n128("-100000000000000000000"))), want: anys("1000000000000000000.00")},
		{name: "round float", e: call("round", tF64, col(0, tF64)), cols: fl, want: anys(3, -3, nil, 4, 0)},
		{name: "round float digits", e: call("round", tF64, col(0, tF64), lit(int64(1), tI64)), cols: cols(tF64, anys(1.25, -1.35, 123.456)), want: anys(1.3, -1.4, 123.5)},
		{name: "round float neg digits", e: call("round", tF64, col(0, tF64), lit(int64(-1), tI64)), cols: cols(tF64, anys(125.0)), want: anys(130)},
		{name: "round decimal", e: call("round", dec(10, 1), col(0, dec(10, 3)), lit(int64(1), tI64)), cols: cols(dec(10, 3), anys(int64(1250), int64(-1250), int64(1249), nil)), want: anys("1.3", "-1.3", "1.2", nil)},
		{name: "round decimal keep scale", e: call("round", dec(10, 3), col(0, dec(10, 3)), lit(int64(1), tI64)), cols: cols(dec(10, 3), anys(int64(1250))), want: anys("1.300")},
		{name: "round decimal default", e: call("round", dec(10, 0), col(0, dec(10, 2))), cols: cols(dec(10, 2), anys(int64(250), int64(-249))), want: anys("3", "-2")},
		{name: "round decimal neg digits", e: call("round", dec(10, 0), col(0, dec(10, 2)), lit(int64(-1), tI64)), cols: cols(dec(10, 2), anys(int64(1550))), want: anys("20")},
		{name: "round int neg digits", e: call("round", tI64, col(0, tI64), lit(int64(-2), tI64)), cols: cols(tI64, anys(int64(1250), int64(-1250), int64(1249))), want: anys(1300, -1300, 1200)},
		{name: "floor", e: call("floor", tF64, col(0, tF64)), cols: fl, want: anys(2, -3, nil, 4, 0)},
		{name: "ceil", e: call("ceil", tF64, col(0, tF64)), cols: fl, want: anys(3, -2, nil, 4, 0)},
		{name: "floor decimal", e: call("floor", dec(10, 0), col(0, dec(10, 2))), cols: cols(dec(10, 2), anys(int64(250), int64(-250), int64(-200))), want: anys("2", "-3", "-2")},
		{name: "ceil decimal", e: call("ceil", dec(10, 0), col(0, dec(10, 2))), cols: cols(dec(10, 2), anys(int64(250), int64(-250), int64(200))), want: anys("3", "-2", "2")},
		{name: "floor to bigint", e: call("floor", tI64, col(0, dec(10, 2))), cols: cols(dec(10, 2), anys(int64(-250))), want: anys(-3)},
		{name: "sqrt", e: call("sqrt", tF64, col(0, tF64)), cols: fl, want: anys(math.Sqrt(2.5), nil, nil, 2, 0)},
		{name: "sqrt of int", e: call("sqrt", tF64, col(0, tI64)), cols: cols(tI64, anys(int64(9))), want: anys(3)},
		{name: "ln", e: call("ln", tF64, col(0, tF64)), cols: fl, want: anys(math.Log(2.5), nil, nil, math.Log(4), nil)},
		{name: "log10", e: call("log10", tF64, col(0, tF64)), cols: cols(tF64, anys(1000.0, -1.0)), want: anys(3, nil)},
		{name: "exp", e: call("exp", tF64, col(0, tF64)), cols: cols(tF64, anys(0.0, 1.0)), want: anys(1, math.E)},
		{name: "exp overflow", e: call("exp", tF64, col(0, tF64)), cols: cols(tF64, anys(1000.0)), err: "out of range"},
		{name: "power", e: call("power", tF64, col(0, tF64), lit(2.0, tF64)), cols: fl, want: anys(6.25, 6.25, nil, 16, 0)},
		{name: "power overflow", e: call("power", tF64, col(0, tF64), lit(1000.0, tF64)), cols: cols(tF64, anys(10.0)), err: "out of range"},
		{name: "power domain", e: call("power", tF64, col(0, tF64), lit(0.5, tF64)), cols: cols(tF64, anys(-4.0)), want: anys(nil)},
		{name: "sign", e: call("sign", tI64, col(0, tF64)), cols: fl, want: anys(1, -1, nil, 1, 0)},
		{name: "sign decimal", e: call("sign", tI64, col(0, dec(10, 2))), cols: cols(dec(10, 2), anys(int64(-5), int64(0))), want: anys(-1, 0)},
		{name: "greatest", e: call("greatest", tI64, col(0, tI64), col(1, tI64), lit(int64(3), tI64)), cols: cols(tI64, anys(int64(1), int64(5), nil), tI64, anys(int64(4), int64(2), int64(1))), want: anys(4, 5, nil)},
		{name: "least", e: call("least", tStr, col(0, tStr), col(1, tStr)), cols: cols(tStr, anys("b", "a"), tStr, anys("a", "b")), want: anys("a", "a")},
		{name: "least decimal128", e: call("least", dec(30, 0), col(0, dec(30, 0)), col(1, dec(30, 0))), cols: cols(dec(30, 0), anys(n128("-100000000000000000000")), dec(30, 0), anys(n128("5"))), want: anys("-100000000000000000000")},
		{name: "greatest float", e: call("greatest", tF64, col(0, tF64), lit(1.0, tF64)), cols: fl, want: anys(2.5, 1, nil, 4, 1)},
		{name: "greatest dates", e: call("greatest", tDate, col(0, tDate), lit(date("2000-01-01"), tDate)), cols: cols(tDate, anys(date("1999-01-01"), date("2001-01-01"))), want: anys("2000-01-01", "2001-01-01")},
	})
}

func TestUnknownFunction(t *testing.T) {
	_, err := Compile(call("frobnicate", tI64, col(0, tI64)), &Env{})
	if err == nil {
		t.Fatal("expected error")
	}
	_, err = CompilePredicate(col(0, tI64), &Env{})
	if err == nil {
		t.Fatal("expected error for non-boolean predicate")
	}
}
