package eval

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/planner/expr"
)

// nonStrict lists the functions that do not simply return NULL when an
// argument is a NULL literal.
var nonStrict = map[string]bool{
	"and": true, "or": true, "is_null": true, "is_not_null": true, "is_true": true,
	"is_false": true, "coalesce": true, "if": true, "nullif": true, "<=>": true,
	"now": true, "current_date": true,
}

func (c *compiler) compileCall(e *expr.Call) (node, error) {
	if !nonStrict[e.Fn] {
		for _, a := range e.Args {
			if l, ok := a.(*expr.Literal); ok && l.Value == nil {
				if _, known := callKnown[e.Fn]; known {
					return &constNode{t: e.T, mem: c.mem}, nil
				}
			}
		}
	}
	switch e.Fn {
	case "+", "-", "*", "/", "%", "div", "neg":
		return c.compileArith(e)
	case "=", "<>", "!=", "<", "<=", ">", ">=", "<=>":
		return c.compileCompare(e)
	case "and", "or":
		return c.compileLogic(e)
	case "not":
		args, err := c.compileArgs(e, 1, 1)
		if err != nil {
			return nil, err
		}
		if err := checkBoolArgs(e); err != nil {
			return nil, err
		}
		return &notNode{arg: args[0], mem: c.mem}, nil
	case "is_null", "is_not_null", "is_true", "is_false":
		args, err := c.compileArgs(e, 1, 1)
		if err != nil {
			return nil, err
		}
		if (e.Fn == "is_true" || e.Fn == "is_false") && e.Args[0].Type().ID() != arrow.BOOL && e.Args[0].Type().ID() != arrow.NULL {
			return nil, fmt.Errorf("%s: argument must be BOOLEAN", e)
		}
		return &isNode{fn: e.Fn, arg: args[0], mem: c.mem}, nil
	case "like", "not_like":
		return c.compileLike(e)
	case "coalesce":
		return c.compileCoalesce(e)
	case "if":
		if len(e.Args) != 3 {
			return nil, fmt.Errorf("%s: expected 3 arguments", e)
		}
		return c.compileCase(&expr.Case{Whens: []expr.When{{Cond: e.Args[0], Then: e.Args[1]}}, Else: e.Args[2], T: e.T})
	case "nullif":
		return c.compileNullif(e)
	case "extract_year", "extract_month", "extract_day", "extract_hour", "extract_minute",
		"extract_second", "extract_quarter", "extract_dow", "extract_doy", "extract_week":
		return c.compileExtract(e)
	case "date_add":
		return c.compileDateAdd(e)
	case "datediff":
		return c.compileDatediff(e)
	case "date_trunc":
		return c.compileDateTrunc(e)
	case "now":
		return &constNode{t: e.T, v: c.now.UnixMicro(), mem: c.mem}, nil
	case "current_date":
		return &constNode{t: e.T, v: int32(c.now.Unix() / 86400), mem: c.mem}, nil
	case "abs", "round", "floor", "ceil", "sqrt", "power", "ln", "log10", "exp", "mod", "sign",
		"greatest", "least":
		return c.compileMath(e)
	}
	if _, ok := stringFns[e.Fn]; ok {
		return c.compileString(e)
	}
	if nestedFns[e.Fn] {
		return c.compileNested(e)
	}
	return nil, fmt.Errorf("unknown function %q in %s", e.Fn, e)
}

// callKnown is every function name compileCall accepts (for NULL folding).
var callKnown = func() map[string]struct{} {
	m := map[string]struct{}{}
	for _, f := range []string{"+", "-", "*", "/", "%", "div", "neg", "=", "<>", "!=", "<", "<=", ">", ">=",
		"not", "like", "not_like", "extract_year", "extract_month", "extract_day", "extract_hour",
		"extract_minute", "extract_second", "extract_quarter", "extract_dow", "extract_doy",
		"extract_week", "date_add", "datediff", "date_trunc", "abs", "round", "floor", "ceil", "sqrt",
		"power", "ln", "log10", "exp", "mod", "sign", "greatest", "least"} {
		m[f] = struct{}{}
	}
	for f := range stringFns {
		m[f] = struct{}{}
	}
	return m
}()
