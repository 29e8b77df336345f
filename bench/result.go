// Package bench runs TPC-H on tarn and on peer engines (DuckDB,
// go-mysql-server) and compares their results and speed. It is a separate
// module because the peers need cgo (DuckDB) or large dependency trees.
package bench

import (
	"fmt"
	"math/big"
	"strings"
)

// Kind is the neutral type of a result column.
type Kind int

// Column kinds.
const (
	KindNull Kind = iota
	KindInt
	KindDecimal
	KindFloat
	KindString
	KindDate
	KindTimestamp
	KindBool
)

func (k Kind) String() string {
	return [...]string{"NULL", "INT", "DECIMAL", "DOUBLE", "STRING", "DATE", "TIMESTAMP", "BOOL"}[k]
}

// Column describes a result column. Scale is set for decimals.
type Column struct {
	Name  string
	Kind  Kind
	Scale int32
	Type  string // the engine's own type name, for messages
}

// Decimal is an exact decimal value: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

func (d Decimal) String() string {
	s := new(big.Int).Abs(d.Unscaled).String()
	neg := d.Unscaled.Sign() < 0
	if d.Scale > 0 {
		for len(s) <= int(d.Scale) {
			s = "0" + s
		}
		s = s[:len(s)-int(d.Scale)] + "." + s[len(s)-int(d.Scale):]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Float64 converts d to the nearest double.
func (d Decimal) Float64() float64 {
	r := new(big.Rat).SetFrac(d.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil))
	f, _ := r.Float64()
	return f
}

// Result is a query result in a neutral form: values are nil, int64,
// float64, string (also for DATE as YYYY-MM-DD and TIMESTAMP as
// YYYY-MM-DD HH:MM:SS[.ffffff]), bool or Decimal.
type Result struct {
	Columns []Column
	Rows    [][]any
}

// FormatRow renders a row for messages.
func FormatRow(row []any) string {
	parts := make([]string, len(row))
	for i, v := range row {
		switch x := v.(type) {
		case nil:
			parts[i] = "NULL"
		case string:
			parts[i] = fmt.Sprintf("%q", x)
		case float64:
			parts[i] = fmt.Sprintf("%.12g", x)
		default:
			parts[i] = fmt.Sprint(x)
		}
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
