package optimizer

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// decorrelatePerRow decorrelates a correlated scalar subquery that the
// equality fast path (scalarByKeys) cannot take: correlation by
// inequalities, BETWEEN, OR, equalities mixed with other predicates, a
// correlated ORDER BY ... LIMIT, GROUP BY or DISTINCT, outer columns in
// the select list or in aggregate arguments. The subquery is evaluated
// for every outer row at once:
//
//	O' = the Apply input with a row key (a unique key it provably has,
//	     or row_number() over ())
//	J  = O' LEFT JOIN (base, present := TRUE) ON the correlation predicates
//
// For each outer row J holds the rows of the subquery's base (below its
// aggregate or LIMIT), or one padding row with NULL inner columns
// (present NULL) when there are none. The rest of the subquery runs over
// J partitioned by the row key:
//
//   - an aggregate without GROUP BY is grouped by the row key; COUNT(*)
//     counts present and arguments that could be non-NULL on the padding
//     row are NULLed there, so the padding row aggregates like no row;
//   - GROUP BY / DISTINCT groups by the row key and the subquery's keys;
//     a group without present rows is the padding row's;
//   - ORDER BY ... LIMIT n OFFSET k numbers the rows of each outer row
//     (row_number() over (partition by key order by ...)) and keeps
//     numbers k+1..k+n, or the first row (its value NULLed) when the
//     outer row has at most k rows;
//   - the select list is evaluated above the join (it may read outer
//     columns) and its value NULLed on padding rows.
//
// Finally single_value grouped by the row key yields the value: NULL for
// no row, the value for one, MySQL error 1242 for an outer row that sees
// more than one (skipped when the shape yields at most one row per key:
// an aggregate without GROUP BY, LIMIT 1). Outer columns ride through
// that aggregate as any_value (or as extra keys for types any_value does
// not take), so unused ones are pruned.
func decorrelatePerRow(c *Ctx, ap *logical.Apply, outer map[int]bool) (logical.Node, error) {
	top := ap.Sub.(*logical.Project)
	// The select list computes raw; ap.Out is raw NULLed on padding rows.
	raw := c.Meta.NewCol(ap.Out.Name, ap.Out.T)
	renamed := *top
	renamed.Out = []logical.Col{raw}

	// The spine: projections (and ORDER BY without LIMIT, which does not
	// change a scalar subquery's value) down to an aggregate, a LIMIT or
	// the correlated base.
	var tops []*logical.Project // outermost first
	var cur logical.Node = &renamed
spine:
	for {
		switch x := cur.(type) {
		case *logical.Project:
			tops = append(tops, x)
			cur = x.Input
		case *logical.Sort:
			cur = x.Input
		default:
			break spine
		}
	}
	var having []expr.Expr
	if f, ok := cur.(*logical.Filter); ok {
		if a, ok := f.Input.(*logical.Aggregate); ok {
			having, cur = f.Conds, a
		}
	}

	r := &perRow{c: c, ap: ap, outer: outer}
	r.numbered, r.keys = numberRows(c, ap.Input)
	switch x := cur.(type) {
	case *logical.Aggregate:
		return r.aggregate(x, tops, having, raw)
	case *logical.Limit:
		return r.limit(x, tops, raw)
	}
	j, present, err := r.join(cur)
	if err != nil {
		return nil, err
	}
	node := applyTops(j, tops)
	return keepCols(ap, r.single(node, nullUnless(present.Ref(), raw.Ref()))), nil
}

// perRow holds what the shapes of decorrelatePerRow share.
type perRow struct {
	c        *Ctx
	ap       *logical.Apply
	outer    map[int]bool
	numbered logical.Node  // the Apply input with its row key
	keys     []logical.Col // the row key
}

// join pulls the correlation predicates out of base and left-joins it,
// with a present column, to the numbered outer input.
func (r *perRow) join(base logical.Node) (logical.Node, logical.Col, error) {
	in, preds, err := pullUp(base, r.outer)
	if err != nil {
		return nil, logical.Col{}, err
	}
	present := r.c.Meta.NewCol("present", types.Boolean)
	p := passThrough(in)
	p.Exprs = append(p.Exprs, logical.Lit(true, types.Boolean))
	p.Out = append(p.Out, present)
	return &logical.Join{Type: plan.Left, Left: r.numbered, Right: p, Conds: preds}, present, nil
}

// carry returns the grouping of an aggregate keyed by the row key that
// carries every outer column through: the row key, then any_value of the
// other outer columns (extra keys for types any_value does not take;
// they are functionally dependent on the row key, so grouping is the
// same).
func (r *perRow) carry() ([]expr.Expr, []logical.Col, []logical.Agg) {
	var keys []expr.Expr
	var keyCols []logical.Col
	var aggs []logical.Agg
	isKey := logical.IDs(r.keys)
	for _, k := range r.keys {
		keys = append(keys, k.Ref())
		keyCols = append(keyCols, k)
	}
	for _, col := range r.ap.Input.Cols() {
		switch {
		case isKey[col.ID]:
		case anyValueType(col.T):
			aggs = append(aggs, logical.Agg{Fn: "any_value", Args: []expr.Expr{col.Ref()}, Col: col})
		default:
			keys = append(keys, col.Ref())
			keyCols = append(keyCols, col)
		}
	}
	return keys, keyCols, aggs
}

// single groups n by the row key with single_value(value) as the Apply's
// output column.
func (r *perRow) single(n logical.Node, value expr.Expr) logical.Node {
	keys, keyCols, aggs := r.carry()
	aggs = append(aggs, logical.Agg{Fn: "single_value", Args: []expr.Expr{value}, Col: r.ap.Out})
	return &logical.Aggregate{Input: n, Keys: keys, KeyCols: keyCols, Aggs: aggs}
}

// output adds the Apply's output column value to n (at most one row per
// outer row) and keeps the Apply's schema.
func (r *perRow) output(n logical.Node, value expr.Expr) logical.Node {
	p := passThroughExcept(n, []logical.Col{r.ap.Out})
	p.Exprs = append(p.Exprs, value)
	p.Out = append(p.Out, r.ap.Out)
	return keepCols(r.ap, p)
}

// aggregate handles Project* [HAVING] Aggregate over the correlated base.
func (r *perRow) aggregate(agg *logical.Aggregate, tops []*logical.Project, having []expr.Expr, raw logical.Col) (logical.Node, error) {
	grouped := len(agg.Keys) > 0
	if grouped && len(having) > 0 {
		return nil, errCorrelated("HAVING with GROUP BY in a scalar subquery correlated by anything but equalities")
	}
	j, present, err := r.join(agg.Input)
	if err != nil {
		return nil, err
	}
	keys, keyCols, aggs := r.carry()
	for _, a := range agg.Aggs {
		aggs = append(aggs, padAgg(a, present, r.outer))
	}
	var seen logical.Col // grouped: how many present rows a group has
	if grouped {
		keys = append(keys, agg.Keys...)
		keyCols = append(keyCols, agg.KeyCols...)
		seen = r.c.Meta.NewCol("present_rows", types.Int64)
		aggs = append(aggs, logical.Agg{Fn: "count", Args: []expr.Expr{present.Ref()}, Col: seen})
	}
	node := applyTops(&logical.Aggregate{Input: j, Keys: keys, KeyCols: keyCols, Aggs: aggs}, tops)
	if !grouped {
		// one row per outer row; a failed HAVING means no row (NULL)
		var value expr.Expr = raw.Ref()
		if len(having) > 0 {
			value = nullUnless(logical.And(having), value)
		}
		return r.output(node, value), nil
	}
	gt0 := &expr.Call{Fn: ">", Args: []expr.Expr{seen.Ref(), logical.Lit(int64(0), types.Int64)}, T: types.Boolean}
	return keepCols(r.ap, r.single(node, nullUnless(gt0, raw.Ref()))), nil
}

// limit handles Project* LIMIT n OFFSET k (over an optional ORDER BY)
// over the correlated base.
func (r *perRow) limit(lim *logical.Limit, tops []*logical.Project, raw logical.Col) (logical.Node, error) {
	if lim.Limit == 0 {
		return r.output(r.ap.Input, logical.Lit(nil, r.ap.Out.T)), nil
	}
	below := lim.Input
	var order []plan.SortKey
	for n := below; ; {
		if p, ok := n.(*logical.Project); ok {
			n = p.Input
			continue
		}
		if s, ok := n.(*logical.Sort); ok {
			order = s.Keys
		}
		break
	}
	avail := logical.IDs(below.Cols())
	for _, k := range order {
		if !logical.Subset(logical.Refs(k.Expr), avail) {
			return nil, errCorrelated("ORDER BY " + k.Expr.String() + " is not visible above the subquery's select list")
		}
	}
	j, present, err := r.join(below)
	if err != nil {
		return nil, err
	}
	part := make([]expr.Expr, len(r.keys))
	for i, k := range r.keys {
		part[i] = k.Ref()
	}
	rn := r.c.Meta.NewCol("row_number", types.Int64)
	funcs := []logical.WinFunc{{WindowFunc: plan.WindowFunc{Fn: "row_number", PartitionBy: part, OrderBy: order, T: types.Int64}, Col: rn}}
	lit := func(v int64) expr.Expr { return logical.Lit(v, types.Int64) }
	cmp := func(fn string, a logical.Col, v int64) expr.Expr {
		return &expr.Call{Fn: fn, Args: []expr.Expr{a.Ref(), lit(v)}, T: types.Boolean}
	}
	and := func(es ...expr.Expr) expr.Expr { return logical.And(es) }
	off := lim.Offset
	var inRange []expr.Expr // rn in [off+1, off+limit]
	if off > 0 {
		inRange = append(inRange, cmp(">", rn, off))
	}
	if lim.Limit > 0 {
		inRange = append(inRange, cmp("<=", rn, off+lim.Limit))
	}
	var keep []expr.Expr
	var valueCond expr.Expr = present.Ref()
	if off > 0 {
		// An outer row with at most off rows keeps its first row, whose
		// value is NULLed (rn <= off there).
		cnt := r.c.Meta.NewCol("present_rows", types.Int64)
		funcs = append(funcs, logical.WinFunc{WindowFunc: plan.WindowFunc{Fn: "count", Args: []expr.Expr{present.Ref()}, PartitionBy: part, T: types.Int64}, Col: cnt})
		keep = []expr.Expr{&expr.Call{Fn: "or", Args: []expr.Expr{and(inRange...), and(cmp("=", rn, 1), cmp("<=", cnt, off))}, T: types.Boolean}}
		valueCond = and(present.Ref(), cmp(">", rn, off))
	} else {
		keep = inRange // the padding row is number 1
	}
	var node logical.Node = &logical.Window{Input: j, Funcs: funcs}
	if len(keep) > 0 {
		node = &logical.Filter{Input: node, Conds: keep}
	}
	node = applyTops(node, tops)
	value := nullUnless(valueCond, raw.Ref())
	if lim.Limit == 1 {
		return r.output(node, value), nil
	}
	return keepCols(r.ap, r.single(node, value)), nil
}

// padAgg rewrites an aggregate over the left join so the padding row of
// an outer row without subquery rows counts as no row: COUNT(*) counts
// present, and arguments that are not NULL on the padding row already
// (see nullOnPadding) are NULLed there. Every other aggregate ignores
// NULLs.
func padAgg(a logical.Agg, present logical.Col, outer map[int]bool) logical.Agg {
	if a.Fn == "count_star" {
		return logical.Agg{Fn: "count", Args: []expr.Expr{present.Ref()}, Col: a.Col}
	}
	out := a
	out.Args = make([]expr.Expr, len(a.Args))
	for i, e := range a.Args {
		if nullOnPadding(e, outer) {
			out.Args[i] = e
			continue
		}
		out.Args[i] = nullUnless(present.Ref(), e)
	}
	return out
}

// nullOnPadding reports whether e is NULL whenever the inner columns are
// (the padding row of the left join): an inner column, or a cast or
// NULL-propagating operator over one.
func nullOnPadding(e expr.Expr, outer map[int]bool) bool {
	switch x := e.(type) {
	case *expr.ColumnRef:
		return !outer[x.Index]
	case *expr.Cast:
		return nullOnPadding(x.E, outer)
	case *expr.Call:
		switch x.Fn {
		case "+", "-", "*", "/", "%", "div", "neg", "=", "<>", "<", "<=", ">", ">=":
			for _, a := range x.Args {
				if nullOnPadding(a, outer) {
					return true
				}
			}
		}
	}
	return false
}

// applyTops evaluates the projections tops (outermost first) over n,
// passing n's other columns through.
func applyTops(n logical.Node, tops []*logical.Project) logical.Node {
	for i := len(tops) - 1; i >= 0; i-- {
		p := passThroughExcept(n, tops[i].Out)
		p.Exprs = append(p.Exprs, tops[i].Exprs...)
		p.Out = append(p.Out, tops[i].Out...)
		n = p
	}
	return n
}

// nullUnless is CASE WHEN cond THEN e END.
func nullUnless(cond, e expr.Expr) expr.Expr {
	return &expr.Case{Whens: []expr.When{{Cond: cond, Then: e}}, T: e.Type()}
}

// numberRows returns n with a row key: a unique key n provably has, or
// a new row_number() over () column.
func numberRows(c *Ctx, n logical.Node) (logical.Node, []logical.Col) {
	if k := uniqueKey(n); len(k) > 0 {
		return n, k
	}
	rid := c.Meta.NewCol("row", types.Int64)
	return &logical.Window{Input: n, Funcs: []logical.WinFunc{{
		WindowFunc: plan.WindowFunc{Fn: "row_number", T: types.Int64},
		Col:        rid,
	}}}, []logical.Col{rid}
}

// uniqueKey returns columns of n no two rows share (nil when none are
// known): the keys of a grouped aggregate, through operators that keep or
// drop rows and projections that pass the key through.
func uniqueKey(n logical.Node) []logical.Col {
	switch x := n.(type) {
	case *logical.Aggregate:
		if len(x.Keys) > 0 {
			return x.KeyCols
		}
	case *logical.Filter:
		return uniqueKey(x.Input)
	case *logical.Sort:
		return uniqueKey(x.Input)
	case *logical.Limit:
		return uniqueKey(x.Input)
	case *logical.Window:
		return uniqueKey(x.Input)
	case *logical.Join:
		if x.Type == plan.Semi || x.Type == plan.Anti || x.Type == plan.Mark {
			return uniqueKey(x.Left)
		}
	case *logical.Project:
		k := uniqueKey(x.Input)
		if k == nil {
			return nil
		}
		out := make([]logical.Col, 0, len(k))
		for _, kc := range k {
			found := false
			for i, e := range x.Exprs {
				if cr, ok := e.(*expr.ColumnRef); ok && cr.Index == kc.ID {
					out = append(out, x.Out[i])
					found = true
					break
				}
			}
			if !found {
				return nil
			}
		}
		return out
	}
	return nil
}

// anyValueType reports whether the any_value aggregate takes t (the
// fixed-width, string and boolean types; see exec's aggNewAcc).
func anyValueType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32, arrow.TIMESTAMP,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL64, arrow.DECIMAL128, arrow.STRING, arrow.BOOL:
		return true
	}
	return false
}

// pushBelowApplies moves the conjuncts of a Filter over a chain of Applies
// that read only the chain's input below the chain, when one of the
// Applies is decorrelated per outer row: its row numbering and grouping
// would stop the filter from reaching the input later, and the subquery
// then runs (and checks its row count) only for the rows the query keeps.
func pushBelowApplies(c *Ctx, n logical.Node) (logical.Node, error) {
	return transformUp(n, func(n logical.Node) (logical.Node, error) {
		f, ok := n.(*logical.Filter)
		if !ok {
			return n, nil
		}
		var chain []*logical.Apply
		perRow := false
		var bottom logical.Node = f.Input
		for {
			a, ok := bottom.(*logical.Apply)
			if !ok {
				break
			}
			chain = append(chain, a)
			perRow = perRow || needsPerRow(c, a)
			bottom = a.Input
		}
		if !perRow {
			return n, nil
		}
		avail := logical.IDs(bottom.Cols())
		var down, up []expr.Expr
		for _, cond := range f.Conds {
			if logical.Subset(logical.Refs(cond), avail) {
				down = append(down, cond)
			} else {
				up = append(up, cond)
			}
		}
		if len(down) == 0 {
			return n, nil
		}
		var out logical.Node = &logical.Filter{Input: bottom, Conds: down}
		for i := len(chain) - 1; i >= 0; i-- {
			a := *chain[i]
			a.Input = out
			out = &a
		}
		if len(up) > 0 {
			out = &logical.Filter{Input: out, Conds: up}
		}
		return out, nil
	})
}

// needsPerRow reports whether a is a correlated scalar subquery that the
// equality fast path cannot take.
func needsPerRow(c *Ctx, a *logical.Apply) bool {
	if a.Kind != logical.ApplyScalar {
		return false
	}
	if top, ok := a.Sub.(*logical.Project); !ok || len(top.Out) != 1 {
		return false
	}
	outer := producedIDs(a.Input)
	if !intersects(logical.FreeCols(a.Sub), outer) {
		return false
	}
	_, ok := scalarByKeys(c, a, outer)
	return !ok
}
