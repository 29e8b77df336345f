package exec

import (
	"testing"
	"unsafe"
)

func TestPoolAllocator(t *testing.T) {
	p := NewPoolAllocator()
	for _, size := range []int{0, 1, 63, 64, 65, 1000, 4096, 1 << 20, 1<<26 + 1} {
		b := p.Allocate(size)
		if len(b) != size {
			t.Fatalf("size %d: len %d", size, len(b))
		}
		if size > 0 && uintptr(unsafe.Pointer(&b[0]))%64 != 0 {
			t.Fatalf("size %d: not 64-byte aligned", size)
		}
		for i := range b {
			if b[i] != 0 {
				t.Fatalf("size %d: not zeroed at %d", size, i)
			}
			b[i] = 0xff
		}
		p.Free(b)
		// A reused buffer comes back zeroed.
		c := p.Allocate(size)
		for i := range c {
			if c[i] != 0 {
				t.Fatalf("size %d: reused buffer not zeroed at %d", size, i)
			}
		}
		// Grow keeps contents and zeroes the new part.
		for i := range c {
			c[i] = 7
		}
		g := p.Reallocate(size*2+10, c)
		for i := range g {
			want := byte(0)
			if i < size {
				want = 7
			}
			if g[i] != want {
				t.Fatalf("size %d: realloc byte %d = %d, want %d", size, i, g[i], want)
			}
		}
		p.Free(g)
	}
}

func BenchmarkPoolAllocator(b *testing.B) {
	p := NewPoolAllocator()
	for i := 0; i < b.N; i++ {
		buf := p.Allocate(8192)
		p.Free(buf)
	}
}
