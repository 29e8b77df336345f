package exec_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

// fanOutJoin is a join whose output is many batches per probe batch: 10
// probe rows and 100 build rows, all with the same key (1,000 rows).
func fanOutJoin() plan.Node {
	sch := exectest.Schema("k", types.Int64)
	probe := make([][]any, 10)
	for i := range probe {
		probe[i] = []any{int64(1)}
	}
	build := make([][]any, 100)
	for i := range build {
		build[i] = []any{int64(1)}
	}
	k := []expr.Expr{exectest.Col(0, types.Int64)}
	return joinHash(plan.Inner, exectest.Scan(exectest.Table("p", sch, probe)), exectest.Scan(exectest.Table("b", sch, build)), k, k, nil, false)
}

// The throttle is called before every output batch by the slice runner,
// not only before the scans' input batches, and joins count their output
// rows in the query's stats (WLM's live join_row_count).
func TestThrottlePerOutputBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	qc := exec.NewQueryCtx(1, 16, nil, mem)
	var calls atomic.Int64
	qc.Throttle = func(context.Context) { calls.Add(1) }
	ctx := context.Background()
	s, err := exec.Run(ctx, qc, fanOutJoin())
	if err != nil {
		t.Fatal(err)
	}
	batches, rows := 0, int64(0)
	for {
		rec, err := s.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rec == nil {
			break
		}
		batches++
		rows += rec.NumRows()
		rec.Release()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if rows != 1000 {
		t.Fatalf("join rows %d, want 1000", rows)
	}
	if got := qc.Stats.JoinRows.Load(); got != 1000 {
		t.Fatalf("stats JoinRows %d, want 1000", got)
	}
	// The probe scan reads one batch; the join emits about 63.
	if int(calls.Load()) < batches {
		t.Fatalf("throttle called %d times for %d output batches", calls.Load(), batches)
	}
}

// A query parked in its throttle stops when it is closed (cancelled),
// releasing everything.
func TestThrottleCancel(t *testing.T) {
	for _, slices := range []int{1, 3} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		qc := exec.NewQueryCtx(slices, 16, nil, mem)
		parked := make(chan struct{}, 16)
		qc.Throttle = func(ctx context.Context) {
			parked <- struct{}{}
			<-ctx.Done()
		}
		s, err := exec.Run(context.Background(), qc, fanOutJoin())
		if err != nil {
			t.Fatal(err)
		}
		<-parked
		done := make(chan error, 1)
		go func() { done <- s.Close() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("slices=%d: Close did not stop a query parked in its throttle", slices)
		}
		mem.AssertSize(t, 0)
	}
}
