package csv

import (
	"fmt"
	"strconv"
	"strings"
)

// Options are the parsed table options of a CSV/TSV table.
type Options struct {
	Delim     byte
	Quote     byte // 0: no quoting
	Escape    byte // 0: none
	SkipLines int
	// NullFormat is the text of a NULL. When NullSet is false the
	// default applies: an empty field is NULL for non-string columns.
	NullFormat string
	NullSet    bool
}

// ParseOptions reads field.delim / separatorChar, quoteChar, escapeChar,
// skip.header.line.count and serialization.null.format.
func ParseOptions(m map[string]string) (Options, error) {
	o := Options{Delim: ',', Quote: '"'}
	get := func(keys ...string) (string, bool) {
		for _, k := range keys {
			for mk, v := range m {
				if strings.EqualFold(mk, k) {
					return v, true
				}
			}
		}
		return "", false
	}
	char := func(name, v string, allowEmpty bool) (byte, error) {
		s, err := unescapeChar(v)
		if err != nil {
			return 0, fmt.Errorf("csv option %s=%q: %v", name, v, err)
		}
		if s == "" && allowEmpty {
			return 0, nil
		}
		if len(s) != 1 {
			return 0, fmt.Errorf("csv option %s=%q: must be a single byte", name, v)
		}
		return s[0], nil
	}
	var err error
	if v, ok := get("field.delim", "separatorChar", "delimiter"); ok {
		if o.Delim, err = char("field.delim", v, false); err != nil {
			return o, err
		}
	}
	if v, ok := get("quoteChar", "quote.delim"); ok {
		if o.Quote, err = char("quoteChar", v, true); err != nil {
			return o, err
		}
	}
	if v, ok := get("escapeChar", "escape.delim"); ok {
		if o.Escape, err = char("escapeChar", v, true); err != nil {
			return o, err
		}
	}
	if v, ok := get("skip.header.line.count"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return o, fmt.Errorf("csv option skip.header.line.count=%q: must be a non-negative integer", v)
		}
		o.SkipLines = n
	}
	if v, ok := get("serialization.null.format"); ok {
		o.NullFormat, o.NullSet = v, true
	}
	if o.Delim == '\n' || o.Delim == '\r' || (o.Quote != 0 && o.Quote == o.Delim) {
		return o, fmt.Errorf("csv options: delimiter %q and quote %q conflict", o.Delim, o.Quote)
	}
	return o, nil
}

// unescapeChar accepts a literal character or an escape such as \t,
// \001 (octal, Hive style) or \u0001.
func unescapeChar(v string) (string, error) {
	if len(v) < 2 || v[0] != '\\' {
		return v, nil
	}
	switch v {
	case `\t`:
		return "\t", nil
	case `\n`:
		return "\n", nil
	case `\\`:
		return `\`, nil
	}
	if len(v) == 4 && v[1] >= '0' && v[1] <= '3' {
		n, err := strconv.ParseUint(v[1:], 8, 8)
		if err == nil {
			return string([]byte{byte(n)}), nil
		}
	}
	if len(v) == 6 && (v[1] == 'u' || v[1] == 'U') {
		n, err := strconv.ParseUint(v[2:], 16, 8)
		if err == nil {
			return string([]byte{byte(n)}), nil
		}
	}
	return v, nil
}
