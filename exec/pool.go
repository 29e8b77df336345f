package exec

import (
	"math/bits"
	"sync"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// PoolAllocator is the engine's default Arrow allocator: it recycles
// buffers in power-of-two size classes (64 B .. 64 MiB) through
// sync.Pools, so the steady stream of per-batch buffers does not churn
// the garbage collector. Buffers are 64-byte aligned and zeroed, as Arrow
// expects. Larger buffers come straight from the Go heap.
type PoolAllocator struct {
	classes [poolMaxClass + 1]sync.Pool
}

const (
	poolMinClass = 6  // 64 B
	poolMaxClass = 26 // 64 MiB
	poolAlign    = 64
)

// NewPoolAllocator returns a pooling allocator.
func NewPoolAllocator() *PoolAllocator { return &PoolAllocator{} }

func poolClass(size int) int {
	if size <= 1<<poolMinClass {
		return poolMinClass
	}
	return bits.Len(uint(size - 1))
}

func alignedAlloc(n int) []byte {
	buf := make([]byte, n+poolAlign)
	addr := uintptr(unsafe.Pointer(unsafe.SliceData(buf)))
	shift := int((poolAlign - addr%poolAlign) % poolAlign)
	return buf[shift : shift+n : shift+n]
}

// Allocate returns a zeroed buffer of size bytes.
func (p *PoolAllocator) Allocate(size int) []byte {
	c := poolClass(size)
	if c > poolMaxClass {
		return alignedAlloc(size)
	}
	if v := p.classes[c].Get(); v != nil {
		b := *(v.(*[]byte))
		b = b[:size]
		clear(b)
		return b
	}
	return alignedAlloc(1 << c)[:size]
}

// Reallocate grows or shrinks b, keeping its contents.
func (p *PoolAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		old := len(b)
		b = b[:size]
		if size > old {
			clear(b[old:])
		}
		return b
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

// Free returns b to its size class. Buffers not from the pool (or of a
// size outside the classes) are left to the garbage collector.
func (p *PoolAllocator) Free(b []byte) {
	c := cap(b)
	if c < 1<<poolMinClass || c&(c-1) != 0 {
		return
	}
	cl := bits.Len(uint(c)) - 1
	if cl > poolMaxClass {
		return
	}
	b = b[:c]
	p.classes[cl].Put(&b)
}

var _ memory.Allocator = (*PoolAllocator)(nil)
