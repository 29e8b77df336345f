package wlm

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/plan"
)

// EstimatePlan predicts what a physical plan will cost, for short query
// acceleration and the max_scan_bytes check:
//
//   - ScanBytes sums, over the plan's scans, the table's estimated bytes
//     times the projected columns' share of a row's width, times the
//     share of rows left after partition and min/max pruning. The pruned
//     share comes from the table's own split listing under the scan's
//     ranges (Parquet footers are cached, so this reads no data); it is
//     computed only when the unpruned estimate exceeds refineAbove, since
//     below that the prediction cannot change a decision.
//   - Rows is the root's row estimate, capped (for plans without joins)
//     by the rows left in the scans after pruning; JoinRows sums the
//     joins' estimates.
//
// Pruning is looked up only when the unpruned estimates exceed
// bytesAbove or rowsAbove, since below them the prediction cannot
// change a decision. Known is false when a scanned table has no size
// estimate.
func EstimatePlan(ctx context.Context, root plan.Node, bytesAbove, rowsAbove int64) Estimate {
	e := Estimate{Known: true, Rows: int64(root.Est()), JoinRows: 0}
	if root.Est() < 0 {
		e.Rows = -1
	}
	refineRows := e.Rows < 0 || e.Rows > rowsAbove
	var scanRows int64
	joins := false
	var walk func(n plan.Node)
	walk = func(n plan.Node) {
		switch x := n.(type) {
		case *plan.Scan:
			b, rows, ok := scanBytes(ctx, x, bytesAbove, refineRows)
			if !ok {
				e.Known = false
			}
			e.ScanBytes += b
			if rows < 0 || scanRows < 0 {
				scanRows = -1
			} else {
				scanRows += rows
			}
		case *plan.SetOp:
			joins = true // a set operation can repeat rows: no cap
		case *plan.HashJoin, *plan.NestedLoopJoin:
			joins = true
			if r := n.Est(); r > 0 && e.JoinRows >= 0 {
				e.JoinRows += int64(r)
			} else if r < 0 {
				e.JoinRows = -1
			}
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	walk(root)
	if !joins && scanRows >= 0 && (e.Rows < 0 || e.Rows > scanRows) {
		e.Rows = scanRows
	}
	if e.Rows < 0 {
		e.Known = false
	}
	return e
}

// scanBytes estimates one scan's bytes after projection and pruning, and
// the rows the scan reads (-1 unknown).
func scanBytes(ctx context.Context, s *plan.Scan, bytesAbove int64, refineRows bool) (int64, int64, bool) {
	if s.Table == nil {
		return 0, -1, true
	}
	rows, bytes := s.Table.Estimate(ctx)
	if bytes < 0 {
		return 0, rows, false
	}
	readRows := rows
	schema := s.Table.Schema()
	est := float64(bytes) * columnShare(schema, s.Columns, storedFields(s.Table))
	if s.Limit > 0 && s.Filter == nil && rows > 0 && s.Limit < rows {
		est *= float64(s.Limit) / float64(rows)
		readRows = s.Limit
	}
	if len(s.Ranges) > 0 && rows > 0 && (int64(est) > bytesAbove || refineRows) {
		req := &connectors.ScanRequest{Schema: schema, Columns: s.Columns, Ranges: s.Ranges}
		if splits, err := s.Table.Splits(ctx, req); err == nil {
			var kept int64
			known := true
			for _, sp := range splits {
				if sp.Rows < 0 {
					known = false
					break
				}
				kept += sp.Rows
			}
			if known && kept < rows {
				est *= float64(kept) / float64(rows)
				readRows = kept
			}
		}
	}
	return int64(est), readRows, true
}

// storedFields is the number of leading schema fields stored in the
// table's files: partition keys and the hidden file columns ($path, ...)
// follow them and cost no bytes.
func storedFields(t connectors.Table) int {
	n := t.Schema().NumFields()
	if h, ok := t.(interface{ HiddenColumns() int }); ok {
		n -= h.HiddenColumns()
	}
	if pt, ok := t.(connectors.PartitionedTable); ok {
		n -= len(pt.CatalogTable().PartitionKeys)
	}
	return max(n, 0)
}

// columnShare is the projected columns' share of a row's width (fixed
// widths for fixed-width types, 16 bytes for variable-width ones).
func columnShare(schema *arrow.Schema, cols []int, stored int) float64 {
	if schema == nil || schema.NumFields() == 0 {
		return 1
	}
	stored = min(stored, schema.NumFields())
	width := func(t arrow.DataType) float64 {
		if fw, ok := t.(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 {
			return float64(fw.BitWidth()) / 8
		}
		if t.ID() == arrow.BOOL {
			return 1
		}
		return 16
	}
	var all, sel float64
	for i := 0; i < stored; i++ {
		all += width(schema.Field(i).Type)
	}
	for _, c := range cols {
		if c >= 0 && c < stored {
			sel += width(schema.Field(c).Type)
		}
	}
	if all == 0 {
		return 1
	}
	return sel / all
}
