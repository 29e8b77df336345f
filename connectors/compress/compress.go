// Package compress opens compressed text files (CSV, JSON, regex logs)
// as decompressed byte streams: gzip, zstd, bzip2, snappy (framed, and
// the Hadoop block stream), lz4 (frame) and deflate/zlib.
//
// The codec is chosen by the file extension and checked against the
// magic bytes: a file whose extension names a codec but whose bytes are
// another codec's is read with the codec its bytes show, a file with a
// codec extension whose bytes match no codec is an error naming the
// file, and a file without a codec extension whose bytes start with an
// unambiguous magic (gzip, zstd, bzip2, snappy framed, lz4) is
// decompressed too. The table option 'compression' forces a codec
// ('none' turns detection off).
//
// Compressed files are not splittable: a reader reads them front to
// back, and a decompressed stream is served through an io.ReaderAt that
// only allows sequential reads.
package compress

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strings"
	"sync/atomic"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Codec is a compression codec.
type Codec uint8

const (
	None Codec = iota
	Gzip
	Zstd
	Bzip2
	Snappy // framed (.sz), or the Hadoop block stream (.snappy)
	LZ4    // frame format
	Deflate
	Zlib
)

var names = [...]string{"none", "gzip", "zstd", "bzip2", "snappy", "lz4", "deflate", "zlib"}

// String is the codec's name.
func (c Codec) String() string {
	if int(c) < len(names) {
		return names[c]
	}
	return fmt.Sprintf("codec(%d)", c)
}

// ParseCodec reads a codec name ('gz', 'gzip', 'zstd', 'bz2', ...).
func ParseCodec(s string) (Codec, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "none", "uncompressed":
		return None, true
	case "gzip", "gz":
		return Gzip, true
	case "zstd", "zst", "zstandard":
		return Zstd, true
	case "bzip2", "bz2":
		return Bzip2, true
	case "snappy", "sz":
		return Snappy, true
	case "lz4":
		return LZ4, true
	case "deflate":
		return Deflate, true
	case "zlib", "zz":
		return Zlib, true
	}
	return None, false
}

// extensions maps lower-case file extensions to codecs.
var extensions = map[string]Codec{
	".gz": Gzip, ".gzip": Gzip,
	".zst": Zstd, ".zstd": Zstd,
	".bz2": Bzip2,
	".sz":  Snappy, ".snappy": Snappy,
	".lz4":     LZ4,
	".deflate": Deflate,
	".zlib":    Zlib, ".zz": Zlib,
}

// FromExtension returns the codec named by a file's extension.
func FromExtension(p string) Codec {
	return extensions[strings.ToLower(path.Ext(p))]
}

// TrimExtension removes a codec extension from a file name
// ("a.json.gz" -> "a.json").
func TrimExtension(p string) string {
	if FromExtension(p) != None {
		return strings.TrimSuffix(p, path.Ext(p))
	}
	return p
}

var (
	magicGzip   = []byte{0x1f, 0x8b}
	magicZstd   = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicBzip2  = []byte("BZh")
	magicSnappy = []byte("\xff\x06\x00\x00sNaPpY")
	magicLZ4    = []byte{0x04, 0x22, 0x4d, 0x18}
)

// Detect returns the codec whose unambiguous magic bytes start head
// (None when there is none; zlib and raw deflate have no reliable
// magic and are never detected).
func Detect(head []byte) Codec {
	switch {
	case bytes.HasPrefix(head, magicGzip):
		return Gzip
	case bytes.HasPrefix(head, magicZstd):
		return Zstd
	case bytes.HasPrefix(head, magicBzip2) && len(head) > 3 && head[3] >= '1' && head[3] <= '9':
		return Bzip2
	case bytes.HasPrefix(head, magicSnappy):
		return Snappy
	case bytes.HasPrefix(head, magicLZ4):
		return LZ4
	}
	return None
}

// isZlib reports whether head starts with a valid zlib header.
func isZlib(head []byte) bool {
	return len(head) >= 2 && head[0]&0x0f == 8 && head[0]>>4 <= 7 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0
}

// isHadoopSnappy reports whether head looks like a Hadoop block stream:
// a big-endian raw length followed by a plausible compressed length.
func isHadoopSnappy(head []byte, size int64) bool {
	if len(head) < 8 {
		return false
	}
	raw := binary.BigEndian.Uint32(head)
	comp := binary.BigEndian.Uint32(head[4:])
	return raw > 0 && comp > 0 && int64(comp) <= size-8
}

// HeadSize is the number of leading bytes Resolve looks at.
const HeadSize = 16

// Option reads the 'compression' table option: ok false means auto.
func Option(opts map[string]string) (Codec, bool, error) {
	for k, v := range opts {
		if strings.EqualFold(k, "compression") || strings.EqualFold(k, "compression.codec") {
			if strings.EqualFold(strings.TrimSpace(v), "auto") {
				return None, false, nil
			}
			c, ok := ParseCodec(v)
			if !ok {
				return None, false, fmt.Errorf("table option compression=%q: unknown codec (none, gzip, zstd, bzip2, snappy, lz4, deflate, zlib)", v)
			}
			return c, true, nil
		}
	}
	return None, false, nil
}

// Splittable reports whether a file may be cut into byte ranges: only
// uncompressed files (by option and extension).
func Splittable(p string, opts map[string]string) bool {
	c, forced, err := Option(opts)
	if err != nil {
		return false
	}
	if forced {
		return c == None
	}
	return FromExtension(p) == None
}

// Resolve chooses the codec of a file from its name, its first bytes
// and the table options (see the package doc).
func Resolve(p string, head []byte, size int64, opts map[string]string) (Codec, error) {
	forced, isForced, err := Option(opts)
	if err != nil {
		return None, err
	}
	magic := Detect(head)
	if isForced {
		if forced == None {
			return None, nil
		}
		if !matches(forced, head, magic, size) {
			return None, fmt.Errorf("%s: table option compression=%s but the file does not start with %s data", p, forced, forced)
		}
		return forced, nil
	}
	ext := FromExtension(p)
	if ext == None {
		return magic, nil
	}
	if matches(ext, head, magic, size) {
		if ext == Deflate && isZlib(head) {
			return Zlib, nil // Hadoop's DefaultCodec writes zlib streams as .deflate
		}
		return ext, nil
	}
	if magic != None {
		return magic, nil // the bytes override the name
	}
	return None, fmt.Errorf("%s: file extension says %s but the file is not %s data (first bytes % x)", p, ext, ext, head[:min(len(head), 8)])
}

func matches(c Codec, head []byte, magic Codec, size int64) bool {
	switch c {
	case Zlib:
		return isZlib(head)
	case Deflate:
		return magic == None // raw deflate has no header
	case Snappy:
		return magic == Snappy || magic == None && isHadoopSnappy(head, size)
	}
	return magic == c
}

// NewReader returns the decompressed stream of r.
func NewReader(c Codec, r io.Reader) (io.ReadCloser, error) {
	switch c {
	case None:
		return io.NopCloser(r), nil
	case Gzip:
		z, err := gzip.NewReader(r) // reads concatenated members
		if err != nil {
			return nil, err
		}
		return z, nil
	case Zstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(1<<30))
		if err != nil {
			return nil, err
		}
		return zstdCloser{z}, nil
	case Bzip2:
		return io.NopCloser(bzip2.NewReader(r)), nil
	case Snappy:
		br := bufio.NewReader(r)
		head, _ := br.Peek(len(magicSnappy))
		if bytes.Equal(head, magicSnappy) {
			return io.NopCloser(snappy.NewReader(br)), nil
		}
		return io.NopCloser(&hadoopSnappy{r: br}), nil
	case LZ4:
		return io.NopCloser(lz4.NewReader(r)), nil
	case Deflate:
		return flate.NewReader(r), nil
	case Zlib:
		return zlib.NewReader(r)
	}
	return nil, fmt.Errorf("unknown codec %d", c)
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error { z.Decoder.Close(); return nil }

// maxHadoopBlock bounds a Hadoop snappy block (the codec's buffer is
// 256 KiB by default; allow far more, but not gigabytes).
const maxHadoopBlock = 64 << 20

// hadoopSnappy reads Hadoop's BlockCompressorStream framing: blocks of
// [raw length][compressed length, snappy block]..., big-endian.
type hadoopSnappy struct {
	r       *bufio.Reader
	rawLeft uint32
	out     []byte
	pos     int
	comp    []byte
}

func (h *hadoopSnappy) Read(p []byte) (int, error) {
	for h.pos >= len(h.out) {
		var n [4]byte
		if h.rawLeft == 0 {
			if _, err := io.ReadFull(h.r, n[:]); err != nil {
				if err == io.ErrUnexpectedEOF {
					return 0, errors.New("hadoop snappy: truncated block header")
				}
				return 0, err // io.EOF: clean end
			}
			h.rawLeft = binary.BigEndian.Uint32(n[:])
			if h.rawLeft > maxHadoopBlock {
				return 0, fmt.Errorf("hadoop snappy: block of %d bytes is too large", h.rawLeft)
			}
			continue
		}
		if _, err := io.ReadFull(h.r, n[:]); err != nil {
			return 0, fmt.Errorf("hadoop snappy: truncated chunk header: %w", noEOF(err))
		}
		cl := binary.BigEndian.Uint32(n[:])
		if cl > maxHadoopBlock {
			return 0, fmt.Errorf("hadoop snappy: chunk of %d bytes is too large", cl)
		}
		if cap(h.comp) < int(cl) {
			h.comp = make([]byte, cl)
		}
		h.comp = h.comp[:cl]
		if _, err := io.ReadFull(h.r, h.comp); err != nil {
			return 0, fmt.Errorf("hadoop snappy: truncated chunk: %w", noEOF(err))
		}
		dl, err := snappy.DecodedLen(h.comp)
		if err != nil || dl > int(h.rawLeft) {
			return 0, fmt.Errorf("hadoop snappy: corrupt chunk")
		}
		out, err := snappy.Decode(h.out[:cap(h.out)], h.comp)
		if err != nil {
			return 0, fmt.Errorf("hadoop snappy: %w", err)
		}
		h.out, h.pos = out, 0
		h.rawLeft -= uint32(len(out))
	}
	n := copy(p, h.out[h.pos:])
	h.pos += n
	return n, nil
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Input is the byte source of a text file: the file itself when it is
// not compressed, else its decompressed stream.
type Input struct {
	// ReaderAt serves the (decompressed) bytes. Streams only allow
	// sequential reads from offset 0.
	io.ReaderAt
	// Size is the file size, or math.MaxInt64 for a stream (read until
	// io.EOF).
	Size  int64
	Codec Codec
	raw   atomic.Int64
	close func() error
}

// RawBytes is the number of bytes read from the file so far.
func (in *Input) RawBytes() int64 { return in.raw.Load() }

// Close releases the decompressor (not the file).
func (in *Input) Close() error {
	if in.close != nil {
		err := in.close()
		in.close = nil
		return err
	}
	return nil
}

// Stream reports whether the input is a decompressed stream.
func (in *Input) Stream() bool { return in.Codec != None }

// Open resolves the codec of file f at path p and returns its input.
func Open(p string, f interface {
	io.ReaderAt
	Size() int64
}, opts map[string]string) (*Input, error) {
	size := f.Size()
	head := make([]byte, min(int64(HeadSize), size))
	if _, err := f.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: reading the first bytes: %w", p, err)
	}
	c, err := Resolve(p, head, size, opts)
	if err != nil {
		return nil, err
	}
	in := &Input{Codec: c}
	if c == None {
		in.ReaderAt = countingAt{f, &in.raw}
		in.Size = size
		return in, nil
	}
	src := bufio.NewReaderSize(countingReader{io.NewSectionReader(f, 0, size), &in.raw}, 256<<10)
	dec, err := NewReader(c, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w (offset 0)", p, c, err)
	}
	in.ReaderAt = &seqReaderAt{path: p, codec: c, r: dec}
	in.Size = math.MaxInt64
	in.close = dec.Close
	return in, nil
}

type countingAt struct {
	r io.ReaderAt
	n *atomic.Int64
}

func (c countingAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n.Add(int64(n))
	return n, err
}

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// seqReaderAt serves a stream to readers that read it front to back
// with ReadAt.
type seqReaderAt struct {
	path  string
	codec Codec
	r     io.Reader
	pos   int64
	err   error
}

func (s *seqReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off != s.pos {
		return 0, fmt.Errorf("%s: internal error: %s stream read at offset %d, expected %d (compressed files are read sequentially)", s.path, s.codec, off, s.pos)
	}
	if s.err != nil {
		return 0, s.err
	}
	n := 0
	var err error
	for n < len(p) && err == nil {
		var k int
		k, err = s.r.Read(p[n:])
		n += k
	}
	s.pos += int64(n)
	switch err {
	case nil:
	case io.EOF:
		s.err = io.EOF
	default:
		// io.ErrUnexpectedEOF from a decoder is a truncated stream.
		s.err = fmt.Errorf("%s: corrupt %s data: %v (decompressed offset %d)", s.path, s.codec, err, s.pos)
		err = s.err
	}
	return n, err
}
