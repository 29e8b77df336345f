package mysqlwire

// Authentication of stored users (CREATE USER) and the user-aware
// metadata the server answers itself. root is checked against the
// configured password (server.go); every other user against the hashes
// the catalog keeps: SHA1(SHA1(pw)) for mysql_native_password and
// SHA256(SHA256(pw)) for caching_sha2_password (fast authentication, and
// full authentication with the clear-text password over TLS).

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net"
	"strings"

	"vitess.io/vitess/go/mysql"
	"vitess.io/vitess/go/mysql/sqlerror"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/engine"
)

// sha2Method is caching_sha2_password as tarn serves it. vitess's own
// method refuses plaintext connections, so a client that answered the
// greeting with a caching_sha2 scramble (go-sql-driver, Connector/J, the
// mysql CLI: all follow the plugin the greeting names) was sent an auth
// switch to mysql_native_password. vitess reads the switch response into
// a pooled packet buffer and returns that buffer to the pool *before*
// handing the response to the auth method (server.go handshake:
// readEphemeralPacket, recycleReadPacket, HandleAuthPluginData), so under
// load another connection's packet could overwrite the scramble first:
// the intermittent error 1045 for a correct password. This method checks
// the fast-authentication scramble on every transport (it is a
// challenge-response, as safe on plaintext as mysql_native_password; only
// full authentication, which sends the password itself, needs TLS), so
// standard clients never go through the switch. The handshake response
// itself is copied by vitess and safe.
type sha2Method struct{ a *authServer }

func (sha2Method) Name() mysql.AuthMethodDescription { return mysql.CachingSha2Password }

// HandleUser accepts every user (unknown users get 1045 from the check).
func (sha2Method) HandleUser(*mysql.Conn, string) bool { return true }

// AuthPluginData is a fresh 20-byte salt per call (per connection) with
// the trailing NUL the protocol expects.
func (sha2Method) AuthPluginData() ([]byte, error) { return newSalt() }

// AllowClearTextWithoutTLS: the fast path sends no clear text; the full
// path below refuses plaintext connections itself.
func (sha2Method) AllowClearTextWithoutTLS() bool { return true }

// caching_sha2_password AuthMoreData payloads.
const (
	authMoreData  = 0x01
	sha2FastOK    = 0x03
	sha2NeedsFull = 0x04
)

func (m sha2Method) HandleAuthPluginData(c *mysql.Conn, user string, serverData, clientData []byte, addr net.Addr) (mysql.Getter, error) {
	// After an auth switch (a client that asked for another plugin)
	// clientData is a recycled buffer: copy it at once.
	resp := bytes.Clone(clientData)
	if len(serverData) == 0 || serverData[len(serverData)-1] != 0 {
		return nil, denied(c, user, len(resp) > 0)
	}
	salt := serverData[:len(serverData)-1]
	g, state, err := m.a.UserEntryWithCacheHash(c, salt, user, resp, addr)
	if err != nil {
		return nil, err
	}
	switch state {
	case mysql.AuthAccepted:
		// vitess follows with the OK packet.
		if err := c.WritePacket([]byte{0, 0, 0, 0, authMoreData, sha2FastOK}); err != nil {
			return nil, err
		}
		return g, nil
	case mysql.AuthNeedMoreData:
		if !c.TLSEnabled() && !c.IsUnixSocket() {
			return nil, denied(c, user, len(resp) > 0)
		}
		if err := c.WritePacket([]byte{0, 0, 0, 0, authMoreData, sha2NeedsFull}); err != nil {
			return nil, err
		}
		pw, err := c.ReadPacket() // an allocated copy
		if err != nil {
			return nil, err
		}
		if len(pw) == 0 || pw[len(pw)-1] != 0 {
			return nil, sqlerror.NewSQLError(sqlerror.ERAccessDeniedError, "28000",
				fmt.Sprintf("Access denied for user '%s': malformed caching_sha2_password full authentication packet", user))
		}
		return m.a.UserEntryWithPassword(c, user, string(pw[:len(pw)-1]), addr)
	}
	return nil, denied(c, user, len(resp) > 0)
}

// newSalt is a scramble salt: 20 random bytes that are legal UTF-8 and
// hold no NUL or '$' (as MySQL's), plus the trailing NUL.
func newSalt() ([]byte, error) {
	salt := make([]byte, 21)
	if _, err := rand.Read(salt[:20]); err != nil {
		return nil, fmt.Errorf("auth salt: %w", err)
	}
	for i := range 20 {
		salt[i] &= 0x7f
		if salt[i] == 0 || salt[i] == '$' {
			salt[i]++
		}
	}
	salt[20] = 0
	return salt, nil
}

// storedUser looks up a non-root user and checks its host. nil when the
// user does not exist or may not connect from this host.
func (a *authServer) storedUser(c *mysql.Conn, user string) *catalog.User {
	if a.eng == nil || user == "" {
		return nil
	}
	u, err := a.eng.User(context.Background(), user)
	if err != nil {
		return nil
	}
	if !hostMatches(u.Host, clientHost(c)) {
		return nil
	}
	return u
}

func clientHost(c *mysql.Conn) string {
	if c == nil || c.RemoteAddr() == nil {
		return ""
	}
	h, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return h
}

// hostMatches applies a user's host part: '%' (or empty) matches any
// host, 'localhost' the loopback addresses, a pattern with % or _ is a
// LIKE pattern, anything else an exact address.
func hostMatches(pattern, host string) bool {
	switch {
	case pattern == "" || pattern == "%":
		return true
	case strings.EqualFold(pattern, "localhost"):
		ip := net.ParseIP(host)
		return host == "" || ip != nil && ip.IsLoopback()
	case strings.ContainsAny(pattern, "%_"):
		return likeMatch(pattern, host)
	}
	pip, hip := net.ParseIP(pattern), net.ParseIP(host)
	if pip != nil && hip != nil {
		return pip.Equal(hip)
	}
	return strings.EqualFold(pattern, host)
}

// nativeStored checks a mysql_native_password scramble for a stored user.
func (a *authServer) nativeStored(c *mysql.Conn, salt []byte, user string, resp []byte) (mysql.Getter, error) {
	u := a.storedUser(c, user)
	if u == nil {
		return nil, denied(c, user, len(resp) > 0)
	}
	if len(u.NativeHash) == 0 {
		if len(resp) == 0 {
			return callerID(user), nil
		}
		return nil, denied(c, user, true)
	}
	if len(resp) == 0 || !mysql.VerifyHashedMysqlNativePassword(resp, salt, u.NativeHash) {
		return nil, denied(c, user, len(resp) > 0)
	}
	return callerID(user), nil
}

// sha2Stored checks a caching_sha2_password fast-authentication scramble.
func (a *authServer) sha2Stored(c *mysql.Conn, salt []byte, user string, resp []byte) (mysql.Getter, mysql.CacheState, error) {
	u := a.storedUser(c, user)
	if u == nil {
		return nil, mysql.AuthRejected, denied(c, user, len(resp) > 0)
	}
	if len(u.Sha2Hash) == 0 {
		if len(resp) == 0 {
			return callerID(user), mysql.AuthAccepted, nil
		}
		return nil, mysql.AuthRejected, denied(c, user, true)
	}
	if len(resp) == 0 || !mysql.VerifyHashedCachingSha2Password(resp, salt, u.Sha2Hash) {
		return nil, mysql.AuthRejected, denied(c, user, len(resp) > 0)
	}
	return callerID(user), mysql.AuthAccepted, nil
}

// passwordStored checks a clear-text password (caching_sha2 full
// authentication over TLS) for a stored user.
func (a *authServer) passwordStored(c *mysql.Conn, user, password string) (mysql.Getter, error) {
	u := a.storedUser(c, user)
	if u == nil {
		return nil, denied(c, user, password != "")
	}
	var got []byte
	if password != "" {
		h1 := sha256.Sum256([]byte(password))
		h2 := sha256.Sum256(h1[:])
		got = h2[:]
	}
	if len(got) != len(u.Sha2Hash) || subtle.ConstantTimeCompare(got, u.Sha2Hash) != 1 {
		return nil, denied(c, user, password != "")
	}
	return callerID(user), nil
}

// ---- user-aware metadata ----

type userKey struct{}

// withUser records the connection's user for the metadata listings.
func withUser(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, userKey{}, user)
}

// ctxUser is the user of a statement's context ("root" when unset: the
// server's own internal lookups).
func ctxUser(ctx context.Context) string {
	if u, ok := ctx.Value(userKey{}).(string); ok && u != "" {
		return u
	}
	return engine.RootUser
}

// visibleDatabases keeps the databases the context's user may see.
func (h *handler) visibleDatabases(ctx context.Context, names []string) ([]string, error) {
	user := ctxUser(ctx)
	if user == engine.RootUser {
		return names, nil
	}
	out := names[:0:0]
	for _, n := range names {
		ok, err := h.eng.VisibleDatabase(ctx, user, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// visibleTables keeps the tables the context's user may see.
func (h *handler) visibleTables(ctx context.Context, ts []catalog.Table) ([]catalog.Table, error) {
	user := ctxUser(ctx)
	if user == engine.RootUser {
		return ts, nil
	}
	return h.eng.VisibleTables(ctx, user, ts)
}

// defaultStorageRoots confines table locations to the data directory
// when the engine has no allow-list: remote users must not point tables
// at /etc. storage.allowed_locations in tarn.yaml widens it.
func defaultStorageRoots(e *engine.Engine) {
	if len(e.AllowedLocations()) == 0 {
		e.SetAllowedLocations([]string{e.Config().DataDir})
	}
}

// connUser is the authenticated user of a connection (the session's
// user once it exists; root for the unnamed connections state() also
// maps to root).
func connUser(cs *connState) string {
	if cs.sess != nil {
		return cs.sess.User()
	}
	if cs.c != nil && cs.c.User != "" {
		return cs.c.User
	}
	return engine.RootUser
}
