package textcol

import (
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/compress"
)

// Splits cuts a line-oriented text file into byte ranges of size bytes
// (each range owns the records that start in it); a file no larger than
// size, or one that cannot be read by byte range (compressed), is one
// split.
func Splits(file connectors.FileInfo, opts map[string]string, size int64) []connectors.Split {
	if file.Size <= size || !compress.Splittable(file.Path, opts) {
		return []connectors.Split{{File: file, Rows: -1}}
	}
	var out []connectors.Split
	for off := int64(0); off < file.Size; off += size {
		out = append(out, connectors.Split{File: file, Offset: off, Length: min(size, file.Size-off), Rows: -1})
	}
	return out
}
