package s3

import (
	"context"
	"sync"
)

// Sequential read-ahead.
//
// Text formats (CSV, JSON lines, regex logs), Avro blocks and compressed
// streams read a split front to back in ReadAt calls of one buffer each
// (256 KiB – 1 MiB). One GET per call, each waiting for the previous one,
// leaves the scan idle for a round trip per buffer. A file therefore
// watches its ReadAt calls: when a read starts where the previous one
// ended, it fetches the following window in the background, and reads
// that fall inside a fetched window are copied from it. The first window
// is twice the read and each next one doubles, up to Config.ReadAhead; a
// new window is started when a read reaches into the second half of the
// last one, so one is usually on its way while the other is consumed. A
// read that is not sequential drops the windows. At most two windows
// (2 × ReadAhead bytes) are held per open file; Close cancels them.
// ReadRanges (Parquet column chunks) never reads ahead.

// seqAhead is a file's read-ahead state.
type seqAhead struct {
	mu   sync.Mutex
	end  int64     // where the last ReadAt ended (-1: none yet; set by Open)
	wins []*window // fetched or in flight, in file order, contiguous
}

// window is a byte range fetched in the background.
type window struct {
	off    int64
	buf    []byte
	err    error
	done   chan struct{}
	cancel context.CancelFunc
}

func (w *window) contains(off, n int64) bool {
	return off >= w.off && off+n <= w.off+int64(len(w.buf))
}

// readSeq reads buf at off (inside the object) for ReadAt, through the
// read-ahead windows.
func (f *file) readSeq(ctx context.Context, buf []byte, off int64) error {
	limit := f.fs.cfg.ReadAhead
	// The tail has its own cache; windows stop where it starts.
	tailStart := max(0, f.size-f.fs.cfg.TailSize)
	n := int64(len(buf))
	if limit <= 0 || off+n > tailStart {
		return f.read(ctx, buf, off)
	}
	s := &f.seq
	s.mu.Lock()
	sequential := off == s.end
	s.end = off + n
	var w *window
	for _, x := range s.wins {
		if x.contains(off, n) {
			w = x
			break
		}
	}
	if w == nil {
		s.dropLocked()
	}
	s.mu.Unlock()

	if w != nil {
		<-w.done
		if w.err == nil {
			copy(buf, w.buf[off-w.off:])
			s.mu.Lock()
			s.advanceLocked(f, off, n, tailStart, limit)
			s.mu.Unlock()
			return nil
		}
		// The background fetch failed (or was cancelled): read in the
		// foreground, whose error (if any) is the one to report.
		s.mu.Lock()
		s.dropLocked()
		s.mu.Unlock()
		return f.read(ctx, buf, off)
	}
	if err := f.read(ctx, buf, off); err != nil {
		return err
	}
	if sequential {
		s.mu.Lock()
		if len(s.wins) == 0 && s.end == off+n {
			s.startLocked(f, off+n, min(max(2*n, 64<<10), limit), tailStart)
		}
		s.mu.Unlock()
	}
	return nil
}

// advanceLocked drops the windows a read at [off, off+n) has passed and
// starts the next one once the read reaches the last window's second
// half.
func (s *seqAhead) advanceLocked(f *file, off, n, tailStart, limit int64) {
	for len(s.wins) > 0 && s.wins[0].off+int64(len(s.wins[0].buf)) <= off {
		s.wins[0].cancel()
		s.wins = s.wins[1:]
	}
	if len(s.wins) == 0 {
		return
	}
	last := s.wins[len(s.wins)-1]
	size := int64(len(last.buf))
	if off+n >= last.off+size/2 && len(s.wins) < 2 {
		s.startLocked(f, last.off+size, min(2*size, limit), tailStart)
	}
}

// startLocked fetches [off, off+size) (cut at the tail) in the
// background.
func (s *seqAhead) startLocked(f *file, off, size, tailStart int64) {
	size = min(size, tailStart-off)
	if size <= 0 || f.closed.Load() {
		return
	}
	ctx, cancel := context.WithCancel(f.ctx)
	w := &window{off: off, buf: make([]byte, size), done: make(chan struct{}), cancel: cancel}
	s.wins = append(s.wins, w)
	go func() {
		defer close(w.done)
		w.err = f.fetch(ctx, w.buf, off)
	}()
}

// dropLocked cancels and forgets every window.
func (s *seqAhead) dropLocked() {
	for _, w := range s.wins {
		w.cancel()
	}
	s.wins = nil
}

// stop cancels the windows and waits for their fetches to end.
func (s *seqAhead) stop() {
	s.mu.Lock()
	wins := s.wins
	s.wins = nil
	s.mu.Unlock()
	for _, w := range wins {
		w.cancel()
		<-w.done
	}
}
