package exec

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// aggDistinctBenchBatches builds rows of (key int64 = r % groups, v int64
// with distinct values scattered over the input, each seen rows/distinct
// times).
func aggDistinctBenchBatches(mem memory.Allocator, rows, groups, distinct int) []*vec.Batch {
	var out []*vec.Batch
	for off := 0; off < rows; off += vec.DefaultBatchSize {
		n := min(vec.DefaultBatchSize, rows-off)
		kb := vec.NewBuilder[int64](mem, types.Int64, n)
		vb := vec.NewBuilder[int64](mem, types.Int64, n)
		for i := 0; i < n; i++ {
			r := off + i
			kb.Values[i] = int64(r % groups)
			vb.Values[i] = int64((r * 7919) % distinct)
		}
		out = append(out, vec.New([]arrow.Array{kb.Finish(), vb.Finish()}, n))
	}
	return out
}

// runAggDistinctBench runs node over batches with the given slices and returns
// the output rows.
func runAggDistinctBench(b *testing.B, node *plan.Aggregate, batches []*vec.Batch, slices int, mem memory.Allocator) [][]any {
	qc := NewQueryCtx(slices, vec.DefaultBatchSize, NewBudget(0), mem)
	src := &aggBatchSource{batches: batches}
	ops := make([]Operator, slices)
	for s := range ops {
		op, err := buildAggregate(qc, node, s, func(plan.Node) (Operator, error) { return &aggSourceOp{src: src}, nil })
		if err != nil {
			b.Fatal(err)
		}
		ops[s] = op
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var rows [][]any
	errs := make([]error, slices)
	for s, op := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer op.Close()
			ctx := context.Background()
			if err := op.Open(ctx); err != nil {
				errs[s] = err
				return
			}
			for {
				bt, err := op.Next(ctx)
				if err != nil {
					errs[s] = err
					return
				}
				if bt == nil {
					return
				}
				mu.Lock()
				for i := 0; i < bt.NumRows(); i++ {
					row := make([]any, len(bt.Cols))
					for j, c := range bt.Cols {
						row[j] = vec.Value(c, i)
					}
					rows = append(rows, row)
				}
				mu.Unlock()
				bt.Release()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return rows
}

// BenchmarkCountDistinct is count(DISTINCT v) over a BIGINT with 6M rows
// and 1.5M distinct values, without GROUP BY and with 100 groups.
func BenchmarkCountDistinct(b *testing.B) {
	const rows, distinct = 6_000_000, 1_500_000
	mem := memory.NewGoAllocator()
	for _, groups := range []int{1, 100} {
		batches := aggDistinctBenchBatches(mem, rows, groups, distinct)
		var keys []expr.Expr
		fs := []arrow.Field{}
		if groups > 1 {
			keys = []expr.Expr{&expr.ColumnRef{Index: 0, T: types.Int64}}
			fs = append(fs, arrow.Field{Name: "k", Type: types.Int64})
		}
		aggs := []plan.AggFunc{{Fn: "count", Args: []expr.Expr{&expr.ColumnRef{Index: 1, T: types.Int64}}, T: types.Int64, Distinct: true}}
		out := arrow.NewSchema(append(fs, arrow.Field{Name: "c", Type: types.Int64}), nil)
		node := &plan.Aggregate{Base: plan.Base{Out: out}, Input: &plan.Values{}, Keys: keys, Aggs: aggs}
		for _, slices := range []int{1, 2} {
			b.Run(fmt.Sprintf("groups=%d/slices=%d", groups, slices), func(b *testing.B) {
				for range b.N {
					got := runAggDistinctBench(b, node, batches, slices, mem)
					total := int64(0)
					for _, r := range got {
						total += r[len(r)-1].(int64)
					}
					if len(got) != groups || total != distinct {
						b.Fatalf("got %d groups with %d distinct values, want %d and %d", len(got), total, groups, distinct)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/rows, "ns/row")
			})
		}
		for _, x := range batches {
			x.Release()
		}
	}
}
