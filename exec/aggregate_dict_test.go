package exec_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/exec/exectest"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
)

// dictTable serves rows (k VARCHAR, x BIGINT) in splits that each use
// their own dictionary for k (a different order of the same strings, as
// different Parquet row groups do), every third split plain, with NULL
// keys, so that one column mixes dictionary and plain batches.
type dictTable struct {
	schema *arrow.Schema
	splits [][]dictTableRow
}

type dictTableRow struct {
	k *string
	x int64
}

func (t *dictTable) Name() string          { return "dict" }
func (t *dictTable) Schema() *arrow.Schema { return t.schema }
func (t *dictTable) Estimate(context.Context) (int64, int64) {
	return -1, -1
}
func (t *dictTable) Splits(context.Context, *connectors.ScanRequest) ([]connectors.Split, error) {
	out := make([]connectors.Split, len(t.splits))
	for i := range out {
		out[i] = connectors.Split{RowGroups: []int{i}, Rows: -1}
	}
	return out, nil
}

func (t *dictTable) Open(_ context.Context, s connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	i := s.RowGroups[0]
	return &dictReader{t: t, split: i, rows: t.splits[i], req: req, dict: i%3 != 2 && len(req.DictOK) == len(req.Columns)}, nil
}

type dictReader struct {
	t     *dictTable
	split int
	rows  []dictTableRow
	req   *connectors.ScanRequest
	dict  bool
	pos   int
	d     arrow.Array
}

func (r *dictReader) Next(context.Context) (arrow.RecordBatch, error) {
	if r.pos >= len(r.rows) {
		return nil, io.EOF
	}
	n := min(len(r.rows)-r.pos, max(r.req.BatchSize, 1))
	rows := r.rows[r.pos : r.pos+n]
	r.pos += n
	mem := r.req.Mem
	xb := array.NewInt64Builder(mem)
	defer xb.Release()
	var cols []arrow.Array
	var fields []arrow.Field
	for _, c := range r.req.Columns {
		f := r.t.schema.Field(c)
		switch c {
		case 0:
			dictOK := r.dict && r.req.DictOK[len(cols)]
			if dictOK {
				if r.d == nil {
					// This split's dictionary: the strings in a rotated order.
					db := array.NewStringBuilder(mem)
					for j := range dictWords {
						db.Append(dictWords[(j+r.split)%len(dictWords)])
					}
					r.d = db.NewArray()
					db.Release()
				}
				ib := array.NewInt32Builder(mem)
				for _, row := range rows {
					if row.k == nil {
						ib.AppendNull()
						continue
					}
					for j := range dictWords {
						if dictWords[(j+r.split)%len(dictWords)] == *row.k {
							ib.Append(int32(j))
						}
					}
				}
				ix := ib.NewArray()
				ib.Release()
				dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
				cols = append(cols, array.NewDictionaryArray(dt, ix, r.d))
				ix.Release()
				f.Type = dt
			} else {
				sb := array.NewStringBuilder(mem)
				for _, row := range rows {
					if row.k == nil {
						sb.AppendNull()
					} else {
						sb.Append(*row.k)
					}
				}
				cols = append(cols, sb.NewArray())
				sb.Release()
			}
		case 1:
			for _, row := range rows {
				xb.Append(row.x)
			}
			cols = append(cols, xb.NewArray())
		}
		fields = append(fields, f)
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

func (r *dictReader) Close() error {
	if r.d != nil {
		r.d.Release()
		r.d = nil
	}
	return nil
}

var dictWords = []string{"AIR", "FOB", "MAIL", "RAIL", "REG AIR", "SHIP", "TRUCK", ""}

func newDictTable() *dictTable {
	t := &dictTable{schema: exectest.Schema("k", types.String, "x", types.Int64)}
	i := 0
	for s := 0; s < 7; s++ {
		var rows []dictTableRow
		for j := 0; j < 300+s*37; j++ {
			row := dictTableRow{x: int64(i % 13)}
			if i%11 != 4 {
				w := dictWords[(i*3+i/5)%len(dictWords)]
				row.k = &w
			}
			rows = append(rows, row)
			i++
		}
		t.splits = append(t.splits, rows)
	}
	return t
}

// TestAggregateDictKeys groups by a key column that arrives as
// dictionaries (one per split, the same string at different indexes)
// mixed with plain batches and NULLs, alone and with a second key, below
// a dictionary filter, and compares with the groups computed directly.
func TestAggregateDictKeys(t *testing.T) {
	tab := newDictTable()
	k, x := exectest.Col(0, types.String), exectest.Col(1, types.Int64)
	type grp struct {
		k string
		x int64
	}
	for _, filtered := range []bool{false, true} {
		for _, nk := range []int{1, 2, 3} {
			twoKeys, sameTwice := nk == 2, nk == 3
			counts := map[grp]int64{}
			sums := map[grp]int64{}
			for _, rows := range tab.splits {
				for _, r := range rows {
					kk := "NULL"
					if r.k != nil {
						kk = *r.k
					}
					if filtered && kk != "MAIL" && kk != "SHIP" && kk != "" {
						continue
					}
					g := grp{k: kk}
					if twoKeys {
						g.x = r.x
					}
					counts[g]++
					sums[g] += r.x
				}
			}
			var want [][]any
			for g, c := range counts {
				var kv any = g.k
				if g.k == "NULL" {
					kv = nil
				}
				if twoKeys {
					want = append(want, []any{kv, g.x, c, sums[g]})
				} else if sameTwice {
					want = append(want, []any{kv, kv, c, sums[g]})
				} else {
					want = append(want, []any{kv, c, sums[g]})
				}
			}
			scan := &plan.Scan{Base: plan.Base{Out: tab.schema, Rows: -1}, Table: tab, Columns: []int{0, 1}, DictOK: []bool{true, false}}
			var in plan.Node = scan
			if filtered {
				s := types.String
				in = &plan.Filter{Base: plan.Base{Out: tab.schema, Rows: -1}, Input: scan,
					Pred: &expr.InList{E: k, List: []expr.Expr{exectest.Lit("MAIL", s), exectest.Lit("SHIP", s), exectest.Lit("", s)}}}
			}
			keys := []expr.Expr{k}
			if twoKeys {
				keys = append(keys, x)
			}
			if sameTwice { // two dictionary keys: the combination cache
				keys = append(keys, k)
			}
			root := aggPlan(in, keys, agg("count_star", nil, types.Int64), agg("sum", x, types.Int64))
			for _, slices := range []int{1, 3} {
				for _, bs := range []int{1, 7, 1024} {
					t.Run(fmt.Sprintf("filtered=%v/keys=%d/slices=%d/batch=%d", filtered, nk, slices, bs), func(t *testing.T) {
						got := exectest.Run(t, root, slices, bs)
						if d := exectest.Diff(got, want, false); d != "" {
							t.Fatal(d)
						}
					})
				}
			}
		}
	}
}
