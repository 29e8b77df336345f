package wlm

import (
	"context"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/planner/plan"
)

// estTable is a table of 4 int64 data columns, 1 000 rows and 32 000
// bytes, with hidden trailing columns (like a file table's $path, ...).
type estTable struct {
	connectors.Table
	hidden int
}

func (t estTable) Schema() *arrow.Schema {
	var fs []arrow.Field
	for _, n := range []string{"a", "b", "c", "d"} {
		fs = append(fs, arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64})
	}
	for range t.hidden {
		fs = append(fs, arrow.Field{Name: "$h", Type: arrow.BinaryTypes.String})
	}
	return arrow.NewSchema(fs, nil)
}

func (t estTable) Estimate(context.Context) (int64, int64) { return 1000, 32000 }
func (t estTable) HiddenColumns() int                      { return t.hidden }

// Hidden columns cost no bytes: they must not shrink the projected
// columns' share of a table's bytes (which once moved a full scan under
// the SQA lane's byte limit).
func TestEstimateIgnoresHiddenColumns(t *testing.T) {
	for _, hidden := range []int{0, 3} {
		s := &plan.Scan{Table: estTable{hidden: hidden}, Columns: []int{0, 1}}
		e := EstimatePlan(context.Background(), s, math.MaxInt64, math.MaxInt64)
		if e.ScanBytes != 16000 {
			t.Errorf("hidden=%d: scan bytes %d, want 16000 (2 of 4 stored columns)", hidden, e.ScanBytes)
		}
	}
}
