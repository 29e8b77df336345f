// Package postgres runs a throwaway PostgreSQL server for tests, from
// Debian's postgresql package (initdb + postgres under
// /usr/lib/postgresql/<v>/bin, or $TARN_PG_BIN). The server listens on
// 127.0.0.1 on a free port with its unix socket in its temporary data
// directory, trusts local connections, and runs without fsync (tests kill
// clients, not the server). PostgreSQL refuses to run as root, so when the
// tests run as root the server runs as the "postgres" system user (created
// as "tarnpg" with useradd if missing).
//
// A package uses one server for all its tests:
//
//	func TestMain(m *testing.M) { postgres.Main(m) }
//	func TestX(t *testing.T) { dsn := postgres.Get(t).NewDatabase(t) ... }
//
// Get skips the test when PostgreSQL is not installed or cannot start,
// unless TARN_REQUIRE_ALL=1 (then it fails).
package postgres

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL.
type Server struct {
	Host string // 127.0.0.1
	Port int
	User string // superuser, trust authentication
	Dir  string // data directory (also holds the unix socket)

	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	werr error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 1<<20 {
		b.b.Reset()
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.b.String()
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return s
}

// BinDir finds the directory holding initdb and postgres.
func BinDir() (string, error) {
	if d := os.Getenv("TARN_PG_BIN"); d != "" {
		if !isExec(filepath.Join(d, "postgres")) || !isExec(filepath.Join(d, "initdb")) {
			return "", fmt.Errorf("TARN_PG_BIN=%s has no postgres and initdb", d)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if isExec(filepath.Join(d, "postgres")) && isExec(filepath.Join(d, "initdb")) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "postgres")) {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL server binaries not found (apt-get install postgresql, or set TARN_PG_BIN)")
}

func pgVersion(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// runAs returns the credential to run the server with: nil unless we
// are root, else the postgres (or a created tarnpg) user.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		u, err = user.Lookup("tarnpg")
	}
	if err != nil {
		out, uerr := exec.Command("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "tarnpg").CombinedOutput()
		if uerr != nil {
			return nil, fmt.Errorf("running as root and no postgres user: useradd tarnpg: %v: %s", uerr, out)
		}
		if u, err = user.Lookup("tarnpg"); err != nil {
			return nil, err
		}
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start initializes a data directory and starts a server on it.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tarn-pg-")
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	const superuser = "tarn"
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", dir, "-U", superuser, "--auth=trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "LANG=C", "LC_ALL=C"}
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb in %s: %v\n%s", dir, err, out)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startServer(bin, dir, superuser, cred)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func startServer(bin, dir, superuser string, cred *syscall.Credential) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Host: "127.0.0.1", Port: port, User: superuser, Dir: dir, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd := exec.Command(filepath.Join(bin, "postgres"), "-D", dir, "-p", strconv.Itoa(port), "-k", dir,
		"-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=64MB",
		"-c", "log_min_messages=warning", "-c", "log_min_error_statement=panic")
	cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin", "LANG=C", "LC_ALL=C"}
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	// The server dies with the test process (SIGQUIT: immediate shutdown).
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGQUIT}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	s.cmd = cmd
	go func() {
		s.werr = cmd.Wait()
		close(s.done)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for {
		select {
		case <-s.done:
			return nil, fmt.Errorf("postgres exited at start (%v):\n%s", s.werr, s.logs.String())
		default:
		}
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err == nil {
			c.Close(ctx)
			return s, nil
		}
		if ctx.Err() != nil {
			s.stopProcess()
			return nil, fmt.Errorf("postgres on port %d not ready after 60s: %v\n%s", port, err, s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// DSN is the connection string for database db.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://%s@%s:%d/%s?sslmode=disable", s.User, s.Host, s.Port, db)
}

// Logs returns the tail of the server's log.
func (s *Server) Logs() string { return s.logs.String() }

func (s *Server) stopProcess() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// Stop shuts the server down and removes its data directory.
func (s *Server) Stop() {
	s.stopProcess()
	os.RemoveAll(s.Dir)
}

// Exec runs statements on database db as the superuser.
func (s *Server) Exec(ctx context.Context, db string, sql ...string) error {
	c, err := pgx.Connect(ctx, s.DSN(db))
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	for _, q := range sql {
		if _, err := c.Exec(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}

// CreateDatabase creates a database with a fresh unique name and returns
// the name.
func (s *Server) CreateDatabase(ctx context.Context) (string, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	name := "t_" + hex.EncodeToString(b[:])
	if err := s.Exec(ctx, "postgres", "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return name, nil
}

// NewDatabase creates a fresh database for the test (dropped when it
// ends) and returns its DSN.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	ctx := context.Background()
	name, err := s.CreateDatabase(ctx)
	if err != nil {
		t.Fatalf("creating a test database: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Exec(ctx, "postgres", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("dropping test database %s: %v", name, err)
		}
	})
	return s.DSN(name)
}

var (
	shared     *Server
	sharedErr  error
	sharedOnce sync.Once
	sharedMu   sync.Mutex
)

// Get returns the package's shared server, starting it on first use. It
// skips the test when PostgreSQL is unavailable, or fails it when
// TARN_REQUIRE_ALL=1.
func Get(t testing.TB) *Server {
	t.Helper()
	sharedOnce.Do(func() {
		s, err := Start()
		sharedMu.Lock()
		shared, sharedErr = s, err
		sharedMu.Unlock()
	})
	if sharedErr != nil {
		if os.Getenv("TARN_REQUIRE_ALL") == "1" {
			t.Fatalf("PostgreSQL is required (TARN_REQUIRE_ALL=1): %v", sharedErr)
		}
		t.Skipf("PostgreSQL unavailable: %v", sharedErr)
	}
	return shared
}

// Main runs the tests and stops the shared server (if one was started)
// before exiting; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	s := shared
	sharedMu.Unlock()
	if s != nil {
		s.Stop()
	}
	os.Exit(code)
}

// New starts a dedicated server for one test (stopped when it ends), for
// packages whose TestMain cannot call Main. Like Get, it skips the test
// when PostgreSQL is unavailable unless TARN_REQUIRE_ALL=1.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Start()
	if err != nil {
		if os.Getenv("TARN_REQUIRE_ALL") == "1" {
			t.Fatalf("PostgreSQL is required (TARN_REQUIRE_ALL=1): %v", err)
		}
		t.Skipf("PostgreSQL unavailable: %v", err)
	}
	t.Cleanup(s.Stop)
	return s
}
