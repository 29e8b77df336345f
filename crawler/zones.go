package crawler

import (
	"context"
	"fmt"
	"strings"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable"
	"github.com/tarnsql/tarn/connectors/filetable/partvalue"
)

// Zone maps (Options.ZoneMaps): before the plan is written, the files of
// the tables it creates, of the partitions it adds and of the
// unpartitioned tables it updates are read once, whole, with the
// table's schema, and their per-file and per-block zone maps
// (catalog.ZoneMaps) go into the statistics written with them, with the
// exact row count and each column's NULL count and bounds. Parquet
// files carry their own statistics and are not read again.

// fillZones records zone maps in the plan's tables and partitions.
func (c *crawl) fillZones(ctx context.Context, p *plan) error {
	for _, tc := range p.creates {
		if err := c.zoneTable(ctx, &tc.table, tc.parts); err != nil {
			return err
		}
	}
	for _, up := range p.updates {
		if c.opts.Mode == ModeIncremental && up.replace == nil && len(up.add) == 0 {
			continue // nothing new was read
		}
		t := up.replace
		if t == nil && len(up.old.PartitionKeys) == 0 {
			// Same schema: the statistics are rewritten all the same.
			nt := *up.old
			t = &nt
		}
		if t == nil {
			t = up.old
		}
		if err := c.zoneTable(ctx, t, up.add); err != nil {
			return err
		}
		if len(t.PartitionKeys) == 0 && t != up.old {
			up.replace = t
		}
	}
	return nil
}

// zoneTable fills the zone maps of t (unpartitioned) or of parts.
func (c *crawl) zoneTable(ctx context.Context, t *catalog.Table, parts []catalog.Partition) error {
	if len(t.PartitionKeys) == 0 {
		st, err := c.zones(ctx, t, nil, t.Stats)
		if err != nil || st == nil {
			return err
		}
		t.Stats = st
		return nil
	}
	for i := range parts {
		st, err := c.zones(ctx, t, &parts[i], parts[i].Stats)
		if err != nil {
			return err
		}
		if st != nil {
			parts[i].Stats = st
		}
	}
	return nil
}

// zones reads the files of t (or of its partition p) and returns st
// with the row count, column bounds and zone maps; nil when the format
// keeps its own statistics.
func (c *crawl) zones(ctx context.Context, t *catalog.Table, p *catalog.Partition, st *catalog.TableStats) (*catalog.TableStats, error) {
	format := t.Format
	if p != nil && p.Format != "" {
		format = p.Format
	}
	if strings.EqualFold(format, "parquet") || format == "" {
		return nil, nil
	}
	name := t.Database + "." + t.Name
	if p != nil {
		name += " partition " + filetable.PartitionLabel(keyNamesOf(t), p.Values)
	}
	var cols []int
	for i, col := range t.Columns {
		dt, err := types.Parse(col.Type)
		if err == nil && filetable.ZoneType(dt) {
			cols = append(cols, i)
		}
	}
	if len(cols) == 0 {
		return nil, nil
	}
	tbl, err := filetable.NewOn(t, c.fs)
	if err != nil {
		return nil, fmt.Errorf("crawl: zone maps of %s: %w", name, err)
	}
	if p != nil {
		pt, ok := tbl.(connectors.PartitionedTable)
		if !ok {
			return nil, fmt.Errorf("crawl: zone maps of %s: not a partitioned table", name)
		}
		if tbl, err = pt.WithPartitions([]catalog.Partition{*p}, 1); err != nil {
			return nil, fmt.Errorf("crawl: zone maps of %s: %w", name, err)
		}
	}
	zs := &filetable.ZoneScan{Table: tbl, Columns: cols, Parallel: c.opts.Parallel}
	splits, err := zs.Plan(ctx)
	if err != nil {
		return nil, fmt.Errorf("crawl: zone maps of %s: %w", name, err)
	}
	res, err := zs.Run(ctx, splits)
	if err != nil {
		return nil, fmt.Errorf("crawl: zone maps of %s: %w", name, err)
	}
	out := &catalog.TableStats{Rows: res.Rows, Zones: res.Zones, Cols: map[string]catalog.ColumnStats{}}
	if st != nil {
		out.Files, out.Bytes = st.Files, st.Bytes
	}
	for k, i := range cols {
		a := res.Cols[k]
		cs := catalog.ColumnStats{NullCount: a.Nulls}
		if lo, hi, ok := a.Bounds(); ok {
			cs.Min, cs.Max = partvalue.FormatLiteral(lo, a.Type), partvalue.FormatLiteral(hi, a.Type)
		}
		out.Cols[t.Columns[i].Name] = cs
	}
	return out, nil
}

func keyNamesOf(t *catalog.Table) []string {
	out := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		out[i] = k.Name
	}
	return out
}
