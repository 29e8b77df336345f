package textcol

import (
	"bytes"
	"fmt"
	"io"
)

// Lines reads the newline-terminated records of a byte range of a file
// (or of a decompressed stream). A reader whose range starts at offset
// o > 0 owns the lines that start in [o, end): it skips to the first
// line start at or after o (the byte at o-1 is a newline, or the line
// runs on), and reads past end to finish its last line.
type Lines struct {
	r     io.ReaderAt
	size  int64
	end   int64
	base  int64 // file offset of buf[0]
	buf   []byte
	n     int
	pos   int
	eof   bool
	known bool // line numbers are known (the range starts at 0)
	line  int64
	off   int64
}

const linesBuf = 256 << 10

// tailRead is the most a read goes past the range's end.
const tailRead = 16 << 10

// NewLines reads the lines starting in [start, end) of a source of size
// bytes (math.MaxInt64 for a stream).
func NewLines(r io.ReaderAt, start, end, size int64) (*Lines, error) {
	l := &Lines{r: r, size: size, end: end, base: start, known: start == 0}
	n := int64(linesBuf)
	if end-start < n-4096 {
		n = end - start + 4096
	}
	l.buf = make([]byte, n)
	if start > 0 {
		l.base = start - 1
		for {
			if l.pos >= l.n {
				if l.eof {
					return l, nil
				}
				if err := l.fill(); err != nil {
					return nil, err
				}
				continue
			}
			i := bytes.IndexByte(l.buf[l.pos:l.n], '\n')
			if i >= 0 {
				l.pos += i + 1
				return l, nil
			}
			l.pos = l.n
		}
	}
	return l, nil
}

func (l *Lines) fill() error {
	if l.eof {
		return nil
	}
	if l.pos > 0 {
		copy(l.buf, l.buf[l.pos:l.n])
		l.base += int64(l.pos)
		l.n -= l.pos
		l.pos = 0
	}
	if l.n == len(l.buf) {
		nb := make([]byte, 2*len(l.buf))
		copy(nb, l.buf[:l.n])
		l.buf = nb
	}
	off := l.base + int64(l.n)
	want := len(l.buf) - l.n
	if rem := l.size - off; int64(want) > rem {
		want = int(rem)
	}
	if l.end < l.size {
		// Past the range's end only the rest of its last line is
		// needed: read on in small steps, not a whole buffer.
		if lim := max(l.end-off, 0) + tailRead; int64(want) > lim {
			want = int(lim)
		}
	}
	if want <= 0 {
		l.eof = true
		return nil
	}
	k, err := l.r.ReadAt(l.buf[l.n:l.n+want], off)
	l.n += k
	if err != nil && err != io.EOF {
		return fmt.Errorf("read at offset %d: %w", off, err)
	}
	if k < want || off+int64(k) >= l.size {
		l.eof = true
	}
	return nil
}

// Next returns the next line without its terminator (\n or \r\n),
// valid until the following call; ok is false at the end of the range.
func (l *Lines) Next() (line []byte, ok bool, err error) {
	for {
		if l.base+int64(l.pos) >= l.end {
			return nil, false, nil
		}
		i := bytes.IndexByte(l.buf[l.pos:l.n], '\n')
		if i < 0 && !l.eof {
			if err := l.fill(); err != nil {
				return nil, false, err
			}
			continue
		}
		if i < 0 {
			if l.pos >= l.n {
				return nil, false, nil
			}
			i = l.n - l.pos // last line without a newline
		}
		line = l.buf[l.pos : l.pos+i]
		l.off = l.base + int64(l.pos)
		l.line++
		l.pos += i + 1
		if l.pos > l.n {
			l.pos = l.n
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		return line, true, nil
	}
}

// Where names the last line: "line N" when the range starts at the
// file's beginning, else its byte offset.
func (l *Lines) Where() string {
	if l.known {
		return fmt.Sprintf("line %d", l.line)
	}
	return fmt.Sprintf("line at byte offset %d", l.off)
}
