package mysqlwire

import (
	"os"
	"path/filepath"
	"testing"
)

// Nested columns travel as MySQL JSON with their JSON text, over the
// text protocol and (prepared statements) the binary one.
func TestGoDriverNestedJSON(t *testing.T) {
	dir := filepath.Join(testDir, "nestedwire")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data := `{"id":1,"s":{"a":1,"b":"x"},"l":[1,2,null],"m":{"k":"v"}}
{"id":2,"s":null,"l":[],"m":{}}
`
	if err := os.WriteFile(filepath.Join(dir, "rows.json"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	db := openDB(t, "")
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS nestedwire",
		"CREATE EXTERNAL TABLE nestedwire.n (id int, s struct<a:int,b:string>, l array<int>, m map<string,string>) " +
			"ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION '" + dir + "'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() { _, _ = db.Exec("DROP DATABASE nestedwire CASCADE") })

	rows, err := db.Query("SELECT id, s, l, m, s.b FROM nestedwire.n ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	cts, err := rows.ColumnTypes()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"INT", "JSON", "JSON", "JSON", "VARCHAR"} {
		if got := cts[i].DatabaseTypeName(); got != want {
			t.Errorf("column %s: type %s, want %s", cts[i].Name(), got, want)
		}
	}
	got := scanStrings(t, rows)
	want := [][]string{
		{"1", `{"a":1,"b":"x"}`, `[1,2,null]`, `{"k":"v"}`, "x"},
		{"2", "NULL", `[]`, `{}`, "NULL"},
	}
	compareRows(t, "text protocol", got, want)

	// binary protocol (server-side prepared statement)
	got = queryStrings(t, db, "SELECT s, l FROM nestedwire.n WHERE id = ?", 1)
	compareRows(t, "binary protocol", got, [][]string{{`{"a":1,"b":"x"}`, `[1,2,null]`}})
}
