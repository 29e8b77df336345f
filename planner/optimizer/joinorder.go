package optimizer

import (
	"math"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/logical"
	"github.com/tarnsql/tarn/planner/plan"
)

// defaultRows is assumed for tables without an estimate.
const defaultRows = 1000

// Selectivity estimates the fraction of rows a conjunct keeps: equality
// 0.1, range 0.3, LIKE 0.25 (prefix 0.1), IN min(0.1·n, 0.5), IS NULL
// 0.1, <> and NOT LIKE 0.9, OR by inclusion–exclusion, others 0.5.
func Selectivity(e expr.Expr) float64 {
	switch x := e.(type) {
	case *expr.Call:
		switch x.Fn {
		case "=", "<=>":
			return 0.1
		case "<>":
			return 0.9
		case "<", "<=", ">", ">=":
			return 0.3
		case "like":
			if l, ok := x.Args[1].(*expr.Literal); ok {
				if s, ok := l.Value.(string); ok && len(s) > 0 && s[0] != '%' && s[0] != '_' {
					return 0.1
				}
			}
			return 0.25
		case "not_like":
			return 0.9
		case "is_null":
			return 0.1
		case "is_not_null":
			return 0.9
		case "and":
			s := 1.0
			for _, a := range x.Args {
				s *= Selectivity(a)
			}
			return s
		case "or":
			s := 0.0
			for _, a := range x.Args {
				t := Selectivity(a)
				s = s + t - s*t
			}
			return s
		case "not":
			return 1 - Selectivity(x.Args[0])
		}
	case *expr.InList:
		s := math.Min(0.1*float64(len(x.List)), 0.5)
		if x.Negated {
			return 1 - s
		}
		return s
	case *expr.Literal:
		if logical.IsBoolLit(x, true) {
			return 1
		}
		return 0
	}
	return 0.5
}

func selAll(es []expr.Expr) float64 {
	s := 1.0
	for _, e := range es {
		s *= Selectivity(e)
	}
	return s
}

// Stats estimates cardinalities. It knows the distinct-value counts the
// catalog reported for scanned columns (by column ID).
type Stats struct {
	ndv map[int]float64
}

// NewStats collects the distinct counts of every scan in n.
func NewStats(n logical.Node) *Stats {
	s := &Stats{ndv: map[int]float64{}}
	var walk func(logical.Node)
	walk = func(n logical.Node) {
		if sc, ok := n.(*logical.Scan); ok {
			for id, d := range sc.NDV {
				s.ndv[id] = d
			}
		}
		for _, in := range n.Inputs() {
			walk(in)
		}
	}
	walk(n)
	return s
}

// Estimate returns the estimated output rows of n and its key domain
// ("base": the row count of the largest table whose rows it preserves,
// used as the number of distinct join-key values when the catalog has
// no distinct counts).
func (st *Stats) Estimate(n logical.Node) (rows, base float64) {
	switch x := n.(type) {
	case *logical.Scan:
		b := x.BaseRows
		if b < 0 {
			b = defaultRows
		}
		r := b * selAll(x.Filter)
		if x.Limit > 0 {
			r = math.Min(r, float64(x.Limit))
		}
		return math.Max(r, 1), math.Max(b, 1)
	case *logical.Filter:
		r, b := st.Estimate(x.Input)
		return math.Max(r*selAll(x.Conds), 1), b
	case *logical.Project:
		return st.Estimate(x.Input)
	case *logical.Sort:
		return st.Estimate(x.Input)
	case *logical.Window:
		return st.Estimate(x.Input)
	case *logical.Unnest:
		// a few elements per row, as a default guess
		r, b := st.Estimate(x.Input)
		return r * 4, b
	case *logical.Limit:
		r, b := st.Estimate(x.Input)
		if x.Limit >= 0 {
			r = math.Min(r, float64(x.Limit))
		}
		return r, b
	case *logical.Aggregate:
		r, _ := st.Estimate(x.Input)
		if len(x.Keys) == 0 {
			return 1, 1
		}
		// With distinct counts for every key: their product (capped).
		prod, known := 1.0, true
		for _, k := range x.Keys {
			c, ok := k.(*expr.ColumnRef)
			if !ok || st.ndv[c.Index] <= 0 {
				known = false
				break
			}
			prod *= st.ndv[c.Index]
		}
		if known {
			g := math.Max(1, math.Min(r, prod))
			return g, g
		}
		g := math.Max(1, math.Min(r, r*math.Pow(0.1, 1/float64(len(x.Keys)))))
		return g, g
	case *logical.Join:
		lr, lb := st.Estimate(x.Left)
		rr, rb := st.Estimate(x.Right)
		inner := st.joinRows(lr, lb, rr, rb, x.Conds, logical.IDs(x.Left.Cols()), logical.IDs(x.Right.Cols()))
		switch x.Type {
		case plan.Left:
			return math.Max(lr, inner), lb
		case plan.Full:
			return math.Max(lr+rr, inner), math.Max(lb, rb)
		case plan.Right:
			return math.Max(rr, inner), rb
		case plan.Semi:
			return math.Max(1, math.Min(lr, inner)), lb
		case plan.Anti:
			return math.Max(1, lr*0.5), lb
		case plan.Mark:
			return lr, lb
		}
		return inner, math.Max(lb, rb)
	case *logical.SetOp:
		total := 0.0
		for _, in := range x.Ins {
			r, _ := st.Estimate(in)
			total += r
		}
		return total, total
	case *logical.Values:
		return float64(len(x.Rows)), float64(len(x.Rows))
	case *logical.Apply:
		return st.Estimate(x.Input)
	}
	return defaultRows, defaultRows
}

// isEquiBetween reports whether e is a = b with a over one side and b over
// the other.
func isEquiBetween(e expr.Expr, l, r map[int]bool) bool {
	c, ok := e.(*expr.Call)
	if !ok || c.Fn != "=" {
		return false
	}
	a, b := logical.Refs(c.Args[0]), logical.Refs(c.Args[1])
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	return logical.Subset(a, l) && logical.Subset(b, r) || logical.Subset(a, r) && logical.Subset(b, l)
}

// joinRows estimates an inner join: with an equi-condition, each row of
// the side with the larger key domain matches about one row of the
// other (key–foreign key), scaled by the filtered fraction of the
// smaller-domain side: l·r / min(base_l, base_r).
// With distinct counts for the key columns, it is l·r / max(ndv_l, ndv_r)
// (each capped by its side's rows) for the most selective key.
func (st *Stats) joinRows(lr, lb, rr, rb float64, conds []expr.Expr, lids, rids map[int]bool) float64 {
	equi := false
	var other []expr.Expr
	denom := 0.0
	for _, c := range conds {
		if isEquiBetween(c, lids, rids) {
			equi = true
			call := c.(*expr.Call)
			a, aok := call.Args[0].(*expr.ColumnRef)
			b, bok := call.Args[1].(*expr.ColumnRef)
			if aok && bok {
				na, oka := st.ndv[a.Index]
				nb, okb := st.ndv[b.Index]
				if oka && okb {
					if !lids[a.Index] {
						na, nb = nb, na
					}
					denom = math.Max(denom, math.Max(math.Min(na, lr), math.Min(nb, rr)))
				}
			}
			continue
		}
		other = append(other, c)
	}
	var r float64
	switch {
	case equi && denom > 0:
		r = lr * rr / denom
	case equi:
		r = lr * rr / math.Max(1, math.Min(lb, rb))
	default:
		r = lr * rr
	}
	return math.Max(1, r*selAll(other))
}

// ReorderJoins reorders every group of inner joins greedily (GOO): it
// repeatedly joins the two connected inputs with the smallest estimated
// result, putting the smaller input on the right (the hash build side).
// Cross products are chosen only when nothing is connected.
func ReorderJoins(_ *Ctx, n logical.Node) (logical.Node, bool, error) {
	return NewStats(n).reorder(n), true, nil
}

type component struct {
	node       logical.Node
	rows, base float64
	ids        map[int]bool
}

func (st *Stats) reorder(n logical.Node) logical.Node {
	j, ok := n.(*logical.Join)
	if !ok || j.Type != plan.Inner && j.Type != plan.Cross {
		ins := n.Inputs()
		if len(ins) == 0 {
			return n
		}
		out := make([]logical.Node, len(ins))
		for i, in := range ins {
			out[i] = st.reorder(in)
		}
		n = n.WithInputs(out)
		// Orient other joins: nothing to swap for outer/semi joins.
		return n
	}
	var leaves []logical.Node
	var conds []expr.Expr
	var collect func(logical.Node)
	collect = func(n logical.Node) {
		if j, ok := n.(*logical.Join); ok && (j.Type == plan.Inner || j.Type == plan.Cross) {
			collect(j.Left)
			collect(j.Right)
			conds = append(conds, j.Conds...)
			return
		}
		leaves = append(leaves, st.reorder(n))
	}
	collect(j)
	comps := make([]*component, len(leaves))
	for i, l := range leaves {
		r, b := st.Estimate(l)
		comps[i] = &component{node: l, rows: r, base: b, ids: logical.IDs(l.Cols())}
	}
	for len(comps) > 1 {
		bi, bj := -1, -1
		best := math.Inf(1)
		connected := false
		for i := 0; i < len(comps); i++ {
			for k := i + 1; k < len(comps); k++ {
				a, b := comps[i], comps[k]
				applicable := applicableConds(conds, a.ids, b.ids)
				conn := false
				for _, c := range applicable {
					if isEquiBetween(c, a.ids, b.ids) {
						conn = true
					}
				}
				if !conn && len(applicable) > 0 {
					conn = true // a non-equi condition still connects them
				}
				if connected && !conn {
					continue
				}
				est := st.joinRows(a.rows, a.base, b.rows, b.base, applicable, a.ids, b.ids)
				if conn && !connected || est < best {
					best, bi, bj = est, i, k
					connected = connected || conn
				}
			}
		}
		a, b := comps[bi], comps[bj]
		applicable := applicableConds(conds, a.ids, b.ids)
		conds = removeConds(conds, applicable)
		left, right := a, b
		if right.rows > left.rows {
			left, right = right, left
		}
		ids := map[int]bool{}
		for id := range a.ids {
			ids[id] = true
		}
		for id := range b.ids {
			ids[id] = true
		}
		nc := &component{
			node: &logical.Join{Type: plan.Inner, Left: left.node, Right: right.node, Conds: applicable},
			rows: best, base: math.Max(a.base, b.base), ids: ids,
		}
		comps = append(comps[:bj], comps[bj+1:]...)
		comps[bi] = nc
	}
	return filterOver(comps[0].node, conds)
}

// applicableConds returns the conditions over a ∪ b that need both.
func applicableConds(conds []expr.Expr, a, b map[int]bool) []expr.Expr {
	var out []expr.Expr
	for _, c := range conds {
		refs := logical.Refs(c)
		inA, inB, outside := false, false, false
		for id := range refs {
			switch {
			case a[id]:
				inA = true
			case b[id]:
				inB = true
			default:
				outside = true
			}
		}
		if !outside && (inA && inB || len(refs) == 0) {
			out = append(out, c)
		}
	}
	return out
}

func removeConds(all, rm []expr.Expr) []expr.Expr {
	drop := map[expr.Expr]bool{}
	for _, r := range rm {
		drop[r] = true
	}
	var out []expr.Expr
	for _, c := range all {
		if !drop[c] {
			out = append(out, c)
		}
	}
	return out
}
