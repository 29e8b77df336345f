package engine

import (
	"math"
	"math/bits"
)

// hll is a HyperLogLog distinct-count sketch over 64-bit hashes
// (precision 14: 16,384 one-byte registers, ~0.8% standard error). It
// starts exact: below hllExactLimit distinct hashes it keeps the hashes
// themselves, so small domains (flags, enums, keys of small tables) are
// counted exactly; it switches to registers past that. Sketches merge,
// so per-partition sketches combine into the table's.
type hll struct {
	exact map[uint64]struct{} // nil once dense
	regs  []uint8             // nil while exact
}

const (
	hllP          = 14
	hllM          = 1 << hllP
	hllExactLimit = 8192
)

func newHLL() *hll { return &hll{exact: map[uint64]struct{}{}} }

// add adds one hashed value.
func (h *hll) add(x uint64) {
	if h.exact != nil {
		h.exact[x] = struct{}{}
		if len(h.exact) > hllExactLimit {
			h.densify()
		}
		return
	}
	h.addReg(x)
}

func (h *hll) addReg(x uint64) {
	idx := x >> (64 - hllP)
	// Rank: position of the first 1 bit in the remaining 50 bits (1-based).
	rest := x<<hllP | 1<<(hllP-1) // a sentinel bounds the rank at 51
	r := uint8(bits.LeadingZeros64(rest)) + 1
	if r > h.regs[idx] {
		h.regs[idx] = r
	}
}

func (h *hll) densify() {
	h.regs = make([]uint8, hllM)
	for x := range h.exact {
		h.addReg(x)
	}
	h.exact = nil
}

// merge adds o's values into h.
func (h *hll) merge(o *hll) {
	if o.exact != nil {
		for x := range o.exact {
			h.add(x)
		}
		return
	}
	if h.exact != nil {
		h.densify()
	}
	for i, r := range o.regs {
		if r > h.regs[i] {
			h.regs[i] = r
		}
	}
}

// count estimates the number of distinct values.
func (h *hll) count() int64 {
	if h.exact != nil {
		return int64(len(h.exact))
	}
	sum := 0.0
	zeros := 0
	for _, r := range h.regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	// Small range: linear counting over the empty registers is more
	// accurate than the raw estimate (Flajolet et al.).
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros))
	}
	return int64(est + 0.5)
}

// mix64 is a 64-bit finalizer (splitmix64) spreading integer values
// over the hash space.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
