package parquet

// Nested columns: structs, lists and maps of any depth.
//
// A nested column is read leaf by leaf. For each batch of n top-level
// rows every leaf first scans its repetition and definition levels
// (decoded once per page by parquet-go) up to the start of row n+1, then
// decodes the values of its "slots" (the entries that exist at the
// leaf's own nesting level) with the flat column machinery of reader.go:
// the page's definition levels are filtered to the slots once per page,
// so dictionary pages, decimals, timestamps and strings convert exactly
// as for flat columns. The Arrow structure (struct validity, list and map
// offsets) is then built from the levels of the first leaf under each
// node: an entry (r, d) opens a new slot of a node iff r <= the node's
// slot repetition level and d >= its slot definition level, and the slot
// is non-NULL iff d reaches the node's own definition level.
//
// The schema follows parquet-format's LogicalTypes.md, including its
// backward-compatibility rules: LIST groups in the standard 3-level form
// and the legacy 2-level forms (a repeated primitive or a repeated group
// with several fields, or one named "array" or "<list>_tuple", is the
// element), MAP and MAP_KEY_VALUE groups, and repeated fields without
// annotation (a required list of required elements).
//
// Page skipping (offset indexes) is off for a scan that reads a nested
// column: a repeated leaf's pages start at entries, not at the rows a
// flat column's offset index names, and a row may span pages. Row groups
// are still pruned. Corrupt levels (beyond the column's maximum, a batch
// not starting at repetition level 0, leaves that disagree on the
// structure) are errors naming the file, column path and chunk offset.

import (
	"encoding/binary"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/catalog/types"
)

// maxNestDepth bounds the schema depth (levels are bytes, and a corrupt
// schema must not recurse without end).
const maxNestDepth = 100

// levels are cumulative (definition, repetition) levels.
type levels struct{ def, rep int }

type annot uint8

const (
	aNone  annot = iota
	aList        // LIST
	aMap         // MAP
	aMapKV       // legacy MAP_KEY_VALUE
)

// pnode is one element of a nested column's Parquet schema.
type pnode struct {
	name     string
	rep      format.FieldRepetitionType
	ann      annot
	children []*pnode
	leaf     *fileColumn // primitives only
	lv       levels      // including this node
}

func (n *pnode) isLeaf() bool { return n.leaf != nil }

// parseTree parses the schema element at *pos and its subtree.
func parseTree(elems []format.SchemaElement, pos, leaf *int, parent levels, depth int) (*pnode, error) {
	if depth > maxNestDepth {
		return nil, fmt.Errorf("schema nests deeper than %d levels", maxNestDepth)
	}
	if *pos >= len(elems) {
		return nil, fmt.Errorf("schema truncated: element %d is missing", *pos)
	}
	e := &elems[*pos]
	*pos++
	n := &pnode{name: e.Name, rep: format.Optional, lv: parent}
	if e.RepetitionType.Valid {
		n.rep = e.RepetitionType.V
	}
	if n.rep != format.Required {
		n.lv.def++
	}
	if n.rep == format.Repeated {
		n.lv.rep++
	}
	switch e.LogicalType.Value.(type) {
	case *format.ListType:
		n.ann = aList
	case *format.MapType:
		n.ann = aMap
	}
	if n.ann == aNone && e.ConvertedType.Valid {
		switch e.ConvertedType.V {
		case deprecated.List:
			n.ann = aList
		case deprecated.Map:
			n.ann = aMap
		case deprecated.MapKeyValue:
			n.ann = aMapKV
		}
	}
	isGroup := e.NumChildren.Valid && e.NumChildren.V > 0 || !e.Type.Valid
	if !isGroup {
		fc := &fileColumn{name: e.Name, leaf: *leaf, optional: n.rep == format.Optional}
		*leaf++
		describeLeaf(e, fc)
		n.leaf = fc
		return n, nil
	}
	nc := 0
	if e.NumChildren.Valid {
		nc = int(e.NumChildren.V)
	}
	if nc > len(elems)-*pos {
		return nil, fmt.Errorf("group %q declares %d children but the schema has %d elements left", e.Name, nc, len(elems)-*pos)
	}
	n.children = make([]*pnode, 0, nc)
	for i := 0; i < nc; i++ {
		c, err := parseTree(elems, pos, leaf, n.lv, depth+1)
		if err != nil {
			return nil, err
		}
		n.children = append(n.children, c)
	}
	return n, nil
}

// firstLeaf returns the first primitive under n.
func (n *pnode) firstLeaf() *pnode {
	for !n.isLeaf() {
		if len(n.children) == 0 {
			return nil
		}
		n = n.children[0]
	}
	return n
}

// leaves appends the column chunk indexes of all primitives under n.
func (n *pnode) leaves(out []int) []int {
	if n.isLeaf() {
		return append(out, n.leaf.leaf)
	}
	for _, c := range n.children {
		out = c.leaves(out)
	}
	return out
}

// listElem applies the LIST rules to the repeated child of a LIST
// group: it returns the element node and whether the repeated node
// itself is the element.
func (n *pnode) listElem() (rep, elem *pnode, self bool, err error) {
	if len(n.children) != 1 || n.children[0].rep != format.Repeated {
		return nil, nil, false, fmt.Errorf("LIST group %q must have exactly one repeated child", n.name)
	}
	r := n.children[0]
	if r.isLeaf() || len(r.children) > 1 || r.name == "array" || r.name == n.name+"_tuple" {
		return r, r, true, nil
	}
	if len(r.children) == 0 {
		return nil, nil, false, fmt.Errorf("LIST group %q: repeated group %q has no fields", n.name, r.name)
	}
	return r, r.children[0], false, nil
}

// mapKV returns the repeated key/value group of a MAP group and its key
// and value nodes.
func (n *pnode) mapKV() (kv, key, val *pnode, err error) {
	if len(n.children) != 1 || n.children[0].rep != format.Repeated || n.children[0].isLeaf() {
		return nil, nil, nil, fmt.Errorf("MAP group %q must have exactly one repeated group child", n.name)
	}
	kv = n.children[0]
	if len(kv.children) != 2 {
		return nil, nil, nil, fmt.Errorf("MAP group %q: key/value group %q has %d fields, want 2 (key, value)", n.name, kv.name, len(kv.children))
	}
	return kv, kv.children[0], kv.children[1], nil
}

// isMap reports whether n is read as a MAP (a MAP_KEY_VALUE annotation on
// the repeated group itself is read as a list of structs).
func (n *pnode) isMap() bool {
	return !n.isLeaf() && (n.ann == aMap || n.ann == aMapKV && n.rep != format.Repeated)
}

func (n *pnode) isList() bool { return !n.isLeaf() && n.ann == aList && n.rep != format.Repeated }

// inferType is the tarn type of n as a field: a repeated field is a
// list of its values.
func (n *pnode) inferType() (arrow.DataType, error) {
	if n.rep == format.Repeated {
		t, err := n.valueType()
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(t), nil
	}
	return n.valueType()
}

// valueType is the type of n's values, ignoring its own repetition.
func (n *pnode) valueType() (arrow.DataType, error) {
	switch {
	case n.isLeaf():
		return n.leaf.arrowType()
	case n.isList():
		r, e, self, err := n.listElem()
		if err != nil {
			return nil, err
		}
		var t arrow.DataType
		if self {
			t, err = r.valueType()
		} else {
			t, err = e.inferType()
		}
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(t), nil
	case n.isMap():
		_, k, v, err := n.mapKV()
		if err != nil {
			return nil, err
		}
		if !k.isLeaf() {
			return nil, fmt.Errorf("MAP group %q: keys must be primitive", n.name)
		}
		kt, err := k.valueType()
		if err != nil {
			return nil, err
		}
		vt, err := v.inferType()
		if err != nil {
			return nil, err
		}
		return arrow.MapOf(kt, vt), nil
	}
	if len(n.children) == 0 {
		return nil, fmt.Errorf("group %q has no fields", n.name)
	}
	fields := make([]arrow.Field, 0, len(n.children))
	seen := map[string]bool{}
	for _, c := range n.children {
		lower := strings.ToLower(c.name)
		if seen[lower] {
			continue // the reader matches the first one too
		}
		seen[lower] = true
		t, err := c.inferType()
		if err != nil {
			return nil, err
		}
		fields = append(fields, arrow.Field{Name: c.name, Type: t, Nullable: true})
	}
	return arrow.StructOf(fields...), nil
}

// describe names n's file type in errors.
func (n *pnode) describe() string {
	if t, err := n.inferType(); err == nil {
		return types.SQLName(t)
	}
	switch {
	case n.isLeaf():
		return n.leaf.describe()
	case n.rep == format.Repeated:
		return "repeated group"
	case n.isList():
		return "LIST group"
	case n.isMap():
		return "MAP group"
	}
	return "group"
}

// Assembly plan.

type akind uint8

const (
	kLeaf akind = iota
	kStruct
	kList // LIST and MAP (a list of key/value structs)
	kNull // a struct field missing from the file
)

// anode builds one Arrow array of a nested column.
type anode struct {
	kind akind
	dt   arrow.DataType
	path string
	// An entry (r, d) opens a slot iff r <= repSlot && d >= defSlot; the
	// slot is non-NULL iff d >= defValid.
	repSlot, defSlot, defValid int
	elem                       *anode   // kList
	fields                     []*anode // kStruct
	leaf                       int      // kLeaf: index in nestCol.leaves
	first                      int      // leaf whose levels give the structure
	mapKeys                    bool     // kList of a MAP: keys must not be NULL
}

// nestCol reads one nested output column.
type nestCol struct {
	root   *anode
	leaves []*colReader
}

// leafLevels is the level state of one leaf of a nested column.
type leafLevels struct {
	maxRep, maxDef, defSlot int
	levelsOnly              bool      // read for the structure only: no values
	queue                   []*lvPage // pages whose values are not read yet
	cur                     *lvPage   // page being scanned for levels
	pos                     int
	reps, defs              []byte // levels of the current batch
	slots                   int    // leaf slots in the current batch
	zeros                   []byte
}

// lvPage is one data page of a leaf with its levels.
type lvPage struct {
	page       pq.Page
	reps, defs []byte
	slots      int    // entries that are slots of the leaf
	slotDefs   []byte // their definition levels (nil when all are values)
}

// nestPlanner builds the assembly plan of one column.
type nestPlanner struct {
	col    string
	leaves []*colReader
}

func (p *nestPlanner) mismatch(n *pnode, dt arrow.DataType, path string) error {
	return fmt.Errorf("at %s: the table type %s does not match the file type %s", path, types.SQLName(dt), n.describe())
}

// field plans node n as a field whose slot is slot.
func (p *nestPlanner) field(n *pnode, dt arrow.DataType, slot levels, path string) (*anode, error) {
	if n.rep == format.Repeated {
		// A repeated field without LIST annotation: a required list of
		// required elements.
		if dt.ID() != arrow.LIST {
			return nil, p.mismatch(n, dt, path)
		}
		before := len(p.leaves)
		elem, err := p.value(n, dt.(*arrow.ListType).Elem(), n.lv, n.lv.def, path+"[]")
		if err != nil {
			return nil, err
		}
		return &anode{kind: kList, dt: dt, path: path, repSlot: slot.rep, defSlot: slot.def, defValid: n.lv.def - 1, elem: elem, first: before}, nil
	}
	return p.value(n, dt, slot, n.lv.def, path)
}

// value plans node n, ignoring its own repetition.
func (p *nestPlanner) value(n *pnode, dt arrow.DataType, slot levels, valid int, path string) (*anode, error) {
	before := len(p.leaves)
	nd := &anode{dt: dt, path: path, repSlot: slot.rep, defSlot: slot.def, defValid: valid, first: before}
	switch {
	case n.isLeaf():
		if types.IsNested(dt) {
			return nil, p.mismatch(n, dt, path)
		}
		cv, err := planConv(n.leaf, dt)
		if err != nil {
			return nil, fmt.Errorf("at %s: %v", path, err)
		}
		nd.kind, nd.leaf = kLeaf, len(p.leaves)
		p.addLeaf(n, dt, cv, slot.def, false, path)
		return nd, nil
	case n.isList():
		if dt.ID() != arrow.LIST {
			return nil, p.mismatch(n, dt, path)
		}
		r, e, self, err := n.listElem()
		if err != nil {
			return nil, fmt.Errorf("at %s: %v", path, err)
		}
		et := dt.(*arrow.ListType).Elem()
		if self {
			nd.elem, err = p.value(r, et, r.lv, r.lv.def, path+"[]")
		} else {
			nd.elem, err = p.field(e, et, r.lv, path+"[]")
		}
		if err != nil {
			return nil, err
		}
		nd.kind = kList
		return nd, nil
	case n.isMap():
		if dt.ID() != arrow.MAP {
			return nil, p.mismatch(n, dt, path)
		}
		mt := dt.(*arrow.MapType)
		kv, k, v, err := n.mapKV()
		if err != nil {
			return nil, fmt.Errorf("at %s: %v", path, err)
		}
		ent := &anode{kind: kStruct, dt: mt.Elem(), path: path + ".entries", repSlot: kv.lv.rep, defSlot: kv.lv.def, defValid: kv.lv.def, first: before}
		kn, err := p.field(k, mt.KeyType(), kv.lv, path+".key")
		if err != nil {
			return nil, err
		}
		vn, err := p.field(v, mt.ItemType(), kv.lv, path+".value")
		if err != nil {
			return nil, err
		}
		ent.fields = []*anode{kn, vn}
		nd.kind, nd.elem, nd.mapKeys = kList, ent, true
		return nd, nil
	}
	if dt.ID() != arrow.STRUCT {
		return nil, p.mismatch(n, dt, path)
	}
	st := dt.(*arrow.StructType)
	nd.kind = kStruct
	for _, f := range st.Fields() {
		var fn *anode
		for _, c := range n.children {
			if strings.EqualFold(c.name, f.Name) {
				var err error
				if fn, err = p.field(c, f.Type, slot, path+"."+f.Name); err != nil {
					return nil, err
				}
				break
			}
		}
		if fn == nil {
			fn = &anode{kind: kNull, dt: f.Type, path: path + "." + f.Name, first: -1}
		}
		nd.fields = append(nd.fields, fn)
	}
	if len(p.leaves) == before {
		// No field is in the file: read one leaf for the levels alone.
		l := n.firstLeaf()
		if l == nil {
			return nil, fmt.Errorf("at %s: group %q has no columns", path, n.name)
		}
		p.addLeaf(l, nil, nil, slot.def, true, path)
	}
	return nd, nil
}

func (p *nestPlanner) addLeaf(n *pnode, dt arrow.DataType, cv *conv, defSlot int, levelsOnly bool, path string) {
	c := &colReader{name: path, dt: dt, fc: n.leaf, cv: cv, maxDef: byte(n.lv.def)}
	c.lv = &leafLevels{maxRep: n.lv.rep, maxDef: n.lv.def, defSlot: defSlot, levelsOnly: levelsOnly}
	p.leaves = append(p.leaves, c)
}

// planNested plans reading file column fc as the table type dt.
func planNested(fc *fileColumn, dt arrow.DataType) (*nestCol, error) {
	if fc.tree == nil {
		return nil, fmt.Errorf("malformed nested column")
	}
	p := &nestPlanner{col: fc.name}
	root, err := p.field(fc.tree, dt, levels{}, fc.name)
	if err != nil {
		return nil, err
	}
	return &nestCol{root: root, leaves: p.leaves}, nil
}

// Level scanning.

func (lv *leafLevels) zeroLevels(n int) []byte {
	if len(lv.zeros) < n {
		lv.zeros = make([]byte, n)
	}
	return lv.zeros[:n]
}

// release drops the pages the levels hold.
func (lv *leafLevels) release() {
	for _, p := range lv.queue {
		pq.Release(p.page)
	}
	clear(lv.queue)
	lv.queue = lv.queue[:0]
	if lv.cur != nil {
		pq.Release(lv.cur.page)
		lv.cur = nil
	}
	lv.pos = 0
	lv.reps, lv.defs, lv.slots = lv.reps[:0], lv.defs[:0], 0
}

// loadLevelPage reads the next data page of leaf c (io.EOF at the end of
// the chunk), checks its levels and queues it for the values.
func (r *reader) loadLevelPage(c *colReader) (p *lvPage, err error) {
	lv := c.lv
	defer func() {
		if x := recover(); x != nil {
			p, err = nil, r.errorf("column %q row group %d: corrupt page: %v (offset %d)", c.name, r.rgCur, x, c.chunkAt)
		}
	}()
	for {
		page, err := c.pages.ReadPage()
		if err == io.EOF {
			return nil, io.EOF
		}
		if err != nil {
			return nil, r.errorf("column %q row group %d: %v (offset %d)", c.name, r.rgCur, err, c.chunkAt)
		}
		n := int(page.NumValues())
		reps, defs := page.RepetitionLevels(), page.DefinitionLevels()
		bad := func(format string, args ...any) (*lvPage, error) {
			pq.Release(page)
			return nil, r.errorf("column %q row group %d: "+format+" (offset %d)", append(append([]any{c.name, r.rgCur}, args...), c.chunkAt)...)
		}
		if lv.maxRep == 0 {
			reps = nil
		} else if len(reps) != n {
			return bad("page has %d repetition levels for %d values", len(reps), n)
		}
		if lv.maxDef == 0 {
			defs = nil
		} else if len(defs) != n {
			return bad("page has %d definition levels for %d values", len(defs), n)
		}
		if m := maxByte(reps, lv.maxRep); int(m) > lv.maxRep {
			return bad("repetition level %d exceeds the column's maximum %d", m, lv.maxRep)
		}
		if m := maxByte(defs, lv.maxDef); int(m) > lv.maxDef {
			return bad("definition level %d exceeds the column's maximum %d", m, lv.maxDef)
		}
		if n == 0 {
			pq.Release(page)
			continue
		}
		if reps == nil {
			reps = lv.zeroLevels(n)
		}
		if defs == nil {
			defs = lv.zeroLevels(n) // maxDef 0: read-only zeros
		}
		p := &lvPage{page: page, reps: reps, defs: defs}
		if !lv.levelsOnly {
			switch {
			case lv.maxDef == lv.defSlot: // every slot holds a value
				p.slots = countGE(defs, byte(lv.defSlot))
			case lv.defSlot == 0:
				p.slots, p.slotDefs = n, defs
			default:
				sd := make([]byte, 0, n)
				for _, d := range defs {
					if int(d) >= lv.defSlot {
						sd = append(sd, d)
					}
				}
				p.slots, p.slotDefs = len(sd), sd
			}
			pq.Retain(page) // one reference for the values, one for the levels
			lv.queue = append(lv.queue, p)
		}
		return p, nil
	}
}

// maxByte returns the largest level in b (0 when none exceeds limit
// and limit+1 is a power of two: then eight levels are checked at a
// time for bits above limit's).
func maxByte(b []byte, limit int) byte {
	if limit&(limit+1) == 0 {
		hi := ^(0x0101010101010101 * uint64(limit))
		var acc uint64
		w := b
		for len(w) >= 8 {
			acc |= binary.LittleEndian.Uint64(w)
			w = w[8:]
		}
		for _, x := range w {
			acc |= uint64(x)
		}
		if acc&hi == 0 {
			return 0
		}
	}
	var m byte
	for _, x := range b {
		m = max(m, x)
	}
	return m
}

// scanLevels collects the levels of the next n top-level rows of leaf c;
// last means these rows end the row group.
func (r *reader) scanLevels(c *colReader, n int, last bool) error {
	lv := c.lv
	lv.reps, lv.defs, lv.slots = lv.reps[:0], lv.defs[:0], 0
	taken := 0
	for {
		if lv.cur == nil || lv.pos == len(lv.cur.reps) {
			if taken == n && !last && lv.maxRep == 0 {
				return nil // without repetition every entry is a row
			}
			if lv.cur != nil {
				pq.Release(lv.cur.page)
				lv.cur = nil
			}
			p, err := r.loadLevelPage(c)
			if err == io.EOF {
				if taken == n && last {
					return nil
				}
				return r.errorf("column %q row group %d: column chunk ends before the row group's %d rows (offset %d)", c.name, r.rgCur, r.meta.pf.Metadata().RowGroups[r.rgCur].NumRows, c.chunkAt)
			}
			if err != nil {
				return err
			}
			lv.cur, lv.pos = p, 0
			continue
		}
		p := lv.cur
		reps := p.reps[lv.pos:]
		if len(lv.reps) == 0 && reps[0] != 0 {
			return r.errorf("column %q row group %d: a row starts at repetition level %d, not 0 (offset %d)", c.name, r.rgCur, reps[0], c.chunkAt)
		}
		j := 0
		if lv.maxRep == 0 {
			j = min(len(reps), n-taken)
			taken += j
		} else {
			for ; j < len(reps); j++ {
				if reps[j] == 0 {
					if taken == n {
						break
					}
					taken++
				}
			}
		}
		if j < len(reps) && last {
			return r.errorf("column %q row group %d: column chunk holds more rows than the row group's %d (offset %d)", c.name, r.rgCur, r.meta.pf.Metadata().RowGroups[r.rgCur].NumRows, c.chunkAt)
		}
		defs := p.defs[lv.pos : lv.pos+j]
		lv.reps = append(lv.reps, reps[:j]...)
		lv.defs = append(lv.defs, defs...)
		lv.slots += countGE(defs, byte(lv.defSlot))
		lv.pos += j
		if j < len(reps) {
			return nil // row n+1 starts here
		}
	}
}

func countGE(b []byte, v byte) int {
	if v == 0 {
		return len(b)
	}
	n := 0
	for _, x := range b {
		if x >= v {
			n++
		}
	}
	return n
}

// nextLevelPage makes the next queued page of a nested leaf the value
// page (the levels scan has read it already).
func (r *reader) nextLevelPage(c *colReader) error {
	lv := c.lv
	for len(lv.queue) > 0 {
		p := lv.queue[0]
		lv.queue[0] = nil
		lv.queue = lv.queue[1:]
		if p.slots == 0 {
			pq.Release(p.page)
			continue
		}
		if err := r.setPage(c, p.page); err != nil {
			return err
		}
		c.rows, c.defs = p.slots, p.slotDefs
		return nil
	}
	return r.errorf("column %q row group %d: internal error: values read past the scanned levels (offset %d)", c.name, r.rgCur, c.chunkAt)
}

// readNested reads the next n top-level rows of a nested column.
func (r *reader) readNested(c *colReader, n int) (a arrow.Array, err error) {
	nc := c.nest
	last := int64(n) == r.rgLeft
	for _, l := range nc.leaves {
		if err := r.scanLevels(l, n, last); err != nil {
			return nil, err
		}
	}
	vals := make([]arrow.Array, len(nc.leaves))
	defer func() {
		for _, v := range vals {
			if v != nil {
				v.Release()
			}
		}
	}()
	for i, l := range nc.leaves {
		if l.lv.levelsOnly {
			continue
		}
		if vals[i], err = r.readColumn(l, l.lv.slots); err != nil {
			return nil, err
		}
	}
	b := &nestBuilder{r: r, c: c, mem: r.mem, leaves: nc.leaves, vals: vals}
	defer func() {
		if p := recover(); p != nil {
			if re, ok := p.(runtime.Error); ok {
				a, err = nil, r.errorf("column %q row group %d: corrupt nested data: %v (offset %d)", c.name, r.rgCur, re, c.chunkAt)
				return
			}
			panic(p)
		}
	}()
	d, err := b.build(nc.root, n)
	if err != nil {
		return nil, err
	}
	a = array.MakeFromData(d)
	d.Release()
	return a, nil
}

// Assembly.

type nestBuilder struct {
	r      *reader
	c      *colReader
	mem    memory.Allocator
	leaves []*colReader
	vals   []arrow.Array
}

func (b *nestBuilder) corrupt(nd *anode, format string, args ...any) error {
	return b.r.errorf("column %q (%s) row group %d: "+format+" (offset %d)", append(append([]any{b.c.name, nd.path, b.r.rgCur}, args...), b.c.chunkAt)...)
}

// bitmap is a validity bitmap created on the first NULL.
type bitmap struct {
	buf   *memory.Buffer
	nulls int
}

func (v *bitmap) setNull(mem memory.Allocator, n, i int) {
	if v.buf == nil {
		v.buf = memory.NewResizableBuffer(mem)
		v.buf.Resize(int(bitutil.BytesForBits(int64(n))))
		bs := v.buf.Bytes()
		for j := range bs {
			bs[j] = 0xff
		}
	}
	bitutil.ClearBit(v.buf.Bytes(), i)
	v.nulls++
}

// build returns the array data of nd for length slots.
func (b *nestBuilder) build(nd *anode, length int) (arrow.ArrayData, error) {
	switch nd.kind {
	case kNull:
		a := array.MakeArrayOfNull(b.mem, nd.dt, length)
		d := a.Data()
		d.Retain()
		a.Release()
		return d, nil
	case kLeaf:
		v := b.vals[nd.leaf]
		if v.Len() != length {
			return nil, b.corrupt(nd, "%d values for %d slots: levels disagree across columns", v.Len(), length)
		}
		d := v.Data()
		d.Retain()
		return d, nil
	}
	lv := b.leaves[nd.first].lv
	reps, defs := lv.reps, lv.defs
	rs, ds, dv := byte(nd.repSlot), byte(nd.defSlot), byte(nd.defValid)
	var valid bitmap
	defer func() {
		if valid.buf != nil {
			valid.buf.Release()
		}
	}()
	if nd.kind == kStruct {
		slot := 0
		for i, d := range defs {
			if reps[i] > rs || d < ds {
				continue
			}
			if slot >= length {
				return nil, b.corrupt(nd, "levels describe more than %d values", length)
			}
			if d < dv {
				valid.setNull(b.mem, length, slot)
			}
			slot++
		}
		if slot != length {
			return nil, b.corrupt(nd, "levels describe %d values, want %d", slot, length)
		}
		children := make([]arrow.ArrayData, 0, len(nd.fields))
		defer func() {
			for _, c := range children {
				c.Release()
			}
		}()
		for _, f := range nd.fields {
			cd, err := b.build(f, length)
			if err != nil {
				return nil, err
			}
			children = append(children, cd)
		}
		return array.NewData(nd.dt, length, []*memory.Buffer{valid.buf}, children, valid.nulls, 0), nil
	}
	// kList
	offs := memory.NewResizableBuffer(b.mem)
	defer offs.Release()
	offs.Resize((length + 1) * 4)
	off := view[int32](offs.Bytes())
	er, ed := byte(nd.elem.repSlot), byte(nd.elem.defSlot)
	slot, cnt := 0, 0
	for i, d := range defs {
		r := reps[i]
		if r <= rs {
			if d < ds {
				continue
			}
			if slot >= length {
				return nil, b.corrupt(nd, "levels describe more than %d values", length)
			}
			off[slot] = int32(cnt)
			if d < dv {
				valid.setNull(b.mem, length, slot)
			}
			slot++
		} else if slot == 0 {
			return nil, b.corrupt(nd, "repetition level %d continues a list that was not started", r)
		}
		if r <= er && d >= ed {
			cnt++
		}
	}
	if slot != length {
		return nil, b.corrupt(nd, "levels describe %d values, want %d", slot, length)
	}
	off[length] = int32(cnt)
	child, err := b.build(nd.elem, cnt)
	if err != nil {
		return nil, err
	}
	defer child.Release()
	if nd.mapKeys {
		if keys := child.Children()[0]; keys.NullN() > 0 {
			return nil, b.corrupt(nd, "a map key is NULL")
		}
	}
	return array.NewData(nd.dt, length, []*memory.Buffer{valid.buf, offs}, []arrow.ArrayData{child}, valid.nulls, 0), nil
}

// planNestedColumn plans output column cr from file column fc when
// either is nested.
func (r *reader) planNestedColumn(cr *colReader, fc *fileColumn) error {
	if !fc.nested || !types.IsNested(cr.dt) {
		return r.errorf("column %q: the table type %s does not match the file type %s", cr.name, types.SQLName(cr.dt), fc.describe())
	}
	nc, err := planNested(fc, cr.dt)
	if err != nil {
		return r.errorf("column %q: %v", cr.name, err)
	}
	cr.fc, cr.nest = fc, nc
	r.nested = true
	r.chunks = append(r.chunks, nc.leaves...)
	return nil
}
