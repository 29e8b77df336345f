package mysqlwire

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// TestAuthConcurrentHandshakes authenticates many fresh connections at
// once, for root (the configured password) and a stored user, on
// plaintext and over TLS, while other connections keep the server's
// packet buffers busy and spinning goroutines starve both CPUs: the
// conditions under which the load test once saw error 1045 for root with
// the right password (docs/SERVER.md, "Authentication under load"). Every
// handshake must succeed, and a wrong password must still be refused.
func TestAuthConcurrentHandshakes(t *testing.T) {
	_, fixAddr := authServerFixture(t)
	if err := mysql.RegisterTLSConfig("tarnrace", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var bg sync.WaitGroup
	defer func() { close(stop); bg.Wait() }()

	// CPU starvation: two busy goroutines per CPU.
	for i := 0; i < 2*runtime.NumCPU(); i++ {
		bg.Add(1)
		go func() {
			defer bg.Done()
			x := uint64(i)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for j := 0; j < 1<<16; j++ {
					x = x*6364136223846793005 + 1442695040888963407
				}
				_ = x
			}
		}()
	}
	// Packet churn: established connections sending statements in a loop
	// (every packet the server reads is a pooled buffer).
	churn := openDB(t, "tpch")
	churn.SetMaxOpenConns(8)
	var churned atomic.Int64
	for i := 0; i < 8; i++ {
		bg.Add(1)
		go func() {
			defer bg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var n int
				if err := churn.QueryRow(fmt.Sprintf("SELECT %d /* churn padding %s */", i, strings.Repeat("x", 64*i))).Scan(&n); err == nil {
					churned.Add(1)
				}
			}
		}()
	}

	connect := func(addr, user, pw, params string) error {
		c := mysql.NewConfig()
		c.User, c.Passwd, c.Net, c.Addr = user, pw, "tcp", addr
		c.Timeout = 60 * time.Second
		dsn := c.FormatDSN()
		if params != "" {
			sep := "?"
			if strings.Contains(dsn, "?") {
				sep = "&"
			}
			dsn += sep + params
		}
		db, err := sql.Open("mysql", dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var one int
		return db.QueryRowContext(ctx, "SELECT 1").Scan(&one)
	}

	conns, rounds := 200, 3
	if testing.Short() {
		conns, rounds = 100, 1
	}
	for _, tc := range []struct {
		name, addr, user, pw, params string
	}{
		{"root plaintext", testAddr, "root", testPassword, ""},
		{"root plaintext caching_sha2 only", testAddr, "root", testPassword, "allowNativePasswords=false"},
		{"stored user plaintext", fixAddr, "alice", "alice-pw", ""},
		{"root TLS", fixAddr, "root", "root-pw", "tls=tarnrace"},
		{"stored user TLS", fixAddr, "alice", "alice-pw", "tls=tarnrace&allowNativePasswords=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for r := 0; r < rounds; r++ {
				var wg sync.WaitGroup
				var mu sync.Mutex
				var errs []string
				failed := 0
				for i := 0; i < conns; i++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						if err := connect(tc.addr, tc.user, tc.pw, tc.params); err != nil {
							mu.Lock()
							failed++
							if len(errs) < 5 {
								errs = append(errs, err.Error())
							}
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				if failed > 0 {
					t.Fatalf("round %d: %d of %d fresh connections failed, first errors:\n  %s", r, failed, conns, strings.Join(errs, "\n  "))
				}
			}
			// The check still refuses a wrong password.
			err := connect(tc.addr, tc.user, tc.pw+"-wrong", tc.params)
			if code, _ := mysqlErr(err); code != 1045 {
				t.Fatalf("wrong password: %v, want error 1045", err)
			}
		})
	}
	if churned.Load() == 0 {
		t.Fatal("no churn statement ran during the handshakes")
	}
}
