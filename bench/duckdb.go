package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math/big"
	"path/filepath"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"github.com/tarnsql/tarn/catalog"
)

// DuckDB is an in-memory DuckDB with views over a generated dataset.
type DuckDB struct {
	DB   *sql.DB
	conn *sql.Conn
}

// OpenDuckDB opens an in-memory DuckDB limited to threads threads and
// creates one view per table over the tables' files.
func OpenDuckDB(ctx context.Context, tables []catalog.Table, threads int) (*DuckDB, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("duckdb: open: %w", err)
	}
	// One connection, so settings and views apply to every query.
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("duckdb: connect: %w", err)
	}
	d := &DuckDB{DB: db, conn: conn}
	stmts := []string{fmt.Sprintf("SET threads TO %d", threads)}
	for _, t := range tables {
		glob := filepath.ToSlash(filepath.Join(t.Location, "*."+t.Format))
		var src string
		switch t.Format {
		case "parquet":
			src = fmt.Sprintf("read_parquet('%s')", sqlQuote(glob))
		case "csv":
			src = fmt.Sprintf("read_csv('%s', header=true, delim=',', quote='\"')", sqlQuote(glob))
		default:
			d.Close()
			return nil, fmt.Errorf("duckdb: table %s: format %s not supported", t.Name, t.Format)
		}
		stmts = append(stmts, fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM %s", t.Name, src))
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			d.Close()
			return nil, fmt.Errorf("duckdb: %s: %w", s, err)
		}
	}
	return d, nil
}

func sqlQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }

// Close closes DuckDB.
func (d *DuckDB) Close() error {
	if d.conn != nil {
		d.conn.Close()
	}
	return d.DB.Close()
}

// Exec runs a statement without a result.
func (d *DuckDB) Exec(ctx context.Context, q string) error {
	_, err := d.conn.ExecContext(ctx, q)
	return err
}

// Query runs q and converts its result.
func (d *DuckDB) Query(ctx context.Context, q string) (*Result, error) {
	rows, err := d.conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cts, err := rows.ColumnTypes()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	for _, ct := range cts {
		res.Columns = append(res.Columns, duckColumn(ct))
	}
	for rows.Next() {
		vals := make([]any, len(cts))
		ptrs := make([]any, len(cts))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			if vals[i], err = duckValue(v, res.Columns[i]); err != nil {
				return nil, fmt.Errorf("column %s: %w", res.Columns[i].Name, err)
			}
		}
		res.Rows = append(res.Rows, vals)
	}
	return res, rows.Err()
}

// Drain runs q and reads all its rows without converting them (for
// timing); it returns the row count.
func (d *DuckDB) Drain(ctx context.Context, q string) (int64, error) {
	rows, err := d.conn.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

func duckColumn(ct *sql.ColumnType) Column {
	t := strings.ToUpper(ct.DatabaseTypeName())
	c := Column{Name: ct.Name(), Type: t}
	switch {
	case strings.HasPrefix(t, "DECIMAL"):
		c.Kind = KindDecimal
		if _, s, ok := ct.DecimalSize(); ok {
			c.Scale = int32(s)
		}
	case t == "TINYINT" || t == "SMALLINT" || t == "INTEGER" || t == "BIGINT" || t == "HUGEINT" ||
		t == "UTINYINT" || t == "USMALLINT" || t == "UINTEGER" || t == "UBIGINT":
		c.Kind = KindInt
	case t == "FLOAT" || t == "DOUBLE":
		c.Kind = KindFloat
	case t == "VARCHAR":
		c.Kind = KindString
	case t == "DATE":
		c.Kind = KindDate
	case strings.HasPrefix(t, "TIMESTAMP"):
		c.Kind = KindTimestamp
	case t == "BOOLEAN":
		c.Kind = KindBool
	case t == "NULL" || t == "\"NULL\"":
		c.Kind = KindNull
	default:
		c.Kind = KindString
	}
	return c
}

func duckValue(v any, c Column) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		return x, nil
	case uint8:
		return int64(x), nil
	case uint16:
		return int64(x), nil
	case uint32:
		return int64(x), nil
	case uint64:
		return int64(x), nil
	case *big.Int:
		if x.IsInt64() {
			return x.Int64(), nil
		}
		return Decimal{Unscaled: x, Scale: 0}, nil
	case float32:
		return float64(x), nil
	case float64:
		return x, nil
	case duckdb.Decimal:
		return Decimal{Unscaled: new(big.Int).Set(x.Value), Scale: int32(x.Scale)}, nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return x, nil
	case time.Time:
		if c.Kind == KindDate {
			return x.Format("2006-01-02"), nil
		}
		return formatTimestamp(x), nil
	}
	return nil, fmt.Errorf("unsupported DuckDB value %T", v)
}

func formatTimestamp(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond() == 0 {
		return t.Format("2006-01-02 15:04:05")
	}
	return strings.TrimRight(t.Format("2006-01-02 15:04:05.000000"), "0")
}
