package catalogtest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/tarnsql/tarn/catalog"
)

// sampleZones are zone maps with a file read whole and a file cut into
// blocks, bounds of several types, unknown bounds and NULL counts.
func sampleZones(base string) *catalog.ZoneMaps {
	mod := time.Date(2024, 6, 1, 12, 30, 15, 123456789, time.UTC)
	return &catalog.ZoneMaps{
		Columns: []string{"id", "name", "ts"},
		Files: []catalog.FileZone{
			{Path: base + "/a.csv", Size: 1234, ModTime: mod, Rows: 10, Cols: []catalog.ColumnZone{
				{Min: "1", Max: "10"}, {Min: "'a''b'", Max: "'zed'", Nulls: 2}, {Nulls: 10}}},
			{Path: base + "/b.csv", Size: 1 << 30, ModTime: mod.Add(time.Hour), Rows: 3000, Cols: []catalog.ColumnZone{
				{Min: "11", Max: "3010"}, {Min: "''", Max: "'~'"}, {Min: "TIMESTAMP '2024-06-01 00:00:00'", Max: "TIMESTAMP '2024-06-02 00:00:00'"}},
				Blocks: []catalog.BlockZone{
					{Offset: 0, Length: 1 << 29, Rows: 1500, Cols: []catalog.ColumnZone{{Min: "11", Max: "1510"}, {}, {Min: "TIMESTAMP '2024-06-01 00:00:00'", Max: "TIMESTAMP '2024-06-01 12:00:00'"}}},
					{Offset: 1 << 29, Length: 1 << 29, Rows: 1500, Cols: []catalog.ColumnZone{{Min: "1511", Max: "3010"}, {Nulls: 1500}, {Min: "TIMESTAMP '2024-06-01 12:00:00'", Max: "TIMESTAMP '2024-06-02 00:00:00'"}}},
				}},
		},
	}
}

// sameZones compares zone maps, times by instant.
func sameZones(t *testing.T, what string, got, want *catalog.ZoneMaps) {
	t.Helper()
	if got == nil || want == nil {
		if got != want {
			t.Fatalf("%s: zone maps %v, want %v", what, got, want)
		}
		return
	}
	g, w := *got, *want
	g.Files = append([]catalog.FileZone(nil), got.Files...)
	w.Files = append([]catalog.FileZone(nil), want.Files...)
	for i := range g.Files {
		if i < len(w.Files) {
			if !g.Files[i].ModTime.Equal(w.Files[i].ModTime) {
				t.Fatalf("%s: file %d mtime %v, want %v", what, i, g.Files[i].ModTime, w.Files[i].ModTime)
			}
			g.Files[i].ModTime, w.Files[i].ModTime = time.Time{}, time.Time{}
		}
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: zone maps\n got %+v\nwant %+v", what, g, w)
	}
}

// testZoneMaps checks that tables' and partitions' zone maps round-trip.
func testZoneMaps(t *testing.T, s catalog.Store) {
	ctx := context.Background()
	must(t, s.CreateDatabase(ctx, catalog.Database{Name: "lake"}, false))
	tb := sampleTable("lake", "logs")
	tb.Format = "csv"
	tb.Stats.Zones = sampleZones("/data/logs")
	must(t, s.CreateTable(ctx, tb, false))
	got, err := s.GetTable(ctx, "lake", "logs")
	must(t, err)
	sameZones(t, "created table", got.Stats.Zones, tb.Stats.Zones)

	// ANALYZE replaces them.
	nz := sampleZones("/data/logs")
	nz.Files = nz.Files[1:]
	nt := *got
	nt.Stats = &catalog.TableStats{Rows: 3000, Files: 1, Bytes: 1 << 30, Zones: nz}
	must(t, s.ReplaceTable(ctx, nt))
	got, err = s.GetTable(ctx, "lake", "logs")
	must(t, err)
	sameZones(t, "replaced table", got.Stats.Zones, nz)

	// Partitions keep their own.
	ps, ok := s.(catalog.PartitionStore)
	if !ok {
		return
	}
	must(t, s.CreateTable(ctx, PartitionedTable("lake", "ev", "dt"), false))
	must(t, ps.AddPartitions(ctx, "lake", "ev", []catalog.Partition{mkPart("/data/ev/dt=1", "1"), mkPart("/data/ev/dt=2", "2")}, false))
	pz := sampleZones("/data/ev/dt=2")
	must(t, ps.UpdatePartitionStats(ctx, "lake", "ev", []string{"2"}, &catalog.TableStats{Rows: 3010, Files: 2, Bytes: 1<<30 + 1234, Zones: pz}))
	parts, err := ps.ListPartitions(ctx, "lake", "ev", nil)
	must(t, err)
	if len(parts) != 2 || parts[0].Stats != nil || parts[1].Stats == nil {
		t.Fatalf("partitions %+v", parts)
	}
	sameZones(t, "partition", parts[1].Stats.Zones, pz)
}
