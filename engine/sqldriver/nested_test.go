package sqldriver

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
)

// Nested columns come back as their JSON text.
func TestDriverNestedJSON(t *testing.T) {
	dir := t.TempDir()
	files := filepath.Join(dir, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		t.Fatal(err)
	}
	data := `{"id":1,"s":{"a":1,"b":"x"},"l":[1,null],"m":{"k":"v"}}` + "\n" + `{"id":2,"s":null,"l":[],"m":null}` + "\n"
	if err := os.WriteFile(filepath.Join(files, "t.json"), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("tarn", filepath.Join(dir, "data")+"?slices=2")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE d; CREATE EXTERNAL TABLE d.t (id bigint, s struct<a:int,b:string>, l array<int>, m map<string,string>) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION ?", files); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, "SELECT id, s, l, m FROM d.t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := [][4]string{{"1", `{"a":1,"b":"x"}`, `[1,null]`, `{"k":"v"}`}, {"2", "NULL", `[]`, "NULL"}}
	i := 0
	for rows.Next() {
		var id int64
		var s, l, m sql.NullString
		if err := rows.Scan(&id, &s, &l, &m); err != nil {
			t.Fatal(err)
		}
		str := func(v sql.NullString) string {
			if !v.Valid {
				return "NULL"
			}
			return v.String
		}
		got := [4]string{map[int64]string{1: "1", 2: "2"}[id], str(s), str(l), str(m)}
		if i >= len(want) || got != want[i] {
			t.Errorf("row %d: got %v", i, got)
		}
		i++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if i != len(want) {
		t.Fatalf("got %d rows, want %d", i, len(want))
	}
}
