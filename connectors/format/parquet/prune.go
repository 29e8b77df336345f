package parquet

import (
	"encoding/binary"
	"math"
	"strings"

	"github.com/parquet-go/parquet-go/format"

	"github.com/tarnsql/tarn/connectors"
)

// pruner decides from column-chunk statistics whether a row group may
// hold rows that satisfy all ranges.
type pruner struct {
	m      *fileMeta
	ranges []prRange
}

type prRange struct {
	r  connectors.Range
	fc *fileColumn
	cv *conv
}

func newPruner(m *fileMeta, req *connectors.ScanRequest) *pruner {
	p := &pruner{m: m}
	for _, r := range req.Ranges {
		if r.Column < 0 || r.Column >= req.Schema.NumFields() {
			continue
		}
		f := req.Schema.Field(r.Column)
		idx, ok := m.schema.lookup(f.Name)
		if !ok {
			// Missing column: every row is NULL.
			p.ranges = append(p.ranges, prRange{r: r})
			continue
		}
		fc := &m.schema.cols[idx]
		if fc.nested || fc.leaf < 0 {
			continue
		}
		cv, err := planConv(fc, f.Type)
		if err != nil {
			continue // the scan reports the error
		}
		p.ranges = append(p.ranges, prRange{r: r, fc: fc, cv: cv})
	}
	return p
}

// mayMatch reports whether row group rg may satisfy every range.
func (p *pruner) mayMatch(rg int) bool {
	g := &p.m.pf.Metadata().RowGroups[rg]
	for i := range p.ranges {
		pr := &p.ranges[i]
		if pr.fc == nil {
			if !pr.r.AllowNull {
				return false
			}
			continue
		}
		if !chunkMayMatch(&g.Columns[pr.fc.leaf].MetaData, g.NumRows, pr) {
			return false
		}
	}
	return true
}

func chunkMayMatch(md *format.ColumnMetaData, rows int64, pr *prRange) bool {
	st := &md.Statistics
	r := &pr.r
	// NullCount is only trusted alongside min/max (writers that omit
	// statistics leave it 0).
	minB, maxB := st.MinValue, st.MaxValue
	if minB == nil || maxB == nil {
		if legacyStatsOK(pr.fc) {
			minB, maxB = st.Min, st.Max
		}
	}
	hasMinMax := minB != nil && maxB != nil
	if !hasMinMax {
		if st.NullCount == rows && rows > 0 {
			// All values are NULL.
			return r.AllowNull
		}
		return true
	}
	if r.AllowNull && (st.NullCount > 0 || pr.fc.optional) {
		// A NULL may match; the null count cannot be told from an
		// absent one, so optional columns are never pruned here.
		return true
	}
	lo, ok1 := statValue(minB, pr.fc, pr.cv)
	hi, ok2 := statValue(maxB, pr.fc, pr.cv)
	if !ok1 || !ok2 {
		return true
	}
	return boundsMayMatch(lo, hi, r)
}

// legacyStatsOK reports whether the deprecated min/max fields (signed
// comparison) are meaningful for the column.
func legacyStatsOK(c *fileColumn) bool {
	if c.unsigned || c.logical == lDecimal && (c.phys == format.ByteArray || c.phys == format.FixedLenByteArray) {
		return false
	}
	switch c.phys {
	case format.Int32, format.Int64, format.Float, format.Double, format.Boolean:
		return true
	}
	return false
}

// statValue decodes a plain-encoded statistic into the Range
// representation of the output type.
func statValue(b []byte, c *fileColumn, cv *conv) (any, bool) {
	var iv int64
	isInt := false
	switch c.phys {
	case format.Boolean:
		if len(b) < 1 || cv.op != opBool {
			return nil, false
		}
		return b[0] != 0, true
	case format.Int32:
		if len(b) != 4 {
			return nil, false
		}
		u := binary.LittleEndian.Uint32(b)
		if c.unsigned {
			iv = int64(u)
		} else {
			iv = int64(int32(u))
		}
		isInt = true
	case format.Int64:
		if len(b) != 8 || c.unsigned {
			return nil, false
		}
		iv = int64(binary.LittleEndian.Uint64(b))
		isInt = true
	case format.Float:
		if len(b) != 4 {
			return nil, false
		}
		f := float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
		if math.IsNaN(f) {
			return nil, false
		}
		return f, true
	case format.Double:
		if len(b) != 8 {
			return nil, false
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(b))
		if math.IsNaN(f) {
			return nil, false
		}
		return f, true
	case format.ByteArray, format.FixedLenByteArray:
		switch cv.op {
		case opString:
			if cv.uuid {
				return nil, false // stored as bytes, compared as text
			}
			return string(b), true
		case opBytesDec64, opBytesDec128, opBytesFloat:
			n, ok := beInt(b)
			if !ok {
				return nil, false
			}
			if cv.op == opBytesFloat {
				return n.ToFloat64(cv.srcScale), true
			}
			n, ok = cv.toDec128(n)
			if !ok || n.HighBits() != int64(n.LowBits())>>63 {
				return nil, false
			}
			return int64(n.LowBits()), true
		}
		return nil, false
	default:
		return nil, false // INT96 statistics are unreliable
	}
	if !isInt {
		return nil, false
	}
	switch cv.op {
	case opIntCast:
		return iv, true
	case opDec64:
		switch {
		case cv.mul > 1:
			if iv > math.MaxInt64/cv.mul || iv < -math.MaxInt64/cv.mul {
				return nil, false
			}
			return iv * cv.mul, true
		case cv.div > 1:
			// Rounding is monotonic, so rounded bounds stay bounds.
			var out [1]int64
			divInts(out[:], []int64{iv}, cv.div)
			return out[0], true
		}
		return iv, true
	case opFloat:
		return float64(iv) / float64(pow10(cv.srcScale)), true
	case opTs:
		if c.phys == format.Int32 {
			return iv * cv.mul, true
		}
		switch {
		case cv.mul > 1:
			if iv > math.MaxInt64/cv.mul || iv < -math.MaxInt64/cv.mul {
				return nil, false
			}
			return iv * cv.mul, true
		case cv.div > 1:
			var out [1]int64
			floorDivInts(out[:], []int64{iv}, cv.div)
			return out[0], true
		}
		return iv, true
	}
	return nil, false
}

// compare orders two range values; ok is false when they are not
// comparable.
func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case int64:
		switch y := b.(type) {
		case int64:
			return cmp3(x, y), true
		case float64:
			return cmpFloat(float64(x), y)
		}
	case float64:
		switch y := b.(type) {
		case float64:
			return cmpFloat(x, y)
		case int64:
			return cmpFloat(x, float64(y))
		}
	case string:
		if y, ok := b.(string); ok {
			return cmp3(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok {
			xi, yi := 0, 0
			if x {
				xi = 1
			}
			if y {
				yi = 1
			}
			return cmp3(xi, yi), true
		}
	}
	return 0, false
}

func cmpFloat(x, y float64) (int, bool) {
	if math.IsNaN(x) || math.IsNaN(y) {
		return 0, false
	}
	return cmp3(x, y), true
}

func cmp3[T int | int64 | float64 | string](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// lookup finds a file column by name, case-insensitively.
func (s *fileSchema) lookup(name string) (int, bool) {
	i, ok := s.byName[lowerASCII(name)]
	return i, ok
}

func lowerASCII(s string) string { return strings.ToLower(s) }
