package exec

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/exec/eval"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

func init() {
	Register((*plan.Scan)(nil), func(qc *QueryCtx, n plan.Node, slice int, _ func(plan.Node) (Operator, error)) (Operator, error) {
		s := n.(*plan.Scan)
		g := qc.Shared(n, func() any { return &scanShared{} }).(*scanShared)
		op := &scanOp{qc: qc, n: s, g: g}
		op.req = &connectors.ScanRequest{
			Schema: s.Table.Schema(), Columns: s.Columns, Ranges: s.Ranges, Limit: s.Limit,
			BatchSize: qc.BatchSize, Mem: qc.Alloc("Scan " + s.Table.Name()), Stats: qc.Stats,
			DictOK: s.DictOK,
		}
		if s.Filter != nil {
			p, err := eval.CompilePredicate(s.Filter, &eval.Env{Mem: op.req.Mem, Params: qc.Params})
			if err != nil {
				return nil, err
			}
			op.filter = p
		}
		return op, nil
	})
}

// scanShared hands out the table's splits to all slices (the morsel queue).
type scanShared struct {
	once   sync.Once
	splits []connectors.Split
	err    error
	next   atomic.Int64
	rows   atomic.Int64 // rows emitted, for Limit
}

type scanOp struct {
	qc     *QueryCtx
	n      *plan.Scan
	g      *scanShared
	req    *connectors.ScanRequest
	filter eval.Predicate
	cur    connectors.BatchReader
	sel    []int32
	// ahead is the next split, opened while cur is read when the table
	// reads ahead (connectors.ReadAheadTable): its first reads overlap
	// the decoding of cur.
	ahead     connectors.BatchReader
	readAhead bool
}

func (s *scanOp) Open(ctx context.Context) error {
	s.g.once.Do(func() {
		// Tables count SplitsTotal, RowsScanned and bytes themselves
		// (see connectors.ScanStats); the scan counts finished splits.
		s.g.splits, s.g.err = s.n.Table.Splits(ctx, s.req)
	})
	if ra, ok := s.n.Table.(connectors.ReadAheadTable); ok && s.n.Limit <= 0 {
		s.readAhead = ra.ReadAhead()
	}
	return s.g.err
}

// openNext opens the next unclaimed split (nil when none is left).
func (s *scanOp) openNext(ctx context.Context) (connectors.BatchReader, error) {
	i := s.g.next.Add(1) - 1
	if int(i) >= len(s.g.splits) {
		return nil, nil
	}
	return s.n.Table.Open(ctx, s.g.splits[i], s.req)
}

func (s *scanOp) Next(ctx context.Context) (*vec.Batch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if s.qc.Throttle != nil {
			s.qc.Throttle(ctx)
		}
		if s.n.Limit > 0 && s.n.Filter == nil && s.g.rows.Load() >= s.n.Limit {
			return nil, nil
		}
		if s.cur == nil {
			r := s.ahead
			s.ahead = nil
			if r == nil {
				var err error
				if r, err = s.openNext(ctx); err != nil || r == nil {
					return nil, err
				}
			}
			s.cur = r
			if s.readAhead {
				var err error
				if s.ahead, err = s.openNext(ctx); err != nil {
					return nil, err
				}
			}
		}
		rec, err := s.cur.Next(ctx)
		if errors.Is(err, io.EOF) || (err == nil && rec == nil) {
			cerr := s.cur.Close()
			s.cur = nil
			s.qc.Stats.SplitsDone.Add(1)
			if cerr != nil {
				return nil, cerr
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		b := vec.FromRecord(rec)
		if s.filter != nil && b.Len > 0 {
			sel, err := s.filter.Select(ctx, b, s.sel[:0])
			if err != nil {
				b.Release()
				return nil, err
			}
			if len(sel) == 0 {
				s.sel = sel
				b.Release()
				continue
			}
			if len(sel) < b.Len {
				b.Sel = append([]int32(nil), sel...)
			}
			s.sel = sel
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		s.g.rows.Add(int64(b.NumRows()))
		return b, nil
	}
}

func (s *scanOp) Close() error {
	var err error
	for _, r := range []*connectors.BatchReader{&s.cur, &s.ahead} {
		if *r != nil {
			if cerr := (*r).Close(); err == nil {
				err = cerr
			}
			*r = nil
		}
	}
	return err
}
