package engine

// CRAWL '<location>' INTO DATABASE db [WITH (...)]: the Glue-style
// crawler (package crawler) run from SQL. The result set is the crawl
// summary: one row per table, schema change, note and skipped file, and
// a final total.

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/crawler"
	"github.com/tarnsql/tarn/planner/ddl"
)

// CrawlOptions turns CRAWL's WITH (...) entries into crawler options.
func CrawlOptions(st *ddl.Crawl) (crawler.Options, error) {
	o := crawler.Options{Location: st.Location, Database: st.Database}
	num := func(opt ddl.CrawlOption) (int, error) {
		n, err := strconv.Atoi(strings.TrimSpace(opt.Value))
		if err != nil || n <= 0 {
			return 0, newError(CodeOther, "HY000", nil, "CRAWL option %s at line %d, column %d: %q is not a positive integer",
				opt.Key, opt.Line, opt.Col, opt.Value)
		}
		return n, nil
	}
	var err error
	for _, opt := range st.Options {
		switch opt.Key {
		case "mode":
			o.Mode = opt.Value
		case "schema_change", "schema_change_policy":
			o.SchemaChange = opt.Value
		case "delete_behavior":
			o.DeleteBehavior = opt.Value
		case "header":
			o.Header = opt.Value
		case "exclude", "exclusions":
			for _, g := range strings.Split(opt.Value, ",") {
				if g = strings.TrimSpace(g); g != "" {
					o.Exclude = append(o.Exclude, g)
				}
			}
		case "sample_rows":
			o.SampleRows, err = num(opt)
		case "sample_bytes":
			o.SampleBytes, err = num(opt)
		case "parallel":
			o.Parallel, err = num(opt)
		case "zone_maps":
			switch strings.ToLower(strings.TrimSpace(opt.Value)) {
			case "true", "1", "on":
				o.ZoneMaps = true
			case "false", "0", "off":
				o.ZoneMaps = false
			default:
				err = newError(CodeOther, "HY000", nil, "CRAWL option %s at line %d, column %d: %q is not true or false",
					opt.Key, opt.Line, opt.Col, opt.Value)
			}
		default:
			return o, newError(CodeOther, "HY000", nil,
				"CRAWL option %s at line %d, column %d is unknown (mode, schema_change, delete_behavior, exclude, sample_rows, sample_bytes, header, parallel, zone_maps)",
				opt.Key, opt.Line, opt.Col)
		}
		if err != nil {
			return o, err
		}
	}
	return o, nil
}

func (s *Session) crawl(ctx context.Context, r *Result, st *ddl.Crawl) error {
	o, err := CrawlOptions(st)
	if err != nil {
		return err
	}
	db := catalog.Normalize(o.Database)
	if db == SystemDatabase || db == InfoSchemaDatabase {
		return newError(CodeOther, "HY000", nil, "CRAWL cannot write into the %s database", db)
	}
	if !strings.Contains(o.Location, "://") {
		abs, err := filepath.Abs(o.Location)
		if err != nil {
			return newError(CodeOther, "HY000", err, "CRAWL location '%s': %v", o.Location, err)
		}
		o.Location = abs
	}
	sum, err := crawler.Run(ctx, s.e.store, o)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return newError(CodeOther, "HY000", err, "%v", err)
	}
	rows := sum.Rows()
	out := make([][]any, len(rows))
	for i, row := range rows {
		vals := make([]any, len(row))
		for j, v := range row {
			if v == "" {
				vals[j] = nil
			} else {
				vals[j] = v
			}
		}
		out[i] = vals
	}
	types := make([]arrow.DataType, len(crawler.ResultColumns))
	for i := range types {
		types[i] = strT
	}
	r.setStatic(crawler.ResultColumns, types, out)
	return nil
}
