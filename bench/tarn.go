package bench

import (
	"context"
	"fmt"
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/engine"
)

// Tarn is an embedded tarn engine with the TPC-H tables registered.
type Tarn struct {
	Engine  *engine.Engine
	Session *engine.Session
}

// OpenTarn opens tarn over dataDir (its catalog and warehouse) and
// registers tables in database db.
func OpenTarn(ctx context.Context, dataDir, db string, tables []catalog.Table, slices int) (*Tarn, error) {
	eng, err := engine.Open(ctx, engine.Config{DataDir: dataDir, Slices: slices})
	if err != nil {
		return nil, fmt.Errorf("tarn: open: %w", err)
	}
	if err := eng.Catalog().CreateDatabase(ctx, catalog.Database{Name: db}, true); err != nil {
		eng.Close()
		return nil, fmt.Errorf("tarn: create database %s: %w", db, err)
	}
	for _, t := range tables {
		t.Database = db
		if err := eng.Catalog().CreateTable(ctx, t, true); err != nil {
			eng.Close()
			return nil, fmt.Errorf("tarn: register %s.%s: %w", db, t.Name, err)
		}
	}
	s := eng.NewSession("root")
	if err := s.Exec(ctx, "USE "+db); err != nil {
		eng.Close()
		return nil, fmt.Errorf("tarn: USE %s: %w", db, err)
	}
	return &Tarn{Engine: eng, Session: s}, nil
}

// Close closes the engine.
func (t *Tarn) Close() error { return t.Engine.Close() }

// Query runs q and converts its result.
func (t *Tarn) Query(ctx context.Context, q string) (*Result, error) {
	res, err := t.Session.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	sch := res.Schema()
	out := &Result{}
	for _, f := range sch.Fields() {
		out.Columns = append(out.Columns, arrowColumn(f))
	}
	for {
		rec, err := res.Next(ctx)
		if err != nil {
			return nil, err
		}
		if rec == nil {
			break
		}
		rows, err := arrowRows(rec, out.Columns)
		rec.Release()
		if err != nil {
			return nil, err
		}
		out.Rows = append(out.Rows, rows...)
	}
	return out, nil
}

// Drain runs q and reads all batches (for timing). It returns the row
// count and the engine's peak memory for the query.
func (t *Tarn) Drain(ctx context.Context, q string) (rows, peakMem int64, err error) {
	res, err := t.Session.Query(ctx, q)
	if err != nil {
		return 0, 0, err
	}
	defer res.Close()
	for {
		rec, err := res.Next(ctx)
		if err != nil {
			return rows, 0, err
		}
		if rec == nil {
			break
		}
		rows += rec.NumRows()
		rec.Release()
	}
	return rows, res.Stats().PeakMemory, nil
}

func arrowColumn(f arrow.Field) Column {
	c := Column{Name: f.Name, Type: f.Type.String()}
	switch dt := f.Type.(type) {
	case *arrow.Decimal64Type:
		c.Kind, c.Scale = KindDecimal, dt.Scale
	case *arrow.Decimal128Type:
		c.Kind, c.Scale = KindDecimal, dt.Scale
	default:
		switch f.Type.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
			c.Kind = KindInt
		case arrow.FLOAT32, arrow.FLOAT64:
			c.Kind = KindFloat
		case arrow.STRING, arrow.LARGE_STRING:
			c.Kind = KindString
		case arrow.DATE32:
			c.Kind = KindDate
		case arrow.TIMESTAMP:
			c.Kind = KindTimestamp
		case arrow.BOOL:
			c.Kind = KindBool
		case arrow.NULL:
			c.Kind = KindNull
		default:
			c.Kind = KindString
		}
	}
	return c
}

// arrowRows converts a record batch to neutral rows.
func arrowRows(rec arrow.RecordBatch, cols []Column) ([][]any, error) {
	n := int(rec.NumRows())
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = make([]any, rec.NumCols())
	}
	for c := 0; c < int(rec.NumCols()); c++ {
		col := rec.Column(c)
		for r := 0; r < n; r++ {
			if col.IsNull(r) {
				continue
			}
			var v any
			switch a := col.(type) {
			case *array.Int8:
				v = int64(a.Value(r))
			case *array.Int16:
				v = int64(a.Value(r))
			case *array.Int32:
				v = int64(a.Value(r))
			case *array.Int64:
				v = a.Value(r)
			case *array.Uint8:
				v = int64(a.Value(r))
			case *array.Uint16:
				v = int64(a.Value(r))
			case *array.Uint32:
				v = int64(a.Value(r))
			case *array.Uint64:
				v = int64(a.Value(r))
			case *array.Float32:
				v = float64(a.Value(r))
			case *array.Float64:
				v = a.Value(r)
			case *array.Decimal64:
				v = Decimal{Unscaled: big.NewInt(int64(a.Value(r))), Scale: cols[c].Scale}
			case *array.Decimal128:
				v = Decimal{Unscaled: a.Value(r).BigInt(), Scale: cols[c].Scale}
			case *array.String:
				// Value aliases the Arrow buffer, recycled after Release.
				v = strings.Clone(a.Value(r))
			case *array.LargeString:
				v = strings.Clone(a.Value(r))
			case *array.Boolean:
				v = a.Value(r)
			case *array.Date32:
				v = a.Value(r).ToTime().Format("2006-01-02")
			case *array.Timestamp:
				unit := a.DataType().(*arrow.TimestampType).Unit
				v = formatTimestamp(a.Value(r).ToTime(unit))
			case *array.Null:
			default:
				return nil, fmt.Errorf("column %s: unsupported arrow type %s", cols[c].Name, col.DataType())
			}
			rows[r][c] = v
		}
	}
	return rows, nil
}
