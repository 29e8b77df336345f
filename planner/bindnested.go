package planner

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// Nested types (STRUCT, ARRAY, MAP) in expressions. See docs/SQL.md,
// "Nested types".
//
// Struct fields are read with dotted names, Trino-style. vitess parses
// a.b and a.b.c as qualified column names, so when the usual reading
// (table.column, db.table.column) finds nothing, the binder tries the
// readings where a prefix is a struct column of a table in scope:
//
//	s.a      column s, field a
//	t.s.a    column s of table t, field a
//	s.in.x   column s, field in, field x
//
// Two readings that both resolve are an ambiguity error. Field names
// match case-insensitively.

// isNested reports whether t is STRUCT, ARRAY or MAP.
func isNested(t arrow.DataType) bool { return types.IsNested(t) }

// structFieldCall builds the access to field name of struct expression
// s; ok is false when s has no such field.
func structFieldCall(s expr.Expr, name string) (expr.Expr, bool) {
	st, isStruct := s.Type().(*arrow.StructType)
	if !isStruct {
		return nil, false
	}
	for _, f := range st.Fields() {
		if strings.EqualFold(f.Name, name) {
			return &expr.Call{Fn: "struct_field", Args: []expr.Expr{s, logical.Lit(f.Name, types.String)}, T: f.Type}, true
		}
	}
	return nil, false
}

// fieldNames lists a struct's field names for error messages.
func fieldNames(t arrow.DataType) string {
	st, ok := t.(*arrow.StructType)
	if !ok {
		return ""
	}
	names := make([]string, st.NumFields())
	for i, f := range st.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

// resolveStructField resolves a qualified name as a struct field access
// (see above). ok is false when no reading applies; err is set for an
// ambiguity or a missing field of an existing struct column.
func resolveStructField(sc *scope, cn *sqlparser.ColName, clause string) (expr.Expr, bool, error) {
	name := cn.Name.String()
	tbl := cn.Qualifier.Name.String()
	db := cn.Qualifier.Qualifier.String()
	if tbl == "" {
		return nil, false, nil
	}
	type reading struct {
		table, col string
		fields     []string
	}
	var readings []reading
	if db == "" {
		readings = []reading{{col: tbl, fields: []string{name}}}
	} else {
		readings = []reading{
			{table: db, col: tbl, fields: []string{name}},
			{col: db, fields: []string{tbl, name}},
		}
	}
	full := strings.ReplaceAll(sqlparser.String(cn), "`", "")
	var fieldErr error
	for s := sc; s != nil; s = s.parent {
		var hits []expr.Expr
		for _, r := range readings {
			var col *scopeCol
			for i := range s.cols {
				c := &s.cols[i]
				if !strings.EqualFold(c.name, r.col) {
					continue
				}
				if r.table == "" && c.hiddenUnqualified {
					continue
				}
				if r.table != "" && !strings.EqualFold(c.table, r.table) {
					continue
				}
				if col != nil && col.col.ID != c.col.ID {
					return nil, false, errAt(newErr(CodeAmbiguous, "Column '%s' in %s is ambiguous", r.col, clauseName(clause)), r.col)
				}
				col = c
			}
			if col == nil || col.col.T.ID() != arrow.STRUCT {
				continue
			}
			var e expr.Expr = &expr.ColumnRef{Index: col.col.ID, Name: col.name, T: col.col.T}
			ok := true
			for _, f := range r.fields {
				next, found := structFieldCall(e, f)
				if !found {
					if e.Type().ID() == arrow.STRUCT {
						fieldErr = errAt(newErr(CodeBadField, "Unknown column '%s' in '%s': %s has no field '%s' (fields: %s)",
							full, clauseName(clause), types.SQLName(e.Type()), f, fieldNames(e.Type())), f)
					} else {
						fieldErr = errAt(newErr(CodeBadField, "Unknown column '%s' in '%s': '%s' is not a struct field of a %s value",
							full, clauseName(clause), f, types.SQLName(e.Type())), f)
					}
					ok = false
					break
				}
				e = next
			}
			if ok {
				hits = append(hits, e)
			}
		}
		if len(hits) > 1 && hits[0].String() != hits[1].String() {
			return nil, false, errAt(newErr(CodeAmbiguous, "Column '%s' in %s is ambiguous: it reads a struct field in more than one way", full, clauseName(clause)), name)
		}
		if len(hits) > 0 {
			return hits[0], true, nil
		}
		if fieldErr != nil {
			return nil, false, fieldErr
		}
	}
	return nil, false, nil
}

// nestedCompareError is the error for comparing, grouping, sorting or
// partitioning by a nested value; what is "compare", "GROUP BY",
// "ORDER BY" or "PARTITION BY".
func nestedCompareError(e expr.Expr, what string) *Error {
	shown := idSuffix.ReplaceAllString(e.String(), "")
	role := map[string]string{"compare": "compared", "GROUP BY": "grouping keys", "ORDER BY": "sort keys",
		"PARTITION BY": "window partition keys"}[what]
	return errAt(newErr(CodeOther, "cannot %s %s: it has type %s, and nested values (ARRAY, MAP, STRUCT) cannot be %s; use their fields or elements instead",
		what, shown, strings.ToLower(types.SQLName(e.Type())), role), shown)
}

// checkNestedKeys rejects plans that group, sort, deduplicate or
// partition by a nested value: the executor's hash tables and sort keys
// take scalar values only.
func checkNestedKeys(n logical.Node) error {
	var err error
	var walk func(logical.Node)
	walk = func(n logical.Node) {
		if err != nil {
			return
		}
		switch x := n.(type) {
		case *logical.Aggregate:
			for _, k := range x.Keys {
				if isNested(k.Type()) {
					err = nestedCompareError(k, "GROUP BY")
					return
				}
			}
			for _, a := range x.Aggs {
				for _, arg := range a.Args {
					if isNested(arg.Type()) && (a.Distinct || a.Fn != "count") {
						err = newErr(CodeOther, "%s of %s (type %s) is not supported: nested values cannot be aggregated this way",
							a.Fn, idSuffix.ReplaceAllString(arg.String(), ""), strings.ToLower(types.SQLName(arg.Type())))
						return
					}
				}
			}
		case *logical.Sort:
			for _, k := range x.Keys {
				if isNested(k.Expr.Type()) {
					err = nestedCompareError(k.Expr, "ORDER BY")
					return
				}
			}
		case *logical.Window:
			for _, f := range x.Funcs {
				for _, p := range f.PartitionBy {
					if isNested(p.Type()) {
						err = nestedCompareError(p, "PARTITION BY")
						return
					}
				}
				for _, k := range f.OrderBy {
					if isNested(k.Expr.Type()) {
						err = nestedCompareError(k.Expr, "ORDER BY")
						return
					}
				}
			}
		case *logical.SetOp:
			ts := make([]arrow.DataType, len(x.Out))
			for i, c := range x.Out {
				ts[i] = c.T
			}
			if err = checkSetOpNested(x.Kind, x.All, x.Out, ts); err != nil {
				return
			}
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	return err
}

// bindNestedFunc binds the functions over nested values; ok is false for
// other names.
func (ec *ectx) bindNestedFunc(name string, args []expr.Expr) (expr.Expr, bool, error) {
	b := ec.b
	count := func(n ...int) error {
		for _, k := range n {
			if len(args) == k {
				return nil
			}
		}
		return newErr(CodeOther, "Incorrect parameter count in the call to native function '%s'", name)
	}
	argErr := func(want string) error {
		return newErr(CodeOther, "%s: argument %s has type %s, expected %s", name,
			idSuffix.ReplaceAllString(args[0].String(), ""), strings.ToLower(types.SQLName(args[0].Type())), want)
	}
	nullOf := func(t arrow.DataType) (expr.Expr, bool, error) { return logical.Lit(nil, t), true, nil }
	switch name {
	case "element_at", "__tarn_subscript":
		if err := count(2); err != nil {
			return nil, true, err
		}
		fn := "element_at"
		if name == "__tarn_subscript" {
			fn = "subscript"
		}
		switch t := args[0].Type().(type) {
		case *arrow.ListType:
			i, err := b.castTo(args[1], types.Int64)
			if err != nil {
				return nil, true, err
			}
			return &expr.Call{Fn: fn, Args: []expr.Expr{args[0], i}, T: t.Elem()}, true, nil
		case *arrow.MapType:
			k, err := b.castTo(args[1], t.KeyType())
			if err != nil {
				return nil, true, err
			}
			return &expr.Call{Fn: fn, Args: []expr.Expr{args[0], k}, T: t.ItemType()}, true, nil
		}
		if isNullType(args[0].Type()) {
			return nullOf(types.Null)
		}
		if name == "__tarn_subscript" {
			if _, ok := args[0].Type().(*arrow.StructType); ok {
				return nil, true, newErr(CodeOther, "subscript: %s is a struct; read its fields with a dot (s.field)", idSuffix.ReplaceAllString(args[0].String(), ""))
			}
			return nil, true, newErr(CodeOther, "subscript: %s has type %s; only ARRAY and MAP values take [ ]",
				idSuffix.ReplaceAllString(args[0].String(), ""), strings.ToLower(types.SQLName(args[0].Type())))
		}
		return nil, true, argErr("an ARRAY or a MAP")
	case "cardinality":
		if err := count(1); err != nil {
			return nil, true, err
		}
		switch args[0].Type().ID() {
		case arrow.LIST, arrow.MAP:
			return &expr.Call{Fn: "cardinality", Args: args, T: types.Int64}, true, nil
		case arrow.NULL:
			return nullOf(types.Int64)
		}
		return nil, true, argErr("an ARRAY or a MAP")
	case "contains":
		if err := count(2); err != nil {
			return nil, true, err
		}
		lt, ok := args[0].Type().(*arrow.ListType)
		if !ok {
			if isNullType(args[0].Type()) {
				return nullOf(types.Boolean)
			}
			return nil, true, argErr("an ARRAY")
		}
		if isNested(lt.Elem()) {
			return nil, true, newErr(CodeOther, "contains: elements of %s have type %s; nested values cannot be compared",
				idSuffix.ReplaceAllString(args[0].String(), ""), strings.ToLower(types.SQLName(lt.Elem())))
		}
		x, err := b.castTo(args[1], lt.Elem())
		if err != nil {
			return nil, true, err
		}
		return &expr.Call{Fn: "contains", Args: []expr.Expr{args[0], x}, T: types.Boolean}, true, nil
	case "array_join":
		if err := count(2, 3); err != nil {
			return nil, true, err
		}
		lt, ok := args[0].Type().(*arrow.ListType)
		if !ok {
			if isNullType(args[0].Type()) {
				return nullOf(types.String)
			}
			return nil, true, argErr("an ARRAY")
		}
		if isNested(lt.Elem()) {
			return nil, true, newErr(CodeOther, "array_join: elements of %s have type %s; only arrays of scalar values can be joined",
				idSuffix.ReplaceAllString(args[0].String(), ""), strings.ToLower(types.SQLName(lt.Elem())))
		}
		out := []expr.Expr{args[0]}
		for _, a := range args[1:] {
			s, err := b.castTo(a, types.String)
			if err != nil {
				return nil, true, err
			}
			out = append(out, s)
		}
		return &expr.Call{Fn: "array_join", Args: out, T: types.String}, true, nil
	case "map_keys", "map_values":
		if err := count(1); err != nil {
			return nil, true, err
		}
		mt, ok := args[0].Type().(*arrow.MapType)
		if !ok {
			if isNullType(args[0].Type()) {
				return nullOf(types.Null)
			}
			return nil, true, argErr("a MAP")
		}
		t := arrow.ListOf(mt.KeyType())
		if name == "map_values" {
			t = arrow.ListOf(mt.ItemType())
		}
		return &expr.Call{Fn: name, Args: args, T: t}, true, nil
	case "__tarn_field":
		// x[i].f (rewrite_nested.go): a field of a struct expression
		l, ok := args[1].(*expr.Literal)
		if len(args) != 2 || !ok || l.Value == nil {
			return nil, true, newErr(CodeOther, "malformed field access")
		}
		if isNullType(args[0].Type()) {
			return nullOf(types.Null)
		}
		f, found := structFieldCall(args[0], l.Value.(string))
		if !found {
			shown := idSuffix.ReplaceAllString(args[0].String(), "")
			if args[0].Type().ID() == arrow.STRUCT {
				return nil, true, newErr(CodeBadField, "%s has no field '%s' (fields: %s)", shown, l.Value, fieldNames(args[0].Type()))
			}
			return nil, true, newErr(CodeBadField, "%s has type %s, not a struct: it has no field '%s'", shown,
				strings.ToLower(types.SQLName(args[0].Type())), l.Value)
		}
		return f, true, nil
	case "json_format", "to_json":
		if err := count(1); err != nil {
			return nil, true, err
		}
		return toJSON(args[0]), true, nil
	}
	return nil, false, nil
}

// toJSON is CAST(e AS JSON): the value's JSON text as VARCHAR.
func toJSON(e expr.Expr) expr.Expr {
	if isNullType(e.Type()) {
		return logical.Lit(nil, types.String)
	}
	return &expr.Call{Fn: "to_json", Args: []expr.Expr{e}, T: types.String}
}

// checkSetOpNested rejects UNION (distinct), INTERSECT and EXCEPT over
// nested columns: they compare whole rows.
func checkSetOpNested(kind plan.SetOpKind, all bool, cols []logical.Col, ts []arrow.DataType) error {
	if kind == plan.Union && all {
		return nil
	}
	for i, t := range ts {
		if isNested(t) {
			op := strings.ToUpper(kind.String())
			if !all {
				op += " (DISTINCT)"
			}
			return newErr(CodeOther, "%s: column %s has type %s; nested values cannot be compared (use UNION ALL)",
				op, cols[i].Name, strings.ToLower(types.SQLName(t)))
		}
	}
	return nil
}
