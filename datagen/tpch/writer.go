package tpch

import (
	"bufio"
	"fmt"
	"os"
	"strconv"

	"github.com/parquet-go/parquet-go"
)

// rowWriter writes the rows of one table into one file.
type rowWriter[T any] interface {
	write(rows []T) error
	// endRowGroup closes the current row group (a no-op for CSV).
	endRowGroup() error
	// close finishes the file and moves it into place; it returns the
	// file's size.
	close() (int64, error)
	// abort removes the partial file.
	abort()
}

// fileTarget creates path via a hidden temporary name (scans skip names
// starting with '.'), renamed into place on success.
type fileTarget struct {
	path, tmp string
	f         *os.File
	bw        *bufio.Writer
}

func newFileTarget(path string) (*fileTarget, error) {
	dir, base := splitPath(path)
	tmp := dir + "/." + base + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return nil, fmt.Errorf("tpch: create %s: %w", path, err)
	}
	return &fileTarget{path: path, tmp: tmp, f: f, bw: bufio.NewWriterSize(f, 1<<20)}, nil
}

func splitPath(p string) (dir, base string) {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == os.PathSeparator {
			return p[:i], p[i+1:]
		}
	}
	return ".", p
}

func (t *fileTarget) finish() (int64, error) {
	if err := t.bw.Flush(); err != nil {
		t.abort()
		return 0, fmt.Errorf("tpch: write %s: %w", t.path, err)
	}
	st, err := t.f.Stat()
	if err == nil {
		err = t.f.Close()
	} else {
		t.f.Close()
	}
	if err == nil {
		err = os.Rename(t.tmp, t.path)
	}
	if err != nil {
		os.Remove(t.tmp)
		return 0, fmt.Errorf("tpch: finish %s: %w", t.path, err)
	}
	return st.Size(), nil
}

func (t *fileTarget) abort() {
	t.f.Close()
	os.Remove(t.tmp)
}

// parquetWriter writes Parquet with parquet-go's typed writer: the
// struct-to-column mapping is compiled once per row type, so no
// reflection happens per row. Columns are snappy-compressed, REQUIRED,
// with page statistics; low-cardinality strings are dictionary-encoded.
type parquetWriter[T any] struct {
	t *fileTarget
	w *parquet.GenericWriter[T]
}

func newParquetWriter[T any](path string) (rowWriter[T], error) {
	t, err := newFileTarget(path)
	if err != nil {
		return nil, err
	}
	w := parquet.NewGenericWriter[T](t.bw,
		parquet.Compression(&parquet.Snappy),
		parquet.MaxRowsPerRowGroup(1<<40), // row groups are cut explicitly
		parquet.DataPageStatistics(true),
		parquet.CreatedBy("tarn tpch dbgen", "2.4.0", ""),
	)
	return &parquetWriter[T]{t: t, w: w}, nil
}

func (p *parquetWriter[T]) write(rows []T) error {
	if _, err := p.w.Write(rows); err != nil {
		return fmt.Errorf("tpch: write %s: %w", p.t.path, err)
	}
	return nil
}

func (p *parquetWriter[T]) endRowGroup() error {
	if err := p.w.Flush(); err != nil {
		return fmt.Errorf("tpch: write %s: %w", p.t.path, err)
	}
	return nil
}

func (p *parquetWriter[T]) close() (int64, error) {
	if err := p.w.Close(); err != nil {
		p.t.abort()
		return 0, fmt.Errorf("tpch: write %s: %w", p.t.path, err)
	}
	return p.t.finish()
}

func (p *parquetWriter[T]) abort() { p.t.abort() }

// csvRow is implemented by every row type: it appends the row as one
// CSV record (RFC 4180, comma-separated, with a trailing newline).
type csvRow interface {
	appendCSV(b []byte) []byte
}

type csvWriter[T any] struct {
	t   *fileTarget
	buf []byte
	row func(*T) csvRow
}

func newCSVWriter[T any](path string, header []string) (rowWriter[T], error) {
	t, err := newFileTarget(path)
	if err != nil {
		return nil, err
	}
	w := &csvWriter[T]{t: t, row: func(r *T) csvRow { return any(r).(csvRow) }}
	for i, h := range header {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		w.buf = appendCSVString(w.buf, h)
	}
	w.buf = append(w.buf, '\n')
	return w, nil
}

func (c *csvWriter[T]) write(rows []T) error {
	b := c.buf
	for i := range rows {
		b = c.row(&rows[i]).appendCSV(b)
		if len(b) >= 1<<20 {
			if _, err := c.t.bw.Write(b); err != nil {
				return fmt.Errorf("tpch: write %s: %w", c.t.path, err)
			}
			b = b[:0]
		}
	}
	c.buf = b
	return nil
}

func (c *csvWriter[T]) endRowGroup() error { return nil }

func (c *csvWriter[T]) close() (int64, error) {
	if _, err := c.t.bw.Write(c.buf); err != nil {
		c.t.abort()
		return 0, fmt.Errorf("tpch: write %s: %w", c.t.path, err)
	}
	return c.t.finish()
}

func (c *csvWriter[T]) abort() { c.t.abort() }

// CSV field encoders.

func appendCSVString(b []byte, s string) []byte {
	quote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',', '"', '\n', '\r':
			quote = true
		}
	}
	if len(s) > 0 && (s[0] == ' ' || s[len(s)-1] == ' ') {
		// Leading or trailing blanks are data; quote them so that readers
		// that trim unquoted fields keep them.
		quote = true
	}
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			b = append(b, '"')
		}
		b = append(b, s[i])
	}
	return append(b, '"')
}

// appendDecimal2 appends an unscaled DECIMAL(p,2) value.
func appendDecimal2(b []byte, v int64) []byte {
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/100, 10)
	f := v % 100
	return append(b, '.', byte('0'+f/10), byte('0'+f%10))
}

// appendDate appends a day number since 1970-01-01 as YYYY-MM-DD.
func appendDate(b []byte, days int32) []byte {
	y, m, d := civil(int64(days))
	b = appendPad(b, y, 4)
	b = append(b, '-')
	b = appendPad(b, m, 2)
	b = append(b, '-')
	return appendPad(b, d, 2)
}

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's days_from_civil inverse).
func civil(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

func (r *regionRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.RegionKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Name)
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}

func (r *nationRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.NationKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Name)
	b = append(b, ',')
	b = appendInt(b, r.RegionKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}

func (r *supplierRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.SuppKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Name)
	b = append(b, ',')
	b = appendCSVString(b, r.Address)
	b = append(b, ',')
	b = appendInt(b, r.NationKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Phone)
	b = append(b, ',')
	b = appendDecimal2(b, r.AcctBal)
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}

func (r *customerRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.CustKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Name)
	b = append(b, ',')
	b = appendCSVString(b, r.Address)
	b = append(b, ',')
	b = appendInt(b, r.NationKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Phone)
	b = append(b, ',')
	b = appendDecimal2(b, r.AcctBal)
	b = append(b, ',')
	b = appendCSVString(b, r.MktSegment)
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}

func (r *partRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.PartKey)
	b = append(b, ',')
	b = appendCSVString(b, r.Name)
	b = append(b, ',')
	b = appendCSVString(b, r.Mfgr)
	b = append(b, ',')
	b = appendCSVString(b, r.Brand)
	b = append(b, ',')
	b = appendCSVString(b, r.Type)
	b = append(b, ',')
	b = appendInt(b, int64(r.Size))
	b = append(b, ',')
	b = appendCSVString(b, r.Container)
	b = append(b, ',')
	b = appendDecimal2(b, r.RetailPrice)
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}

func (r *partsuppRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.PartKey)
	b = append(b, ',')
	b = appendInt(b, r.SuppKey)
	b = append(b, ',')
	b = appendInt(b, int64(r.AvailQty))
	b = append(b, ',')
	b = appendDecimal2(b, r.SupplyCost)
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}

func (r *orderRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.OrderKey)
	b = append(b, ',')
	b = appendInt(b, r.CustKey)
	b = append(b, ',')
	b = appendCSVString(b, r.OrderStatus)
	b = append(b, ',')
	b = appendDecimal2(b, r.TotalPrice)
	b = append(b, ',')
	b = appendDate(b, r.OrderDate)
	b = append(b, ',')
	b = appendCSVString(b, r.OrderPriority)
	b = append(b, ',')
	b = appendCSVString(b, r.Clerk)
	b = append(b, ',')
	b = appendInt(b, int64(r.ShipPriority))
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}

func (r *lineitemRow) appendCSV(b []byte) []byte {
	b = appendInt(b, r.OrderKey)
	b = append(b, ',')
	b = appendInt(b, r.PartKey)
	b = append(b, ',')
	b = appendInt(b, r.SuppKey)
	b = append(b, ',')
	b = appendInt(b, int64(r.LineNumber))
	b = append(b, ',')
	b = appendDecimal2(b, r.Quantity)
	b = append(b, ',')
	b = appendDecimal2(b, r.ExtendedPrice)
	b = append(b, ',')
	b = appendDecimal2(b, r.Discount)
	b = append(b, ',')
	b = appendDecimal2(b, r.Tax)
	b = append(b, ',')
	b = appendCSVString(b, r.ReturnFlag)
	b = append(b, ',')
	b = appendCSVString(b, r.LineStatus)
	b = append(b, ',')
	b = appendDate(b, r.ShipDate)
	b = append(b, ',')
	b = appendDate(b, r.CommitDate)
	b = append(b, ',')
	b = appendDate(b, r.ReceiptDate)
	b = append(b, ',')
	b = appendCSVString(b, r.ShipInstruct)
	b = append(b, ',')
	b = appendCSVString(b, r.ShipMode)
	b = append(b, ',')
	b = appendCSVString(b, r.Comment)
	return append(b, '\n')
}
