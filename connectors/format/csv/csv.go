// Package csv reads delimited text files (CSV, TSV, Hive text) into Arrow
// batches with the table's schema, columns by position.
//
// Splits: files larger than SplitSize are cut into byte ranges. A split
// owns the records that start inside its range [Offset, Offset+Length):
// it reads past its end to finish its last record, and a split with
// Offset > 0 starts at the first record boundary at or after Offset.
// Because a newline inside a quoted field is not a record boundary, the
// boundary is found by trying each newline after Offset-1 in turn and
// accepting the first from which the next records parse cleanly (no
// stray quote, and the field count of the table) — a newline inside a
// quoted field fails that test because the parse from it sees the
// closing quote in the middle of an unquoted field. Files without
// quoted newlines are always split exactly.
package csv

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/compress"
	"github.com/tarnsql/tarn/connectors/format/internal/textcol"
)

// SplitSize is the byte size above which files are split.
var SplitSize int64 = 64 << 20

// DefaultBatchSize is used when the request does not set one.
const DefaultBatchSize = 1024

// Format is the CSV/TSV format.
type Format struct{}

// New returns the CSV format.
func New() *Format { return &Format{} }

var (
	_ connectors.Format          = (*Format)(nil)
	_ connectors.ByteRangeFormat = (*Format)(nil)
)

// Name is "csv".
func (*Format) Name() string { return "csv" }

// InferSchema reads the header line: every column is VARCHAR, named by
// the header (col_N when the table has no header line).
func (*Format) InferSchema(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) (*arrow.Schema, error) {
	o, err := ParseOptions(opts)
	if err != nil {
		return nil, err
	}
	f, err := fs.Open(ctx, file.Path)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	defer f.Close()
	in, err := compress.Open(file.Path, f, opts)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	defer in.Close()
	s := newScanner(in, 0, in.Size, o, min(in.Size, bufSize))
	ok, err := s.next()
	if err != nil {
		return nil, fmt.Errorf("csv: %s: %w", file.Path, err)
	}
	if !ok {
		return nil, fmt.Errorf("csv: %s: empty file, no header to infer a schema from", file.Path)
	}
	fields := make([]arrow.Field, len(s.fields))
	seen := map[string]int{}
	for i := range s.fields {
		name := string(s.value(i))
		if o.SkipLines == 0 || name == "" {
			name = fmt.Sprintf("col_%d", i+1)
		}
		if n := seen[name]; n > 0 {
			name = fmt.Sprintf("%s_%d", name, n+1)
		}
		seen[name]++
		fields[i] = arrow.Field{Name: name, Type: types.String, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

// ByteRanges reports whether file can be read as byte-range splits of
// any size (connectors.ByteRangeFormat): uncompressed files can, since a
// split owns the records that start in its range; compressed ones are
// read whole.
func (*Format) ByteRanges(file connectors.FileInfo, opts map[string]string) bool {
	return compress.Splittable(file.Path, opts)
}

// Splits cuts uncompressed files larger than SplitSize into byte
// ranges; compressed files are one split each.
func (*Format) Splits(ctx context.Context, fs connectors.FileSystem, file connectors.FileInfo, opts map[string]string) ([]connectors.Split, error) {
	return textcol.Splits(file, opts, SplitSize), nil
}

// Open reads one split.
func (*Format) Open(ctx context.Context, fs connectors.FileSystem, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	o, err := ParseOptions(req.Options)
	if err != nil {
		return nil, fmt.Errorf("csv: %s: %w", split.File.Path, err)
	}
	src, err := textcol.Open(ctx, fs, split, req, DefaultBatchSize)
	if err != nil {
		return nil, fmt.Errorf("csv: %w", err)
	}
	r := &reader{Source: src, req: req, opt: o}
	if err := r.plan(); err != nil {
		r.Close()
		return nil, err
	}
	if r.End == 0 {
		r.Done = true // nothing to read: an empty file, or a compressed file's split past offset 0
		return r, nil
	}
	start, end, size := r.Start, r.End, r.In.Size
	r.lineKnown = start == 0
	r.sc = newScanner(r.In, start, size, o, min(end-start, bufSize))
	if end < size {
		r.sc.end = end
	}
	if start > 0 {
		if err := r.sc.syncTo(start, r.ncols()); err != nil {
			r.Close()
			return nil, fmt.Errorf("csv: %s: %w", r.Path, err)
		}
	} else {
		for i := 0; i < o.SkipLines; i++ {
			ok, err := r.sc.next()
			if err != nil {
				r.Close()
				return nil, fmt.Errorf("csv: %s: %w", r.Path, err)
			}
			if !ok {
				break
			}
		}
	}
	return r, nil
}

// scanner splits a byte range of a file into records and fields.
type scanner struct {
	r       io.ReaderAt
	opt     Options
	size    int64
	base    int64 // file offset of buf[0]
	buf     []byte
	n       int // valid bytes in buf
	pos     int // parse position in buf
	eof     bool
	fields  []field
	scratch []byte
	recOff  int64 // file offset of the last record
	lines   int64 // newlines consumed so far
	recLn   int64 // newlines before the last record
	read    int64 // bytes read
	// end, when above 0, is the end of the split's byte range: past it
	// only the rest of the split's last record is needed, so reads there
	// are small (tailRead) rather than a whole buffer.
	end int64
}

type field struct {
	start, end int
	quoted     bool
	unesc      bool
}

const bufSize = 1 << 20

// tailRead is the most a read goes past a split's end.
const tailRead = 16 << 10

func newScanner(r io.ReaderAt, off, size int64, o Options, span int64) *scanner {
	n := int64(bufSize)
	if span+4096 < n {
		n = span + 4096 // small splits read little; the buffer grows on demand
	}
	return &scanner{r: r, opt: o, size: size, base: off, buf: make([]byte, n)}
}

// fill shifts the unparsed tail to the front and reads more.
func (s *scanner) fill() error {
	if s.eof {
		return nil
	}
	if s.pos > 0 {
		copy(s.buf, s.buf[s.pos:s.n])
		s.base += int64(s.pos)
		s.n -= s.pos
		s.pos = 0
	}
	if s.n == len(s.buf) {
		nb := make([]byte, 2*len(s.buf))
		copy(nb, s.buf[:s.n])
		s.buf = nb
	}
	off := s.base + int64(s.n)
	want := len(s.buf) - s.n
	if rem := s.size - off; int64(want) > rem {
		want = int(rem)
	}
	if s.end > 0 {
		if lim := max(s.end-off, 0) + tailRead; int64(want) > lim {
			want = int(lim)
		}
	}
	if want <= 0 {
		s.eof = true
		return nil
	}
	k, err := s.r.ReadAt(s.buf[s.n:s.n+want], off)
	s.n += k
	s.read += int64(k)
	if err != nil && err != io.EOF {
		return fmt.Errorf("read at offset %d: %w", off, err)
	}
	if off+int64(k) >= s.size || k == 0 {
		s.eof = true
	}
	return nil
}

// parse parses one record at i in buf[:n]. It returns the position after
// the record, whether the record was complete (false: more data is
// needed), and whether the record looked malformed (stray quotes).
// Fields are recorded when rec is true.
func (s *scanner) parse(i int, rec bool) (next int, complete, bad bool, nfields int, newlines int) {
	buf, n := s.buf[:s.n], s.n
	q, e, d := s.opt.Quote, s.opt.Escape, s.opt.Delim
	if rec {
		s.fields = s.fields[:0]
	}
	for {
		f := field{start: i}
		if q != 0 && i < n && buf[i] == q {
			f.quoted = true
			i++
			f.start = i
			for {
				if i >= n {
					return 0, false, false, 0, 0
				}
				c := buf[i]
				if c == e && e != 0 && e != q {
					if i+1 >= n {
						return 0, false, false, 0, 0
					}
					if buf[i+1] == '\n' {
						newlines++
					}
					f.unesc = true
					i += 2
					continue
				}
				if c == q {
					if i+1 >= n && !s.eof {
						return 0, false, false, 0, 0
					}
					if i+1 < n && buf[i+1] == q {
						f.unesc = true
						i += 2
						continue
					}
					break
				}
				if c == '\n' {
					newlines++
				}
				i++
			}
			f.end = i
			i++ // closing quote
			// After the closing quote only a delimiter or a record end may follow.
			if i < n && buf[i] != d && buf[i] != '\n' && !(buf[i] == '\r' && (i+1 >= n || buf[i+1] == '\n')) {
				bad = true
				for i < n && buf[i] != d && buf[i] != '\n' {
					i++
				}
			}
		} else {
			for i < n {
				c := buf[i]
				if c == d || c == '\n' {
					break
				}
				if c == e && e != 0 {
					f.unesc = true
					i += 2
					continue
				}
				if c == q && q != 0 {
					bad = true // a quote inside an unquoted field
				}
				i++
			}
			if i > n {
				i = n
			}
			f.end = i
		}
		if i >= n && !s.eof {
			return 0, false, false, 0, 0
		}
		nfields++
		if rec {
			s.fields = append(s.fields, f)
		}
		if i >= n {
			if !f.quoted && f.end > f.start && buf[f.end-1] == '\r' {
				if rec {
					s.fields[len(s.fields)-1].end--
				}
			}
			return n, true, bad, nfields, newlines
		}
		if buf[i] == '\n' {
			if !f.quoted && f.end > f.start && buf[f.end-1] == '\r' && rec {
				s.fields[len(s.fields)-1].end--
			}
			return i + 1, true, bad, nfields, newlines + 1
		}
		i++ // delimiter
	}
}

// next reads the next non-empty record; false at the end of the file.
func (s *scanner) next() (bool, error) {
	for {
		if s.pos >= s.n {
			if s.eof {
				return false, nil
			}
			if err := s.fill(); err != nil {
				return false, err
			}
			continue
		}
		// Skip empty lines.
		if s.buf[s.pos] == '\n' || (s.buf[s.pos] == '\r' && s.pos+1 < s.n && s.buf[s.pos+1] == '\n') {
			if s.buf[s.pos] == '\r' {
				s.pos++
			}
			s.pos++
			s.lines++
			continue
		}
		next, complete, _, _, nl := s.parse(s.pos, true)
		if !complete {
			if s.eof {
				return false, fmt.Errorf("unterminated quoted field at offset %d", s.base+int64(s.pos))
			}
			if err := s.fill(); err != nil {
				return false, err
			}
			continue
		}
		s.recOff = s.base + int64(s.pos)
		s.recLn = s.lines
		s.pos = next
		s.lines += int64(nl)
		return true, nil
	}
}

// value returns field i, unescaped (valid until the next record).
func (s *scanner) value(i int) []byte {
	f := s.fields[i]
	v := s.buf[f.start:f.end]
	if !f.unesc {
		return v
	}
	out := s.scratch[:0]
	q, e := s.opt.Quote, s.opt.Escape
	for j := 0; j < len(v); j++ {
		c := v[j]
		if e != 0 && c == e && j+1 < len(v) {
			j++
			out = append(out, v[j])
			continue
		}
		if f.quoted && c == q && j+1 < len(v) && v[j+1] == q {
			j++
		}
		out = append(out, c)
	}
	s.scratch = out
	return out
}

// syncTo positions the scanner at the first record boundary at or after
// off (see the package doc).
func (s *scanner) syncTo(off int64, ncols int) error {
	s.base = off - 1
	s.pos, s.n = 0, 0
	if err := s.fill(); err != nil {
		return err
	}
	const maxCandidates = 64
	first := -1
	tried := 0
	for i := 0; ; i++ {
		if i >= s.n {
			if s.eof {
				break
			}
			// Need more data to find a newline; keep everything from pos.
			if err := s.fill(); err != nil {
				return err
			}
			continue
		}
		if s.buf[i] != '\n' {
			continue
		}
		if first < 0 {
			first = i + 1
		}
		if tried >= maxCandidates || s.probe(i+1, ncols) {
			s.pos = i + 1
			return nil
		}
		tried++
	}
	if first >= 0 {
		s.pos = first
	} else {
		s.pos = s.n
	}
	return nil
}

// probe checks that up to 4 records parse cleanly from i with ncols
// fields each (records cut by the buffer end are given the benefit of
// the doubt).
func (s *scanner) probe(i, ncols int) bool {
	for k := 0; k < 4 && i < s.n; k++ {
		if s.buf[i] == '\n' {
			i++
			continue
		}
		next, complete, bad, nf, _ := s.parse(i, false)
		if !complete {
			return true
		}
		if bad || (ncols > 1 && nf != ncols) {
			return false
		}
		i = next
	}
	return true
}

// recLine is the 0-based line number of the last record's first line.
func (s *scanner) recLine() int64 { return s.recLn }
