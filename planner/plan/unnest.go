package plan

import (
	"fmt"
	"strings"

	"github.com/tarnsql/tarn/planner/expr"
)

// Unnest expands ARRAY and MAP values into rows (CROSS JOIN UNNEST). Its
// output is the input's columns followed by the element columns: per
// expression one column for an array of scalars, one per field for an
// array of structs, key and value for a map; then the 1-based ordinality
// (BIGINT) when Ordinality is set. Several expressions are zipped (the
// shorter ones padded with NULL). Outer keeps input rows without
// elements (NULL or empty values) once, with NULL element columns.
type Unnest struct {
	Base
	Input      Node
	Exprs      []expr.Expr
	Ordinality bool
	Outer      bool
}

// Children is the input.
func (n *Unnest) Children() []Node { return []Node{n.Input} }

// Describe is the EXPLAIN line.
func (n *Unnest) Describe() string {
	nin := n.Input.Schema().NumFields()
	var outs []string
	for i := nin; i < n.Out.NumFields(); i++ {
		outs = append(outs, n.Out.Field(i).Name)
	}
	s := fmt.Sprintf("Unnest [%s] AS [%s]", exprList(n.Exprs), strings.Join(outs, ", "))
	if n.Ordinality {
		s += " with ordinality"
	}
	if n.Outer {
		s += " outer"
	}
	return s
}
