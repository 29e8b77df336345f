package filetable

import (
	"context"
	"fmt"

	"github.com/tarnsql/tarn/connectors"
)

// splitByteEstimator is implemented by formats that estimate the bytes
// a split reads from metadata (Parquet: projected column chunks).
type splitByteEstimator interface {
	SplitBytes(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (int64, error)
}

// SplitBytes estimates the bytes reading split (one returned by Splits
// with the same request) fetches from storage, from metadata alone:
// the format's estimate when it has one, else the split's byte range
// (the whole file for files read whole: CSV, JSON, compressed files).
func (t *Table) SplitBytes(ctx context.Context, split connectors.Split, req *connectors.ScanRequest) (int64, error) {
	fsys, format, preq := t.fs, t.format, t.request(req)
	if t.part != nil {
		if err := t.resolveSources(ctx); err != nil {
			return 0, err
		}
		p := t.part
		if split.Partition < 0 || split.Partition >= len(p.srcs) {
			return 0, fmt.Errorf("table %s: split of %s names partition %d of %d", t.name, split.File.Path, split.Partition, len(p.srcs))
		}
		s := p.srcs[split.Partition]
		var cols []int
		for _, c := range req.Columns {
			if c >= 0 && c < p.nData {
				cols = append(cols, c)
			}
		}
		if cols == nil {
			cols = []int{}
		}
		fsys, format, preq = s.fs, s.format, t.dataRequest(req, s, cols)
	}
	if e, ok := format.(splitByteEstimator); ok {
		n, err := e.SplitBytes(ctx, fsys, split, preq)
		if err != nil {
			return 0, fmt.Errorf("table %s: %w", t.name, err)
		}
		return n, nil
	}
	if split.Length > 0 {
		return split.Length, nil
	}
	return max(split.File.Size-split.Offset, 0), nil
}
