// Package partvalue converts Hive partition values (the text of
// key=value folders) to typed values. The scan that fills partition-key
// columns and the planner that prunes partitions both use it, so they
// always agree on a partition's values.
package partvalue

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
)

// Parse converts a partition value (folder text) to the
// literal Go representation of type dt (see planner/expr.Literal):
// strings, int64 for integers, float64, bool, int32 days for DATE, int64
// micros for TIMESTAMP, int64 / decimal128.Num unscaled for DECIMAL.
// __HIVE_DEFAULT_PARTITION__ is NULL (nil).
func Parse(s string, dt arrow.DataType) (any, error) {
	if s == catalog.HiveDefaultPartition {
		return nil, nil
	}
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		return s, nil
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		bits := dt.(arrow.FixedWidthDataType).BitWidth()
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
		if err != nil {
			return nil, fmt.Errorf("value '%s' is not a valid %s", s, types.SQLName(dt))
		}
		return v, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return nil, fmt.Errorf("value '%s' is not a valid %s", s, types.SQLName(dt))
		}
		return v, nil
	case arrow.BOOL:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true", "1":
			return true, nil
		case "false", "0":
			return false, nil
		}
		return nil, fmt.Errorf("value '%s' is not a valid BOOLEAN", s)
	case arrow.DATE32:
		if d, ok := ParseDate(strings.TrimSpace(s)); ok {
			return d, nil
		}
		return nil, fmt.Errorf("value '%s' is not a valid DATE (yyyy-MM-dd)", s)
	case arrow.TIMESTAMP:
		for _, layout := range []string{"2006-01-02 15:04:05.999999", "2006-01-02T15:04:05.999999", "2006-01-02 15:04:05", "2006-01-02"} {
			if tm, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
				return tm.UnixMicro(), nil
			}
		}
		return nil, fmt.Errorf("value '%s' is not a valid TIMESTAMP", s)
	case arrow.DECIMAL64, arrow.DECIMAL128:
		p, sc, _ := types.DecimalParams(dt)
		n, err := decimal128.FromString(strings.TrimSpace(s), p, sc)
		if err != nil {
			return nil, fmt.Errorf("value '%s' is not a valid %s", s, types.SQLName(dt))
		}
		if dt.ID() == arrow.DECIMAL64 {
			return int64(n.LowBits()), nil
		}
		return n, nil
	}
	return nil, fmt.Errorf("partition keys of type %s are not supported", types.SQLName(dt))
}

// ParseDate parses [-]Y{1,6}-M{1,2}-D{1,2} into days since the epoch.
func ParseDate(s string) (int32, bool) {
	pos := 0
	neg := false
	if pos < len(s) && s[pos] == '-' {
		neg = true
		pos++
	}
	digits := func(max int) (int, bool) {
		n, start := 0, pos
		for pos < len(s) && pos-start < max && s[pos] >= '0' && s[pos] <= '9' {
			n = n*10 + int(s[pos]-'0')
			pos++
		}
		return n, pos > start
	}
	y, ok := digits(6)
	if !ok || pos >= len(s) || s[pos] != '-' {
		return 0, false
	}
	pos++
	m, ok := digits(2)
	if !ok || pos >= len(s) || s[pos] != '-' {
		return 0, false
	}
	pos++
	d, ok := digits(2)
	if !ok || pos != len(s) {
		return 0, false
	}
	if neg {
		y = -y
	}
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return 0, false
	}
	tm := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if tm.Day() != d { // Feb 30 and friends
		return 0, false
	}
	return int32(tm.Unix() / 86400), true
}

// Supported reports whether Parse handles partition keys of type dt.
func Supported(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.BOOL, arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL64, arrow.DECIMAL128:
		return true
	}
	return false
}

// ParseLiteral converts SQL literal text as statistics store it
// (catalog.ColumnStats and catalog.ColumnZone Min/Max: quoted text
// with doubled quotes, DATE '…', TIMESTAMP '…', plain numbers and booleans) to the
// representation Parse returns for type dt. NULL and "" are nil.
func ParseLiteral(s string, dt arrow.DataType) (any, error) {
	if s == "" || strings.EqualFold(s, "NULL") {
		return nil, nil
	}
	body := s
	for _, prefix := range []string{"DATE ", "TIMESTAMP "} {
		if len(body) > len(prefix) && strings.EqualFold(body[:len(prefix)], prefix) {
			body = strings.TrimSpace(body[len(prefix):])
			break
		}
	}
	if len(body) >= 2 && body[0] == '\'' && body[len(body)-1] == '\'' {
		body = strings.ReplaceAll(body[1:len(body)-1], "''", "'")
	} else if dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING {
		return nil, fmt.Errorf("literal %s is not a quoted string", s)
	}
	if body == catalog.HiveDefaultPartition {
		// Not the NULL folder value here: a string that happens to be it.
		if dt.ID() == arrow.STRING || dt.ID() == arrow.LARGE_STRING {
			return body, nil
		}
		return nil, fmt.Errorf("literal %s is not a valid %s", s, types.SQLName(dt))
	}
	return Parse(body, dt)
}

// FormatLiteral renders v (Parse's representation for type dt; uint64
// for unsigned integers) as SQL literal text that ParseLiteral reads
// back: quoted strings, DATE '…', TIMESTAMP '…', plain numbers and
// booleans — the form statistics store (as planner/expr.FormatValue).
func FormatLiteral(v any, dt arrow.DataType) string {
	if v == nil {
		return "NULL"
	}
	switch x := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(x, "'", "''") + "'"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case uint64:
		return strconv.FormatUint(x, 10)
	case int32:
		if dt.ID() == arrow.DATE32 {
			return "DATE '" + time.Unix(int64(x)*86400, 0).UTC().Format("2006-01-02") + "'"
		}
		return strconv.FormatInt(int64(x), 10)
	case int64:
		switch dt.ID() {
		case arrow.TIMESTAMP:
			t := time.UnixMicro(x).UTC()
			if x%1_000_000 == 0 {
				return "TIMESTAMP '" + t.Format("2006-01-02 15:04:05") + "'"
			}
			return "TIMESTAMP '" + t.Format("2006-01-02 15:04:05.999999") + "'"
		case arrow.DECIMAL64, arrow.DECIMAL128:
			_, sc, _ := types.DecimalParams(dt)
			return formatDecimal(big.NewInt(x), sc)
		}
		return strconv.FormatInt(x, 10)
	case decimal128.Num:
		_, sc, _ := types.DecimalParams(dt)
		return formatDecimal(x.BigInt(), sc)
	}
	return fmt.Sprint(v)
}

// formatDecimal prints an unscaled integer with scale s ("-12.30").
func formatDecimal(u *big.Int, s int32) string {
	digits := new(big.Int).Abs(u).String()
	if s > 0 {
		if len(digits) <= int(s) {
			digits = strings.Repeat("0", int(s)-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-int(s)] + "." + digits[len(digits)-int(s):]
	}
	if u.Sign() < 0 {
		return "-" + digits
	}
	return digits
}
