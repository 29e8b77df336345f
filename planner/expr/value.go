package expr

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tarnsql/tarn/catalog/types"
)

// FormatValue renders a Go value (in the Literal representation) of type
// t as SQL text: NULL, TRUE, 42, 1.5, 12.34, 'text', DATE '2024-06-01',
// TIMESTAMP '2024-06-01 13:45:00'.
func FormatValue(v any, t arrow.DataType) string {
	if v == nil {
		return "NULL"
	}
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		return "'" + strings.ReplaceAll(v.(string), "'", "''") + "'"
	case arrow.DATE32:
		return "DATE '" + FormatDate(v.(int32)) + "'"
	case arrow.TIMESTAMP:
		return "TIMESTAMP '" + FormatTimestamp(v.(int64)) + "'"
	}
	return FormatPlain(v, t)
}

// FormatPlain renders a value as result text (no quotes or type prefixes):
// what a client sees in a result set.
func FormatPlain(v any, t arrow.DataType) string {
	if v == nil {
		return "NULL"
	}
	switch x := v.(type) {
	case bool:
		if x {
			return "true"
		}
		return "false"
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int32:
		if t.ID() == arrow.DATE32 {
			return FormatDate(x)
		}
		return strconv.FormatInt(int64(x), 10)
	case int64:
		switch t.ID() {
		case arrow.TIMESTAMP:
			return FormatTimestamp(x)
		case arrow.DECIMAL64, arrow.DECIMAL128:
			_, s, _ := types.DecimalParams(t)
			return FormatDecimal(big.NewInt(x), s)
		}
		return strconv.FormatInt(x, 10)
	case decimal128.Num:
		_, s, _ := types.DecimalParams(t)
		return FormatDecimal(x.BigInt(), s)
	}
	return "?"
}

// FormatDecimal prints an unscaled integer with scale s ("-12.30").
func FormatDecimal(u *big.Int, s int32) string {
	neg := u.Sign() < 0
	digits := new(big.Int).Abs(u).String()
	if s > 0 {
		if len(digits) <= int(s) {
			digits = strings.Repeat("0", int(s)-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-int(s)] + "." + digits[len(digits)-int(s):]
	}
	if neg {
		return "-" + digits
	}
	return digits
}

// FormatDate prints days since epoch as YYYY-MM-DD.
func FormatDate(days int32) string {
	return time.Unix(int64(days)*86400, 0).UTC().Format("2006-01-02")
}

// FormatTimestamp prints microseconds since epoch as
// YYYY-MM-DD HH:MM:SS[.ffffff].
func FormatTimestamp(us int64) string {
	t := time.UnixMicro(us).UTC()
	if us%1_000_000 == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return t.Format("2006-01-02 15:04:05.999999")
}
