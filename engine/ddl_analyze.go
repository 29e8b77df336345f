package engine

// ANALYZE TABLE t [PARTITION (...)] COMPUTE STATISTICS [NOSCAN | FOR
// COLUMNS [c, ...]]: scans the data through the engine and stores row
// counts, file counts and sizes, and per-column null counts, min/max and
// distinct counts (HyperLogLog sketches, exact for small domains). A
// partitioned table is scanned one partition at a time; each
// partition's statistics are stored with UpdatePartitionStats and the
// sketches merge into the table-level totals.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/cespare/xxhash/v2"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors/filetable"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner/ddl"
	"github.com/tarnsql/tarn/planner/expr"
)

// colAcc accumulates one column's statistics over record batches: its
// NULL count and bounds (filetable.ColumnAcc, shared with zone maps) and
// a distinct-count sketch. The type is chosen once per batch; each kind
// has its own loop.
type colAcc struct {
	*filetable.ColumnAcc
	typ    arrow.DataType
	sketch *hll
}

func newColAcc(t arrow.DataType) *colAcc {
	return &colAcc{ColumnAcc: filetable.NewColumnAcc(t), typ: t, sketch: newHLL()}
}

func sketchInts[T ~int8 | ~int16 | ~int32 | ~int64](h *hll, vals []T, arr arrow.Array) {
	noNulls := arr.NullN() == 0
	for i, v := range vals {
		if !noNulls && arr.IsNull(i) {
			continue
		}
		h.add(mix64(uint64(int64(v))))
	}
}

func sketchUints[T uint8 | uint16 | uint32 | uint64](h *hll, vals []T, arr arrow.Array) {
	noNulls := arr.NullN() == 0
	for i, v := range vals {
		if !noNulls && arr.IsNull(i) {
			continue
		}
		h.add(mix64(uint64(v)))
	}
}

func sketchFloats[T float32 | float64](h *hll, vals []T, arr arrow.Array) {
	noNulls := arr.NullN() == 0
	for i, v := range vals {
		if !noNulls && arr.IsNull(i) {
			continue
		}
		x := float64(v)
		if x == 0 {
			x = 0 // -0 and +0 are one value
		}
		h.add(mix64(math.Float64bits(x)))
	}
}

// add accumulates one column array.
func (a *colAcc) add(arr arrow.Array) error {
	if err := a.ColumnAcc.Add(arr); err != nil {
		return err
	}
	addSketch(a.sketch, arr)
	return nil
}

// addSketch adds the non-null values of arr to h.
func addSketch(h *hll, arr arrow.Array) {
	switch c := arr.(type) {
	case *array.Int8:
		sketchInts(h, c.Int8Values(), arr)
	case *array.Int16:
		sketchInts(h, c.Int16Values(), arr)
	case *array.Int32:
		sketchInts(h, c.Int32Values(), arr)
	case *array.Int64:
		sketchInts(h, c.Int64Values(), arr)
	case *array.Date32:
		sketchInts(h, c.Date32Values(), arr)
	case *array.Timestamp:
		sketchInts(h, c.TimestampValues(), arr)
	case *array.Decimal64:
		sketchInts(h, c.Values(), arr)
	case *array.Uint8:
		sketchUints(h, c.Uint8Values(), arr)
	case *array.Uint16:
		sketchUints(h, c.Uint16Values(), arr)
	case *array.Uint32:
		sketchUints(h, c.Uint32Values(), arr)
	case *array.Uint64:
		sketchUints(h, c.Uint64Values(), arr)
	case *array.Float32:
		sketchFloats(h, c.Float32Values(), arr)
	case *array.Float64:
		sketchFloats(h, c.Float64Values(), arr)
	case *array.String:
		noNulls := c.NullN() == 0
		for i := 0; i < c.Len(); i++ {
			if noNulls || !c.IsNull(i) {
				h.add(xxhash.Sum64String(c.Value(i)))
			}
		}
	case *array.Boolean:
		noNulls := c.NullN() == 0
		for i := 0; i < c.Len(); i++ {
			if noNulls || !c.IsNull(i) {
				if c.Value(i) {
					h.add(mix64(1))
				} else {
					h.add(mix64(0))
				}
			}
		}
	case *array.Decimal128:
		noNulls := c.NullN() == 0
		for i := 0; i < c.Len(); i++ {
			if noNulls || !c.IsNull(i) {
				d := c.Value(i)
				h.add(mix64(d.LowBits() ^ mix64(uint64(d.HighBits()))))
			}
		}
	}
}

// merge folds o (same column, another partition) into a.
func (a *colAcc) merge(o *colAcc) {
	a.sketch.merge(o.sketch)
	a.ColumnAcc.Merge(o.ColumnAcc)
}

// stats renders the accumulated statistics.
func (a *colAcc) stats() catalog.ColumnStats {
	cs := catalog.ColumnStats{NullCount: a.Nulls, Distinct: a.sketch.count()}
	lo, hi, ok := a.Bounds()
	if !ok {
		return cs
	}
	if a.typ.ID() == arrow.UINT8 || a.typ.ID() == arrow.UINT16 || a.typ.ID() == arrow.UINT32 || a.typ.ID() == arrow.UINT64 {
		cs.Min, cs.Max = fmt.Sprint(lo), fmt.Sprint(hi)
	} else {
		cs.Min, cs.Max = expr.FormatValue(lo, a.typ), expr.FormatValue(hi, a.typ)
	}
	// A sketch never reports more distinct values than there are values.
	cs.Distinct = min(cs.Distinct, a.N)
	return cs
}

// scanStats is the result of scanning one table or partition.
type scanStats struct {
	rows int64
	cols []*colAcc // nil entries for columns not analyzed
}

func (st *scanStats) merge(o *scanStats) {
	st.rows += o.rows
	for i, c := range o.cols {
		if c == nil {
			continue
		}
		if st.cols[i] == nil {
			st.cols[i] = newColAcc(c.typ)
		}
		st.cols[i].merge(c)
	}
}

// keyPredicate is the WHERE clause selecting one partition.
func keyPredicate(t *catalog.Table, values []string) string {
	conds := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		v := values[i]
		switch {
		case v == catalog.HiveDefaultPartition:
			conds[i] = quoteIdent(k.Name) + " IS NULL"
		case k.Type == "VARCHAR":
			conds[i] = quoteIdent(k.Name) + " = '" + strings.ReplaceAll(v, "'", "''") + "'"
		default:
			conds[i] = quoteIdent(k.Name) + " = CAST('" + strings.ReplaceAll(v, "'", "''") + "' AS " + k.Type + ")"
		}
	}
	return strings.Join(conds, " AND ")
}

// scanColumns runs SELECT <cols> FROM t [WHERE where] through the engine
// and accumulates statistics for the columns with want[i] set.
func (s *Session) scanColumns(ctx context.Context, t *catalog.Table, cols []catalog.Column, want []bool, where string) (*scanStats, error) {
	out := &scanStats{cols: make([]*colAcc, len(cols))}
	var sel []string
	var idx []int
	for i, c := range cols {
		if want[i] {
			sel = append(sel, quoteIdent(c.Name))
			idx = append(idx, i)
		}
	}
	countOnly := len(sel) == 0
	if countOnly {
		sel = []string{"count(*)"}
	}
	sql := "SELECT " + strings.Join(sel, ", ") + " FROM " + quoteIdent(t.Database) + "." + quoteIdent(t.Name)
	if where != "" {
		sql += " WHERE " + where
	}
	p, err := s.plan(ctx, sql)
	if err != nil {
		return nil, fmt.Errorf("ANALYZE TABLE %s.%s: %w", t.Database, t.Name, err)
	}
	if !countOnly {
		for k, i := range idx {
			out.cols[i] = newColAcc(p.Root.Schema().Field(k).Type)
		}
	}
	qc := s.newQueryCtx()
	stream, err := exec.Run(ctx, qc, p.Root)
	if err != nil {
		return nil, err
	}
	defer stream.Close()
	for {
		rec, err := stream.Next(ctx)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		if countOnly {
			out.rows += rec.Column(0).(*array.Int64).Value(0)
			rec.Release()
			continue
		}
		out.rows += rec.NumRows()
		for k, i := range idx {
			if err := out.cols[i].add(rec.Column(k)); err != nil {
				rec.Release()
				return nil, fmt.Errorf("ANALYZE TABLE %s.%s column %s: %w", t.Database, t.Name, cols[i].Name, err)
			}
		}
		rec.Release()
	}
	return out, stream.Close()
}

// listSize counts the files and bytes at a location (0, 0 when it does
// not exist).
func listSize(ctx context.Context, t *catalog.Table, location string) (files, size int64, err error) {
	opts := map[string]string{}
	maps.Copy(opts, t.Props)
	maps.Copy(opts, t.SerDeProps)
	fsys, err := filetable.FileSystemForOptions(location, opts)
	if err != nil {
		return 0, 0, err
	}
	infos, err := fsys.List(ctx, location)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return 0, 0, nil
		}
		return 0, 0, err
	}
	for _, f := range infos {
		files++
		size += f.Size
	}
	return files, size, nil
}

func (s *Session) analyze(ctx context.Context, r *Result, st *ddl.Analyze) error {
	t, err := s.baseTable(ctx, st.Table, "ANALYZE TABLE")
	if err != nil {
		return err
	}
	// Which data columns to analyze.
	want := make([]bool, len(t.Columns))
	if len(st.Columns) == 0 {
		for i := range want {
			want[i] = !st.NoScan
		}
	} else {
		for _, c := range st.Columns {
			found := false
			for i, tc := range t.Columns {
				if strings.EqualFold(tc.Name, c) {
					want[i], found = true, true
				}
			}
			if !found {
				isKey := false
				for _, k := range t.PartitionKeys {
					isKey = isKey || strings.EqualFold(k.Name, c)
				}
				if !isKey {
					return newError(CodeOther, "42S22", nil, "ANALYZE TABLE %s.%s: unknown column '%s'", t.Database, t.Name, c)
				}
			}
		}
	}
	for i, c := range t.Columns {
		if want[i] {
			// Columns of types without statistics (binary) are skipped.
			dt, err := types.Parse(c.Type)
			want[i] = err == nil && analyzable(dt)
		}
	}
	var rows [][]any
	var partValues [][]string
	total := &scanStats{cols: make([]*colAcc, len(t.Columns))}
	var files, size int64
	var zones *catalog.ZoneMaps // the unpartitioned table's zone maps
	projected := len(t.PartitionKeys) > 0 && strings.EqualFold(t.Props["projection.enabled"], "true")
	// All the table's columns, partition keys last; scanned as one
	// table when unpartitioned or projected (no stored partitions).
	allCols := append(append([]catalog.Column(nil), t.Columns...), t.PartitionKeys...)
	if len(t.PartitionKeys) == 0 || projected {
		if st.Partition != nil && !projected {
			return newError(CodeOther, "HY000", nil, "ANALYZE TABLE %s.%s: the table is not partitioned (remove the PARTITION clause)", t.Database, t.Name)
		}
		if st.Partition != nil {
			return newError(CodeOther, "HY000", nil, "ANALYZE TABLE %s.%s: the table's partitions are projected (projection.enabled), not stored; analyze the whole table", t.Database, t.Name)
		}
		if files, size, err = listSize(ctx, t, t.Location); err != nil {
			return err
		}
		if !st.NoScan {
			wantAll := append(append([]bool(nil), want...), make([]bool, len(t.PartitionKeys))...)
			for i := range t.PartitionKeys {
				wantAll[len(want)+i] = len(st.Columns) == 0 || slices.ContainsFunc(st.Columns, func(c string) bool { return strings.EqualFold(c, t.PartitionKeys[i].Name) })
			}
			var sc *scanStats
			if tbl, ok := zoneTable(t, nil, want); ok && !projected {
				sc, zones, err = s.scanZones(ctx, t, tbl, t.Columns, want)
				if err == nil && len(st.Columns) > 0 && t.Stats != nil {
					zones = mergeZones(liveZones(t, t.Stats.Zones), zones)
				}
			} else {
				sc, err = s.scanColumns(ctx, t, allCols, wantAll, "")
			}
			if err != nil {
				return err
			}
			total = sc
		}
	} else {
		ps, err := s.partitionStore()
		if err != nil {
			return err
		}
		var f *catalog.PartitionFilter
		if st.Partition != nil {
			w, err := specValues(t, st.Partition, false)
			if err != nil {
				return err
			}
			f = specMatcher(w)
		}
		parts, err := ps.ListPartitions(ctx, t.Database, t.Name, f)
		if err != nil {
			return err
		}
		if st.Partition != nil && len(parts) == 0 {
			return specError(st.Partition, "no partition of %s.%s matches", t.Database, t.Name)
		}
		for _, p := range parts {
			pf, psz, err := listSize(ctx, t, p.Location)
			if err != nil {
				return err
			}
			pst := &catalog.TableStats{Rows: -1, Files: pf, Bytes: psz}
			if p.Stats != nil && st.NoScan {
				pst.Rows, pst.Cols, pst.Zones = p.Stats.Rows, p.Stats.Cols, p.Stats.Zones
			}
			if !st.NoScan {
				var sc *scanStats
				if tbl, ok := zoneTable(t, &p, want); ok {
					sc, pst.Zones, err = s.scanZones(ctx, t, tbl, t.Columns, want)
					if err == nil && len(st.Columns) > 0 && p.Stats != nil {
						pst.Zones = mergeZones(liveZones(t, p.Stats.Zones), pst.Zones)
					}
				} else {
					sc, err = s.scanColumns(ctx, t, t.Columns, want, keyPredicate(t, p.Values))
				}
				if err != nil {
					return err
				}
				pst.Rows = sc.rows
				pst.Cols = map[string]catalog.ColumnStats{}
				if p.Stats != nil {
					maps.Copy(pst.Cols, p.Stats.Cols)
				}
				for i, c := range sc.cols {
					if c != nil {
						pst.Cols[t.Columns[i].Name] = c.stats()
					}
				}
				total.merge(sc)
			}
			if err := ps.UpdatePartitionStats(ctx, t.Database, t.Name, p.Values, pst); err != nil {
				return err
			}
			files += pf
			size += psz
			if pst.Rows != 0 {
				partValues = append(partValues, p.Values)
			}
			rows = append(rows, []any{PartitionName(t.PartitionKeys, p.Values), knownRows(pst.Rows), pf, psz})
		}
		if st.Partition != nil {
			// A partial ANALYZE: the table-level totals cover all partitions,
			// so they are summed from every partition's stored statistics.
			all, err := ps.ListPartitions(ctx, t.Database, t.Name, nil)
			if err != nil {
				return err
			}
			files, size = 0, 0
			total.rows = 0
			for _, p := range all {
				if p.Stats == nil {
					// Not analyzed yet: its files still count.
					pf, psz, err := listSize(ctx, t, p.Location)
					if err != nil {
						return err
					}
					files += pf
					size += psz
					total.rows = -1
					continue
				}
				files += p.Stats.Files
				size += p.Stats.Bytes
				if total.rows >= 0 && p.Stats.Rows >= 0 {
					total.rows += p.Stats.Rows
				} else {
					total.rows = -1
				}
			}
		}
	}
	nt := *t
	ts := &catalog.TableStats{Rows: total.rows, Files: files, Bytes: size, Cols: map[string]catalog.ColumnStats{}}
	if t.Stats != nil {
		maps.Copy(ts.Cols, t.Stats.Cols)
		if st.NoScan {
			ts.Rows = t.Stats.Rows
			ts.Zones = t.Stats.Zones
		}
	} else if st.NoScan {
		ts.Rows = -1
	}
	if zones != nil {
		ts.Zones = zones
	}
	if st.Partition == nil {
		for i, c := range total.cols {
			if c != nil {
				ts.Cols[allCols[i].Name] = c.stats()
			}
		}
		if len(t.PartitionKeys) > 0 && !projected && !st.NoScan {
			// A partition key's domain is the set of its partition values.
			for i, k := range t.PartitionKeys {
				ts.Cols[k.Name] = keyStats(k, partValues, i)
			}
		}
	}
	if len(ts.Cols) == 0 {
		ts.Cols = nil
	}
	nt.Stats = ts
	if err := s.e.store.ReplaceTable(ctx, nt); err != nil {
		return catalogError(err, "table", t.Database+"."+t.Name)
	}
	rows = append(rows, []any{"(table)", knownRows(ts.Rows), files, size})
	r.setStatic([]string{"partition", "rows", "files", "bytes"}, []arrow.DataType{strT, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64}, rows)
	return nil
}

// keyStats computes the statistics of partition key i from the values
// of the partitions that hold rows.
func keyStats(k catalog.Column, parts [][]string, i int) catalog.ColumnStats {
	var cs catalog.ColumnStats
	seen := map[string]bool{}
	var lo, hi string
	for _, vs := range parts {
		v := vs[i]
		if v == catalog.HiveDefaultPartition {
			continue
		}
		if !seen[v] {
			seen[v] = true
			if len(seen) == 1 || v < lo {
				lo = v
			}
			if len(seen) == 1 || v > hi {
				hi = v
			}
		}
	}
	cs.Distinct = int64(len(seen))
	// Text order is value order only for strings (and fixed-width forms).
	if k.Type == "VARCHAR" && len(seen) > 0 {
		cs.Min, cs.Max = expr.FormatValue(lo, arrow.BinaryTypes.String), expr.FormatValue(hi, arrow.BinaryTypes.String)
	}
	return cs
}

// knownRows is a row count for display: NULL when unknown (< 0).
func knownRows(n int64) any {
	if n < 0 {
		return nil
	}
	return n
}

// analyzable reports whether colAcc keeps statistics for a type.
func analyzable(dt arrow.DataType) bool { return filetable.ZoneType(dt) }
