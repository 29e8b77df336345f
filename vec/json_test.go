package vec

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestAppendJSON(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	cases := []struct {
		dt   arrow.DataType
		js   string
		want []string
	}{
		{arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}),
			`[{"a":1,"b":"x\"y\n"}, null, {"a":null,"b":"é"}]`, []string{`{"a":1,"b":"x\"y\n"}`, `null`, `{"a":null,"b":"é"}`}},
		{arrow.ListOf(arrow.PrimitiveTypes.Float64), `[[1.5, null], [], null]`, []string{`[1.5,null]`, `[]`, `null`}},
		{arrow.MapOf(arrow.PrimitiveTypes.Int64, arrow.ListOf(arrow.BinaryTypes.String)), `[[{"key":1,"value":["a"]},{"key":2,"value":null}], []]`,
			[]string{`{"1":["a"],"2":null}`, `{}`}},
		{arrow.ListOf(&arrow.Decimal64Type{Precision: 5, Scale: 2}), `[["-0.05","12.30"]]`, []string{`[-0.05,12.30]`}},
		{arrow.ListOf(arrow.FixedWidthTypes.Date32), `[[19000]]`, []string{`["2022-01-08"]`}},
		{arrow.ListOf(arrow.FixedWidthTypes.Boolean), `[[true,false]]`, []string{`[true,false]`}},
	}
	for _, c := range cases {
		a, _, err := array.FromJSON(mem, c.dt, strings.NewReader(c.js))
		if err != nil {
			t.Fatalf("%s: %v", c.dt, err)
		}
		for i, w := range c.want {
			if got := JSONText(a, i); got != w {
				t.Errorf("%s row %d: got %s, want %s", c.dt, i, got, w)
			}
		}
		// a slice reads the right rows (offsets applied)
		if a.Len() > 1 {
			s := array.NewSlice(a, 1, int64(a.Len()))
			if got := JSONText(s, 0); got != c.want[1] {
				t.Errorf("%s slice: got %s, want %s", c.dt, got, c.want[1])
			}
			if v, ok := Value(s, 0).(string); a.IsValid(1) && (!ok || v != c.want[1]) {
				t.Errorf("%s: Value = %v, want %s", c.dt, Value(s, 0), c.want[1])
			}
			s.Release()
		}
		a.Release()
	}
	if got := string(AppendJSONString(nil, "a\x01\xff")); got != `"a\u0001\ufffd"` {
		t.Errorf("control and invalid bytes: %s", got)
	}
}
