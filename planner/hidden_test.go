package planner

import "testing"

func TestRewriteHiddenColumnQuotes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`SELECT "$path" FROM t`, "SELECT `$path` FROM t"},
		{`SELECT "$PATH", "$file_size", "$File_Modified_Time" FROM t`, "SELECT `$PATH`, `$file_size`, `$File_Modified_Time` FROM t"},
		{`SELECT t."$path" FROM t WHERE "$path" LIKE 's3://b/%'`, "SELECT t.`$path` FROM t WHERE `$path` LIKE 's3://b/%'"},
		// Single-quoted strings, comments and other double-quoted text stay.
		{`SELECT '"$path"', "$paths", "x$path" FROM t`, `SELECT '"$path"', "$paths", "x$path" FROM t`},
		{"SELECT 1 -- \"$path\"\nFROM t", "SELECT 1 -- \"$path\"\nFROM t"},
		{`SELECT /* "$path" */ 1`, `SELECT /* "$path" */ 1`},
		{`SELECT 'it''s "$path"', "$path"`, "SELECT 'it''s \"$path\"', `$path`"},
		{`SELECT 'a\'"$path"', 1`, `SELECT 'a\'"$path"', 1`},
		{"SELECT `$path` FROM t", "SELECT `$path` FROM t"},
		{`SELECT "$path`, `SELECT "$path`}, // unterminated: left to the parser
		{`SELECT 1`, `SELECT 1`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got := rewriteHiddenColumnQuotes(tc.in)
			if got != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			if len(got) != len(tc.in) {
				t.Fatalf("length changed: %d -> %d", len(tc.in), len(got))
			}
		})
	}
}
