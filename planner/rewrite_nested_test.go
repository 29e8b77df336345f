package planner

import "testing"

func TestRewriteNested(t *testing.T) {
	cases := []struct{ in, want string }{
		{"SELECT l[1] FROM t", "SELECT __tarn_subscript(l, 1) FROM t"},
		{"SELECT t.m['k'], l[1][2] FROM t", "SELECT __tarn_subscript(t.m, 'k') , __tarn_subscript(__tarn_subscript(l, 1), 2) FROM t"},
		{"SELECT map_values(m)[i + 1] FROM t", "SELECT __tarn_subscript(map_values ( m ), i + 1) FROM t"},
		{"SELECT items[1].sku FROM t", "SELECT __tarn_field(__tarn_subscript(items, 1), 'sku') FROM t"},
		{"SELECT x FROM t CROSS JOIN UNNEST(t.l) AS u(x)",
			"SELECT x FROM t CROSS JOIN (SELECT t.l AS __tarn_u0) AS `__tarn_unnest_n_u` ( x )"},
		{"SELECT * FROM t, UNNEST(m, l) WITH ORDINALITY u (k, v, x, n) WHERE k = 'a'",
			"SELECT * FROM t , (SELECT m AS __tarn_u0, l AS __tarn_u1) AS `__tarn_unnest_o_u` ( k , v , x , n ) WHERE k = 'a'"},
		{"SELECT 1 FROM t LEFT JOIN UNNEST(l) ON TRUE", "SELECT 1 FROM t LEFT JOIN (SELECT l AS __tarn_u0) AS `__tarn_unnest_n_` ON TRUE"},
		{"SELECT '[1]', `a[b]` FROM t", ""},
	}
	for _, c := range cases {
		got, ok := rewriteNested(c.in)
		if !ok {
			got = ""
		}
		if got != c.want {
			t.Errorf("rewriteNested(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestShowSubscripts(t *testing.T) {
	cases := []struct{ in, want string }{
		{"__tarn_subscript(l, 1)", "l[1]"},
		{"__tarn_subscript(__tarn_subscript(l, 1), f(a, b)) + 1", "l[1][f(a, b)] + 1"},
		{"__tarn_field(__tarn_subscript(items, 1), 'sku')", "items[1].sku"},
		{"__tarn_subscript(m, 'a,b)')", "m['a,b)']"},
	}
	for _, c := range cases {
		if got := showSubscripts(c.in); got != c.want {
			t.Errorf("showSubscripts(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
