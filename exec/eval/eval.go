// Package eval compiles bound expressions (planner/expr) into vectorized
// kernels over vec.Batch. The type switch happens once, at compile time
// and per batch, never per row.
package eval

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/vec"
)

// Env is what compiled expressions need at run time.
type Env struct {
	// Mem allocates result arrays (charged to the query's budget).
	Mem memory.Allocator
	// Params are prepared-statement values, in Literal Go representation.
	Params []any
}

// Evaluator computes an expression over a batch.
type Evaluator interface {
	// Eval returns one value per live row of b (selection applied, in
	// order). The caller owns the result.
	Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error)
}

// Predicate evaluates a boolean expression as a filter.
type Predicate interface {
	// Select returns the physical positions of b's live rows for which
	// the predicate is TRUE (not FALSE, not NULL), in increasing order.
	// buf may be reused for the result.
	Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error)
}
