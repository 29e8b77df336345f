package planner

import (
	"strings"

	"github.com/tarnsql/tarn/connectors"
)

// Hidden file columns. File tables expose "$path", "$file_size" and
// "$file_modified_time" (Athena / Trino): the binder binds a file table
// through its WithHiddenColumns form, whose schema ends with them, and
// marks their scope columns hidden, so that * and NATURAL joins skip
// them while a query can still name them. In the MySQL dialect a
// double-quoted "$path" is a string literal; rewriteHiddenColumnQuotes
// turns exactly those three double-quoted names into backtick
// identifiers before parsing (`$path` works as is).

// hiddenColumnNames are the hidden file columns' names.
var hiddenColumnNames = []string{"$path", "$file_size", "$file_modified_time"}

// hiddenColumnTable is implemented by tables with hidden columns
// (filetable.Table): WithHiddenColumns returns the table with them
// appended to its schema.
type hiddenColumnTable interface {
	WithHiddenColumns() connectors.Table
}

// withHiddenColumns returns t with its hidden columns, and how many
// columns at the end of its schema are hidden.
func withHiddenColumns(t connectors.Table) (connectors.Table, int) {
	h, ok := t.(hiddenColumnTable)
	if !ok {
		return t, 0
	}
	nt := h.WithHiddenColumns()
	n := nt.Schema().NumFields() - t.Schema().NumFields()
	if n <= 0 {
		return t, 0
	}
	return nt, n
}

// isHiddenColumnName reports whether name is a hidden file column's.
func isHiddenColumnName(name string) bool {
	for _, h := range hiddenColumnNames {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// hiddenColumnHint explains, for an unknown column that is a hidden file
// column's name, where those columns exist ("" otherwise).
func hiddenColumnHint(name string) string {
	if !isHiddenColumnName(name) {
		return ""
	}
	return ` (hidden file columns such as "$path" exist only on file tables, not on federated tables, views or derived tables)`
}

// rewriteHiddenColumnQuotes rewrites the double-quoted tokens "$path",
// "$file_size" and "$file_modified_time" (any case) to backtick
// identifiers, leaving single-quoted strings, other double-quoted
// strings, backtick identifiers and comments alone. The rewrite keeps
// every byte offset, so parse error positions stay right.
func rewriteHiddenColumnQuotes(sql string) string {
	if !strings.Contains(sql, `"$`) {
		return sql
	}
	var buf []byte
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case isCommentStart(sql, i):
			i = skipComment(sql, i)
		case c == '\'' || c == '"' || c == '`':
			j := quoteEnd(sql, i)
			end := min(j+1, len(sql))
			if c == '"' && j < len(sql) && isHiddenColumnName(sql[i+1:j]) {
				if buf == nil {
					buf = []byte(sql)
				}
				buf[i], buf[j] = '`', '`'
			}
			i = end
		default:
			i++
		}
	}
	if buf == nil {
		return sql
	}
	return string(buf)
}
