package crawler

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// delimiters are the candidate field delimiters, in order of preference
// on ties.
var delimiters = []byte{',', '\t', '|', ';'}

// sniffRows is the number of records the delimiter sniffer looks at.
const sniffRows = 64

// parseRecords splits delimited text into records with RFC 4180 quoting
// ('"' quotes a field, "" is a quote inside one; quoted fields may hold
// delimiters and newlines). When complete is false the text is a prefix
// of the file and a last record without its line end is dropped. It
// stops after maxRows records (maxRows <= 0: no limit). bad counts
// records with a stray quote (a quote inside an unquoted field or text
// after a closing quote).
func parseRecords(data []byte, delim byte, maxRows int, complete bool) (recs [][]string, bad int) {
	var field []byte
	var rec []string
	inQuotes, quoted, stray := false, false, false
	flushField := func() {
		rec = append(rec, string(field))
		field = field[:0]
		quoted = false
	}
	i := 0
	for i < len(data) {
		c := data[i]
		if inQuotes {
			if c == '"' {
				if i+1 < len(data) && data[i+1] == '"' {
					field = append(field, '"')
					i += 2
					continue
				}
				inQuotes = false
				i++
				continue
			}
			field = append(field, c)
			i++
			continue
		}
		switch c {
		case delim:
			flushField()
		case '\n', '\r':
			if c == '\r' && i+1 < len(data) && data[i+1] == '\n' {
				i++
			}
			flushField()
			if !(len(rec) == 1 && rec[0] == "") { // skip blank lines
				recs = append(recs, rec)
				if stray {
					bad++
				}
			}
			rec, stray = nil, false
			if maxRows > 0 && len(recs) >= maxRows {
				return recs, bad
			}
		case '"':
			if len(field) == 0 && !quoted {
				inQuotes, quoted = true, true
			} else {
				stray = true
				field = append(field, c)
			}
		default:
			if quoted {
				stray = true // text after a closing quote
			}
			field = append(field, c)
		}
		i++
	}
	if complete && !inQuotes && (len(field) > 0 || len(rec) > 0 || quoted) {
		flushField()
		recs = append(recs, rec)
		if stray {
			bad++
		}
	}
	return recs, bad
}

// sniffDelimiter picks the delimiter whose records have the most
// consistent field count (at least two fields). It returns the delimiter,
// the modal field count and the share of records having it (0 when no
// candidate splits the text into two or more fields).
func sniffDelimiter(data []byte, complete bool) (delim byte, cols int, consistency float64) {
	delim, cols = ',', 1
	bestScore := 0.0
	for _, d := range delimiters {
		recs, bad := parseRecords(data, d, sniffRows, complete)
		if len(recs) == 0 {
			continue
		}
		counts := map[int]int{}
		for _, r := range recs {
			counts[len(r)]++
		}
		mode, n := 0, 0
		for c, k := range counts {
			if k > n || (k == n && c > mode) {
				mode, n = c, k
			}
		}
		if mode < 2 {
			continue
		}
		score := float64(n-bad) / float64(len(recs))
		if score > bestScore+1e-9 {
			delim, cols, bestScore = d, mode, score
		}
	}
	return delim, cols, bestScore
}

// Header votes of one CSV file.
const (
	headerMaybe = iota // the first row could be a header or data
	headerYes          // distinct names over typed data
	headerNo           // the first row is data (numbers, blanks, duplicates)
)

// csvInfo is what the crawler learned from one delimited text file.
type csvInfo struct {
	delim      byte
	cols       int
	first      []string // the first record
	firstTypes []*Type  // the first record's value types
	rest       []*Type  // column types over the other sampled records
	restRows   int
	vote       int
	ragged     int // sampled records whose field count differs
}

// analyzeCSV sniffs the dialect of a text sample and infers column types
// over up to sampleRows records. ok is false when the text is not
// delimited data.
func analyzeCSV(data []byte, complete bool, sampleRows int) (*csvInfo, float64) {
	if !looksText(data) {
		return nil, 0
	}
	delim, cols, consistency := sniffDelimiter(data, complete)
	certainty := 0.9 * consistency
	single := cols < 2
	if single {
		// One column (or no delimiter found): plain lines of text.
		cols, delim = 1, ','
	}
	recs, bad := parseRecords(data, delim, sampleRows+1, complete)
	if len(recs) == 0 {
		return nil, 0
	}
	if single {
		// Weak evidence: lines of text. Less so with stray quotes, and
		// hardly when the text looks like (broken) JSON.
		certainty = 0.5 * (1 - float64(bad)/float64(len(recs)))
		if t := bytes.TrimLeft(data, " \t\r\n\ufeff"); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			certainty = 0.2
		}
	}
	info := &csvInfo{delim: delim, cols: cols, first: recs[0]}
	if len(info.first) != cols {
		info.ragged++
	}
	info.firstTypes = make([]*Type, cols)
	info.rest = make([]*Type, cols)
	for j := 0; j < cols; j++ {
		info.firstTypes[j] = tNull
		if j < len(info.first) {
			info.firstTypes[j] = InferText(info.first[j])
		}
		info.rest[j] = tNull
	}
	for _, r := range recs[1:] {
		if len(r) != cols {
			info.ragged++
		}
		for j := 0; j < cols && j < len(r); j++ {
			if info.rest[j].isString() {
				continue
			}
			info.rest[j], _ = Merge(info.rest[j], InferText(r[j]), true)
		}
	}
	info.restRows = len(recs) - 1
	info.vote = headerVote(info)
	return info, certainty
}

// headerVote applies the header rule: a first row of distinct, non-empty,
// non-numeric names is a header when at least one column's data is not
// text; it cannot be a header when it has numbers, dates, blanks or
// repeated names.
func headerVote(info *csvInfo) int {
	if len(info.first) != info.cols {
		return headerNo
	}
	seen := make(map[string]bool, len(info.first))
	for j, v := range info.first {
		n := strings.ToLower(trimBlank(v))
		if n == "" || seen[n] || !info.firstTypes[j].isString() {
			return headerNo
		}
		seen[n] = true
	}
	for _, t := range info.rest {
		if t.Kind != KindNull && !t.isString() {
			return headerYes
		}
	}
	return headerMaybe
}

// schema returns the file's columns with or without a header row.
func (c *csvInfo) schema(header bool) []Column {
	cols := make([]Column, c.cols)
	if header {
		first := make([]string, c.cols) // a ragged first row: blanks name colN
		copy(first, c.first)
		names := columnNames(first)
		for j := range cols {
			cols[j] = Column{Name: names[j], Type: c.rest[j]}
		}
		return cols
	}
	for j := range cols {
		t, _ := Merge(c.firstTypes[j], c.rest[j], true)
		cols[j] = Column{Name: "col" + itoa(j), Type: t}
	}
	return cols
}

// columnNames sanitises header names: lower case, runs of characters
// other than letters, digits and '_' become '_', blanks become colN, and
// repeats get a _2, _3 suffix.
func columnNames(raw []string) []string {
	out := make([]string, len(raw))
	seen := map[string]int{}
	for i, r := range raw {
		n := SanitizeName(r)
		if n == "" {
			n = "col" + itoa(i)
		}
		if k := seen[n]; k > 0 {
			seen[n] = k + 1
			n = n + "_" + itoa(k+1)
		}
		seen[n]++
		out[i] = n
	}
	return out
}

// SanitizeName turns a folder, file or header name into a catalog
// identifier the way Glue does: lower case, characters other than
// letters, digits and '_' replaced by '_' (runs collapsed), leading and
// trailing '_' trimmed.
func SanitizeName(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r > 0x7f && r != utf8.RuneError && isLetter(r):
			b.WriteRune(r)
			under = false
		default:
			if !under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = true
		}
	}
	return strings.TrimRight(b.String(), "_")
}

func isLetter(r rune) bool {
	return strings.ToLower(string(r)) != strings.ToUpper(string(r))
}

// looksText reports whether a sample is text: valid UTF-8 (a rune cut at
// the end of the sample is allowed) without NUL bytes.
func looksText(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			if c == 0 {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:])
		}
		i += n
	}
	return true
}
