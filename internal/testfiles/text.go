package testfiles

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// valueText writes a non-NULL value as the text formats spell it.
func valueText(dt arrow.DataType, v any) string {
	switch dt.ID() {
	case arrow.DATE32:
		return DateText(v.(int32))
	case arrow.TIMESTAMP:
		return TimestampText(v.(int64))
	case arrow.DECIMAL64:
		return DecimalText(v.(int64), dt.(*arrow.Decimal64Type).Scale)
	}
	return fmt.Sprint(v) // integers, floats (shortest form), true/false, strings
}

// CSVOptions are how CSV is written.
type CSVOptions struct {
	// Delimiter separates fields (',' when 0).
	Delimiter byte
	// Header writes a first line of column names.
	Header bool
	// Null is how NULL is written ("" for an empty field, `\N` for
	// Hive's spelling).
	Null string
	// NullByColumn overrides Null for the named columns.
	NullByColumn map[string]string
}

// CSV writes the table as delimited text, one line per row. Strings are
// always quoted (quotes doubled), so the empty string is "" and never an
// empty field; no other value needs quoting.
func CSV(tb testing.TB, t *Table, o CSVOptions) []byte {
	tb.Helper()
	if err := t.Check(); err != nil {
		tb.Fatal(err)
	}
	delim := string(rune(o.Delimiter))
	if o.Delimiter == 0 {
		delim = ","
	}
	nulls := make([]string, len(t.Columns))
	for j, c := range t.Columns {
		nulls[j] = o.Null
		if s, ok := o.NullByColumn[c.Name]; ok {
			nulls[j] = s
		}
	}
	var b bytes.Buffer
	cells := make([]string, len(t.Columns))
	if o.Header {
		for j, c := range t.Columns {
			cells[j] = c.Name
		}
		b.WriteString(strings.Join(cells, delim) + "\n")
	}
	for _, r := range t.Rows {
		for j, c := range t.Columns {
			switch {
			case r[j] == nil:
				cells[j] = nulls[j]
			case c.Type.ID() == arrow.STRING:
				cells[j] = `"` + strings.ReplaceAll(r[j].(string), `"`, `""`) + `"`
			default:
				cells[j] = valueText(c.Type, r[j])
			}
		}
		b.WriteString(strings.Join(cells, delim) + "\n")
	}
	return b.Bytes()
}

// JSONOptions are how JSON Lines are written.
type JSONOptions struct {
	// Keys maps a column to the key written for it (the column's name
	// when absent), e.g. to test case-insensitive key matching.
	Keys map[string]string
	// ExplicitNull, when set and true for (row, column), writes NULL as
	// `"key": null`; otherwise the key is left out. row counts from 0 in
	// the table written.
	ExplicitNull func(row int, col string) bool
	// Extra is raw JSON members appended to every object, e.g.
	// `"extra": {"a": [1, 2]}` for keys no column reads.
	Extra string
}

// JSONLines writes one object per line: `{"key": value, ...}` in column
// order. DECIMAL is a bare number with its scale's digits, DATE and
// TIMESTAMP are strings.
func JSONLines(tb testing.TB, t *Table, o JSONOptions) []byte {
	tb.Helper()
	if err := t.Check(); err != nil {
		tb.Fatal(err)
	}
	keys := make([]string, len(t.Columns))
	for j, c := range t.Columns {
		k := c.Name
		if s, ok := o.Keys[c.Name]; ok {
			k = s
		}
		keys[j] = jsonString(k) + ": "
	}
	var b bytes.Buffer
	members := make([]string, 0, len(t.Columns)+1)
	for i, r := range t.Rows {
		members = members[:0]
		for j, c := range t.Columns {
			switch v := r[j]; {
			case v == nil:
				if o.ExplicitNull != nil && o.ExplicitNull(i, c.Name) {
					members = append(members, keys[j]+"null")
				}
			case c.Type.ID() == arrow.STRING:
				members = append(members, keys[j]+jsonString(v.(string)))
			case c.Type.ID() == arrow.DATE32 || c.Type.ID() == arrow.TIMESTAMP:
				members = append(members, keys[j]+`"`+valueText(c.Type, v)+`"`)
			default:
				members = append(members, keys[j]+valueText(c.Type, v))
			}
		}
		if o.Extra != "" {
			members = append(members, o.Extra)
		}
		b.WriteString("{" + strings.Join(members, ", ") + "}\n")
	}
	return b.Bytes()
}

// jsonString quotes s as a JSON string (without HTML escaping).
func jsonString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return strings.TrimSuffix(b.String(), "\n")
}
