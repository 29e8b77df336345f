package eval

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// Predicates over dictionary-encoded VARCHAR columns.
//
// A scan may hand the operators above it arrow.Dictionary(int32 -> utf8)
// arrays for the columns the planner allowed (planner/dictcols.go): only
// columns whose every use is a group key or a simple predicate of the
// column against constants. Such a predicate (comparison with a literal,
// IN list of literals, LIKE with a constant pattern, IS [NOT] NULL, and
// AND/OR/NOT of those over the same column) compiles to a dictPred: over
// a plain array it runs the ordinary kernel; over a dictionary it
// evaluates the kernel once per distinct dictionary (cached by the
// dictionary's identity, so once per Parquet column chunk) on the
// dictionary values, and then maps rows to results through the indices.
// These forms cannot fail, so evaluating them on dictionary entries no
// live row references changes nothing.

// dictPredColumn returns the column index if e is a boolean predicate of
// the forms above over one VARCHAR column.
func dictPredColumn(e expr.Expr) (int, bool) {
	col := -1
	if !expr.DictPredicate(e, &col) {
		return 0, false
	}
	return col, col >= 0
}

// refTo0 rewrites the column references of a expr.DictPredicate expression to
// column 0 (the dictionary values batch).
func refTo0(e expr.Expr) expr.Expr {
	switch e := e.(type) {
	case *expr.ColumnRef:
		c := *e
		c.Index = 0
		return &c
	case *expr.InList:
		c := *e
		c.E = refTo0(e.E)
		return &c
	case *expr.Call:
		c := *e
		c.Args = make([]expr.Expr, len(e.Args))
		for i, a := range e.Args {
			c.Args[i] = refTo0(a)
		}
		return &c
	}
	return e
}

// compileDictPred compiles an expr.DictPredicate predicate over column col.
func (c *compiler) compileDictPred(e expr.Expr, col int) (node, error) {
	c.noDict = true
	defer func() { c.noDict = false }()
	plain, err := c.compile(e)
	if err != nil {
		return nil, err
	}
	entry, err := c.compile(refTo0(e))
	if err != nil {
		return nil, err
	}
	return &dictPred{col: col, plain: plain, entry: entry, mem: c.mem, what: e.String()}, nil
}

// Entry results.
const (
	dictFalse uint8 = iota
	dictTrue
	dictNull
)

// dictPred is a predicate over one VARCHAR column that may arrive
// dictionary-encoded.
type dictPred struct {
	col   int
	plain node // the ordinary kernel (plain arrays)
	entry node // the same predicate over column 0 (dictionary values)
	mem   memory.Allocator
	what  string
	// cache: the results for the dictionary key (by identity).
	key     arrow.ArrayData
	res     []uint8 // per dictionary entry
	pass    []uint8 // 1 where res is TRUE
	nullRes uint8   // result for a NULL row (a NULL index)
}

// dictionaryOf returns a as a dictionary array with String values.
func dictionaryOf(a arrow.Array) (*array.Dictionary, bool) {
	d, ok := a.(*array.Dictionary)
	if !ok {
		return nil, false
	}
	return d, true
}

// entries computes (or reuses) the per-entry results for d.
func (p *dictPred) entries(ctx context.Context, d *array.Dictionary) error {
	key := d.Data().Dictionary()
	if p.key == key && p.res != nil {
		return nil
	}
	vals := d.Dictionary()
	if id := vals.DataType().ID(); id != arrow.STRING {
		return fmt.Errorf("filter %s: dictionary values of type %s, expected VARCHAR", p.what, vals.DataType())
	}
	n := vals.Len()
	if cap(p.res) < n {
		p.res = make([]uint8, n)
		p.pass = make([]uint8, n)
	}
	p.res, p.pass = p.res[:n], p.pass[:n]
	if n > 0 {
		r, err := p.entry.Eval(ctx, &vec.Batch{Cols: []arrow.Array{vals}, Len: n})
		if err != nil {
			return err
		}
		fill(r, p.res)
		r.Release()
	}
	for i, v := range p.res {
		p.pass[i] = 0
		if v == dictTrue {
			p.pass[i] = 1
		}
	}
	// A NULL row: the predicate over one NULL value.
	null := array.MakeArrayOfNull(p.mem, arrow.BinaryTypes.String, 1)
	r, err := p.entry.Eval(ctx, &vec.Batch{Cols: []arrow.Array{null}, Len: 1})
	null.Release()
	if err != nil {
		return err
	}
	var one [1]uint8
	fill(r, one[:])
	r.Release()
	p.nullRes = one[0]
	p.key = key
	return nil
}

// fill stores the three-valued results of a boolean (or NULL-typed)
// array into out.
func fill(r arrow.Array, out []uint8) {
	b, ok := r.(*array.Boolean)
	for i := range out {
		switch {
		case !ok || r.IsNull(i):
			out[i] = dictNull
		case b.Value(i):
			out[i] = dictTrue
		default:
			out[i] = dictFalse
		}
	}
}

func (p *dictPred) column(b *vec.Batch) (arrow.Array, error) {
	if p.col >= len(b.Cols) {
		return nil, fmt.Errorf("column #%d out of range: batch has %d columns", p.col, len(b.Cols))
	}
	return b.Cols[p.col], nil
}

// Eval returns the predicate's value per live row.
func (p *dictPred) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	a, err := p.column(b)
	if err != nil {
		return nil, err
	}
	d, ok := dictionaryOf(a)
	if !ok {
		return p.plain.Eval(ctx, b)
	}
	if err := p.entries(ctx, d); err != nil {
		return nil, err
	}
	n := b.NumRows()
	idx := vec.Values[int32](d)
	o := newBoolOut(p.mem, n)
	bs := o.vals.Bytes()
	nulls := d.NullN() > 0
	for j := 0; j < n; j++ {
		r := j
		if b.Sel != nil {
			r = int(b.Sel[j])
		}
		v := p.nullRes
		if !nulls || d.IsValid(r) {
			v = p.res[idx[r]]
		}
		switch v {
		case dictTrue:
			bitutil.SetBit(bs, j)
		case dictNull:
			o.setNull(j)
		}
	}
	return o.finish(), nil
}

// Select returns the physical positions of the live rows where the
// predicate is TRUE.
func (p *dictPred) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	a, err := p.column(b)
	if err != nil {
		return nil, err
	}
	d, ok := dictionaryOf(a)
	if !ok {
		return selectOf(ctx, p.plain, b, buf)
	}
	if err := p.entries(ctx, d); err != nil {
		return nil, err
	}
	idx := vec.Values[int32](d)
	pass := p.pass
	if d.NullN() > 0 {
		return p.selectNulls(d, idx, b, buf), nil
	}
	k := 0
	if b.Sel == nil {
		out := growSel(buf, b.Len)
		idx = idx[:b.Len]
		for i, x := range idx {
			out[k] = int32(i)
			k += int(pass[x])
		}
		return out[:k], nil
	}
	sel := b.Sel
	out := growSel(buf, len(sel))
	for _, r := range sel {
		// r is read before out[k] (k <= i) is written: out may alias sel.
		out[k] = r
		k += int(pass[idx[r]])
	}
	return out[:k], nil
}

func (p *dictPred) selectNulls(d *array.Dictionary, idx []int32, b *vec.Batch, buf []int32) []int32 {
	nullPass := 0
	if p.nullRes == dictTrue {
		nullPass = 1
	}
	bm, off := d.NullBitmapBytes(), d.Data().Offset()
	n := b.NumRows()
	out := growSel(buf, n)
	k := 0
	for j := 0; j < n; j++ {
		r := int32(j)
		if b.Sel != nil {
			r = b.Sel[j]
		}
		out[k] = r
		if bitutil.BitIsSet(bm, off+int(r)) {
			k += int(p.pass[idx[r]])
		} else {
			k += nullPass
		}
	}
	return out[:k]
}
