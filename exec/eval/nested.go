package eval

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// Kernels over nested values (STRUCT, ARRAY, MAP). They read the nested
// argument in place — the array plus the batch's selection — and work
// on its offsets and child arrays: each kernel computes, per output row,
// a position in a child array (or -1 for NULL) and gathers the child
// once with vec.Take, so the element type is switched on once per batch.
//
//	struct_field(s, 'name')   field of a struct (NULL when s is NULL)
//	element_at(a, i)          1-based; i < 0 counts from the end; NULL
//	                          when out of range; i = 0 is an error
//	element_at(m, k)          NULL when k is missing
//	subscript(a, i)           a[i]: like element_at but out of range is
//	                          an error; subscript(m, k) errors on a missing key
//	cardinality(a | m)        BIGINT
//	contains(a, x)            TRUE / FALSE, NULL when not found and a
//	                          holds a NULL
//	array_join(a, sep[, nullrep])  NULL elements skipped unless nullrep
//	map_keys(m), map_values(m)     ARRAY
//	to_json(x)                JSON text (also CAST(nested AS VARCHAR))

var nestedFns = map[string]bool{"struct_field": true, "element_at": true, "subscript": true, "cardinality": true,
	"contains": true, "array_join": true, "map_keys": true, "map_values": true, "to_json": true}

func (c *compiler) compileNested(e *expr.Call) (node, error) {
	for _, a := range e.Args {
		if l, ok := a.(*expr.Literal); ok && l.Value == nil {
			return &nullNode{t: e.T, mem: c.mem}, nil
		}
	}
	ops := make([]operand, len(e.Args))
	for i, a := range e.Args {
		o, err := c.operand(a)
		if err != nil {
			return nil, err
		}
		ops[i] = o
	}
	want := map[string]int{"struct_field": 2, "element_at": 2, "subscript": 2, "cardinality": 1, "contains": 2,
		"map_keys": 1, "map_values": 1, "to_json": 1}
	if n, ok := want[e.Fn]; ok && len(ops) != n || e.Fn == "array_join" && (len(ops) < 2 || len(ops) > 3) {
		return nil, fmt.Errorf("%s: wrong number of arguments (%d)", e, len(ops))
	}
	at := e.Args[0].Type()
	switch e.Fn {
	case "struct_field":
		st, ok := at.(*arrow.StructType)
		l, isLit := e.Args[1].(*expr.Literal)
		if !ok || !isLit {
			return nil, fmt.Errorf("%s: expected a STRUCT and a field name", e)
		}
		idx, found := st.FieldIdx(l.Value.(string))
		if !found {
			return nil, fmt.Errorf("%s: %s has no field %q", e, types.SQLName(at), l.Value)
		}
		return &structFieldNode{s: ops[0], field: idx, mem: c.mem}, nil
	case "element_at", "subscript":
		strict := e.Fn == "subscript"
		switch t := at.(type) {
		case *arrow.ListType:
			if e.Args[1].Type().ID() != arrow.INT64 {
				return nil, fmt.Errorf("%s: index must be BIGINT", e)
			}
			return &elementAtNode{list: ops[0], idx: ops[1], strict: strict, e: e, mem: c.mem}, nil
		case *arrow.MapType:
			if !arrow.TypeEqual(e.Args[1].Type(), t.KeyType()) {
				return nil, fmt.Errorf("%s: key must have the map's key type %s", e, types.SQLName(t.KeyType()))
			}
			if physOf(t.KeyType()) == kBool || physOf(t.KeyType()) == kOther {
				return nil, fmt.Errorf("%s: lookups in maps with %s keys are not supported", e, types.SQLName(t.KeyType()))
			}
			return &mapLookupNode{m: ops[0], key: ops[1], strict: strict, e: e, mem: c.mem}, nil
		}
	case "cardinality":
		if at.ID() == arrow.LIST || at.ID() == arrow.MAP {
			return &cardinalityNode{a: ops[0], mem: c.mem}, nil
		}
	case "contains":
		if lt, ok := at.(*arrow.ListType); ok && arrow.TypeEqual(lt.Elem(), e.Args[1].Type()) {
			if k := physOf(lt.Elem()); k == kOther || k == kNull {
				return nil, fmt.Errorf("%s: elements of type %s cannot be compared", e, types.SQLName(lt.Elem()))
			}
			return &containsNode{list: ops[0], x: ops[1], mem: c.mem}, nil
		}
	case "array_join":
		lt, ok := at.(*arrow.ListType)
		if !ok {
			break
		}
		n := &arrayJoinNode{list: ops[0], sep: ops[1], mem: c.mem}
		if len(ops) == 3 {
			n.nullRep, n.hasRep = ops[2], true
		}
		if !types.IsString(lt.Elem()) {
			// elements are converted with the engine's CAST to VARCHAR
			cn, err := c.compileCast(&expr.Cast{E: &expr.ColumnRef{Index: 0, T: lt.Elem()}, T: types.String})
			if err != nil {
				return nil, fmt.Errorf("%s: %w", e, err)
			}
			n.toStr = cn
		}
		return n, nil
	case "map_keys", "map_values":
		if at.ID() == arrow.MAP {
			return &mapPartNode{m: ops[0], values: e.Fn == "map_values", t: e.T, mem: c.mem}, nil
		}
	case "to_json":
		return &toJSONNode{a: ops[0], mem: c.mem}, nil
	}
	return nil, fmt.Errorf("%s: unsupported argument type %s", e, types.SQLName(at))
}

// nullNode is a NULL of any type (nested types included).
type nullNode struct {
	t   arrow.DataType
	mem memory.Allocator
}

func (n *nullNode) Eval(_ context.Context, b *vec.Batch) (arrow.Array, error) {
	return nullArray(n.mem, n.t, b.NumRows()), nil
}

func nullArray(mem memory.Allocator, t arrow.DataType, n int) arrow.Array {
	if vec.IsNestedType(t) {
		return array.MakeArrayOfNull(mem, t, n)
	}
	return constArray(mem, t, nil, n)
}

// listOffsets returns the offsets of a LIST or MAP array (Len+1 entries,
// the array's offset applied; they index the full child array).
func listOffsets(a arrow.Array) []int32 {
	var all []int32
	switch x := a.(type) {
	case *array.List:
		all = x.Offsets()
	case *array.Map:
		all = x.Offsets()
	}
	if a.Len() == 0 || len(all) == 0 {
		return []int32{0}
	}
	off := a.Data().Offset()
	return all[off : off+a.Len()+1]
}

// nestedIn is a resolved nested argument: physical row of logical row j
// is sel[j] (sel nil: j).
type nestedIn struct {
	r     rop
	valid []byte // validity bitmap (nil: no NULLs)
	off   int    // bit offset of the bitmap
}

func resolveNested(ctx context.Context, o *operand, b *vec.Batch) (nestedIn, error) {
	r, err := o.resolve(ctx, b)
	if err != nil {
		return nestedIn{}, err
	}
	in := nestedIn{r: r}
	if r.arr != nil && r.arr.NullN() > 0 {
		in.valid = r.arr.NullBitmapBytes()
		in.off = r.arr.Data().Offset()
	}
	return in, nil
}

func (in *nestedIn) phys(j int) int {
	if in.r.sel != nil {
		return int(in.r.sel[j])
	}
	return j
}

func (in *nestedIn) isValid(p int) bool {
	return in.valid == nil || bitutil.BitIsSet(in.valid, in.off+p)
}

// ---------------------------------------------------------------------
// struct_field

type structFieldNode struct {
	s     operand
	field int
	mem   memory.Allocator
}

func (n *structFieldNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.s, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	st := in.r.arr.(*array.Struct)
	f := st.Field(n.field) // sliced like the struct
	m := b.NumRows()
	if in.r.sel == nil && in.valid == nil {
		f.Retain()
		return f, nil
	}
	idx := make([]int32, m)
	if in.valid == nil {
		copy(idx, in.r.sel[:m])
	} else {
		for j := range idx {
			p := in.phys(j)
			if in.isValid(p) {
				idx[j] = int32(p)
			} else {
				idx[j] = -1
			}
		}
	}
	return vec.Take(n.mem, f, idx), nil
}

// ---------------------------------------------------------------------
// element_at / subscript over arrays

type elementAtNode struct {
	list, idx operand
	strict    bool
	e         *expr.Call
	mem       memory.Allocator
}

func (n *elementAtNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.list, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	ir, err := n.idx.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer ir.release()
	m := b.NumRows()
	offs := listOffsets(in.r.arr)
	child := in.r.arr.(array.ListLike).ListValues()
	pos := make([]int32, m)
	if ir.c != nil {
		// constant index (the common l[1] / element_at(l, -1))
		k := ir.c.v.(int64)
		if k == 0 {
			return nil, fmt.Errorf("%s: SQL array indices start at 1", n.e)
		}
		for j := range pos {
			p := in.phys(j)
			if !in.isValid(p) {
				pos[j] = -1
				continue
			}
			pos[j], err = n.locate(offs[p], offs[p+1], k)
			if err != nil {
				return nil, err
			}
		}
	} else {
		ks := vec.Values[int64](ir.arr)
		for j := range pos {
			p := in.phys(j)
			q := ir.phys(j)
			if !in.isValid(p) || !ir.valid(j) {
				pos[j] = -1
				continue
			}
			if ks[q] == 0 {
				return nil, fmt.Errorf("%s: SQL array indices start at 1", n.e)
			}
			pos[j], err = n.locate(offs[p], offs[p+1], ks[q])
			if err != nil {
				return nil, err
			}
		}
	}
	return vec.Take(n.mem, child, pos), nil
}

// locate returns the child position of element k (1-based, negative
// from the end) of the list spanning [start, end); -1 when out of range.
func (n *elementAtNode) locate(start, end int32, k int64) (int32, error) {
	size := int64(end - start)
	switch {
	case k > 0 && k <= size:
		return start + int32(k-1), nil
	case k < 0 && -k <= size && !n.strict:
		return end + int32(k), nil
	}
	if n.strict {
		return 0, fmt.Errorf("%s[%s]: array subscript %d out of bounds (the array has %d elements)", n.e.Args[0], n.e.Args[1], k, size)
	}
	return -1, nil
}

// ---------------------------------------------------------------------
// element_at / subscript over maps

type mapLookupNode struct {
	m, key operand
	strict bool
	e      *expr.Call
	mem    memory.Allocator
}

func (n *mapLookupNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.m, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	kr, err := n.key.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer kr.release()
	mp := in.r.arr.(*array.Map)
	offs := listOffsets(mp)
	keys := mp.Keys()
	pos := make([]int32, b.NumRows())
	switch physOf(keys.DataType()) {
	case kStr:
		mapFindString(&in, offs, keys, &kr, pos)
	case kI8:
		mapFindFixed[int8](&in, offs, keys, &kr, pos)
	case kI16:
		mapFindFixed[int16](&in, offs, keys, &kr, pos)
	case kI32:
		mapFindFixed[int32](&in, offs, keys, &kr, pos)
	case kI64:
		mapFindFixed[int64](&in, offs, keys, &kr, pos)
	case kF32:
		mapFindFixed[float32](&in, offs, keys, &kr, pos)
	case kF64:
		mapFindFixed[float64](&in, offs, keys, &kr, pos)
	case kD128:
		mapFindD128(&in, offs, keys, &kr, pos)
	default:
		return nil, fmt.Errorf("%s: lookups in maps with %s keys are not supported", n.e, types.SQLName(keys.DataType()))
	}
	if n.strict {
		for _, p := range pos {
			if p == -2 {
				return nil, fmt.Errorf("%s[%s]: key not present in map", n.e.Args[0], n.e.Args[1])
			}
		}
	} else {
		for j, p := range pos {
			if p == -2 {
				pos[j] = -1
			}
		}
	}
	return vec.Take(n.mem, mp.Items(), pos), nil
}

// The finders set pos[j] to the position of the first entry whose key
// equals the probe, -1 when the map or the probe is NULL and -2 when
// the key is missing.

func mapFindFixed[T vec.Fixed](in *nestedIn, offs []int32, keys arrow.Array, kr *rop, pos []int32) {
	kv := vec.Values[T](keys)
	var probe []T
	var c T
	if kr.c == nil {
		probe = vec.Values[T](kr.arr)
	} else {
		c = constAs[T](kr.c.v)
	}
	for j := range pos {
		p := in.phys(j)
		if !in.isValid(p) || !kr.valid(j) {
			pos[j] = -1
			continue
		}
		x := c
		if probe != nil {
			x = probe[kr.phys(j)]
		}
		pos[j] = -2
		for e := offs[p]; e < offs[p+1]; e++ {
			if kv[e] == x {
				pos[j] = e
				break
			}
		}
	}
}

func mapFindString(in *nestedIn, offs []int32, keys arrow.Array, kr *rop, pos []int32) {
	ko, kd := vec.StringParts(keys)
	var po []int32
	var pd []byte
	var c string
	if kr.c == nil {
		po, pd = vec.StringParts(kr.arr)
	} else {
		c = kr.c.v.(string)
	}
	for j := range pos {
		p := in.phys(j)
		if !in.isValid(p) || !kr.valid(j) {
			pos[j] = -1
			continue
		}
		x := c
		if po != nil {
			q := kr.phys(j)
			x = string(pd[po[q]:po[q+1]]) // no allocation: compared only
		}
		pos[j] = -2
		for e := offs[p]; e < offs[p+1]; e++ {
			if string(kd[ko[e]:ko[e+1]]) == x {
				pos[j] = e
				break
			}
		}
	}
}

func mapFindD128(in *nestedIn, offs []int32, keys arrow.Array, kr *rop, pos []int32) {
	kv := vec.Values16(keys)
	var probe []vec.Bytes16
	var c vec.Bytes16
	if kr.c == nil {
		probe = vec.Values16(kr.arr)
	} else {
		c = numTo16(constNum(kr.c.v))
	}
	for j := range pos {
		p := in.phys(j)
		if !in.isValid(p) || !kr.valid(j) {
			pos[j] = -1
			continue
		}
		x := c
		if probe != nil {
			x = probe[kr.phys(j)]
		}
		pos[j] = -2
		for e := offs[p]; e < offs[p+1]; e++ {
			if kv[e] == x {
				pos[j] = e
				break
			}
		}
	}
}

// ---------------------------------------------------------------------
// cardinality

type cardinalityNode struct {
	a   operand
	mem memory.Allocator
}

func (n *cardinalityNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.a, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	m := b.NumRows()
	offs := listOffsets(in.r.arr)
	out := vec.NewBuilder[int64](n.mem, types.Int64, m)
	dst := out.Values
	switch {
	case in.r.sel == nil && in.valid == nil:
		_ = offs[m]
		for j := range dst {
			dst[j] = int64(offs[j+1] - offs[j])
		}
	case in.valid == nil:
		for j, p := range in.r.sel[:m] {
			dst[j] = int64(offs[p+1] - offs[p])
		}
	default:
		for j := range dst {
			p := in.phys(j)
			if !in.isValid(p) {
				out.SetNull(j)
				continue
			}
			dst[j] = int64(offs[p+1] - offs[p])
		}
	}
	return out.Finish(), nil
}

// ---------------------------------------------------------------------
// contains

type containsNode struct {
	list, x operand
	mem     memory.Allocator
}

func (n *containsNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.list, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	xr, err := n.x.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer xr.release()
	m := b.NumRows()
	offs := listOffsets(in.r.arr)
	child := in.r.arr.(array.ListLike).ListValues()
	// res: 1 found, 0 not found, 2 unknown (NULL)
	res := make([]uint8, m)
	switch physOf(child.DataType()) {
	case kStr:
		containsString(&in, offs, child, &xr, res)
	case kBool:
		containsBool(&in, offs, child, &xr, res)
	case kI8:
		containsFixed[int8](&in, offs, child, &xr, res)
	case kI16:
		containsFixed[int16](&in, offs, child, &xr, res)
	case kI32:
		containsFixed[int32](&in, offs, child, &xr, res)
	case kI64:
		containsFixed[int64](&in, offs, child, &xr, res)
	case kF32:
		containsFixed[float32](&in, offs, child, &xr, res)
	case kF64:
		containsFixed[float64](&in, offs, child, &xr, res)
	case kD128:
		containsD128(&in, offs, child, &xr, res)
	default:
		return nil, fmt.Errorf("contains: elements of type %s cannot be compared", types.SQLName(child.DataType()))
	}
	out := newBoolOut(n.mem, m)
	bs := out.vals.Bytes()
	for j, r := range res {
		switch r {
		case 1:
			bitutil.SetBit(bs, j)
		case 2:
			out.setNull(j)
		}
	}
	return out.finish(), nil
}

// containsResult finishes one row: found, or unknown when the list held
// a NULL.
func containsResult(found, sawNull bool) uint8 {
	switch {
	case found:
		return 1
	case sawNull:
		return 2
	}
	return 0
}

func containsFixed[T vec.Fixed](in *nestedIn, offs []int32, child arrow.Array, xr *rop, res []uint8) {
	var probe []T
	var c T
	if xr.c == nil {
		probe = vec.Values[T](xr.arr)
	} else {
		c = constAs[T](xr.c.v)
	}
	containsScan(in, offs, child, vec.Values[T](child), probe, c, xr, res)
}

func containsD128(in *nestedIn, offs []int32, child arrow.Array, xr *rop, res []uint8) {
	var probe []vec.Bytes16
	var c vec.Bytes16
	if xr.c == nil {
		probe = vec.Values16(xr.arr)
	} else {
		c = numTo16(constNum(xr.c.v))
	}
	containsScan(in, offs, child, vec.Values16(child), probe, c, xr, res)
}

// containsScan is contains over element values cv: the probe is
// probe[row] (a column) or c (a constant, when probe is nil).
func containsScan[T comparable](in *nestedIn, offs []int32, child arrow.Array, cv, probe []T, c T, xr *rop, res []uint8) {
	childNulls := child.NullN() > 0
	for j := range res {
		p := in.phys(j)
		if !in.isValid(p) || !xr.valid(j) {
			res[j] = 2
			continue
		}
		x := c
		if probe != nil {
			x = probe[xr.phys(j)]
		}
		found, sawNull := false, false
		for e := offs[p]; e < offs[p+1]; e++ {
			if childNulls && child.IsNull(int(e)) {
				sawNull = true
				continue
			}
			if cv[e] == x {
				found = true
				break
			}
		}
		res[j] = containsResult(found, sawNull)
	}
}

func containsString(in *nestedIn, offs []int32, child arrow.Array, xr *rop, res []uint8) {
	co, cd := vec.StringParts(child)
	var po []int32
	var pd []byte
	var c string
	if xr.c == nil {
		po, pd = vec.StringParts(xr.arr)
	} else {
		c = xr.c.v.(string)
	}
	childNulls := child.NullN() > 0
	for j := range res {
		p := in.phys(j)
		if !in.isValid(p) || !xr.valid(j) {
			res[j] = 2
			continue
		}
		x := c
		if po != nil {
			q := xr.phys(j)
			x = string(pd[po[q]:po[q+1]])
		}
		found, sawNull := false, false
		for e := offs[p]; e < offs[p+1]; e++ {
			if childNulls && child.IsNull(int(e)) {
				sawNull = true
				continue
			}
			if string(cd[co[e]:co[e+1]]) == x {
				found = true
				break
			}
		}
		res[j] = containsResult(found, sawNull)
	}
}

func containsBool(in *nestedIn, offs []int32, child arrow.Array, xr *rop, res []uint8) {
	cb := child.(*array.Boolean)
	var probe *array.Boolean
	var c bool
	if xr.c == nil {
		probe = xr.arr.(*array.Boolean)
	} else {
		c = xr.c.v.(bool)
	}
	for j := range res {
		p := in.phys(j)
		if !in.isValid(p) || !xr.valid(j) {
			res[j] = 2
			continue
		}
		x := c
		if probe != nil {
			x = probe.Value(xr.phys(j))
		}
		found, sawNull := false, false
		for e := offs[p]; e < offs[p+1]; e++ {
			if cb.IsNull(int(e)) {
				sawNull = true
				continue
			}
			if cb.Value(int(e)) == x {
				found = true
				break
			}
		}
		res[j] = containsResult(found, sawNull)
	}
}

// ---------------------------------------------------------------------
// array_join

type arrayJoinNode struct {
	list, sep, nullRep operand
	hasRep             bool
	toStr              node // element → VARCHAR (nil for VARCHAR elements)
	mem                memory.Allocator
}

func (n *arrayJoinNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.list, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	sr, err := n.sep.resolve(ctx, b)
	if err != nil {
		return nil, err
	}
	defer sr.release()
	var rr rop
	if n.hasRep {
		if rr, err = n.nullRep.resolve(ctx, b); err != nil {
			return nil, err
		}
		defer rr.release()
	}
	m := b.NumRows()
	offs := listOffsets(in.r.arr)
	child := in.r.arr.(array.ListLike).ListValues()
	// Convert the span of the child this batch reads to text once.
	lo, hi := int32(0), int32(0)
	if m > 0 {
		lo, hi = offs[len(offs)-1], offs[0]
		for j := 0; j < m; j++ {
			p := in.phys(j)
			lo, hi = min(lo, offs[p]), max(hi, offs[p+1])
		}
	}
	var strs arrow.Array
	if hi > lo {
		span := array.NewSlice(child, int64(lo), int64(hi))
		defer span.Release()
		if n.toStr != nil {
			strs, err = n.toStr.Eval(ctx, vec.New([]arrow.Array{span}, span.Len()))
			if err != nil {
				return nil, err
			}
		} else {
			span.Retain()
			strs = span
		}
		defer strs.Release()
	}
	var so, ro []int32
	var sd, rd []byte
	if strs != nil {
		so, sd = vec.StringParts(strs)
	}
	text := func(r *rop, offs *[]int32, data *[]byte, j int) []byte {
		if r.c != nil {
			return []byte(r.c.v.(string))
		}
		if *offs == nil {
			*offs, *data = vec.StringParts(r.arr)
		}
		q := r.phys(j)
		return (*data)[(*offs)[q]:(*offs)[q+1]]
	}
	var sepO []int32
	var sepD []byte
	out := vec.NewStringBuilder(n.mem, m)
	var buf []byte
	for j := 0; j < m; j++ {
		p := in.phys(j)
		if !in.isValid(p) || !sr.valid(j) || n.hasRep && !rr.valid(j) {
			out.AppendNull()
			continue
		}
		sep := text(&sr, &sepO, &sepD, j)
		buf = buf[:0]
		first := true
		for e := offs[p]; e < offs[p+1]; e++ {
			k := e - lo
			var v []byte
			if strs.IsNull(int(k)) {
				if !n.hasRep {
					continue
				}
				v = text(&rr, &ro, &rd, j)
			} else {
				v = sd[so[k]:so[k+1]]
			}
			if !first {
				buf = append(buf, sep...)
			}
			first = false
			buf = append(buf, v...)
		}
		out.Append(buf)
	}
	return out.Finish(), nil
}

// ---------------------------------------------------------------------
// map_keys / map_values

type mapPartNode struct {
	m      operand
	values bool
	t      arrow.DataType
	mem    memory.Allocator
}

func (n *mapPartNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.m, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	mp := in.r.arr.(*array.Map)
	child := mp.Keys()
	if n.values {
		child = mp.Items()
	}
	return gatherLists(n.mem, n.t, &in, listOffsets(mp), child, b.NumRows()), nil
}

// gatherLists builds a LIST array of type t whose row j holds the child
// elements of input row phys(j) (NULL where the input is NULL).
func gatherLists(mem memory.Allocator, t arrow.DataType, in *nestedIn, offs []int32, child arrow.Array, m int) arrow.Array {
	ob := vec.NewBuilder[int32](mem, types.Int32, m+1)
	newOffs := ob.Values
	newOffs[0] = 0
	var idx []int32
	var valid *memory.Buffer
	nulls := 0
	for j := 0; j < m; j++ {
		p := in.phys(j)
		if !in.isValid(p) {
			if valid == nil {
				valid = vec.NewValidity(mem, m)
			}
			bitutil.ClearBit(valid.Bytes(), j)
			nulls++
		} else {
			for e := offs[p]; e < offs[p+1]; e++ {
				idx = append(idx, e)
			}
		}
		newOffs[j+1] = int32(len(idx))
	}
	vals := vec.Take(mem, child, idx)
	defer vals.Release()
	offArr := ob.Finish()
	defer offArr.Release()
	d := array.NewData(t, m, []*memory.Buffer{valid, offArr.Data().Buffers()[1]}, []arrow.ArrayData{vals.Data()}, nulls, 0)
	if valid != nil {
		valid.Release()
	}
	out := array.MakeFromData(d)
	d.Release()
	return out
}

// ---------------------------------------------------------------------
// to_json and CAST(nested AS VARCHAR)

type toJSONNode struct {
	a   operand
	mem memory.Allocator
}

func (n *toJSONNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	in, err := resolveNested(ctx, &n.a, b)
	if err != nil {
		return nil, err
	}
	defer in.r.release()
	m := b.NumRows()
	out := vec.NewStringBuilder(n.mem, m)
	if in.r.c != nil {
		// a scalar constant: render it once
		one := constArray(n.mem, in.r.c.t, in.r.c.v, 1)
		txt := vec.AppendJSON(nil, one, 0)
		one.Release()
		for j := 0; j < m; j++ {
			out.Append(txt)
		}
		return out.Finish(), nil
	}
	var buf []byte
	for j := 0; j < m; j++ {
		p := in.phys(j)
		if !in.isValid(p) {
			out.AppendNull()
			continue
		}
		buf = vec.AppendJSON(buf[:0], in.r.arr, p)
		out.Append(buf)
	}
	return out.Finish(), nil
}
