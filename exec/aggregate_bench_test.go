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

// aggBatchSource replays prebuilt batches (shared by all slices through
// an atomic cursor), so benchmarks measure the aggregate, not the scan.
type aggBatchSource struct {
	mu      sync.Mutex
	batches []*vec.Batch
	next    int
}

type aggSourceOp struct{ src *aggBatchSource }

func (o *aggSourceOp) Open(context.Context) error { return nil }
func (o *aggSourceOp) Close() error               { return nil }
func (o *aggSourceOp) Next(context.Context) (*vec.Batch, error) {
	o.src.mu.Lock()
	defer o.src.mu.Unlock()
	if o.src.next >= len(o.src.batches) {
		return nil, nil
	}
	b := o.src.batches[o.src.next]
	o.src.next++
	cols := make([]arrow.Array, len(b.Cols))
	for i, c := range b.Cols {
		c.Retain()
		cols[i] = c
	}
	return vec.New(cols, b.Len), nil
}

// aggBenchStringBatches builds rows of (flag string, status string, v
// decimal(15,2)) with 4 key combinations, like TPC-H Q1.
func aggBenchStringBatches(mem memory.Allocator, rows int) []*vec.Batch {
	var out []*vec.Batch
	flags, status := []string{"A", "N", "R", "N"}, []string{"F", "O", "F", "F"}
	for off := 0; off < rows; off += vec.DefaultBatchSize {
		n := min(vec.DefaultBatchSize, rows-off)
		fb, sb := vec.NewStringBuilder(mem, n), vec.NewStringBuilder(mem, n)
		vb := vec.NewBuilder[int64](mem, types.Decimal(15, 2), n)
		for i := 0; i < n; i++ {
			r := (off + i) * 7919
			fb.AppendString(flags[r%4])
			sb.AppendString(status[r%4])
			vb.Values[i] = int64(r%100000) + 1
		}
		out = append(out, vec.New([]arrow.Array{fb.Finish(), sb.Finish(), vb.Finish()}, n))
	}
	return out
}

// aggBenchBatches builds rows of (key int64 = i % groups, v decimal(15,2)).
func aggBenchBatches(mem memory.Allocator, rows, groups int) []*vec.Batch {
	var out []*vec.Batch
	for off := 0; off < rows; off += vec.DefaultBatchSize {
		n := min(vec.DefaultBatchSize, rows-off)
		kb := vec.NewBuilder[int64](mem, types.Int64, n)
		vb := vec.NewBuilder[int64](mem, types.Decimal(15, 2), n)
		for i := 0; i < n; i++ {
			r := off + i
			// Scatter keys so consecutive rows hit different groups.
			kb.Values[i] = int64((r * 7919) % groups)
			vb.Values[i] = int64(r%100000) + 1
		}
		out = append(out, vec.New([]arrow.Array{kb.Finish(), vb.Finish()}, n))
	}
	return out
}

func benchmarkAggregate(b *testing.B, rows, groups, slices int) {
	mem := memory.NewGoAllocator()
	dec := types.Decimal(15, 2)
	var batches []*vec.Batch
	var keys []expr.Expr
	vcol := 1
	if groups < 0 { // two string keys, 4 groups
		batches = aggBenchStringBatches(mem, rows)
		keys = []expr.Expr{&expr.ColumnRef{Index: 0, T: types.String}, &expr.ColumnRef{Index: 1, T: types.String}}
		vcol, groups = 2, 4
	} else {
		batches = aggBenchBatches(mem, rows, groups)
		keys = []expr.Expr{&expr.ColumnRef{Index: 0, T: types.Int64}}
	}
	defer func() {
		for _, x := range batches {
			x.Release()
		}
	}()
	aggs := []plan.AggFunc{
		{Fn: "sum", Args: []expr.Expr{&expr.ColumnRef{Index: vcol, T: dec}}, T: types.Decimal(38, 2)},
		{Fn: "count_star", T: types.Int64},
	}
	var fs []arrow.Field
	for i, k := range keys {
		fs = append(fs, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: k.Type()})
	}
	out := arrow.NewSchema(append(fs, arrow.Field{Name: "s", Type: aggs[0].T}, arrow.Field{Name: "c", Type: types.Int64}), nil)
	node := &plan.Aggregate{Base: plan.Base{Out: out}, Input: &plan.Values{}, Keys: keys, Aggs: aggs}
	b.ResetTimer()
	for range b.N {
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
		var total int64
		var mu sync.Mutex
		for _, op := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx := context.Background()
				if err := op.Open(ctx); err != nil {
					panic(err)
				}
				n := 0
				for {
					bt, err := op.Next(ctx)
					if err != nil {
						panic(err)
					}
					if bt == nil {
						break
					}
					n += bt.NumRows()
					bt.Release()
				}
				op.Close()
				mu.Lock()
				total += int64(n)
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != int64(min(groups, rows)) {
			b.Fatalf("got %d groups, want %d", total, groups)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
}

func BenchmarkAggregateInt64Key(b *testing.B) {
	for _, c := range []struct{ rows, groups int }{{1 << 21, 4}, {1 << 21, 1 << 20}} {
		for _, slices := range []int{1, 2} {
			b.Run(fmt.Sprintf("groups=%d/slices=%d", c.groups, slices), func(b *testing.B) {
				benchmarkAggregate(b, c.rows, c.groups, slices)
			})
		}
	}
}

func BenchmarkAggregateTwoStringKeys(b *testing.B) {
	for _, slices := range []int{1, 2} {
		b.Run(fmt.Sprintf("groups=4/slices=%d", slices), func(b *testing.B) {
			benchmarkAggregate(b, 1<<21, -1, slices)
		})
	}
}
