// Package sqldriver is a database/sql driver for embedded tarn,
// registered as "tarn":
//
//	db, err := sql.Open("tarn", "/path/to/data-dir?memory_limit=2GiB&slices=4")
//
// The DSN is a data directory with optional parameters memory_limit
// (512MiB, 16GiB, 2GB or bytes), slices, batch_size and user. All
// connections to the same directory in a process share one engine (the
// first connection's settings win); the engine closes with the last
// connection.
//
// Values: integers → int64, FLOAT/DOUBLE → float64, VARCHAR → string,
// BOOLEAN → bool, DATE and TIMESTAMP → time.Time (UTC), DECIMAL → string
// (exact). Placeholders (?) are substituted textually as properly quoted
// SQL literals before planning (the planner's typed parameters are not
// wired through yet). There are no transactions: tarn's catalog
// statements are individually atomic.
package sqldriver

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tarnsql/tarn/catalog/types"
	"github.com/tarnsql/tarn/engine"
	"github.com/tarnsql/tarn/planner/expr"
	"github.com/tarnsql/tarn/vec"
)

func init() { sql.Register("tarn", &Driver{}) }

// Driver is the database/sql driver.
type Driver struct{}

// Open implements driver.Driver.
func (d *Driver) Open(dsn string) (driver.Conn, error) {
	c, err := d.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

// OpenConnector implements driver.DriverContext.
func (d *Driver) OpenConnector(dsn string) (driver.Connector, error) {
	cfg, user, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	return &connector{d: d, cfg: cfg, user: user}, nil
}

// ParseDSN parses "dir?memory_limit=..&slices=..&batch_size=..&user=..".
func ParseDSN(dsn string) (engine.Config, string, error) {
	var cfg engine.Config
	dir, query, _ := strings.Cut(dsn, "?")
	if dir == "" {
		return cfg, "", errors.New("tarn: DSN must name a data directory")
	}
	cfg.DataDir = dir
	vals, err := url.ParseQuery(query)
	if err != nil {
		return cfg, "", fmt.Errorf("tarn: DSN parameters: %w", err)
	}
	user := "sql"
	for k, vs := range vals {
		v := vs[len(vs)-1]
		switch k {
		case "memory_limit":
			if cfg.MemoryLimit, err = engine.ParseBytes(v); err != nil {
				return cfg, "", fmt.Errorf("tarn: DSN memory_limit: %w", err)
			}
		case "slices", "batch_size":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return cfg, "", fmt.Errorf("tarn: DSN %s: invalid value %q", k, v)
			}
			if k == "slices" {
				cfg.Slices = n
			} else {
				cfg.BatchSize = n
			}
		case "user":
			user = v
		default:
			return cfg, "", fmt.Errorf("tarn: unknown DSN parameter %q (want memory_limit, slices, batch_size, user)", k)
		}
	}
	return cfg, user, nil
}

// shared engines by absolute data directory.
var (
	enginesMu sync.Mutex
	engines   = map[string]*sharedEngine{}
)

type sharedEngine struct {
	e    *engine.Engine
	refs int
}

func acquire(ctx context.Context, cfg engine.Config) (*engine.Engine, string, error) {
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, "", err
	}
	enginesMu.Lock()
	defer enginesMu.Unlock()
	if s, ok := engines[abs]; ok {
		s.refs++
		return s.e, abs, nil
	}
	cfg.DataDir = abs
	e, err := engine.Open(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	engines[abs] = &sharedEngine{e: e, refs: 1}
	return e, abs, nil
}

func release(key string) error {
	enginesMu.Lock()
	defer enginesMu.Unlock()
	s, ok := engines[key]
	if !ok {
		return nil
	}
	s.refs--
	if s.refs > 0 {
		return nil
	}
	delete(engines, key)
	return s.e.Close()
}

type connector struct {
	d    *Driver
	cfg  engine.Config
	user string
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	e, key, err := acquire(ctx, c.cfg)
	if err != nil {
		return nil, err
	}
	return &conn{key: key, sess: e.NewSession(c.user)}, nil
}

func (c *connector) Driver() driver.Driver { return c.d }

type conn struct {
	key    string
	sess   *engine.Session
	closed bool
}

var (
	_ driver.QueryerContext = (*conn)(nil)
	_ driver.ExecerContext  = (*conn)(nil)
	_ driver.ConnBeginTx    = (*conn)(nil)
)

func (c *conn) Prepare(query string) (driver.Stmt, error) {
	return &stmt{c: c, query: query, n: countPlaceholders(query)}, nil
}

func (c *conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return release(c.key)
}

func (c *conn) Begin() (driver.Tx, error) {
	return nil, errors.New("tarn: transactions are not supported")
}

func (c *conn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) { return c.Begin() }

func (c *conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, err := Bind(query, args)
	if err != nil {
		return nil, err
	}
	r, err := c.sess.Query(ctx, q)
	if err != nil {
		return nil, err
	}
	return &rows{ctx: ctx, r: r}, nil
}

func (c *conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	q, err := Bind(query, args)
	if err != nil {
		return nil, err
	}
	if err := c.sess.Exec(ctx, q); err != nil {
		return nil, err
	}
	return driver.RowsAffected(0), nil
}

type stmt struct {
	c     *conn
	query string
	n     int
}

func (s *stmt) Close() error  { return nil }
func (s *stmt) NumInput() int { return s.n }
func (s *stmt) Exec(args []driver.Value) (driver.Result, error) {
	return s.c.ExecContext(context.Background(), s.query, named(args))
}
func (s *stmt) Query(args []driver.Value) (driver.Rows, error) {
	return s.c.QueryContext(context.Background(), s.query, named(args))
}
func (s *stmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.c.ExecContext(ctx, s.query, args)
}
func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.c.QueryContext(ctx, s.query, args)
}

func named(args []driver.Value) []driver.NamedValue {
	out := make([]driver.NamedValue, len(args))
	for i, a := range args {
		out[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return out
}

// scanPlaceholders calls f with the byte offset of every '?' outside
// quotes and comments.
func scanPlaceholders(q string, f func(i int)) {
	for i := 0; i < len(q); i++ {
		switch ch := q[i]; {
		case ch == '\'' || ch == '"' || ch == '`':
			for i++; i < len(q); i++ {
				if q[i] == '\\' && ch != '`' {
					i++
				} else if q[i] == ch {
					if i+1 < len(q) && q[i+1] == ch {
						i++
						continue
					}
					break
				}
			}
		case ch == '-' && strings.HasPrefix(q[i:], "--"), ch == '#':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case ch == '/' && strings.HasPrefix(q[i:], "/*"):
			if j := strings.Index(q[i+2:], "*/"); j >= 0 {
				i += j + 3
			} else {
				i = len(q)
			}
		case ch == '?':
			f(i)
		}
	}
}

func countPlaceholders(q string) int {
	n := 0
	scanPlaceholders(q, func(int) { n++ })
	return n
}

// Bind substitutes ? placeholders with SQL literals.
func Bind(q string, args []driver.NamedValue) (string, error) {
	var pos []int
	scanPlaceholders(q, func(i int) { pos = append(pos, i) })
	if len(pos) != len(args) {
		return "", fmt.Errorf("tarn: query has %d placeholders but %d arguments were given", len(pos), len(args))
	}
	if len(pos) == 0 {
		return q, nil
	}
	var b strings.Builder
	last := 0
	for k, p := range pos {
		if args[k].Name != "" {
			return "", fmt.Errorf("tarn: named parameters are not supported (got %q)", args[k].Name)
		}
		lit, err := literal(args[k].Value)
		if err != nil {
			return "", fmt.Errorf("tarn: argument %d: %w", k+1, err)
		}
		b.WriteString(q[last:p])
		b.WriteString(lit)
		last = p + 1
	}
	b.WriteString(q[last:])
	return b.String(), nil
}

func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`).Replace(s) + "'"
}

func literal(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "NULL", nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		s := strconv.FormatFloat(x, 'e', -1, 64)
		return s, nil
	case bool:
		if x {
			return "TRUE", nil
		}
		return "FALSE", nil
	case string:
		return quote(x), nil
	case []byte:
		return quote(string(x)), nil
	case time.Time:
		return "TIMESTAMP " + quote(x.UTC().Format("2006-01-02 15:04:05.999999")), nil
	}
	return "", fmt.Errorf("unsupported argument type %T", v)
}

// rows adapts a Result to driver.Rows.
type rows struct {
	ctx context.Context
	r   *engine.Result
	rec arrow.RecordBatch
	i   int
}

var _ driver.RowsColumnTypeDatabaseTypeName = (*rows)(nil)

func (r *rows) Columns() []string { return r.r.Columns() }

func (r *rows) Close() error {
	if r.rec != nil {
		r.rec.Release()
		r.rec = nil
	}
	err := r.r.Close()
	if errors.Is(err, context.Canceled) {
		return nil // closed early by the caller
	}
	return err
}

func (r *rows) ColumnTypeDatabaseTypeName(i int) string {
	return types.SQLName(r.r.Schema().Field(i).Type)
}

func (r *rows) ColumnTypeScanType(i int) reflect.Type {
	switch t := r.r.Schema().Field(i).Type; t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return reflect.TypeOf(int64(0))
	case arrow.FLOAT32, arrow.FLOAT64:
		return reflect.TypeOf(float64(0))
	case arrow.BOOL:
		return reflect.TypeOf(false)
	case arrow.DATE32, arrow.TIMESTAMP:
		return reflect.TypeOf(time.Time{})
	}
	return reflect.TypeOf("")
}

func (r *rows) Next(dest []driver.Value) error {
	for r.rec == nil || r.i >= int(r.rec.NumRows()) {
		if r.rec != nil {
			r.rec.Release()
			r.rec = nil
		}
		rec, err := r.r.Next(r.ctx)
		if err != nil {
			return err
		}
		if rec == nil {
			return io.EOF
		}
		r.rec, r.i = rec, 0
	}
	for j := range dest {
		dest[j] = Value(r.rec.Column(j), r.i)
	}
	r.i++
	return nil
}

// Value converts row i of a to a driver.Value.
func Value(a arrow.Array, i int) driver.Value {
	if a.IsNull(i) {
		return nil
	}
	v := vec.Value(a, i)
	switch a.DataType().ID() {
	case arrow.DATE32:
		return time.Unix(int64(v.(int32))*86400, 0).UTC()
	case arrow.TIMESTAMP:
		return time.UnixMicro(v.(int64)).UTC()
	case arrow.DECIMAL64, arrow.DECIMAL128:
		return expr.FormatPlain(v, a.DataType())
	}
	switch x := v.(type) {
	case int64, float64, bool, string:
		return x
	}
	return expr.FormatPlain(v, a.DataType())
}
