// Package expr is the bound (typed, resolved) expression tree shared by
// the planner and the executor. The binder guarantees the typing rules
// documented on each function name below, so kernels never coerce.
package expr

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
)

// Expr is a bound expression. The set of implementations is closed:
// *ColumnRef, *Literal, *Call, *Case, *Cast, *InList, *Param.
type Expr interface {
	// Type is the result type.
	Type() arrow.DataType
	String() string
	isExpr()
}

// ColumnRef reads column Index of the operator's input batch.
type ColumnRef struct {
	Index int
	Name  string // for EXPLAIN only
	T     arrow.DataType
}

// Literal is a constant. Value holds the Go representation:
//
//	NULL: nil (T may be any type)
//	BOOLEAN: bool; integers: int64 (whatever the width)
//	FLOAT/DOUBLE: float64; VARCHAR: string
//	DECIMAL64: int64 unscaled; DECIMAL128: decimal128.Num unscaled
//	DATE: int32 days since epoch (arrow.Date32 representation)
//	TIMESTAMP: int64 microseconds since epoch
type Literal struct {
	Value any
	T     arrow.DataType
}

// Call is a scalar function or operator application. Fn names and the
// typing the binder guarantees:
//
//	Arithmetic (result T): "+", "-", "*", "/", "%", "div", "neg".
//	  Ints/floats: both args already the result type.
//	  Decimal + and -: args have the result's scale (precision may differ).
//	  Decimal *: any scales; result scale = s1+s2.
//	  Decimal /: any scales; result scale is T's; round half away from zero.
//	  "/" by zero and "%" by zero yield NULL (MySQL). Overflow is an error.
//	  "div" is integer division (truncates), ints only.
//	Comparison (T = BOOLEAN): "=", "<>", "<", "<=", ">", ">=" — both args
//	  have identical types (decimals same physical width and scale).
//	  "<=>" is NULL-safe equality.
//	Logic: "and", "or" (n-ary, Kleene three-valued), "not".
//	Null tests: "is_null", "is_not_null", "is_true", "is_false".
//	Strings: "like", "not_like" (arg 2 is the pattern; optional arg 3 the
//	  escape char), "concat", "substring" (str, start[, len] — 1-based,
//	  int64 args), "upper", "lower", "trim", "ltrim", "rtrim", "length",
//	  "char_length", "replace", "position" (substr, str), "left", "right",
//	  "lpad", "rpad", "reverse", "starts_with".
//	Conditionals: "coalesce" (args all of T), "nullif" (args same type),
//	  "if" (cond, a, b).
//	Dates: "extract_year", "extract_month", "extract_day", "extract_hour",
//	  "extract_minute", "extract_second", "extract_quarter",
//	  "extract_dow", "extract_doy", "extract_week" (arg DATE or TIMESTAMP,
//	  result BIGINT); "date_add" (date|timestamp, amount int64, unit
//	  literal string: "day","week","month","quarter","year","hour",
//	  "minute","second","microsecond"); "datediff" (date, date);
//	  "date_trunc" (unit literal string, date|timestamp); "now",
//	  "current_date".
//	Math: "abs", "round" (x[, digits int64]), "floor", "ceil", "sqrt",
//	  "power", "ln", "log10", "exp", "mod", "sign", "greatest", "least".
type Call struct {
	Fn   string
	Args []Expr
	T    arrow.DataType
}

// When is one WHEN ... THEN ... arm of a CASE.
type When struct {
	Cond, Then Expr
}

// Case is a searched CASE (a simple CASE is rewritten to searched by the
// binder). All Then values and Else have type T; Else nil means NULL.
type Case struct {
	Whens []When
	Else  Expr
	T     arrow.DataType
}

// Cast converts E to T, erroring on values that do not fit (string to
// number parse errors, overflow). Casting to the same type is a no-op.
type Cast struct {
	E Expr
	T arrow.DataType
}

// InList is E [NOT] IN (List...). All list items have E's type; the list
// is usually literals. NULL semantics are SQL's: no match and a NULL item
// gives NULL.
type InList struct {
	E       Expr
	List    []Expr
	Negated bool
}

// Param is a prepared-statement placeholder (?), bound before execution.
type Param struct {
	Index int
	T     arrow.DataType
}

func (*ColumnRef) isExpr() {}
func (*Literal) isExpr()   {}
func (*Call) isExpr()      {}
func (*Case) isExpr()      {}
func (*Cast) isExpr()      {}
func (*InList) isExpr()    {}
func (*Param) isExpr()     {}

// Type implementations.
func (e *ColumnRef) Type() arrow.DataType { return e.T }
func (e *Literal) Type() arrow.DataType   { return e.T }
func (e *Call) Type() arrow.DataType      { return e.T }
func (e *Case) Type() arrow.DataType      { return e.T }
func (e *Cast) Type() arrow.DataType      { return e.T }
func (e *InList) Type() arrow.DataType    { return types.Boolean }
func (e *Param) Type() arrow.DataType     { return e.T }

func (e *ColumnRef) String() string {
	if e.Name != "" {
		return fmt.Sprintf("%s#%d", e.Name, e.Index)
	}
	return fmt.Sprintf("#%d", e.Index)
}

func (e *Literal) String() string { return FormatValue(e.Value, e.T) }

var infix = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "div": true,
	"=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true, "<=>": true,
	"and": true, "or": true, "like": true, "not_like": true}

func (e *Call) String() string {
	if infix[e.Fn] && len(e.Args) >= 2 {
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = a.String()
		}
		op := strings.ToUpper(strings.ReplaceAll(e.Fn, "_", " "))
		return "(" + strings.Join(parts, " "+op+" ") + ")"
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return e.Fn + "(" + strings.Join(parts, ", ") + ")"
}

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		fmt.Fprintf(&b, " WHEN %s THEN %s", w.Cond, w.Then)
	}
	if e.Else != nil {
		fmt.Fprintf(&b, " ELSE %s", e.Else)
	}
	b.WriteString(" END")
	return b.String()
}

func (e *Cast) String() string {
	return fmt.Sprintf("CAST(%s AS %s)", e.E, types.SQLName(e.T))
}

func (e *InList) String() string {
	parts := make([]string, len(e.List))
	for i, a := range e.List {
		parts[i] = a.String()
	}
	not := ""
	if e.Negated {
		not = "NOT "
	}
	return fmt.Sprintf("%s %sIN (%s)", e.E, not, strings.Join(parts, ", "))
}

func (e *Param) String() string { return fmt.Sprintf("?%d", e.Index) }

// Walk calls fn on e and its descendants in pre-order; fn returning false
// skips the children.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	for _, c := range Children(e) {
		Walk(c, fn)
	}
}

// Children returns the direct sub-expressions of e.
func Children(e Expr) []Expr {
	switch e := e.(type) {
	case *Call:
		return e.Args
	case *Case:
		out := make([]Expr, 0, 2*len(e.Whens)+1)
		for _, w := range e.Whens {
			out = append(out, w.Cond, w.Then)
		}
		if e.Else != nil {
			out = append(out, e.Else)
		}
		return out
	case *Cast:
		return []Expr{e.E}
	case *InList:
		return append([]Expr{e.E}, e.List...)
	}
	return nil
}

// Transform rebuilds e bottom-up, replacing each node by fn(node) after
// its children were transformed. Unchanged subtrees are shared.
func Transform(e Expr, fn func(Expr) Expr) Expr {
	if e == nil {
		return nil
	}
	switch n := e.(type) {
	case *Call:
		args := make([]Expr, len(n.Args))
		for i, a := range n.Args {
			args[i] = Transform(a, fn)
		}
		e = &Call{Fn: n.Fn, Args: args, T: n.T}
	case *Case:
		c := &Case{T: n.T, Whens: make([]When, len(n.Whens))}
		for i, w := range n.Whens {
			c.Whens[i] = When{Cond: Transform(w.Cond, fn), Then: Transform(w.Then, fn)}
		}
		c.Else = Transform(n.Else, fn)
		e = c
	case *Cast:
		e = &Cast{E: Transform(n.E, fn), T: n.T}
	case *InList:
		l := make([]Expr, len(n.List))
		for i, a := range n.List {
			l[i] = Transform(a, fn)
		}
		e = &InList{E: Transform(n.E, fn), List: l, Negated: n.Negated}
	}
	return fn(e)
}

// Columns returns the set of input column indexes e reads.
func Columns(e Expr) map[int]bool {
	out := map[int]bool{}
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*ColumnRef); ok {
			out[c.Index] = true
		}
		return true
	})
	return out
}
