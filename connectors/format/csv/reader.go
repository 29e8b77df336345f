package csv

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/colbuf"
)

type colKind uint8

const (
	kString colKind = iota
	kBool
	kInt
	kFloat32
	kFloat64
	kDec64
	kDec128
	kDate
	kTimestamp
)

type column struct {
	pos   int // field position in the record
	name  string
	dt    arrow.DataType
	kind  colKind
	width int
	bits  int
	prec  int32
	scale int32
	fixed *colbuf.Fixed
	bools *colbuf.Bools
	strs  *colbuf.Strings
}

type reader struct {
	path      string
	file      connectors.File
	req       *connectors.ScanRequest
	opt       Options
	mem       memory.Allocator
	sc        *scanner
	cols      []*column
	schema    *arrow.Schema
	end       int64
	batchSize int
	limit     int64
	done      bool
	lineKnown bool
	flushed   int64
}

func (r *reader) ncols() int { return r.req.Schema.NumFields() }

func (r *reader) plan() error {
	req := r.req
	fields := make([]arrow.Field, len(req.Columns))
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			return fmt.Errorf("csv: %s: requested column %d does not exist in the table schema", r.path, ci)
		}
		f := req.Schema.Field(ci)
		fields[i] = f
		c := &column{pos: ci, name: f.Name, dt: f.Type}
		switch f.Type.ID() {
		case arrow.STRING:
			c.kind = kString
		case arrow.BOOL:
			c.kind = kBool
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
			c.kind = kInt
			c.width = f.Type.(arrow.FixedWidthDataType).BitWidth() / 8
			c.bits = c.width * 8
		case arrow.FLOAT32:
			c.kind, c.width = kFloat32, 4
		case arrow.FLOAT64:
			c.kind, c.width = kFloat64, 8
		case arrow.DECIMAL64:
			c.kind, c.width = kDec64, 8
			c.prec, c.scale, _ = types.DecimalParams(f.Type)
		case arrow.DECIMAL128:
			c.kind, c.width = kDec128, 16
			c.prec, c.scale, _ = types.DecimalParams(f.Type)
		case arrow.DATE32:
			c.kind, c.width = kDate, 4
		case arrow.TIMESTAMP:
			c.kind, c.width = kTimestamp, 8
		default:
			return fmt.Errorf("csv: %s: column %s: type %s is not supported for CSV", r.path, f.Name, types.SQLName(f.Type))
		}
		r.cols = append(r.cols, c)
	}
	r.schema = arrow.NewSchema(fields, nil)
	return nil
}

func (r *reader) alloc(n int) {
	for _, c := range r.cols {
		switch c.kind {
		case kString:
			c.strs = colbuf.NewStrings(r.mem, n, n*16)
		case kBool:
			c.bools = colbuf.NewBools(r.mem, n)
		default:
			c.fixed = colbuf.NewFixed(r.mem, c.width, n)
		}
	}
}

func (r *reader) releaseCols() {
	for _, c := range r.cols {
		if c.strs != nil {
			c.strs.Release()
		}
		if c.bools != nil {
			c.bools.Release()
		}
		if c.fixed != nil {
			c.fixed.Release()
		}
		c.strs, c.bools, c.fixed = nil, nil, nil
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
	r.alloc(n)
	rows := 0
	for rows < n {
		if r.sc.base+int64(r.sc.pos) >= r.end {
			r.done = true
			break
		}
		ok, err := r.sc.next()
		if err != nil {
			r.releaseCols()
			return nil, fmt.Errorf("csv: %s: %w", r.path, err)
		}
		if !ok || r.sc.recOff >= r.end {
			r.done = true
			break
		}
		if err := r.appendRecord(rows); err != nil {
			r.releaseCols()
			return nil, err
		}
		rows++
	}
	if rows == 0 {
		r.releaseCols()
		r.flush()
		return nil, io.EOF
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		switch c.kind {
		case kString:
			c.strs.Truncate(rows)
			cols[i] = c.strs.Finish()
		case kBool:
			c.bools.Truncate(rows)
			cols[i] = c.bools.Finish()
		default:
			c.fixed.Truncate(rows)
			cols[i] = c.fixed.Finish(c.dt)
		}
		c.strs, c.bools, c.fixed = nil, nil, nil
	}
	if r.limit > 0 {
		r.limit -= int64(rows)
		if r.limit <= 0 {
			r.done = true
		}
	}
	rec := array.NewRecordBatch(r.schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	if st := r.req.Stats; st != nil {
		st.RowsScanned.Add(int64(rows))
	}
	r.flush()
	return rec, nil
}

func (r *reader) flush() {
	if st := r.req.Stats; st != nil {
		st.BytesScanned.Add(r.sc.read - r.flushed)
	}
	r.flushed = r.sc.read
}

func (r *reader) isNull(v []byte, quoted bool, c *column) bool {
	if !quoted {
		if len(v) == 2 && v[0] == '\\' && v[1] == 'N' {
			return true
		}
		if r.opt.NullSet {
			return string(v) == r.opt.NullFormat
		}
	}
	return c.kind != kString && len(trimSpace(v)) == 0
}

func (r *reader) appendRecord(row int) error {
	sc := r.sc
	for _, c := range r.cols {
		if c.pos >= len(sc.fields) {
			// Missing trailing fields read as NULL.
			r.setNull(c, row)
			continue
		}
		v := sc.value(c.pos)
		if r.isNull(v, sc.fields[c.pos].quoted, c) {
			r.setNull(c, row)
			continue
		}
		ok := true
		switch c.kind {
		case kString:
			c.strs.Append(v)
		case kBool:
			var b bool
			if b, ok = parseBool(v); ok && b {
				c.bools.Set(row, true)
			}
		case kInt:
			var x int64
			if x, ok = parseInt(v, c.bits); ok {
				switch c.width {
				case 1:
					colbuf.View[int8](c.fixed)[row] = int8(x)
				case 2:
					colbuf.View[int16](c.fixed)[row] = int16(x)
				case 4:
					colbuf.View[int32](c.fixed)[row] = int32(x)
				default:
					colbuf.View[int64](c.fixed)[row] = x
				}
			}
		case kFloat32:
			var f float64
			if f, ok = parseFloat(v, 32); ok {
				colbuf.View[float32](c.fixed)[row] = float32(f)
			}
		case kFloat64:
			var f float64
			if f, ok = parseFloat(v, 64); ok {
				colbuf.View[float64](c.fixed)[row] = f
			}
		case kDec64:
			var x int64
			if x, ok = parseDec64(v, c.prec, c.scale); ok {
				colbuf.View[int64](c.fixed)[row] = x
			}
		case kDec128:
			n, ok2 := parseDec128(v, c.prec, c.scale)
			if ok = ok2; ok {
				out := colbuf.View[uint64](c.fixed)
				out[2*row] = n.LowBits()
				out[2*row+1] = uint64(n.HighBits())
			}
		case kDate:
			var d int64
			if d, ok = parseDate(v); ok {
				colbuf.View[int32](c.fixed)[row] = int32(d)
			}
		case kTimestamp:
			var t int64
			if t, ok = parseTimestamp(v); ok {
				colbuf.View[int64](c.fixed)[row] = t
			}
		}
		if !ok {
			return fmt.Errorf("csv: %s: %s, column %d (%s): cannot parse %q as %s",
				r.path, r.recordWhere(), c.pos+1, c.name, truncate(v), types.SQLName(c.dt))
		}
	}
	return nil
}

// recordWhere names the record just read: its first line number when
// the split starts at the file's beginning, else its byte offset.
func (r *reader) recordWhere() string {
	if r.lineKnown {
		return fmt.Sprintf("line %d", r.sc.recLine()+1)
	}
	return fmt.Sprintf("record at byte offset %d", r.sc.recOff)
}

func truncate(v []byte) string {
	if len(v) > 64 {
		return string(v[:64]) + "..."
	}
	return string(v)
}

func (r *reader) setNull(c *column, row int) {
	switch c.kind {
	case kString:
		c.strs.AppendNull()
	case kBool:
		c.bools.SetNull(row)
	default:
		c.fixed.SetNull(row)
		clear(c.fixed.Bytes()[row*c.width : (row+1)*c.width])
	}
}

// Close releases the file.
func (r *reader) Close() error {
	r.done = true
	r.releaseCols()
	if r.file != nil {
		err := r.file.Close()
		r.file = nil
		return err
	}
	return nil
}
