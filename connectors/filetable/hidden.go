package filetable

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
)

// Hidden file columns (Athena / Trino): every file table has them, after
// its data columns and partition keys, on the table WithHiddenColumns
// returns. They are not part of the table's catalog columns (SELECT *,
// DESCRIBE, information_schema), but a query may name them. Each split
// fills them with its file's constants; ranges on them prune files at
// planning, before any is opened.
const (
	// PathColumn is the file's location: a URL for object stores
	// (s3://bucket/key), the path for local files.
	PathColumn = "$path"
	// FileSizeColumn is the file's size in bytes (BIGINT).
	FileSizeColumn = "$file_size"
	// FileModifiedTimeColumn is the file's modification time (TIMESTAMP, UTC).
	FileModifiedTimeColumn = "$file_modified_time"
)

var hiddenFields = []arrow.Field{
	{Name: PathColumn, Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: FileSizeColumn, Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: FileModifiedTimeColumn, Type: types.Timestamp, Nullable: true},
}

// HiddenFields are the hidden file columns, in the order they follow a
// table's columns.
func HiddenFields() []arrow.Field { return append([]arrow.Field(nil), hiddenFields...) }

// IsHiddenColumn reports whether name is one of the hidden file columns.
func IsHiddenColumn(name string) bool {
	for _, f := range hiddenFields {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// WithHiddenColumns returns the table with the hidden file columns
// appended to its schema (see PathColumn). Column indices below the
// table's own columns keep their meaning.
func (t *Table) WithHiddenColumns() connectors.Table {
	if t.ext != nil {
		return t
	}
	c := *t
	c.ext = arrow.NewSchema(append(append([]arrow.Field(nil), t.schema.Fields()...), hiddenFields...), nil)
	return &c
}

// HiddenColumns is the number of hidden columns at the end of Schema():
// 0 unless the table came from WithHiddenColumns.
func (t *Table) HiddenColumns() int {
	if t.ext == nil {
		return 0
	}
	return len(hiddenFields)
}

// hiddenValues are the hidden columns' values for file f, in
// ParsePartitionValue's representation.
func hiddenValues(f connectors.FileInfo) []any {
	var mod any
	if !f.ModTime.IsZero() {
		mod = f.ModTime.UnixMicro()
	}
	return []any{f.Path, f.Size, mod}
}
