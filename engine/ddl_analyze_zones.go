package engine

// Zone maps in ANALYZE. Files whose format keeps no statistics of its
// own (CSV, JSON, regex, Avro) are scanned split by split instead of
// through a query, so that every row is attributed to its file and to
// the byte range (block) it starts in: the same pass yields the column
// statistics and the per-file and per-block zone maps
// (catalog.ZoneMaps) scans prune with. Parquet files carry their own
// min/max in their footers and are analyzed through a query as before.

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable"
)

// zoneFormat reports whether files of format name get catalog zone maps.
func zoneFormat(name string) bool {
	switch strings.ToLower(name) {
	case "parquet", "":
		return false
	}
	return true
}

// zoneTable opens the file table ANALYZE scans split by split for
// catalog table t, restricted to partition p when set. ok is false when
// the table is analyzed through a query instead (Parquet, federated
// tables, nothing to scan).
func zoneTable(t *catalog.Table, p *catalog.Partition, want []bool) (connectors.Table, bool) {
	format := t.Format
	if p != nil && p.Format != "" {
		format = p.Format
	}
	scan := false
	for _, w := range want {
		scan = scan || w
	}
	if !scan || !zoneFormat(format) || t.Location == "" {
		return nil, false
	}
	tbl, err := openTable(t)
	if err != nil {
		return nil, false
	}
	if p == nil {
		return tbl, true
	}
	pt, ok := tbl.(connectors.PartitionedTable)
	if !ok {
		return nil, false
	}
	one, err := pt.WithPartitions([]catalog.Partition{*p}, 1)
	if err != nil {
		return nil, false
	}
	return one, true
}

// scanZones reads every split of tbl (the columns of cols with want[i],
// the data columns of t) and returns the statistics and the zone maps of
// its files: filetable.ZoneScan keeps each split's bounds, and each
// split's batches feed its own distinct-count sketches, merged into the
// table's as soon as the split is done (so only the splits being read
// hold sketches).
func (s *Session) scanZones(ctx context.Context, t *catalog.Table, tbl connectors.Table, cols []catalog.Column, want []bool) (*scanStats, *catalog.ZoneMaps, error) {
	var idx []int
	for i, w := range want {
		if w {
			idx = append(idx, i)
		}
	}
	qc := s.newQueryCtx()
	zs := &filetable.ZoneScan{Table: tbl, Columns: idx, Parallel: min(max(qc.Slices, 1), runtime.GOMAXPROCS(0)),
		BatchSize: qc.BatchSize, Mem: qc.Mem, Stats: qc.Stats}
	splits, err := zs.Plan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("ANALYZE TABLE %s.%s: %w", t.Database, t.Name, err)
	}
	sketches := make([][]*hll, len(splits))
	total := make([]*hll, len(idx))
	for k := range idx {
		total[k] = newHLL()
	}
	var mu sync.Mutex
	zs.Done = func(i int) {
		mu.Lock()
		defer mu.Unlock()
		for k, sk := range sketches[i] {
			total[k].merge(sk)
		}
		sketches[i] = nil
	}
	zs.Observe = func(i int, rec arrow.RecordBatch) error {
		if sketches[i] == nil {
			sketches[i] = make([]*hll, len(idx))
			for k := range idx {
				sketches[i][k] = newHLL()
			}
		}
		for k := range idx {
			addSketch(sketches[i][k], rec.Column(k))
		}
		return nil
	}
	res, err := zs.Run(ctx, splits)
	if err != nil {
		return nil, nil, fmt.Errorf("ANALYZE TABLE %s.%s: %w", t.Database, t.Name, err)
	}
	out := &scanStats{rows: res.Rows, cols: make([]*colAcc, len(cols))}
	for k, i := range idx {
		out.cols[i] = &colAcc{ColumnAcc: res.Cols[k], typ: res.Cols[k].Type, sketch: total[k]}
	}
	return out, res.Zones, nil
}

// mergeZones carries the columns of old's zone maps that the new ones
// do not describe (ANALYZE ... FOR COLUMNS of a subset) over to the
// files that did not change; other files get no bounds for them.
func mergeZones(old, nz *catalog.ZoneMaps) *catalog.ZoneMaps {
	if old == nil || nz == nil {
		return nz
	}
	have := map[string]bool{}
	for _, c := range nz.Columns {
		have[strings.ToLower(c)] = true
	}
	var extra []int
	for i, c := range old.Columns {
		if !have[strings.ToLower(c)] {
			extra = append(extra, i)
		}
	}
	if len(extra) == 0 {
		return nz
	}
	for _, i := range extra {
		nz.Columns = append(nz.Columns, old.Columns[i])
	}
	byPath := make(map[string]*catalog.FileZone, len(old.Files))
	for i := range old.Files {
		byPath[old.Files[i].Path] = &old.Files[i]
	}
	carry := func(dst, src []catalog.ColumnZone) []catalog.ColumnZone {
		for _, i := range extra {
			var z catalog.ColumnZone
			if src != nil && i < len(src) {
				z = src[i]
			}
			dst = append(dst, z)
		}
		return dst
	}
	for fi := range nz.Files {
		f := &nz.Files[fi]
		o := byPath[f.Path]
		if o == nil || o.Size != f.Size || !o.ModTime.Equal(f.ModTime) || o.Rows != f.Rows || !sameBlocks(o.Blocks, f.Blocks) {
			o = nil
		}
		var src []catalog.ColumnZone
		if o != nil {
			src = o.Cols
		}
		f.Cols = carry(f.Cols, src)
		for bi := range f.Blocks {
			var bsrc []catalog.ColumnZone
			if o != nil {
				bsrc = o.Blocks[bi].Cols
			}
			f.Blocks[bi].Cols = carry(f.Blocks[bi].Cols, bsrc)
		}
	}
	return nz
}

// liveZones drops from z the columns t no longer has.
func liveZones(t *catalog.Table, z *catalog.ZoneMaps) *catalog.ZoneMaps {
	if z == nil {
		return nil
	}
	var keep []int
	for i, c := range z.Columns {
		for _, tc := range t.Columns {
			if strings.EqualFold(tc.Name, c) {
				keep = append(keep, i)
				break
			}
		}
	}
	if len(keep) == len(z.Columns) {
		return z
	}
	out := &catalog.ZoneMaps{Files: make([]catalog.FileZone, len(z.Files))}
	pick := func(cs []catalog.ColumnZone) []catalog.ColumnZone {
		o := make([]catalog.ColumnZone, 0, len(keep))
		for _, i := range keep {
			if i < len(cs) {
				o = append(o, cs[i])
			} else {
				o = append(o, catalog.ColumnZone{})
			}
		}
		return o
	}
	for _, i := range keep {
		out.Columns = append(out.Columns, z.Columns[i])
	}
	for fi, f := range z.Files {
		nf := f
		nf.Cols = pick(f.Cols)
		nf.Blocks = make([]catalog.BlockZone, len(f.Blocks))
		for bi, b := range f.Blocks {
			b.Cols = pick(b.Cols)
			nf.Blocks[bi] = b
		}
		if len(f.Blocks) == 0 {
			nf.Blocks = nil
		}
		out.Files[fi] = nf
	}
	return out
}

func sameBlocks(a, b []catalog.BlockZone) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Offset != b[i].Offset || a[i].Length != b[i].Length || a[i].Rows != b[i].Rows {
			return false
		}
	}
	return true
}
