package parquet

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// Page headers are checked before parquet-go sees them: it allocates
// the compressed and uncompressed page sizes and the level buffers for
// num_values as the header declares, so a corrupt header (a flipped
// byte) could ask for gigabytes. checkChunk walks the page headers of a
// column chunk and rejects sizes and counts that cannot be right.

// maxPageExpansion bounds uncompressed/compressed page size above
// minUncompressedCap: no codec compresses real pages this well beyond
// that size.
const (
	maxPageExpansion   = 1024
	minUncompressedCap = 64 << 20
	maxHeaderWindow    = 16 << 20
)

// chunkSource reads header bytes of a column chunk: the prefetched
// chunk buffer when there is one, else the file.
type chunkSource struct {
	buf  []byte // the whole chunk, or nil
	file io.ReaderAt
	base int64 // file offset of the chunk
	size int64
	win  []byte
	// lz4: the chunk is LZ4_RAW; unz is the scratch buffer of checkLZ4.
	lz4 bool
	unz []byte
}

// header decodes the page header at chunk position pos and returns it
// with its encoded length.
func (s *chunkSource) header(pos int64) (*format.PageHeader, int64, error) {
	var proto thrift.CompactProtocol
	if s.buf != nil {
		h := new(format.PageHeader)
		r := proto.NewReaderFromBytes(s.buf[pos:])
		if err := thrift.NewDecoder(r).Decode(h); err != nil {
			return nil, 0, err
		}
		return h, int64(r.BytesRead()), nil
	}
	want := int64(64 << 10)
	for {
		n := s.size - pos
		if n > want {
			n = want
		}
		if int64(cap(s.win)) < n {
			s.win = make([]byte, n)
		}
		w := s.win[:n]
		if _, err := s.file.ReadAt(w, s.base+pos); err != nil && err != io.EOF {
			return nil, 0, err
		}
		h := new(format.PageHeader)
		r := proto.NewReaderFromBytes(w)
		err := thrift.NewDecoder(r).Decode(h)
		if err == nil {
			return h, int64(r.BytesRead()), nil
		}
		if n < s.size-pos && want < maxHeaderWindow {
			want *= 4 // a header with large statistics: read more
			continue
		}
		return nil, 0, err
	}
}

// checkChunk validates every page header of a column chunk of a flat
// column: sizes within the chunk, plausible uncompressed sizes, value
// counts within the row group, and dictionary counts that fit the
// dictionary page. It returns an error naming the page's file offset.
func (r *reader) checkChunk(c *colReader, src *chunkSource, rgRows int64) (pages []dataPage, err error) {
	defer func() {
		if p := recover(); p != nil {
			pages, err = nil, fmt.Errorf("corrupt page header: %v", p)
		}
	}()
	minWidth := int64(1)
	switch c.fc.phys {
	case format.Int32, format.Float, format.ByteArray:
		minWidth = 4 // byte arrays carry a 4-byte length
	case format.Int64, format.Double:
		minWidth = 8
	case format.Int96:
		minWidth = 12
	case format.FixedLenByteArray:
		if c.fc.flbaLen > 1 {
			minWidth = int64(c.fc.flbaLen)
		}
	}
	var values int64
	for pos := int64(0); pos < src.size; {
		at := src.base + pos
		h, hlen, err := src.header(pos)
		if err != nil {
			return nil, fmt.Errorf("corrupt page header: %v (offset %d)", err, at)
		}
		comp, unc := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
		if comp < 0 || unc < 0 {
			return nil, fmt.Errorf("page header has negative sizes (compressed %d, uncompressed %d) (offset %d)", comp, unc, at)
		}
		if pos+hlen+comp > src.size {
			return nil, fmt.Errorf("page of %d bytes runs past the end of its column chunk (%d bytes left) (offset %d)", comp, src.size-pos-hlen, at)
		}
		if unc > minUncompressedCap && unc > comp*maxPageExpansion {
			return nil, fmt.Errorf("page declares %d uncompressed bytes from %d compressed: corrupt size (offset %d)", unc, comp, at)
		}
		if src.lz4 {
			if err := src.checkLZ4(h, pos+hlen, comp, unc); err != nil {
				return nil, fmt.Errorf("%v (offset %d)", err, at)
			}
		}
		var n int64
		switch h.Type {
		case format.DataPage:
			if !h.DataPageHeader.Valid {
				return nil, fmt.Errorf("data page without a data page header (offset %d)", at)
			}
			n = int64(h.DataPageHeader.V.NumValues)
		case format.DataPageV2:
			if !h.DataPageHeaderV2.Valid {
				return nil, fmt.Errorf("data page without a data page header (offset %d)", at)
			}
			v2 := &h.DataPageHeaderV2.V
			n = int64(v2.NumValues)
			if v2.NumRows < 0 || v2.NumNulls < 0 || int64(v2.NumNulls) > n ||
				v2.DefinitionLevelsByteLength < 0 || v2.RepetitionLevelsByteLength < 0 ||
				int64(v2.DefinitionLevelsByteLength)+int64(v2.RepetitionLevelsByteLength) > comp {
				return nil, fmt.Errorf("inconsistent data page v2 header (offset %d)", at)
			}
		case format.DictionaryPage:
			if !h.DictionaryPageHeader.Valid {
				return nil, fmt.Errorf("dictionary page without a dictionary page header (offset %d)", at)
			}
			d := int64(h.DictionaryPageHeader.V.NumValues)
			if d < 0 || d*minWidth > unc {
				return nil, fmt.Errorf("dictionary page declares %d values in %d bytes (offset %d)", d, unc, at)
			}
		}
		if n < 0 {
			return nil, fmt.Errorf("page declares %d values (offset %d)", n, at)
		}
		if h.Type == format.DataPage || h.Type == format.DataPageV2 {
			pages = append(pages, dataPage{off: at, first: values})
		}
		values += n
		if values > rgRows {
			return nil, fmt.Errorf("pages hold more than the row group's %d values (offset %d)", rgRows, at)
		}
		pos += hlen + comp
	}
	return pages, nil
}

// dataPage locates a data page of a flat column: its file offset and
// the row group row of its first value.
type dataPage struct{ off, first int64 }

// checkLZ4 decompresses an LZ4_RAW page into a buffer of its declared
// uncompressed size. parquet-go's LZ4 codec retries a failing block with
// an ever larger buffer, so a corrupt page would allocate without bound;
// a page that fails here is rejected before parquet-go sees it.
func (s *chunkSource) checkLZ4(h *format.PageHeader, pos, comp, unc int64) error {
	skip := int64(0)
	if h.Type == format.DataPageV2 && h.DataPageHeaderV2.Valid {
		v2 := &h.DataPageHeaderV2.V
		if v2.IsCompressed.Valid && !v2.IsCompressed.V {
			return nil
		}
		skip = int64(v2.DefinitionLevelsByteLength) + int64(v2.RepetitionLevelsByteLength)
		unc -= skip
	}
	if skip < 0 || skip > comp || unc < 0 {
		return fmt.Errorf("inconsistent LZ4_RAW page sizes")
	}
	var page []byte
	if s.buf != nil {
		page = s.buf[pos+skip : pos+comp]
	} else {
		page = make([]byte, comp-skip)
		if _, err := s.file.ReadAt(page, s.base+pos+skip); err != nil && err != io.EOF {
			return err
		}
	}
	if len(page) == 0 && unc == 0 {
		return nil
	}
	if int64(cap(s.unz)) < unc {
		s.unz = make([]byte, unc)
	}
	n, err := lz4.UncompressBlock(page, s.unz[:unc])
	if err != nil || int64(n) != unc {
		return fmt.Errorf("corrupt LZ4_RAW page: %d compressed bytes do not decompress to the declared %d", len(page), unc)
	}
	return nil
}
