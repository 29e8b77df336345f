package exec

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// aggDictBenchBatches builds rows of (mode, flag, status, v) with the
// string columns either plain or dictionary-encoded (a new dictionary
// every 128 batches, as Parquet row groups of 128K rows).
func aggDictBenchBatches(mem memory.Allocator, rows int, dict bool) []*vec.Batch {
	modes := []string{"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK"}
	flags, status := []string{"A", "N", "R", "N"}, []string{"F", "O", "F", "F"}
	words := [][]string{modes, flags, status}
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	var dicts [3]arrow.Array
	release := func() {
		for i, d := range dicts {
			if d != nil {
				d.Release()
				dicts[i] = nil
			}
		}
	}
	defer release()
	var out []*vec.Batch
	for off, bi := 0, 0; off < rows; off, bi = off+vec.DefaultBatchSize, bi+1 {
		n := min(vec.DefaultBatchSize, rows-off)
		if dict && bi%128 == 0 {
			release()
			for c, ws := range words {
				sb := vec.NewStringBuilder(mem, len(ws))
				for j := range ws {
					sb.AppendString(ws[(j+bi)%len(ws)]) // each "row group" its own order
				}
				dicts[c] = sb.Finish()
			}
		}
		cols := make([]arrow.Array, 0, 4)
		for c, ws := range words {
			pick := func(r int) int { return (r * 7919 / (c + 1)) % len(ws) }
			if dict {
				ib := vec.NewBuilder[int32](mem, arrow.PrimitiveTypes.Int32, n)
				for i := 0; i < n; i++ {
					w := ws[pick(off+i)]
					for j := range ws {
						if ws[(j+bi/128*128)%len(ws)] == w {
							ib.Values[i] = int32(j)
							break
						}
					}
				}
				ix := ib.Finish()
				cols = append(cols, array.NewDictionaryArray(dt, ix, dicts[c]))
				ix.Release()
			} else {
				sb := vec.NewStringBuilder(mem, n)
				for i := 0; i < n; i++ {
					sb.AppendString(ws[pick(off+i)])
				}
				cols = append(cols, sb.Finish())
			}
		}
		vb := vec.NewBuilder[int64](mem, types.Decimal(15, 2), n)
		for i := 0; i < n; i++ {
			vb.Values[i] = int64((off+i)%100000) + 1
		}
		out = append(out, vec.New(append(cols, vb.Finish()), n))
	}
	return out
}

// BenchmarkAggregateDictKeys groups 2M rows by one string key (7
// groups, as l_shipmode) and by two (as TPC-H Q1's returnflag,
// linestatus), with the keys plain or dictionary-encoded.
func BenchmarkAggregateDictKeys(b *testing.B) {
	const rows = 1 << 21
	mem := memory.NewGoAllocator()
	dec := types.Decimal(15, 2)
	for _, mode := range []string{"plain", "dict"} {
		batches := aggDictBenchBatches(mem, rows, mode == "dict")
		for _, keyCols := range [][]int{{0}, {1, 2}} {
			var keys []expr.Expr
			var fs []arrow.Field
			for i, c := range keyCols {
				keys = append(keys, &expr.ColumnRef{Index: c, T: types.String})
				fs = append(fs, arrow.Field{Name: fmt.Sprintf("k%d", i), Type: types.String})
			}
			aggs := []plan.AggFunc{
				{Fn: "sum", Args: []expr.Expr{&expr.ColumnRef{Index: 3, T: dec}}, T: types.Decimal(38, 2)},
				{Fn: "count_star", T: types.Int64},
			}
			out := arrow.NewSchema(append(fs, arrow.Field{Name: "s", Type: aggs[0].T}, arrow.Field{Name: "c", Type: types.Int64}), nil)
			node := &plan.Aggregate{Base: plan.Base{Out: out}, Input: &plan.Values{}, Keys: keys, Aggs: aggs}
			for _, slices := range []int{1, 2} {
				b.Run(fmt.Sprintf("keys=%d/%s/slices=%d", len(keyCols), mode, slices), func(b *testing.B) {
					for range b.N {
						runAggBench(b, node, batches, slices)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
				})
			}
		}
		for _, x := range batches {
			x.Release()
		}
	}
}

func runAggBench(b *testing.B, node *plan.Aggregate, batches []*vec.Batch, slices int) {
	qc := NewQueryCtx(slices, vec.DefaultBatchSize, NewBudget(0), memory.NewGoAllocator())
	src := &aggBatchSource{batches: batches}
	var wg sync.WaitGroup
	for s := 0; s < slices; s++ {
		op, err := buildAggregate(qc, node, s, func(plan.Node) (Operator, error) { return &aggSourceOp{src: src}, nil })
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			if err := op.Open(ctx); err != nil {
				panic(err)
			}
			for {
				bt, err := op.Next(ctx)
				if err != nil {
					panic(err)
				}
				if bt == nil {
					break
				}
				bt.Release()
			}
			op.Close()
		}()
	}
	wg.Wait()
}
