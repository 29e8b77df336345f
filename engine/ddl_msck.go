package engine

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable"
	"github.com/tarnsql/tarn/planner/ddl"
)

// MSCK result actions.
const (
	msckAdded   = "added"
	msckRemoved = "removed"
	msckSkipped = "skipped"
)

// msckFinding is one row of MSCK REPAIR TABLE's result.
type msckFinding struct {
	action, partition, path, reason string
}

// discovered is a partition folder found under a table location.
type discovered struct {
	values   []string
	location string
}

// scanPartitionFolders lists the files below a table location and
// groups them into partition folders k1=v1/k2=v2/... matching the
// table's keys in order. Folders that do not match are returned as
// skipped findings (one per offending folder) and otherwise ignored.
// dirs holds every folder that contains a file, at any depth.
func scanPartitionFolders(ctx context.Context, fsys connectors.FileSystem, t *catalog.Table) (found map[string]discovered, skipped []msckFinding, dirs map[string]bool, err error) {
	files, err := fsys.List(ctx, t.Location)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("MSCK REPAIR TABLE %s.%s: cannot list location '%s': %w", t.Database, t.Name, t.Location, err)
	}
	base := strings.TrimRight(t.Location, "/")
	found = map[string]discovered{}
	dirs = map[string]bool{}
	skip := map[string]string{} // folder (relative) -> reason
	rootFiles := 0
	for _, f := range files {
		p := strings.TrimPrefix(f.Path, "file://")
		rel, ok := strings.CutPrefix(p, base+"/")
		if !ok {
			continue
		}
		segs := strings.Split(rel, "/")
		folders := segs[:len(segs)-1]
		for i := 1; i <= len(folders); i++ {
			dirs[strings.Join(folders[:i], "/")] = true
		}
		if len(folders) == 0 {
			rootFiles++
			continue
		}
		values := make([]string, len(t.PartitionKeys))
		bad := ""
		badAt := 0
		for i, k := range t.PartitionKeys {
			if i >= len(folders) {
				bad = fmt.Sprintf("holds files at depth %d but the table has %d partition keys (%s)", len(folders), len(t.PartitionKeys), keyNames(t))
				badAt = len(folders)
				break
			}
			key, val, ok := strings.Cut(folders[i], "=")
			switch {
			case !ok:
				bad = fmt.Sprintf("folder name '%s' is not key=value (expected %s=...)", folders[i], k.Name)
			case !strings.EqualFold(hiveUnescape(key), k.Name):
				bad = fmt.Sprintf("partition key '%s' does not match the table's key %s at level %d (keys in order: %s)", hiveUnescape(key), k.Name, i+1, keyNames(t))
			case val == "":
				bad = fmt.Sprintf("empty value for partition key %s", k.Name)
			default:
				values[i] = hiveUnescape(val)
				if err := checkPartitionValue(k, values[i]); err != nil {
					bad = err.Error()
				}
			}
			if bad != "" {
				badAt = i + 1
				break
			}
		}
		if bad != "" {
			folder := strings.Join(folders[:badAt], "/")
			if _, dup := skip[folder]; !dup {
				skip[folder] = bad
			}
			continue
		}
		rel = strings.Join(folders[:len(t.PartitionKeys)], "/")
		if _, ok := found[rel]; !ok {
			found[rel] = discovered{values: values, location: joinLocation(t.Location, rel)}
		}
	}
	for _, folder := range sortedKeys(skip) {
		skipped = append(skipped, msckFinding{action: msckSkipped, path: joinLocation(t.Location, folder), reason: skip[folder]})
	}
	if rootFiles > 0 {
		skipped = append(skipped, msckFinding{action: msckSkipped, path: t.Location,
			reason: fmt.Sprintf("%d file(s) directly under the table location, outside any partition folder", rootFiles)})
	}
	return found, skipped, dirs, nil
}

func (s *Session) msckRepair(ctx context.Context, r *Result, st *ddl.MsckRepair) error {
	t, ps, err := s.partitionedTable(ctx, st.Table, "MSCK REPAIR TABLE")
	if err != nil {
		return err
	}
	opts := map[string]string{}
	maps.Copy(opts, t.Props)
	maps.Copy(opts, t.SerDeProps)
	fsys, err := filetable.FileSystemForOptions(t.Location, opts)
	if err != nil {
		return fmt.Errorf("MSCK REPAIR TABLE %s.%s: %w", t.Database, t.Name, err)
	}
	found, skipped, dirs, err := scanPartitionFolders(ctx, fsys, t)
	if err != nil {
		return err
	}
	existing, err := ps.ListPartitions(ctx, t.Database, t.Name, nil)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, p := range existing {
		have[PartitionName(t.PartitionKeys, p.Values)] = true
	}
	var out []msckFinding
	if st.Mode == ddl.RepairAdd || st.Mode == ddl.RepairSync {
		now := time.Now().UTC()
		var add []catalog.Partition
		for _, rel := range sortedDiscovered(t.PartitionKeys, found) {
			d := found[rel]
			name := PartitionName(t.PartitionKeys, d.values)
			if have[name] {
				continue
			}
			have[name] = true
			add = append(add, catalog.Partition{Values: d.values, Location: d.location, Created: now})
			out = append(out, msckFinding{action: msckAdded, partition: name, path: d.location})
		}
		if len(add) > 0 {
			if err := ps.AddPartitions(ctx, t.Database, t.Name, add, true); err != nil {
				return err
			}
		}
	}
	if st.Mode == ddl.RepairDrop || st.Mode == ddl.RepairSync {
		base := strings.TrimRight(t.Location, "/")
		var drop [][]string
		for _, p := range existing {
			loc := strings.TrimRight(strings.TrimPrefix(p.Location, "file://"), "/")
			present := false
			if rel, ok := strings.CutPrefix(loc, base+"/"); ok {
				present = dirs[rel]
			} else {
				// A partition outside the table location: list it.
				files, lerr := fsys.List(ctx, p.Location)
				switch {
				case lerr == nil:
					present = len(files) > 0
				case errors.Is(lerr, fs.ErrNotExist):
				default:
					return fmt.Errorf("MSCK REPAIR TABLE %s.%s: cannot list partition location '%s': %w", t.Database, t.Name, p.Location, lerr)
				}
			}
			if !present {
				drop = append(drop, p.Values)
				out = append(out, msckFinding{action: msckRemoved, partition: PartitionName(t.PartitionKeys, p.Values), path: p.Location,
					reason: "no files at the partition location"})
			}
		}
		if len(drop) > 0 {
			if err := ps.DropPartitions(ctx, t.Database, t.Name, drop, true); err != nil {
				return err
			}
		}
	}
	out = append(out, skipped...)
	rows := make([][]any, len(out))
	for i, f := range out {
		rows[i] = []any{f.action, nullIfEmpty(f.partition), f.path, nullIfEmpty(f.reason)}
	}
	r.setStatic([]string{"action", "partition", "path", "reason"}, []arrow.DataType{strT, strT, strT, strT}, rows)
	return nil
}

// sortedDiscovered orders discovered folders by partition name.
func sortedDiscovered(keys []catalog.Column, m map[string]discovered) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		return PartitionName(keys, m[ks[i]].values) < PartitionName(keys, m[ks[j]].values)
	})
	return ks
}
