package eval

//go:generate go run gen_kernels.go

import (
	"context"
	"fmt"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// Semantics (MySQL dialect) implemented by this package:
//   - Three-valued (Kleene) logic for and/or/not; comparisons with NULL
//     give NULL; "<=>" is NULL-safe equality (never NULL).
//   - String comparison is binary: bytewise, case-sensitive.
//   - Integer arithmetic overflow is an error naming the expression;
//     floats follow IEEE; "/" and "%" by zero yield NULL; "div" truncates.
//   - Decimal results are exact; rounding is half away from zero; a
//     result that does not fit its precision is an error.
//   - and/or in Eval evaluate every argument over the batch; in Select
//     (filters) "and" narrows the selection argument by argument, so later
//     arguments only see rows the earlier ones kept.
//   - CASE, COALESCE and IF are lazy: each branch is evaluated only over the
//     rows that reach it (through a selection vector), so an error in an
//     untaken branch does not fire.

// node is a compiled expression.
type node interface {
	Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error)
}

// selecter is implemented by boolean nodes that can produce a selection
// directly, without materializing a boolean array. Candidates are b.Sel
// (nil = all b.Len rows); the result holds physical positions and may be
// written into buf (which may alias nothing the caller still needs).
type selecter interface {
	Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error)
}

// Compile compiles e into an evaluator.
func Compile(e expr.Expr, env *Env) (Evaluator, error) {
	c, err := newCompiler(env)
	if err != nil {
		return nil, err
	}
	return c.compile(e)
}

// CompilePredicate compiles a boolean expression into a filter.
func CompilePredicate(e expr.Expr, env *Env) (Predicate, error) {
	if id := e.Type().ID(); id != arrow.BOOL && id != arrow.NULL {
		return nil, fmt.Errorf("filter %s: expected BOOLEAN, got %s", e, types.SQLName(e.Type()))
	}
	c, err := newCompiler(env)
	if err != nil {
		return nil, err
	}
	n, err := c.compile(e)
	if err != nil {
		return nil, err
	}
	return asPredicate(n), nil
}

type compiler struct {
	env *Env
	mem memory.Allocator
	now time.Time
	// noDict is set while compiling the parts of a dictPred (dict.go).
	noDict bool
}

func newCompiler(env *Env) (*compiler, error) {
	if env == nil {
		env = &Env{}
	}
	mem := env.Mem
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	return &compiler{env: env, mem: mem, now: time.Now().UTC()}, nil
}

func (c *compiler) compile(e expr.Expr) (node, error) {
	if !c.noDict {
		if col, ok := dictPredColumn(e); ok {
			return c.compileDictPred(e, col)
		}
	}
	switch e := e.(type) {
	case *expr.ColumnRef:
		if e.Index < 0 {
			return nil, fmt.Errorf("column %s: negative index", e)
		}
		return &colNode{idx: e.Index, t: e.T, mem: c.mem}, nil
	case *expr.Literal:
		v, err := normValue(e.Value, e.T)
		if err != nil {
			return nil, fmt.Errorf("literal %s: %w", e, err)
		}
		return &constNode{t: e.T, v: v, mem: c.mem}, nil
	case *expr.Param:
		if e.Index < 0 || e.Index >= len(c.env.Params) {
			return nil, fmt.Errorf("parameter ?%d: only %d parameters bound", e.Index, len(c.env.Params))
		}
		v, err := normValue(c.env.Params[e.Index], e.T)
		if err != nil {
			return nil, fmt.Errorf("parameter ?%d: %w", e.Index, err)
		}
		return &constNode{t: e.T, v: v, mem: c.mem}, nil
	case *expr.Call:
		return c.compileCall(e)
	case *expr.Case:
		return c.compileCase(e)
	case *expr.Cast:
		return c.compileCast(e)
	case *expr.InList:
		return c.compileIn(e)
	case nil:
		return nil, fmt.Errorf("nil expression")
	}
	return nil, fmt.Errorf("unsupported expression %T (%s)", e, e)
}

// ---------------------------------------------------------------------
// Leaves.

type colNode struct {
	idx int
	t   arrow.DataType
	mem memory.Allocator
}

func (n *colNode) Eval(_ context.Context, b *vec.Batch) (arrow.Array, error) {
	if n.idx >= len(b.Cols) {
		return nil, fmt.Errorf("column #%d out of range: batch has %d columns", n.idx, len(b.Cols))
	}
	col := b.Cols[n.idx]
	if b.Sel == nil {
		col.Retain()
		return col, nil
	}
	return vec.Take(n.mem, col, b.Sel), nil
}

type constNode struct {
	t   arrow.DataType
	v   any // normalized literal value; nil = NULL
	mem memory.Allocator
}

func (n *constNode) Eval(_ context.Context, b *vec.Batch) (arrow.Array, error) {
	return constArray(n.mem, n.t, n.v, b.NumRows()), nil
}

func isConst(n node) (*constNode, bool) {
	c, ok := n.(*constNode)
	return c, ok
}

func isNullConst(n node) bool {
	c, ok := n.(*constNode)
	return ok && c.v == nil
}

// normValue converts a literal/param Go value to the canonical form for
// type t: int64 for integers, decimal64, timestamps; int32 for dates;
// float64; string; bool; decimal128.Num.
func normValue(v any, t arrow.DataType) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t.ID() {
	case arrow.NULL:
		return nil, nil
	case arrow.BOOL:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		case int:
			return x != 0, nil
		}
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DECIMAL64, arrow.TIMESTAMP:
		if i, ok := anyInt(v); ok {
			return i, nil
		}
		if t.ID() == arrow.DECIMAL64 {
			if n, ok := v.(decimal128.Num); ok {
				return n.LowBits(), nil
			}
		}
	case arrow.DATE32:
		switch x := v.(type) {
		case int32:
			return x, nil
		case arrow.Date32:
			return int32(x), nil
		}
		if i, ok := anyInt(v); ok {
			return int32(i), nil
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
		if i, ok := anyInt(v); ok {
			return float64(i), nil
		}
	case arrow.STRING, arrow.LARGE_STRING:
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case arrow.DECIMAL128:
		switch x := v.(type) {
		case decimal128.Num:
			return x, nil
		}
		if i, ok := anyInt(v); ok {
			return decimal128.FromI64(i), nil
		}
	default:
		return nil, fmt.Errorf("unsupported type %s", types.SQLName(t))
	}
	return nil, fmt.Errorf("value %v (%T) does not match type %s", v, v, types.SQLName(t))
}

func anyInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case int16:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case arrow.Timestamp:
		return int64(x), true
	}
	return 0, false
}

// constArray builds n copies of v (nil = NULL) as an array of type t.
func constArray(mem memory.Allocator, t arrow.DataType, v any, n int) arrow.Array {
	switch t.ID() {
	case arrow.NULL:
		return array.NewNull(n)
	case arrow.BOOL:
		bb := newBoolOut(mem, n)
		if v != nil && v.(bool) {
			bs := bb.vals.Bytes()
			for i := range bs {
				bs[i] = 0xff
			}
		}
		if v == nil {
			bb.allNull()
		}
		return bb.finish()
	case arrow.STRING, arrow.LARGE_STRING:
		sb := vec.NewStringBuilder(mem, n)
		for i := 0; i < n; i++ {
			if v == nil {
				sb.AppendNull()
			} else {
				sb.AppendString(v.(string))
			}
		}
		return sb.Finish()
	case arrow.DECIMAL128:
		bld := newBuf128(mem, n)
		if v == nil {
			return bld.finish(t, allNullValidity(mem, n), n)
		}
		x := numTo16(v.(decimal128.Num))
		for i := range bld.V {
			bld.V[i] = x
		}
		return bld.finish(t, nil, 0)
	}
	switch physOf(t) {
	case kI8:
		return constFixed[int8](mem, t, v, n)
	case kI16:
		return constFixed[int16](mem, t, v, n)
	case kI32:
		return constFixed[int32](mem, t, v, n)
	case kI64:
		return constFixed[int64](mem, t, v, n)
	case kF32:
		return constFixed[float32](mem, t, v, n)
	case kF64:
		return constFixed[float64](mem, t, v, n)
	}
	if vec.IsNestedType(t) {
		// a NULL of a nested type (CASE without ELSE, NULL literals)
		return array.MakeArrayOfNull(mem, t, n)
	}
	return array.NewNull(n)
}

func constFixed[T vec.Fixed](mem memory.Allocator, t arrow.DataType, v any, n int) arrow.Array {
	b := vec.NewBuilder[T](mem, t, n)
	if v == nil {
		b.SetValidity(allNullValidity(mem, n), n)
		return b.Finish()
	}
	x := constAs[T](v)
	vals := b.Values
	for i := range vals {
		vals[i] = x
	}
	return b.Finish()
}

// constAs converts a normalized literal value to T.
func constAs[T vec.Fixed](v any) T {
	switch x := v.(type) {
	case int64:
		return T(x)
	case int32:
		return T(x)
	case float64:
		return T(x)
	case bool:
		if x {
			return 1
		}
		return 0
	}
	var zero T
	return zero
}

func allNullValidity(mem memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bs := buf.Bytes()
	for i := range bs {
		bs[i] = 0
	}
	return buf
}

// buf128 is a decimal128 output under construction.
type buf128 struct {
	data *memory.Buffer
	V    []vec.Bytes16
}

func newBuf128(mem memory.Allocator, n int) *buf128 {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(16 * n)
	b := &buf128{data: buf}
	if n > 0 {
		b.V = unsafe.Slice((*vec.Bytes16)(unsafe.Pointer(unsafe.SliceData(buf.Bytes()))), n)
	}
	return b
}

// finish returns the array; valid (may be nil) passes to the array.
func (b *buf128) finish(t arrow.DataType, valid *memory.Buffer, nulls int) arrow.Array {
	return finishBuffers(t, len(b.V), b.data, valid, nulls)
}

// finishBuffers wraps a fixed-width data buffer and a validity bitmap
// (both handed over) in an array.
func finishBuffers(t arrow.DataType, n int, data, valid *memory.Buffer, nulls int) arrow.Array {
	if nulls == 0 && valid != nil {
		valid.Release()
		valid = nil
	}
	d := array.NewData(t, n, []*memory.Buffer{valid, data}, nil, nulls, 0)
	data.Release()
	if valid != nil {
		valid.Release()
	}
	arr := array.MakeFromData(d)
	d.Release()
	return arr
}

// constNum returns a decimal128 constant's value.
func constNum(v any) decimal128.Num {
	switch x := v.(type) {
	case decimal128.Num:
		return x
	case int64:
		return decimal128.FromI64(x)
	}
	return decimal128.Num{}
}

func numTo16(x decimal128.Num) vec.Bytes16 {
	return vec.Bytes16{Lo: x.LowBits(), Hi: uint64(x.HighBits())}
}

func b16ToNum(x vec.Bytes16) decimal128.Num { return decimal128.New(int64(x.Hi), x.Lo) }

// ---------------------------------------------------------------------
// Physical kinds.

type physKind int

const (
	kNull physKind = iota
	kBool
	kI8
	kI16
	kI32
	kI64
	kF32
	kF64
	kD128
	kStr
	kOther
)

func physOf(t arrow.DataType) physKind {
	switch t.ID() {
	case arrow.NULL:
		return kNull
	case arrow.BOOL:
		return kBool
	case arrow.INT8:
		return kI8
	case arrow.INT16:
		return kI16
	case arrow.INT32, arrow.DATE32:
		return kI32
	case arrow.INT64, arrow.DECIMAL64, arrow.TIMESTAMP:
		return kI64
	case arrow.FLOAT32:
		return kF32
	case arrow.FLOAT64:
		return kF64
	case arrow.DECIMAL128:
		return kD128
	case arrow.STRING, arrow.LARGE_STRING:
		return kStr
	}
	return kOther
}

// ---------------------------------------------------------------------
// Operands: a compiled child resolved per batch to an array plus the
// selection through which it is read.

type operand struct {
	n     node
	col   int // >= 0: a column of the batch, read through b.Sel
	cnst  *constNode
	t     arrow.DataType
	isCol bool
}

func (c *compiler) operand(e expr.Expr) (operand, error) {
	n, err := c.compile(e)
	if err != nil {
		return operand{}, err
	}
	return mkOperand(n, e.Type()), nil
}

func mkOperand(n node, t arrow.DataType) operand {
	o := operand{n: n, t: t, col: -1}
	switch x := n.(type) {
	case *colNode:
		o.col, o.isCol = x.idx, true
	case *constNode:
		o.cnst = x
	}
	return o
}

// rop is a resolved operand. Logical row j lives at arr[j] (sel nil) or
// arr[sel[j]]; constants have arr nil.
type rop struct {
	arr   arrow.Array
	sel   []int32
	owned bool
	c     *constNode
}

func (o *operand) resolve(ctx context.Context, b *vec.Batch) (rop, error) {
	switch {
	case o.cnst != nil:
		return rop{c: o.cnst}, nil
	case o.isCol:
		if o.col >= len(b.Cols) {
			return rop{}, fmt.Errorf("column #%d out of range: batch has %d columns", o.col, len(b.Cols))
		}
		return rop{arr: b.Cols[o.col], sel: b.Sel}, nil
	}
	a, err := o.n.Eval(ctx, b)
	if err != nil {
		return rop{}, err
	}
	return rop{arr: a, owned: true}, nil
}

func (r *rop) release() {
	if r.owned && r.arr != nil {
		r.arr.Release()
		r.arr = nil
	}
}

func (r *rop) hasNulls() bool {
	if r.arr == nil {
		return r.c.v == nil
	}
	return r.arr.NullN() > 0
}

// valid reports whether logical row j is not NULL.
func (r *rop) valid(j int) bool {
	if r.arr == nil {
		return r.c.v != nil
	}
	if r.arr.NullN() == 0 {
		return true
	}
	if r.sel != nil {
		return r.arr.IsValid(int(r.sel[j]))
	}
	return r.arr.IsValid(j)
}

// phys is the physical index of logical row j.
func (r *rop) phys(j int) int {
	if r.sel != nil {
		return int(r.sel[j])
	}
	return j
}

// dense makes r readable at logical positions (gathers a column read
// through a selection).
func (r *rop) dense(mem memory.Allocator) {
	if r.arr != nil && r.sel != nil {
		a := vec.Take(mem, r.arr, r.sel)
		r.release()
		r.arr, r.sel, r.owned = a, nil, true
	}
}

// combineValidity returns the AND of the operands' validity over n
// logical rows (nil when no row is NULL).
func combineValidity(mem memory.Allocator, n int, ops ...*rop) (*memory.Buffer, int) {
	any := false
	for _, o := range ops {
		if o.hasNulls() {
			any = true
			if o.arr == nil { // NULL constant: everything NULL
				return allNullValidity(mem, n), n
			}
		}
	}
	if !any || n == 0 {
		return nil, 0
	}
	buf := vec.NewValidity(mem, n)
	bs := buf.Bytes()
	first := true
	for _, o := range ops {
		if !o.hasNulls() {
			continue
		}
		d := o.arr.Data()
		vb := d.Buffers()[0].Bytes()
		off := d.Offset()
		if o.sel == nil && first {
			bitutil.CopyBitmap(vb, off, n, bs, 0)
		} else if o.sel == nil {
			for j := 0; j < n; j++ {
				if !bitutil.BitIsSet(vb, off+j) {
					bitutil.ClearBit(bs, j)
				}
			}
		} else {
			for j, i := range o.sel[:n] {
				if !bitutil.BitIsSet(vb, off+int(i)) {
					bitutil.ClearBit(bs, j)
				}
			}
		}
		first = false
	}
	nulls := n - bitutil.CountSetBits(bs, 0, n)
	if nulls == 0 {
		buf.Release()
		return nil, 0
	}
	return buf, nulls
}

// ---------------------------------------------------------------------
// Boolean output.

type boolOut struct {
	mem   memory.Allocator
	n     int
	vals  *memory.Buffer
	valid *memory.Buffer
	nulls int
}

func newBoolOut(mem memory.Allocator, n int) *boolOut {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bs := buf.Bytes()
	for i := range bs {
		bs[i] = 0
	}
	return &boolOut{mem: mem, n: n, vals: buf}
}

func (o *boolOut) setValidity(v *memory.Buffer, nulls int) {
	if o.valid != nil {
		o.valid.Release()
	}
	o.valid, o.nulls = v, nulls
}

func (o *boolOut) allNull() {
	o.setValidity(allNullValidity(o.mem, o.n), o.n)
}

func (o *boolOut) setNull(j int) {
	if o.valid == nil {
		o.valid = vec.NewValidity(o.mem, o.n)
	}
	if bitutil.BitIsSet(o.valid.Bytes(), j) {
		bitutil.ClearBit(o.valid.Bytes(), j)
		o.nulls++
	}
}

func (o *boolOut) finish() arrow.Array {
	if o.nulls == 0 && o.valid != nil {
		o.valid.Release()
		o.valid = nil
	}
	d := array.NewData(arrow.FixedWidthTypes.Boolean, o.n, []*memory.Buffer{o.valid, o.vals}, nil, o.nulls, 0)
	o.vals.Release()
	if o.valid != nil {
		o.valid.Release()
	}
	a := array.MakeFromData(d)
	d.Release()
	return a
}

// ---------------------------------------------------------------------
// Predicates.

func asPredicate(n node) Predicate {
	if s, ok := n.(selecter); ok {
		return &predicate{n: n, s: s}
	}
	return &predicate{n: n}
}

type predicate struct {
	n node
	s selecter
}

func (p *predicate) Select(ctx context.Context, b *vec.Batch, buf []int32) ([]int32, error) {
	if b.NumRows() == 0 {
		return buf[:0], nil
	}
	if p.s != nil {
		return p.s.Select(ctx, b, buf)
	}
	return selectByEval(ctx, p.n, b, buf)
}

// selectOf runs n as a filter over b's live rows.
func selectOf(ctx context.Context, n node, b *vec.Batch, buf []int32) ([]int32, error) {
	if b.NumRows() == 0 {
		return buf[:0], nil
	}
	if s, ok := n.(selecter); ok {
		return s.Select(ctx, b, buf)
	}
	return selectByEval(ctx, n, b, buf)
}

// selectByEval is the generic filter: evaluate to a boolean array and keep
// the TRUE rows.
func selectByEval(ctx context.Context, n node, b *vec.Batch, buf []int32) ([]int32, error) {
	a, err := n.Eval(ctx, b)
	if err != nil {
		return nil, err
	}
	defer a.Release()
	out := buf[:0]
	ba, ok := a.(*array.Boolean)
	if !ok {
		if a.DataType().ID() == arrow.NULL {
			return out, nil
		}
		return nil, fmt.Errorf("filter: expected BOOLEAN result, got %s", types.SQLName(a.DataType()))
	}
	m := ba.Len()
	for j := 0; j < m; j++ {
		if ba.Value(j) && vec.IsValid(ba, j) {
			if b.Sel != nil {
				out = append(out, b.Sel[j])
			} else {
				out = append(out, int32(j))
			}
		}
	}
	return out, nil
}

// growSel returns buf with capacity for n positions.
func growSel(buf []int32, n int) []int32 {
	if cap(buf) < n {
		return make([]int32, n)
	}
	return buf[:n]
}

// subBatch is b restricted to the physical rows in sel.
func subBatch(b *vec.Batch, sel []int32) *vec.Batch {
	return &vec.Batch{Cols: b.Cols, Len: b.Len, Sel: sel}
}

// physToLogical maps physical positions (a subsequence of b.Sel, or of
// 0..Len-1 when Sel is nil) to logical row numbers, in place.
func physToLogical(pos []int32, sel []int32) []int32 {
	if sel == nil {
		return pos
	}
	j := 0
	for k, p := range pos {
		for sel[j] != p {
			j++
		}
		pos[k] = int32(j)
	}
	return pos
}
