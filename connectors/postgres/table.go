package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/connectors"
)

// kind is how a column is selected and decoded.
type kind uint8

const (
	kInt16 kind = iota
	kInt32
	kInt64
	kFloat32
	kFloat64
	kBool
	kText // text, varchar, name, char (as ::text), others (as ::text)
	kDate
	kTimestamp   // timestamp without time zone
	kTimestampTZ // timestamptz, read as UTC
	kDecimal
	kUUID
)

// column is one remote column.
type column struct {
	name   string // remote name, as in PostgreSQL
	udt    string // PostgreSQL type name (udt_name)
	kind   kind
	typ    arrow.DataType
	sel    string // select expression: "col", "col"::text, "col"::numeric(38,10)
	scale  int32  // decimal scale
	prec   int32  // decimal precision
	byCast bool   // sel is a cast (not the bare column)
}

// Unconstrained NUMERIC (and NUMERIC wider than tarn's 38 digits) is read
// as DECIMAL(38,10): PostgreSQL rounds to 10 decimals in the remote
// SELECT (numeric(38,10) cast) and fails there on overflow.
const (
	numericDefaultPrecision = 38
	numericDefaultScale     = 10
)

// mapType maps a PostgreSQL column (udt_name, numeric precision and
// scale, NULL when absent) to tarn's column.
func mapType(name, udt string, prec, scale *int32) column {
	c := column{name: name, udt: udt}
	q := quoteIdent(name)
	c.sel = q
	switch udt {
	case "int2":
		c.kind, c.typ = kInt16, types.Int16
	case "int4":
		c.kind, c.typ = kInt32, types.Int32
	case "int8":
		c.kind, c.typ = kInt64, types.Int64
	case "float4":
		c.kind, c.typ = kFloat32, types.Float32
	case "float8":
		c.kind, c.typ = kFloat64, types.Float64
	case "bool":
		c.kind, c.typ = kBool, types.Boolean
	case "text", "varchar", "name":
		c.kind, c.typ = kText, types.String
	case "date":
		c.kind, c.typ = kDate, types.Date
	case "timestamp":
		c.kind, c.typ = kTimestamp, types.Timestamp
	case "timestamptz":
		c.kind, c.typ = kTimestampTZ, types.Timestamp
	case "uuid":
		c.kind, c.typ = kUUID, types.String
	case "numeric":
		c.kind = kDecimal
		if prec != nil && scale != nil && *prec >= 1 && *prec <= types.MaxDecimalPrecision && *scale >= 0 && *scale <= *prec {
			c.prec, c.scale = *prec, *scale
		} else {
			c.prec, c.scale = numericDefaultPrecision, numericDefaultScale
			c.sel = fmt.Sprintf("%s::numeric(%d,%d)", q, c.prec, c.scale)
			c.byCast = true
		}
		c.typ = types.Decimal(c.prec, c.scale)
	default:
		// bpchar (trailing blanks dropped, as PostgreSQL's ::text does),
		// json, jsonb, time, interval, arrays, enums, ... as their text.
		c.kind, c.typ = kText, types.String
		c.sel = q + "::text"
		c.byCast = true
	}
	return c
}

// Table is a remote table or view; it implements connectors.Table.
type Table struct {
	src          *Source
	schema, name string // remote names
	display      string // conn.schema.table as addressed in tarn
	cols         []column
	arrow        *arrow.Schema
	relkind      string
	reltuples    float64
	relpages     int64
}

var _ connectors.Table = (*Table)(nil)

const columnsSQL = `SELECT c.table_schema::text, c.table_name::text, c.column_name::text, c.udt_name::text,
       c.numeric_precision::int4, c.numeric_scale::int4
  FROM information_schema.columns c
 WHERE lower(c.table_schema) = lower($1) AND lower(c.table_name) = lower($2)
 ORDER BY c.table_schema, c.table_name, c.ordinal_position`

const relSQL = `SELECT c.relkind::text, c.reltuples::float8, c.relpages::int8
  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2`

// Table resolves schema.table (matched exactly, else case-insensitively
// when that is unambiguous) and reads its columns and size estimate.
// A missing table is an error wrapping catalog.ErrNotFound.
func (s *Source) Table(ctx context.Context, schema, table string) (*Table, error) {
	if schema == "" {
		schema = s.cfg.DefaultSchema
	}
	display := s.cfg.Name + "." + schema + "." + table
	rows, err := s.pool.Query(ctx, columnsSQL, schema, table)
	if err != nil {
		return nil, s.wrap(err, display)
	}
	type rel struct{ schema, name string }
	byRel := map[rel][]column{}
	var order []rel
	for rows.Next() {
		var sch, tbl, col, udt string
		var prec, scale *int32
		if err := rows.Scan(&sch, &tbl, &col, &udt, &prec, &scale); err != nil {
			rows.Close()
			return nil, s.wrap(err, display)
		}
		k := rel{sch, tbl}
		if _, ok := byRel[k]; !ok {
			order = append(order, k)
		}
		byRel[k] = append(byRel[k], mapType(col, udt, prec, scale))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap(err, display)
	}
	var pick *rel
	for i := range order {
		if order[i].schema == schema && order[i].name == table {
			pick = &order[i]
		}
	}
	if pick == nil {
		switch len(order) {
		case 0:
			return nil, &Error{Conn: s.cfg.Name, Table: display, Code: "42P01",
				Msg: fmt.Sprintf("remote table %s.%s does not exist (or has no columns this user may read)", schema, table),
				err: catalog.ErrNotFound}
		case 1:
			pick = &order[0]
		default:
			return nil, &Error{Conn: s.cfg.Name, Table: display,
				Msg: fmt.Sprintf("remote name %s.%s is ambiguous (it matches %d tables differing only in case)", schema, table, len(order))}
		}
	}
	t := &Table{src: s, schema: pick.schema, name: pick.name, display: display, cols: byRel[*pick], reltuples: -1}
	if err := s.pool.QueryRow(ctx, relSQL, t.schema, t.name).Scan(&t.relkind, &t.reltuples, &t.relpages); err != nil && err != pgx.ErrNoRows {
		return nil, s.wrap(err, display)
	}
	fs := make([]arrow.Field, len(t.cols))
	for i, c := range t.cols {
		fs[i] = arrow.Field{Name: c.name, Type: c.typ, Nullable: true}
	}
	t.arrow = arrow.NewSchema(fs, nil)
	return t, nil
}

// IsNotFound reports whether err says a remote table does not exist.
func IsNotFound(err error) bool {
	e, ok := err.(*Error)
	return ok && e.Code == "42P01"
}

// Name implements connectors.Table: conn.schema.table.
func (t *Table) Name() string { return t.display }

// Schema implements connectors.Table.
func (t *Table) Schema() *arrow.Schema { return t.arrow }

// RemoteName is the quoted remote relation, "schema"."table".
func (t *Table) RemoteName() string { return quoteIdent(t.schema) + "." + quoteIdent(t.name) }

// Columns lists the table's columns for a catalog entry (tarn types).
func (t *Table) Columns() []catalog.Column {
	out := make([]catalog.Column, len(t.cols))
	for i, c := range t.cols {
		out[i] = catalog.Column{Name: c.name, Type: types.SQLName(c.typ), Comment: "postgres " + c.udt}
	}
	return out
}

// Estimate implements connectors.Table: pg_class.reltuples and relpages
// (-1 when the table was never analyzed, or for views).
func (t *Table) Estimate(context.Context) (rows, bytes int64) {
	rows, bytes = -1, -1
	if t.reltuples >= 0 && (t.relkind == "r" || t.relkind == "m" || t.relkind == "p") {
		rows = int64(t.reltuples)
		bytes = t.relpages * 8192
	}
	return rows, bytes
}

// Splits implements connectors.Table. Big plain tables (more pages than
// Config.SplitPages, PostgreSQL 14+ for TID range scans) are cut into
// ctid page ranges read in parallel; everything else is one split. Each
// split reads in its own transaction: a table written during the scan
// may be seen at different moments by different splits.
func (t *Table) Splits(ctx context.Context, req *connectors.ScanRequest) ([]connectors.Split, error) {
	rows, _ := t.Estimate(ctx)
	out := []connectors.Split{{Rows: rows, Offset: 0, Length: 0}}
	per := t.src.cfg.SplitPages
	if req.Limit <= 0 && per > 0 && t.relkind == "r" && t.relpages > per && t.src.serverMajor(ctx) >= 14 {
		out = out[:0]
		n := (t.relpages + per - 1) / per
		for i := int64(0); i < n; i++ {
			sp := connectors.Split{Offset: i * per, Length: per, Rows: -1}
			if i == n-1 {
				sp.Length = 0 // to the end: pages added since the estimate
			}
			if rows >= 0 {
				sp.Rows = rows / n
			}
			out = append(out, sp)
		}
	}
	if req.Stats != nil {
		req.Stats.SplitsTotal.Add(int64(len(out)))
	}
	return out, nil
}

// Open implements connectors.Table: it sends the split's SELECT and
// streams the rows into batches.
func (t *Table) Open(ctx context.Context, split connectors.Split, req *connectors.ScanRequest) (connectors.BatchReader, error) {
	q, args, err := t.buildSelect(split, req)
	if err != nil {
		return nil, err
	}
	trace(t.src.cfg.Name, q, args)
	formats := make(pgx.QueryResultFormats, len(req.Columns))
	for i := range formats {
		formats[i] = pgx.BinaryFormatCode
	}
	all := make([]any, 0, len(args)+1)
	all = append(all, formats)
	all = append(all, args...)
	qctx, cancel := context.WithCancel(ctx)
	rows, err := t.src.pool.Query(qctx, q, all...)
	if err != nil {
		cancel()
		return nil, t.src.wrap(err, t.display)
	}
	return newReader(t, rows, cancel, req), nil
}

// SQL returns the SELECT a scan of one split sends, and its arguments
// (for EXPLAIN-like output and tests).
func (t *Table) SQL(split connectors.Split, req *connectors.ScanRequest) (string, []any, error) {
	return t.buildSelect(split, req)
}

// String describes the table for debugging without secrets.
func (t *Table) String() string {
	return fmt.Sprintf("postgres table %s (%s, %d columns)", t.display, strings.TrimSpace(t.RemoteName()), len(t.cols))
}
