package exec

import (
	"github.com/tarnsql/tarn/planner/plan"
)

func init() {
	Register((*plan.NestedLoopJoin)(nil), func(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
		j := n.(*plan.NestedLoopJoin)
		// The nested-loop join is the join operator with every (probe,
		// build) pair as a candidate: the right side is materialised once
		// and shared by all slices, the left side streams, and Cond plays
		// the residual's role for every join type.
		return buildJoinOp(qc, n, child, joinSpec{name: "NestedLoopJoin", typ: j.Type, left: j.Left, right: j.Right, cond: j.Cond})
	})
}
