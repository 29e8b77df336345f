package planner

import (
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// ectx is the context of binding one expression.
type ectx struct {
	b       *binder
	sc      *scope
	env     *cteEnv
	clause  string
	agg     *aggState
	win     *winState
	aliases map[string]expr.Expr // select aliases visible (HAVING)
	applies []*logical.Apply     // subqueries met, to stack under the user
	inAgg   bool
}

// aggState collects GROUP BY keys and aggregate calls of one SELECT.
type aggState struct {
	keys    []expr.Expr
	keyCols []logical.Col
	keyIdx  map[string]int
	aggs    []logical.Agg
	aggIdx  map[string]int
	fromIDs map[int]bool
}

func (a *aggState) addKey(b *binder, e expr.Expr, name string) {
	k := e.String()
	if _, ok := a.keyIdx[k]; ok {
		return
	}
	a.keyIdx[k] = len(a.keys)
	a.keys = append(a.keys, e)
	if cr, ok := e.(*expr.ColumnRef); ok {
		a.keyCols = append(a.keyCols, logical.Col{ID: cr.Index, Name: cr.Name, T: cr.T})
		return
	}
	a.keyCols = append(a.keyCols, b.meta.NewCol(name, e.Type()))
}

// finish rewrites an expression bound over the FROM scope to read the
// aggregate's output: group expressions become key columns; a FROM
// column outside any aggregate and key is an error.
func (a *aggState) finish(ec *ectx, e expr.Expr) (expr.Expr, error) {
	if a == nil {
		return e, nil
	}
	var err error
	var walk func(expr.Expr) expr.Expr
	walk = func(x expr.Expr) expr.Expr {
		if err != nil {
			return x
		}
		if i, ok := a.keyIdx[x.String()]; ok {
			return a.keyCols[i].Ref()
		}
		if cr, ok := x.(*expr.ColumnRef); ok {
			if a.fromIDs[cr.Index] {
				err = errAt(newErr(CodeGroupBy, "Expression '%s' in the %s is not in GROUP BY and contains nonaggregated column; this is incompatible with sql_mode=only_full_group_by", cr.Name, clauseName(ec.clause)), cr.Name)
			}
			return x
		}
		return mapChildren(x, walk)
	}
	out := walk(e)
	return out, err
}

func clauseName(c string) string {
	if c == "" {
		return "field list"
	}
	return c
}

// mapChildren rebuilds e with fn applied to its direct children.
func mapChildren(e expr.Expr, fn func(expr.Expr) expr.Expr) expr.Expr {
	switch n := e.(type) {
	case *expr.Call:
		args := make([]expr.Expr, len(n.Args))
		for i, x := range n.Args {
			args[i] = fn(x)
		}
		return &expr.Call{Fn: n.Fn, Args: args, T: n.T}
	case *expr.Case:
		c := &expr.Case{T: n.T}
		for _, w := range n.Whens {
			c.Whens = append(c.Whens, expr.When{Cond: fn(w.Cond), Then: fn(w.Then)})
		}
		if n.Else != nil {
			c.Else = fn(n.Else)
		}
		return c
	case *expr.Cast:
		return &expr.Cast{E: fn(n.E), T: n.T}
	case *expr.InList:
		l := make([]expr.Expr, len(n.List))
		for i, x := range n.List {
			l[i] = fn(x)
		}
		return &expr.InList{E: fn(n.E), List: l, Negated: n.Negated}
	}
	return e
}

type winState struct {
	funcs []logical.WinFunc
}

func resolveCol(sc *scope, cn *sqlparser.ColName, clause string) (expr.Expr, error) {
	name := cn.Name.String()
	tbl := cn.Qualifier.Name.String()
	db := cn.Qualifier.Qualifier.String()
	for s := sc; s != nil; s = s.parent {
		var hit *scopeCol
		for i := range s.cols {
			c := &s.cols[i]
			if !strings.EqualFold(c.name, name) {
				continue
			}
			if tbl == "" && c.hiddenUnqualified {
				continue
			}
			if tbl != "" && !strings.EqualFold(c.table, tbl) {
				continue
			}
			if db != "" && !strings.EqualFold(c.db, db) {
				continue
			}
			if hit != nil && hit.col.ID != c.col.ID {
				return nil, errAt(newErr(CodeAmbiguous, "Column '%s' in %s is ambiguous", name, clauseName(clause)), name)
			}
			hit = c
		}
		if hit != nil {
			return &expr.ColumnRef{Index: hit.col.ID, Name: hit.name, T: hit.col.T}, nil
		}
	}
	full := sqlparser.String(cn)
	return nil, errAt(newErr(CodeBadField, "Unknown column '%s' in '%s'%s", strings.ReplaceAll(full, "`", ""), clauseName(clause), hiddenColumnHint(name)), name)
}

func (ec *ectx) bindAll(es []sqlparser.Expr) ([]expr.Expr, error) {
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		x, err := ec.bind(e)
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

func unsupported(what string, e sqlparser.SQLNode) *Error {
	return newErr(CodeOther, "%s is not supported: %s", what, sqlparser.String(e))
}

func (ec *ectx) bind(e sqlparser.Expr) (expr.Expr, error) {
	b := ec.b
	switch x := e.(type) {
	case *sqlparser.ColName:
		r, err := resolveCol(ec.sc, x, ec.clause)
		if err != nil && !x.Qualifier.IsEmpty() {
			// a.b / t.a.b / a.b.c may read a struct field (bindnested.go)
			if f, ok, ferr := resolveStructField(ec.sc, x, ec.clause); ok || ferr != nil {
				return f, ferr
			}
		}
		if err != nil && ec.aliases != nil && x.Qualifier.IsEmpty() {
			if a, ok := ec.aliases[strings.ToLower(x.Name.String())]; ok {
				return a, nil
			}
		}
		return r, err
	case *sqlparser.Literal:
		return bindLiteral(x)
	case *sqlparser.NullVal:
		return logical.Lit(nil, types.Null), nil
	case sqlparser.BoolVal:
		return logical.Lit(bool(x), types.Boolean), nil
	case *sqlparser.Argument:
		name := strings.TrimPrefix(strings.TrimPrefix(x.Name, ":"), "v")
		i, err := strconv.Atoi(name)
		if err != nil || i < 1 {
			return nil, newErr(CodeOther, "unsupported bind variable %s", x.Name)
		}
		t := types.String
		if b.params != nil && i-1 < len(b.params) && b.params[i-1] != nil {
			t = b.params[i-1]
		}
		return &expr.Param{Index: i - 1, T: t}, nil
	case *sqlparser.AndExpr, *sqlparser.OrExpr:
		var l, r sqlparser.Expr
		fn := "and"
		if a, ok := x.(*sqlparser.AndExpr); ok {
			l, r = a.Left, a.Right
		} else {
			o := x.(*sqlparser.OrExpr)
			l, r, fn = o.Left, o.Right, "or"
		}
		le, err := ec.bindBool(l)
		if err != nil {
			return nil, err
		}
		re, err := ec.bindBool(r)
		if err != nil {
			return nil, err
		}
		return logical.MustFold(&expr.Call{Fn: fn, Args: []expr.Expr{le, re}, T: types.Boolean}), nil
	case *sqlparser.XorExpr:
		le, err := ec.bindBool(x.Left)
		if err != nil {
			return nil, err
		}
		re, err := ec.bindBool(x.Right)
		if err != nil {
			return nil, err
		}
		return &expr.Call{Fn: "<>", Args: []expr.Expr{le, re}, T: types.Boolean}, nil
	case *sqlparser.NotExpr:
		in, err := ec.bindBool(x.Expr)
		if err != nil {
			return nil, err
		}
		return not(in), nil
	case *sqlparser.ComparisonExpr:
		return ec.bindComparison(x)
	case *sqlparser.BetweenExpr:
		v, err := ec.bind(x.Left)
		if err != nil {
			return nil, err
		}
		lo, err := ec.bind(x.From)
		if err != nil {
			return nil, err
		}
		hi, err := ec.bind(x.To)
		if err != nil {
			return nil, err
		}
		if x.IsBetween {
			a, err := b.compare(">=", v, lo)
			if err != nil {
				return nil, err
			}
			c, err := b.compare("<=", v, hi)
			if err != nil {
				return nil, err
			}
			return &expr.Call{Fn: "and", Args: []expr.Expr{a, c}, T: types.Boolean}, nil
		}
		a, err := b.compare("<", v, lo)
		if err != nil {
			return nil, err
		}
		c, err := b.compare(">", v, hi)
		if err != nil {
			return nil, err
		}
		return &expr.Call{Fn: "or", Args: []expr.Expr{a, c}, T: types.Boolean}, nil
	case *sqlparser.IsExpr:
		v, err := ec.bind(x.Left)
		if err != nil {
			return nil, err
		}
		switch x.Right {
		case sqlparser.IsNullOp:
			return &expr.Call{Fn: "is_null", Args: []expr.Expr{v}, T: types.Boolean}, nil
		case sqlparser.IsNotNullOp:
			return &expr.Call{Fn: "is_not_null", Args: []expr.Expr{v}, T: types.Boolean}, nil
		}
		if v, err = asBool(b, v); err != nil {
			return nil, err
		}
		switch x.Right {
		case sqlparser.IsTrueOp:
			return &expr.Call{Fn: "is_true", Args: []expr.Expr{v}, T: types.Boolean}, nil
		case sqlparser.IsNotTrueOp:
			return not(&expr.Call{Fn: "is_true", Args: []expr.Expr{v}, T: types.Boolean}), nil
		case sqlparser.IsFalseOp:
			return &expr.Call{Fn: "is_false", Args: []expr.Expr{v}, T: types.Boolean}, nil
		default:
			return not(&expr.Call{Fn: "is_false", Args: []expr.Expr{v}, T: types.Boolean}), nil
		}
	case *sqlparser.ExistsExpr:
		sub, _, err := b.bindTableStmt(x.Subquery.Select, ec.sc, ec.env)
		if err != nil {
			return nil, err
		}
		ap := &logical.Apply{Kind: logical.ApplyMark, Exists: true, Sub: sub, Out: b.meta.NewCol("exists", types.Boolean)}
		ec.applies = append(ec.applies, ap)
		return ap.Out.Ref(), nil
	case *sqlparser.Subquery:
		sub, cols, err := b.bindTableStmt(x.Select, ec.sc, ec.env)
		if err != nil {
			return nil, err
		}
		if len(cols) != 1 {
			return nil, newErr(CodeOther, "Operand should contain 1 column(s)")
		}
		ap := &logical.Apply{Kind: logical.ApplyScalar, Sub: rootProject(sub, cols), Out: b.meta.NewCol(cols[0].Name, cols[0].T)}
		ec.applies = append(ec.applies, ap)
		return ap.Out.Ref(), nil
	case *sqlparser.BinaryExpr:
		l, err := ec.bind(x.Left)
		if err != nil {
			return nil, err
		}
		r, err := ec.bind(x.Right)
		if err != nil {
			return nil, err
		}
		op := map[sqlparser.BinaryExprOperator]string{sqlparser.PlusOp: "+", sqlparser.MinusOp: "-", sqlparser.MultOp: "*", sqlparser.DivOp: "/", sqlparser.IntDivOp: "div", sqlparser.ModOp: "%"}[x.Operator]
		if op == "" {
			return nil, unsupported("operator", x)
		}
		out, err := b.arith(op, l, r)
		if err != nil {
			return nil, err
		}
		return logical.MustFold(out), nil
	case *sqlparser.UnaryExpr:
		v, err := ec.bind(x.Expr)
		if err != nil {
			return nil, err
		}
		switch x.Operator {
		case sqlparser.UPlusOp:
			return v, nil
		case sqlparser.UMinusOp:
			if v, err = b.numericOperand(v); err != nil {
				return nil, err
			}
			return logical.MustFold(&expr.Call{Fn: "neg", Args: []expr.Expr{v}, T: v.Type()}), nil
		case sqlparser.BangOp:
			if v, err = asBool(b, v); err != nil {
				return nil, err
			}
			return not(v), nil
		}
		return nil, unsupported("operator", x)
	case *sqlparser.IntroducerExpr:
		return ec.bind(x.Expr)
	case *sqlparser.CollateExpr:
		return ec.bind(x.Expr)
	case *sqlparser.CaseExpr:
		return ec.bindCase(x)
	case *sqlparser.CastExpr:
		return ec.bindCast(x.Expr, x.Type)
	case *sqlparser.ConvertExpr:
		return ec.bindCast(x.Expr, x.Type)
	case *sqlparser.IntervalDateExpr:
		return ec.bindDateAdd(x)
	case *sqlparser.ExtractFuncExpr:
		v, err := ec.bind(x.Expr)
		if err != nil {
			return nil, err
		}
		fn, ok := extractFns[x.IntervalType]
		if !ok {
			return nil, unsupported("EXTRACT unit", x)
		}
		return ec.dateFn(fn, v)
	case *sqlparser.SubstrExpr:
		s, err := ec.bind(x.Name)
		if err != nil {
			return nil, err
		}
		args := []sqlparser.Expr{x.From}
		if x.To != nil {
			args = append(args, x.To)
		}
		return ec.stringFn("substring", s, args, types.String)
	case *sqlparser.TrimFuncExpr:
		s, err := ec.bind(x.StringArg)
		if err != nil {
			return nil, err
		}
		if x.TrimArg != nil {
			return nil, unsupported("TRIM with a character", x)
		}
		fn := map[sqlparser.TrimFuncType]string{sqlparser.NormalTrimType: "trim", sqlparser.LTrimType: "ltrim", sqlparser.RTrimType: "rtrim"}[x.TrimFuncType]
		if x.TrimFuncType == sqlparser.NormalTrimType {
			switch x.Type {
			case sqlparser.LeadingTrimType:
				fn = "ltrim"
			case sqlparser.TrailingTrimType:
				fn = "rtrim"
			}
		}
		return ec.stringFn(fn, s, nil, types.String)
	case *sqlparser.LocateExpr:
		sub, err := ec.bind(x.SubStr)
		if err != nil {
			return nil, err
		}
		if x.Pos != nil {
			return nil, unsupported("LOCATE with a position", x)
		}
		if sub, err = b.castTo(sub, types.String); err != nil {
			return nil, err
		}
		s, err := ec.bind(x.Str)
		if err != nil {
			return nil, err
		}
		if s, err = b.castTo(s, types.String); err != nil {
			return nil, err
		}
		return &expr.Call{Fn: "position", Args: []expr.Expr{sub, s}, T: types.Int64}, nil
	case *sqlparser.CurTimeFuncExpr:
		switch strings.ToLower(x.Name.String()) {
		case "current_date", "curdate", "utc_date":
			return &expr.Call{Fn: "current_date", T: types.Date}, nil
		default:
			return &expr.Call{Fn: "now", T: types.Timestamp}, nil
		}
	case *sqlparser.FuncExpr:
		return ec.bindFunc(x)
	case *sqlparser.CountStar:
		if x.OverClause != nil {
			return ec.window("count_star", nil, types.Int64, x.OverClause)
		}
		return ec.aggregate("count_star", nil, false)
	case *sqlparser.Count:
		if len(x.Args) != 1 {
			return nil, unsupported("COUNT with several arguments", x)
		}
		if x.OverClause != nil {
			return ec.windowAgg("count", x.Args[0], x.OverClause)
		}
		return ec.aggregate("count", x.Args, x.Distinct)
	case *sqlparser.Sum:
		if x.OverClause != nil {
			return ec.windowAgg("sum", x.Arg, x.OverClause)
		}
		return ec.aggregate("sum", []sqlparser.Expr{x.Arg}, x.Distinct)
	case *sqlparser.Avg:
		if x.OverClause != nil {
			return ec.windowAgg("avg", x.Arg, x.OverClause)
		}
		return ec.aggregate("avg", []sqlparser.Expr{x.Arg}, x.Distinct)
	case *sqlparser.Min:
		if x.OverClause != nil {
			return ec.windowAgg("min", x.Arg, x.OverClause)
		}
		return ec.aggregate("min", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.Max:
		if x.OverClause != nil {
			return ec.windowAgg("max", x.Arg, x.OverClause)
		}
		return ec.aggregate("max", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.Std:
		return ec.aggregate("stddev_pop", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.StdDev:
		return ec.aggregate("stddev_pop", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.StdPop:
		return ec.aggregate("stddev_pop", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.StdSamp:
		return ec.aggregate("stddev_samp", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.Variance:
		return ec.aggregate("var_pop", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.VarPop:
		return ec.aggregate("var_pop", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.VarSamp:
		return ec.aggregate("var_samp", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.AnyValue:
		return ec.aggregate("any_value", []sqlparser.Expr{x.Arg}, false)
	case *sqlparser.ArgumentLessWindowExpr:
		fn := map[sqlparser.ArgumentLessWindowExprType]string{sqlparser.CumeDistExprType: "cume_dist", sqlparser.DenseRankExprType: "dense_rank", sqlparser.PercentRankExprType: "percent_rank", sqlparser.RankExprType: "rank", sqlparser.RowNumberExprType: "row_number"}[x.Type]
		t := types.Int64
		if fn == "cume_dist" || fn == "percent_rank" {
			t = types.Float64
		}
		return ec.window(fn, nil, t, x.OverClause)
	case *sqlparser.NtileExpr:
		n, err := ec.bind(x.N)
		if err != nil {
			return nil, err
		}
		if n, err = b.castTo(n, types.Int64); err != nil {
			return nil, err
		}
		return ec.window("ntile", []expr.Expr{n}, types.Int64, x.OverClause)
	case *sqlparser.LagLeadExpr:
		fn := "lag"
		if x.Type == sqlparser.LeadExprType {
			fn = "lead"
		}
		v, err := ec.bind(x.Expr)
		if err != nil {
			return nil, err
		}
		v = normalizeAggArg(v)
		args := []expr.Expr{v}
		if x.N != nil || x.Default != nil {
			var n expr.Expr = logical.Lit(int64(1), types.Int64)
			if x.N != nil {
				if n, err = ec.bind(x.N); err != nil {
					return nil, err
				}
				if n, err = b.castTo(n, types.Int64); err != nil {
					return nil, err
				}
			}
			args = append(args, n)
		}
		if x.Default != nil {
			d, err := ec.bind(x.Default)
			if err != nil {
				return nil, err
			}
			if d, err = b.castTo(d, v.Type()); err != nil {
				return nil, err
			}
			args = append(args, d)
		}
		return ec.window(fn, args, v.Type(), x.OverClause)
	case *sqlparser.FirstOrLastValueExpr:
		fn := "first_value"
		if x.Type == sqlparser.LastValueExprType {
			fn = "last_value"
		}
		v, err := ec.bind(x.Expr)
		if err != nil {
			return nil, err
		}
		v = normalizeAggArg(v)
		return ec.window(fn, []expr.Expr{v}, v.Type(), x.OverClause)
	}
	return nil, unsupported("expression", e)
}

func not(e expr.Expr) expr.Expr {
	return logical.MustFold(&expr.Call{Fn: "not", Args: []expr.Expr{e}, T: types.Boolean})
}

func (ec *ectx) bindBool(e sqlparser.Expr) (expr.Expr, error) {
	v, err := ec.bind(e)
	if err != nil {
		return nil, err
	}
	return asBool(ec.b, v)
}

func bindLiteral(x *sqlparser.Literal) (expr.Expr, error) {
	switch x.Type {
	case sqlparser.StrVal:
		return logical.Lit(x.Val, types.String), nil
	case sqlparser.IntVal:
		if v, err := strconv.ParseInt(x.Val, 10, 64); err == nil {
			return logical.Lit(v, types.Int64), nil
		}
		return decimalLiteral(x.Val)
	case sqlparser.DecimalVal:
		return decimalLiteral(x.Val)
	case sqlparser.FloatVal:
		f, err := strconv.ParseFloat(x.Val, 64)
		if err != nil {
			return nil, newErr(CodeOther, "invalid number %s", x.Val)
		}
		return logical.Lit(f, types.Float64), nil
	case sqlparser.DateVal:
		d, err := logical.ParseDate(x.Val)
		if err != nil {
			return nil, errAt(newErr(CodeOther, "%s", err.Error()), x.Val)
		}
		return logical.Lit(d, types.Date), nil
	case sqlparser.TimestampVal:
		ts, err := logical.ParseTimestamp(x.Val)
		if err != nil {
			return nil, newErr(CodeOther, "%s", err.Error())
		}
		return logical.Lit(ts, types.Timestamp), nil
	case sqlparser.HexNum:
		v, err := strconv.ParseInt(strings.TrimPrefix(strings.ToLower(x.Val), "0x"), 16, 64)
		if err != nil {
			return nil, newErr(CodeOther, "invalid hex number %s", x.Val)
		}
		return logical.Lit(v, types.Int64), nil
	}
	return nil, unsupported("literal", x)
}

// decimalLiteral types "12.340" as DECIMAL(5,3) (DOUBLE beyond 38 digits).
func decimalLiteral(s string) (expr.Expr, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	ip, fp, _ := strings.Cut(s, ".")
	ip = strings.TrimLeft(ip, "0")
	scale := int32(len(fp))
	prec := max(int32(len(ip))+scale, 1)
	if prec > types.MaxDecimalPrecision {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, newErr(CodeOther, "invalid number %s", s)
		}
		if neg {
			f = -f
		}
		return logical.Lit(f, types.Float64), nil
	}
	u, ok := new(big.Int).SetString(ip+fp, 10)
	if !ok {
		if ip+fp == "" {
			u = new(big.Int)
		} else {
			return nil, newErr(CodeOther, "invalid number %s", s)
		}
	}
	if neg {
		u.Neg(u)
	}
	t := types.Decimal(prec, scale)
	if t.ID() == arrow.DECIMAL64 {
		return logical.Lit(u.Int64(), t), nil
	}
	return logical.Lit(decimal128.FromBigInt(u), t), nil
}

var compOps = map[sqlparser.ComparisonExprOperator]string{
	sqlparser.EqualOp: "=", sqlparser.NotEqualOp: "<>", sqlparser.LessThanOp: "<", sqlparser.LessEqualOp: "<=",
	sqlparser.GreaterThanOp: ">", sqlparser.GreaterEqualOp: ">=", sqlparser.NullSafeEqualOp: "<=>",
}

func (ec *ectx) bindComparison(x *sqlparser.ComparisonExpr) (expr.Expr, error) {
	b := ec.b
	if x.Modifier != sqlparser.Missing {
		return nil, unsupported("ANY/ALL comparison", x)
	}
	switch x.Operator {
	case sqlparser.InOp, sqlparser.NotInOp:
		neg := x.Operator == sqlparser.NotInOp
		switch r := x.Right.(type) {
		case *sqlparser.Subquery:
			ap, err := ec.inSubquery(x.Left, r)
			if err != nil {
				return nil, err
			}
			ap.Kind = logical.ApplyMark
			ap.Out = b.meta.NewCol("in", types.Boolean)
			ec.applies = append(ec.applies, ap)
			if neg {
				return not(ap.Out.Ref()), nil
			}
			return ap.Out.Ref(), nil
		case sqlparser.ValTuple:
			v, err := ec.bind(x.Left)
			if err != nil {
				return nil, err
			}
			list, err := ec.bindAll(r)
			if err != nil {
				return nil, err
			}
			// items take the probe's type when they convert exactly
			items := make([]expr.Expr, len(list))
			allFit := true
			for i, it := range list {
				l, r, err := b.comparable(v, it)
				if err != nil {
					return nil, err
				}
				if !arrow.TypeEqual(l.Type(), v.Type()) {
					allFit = false
				}
				items[i] = r
			}
			if !allFit {
				all, t, err := b.unify(append([]expr.Expr{v}, list...))
				if err != nil {
					return nil, err
				}
				_ = t
				v, items = all[0], all[1:]
			}
			return logical.MustFold(&expr.InList{E: v, List: items, Negated: neg}), nil
		}
		return nil, unsupported("IN operand", x.Right)
	case sqlparser.LikeOp, sqlparser.NotLikeOp:
		v, err := ec.bind(x.Left)
		if err != nil {
			return nil, err
		}
		if v, err = b.castTo(v, types.String); err != nil {
			return nil, err
		}
		p, err := ec.bind(x.Right)
		if err != nil {
			return nil, err
		}
		if p, err = b.castTo(p, types.String); err != nil {
			return nil, err
		}
		args := []expr.Expr{v, p}
		if x.Escape != nil {
			e, err := ec.bind(x.Escape)
			if err != nil {
				return nil, err
			}
			if e, err = b.castTo(e, types.String); err != nil {
				return nil, err
			}
			args = append(args, e)
		}
		fn := "like"
		if x.Operator == sqlparser.NotLikeOp {
			fn = "not_like"
		}
		return &expr.Call{Fn: fn, Args: args, T: types.Boolean}, nil
	}
	op, ok := compOps[x.Operator]
	if !ok {
		return nil, unsupported("comparison operator", x)
	}
	// (a, b) = (1, 2) compares element-wise.
	if lt, ok := x.Left.(sqlparser.ValTuple); ok {
		rt, ok := x.Right.(sqlparser.ValTuple)
		if !ok || len(lt) != len(rt) || op != "=" && op != "<>" {
			return nil, unsupported("row comparison", x)
		}
		var parts []expr.Expr
		for i := range lt {
			e, err := ec.bindComparison(&sqlparser.ComparisonExpr{Operator: sqlparser.EqualOp, Left: lt[i], Right: rt[i]})
			if err != nil {
				return nil, err
			}
			parts = append(parts, e)
		}
		var out expr.Expr = logical.And(parts)
		if op == "<>" {
			out = not(out)
		}
		return logical.MustFold(out), nil
	}
	l, err := ec.bind(x.Left)
	if err != nil {
		return nil, err
	}
	r, err := ec.bind(x.Right)
	if err != nil {
		return nil, err
	}
	out, err := b.compare(op, l, r)
	if err != nil {
		return nil, err
	}
	return logical.MustFold(out), nil
}

// inSubquery binds `left IN (subquery)` to an Apply (kind set by the
// caller) whose Probe and Sub's single column have one type.
func (ec *ectx) inSubquery(left sqlparser.Expr, sq *sqlparser.Subquery) (*logical.Apply, error) {
	b := ec.b
	l, err := ec.bind(left)
	if err != nil {
		return nil, err
	}
	sub, cols, err := b.bindTableStmt(sq.Select, ec.sc, ec.env)
	if err != nil {
		return nil, err
	}
	if len(cols) != 1 {
		return nil, newErr(CodeOther, "Operand should contain 1 column(s)")
	}
	l2, r2, err := b.comparable(l, cols[0].Ref())
	if err != nil {
		return nil, err
	}
	if _, ok := r2.(*expr.ColumnRef); !ok {
		out := b.meta.NewCol(cols[0].Name, r2.Type())
		sub = &logical.Project{Input: sub, Exprs: []expr.Expr{r2}, Out: []logical.Col{out}}
	} else {
		sub = rootProject(sub, cols)
	}
	return &logical.Apply{Sub: sub, Probe: l2, Out: b.meta.NewCol("in", types.Boolean)}, nil
}

func (ec *ectx) bindCase(x *sqlparser.CaseExpr) (expr.Expr, error) {
	b := ec.b
	var subject expr.Expr
	var err error
	if x.Expr != nil {
		if subject, err = ec.bind(x.Expr); err != nil {
			return nil, err
		}
	}
	var conds, vals []expr.Expr
	for _, w := range x.Whens {
		c, err := ec.bind(w.Cond)
		if err != nil {
			return nil, err
		}
		if subject != nil {
			if c, err = b.compare("=", subject, c); err != nil {
				return nil, err
			}
		} else if c, err = asBool(b, c); err != nil {
			return nil, err
		}
		v, err := ec.bind(w.Val)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
		vals = append(vals, v)
	}
	if x.Else != nil {
		v, err := ec.bind(x.Else)
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
	vals, t, err := b.unify(vals)
	if err != nil {
		return nil, err
	}
	c := &expr.Case{T: t}
	for i, cond := range conds {
		c.Whens = append(c.Whens, expr.When{Cond: cond, Then: vals[i]})
	}
	if x.Else != nil {
		c.Else = vals[len(vals)-1]
	}
	return logical.MustFold(c), nil
}

func convertType(ct *sqlparser.ConvertType) (arrow.DataType, error) {
	name := strings.ToLower(ct.Type)
	switch name {
	case "signed", "signed integer", "unsigned", "unsigned integer", "integer", "int", "bigint":
		return types.Int64, nil
	case "char", "nchar", "varchar", "binary", "text", "string":
		return types.String, nil
	case "decimal", "numeric", "dec":
		p, s := int32(10), int32(0)
		if ct.Length != nil {
			p = int32(*ct.Length)
		}
		if ct.Scale != nil {
			s = int32(*ct.Scale)
		}
		if p < 1 || p > types.MaxDecimalPrecision || s < 0 || s > p {
			return nil, newErr(CodeOther, "invalid DECIMAL(%d,%d)", p, s)
		}
		return types.Decimal(p, s), nil
	case "double", "real", "float", "double precision":
		return types.Float64, nil
	case "datetime":
		return types.Timestamp, nil
	}
	t, err := types.Parse(name)
	if err != nil {
		return nil, newErr(CodeOther, "unsupported CAST type %s", ct.Type)
	}
	return t, nil
}

func (ec *ectx) bindCast(e sqlparser.Expr, ct *sqlparser.ConvertType) (expr.Expr, error) {
	v, err := ec.bind(e)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(ct.Type, "json") {
		return toJSON(v), nil
	}
	t, err := convertType(ct)
	if err != nil {
		return nil, err
	}
	if isNullType(v.Type()) {
		return logical.Lit(nil, t), nil
	}
	if isNested(v.Type()) && !types.IsString(t) {
		return nil, newErr(CodeOther, "cannot CAST %s of type %s to %s: nested values convert only to VARCHAR or JSON (their JSON text)",
			idSuffix.ReplaceAllString(v.String(), ""), strings.ToLower(types.SQLName(v.Type())), types.SQLName(t))
	}
	return ec.b.castTo(v, t)
}

var extractFns = map[sqlparser.IntervalType]string{
	sqlparser.IntervalYear: "extract_year", sqlparser.IntervalMonth: "extract_month", sqlparser.IntervalDay: "extract_day",
	sqlparser.IntervalHour: "extract_hour", sqlparser.IntervalMinute: "extract_minute", sqlparser.IntervalSecond: "extract_second",
	sqlparser.IntervalQuarter: "extract_quarter", sqlparser.IntervalWeek: "extract_week",
}

var intervalUnits = map[sqlparser.IntervalType]string{
	sqlparser.IntervalYear: "year", sqlparser.IntervalMonth: "month", sqlparser.IntervalDay: "day", sqlparser.IntervalHour: "hour",
	sqlparser.IntervalMinute: "minute", sqlparser.IntervalSecond: "second", sqlparser.IntervalQuarter: "quarter",
	sqlparser.IntervalWeek: "week", sqlparser.IntervalMicrosecond: "microsecond", sqlparser.IntervalNone: "day",
}

// temporal converts e to DATE or TIMESTAMP (strings: by their form).
func (ec *ectx) temporal(e expr.Expr) (expr.Expr, error) {
	t := e.Type()
	if t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP {
		return e, nil
	}
	if l, ok := e.(*expr.Literal); ok && types.IsString(l.T) {
		if s := strings.TrimSpace(l.Value.(string)); len(s) > 10 {
			return ec.b.castTo(e, types.Timestamp)
		}
	}
	return ec.b.castTo(e, types.Date)
}

func (ec *ectx) dateFn(fn string, v expr.Expr) (expr.Expr, error) {
	v, err := ec.temporal(v)
	if err != nil {
		return nil, err
	}
	return logical.MustFold(&expr.Call{Fn: fn, Args: []expr.Expr{v}, T: types.Int64}), nil
}

func (ec *ectx) bindDateAdd(x *sqlparser.IntervalDateExpr) (expr.Expr, error) {
	b := ec.b
	d, err := ec.bind(x.Date)
	if err != nil {
		return nil, err
	}
	if d, err = ec.temporal(d); err != nil {
		return nil, err
	}
	n, err := ec.bind(x.Interval)
	if err != nil {
		return nil, err
	}
	if n, err = b.castTo(n, types.Int64); err != nil {
		return nil, err
	}
	unit, ok := intervalUnits[x.Unit]
	if !ok {
		return nil, unsupported("INTERVAL unit", x)
	}
	switch x.Syntax {
	case sqlparser.IntervalDateExprDateSub, sqlparser.IntervalDateExprSubdate, sqlparser.IntervalDateExprBinarySub:
		n = logical.MustFold(&expr.Call{Fn: "neg", Args: []expr.Expr{n}, T: types.Int64})
	}
	if d.Type().ID() == arrow.DATE32 && (unit == "hour" || unit == "minute" || unit == "second" || unit == "microsecond") {
		if d, err = b.castTo(d, types.Timestamp); err != nil {
			return nil, err
		}
	}
	return logical.MustFold(&expr.Call{Fn: "date_add", Args: []expr.Expr{d, n, logical.Lit(unit, types.String)}, T: d.Type()}), nil
}

// stringFn binds fn(s, rest...) where s is a string and rest are int64
// arguments.
func (ec *ectx) stringFn(fn string, s expr.Expr, rest []sqlparser.Expr, t arrow.DataType) (expr.Expr, error) {
	b := ec.b
	s, err := b.castTo(s, types.String)
	if err != nil {
		return nil, err
	}
	args := []expr.Expr{s}
	for _, r := range rest {
		v, err := ec.bind(r)
		if err != nil {
			return nil, err
		}
		if v, err = b.castTo(v, types.Int64); err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	return &expr.Call{Fn: fn, Args: args, T: t}, nil
}

func (ec *ectx) bindFunc(x *sqlparser.FuncExpr) (expr.Expr, error) {
	b := ec.b
	name := x.Name.Lowered()
	args, err := ec.bindAll(x.Exprs)
	if err != nil {
		return nil, err
	}
	want := func(n ...int) error {
		for _, k := range n {
			if len(args) == k {
				return nil
			}
		}
		return newErr(CodeOther, "Incorrect parameter count in the call to native function '%s'", name)
	}
	strs := func(from int) error {
		for i := from; i < len(args); i++ {
			if args[i], err = b.castTo(args[i], types.String); err != nil {
				return err
			}
		}
		return nil
	}
	ints := func(idx ...int) error {
		for _, i := range idx {
			if i < len(args) {
				if args[i], err = b.castTo(args[i], types.Int64); err != nil {
					return err
				}
			}
		}
		return nil
	}
	call := func(fn string, t arrow.DataType) (expr.Expr, error) {
		return logical.MustFold(&expr.Call{Fn: fn, Args: args, T: t}), nil
	}
	switch name {
	case "coalesce", "ifnull":
		if name == "ifnull" {
			if err := want(2); err != nil {
				return nil, err
			}
		} else if len(args) == 0 {
			return nil, want(1)
		}
		all, t, err := b.unify(args)
		if err != nil {
			return nil, err
		}
		args = all
		return call("coalesce", t)
	case "nullif":
		if err := want(2); err != nil {
			return nil, err
		}
		l, r, err := b.comparable(args[0], args[1])
		if err != nil {
			return nil, err
		}
		args = []expr.Expr{l, r}
		return call("nullif", l.Type())
	case "if":
		if err := want(3); err != nil {
			return nil, err
		}
		c, err := asBool(b, args[0])
		if err != nil {
			return nil, err
		}
		vals, t, err := b.unify(args[1:])
		if err != nil {
			return nil, err
		}
		args = []expr.Expr{c, vals[0], vals[1]}
		return call("if", t)
	case "year", "month", "day", "dayofmonth", "hour", "minute", "second", "quarter", "dayofweek", "dayofyear", "week":
		if err := want(1); err != nil {
			return nil, err
		}
		fn := map[string]string{"year": "extract_year", "month": "extract_month", "day": "extract_day", "dayofmonth": "extract_day",
			"hour": "extract_hour", "minute": "extract_minute", "second": "extract_second", "quarter": "extract_quarter",
			"dayofweek": "extract_dow", "dayofyear": "extract_doy", "week": "extract_week"}[name]
		return ec.dateFn(fn, args[0])
	case "datediff":
		if err := want(2); err != nil {
			return nil, err
		}
		for i := range args {
			if args[i], err = b.castTo(args[i], types.Date); err != nil {
				return nil, err
			}
		}
		return call("datediff", types.Int64)
	case "date_trunc":
		if err := want(2); err != nil {
			return nil, err
		}
		if args[0], err = b.castTo(args[0], types.String); err != nil {
			return nil, err
		}
		if args[1], err = ec.temporal(args[1]); err != nil {
			return nil, err
		}
		return call("date_trunc", args[1].Type())
	case "adddate", "subdate", "date_add", "date_sub":
		if err := want(2); err != nil {
			return nil, err
		}
		d, err := ec.temporal(args[0])
		if err != nil {
			return nil, err
		}
		n, err := b.castTo(args[1], types.Int64)
		if err != nil {
			return nil, err
		}
		if name == "subdate" || name == "date_sub" {
			n = logical.MustFold(&expr.Call{Fn: "neg", Args: []expr.Expr{n}, T: types.Int64})
		}
		args = []expr.Expr{d, n, logical.Lit("day", types.String)}
		return call("date_add", d.Type())
	case "now", "current_timestamp", "localtime", "localtimestamp", "sysdate":
		args = nil
		return call("now", types.Timestamp)
	case "curdate", "current_date":
		args = nil
		return call("current_date", types.Date)
	case "upper", "ucase", "lower", "lcase", "reverse", "trim", "ltrim", "rtrim":
		if err := want(1); err != nil {
			return nil, err
		}
		if err := strs(0); err != nil {
			return nil, err
		}
		fn := map[string]string{"ucase": "upper", "lcase": "lower"}[name]
		if fn == "" {
			fn = name
		}
		return call(fn, types.String)
	case "length", "octet_length", "char_length", "character_length":
		if err := want(1); err != nil {
			return nil, err
		}
		if err := strs(0); err != nil {
			return nil, err
		}
		fn := "length"
		if strings.HasPrefix(name, "char") {
			fn = "char_length"
		}
		return call(fn, types.Int64)
	case "concat":
		if len(args) == 0 {
			return nil, want(1)
		}
		if err := strs(0); err != nil {
			return nil, err
		}
		return call("concat", types.String)
	case "replace":
		if err := want(3); err != nil {
			return nil, err
		}
		if err := strs(0); err != nil {
			return nil, err
		}
		return call("replace", types.String)
	case "left", "right":
		if err := want(2); err != nil {
			return nil, err
		}
		if args[0], err = b.castTo(args[0], types.String); err != nil {
			return nil, err
		}
		if err := ints(1); err != nil {
			return nil, err
		}
		return call(name, types.String)
	case "lpad", "rpad":
		if err := want(3); err != nil {
			return nil, err
		}
		if args[0], err = b.castTo(args[0], types.String); err != nil {
			return nil, err
		}
		if args[2], err = b.castTo(args[2], types.String); err != nil {
			return nil, err
		}
		if err := ints(1); err != nil {
			return nil, err
		}
		return call(name, types.String)
	case "substring", "substr", "mid":
		if err := want(2, 3); err != nil {
			return nil, err
		}
		if args[0], err = b.castTo(args[0], types.String); err != nil {
			return nil, err
		}
		if err := ints(1, 2); err != nil {
			return nil, err
		}
		return call("substring", types.String)
	case "instr":
		if err := want(2); err != nil {
			return nil, err
		}
		if err := strs(0); err != nil {
			return nil, err
		}
		args = []expr.Expr{args[1], args[0]}
		return call("position", types.Int64)
	case "starts_with":
		if err := want(2); err != nil {
			return nil, err
		}
		if err := strs(0); err != nil {
			return nil, err
		}
		return call("starts_with", types.Boolean)
	case "abs":
		if err := want(1); err != nil {
			return nil, err
		}
		if args[0], err = b.numericOperand(args[0]); err != nil {
			return nil, err
		}
		if types.IsFloat(args[0].Type()) {
			if args[0], err = b.castTo(args[0], types.Float64); err != nil {
				return nil, err
			}
		}
		return call("abs", args[0].Type())
	case "sign":
		if err := want(1); err != nil {
			return nil, err
		}
		if args[0], err = b.numericOperand(args[0]); err != nil {
			return nil, err
		}
		return call("sign", types.Int64)
	case "round", "truncate":
		if err := want(1, 2); err != nil {
			return nil, err
		}
		if name == "truncate" {
			return nil, unsupported("function", x)
		}
		if args[0], err = b.numericOperand(args[0]); err != nil {
			return nil, err
		}
		if err := ints(1); err != nil {
			return nil, err
		}
		t := args[0].Type()
		switch {
		case types.IsFloat(t):
			if args[0], err = b.castTo(args[0], types.Float64); err != nil {
				return nil, err
			}
			t = types.Float64
		case types.IsDecimal(t):
			p, s, _ := types.DecimalParams(t)
			d := int32(0)
			if len(args) == 2 {
				l, ok := args[1].(*expr.Literal)
				if !ok || l.Value == nil {
					break // keep the argument's type
				}
				d = int32(max(min(l.Value.(int64), int64(s)), 0))
			}
			if len(args) == 1 || d <= s {
				np := min(p-s+d+1, types.MaxDecimalPrecision)
				if p <= types.MaxDecimal64Precision {
					np = min(np, types.MaxDecimal64Precision)
				}
				t = types.Decimal(max(np, 1), d)
			}
		}
		return call("round", t)
	case "floor", "ceil", "ceiling":
		if err := want(1); err != nil {
			return nil, err
		}
		if args[0], err = b.numericOperand(args[0]); err != nil {
			return nil, err
		}
		t := args[0].Type()
		if types.IsFloat(t) {
			if args[0], err = b.castTo(args[0], types.Float64); err != nil {
				return nil, err
			}
			t = types.Float64
		} else if p, s, ok := types.DecimalParams(t); ok {
			np := max(p-s+1, 1)
			if p <= types.MaxDecimal64Precision {
				np = min(np, types.MaxDecimal64Precision)
			}
			t = types.Decimal(np, 0)
		}
		fn := "floor"
		if name != "floor" {
			fn = "ceil"
		}
		return call(fn, t)
	case "sqrt", "ln", "log10", "exp", "power", "pow", "log":
		if name == "power" || name == "pow" {
			if err := want(2); err != nil {
				return nil, err
			}
		} else if err := want(1); err != nil {
			return nil, err
		}
		for i := range args {
			if args[i], err = b.numericOperand(args[i]); err != nil {
				return nil, err
			}
			if args[i], err = b.castTo(args[i], types.Float64); err != nil {
				return nil, err
			}
		}
		fn := map[string]string{"pow": "power", "log": "ln"}[name]
		if fn == "" {
			fn = name
		}
		return call(fn, types.Float64)
	case "mod":
		if err := want(2); err != nil {
			return nil, err
		}
		return b.arith("%", args[0], args[1])
	case "greatest", "least":
		if len(args) < 2 {
			return nil, want(2)
		}
		all, t, err := b.unify(args)
		if err != nil {
			return nil, err
		}
		args = all
		return call(name, t)
	}
	if e, ok, err := ec.bindNestedFunc(name, args); ok {
		return e, err
	}
	return nil, errAt(newErr(CodeOther, "FUNCTION %s does not exist", name), x.Name.String())
}

// normalizeAggArg casts integer arguments to BIGINT and floats to DOUBLE.
func normalizeAggArg(e expr.Expr) expr.Expr {
	t := e.Type()
	switch {
	case types.IsInteger(t) && t.ID() != arrow.INT64:
		return castNoErr(e, types.Int64)
	case t.ID() == arrow.FLOAT32:
		return castNoErr(e, types.Float64)
	}
	return e
}

func castNoErr(e expr.Expr, t arrow.DataType) expr.Expr {
	if l, ok := e.(*expr.Literal); ok {
		if c, err := logical.CastLit(l, t); err == nil {
			return c
		}
	}
	return &expr.Cast{E: e, T: t}
}

// aggType returns the argument (after conversion) and result type of an
// aggregate.
func (b *binder) aggType(fn string, arg expr.Expr) (expr.Expr, arrow.DataType, error) {
	if arg == nil {
		return nil, types.Int64, nil
	}
	if isNullType(arg.Type()) {
		arg = castNoErr(arg, types.Int64)
	}
	// SUM of TINYINT..INT is BIGINT (its argument is cast to BIGINT).
	smallInt := types.IsInteger(arg.Type()) && arg.Type().ID() != arrow.INT64
	arg = normalizeAggArg(arg)
	t := arg.Type()
	switch fn {
	case "count":
		return arg, types.Int64, nil
	case "min", "max", "any_value":
		return arg, t, nil
	case "sum", "avg":
		if types.IsString(t) {
			arg = &expr.Cast{E: arg, T: types.Float64}
			t = types.Float64
		}
		switch {
		case types.IsInteger(t):
			if fn == "avg" {
				return arg, types.Decimal(38, 4), nil
			}
			if smallInt {
				return arg, types.Int64, nil
			}
			return arg, types.Decimal(38, 0), nil
		case types.IsDecimal(t):
			_, s, _ := types.DecimalParams(t)
			if fn == "avg" {
				return arg, types.Decimal(38, min(s+4, 38)), nil
			}
			return arg, types.Decimal(38, s), nil
		case types.IsFloat(t):
			return arg, types.Float64, nil
		}
		return nil, nil, newErr(CodeOther, "%s of %s is not supported", fn, types.SQLName(t))
	case "stddev_pop", "stddev_samp", "var_pop", "var_samp":
		a, err := b.numericOperand(arg)
		if err != nil {
			return nil, nil, err
		}
		return castNoErr(a, types.Float64), types.Float64, nil
	case "bool_and", "bool_or":
		return arg, types.Boolean, nil
	}
	return nil, nil, newErr(CodeOther, "unknown aggregate %s", fn)
}

// aggregate binds an aggregate call; it returns a reference to the
// aggregate's output column.
func (ec *ectx) aggregate(fn string, astArgs []sqlparser.Expr, distinct bool) (expr.Expr, error) {
	if ec.agg == nil || ec.inAgg {
		where := clauseName(ec.clause)
		if ec.inAgg {
			return nil, newErr(CodeOther, "Invalid use of group function (nested aggregate in %s)", where)
		}
		return nil, newErr(CodeOther, "Invalid use of group function in %s", where)
	}
	sub := *ec
	sub.inAgg = true
	sub.applies = nil
	args, err := sub.bindAll(astArgs)
	if err != nil {
		return nil, err
	}
	if len(sub.applies) > 0 {
		return nil, newErr(CodeOther, "subqueries inside aggregate functions are not supported")
	}
	var arg expr.Expr
	if len(args) > 0 {
		arg = args[0]
	}
	arg, t, err := ec.b.aggType(fn, arg)
	if err != nil {
		return nil, err
	}
	if arg != nil {
		args = []expr.Expr{arg}
	}
	if fn == "count_star" {
		args = nil
	}
	a := plan.AggFunc{Fn: fn, Args: args, Distinct: distinct, T: t}
	key := a.String()
	if i, ok := ec.agg.aggIdx[key]; ok {
		return ec.agg.aggs[i].Col.Ref(), nil
	}
	col := ec.b.meta.NewCol(idSuffix.ReplaceAllString(key, ""), t)
	ec.agg.aggIdx[key] = len(ec.agg.aggs)
	ec.agg.aggs = append(ec.agg.aggs, logical.Agg{Fn: fn, Args: args, Distinct: distinct, Col: col})
	return col.Ref(), nil
}

func (ec *ectx) windowAgg(fn string, astArg sqlparser.Expr, over *sqlparser.OverClause) (expr.Expr, error) {
	arg, err := ec.bind(astArg)
	if err != nil {
		return nil, err
	}
	arg, t, err := ec.b.aggType(fn, arg)
	if err != nil {
		return nil, err
	}
	return ec.window(fn, []expr.Expr{arg}, t, over)
}

// window binds a window function over the clause; it returns a
// reference to the Window node's output column.
func (ec *ectx) window(fn string, args []expr.Expr, t arrow.DataType, over *sqlparser.OverClause) (expr.Expr, error) {
	if ec.win == nil {
		return nil, newErr(CodeOther, "window function %s is not allowed in %s", fn, clauseName(ec.clause))
	}
	if over == nil || over.WindowSpec == nil {
		return nil, newErr(CodeOther, "named windows are not supported (%s)", fn)
	}
	spec := over.WindowSpec
	wf := plan.WindowFunc{Fn: fn, Args: args, T: t}
	var err error
	if wf.PartitionBy, err = ec.bindAll(spec.PartitionClause); err != nil {
		return nil, err
	}
	for _, o := range spec.OrderClause {
		e, err := ec.bind(o.Expr)
		if err != nil {
			return nil, err
		}
		wf.OrderBy = append(wf.OrderBy, sortKey(e, o.Direction == sqlparser.DescOrder))
	}
	if fc := spec.FrameClause; fc != nil {
		f := &plan.Frame{Rows: fc.Unit == sqlparser.FrameRowsType}
		bound := func(p *sqlparser.FramePoint) (plan.FrameBound, error) {
			if p == nil {
				return plan.FrameBound{}, nil
			}
			switch p.Type {
			case sqlparser.CurrentRowType:
				return plan.FrameBound{}, nil
			case sqlparser.UnboundedPrecedingType:
				return plan.FrameBound{Unbounded: true, Offset: -1}, nil
			case sqlparser.UnboundedFollowingType:
				return plan.FrameBound{Unbounded: true, Offset: 1}, nil
			}
			v, ok := intLiteral(p.Expr)
			if !ok {
				return plan.FrameBound{}, newErr(CodeOther, "window frame offsets must be integer constants: %s", sqlparser.String(p.Expr))
			}
			if p.Type == sqlparser.ExprPrecedingType {
				v = -v
			}
			return plan.FrameBound{Offset: v}, nil
		}
		if f.Start, err = bound(fc.Start); err != nil {
			return nil, err
		}
		if f.End, err = bound(fc.End); err != nil {
			return nil, err
		}
		wf.Frame = f
	}
	if ec.agg != nil {
		fix := func(e expr.Expr) (expr.Expr, error) { return ec.agg.finish(ec, e) }
		for i := range wf.Args {
			if wf.Args[i], err = fix(wf.Args[i]); err != nil {
				return nil, err
			}
		}
		for i := range wf.PartitionBy {
			if wf.PartitionBy[i], err = fix(wf.PartitionBy[i]); err != nil {
				return nil, err
			}
		}
		for i := range wf.OrderBy {
			if wf.OrderBy[i].Expr, err = fix(wf.OrderBy[i].Expr); err != nil {
				return nil, err
			}
		}
	}
	col := ec.b.meta.NewCol(fn, t)
	ec.win.funcs = append(ec.win.funcs, logical.WinFunc{WindowFunc: wf, Col: col})
	return col.Ref(), nil
}

// idSuffix matches the "#id" suffix of column references in EXPLAIN text.
var idSuffix = regexp.MustCompile(`#\d+`)
