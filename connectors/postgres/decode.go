package postgres

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5"

	"github.com/tarnsql/tarn/connectors"
)

// PostgreSQL's binary date and timestamp epoch is 2000-01-01.
const (
	pgEpochDays   = 10957
	pgEpochMicros = 946684800000000
)

// reader turns the rows of one remote SELECT into batches. Each batch
// first copies up to BatchSize rows' raw binary values into an arena
// (pgx's buffers only live until the next row), then decodes column by
// column with one loop per column type.
type reader struct {
	t      *Table
	rows   pgx.Rows
	req    *connectors.ScanRequest
	cols   []*column
	size   int
	mem    memory.Allocator
	arena  []byte
	off    [][]int32 // per column, per row: start in arena
	ln     [][]int32 // per column, per row: length, -1 for NULL
	sent   int64
	done   bool
	closed bool
	cancel context.CancelFunc
}

func newReader(t *Table, rows pgx.Rows, cancel context.CancelFunc, req *connectors.ScanRequest) *reader {
	r := &reader{t: t, rows: rows, cancel: cancel, req: req, size: req.BatchSize, mem: req.Mem}
	if r.size <= 0 {
		r.size = 1024
	}
	if r.mem == nil {
		r.mem = memory.DefaultAllocator
	}
	r.cols = make([]*column, len(req.Columns))
	r.off = make([][]int32, len(req.Columns))
	r.ln = make([][]int32, len(req.Columns))
	for i, ci := range req.Columns {
		r.cols[i] = &t.cols[ci]
		r.off[i] = make([]int32, 0, r.size)
		r.ln[i] = make([]int32, 0, r.size)
	}
	return r
}

// Next implements connectors.BatchReader.
func (r *reader) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.arena = r.arena[:0]
	for i := range r.off {
		r.off[i] = r.off[i][:0]
		r.ln[i] = r.ln[i][:0]
	}
	n := 0
	var bytes int64
	for n < r.size {
		if r.req.Limit > 0 && r.sent+int64(n) >= r.req.Limit {
			r.done = true
			break
		}
		if !r.rows.Next() {
			r.done = true
			if err := r.rows.Err(); err != nil {
				return nil, r.t.src.wrap(err, r.t.display)
			}
			break
		}
		raw := r.rows.RawValues()
		if len(raw) != len(r.cols) {
			return nil, &Error{Conn: r.t.src.cfg.Name, Table: r.t.display,
				Msg: fmt.Sprintf("remote SELECT returned %d columns, expected %d", len(raw), len(r.cols))}
		}
		for i, v := range raw {
			if v == nil {
				r.off[i] = append(r.off[i], 0)
				r.ln[i] = append(r.ln[i], -1)
				continue
			}
			if len(r.arena)+len(v) > math.MaxInt32 {
				return nil, &Error{Conn: r.t.src.cfg.Name, Table: r.t.display, Msg: "a batch of rows exceeds 2 GiB"}
			}
			r.off[i] = append(r.off[i], int32(len(r.arena)))
			r.ln[i] = append(r.ln[i], int32(len(v)))
			r.arena = append(r.arena, v...)
			bytes += int64(len(v))
		}
		n++
	}
	if n == 0 {
		return nil, io.EOF
	}
	r.sent += int64(n)
	if st := r.req.Stats; st != nil {
		st.BytesScanned.Add(bytes)
		st.RowsScanned.Add(int64(n))
	}
	arrs := make([]arrow.Array, len(r.cols))
	fields := make([]arrow.Field, len(r.cols))
	for i, c := range r.cols {
		a, err := r.decode(i, c, n)
		if err != nil {
			for _, x := range arrs[:i] {
				x.Release()
			}
			return nil, err
		}
		arrs[i] = a
		fields[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))
	for _, a := range arrs {
		a.Release()
	}
	return rec, nil
}

// Close implements connectors.BatchReader (the connection goes back to
// the pool; an unfinished query is cancelled by closing its rows).
// A reader closed before the end cancels the remote query first: pgx
// would otherwise read (and discard) every remaining row.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	finished := r.done
	if !finished {
		r.cancel()
	}
	r.rows.Close()
	r.cancel()
	if finished {
		if err := r.rows.Err(); err != nil {
			return r.t.src.wrap(err, r.t.display)
		}
	}
	return nil
}

func (r *reader) badValue(c *column, raw []byte, what string) error {
	return &Error{Conn: r.t.src.cfg.Name, Table: r.t.display,
		Msg: fmt.Sprintf("column %s (%s): %s (%d bytes)", c.name, c.udt, what, len(raw))}
}

// fixedBuilder is an Arrow builder of fixed-width values.
type fixedBuilder[T any] interface {
	array.Builder
	UnsafeAppend(T)
}

// decodeFixed decodes a column of fixed-size binary values.
func decodeFixed[T any](r *reader, b fixedBuilder[T], c *column, i, n, size int, conv func([]byte) T) error {
	b.Reserve(n)
	off, ln, arena := r.off[i], r.ln[i], r.arena
	for j := 0; j < n; j++ {
		l := int(ln[j])
		if l < 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v := arena[off[j] : int(off[j])+l]
		if l != size {
			return r.badValue(c, v, fmt.Sprintf("expected %d bytes", size))
		}
		b.UnsafeAppend(conv(v))
	}
	return nil
}

func (r *reader) decode(i int, c *column, n int) (arrow.Array, error) {
	var b array.Builder
	var err error
	switch c.kind {
	case kInt16:
		bb := array.NewInt16Builder(r.mem)
		b = bb
		err = decodeFixed(r, bb, c, i, n, 2, func(v []byte) int16 { return int16(binary.BigEndian.Uint16(v)) })
	case kInt32:
		bb := array.NewInt32Builder(r.mem)
		b = bb
		err = decodeFixed(r, bb, c, i, n, 4, func(v []byte) int32 { return int32(binary.BigEndian.Uint32(v)) })
	case kInt64:
		bb := array.NewInt64Builder(r.mem)
		b = bb
		err = decodeFixed(r, bb, c, i, n, 8, func(v []byte) int64 { return int64(binary.BigEndian.Uint64(v)) })
	case kFloat32:
		bb := array.NewFloat32Builder(r.mem)
		b = bb
		err = decodeFixed(r, bb, c, i, n, 4, func(v []byte) float32 { return math.Float32frombits(binary.BigEndian.Uint32(v)) })
	case kFloat64:
		bb := array.NewFloat64Builder(r.mem)
		b = bb
		err = decodeFixed(r, bb, c, i, n, 8, func(v []byte) float64 { return math.Float64frombits(binary.BigEndian.Uint64(v)) })
	case kBool:
		bb := array.NewBooleanBuilder(r.mem)
		b = bb
		err = decodeFixed(r, bb, c, i, n, 1, func(v []byte) bool { return v[0] != 0 })
	case kDate:
		bb := array.NewDate32Builder(r.mem)
		b = bb
		err = r.decodeDates(bb, c, i, n)
	case kTimestamp, kTimestampTZ:
		bb := array.NewTimestampBuilder(r.mem, c.typ.(*arrow.TimestampType))
		b = bb
		err = r.decodeTimestamps(bb, c, i, n)
	case kText:
		bb := array.NewStringBuilder(r.mem)
		b = bb
		r.decodeText(bb, i, n)
	case kUUID:
		bb := array.NewStringBuilder(r.mem)
		b = bb
		err = r.decodeUUIDs(bb, c, i, n)
	case kDecimal:
		switch dt := c.typ.(type) {
		case *arrow.Decimal64Type:
			bb := array.NewDecimal64Builder(r.mem, dt)
			b = bb
			err = r.decodeDecimals64(bb, c, i, n)
		case *arrow.Decimal128Type:
			bb := array.NewDecimal128Builder(r.mem, dt)
			b = bb
			err = r.decodeDecimals128(bb, c, i, n)
		default:
			err = fmt.Errorf("unexpected decimal type %s", c.typ)
		}
	default:
		return nil, fmt.Errorf("column %s: unsupported kind %d", c.name, c.kind)
	}
	if b == nil {
		return nil, err
	}
	defer b.Release()
	if err != nil {
		return nil, err
	}
	return b.NewArray(), nil
}

func (r *reader) decodeDates(b *array.Date32Builder, c *column, i, n int) error {
	b.Reserve(n)
	off, ln, arena := r.off[i], r.ln[i], r.arena
	for j := 0; j < n; j++ {
		l := int(ln[j])
		if l < 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v := arena[off[j] : int(off[j])+l]
		if l != 4 {
			return r.badValue(c, v, "expected 4 bytes")
		}
		d := int32(binary.BigEndian.Uint32(v))
		if d == math.MaxInt32 || d == math.MinInt32 {
			return r.badValue(c, v, "infinite dates are not supported")
		}
		b.UnsafeAppend(arrow.Date32(d + pgEpochDays))
	}
	return nil
}

func (r *reader) decodeTimestamps(b *array.TimestampBuilder, c *column, i, n int) error {
	b.Reserve(n)
	off, ln, arena := r.off[i], r.ln[i], r.arena
	for j := 0; j < n; j++ {
		l := int(ln[j])
		if l < 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v := arena[off[j] : int(off[j])+l]
		if l != 8 {
			return r.badValue(c, v, "expected 8 bytes")
		}
		us := int64(binary.BigEndian.Uint64(v))
		if us == math.MaxInt64 || us == math.MinInt64 {
			return r.badValue(c, v, "infinite timestamps are not supported")
		}
		b.UnsafeAppend(arrow.Timestamp(us + pgEpochMicros))
	}
	return nil
}

func (r *reader) decodeText(b *array.StringBuilder, i, n int) {
	off, ln, arena := r.off[i], r.ln[i], r.arena
	total := 0
	for j := 0; j < n; j++ {
		if ln[j] > 0 {
			total += int(ln[j])
		}
	}
	b.Reserve(n)
	b.ReserveData(total)
	for j := 0; j < n; j++ {
		l := int(ln[j])
		if l < 0 {
			b.AppendNull()
			continue
		}
		b.BinaryBuilder.Append(arena[off[j] : int(off[j])+l])
	}
}

const hexDigits = "0123456789abcdef"

func (r *reader) decodeUUIDs(b *array.StringBuilder, c *column, i, n int) error {
	off, ln, arena := r.off[i], r.ln[i], r.arena
	b.Reserve(n)
	b.ReserveData(36 * n)
	var buf [36]byte
	for j := 0; j < n; j++ {
		l := int(ln[j])
		if l < 0 {
			b.AppendNull()
			continue
		}
		v := arena[off[j] : int(off[j])+l]
		if l != 16 {
			return r.badValue(c, v, "expected 16 bytes")
		}
		p := 0
		for k := 0; k < 16; k++ {
			if k == 4 || k == 6 || k == 8 || k == 10 {
				buf[p] = '-'
				p++
			}
			buf[p], buf[p+1] = hexDigits[v[k]>>4], hexDigits[v[k]&15]
			p += 2
		}
		b.BinaryBuilder.Append(buf[:])
	}
	return nil
}

func (r *reader) decodeDecimals64(b *array.Decimal64Builder, c *column, i, n int) error {
	b.Reserve(n)
	off, ln, arena := r.off[i], r.ln[i], r.arena
	for j := 0; j < n; j++ {
		l := int(ln[j])
		if l < 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v := arena[off[j] : int(off[j])+l]
		neg, u, err := parseNumeric(v, c.scale)
		if err != nil {
			return r.badValue(c, v, err.Error())
		}
		if u.hi != 0 || u.lo > math.MaxInt64 {
			return r.badValue(c, v, fmt.Sprintf("value does not fit DECIMAL(%d,%d)", c.prec, c.scale))
		}
		x := int64(u.lo)
		if neg {
			x = -x
		}
		b.UnsafeAppend(decimal.Decimal64(x))
	}
	return nil
}

func (r *reader) decodeDecimals128(b *array.Decimal128Builder, c *column, i, n int) error {
	b.Reserve(n)
	off, ln, arena := r.off[i], r.ln[i], r.arena
	for j := 0; j < n; j++ {
		l := int(ln[j])
		if l < 0 {
			b.UnsafeAppendBoolToBitmap(false)
			continue
		}
		v := arena[off[j] : int(off[j])+l]
		neg, u, err := parseNumeric(v, c.scale)
		if err != nil {
			return r.badValue(c, v, err.Error())
		}
		if u.hi > math.MaxInt64 {
			return r.badValue(c, v, fmt.Sprintf("value does not fit DECIMAL(%d,%d)", c.prec, c.scale))
		}
		x := decimal128.New(int64(u.hi), u.lo)
		if neg {
			x = x.Negate()
		}
		b.UnsafeAppend(x)
	}
	return nil
}

// u128 is an unsigned 128-bit integer.
type u128 struct{ hi, lo uint64 }

// mulAdd returns x*m + a, ok false on overflow.
func (x u128) mulAdd(m, a uint64) (u128, bool) {
	h1, l := bits.Mul64(x.lo, m)
	h2, hl := bits.Mul64(x.hi, m)
	if h2 != 0 {
		return u128{}, false
	}
	hi, c := bits.Add64(h1, hl, 0)
	if c != 0 {
		return u128{}, false
	}
	lo, c := bits.Add64(l, a, 0)
	hi, c2 := bits.Add64(hi, 0, c)
	if c2 != 0 {
		return u128{}, false
	}
	return u128{hi, lo}, true
}

// divRound returns x/d rounded half away from zero.
func (x u128) divRound(d uint64) u128 {
	qh, rh := x.hi/d, x.hi%d
	ql, r := bits.Div64(rh, x.lo, d)
	q := u128{qh, ql}
	if r >= d-r { // r*2 >= d without overflow
		q, _ = q.mulAdd(1, 1)
	}
	return q
}

var pow10 = func() [20]uint64 {
	var p [20]uint64
	p[0] = 1
	for i := 1; i < 20; i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// parseNumeric decodes PostgreSQL's binary NUMERIC (ndigits, weight,
// sign, dscale, then base-10000 digits) to an unscaled magnitude at
// scale (rounding half away from zero if the value has more decimals).
func parseNumeric(v []byte, scale int32) (neg bool, out u128, err error) {
	if len(v) < 8 {
		return false, out, fmt.Errorf("malformed numeric")
	}
	nd := int(binary.BigEndian.Uint16(v[0:]))
	weight := int(int16(binary.BigEndian.Uint16(v[2:])))
	sign := binary.BigEndian.Uint16(v[4:])
	if len(v) != 8+2*nd {
		return false, out, fmt.Errorf("malformed numeric")
	}
	switch sign {
	case 0x0000:
	case 0x4000:
		neg = true
	case 0xC000:
		return false, out, fmt.Errorf("NaN is not a DECIMAL value")
	case 0xD000, 0xF000:
		return false, out, fmt.Errorf("infinity is not a DECIMAL value")
	default:
		return false, out, fmt.Errorf("malformed numeric sign %#x", sign)
	}
	ok := true
	for k := 0; k < nd; k++ {
		d := uint64(binary.BigEndian.Uint16(v[8+2*k:]))
		if out, ok = out.mulAdd(10000, d); !ok {
			return false, out, fmt.Errorf("value out of range")
		}
	}
	if nd == 0 {
		return false, out, nil
	}
	// The last digit group has weight (weight-nd+1): its value is
	// 10000^(weight-nd+1); times 10^scale gives the decimal exponent.
	e := 4*(weight-nd+1) + int(scale)
	for e > 0 {
		s := min(e, 19)
		if out, ok = out.mulAdd(pow10[s], 0); !ok {
			return false, out, fmt.Errorf("value out of range")
		}
		e -= s
	}
	for e < 0 {
		s := min(-e, 19)
		out = out.divRound(pow10[s])
		e += s
	}
	return neg, out, nil
}
