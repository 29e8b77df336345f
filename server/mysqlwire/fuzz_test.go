package mysqlwire

import (
	"context"
	"encoding/binary"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"vitess.io/vitess/go/mysql"
	"vitess.io/vitess/go/sqltypes"
	"vitess.io/vitess/go/vt/sqlparser"
)

// FuzzClientBytes plays an unauthenticated client that sends arbitrary
// bytes after the server's greeting (handshake response, SSLRequest,
// commands). The server must neither crash nor answer commands before
// authentication, and must keep serving.
func FuzzClientBytes(f *testing.F) {
	resp := make([]byte, 36)
	binary.LittleEndian.PutUint32(resp, 0x000fa685)
	resp = append(resp, "root\x00\x14"...)
	resp = append(resp, make([]byte, 20)...)
	resp = append(resp, "tpch\x00mysql_native_password\x00"...)
	f.Add(packet(1, resp))
	ssl := make([]byte, 32)
	binary.LittleEndian.PutUint32(ssl, 0x000fae85)
	f.Add(packet(1, ssl))
	f.Add(append(packet(1, resp[:10]), packet(0, append([]byte{comFieldList}, "lineitem\x00"...))...))
	f.Add(packet(0, []byte{comStatistics}))
	f.Add(packet(0, []byte{0x03, 'S', 'E', 'L', 'E', 'C', 'T', ' ', '1'}))
	f.Add([]byte{0xff, 0xff, 0xff, 0x01, 0x00})
	f.Add([]byte{})
	pl := newPipeListener()
	srv, err := newServer(Config{Engine: testEng, Addr: "127.0.0.1:0", RootPassword: testPassword, Logger: testSrv.log}, pl)
	if err != nil {
		f.Fatal(err)
	}
	go srv.Serve()
	defer srv.Close()
	f.Fuzz(func(t *testing.T, data []byte) {
		c := pl.dial()
		defer c.Close()
		c.SetDeadline(time.Now().Add(2 * time.Second))
		seq, greet := readPacket(t, c)
		if seq != 0 || len(greet) == 0 || greet[0] != 10 {
			t.Fatalf("greeting: seq %d %x", seq, greet)
		}
		go c.Write(data) // net.Pipe is synchronous
		// Whatever comes back must not be a result for an unauthenticated
		// client: at most an auth switch, an error, or nothing.
		c.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		if n > 4 && strings.Contains(string(buf[:n]), "Uptime:") {
			t.Fatalf("COM_STATISTICS answered before authentication: %q", buf[:n])
		}
		if n > 4 && strings.Contains(string(buf[:n]), "l_orderkey") {
			t.Fatalf("COM_FIELD_LIST answered before authentication: %q", buf[:n])
		}
	})
}

// FuzzBindParams checks placeholder scanning and literal substitution:
// bound string values (whatever they hold) never introduce placeholders
// or change the statement's shape.
func FuzzBindParams(f *testing.F) {
	f.Add("SELECT ?, '?', `?` /* ? */ -- ?\n", "it's ? \\ \x00")
	f.Add("SELECT * FROM t WHERE a = ? AND b LIKE ?", "%_'\"")
	f.Add("SELECT \"?\" ? # ?", "\n\r\x1a")
	f.Fuzz(func(t *testing.T, sql, val string) {
		n, err := countParams(sql)
		if err != nil {
			return
		}
		binds := map[string]*querypbBind{}
		for i := 1; i <= n; i++ {
			binds["v"+itoa(int64(i))] = sqltypes.StringBindVariable(val)
		}
		out, err := bindParams(sql, n, binds)
		if err != nil {
			t.Fatalf("bindParams(%q): %v", sql, err)
		}
		m, err := countParams(out)
		if err != nil || m != 0 {
			t.Fatalf("bound %q -> %q still has %d placeholders (%v)", sql, out, m, err)
		}
		// The value parses back as one string literal.
		if n > 0 {
			b := &strings.Builder{}
			_ = writeLiteral(b, sqltypes.StringBindVariable(val))
			stmt, perr := testSrv.h.parser.Parse("SELECT " + b.String())
			if perr == nil {
				if got := stringLiteralOf(stmt); got != nil && *got != val && strings.ToValidUTF8(val, "") == val {
					t.Fatalf("literal of %q parses back as %q", val, *got)
				}
			}
		}
	})
}

// FuzzIntercept runs arbitrary SQL through the server-side interception
// (session variables, SHOW, KILL, assignments and system-function
// rewriting): no panics, and errors are proper SQL errors.
func FuzzIntercept(f *testing.F) {
	for _, s := range []string{
		"SELECT @@version_comment LIMIT 1", "SET NAMES utf8mb4", "SET @a := 1, sql_mode = concat(@@sql_mode, ',X')",
		"SHOW FULL TABLES FROM tpch WHERE Table_type = 'BASE TABLE'", "SHOW VARIABLES WHERE Variable_name LIKE 'ver%' OR Value = 1",
		"SELECT CASE a WHEN 1 THEN @x := 2 ELSE @x := 3 END, @x + 1 FROM t", "KILL QUERY 4294967297", "SHOW COLUMNS FROM nosuch",
		"SELECT CHAR(39, 65, 256), DATABASE(), USER()", "SHOW CREATE TABLE nation", "USE information_schema",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sql string) {
		stmt, err := testSrv.h.parser.Parse(sql)
		if err != nil {
			return
		}
		cs := &connState{id: 1 << 30, vars: map[string]sqlValue{}, userVars: map[string]sqlValue{}, sess: testEng.NewSession("fuzz"), c: &mysql.Conn{}}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		defer func() {
			if x := recover(); x != nil {
				t.Fatalf("panic on %q: %v", sql, x)
			}
		}()
		if isKill(stmt) || isSetGlobal(stmt) {
			return // would act on live connections / server state
		}
		_, _, _, _ = testSrv.h.intercept(ctx, cs, stmt)
	})
}

func isKill(stmt sqlparser.Statement) bool {
	_, ok := stmt.(*sqlparser.Kill)
	return ok
}

func isSetGlobal(stmt sqlparser.Statement) bool {
	st, ok := stmt.(*sqlparser.Set)
	if !ok {
		return false
	}
	for _, e := range st.Exprs {
		if e.Var.Scope != sqlparser.SessionScope && e.Var.Scope != sqlparser.NoScope && e.Var.Scope != sqlparser.VariableScope {
			return true
		}
	}
	return false
}

// stringLiteralOf returns the first string literal in stmt.
func stringLiteralOf(stmt sqlparser.Statement) *string {
	var out *string
	_ = sqlparser.Walk(func(n sqlparser.SQLNode) (bool, error) {
		if l, ok := n.(*sqlparser.Literal); ok && l.Type == sqlparser.StrVal && out == nil {
			v := l.Val
			out = &v
		}
		return out == nil, nil
	}, stmt)
	return out
}

// pipeListener is an in-memory net.Listener of net.Pipe connections.
type pipeListener struct {
	ch     chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{ch: make(chan net.Conn), closed: make(chan struct{})}
}

func (l *pipeListener) dial() net.Conn {
	c, s := net.Pipe()
	select {
	case l.ch <- s:
	case <-l.closed:
		s.Close()
	}
	return c
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }
