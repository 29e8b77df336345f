package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

func init() {
	Register((*plan.Unnest)(nil), buildUnnest)
}

// unnestOp expands ARRAY / MAP values into rows (see plan.Unnest). Per
// input batch it evaluates the expressions once, computes the number of
// output rows of every input row, and then emits output batches of about
// BatchSize rows: the input columns are gathered with a parent index
// vector (row r repeated n_r times) and the element columns with child
// index vectors (offset + i, or -1 for padding), both through vec.Take,
// so every column type is handled by one gather per output batch.
type unnestOp struct {
	in         Operator
	exprs      []eval.Evaluator
	types      []arrow.DataType
	ordinality bool
	outer      bool
	batchSize  int
	mem        memory.Allocator

	// the input batch being expanded
	cur    *vec.Batch
	vals   []arrow.Array // evaluated expressions (dense, one per live row)
	counts []int32       // output rows per live input row
	row    int           // next live input row to emit
}

func buildUnnest(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
	u := n.(*plan.Unnest)
	env := &eval.Env{Mem: qc.Alloc("Unnest"), Params: qc.Params}
	op := &unnestOp{ordinality: u.Ordinality, outer: u.Outer, batchSize: qc.BatchSize, mem: env.Mem}
	for _, e := range u.Exprs {
		switch e.Type().ID() {
		case arrow.LIST, arrow.MAP:
		default:
			return nil, fmt.Errorf("Unnest: %s has type %s; only ARRAY and MAP values can be unnested", e, types.SQLName(e.Type()))
		}
		ev, err := eval.Compile(e, env)
		if err != nil {
			return nil, err
		}
		op.exprs = append(op.exprs, ev)
		op.types = append(op.types, e.Type())
	}
	if op.batchSize <= 0 {
		op.batchSize = vec.DefaultBatchSize
	}
	in, err := child(u.Input)
	if err != nil {
		return nil, err
	}
	op.in = in
	return op, nil
}

func (u *unnestOp) Open(ctx context.Context) error { return u.in.Open(ctx) }

func (u *unnestOp) releaseCur() {
	for _, v := range u.vals {
		v.Release()
	}
	u.vals = u.vals[:0]
	if u.cur != nil {
		u.cur.Release()
		u.cur = nil
	}
}

// load evaluates the expressions over a new input batch and counts the
// output rows of each live row.
func (u *unnestOp) load(ctx context.Context, b *vec.Batch) error {
	u.cur, u.row = b, 0
	m := b.NumRows()
	for _, ev := range u.exprs {
		a, err := ev.Eval(ctx, b)
		if err != nil {
			return err
		}
		u.vals = append(u.vals, a)
	}
	if cap(u.counts) < m {
		u.counts = make([]int32, m)
	}
	u.counts = u.counts[:m]
	for j := range u.counts {
		u.counts[j] = 0
	}
	for _, a := range u.vals {
		offs := offsetsOf(a)
		if a.NullN() == 0 {
			for j := range u.counts {
				u.counts[j] = max(u.counts[j], offs[j+1]-offs[j])
			}
			continue
		}
		for j := range u.counts {
			if a.IsValid(j) {
				u.counts[j] = max(u.counts[j], offs[j+1]-offs[j])
			}
		}
	}
	if u.outer {
		for j, c := range u.counts {
			if c == 0 {
				u.counts[j] = -1 // one null-extended row
			}
		}
	}
	return nil
}

// offsetsOf returns a LIST or MAP array's offsets (Len+1 entries, the
// array's offset applied).
func offsetsOf(a arrow.Array) []int32 {
	var all []int32
	switch x := a.(type) {
	case *array.List:
		all = x.Offsets()
	case *array.Map:
		all = x.Offsets()
	}
	if a.Len() == 0 || len(all) == 0 {
		return []int32{0}
	}
	off := a.Data().Offset()
	return all[off : off+a.Len()+1]
}

func (u *unnestOp) Next(ctx context.Context) (*vec.Batch, error) {
	for {
		if u.cur != nil && u.row < len(u.counts) {
			if out := u.emit(); out != nil {
				return out, nil
			}
		}
		u.releaseCur()
		b, err := u.in.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		if err := u.load(ctx, b); err != nil {
			u.releaseCur()
			return nil, err
		}
	}
}

// emit builds the next output batch from the current input batch (nil
// when the rest of it yields no rows).
func (u *unnestOp) emit() *vec.Batch {
	// choose the input rows of this output batch
	start, total := u.row, 0
	end := start
	for end < len(u.counts) && (total < u.batchSize || total == 0) {
		c := int(u.counts[end])
		if c < 0 {
			c = 1
		}
		total += c
		end++
	}
	u.row = end
	if total == 0 {
		return nil
	}
	parent := make([]int32, 0, total)
	elem := make([]int32, 0, total) // element number within the row, -1 for a null-extended row
	sel := u.cur.Sel
	for j := start; j < end; j++ {
		p := int32(j)
		if sel != nil {
			p = sel[j]
		}
		c := u.counts[j]
		if c < 0 {
			parent = append(parent, p)
			elem = append(elem, -1)
			continue
		}
		for i := int32(0); i < c; i++ {
			parent = append(parent, p)
			elem = append(elem, i)
		}
	}
	cols := make([]arrow.Array, 0, len(u.cur.Cols)+2*len(u.vals)+1)
	for _, c := range u.cur.Cols {
		cols = append(cols, vec.Take(u.mem, c, parent))
	}
	idx := make([]int32, total)
	for k, a := range u.vals {
		offs := offsetsOf(a)
		// child position of each output row's element (logical rows of
		// a are the batch's live rows, start..end-1)
		o := 0
		for j := start; j < end; j++ {
			c := int(u.counts[j])
			if c < 0 {
				c = 1
			}
			valid := a.IsValid(j)
			lo, hi := offs[j], offs[j+1]
			for i := 0; i < c; i++ {
				e := elem[o]
				if e >= 0 && valid && lo+e < hi {
					idx[o] = lo + e
				} else {
					idx[o] = -1
				}
				o++
			}
		}
		cols = append(cols, elementColumns(u.mem, a, u.types[k], idx)...)
	}
	if u.ordinality {
		ob := vec.NewBuilder[int64](u.mem, types.Int64, total)
		for o, e := range elem {
			if e < 0 {
				ob.SetNull(o)
			} else {
				ob.Values[o] = int64(e) + 1
			}
		}
		cols = append(cols, ob.Finish())
	}
	return vec.New(cols, total)
}

// elementColumns gathers the element columns of a LIST or MAP array at
// child positions idx (-1: NULL).
func elementColumns(mem memory.Allocator, a arrow.Array, t arrow.DataType, idx []int32) []arrow.Array {
	if m, ok := a.(*array.Map); ok {
		return []arrow.Array{vec.Take(mem, m.Keys(), idx), vec.Take(mem, m.Items(), idx)}
	}
	child := a.(array.ListLike).ListValues()
	st, ok := child.(*array.Struct)
	if !ok {
		return []arrow.Array{vec.Take(mem, child, idx)}
	}
	// an array of structs: one column per field; a NULL struct element
	// gives NULL fields
	if st.NullN() > 0 {
		valid := st.NullBitmapBytes()
		off := st.Data().Offset()
		fixed := make([]int32, len(idx))
		for i, p := range idx {
			if p >= 0 && !bitutil.BitIsSet(valid, off+int(p)) {
				p = -1
			}
			fixed[i] = p
		}
		idx = fixed
	}
	out := make([]arrow.Array, st.NumField())
	for f := range out {
		out[f] = vec.Take(mem, st.Field(f), idx)
	}
	return out
}

func (u *unnestOp) Close() error {
	u.releaseCur()
	return u.in.Close()
}
