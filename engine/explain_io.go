package engine

// EXPLAIN (TYPE IO): what a query will read, estimated from metadata
// before it runs, and EstimateScanBytes, the same estimate for WLM.

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner/ddl"
	"github.com/tarnsql/tarn/planner/plan"
)

// ScanIO is the estimated input of one scan.
type ScanIO struct {
	Table string
	// Files with data left after pruning; RowGroups and RowGroupsTotal
	// count Parquet row groups after and before min/max (and bloom
	// filter) pruning; Partitions and PartitionsTotal the partitions of
	// a partitioned table after and before pruning.
	Files                     int64
	RowGroups, RowGroupsTotal int64
	Partitions                int64
	PartitionsTotal           int64
	// Bytes is the estimate of the bytes read from storage: for Parquet
	// the compressed size of the projected columns' chunks in the row
	// groups left (an upper bound: page pruning is not estimated); for
	// other file formats the size of the files (whole rows are read);
	// for other tables their own size estimate. Exact is false when the
	// table could only give a size estimate (federated tables, from the
	// remote statistics) or none (Bytes 0).
	Bytes int64
	Exact bool
}

// IOEstimate is the estimated input of a whole query.
type IOEstimate struct {
	Scans []ScanIO
	// Totals over Scans.
	Files, RowGroups, RowGroupsTotal, Partitions, PartitionsTotal, Bytes int64
}

// splitByter is implemented by tables that estimate a split's bytes from
// metadata (filetable.Table).
type splitByter interface {
	SplitBytes(ctx context.Context, split connectors.Split, req *connectors.ScanRequest) (int64, error)
}

// EstimateScanBytes estimates the data a physical plan will read, from
// metadata alone (listings, Parquet footers, the catalog's partitions;
// footers and listings come from their caches when fresh). It does not
// read any data. The estimate honours the scans' projections and value
// ranges (partition, row-group and bloom-filter pruning) but not dynamic
// filters or limits.
func EstimateScanBytes(ctx context.Context, root plan.Node) (IOEstimate, error) {
	var est IOEstimate
	var walk func(n plan.Node) error
	walk = func(n plan.Node) error {
		if sc, ok := n.(*plan.Scan); ok {
			s, err := estimateScan(ctx, sc)
			if err != nil {
				return err
			}
			est.Scans = append(est.Scans, s)
			est.Files += s.Files
			est.RowGroups += s.RowGroups
			est.RowGroupsTotal += s.RowGroupsTotal
			est.Partitions += s.Partitions
			est.PartitionsTotal += s.PartitionsTotal
			est.Bytes += s.Bytes
		}
		for _, c := range n.Children() {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root); err != nil {
		return IOEstimate{}, err
	}
	return est, nil
}

func estimateScan(ctx context.Context, sc *plan.Scan) (ScanIO, error) {
	out := ScanIO{Table: sc.Table.Name()}
	sb, ok := sc.Table.(splitByter)
	if !ok {
		_, bytes := sc.Table.Estimate(ctx)
		if bytes > 0 {
			out.Bytes = bytes
		}
		return out, nil
	}
	var st connectors.ScanStats
	req := &connectors.ScanRequest{Schema: sc.Table.Schema(), Columns: sc.Columns, Ranges: sc.Ranges, Stats: &st}
	splits, err := sc.Table.Splits(ctx, req)
	if err != nil {
		return out, err
	}
	out.Exact = true
	for _, sp := range splits {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		n, err := sb.SplitBytes(ctx, sp, req)
		if err != nil {
			return out, err
		}
		out.Bytes += n
		out.RowGroups += int64(len(sp.RowGroups))
	}
	out.Files = st.FilesScanned.Load()
	out.RowGroupsTotal = st.RowGroupsTotal.Load() + out.RowGroups
	out.Partitions = st.PartitionsScanned.Load()
	out.PartitionsTotal = st.PartitionsTotal.Load()
	return out, nil
}

// explainIO runs EXPLAIN (TYPE IO): one row per scan and a total row.
func (s *Session) explainIO(ctx context.Context, r *Result, st *ddl.ExplainIO) error {
	p, err := s.plan(ctx, st.Query)
	if err != nil {
		return shiftPosition(err, &st.Explain)
	}
	est, err := EstimateScanBytes(ctx, p.Root)
	if err != nil {
		return err
	}
	i64 := arrow.PrimitiveTypes.Int64
	rows := make([][]any, 0, len(est.Scans)+1)
	for _, sc := range est.Scans {
		size := exec.FormatBytes(sc.Bytes)
		if !sc.Exact {
			size = "~" + size + " (table size estimate)"
			if sc.Bytes == 0 {
				size = "unknown"
			}
		}
		rows = append(rows, []any{sc.Table, sc.Files, sc.RowGroups, sc.RowGroupsTotal, sc.Partitions, sc.PartitionsTotal, sc.Bytes, size})
	}
	rows = append(rows, []any{"TOTAL", est.Files, est.RowGroups, est.RowGroupsTotal, est.Partitions, est.PartitionsTotal, est.Bytes,
		exec.FormatBytes(est.Bytes)})
	r.setStatic([]string{"table", "files", "row_groups", "row_groups_total", "partitions", "partitions_total", "bytes", "size"},
		[]arrow.DataType{strT, i64, i64, i64, i64, i64, i64, strT}, rows)
	return nil
}

// String renders an estimate on one line (for logs).
func (e IOEstimate) String() string {
	return fmt.Sprintf("%d scans, %d files, %d/%d row groups, %d/%d partitions, %s",
		len(e.Scans), e.Files, e.RowGroups, e.RowGroupsTotal, e.Partitions, e.PartitionsTotal, exec.FormatBytes(e.Bytes))
}
