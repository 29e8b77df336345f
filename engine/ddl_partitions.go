package engine

// Partition maintenance: ALTER TABLE ADD/DROP PARTITION, PARTITION ...
// SET LOCATION, ADD COLUMNS, SET TBLPROPERTIES/SERDEPROPERTIES/LOCATION
// and SHOW PARTITIONS. MSCK REPAIR TABLE is in ddl_msck.go, ANALYZE in
// ddl_analyze.go.

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/ddl"
)

// runPartitionDDL executes the statements of planner/ddl/alter.go; ok is
// false for other statements.
func (s *Session) runPartitionDDL(ctx context.Context, r *Result, st ddl.Statement) (bool, error) {
	switch st := st.(type) {
	case *ddl.AlterAddPartitions:
		return true, s.addPartitions(ctx, r, st)
	case *ddl.AlterDropPartitions:
		return true, s.dropPartitions(ctx, r, st)
	case *ddl.AlterAddColumns:
		return true, s.addColumns(ctx, st)
	case *ddl.AlterSetProps:
		return true, s.setProps(ctx, st)
	case *ddl.AlterSetLocation:
		return true, s.setLocation(ctx, st)
	case *ddl.ShowPartitions:
		return true, s.showPartitions(ctx, r, st)
	case *ddl.MsckRepair:
		return true, s.msckRepair(ctx, r, st)
	case *ddl.Analyze:
		return true, s.analyze(ctx, r, st)
	}
	return false, nil
}

// partitionStore returns the store's partition interface.
func (s *Session) partitionStore() (catalog.PartitionStore, error) {
	ps, ok := any(s.e.store).(catalog.PartitionStore)
	if !ok {
		return nil, newError(CodeNotSupported, "0A000", nil, "the catalog store does not keep partitions")
	}
	return ps, nil
}

// baseTable looks up a table that ALTER/MSCK/ANALYZE can change: not a
// view, not a system table.
func (s *Session) baseTable(ctx context.Context, n ddl.Name, stmt string) (*catalog.Table, error) {
	db, err := s.resolveDB(n)
	if err != nil {
		return nil, err
	}
	if db == SystemDatabase || db == InfoSchemaDatabase {
		return nil, newError(CodeOther, "HY000", nil, "%s: '%s.%s' is a system table and cannot be changed", stmt, db, catalog.Normalize(n.Name))
	}
	t, err := s.lookupTable(ctx, n)
	if err != nil {
		return nil, err
	}
	if t.Kind == catalog.KindView {
		return nil, newError(CodeWrongObject, "HY000", nil, "%s: '%s.%s' is a view, not a table", stmt, t.Database, t.Name)
	}
	return t, nil
}

// partitionedTable is baseTable for statements that need partition keys.
func (s *Session) partitionedTable(ctx context.Context, n ddl.Name, stmt string) (*catalog.Table, catalog.PartitionStore, error) {
	t, err := s.baseTable(ctx, n, stmt)
	if err != nil {
		return nil, nil, err
	}
	if len(t.PartitionKeys) == 0 {
		return nil, nil, newError(CodeOther, "HY000", nil, "%s: table %s.%s is not partitioned (it has no PARTITIONED BY keys)", stmt, t.Database, t.Name)
	}
	ps, err := s.partitionStore()
	if err != nil {
		return nil, nil, err
	}
	return t, ps, nil
}

// keyNames lists a table's partition key names.
func keyNames(t *catalog.Table) string {
	ns := make([]string, len(t.PartitionKeys))
	for i, k := range t.PartitionKeys {
		ns[i] = k.Name
	}
	return strings.Join(ns, ", ")
}

// specError is an error about a PARTITION (...) clause, with its position.
func specError(spec *ddl.PartitionSpec, format string, args ...any) error {
	return newError(CodeOther, "HY000", nil, "PARTITION at line %d, column %d: %s", spec.Line, spec.Col, fmt.Sprintf(format, args...))
}

// specValues maps a partition spec onto a table's keys. With full, the
// spec must name every key; otherwise missing keys (and keys given
// without a value) match anything. The result holds one entry per key:
// the value, or nil for "any". Values are checked against the key types.
func specValues(t *catalog.Table, spec *ddl.PartitionSpec, full bool) ([]*string, error) {
	out := make([]*string, len(t.PartitionKeys))
	for i, k := range spec.Keys {
		idx := -1
		for j, pk := range t.PartitionKeys {
			if strings.EqualFold(pk.Name, k) {
				idx = j
			}
		}
		if idx < 0 {
			return nil, specError(spec, "%s is not a partition key of %s.%s (partition keys: %s)", k, t.Database, t.Name, keyNames(t))
		}
		if !spec.HasValue[i] {
			continue
		}
		v := spec.Values[i]
		if err := checkPartitionValue(t.PartitionKeys[idx], v); err != nil {
			return nil, specError(spec, "%v", err)
		}
		out[idx] = &v
	}
	if full {
		var missing []string
		for i, v := range out {
			if v == nil {
				missing = append(missing, t.PartitionKeys[i].Name)
			}
		}
		if len(missing) > 0 {
			return nil, specError(spec, "the partition spec must give every partition key of %s.%s (%s); missing %s",
				t.Database, t.Name, keyNames(t), strings.Join(missing, ", "))
		}
	}
	return out, nil
}

// fullValues is specValues for a spec that names every key.
func fullValues(t *catalog.Table, spec *ddl.PartitionSpec) ([]string, error) {
	vs, err := specValues(t, spec, true)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = *v
	}
	return out, nil
}

// specMatcher returns a PartitionFilter accepting the partitions a
// (possibly partial) spec selects; nil selects all.
func specMatcher(want []*string) *catalog.PartitionFilter {
	any := false
	for _, v := range want {
		any = any || v != nil
	}
	if !any {
		return nil
	}
	f := &catalog.PartitionFilter{Match: func(values []string) bool {
		for i, w := range want {
			if w != nil && (i >= len(values) || values[i] != *w) {
				return false
			}
		}
		return true
	}}
	if want[0] != nil {
		f.Lo, f.Hi = want[0], want[0]
	}
	return f
}

// checkPartitionValue verifies that a partition value is valid text for
// the key's type.
func checkPartitionValue(k catalog.Column, v string) error {
	if v == catalog.HiveDefaultPartition {
		return nil
	}
	dt, err := types.Parse(k.Type)
	if err != nil {
		return fmt.Errorf("partition key %s: %v", k.Name, err)
	}
	bad := func() error {
		return fmt.Errorf("value '%s' of partition key %s is not a valid %s", v, k.Name, k.Type)
	}
	switch dt.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		bits := map[arrow.Type]int{arrow.INT8: 8, arrow.INT16: 16, arrow.INT32: 32, arrow.INT64: 64}[dt.ID()]
		if _, err := strconv.ParseInt(v, 10, bits); err != nil {
			return bad()
		}
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		if _, err := strconv.ParseUint(v, 10, 64); err != nil {
			return bad()
		}
	case arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL64, arrow.DECIMAL128:
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return bad()
		}
	case arrow.BOOL:
		if _, err := strconv.ParseBool(v); err != nil {
			return bad()
		}
	case arrow.DATE32:
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return bad()
		}
	case arrow.TIMESTAMP:
		ok := false
		for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
			if _, err := time.Parse(layout, v); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			return bad()
		}
	}
	return nil
}

// hiveEscape escapes a partition value for a folder name the way Hive
// does (FileUtils.escapePathName): control characters and
// "#%'*/:=?\\\x7F{[]^ become %XX.
func hiveEscape(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c < 0x20 || c == 0x7F || strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// hiveUnescape reverses hiveEscape; malformed escapes stay as written.
func hiveUnescape(v string) string {
	if !strings.Contains(v, "%") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '%' && i+2 < len(v) {
			if n, err := strconv.ParseUint(v[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// PartitionName renders partition values as Hive does in SHOW
// PARTITIONS and folder names: dt=2024-06-01/region=eu.
func PartitionName(keys []catalog.Column, values []string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := ""
		if i < len(values) {
			v = values[i]
		}
		parts[i] = hiveEscape(strings.ToLower(k.Name)) + "=" + hiveEscape(v)
	}
	return strings.Join(parts, "/")
}

// joinLocation appends a relative path to a table location (a local
// path or a URI).
func joinLocation(base, rel string) string {
	if strings.Contains(base, "://") {
		return strings.TrimRight(base, "/") + "/" + rel
	}
	return filepath.Join(base, filepath.FromSlash(rel))
}

// absLocation makes a local location absolute; URIs are kept.
func absLocation(loc string) (string, error) {
	if i := strings.Index(loc, "://"); i > 0 && !strings.HasPrefix(loc, "file://") {
		return loc, nil
	}
	abs, err := filepath.Abs(strings.TrimPrefix(loc, "file://"))
	if err != nil {
		return "", fmt.Errorf("location '%s': %v", loc, err)
	}
	return abs, nil
}

func (s *Session) addPartitions(ctx context.Context, r *Result, st *ddl.AlterAddPartitions) error {
	t, ps, err := s.partitionedTable(ctx, st.Table, "ALTER TABLE ADD PARTITION")
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	parts := make([]catalog.Partition, 0, len(st.Parts))
	seen := map[string]bool{}
	for i := range st.Parts {
		d := &st.Parts[i]
		vals, err := fullValues(t, &d.Spec)
		if err != nil {
			return err
		}
		name := PartitionName(t.PartitionKeys, vals)
		if seen[name] {
			return specError(&d.Spec, "partition %s is listed twice", name)
		}
		seen[name] = true
		loc := d.Location
		if loc == "" {
			loc = joinLocation(t.Location, name)
		} else if loc, err = absLocation(loc); err != nil {
			return specError(&d.Spec, "%v", err)
		}
		parts = append(parts, catalog.Partition{Values: vals, Location: loc, Created: now})
	}
	if err := ps.AddPartitions(ctx, t.Database, t.Name, parts, st.IfNotExists); err != nil {
		if errors.Is(err, catalog.ErrExists) {
			return newError(CodeOther, "HY000", err, "ALTER TABLE %s.%s ADD PARTITION: %v (use ADD IF NOT EXISTS to skip existing partitions)", t.Database, t.Name, err)
		}
		return catalogError(err, "table", t.Database+"."+t.Name)
	}
	return nil
}

func (s *Session) dropPartitions(ctx context.Context, r *Result, st *ddl.AlterDropPartitions) error {
	t, ps, err := s.partitionedTable(ctx, st.Table, "ALTER TABLE DROP PARTITION")
	if err != nil {
		return err
	}
	var values [][]string
	seen := map[string]bool{}
	for i := range st.Specs {
		spec := &st.Specs[i]
		want, err := specValues(t, spec, false)
		if err != nil {
			return err
		}
		full := true
		for _, v := range want {
			full = full && v != nil
		}
		if full {
			vals := make([]string, len(want))
			for j, v := range want {
				vals[j] = *v
			}
			if n := PartitionName(t.PartitionKeys, vals); !seen[n] {
				seen[n] = true
				values = append(values, vals)
			}
			continue
		}
		// A partial spec drops every partition it matches (as Hive does).
		matched, err := ps.ListPartitions(ctx, t.Database, t.Name, specMatcher(want))
		if err != nil {
			return err
		}
		if len(matched) == 0 && !st.IfExists {
			return specError(spec, "no partition of %s.%s matches", t.Database, t.Name)
		}
		for _, p := range matched {
			if n := PartitionName(t.PartitionKeys, p.Values); !seen[n] {
				seen[n] = true
				values = append(values, p.Values)
			}
		}
	}
	if len(values) == 0 {
		return nil
	}
	if err := ps.DropPartitions(ctx, t.Database, t.Name, values, st.IfExists); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			return newError(CodeOther, "HY000", err, "ALTER TABLE %s.%s DROP PARTITION: %v (use DROP IF EXISTS to ignore missing partitions)", t.Database, t.Name, err)
		}
		return err
	}
	return nil
}

func (s *Session) addColumns(ctx context.Context, st *ddl.AlterAddColumns) error {
	t, err := s.baseTable(ctx, st.Table, "ALTER TABLE ADD COLUMNS")
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, c := range t.Columns {
		have[strings.ToLower(c.Name)] = true
	}
	for _, c := range t.PartitionKeys {
		have[strings.ToLower(c.Name)] = true
	}
	nt := *t
	nt.Columns = append([]catalog.Column(nil), t.Columns...)
	for _, c := range st.Columns {
		if have[strings.ToLower(c.Name)] {
			return newError(CodeOther, "42S21", nil, "ALTER TABLE %s.%s ADD COLUMNS: column %s at line %d, column %d already exists", t.Database, t.Name, c.Name, c.Line, c.Col)
		}
		if c.Complex {
			if err := checkNestedColumn(fmt.Sprintf("ALTER TABLE %s.%s ADD COLUMNS: column %s at line %d, column %d", t.Database, t.Name, c.Name, c.Line, c.Col), c.Type); err != nil {
				return err
			}
		}
		nt.Columns = append(nt.Columns, catalog.Column{Name: c.Name, Type: c.Type, Comment: c.Comment})
	}
	// Column statistics stay valid; the new columns have none.
	return catalogError(s.e.store.ReplaceTable(ctx, nt), "table", t.Database+"."+t.Name)
}

func (s *Session) setProps(ctx context.Context, st *ddl.AlterSetProps) error {
	t, err := s.baseTable(ctx, st.Table, "ALTER TABLE SET PROPERTIES")
	if err != nil {
		return err
	}
	nt := *t
	if st.SerDe {
		nt.SerDeProps = maps.Clone(t.SerDeProps)
		if nt.SerDeProps == nil {
			nt.SerDeProps = map[string]string{}
		}
		maps.Copy(nt.SerDeProps, st.Props)
	} else {
		nt.Props = maps.Clone(t.Props)
		if nt.Props == nil {
			nt.Props = map[string]string{}
		}
		maps.Copy(nt.Props, st.Props)
	}
	if _, err := openTable(&nt); err != nil {
		return err
	}
	return catalogError(s.e.store.ReplaceTable(ctx, nt), "table", t.Database+"."+t.Name)
}

func (s *Session) setLocation(ctx context.Context, st *ddl.AlterSetLocation) error {
	if st.Partition == nil {
		t, err := s.baseTable(ctx, st.Table, "ALTER TABLE SET LOCATION")
		if err != nil {
			return err
		}
		loc, err := checkLocation(st.Location)
		if err != nil {
			return newError(CodeOther, "HY000", err, "ALTER TABLE %s.%s SET LOCATION: %v", t.Database, t.Name, err)
		}
		nt := *t
		nt.Location = loc
		return catalogError(s.e.store.ReplaceTable(ctx, nt), "table", t.Database+"."+t.Name)
	}
	t, ps, err := s.partitionedTable(ctx, st.Table, "ALTER TABLE PARTITION SET LOCATION")
	if err != nil {
		return err
	}
	vals, err := fullValues(t, st.Partition)
	if err != nil {
		return err
	}
	loc, err := absLocation(st.Location)
	if err != nil {
		return specError(st.Partition, "%v", err)
	}
	name := PartitionName(t.PartitionKeys, vals)
	want := make([]*string, len(vals))
	for i := range vals {
		want[i] = &vals[i]
	}
	old, err := ps.ListPartitions(ctx, t.Database, t.Name, specMatcher(want))
	if err != nil {
		return err
	}
	if len(old) != 1 {
		return specError(st.Partition, "partition %s of %s.%s doesn't exist", name, t.Database, t.Name)
	}
	np := old[0]
	np.Location = loc
	// The PartitionStore has no in-place update: drop and re-add, and
	// put the old partition back if the add fails.
	if err := ps.DropPartitions(ctx, t.Database, t.Name, [][]string{vals}, false); err != nil {
		return err
	}
	if err := ps.AddPartitions(ctx, t.Database, t.Name, []catalog.Partition{np}, false); err != nil {
		if rerr := ps.AddPartitions(ctx, t.Database, t.Name, old, true); rerr != nil {
			return fmt.Errorf("ALTER TABLE %s.%s PARTITION (%s) SET LOCATION: %v; restoring the old partition also failed: %v", t.Database, t.Name, name, err, rerr)
		}
		return err
	}
	return nil
}

func (s *Session) showPartitions(ctx context.Context, r *Result, st *ddl.ShowPartitions) error {
	t, ps, err := s.partitionedTable(ctx, st.Table, "SHOW PARTITIONS")
	if err != nil {
		return err
	}
	var f *catalog.PartitionFilter
	if st.Partition != nil {
		want, err := specValues(t, st.Partition, false)
		if err != nil {
			return err
		}
		f = specMatcher(want)
	}
	parts, err := ps.ListPartitions(ctx, t.Database, t.Name, f)
	if err != nil {
		return err
	}
	rows := make([][]any, len(parts))
	for i, p := range parts {
		rows[i] = []any{PartitionName(t.PartitionKeys, p.Values)}
	}
	r.setStatic([]string{"partition"}, []arrow.DataType{strT}, rows)
	return nil
}
