// Package plan is tarn's physical plan: a closed set of nodes the executor
// builds operators from, and that EXPLAIN prints.
//
// Every node has an output schema. Expressions inside a node refer to its
// input's columns by position (expr.ColumnRef.Index); for joins, the
// input is the left columns followed by the right columns.
package plan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/expr"
)

// Node is a physical plan node. The implementations are closed: the
// types in this package.
type Node interface {
	Schema() *arrow.Schema
	Children() []Node
	// Describe is the one-line EXPLAIN text of the node itself.
	Describe() string
	// Est is the planner's row estimate (-1 unknown).
	Est() float64
}

// Base carries fields common to all nodes.
type Base struct {
	Out  *arrow.Schema
	Rows float64
}

// Schema returns the output schema.
func (b *Base) Schema() *arrow.Schema { return b.Out }

// Est returns the estimated row count.
func (b *Base) Est() float64 { return b.Rows }

// Scan reads Columns (indices into Table.Schema()) of a table. Ranges
// are pruning hints derived from filters above; Limit > 0 lets readers
// stop early (only when no filter sits between).
type Scan struct {
	Base
	Table   connectors.Table
	Columns []int
	Ranges  []connectors.Range
	Limit   int64
	// Filter is an exact predicate over the scan's output columns that
	// the scan operator applies to every batch it reads (nil for none).
	Filter expr.Expr
	// DictOK (nil, or parallel to Columns) marks the VARCHAR columns the
	// operators above accept as dictionary arrays (connectors.ScanRequest.
	// DictOK); the planner sets it (planner/dictcols.go).
	DictOK []bool
}

// Values produces constant rows (SELECT without FROM).
type Values struct {
	Base
	Rows_ [][]expr.Expr
}

// Filter keeps rows where Pred is TRUE.
type Filter struct {
	Base
	Input Node
	Pred  expr.Expr
}

// Project computes Exprs over its input.
type Project struct {
	Base
	Input Node
	Exprs []expr.Expr
}

// AggFunc is an aggregate function call.
type AggFunc struct {
	// Fn is one of count_star, count, sum, avg, min, max, bool_and,
	// bool_or, any_value, stddev_samp, stddev_pop, var_samp, var_pop,
	// and single_value (the only row's value; more than one row is an
	// error: how scalar subqueries enforce their single row).
	Fn       string
	Args     []expr.Expr
	Distinct bool
	T        arrow.DataType
}

func (a AggFunc) String() string {
	args := make([]string, len(a.Args))
	for i, x := range a.Args {
		args[i] = x.String()
	}
	d := ""
	if a.Distinct {
		d = "DISTINCT "
	}
	if a.Fn == "count_star" {
		return "count(*)"
	}
	return a.Fn + "(" + d + strings.Join(args, ", ") + ")"
}

// Aggregate groups by Keys and computes Aggs. The output is the keys
// followed by the aggregates. Each slice aggregates its input into local
// partial state; the partial states are merged (final) across slices.
// With no Keys it produces exactly one row.
type Aggregate struct {
	Base
	Input Node
	Keys  []expr.Expr
	Aggs  []AggFunc
}

// JoinType enumerates join kinds.
type JoinType int

// Join kinds. Semi and Anti output the left columns only; Mark outputs the
// left columns plus one BOOLEAN column that is TRUE when a match exists,
// FALSE when none does, and NULL when none does but a NULL key or NULL
// condition made the answer unknown (for IN / NOT IN).
const (
	Inner JoinType = iota
	Left
	Right
	Full
	Semi
	Anti
	Mark
	Cross
)

func (t JoinType) String() string {
	return [...]string{"Inner", "Left", "Right", "Full", "Semi", "Anti", "Mark", "Cross"}[t]
}

// HashJoin joins Left (probe) with Right (build) on LeftKeys[i] =
// RightKeys[i] (NULL keys never match), then keeps pairs for which
// Residual (over left++right columns; nil = TRUE) is TRUE.
// NullAware (Anti only) gives NOT IN semantics: if the build side has
// any NULL key, no row is output; a probe row with a NULL key is output
// only if the build side is empty.
type HashJoin struct {
	Base
	Type      JoinType
	Left      Node
	Right     Node
	LeftKeys  []expr.Expr
	RightKeys []expr.Expr
	Residual  expr.Expr
	NullAware bool
}

// NestedLoopJoin joins without equality keys: Cross, or any type with Cond.
type NestedLoopJoin struct {
	Base
	Type  JoinType
	Left  Node
	Right Node
	Cond  expr.Expr
}

// SortKey is one ORDER BY item.
type SortKey struct {
	Expr       expr.Expr
	Desc       bool
	NullsFirst bool
}

func (k SortKey) String() string {
	s := k.Expr.String()
	if k.Desc {
		s += " DESC"
	}
	if k.NullsFirst {
		s += " NULLS FIRST"
	} else {
		s += " NULLS LAST"
	}
	return s
}

// Sort orders all its input.
type Sort struct {
	Base
	Input Node
	Keys  []SortKey
}

// TopN is Sort followed by Limit, keeping only Offset+Limit rows.
type TopN struct {
	Base
	Input  Node
	Keys   []SortKey
	Limit  int64
	Offset int64
}

// Limit skips Offset rows and returns at most Limit rows (Limit < 0: all).
type Limit struct {
	Base
	Input  Node
	Limit  int64
	Offset int64
}

// SetOpKind enumerates set operations.
type SetOpKind int

// Set operations.
const (
	Union SetOpKind = iota
	Intersect
	Except
)

func (k SetOpKind) String() string { return [...]string{"Union", "Intersect", "Except"}[k] }

// SetOp combines inputs with identical schemas. Union takes any number of
// inputs; Intersect and Except take two. All keeps duplicates (bag
// semantics), otherwise the result is distinct.
type SetOp struct {
	Base
	Kind   SetOpKind
	All    bool
	Inputs []Node
}

// Frame is a window frame. Unbounded bounds use Unbounded=true; Offset is
// the number of rows (ROWS) or the value distance (RANGE) from the current
// row, negative for PRECEDING.
type Frame struct {
	Rows       bool // ROWS (true) or RANGE (false)
	Start, End FrameBound
}

// FrameBound is one end of a frame.
type FrameBound struct {
	Unbounded bool
	Offset    int64 // 0 = CURRENT ROW; <0 PRECEDING; >0 FOLLOWING
}

// WindowFunc is one window function: row_number, rank, dense_rank,
// percent_rank, cume_dist, ntile, lag, lead, first_value, last_value,
// sum, avg, min, max, count, count_star.
type WindowFunc struct {
	Fn          string
	Args        []expr.Expr
	PartitionBy []expr.Expr
	OrderBy     []SortKey
	// Frame is nil for the default frame (RANGE UNBOUNDED PRECEDING to
	// CURRENT ROW with ORDER BY, the whole partition without).
	Frame *Frame
	T     arrow.DataType
}

// Window outputs its input columns followed by one column per function.
type Window struct {
	Base
	Input Node
	Funcs []WindowFunc
}

// Explain prints the plan as an indented tree.
func Explain(n Node) string {
	var b strings.Builder
	explain(&b, n, 0)
	return b.String()
}

func explain(b *strings.Builder, n Node, depth int) {
	b.WriteString(strings.Repeat("  ", depth))
	b.WriteString(n.Describe())
	b.WriteByte('\n')
	for _, c := range n.Children() {
		explain(b, c, depth+1)
	}
}

// Children implementations.
func (n *Scan) Children() []Node           { return nil }
func (n *Values) Children() []Node         { return nil }
func (n *Filter) Children() []Node         { return []Node{n.Input} }
func (n *Project) Children() []Node        { return []Node{n.Input} }
func (n *Aggregate) Children() []Node      { return []Node{n.Input} }
func (n *HashJoin) Children() []Node       { return []Node{n.Left, n.Right} }
func (n *NestedLoopJoin) Children() []Node { return []Node{n.Left, n.Right} }
func (n *Sort) Children() []Node           { return []Node{n.Input} }
func (n *TopN) Children() []Node           { return []Node{n.Input} }
func (n *Limit) Children() []Node          { return []Node{n.Input} }
func (n *SetOp) Children() []Node          { return n.Inputs }
func (n *Window) Children() []Node         { return []Node{n.Input} }

func exprList(es []expr.Expr) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return strings.Join(parts, ", ")
}

func keyList(ks []SortKey) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = k.String()
	}
	return strings.Join(parts, ", ")
}

// Describe implementations.
func (n *Scan) Describe() string {
	s := n.Table.Schema()
	cols := make([]string, len(n.Columns))
	for i, c := range n.Columns {
		cols[i] = s.Field(c).Name
	}
	out := fmt.Sprintf("Scan %s [%s]", n.Table.Name(), strings.Join(cols, ", "))
	if pt, ok := n.Table.(connectors.PartitionedTable); ok {
		if sel, total := pt.PartitionCounts(); sel >= 0 {
			out += fmt.Sprintf(" partitions=%d/%d", sel, total)
		}
	}
	if n.Filter != nil {
		out += " filter=" + n.Filter.String()
	}
	if len(n.Ranges) > 0 {
		out += fmt.Sprintf(" ranges=%d", len(n.Ranges))
	}
	if n.Limit > 0 {
		out += fmt.Sprintf(" limit=%d", n.Limit)
	}
	return out
}

func (n *Values) Describe() string { return fmt.Sprintf("Values rows=%d", len(n.Rows_)) }
func (n *Filter) Describe() string { return "Filter " + n.Pred.String() }
func (n *Project) Describe() string {
	return "Project " + exprList(n.Exprs)
}

func (n *Aggregate) Describe() string {
	aggs := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		aggs[i] = a.String()
	}
	return fmt.Sprintf("HashAggregate[partial→final] keys=[%s] aggs=[%s]", exprList(n.Keys), strings.Join(aggs, ", "))
}

func (n *HashJoin) Describe() string {
	keys := make([]string, len(n.LeftKeys))
	for i := range n.LeftKeys {
		keys[i] = n.LeftKeys[i].String() + " = " + n.RightKeys[i].String()
	}
	s := fmt.Sprintf("HashJoin %s on [%s]", n.Type, strings.Join(keys, ", "))
	if n.Residual != nil {
		s += " residual=" + n.Residual.String()
	}
	if n.NullAware {
		s += " null-aware"
	}
	return s
}

func (n *NestedLoopJoin) Describe() string {
	s := "NestedLoopJoin " + n.Type.String()
	if n.Cond != nil {
		s += " on " + n.Cond.String()
	}
	return s
}

func (n *Sort) Describe() string { return "Sort " + keyList(n.Keys) }
func (n *TopN) Describe() string {
	s := fmt.Sprintf("TopN limit=%d", n.Limit)
	if n.Offset > 0 {
		s += fmt.Sprintf(" offset=%d", n.Offset)
	}
	return s + " " + keyList(n.Keys)
}

func (n *Limit) Describe() string {
	s := fmt.Sprintf("Limit %d", n.Limit)
	if n.Offset > 0 {
		s += fmt.Sprintf(" offset=%d", n.Offset)
	}
	return s
}

func (n *SetOp) Describe() string {
	s := n.Kind.String()
	if n.All {
		s += " All"
	}
	return s
}

func (n *Window) Describe() string {
	parts := make([]string, len(n.Funcs))
	for i, f := range n.Funcs {
		p := f.Fn + "(" + exprList(f.Args) + ")"
		if len(f.PartitionBy) > 0 {
			p += " partition=[" + exprList(f.PartitionBy) + "]"
		}
		if len(f.OrderBy) > 0 {
			p += " order=[" + keyList(f.OrderBy) + "]"
		}
		parts[i] = p
	}
	return "Window " + strings.Join(parts, "; ")
}

// FieldsOf builds a schema from names and expression types.
func FieldsOf(names []string, es []expr.Expr) *arrow.Schema {
	fs := make([]arrow.Field, len(es))
	for i, e := range es {
		fs[i] = arrow.Field{Name: names[i], Type: e.Type(), Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}
