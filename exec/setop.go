package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// Set operations. UNION ALL streams: each slice reads its own instance of
// every input in turn. The other variants are hash based, on the same
// local-sink / partitioned-merge machinery as HashAggregate: the group
// key is the whole row (NULLs compare equal) and the "aggregates" are one
// row count per input; the merged counts decide how many copies of each
// distinct row are emitted.

func init() {
	Register((*plan.SetOp)(nil), buildSetOp)
}

const setopOpName = "SetOp"

func buildSetOp(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
	s := n.(*plan.SetOp)
	if len(s.Inputs) == 0 {
		return nil, fmt.Errorf("%s: no inputs", s.Describe())
	}
	if s.Kind != plan.Union && len(s.Inputs) != 2 {
		return nil, fmt.Errorf("%s: takes 2 inputs, got %d", s.Describe(), len(s.Inputs))
	}
	ncol := len(s.Schema().Fields())
	for i, in := range s.Inputs {
		if got := len(in.Schema().Fields()); got != ncol {
			return nil, fmt.Errorf("%s: input %d has %d columns, want %d", s.Describe(), i+1, got, ncol)
		}
	}
	ins := make([]Operator, 0, len(s.Inputs))
	for _, in := range s.Inputs {
		op, err := child(in)
		if err != nil {
			for _, o := range ins {
				o.Close()
			}
			return nil, err
		}
		ins = append(ins, op)
	}
	if s.Kind == plan.Union && s.All {
		return &setopUnionAllOp{n: s, ins: ins}, nil
	}
	op := &setopOp{aggSink: aggSink{qc: qc, slice: slice, name: setopOpName, mem: qc.Alloc(setopOpName)}, n: s, ins: ins}
	spec := &aggSpec{}
	for _, f := range s.Schema().Fields() {
		spec.keyTypes = append(spec.keyTypes, f.Type)
	}
	for range s.Inputs {
		spec.funcs = append(spec.funcs, plan.AggFunc{Fn: "count_star", T: arrow.PrimitiveTypes.Int64})
	}
	op.spec = spec
	local, err := spec.newLocal()
	if err != nil {
		for _, o := range ins {
			o.Close()
		}
		return nil, err
	}
	op.local = local
	op.g = qc.Shared(n, func() any { return newAggBarrier(qc.Slices) }).(*aggBarrier)
	return op, nil
}

// setopUnionAllOp concatenates its inputs' streams.
type setopUnionAllOp struct {
	n   *plan.SetOp
	ins []Operator
	cur int
}

func (u *setopUnionAllOp) Open(ctx context.Context) error {
	for _, in := range u.ins {
		if err := in.Open(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (u *setopUnionAllOp) Next(ctx context.Context) (*vec.Batch, error) {
	for u.cur < len(u.ins) {
		b, err := u.ins[u.cur].Next(ctx)
		if err != nil {
			return nil, err
		}
		if b != nil {
			if err := setopRelabel(u.n, u.cur, b); err != nil {
				b.Release()
				return nil, err
			}
			return b, nil
		}
		u.cur++
	}
	return nil, nil
}

// setopRelabel gives b's columns the output schema's types when they
// differ only in labels (decimal precision); other mismatches are errors.
func setopRelabel(n *plan.SetOp, k int, b *vec.Batch) error {
	fs := n.Schema().Fields()
	if len(b.Cols) != len(fs) {
		return fmt.Errorf("%s: input %d produced %d columns, want %d", n.Describe(), k+1, len(b.Cols), len(fs))
	}
	for i, c := range b.Cols {
		t := fs[i].Type
		if arrow.TypeEqual(c.DataType(), t) {
			continue
		}
		if !setopSameLayout(c.DataType(), t) {
			return fmt.Errorf("%s: input %d column %d is %s, want %s", n.Describe(), k+1, i+1, c.DataType(), t)
		}
		d := c.Data()
		nd := array.NewData(t, d.Len(), d.Buffers(), d.Children(), d.NullN(), d.Offset())
		b.Cols[i] = array.MakeFromData(nd)
		nd.Release()
		c.Release()
	}
	return nil
}

func (u *setopUnionAllOp) Close() error {
	var first error
	for _, in := range u.ins {
		if err := in.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

type setopOp struct {
	aggSink
	n   *plan.SetOp
	ins []Operator

	gids  []int32
	cols  []arrow.Array
	owned []arrow.Array

	// Emission cursor: group g, copies of it still to emit.
	g0      int
	rem     int64
	started bool
	idx     []int32
}

func (o *setopOp) Open(ctx context.Context) error {
	for _, in := range o.ins {
		if err := in.Open(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (o *setopOp) consume(k int, b *vec.Batch) error {
	defer func() {
		for _, a := range o.owned {
			a.Release()
		}
		o.owned = o.owned[:0]
	}()
	n := b.NumRows()
	if cap(o.gids) < n {
		o.gids = make([]int32, n)
	}
	gids := o.gids[:n]
	l := o.local
	if len(b.Cols) != len(o.spec.keyTypes) {
		return fmt.Errorf("%s: input %d produced %d columns, want %d", o.n.Describe(), k+1, len(b.Cols), len(o.spec.keyTypes))
	}
	for i, c := range b.Cols {
		if !setopSameLayout(c.DataType(), o.spec.keyTypes[i]) {
			return fmt.Errorf("%s: input %d column %d is %s, want %s", o.n.Describe(), k+1, i+1, c.DataType(), o.spec.keyTypes[i])
		}
	}
	o.cols = append(o.cols[:0], b.Cols...)
	if _, bytesKeys := l.table.(*aggBytesTable); bytesKeys {
		for i, c := range o.cols {
			if nc, ok := aggNormFloats(o.mem, c); ok {
				o.cols[i] = nc
				o.owned = append(o.owned, nc)
			}
		}
	}
	if err := l.table.insertBatch(o.cols, b.Sel, n, gids); err != nil {
		return err
	}
	l.resize()
	o.input.prepare(gids, nil, nil)
	if err := l.accs[k].update(&o.input); err != nil {
		return err
	}
	return o.charge(l, &o.charged)
}

func (o *setopOp) Next(ctx context.Context) (*vec.Batch, error) {
	if !o.arrived {
		for k, in := range o.ins {
			for {
				b, err := in.Next(ctx)
				if err != nil {
					return nil, err
				}
				if b == nil {
					break
				}
				err = o.consume(k, b)
				b.Release()
				if err != nil {
					return nil, err
				}
			}
		}
		o.arrive()
	}
	if !o.merged {
		if err := o.g.wait(ctx); err != nil {
			return nil, err
		}
		if err := o.merge(ctx, o.slice); err != nil {
			return nil, err
		}
		o.merged = true
	}
	return o.emit()
}

// copies is how many times group g appears in the result.
func (o *setopOp) copies(g int) int64 {
	c := func(k int) int64 { return o.final.accs[k].(*aggCountAcc).counts[g] }
	switch o.n.Kind {
	case plan.Intersect:
		a, b := c(0), c(1)
		if !o.n.All {
			return min(a, b, 1)
		}
		return min(a, b)
	case plan.Except:
		a, b := c(0), c(1)
		if !o.n.All {
			if a > 0 && b == 0 {
				return 1
			}
			return 0
		}
		return max(a-b, 0)
	}
	return 1 // Union (distinct): every group was seen at least once.
}

func (o *setopOp) emit() (*vec.Batch, error) {
	ng := o.final.table.numGroups()
	bs := o.qc.BatchSize
	for {
		if !o.started {
			o.started = true
			if ng > 0 {
				o.rem = o.copies(0)
			}
		}
		if o.g0 >= ng {
			return nil, nil
		}
		lo := o.g0
		o.idx = o.idx[:0]
		for len(o.idx) < bs && o.g0 < ng {
			take := min(o.rem, int64(bs-len(o.idx)))
			for range take {
				o.idx = append(o.idx, int32(o.g0-lo))
			}
			o.rem -= take
			if o.rem == 0 {
				o.g0++
				if o.g0 < ng {
					o.rem = o.copies(o.g0)
				}
			}
		}
		if len(o.idx) == 0 {
			continue
		}
		hi := lo + int(o.idx[len(o.idx)-1]) + 1
		keys := o.final.table.keyArrays(o.mem, o.spec.keyTypes, lo, hi)
		if o.identity(hi - lo) {
			return vec.New(keys, hi-lo), nil
		}
		cols := make([]arrow.Array, len(keys))
		for i, k := range keys {
			cols[i] = vec.Take(o.mem, k, o.idx)
			k.Release()
		}
		return vec.New(cols, len(o.idx)), nil
	}
}

// identity reports whether idx is 0..n-1 (each group once, in order).
func (o *setopOp) identity(n int) bool {
	if len(o.idx) != n {
		return false
	}
	for i, x := range o.idx {
		if int(x) != i {
			return false
		}
	}
	return true
}

func (o *setopOp) Close() error {
	o.closeSink()
	var first error
	for _, in := range o.ins {
		if err := in.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// setopSameLayout reports whether values of type a can be read as type b:
// same physical type and, for decimals and timestamps, the same scale or
// unit (precision may differ; the output type decides it).
func setopSameLayout(a, b arrow.DataType) bool {
	if a.ID() != b.ID() {
		return false
	}
	switch x := a.(type) {
	case *arrow.Decimal64Type:
		return x.Scale == b.(*arrow.Decimal64Type).Scale
	case *arrow.Decimal128Type:
		return x.Scale == b.(*arrow.Decimal128Type).Scale
	case *arrow.TimestampType:
		return x.Unit == b.(*arrow.TimestampType).Unit
	}
	return true
}
