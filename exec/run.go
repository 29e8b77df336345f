package exec

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// Stream is a running query's result: batches from all slices, in
// arrival order (ordered plans emit from a single slice).
type Stream struct {
	schema *arrow.Schema
	qc     *QueryCtx
	ch     chan *vec.Batch
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu  sync.Mutex
	err error
}

// Run starts executing root on qc.Slices slices.
func Run(ctx context.Context, qc *QueryCtx, root plan.Node) (*Stream, error) {
	ops := make([]Operator, 0, qc.Slices)
	for i := 0; i < qc.Slices; i++ {
		op, err := safeBuild(qc, root, i)
		if err != nil {
			for _, o := range ops {
				o.Close()
			}
			return nil, err
		}
		ops = append(ops, op)
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Stream{schema: root.Schema(), qc: qc, ch: make(chan *vec.Batch, qc.Slices), cancel: cancel}
	for _, op := range ops {
		s.wg.Add(1)
		go s.runSlice(ctx, op)
	}
	go func() {
		s.wg.Wait()
		close(s.ch)
	}()
	return s, nil
}

func safeBuild(qc *QueryCtx, root plan.Node, slice int) (op Operator, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recoverError(r)
		}
	}()
	return Build(qc, root, slice)
}

func (s *Stream) runSlice(ctx context.Context, op Operator) {
	defer s.wg.Done()
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = recoverError(r)
			}
		}()
		if err := op.Open(ctx); err != nil {
			return err
		}
		throttle := s.qc.Throttle
		for {
			if throttle != nil {
				// The pipeline driver's yield point (scans have their
				// own, per input batch): operators that produce many
				// output batches per input batch (join probes, sorts
				// and aggregates emitting) pause here too.
				throttle(ctx)
			}
			b, err := op.Next(ctx)
			if err != nil {
				return err
			}
			if b == nil {
				return nil
			}
			select {
			case s.ch <- b:
			case <-ctx.Done():
				b.Release()
				return nil
			}
		}
	}()
	cerr := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = recoverError(r)
			}
		}()
		return op.Close()
	}()
	if err == nil {
		err = cerr
	}
	if err != nil {
		s.fail(err)
	}
}

// recoverError turns a recovered panic into an error. Memory-limit panics
// from the budget allocator become their MemoryError; anything else is an
// internal error carrying the stack, never a crash.
func recoverError(r any) error {
	if e, ok := r.(*MemoryError); ok {
		return e
	}
	if e, ok := r.(error); ok {
		var me *MemoryError
		if errors.As(e, &me) {
			return me
		}
	}
	return &InternalError{Value: r, Stack: string(debug.Stack())}
}

// InternalError is a recovered panic.
type InternalError struct {
	Value any
	Stack string
}

func (e *InternalError) Error() string { return fmt.Sprintf("internal error: %v", e.Value) }

func (s *Stream) fail(err error) {
	s.mu.Lock()
	if s.err == nil && !errors.Is(err, context.Canceled) {
		s.err = err
	}
	s.mu.Unlock()
	s.cancel()
}

// Schema is the result schema.
func (s *Stream) Schema() *arrow.Schema { return s.schema }

// Next returns the next record batch, or (nil, nil) at the end. The
// caller must Release it.
func (s *Stream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	select {
	case b, ok := <-s.ch:
		if !ok {
			s.mu.Lock()
			err := s.err
			s.mu.Unlock()
			if err == nil && ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, err
		}
		return s.record(b)
	case <-ctx.Done():
		s.fail(ctx.Err())
		return nil, ctx.Err()
	}
}

func (s *Stream) record(b *vec.Batch) (rec arrow.RecordBatch, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = recoverError(r)
			s.fail(err)
		}
	}()
	return b.Record(s.qc.Alloc("Output"), s.schema), nil
}

// Close stops the query (if still running), waits for its slices and
// releases everything buffered.
func (s *Stream) Close() error {
	s.cancel()
	for b := range s.ch {
		b.Release()
	}
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
