package expr

import "github.com/apache/arrow-go/v18/arrow"

// DictPredicate reports whether e is a predicate that can be evaluated
// once per entry of a dictionary-encoded VARCHAR column: a comparison of
// the column with a constant, an IN list of constants, LIKE with a
// constant pattern, IS [NOT] NULL, and AND/OR/NOT of those, all over one
// column. *col is that column's index (set on the first reference; pass
// -1). The planner marks a scan column dictionary-capable only where
// every predicate on it has this form (planner/dictcols.go), and exec/eval
// evaluates exactly these forms on the dictionary (exec/eval/dict.go):
// one definition keeps the two in step.
func DictPredicate(e Expr, col *int) bool {
	sameCol := func(x Expr) bool {
		c, ok := x.(*ColumnRef)
		if !ok || c.T == nil || c.T.ID() != arrow.STRING || c.Index < 0 {
			return false
		}
		if *col >= 0 && *col != c.Index {
			return false
		}
		*col = c.Index
		return true
	}
	isConst := func(x Expr) bool {
		switch x.(type) {
		case *Literal, *Param:
			return x.Type().ID() == arrow.STRING || x.Type().ID() == arrow.NULL
		}
		return false
	}
	switch e := e.(type) {
	case *InList:
		if e.E == nil || !sameCol(e.E) {
			return false
		}
		for _, x := range e.List {
			if !isConst(x) {
				return false
			}
		}
		return true
	case *Call:
		switch e.Fn {
		case "=", "<>", "<", "<=", ">", ">=", "<=>":
			if len(e.Args) != 2 {
				return false
			}
			return sameCol(e.Args[0]) && isConst(e.Args[1]) || isConst(e.Args[0]) && sameCol(e.Args[1])
		case "like", "not_like":
			if len(e.Args) < 2 || len(e.Args) > 3 || !sameCol(e.Args[0]) {
				return false
			}
			for _, x := range e.Args[1:] {
				if !isConst(x) {
					return false
				}
			}
			return true
		case "is_null", "is_not_null":
			return len(e.Args) == 1 && sameCol(e.Args[0])
		case "and", "or", "not":
			if len(e.Args) == 0 || e.Fn == "not" && len(e.Args) != 1 {
				return false
			}
			for _, x := range e.Args {
				if !DictPredicate(x, col) {
					return false
				}
			}
			return true
		}
	}
	return false
}
