// Package memtable is an in-memory connectors.Table: rows held as Go
// values, materialized into Arrow batches on read. It serves system
// tables and tests (operator harness, planner tests).
package memtable

import (
	"context"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/vec"
)

// Table holds rows in the expr.Literal Go representation.
type Table struct {
	name   string
	schema *arrow.Schema
	rows   [][]any
	// SplitRows is the number of rows per split (morsel); default 4096.
	SplitRows int
	// EstRows overrides the row estimate (for planner tests); < 0: use len(rows).
	EstRows int64
}

// New returns a table over rows (each row has one value per schema field).
func New(name string, schema *arrow.Schema, rows [][]any) *Table {
	return &Table{name: name, schema: schema, rows: rows, SplitRows: 4096, EstRows: -1}
}

// Name implements connectors.Table.
func (t *Table) Name() string { return t.name }

// Schema implements connectors.Table.
func (t *Table) Schema() *arrow.Schema { return t.schema }

// Estimate implements connectors.Table.
func (t *Table) Estimate(context.Context) (int64, int64) {
	if t.EstRows >= 0 {
		return t.EstRows, t.EstRows * 8 * int64(len(t.schema.Fields()))
	}
	return int64(len(t.rows)), int64(len(t.rows)) * 8 * int64(len(t.schema.Fields()))
}

// Splits implements connectors.Table: contiguous row ranges.
func (t *Table) Splits(_ context.Context, req *connectors.ScanRequest) ([]connectors.Split, error) {
	per := t.SplitRows
	if per <= 0 {
		per = 4096
	}
	var out []connectors.Split
	for off := 0; off < len(t.rows); off += per {
		n := min(per, len(t.rows)-off)
		out = append(out, connectors.Split{Offset: int64(off), Length: int64(n), Rows: int64(n)})
	}
	if req.Stats != nil {
		req.Stats.SplitsTotal.Add(int64(len(out)))
	}
	return out, nil
}

// Open implements connectors.Table.
func (t *Table) Open(_ context.Context, s connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	return &reader{t: t, req: req, pos: int(s.Offset), end: int(s.Offset + s.Length)}, nil
}

type reader struct {
	t        *Table
	req      *connectors.ScanRequest
	pos, end int
}

func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.pos >= r.end {
		return nil, io.EOF
	}
	bs := r.req.BatchSize
	if bs <= 0 {
		bs = vec.DefaultBatchSize
	}
	n := min(bs, r.end-r.pos)
	fields := make([]arrow.Field, len(r.req.Columns))
	cols := make([]arrow.Array, len(r.req.Columns))
	vals := make([]any, n)
	for j, c := range r.req.Columns {
		fields[j] = r.t.schema.Field(c)
		for i := 0; i < n; i++ {
			vals[i] = r.t.rows[r.pos+i][c]
		}
		a, err := vec.FromValues(r.req.Mem, fields[j].Type, vals)
		if err != nil {
			for _, x := range cols[:j] {
				x.Release()
			}
			return nil, err
		}
		cols[j] = a
	}
	r.pos += n
	if r.req.Stats != nil {
		r.req.Stats.BytesScanned.Add(int64(n * 8 * len(cols)))
		r.req.Stats.RowsScanned.Add(int64(n))
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

func (r *reader) Close() error { return nil }
