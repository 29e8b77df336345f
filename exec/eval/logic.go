package eval

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

func (c *compiler) compileArgs(e *expr.Call, min, max int) ([]node, error) {
	if len(e.Args) < min || (max >= 0 && len(e.Args) > max) {
		return nil, fmt.Errorf("%s: wrong number of arguments (%d)", e, len(e.Args))
	}
	out := make([]node, len(e.Args))
	for i, a := range e.Args {
		n, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}

func checkBoolArgs(e *expr.Call) error {
	for _, a := range e.Args {
		if id := a.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
			return fmt.Errorf("%s: argument %s is %s, expected BOOLEAN", e, a, types.SQLName(a.Type()))
		}
	}
	return nil
}

// logicNode is n-ary AND / OR with Kleene three-valued logic:
// AND is FALSE if any argument is FALSE, else NULL if any is NULL, else
// TRUE; OR is TRUE if any is TRUE, else NULL if any is NULL, else FALSE.
type logicNode struct {
	or   bool
	args []node
	mem  memory.Allocator
}

func (c *compiler) compileLogic(e *expr.Call) (node, error) {
	args, err := c.compileArgs(e, 1, -1)
	if err != nil {
		return nil, err
	}
	if err := checkBoolArgs(e); err != nil {
		return nil, err
	}
	if len(args) == 1 {
		return args[0], nil
	}
	return &logicNode{or: e.Fn == "or", args: args, mem: c.mem}, nil
}

// boolBits returns the value and validity bitmaps of a boolean (or NULL)
// array starting at bit 0 (validity nil = all valid; vals nil = all NULL).
func boolBits(a arrow.Array) (vals, valid []byte) {
	n := a.Len()
	if a.DataType().ID() == arrow.NULL {
		return nil, make([]byte, bitutil.BytesForBits(int64(n)))
	}
	d := a.Data()
	off := d.Offset()
	norm := func(buf []byte) []byte {
		if off%8 == 0 {
			return buf[off/8:]
		}
		out := make([]byte, bitutil.BytesForBits(int64(n)))
		bitutil.CopyBitmap(buf, off, n, out, 0)
		return out
	}
	vals = norm(d.Buffers()[1].Bytes())
	if a.NullN() > 0 {
		valid = norm(d.Buffers()[0].Bytes())
	}
	return vals, valid
}

func (n *logicNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	nb := int(bitutil.BytesForBits(int64(cnt)))
	decided := make([]byte, nb) // AND: some FALSE; OR: some TRUE
	null := make([]byte, nb)
	anyNull := false
	for _, a := range n.args {
		arr, err := a.Eval(ctx, b)
		if err != nil {
			return nil, err
		}
		vals, valid := boolBits(arr)
		switch {
		case vals == nil:
			anyNull = true
			for i := range null {
				null[i] = 0xff
			}
		case valid == nil:
			if n.or {
				for i := range decided {
					decided[i] |= vals[i]
				}
			} else {
				for i := range decided {
					decided[i] |= ^vals[i]
				}
			}
		default:
			anyNull = true
			if n.or {
				for i := range decided {
					decided[i] |= valid[i] & vals[i]
					null[i] |= ^valid[i]
				}
			} else {
				for i := range decided {
					decided[i] |= valid[i] &^ vals[i]
					null[i] |= ^valid[i]
				}
			}
		}
		arr.Release()
	}
	out := newBoolOut(n.mem, cnt)
	ob := out.vals.Bytes()
	for i := range ob {
		if n.or {
			ob[i] = decided[i]
		} else {
			ob[i] = ^decided[i] &^ null[i]
		}
	}
	if anyNull {
		vb := vec.NewValidity(n.mem, cnt)
		bs := vb.Bytes()
		for i := range bs {
			bs[i] = decided[i] | ^null[i]
		}
		out.setValidity(vb, cnt-bitutil.CountSetBits(bs, 0, cnt))
	}
	return out.finish(), nil
}

func (n *logicNode) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	if n.or {
		return n.selectOr(ctx, b, buf)
	}
	// AND narrows the selection argument by argument, in place after the
	// first (a selection kernel writes position k only after reading k).
	cur, err := selectOf(ctx, n.args[0], b, buf)
	if err != nil {
		return nil, err
	}
	for _, a := range n.args[1:] {
		if len(cur) == 0 {
			break
		}
		cur, err = selectOf(ctx, a, subBatch(b, cur), cur)
		if err != nil {
			return nil, err
		}
	}
	return cur, nil
}

// selectOr evaluates each argument only over the rows not yet selected
// and merges the results.
func (n *logicNode) selectOr(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	cnt := b.NumRows()
	remaining := make([]int32, cnt)
	if b.Sel != nil {
		copy(remaining, b.Sel)
	} else {
		for i := range remaining {
			remaining[i] = int32(i)
		}
	}
	var res, tmp, merged []int32
	for _, a := range n.args {
		if len(remaining) == 0 {
			break
		}
		s, err := selectOf(ctx, a, subBatch(b, remaining), tmp[:0])
		if err != nil {
			return nil, err
		}
		if len(s) == 0 {
			tmp = s
			continue
		}
		merged = mergeSorted(merged[:0], res, s)
		res, merged = merged, res
		remaining = subtractSorted(remaining, s)
		tmp = s
	}
	out := growSel(buf, len(res))
	copy(out, res)
	return out, nil
}

// mergeSorted appends the union of two disjoint increasing lists to dst.
func mergeSorted(dst, a, b []int32) []int32 {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] < b[j] {
			dst = append(dst, a[i])
			i++
		} else {
			dst = append(dst, b[j])
			j++
		}
	}
	dst = append(dst, a[i:]...)
	return append(dst, b[j:]...)
}

// subtractSorted removes the increasing list s (a subset) from a, in place.
func subtractSorted(a, s []int32) []int32 {
	k, j := 0, 0
	for _, x := range a {
		if j < len(s) && s[j] == x {
			j++
			continue
		}
		a[k] = x
		k++
	}
	return a[:k]
}

// notNode is NOT: TRUE<->FALSE, NULL stays NULL.
type notNode struct {
	arg node
	mem memory.Allocator
}

func (n *notNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	arr, err := n.arg.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	cnt := arr.Len()
	out := newBoolOut(n.mem, cnt)
	vals, valid := boolBits(arr)
	if vals == nil {
		out.allNull()
		return out.finish(), nil
	}
	ob := out.vals.Bytes()
	for i := range ob {
		ob[i] = ^vals[i]
	}
	if valid != nil {
		vb := vec.NewValidity(n.mem, cnt)
		copy(vb.Bytes(), valid[:len(vb.Bytes())])
		out.setValidity(vb, arr.NullN())
	}
	return out.finish(), nil
}

// isNode is IS [NOT] NULL / IS TRUE / IS FALSE: never NULL.
type isNode struct {
	fn  string
	arg node
	mem memory.Allocator
}

func (n *isNode) test(a arrow.Array, j int) bool {
	switch n.fn {
	case "is_null":
		return a.IsNull(j)
	case "is_not_null":
		return a.IsValid(j)
	case "is_true":
		return a.IsValid(j) && a.(*array.Boolean).Value(j)
	}
	return a.IsValid(j) && !a.(*array.Boolean).Value(j)
}

func (n *isNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	arr, err := n.arg.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer arr.Release()
	cnt := arr.Len()
	out := newBoolOut(n.mem, cnt)
	bs := out.vals.Bytes()
	if arr.DataType().ID() == arrow.NULL {
		if n.fn == "is_null" {
			for i := range bs {
				bs[i] = 0xff
			}
		}
		return out.finish(), nil
	}
	if (n.fn == "is_null" || n.fn == "is_not_null") && arr.NullN() == 0 {
		if n.fn == "is_not_null" {
			for i := range bs {
				bs[i] = 0xff
			}
		}
		return out.finish(), nil
	}
	for j := 0; j < cnt; j++ {
		if n.test(arr, j) {
			bs[j>>3] |= 1 << (j & 7)
		}
	}
	return out.finish(), nil
}

// Select reads a column's validity directly for IS [NOT] NULL.
func (n *isNode) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	col, ok := n.arg.(*colNode)
	if !ok || (n.fn != "is_null" && n.fn != "is_not_null") || col.idx >= len(b.Cols) {
		return selectByEval(ctx, n, b, buf)
	}
	a := b.Cols[col.idx]
	want := n.fn == "is_not_null"
	cnt := b.NumRows()
	out := growSel(buf, cnt)
	k := 0
	if a.DataType().ID() == arrow.NULL {
		if want {
			return out[:0], nil
		}
	}
	if b.Sel == nil {
		for i := 0; i < b.Len; i++ {
			out[k] = int32(i)
			if (a.DataType().ID() != arrow.NULL && vec.IsValid(a, i)) == want {
				k++
			}
		}
		return out[:k], nil
	}
	for _, i := range b.Sel {
		out[k] = i
		if (a.DataType().ID() != arrow.NULL && vec.IsValid(a, int(i))) == want {
			k++
		}
	}
	return out[:k], nil
}
