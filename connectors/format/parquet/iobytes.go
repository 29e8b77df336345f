package parquet

import (
	"context"
	"fmt"

	"github.com/tarnsql/tarn/connectors"
)

// SplitBytes estimates, from the footer alone (cached), the bytes a scan
// of split reads: the compressed sizes of the projected columns' chunks
// in the split's row groups. Row groups are expected to be pruned
// already (filetable's Splits does); page-level pruning is not
// estimated, so this is an upper bound of the column data read. The
// footer itself is not counted (it is usually cached).
func (f *Format) SplitBytes(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (int64, error) {
	m, err := f.footer(ctx, fs, split.File, nil, nil)
	if err != nil {
		return 0, err
	}
	md := m.pf.Metadata()
	var leaves []int
	for _, ci := range req.Columns {
		if ci < 0 || ci >= req.Schema.NumFields() {
			return 0, fmt.Errorf("parquet: %s: requested column %d does not exist in the table schema (%d columns)", split.File.Path, ci, req.Schema.NumFields())
		}
		if idx, ok := m.schema.lookup(req.Schema.Field(ci).Name); ok {
			if fc := &m.schema.cols[idx]; fc.tree != nil {
				leaves = fc.tree.leaves(leaves) // an upper bound: all of its leaves
			} else if fc.leaf >= 0 {
				leaves = append(leaves, fc.leaf)
			}
		}
	}
	rgs := split.RowGroups
	if rgs == nil {
		rgs = allRowGroups(m)
	}
	var n int64
	for _, rg := range rgs {
		if rg < 0 || rg >= len(md.RowGroups) {
			return 0, fmt.Errorf("parquet: %s: row group %d does not exist (file has %d)", split.File.Path, rg, len(md.RowGroups))
		}
		cols := md.RowGroups[rg].Columns
		for _, l := range leaves {
			if l < len(cols) {
				n += cols[l].MetaData.TotalCompressedSize
			}
		}
	}
	return n, nil
}
