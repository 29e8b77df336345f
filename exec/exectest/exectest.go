// Package exectest is the operator test harness: it runs a physical plan
// under a matrix of slice counts and batch sizes with arrow's checked
// allocator, and compares the rows with the expected ones (CockroachDB's
// RunTests idea).
package exectest

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/connectors/memtable"
	"github.com/tarnsql/tarn/exec"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/planner/plan"
	"github.com/tarnsql/tarn/vec"
)

// Slices and BatchSizes are the matrix Check runs; 0 batch size means a
// random size in [1, 2048] chosen per run.
var (
	Slices     = []int{1, 4}
	BatchSizes = []int{1, 7, 1024, 0}
)

// Run executes root once and returns its rows in output order. It fails
// the test on error or leaked memory.
func Run(t testing.TB, root plan.Node, slices, batchSize int) [][]any {
	t.Helper()
	rows, err := RunErr(root, slices, batchSize, 0)
	if err != nil {
		t.Fatalf("slices=%d batch=%d: %v", slices, batchSize, err)
	}
	return rows
}

// RunErr executes root with a memory limit (0: none) and returns its rows
// or the error. It panics if memory leaked, since a leak is a bug in
// either case.
func RunErr(root plan.Node, slices, batchSize int, limit int64) (rows [][]any, err error) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer func() {
		if n := mem.CurrentAlloc(); n != 0 {
			panic(fmt.Sprintf("exectest: %d bytes leaked (slices=%d batch=%d)", n, slices, batchSize))
		}
	}()
	qc := exec.NewQueryCtx(slices, batchSize, exec.NewBudget(limit), mem)
	ctx := context.Background()
	s, err := exec.Run(ctx, qc, root)
	if err != nil {
		return nil, err
	}
	for {
		rec, err := s.Next(ctx)
		if err != nil {
			s.Close()
			return nil, err
		}
		if rec == nil {
			break
		}
		for i := 0; i < int(rec.NumRows()); i++ {
			row := make([]any, rec.NumCols())
			for j := range row {
				row[j] = vec.Value(rec.Column(j), i)
			}
			rows = append(rows, row)
		}
		rec.Release()
	}
	return rows, s.Close()
}

// Check runs root under the whole matrix and compares with want. When
// ordered is false rows are compared as multisets.
func Check(t *testing.T, root plan.Node, want [][]any, ordered bool) {
	t.Helper()
	for _, sl := range Slices {
		for _, bs := range BatchSizes {
			size := bs
			if size == 0 {
				size = 1 + rand.Intn(2048)
			}
			got := Run(t, root, sl, size)
			if msg := Diff(got, want, ordered); msg != "" {
				t.Fatalf("slices=%d batch=%d: %s\nplan:\n%s", sl, size, msg, plan.Explain(root))
			}
		}
	}
}

// Diff compares row sets and describes the first difference ("" if equal).
func Diff(got, want [][]any, ordered bool) string {
	g, w := Format(got), Format(want)
	if !ordered {
		sort.Strings(g)
		sort.Strings(w)
	}
	for i := 0; i < len(g) || i < len(w); i++ {
		switch {
		case i >= len(g):
			return fmt.Sprintf("missing row %d: want %s (got %d rows, want %d)", i, w[i], len(g), len(w))
		case i >= len(w):
			return fmt.Sprintf("extra row %d: got %s (got %d rows, want %d)", i, g[i], len(g), len(w))
		case g[i] != w[i]:
			return fmt.Sprintf("row %d: got %s, want %s", i, g[i], w[i])
		}
	}
	return ""
}

// Format renders rows as comparable strings.
func Format(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		parts := make([]string, len(r))
		for j, v := range r {
			if v == nil {
				parts[j] = "NULL"
			} else {
				parts[j] = fmt.Sprintf("%v", v)
			}
		}
		out[i] = strings.Join(parts, "|")
	}
	return out
}

// Table returns an in-memory table with small splits (so every slice gets
// work) named name.
func Table(name string, schema *arrow.Schema, rows [][]any) *memtable.Table {
	t := memtable.New(name, schema, rows)
	t.SplitRows = 97
	return t
}

// Scan returns a plan.Scan reading all columns of t.
func Scan(t *memtable.Table) *plan.Scan {
	s := t.Schema()
	cols := make([]int, len(s.Fields()))
	for i := range cols {
		cols[i] = i
	}
	return &plan.Scan{Base: plan.Base{Out: s, Rows: -1}, Table: t, Columns: cols}
}

// Col is a column reference of the given type.
func Col(i int, t arrow.DataType) *expr.ColumnRef { return &expr.ColumnRef{Index: i, T: t} }

// Lit is a literal.
func Lit(v any, t arrow.DataType) *expr.Literal { return &expr.Literal{Value: v, T: t} }

// Schema builds a schema of nullable fields from name/type pairs.
func Schema(pairs ...any) *arrow.Schema {
	fs := make([]arrow.Field, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		fs = append(fs, arrow.Field{Name: pairs[i].(string), Type: pairs[i+1].(arrow.DataType), Nullable: true})
	}
	return arrow.NewSchema(fs, nil)
}
