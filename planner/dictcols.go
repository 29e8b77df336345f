package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

// Dictionary-encoded scan columns.
//
// A Parquet scan can hand dictionary-encoded VARCHAR columns to the
// operators above as arrow dictionaries (connectors.ScanRequest.DictOK),
// which makes filters and group keys on low-cardinality strings work per
// dictionary entry rather than per row (exec/eval/dict.go,
// exec/aggregate_dict.go). Only a few kernels accept dictionaries, so
// markDictColumns allows it for a scan column only when every use of the
// column above the scan is one of:
//
//   - a Filter (or the scan's own filter) conjunct that is a predicate of
//     the column alone against constants: comparison with a literal or
//     parameter, IN / NOT IN a list of constants, [NOT] LIKE a constant
//     pattern, IS [NOT] NULL, and AND/OR/NOT of these over the column;
//   - a HashAggregate group key that is the column itself (the
//     aggregate's key outputs are plain strings);
//   - the argument of a HashAggregate min, max or any_value that is the
//     column itself (exec/aggregate_minmax.go compares dictionary entries
//     and stores plain strings), or of a count without DISTINCT (which
//     reads only the validity);
//   - a Filter or a Project passing the column through unchanged (a bare
//     column reference) to one of the uses above.
//
// Anything else (an expression, a join or sort key, another aggregate's
// argument, a window, the query output...) keeps the column plain, so no
// other operator ever sees a dictionary array. The matcher here must
// accept no more than expr.DictPredicate.

// markDictColumns sets Scan.DictOK throughout the plan rooted at root.
func markDictColumns(root plan.Node) {
	visitDict(root, make([]bool, root.Schema().NumFields()))
}

// visitDict marks the scans below n; ok[i] says whether n's consumer
// accepts a dictionary for n's output column i.
func visitDict(n plan.Node, ok []bool) {
	switch x := n.(type) {
	case *plan.Scan:
		var dict []bool
		for i := range x.Columns {
			if i < len(ok) && ok[i] && x.Schema().Field(i).Type.ID() == arrow.STRING && dictFilterAllows(x.Filter, i) {
				if dict == nil {
					dict = make([]bool, len(x.Columns))
				}
				dict[i] = true
			}
		}
		x.DictOK = dict
	case *plan.Filter:
		in := make([]bool, x.Input.Schema().NumFields())
		for i := range in {
			in[i] = i < len(ok) && ok[i] && dictFilterAllows(x.Pred, i)
		}
		visitDict(x.Input, in)
	case *plan.Project:
		in := dictAll(x.Input)
		for j, e := range x.Exprs {
			if c, isCol := e.(*expr.ColumnRef); isCol {
				if c.Index >= 0 && c.Index < len(in) && !(j < len(ok) && ok[j]) {
					in[c.Index] = false
				}
				continue
			}
			dictUse(e, in)
		}
		visitDict(x.Input, in)
	case *plan.Aggregate:
		in := dictAll(x.Input)
		for _, k := range x.Keys {
			if _, isCol := k.(*expr.ColumnRef); !isCol {
				dictUse(k, in)
			}
		}
		for _, f := range x.Aggs {
			for _, a := range f.Args {
				if _, isCol := a.(*expr.ColumnRef); isCol && dictAggArg(f) {
					continue
				}
				dictUse(a, in)
			}
		}
		visitDict(x.Input, in)
	default:
		for _, c := range n.Children() {
			visitDict(c, make([]bool, c.Schema().NumFields()))
		}
	}
}

// dictAggArg reports whether aggregate f accepts a dictionary column as
// its (bare column) argument. The set must match the accumulators that
// handle dictionary input in exec: count (not DISTINCT, whose value set
// hashes plain values) and the string min/max/any_value accumulator.
func dictAggArg(f plan.AggFunc) bool {
	if len(f.Args) != 1 {
		return false
	}
	switch f.Fn {
	case "min", "max", "any_value":
		// DISTINCT is a no-op for these (no value set is kept).
		return true
	case "count":
		return !f.Distinct
	}
	return false
}

// dictAll is an all-true mask over n's output columns.
func dictAll(n plan.Node) []bool {
	m := make([]bool, n.Schema().NumFields())
	for i := range m {
		m[i] = true
	}
	return m
}

// dictUse clears the mask of every column e references.
func dictUse(e expr.Expr, m []bool) {
	switch x := e.(type) {
	case *expr.ColumnRef:
		if x.Index >= 0 && x.Index < len(m) {
			m[x.Index] = false
		}
	case *expr.Call:
		for _, a := range x.Args {
			dictUse(a, m)
		}
	case *expr.InList:
		dictUse(x.E, m)
		for _, a := range x.List {
			dictUse(a, m)
		}
	case *expr.Cast:
		dictUse(x.E, m)
	case *expr.Case:
		for _, w := range x.Whens {
			dictUse(w.Cond, m)
			dictUse(w.Then, m)
		}
		if x.Else != nil {
			dictUse(x.Else, m)
		}
	case *expr.Literal, *expr.Param, nil:
	default:
		// An expression kind this walk does not know: be safe, no column
		// of the input may be a dictionary.
		for i := range m {
			m[i] = false
		}
	}
}

// dictFilterAllows reports whether every conjunct of pred that
// references column col is a dictionary predicate over col alone.
func dictFilterAllows(pred expr.Expr, col int) bool {
	if pred == nil {
		return true
	}
	for _, c := range dictConjuncts(pred, nil) {
		if !dictRefs(c, col) {
			continue
		}
		one := -1
		if !expr.DictPredicate(c, &one) || one != col {
			return false
		}
	}
	return true
}

func dictConjuncts(e expr.Expr, out []expr.Expr) []expr.Expr {
	if c, ok := e.(*expr.Call); ok && c.Fn == "and" {
		for _, a := range c.Args {
			out = dictConjuncts(a, out)
		}
		return out
	}
	return append(out, e)
}

// dictRefs reports whether e references column col.
func dictRefs(e expr.Expr, col int) bool {
	m := make([]bool, col+1)
	m[col] = true
	dictUse(e, m)
	return !m[col]
}
