package exec

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

func init() {
	Register((*plan.Filter)(nil), buildFilter)
	Register((*plan.Project)(nil), buildProject)
	Register((*plan.Limit)(nil), buildLimit)
	Register((*plan.Values)(nil), buildValues)
}

// filterOp narrows its input's selection vector; it never copies data.
type filterOp struct {
	in   Operator
	pred eval.Predicate
	buf  []int32
}

func buildFilter(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
	f := n.(*plan.Filter)
	p, err := eval.CompilePredicate(f.Pred, &eval.Env{Mem: qc.Alloc("Filter"), Params: qc.Params})
	if err != nil {
		return nil, err
	}
	in, err := child(f.Input)
	if err != nil {
		return nil, err
	}
	return &filterOp{in: in, pred: p}, nil
}

func (f *filterOp) Open(ctx context.Context) error { return f.in.Open(ctx) }

func (f *filterOp) Next(ctx context.Context) (*vec.Batch, error) {
	for {
		b, err := f.in.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		sel, err := f.pred.Select(ctx, b, f.buf[:0])
		if err != nil {
			b.Release()
			return nil, err
		}
		f.buf = sel
		if len(sel) == 0 {
			b.Release()
			continue
		}
		if len(sel) < b.NumRows() {
			b.Sel = append(b.Sel[:0], sel...)
		}
		return b, nil
	}
}

func (f *filterOp) Close() error { return f.in.Close() }

// projectOp evaluates expressions; its output is dense (no selection).
type projectOp struct {
	in    Operator
	exprs []eval.Evaluator
}

func buildProject(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
	p := n.(*plan.Project)
	env := &eval.Env{Mem: qc.Alloc("Project"), Params: qc.Params}
	op := &projectOp{}
	for _, e := range p.Exprs {
		ev, err := eval.Compile(e, env)
		if err != nil {
			return nil, err
		}
		op.exprs = append(op.exprs, ev)
	}
	in, err := child(p.Input)
	if err != nil {
		return nil, err
	}
	op.in = in
	return op, nil
}

func (p *projectOp) Open(ctx context.Context) error { return p.in.Open(ctx) }

func (p *projectOp) Next(ctx context.Context) (*vec.Batch, error) {
	b, err := p.in.Next(ctx)
	if err != nil || b == nil {
		return nil, err
	}
	defer b.Release()
	cols := make([]arrow.Array, len(p.exprs))
	for i, e := range p.exprs {
		c, err := e.Eval(ctx, b)
		if err != nil {
			for _, x := range cols[:i] {
				x.Release()
			}
			return nil, err
		}
		cols[i] = c
	}
	return vec.New(cols, b.NumRows()), nil
}

func (p *projectOp) Close() error { return p.in.Close() }

// limitShared counts rows across slices so the limit is global.
type limitShared struct {
	mu      sync.Mutex
	skipped int64
	taken   int64
}

type limitOp struct {
	in Operator
	n  *plan.Limit
	g  *limitShared
}

func buildLimit(qc *QueryCtx, n plan.Node, slice int, child func(plan.Node) (Operator, error)) (Operator, error) {
	l := n.(*plan.Limit)
	in, err := child(l.Input)
	if err != nil {
		return nil, err
	}
	g := qc.Shared(n, func() any { return &limitShared{} }).(*limitShared)
	return &limitOp{in: in, n: l, g: g}, nil
}

func (l *limitOp) Open(ctx context.Context) error { return l.in.Open(ctx) }

func (l *limitOp) Next(ctx context.Context) (*vec.Batch, error) {
	for {
		l.g.mu.Lock()
		done := l.n.Limit >= 0 && l.g.taken >= l.n.Limit
		l.g.mu.Unlock()
		if done {
			return nil, nil
		}
		b, err := l.in.Next(ctx)
		if err != nil || b == nil {
			return nil, err
		}
		n := int64(b.NumRows())
		l.g.mu.Lock()
		skip := min(n, l.n.Offset-l.g.skipped)
		l.g.skipped += skip
		take := n - skip
		if l.n.Limit >= 0 {
			take = min(take, l.n.Limit-l.g.taken)
		}
		l.g.taken += take
		l.g.mu.Unlock()
		if take <= 0 {
			b.Release()
			continue
		}
		if skip > 0 || take < n {
			sel := make([]int32, 0, take)
			for i := skip; i < skip+take; i++ {
				if b.Sel != nil {
					sel = append(sel, b.Sel[i])
				} else {
					sel = append(sel, int32(i))
				}
			}
			b.Sel = sel
		}
		return b, nil
	}
}

func (l *limitOp) Close() error { return l.in.Close() }

// valuesOp emits constant rows from slice 0.
type valuesOp struct {
	qc    *QueryCtx
	n     *plan.Values
	slice int
	done  bool
}

func buildValues(qc *QueryCtx, n plan.Node, slice int, _ func(plan.Node) (Operator, error)) (Operator, error) {
	return &valuesOp{qc: qc, n: n.(*plan.Values), slice: slice}, nil
}

func (v *valuesOp) Open(context.Context) error { return nil }

func (v *valuesOp) Next(ctx context.Context) (*vec.Batch, error) {
	if v.done || v.slice != 0 || len(v.n.Rows_) == 0 {
		return nil, nil
	}
	v.done = true
	env := &eval.Env{Mem: v.qc.Alloc("Values"), Params: v.qc.Params}
	// Evaluate each row's expressions over a one-row empty batch, then
	// concatenate per column.
	one := vec.New(nil, 1)
	ncol := len(v.n.Schema().Fields())
	parts := make([][]arrow.Array, ncol)
	defer func() {
		for _, ps := range parts {
			for _, a := range ps {
				a.Release()
			}
		}
	}()
	for _, row := range v.n.Rows_ {
		for j, e := range row {
			ev, err := eval.Compile(e, env)
			if err != nil {
				return nil, err
			}
			a, err := ev.Eval(ctx, one)
			if err != nil {
				return nil, err
			}
			parts[j] = append(parts[j], a)
		}
	}
	cols := make([]arrow.Array, ncol)
	for j := range cols {
		c, err := vec.Concat(env.Mem, parts[j])
		if err != nil {
			for _, x := range cols[:j] {
				x.Release()
			}
			return nil, err
		}
		cols[j] = c
	}
	return vec.New(cols, len(v.n.Rows_)), nil
}

func (v *valuesOp) Close() error { return nil }
