// Package avro reads Avro object container files into Arrow batches.
//
// The writer schema in the file header is parsed with
// github.com/hamba/avro/v2; the container framing and the values are
// decoded here, straight from each (decompressed) block into typed
// column buffers by operations compiled once per file: fields that are
// not projected are skipped without being decoded. Columns are matched
// to the fields of the top-level record by name (case-insensitively);
// a column the file lacks reads as NULL.
//
// Types: boolean, int, long, float, double, string, bytes, fixed, enum,
// unions (with null, or of several types), and the logical types date,
// timestamp-millis/-micros (and their local- variants) and decimal
// (bytes or fixed). Codecs: null, deflate, snappy, zstandard, bzip2.
// Nested records, arrays and maps can be skipped but not read yet.
//
// A file is one split.
package avro

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	havro "github.com/hamba/avro/v2"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

// DefaultBatchSize is used when the request does not set one.
const DefaultBatchSize = 1024

// Format is the Avro format.
type Format struct{}

// New returns the Avro format.
func New() *Format { return &Format{} }

var _ connectors.Format = (*Format)(nil)

// Name is "avro".
func (*Format) Name() string { return "avro" }

// fileHeader reads and parses the header of an open file.
func fileHeader(path string, f connectors.File) (*header, *havro.RecordSchema, error) {
	size := f.Size()
	n := min(size, 64<<10)
	for {
		head := make([]byte, n)
		if _, err := f.ReadAt(head, 0); err != nil && err != io.EOF {
			return nil, nil, fmt.Errorf("avro: %s: reading the header: %w (offset 0)", path, err)
		}
		h, err := readHeader(head)
		if err != nil {
			if n < size && n < 64<<20 {
				n = min(size, n*8) // a large schema: read more
				continue
			}
			return nil, nil, fmt.Errorf("avro: %s: corrupt header: %v (offset 0)", path, err)
		}
		s, err := havro.ParseBytesWithCache(h.schema, "", &havro.SchemaCache{})
		if err != nil {
			return nil, nil, fmt.Errorf("avro: %s: invalid schema in the header: %v (offset 0)", path, err)
		}
		rec, ok := deref(s).(*havro.RecordSchema)
		if !ok {
			return nil, nil, fmt.Errorf("avro: %s: the file's schema is a %s, not a record (offset 0)", path, s.Type())
		}
		return h, rec, nil
	}
}

// InferSchema maps the fields of the file's record schema to columns.
func (*Format) InferSchema(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) (*arrow.Schema, error) {
	f, err := fs.Open(ctx, file.Path)
	if err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	defer f.Close()
	_, rec, err := fileHeader(file.Path, f)
	if err != nil {
		return nil, err
	}
	var fields []arrow.Field
	for _, fl := range rec.Fields() {
		dt, err := arrowType(fl.Type())
		if err != nil {
			return nil, fmt.Errorf("avro: %s: field %s: %v", file.Path, fl.Name(), err)
		}
		fields = append(fields, arrow.Field{Name: fl.Name(), Type: dt, Nullable: true})
	}
	return arrow.NewSchema(fields, nil), nil
}

// Splits returns the file as one split.
func (*Format) Splits(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) ([]connectors.Split, error) {
	return []connectors.Split{{File: file, Rows: -1}}, nil
}

type fieldOp struct {
	op  op
	col *textcol.Column // nil: skipped
	out int             // output column index
}

type reader struct {
	path      string
	file      connectors.File
	size      int64
	req       *connectors.ScanRequest
	mem       memory.Allocator
	hdr       *header
	dec       *decompressor
	ops       []fieldOp
	cols      []*textcol.Column
	missing   []bool // output columns the file lacks
	schema    *arrow.Schema
	pos       int64 // file offset of the next block
	blk       bin   // current block
	blkAt     int64
	left      int64 // records left in the block
	raw       []byte
	scratch   []byte
	batchSize int
	limit     int64
	done      bool
	read      int64
	flushed   int64
}

// Open reads one file.
func (*Format) Open(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	f, err := fs.Open(ctx, split.File.Path)
	if err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	r := &reader{path: split.File.Path, file: f, size: f.Size(), req: req, mem: req.Mem, limit: req.Limit, batchSize: req.BatchSize}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	if r.batchSize <= 0 {
		r.batchSize = DefaultBatchSize
	}
	if err := r.plan(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *reader) plan() error {
	h, rec, err := fileHeader(r.path, r.file)
	if err != nil {
		return err
	}
	r.hdr, r.pos, r.read = h, int64(h.size), int64(h.size)
	if r.dec, err = newDecompressor(h.codec); err != nil {
		return fmt.Errorf("avro: %s: %v", r.path, err)
	}
	req := r.req
	fields := make([]arrow.Field, len(req.Columns))
	byName := map[string]int{}
	r.missing = make([]bool, len(req.Columns))
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			return fmt.Errorf("avro: %s: requested column %d does not exist in the table schema", r.path, ci)
		}
		fields[i] = req.Schema.Field(ci)
		c, err := textcol.New(fields[i])
		if err != nil {
			return fmt.Errorf("avro: %s: %v", r.path, err)
		}
		r.cols = append(r.cols, c)
		key := strings.ToLower(fields[i].Name)
		if _, dup := byName[key]; !dup {
			byName[key] = i
		}
		r.missing[i] = true
	}
	r.schema = arrow.NewSchema(fields, nil)
	for _, fl := range rec.Fields() {
		out, ok := byName[strings.ToLower(fl.Name())]
		if ok && !r.missing[out] {
			ok = false // a second field of the same name: skipped
		}
		var c *textcol.Column
		if ok {
			c = r.cols[out]
			r.missing[out] = false
		}
		o, err := compile(fl.Type(), c)
		if err != nil {
			return fmt.Errorf("avro: %s: field %s: %v", r.path, fl.Name(), err)
		}
		r.ops = append(r.ops, fieldOp{op: o, col: c, out: out})
	}
	return nil
}

// nextBlock reads the next block; false at the end of the file.
func (r *reader) nextBlock() (bool, error) {
	for {
		if r.pos >= r.size {
			return false, nil
		}
		// Block header: two varints (at most 20 bytes).
		var hb [20]byte
		n, err := r.file.ReadAt(hb[:min(int64(len(hb)), r.size-r.pos)], r.pos)
		if err != nil && err != io.EOF {
			return false, fmt.Errorf("avro: %s: %v (offset %d)", r.path, err, r.pos)
		}
		h := bin{b: hb[:n]}
		count, size := h.long(), h.long()
		if h.err != nil || count < 0 || size < 0 || size > r.size-r.pos-int64(h.p)-16 {
			return false, fmt.Errorf("avro: %s: corrupt block header (count %d, size %d) (offset %d)", r.path, count, size, r.pos)
		}
		at := r.pos
		dataAt := r.pos + int64(h.p)
		if int64(cap(r.raw)) < size+16 {
			r.raw = make([]byte, size+16)
		}
		buf := r.raw[:size+16]
		if _, err := r.file.ReadAt(buf, dataAt); err != nil && err != io.EOF {
			return false, fmt.Errorf("avro: %s: %v (offset %d)", r.path, err, dataAt)
		}
		r.read += int64(h.p) + size + 16
		if string(buf[size:]) != string(r.hdr.sync[:]) {
			return false, fmt.Errorf("avro: %s: block sync marker mismatch: file corrupt (offset %d)", r.path, dataAt+size)
		}
		r.pos = dataAt + size + 16
		if count == 0 {
			continue
		}
		if count > size*8+1 && count > 1<<20 {
			// Records of only nulls take no bytes, but not this many.
			return false, fmt.Errorf("avro: %s: block declares %d records in %d bytes (offset %d)", r.path, count, size, at)
		}
		data, err := r.dec.decode(buf[:size])
		if err != nil {
			return false, fmt.Errorf("avro: %s: %s block: %v (offset %d)", r.path, r.hdr.codec, err, at)
		}
		r.blk = bin{b: data}
		r.blkAt = at
		r.left = count
		return true, nil
	}
}

// Next returns the next batch or io.EOF.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	n := r.batchSize
	if r.limit > 0 && int64(n) > r.limit {
		n = int(r.limit)
	}
	for _, c := range r.cols {
		c.Alloc(r.mem, n)
	}
	rows := 0
	for rows < n {
		if r.left == 0 {
			ok, err := r.nextBlock()
			if err != nil {
				r.release()
				r.done = true
				return nil, err
			}
			if !ok {
				r.done = true
				break
			}
		}
		for _, f := range r.ops {
			f.op(&r.blk, f.col, rows, &r.scratch)
			if r.blk.err != nil {
				r.release()
				r.done = true
				return nil, fmt.Errorf("avro: %s: block at offset %d: %v", r.path, r.blkAt, r.blk.err)
			}
		}
		for i, m := range r.missing {
			if m {
				r.cols[i].SetNull(rows)
			}
		}
		r.left--
		rows++
		if r.left == 0 && r.blk.p != len(r.blk.b) {
			r.release()
			r.done = true
			return nil, fmt.Errorf("avro: %s: block at offset %d has %d bytes after its records: the schema does not match the data", r.path, r.blkAt, len(r.blk.b)-r.blk.p)
		}
	}
	if rows == 0 {
		r.release()
		r.flush()
		return nil, io.EOF
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		cols[i] = c.Finish(rows)
	}
	rec, stop := textcol.Emit(r.schema, cols, rows, &r.limit, r.req.Stats)
	if stop {
		r.done = true
	}
	r.flush()
	return rec, nil
}

func (r *reader) release() {
	for _, c := range r.cols {
		c.Release()
	}
}

func (r *reader) flush() {
	if st := r.req.Stats; st != nil {
		st.BytesScanned.Add(r.read - r.flushed)
	}
	r.flushed = r.read
}

// Close releases the file.
func (r *reader) Close() error {
	r.done = true
	r.release()
	if r.dec != nil {
		r.dec.close()
		r.dec = nil
	}
	if r.file != nil {
		err := r.file.Close()
		r.file = nil
		return err
	}
	return nil
}
