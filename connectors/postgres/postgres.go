// Package postgres is tarn's federated PostgreSQL connector: a Source is
// one named connection (a pgx pool) and its tables are
// connectors.Tables read over PostgreSQL's binary protocol, with the
// projection, the scan's value ranges (=, IN, <, <=, >, >=) and the limit
// pushed into the remote SELECT as parameters ($1, $2, ...).
//
// Secrets: the password (from the URL or from the environment) is only
// ever given to pgx. Name, Table.Name, SQL traces and errors never show
// it: errors from the server and from pgx pass through Redact.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tarnsql/tarn/catalog"
)

// Config configures one connection.
type Config struct {
	// Name is the connection's name in tarn (tables are name.schema.table).
	Name string
	// URL is a postgres:// or postgresql:// URL (or a key=value DSN).
	URL string
	// Password, when set, replaces the URL's password (from password_env).
	Password string
	// DefaultSchema is the schema of two-part names (default "public").
	DefaultSchema string
	// MaxConns bounds the pool (default 4).
	MaxConns int32
	// SplitPages is the number of heap pages (8 KiB) per split of a big
	// table read in parallel by ctid ranges (PostgreSQL 14+); 0 means the
	// default (16384 pages, 128 MiB), < 0 never splits.
	SplitPages int64
}

// DefaultSplitPages is the default number of pages per split.
const DefaultSplitPages = 16384

// Source is an open connection (a lazily connecting pool).
type Source struct {
	cfg    Config
	pool   *pgxpool.Pool
	secret string // the password, for redaction

	verOnce sync.Once
	version int // server_version_num / 10000 (major), 0 unknown
}

// Open parses the configuration and creates the pool; it does not
// connect (the first query does).
func Open(ctx context.Context, cfg Config) (*Source, error) {
	if cfg.DefaultSchema == "" {
		cfg.DefaultSchema = "public"
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 4
	}
	if cfg.SplitPages == 0 {
		cfg.SplitPages = DefaultSplitPages
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's parse errors may quote the URL: never show it.
		return nil, fmt.Errorf("connection %s: invalid URL (want postgres://user[:password]@host[:port]/database[?sslmode=...]): %s",
			cfg.Name, redactText(err.Error(), secretOf(cfg)))
	}
	if cfg.Password != "" {
		pc.ConnConfig.Password = cfg.Password
	}
	pc.MaxConns = cfg.MaxConns
	pc.MinConns = 0
	if pc.ConnConfig.RuntimeParams == nil {
		pc.ConnConfig.RuntimeParams = map[string]string{}
	}
	if _, ok := pc.ConnConfig.RuntimeParams["application_name"]; !ok {
		pc.ConnConfig.RuntimeParams["application_name"] = "tarn"
	}
	// Timestamps without time zone are read as written; timestamptz as
	// UTC instants (binary protocol), so the session zone does not matter
	// for reads. UTC keeps ::text casts of other types stable too.
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connection %s: %s", cfg.Name, redactText(err.Error(), pc.ConnConfig.Password))
	}
	return &Source{cfg: cfg, pool: pool, secret: pc.ConnConfig.Password}, nil
}

func secretOf(cfg Config) string {
	if cfg.Password != "" {
		return cfg.Password
	}
	if u, err := url.Parse(cfg.URL); err == nil && u.User != nil {
		p, _ := u.User.Password()
		return p
	}
	return ""
}

// Name is the connection's name.
func (s *Source) Name() string { return s.cfg.Name }

// Config returns the connection's configuration (with the password).
func (s *Source) Config() Config { return s.cfg }

// Close closes the pool.
func (s *Source) Close() { s.pool.Close() }

// Ping checks that the server is reachable and the credentials work.
func (s *Source) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return s.wrap(err, "")
	}
	return nil
}

// serverMajor is the server's major version (0 when unknown).
func (s *Source) serverMajor(ctx context.Context) int {
	s.verOnce.Do(func() {
		var v string
		if err := s.pool.QueryRow(ctx, "SHOW server_version_num").Scan(&v); err == nil {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			s.version = n / 10000
		}
	})
	return s.version
}

// Redact replaces the connection's password in text.
func (s *Source) Redact(text string) string { return redactText(text, s.secret) }

func redactText(text, secret string) string {
	if secret == "" {
		return text
	}
	text = strings.ReplaceAll(text, secret, "********")
	if esc := url.QueryEscape(secret); esc != secret {
		text = strings.ReplaceAll(text, esc, "********")
	}
	if esc := url.PathEscape(secret); esc != secret {
		text = strings.ReplaceAll(text, esc, "********")
	}
	return text
}

// RedactURL returns a connection URL with its password masked, for
// display (SHOW CONNECTIONS).
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" {
		// key=value DSN: mask password=...
		fs := strings.Fields(raw)
		for i, f := range fs {
			if k, _, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
				fs[i] = k + "=********"
			}
		}
		return strings.Join(fs, " ")
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return strings.Replace(u.String(), ":xxxxx@", ":********@", 1)
}

// Error is an error of a federated connection: it names the connection
// (and table), never the password. Code is the PostgreSQL SQLSTATE when
// the server sent one.
type Error struct {
	Conn, Table string
	Code        string
	Msg         string
	err         error
}

func (e *Error) Error() string {
	if e.Table != "" {
		return fmt.Sprintf("connection %s, table %s: %s", e.Conn, e.Table, e.Msg)
	}
	return fmt.Sprintf("connection %s: %s", e.Conn, e.Msg)
}

// Unwrap exposes context errors (cancellation) only: the underlying pgx
// error's text may hold connection details.
func (e *Error) Unwrap() error {
	if errors.Is(e.err, catalog.ErrNotFound) {
		return catalog.ErrNotFound
	}
	if errors.Is(e.err, context.Canceled) {
		return context.Canceled
	}
	if errors.Is(e.err, context.DeadlineExceeded) {
		return context.DeadlineExceeded
	}
	return nil
}

// wrap turns a pgx error into an *Error with a readable, redacted message.
func (s *Source) wrap(err error, table string) error {
	if err == nil {
		return nil
	}
	var already *Error
	if errors.As(err, &already) {
		return err
	}
	e := &Error{Conn: s.cfg.Name, Table: table, err: err}
	var pe *pgconn.PgError
	var ce *pgconn.ConnectError
	switch {
	case errors.As(err, &pe):
		e.Code = pe.Code
		switch pe.Code {
		case "28P01", "28000":
			e.Msg = "authentication failed: " + pe.Message
		case "3D000":
			e.Msg = "remote database does not exist: " + pe.Message
		case "42P01":
			e.Msg = "remote table does not exist: " + pe.Message
		default:
			e.Msg = pe.Message
			if pe.Detail != "" {
				e.Msg += " (" + pe.Detail + ")"
			}
			e.Msg += " [SQLSTATE " + pe.Code + "]"
		}
	case errors.As(err, &ce):
		e.Msg = "cannot connect: " + err.Error()
		if inner := errors.Unwrap(ce); inner != nil {
			if errors.As(inner, &pe) {
				e.Code = pe.Code
				if pe.Code == "28P01" || pe.Code == "28000" {
					e.Msg = "authentication failed: " + pe.Message
				} else {
					e.Msg = "cannot connect: " + pe.Message
				}
			}
		}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Msg = err.Error()
	default:
		e.Msg = err.Error()
	}
	e.Msg = s.Redact(strings.Join(strings.Fields(e.Msg), " "))
	return e
}

// Tracer receives every SELECT a table sends (text and arguments), for
// tests and debugging. Set it with SetTracer.
type Tracer func(conn, sql string, args []any)

var tracer atomic.Pointer[Tracer]

// SetTracer installs (or, with nil, removes) the process-wide tracer.
func SetTracer(t Tracer) {
	if t == nil {
		tracer.Store(nil)
		return
	}
	tracer.Store(&t)
}

func trace(conn, sql string, args []any) {
	if t := tracer.Load(); t != nil {
		(*t)(conn, sql, args)
	}
}

// quoteIdent quotes a PostgreSQL identifier.
func quoteIdent(s string) string {
	return pgx.Identifier{s}.Sanitize()
}
