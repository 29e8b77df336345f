package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"vitess.io/vitess/go/vt/sqlparser"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
)

// unnestTE recognises the derived table rewriteNested made of an UNNEST
// (see rewrite_nested.go).
func unnestTE(te sqlparser.TableExpr) (*sqlparser.AliasedTableExpr, bool) {
	ate, ok := te.(*sqlparser.AliasedTableExpr)
	if !ok {
		return nil, false
	}
	if _, ok := ate.Expr.(*sqlparser.DerivedTable); !ok {
		return nil, false
	}
	return ate, strings.HasPrefix(strings.ToLower(ate.As.String()), unnestAliasPrefix)
}

// bindUnnest binds UNNEST(...) over the relation to its left (n, cols):
// the expressions see the left's columns (and outer query's), and the
// result is the left's rows times their elements.
func (b *binder) bindUnnest(n logical.Node, cols []scopeCol, ate *sqlparser.AliasedTableExpr, outerJoin bool, outer *scope, env *cteEnv) (logical.Node, []scopeCol, error) {
	rest := ate.As.String()[len(unnestAliasPrefix):]
	ordinality := strings.HasPrefix(rest, "o")
	alias := rest[min(2, len(rest)):]
	sel, ok := ate.Expr.(*sqlparser.DerivedTable).Select.(*sqlparser.Select)
	if !ok || sel.SelectExprs == nil {
		return nil, nil, newErr(CodeOther, "malformed UNNEST")
	}
	if n == nil {
		n = &logical.Values{Rows: [][]expr.Expr{{}}}
	}
	ec := &ectx{b: b, sc: &scope{cols: cols, parent: outer}, env: env, clause: "from clause"}
	u := &logical.Unnest{Input: n, Ordinality: ordinality, Outer: outerJoin}
	type outCol struct {
		name string
		t    arrow.DataType
	}
	var outs []outCol
	exprs := sel.SelectExprs.Exprs
	for _, se := range exprs {
		ae, ok := se.(*sqlparser.AliasedExpr)
		if !ok {
			return nil, nil, newErr(CodeOther, "malformed UNNEST argument %s", sqlparser.String(se))
		}
		e, err := ec.bind(ae.Expr)
		if err != nil {
			return nil, nil, err
		}
		if len(ec.applies) > 0 {
			return nil, nil, newErr(CodeOther, "subqueries in UNNEST are not supported")
		}
		shown := sqlparser.String(ae.Expr)
		if !logical.Subset(logical.Refs(e), logical.IDs(colsOf(cols))) {
			return nil, nil, errAt(newErr(CodeOther, "UNNEST(%s) in a subquery cannot reference the outer query's columns yet: "+
				"unnest in the outer query (CROSS JOIN UNNEST) or use contains() / cardinality() / element_at()", shown), shown)
		}
		suffix := ""
		if len(exprs) > 1 {
			suffix = fmt.Sprint(len(u.Exprs) + 1)
		}
		switch t := e.Type().(type) {
		case *arrow.ListType:
			if st, ok := t.Elem().(*arrow.StructType); ok {
				for _, f := range st.Fields() {
					outs = append(outs, outCol{f.Name, f.Type})
				}
			} else {
				outs = append(outs, outCol{"col" + suffix, t.Elem()})
			}
		case *arrow.MapType:
			outs = append(outs, outCol{"key" + suffix, t.KeyType()}, outCol{"value" + suffix, t.ItemType()})
		default:
			return nil, nil, errAt(newErr(CodeOther, "UNNEST(%s): the argument has type %s; only ARRAY and MAP values can be unnested",
				shown, strings.ToLower(types.SQLName(e.Type()))), shown)
		}
		u.Exprs = append(u.Exprs, e)
	}
	if ordinality {
		outs = append(outs, outCol{"ordinality", types.Int64})
	}
	if len(ate.Columns) > 0 {
		if len(ate.Columns) != len(outs) {
			return nil, nil, newErr(CodeOther, "UNNEST AS %s(...) names %d columns but the UNNEST produces %d (%s)",
				alias, len(ate.Columns), len(outs), describeOuts(outs, func(o outCol) (string, arrow.DataType) { return o.name, o.t }))
		}
		for i, c := range ate.Columns {
			outs[i].name = c.String()
		}
	}
	out := append([]scopeCol(nil), cols...)
	for _, o := range outs {
		c := b.meta.NewCol(o.name, o.t)
		u.Out = append(u.Out, c)
		out = append(out, scopeCol{table: alias, name: o.name, col: c})
	}
	return u, out, nil
}

func describeOuts[T any](outs []T, f func(T) (string, arrow.DataType)) string {
	parts := make([]string, len(outs))
	for i, o := range outs {
		n, t := f(o)
		parts[i] = n + " " + strings.ToLower(types.SQLName(t))
	}
	return strings.Join(parts, ", ")
}

// bindJoinUnnest binds `left [CROSS|INNER|LEFT] JOIN UNNEST(...) ...`.
func (b *binder) bindJoinUnnest(j *sqlparser.JoinTableExpr, ate *sqlparser.AliasedTableExpr, outer *scope, env *cteEnv) (logical.Node, []scopeCol, error) {
	ln, lc, err := b.bindTableExpr(j.LeftExpr, outer, env)
	if err != nil {
		return nil, nil, err
	}
	outerJoin := false
	switch j.Join {
	case sqlparser.NormalJoinType:
	case sqlparser.LeftJoinType:
		outerJoin = true
	default:
		return nil, nil, newErr(CodeOther, "%s UNNEST is not supported (use CROSS JOIN UNNEST or LEFT JOIN UNNEST ... ON TRUE)", strings.ToUpper(j.Join.ToString()))
	}
	var on sqlparser.Expr
	if j.Condition != nil {
		if len(j.Condition.Using) > 0 {
			return nil, nil, newErr(CodeOther, "JOIN UNNEST ... USING is not supported")
		}
		on = j.Condition.On
	}
	if b, ok := on.(sqlparser.BoolVal); ok && bool(b) {
		on = nil
	}
	if outerJoin && on != nil {
		return nil, nil, newErr(CodeOther, "LEFT JOIN UNNEST supports only ON TRUE, got ON %s", sqlparser.String(on))
	}
	n, cols, err := b.bindUnnest(ln, lc, ate, outerJoin, outer, env)
	if err != nil {
		return nil, nil, err
	}
	if on != nil {
		ec := &ectx{b: b, sc: &scope{cols: cols, parent: outer}, clause: "on clause", env: env}
		e, err := ec.bind(on)
		if err != nil {
			return nil, nil, err
		}
		if len(ec.applies) > 0 {
			return nil, nil, newErr(CodeOther, "subqueries in ON conditions are not supported")
		}
		if e, err = asBool(b, e); err != nil {
			return nil, nil, err
		}
		n = &logical.Filter{Input: n, Conds: logical.Conjuncts(e)}
	}
	return n, cols, nil
}
