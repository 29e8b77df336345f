package bench

import (
	"math/big"
	"strings"
	"testing"
)

func dec(s string) Decimal {
	scale := int32(0)
	if i := strings.IndexByte(s, '.'); i >= 0 {
		scale = int32(len(s) - i - 1)
		s = s[:i] + s[i+1:]
	}
	v, _ := new(big.Int).SetString(s, 10)
	return Decimal{Unscaled: v, Scale: scale}
}

func res(cols []Column, rows ...[]any) *Result { return &Result{Columns: cols, Rows: rows} }

// TestCompare is the comparator's self-test: every case with ok=false is
// a deliberate difference that the differential test must catch.
func TestCompare(t *testing.T) {
	ic := Column{Name: "k", Kind: KindInt}
	sc := Column{Name: "s", Kind: KindString}
	dc := Column{Name: "d", Kind: KindDecimal, Scale: 2}
	fc := Column{Name: "d", Kind: KindFloat}
	ordered := Ordering{Keys: []int{0}}
	for _, tc := range []struct {
		name      string
		got, want *Result
		ord       Ordering
		ok        bool
		msg       string
	}{
		{"equal", res([]Column{ic, sc}, []any{int64(1), "a"}), res([]Column{ic, sc}, []any{int64(1), "a"}), ordered, true, ""},
		{"wrong string", res([]Column{ic, sc}, []any{int64(1), "a"}), res([]Column{ic, sc}, []any{int64(1), "b"}), ordered, false, `column s: got [1, "a"], want [1, "b"]`},
		{"wrong int", res([]Column{ic}, []any{int64(2)}), res([]Column{ic}, []any{int64(1)}), Ordering{}, false, "column k"},
		{"null vs value", res([]Column{ic}, []any{nil}), res([]Column{ic}, []any{int64(0)}), Ordering{}, false, "column k"},
		{"null vs null", res([]Column{ic}, []any{nil}), res([]Column{ic}, []any{nil}), Ordering{}, true, ""},
		{"missing row", res([]Column{ic}, []any{int64(1)}), res([]Column{ic}, []any{int64(1)}, []any{int64(2)}), ordered, false, "row count: got 1, want 2; first wanted row missing: [2]"},
		{"extra row", res([]Column{ic}, []any{int64(1)}, []any{int64(3)}), res([]Column{ic}, []any{int64(1)}), ordered, false, "first unexpected row: [3]"},
		{"column count", res([]Column{ic, sc}, []any{int64(1), "a"}), res([]Column{ic}, []any{int64(1)}), ordered, false, "column count"},
		{"column name", res([]Column{{Name: "x", Kind: KindInt}}, []any{int64(1)}), res([]Column{ic}, []any{int64(1)}), ordered, false, "name"},
		{"column kind", res([]Column{{Name: "k", Kind: KindString}}, []any{"1"}), res([]Column{ic}, []any{int64(1)}), ordered, false, "type"},
		{"name case", res([]Column{{Name: "K", Kind: KindInt}}, []any{int64(1)}), res([]Column{ic}, []any{int64(1)}), ordered, true, ""},
		{"order matters", res([]Column{ic}, []any{int64(2)}, []any{int64(1)}), res([]Column{ic}, []any{int64(1)}, []any{int64(2)}), ordered, false, "row 1 column k"},
		{"order free", res([]Column{ic}, []any{int64(2)}, []any{int64(1)}), res([]Column{ic}, []any{int64(1)}, []any{int64(2)}), Ordering{}, true, ""},
		{"multiset counts", res([]Column{ic}, []any{int64(1)}, []any{int64(1)}, []any{int64(2)}), res([]Column{ic}, []any{int64(1)}, []any{int64(2)}, []any{int64(2)}), Ordering{}, false, "wanted row missing: [2]"},
		{"ties as multiset", res([]Column{ic, sc}, []any{int64(1), "b"}, []any{int64(1), "a"}, []any{int64(2), "c"}),
			res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(1), "b"}, []any{int64(2), "c"}), ordered, true, ""},
		{"tie group differs", res([]Column{ic, sc}, []any{int64(1), "b"}, []any{int64(1), "x"}, []any{int64(2), "c"}),
			res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(1), "b"}, []any{int64(2), "c"}), ordered, false, `rows 1..2 (compared as a multiset): wanted row missing: [1, "a"]; got instead: [1, "x"]`},
		{"rows crossing tie groups", res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(2), "c"}, []any{int64(1), "b"}),
			res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(1), "b"}, []any{int64(2), "c"}), ordered, false, "wanted row missing"},
		{"limit: last tie group cut differently", res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(2), "z"}),
			res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(2), "c"}), Ordering{Keys: []int{0}, Limit: 2}, true, ""},
		{"limit not reached: last row compared fully", res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(2), "z"}),
			res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(2), "c"}), Ordering{Keys: []int{0}, Limit: 3}, false, "column s"},
		{"limit: last key differs", res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(3), "c"}),
			res([]Column{ic, sc}, []any{int64(1), "a"}, []any{int64(2), "c"}), Ordering{Keys: []int{0}, Limit: 2}, false, "tied under LIMIT"},
		{"decimal equal", res([]Column{dc}, []any{dec("1.25")}), res([]Column{dc}, []any{dec("1.25")}), Ordering{}, true, ""},
		{"decimal off by one cent", res([]Column{dc}, []any{dec("1.26")}), res([]Column{dc}, []any{dec("1.25")}), Ordering{}, false, "column d"},
		{"decimal scales", res([]Column{{Name: "d", Kind: KindDecimal, Scale: 4}}, []any{dec("1.2500")}), res([]Column{dc}, []any{dec("1.25")}), Ordering{}, true, ""},
		{"decimal finer rounds", res([]Column{{Name: "d", Kind: KindDecimal, Scale: 4}}, []any{dec("1.2549")}), res([]Column{dc}, []any{dec("1.25")}), Ordering{}, true, ""},
		{"decimal finer rounds up", res([]Column{{Name: "d", Kind: KindDecimal, Scale: 4}}, []any{dec("1.2550")}), res([]Column{dc}, []any{dec("1.25")}), Ordering{}, false, "column d"},
		{"decimal vs double", res([]Column{dc}, []any{dec("25.52")}), res([]Column{fc}, []any{25.5212345}), Ordering{}, true, ""},
		{"decimal vs double last digit", res([]Column{dc}, []any{dec("25.53")}), res([]Column{fc}, []any{25.5212345}), Ordering{}, true, ""},
		{"decimal vs double two units", res([]Column{dc}, []any{dec("25.54")}), res([]Column{fc}, []any{25.5212345}), Ordering{}, false, "column d"},
		{"double vs decimal", res([]Column{fc}, []any{-0.049999}), res([]Column{dc}, []any{dec("-0.05")}), Ordering{}, true, ""},
		{"double relative", res([]Column{fc}, []any{1e10 + 1e-3}), res([]Column{fc}, []any{1e10}), Ordering{}, true, ""},
		{"double too far", res([]Column{fc}, []any{1.000001}), res([]Column{fc}, []any{1.0}), Ordering{}, false, "column d"},
		{"int vs decimal", res([]Column{ic}, []any{int64(3)}), res([]Column{{Name: "k", Kind: KindDecimal, Scale: 2}}, []any{dec("3.00")}), Ordering{}, true, ""},
		{"int vs double", res([]Column{ic}, []any{int64(3)}), res([]Column{{Name: "k", Kind: KindFloat}}, []any{3.5}), Ordering{}, false, "column k"},
		{"multiset with near-equal doubles", res([]Column{fc, sc}, []any{1.0000000000001, "b"}, []any{1.0, "a"}),
			res([]Column{fc, sc}, []any{1.0, "a"}, []any{1.0000000000002, "b"}), Ordering{}, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Compare(tc.got, tc.want, tc.ord)
			if tc.ok {
				if err != nil {
					t.Fatalf("unexpected difference: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("difference not detected")
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %q does not mention %q", err, tc.msg)
			}
		})
	}
}

func TestParseOrdering(t *testing.T) {
	cols := []string{"l_returnflag", "l_linestatus", "sum_qty", "revenue", "o_orderdate"}
	for _, tc := range []struct {
		sql  string
		keys []int
		lim  int
	}{
		{"select a from t order by l_returnflag, l_linestatus", []int{0, 1}, 0},
		{"select a from t order by revenue desc, o_orderdate limit 10", []int{3, 4}, 10},
		{"select a from t where x in (select y from u order by z limit 1)", nil, 0},
		{"select a from (select b from t order by sum_qty) x", nil, 0},
		{"select a from t order by 3, lineitem.l_linestatus asc", []int{2, 1}, 0},
		{"select a from t order by l_returnflag, sum(x) desc, revenue", []int{0}, 0},
		{"select 'order by revenue' from t", nil, 0},
	} {
		ord := ParseOrdering(tc.sql, cols)
		if len(ord.Keys) != len(tc.keys) || ord.Limit != tc.lim {
			t.Errorf("%s: %+v", tc.sql, ord)
			continue
		}
		for i := range tc.keys {
			if ord.Keys[i] != tc.keys[i] {
				t.Errorf("%s: %+v", tc.sql, ord)
			}
		}
	}
}

func TestParseRange(t *testing.T) {
	got, err := ParseRange("1-3,6, 9")
	if err != nil || len(got) != 5 || got[3] != 6 || got[4] != 9 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"0-3", "5-2", "x", "1-23"} {
		if _, err := ParseRange(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
