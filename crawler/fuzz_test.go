package crawler

import (
	"bytes"
	"testing"
)

// FuzzSniff runs the classifiers, the CSV sniffer, type inference and
// the type-text parser on arbitrary bytes: they must not panic, and what
// they infer must print as type text that parses back to itself.
func FuzzSniff(f *testing.F) {
	for _, s := range []string{
		"a,b\n1,2\n", "x\ty\n1\t2024-01-01\n", "{\"a\":{\"b\":[1,2.5]}}\n", "\"a\"\"b\",c\r\n", "1|2|3\n",
		"{\"a\":[[[[{}]]]]}\n", "Obj\x01\x02", "PAR1PAR1", "\x1f\x8b\x08", "2024-06-01 10:00:00.5Z,true\n",
		"a,\"b\nc\",d\n", "STRUCT<a:ARRAY<MAP<VARCHAR,INT>>>",
	} {
		f.Add([]byte(s), true)
	}
	f.Add(avroFile(`{"type":"record","name":"r","fields":[{"name":"a","type":["null","r"]}]}`), true)
	f.Fuzz(func(t *testing.T, data []byte, complete bool) {
		if info, _ := analyzeCSV(data, complete, 50); info != nil {
			for _, h := range []bool{false, true} {
				for _, c := range info.schema(h) {
					checkTypeText(t, c.Type)
				}
			}
		}
		cols, _ := analyzeJSON(data, complete, 50)
		for _, c := range cols {
			checkTypeText(t, c.Type)
		}
		if c, err := Classify("f", data, nil, complete, 50); err == nil {
			for _, col := range c.Columns {
				checkTypeText(t, col.Type)
			}
		}
		InferText(string(data))
		ParseType(string(data))
	})
}

func checkTypeText(t *testing.T, ty *Type) {
	t.Helper()
	s := ty.String()
	back, err := ParseType(s)
	if err != nil {
		// Field names from data may hold characters the type syntax
		// cannot carry (',', ':', '<'); only scalar text must parse.
		if ty.Kind == KindScalar || ty.Kind == KindNull {
			t.Fatalf("type text %q does not parse: %v", s, err)
		}
		return
	}
	if back.String() != s {
		t.Fatalf("type text %q parses back as %q", s, back.String())
	}
}

// FuzzJSONTyper checks the one-pass JSON typer against the reference
// over encoding/json: same acceptance, same type.
func FuzzJSONTyper(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[1,2.5,null],"c":{"d":"2024-01-01","e":"x"},"a":"s"}`, `{}`, `[]`, `{"a":-0.5e+3}`, `{"a":01}`,
		`{"a":"\u0032024-01-01"}`, `{"\u00e9":true}`, `{"a":"\ud83d\ude00"}`, `{"a":1}x`, `{"a":[[[[[[[[[[[[1]]]]]]]]]]]]}`,
		`{"a" : 1 , "b" : [ ] }`, `{"a":"\x"}`, `{"a":1.}`, `{"a":-}`, `{"a":tru}`, "{\"a\":\"\x01\"}", "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		got, err1 := jsonLineType(line)
		want, err2 := refLineType(bytes.TrimSpace(line))
		if (err1 == nil) != (err2 == nil) {
			// encoding/json stops at the first value; both must reject
			// or accept the same lines.
			t.Fatalf("%q: typer err %v, reference err %v", line, err1, err2)
		}
		if err1 == nil && got.String() != want.String() {
			t.Fatalf("%q: typer %s, reference %s", line, got, want)
		}
	})
}
