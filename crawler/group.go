package crawler

import (
	"cmp"
	"fmt"
	"strings"
)

// group summarises the files of a folder subtree: whether they form one
// dataset (same format, compatible schemas) and the merged schema.
type group struct {
	format string
	delim  byte // csv

	cols []Column // parquet, json, avro: merged by name

	// csv: files merge by position, read with or without a header row.
	hdr, plain     []Column
	hdrOK, plainOK bool
	hdrWhy         string // why the with-header reading fails
	plainWhy       string
	need, forbid   bool // some file needs (forbids) a header row

	minD, maxD int // depth of the files below the folder
	files      int
	codec      string // a compression codec seen ("" none)

	bad string // non-empty: not one dataset, and why
}

// fileGroup is the group of one classified file at depth 0.
func fileGroup(f *fileResult, header string) *group {
	g := &group{format: f.format, files: 1}
	if f.codec != 0 {
		g.codec = f.codec.String()
	}
	if f.format != FormatCSV {
		g.cols = f.cols
		return g
	}
	in := f.csv
	g.delim = in.delim
	g.plain, g.plainOK = in.schema(false), true
	switch header {
	case "true":
		g.hdr, g.hdrOK, g.need = in.schema(true), true, true
	case "false":
		g.forbid, g.hdrWhy = true, "header rows are turned off"
	default:
		switch in.vote {
		case headerYes:
			g.hdr, g.hdrOK, g.need = in.schema(true), true, true
		case headerMaybe:
			g.hdr, g.hdrOK = in.schema(true), true
		default:
			g.forbid, g.hdrWhy = true, "first row is data"
		}
	}
	return g
}

// lift returns the group as seen from the parent folder.
func (g *group) lift() *group {
	h := *g
	h.minD++
	h.maxD++
	return &h
}

// header reports whether the csv dataset has a header row.
func (g *group) header() bool { return g.need }

// schema returns the dataset's columns.
func (g *group) schema() []Column {
	if g.format != FormatCSV {
		return g.cols
	}
	if g.need {
		return g.hdr
	}
	return g.plain
}

// check sets bad when a csv group has no consistent reading.
func (g *group) check() {
	if g.format != FormatCSV || g.bad != "" {
		return
	}
	switch {
	case g.need && g.forbid:
		g.bad = "some files have a header row and others do not"
	case g.need && !g.hdrOK:
		g.bad = g.hdrWhy
	case !g.need && !g.plainOK:
		g.bad = g.plainWhy
	}
}

// mergeGroups merges two groups (of sibling files or folders).
func mergeGroups(a, b *group) *group {
	if a.bad != "" {
		return a
	}
	if b.bad != "" {
		return b
	}
	m := &group{format: a.format, delim: a.delim, minD: min(a.minD, b.minD), maxD: max(a.maxD, b.maxD),
		files: a.files + b.files, codec: a.codec}
	if m.codec == "" {
		m.codec = b.codec
	}
	if a.format != b.format {
		m.bad = fmt.Sprintf("formats differ (%s and %s)", a.format, b.format)
		return m
	}
	if a.format != FormatCSV {
		if ov := overlap(a.cols, b.cols); ov < 0.5 {
			m.bad = fmt.Sprintf("schemas share too few columns (%s) and (%s)", short(a.cols), short(b.cols))
			return m
		}
		cols, cf := mergeByName(a.cols, b.cols, a.format == FormatJSON)
		if cf != nil {
			m.bad = "schemas conflict: " + cf.Error()
			return m
		}
		m.cols = cols
		return m
	}
	if a.delim != b.delim {
		m.bad = fmt.Sprintf("delimiters differ (%q and %q)", a.delim, b.delim)
		return m
	}
	m.need, m.forbid = a.need || b.need, a.forbid || b.forbid
	m.hdrOK, m.hdrWhy = a.hdrOK && b.hdrOK, cmp.Or(a.hdrWhy, b.hdrWhy)
	if m.hdrOK {
		cols, cf := mergeByPosition(a.hdr, b.hdr, true, true)
		if cf != nil {
			m.hdrOK, m.hdrWhy = false, "headers differ: "+cf.Error()
		}
		m.hdr = cols
	}
	m.plainOK, m.plainWhy = a.plainOK && b.plainOK, cmp.Or(a.plainWhy, b.plainWhy)
	if m.plainOK {
		cols, cf := mergeByPosition(a.plain, b.plain, false, true)
		if cf != nil {
			m.plainOK, m.plainWhy = false, "column counts differ: "+cf.Error()
		}
		m.plain = cols
	}
	m.check()
	return m
}

// short prints at most four column names.
func short(cols []Column) string {
	var names []string
	for i, c := range cols {
		if i == 4 {
			names = append(names, "...")
			break
		}
		names = append(names, c.Name)
	}
	return strings.Join(names, ", ")
}
