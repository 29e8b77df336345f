// Package mysqlwire serves a tarn engine over the MySQL client/server
// protocol (built on vitess.io/vitess/go/mysql): text and binary
// (prepared statement) protocols with results streamed batch by batch,
// multi-statements, the session and metadata queries that MySQL clients
// and JDBC/ODBC drivers send on their own, information_schema,
// SHOW PROCESSLIST / KILL, root authentication (mysql_native_password and
// caching_sha2_password) and TLS.
package mysqlwire

import (
	"bytes"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	"vitess.io/vitess/go/mysql"
	"vitess.io/vitess/go/mysql/sqlerror"
	querypb "vitess.io/vitess/go/vt/proto/query"

	"github.com/tarnsql/tarn/engine"
)

// Config configures a server.
type Config struct {
	Engine *engine.Engine
	// Addr is the TCP listen address, e.g. 127.0.0.1:3306 (":0" style
	// addresses pick a free port; see Server.Addr).
	Addr string
	// RootPassword is the password of the only user of this release,
	// root. It may be empty only when Addr is a loopback address.
	RootPassword string
	// TLSConfig enables TLS (clients may upgrade with SSLRequest).
	TLSConfig *tls.Config
	// RequireSecureTransport refuses plaintext connections.
	RequireSecureTransport bool
	// Logger receives connection events and, at debug level, every
	// statement the server receives. nil = slog.Default().
	Logger *slog.Logger
}

// Server is a running MySQL-protocol server.
type Server struct {
	cfg         Config
	log         *slog.Logger
	ln          net.Listener
	l           *mysql.Listener
	h           *handler
	connections atomic.Int64
	defaults    map[string]sqlValue
	globals     map[string]sqlValue // SET GLOBAL values (guarded by h.mu)
	done        chan struct{}
	// unlist removes this server's connections from the engine's
	// information_schema.PROCESSLIST.
	unlist func()
}

// New validates cfg and starts listening (call Serve to accept).
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("mysql server: no engine")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:3306"
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mysql listen address %q: %w", cfg.Addr, err)
	}
	if cfg.RootPassword == "" && !isLoopback(host) {
		return nil, fmt.Errorf("refusing to listen on %s with an empty root password: set TARN_ROOT_PASSWORD or root_password in the config, or listen on 127.0.0.1", cfg.Addr)
	}
	if cfg.RequireSecureTransport && cfg.TLSConfig == nil {
		return nil, errors.New("require_secure_transport is true but no TLS certificate is configured (tls.cert and tls.key)")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mysql listen on %s: %w", cfg.Addr, err)
	}
	return newServer(cfg, ln)
}

// newServer serves on an existing listener (tests use in-memory pipes).
func newServer(cfg Config, ln net.Listener) (*Server, error) {
	s := &Server{cfg: cfg, log: cfg.Logger, globals: map[string]sqlValue{}, done: make(chan struct{})}
	defaultStorageRoots(cfg.Engine)
	h, err := newHandler(s)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s.h = h
	s.ln = ln
	l, err := mysql.NewListenerWithConfig(mysql.ListenerConfig{
		Listener:   ln,
		AuthServer: &authServer{password: cfg.RootPassword, eng: cfg.Engine},
		Handler:    h,
		MultiQuery: true,
		// vitess's TLS upgrade needs a buffered reader.
		ConnReadBufferSize: 16 << 10,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	l.ServerVersion = serverVersion
	l.RequireSecureTransport = cfg.RequireSecureTransport
	if cfg.TLSConfig != nil {
		l.TLSConfig.Store(cfg.TLSConfig)
	}
	l.PreHandleFunc = func(_ context.Context, c net.Conn, id uint32) (net.Conn, error) {
		s.connections.Add(1)
		w := newWatchConn(c)
		h.mu.Lock()
		h.pending[id] = w
		h.mu.Unlock()
		return w, nil
	}
	s.l = l
	s.defaults = h.globalVars()
	s.unlist = cfg.Engine.AddProcessLister(h.engineProcesses)
	return s, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr {
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Serve accepts connections until Shutdown or Close.
func (s *Server) Serve() {
	defer close(s.done)
	s.l.Accept()
}

// Shutdown stops accepting connections, closes idle ones, lets running
// statements finish until ctx is done, then cancels them and closes every
// connection.
func (s *Server) Shutdown(ctx context.Context) error {
	s.h.shutdown.Store(true)
	s.l.Shutdown()
	s.unlist()
	closeIdle := func() int {
		busy := 0
		s.h.mu.Lock()
		css := make([]*connState, 0, len(s.h.conns))
		for _, cs := range s.h.conns {
			css = append(css, cs)
		}
		s.h.mu.Unlock()
		for _, cs := range css {
			cs.mu.Lock()
			b := cs.busy
			cs.mu.Unlock()
			if b {
				busy++
			} else {
				cs.c.Close()
			}
		}
		return busy
	}
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var err error
wait:
	for closeIdle() > 0 {
		select {
		case <-ctx.Done():
			err = fmt.Errorf("grace period over: cancelling running queries")
			break wait
		case <-t.C:
		}
	}
	s.h.mu.Lock()
	for _, cs := range s.h.conns {
		cs.mu.Lock()
		if cs.cancel != nil {
			cs.cancel(errShutdown)
		}
		cs.mu.Unlock()
	}
	s.h.mu.Unlock()
	// Give cancelled statements a moment to report to their clients.
	deadline := time.Now().Add(2 * time.Second)
	for closeIdle() > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	s.h.mu.Lock()
	for _, cs := range s.h.conns {
		cs.c.Close()
	}
	s.h.mu.Unlock()
	<-s.done
	return err
}

// Close stops the server at once, cancelling running statements.
func (s *Server) Close() error {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Shutdown(ctx)
	if err != nil && err.Error() == "grace period over: cancelling running queries" {
		return nil
	}
	return err
}

// authServer authenticates root and stored users with
// caching_sha2_password (fast authentication on every transport, full
// authentication over TLS) or mysql_native_password, whichever the
// client answers the greeting with. No standard client is sent an auth
// switch request (see sha2Method in auth.go for why that matters).
type authServer struct {
	password string
	eng      *engine.Engine // stored users (auth.go)
}

func (a *authServer) AuthMethods() []mysql.AuthMethod {
	return []mysql.AuthMethod{
		// Native first: the method an auth switch falls back to for a
		// client that asked for a plugin tarn does not have.
		mysql.NewMysqlNativeAuthMethod(a, a),
		sha2Method{a},
	}
}

// DefaultAuthMethodDescription is caching_sha2_password, as in MySQL 8:
// clients answer the greeting with its scramble, which the server checks
// on plaintext and TLS connections alike.
func (a *authServer) DefaultAuthMethodDescription() mysql.AuthMethodDescription {
	return mysql.CachingSha2Password
}

// HandleUser accepts every user name so that a wrong user gets error
// 1045 (access denied) rather than a handshake failure.
func (a *authServer) HandleUser(string) bool { return true }

func denied(c *mysql.Conn, user string, withPassword bool) error {
	host := "unknown"
	if c != nil && c.RemoteAddr() != nil {
		host, _, _ = net.SplitHostPort(c.RemoteAddr().String())
	}
	using := "NO"
	if withPassword {
		using = "YES"
	}
	return sqlerror.NewSQLError(sqlerror.ERAccessDeniedError, "28000",
		fmt.Sprintf("Access denied for user '%s'@'%s' (using password: %s)", user, host, using))
}

type callerID string

func (u callerID) Get() *querypb.VTGateCallerID { return &querypb.VTGateCallerID{Username: string(u)} }

// UserEntryWithHash checks a mysql_native_password scramble.
func (a *authServer) UserEntryWithHash(c *mysql.Conn, salt []byte, user string, resp []byte, _ net.Addr) (mysql.Getter, error) {
	// After an auth switch vitess hands over a recycled packet buffer
	// (sha2Method): take a copy before anything else.
	resp = bytes.Clone(resp)
	if user != "root" {
		return a.nativeStored(c, salt, user, resp)
	}
	want := mysql.ScrambleMysqlNativePassword(salt, []byte(a.password))
	if len(want) != len(resp) || subtle.ConstantTimeCompare(want, resp) != 1 {
		return nil, denied(c, user, len(resp) > 0)
	}
	return callerID(user), nil
}

// UserEntryWithCacheHash checks a caching_sha2_password fast-auth
// scramble: the server knows the password, so the answer is always
// accepted or rejected.
func (a *authServer) UserEntryWithCacheHash(c *mysql.Conn, salt []byte, user string, resp []byte, _ net.Addr) (mysql.Getter, mysql.CacheState, error) {
	if user != "root" {
		return a.sha2Stored(c, salt, user, resp)
	}
	var want []byte
	if a.password != "" {
		want = mysql.ScrambleCachingSha2Password(salt, []byte(a.password))
	}
	if len(want) != len(resp) || subtle.ConstantTimeCompare(want, resp) != 1 {
		return nil, mysql.AuthRejected, nil
	}
	return callerID(user), mysql.AuthAccepted, nil
}

// UserEntryWithPassword checks a clear-text password (caching_sha2 full
// authentication over TLS).
func (a *authServer) UserEntryWithPassword(c *mysql.Conn, user string, password string, _ net.Addr) (mysql.Getter, error) {
	if user != "root" {
		return a.passwordStored(c, user, password)
	}
	if subtle.ConstantTimeCompare([]byte(password), []byte(a.password)) != 1 {
		return nil, denied(c, user, password != "")
	}
	return callerID(user), nil
}
