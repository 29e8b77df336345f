package engine

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
)

// Nested column types (ARRAY, MAP, STRUCT) are stored in the catalog as
// the type text the DDL parser or the crawler produced and shown to
// users (DESCRIBE, SHOW CREATE TABLE) in Hive's spelling, as Athena
// does: array<int>, map<string,string>, struct<a:int,b:string>.

// displayType returns the type text DESCRIBE and SHOW CREATE TABLE show
// for a column: Hive's spelling for nested types, the stored text for
// scalar ones.
func displayType(typeText string) string {
	t, err := types.Parse(typeText)
	if err != nil || !types.IsNested(t) {
		return typeText
	}
	return hiveTypeName(t)
}

// hiveTypeName prints t in Hive's lower-case spelling.
func hiveTypeName(t arrow.DataType) string {
	switch t.ID() {
	case arrow.LIST:
		return "array<" + hiveTypeName(t.(*arrow.ListType).Elem()) + ">"
	case arrow.MAP:
		m := t.(*arrow.MapType)
		return "map<" + hiveTypeName(m.KeyType()) + "," + hiveTypeName(m.ItemType()) + ">"
	case arrow.STRUCT:
		st := t.(*arrow.StructType)
		parts := make([]string, st.NumFields())
		for i, f := range st.Fields() {
			parts[i] = hiveFieldName(f.Name) + ":" + hiveTypeName(f.Type)
		}
		return "struct<" + strings.Join(parts, ",") + ">"
	case arrow.STRING, arrow.LARGE_STRING:
		return "string"
	case arrow.INT32:
		return "int"
	case arrow.DECIMAL64, arrow.DECIMAL128:
		p, s, _ := types.DecimalParams(t)
		return fmt.Sprintf("decimal(%d,%d)", p, s)
	}
	return strings.ToLower(types.SQLName(t))
}

// hiveFieldName quotes a struct field name that is not a plain
// identifier.
func hiveFieldName(name string) string {
	plain := name != ""
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			plain = false
			break
		}
	}
	if plain {
		return name
	}
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// checkNestedColumn validates a nested data column's type text (the DDL
// parser accepted its shape; the type system must accept its parts).
func checkNestedColumn(what, typeText string) error {
	if _, err := types.Parse(typeText); err != nil {
		return newError(CodeNotSupported, "0A000", nil, "%s: %v", what, err)
	}
	return nil
}
