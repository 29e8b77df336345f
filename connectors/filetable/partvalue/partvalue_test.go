package partvalue

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
)

func TestParse(t *testing.T) {
	dec := func(s string) arrow.DataType {
		dt, err := types.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return dt
	}
	tests := []struct {
		text string
		dt   arrow.DataType
		want any
		ok   bool
	}{
		{"eu", types.String, "eu", true},
		{catalog.HiveDefaultPartition, types.Int64, nil, true},
		{catalog.HiveDefaultPartition, types.String, nil, true},
		{" 42", types.Int32, int64(42), true},
		{"07", types.Int32, int64(7), true},
		{"300", types.Int8, nil, false},
		{"x", types.Int64, nil, false},
		{"2024-06-01", types.Date, int32(19875), true},
		{"2024-6-1", types.Date, int32(19875), true},
		{"1969-12-31", types.Date, int32(-1), true},
		{"2024-02-30", types.Date, nil, false},
		{"2024-06-01x", types.Date, nil, false},
		{"2024/06/01", types.Date, nil, false},
		{"1970-01-01 00:00:01", types.Timestamp, int64(1_000_000), true},
		{"12.34", dec("decimal(10,2)"), int64(1234), true},
		{"1.5", dec("decimal(30,3)"), decimal128.FromI64(1500), true},
		{"true", types.Boolean, true, true},
		{"2.5", types.Float64, 2.5, true},
	}
	for _, tc := range tests {
		got, err := Parse(tc.text, tc.dt)
		if (err == nil) != tc.ok {
			t.Fatalf("%q as %s: err %v", tc.text, tc.dt, err)
		}
		if tc.ok && got != tc.want {
			t.Fatalf("%q as %s: got %#v want %#v", tc.text, tc.dt, got, tc.want)
		}
	}
	if Supported(arrow.ListOf(types.Int64)) || !Supported(types.Date) {
		t.Fatal("Supported")
	}
}

func TestLiteralRoundTrip(t *testing.T) {
	d128 := &arrow.Decimal128Type{Precision: 30, Scale: 3}
	d64 := &arrow.Decimal64Type{Precision: 10, Scale: 2}
	tests := []struct {
		v    any
		dt   arrow.DataType
		text string
	}{
		{"it's", arrow.BinaryTypes.String, "'it''s'"},
		{"", arrow.BinaryTypes.String, "''"},
		{catalog.HiveDefaultPartition, arrow.BinaryTypes.String, "'" + catalog.HiveDefaultPartition + "'"},
		{int64(-42), arrow.PrimitiveTypes.Int64, "-42"},
		{int64(7), arrow.PrimitiveTypes.Int32, "7"},
		{1.5, arrow.PrimitiveTypes.Float64, "1.5"},
		{-1e300, arrow.PrimitiveTypes.Float64, "-1e+300"},
		{true, arrow.FixedWidthTypes.Boolean, "true"},
		{int32(19875), arrow.FixedWidthTypes.Date32, "DATE '2024-06-01'"},
		{int64(1717243200000000), types.Timestamp, "TIMESTAMP '2024-06-01 12:00:00'"},
		{int64(1717243200000001), types.Timestamp, "TIMESTAMP '2024-06-01 12:00:00.000001'"},
		{int64(-1234), d64, "-12.34"},
		{int64(5), d64, "0.05"},
		{decimal128.FromI64(123456789), d128, "123456.789"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			if got := FormatLiteral(tc.v, tc.dt); got != tc.text {
				t.Fatalf("FormatLiteral(%v) = %s, want %s", tc.v, got, tc.text)
			}
			back, err := ParseLiteral(tc.text, tc.dt)
			if err != nil {
				t.Fatal(err)
			}
			if back != tc.v {
				t.Fatalf("ParseLiteral(%s) = %#v, want %#v", tc.text, back, tc.v)
			}
		})
	}
	for _, bad := range []struct {
		text string
		dt   arrow.DataType
	}{{"abc", arrow.BinaryTypes.String}, {"x1", arrow.PrimitiveTypes.Int64}, {"'" + catalog.HiveDefaultPartition + "'", arrow.PrimitiveTypes.Int64}} {
		if v, err := ParseLiteral(bad.text, bad.dt); err == nil {
			t.Errorf("ParseLiteral(%s, %s) = %v, want an error", bad.text, bad.dt, v)
		}
	}
	if v, err := ParseLiteral("", arrow.PrimitiveTypes.Int64); v != nil || err != nil {
		t.Errorf("empty text: %v %v", v, err)
	}
}
