package parquet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	pq "github.com/parquet-go/parquet-go"

	"github.com/tarnsql/tarn/connectors"
)

// TestLargeFooter reads a file whose footer is larger than the first
// read parquet-go makes (footerReadSize), as DuckDB writes for a table of
// hundreds of row groups: that read must be served whole, tail included.
func TestLargeFooter(t *testing.T) {
	const n = 6000
	rows := make([]dictRow, n)
	for i := range rows {
		rows[i] = dictRow{Mode: fmt.Sprintf("mode %d", i%97), Txt: fmt.Sprintf("a fairly long text value %08d", i)}
	}
	var buf bytes.Buffer
	w := pq.NewGenericWriter[dictRow](&buf, pq.MaxRowsPerRowGroup(10))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	flen := binary.LittleEndian.Uint32(b[len(b)-8:])
	if flen <= footerReadSize {
		t.Fatalf("footer is %d bytes; the test needs more than %d", flen, footerReadSize)
	}
	path := filepath.Join(t.TempDir(), "big-footer.parquet")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got, err := scanAll(t, path, &connectors.ScanRequest{Schema: dictSchema, Columns: []int{0, 2}, BatchSize: 1000, Mem: mem})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d rows, want %d", len(got), n)
	}
	for i, r := range got {
		if r[0] != rows[i].Mode || r[1] != rows[i].Txt {
			t.Fatalf("row %d: got %q, want %q %q", i, r, rows[i].Mode, rows[i].Txt)
		}
	}
}
