package filetable

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/filetable/partvalue"
)

// Building zone maps: ANALYZE TABLE and the crawler read a table split
// by split with a ZoneScan, so that every row is attributed to its file
// and to the byte range (block) it starts in. A file read as several
// splits gets one block per split. Files of formats that read any byte
// range (connectors.ByteRangeFormat: uncompressed CSV, JSON, regex) are
// read as blocks of about BlockSize bytes (1 MiB, Redshift's block size;
// larger for files over MaxBlocks MiB), so that pruning can skip a
// megabyte at a time and not only whole files or 64 MiB splits.

// ColumnAcc accumulates one column's NULL count and bounds over record
// batches. The type is chosen once per batch; each kind has its own loop.
type ColumnAcc struct {
	Type  arrow.DataType
	Nulls int64
	N     int64 // non-null values in the bounds (NaN excluded)
	NaN   bool  // a float column held NaN
	minI  int64 // integers, dates, timestamps, decimal64 (unscaled)
	maxI  int64
	minU  uint64
	maxU  uint64
	minF  float64
	maxF  float64
	minS  string
	maxS  string
	minD  decimal128.Num
	maxD  decimal128.Num
	minB  bool
	maxB  bool
}

// NewColumnAcc returns an accumulator for a column of type t.
func NewColumnAcc(t arrow.DataType) *ColumnAcc { return &ColumnAcc{Type: t} }

// ZoneType reports whether ColumnAcc keeps bounds for type t.
func ZoneType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL64, arrow.DECIMAL128, arrow.STRING, arrow.BOOL:
		return true
	}
	return false
}

func accInts[T ~int8 | ~int16 | ~int32 | ~int64](a *ColumnAcc, vals []T, arr arrow.Array) {
	if arr.NullN() == 0 {
		if len(vals) == 0 {
			return
		}
		lo, hi := int64(vals[0]), int64(vals[0])
		for _, v := range vals[1:] {
			x := int64(v)
			lo, hi = min(lo, x), max(hi, x)
		}
		a.addI(lo, hi, int64(len(vals)))
		return
	}
	for i, v := range vals {
		if arr.IsNull(i) {
			continue
		}
		a.addI(int64(v), int64(v), 1)
	}
}

func (a *ColumnAcc) addI(lo, hi, n int64) {
	if a.N == 0 || lo < a.minI {
		a.minI = lo
	}
	if a.N == 0 || hi > a.maxI {
		a.maxI = hi
	}
	a.N += n
}

func accUints[T uint8 | uint16 | uint32 | uint64](a *ColumnAcc, vals []T, arr arrow.Array) {
	noNulls := arr.NullN() == 0
	for i, v := range vals {
		if !noNulls && arr.IsNull(i) {
			continue
		}
		x := uint64(v)
		if a.N == 0 || x < a.minU {
			a.minU = x
		}
		if a.N == 0 || x > a.maxU {
			a.maxU = x
		}
		a.N++
	}
}

func accFloats[T float32 | float64](a *ColumnAcc, vals []T, arr arrow.Array) {
	noNulls := arr.NullN() == 0
	for i, v := range vals {
		if !noNulls && arr.IsNull(i) {
			continue
		}
		x := float64(v)
		if math.IsNaN(x) {
			a.NaN = true
			continue
		}
		if x == 0 {
			x = 0 // -0 and +0 are one value
		}
		if a.N == 0 || x < a.minF {
			a.minF = x
		}
		if a.N == 0 || x > a.maxF {
			a.maxF = x
		}
		a.N++
	}
}

// Add accumulates one column array.
func (a *ColumnAcc) Add(arr arrow.Array) error {
	a.Nulls += int64(arr.NullN())
	switch c := arr.(type) {
	case *array.Int8:
		accInts(a, c.Int8Values(), arr)
	case *array.Int16:
		accInts(a, c.Int16Values(), arr)
	case *array.Int32:
		accInts(a, c.Int32Values(), arr)
	case *array.Int64:
		accInts(a, c.Int64Values(), arr)
	case *array.Date32:
		accInts(a, c.Date32Values(), arr)
	case *array.Timestamp:
		accInts(a, c.TimestampValues(), arr)
	case *array.Decimal64:
		accInts(a, c.Values(), arr)
	case *array.Uint8:
		accUints(a, c.Uint8Values(), arr)
	case *array.Uint16:
		accUints(a, c.Uint16Values(), arr)
	case *array.Uint32:
		accUints(a, c.Uint32Values(), arr)
	case *array.Uint64:
		accUints(a, c.Uint64Values(), arr)
	case *array.Float32:
		accFloats(a, c.Float32Values(), arr)
	case *array.Float64:
		accFloats(a, c.Float64Values(), arr)
	case *array.String:
		noNulls := c.NullN() == 0
		for i := 0; i < c.Len(); i++ {
			if !noNulls && c.IsNull(i) {
				continue
			}
			s := c.Value(i)
			if a.N == 0 || s < a.minS {
				a.minS = strings.Clone(s)
			}
			if a.N == 0 || s > a.maxS {
				a.maxS = strings.Clone(s)
			}
			a.N++
		}
	case *array.Boolean:
		noNulls := c.NullN() == 0
		for i := 0; i < c.Len(); i++ {
			if !noNulls && c.IsNull(i) {
				continue
			}
			b := c.Value(i)
			if a.N == 0 {
				a.minB, a.maxB = b, b
			} else {
				a.minB = a.minB && b
				a.maxB = a.maxB || b
			}
			a.N++
		}
	case *array.Decimal128:
		noNulls := c.NullN() == 0
		for i := 0; i < c.Len(); i++ {
			if !noNulls && c.IsNull(i) {
				continue
			}
			d := c.Value(i)
			if a.N == 0 || d.Less(a.minD) {
				a.minD = d
			}
			if a.N == 0 || a.maxD.Less(d) {
				a.maxD = d
			}
			a.N++
		}
	default:
		return fmt.Errorf("column type %s has no statistics", arr.DataType())
	}
	return nil
}

// Merge folds o (the same column over other rows) into a.
func (a *ColumnAcc) Merge(o *ColumnAcc) {
	a.Nulls += o.Nulls
	a.NaN = a.NaN || o.NaN
	if o.N == 0 {
		return
	}
	if a.N == 0 {
		n, nulls, nan := o.N+a.N, a.Nulls, a.NaN
		*a = *o
		a.N, a.Nulls, a.NaN = n, nulls, nan
		return
	}
	a.minI, a.maxI = min(a.minI, o.minI), max(a.maxI, o.maxI)
	a.minU, a.maxU = min(a.minU, o.minU), max(a.maxU, o.maxU)
	a.minF, a.maxF = min(a.minF, o.minF), max(a.maxF, o.maxF)
	a.minS, a.maxS = min(a.minS, o.minS), max(a.maxS, o.maxS)
	if o.minD.Less(a.minD) {
		a.minD = o.minD
	}
	if a.maxD.Less(o.maxD) {
		a.maxD = o.maxD
	}
	a.minB = a.minB && o.minB
	a.maxB = a.maxB || o.maxB
	a.N += o.N
}

// Bounds returns the minimum and maximum in the literal Go
// representation of the column's type (partvalue.Parse's: int64
// integers, timestamps and decimal64, int32 dates, float64, string,
// bool, decimal128.Num; uint64 for unsigned integers); ok is false
// when there is no non-null value or the type has no bounds.
func (a *ColumnAcc) Bounds() (lo, hi any, ok bool) {
	if a.N == 0 {
		return nil, nil, false
	}
	switch a.Type.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.TIMESTAMP, arrow.DECIMAL64:
		return a.minI, a.maxI, true
	case arrow.DATE32:
		return int32(a.minI), int32(a.maxI), true
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return a.minU, a.maxU, true
	case arrow.FLOAT32, arrow.FLOAT64:
		return a.minF, a.maxF, true
	case arrow.STRING:
		return a.minS, a.maxS, true
	case arrow.BOOL:
		return a.minB, a.maxB, true
	case arrow.DECIMAL128:
		return a.minD, a.maxD, true
	}
	return nil, nil, false
}

// Zone renders the accumulator as a zone-map entry. A float column that
// held NaN gets no upper bound (NaN sorts above every number).
func (a *ColumnAcc) Zone() catalog.ColumnZone {
	z := catalog.ColumnZone{Nulls: a.Nulls}
	lo, hi, ok := a.Bounds()
	if !ok {
		return z
	}
	z.Min, z.Max = partvalue.FormatLiteral(lo, a.Type), partvalue.FormatLiteral(hi, a.Type)
	if a.NaN {
		z.Max = ""
	}
	return z
}

// ZoneScan reads a file table split by split and builds the zone maps
// of its files (see catalog.ZoneMaps).
type ZoneScan struct {
	Table connectors.Table
	// Columns are the columns described (indices into Table.Schema(),
	// of types ZoneType accepts), in zone-map order.
	Columns []int
	// BlockSize is the target byte size of a block of a file read by
	// byte range (default DefaultBlockSize); MaxBlocks caps the blocks of
	// one file (default DefaultMaxBlocks), so a file's blocks are
	// max(BlockSize, size/MaxBlocks) bytes. Files no larger than one
	// block get no blocks (their file-level zone only).
	BlockSize int64
	MaxBlocks int
	// Parallel is the number of splits read at once (default 1).
	Parallel  int
	BatchSize int
	Mem       memory.Allocator
	Stats     *connectors.ScanStats
	// Observe, when set, also sees every batch of split i (of the splits
	// Plan returned). It is called from concurrent workers, but for one
	// split from one goroutine at a time, in order.
	Observe func(i int, rec arrow.RecordBatch) error
	// Done, when set, is called once split i was read completely (from
	// the worker that read it), so per-split state kept by Observe can be
	// folded away while the scan goes on.
	Done func(i int)
}

// ZoneScanResult is what a ZoneScan read.
type ZoneScanResult struct {
	Zones *catalog.ZoneMaps
	Rows  int64
	// Cols are the bounds of Columns over every file.
	Cols []*ColumnAcc
}

func (z *ZoneScan) request() *connectors.ScanRequest {
	return &connectors.ScanRequest{Schema: z.Table.Schema(), Columns: z.Columns, BatchSize: z.BatchSize, Mem: z.Mem, Stats: z.Stats}
}

// Block defaults of ZoneScan.
const (
	DefaultBlockSize int64 = 1 << 20
	DefaultMaxBlocks       = 512
)

// Plan lists the table's splits (all of them: no pruning), with the
// splits of files read by byte range cut into blocks (see BlockSize).
func (z *ZoneScan) Plan(ctx context.Context) ([]connectors.Split, error) {
	splits, err := z.Table.Splits(ctx, z.request())
	if err != nil {
		return nil, err
	}
	t, ok := z.Table.(*Table)
	if !ok {
		return splits, nil
	}
	out := make([]connectors.Split, 0, len(splits))
	for _, s := range splits {
		format, opts := t.splitFormat(s)
		if !byteRanges(format, s.File, opts) {
			out = append(out, s)
			continue
		}
		out = appendBlocks(out, s, z.blockSize(s.File.Size))
	}
	return out, nil
}

// blockSize is the block size of a file of size bytes.
func (z *ZoneScan) blockSize(size int64) int64 {
	bs, nb := z.BlockSize, int64(z.MaxBlocks)
	if bs <= 0 {
		bs = DefaultBlockSize
	}
	if nb <= 0 {
		nb = DefaultMaxBlocks
	}
	return max(bs, (size+nb-1)/nb)
}

// appendBlocks appends split s cut into byte ranges of bs bytes (the
// last one shorter); a split no longer than bs is appended as it is.
func appendBlocks(out []connectors.Split, s connectors.Split, bs int64) []connectors.Split {
	lo, hi := s.Offset, s.File.Size
	if s.Length > 0 {
		hi = min(hi, s.Offset+s.Length)
	}
	if hi-lo <= bs {
		return append(out, s)
	}
	for off := lo; off < hi; off += bs {
		b := s
		b.Offset, b.Length, b.Rows = off, min(bs, hi-off), -1
		out = append(out, b)
	}
	return out
}

// Run reads splits (from Plan, in order) and returns the zone maps.
func (z *ZoneScan) Run(ctx context.Context, splits []connectors.Split) (*ZoneScanResult, error) {
	req := z.request()
	fields := z.Table.Schema().Fields()
	type splitAcc struct {
		rows int64
		cols []*ColumnAcc
	}
	accs := make([]splitAcc, len(splits))
	errs := make([]error, len(splits))
	read := func(i int) error {
		cols := make([]*ColumnAcc, len(z.Columns))
		for k, c := range z.Columns {
			cols[k] = NewColumnAcc(fields[c].Type)
		}
		accs[i].cols = cols
		r, err := z.Table.Open(ctx, splits[i], req)
		if err != nil {
			return err
		}
		defer r.Close()
		for {
			rec, err := r.Next(ctx)
			if errors.Is(err, io.EOF) || err == nil && rec == nil {
				return nil
			}
			if err != nil {
				return err
			}
			accs[i].rows += rec.NumRows()
			for k := range cols {
				if err := cols[k].Add(rec.Column(k)); err != nil {
					rec.Release()
					return fmt.Errorf("column %s: %w", fields[z.Columns[k]].Name, err)
				}
			}
			if z.Observe != nil {
				if err := z.Observe(i, rec); err != nil {
					rec.Release()
					return err
				}
			}
			rec.Release()
		}
	}
	workers := min(max(z.Parallel, 1), len(splits))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				errs[i] = read(i)
				if errs[i] == nil && z.Done != nil {
					z.Done(i)
				}
			}
		})
	}
feed:
	for i := range splits {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	res := &ZoneScanResult{Zones: &catalog.ZoneMaps{Columns: make([]string, len(z.Columns))}, Cols: make([]*ColumnAcc, len(z.Columns))}
	for k, c := range z.Columns {
		res.Zones.Columns[k] = fields[c].Name
		res.Cols[k] = NewColumnAcc(fields[c].Type)
	}
	for lo := 0; lo < len(splits); {
		hi := lo + 1
		for hi < len(splits) && splits[hi].File.Path == splits[lo].File.Path && splits[hi].Partition == splits[lo].Partition {
			hi++
		}
		f := splits[lo].File
		fz := catalog.FileZone{Path: f.Path, Size: f.Size, ModTime: f.ModTime, Cols: make([]catalog.ColumnZone, len(z.Columns))}
		fileCols := make([]*ColumnAcc, len(z.Columns))
		for k, c := range z.Columns {
			fileCols[k] = NewColumnAcc(fields[c].Type)
		}
		for i := lo; i < hi; i++ {
			fz.Rows += accs[i].rows
			for k, a := range accs[i].cols {
				fileCols[k].Merge(a)
			}
			if hi-lo > 1 {
				sp := splits[i]
				length := sp.Length
				if length <= 0 {
					length = f.Size - sp.Offset
				}
				b := catalog.BlockZone{Offset: sp.Offset, Length: length, Rows: accs[i].rows, Cols: make([]catalog.ColumnZone, len(z.Columns))}
				for k, a := range accs[i].cols {
					b.Cols[k] = a.Zone()
				}
				fz.Blocks = append(fz.Blocks, b)
			}
		}
		for k, a := range fileCols {
			fz.Cols[k] = a.Zone()
			res.Cols[k].Merge(a)
		}
		res.Rows += fz.Rows
		res.Zones.Files = append(res.Zones.Files, fz)
		lo = hi
	}
	return res, nil
}
