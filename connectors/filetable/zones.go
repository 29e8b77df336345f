package filetable

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable/partvalue"
	"github.com/tarnsql/tarn/internal/likepat"
)

// Zone-map pruning. A scan's ranges are checked against each listed
// file before its splits are made: ranges on the hidden file columns
// against the file's path, size and modification time, and ranges on
// data columns against the file's zone map in the catalog
// (catalog.ZoneMaps), then against its blocks, which narrow the file's
// byte-range splits to the blocks that may hold matching records. A zone
// map is trusted only while the file's listed size and modification
// time equal the recorded ones.

// filePruner prunes the files of one table or partition for one scan.
// A nil *filePruner keeps everything.
type filePruner struct {
	hidden []connectors.Range   // ranges on hidden columns; Column is the hidden column's index
	like   [][]*likepat.Matcher // hidden[i].Like compiled
	ranges []zoneRange          // ranges on columns the zone maps describe
	zones  map[string]*catalog.FileZone
}

// zoneRange is a scan range on the zone maps' column col.
type zoneRange struct {
	r   connectors.Range
	col int
	typ arrow.DataType
}

// newFilePruner prepares pruning with req's ranges: data is the schema
// the zone maps' columns are found in, st (else fallback) holds the
// zone maps. It returns nil when there is nothing to prune with.
func (t *Table) newFilePruner(req *connectors.ScanRequest, data *arrow.Schema, st, fallback *catalog.TableStats) *filePruner {
	if req == nil || len(req.Ranges) == 0 {
		return nil
	}
	fp := &filePruner{}
	nbase := t.schema.NumFields()
	var zm *catalog.ZoneMaps
	if st != nil && st.Zones != nil {
		zm = st.Zones
	} else if fallback != nil {
		zm = fallback.Zones
	}
	var zcols map[string]int
	if zm != nil && len(zm.Files) > 0 {
		zcols = make(map[string]int, len(zm.Columns))
		for i, c := range zm.Columns {
			zcols[strings.ToLower(c)] = i
		}
	}
	for _, rg := range req.Ranges {
		if rg.Column >= nbase {
			h := rg
			h.Column -= nbase
			if h.Column < len(hiddenFields) {
				var ms []*likepat.Matcher
				for _, p := range h.Like {
					if m, err := likepat.Compile(p, '\\'); err == nil {
						ms = append(ms, m)
					}
				}
				fp.hidden = append(fp.hidden, h)
				fp.like = append(fp.like, ms)
			}
			continue
		}
		if zcols == nil || rg.Column < 0 || rg.Column >= data.NumFields() {
			continue
		}
		f := data.Field(rg.Column)
		if i, ok := zcols[strings.ToLower(f.Name)]; ok && partvalue.Supported(f.Type) {
			fp.ranges = append(fp.ranges, zoneRange{r: rg, col: i, typ: f.Type})
		}
	}
	if len(fp.ranges) > 0 {
		fp.zones = make(map[string]*catalog.FileZone, len(zm.Files))
		for i := range zm.Files {
			fp.zones[zm.Files[i].Path] = &zm.Files[i]
		}
	}
	if len(fp.hidden) == 0 && len(fp.ranges) == 0 {
		return nil
	}
	return fp
}

// file reports whether file f may hold matching rows, and its zone map
// when it has a current one.
func (fp *filePruner) file(f connectors.FileInfo) (*catalog.FileZone, bool) {
	if fp == nil {
		return nil, true
	}
	if len(fp.hidden) > 0 {
		vals := hiddenValues(f)
		for i := range fp.hidden {
			r := &fp.hidden[i]
			if !valueMayMatch(vals[r.Column], r) {
				return nil, false
			}
			if s, ok := vals[r.Column].(string); ok {
				for _, m := range fp.like[i] {
					if !m.Match([]byte(s)) {
						return nil, false
					}
				}
			}
		}
	}
	if fp.zones == nil {
		return nil, true
	}
	z := fp.zones[f.Path]
	if z == nil || z.Size != f.Size || !z.ModTime.Equal(f.ModTime) {
		return nil, true // no zone map, or a stale one: read the file
	}
	return z, fp.match(z.Rows, z.Cols)
}

// match reports whether rows with the bounds cols may satisfy every range.
func (fp *filePruner) match(rows int64, cols []catalog.ColumnZone) bool {
	for i := range fp.ranges {
		zr := &fp.ranges[i]
		if zr.col >= len(cols) {
			continue
		}
		if !zoneMayMatch(rows, &cols[zr.col], zr) {
			return false
		}
	}
	return true
}

// blocks narrows a file's byte-range splits to the blocks whose zone
// maps may match: a split owns the records that start in its range, so
// the records of pruned blocks are cut out of it (a split left empty is
// dropped). When the file can be read by any byte range (byteRanges: the
// format is a connectors.ByteRangeFormat that says so), a split to the
// end of the file (Length 0) is the range [Offset, size) and is cut
// too; otherwise it is kept as it is. The pieces stay within the
// format's splits, so adjacent surviving blocks remain one split, never
// larger than the format's split size.
func (fp *filePruner) blocks(splits []connectors.Split, z *catalog.FileZone, byteRanges bool) []connectors.Split {
	type span struct{ lo, hi int64 }
	var drop []span
	for i := range z.Blocks {
		b := &z.Blocks[i]
		if b.Length <= 0 || fp.match(b.Rows, b.Cols) {
			continue
		}
		lo, hi := b.Offset, b.Offset+b.Length
		if n := len(drop); n > 0 && drop[n-1].hi == lo {
			drop[n-1].hi = hi
			continue
		}
		drop = append(drop, span{lo, hi})
	}
	if len(drop) == 0 {
		return splits
	}
	out := splits[:0:0]
	for _, s := range splits {
		lo, hi := s.Offset, s.Offset+s.Length
		if s.Length <= 0 {
			if !byteRanges || s.Offset >= s.File.Size {
				out = append(out, s)
				continue
			}
			hi = s.File.Size
		}
		for _, d := range drop {
			if d.hi <= lo || d.lo >= hi {
				continue
			}
			if d.lo > lo {
				p := s
				p.Offset, p.Length = lo, d.lo-lo
				out = append(out, p)
			}
			lo = max(lo, d.hi)
			if lo >= hi {
				break
			}
		}
		if lo < hi {
			p := s
			p.Offset, p.Length = lo, hi-lo
			out = append(out, p)
		}
	}
	return out
}

// byteRanges reports whether format reads file by any byte range
// (connectors.ByteRangeFormat).
func byteRanges(format connectors.Format, file connectors.FileInfo, opts map[string]string) bool {
	b, ok := format.(connectors.ByteRangeFormat)
	return ok && b.ByteRanges(file, opts)
}

// splitFormat is the format and the options that read split s (its
// partition's, for a partitioned table whose sources are resolved).
func (t *Table) splitFormat(s connectors.Split) (connectors.Format, map[string]string) {
	if t.part == nil {
		return t.format, t.opts
	}
	if s.Partition < 0 || s.Partition >= len(t.part.srcs) {
		return nil, nil
	}
	src := t.part.srcs[s.Partition]
	return src.format, src.opts
}

// zoneMayMatch reports whether rows whose column has the bounds cz may
// satisfy zr. Unknown or undecodable bounds match.
func zoneMayMatch(rows int64, cz *catalog.ColumnZone, zr *zoneRange) bool {
	r := &zr.r
	if rows >= 0 && cz.Nulls >= rows {
		return r.AllowNull // only NULLs (or no rows at all)
	}
	if cz.Nulls > 0 && r.AllowNull {
		return true
	}
	lo := zoneBound(cz.Min, zr.typ)
	hi := zoneBound(cz.Max, zr.typ)
	if lo == nil && hi == nil {
		return true
	}
	if len(r.Values) > 0 {
		for _, v := range r.Values {
			if inBounds(v, lo, hi) {
				return true
			}
		}
		return false
	}
	if r.Min != nil && hi != nil {
		if c, ok := compareValues(hi, r.Min); ok && c < 0 {
			return false
		}
	}
	if r.Max != nil && lo != nil {
		if c, ok := compareValues(lo, r.Max); ok && c > 0 {
			return false
		}
	}
	return true
}

// inBounds reports whether v may lie in [lo, hi] (nil bounds are open;
// incomparable values may).
func inBounds(v, lo, hi any) bool {
	if lo != nil {
		if c, ok := compareValues(v, lo); ok && c < 0 {
			return false
		}
	}
	if hi != nil {
		if c, ok := compareValues(v, hi); ok && c > 0 {
			return false
		}
	}
	return true
}

// valueMayMatch reports whether the known value v satisfies r.
func valueMayMatch(v any, r *connectors.Range) bool {
	if v == nil {
		return r.AllowNull
	}
	if len(r.Values) > 0 {
		found := false
		for _, x := range r.Values {
			if c, ok := compareValues(v, x); !ok || c == 0 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return inBounds(v, r.Min, r.Max)
}

// zoneBound decodes a zone map bound to the connectors.Range
// representation (nil when unknown or undecodable).
func zoneBound(text string, dt arrow.DataType) any {
	if text == "" {
		return nil
	}
	v, err := partvalue.ParseLiteral(text, dt)
	if err != nil {
		return nil
	}
	if d, ok := v.(int32); ok { // DATE: days
		return int64(d)
	}
	return v
}

// compareValues orders two values of the connectors.Range representation;
// ok is false when they are not comparable.
func compareValues(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x < y, x > y), true
		case float64:
			f := float64(x)
			return cmp3(f < y, f > y), true
		}
	case float64:
		switch y := b.(type) {
		case float64:
			if x != x || y != y { // NaN
				return 0, false
			}
			return cmp3(x < y, x > y), true
		case int64:
			f := float64(y)
			return cmp3(x < f, x > f), true
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(!x && y, x && !y), true
		}
	}
	return 0, false
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}
