package csv

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

type column struct {
	*textcol.Column
	pos int // field position in the record
}

type reader struct {
	*textcol.Source
	req       *connectors.ScanRequest
	opt       Options
	sc        *scanner
	cols      []*column
	schema    *arrow.Schema
	lineKnown bool
}

func (r *reader) ncols() int { return r.req.Schema.NumFields() }

func (r *reader) plan() error {
	req := r.req
	fields := make([]arrow.Field, len(req.Columns))
	for i, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			return fmt.Errorf("csv: %s: requested column %d does not exist in the table schema", r.Path, ci)
		}
		f := req.Schema.Field(ci)
		fields[i] = f
		tc, err := textcol.New(f)
		if err != nil {
			return fmt.Errorf("csv: %s: %v", r.Path, err)
		}
		c := &column{Column: tc, pos: ci}
		r.cols = append(r.cols, c)
	}
	r.schema = arrow.NewSchema(fields, nil)
	return nil
}

func (r *reader) alloc(n int) {
	for _, c := range r.cols {
		c.Alloc(r.Mem, n)
	}
}

func (r *reader) releaseCols() {
	for _, c := range r.cols {
		c.Release()
	}
}

// Next returns the next batch or io.EOF.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	n, err := r.BatchRows(ctx)
	if err != nil {
		return nil, err
	}
	r.alloc(n)
	rows := 0
	for rows < n {
		if r.sc.base+int64(r.sc.pos) >= r.End {
			r.Done = true
			break
		}
		ok, err := r.sc.next()
		if err != nil {
			r.releaseCols()
			return nil, fmt.Errorf("csv: %s: %w", r.Path, err)
		}
		if !ok || r.sc.recOff >= r.End {
			r.Done = true
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
		r.Flush()
		return nil, io.EOF
	}
	cols := make([]arrow.Array, len(r.cols))
	for i, c := range r.cols {
		cols[i] = c.Finish(rows)
	}
	return r.Emit(r.schema, cols, rows), nil
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
	return c.IsBlankNull(v)
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
		ok := c.Set(row, v)
		if !ok {
			return fmt.Errorf("csv: %s: %s, column %d (%s): cannot parse %q as %s",
				r.Path, r.recordWhere(), c.pos+1, c.Name, truncate(v), types.SQLName(c.DT))
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

func (r *reader) setNull(c *column, row int) { c.SetNull(row) }

// Close releases the columns and the file.
func (r *reader) Close() error {
	r.releaseCols()
	return r.Source.Close()
}
