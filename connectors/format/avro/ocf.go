package avro

import (
	"bytes"
	"compress/bzip2"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
)

// The object container file framing (header, blocks, sync markers) is
// read here, with every length checked against the file size before
// anything is allocated; values are decoded by decode.go.

var magic = []byte{'O', 'b', 'j', 1}

// maxBlock bounds one decompressed block (writers use 16 KiB to a few
// MiB).
const maxBlock = 1 << 30

// bin reads Avro binary encoding from a byte slice.
type bin struct {
	b   []byte
	p   int
	err error
}

func (r *bin) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

func (r *bin) long() int64 {
	var u uint64
	for shift := uint(0); shift < 70; shift += 7 {
		if r.p >= len(r.b) {
			r.fail("truncated varint")
			return 0
		}
		c := r.b[r.p]
		r.p++
		u |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return int64(u>>1) ^ -int64(u&1)
		}
	}
	r.fail("varint too long")
	return 0
}

func (r *bin) bytes() []byte {
	n := r.long()
	if n < 0 || n > int64(len(r.b)-r.p) {
		r.fail("length %d exceeds the %d bytes left", n, len(r.b)-r.p)
		return nil
	}
	v := r.b[r.p : r.p+int(n)]
	r.p += int(n)
	return v
}

func (r *bin) fixed(n int) []byte {
	if n < 0 || n > len(r.b)-r.p {
		r.fail("fixed of %d bytes exceeds the %d bytes left", n, len(r.b)-r.p)
		return nil
	}
	v := r.b[r.p : r.p+n]
	r.p += n
	return v
}

func (r *bin) byte1() byte {
	if r.p >= len(r.b) {
		r.fail("truncated value")
		return 0
	}
	r.p++
	return r.b[r.p-1]
}

// header is a parsed container header.
type header struct {
	schema []byte
	codec  string
	sync   [16]byte
	size   int // bytes
}

// readHeader parses the header at the start of head (which must hold
// it; the caller grows head and retries on a truncation error).
func readHeader(head []byte) (*header, error) {
	if !bytes.HasPrefix(head, magic) {
		return nil, fmt.Errorf("not an Avro object container file (missing Obj\\x01 magic)")
	}
	r := &bin{b: head, p: 4}
	h := &header{codec: "null"}
	for {
		n := r.long()
		if r.err != nil {
			return nil, r.err
		}
		if n == 0 {
			break
		}
		if n < 0 {
			n = -n
			r.long() // block size in bytes
		}
		if n > int64(len(r.b)) {
			return nil, fmt.Errorf("metadata map of %d entries is corrupt", n)
		}
		for i := int64(0); i < n; i++ {
			k := r.bytes()
			v := r.bytes()
			if r.err != nil {
				return nil, r.err
			}
			switch string(k) {
			case "avro.schema":
				h.schema = v
			case "avro.codec":
				h.codec = string(v)
			}
		}
	}
	copy(h.sync[:], r.fixed(16))
	if r.err != nil {
		return nil, r.err
	}
	if h.schema == nil {
		return nil, fmt.Errorf("header has no avro.schema")
	}
	h.size = r.p
	return h, nil
}

// decompressor decodes blocks of one codec.
// decompressor decodes the blocks of one file, reusing its decoders and
// its output buffer (a block's data is used up before the next is read).
type decompressor struct {
	codec string
	zstd  *zstd.Decoder
	flate io.ReadCloser // reset for each block
	src   bytes.Reader
	out   []byte
}

func newDecompressor(codec string) (*decompressor, error) {
	d := &decompressor{codec: codec}
	switch codec {
	case "null", "", "deflate", "snappy", "bzip2":
	case "zstandard", "zstd":
		z, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxBlock))
		if err != nil {
			return nil, err
		}
		d.zstd = z
	default:
		return nil, fmt.Errorf("Avro codec %q is not supported (null, deflate, snappy, zstandard, bzip2)", codec)
	}
	return d, nil
}

func (d *decompressor) close() {
	if d.zstd != nil {
		d.zstd.Close()
	}
	if d.flate != nil {
		d.flate.Close()
	}
}

func (d *decompressor) decode(b []byte) ([]byte, error) {
	switch d.codec {
	case "null", "":
		return b, nil
	case "deflate":
		d.src.Reset(b)
		if d.flate == nil {
			d.flate = flate.NewReader(&d.src)
		} else if err := d.flate.(flate.Resetter).Reset(&d.src, nil); err != nil {
			return nil, err
		}
		return d.readAll(d.flate)
	case "bzip2":
		d.src.Reset(b)
		return d.readAll(bzip2.NewReader(&d.src))
	case "snappy":
		if len(b) < 4 {
			return nil, fmt.Errorf("snappy block too short")
		}
		body, crc := b[:len(b)-4], binary.BigEndian.Uint32(b[len(b)-4:])
		n, err := snappy.DecodedLen(body)
		if err != nil || n > maxBlock {
			return nil, fmt.Errorf("corrupt snappy block")
		}
		out, err := snappy.Decode(d.out[:cap(d.out)], body)
		if err != nil {
			return nil, err
		}
		d.out = out
		if crc32.ChecksumIEEE(out) != crc {
			return nil, fmt.Errorf("snappy block checksum mismatch")
		}
		return out, nil
	default:
		out, err := d.zstd.DecodeAll(b, d.out[:0])
		if err != nil {
			return nil, err
		}
		d.out = out
		return out, nil
	}
}

// readAll reads a decompressed block into the output buffer.
func (d *decompressor) readAll(r io.Reader) ([]byte, error) {
	out := d.out[:0]
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)] // grow
		}
		n, err := r.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if len(out) > maxBlock {
			return nil, fmt.Errorf("block decompresses to more than %d bytes", maxBlock)
		}
		if err == io.EOF {
			d.out = out
			return out, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
