package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/optimizer"
	"github.com/tarnsql/tarn/planner/plan"
)

// Lower turns an optimized logical plan into a physical plan whose
// output columns are the root's columns in order, named names.
func Lower(n logical.Node, names []string) (plan.Node, error) {
	root, err := lowerPlan(n, names)
	if err != nil {
		return nil, err
	}
	markDictColumns(root)
	return root, nil
}

func lowerPlan(n logical.Node, names []string) (plan.Node, error) {
	l := &lowerer{st: optimizer.NewStats(n)}
	root, ids, err := l.lower(n)
	if err != nil {
		return nil, err
	}
	want := n.Cols()
	if len(names) != len(want) {
		return nil, fmt.Errorf("internal error: %d names for %d columns", len(names), len(want))
	}
	// Final projection: output order and client names.
	// The client sees names from Planned.Columns, so a projection that
	// would only rename columns is not needed.
	same := len(ids) == len(want)
	for i := range want {
		if !same || ids[i] != want[i].ID {
			same = false
			break
		}
	}
	if same {
		return root, nil
	}
	exprs := make([]expr.Expr, len(want))
	for i, c := range want {
		e, err := remap(c.Ref(), ids)
		if err != nil {
			return nil, err
		}
		exprs[i] = e
	}
	// A projection directly below can take the names instead.
	if p, ok := root.(*plan.Project); ok {
		composed := make([]expr.Expr, len(exprs))
		for i, e := range exprs {
			composed[i] = p.Exprs[e.(*expr.ColumnRef).Index]
		}
		return &plan.Project{Base: plan.Base{Out: plan.FieldsOf(names, composed), Rows: p.Rows}, Input: p.Input, Exprs: composed}, nil
	}
	return &plan.Project{Base: plan.Base{Out: plan.FieldsOf(names, exprs), Rows: root.Est()}, Input: root, Exprs: exprs}, nil
}

type lowerer struct{ st *optimizer.Stats }

// remap rewrites column IDs to positions in ids.
func remap(e expr.Expr, ids []int) (expr.Expr, error) {
	if e == nil {
		return nil, nil
	}
	pos := make(map[int]int, len(ids))
	for i, id := range ids {
		if _, dup := pos[id]; !dup {
			pos[id] = i
		}
	}
	var err error
	out := expr.Transform(e, func(x expr.Expr) expr.Expr {
		if c, ok := x.(*expr.ColumnRef); ok {
			p, ok := pos[c.Index]
			if !ok {
				err = fmt.Errorf("internal error: column %s#%d is not available", c.Name, c.Index)
				return x
			}
			return &expr.ColumnRef{Index: p, Name: c.Name, T: c.T}
		}
		return x
	})
	return out, err
}

func remapAll(es []expr.Expr, ids []int) ([]expr.Expr, error) {
	out := make([]expr.Expr, len(es))
	for i, e := range es {
		r, err := remap(e, ids)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

func schemaOf(cols []logical.Col) *arrow.Schema {
	fs := make([]arrow.Field, len(cols))
	for i, c := range cols {
		fs[i] = arrow.Field{Name: c.Name, Type: c.T, Nullable: true}
	}
	return arrow.NewSchema(fs, nil)
}

func idsOf(cols []logical.Col) []int {
	out := make([]int, len(cols))
	for i, c := range cols {
		out[i] = c.ID
	}
	return out
}

func (l *lowerer) lower(n logical.Node) (plan.Node, []int, error) {
	rows, _ := l.st.Estimate(n)
	switch x := n.(type) {
	case *logical.Scan:
		cols := x.Cols()
		ids := idsOf(cols)
		used := x.Used
		if used == nil {
			used = make([]int, len(x.All))
			for i := range used {
				used[i] = i
			}
		}
		s := &plan.Scan{Base: plan.Base{Out: schemaOf(cols), Rows: rows}, Table: x.Table, Columns: used, Limit: x.Limit}
		if len(x.Filter) > 0 {
			f, err := remap(logical.And(x.Filter), ids)
			if err != nil {
				return nil, nil, err
			}
			s.Filter = f
			s.Ranges = deriveRanges(x)
		}
		return s, ids, nil
	case *logical.Values:
		rowsE := make([][]expr.Expr, len(x.Rows))
		copy(rowsE, x.Rows)
		return &plan.Values{Base: plan.Base{Out: schemaOf(x.Out), Rows: rows}, Rows_: rowsE}, idsOf(x.Out), nil
	case *logical.Filter:
		in, ids, err := l.lower(x.Input)
		if err != nil {
			return nil, nil, err
		}
		p, err := remap(logical.And(x.Conds), ids)
		if err != nil {
			return nil, nil, err
		}
		return &plan.Filter{Base: plan.Base{Out: in.Schema(), Rows: rows}, Input: in, Pred: p}, ids, nil
	case *logical.Project:
		in, ids, err := l.lower(x.Input)
		if err != nil {
			return nil, nil, err
		}
		es, err := remapAll(x.Exprs, ids)
		if err != nil {
			return nil, nil, err
		}
		// Project over Project: compose into one.
		if inner, ok := in.(*plan.Project); ok {
			for i, e := range es {
				es[i] = expr.Transform(e, func(y expr.Expr) expr.Expr {
					if c, ok := y.(*expr.ColumnRef); ok {
						return inner.Exprs[c.Index]
					}
					return y
				})
			}
			in = inner.Input
		}
		return &plan.Project{Base: plan.Base{Out: schemaOf(x.Out), Rows: rows}, Input: in, Exprs: es}, idsOf(x.Out), nil
	case *logical.Aggregate:
		in, ids, err := l.lower(x.Input)
		if err != nil {
			return nil, nil, err
		}
		keys, err := remapAll(x.Keys, ids)
		if err != nil {
			return nil, nil, err
		}
		a := &plan.Aggregate{Input: in, Keys: keys}
		for _, ag := range x.Aggs {
			args, err := remapAll(ag.Args, ids)
			if err != nil {
				return nil, nil, err
			}
			a.Aggs = append(a.Aggs, plan.AggFunc{Fn: ag.Fn, Args: args, Distinct: ag.Distinct, T: ag.Col.T})
		}
		cols := x.Cols()
		a.Base = plan.Base{Out: schemaOf(cols), Rows: rows}
		return a, idsOf(cols), nil
	case *logical.Join:
		return l.lowerJoin(x, rows)
	case *logical.Sort:
		in, ids, err := l.lower(x.Input)
		if err != nil {
			return nil, nil, err
		}
		keys, err := remapKeys(x.Keys, ids)
		if err != nil {
			return nil, nil, err
		}
		return &plan.Sort{Base: plan.Base{Out: in.Schema(), Rows: rows}, Input: in, Keys: keys}, ids, nil
	case *logical.Limit:
		// Sort + Limit → TopN.
		if s, ok := x.Input.(*logical.Sort); ok && x.Limit >= 0 {
			in, ids, err := l.lower(s.Input)
			if err != nil {
				return nil, nil, err
			}
			keys, err := remapKeys(s.Keys, ids)
			if err != nil {
				return nil, nil, err
			}
			return &plan.TopN{Base: plan.Base{Out: in.Schema(), Rows: rows}, Input: in, Keys: keys, Limit: x.Limit, Offset: x.Offset}, ids, nil
		}
		in, ids, err := l.lower(x.Input)
		if err != nil {
			return nil, nil, err
		}
		return &plan.Limit{Base: plan.Base{Out: in.Schema(), Rows: rows}, Input: in, Limit: x.Limit, Offset: x.Offset}, ids, nil
	case *logical.SetOp:
		so := &plan.SetOp{Base: plan.Base{Out: schemaOf(x.Out), Rows: rows}, Kind: x.Kind, All: x.All}
		for i, in := range x.Ins {
			pn, ids, err := l.lower(in)
			if err != nil {
				return nil, nil, err
			}
			// Reorder to the set operation's column order.
			es := make([]expr.Expr, len(x.InCols[i]))
			identity := len(ids) == len(es)
			for j, id := range x.InCols[i] {
				e, err := remap(&expr.ColumnRef{Index: id, Name: x.Out[j].Name, T: x.Out[j].T}, ids)
				if err != nil {
					return nil, nil, err
				}
				es[j] = e
				if e.(*expr.ColumnRef).Index != j {
					identity = false
				}
			}
			if !identity {
				pn = &plan.Project{Base: plan.Base{Out: plan.FieldsOf(namesOf(x.Out), es), Rows: pn.Est()}, Input: pn, Exprs: es}
			}
			so.Inputs = append(so.Inputs, pn)
		}
		return so, idsOf(x.Out), nil
	case *logical.Window:
		in, ids, err := l.lower(x.Input)
		if err != nil {
			return nil, nil, err
		}
		w := &plan.Window{Input: in}
		for _, f := range x.Funcs {
			pf := f.WindowFunc
			var err error
			if pf.Args, err = remapAll(f.Args, ids); err != nil {
				return nil, nil, err
			}
			if pf.PartitionBy, err = remapAll(f.PartitionBy, ids); err != nil {
				return nil, nil, err
			}
			if pf.OrderBy, err = remapKeys(f.OrderBy, ids); err != nil {
				return nil, nil, err
			}
			w.Funcs = append(w.Funcs, pf)
		}
		// The window passes its input's columns through in the order the
		// lowered input produces them (a join below may have swapped its
		// sides), then its functions' columns.
		cols := reorderCols(x.Input.Cols(), ids)
		for _, f := range x.Funcs {
			cols = append(cols, f.Col)
		}
		w.Base = plan.Base{Out: schemaOf(cols), Rows: rows}
		return w, idsOf(cols), nil
	case *logical.Unnest:
		in, ids, err := l.lower(x.Input)
		if err != nil {
			return nil, nil, err
		}
		es, err := remapAll(x.Exprs, ids)
		if err != nil {
			return nil, nil, err
		}
		cols := append(reorderCols(x.Input.Cols(), ids), x.Out...)
		u := &plan.Unnest{Base: plan.Base{Out: schemaOf(cols), Rows: rows}, Input: in, Exprs: es, Ordinality: x.Ordinality, Outer: x.Outer}
		return u, idsOf(cols), nil
	case *logical.Apply:
		return nil, nil, fmt.Errorf("internal error: subquery was not decorrelated")
	}
	return nil, nil, fmt.Errorf("internal error: cannot lower %T", n)
}

func namesOf(cols []logical.Col) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.Name
	}
	return out
}

func remapKeys(ks []plan.SortKey, ids []int) ([]plan.SortKey, error) {
	out := make([]plan.SortKey, len(ks))
	for i, k := range ks {
		e, err := remap(k.Expr, ids)
		if err != nil {
			return nil, err
		}
		out[i] = plan.SortKey{Expr: e, Desc: k.Desc, NullsFirst: k.NullsFirst}
	}
	return out, nil
}

func (l *lowerer) lowerJoin(x *logical.Join, rows float64) (plan.Node, []int, error) {
	left, right := x.Left, x.Right
	typ := x.Type
	lr, _ := l.st.Estimate(left)
	rr, _ := l.st.Estimate(right)
	// Inner joins put the smaller input on the build (right) side; a left
	// join whose preserved side is the smaller becomes a right join.
	switch {
	case (typ == plan.Inner || typ == plan.Cross) && lr < rr:
		left, right = right, left
	case typ == plan.Left && lr < rr && hasEquality(x.Conds):
		left, right = right, left
		typ = plan.Right
	}
	ln, lids, err := l.lower(left)
	if err != nil {
		return nil, nil, err
	}
	rn, rids, err := l.lower(right)
	if err != nil {
		return nil, nil, err
	}
	lset, rset := map[int]bool{}, map[int]bool{}
	for _, id := range lids {
		lset[id] = true
	}
	for _, id := range rids {
		rset[id] = true
	}
	var lkeys, rkeys, resid []expr.Expr
	for _, c := range x.Conds {
		call, ok := c.(*expr.Call)
		if ok && call.Fn == "=" {
			a, b := call.Args[0], call.Args[1]
			ra, rb := logical.Refs(a), logical.Refs(b)
			if len(ra) > 0 && len(rb) > 0 {
				if logical.Subset(rb, lset) && logical.Subset(ra, rset) {
					a, b = b, a
					ra, rb = rb, ra
				}
				if logical.Subset(ra, lset) && logical.Subset(rb, rset) {
					lk, err := remap(a, lids)
					if err != nil {
						return nil, nil, err
					}
					rk, err := remap(b, rids)
					if err != nil {
						return nil, nil, err
					}
					lkeys = append(lkeys, lk)
					rkeys = append(rkeys, rk)
					continue
				}
			}
		}
		resid = append(resid, c)
	}
	both := append(append([]int(nil), lids...), rids...)
	var outIDs []int
	var outCols []logical.Col
	lcols, rcols := left.Cols(), right.Cols()
	switch x.Type {
	case plan.Semi, plan.Anti:
		outIDs, outCols = lids, lcols
	case plan.Mark:
		outIDs = append(append([]int(nil), lids...), x.MarkCol.ID)
		outCols = append(append([]logical.Col(nil), lcols...), x.MarkCol)
	default:
		outIDs = both
		outCols = append(append([]logical.Col(nil), lcols...), rcols...)
	}
	// Physical column order follows the lowered children.
	outCols = reorderCols(outCols, outIDs)
	base := plan.Base{Out: schemaOf(outCols), Rows: rows}
	r, err := remap(logical.And(resid), both)
	if err != nil {
		return nil, nil, err
	}
	if len(lkeys) > 0 {
		if typ == plan.Cross {
			typ = plan.Inner
		}
		return &plan.HashJoin{Base: base, Type: typ, Left: ln, Right: rn, LeftKeys: lkeys, RightKeys: rkeys, Residual: r, NullAware: x.NullAware}, outIDs, nil
	}
	if x.NullAware {
		return nil, nil, fmt.Errorf("internal error: NOT IN without an equality key")
	}
	if typ == plan.Inner && r == nil {
		typ = plan.Cross
	}
	return &plan.NestedLoopJoin{Base: base, Type: typ, Left: ln, Right: rn, Cond: r}, outIDs, nil
}

func reorderCols(cols []logical.Col, ids []int) []logical.Col {
	byID := map[int]logical.Col{}
	for _, c := range cols {
		byID[c.ID] = c
	}
	out := make([]logical.Col, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	return out
}

// deriveRanges turns scan conjuncts of the form col op literal, col IN
// (literals) and col BETWEEN (as two conjuncts) into per-column value
// ranges for pruning. Range.Column is the column's index in the table
// schema; values use the connectors.Range representation.
func deriveRanges(s *logical.Scan) []connectors.Range {
	ord := map[int]int{}
	for i, c := range s.All {
		ord[c.ID] = i
	}
	// Columns from firstHidden on are the table's hidden file columns
	// ("$path", ...), constant per file.
	firstHidden := len(s.All)
	if h, ok := s.Table.(interface{ HiddenColumns() int }); ok {
		firstHidden -= h.HiddenColumns()
	}
	byCol := map[int]*connectors.Range{}
	var order []int
	get := func(col int) *connectors.Range {
		if r, ok := byCol[col]; ok {
			return r
		}
		r := &connectors.Range{Column: col}
		byCol[col] = r
		order = append(order, col)
		return r
	}
	for _, f := range s.Filter {
		switch x := f.(type) {
		case *expr.Call:
			if len(x.Args) != 2 {
				continue
			}
			op := x.Fn
			c, okc := x.Args[0].(*expr.ColumnRef)
			l, okl := x.Args[1].(*expr.Literal)
			if !okc || !okl {
				c, okc = x.Args[1].(*expr.ColumnRef)
				l, okl = x.Args[0].(*expr.Literal)
				op = flipOp[op]
			}
			if !okc || !okl || l.Value == nil {
				continue
			}
			switch op {
			case "=", "<", "<=", ">", ">=":
			case "like":
				if x.Args[0] != c {
					continue
				}
				pat, isStr := l.Value.(string)
				col, ok := ord[c.Index]
				if !ok || !isStr {
					continue
				}
				lo, hi, prefix := likePrefixRange(l)
				if !prefix && col < firstHidden {
					// Nothing to prune a data column with; the patterns
					// themselves only serve columns the table knows per
					// file (connectors.Range.Like).
					continue
				}
				r := get(col)
				if prefix {
					r.Min, r.Max = tighterMin(r.Min, lo, l.T), tighterMax(r.Max, hi, l.T)
				}
				r.Like = append(r.Like, pat)
				continue
			default:
				continue
			}
			col, ok := ord[c.Index]
			if !ok {
				continue
			}
			v, ok := rangeValue(l)
			if !ok {
				continue
			}
			r := get(col)
			switch op {
			case "=":
				r.Values = intersectValues(r.Values, []any{v}, l.T)
				r.Min, r.Max = tighterMin(r.Min, v, l.T), tighterMax(r.Max, v, l.T)
			case "<", "<=":
				r.Max = tighterMax(r.Max, v, l.T)
			case ">", ">=":
				r.Min = tighterMin(r.Min, v, l.T)
			}
		case *expr.InList:
			if x.Negated {
				continue
			}
			c, ok := x.E.(*expr.ColumnRef)
			if !ok {
				continue
			}
			col, ok := ord[c.Index]
			if !ok {
				continue
			}
			var vals []any
			okAll := true
			for _, it := range x.List {
				l, ok := it.(*expr.Literal)
				if !ok {
					okAll = false
					break
				}
				if l.Value == nil {
					continue
				}
				v, ok := rangeValue(l)
				if !ok {
					okAll = false
					break
				}
				vals = append(vals, v)
			}
			if !okAll {
				continue
			}
			r := get(col)
			r.Values = intersectValues(r.Values, vals, c.T)
		}
	}
	out := make([]connectors.Range, 0, len(order))
	for _, col := range order {
		out = append(out, *byCol[col])
	}
	return out
}

var flipOp = map[string]string{"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<=", "<>": "<>"}

// rangeValue converts a literal to the connectors.Range representation.
func rangeValue(l *expr.Literal) (any, bool) {
	switch v := l.Value.(type) {
	case int64:
		return v, true
	case int32:
		return int64(v), true
	case float64:
		return v, true
	case string:
		return v, true
	case bool:
		return v, true
	}
	return nil, false // Decimal128 values are not range-encoded
}

func cmpRange(a, b any, _ arrow.DataType) int {
	switch x := a.(type) {
	case int64:
		y := b.(int64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case float64:
		y := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case string:
		y := b.(string)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	case bool:
		y := b.(bool)
		if x != y {
			if !x {
				return -1
			}
			return 1
		}
	}
	return 0
}

func tighterMax(cur, v any, t arrow.DataType) any {
	if cur == nil || cmpRange(v, cur, t) < 0 {
		return v
	}
	return cur
}

func tighterMin(cur, v any, t arrow.DataType) any {
	if cur == nil || cmpRange(v, cur, t) > 0 {
		return v
	}
	return cur
}

func intersectValues(cur, vals []any, t arrow.DataType) []any {
	if cur == nil {
		if vals == nil {
			return []any{}
		}
		return vals
	}
	var out []any
	for _, a := range cur {
		for _, b := range vals {
			if cmpRange(a, b, t) == 0 {
				out = append(out, a)
				break
			}
		}
	}
	if out == nil {
		out = []any{}
	}
	return out
}

// likePrefixRange turns LIKE 'abc%' (a literal prefix, no escape) into
// the closed range ['abc', 'abd'] that contains every match.
func likePrefixRange(l *expr.Literal) (any, any, bool) {
	p, ok := l.Value.(string)
	if !ok {
		return nil, nil, false
	}
	i := 0
	for i < len(p) && p[i] != '%' && p[i] != '_' && p[i] != '\\' {
		i++
	}
	prefix := p[:i]
	if prefix == "" || i == len(p) {
		return nil, nil, false // no prefix, or an exact match (handled as =)
	}
	hi := []byte(prefix)
	for k := len(hi) - 1; k >= 0; k-- {
		if hi[k] < 0xff {
			hi[k]++
			return prefix, string(hi[:k+1]), true
		}
	}
	return nil, nil, false
}

func hasEquality(conds []expr.Expr) bool {
	for _, c := range conds {
		if call, ok := c.(*expr.Call); ok && call.Fn == "=" {
			return true
		}
	}
	return false
}
