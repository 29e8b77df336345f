package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/tarnsql/tarn/connectors"
)

// file is an open S3 object.
type file struct {
	fs   *FS
	ctx  context.Context
	u    URL
	url  string
	size int64
	etag string

	tailMu sync.Mutex
	tail   []byte // the last min(TailSize, size) bytes, once read
	closed atomic.Bool

	seq seqAhead // sequential read-ahead (readahead.go)
}

var (
	_ connectors.File        = (*file)(nil)
	_ connectors.RangeReader = (*file)(nil)
)

func (f *file) Size() int64 { return f.size }

func (f *file) Close() error {
	f.closed.Store(true)
	f.seq.stop()
	return nil
}

// ReadAt reads len(p) bytes at off with ranged GETs (io.ReaderAt
// semantics: fewer bytes only at the end of the object, with io.EOF).
// Reads that touch the tail are served from the cached tail.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if f.closed.Load() {
		return 0, fmt.Errorf("s3: read %s: file is closed", f.url)
	}
	if off < 0 {
		return 0, fmt.Errorf("s3: read %s: negative offset %d", f.url, off)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= f.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(p)), f.size)
	if err := f.readSeq(f.ctx, p[:end-off], off); err != nil {
		return 0, err
	}
	if n := int(end - off); n < len(p) {
		return n, io.EOF
	}
	return len(p), nil
}

// read fills buf from off; the range lies inside the object.
func (f *file) read(ctx context.Context, buf []byte, off int64) error {
	end := off + int64(len(buf))
	tailStart := max(0, f.size-f.fs.cfg.TailSize)
	if end > tailStart {
		tail, err := f.loadTail(ctx, tailStart)
		if err != nil {
			return err
		}
		from := max(off, tailStart)
		copy(buf[from-off:], tail[from-tailStart:end-tailStart])
		buf = buf[:from-off]
	}
	if len(buf) == 0 {
		return nil
	}
	return f.fetch(ctx, buf, off)
}

// loadTail reads and caches the tail of the object with one GET.
func (f *file) loadTail(ctx context.Context, tailStart int64) ([]byte, error) {
	f.tailMu.Lock()
	defer f.tailMu.Unlock()
	if f.tail != nil {
		return f.tail, nil
	}
	buf := make([]byte, f.size-tailStart)
	if err := f.fetch(ctx, buf, tailStart); err != nil {
		return nil, err
	}
	f.tail = buf
	return buf, nil
}

// fetch reads buf from off, splitting reads larger than PartSize into
// parallel part GETs.
func (f *file) fetch(ctx context.Context, buf []byte, off int64) error {
	ps := f.fs.cfg.PartSize
	if int64(len(buf)) <= ps {
		return f.get(ctx, buf, off)
	}
	var jobs []func(context.Context) error
	for o := int64(0); o < int64(len(buf)); o += ps {
		part := buf[o:min(o+ps, int64(len(buf)))]
		at := off + o
		jobs = append(jobs, func(ctx context.Context) error { return f.get(ctx, part, at) })
	}
	return parallel(ctx, jobs)
}

// parallel runs jobs concurrently (the file system's semaphore bounds
// the requests) and returns the first error, cancelling the rest.
func parallel(ctx context.Context, jobs []func(context.Context) error) error {
	if len(jobs) == 1 {
		return jobs[0](ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := j(ctx); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return first
}

// errRangeIgnored is returned when the server answers a ranged GET with
// a body of another length (a proxy or server ignoring Range).
var errRangeIgnored = errors.New("the server ignored the Range header (response length differs from the requested range)")

// get reads buf from off with one ranged GET pinned to the ETag. A body
// cut short is resumed from where it stopped by the retry loop.
func (f *file) get(ctx context.Context, buf []byte, off int64) error {
	got := 0
	last := off + int64(len(buf)) - 1
	err := f.fs.do(ctx, func(ctx context.Context) error {
		start := off + int64(got)
		in := &s3.GetObjectInput{
			Bucket: &f.u.Bucket,
			Key:    &f.u.Key,
			Range:  aws.String(fmt.Sprintf("bytes=%d-%d", start, last)),
		}
		if f.etag != "" {
			in.IfMatch = aws.String(f.etag)
		}
		f.fs.metrics.Gets.Add(1)
		out, err := f.fs.client.GetObject(ctx, in)
		if err != nil {
			return err
		}
		defer out.Body.Close()
		if out.ContentLength != nil && *out.ContentLength != last-start+1 {
			return errRangeIgnored
		}
		n, err := io.ReadFull(out.Body, buf[got:])
		got += n
		f.fs.metrics.BytesFetched.Add(int64(n))
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return fmt.Errorf("%w: %w", errShortBody, err)
			}
			return err
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, errRangeIgnored) {
			return fmt.Errorf("s3: read bytes %d-%d of %s: %w", off, last, f.url, err)
		}
		if httpStatus(err) == 416 || errorCode(err) == "InvalidRange" {
			f.fs.forgetStat(f.u.String())
			return fmt.Errorf("s3: read bytes %d-%d of %s: the object is shorter than when it was opened (%d bytes): it changed while being read; retry the query", off, last, f.url, f.size)
		}
		if httpStatus(err) == 412 {
			f.fs.forgetStat(f.u.String())
		}
		return f.fs.objectError(ctx, fmt.Sprintf("read bytes %d-%d of", off, last), f.u, err)
	}
	return nil
}

// ReadRanges reads many ranges at once: ranges closer than CoalesceGap
// are merged into one GET (up to 8 parts long), the merged ranges are
// fetched in parallel, and the tail cache serves reads near the end.
// Results may share memory with each other; each has exactly
// ranges[i].Len bytes.
func (f *file) ReadRanges(ctx context.Context, ranges []connectors.ByteRange) ([][]byte, error) {
	if f.closed.Load() {
		return nil, fmt.Errorf("s3: read %s: file is closed", f.url)
	}
	out := make([][]byte, len(ranges))
	idx := make([]int, 0, len(ranges))
	for i, r := range ranges {
		if r.Off < 0 || r.Len < 0 || r.Off+r.Len > f.size {
			return nil, fmt.Errorf("s3: read %s: range [%d, +%d) lies outside the object (%d bytes)", f.url, r.Off, r.Len, f.size)
		}
		if r.Len == 0 {
			out[i] = []byte{}
			continue
		}
		idx = append(idx, i)
	}
	sort.Slice(idx, func(a, b int) bool { return ranges[idx[a]].Off < ranges[idx[b]].Off })
	type group struct {
		start, end int64
		members    []int
	}
	var groups []*group
	maxMerged := 8 * f.fs.cfg.PartSize
	for _, i := range idx {
		r := ranges[i]
		if n := len(groups); n > 0 {
			g := groups[n-1]
			end := max(g.end, r.Off+r.Len)
			if r.Off <= g.end+f.fs.cfg.CoalesceGap && end-g.start <= maxMerged {
				g.end = end
				g.members = append(g.members, i)
				continue
			}
		}
		groups = append(groups, &group{start: r.Off, end: r.Off + r.Len, members: []int{i}})
	}
	jobs := make([]func(context.Context) error, len(groups))
	for k, g := range groups {
		jobs[k] = func(ctx context.Context) error {
			buf := make([]byte, g.end-g.start)
			if err := f.read(ctx, buf, g.start); err != nil {
				return err
			}
			for _, i := range g.members {
				r := ranges[i]
				out[i] = buf[r.Off-g.start : r.Off-g.start+r.Len : r.Off-g.start+r.Len]
			}
			return nil
		}
	}
	if err := parallel(ctx, jobs); err != nil {
		return nil, err
	}
	return out, nil
}
