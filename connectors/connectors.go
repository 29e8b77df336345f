// Package connectors is the storage × format SPI. A FileSystem knows
// bytes and nothing of formats; a Format reads files it is handed and
// never sees a URL scheme. Scans ask for projected columns, per-column
// value ranges (domains) and a limit; formats use the domains to skip
// row groups, pages or files, and the engine re-applies the exact
// filter afterwards.
package connectors

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tarnsql/tarn/catalog"
)

// FileInfo describes one file.
type FileInfo struct {
	Path    string
	Size    int64
	ModTime time.Time
}

// File is an open file: ranged reads plus its size.
type File interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// ByteRange is a byte range [Off, Off+Len) of a file.
type ByteRange struct {
	Off, Len int64
}

// RangeReader is an optional interface of a File that reads many ranges
// in one call (object stores: nearby ranges coalesced into one request,
// requests sent in parallel). Formats that know their ranges up front
// (the column chunks of a Parquet row group) use it when the File has
// it. The i-th result holds exactly ranges[i].Len bytes.
type RangeReader interface {
	ReadRanges(ctx context.Context, ranges []ByteRange) ([][]byte, error)
}

// FileSystem is the small storage interface (local, S3, HDFS).
type FileSystem interface {
	// Open opens a file for ranged reads.
	Open(ctx context.Context, path string) (File, error)
	// Stat describes one file.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// List lists the files below a directory/prefix, recursively, in
	// lexical order. Hidden files (starting with '.' or '_') are skipped.
	List(ctx context.Context, prefix string) ([]FileInfo, error)
}

// Split is the unit of parallel work (a morsel): a whole file, a set of
// Parquet row groups, or a byte range of a text file.
type Split struct {
	File FileInfo
	// RowGroups lists Parquet row groups of this split (nil = whole file).
	RowGroups []int
	// Offset and Length delimit a byte range of a splittable text file;
	// Length 0 means to the end of the file.
	Offset, Length int64
	// Rows is the estimated number of rows (-1 unknown).
	Rows int64
	// Partition is, for a partitioned table, the index of the split's
	// partition in the list the table was given (see PartitionedTable);
	// the table fills the partition-key columns from it and names the
	// partition in errors. Formats ignore it; it is 0 otherwise.
	Partition int
}

// Range is a closed interval of values a column must fall in, in the
// column's Go representation (int64 for integers, decimals (unscaled),
// dates (days) and timestamps (micros); float64; string; bool). A nil
// bound is unbounded. Values, when set, is an exact set (from = or IN).
// AllowNull reports whether NULL rows may match. Like, for a string
// column, lists SQL LIKE patterns (backslash escape) every matching value
// satisfies; Min/Max already hold their literal prefixes, so only a
// table that knows a value exactly needs them (file tables test the
// hidden "$path" column of each file); formats may ignore them.
type Range struct {
	Column    int
	Min, Max  any
	Values    []any
	AllowNull bool
	Like      []string
}

// ScanRequest is what a scan asks of a format for one split.
type ScanRequest struct {
	// Schema is the table's full schema; Columns are the indices of the
	// columns to read, in output order.
	Schema  *arrow.Schema
	Columns []int
	// Ranges may be used to skip data; they are not exact filters.
	Ranges []Range
	// Limit > 0 allows the reader to stop early.
	Limit int64
	// BatchSize is the preferred number of rows per batch.
	BatchSize int
	Mem       memory.Allocator
	Stats     *ScanStats
	// Options are format options (delimiter, header, ...) from the table.
	Options map[string]string
	// DictOK, when set, parallels Columns: DictOK[i] means the consumer
	// accepts arrow.Dictionary(int32 -> utf8) arrays for the VARCHAR
	// column Columns[i] in place of plain String arrays. Formats may
	// ignore it, and may mix dictionary and plain arrays of one column
	// from batch to batch; a dictionary array's values are non-NULL.
	DictOK []bool
}

// ScanStats counts what scans read. All fields are updated atomically.
// Tables and formats count bytes, files, row groups, rows read and the
// splits they hand out; the executor's scan counts SplitsDone.
type ScanStats struct {
	BytesScanned     atomic.Int64
	FilesScanned     atomic.Int64
	RowGroupsTotal   atomic.Int64
	RowGroupsScanned atomic.Int64
	RowsScanned      atomic.Int64
	SplitsTotal      atomic.Int64
	SplitsDone       atomic.Int64
	// PartitionsTotal counts the partitions of the partitioned tables
	// scanned (for a projected table, the projected range) and
	// PartitionsScanned those left after pruning.
	PartitionsTotal   atomic.Int64
	PartitionsScanned atomic.Int64
	// JoinRows counts the rows the query's joins produced (the executor's
	// join operators add each output batch; WLM's join_row_count).
	JoinRows atomic.Int64
}

// PartitionedTable is implemented by tables split into Hive partitions
// (catalog.Table.PartitionKeys, which follow the data columns in the
// schema). The planner prunes partitions from the scan's predicate and
// hands the survivors to WithPartitions; a partitioned table that was
// never given partitions discovers key=value folders itself.
type PartitionedTable interface {
	Table
	// CatalogTable is the table's catalog entry (partition keys, and the
	// properties that configure partition projection).
	CatalogTable() *catalog.Table
	// WithPartitions returns a table that reads only parts (each
	// partition's location and format override); total is the number of
	// partitions before pruning, for EXPLAIN and ScanStats.
	WithPartitions(parts []catalog.Partition, total int) (Table, error)
	// PartitionCounts reports the selected and total partitions
	// (selected < 0 when no partitions were selected yet).
	PartitionCounts() (selected, total int)
}

// BatchReader yields record batches. Next returns (nil, io.EOF) at the
// end. The caller owns each returned batch and must Release it.
type BatchReader interface {
	Next(ctx context.Context) (arrow.RecordBatch, error)
	Close() error
}

// Format reads one file format.
type Format interface {
	Name() string
	// InferSchema reads the schema of a file (Parquet footer, CSV header).
	InferSchema(ctx context.Context, fs FileSystem, file FileInfo, opts map[string]string) (*arrow.Schema, error)
	// Splits cuts a file into splits. targetRows is a hint.
	Splits(ctx context.Context, fs FileSystem, file FileInfo, opts map[string]string) ([]Split, error)
	// Open reads one split. Output batches have the requested columns,
	// in request order, with the table's types.
	Open(ctx context.Context, fs FileSystem, split Split, req *ScanRequest) (BatchReader, error)
}

// ByteRangeFormat is an optional interface of a Format that reads a
// file as byte-range splits (Split.Offset, Split.Length) of any size and
// position, not only the ones its Splits returns: a split owns the
// records that start in its range (it reads on to finish its last one),
// so ranges that tile a file read each record exactly once. ByteRanges
// reports whether file can be read that way (uncompressed text: CSV,
// JSON Lines, regex); compressed files, and formats that are not, say
// no. Zone maps record ~1 MiB blocks of such files, and zone-map pruning
// cuts the blocks that cannot match out of their splits.
type ByteRangeFormat interface {
	ByteRanges(file FileInfo, opts map[string]string) bool
}

// Table is something a scan reads: a file table (FileSystem × Format over
// a location) or a federated table.
type Table interface {
	// Name is the qualified name shown in EXPLAIN.
	Name() string
	Schema() *arrow.Schema
	// Splits lists the table's splits. Ranges may prune files or row
	// groups; req.Stats receives the totals (files, row groups).
	Splits(ctx context.Context, req *ScanRequest) ([]Split, error)
	// Open reads one split.
	Open(ctx context.Context, split Split, req *ScanRequest) (BatchReader, error)
	// Estimate returns the estimated row count and byte size (-1 unknown),
	// from metadata only.
	Estimate(ctx context.Context) (rows, bytes int64)
}

// RemoteFS is an optional interface of a FileSystem whose reads wait on
// the network (object stores, HDFS). Tables over it report ReadAhead.
type RemoteFS interface {
	FileSystem
	Remote() bool
}

// IsRemote reports whether fs's reads wait on the network.
func IsRemote(fs FileSystem) bool {
	r, ok := fs.(RemoteFS)
	return ok && r.Remote()
}

// ReadAheadTable is an optional interface of a Table whose splits are
// worth opening before they are read: the scan opens its next split
// while it still reads the current one, and formats start a remote
// split's first reads in Open (the Parquet reader fetches its first row
// group), so waiting on storage overlaps decoding. Scans with a LIMIT do
// not read ahead (they may never need the next split).
type ReadAheadTable interface {
	Table
	ReadAhead() bool
}

// SchemaOf returns schema, or a copy whose fields take the types of the
// dictionary-encoded arrays among cols: a format emits dictionaries only
// for the columns a scan accepts them for (ScanRequest.DictOK), so a
// batch's schema may differ from the table's in those columns.
func SchemaOf(schema *arrow.Schema, cols []arrow.Array) *arrow.Schema {
	var fields []arrow.Field
	for i, c := range cols {
		if c.DataType().ID() != arrow.DICTIONARY {
			continue
		}
		if fields == nil {
			fields = append([]arrow.Field(nil), schema.Fields()...)
		}
		fields[i].Type = c.DataType()
	}
	if fields == nil {
		return schema
	}
	return arrow.NewSchema(fields, nil)
}
