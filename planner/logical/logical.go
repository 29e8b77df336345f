// Package logical is tarn's logical plan: a closed set of relational nodes
// whose expressions (planner/expr) refer to columns by a query-wide unique
// column ID (expr.ColumnRef.Index holds the ID, not a position). Because
// IDs never change, optimizer rules can move, reorder and prune nodes
// without renumbering; positions are assigned once, when the plan is
// lowered to planner/plan.
//
// A node's schema is therefore a set of columns (Cols lists them in a
// canonical order, but the order carries no meaning above the root).
package logical

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

// Col is an output column of a node.
type Col struct {
	ID   int
	Name string
	T    arrow.DataType
}

// Ref returns a column reference expression to c.
func (c Col) Ref() *expr.ColumnRef { return &expr.ColumnRef{Index: c.ID, Name: c.Name, T: c.T} }

// Meta allocates column IDs for one query.
type Meta struct{ next int }

// NewCol allocates a fresh column.
func (m *Meta) NewCol(name string, t arrow.DataType) Col {
	m.next++
	return Col{ID: m.next, Name: name, T: t}
}

// Node is a logical plan node. Implementations are the types of this
// package.
type Node interface {
	// Cols is the output schema.
	Cols() []Col
	// Inputs are the children.
	Inputs() []Node
	// WithInputs returns a shallow copy with the children replaced.
	WithInputs(in []Node) Node
	describe() string
}

// Scan reads a table. All has one column per table column (by ordinal);
// Used lists the ordinals actually read. Filter is a list of conjuncts
// over the table's columns.
type Scan struct {
	Table  connectors.Table
	Alias  string
	All    []Col
	Used   []int
	Filter []expr.Expr
	Limit  int64
	// BaseRows is the table's estimated row count (-1 unknown).
	BaseRows float64
	// NDV holds the catalog's distinct-value counts by column ID.
	NDV map[int]float64
}

// Filter keeps rows for which all Conds are TRUE.
type Filter struct {
	Input Node
	Conds []expr.Expr
}

// Project computes Exprs; Out[i] is the column of Exprs[i].
type Project struct {
	Input Node
	Exprs []expr.Expr
	Out   []Col
}

// Agg is one aggregate call.
type Agg struct {
	Fn       string
	Args     []expr.Expr
	Distinct bool
	Col      Col
}

// Aggregate groups by Keys (output columns KeyCols) and computes Aggs.
type Aggregate struct {
	Input   Node
	Keys    []expr.Expr
	KeyCols []Col
	Aggs    []Agg
}

// Join joins Left and Right on the conjunction Conds. Semi and Anti
// output Left's columns; Mark outputs Left's columns plus MarkCol.
// NullAware (Anti) gives NOT IN semantics for its first equality.
type Join struct {
	Type      plan.JoinType
	Left      Node
	Right     Node
	Conds     []expr.Expr
	NullAware bool
	MarkCol   Col
	// MarkExists marks a Mark join from EXISTS (unknown counts as FALSE).
	MarkExists bool
}

// Sort orders its input.
type Sort struct {
	Input Node
	Keys  []plan.SortKey
}

// Limit skips Offset rows and keeps at most Limit rows (< 0: all).
type Limit struct {
	Input         Node
	Limit, Offset int64
}

// SetOp combines Inputs positionally: InCols[i] lists, for input i, the
// column IDs feeding Out in order.
type SetOp struct {
	Kind   plan.SetOpKind
	All    bool
	Ins    []Node
	InCols [][]int
	Out    []Col
}

// WinFunc is one window function producing Col.
type WinFunc struct {
	plan.WindowFunc
	Col Col
}

// Window appends one column per function to its input.
type Window struct {
	Input Node
	Funcs []WinFunc
}

// Values produces constant rows.
type Values struct {
	Rows [][]expr.Expr
	Out  []Col
}

// ApplyKind enumerates subquery applications.
type ApplyKind int

// Apply kinds.
const (
	// ApplySemi keeps input rows for which the subquery has a match
	// (EXISTS, IN); ApplyAnti keeps the others (NOT EXISTS, NOT IN).
	ApplySemi ApplyKind = iota
	ApplyAnti
	// ApplyMark adds a BOOLEAN column Out telling whether a match exists
	// (IN: three-valued; EXISTS: never NULL).
	ApplyMark
	// ApplyScalar adds the subquery's single value as column Out.
	ApplyScalar
)

func (k ApplyKind) String() string { return [...]string{"Semi", "Anti", "Mark", "Scalar"}[k] }

// Apply evaluates the subquery Sub for each row of Input; Sub may refer
// to Input's columns (correlation). Probe (IN only) is compared with
// Sub's single output column. The decorrelator rewrites every Apply
// into joins; none reach physical planning.
type Apply struct {
	Kind      ApplyKind
	Input     Node
	Sub       Node
	Probe     expr.Expr
	NullAware bool // NOT IN
	Exists    bool // EXISTS (vs IN) for ApplyMark
	Out       Col
}

// Cols implementations.
func (n *Scan) Cols() []Col {
	if n.Used == nil {
		return n.All
	}
	out := make([]Col, len(n.Used))
	for i, u := range n.Used {
		out[i] = n.All[u]
	}
	return out
}
func (n *Filter) Cols() []Col  { return n.Input.Cols() }
func (n *Project) Cols() []Col { return n.Out }
func (n *Aggregate) Cols() []Col {
	out := append([]Col(nil), n.KeyCols...)
	for _, a := range n.Aggs {
		out = append(out, a.Col)
	}
	return out
}
func (n *Join) Cols() []Col {
	switch n.Type {
	case plan.Semi, plan.Anti:
		return n.Left.Cols()
	case plan.Mark:
		return append(append([]Col(nil), n.Left.Cols()...), n.MarkCol)
	}
	return append(append([]Col(nil), n.Left.Cols()...), n.Right.Cols()...)
}
func (n *Sort) Cols() []Col   { return n.Input.Cols() }
func (n *Limit) Cols() []Col  { return n.Input.Cols() }
func (n *SetOp) Cols() []Col  { return n.Out }
func (n *Values) Cols() []Col { return n.Out }
func (n *Window) Cols() []Col {
	out := append([]Col(nil), n.Input.Cols()...)
	for _, f := range n.Funcs {
		out = append(out, f.Col)
	}
	return out
}
func (n *Apply) Cols() []Col {
	switch n.Kind {
	case ApplySemi, ApplyAnti:
		return n.Input.Cols()
	}
	return append(append([]Col(nil), n.Input.Cols()...), n.Out)
}

// Inputs implementations.
func (n *Scan) Inputs() []Node      { return nil }
func (n *Filter) Inputs() []Node    { return []Node{n.Input} }
func (n *Project) Inputs() []Node   { return []Node{n.Input} }
func (n *Aggregate) Inputs() []Node { return []Node{n.Input} }
func (n *Join) Inputs() []Node      { return []Node{n.Left, n.Right} }
func (n *Sort) Inputs() []Node      { return []Node{n.Input} }
func (n *Limit) Inputs() []Node     { return []Node{n.Input} }
func (n *SetOp) Inputs() []Node     { return n.Ins }
func (n *Window) Inputs() []Node    { return []Node{n.Input} }
func (n *Values) Inputs() []Node    { return nil }
func (n *Apply) Inputs() []Node     { return []Node{n.Input, n.Sub} }

// WithInputs implementations.
func (n *Scan) WithInputs([]Node) Node         { c := *n; return &c }
func (n *Filter) WithInputs(in []Node) Node    { c := *n; c.Input = in[0]; return &c }
func (n *Project) WithInputs(in []Node) Node   { c := *n; c.Input = in[0]; return &c }
func (n *Aggregate) WithInputs(in []Node) Node { c := *n; c.Input = in[0]; return &c }
func (n *Join) WithInputs(in []Node) Node      { c := *n; c.Left, c.Right = in[0], in[1]; return &c }
func (n *Sort) WithInputs(in []Node) Node      { c := *n; c.Input = in[0]; return &c }
func (n *Limit) WithInputs(in []Node) Node     { c := *n; c.Input = in[0]; return &c }
func (n *SetOp) WithInputs(in []Node) Node {
	c := *n
	c.Ins = append([]Node(nil), in...)
	return &c
}
func (n *Window) WithInputs(in []Node) Node { c := *n; c.Input = in[0]; return &c }
func (n *Values) WithInputs([]Node) Node    { c := *n; return &c }
func (n *Apply) WithInputs(in []Node) Node  { c := *n; c.Input, c.Sub = in[0], in[1]; return &c }

func exprs(es []expr.Expr) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.String()
	}
	return strings.Join(s, ", ")
}

func (n *Scan) describe() string {
	names := make([]string, 0)
	for _, c := range n.Cols() {
		names = append(names, fmt.Sprintf("%s#%d", c.Name, c.ID))
	}
	s := fmt.Sprintf("Scan %s [%s]", n.Table.Name(), strings.Join(names, ", "))
	if len(n.Filter) > 0 {
		s += " filter=[" + exprs(n.Filter) + "]"
	}
	if n.Limit > 0 {
		s += fmt.Sprintf(" limit=%d", n.Limit)
	}
	return s
}
func (n *Filter) describe() string { return "Filter " + exprs(n.Conds) }
func (n *Project) describe() string {
	s := make([]string, len(n.Exprs))
	for i, e := range n.Exprs {
		s[i] = fmt.Sprintf("%s AS %s#%d", e, n.Out[i].Name, n.Out[i].ID)
	}
	return "Project " + strings.Join(s, ", ")
}
func (n *Aggregate) describe() string {
	s := make([]string, len(n.Aggs))
	for i, a := range n.Aggs {
		s[i] = fmt.Sprintf("%s AS #%d", plan.AggFunc{Fn: a.Fn, Args: a.Args, Distinct: a.Distinct}, a.Col.ID)
	}
	return fmt.Sprintf("Aggregate keys=[%s] aggs=[%s]", exprs(n.Keys), strings.Join(s, ", "))
}
func (n *Join) describe() string {
	s := fmt.Sprintf("Join %s on [%s]", n.Type, exprs(n.Conds))
	if n.NullAware {
		s += " null-aware"
	}
	return s
}
func (n *Sort) describe() string {
	s := make([]string, len(n.Keys))
	for i, k := range n.Keys {
		s[i] = k.String()
	}
	return "Sort " + strings.Join(s, ", ")
}
func (n *Limit) describe() string  { return fmt.Sprintf("Limit %d offset %d", n.Limit, n.Offset) }
func (n *SetOp) describe() string  { return fmt.Sprintf("SetOp %s all=%v", n.Kind, n.All) }
func (n *Window) describe() string { return fmt.Sprintf("Window %d funcs", len(n.Funcs)) }
func (n *Values) describe() string { return fmt.Sprintf("Values rows=%d", len(n.Rows)) }
func (n *Apply) describe() string {
	s := "Apply " + n.Kind.String()
	if n.Probe != nil {
		s += " probe=" + n.Probe.String()
	}
	return s
}

// Explain prints a logical plan (for debugging and tests).
func Explain(n Node) string {
	var b strings.Builder
	var walk func(Node, int)
	walk = func(n Node, d int) {
		b.WriteString(strings.Repeat("  ", d))
		b.WriteString(n.describe())
		b.WriteByte('\n')
		for _, c := range n.Inputs() {
			walk(c, d+1)
		}
	}
	walk(n, 0)
	return b.String()
}

// IDs returns the set of column IDs of cols.
func IDs(cols []Col) map[int]bool {
	out := make(map[int]bool, len(cols))
	for _, c := range cols {
		out[c.ID] = true
	}
	return out
}

// SchemaKey renders a schema as a canonical, order-insensitive string
// (IDs and types), used to check that rules preserve schemas.
func SchemaKey(cols []Col) string {
	s := make([]string, len(cols))
	for i, c := range cols {
		s[i] = fmt.Sprintf("%d:%s", c.ID, c.T)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// Refs returns the column IDs e reads.
func Refs(e expr.Expr) map[int]bool { return expr.Columns(e) }

// RefsAll returns the column IDs the expressions read.
func RefsAll(es ...expr.Expr) map[int]bool {
	out := map[int]bool{}
	for _, e := range es {
		for id := range expr.Columns(e) {
			out[id] = true
		}
	}
	return out
}

// Subset reports whether all of a are in b.
func Subset(a, b map[int]bool) bool {
	for id := range a {
		if !b[id] {
			return false
		}
	}
	return true
}

// Conjuncts splits nested ANDs.
func Conjuncts(e expr.Expr) []expr.Expr {
	if c, ok := e.(*expr.Call); ok && c.Fn == "and" {
		var out []expr.Expr
		for _, a := range c.Args {
			out = append(out, Conjuncts(a)...)
		}
		return out
	}
	if e == nil {
		return nil
	}
	return []expr.Expr{e}
}

// And combines conjuncts (nil for none).
func And(es []expr.Expr) expr.Expr {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return &expr.Call{Fn: "and", Args: es, T: arrow.FixedWidthTypes.Boolean}
}

// FreeCols returns the column IDs referenced inside n that no node of n
// produces: the outer references of a correlated subquery.
func FreeCols(n Node) map[int]bool {
	produced := map[int]bool{}
	used := map[int]bool{}
	var walk func(Node)
	walk = func(n Node) {
		for _, c := range n.Inputs() {
			walk(c)
		}
		for _, c := range n.Cols() {
			produced[c.ID] = true
		}
		if s, ok := n.(*Scan); ok {
			for _, c := range s.All {
				produced[c.ID] = true
			}
		}
		for _, e := range NodeExprs(n) {
			for id := range expr.Columns(e) {
				used[id] = true
			}
		}
	}
	walk(n)
	out := map[int]bool{}
	for id := range used {
		if !produced[id] {
			out[id] = true
		}
	}
	return out
}

// NodeExprs returns every expression a node holds.
func NodeExprs(n Node) []expr.Expr {
	var out []expr.Expr
	switch n := n.(type) {
	case *Scan:
		out = append(out, n.Filter...)
	case *Filter:
		out = append(out, n.Conds...)
	case *Project:
		out = append(out, n.Exprs...)
	case *Aggregate:
		out = append(out, n.Keys...)
		for _, a := range n.Aggs {
			out = append(out, a.Args...)
		}
	case *Join:
		out = append(out, n.Conds...)
	case *Sort:
		for _, k := range n.Keys {
			out = append(out, k.Expr)
		}
	case *Window:
		for _, f := range n.Funcs {
			out = append(out, f.Args...)
			out = append(out, f.PartitionBy...)
			for _, k := range f.OrderBy {
				out = append(out, k.Expr)
			}
		}
	case *Values:
		for _, r := range n.Rows {
			out = append(out, r...)
		}
	case *SetOp:
		for _, ids := range n.InCols {
			for _, id := range ids {
				out = append(out, &expr.ColumnRef{Index: id})
			}
		}
	case *Apply:
		if n.Probe != nil {
			out = append(out, n.Probe)
		}
	case *Unnest:
		out = append(out, n.Exprs...)
	}
	return out
}

// MetaAfter returns an allocator whose next ID follows maxID.
func MetaAfter(maxID int) *Meta { return &Meta{next: maxID} }
