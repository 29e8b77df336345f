package eval

import (
	"bytes"
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/internal/likepat"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// LIKE matching itself (pattern compilation, fast paths, the segment
// matcher) is internal/likepat; this file is the kernel around it.

type likeNode struct {
	arg     operand
	pat     operand
	m       *likepat.Matcher // constant pattern
	esc     rune
	negated bool
	mem     memory.Allocator
	e       *expr.Call
}

func (c *compiler) compileLike(e *expr.Call) (node, error) {
	if len(e.Args) < 2 || len(e.Args) > 3 {
		return nil, fmt.Errorf("%s: expected 2 or 3 arguments", e)
	}
	for _, a := range e.Args[:2] {
		if !types.IsString(a.Type()) && a.Type().ID() != arrow.NULL {
			return nil, fmt.Errorf("%s: LIKE needs VARCHAR arguments, got %s", e, types.SQLName(a.Type()))
		}
	}
	esc := '\\'
	if len(e.Args) == 3 {
		l, ok := e.Args[2].(*expr.Literal)
		s, ok2 := "", false
		if ok {
			s, ok2 = l.Value.(string)
		}
		if !ok2 {
			return nil, fmt.Errorf("%s: ESCAPE must be a constant string", e)
		}
		switch utf8.RuneCountInString(s) {
		case 0:
			esc = -1
		case 1:
			esc, _ = utf8.DecodeRuneInString(s)
		default:
			return nil, fmt.Errorf("%s: ESCAPE must be a single character, got '%s'", e, s)
		}
	}
	arg, err := c.operand(e.Args[0])
	if err != nil {
		return nil, err
	}
	pat, err := c.operand(e.Args[1])
	if err != nil {
		return nil, err
	}
	n := &likeNode{arg: arg, pat: pat, esc: esc, negated: e.Fn == "not_like", mem: c.mem, e: e}
	if pat.cnst != nil && pat.cnst.v != nil {
		if n.m, err = likepat.Compile(pat.cnst.v.(string), esc); err != nil {
			return nil, fmt.Errorf("%s: %w", e, err)
		}
	}
	return n, nil
}

// rows computes, per logical row, 0 = false, 1 = true, 2 = NULL.
func (n *likeNode) rows(ctx context.Context, b *vec.Batch, fn func(j int, res bool)) (nullRows []int32, err error) {
	ar, err := n.arg.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer ar.release()
	pr, err := n.pat.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer pr.release()
	cnt := b.NumRows()
	if ar.arr == nil {
		ar = rop{arr: constArray(n.mem, types.String, ar.c.v, cnt), owned: true}
		defer ar.release()
	}
	sv := newStrView(&ar)
	m := n.m
	if m != nil {
		neg := n.negated
		noNulls := !ar.hasNulls()
		// constant pattern: one loop per matcher kind would be ideal; the
		// matcher's switch is perfectly predicted across the batch
		if ar.sel == nil {
			offs, data := sv.offs, sv.data
			for j := 0; j < cnt; j++ {
				if noNulls || ar.valid(j) {
					fn(j, m.Match(data[offs[j]:offs[j+1]]) != neg)
				} else {
					nullRows = append(nullRows, int32(j))
				}
			}
			return nullRows, nil
		}
		for j, i := range ar.sel[:cnt] {
			if noNulls || ar.valid(j) {
				fn(j, m.Match(sv.at(int(i))) != neg)
			} else {
				nullRows = append(nullRows, int32(j))
			}
		}
		return nullRows, nil
	}
	if pr.arr == nil { // NULL pattern
		for j := 0; j < cnt; j++ {
			nullRows = append(nullRows, int32(j))
		}
		return nullRows, nil
	}
	pv := newStrView(&pr)
	var lastPat []byte
	var lastM *likepat.Matcher
	for j := 0; j < cnt; j++ {
		if !ar.valid(j) || !pr.valid(j) {
			nullRows = append(nullRows, int32(j))
			continue
		}
		p := pv.at(pr.phys(j))
		if lastM == nil || !bytes.Equal(p, lastPat) {
			lastPat = append(lastPat[:0], p...)
			if lastM, err = likepat.Compile(string(p), n.esc); err != nil {
				return nil, fmt.Errorf("%s: %w", n.e, err)
			}
		}
		fn(j, lastM.Match(sv.at(ar.phys(j))) != n.negated)
	}
	return nullRows, nil
}

func (n *likeNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	out := newBoolOut(n.mem, cnt)
	bs := out.vals.Bytes()
	nulls, err := n.rows(ctx, b, func(j int, res bool) {
		if res {
			bs[j>>3] |= 1 << (j & 7)
		}
	})
	if err != nil {
		out.finish().Release()
		return nil, err
	}
	for _, j := range nulls {
		out.setNull(int(j))
	}
	return out.finish(), nil
}

func (n *likeNode) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	out := growSel(buf, b.NumRows())
	k := 0
	sel := b.Sel
	_, err := n.rows(ctx, b, func(j int, res bool) {
		if sel != nil {
			out[k] = sel[j]
		} else {
			out[k] = int32(j)
		}
		if res {
			k++
		}
	})
	if err != nil {
		return nil, err
	}
	return out[:k], nil
}
