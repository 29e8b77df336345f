package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
)

// Table properties the crawler sets.
const (
	PropCrawler        = "crawler"        // "tarn": the table was made by the crawler
	PropClassification = "classification" // the detected format
	PropCompression    = "compressionType"
	PropCrawled        = "crawler.last_crawl"
)

// plan is what a crawl will write.
type plan struct {
	needDB  bool
	creates []*tableCreate
	updates []*tableUpdate
}

type tableCreate struct {
	table catalog.Table
	parts []catalog.Partition
	res   int // index in Summary.Tables
}

type tableUpdate struct {
	old     *catalog.Table
	replace *catalog.Table // nil: the schema is not replaced
	add     []catalog.Partition
	drop    [][]string
	res     int
}

// adopted is a table of an earlier crawl below the crawl location.
type adopted struct {
	t      *catalog.Table
	loc    string
	parts  map[string]catalog.Partition // by location
	files  []*fileResult
	folder map[string]bool // partition folders seen in the listing
}

// node is a folder of the crawled tree.
type node struct {
	name     string
	path     string
	depth    int
	children map[string]*node
	files    []*fileResult
	g        *group
}

func (c *crawl) plan(ctx context.Context, listed []connectors.FileInfo) (*plan, error) {
	p := &plan{}
	files := make([]*fileResult, 0, len(listed))
	single := len(listed) == 1 && listed[0].Path == c.root
	for _, fi := range listed {
		f := &fileResult{info: fi, rows: -1}
		rel, ok := relPath(c.root, fi.Path)
		if single {
			rel, ok = path.Base(fi.Path), true
		}
		if !ok {
			c.skip(f, "outside the crawl location")
			continue
		}
		f.rel = rel
		if i := strings.LastIndexByte(rel, '/'); i >= 0 {
			f.dirs = strings.Split(rel[:i], "/")
		}
		files = append(files, f)
		switch {
		case hiddenSegment(rel) != "":
			c.skip(f, "hidden file or folder ("+hiddenSegment(rel)+")")
		case strings.HasSuffix(rel, "$folder$"):
			c.skip(f, "folder marker")
		case fi.Size == 0:
			c.skip(f, "empty file")
		default:
			for _, g := range c.excludes {
				if g.match(rel) {
					c.skip(f, "excluded by pattern '"+g.text+"'")
					break
				}
			}
		}
	}

	// Tables of earlier crawls below the location keep their roots.
	existing, err := c.existingTables(ctx, p)
	if err != nil {
		return nil, err
	}
	var adopt []*adopted
	for i := range existing {
		t := &existing[i]
		if t.Props[PropCrawler] != "tarn" || t.Kind != catalog.KindExternal {
			continue
		}
		loc := rootPath(t.Location)
		if _, ok := relPath(c.root, loc); !ok && !single {
			continue
		}
		if single && loc != c.root {
			continue
		}
		a := &adopted{t: t, loc: loc, parts: map[string]catalog.Partition{}, folder: map[string]bool{}}
		if len(t.PartitionKeys) > 0 {
			if c.parts == nil {
				return nil, fmt.Errorf("crawl: table %s.%s is partitioned but the catalog store does not keep partitions", t.Database, t.Name)
			}
			ps, err := c.parts.ListPartitions(ctx, t.Database, t.Name, nil)
			if err != nil {
				return nil, fmt.Errorf("crawl: listing partitions of %s.%s: %w", t.Database, t.Name, err)
			}
			for _, pt := range ps {
				a.parts[rootPath(pt.Location)] = pt
			}
		}
		adopt = append(adopt, a)
	}
	// Longest location first, so nested tables win.
	sort.Slice(adopt, func(i, j int) bool { return len(adopt[i].loc) > len(adopt[j].loc) })

	var scan, fresh []*fileResult
	for _, f := range files {
		a := c.owner(adopt, f)
		if a != nil && f.skip == "" {
			c.assign(a, f)
		}
		if f.skip != "" {
			continue
		}
		if !f.registered {
			scan = append(scan, f)
		}
		if a == nil {
			fresh = append(fresh, f)
		}
	}
	// Partition folders that still hold files, for vanished partitions.
	for _, f := range files {
		if a := c.owner(adopt, f); a != nil && len(a.t.PartitionKeys) > 0 {
			if segs := tableSegs(a, f); len(segs) >= len(a.t.PartitionKeys) {
				a.folder[a.loc+"/"+strings.Join(segs[:len(a.t.PartitionKeys)], "/")] = true
			}
		}
	}

	if err := c.scanFiles(ctx, scan); err != nil {
		return nil, err
	}
	for _, f := range scan {
		if f.skip != "" {
			c.sum.Skipped = append(c.sum.Skipped, Skipped{Path: f.info.Path, Reason: f.skip})
		}
	}

	names := map[string]bool{}
	for _, t := range existing {
		names[t.Name] = true
	}
	for _, a := range adopt {
		if err := c.planUpdate(p, a); err != nil {
			return nil, err
		}
	}
	if err := c.planNew(p, fresh, single, names); err != nil {
		return nil, err
	}
	c.sortSkipped()
	return p, nil
}

// existingTables lists the target database's tables (none when the
// database does not exist yet: it will be created).
func (c *crawl) existingTables(ctx context.Context, p *plan) ([]catalog.Table, error) {
	if _, err := c.store.GetDatabase(ctx, c.opts.Database); err != nil {
		if errors.Is(err, catalog.ErrNotFound) {
			p.needDB = true
			return nil, nil
		}
		return nil, fmt.Errorf("crawl: database %s: %w", c.opts.Database, err)
	}
	ts, err := c.store.ListTables(ctx, c.opts.Database)
	if err != nil {
		return nil, fmt.Errorf("crawl: listing tables of %s: %w", c.opts.Database, err)
	}
	return ts, nil
}

// owner returns the adopted table whose location holds f.
func (c *crawl) owner(adopt []*adopted, f *fileResult) *adopted {
	for _, a := range adopt {
		if _, ok := relPath(a.loc, f.info.Path); ok {
			return a
		}
	}
	return nil
}

// tableSegs are f's folders below the table location.
func tableSegs(a *adopted, f *fileResult) []string {
	rel, _ := relPath(a.loc, f.info.Path)
	i := strings.LastIndexByte(rel, '/')
	if i < 0 {
		return nil
	}
	return strings.Split(rel[:i], "/")
}

// assign attaches a file to an adopted table; in incremental mode files
// of registered partitions (or of unpartitioned tables) are not read.
func (c *crawl) assign(a *adopted, f *fileResult) {
	d := len(a.t.PartitionKeys)
	if d == 0 {
		f.registered = c.opts.Mode == ModeIncremental
		a.files = append(a.files, f)
		return
	}
	segs := tableSegs(a, f)
	if len(segs) != d {
		c.skip(f, fmt.Sprintf("not at the partition depth of table %s (%d folders: %s)", a.t.Name, d, keyNames(a.t.PartitionKeys)))
		return
	}
	if _, ok := a.parts[a.loc+"/"+strings.Join(segs, "/")]; ok && c.opts.Mode == ModeIncremental {
		f.registered = true
	}
	a.files = append(a.files, f)
}

func keyNames(keys []catalog.Column) string {
	n := make([]string, len(keys))
	for i, k := range keys {
		n[i] = k.Name
	}
	return strings.Join(n, "/")
}

// planNew finds the table roots among files no crawled table owns.
func (c *crawl) planNew(p *plan, fresh []*fileResult, single bool, names map[string]bool) error {
	var ok []*fileResult
	for _, f := range fresh {
		if f.skip == "" {
			ok = append(ok, f)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	if single {
		f := ok[0]
		return c.createTable(p, names, stem(f.info.Path), f.info.Path, fileGroup(f, c.opts.Header), ok, 0)
	}
	root := &node{name: path.Base(c.root), path: c.root, children: map[string]*node{}}
	for _, f := range ok {
		n := root
		for _, d := range f.dirs {
			ch := n.children[d]
			if ch == nil {
				ch = &node{name: d, path: n.path + "/" + d, depth: n.depth + 1, children: map[string]*node{}}
				n.children[d] = ch
			}
			n = ch
		}
		n.files = append(n.files, f)
	}
	c.groupOf(root)
	return c.findTables(p, names, root, true)
}

// groupOf computes the groups of a subtree, bottom up.
func (c *crawl) groupOf(n *node) *group {
	var g *group
	for _, f := range n.files {
		fg := fileGroup(f, c.opts.Header)
		fg.check()
		if g == nil {
			g = fg
		} else {
			g = mergeGroups(g, fg)
		}
	}
	for _, name := range sortedKeys(n.children) {
		cg := c.groupOf(n.children[name]).lift()
		if g == nil {
			g = cg
		} else {
			g = mergeGroups(g, cg)
		}
	}
	n.g = g
	return g
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// findTables walks the tree top down: the first folder whose files form
// one dataset is a table root. The crawl location itself is a table only
// when it holds files directly or its folders look like partitions
// (key=value or values such as 2024, 06, 2024-06-01); otherwise each of
// its folders is crawled as a table of its own. Files directly in a
// folder that is not one dataset become one table each.
func (c *crawl) findTables(p *plan, names map[string]bool, n *node, isRoot bool) error {
	if n.g == nil {
		return nil
	}
	if n.g.bad == "" && (!isRoot || rootIsTable(n)) {
		files := collect(n, nil)
		return c.createTable(p, names, n.name, n.path, n.g, files, n.depth)
	}
	for _, f := range n.files {
		g := fileGroup(f, c.opts.Header)
		if g.check(); g.bad != "" {
			c.skip(f, g.bad)
			continue
		}
		if err := c.createTable(p, names, stem(f.info.Path), f.info.Path, g, []*fileResult{f}, len(f.dirs)); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(n.children) {
		if err := c.findTables(p, names, n.children[name], false); err != nil {
			return err
		}
	}
	return nil
}

func rootIsTable(n *node) bool {
	if len(n.files) > 0 {
		return true
	}
	for name := range n.children {
		if name == "" || !strings.Contains(name, "=") && !(name[0] >= '0' && name[0] <= '9') {
			return false
		}
	}
	return true
}

func collect(n *node, out []*fileResult) []*fileResult {
	out = append(out, n.files...)
	for _, name := range sortedKeys(n.children) {
		out = collect(n.children[name], out)
	}
	return out
}

// stem is a file's name without its extensions ("a.csv.gz" -> "a").
func stem(p string) string {
	b := path.Base(p)
	if i := strings.IndexByte(b, '.'); i > 0 {
		b = b[:i]
	}
	return b
}

// uniqueName sanitises a name and makes it unique in the database.
func uniqueName(names map[string]bool, raw string) string {
	base := SanitizeName(raw)
	if base == "" {
		base = "table"
	}
	name := base
	for k := 2; names[name]; k++ {
		name = base + "_" + strconv.Itoa(k)
	}
	names[name] = true
	return name
}

// partitionKey describes one partition folder level.
type partitionKey struct {
	name string
	kv   bool // key=value folders
}

// levelKeys names the partition levels of files at depth d below base.
func levelKeys(files []*fileResult, base, d int) []partitionKey {
	keys := make([]partitionKey, d)
	used := map[string]bool{}
	for i := 0; i < d; i++ {
		key, kv := "", true
		for _, f := range files {
			seg := f.dirs[base+i]
			j := strings.IndexByte(seg, '=')
			if j <= 0 {
				kv = false
				break
			}
			k := strings.ToLower(seg[:j])
			if key == "" {
				key = k
			} else if key != k {
				kv = false
				break
			}
		}
		name := "partition_" + strconv.Itoa(i)
		if kv {
			if s := SanitizeName(unescapeHive(key)); s != "" {
				name = s
			}
		}
		for k := 2; used[name]; k++ {
			name = "partition_" + strconv.Itoa(i) + "_" + strconv.Itoa(k)
		}
		used[name] = true
		keys[i] = partitionKey{name: name, kv: kv}
	}
	return keys
}

// unescapeHive decodes Hive's %XX escapes in partition folder names.
func unescapeHive(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

// partValue is the value of a partition folder segment.
func partValue(seg string, kv bool) string {
	if kv {
		return unescapeHive(seg[strings.IndexByte(seg, '=')+1:])
	}
	return seg
}

// createTable plans a new table over files (all below loc, whose
// folder is at depth base of the crawl tree).
func (c *crawl) createTable(p *plan, names map[string]bool, rawName, loc string, g *group, files []*fileResult, base int) error {
	name := uniqueName(names, rawName)
	res := TableResult{Table: c.opts.Database + "." + name, Action: "created", Location: loc, Format: g.format, Files: len(files)}
	d := 0
	if g.minD == g.maxD {
		d = g.minD
	} else {
		res.Notes = append(res.Notes, fmt.Sprintf("files lie %d to %d folders deep: the table is not partitioned", g.minD, g.maxD))
	}
	keys := levelKeys(files, base, d)
	cols := g.schema()
	var keyCols []catalog.Column
	for _, k := range keys {
		keyCols = append(keyCols, catalog.Column{Name: k.name, Type: "VARCHAR"})
		res.PartitionKeys = append(res.PartitionKeys, k.name)
		for i, col := range cols {
			if strings.EqualFold(col.Name, k.name) {
				cols = append(cols[:i:i], cols[i+1:]...)
				res.Notes = append(res.Notes, fmt.Sprintf("column %s is also a partition key: its value comes from the folder names", k.name))
				break
			}
		}
	}
	t := catalog.Table{
		Database: c.opts.Database, Name: name, Kind: catalog.KindExternal, Location: loc,
		Format: g.format, PartitionKeys: keyCols,
		Props: map[string]string{PropCrawler: "tarn", PropClassification: g.format, PropCrawled: time.Now().UTC().Format(time.RFC3339)},
	}
	for _, col := range cols {
		t.Columns = append(t.Columns, catalog.Column{Name: col.Name, Type: catalogType(col, &res)})
	}
	if g.codec != "" {
		t.Props[PropCompression] = g.codec
	}
	if g.format == FormatCSV {
		t.SerDeProps = map[string]string{}
		if g.delim != ',' {
			t.SerDeProps["field.delim"] = string(g.delim)
		}
		if g.header() {
			t.SerDeProps["skip.header.line.count"] = "1"
		}
		if len(t.SerDeProps) == 0 {
			t.SerDeProps = nil
		}
	}
	res.Columns = len(t.Columns)
	t.Stats = statsOf(files)
	tc := &tableCreate{table: t}
	if d > 0 {
		if c.parts == nil {
			return fmt.Errorf("crawl: table %s at %s is partitioned but the catalog store does not keep partitions", name, loc)
		}
		byFolder := map[string][]*fileResult{}
		for _, f := range files {
			k := strings.Join(f.dirs[base:base+d], "/")
			byFolder[k] = append(byFolder[k], f)
		}
		for _, k := range sortedKeys(byFolder) {
			segs := strings.Split(k, "/")
			vals := make([]string, d)
			for i := range vals {
				vals[i] = partValue(segs[i], keys[i].kv)
			}
			tc.parts = append(tc.parts, catalog.Partition{Values: vals, Location: loc + "/" + k, Stats: statsOf(byFolder[k])})
		}
		res.PartitionsAdded = len(tc.parts)
	}
	res.Notes = append(res.Notes, c.unreadNotes(loc, d)...)
	tc.res = len(c.sum.Tables)
	c.sum.Tables = append(c.sum.Tables, res)
	p.creates = append(p.creates, tc)
	return nil
}

// unreadNotes warns about files below an unpartitioned table's location
// that the crawl skipped: queries read every file below the location.
func (c *crawl) unreadNotes(loc string, depth int) []string {
	if depth > 0 {
		return nil
	}
	n := 0
	for _, s := range c.sum.Skipped {
		if _, ok := relPath(loc, s.Path); ok && !strings.HasPrefix(s.Reason, "hidden") && s.Reason != "empty file" {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%d skipped files lie below the location; queries read every file there", n)}
}

// statsOf sums file counts, bytes and (when every file knows it) rows.
func statsOf(files []*fileResult) *catalog.TableStats {
	st := &catalog.TableStats{Rows: 0}
	for _, f := range files {
		st.Files++
		st.Bytes += f.info.Size
		if st.Rows >= 0 {
			if f.rows < 0 {
				st.Rows = -1
			} else {
				st.Rows += f.rows
			}
		}
	}
	return st
}

// complexTypes reports whether the catalog's type parser takes Hive
// complex types (ARRAY<..>, STRUCT<..>, MAP<..>).
var complexTypes = func() bool {
	_, err := types.Parse("ARRAY<INT>")
	return err == nil
}()

// catalogType is the catalog type text of an inferred column. Complex
// types print as STRUCT<..>/ARRAY<..>/MAP<..> when the catalog's type
// parser takes them; otherwise the column is VARCHAR (readers return
// the value's JSON text) and res, when set, gets a note.
func catalogType(col Column, res *TableResult) string {
	if col.Type.Kind == KindScalar || col.Type.Kind == KindNull || complexTypes {
		return col.Type.String()
	}
	if res != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("column %s holds %s values: typed VARCHAR (their JSON text) until tarn's catalog types take complex types", col.Name, col.Type))
	}
	return "VARCHAR"
}

// tableGroup rebuilds the group of an existing crawled table.
func tableGroup(t *catalog.Table) (*group, error) {
	g := &group{format: t.Format}
	cols := make([]Column, len(t.Columns))
	for i, c := range t.Columns {
		ty, err := ParseType(c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		cols[i] = Column{Name: c.Name, Type: ty}
	}
	if t.Format != FormatCSV {
		g.cols = cols
		return g, nil
	}
	g.delim = ','
	if d, ok := t.SerDeProps["field.delim"]; ok && len(d) == 1 {
		g.delim = d[0]
	}
	if n, _ := strconv.Atoi(t.SerDeProps["skip.header.line.count"]); n > 0 {
		g.need, g.hdr, g.hdrOK = true, cols, true
	} else {
		g.forbid, g.plain, g.plainOK, g.hdrWhy = true, cols, true, "the table has no header row"
	}
	return g, nil
}

// planUpdate re-crawls a table of an earlier crawl: schema changes, new
// partitions, and (full mode) partitions whose folders are gone.
func (c *crawl) planUpdate(p *plan, a *adopted) error {
	t := a.t
	qual := t.Database + "." + t.Name
	res := TableResult{Table: qual, Action: "unchanged", Location: t.Location, Format: t.Format, Columns: len(t.Columns)}
	for _, k := range t.PartitionKeys {
		res.PartitionKeys = append(res.PartitionKeys, k.Name)
	}
	cur, err := tableGroup(t)
	if err != nil {
		return fmt.Errorf("crawl: table %s: %w", qual, err)
	}
	up := &tableUpdate{old: t}
	d := len(t.PartitionKeys)
	newParts := map[string][]*fileResult{}
	for _, f := range a.files {
		if f.skip != "" {
			continue
		}
		res.Files++
		if f.registered {
			continue
		}
		fg := fileGroup(f, c.opts.Header)
		if fg.check(); fg.bad == "" {
			// The table's header setting votes like a file: a file
			// whose first row is data cannot join a table with a header
			// row, nor a file with a header a table without.
			fg = mergeGroups(cur, fg)
		}
		if fg.bad != "" {
			if c.opts.SchemaChange == SchemaFail {
				return fmt.Errorf("crawl: table %s: file %s does not fit the table: %s", qual, f.info.Path, fg.bad)
			}
			c.skip(f, fmt.Sprintf("does not fit table %s: %s", qual, fg.bad))
			res.Files--
			continue
		}
		cur = fg
		if d > 0 {
			segs := tableSegs(a, f)
			k := strings.Join(segs, "/")
			if _, ok := a.parts[a.loc+"/"+k]; !ok {
				newParts[k] = append(newParts[k], f)
			}
		}
	}
	// Schema changes: new columns and widened types (columns are never
	// dropped: older files may still hold them).
	newCols := cur.schema()
	for _, k := range t.PartitionKeys {
		for i, col := range newCols {
			if strings.EqualFold(col.Name, k.Name) {
				newCols = append(newCols[:i:i], newCols[i+1:]...)
				break
			}
		}
	}
	old := map[string]catalog.Column{}
	for _, col := range t.Columns {
		old[strings.ToLower(col.Name)] = col
	}
	var changes []string
	for _, col := range newCols {
		o, ok := old[strings.ToLower(col.Name)]
		switch {
		case !ok:
			changes = append(changes, fmt.Sprintf("column %s added (%s)", col.Name, catalogType(col, &res)))
		case !strings.EqualFold(o.Type, catalogType(col, nil)):
			changes = append(changes, fmt.Sprintf("column %s: %s -> %s", col.Name, o.Type, catalogType(col, nil)))
		}
	}
	if len(changes) > 0 {
		switch c.opts.SchemaChange {
		case SchemaFail:
			return fmt.Errorf("crawl: table %s: schema changed (%s) and the schema change policy is fail", qual, strings.Join(changes, "; "))
		case SchemaLog:
			res.Action = "schema change logged"
			for _, ch := range changes {
				res.Changes = append(res.Changes, ch+" (not applied)")
			}
		default:
			nt := *t
			nt.Columns = nil
			for _, col := range newCols {
				cc := catalog.Column{Name: col.Name, Type: catalogType(col, nil)}
				if o, ok := old[strings.ToLower(col.Name)]; ok {
					cc.Name, cc.Comment = o.Name, o.Comment
				}
				nt.Columns = append(nt.Columns, cc)
			}
			nt.Props = copyProps(t.Props)
			nt.Props[PropCrawled] = time.Now().UTC().Format(time.RFC3339)
			up.replace = &nt
			res.Action = "updated"
			res.Changes = changes
			res.Columns = len(nt.Columns)
		}
	}
	for _, k := range sortedKeys(newParts) {
		segs := strings.Split(k, "/")
		vals := make([]string, d)
		bad := ""
		for i := range vals {
			key := t.PartitionKeys[i].Name
			if j := strings.IndexByte(segs[i], '='); j > 0 && strings.EqualFold(SanitizeName(unescapeHive(segs[i][:j])), key) {
				vals[i] = partValue(segs[i], true)
			} else if strings.HasPrefix(key, "partition_") {
				vals[i] = segs[i]
			} else {
				bad = fmt.Sprintf("folder %s does not name partition key %s", segs[i], key)
				break
			}
		}
		if bad != "" {
			for _, f := range newParts[k] {
				c.skip(f, bad)
			}
			continue
		}
		up.add = append(up.add, catalog.Partition{Values: vals, Location: a.loc + "/" + k, Stats: statsOf(newParts[k])})
	}
	res.PartitionsAdded = len(up.add)
	if c.opts.Mode == ModeFull {
		for _, loc := range sortedKeys(a.parts) {
			if a.folder[loc] {
				continue
			}
			pt := a.parts[loc]
			if c.opts.DeleteBehavior == DeleteDelete {
				up.drop = append(up.drop, pt.Values)
			} else {
				res.Notes = append(res.Notes, fmt.Sprintf("partition (%s) at %s has no files any more (kept)", strings.Join(pt.Values, ", "), pt.Location))
			}
		}
		res.PartitionsRemoved = len(up.drop)
		if res.Files == 0 && len(a.files) == 0 {
			res.Notes = append(res.Notes, "no data files at the table location any more (table kept)")
		}
	}
	if res.Action == "unchanged" && (len(up.add) > 0 || len(up.drop) > 0) {
		res.Action = "updated"
	}
	up.res = len(c.sum.Tables)
	c.sum.Tables = append(c.sum.Tables, res)
	p.updates = append(p.updates, up)
	return nil
}

func copyProps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}

// partitionBatch is the number of partitions added per store call.
const partitionBatch = 1000

// apply writes the plan to the catalog.
func (c *crawl) apply(ctx context.Context, p *plan) error {
	c.progress(Progress{Phase: "writing", Done: c.sum.FilesScanned, Total: c.sum.FilesScanned})
	db := c.opts.Database
	if p.needDB && (len(p.creates) > 0 || len(p.updates) > 0) {
		if err := c.store.CreateDatabase(ctx, catalog.Database{Name: db, Created: time.Now().UTC()}, true); err != nil {
			return fmt.Errorf("crawl: creating database %s: %w", db, err)
		}
		c.sum.DatabaseCreated = true
	}
	add := func(table string, parts []catalog.Partition) error {
		for i := 0; i < len(parts); i += partitionBatch {
			if err := c.parts.AddPartitions(ctx, db, table, parts[i:min(i+partitionBatch, len(parts))], true); err != nil {
				return fmt.Errorf("crawl: adding partitions to %s.%s: %w", db, table, err)
			}
		}
		return nil
	}
	for _, tc := range p.creates {
		if err := c.store.CreateTable(ctx, tc.table, false); err != nil {
			return fmt.Errorf("crawl: creating table %s.%s: %w", db, tc.table.Name, err)
		}
		if err := add(tc.table.Name, tc.parts); err != nil {
			return err
		}
	}
	for _, up := range p.updates {
		if up.replace != nil {
			if err := c.store.ReplaceTable(ctx, *up.replace); err != nil {
				return fmt.Errorf("crawl: updating table %s.%s: %w", db, up.old.Name, err)
			}
		}
		if err := add(up.old.Name, up.add); err != nil {
			return err
		}
		if len(up.drop) > 0 {
			if err := c.parts.DropPartitions(ctx, db, up.old.Name, up.drop, true); err != nil {
				return fmt.Errorf("crawl: dropping partitions of %s.%s: %w", db, up.old.Name, err)
			}
		}
	}
	return nil
}
