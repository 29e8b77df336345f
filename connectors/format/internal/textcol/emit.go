package textcol

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tarnsql/tarn/connectors"
)

// Emit wraps a batch's finished columns (rows values each; Emit takes
// them over) into a record batch, counts the rows in stats (may be nil)
// and charges them to *limit when it is positive. stop reports that the
// limit is used up, so the reader should end after this batch.
func Emit(schema *arrow.Schema, cols []arrow.Array, rows int, limit *int64, stats *connectors.ScanStats) (rec arrow.RecordBatch, stop bool) {
	if *limit > 0 {
		*limit -= int64(rows)
		stop = *limit <= 0
	}
	rec = array.NewRecordBatch(schema, cols, int64(rows))
	for _, a := range cols {
		a.Release()
	}
	if stats != nil {
		stats.RowsScanned.Add(int64(rows))
	}
	return rec, stop
}
