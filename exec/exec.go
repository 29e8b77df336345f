// Package exec runs physical plans: vectorized operators over Arrow
// batches, executed in parallel slices.
//
// Execution model. A plan is instantiated once per slice (N goroutines,
// default GOMAXPROCS): every slice runs its own copy of the operator tree
// (Open / Next / Close) over a shared morsel source (scan splits are
// handed out by an atomic cursor). Pipeline breakers (aggregation, join
// build, sort, window, set operations) keep per-slice local state and
// merge it in a global state shared by all slices of the same plan node
// (QueryCtx.Shared), DuckDB-style: local Sink, Combine, then Finalize.
// Nodes whose output is a single ordered stream (Sort, TopN, an
// aggregate without keys) emit from slice 0 only; the other slices
// contribute their input and then return end-of-stream.
//
// Barrier rule: every operator that waits for the other slices must also
// arrive (with empty input) when it is closed without having arrived, and
// must stop waiting when the context is cancelled. That keeps slices that
// stop early (LIMIT satisfied, union branch never reached) from
// deadlocking the others.
package exec

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// Operator is a vectorized operator. Next returns (nil, nil) at the end
// of its stream; it never returns an empty batch. The caller owns every
// returned batch. Close is called exactly once, even after errors, and
// must release everything the operator holds.
type Operator interface {
	Open(ctx context.Context) error
	Next(ctx context.Context) (*vec.Batch, error)
	Close() error
}

// QueryCtx is the per-query execution context shared by all slices.
type QueryCtx struct {
	Slices    int
	BatchSize int
	Budget    *Budget
	// Mem is the base allocator (arrow's checked allocator in tests).
	Mem   memory.Allocator
	Stats *connectors.ScanStats
	// Params are prepared-statement parameter values (Literal Go repr).
	Params []any
	// Throttle, when set, is called by scans before each input batch and
	// by the slice runner before each output batch; it may pause a
	// low-priority query (WLM parks long queries while short queries are
	// planned or run in the SQA lane). It must return promptly when ctx
	// ends and be safe for concurrent use by all slices.
	Throttle func(ctx context.Context)

	mu     sync.Mutex
	shared map[plan.Node]any
}

// NewQueryCtx returns a context with defaults filled in.
func NewQueryCtx(slices, batchSize int, budget *Budget, mem memory.Allocator) *QueryCtx {
	if slices <= 0 {
		slices = runtime.GOMAXPROCS(0)
	}
	if batchSize <= 0 {
		batchSize = vec.DefaultBatchSize
	}
	if budget == nil {
		budget = NewBudget(0)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &QueryCtx{Slices: slices, BatchSize: batchSize, Budget: budget, Mem: mem,
		Stats: &connectors.ScanStats{}, shared: map[plan.Node]any{}}
}

// Alloc returns an allocator charging the budget on behalf of op.
func (q *QueryCtx) Alloc(op string) memory.Allocator { return q.Budget.Allocator(op, q.Mem) }

// Shared returns the global state of node n, creating it with init on
// first use. All slices of the same node get the same value.
func (q *QueryCtx) Shared(n plan.Node, init func() any) any {
	q.mu.Lock()
	defer q.mu.Unlock()
	if v, ok := q.shared[n]; ok {
		return v
	}
	v := init()
	q.shared[n] = v
	return v
}

// BuildFunc builds the operator of one slice for a node; child builds the
// slice's operators for the node's children.
type BuildFunc func(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error)

var builders = map[reflect.Type]BuildFunc{}

// Register installs the builder for a plan node type; operator files call
// it from init.
func Register(example plan.Node, f BuildFunc) { builders[reflect.TypeOf(example)] = f }

// Build instantiates the operator tree of one slice.
func Build(qc *QueryCtx, n plan.Node, slice int) (Operator, error) {
	f, ok := builders[reflect.TypeOf(n)]
	if !ok {
		return nil, fmt.Errorf("exec: no operator for plan node %T", n)
	}
	child := func(c plan.Node) (Operator, error) { return Build(qc, c, slice) }
	return f(qc, n, slice, child)
}

// OperatorName names a node's operator for errors ("HashJoin", ...).
func OperatorName(n plan.Node) string {
	return reflect.TypeOf(n).Elem().Name()
}
