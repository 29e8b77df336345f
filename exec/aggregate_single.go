package exec

import (
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/planner/plan"
)

// ErrSubqueryRows is returned when a scalar subquery yields more than one
// row (for one outer row, when correlated). The engine maps it to MySQL
// error 1242, SQLSTATE 21000.
var ErrSubqueryRows = errors.New("Subquery returns more than 1 row")

// aggSingleAcc is single_value(x): the value of the group's only row
// (NULL for no rows), and ErrSubqueryRows when a group has more than one
// row. The planner uses it to enforce a scalar subquery's single row.
// It keeps any_value's state plus a row count (NULL rows count too).
type aggSingleAcc struct {
	val    aggAcc
	counts []int64
}

func newAggSingleAcc(f plan.AggFunc) (aggAcc, error) {
	inner := f
	inner.Fn = "any_value"
	val, err := aggNewAcc(inner)
	if err != nil {
		return nil, err
	}
	return &aggSingleAcc{val: val}, nil
}

func (a *aggSingleAcc) resize(n int) {
	a.val.resize(n)
	a.counts = aggGrow(a.counts, n)
}

func (a *aggSingleAcc) memBytes() int64 { return a.val.memBytes() + int64(cap(a.counts))*8 }

func (a *aggSingleAcc) update(in *aggInput) error {
	c := a.counts
	for _, g := range in.gids {
		c[g]++
		if c[g] > 1 {
			return ErrSubqueryRows
		}
	}
	return a.val.update(in)
}

func (a *aggSingleAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggSingleAcc)
	for i, g := range srcIDs {
		d := dstIDs[i]
		a.counts[d] += s.counts[g]
		if a.counts[d] > 1 {
			return ErrSubqueryRows
		}
	}
	return a.val.merge(s.val, srcIDs, dstIDs)
}

func (a *aggSingleAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	return a.val.finish(mem, lo, hi)
}
