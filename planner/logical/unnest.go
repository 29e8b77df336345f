package logical

import (
	"fmt"
	"strings"

	"github.com/tarnsql/tarn/planner/expr"
)

// Unnest expands arrays and maps into rows (Trino's CROSS JOIN UNNEST):
// for every input row it emits one row per element, repeating the
// input's columns. Exprs (over Input's columns) are ARRAY or MAP values
// and are zipped: a row yields as many rows as its longest value, the
// shorter ones padded with NULL. Out holds, per expression, one column
// for an array of scalars, one per field for an array of structs, two
// (key, value) for a map; then the 1-based ordinality (BIGINT) when
// Ordinality is set. Outer (LEFT JOIN UNNEST ... ON TRUE) keeps input
// rows whose values are all empty or NULL, with NULL element columns.
type Unnest struct {
	Input      Node
	Exprs      []expr.Expr
	Out        []Col
	Ordinality bool
	Outer      bool
}

// Cols is the input's columns followed by Out.
func (n *Unnest) Cols() []Col { return append(append([]Col(nil), n.Input.Cols()...), n.Out...) }

// Inputs is the input.
func (n *Unnest) Inputs() []Node { return []Node{n.Input} }

// WithInputs replaces the input.
func (n *Unnest) WithInputs(in []Node) Node { c := *n; c.Input = in[0]; return &c }

func (n *Unnest) describe() string {
	outs := make([]string, len(n.Out))
	for i, c := range n.Out {
		outs[i] = fmt.Sprintf("%s#%d", c.Name, c.ID)
	}
	s := fmt.Sprintf("Unnest [%s] AS [%s]", exprs(n.Exprs), strings.Join(outs, ", "))
	if n.Ordinality {
		s += " with ordinality"
	}
	if n.Outer {
		s += " outer"
	}
	return s
}
