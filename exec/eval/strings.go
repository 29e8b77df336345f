package eval

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// String functions follow MySQL: positions and lengths count characters
// (UTF-8 aware, with an ASCII fast path) except length(), which counts
// bytes; any NULL argument gives NULL. substring's start is 1-based and
// a negative start counts from the end; start 0 gives ''. lpad/rpad
// truncate to the target length and give NULL for an empty pad that is
// needed or a negative length. trim/ltrim/rtrim remove spaces, or
// repetitions of their optional second argument.

// strImpl computes one row: s holds string args, n integer args (by
// argument position). It appends a string result to dst, or returns an
// int/bool result; ok false means NULL.
type strImpl func(dst []byte, s [][]byte, n []int64) (out []byte, iv int64, ok bool)

type strSig struct {
	min, max int
	ints     []int // argument positions that are integers
	out      byte  // 's' string, 'i' integer, 'b' boolean
	impl     strImpl
}

var stringFns map[string]strSig

func init() {
	stringFns = map[string]strSig{
		"concat": {1, -1, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			for _, x := range s {
				dst = append(dst, x...)
			}
			return dst, 0, true
		}},
		"substring": {2, 3, []int{1, 2}, 's', func(dst []byte, s [][]byte, n []int64) ([]byte, int64, bool) {
			length := int64(math.MinInt64) // no length: to the end
			if len(s) == 3 {
				length = n[2]
			}
			return append(dst, substr(s[0], n[1], length)...), 0, true
		}},
		"upper": {1, 1, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return appendCase(dst, s[0], true), 0, true
		}},
		"lower": {1, 1, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return appendCase(dst, s[0], false), 0, true
		}},
		"trim": {1, 2, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return append(dst, trimBytes(s, true, true)...), 0, true
		}},
		"ltrim": {1, 2, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return append(dst, trimBytes(s, true, false)...), 0, true
		}},
		"rtrim": {1, 2, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return append(dst, trimBytes(s, false, true)...), 0, true
		}},
		"length": {1, 1, nil, 'i', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return dst, int64(len(s[0])), true
		}},
		"char_length": {1, 1, nil, 'i', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return dst, int64(charLen(s[0])), true
		}},
		"replace": {3, 3, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			if len(s[1]) == 0 {
				return append(dst, s[0]...), 0, true
			}
			src, from, to := s[0], s[1], s[2]
			for {
				i := bytes.Index(src, from)
				if i < 0 {
					break
				}
				dst = append(dst, src[:i]...)
				dst = append(dst, to...)
				src = src[i+len(from):]
			}
			return append(dst, src...), 0, true
		}},
		"position": {2, 2, nil, 'i', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			i := bytes.Index(s[1], s[0])
			if i < 0 {
				return dst, 0, true
			}
			return dst, int64(charLen(s[1][:i])) + 1, true
		}},
		"left": {2, 2, []int{1}, 's', func(dst []byte, s [][]byte, n []int64) ([]byte, int64, bool) {
			if n[1] <= 0 {
				return dst, 0, true
			}
			return append(dst, s[0][:charPrefix(s[0], n[1])]...), 0, true
		}},
		"right": {2, 2, []int{1}, 's', func(dst []byte, s [][]byte, n []int64) ([]byte, int64, bool) {
			if n[1] <= 0 {
				return dst, 0, true
			}
			cl := int64(charLen(s[0]))
			if n[1] >= cl {
				return append(dst, s[0]...), 0, true
			}
			return append(dst, s[0][charPrefix(s[0], cl-n[1]):]...), 0, true
		}},
		"lpad": {3, 3, []int{1}, 's', func(dst []byte, s [][]byte, n []int64) ([]byte, int64, bool) {
			return pad(dst, s[0], n[1], s[2], true)
		}},
		"rpad": {3, 3, []int{1}, 's', func(dst []byte, s [][]byte, n []int64) ([]byte, int64, bool) {
			return pad(dst, s[0], n[1], s[2], false)
		}},
		"reverse": {1, 1, nil, 's', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			src := s[0]
			for len(src) > 0 {
				_, size := utf8.DecodeLastRune(src)
				dst = append(dst, src[len(src)-size:]...)
				src = src[:len(src)-size]
			}
			return dst, 0, true
		}},
		"starts_with": {2, 2, nil, 'b', func(dst []byte, s [][]byte, _ []int64) ([]byte, int64, bool) {
			return dst, int64(b2i(bytes.HasPrefix(s[0], s[1]))), true
		}},
	}
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func charLen(s []byte) int {
	if isASCII(s) {
		return len(s)
	}
	return utf8.RuneCount(s)
}

// charPrefix returns the byte length of the first n characters of s.
func charPrefix(s []byte, n int64) int {
	if n <= 0 {
		return 0
	}
	if isASCII(s) {
		if n > int64(len(s)) {
			return len(s)
		}
		return int(n)
	}
	pos := 0
	for i := int64(0); i < n && pos < len(s); i++ {
		_, size := utf8.DecodeRune(s[pos:])
		pos += size
	}
	return pos
}

// substr implements MySQL SUBSTRING(s, start[, length]); length < 0 means
// "to the end" when called with two arguments.
func substr(s []byte, start, length int64) []byte {
	if start == 0 {
		return nil
	}
	cl := int64(charLen(s))
	if start < 0 {
		start = cl + start + 1
		if start < 1 {
			return nil
		}
	}
	if start > cl {
		return nil
	}
	from := charPrefix(s, start-1)
	rest := s[from:]
	if length == math.MinInt64 {
		return rest
	}
	if length < 0 {
		return nil
	}
	return rest[:charPrefix(rest, length)]
}

func appendCase(dst, s []byte, upper bool) []byte {
	if isASCII(s) {
		start := len(dst)
		dst = append(dst, s...)
		out := dst[start:]
		for i, c := range out {
			if upper && c >= 'a' && c <= 'z' {
				out[i] = c - 32
			} else if !upper && c >= 'A' && c <= 'Z' {
				out[i] = c + 32
			}
		}
		return dst
	}
	if upper {
		return append(dst, bytes.ToUpper(s)...)
	}
	return append(dst, bytes.ToLower(s)...)
}

func trimBytes(s [][]byte, left, right bool) []byte {
	src := s[0]
	cut := []byte(" ")
	if len(s) > 1 {
		cut = s[1]
	}
	if len(cut) == 0 {
		return src
	}
	if left {
		for bytes.HasPrefix(src, cut) {
			src = src[len(cut):]
		}
	}
	if right {
		for bytes.HasSuffix(src, cut) {
			src = src[:len(src)-len(cut)]
		}
	}
	return src
}

func pad(dst, s []byte, n int64, p []byte, left bool) ([]byte, int64, bool) {
	if n < 0 {
		return dst, 0, false
	}
	cl := int64(charLen(s))
	if n <= cl {
		return append(dst, s[:charPrefix(s, n)]...), 0, true
	}
	if len(p) == 0 {
		return dst, 0, false
	}
	need := n - cl
	fill := func() {
		for need > 0 {
			k := int64(charLen(p))
			if k > need {
				dst = append(dst, p[:charPrefix(p, need)]...)
				return
			}
			dst = append(dst, p...)
			need -= k
		}
	}
	if left {
		fill()
		dst = append(dst, s...)
	} else {
		dst = append(dst, s...)
		fill()
	}
	return dst, 0, true
}

type strFnNode struct {
	sig   strSig
	args  []operand
	isInt []bool
	t     arrow.DataType
	mem   memory.Allocator
}

func (c *compiler) compileString(e *expr.Call) (node, error) {
	sig := stringFns[e.Fn]
	if len(e.Args) < sig.min || (sig.max >= 0 && len(e.Args) > sig.max) {
		return nil, fmt.Errorf("%s: wrong number of arguments (%d)", e, len(e.Args))
	}
	n := &strFnNode{sig: sig, t: e.T, mem: c.mem, isInt: make([]bool, len(e.Args))}
	for _, p := range sig.ints {
		if p < len(e.Args) {
			n.isInt[p] = true
		}
	}
	for i, a := range e.Args {
		want := types.String
		if n.isInt[i] {
			want = types.Int64
		}
		if !arrow.TypeEqual(a.Type(), want) {
			if n.isInt[i] && !types.IsInteger(a.Type()) || !n.isInt[i] && !types.IsString(a.Type()) {
				// e.g. concat of a number: convert as CAST would
				if _, err := chooseCast(a.Type(), want); err != nil {
					return nil, fmt.Errorf("%s: argument %d: %w", e, i+1, err)
				}
			}
			a = &expr.Cast{E: a, T: want}
		}
		o, err := c.operand(a)
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, o)
	}
	switch sig.out {
	case 's':
		if !types.IsString(e.T) {
			return nil, fmt.Errorf("%s: result type %s, expected VARCHAR", e, types.SQLName(e.T))
		}
	case 'i':
		if !types.IsInteger(e.T) {
			return nil, fmt.Errorf("%s: result type %s, expected an integer", e, types.SQLName(e.T))
		}
	case 'b':
		if e.T.ID() != arrow.BOOL {
			return nil, fmt.Errorf("%s: result type %s, expected BOOLEAN", e, types.SQLName(e.T))
		}
	}
	return n, nil
}

func (n *strFnNode) Eval(ctx context.Context, b *vec.Batch) (arrow.Array, error) {
	cnt := b.NumRows()
	rops := make([]rop, len(n.args))
	defer func() {
		for i := range rops {
			rops[i].release()
		}
	}()
	strs := make([]strView, len(n.args))
	ints := make([]view[int64], len(n.args))
	for i := range n.args {
		r, err := n.args[i].resolve(ctx, b)
		if err != nil {
			return nil, err
		}
		rops[i] = r
		if n.isInt[i] {
			ints[i] = fixedView[int64](&rops[i])
		} else {
			strs[i] = newStrView(&rops[i])
		}
	}
	ptrs := make([]*rop, len(rops))
	for i := range rops {
		ptrs[i] = &rops[i]
	}
	valid, _ := combineValidity(n.mem, cnt, ptrs...)
	defer releaseBuf(valid)
	sargs := make([][]byte, len(n.args))
	iargs := make([]int64, len(n.args))
	var sb *vec.StringBuilder
	var ivals []int64
	var bo *boolOut
	switch n.sig.out {
	case 's':
		sb = vec.NewStringBuilder(n.mem, cnt)
	case 'i':
		ivals = make([]int64, cnt)
	case 'b':
		bo = newBoolOut(n.mem, cnt)
	}
	var scratch []byte
	var rv *memory.Buffer // result validity for numeric outputs
	rnulls := 0
	for j := 0; j < cnt; j++ {
		ok := valid == nil || bitutil.BitIsSet(valid.Bytes(), j)
		var res []byte
		var iv int64
		if ok {
			for i := range n.args {
				if n.isInt[i] {
					iargs[i] = ints[i].at(j)
				} else {
					sargs[i] = strs[i].at(rops[i].phys(j))
				}
			}
			res, iv, ok = n.sig.impl(scratch[:0], sargs, iargs)
			scratch = res
		}
		switch {
		case sb != nil:
			if ok {
				sb.Append(res)
			} else {
				sb.AppendNull()
			}
		case !ok:
			if rv == nil {
				rv = vec.NewValidity(n.mem, cnt)
			}
			bitutil.ClearBit(rv.Bytes(), j)
			rnulls++
		case ivals != nil:
			ivals[j] = iv
		default:
			if iv != 0 {
				bitutil.SetBit(bo.vals.Bytes(), j)
			}
		}
	}
	switch {
	case sb != nil:
		if rv != nil {
			rv.Release()
		}
		return sb.Finish(), nil
	case ivals != nil:
		return buildInts(n.mem, n.t, ivals, rv, rnulls), nil
	}
	bo.setValidity(rv, rnulls)
	return bo.finish(), nil
}
