package mysqlwire

// Authentication of stored users (CREATE USER) and the user-aware
// metadata the server answers itself. root is checked against the
// configured password (server.go); every other user against the hashes
// the catalog keeps: SHA1(SHA1(pw)) for mysql_native_password and
// SHA256(SHA256(pw)) for caching_sha2_password (fast authentication, and
// full authentication with the clear-text password over TLS).

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"strings"

	"vitess.io/vitess/go/mysql"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/engine"
)

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
