package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/compress"
	"github.com/tarnsql/tarn/connectors/format/parquet"
)

// Format names the crawler writes into catalog tables.
const (
	FormatParquet = "parquet"
	FormatCSV     = "csv"
	FormatJSON    = "json"
	FormatAvro    = "avro"
)

// firstRead is the size of the first read of each file.
const firstRead = 64 << 10

// minCertainty is the certainty a classifier must reach for a file to
// be catalogued.
const minCertainty = 0.5

var (
	parquetMagic = []byte("PAR1")
	orcMagic     = []byte("ORC")
)

// fileResult is one listed file and what the crawler learned of it.
type fileResult struct {
	info connectors.FileInfo
	rel  string   // path relative to the crawl location, '/'-separated
	dirs []string // folder segments of rel (without the file name)

	format    string
	codec     compress.Codec
	certainty float64
	cols      []Column // parquet, json, avro
	csv       *csvInfo
	rows      int64 // -1: unknown

	skip string // why the file is not catalogued ("" when it is)
	// registered is set for files of partitions (or tables) already in
	// the catalog that an incremental crawl does not read.
	registered bool
}

// Classification is the result of running the classifiers on a sample.
type Classification struct {
	Format    string
	Codec     string
	Certainty float64
	Columns   []Column
	Header    bool // CSV: the first row holds column names
	Delimiter byte // CSV
}

// Classify runs the classifiers on a file's first bytes (its whole
// content when complete) and returns the best match; tail is the last
// four bytes of the file (Parquet's footer magic), nil when unknown;
// sampleRows <= 0 means 1000.
// It is the content detection the crawler uses, exposed for tools and
// tests.
func Classify(name string, head, tail []byte, complete bool, sampleRows int) (*Classification, error) {
	f := &fileResult{info: connectors.FileInfo{Path: name, Size: int64(len(head))}, rows: -1}
	if sampleRows <= 0 {
		sampleRows = 1000
	}
	c := &crawl{opts: Options{SampleRows: sampleRows}}
	c.classifyBytes(f, head, tail, complete, nil)
	if f.skip != "" {
		return nil, errors.New(f.skip)
	}
	out := &Classification{Format: f.format, Codec: f.codec.String(), Certainty: f.certainty, Columns: f.cols}
	if f.csv != nil {
		out.Header = f.csv.vote == headerYes
		out.Delimiter = f.csv.delim
		out.Columns = f.csv.schema(out.Header)
	}
	return out, nil
}

// classify reads a sample of the file and runs the classifiers.
func (c *crawl) classify(ctx context.Context, f *fileResult) {
	file, err := c.fs.Open(ctx, f.info.Path)
	if err != nil {
		f.skip = "cannot open: " + err.Error()
		return
	}
	defer file.Close()
	size := file.Size()
	// A first small read tells Parquet (whose footer InferSchema reads)
	// from formats that need a longer sample.
	n := min(size, int64(c.opts.SampleBytes), firstRead)
	head := make([]byte, n, min(size, int64(c.opts.SampleBytes)))
	if _, err := file.ReadAt(head, 0); err != nil && err != io.EOF {
		f.skip = "cannot read: " + err.Error()
		return
	}
	if n < int64(cap(head)) && !bytes.HasPrefix(head, parquetMagic) {
		head = head[:cap(head)]
		if _, err := file.ReadAt(head[n:], n); err != nil && err != io.EOF {
			f.skip = "cannot read: " + err.Error()
			return
		}
		n = int64(len(head))
	}
	var tail []byte
	if size >= 8 {
		tail = make([]byte, 4)
		if _, err := file.ReadAt(tail, size-4); err != nil && err != io.EOF {
			f.skip = "cannot read: " + err.Error()
			return
		}
	}
	c.classifyBytes(f, head, tail, n == size, func(codec compress.Codec) ([]byte, bool, error) {
		return decompressHead(file, size, codec, c.opts.SampleBytes)
	})
	if f.skip == "" && f.format == FormatParquet {
		c.parquetSchema(ctx, f)
	}
}

// decompressHead decompresses up to limit bytes from the start of a file.
func decompressHead(r io.ReaderAt, size int64, codec compress.Codec, limit int) ([]byte, bool, error) {
	dec, err := compress.NewReader(codec, io.NewSectionReader(r, 0, size))
	if err != nil {
		return nil, false, err
	}
	defer dec.Close()
	buf := make([]byte, limit)
	n, err := io.ReadFull(dec, buf)
	switch err {
	case nil:
		// The sample is full; the stream may hold more.
		var one [1]byte
		k, _ := dec.Read(one[:])
		return buf[:n], k == 0, nil
	case io.EOF, io.ErrUnexpectedEOF:
		return buf[:n], true, nil
	}
	if n > 0 {
		// Corrupt or truncated further on: classify what decoded.
		return buf[:n], false, nil
	}
	return nil, false, err
}

// classifyBytes runs the classifiers. decompress, when not nil, reads a
// decompressed sample when the head shows a compression wrapper (nil:
// head is decompressed in memory).
func (c *crawl) classifyBytes(f *fileResult, head, tail []byte, complete bool,
	decompress func(compress.Codec) ([]byte, bool, error)) {
	switch {
	case bytes.HasPrefix(head, parquetMagic):
		if tail != nil && bytes.Equal(tail, parquetMagic) || complete && bytes.HasSuffix(head, parquetMagic) && len(head) >= 8 {
			f.format, f.certainty = FormatParquet, 1
			return
		}
		f.skip = "Parquet header magic without the footer magic (truncated or still being written)"
		return
	case bytes.HasPrefix(head, avroMagic):
		cols, err := avroSchema(head)
		if err != nil {
			f.skip = "Avro container: " + err.Error()
			return
		}
		f.format, f.certainty, f.cols = FormatAvro, 1, cols
		return
	case bytes.HasPrefix(head, orcMagic) && isORC(head, tail):
		f.skip = "ORC files are not supported"
		return
	}
	codec, err := compress.Resolve(f.info.Path, head[:min(len(head), compress.HeadSize)], f.info.Size, nil)
	if err != nil {
		f.skip = err.Error()
		return
	}
	f.codec = codec
	text := head
	if codec != compress.None {
		if decompress == nil {
			decompress = func(cd compress.Codec) ([]byte, bool, error) {
				return decompressHead(bytes.NewReader(head), int64(len(head)), cd, max(c.opts.SampleBytes, 1<<20))
			}
		}
		text, complete, err = decompress(codec)
		if err != nil {
			f.skip = fmt.Sprintf("corrupt %s data: %v", codec, err)
			return
		}
		switch {
		case bytes.HasPrefix(text, parquetMagic), bytes.HasPrefix(text, avroMagic):
			f.skip = fmt.Sprintf("a %s-compressed binary file (Parquet and Avro compress inside the file)", codec)
			return
		}
	}
	if len(text) == 0 {
		f.skip = "empty file"
		return
	}
	if !looksText(text) {
		f.skip = "binary content of no known format"
		return
	}
	jcols, jc := analyzeJSON(text, complete, c.opts.SampleRows)
	info, cc := analyzeCSV(text, complete, c.opts.SampleRows)
	switch {
	case jc >= minCertainty && jc >= cc:
		f.format, f.certainty, f.cols = FormatJSON, jc, jcols
	case cc >= minCertainty:
		f.format, f.certainty, f.csv = FormatCSV, cc, info
	case !complete && bytes.IndexByte(text, '\n') < 0:
		f.skip = fmt.Sprintf("no line end in the first %d bytes: not delimited text or JSON lines (or raise sample_bytes)", len(text))
	default:
		best, bc := FormatCSV, cc
		if jc > cc {
			best, bc = FormatJSON, jc
		}
		f.skip = "unrecognised content (best guess " + best + " with certainty " + strconv.FormatFloat(bc, 'f', 2, 64) + ")"
	}
}

// isORC checks the ORC file layout: "ORC" at the start and the
// postscript length byte at the end.
func isORC(head, tail []byte) bool {
	return len(head) >= 3 && len(tail) == 4 && tail[3] > 0 && !looksText(head[:min(len(head), 64)])
}

var parquetFormat = parquet.New()

// parquetSchema reads a Parquet footer (tarn's reader maps the types)
// and counts its rows.
func (c *crawl) parquetSchema(ctx context.Context, f *fileResult) {
	s, err := parquetFormat.InferSchema(ctx, c.fs, f.info, nil)
	if err != nil {
		f.skip = strings.TrimPrefix(err.Error(), "parquet: ")
		return
	}
	f.cols = make([]Column, s.NumFields())
	for i, fl := range s.Fields() {
		f.cols[i] = Column{Name: fl.Name, Type: scalar(fl.Type)}
	}
	splits, err := parquetFormat.Splits(ctx, c.fs, f.info, nil)
	if err == nil {
		var rows int64
		for _, sp := range splits {
			if sp.Rows < 0 {
				return
			}
			rows += sp.Rows
		}
		f.rows = rows
	}
}
