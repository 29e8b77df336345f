package postgres

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tarnsql/tarn/connectors"
)

// buildSelect renders the remote SELECT of one split: the projected
// columns, the scan's ranges as predicates over the same expressions
// that are selected (so PostgreSQL filters exactly the values tarn
// sees), the split's ctid page range and the limit. Values are always
// parameters.
func (t *Table) buildSelect(split connectors.Split, req *connectors.ScanRequest) (string, []any, error) {
	var b strings.Builder
	b.WriteString("SELECT ")
	for i, ci := range req.Columns {
		if ci < 0 || ci >= len(t.cols) {
			return "", nil, &Error{Conn: t.src.cfg.Name, Table: t.display, Msg: fmt.Sprintf("column index %d out of range", ci)}
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.cols[ci].sel)
	}
	b.WriteString(" FROM ")
	b.WriteString(t.RemoteName())
	var conds []string
	var args []any
	param := func(v any, cast string) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args)) + "::" + cast
	}
	for _, r := range req.Ranges {
		if c := t.rangeCond(r, param); c != "" {
			conds = append(conds, c)
		}
	}
	if split.Offset > 0 || split.Length > 0 {
		conds = append(conds, fmt.Sprintf("ctid >= '(%d,0)'::tid", split.Offset))
		if split.Length > 0 {
			conds = append(conds, fmt.Sprintf("ctid < '(%d,0)'::tid", split.Offset+split.Length))
		}
	}
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	if req.Limit > 0 {
		b.WriteString(" LIMIT ")
		b.WriteString(strconv.FormatInt(req.Limit, 10))
	}
	return b.String(), args, nil
}

// rangeCond renders one range as a predicate ("" when the range cannot
// be pushed: unknown column, a value of an unexpected Go type, ...).
// Ranges are hints, so leaving one out is always correct.
func (t *Table) rangeCond(r connectors.Range, param func(any, string) string) string {
	if r.Column < 0 || r.Column >= len(t.cols) {
		return ""
	}
	c := &t.cols[r.Column]
	cast, conv := c.paramType()
	if conv == nil {
		return ""
	}
	e := c.sel
	if c.kind == kUUID {
		e = c.sel + "::text"
	}
	var parts []string
	if len(r.Values) > 0 {
		vals, ok := convertAll(r.Values, conv)
		if !ok {
			return ""
		}
		if len(vals) == 1 {
			parts = append(parts, e+" = "+param(vals[0], cast))
		} else {
			parts = append(parts, e+" = ANY("+param(arrayOf(vals, c.kind), cast+"[]")+")")
		}
	}
	if len(r.Values) == 1 && sameScalar(r.Min, r.Values[0]) && sameScalar(r.Max, r.Values[0]) {
		// col = v: the bounds say nothing more.
	} else if c.kind == kBool {
		// Booleans: only the exact set is pushed.
		if len(parts) == 0 {
			return ""
		}
	} else {
		coll := ""
		if c.kind == kText || c.kind == kUUID {
			// Order as tarn does: by bytes, whatever the column's collation.
			coll = ` COLLATE "C"`
		}
		if r.Min != nil {
			if v, ok := conv(r.Min); ok {
				parts = append(parts, e+coll+" >= "+param(v, cast))
			}
		}
		if r.Max != nil {
			if v, ok := conv(r.Max); ok {
				parts = append(parts, e+coll+" <= "+param(v, cast))
			}
		}
	}
	if len(parts) == 0 {
		return ""
	}
	cond := strings.Join(parts, " AND ")
	if r.AllowNull {
		return "(" + cond + " OR " + e + " IS NULL)"
	}
	return cond
}

func convertAll(vs []any, conv func(any) (any, bool)) ([]any, bool) {
	out := make([]any, 0, len(vs))
	for _, v := range vs {
		if v == nil {
			continue
		}
		cv, ok := conv(v)
		if !ok {
			return nil, false
		}
		out = append(out, cv)
	}
	return out, len(out) > 0
}

// arrayOf builds a typed slice pgx encodes as an array parameter.
func arrayOf(vals []any, k kind) any {
	switch k {
	case kInt16, kInt32, kInt64:
		a := make([]int64, len(vals))
		for i, v := range vals {
			a[i] = v.(int64)
		}
		return a
	case kFloat32, kFloat64:
		a := make([]float64, len(vals))
		for i, v := range vals {
			a[i] = v.(float64)
		}
		return a
	case kBool:
		a := make([]bool, len(vals))
		for i, v := range vals {
			a[i] = v.(bool)
		}
		return a
	case kText, kUUID:
		a := make([]string, len(vals))
		for i, v := range vals {
			a[i] = v.(string)
		}
		return a
	case kDate, kTimestamp, kTimestampTZ:
		a := make([]time.Time, len(vals))
		for i, v := range vals {
			a[i] = v.(time.Time)
		}
		return a
	case kDecimal:
		a := make([]pgtype.Numeric, len(vals))
		for i, v := range vals {
			a[i] = v.(pgtype.Numeric)
		}
		return a
	}
	return vals
}

// paramType returns the SQL type parameters of this column are cast to
// and the conversion from the connectors.Range representation (nil when
// the column's ranges are not pushed).
func (c *column) paramType() (string, func(any) (any, bool)) {
	switch c.kind {
	case kInt16, kInt32, kInt64:
		return "int8", func(v any) (any, bool) { x, ok := v.(int64); return x, ok }
	case kFloat32, kFloat64:
		return "float8", func(v any) (any, bool) {
			switch x := v.(type) {
			case float64:
				return x, x == x // NaN: not pushed
			case int64:
				return float64(x), true
			}
			return nil, false
		}
	case kBool:
		return "bool", func(v any) (any, bool) { x, ok := v.(bool); return x, ok }
	case kText, kUUID:
		return "text", func(v any) (any, bool) { x, ok := v.(string); return x, ok }
	case kDate:
		return "date", func(v any) (any, bool) {
			d, ok := v.(int64)
			if !ok {
				return nil, false
			}
			return time.Unix(d*86400, 0).UTC(), true
		}
	case kTimestamp, kTimestampTZ:
		cast := "timestamp"
		if c.kind == kTimestampTZ {
			cast = "timestamptz"
		}
		return cast, func(v any) (any, bool) {
			us, ok := v.(int64)
			if !ok {
				return nil, false
			}
			return time.UnixMicro(us).UTC(), true
		}
	case kDecimal:
		scale := c.scale
		return "numeric", func(v any) (any, bool) {
			us, ok := v.(int64)
			if !ok {
				return nil, false
			}
			return pgtype.Numeric{Int: big.NewInt(us), Exp: -scale, Valid: true}, true
		}
	}
	return "", nil
}

// sameScalar reports whether a and b are the same Range value.
func sameScalar(a, b any) bool {
	switch x := a.(type) {
	case int64:
		y, ok := b.(int64)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	return false
}
