package exec

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// MemoryError is returned when a query exceeds its memory limit.
type MemoryError struct {
	Op        string
	Requested int64
	Used      int64
	Limit     int64
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("memory limit exceeded in %s: requested %s with %s in use, limit %s (raise it with --memory-limit or SET memory_limit)",
		e.Op, FormatBytes(e.Requested), FormatBytes(e.Used), FormatBytes(e.Limit))
}

// FormatBytes renders a byte count as KiB/MiB/GiB.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Budget is a query's memory budget. Arrow buffers are charged through
// the allocators it hands out; Go-heap structures (hash tables, sort
// indexes) are charged explicitly with Grow/Shrink.
type Budget struct {
	limit int64
	used  atomic.Int64
	peak  atomic.Int64
}

// NewBudget returns a budget with the given limit (<= 0: unlimited).
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Grow charges n bytes to op, failing when over the limit.
func (b *Budget) Grow(op string, n int64) error {
	u := b.used.Add(n)
	if b.limit > 0 && u > b.limit {
		b.used.Add(-n)
		return &MemoryError{Op: op, Requested: n, Used: u - n, Limit: b.limit}
	}
	for {
		p := b.peak.Load()
		if u <= p || b.peak.CompareAndSwap(p, u) {
			break
		}
	}
	return nil
}

// Shrink returns n bytes.
func (b *Budget) Shrink(n int64) { b.used.Add(-n) }

// Used is the bytes currently charged.
func (b *Budget) Used() int64 { return b.used.Load() }

// Peak is the most bytes charged at once.
func (b *Budget) Peak() int64 { return b.peak.Load() }

// Limit is the limit (<= 0: unlimited).
func (b *Budget) Limit() int64 { return b.limit }

// Allocator returns an arrow allocator for operator op that charges this
// budget. Over the limit it panics with a *MemoryError, which the slice
// runner recovers into an error (arrow's Allocator cannot return errors).
func (b *Budget) Allocator(op string, base memory.Allocator) memory.Allocator {
	return &budgetAllocator{op: op, b: b, base: base}
}

type budgetAllocator struct {
	op   string
	b    *Budget
	base memory.Allocator
}

func (a *budgetAllocator) Allocate(size int) []byte {
	if err := a.b.Grow(a.op, int64(size)); err != nil {
		panic(err)
	}
	return a.base.Allocate(size)
}

func (a *budgetAllocator) Reallocate(size int, b []byte) []byte {
	delta := int64(size - len(b))
	if delta > 0 {
		if err := a.b.Grow(a.op, delta); err != nil {
			panic(err)
		}
	} else {
		a.b.Shrink(-delta)
	}
	return a.base.Reallocate(size, b)
}

func (a *budgetAllocator) Free(b []byte) {
	a.b.Shrink(int64(len(b)))
	a.base.Free(b)
}
