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

// fileHeader reads and parses the header of an open file. head is the
// file's first bytes as read (at least the header).
func fileHeader(path string, f io.ReaderAt, size int64) (h *header, rec *havro.RecordSchema, head []byte, err error) {
	n := min(size, 64<<10)
	for {
		head := make([]byte, n)
		if _, err := f.ReadAt(head, 0); err != nil && err != io.EOF {
			return nil, nil, nil, fmt.Errorf("avro: %s: reading the header: %w (offset 0)", path, err)
		}
		h, err := readHeader(head)
		if err != nil {
			if n < size && n < 64<<20 {
				n = min(size, n*8) // a large schema: read more
				continue
			}
			return nil, nil, nil, fmt.Errorf("avro: %s: corrupt header: %v (offset 0)", path, err)
		}
		s, err := havro.ParseBytesWithCache(h.schema, "", &havro.SchemaCache{})
		if err != nil {
			return nil, nil, nil, fmt.Errorf("avro: %s: invalid schema in the header: %v (offset 0)", path, err)
		}
		rec, ok := deref(s).(*havro.RecordSchema)
		if !ok {
			return nil, nil, nil, fmt.Errorf("avro: %s: the file's schema is a %s, not a record (offset 0)", path, s.Type())
		}
		return h, rec, head, nil
	}
}

// InferSchema maps the fields of the file's record schema to columns.
func (*Format) InferSchema(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) (*arrow.Schema, error) {
	f, err := fs.Open(ctx, file.Path)
	if err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	defer f.Close()
	_, rec, _, err := fileHeader(file.Path, f, f.Size())
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

// reader reads one file. The embedded Source holds the file (its reads
// counted), the batch sizing under the row limit, Emit and Close; the
// block framing is Avro's own.
type reader struct {
	*textcol.Source
	size    int64
	hdr     *header
	dec     *decompressor
	ops     []fieldOp
	cols    []*textcol.Column
	missing []bool // output columns the file lacks
	schema  *arrow.Schema
	head    []byte // the first bytes, read with the header: not read again
	pos     int64  // file offset of the next block
	blk     bin    // current block
	blkAt   int64
	left    int64 // records left in the block
	raw     []byte
	scratch []byte
}

// Open reads one file (the split is always the whole file).
func (*Format) Open(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	src, err := textcol.OpenRaw(ctx, fs, split, req, DefaultBatchSize)
	if err != nil {
		return nil, fmt.Errorf("avro: %w", err)
	}
	r := &reader{Source: src, size: src.File.Size()}
	if err := r.plan(req); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *reader) plan(req *connectors.ScanRequest) error {
	h, rec, head, err := fileHeader(r.Path, r.File, r.size)
	if err != nil {
		return err
	}
	r.hdr, r.pos, r.head = h, int64(h.size), head
	if r.dec, err = newDecompressor(h.codec); err != nil {
		return fmt.Errorf("avro: %s: %v", r.Path, err)
	}
	fields := make([]arrow.Field, len(req.Columns))
	byName := map[string]int{}
	r.missing = make([]bool, len(req.Columns))
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			return fmt.Errorf("avro: %s: requested column %d does not exist in the table schema", r.Path, ci)
		}
		fields[i] = req.Schema.Field(ci)
		c, err := textcol.New(fields[i])
		if err != nil {
			return fmt.Errorf("avro: %s: %v", r.Path, err)
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
			return fmt.Errorf("avro: %s: field %s: %v", r.Path, fl.Name(), err)
		}
		r.ops = append(r.ops, fieldOp{op: o, col: c, out: out})
	}
	return nil
}

// readAt reads the file at off, the part inside the head from there.
func (r *reader) readAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	if off < int64(len(r.head)) {
		n = copy(p, r.head[off:])
		if n == len(p) {
			return n, nil
		}
	}
	m, err := r.File.ReadAt(p[n:], off+int64(n))
	return n + m, err
}

// nextBlock reads the next block; false at the end of the file.
func (r *reader) nextBlock() (bool, error) {
	for {
		if r.pos >= r.size {
			return false, nil
		}
		// Block header: two varints (at most 20 bytes).
		var hb [20]byte
		n, err := r.readAt(hb[:min(int64(len(hb)), r.size-r.pos)], r.pos)
		if err != nil && err != io.EOF {
			return false, fmt.Errorf("avro: %s: %v (offset %d)", r.Path, err, r.pos)
		}
		h := bin{b: hb[:n]}
		count, size := h.long(), h.long()
		if h.err != nil || count < 0 || size < 0 || size > r.size-r.pos-int64(h.p)-16 {
			return false, fmt.Errorf("avro: %s: corrupt block header (count %d, size %d) (offset %d)", r.Path, count, size, r.pos)
		}
		at := r.pos
		dataAt := r.pos + int64(h.p)
		if int64(cap(r.raw)) < size+16 {
			r.raw = make([]byte, size+16)
		}
		buf := r.raw[:size+16]
		k := copy(buf, hb[h.p:n]) // read with the block header
		if _, err := r.readAt(buf[k:], dataAt+int64(k)); err != nil && err != io.EOF {
			return false, fmt.Errorf("avro: %s: %v (offset %d)", r.Path, err, dataAt+int64(k))
		}
		if string(buf[size:]) != string(r.hdr.sync[:]) {
			return false, fmt.Errorf("avro: %s: block sync marker mismatch: file corrupt (offset %d)", r.Path, dataAt+size)
		}
		r.pos = dataAt + size + 16
		if r.pos >= int64(len(r.head)) {
			r.head = nil
		}
		if count == 0 {
			continue
		}
		if count > size*8+1 && count > 1<<20 {
			// Records of only nulls take no bytes, but not this many.
			return false, fmt.Errorf("avro: %s: block declares %d records in %d bytes (offset %d)", r.Path, count, size, at)
		}
		data, err := r.dec.decode(buf[:size])
		if err != nil {
			return false, fmt.Errorf("avro: %s: %s block: %v (offset %d)", r.Path, r.hdr.codec, err, at)
		}
		r.blk = bin{b: data}
		r.blkAt = at
		r.left = count
		return true, nil
	}
}

// Next returns the next batch or io.EOF.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	n, err := r.BatchRows(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range r.cols {
		c.Alloc(r.Mem, n)
	}
	rows := 0
	for rows < n {
		if r.left == 0 {
			ok, err := r.nextBlock()
			if err != nil {
				r.release()
				r.Done = true
				return nil, err
			}
			if !ok {
				r.Done = true
				break
			}
		}
		for _, f := range r.ops {
			f.op(&r.blk, f.col, rows, &r.scratch)
			if r.blk.err != nil {
				r.release()
				r.Done = true
				return nil, fmt.Errorf("avro: %s: block at offset %d: %v", r.Path, r.blkAt, r.blk.err)
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
			r.Done = true
			return nil, fmt.Errorf("avro: %s: block at offset %d has %d bytes after its records: the schema does not match the data", r.Path, r.blkAt, len(r.blk.b)-r.blk.p)
		}
	}
	return textcol.Finish(r.Source, r.schema, r.cols, rows)
}

func (r *reader) release() {
	for _, c := range r.cols {
		c.Release()
	}
}

// Close releases the columns, the decompressor and the file.
func (r *reader) Close() error {
	r.release()
	if r.dec != nil {
		r.dec.close()
		r.dec = nil
	}
	return r.Source.Close()
}
