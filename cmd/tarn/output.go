package main

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

// printer writes one result set in an output format. begin is called
// once with the columns, batch for every record batch, end with the
// elapsed time.
type printer interface {
	begin(schema *arrow.Schema) error
	batch(rec arrow.RecordBatch) error
	end(rows int64, elapsed time.Duration, hasColumns bool) error
}

func newPrinter(format string, w io.Writer) (printer, error) {
	switch format {
	case "table", "":
		return &tablePrinter{w: w}, nil
	case "csv":
		cw := csv.NewWriter(w)
		return &delimPrinter{write: func(rec []string) error { return cw.Write(rec) }, flush: func() error { cw.Flush(); return cw.Error() }, null: ""}, nil
	case "tsv":
		bw := bufio.NewWriter(w)
		esc := strings.NewReplacer("\\", `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
		return &delimPrinter{write: func(rec []string) error {
			for i, f := range rec {
				if i > 0 {
					bw.WriteByte('\t')
				}
				bw.WriteString(esc.Replace(f))
			}
			return bw.WriteByte('\n')
		}, flush: bw.Flush, null: "NULL"}, nil
	case "json":
		return &jsonPrinter{w: bufio.NewWriter(w)}, nil
	}
	return nil, fmt.Errorf("invalid --format %q: use table, csv, tsv or json", format)
}

// cell renders value i of a as text; ok is false for NULL.
func cell(a arrow.Array, i int) (string, bool) {
	if a.IsNull(i) {
		return "NULL", false
	}
	return expr.FormatPlain(vec.Value(a, i), a.DataType()), true
}

func isNumeric(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL64, arrow.DECIMAL128:
		return true
	}
	return false
}

// tablePrinter draws mysql-style boxes; it buffers the rows to size the
// columns.
type tablePrinter struct {
	w      io.Writer
	schema *arrow.Schema
	rows   [][]string
}

func (p *tablePrinter) begin(s *arrow.Schema) error { p.schema = s; return nil }

func (p *tablePrinter) batch(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		row := make([]string, rec.NumCols())
		for j := range row {
			row[j], _ = cell(rec.Column(j), i)
		}
		p.rows = append(p.rows, row)
	}
	return nil
}

func width(s string) int { return utf8.RuneCountInString(s) }

func (p *tablePrinter) end(rows int64, el time.Duration, hasColumns bool) error {
	bw := bufio.NewWriter(p.w)
	secs := fmt.Sprintf("(%.2f sec)", el.Seconds())
	if !hasColumns {
		fmt.Fprintf(bw, "Query OK %s\n\n", secs)
		return bw.Flush()
	}
	if len(p.rows) == 0 {
		fmt.Fprintf(bw, "Empty set %s\n\n", secs)
		return bw.Flush()
	}
	nc := p.schema.NumFields()
	ws := make([]int, nc)
	for j := 0; j < nc; j++ {
		ws[j] = width(p.schema.Field(j).Name)
	}
	for _, r := range p.rows {
		for j, c := range r {
			// Multi-line values are shown with escaped newlines.
			if w := width(escapeCell(c)); w > ws[j] {
				ws[j] = w
			}
		}
	}
	sep := func() {
		bw.WriteByte('+')
		for _, w := range ws {
			bw.WriteString(strings.Repeat("-", w+2))
			bw.WriteByte('+')
		}
		bw.WriteByte('\n')
	}
	line := func(vals []string, right func(int) bool) {
		bw.WriteByte('|')
		for j, v := range vals {
			v = escapeCell(v)
			pad := strings.Repeat(" ", ws[j]-width(v))
			if right(j) {
				bw.WriteString(" " + pad + v + " |")
			} else {
				bw.WriteString(" " + v + pad + " |")
			}
		}
		bw.WriteByte('\n')
	}
	names := make([]string, nc)
	for j := range names {
		names[j] = p.schema.Field(j).Name
	}
	sep()
	line(names, func(int) bool { return false })
	sep()
	for _, r := range p.rows {
		line(r, func(j int) bool { return isNumeric(p.schema.Field(j).Type) })
	}
	sep()
	word := "rows"
	if rows == 1 {
		word = "row"
	}
	fmt.Fprintf(bw, "%d %s in set %s\n\n", rows, word, secs)
	p.rows = nil
	return bw.Flush()
}

func escapeCell(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	return strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`).Replace(s)
}

// delimPrinter writes CSV or TSV with a header line.
type delimPrinter struct {
	write func([]string) error
	flush func() error
	null  string
	buf   []string
}

func (p *delimPrinter) begin(s *arrow.Schema) error {
	if s.NumFields() == 0 {
		return nil
	}
	names := make([]string, s.NumFields())
	for i := range names {
		names[i] = s.Field(i).Name
	}
	return p.write(names)
}

func (p *delimPrinter) batch(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		p.buf = p.buf[:0]
		for j := 0; j < int(rec.NumCols()); j++ {
			v, ok := cell(rec.Column(j), i)
			if !ok {
				v = p.null
			}
			p.buf = append(p.buf, v)
		}
		if err := p.write(p.buf); err != nil {
			return err
		}
	}
	return nil
}

func (p *delimPrinter) end(int64, time.Duration, bool) error { return p.flush() }

// jsonPrinter writes one JSON object per row (JSON Lines), keys in
// column order. Decimals are exact JSON numbers; dates and timestamps
// are strings; NULL is null.
type jsonPrinter struct {
	w    *bufio.Writer
	keys []string
}

func (p *jsonPrinter) begin(s *arrow.Schema) error {
	p.keys = make([]string, s.NumFields())
	for i := range p.keys {
		p.keys[i] = jsonString(s.Field(i).Name)
	}
	return nil
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if r < 0x20 || r == 0x2028 || r == 0x2029 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else if r == utf8.RuneError {
				b.WriteString(`\ufffd`)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

func jsonValue(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "null"
	}
	if vec.IsNestedType(a.DataType()) {
		// STRUCT / ARRAY / MAP nest as real JSON
		return vec.JSONText(a, i)
	}
	v := vec.Value(a, i)
	switch a.DataType().ID() {
	case arrow.BOOL:
		if v.(bool) {
			return "true"
		}
		return "false"
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DECIMAL64, arrow.DECIMAL128:
		return expr.FormatPlain(v, a.DataType())
	case arrow.FLOAT32, arrow.FLOAT64:
		f := v.(float64)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return jsonString(strconv.FormatFloat(f, 'g', -1, 64))
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return jsonString(expr.FormatPlain(v, a.DataType()))
}

func (p *jsonPrinter) batch(rec arrow.RecordBatch) error {
	n := int(rec.NumRows())
	for i := 0; i < n; i++ {
		p.w.WriteByte('{')
		for j := range p.keys {
			if j > 0 {
				p.w.WriteByte(',')
			}
			p.w.WriteString(p.keys[j])
			p.w.WriteByte(':')
			p.w.WriteString(jsonValue(rec.Column(j), i))
		}
		if _, err := p.w.WriteString("}\n"); err != nil {
			return err
		}
	}
	return nil
}

func (p *jsonPrinter) end(int64, time.Duration, bool) error { return p.w.Flush() }
