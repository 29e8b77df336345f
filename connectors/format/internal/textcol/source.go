package textcol

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/compress"
)

// Source is the state the reader of one split of a text format (or of
// Avro, which frames its own data: OpenRaw) shares with the others: the
// opened file and its (decompressed) input, the byte range the split
// owns, the request's allocator, batch size and row limit with their
// defaults applied, and the byte accounting into the request's stats.
// Readers embed it and add their parsing.
type Source struct {
	Path string
	File connectors.File
	// In is the (decompressed) input of a text format; nil from OpenRaw.
	In *compress.Input
	// Start and End bound the records the split owns: those starting in
	// [Start, End) of In (of File from OpenRaw). A compressed input is a stream read whole by
	// the split at offset 0 (Start 0, End In.Size); the other splits cut
	// from it by size own nothing (End 0).
	Start, End int64
	Mem        memory.Allocator
	BatchSize  int
	// Limit is the rows still wanted (0: no limit); Emit charges it.
	Limit int64
	// Done is set when the split is used up (or the limit reached).
	Done bool

	stats   *connectors.ScanStats
	raw     func() int64 // bytes read from the file so far
	flushed int64
}

// Open opens a split's file for a text format: the compression is
// resolved from the path, the options and the leading bytes. Errors
// name the file; the caller adds the format's name.
func Open(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest, defaultBatchSize int) (*Source, error) {
	f, err := fs.Open(ctx, split.File.Path)
	if err != nil {
		return nil, err
	}
	in, err := compress.Open(split.File.Path, f, req.Options)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := newSource(split.File.Path, f, req, defaultBatchSize)
	s.In, s.raw = in, in.RawBytes
	s.Start, s.End = split.Offset, in.Size
	if in.Stream() {
		// A file detected as compressed by its bytes may have been cut
		// into ranges by its size: the split at offset 0 reads it whole.
		s.Start = 0
		if split.Offset > 0 {
			s.End = 0
		}
	} else if split.Length > 0 && split.Offset+split.Length < s.End {
		s.End = split.Offset + split.Length
	}
	return s, nil
}

// OpenRaw opens a split's file for a format that frames and compresses
// its data itself (Avro): In is nil, no compression is resolved, and
// reads through File are counted for Flush. Start and End are the
// split's range, cut to the file's size. Errors name the file; the
// caller adds the format's name.
func OpenRaw(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest, defaultBatchSize int) (*Source, error) {
	f, err := fs.Open(ctx, split.File.Path)
	if err != nil {
		return nil, err
	}
	cf := &countedFile{File: f}
	s := newSource(split.File.Path, cf, req, defaultBatchSize)
	s.raw = cf.bytes
	s.Start, s.End = min(split.Offset, f.Size()), f.Size()
	if split.Length > 0 && split.Offset+split.Length < s.End {
		s.End = split.Offset + split.Length
	}
	return s, nil
}

// newSource applies the request's defaults.
func newSource(path string, f connectors.File, req *connectors.ScanRequest, defaultBatchSize int) *Source {
	s := &Source{Path: path, File: f, Mem: req.Mem, BatchSize: req.BatchSize, Limit: req.Limit, stats: req.Stats}
	if s.Mem == nil {
		s.Mem = memory.DefaultAllocator
	}
	if s.BatchSize <= 0 {
		s.BatchSize = defaultBatchSize
	}
	return s
}

// countedFile counts the bytes read from a file.
type countedFile struct {
	connectors.File
	n int64
}

func (c *countedFile) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.File.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func (c *countedFile) bytes() int64 { return c.n }

// Lines reads the lines the split owns (a source from Open).
func (s *Source) Lines() (*Lines, error) {
	return NewLines(s.In, s.Start, s.End, s.In.Size)
}

// BatchRows starts a batch: the rows to read into it (the batch size,
// capped by the limit), io.EOF once the split is done, or the context's
// error.
func (s *Source) BatchRows(ctx context.Context) (int, error) {
	if s.Done {
		return 0, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	n := s.BatchSize
	if s.Limit > 0 && int64(n) > s.Limit {
		n = int(s.Limit)
	}
	return n, nil
}

// Emit ends a batch of rows (> 0) values per column as the Emit
// function does, marks the split done when the limit is used up, and
// counts the bytes read so far.
func (s *Source) Emit(schema *arrow.Schema, cols []arrow.Array, rows int) arrow.RecordBatch {
	rec, stop := Emit(schema, cols, rows, &s.Limit, s.stats)
	if stop {
		s.Done = true
	}
	s.Flush()
	return rec
}

// Finisher is a column a batch is read into (a *Column, or a reader's
// type that embeds one).
type Finisher interface {
	Finish(rows int) arrow.Array
	Release()
}

// Finish ends a batch of rows values read into cols: with no rows the
// columns are released, the bytes read counted and io.EOF returned;
// else the columns are finished into a batch as Source.Emit does.
func Finish[C Finisher](s *Source, schema *arrow.Schema, cols []C, rows int) (arrow.RecordBatch, error) {
	if rows == 0 {
		for _, c := range cols {
			c.Release()
		}
		s.Flush()
		return nil, io.EOF
	}
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		arrs[i] = c.Finish(rows)
	}
	return s.Emit(schema, arrs, rows), nil
}

// Flush adds the bytes read from the file (compressed, as stored)
// since the last Flush to the request's stats.
func (s *Source) Flush() {
	n := s.raw()
	if s.stats != nil {
		s.stats.BytesScanned.Add(n - s.flushed)
	}
	s.flushed = n
}

// Close marks the split done and closes the input and the file; it may
// be called more than once.
func (s *Source) Close() error {
	s.Done = true
	if s.In != nil {
		s.In.Close()
		s.In = nil
	}
	if s.File != nil {
		err := s.File.Close()
		s.File = nil
		return err
	}
	return nil
}
