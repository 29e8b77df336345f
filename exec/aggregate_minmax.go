package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/vec"
)

// ---- min / max / any_value over VARCHAR ----
//
// Strings order by their bytes (bytes.Compare). An argument column
// arrives as a plain String array or, when the planner allows it
// (planner/dictcols.go), as an arrow dictionary<int32, utf8>; batches of
// one column may mix the two, and every Parquet row group has its own
// dictionary. update chooses the kernel once per batch:
//
//   - plain, one group (no GROUP BY): one loop finds the batch's best row,
//     comparing the strings' 8-byte prefixes as big-endian integers and
//     calling bytes.Compare only when the prefixes are equal, and the
//     group's value is updated once;
//   - plain, grouped: every row is compared with its group's value the
//     same way (the value's prefix is kept beside it);
//   - dictionary, one group: the distinct entries of the live rows are
//     collected (a seen flag per entry) and only those are compared;
//   - dictionary, grouped: each group's best entry of the batch is found
//     by comparing int32 ranks (the entries sorted once per dictionary,
//     cached by the dictionary's identity; a dictionary too large to sort
//     compares its entries' strings instead), then every group the batch
//     touched is updated once.
//
// The stored values are copies: the batches' buffers are recycled.

type aggMinMaxStrAcc struct {
	mode  int
	name  string // the aggregate, for errors
	vals  [][]byte
	pfx   []uint64 // aggStrPrefix of vals[g]
	has   []bool
	bytes int64

	// Dictionary input scratch, kept across batches.
	seen    []bool          // per entry; all false between batches
	list    []int32         // the batch's distinct entries / touched groups
	best    []int32         // per group, the batch's best (-1: none); all -1 between batches
	rankKey arrow.ArrayData // the dictionary rank and order are for
	rank    []int32         // entry -> rank, 0 = best (least for min, greatest for max)
	order   []int32         // rank -> entry
	sortPfx []uint64        // entry prefixes while sorting
}

// aggStrRankMax is the largest dictionary whose entries are ranked: the
// sort costs O(D log D) string comparisons once per dictionary, which a
// row group's rows repay only when D is well below their number.
const aggStrRankMax = 1 << 12

func (a *aggMinMaxStrAcc) resize(n int) {
	a.vals, a.pfx, a.has = aggGrow(a.vals, n), aggGrow(a.pfx, n), aggGrow(a.has, n)
}

func (a *aggMinMaxStrAcc) memBytes() int64 {
	return int64(cap(a.vals))*24 + int64(cap(a.pfx))*8 + int64(cap(a.has)) + a.bytes +
		int64(cap(a.seen)) + int64(cap(a.list)+cap(a.best)+cap(a.rank)+cap(a.order))*4 + int64(cap(a.sortPfx))*8
}

// aggStrPrefix is the first 8 bytes of s as a big-endian integer, zero
// padded. aggStrPrefix(a) < aggStrPrefix(b) implies a < b in byte order
// (at the first differing byte either both are real bytes, or a is
// shorter and a prefix of b); equal prefixes decide nothing ("ab" and
// "ab\x00" have the same one).
func aggStrPrefix(s []byte) uint64 {
	if len(s) >= 8 {
		return binary.BigEndian.Uint64(s)
	}
	var p uint64
	for i, c := range s {
		p |= uint64(c) << (56 - 8*uint(i))
	}
	return p
}

// aggStrPrefixAt is aggStrPrefix(data[lo:hi]). When lo+8 is within
// data's capacity it loads 8 bytes at once (reading into an Arrow
// buffer's padding past len(data) is allowed and harmless) and masks off
// the bytes past hi.
func aggStrPrefixAt(data []byte, lo, hi int32) uint64 {
	if int(lo)+8 <= cap(data) {
		return binary.BigEndian.Uint64(data[lo:lo+8]) & aggStrPrefixMask[min(uint32(hi-lo), 8)]
	}
	return aggStrPrefix(data[lo:hi])
}

// aggStrPrefixMask[n] keeps the first n of 8 big-endian bytes.
var aggStrPrefixMask = [9]uint64{0, 0xff << 56, 0xffff << 48, 0xffffff << 40, 0xffffffff << 32,
	0xffffffffff << 24, 0xffffffffffff << 16, 0xffffffffffffff << 8, ^uint64(0)}

// aggStrBetter reports whether v (prefix p) is strictly better than w
// (prefix q): greater when max, less otherwise.
func aggStrBetter(v []byte, p uint64, w []byte, q uint64, max bool) bool {
	if p != q {
		return (p > q) == max
	}
	c := bytes.Compare(v, w)
	return c != 0 && (c > 0) == max
}

// aggStrArgBest returns the position k < n of the best string among
// rows[k] (rows nil: row k) of the string array (offs, data): the first
// least one, or the first greatest one when max.
func aggStrArgBest(offs []int32, data []byte, rows []int32, n int, max bool) int {
	bk := 0
	if rows == nil {
		offs = offs[:n+1]
		blo, bhi := offs[0], offs[1]
		bp := aggStrPrefixAt(data, blo, bhi)
		for k := 1; k < n; k++ {
			lo, hi := offs[k], offs[k+1]
			p := aggStrPrefixAt(data, lo, hi)
			if p == bp {
				if c := bytes.Compare(data[lo:hi], data[blo:bhi]); c == 0 || (c > 0) != max {
					continue
				}
			} else if (p > bp) != max {
				continue
			}
			bk, blo, bhi, bp = k, lo, hi, p
		}
		return bk
	}
	rows = rows[:n]
	r := rows[0]
	blo, bhi := offs[r], offs[r+1]
	bp := aggStrPrefixAt(data, blo, bhi)
	for k := 1; k < n; k++ {
		r := rows[k]
		lo, hi := offs[r], offs[r+1]
		p := aggStrPrefixAt(data, lo, hi)
		if p == bp {
			if c := bytes.Compare(data[lo:hi], data[blo:bhi]); c == 0 || (c > 0) != max {
				continue
			}
		} else if (p > bp) != max {
			continue
		}
		bk, blo, bhi, bp = k, lo, hi, p
	}
	return bk
}

// set stores a copy of v (prefix p) as group g's value.
func (a *aggMinMaxStrAcc) set(g int32, v []byte, p uint64) {
	old := cap(a.vals[g])
	a.vals[g] = append(a.vals[g][:0], v...)
	a.bytes += int64(cap(a.vals[g]) - old)
	a.pfx[g], a.has[g] = p, true
}

// put folds v into group g.
func (a *aggMinMaxStrAcc) put(g int32, v []byte) {
	if a.has[g] && a.mode == aggModeAny {
		return
	}
	p := aggStrPrefix(v)
	if a.has[g] && !aggStrBetter(v, p, a.vals[g], a.pfx[g], a.mode == aggModeMax) {
		return
	}
	a.set(g, v, p)
}

func (a *aggMinMaxStrAcc) update(in *aggInput) error {
	if d, ok := in.col.(*array.Dictionary); ok {
		return a.updateDict(in, d)
	}
	if in.col.DataType().ID() != arrow.STRING {
		return fmt.Errorf("HashAggregate: %s: unsupported input type %s", a.name, in.col.DataType())
	}
	offs, data := vec.StringParts(in.col)
	n := len(in.rows)
	if in.dense {
		n = len(in.gids)
	}
	if n == 0 {
		return nil
	}
	max := a.mode == aggModeMax
	switch {
	case len(a.has) == 1 && a.mode == aggModeAny:
		if !a.has[0] {
			r := int32(0)
			if !in.dense {
				r = in.rows[0]
			}
			a.put(0, data[offs[r]:offs[r+1]])
		}
	case len(a.has) == 1:
		// Every live row is in group 0.
		var r int32
		if in.dense {
			r = int32(aggStrArgBest(offs, data, nil, n, max))
		} else {
			r = in.rows[aggStrArgBest(offs, data, in.rows, n, max)]
		}
		a.put(0, data[offs[r]:offs[r+1]])
	case a.mode == aggModeAny:
		if in.dense {
			for i, g := range in.gids {
				if !a.has[g] {
					a.set(g, data[offs[i]:offs[i+1]], aggStrPrefixAt(data, offs[i], offs[i+1]))
				}
			}
			return nil
		}
		for k, r := range in.rows {
			if g := in.rgids[k]; !a.has[g] {
				a.set(g, data[offs[r]:offs[r+1]], aggStrPrefixAt(data, offs[r], offs[r+1]))
			}
		}
	case in.dense:
		has, pfx, vals := a.has, a.pfx, a.vals
		offs = offs[:n+1]
		for i, g := range in.gids {
			lo, hi := offs[i], offs[i+1]
			p := aggStrPrefixAt(data, lo, hi)
			if has[g] {
				if q := pfx[g]; p != q {
					if (p > q) != max {
						continue
					}
				} else if c := bytes.Compare(data[lo:hi], vals[g]); c == 0 || (c > 0) != max {
					continue
				}
			}
			a.set(g, data[lo:hi], p)
		}
	default:
		has, pfx, vals := a.has, a.pfx, a.vals
		rgids := in.rgids[:n]
		for k, r := range in.rows {
			g := rgids[k]
			lo, hi := offs[r], offs[r+1]
			p := aggStrPrefixAt(data, lo, hi)
			if has[g] {
				if q := pfx[g]; p != q {
					if (p > q) != max {
						continue
					}
				} else if c := bytes.Compare(data[lo:hi], vals[g]); c == 0 || (c > 0) != max {
					continue
				}
			}
			a.set(g, data[lo:hi], p)
		}
	}
	return nil
}

// updateDict is update for a dictionary<int32, utf8> batch.
func (a *aggMinMaxStrAcc) updateDict(in *aggInput, d *array.Dictionary) error {
	dv := d.Dictionary()
	if d.Indices().DataType().ID() != arrow.INT32 || dv.DataType().ID() != arrow.STRING {
		return fmt.Errorf("HashAggregate: %s: unsupported input type %s (expected dictionary<int32, VARCHAR>)", a.name, d.DataType())
	}
	if dv.NullN() > 0 {
		return fmt.Errorf("HashAggregate: %s: dictionary input with NULL dictionary values", a.name)
	}
	ix := vec.Values[int32](d)
	offs, data := vec.StringParts(dv)
	n := len(in.rows)
	if in.dense {
		n = len(in.gids)
	}
	if n == 0 {
		return nil
	}
	entry := func(x int32) []byte { return data[offs[x]:offs[x+1]] }
	max := a.mode == aggModeMax
	switch {
	case a.mode == aggModeAny:
		if in.dense {
			for i, g := range in.gids {
				if !a.has[g] {
					a.put(g, entry(ix[i]))
				}
			}
			return nil
		}
		for k, r := range in.rows {
			if g := in.rgids[k]; !a.has[g] {
				a.put(g, entry(ix[r]))
			}
		}
	case len(a.has) == 1:
		// The distinct entries of the live rows, then the best of them.
		if ne := dv.Len(); cap(a.seen) < ne {
			a.seen = make([]bool, ne)
		}
		seen := a.seen[:dv.Len()]
		list := a.list[:0]
		if in.dense {
			for _, x := range ix[:n] {
				if !seen[x] {
					seen[x] = true
					list = append(list, x)
				}
			}
		} else {
			for _, r := range in.rows {
				if x := ix[r]; !seen[x] {
					seen[x] = true
					list = append(list, x)
				}
			}
		}
		for _, x := range list {
			seen[x] = false
		}
		a.list = list
		a.put(0, entry(list[aggStrArgBest(offs, data, list, len(list), max)]))
	default:
		a.updateDictGrouped(in, d, ix, offs, data, n)
	}
	return nil
}

// updateDictGrouped finds each touched group's best entry of the batch,
// then folds it into the group's value.
func (a *aggMinMaxStrAcc) updateDictGrouped(in *aggInput, d *array.Dictionary, ix, offs []int32, data []byte, n int) {
	for len(a.best) < len(a.has) {
		a.best = append(a.best, -1)
	}
	best := a.best
	touched := a.list[:0]
	rank, order := a.dictRank(d, offs, data)
	if rank != nil {
		// best[g] is the rank of the group's best entry; as uint32, -1
		// (none) is greater than every rank.
		if in.dense {
			for i, g := range in.gids[:n] {
				r := rank[ix[i]]
				if b := best[g]; uint32(r) < uint32(b) {
					if b < 0 {
						touched = append(touched, g)
					}
					best[g] = r
				}
			}
		} else {
			rgids := in.rgids[:n]
			for k, row := range in.rows {
				g := rgids[k]
				r := rank[ix[row]]
				if b := best[g]; uint32(r) < uint32(b) {
					if b < 0 {
						touched = append(touched, g)
					}
					best[g] = r
				}
			}
		}
		for _, g := range touched {
			x := order[best[g]]
			a.put(g, data[offs[x]:offs[x+1]])
			best[g] = -1
		}
		a.list = touched
		return
	}
	// A large dictionary: best[g] is the group's best entry, compared by
	// string.
	max := a.mode == aggModeMax
	step := func(g, x int32) {
		b := best[g]
		if b < 0 {
			best[g] = x
			touched = append(touched, g)
			return
		}
		if x == b {
			return
		}
		lo, hi, blo, bhi := offs[x], offs[x+1], offs[b], offs[b+1]
		if aggStrBetter(data[lo:hi], aggStrPrefixAt(data, lo, hi), data[blo:bhi], aggStrPrefixAt(data, blo, bhi), max) {
			best[g] = x
		}
	}
	if in.dense {
		for i, g := range in.gids[:n] {
			step(g, ix[i])
		}
	} else {
		for k, row := range in.rows {
			step(in.rgids[k], ix[row])
		}
	}
	for _, g := range touched {
		x := best[g]
		a.put(g, data[offs[x]:offs[x+1]])
		best[g] = -1
	}
	a.list = touched
}

// dictRank returns the ranks of d's entries (0 = best) and the entries
// in rank order, computing them when d is not the dictionary of the last
// call; nil when d has more than aggStrRankMax entries.
func (a *aggMinMaxStrAcc) dictRank(d *array.Dictionary, offs []int32, data []byte) (rank, order []int32) {
	ne := len(offs) - 1
	if ne > aggStrRankMax {
		return nil, nil
	}
	key := d.Data().Dictionary()
	if a.rankKey == key && len(a.rank) == ne {
		return a.rank, a.order
	}
	a.rank, a.order, a.sortPfx = aggGrow(a.rank[:0], ne), aggGrow(a.order[:0], ne), aggGrow(a.sortPfx[:0], ne)
	rank, order, pfx := a.rank, a.order, a.sortPfx
	for x := range order {
		order[x] = int32(x)
		pfx[x] = aggStrPrefixAt(data, offs[x], offs[x+1])
	}
	max := a.mode == aggModeMax
	slices.SortFunc(order, func(x, y int32) int {
		c := 0
		switch {
		case pfx[x] < pfx[y]:
			c = -1
		case pfx[x] > pfx[y]:
			c = 1
		default:
			c = bytes.Compare(data[offs[x]:offs[x+1]], data[offs[y]:offs[y+1]])
		}
		if max {
			c = -c
		}
		return c
	})
	for r, x := range order {
		rank[x] = int32(r)
	}
	a.rankKey = key
	return rank, order
}

func (a *aggMinMaxStrAcc) merge(src aggAcc, srcIDs, dstIDs []int32) error {
	s := src.(*aggMinMaxStrAcc)
	for i, g := range srcIDs {
		if s.has[g] {
			a.put(dstIDs[i], s.vals[g])
		}
	}
	return nil
}

func (a *aggMinMaxStrAcc) finish(mem memory.Allocator, lo, hi int) (arrow.Array, error) {
	sb := vec.NewStringBuilder(mem, hi-lo)
	for g := lo; g < hi; g++ {
		if a.has[g] {
			sb.Append(a.vals[g])
		} else {
			sb.AppendNull()
		}
	}
	return sb.Finish(), nil
}
