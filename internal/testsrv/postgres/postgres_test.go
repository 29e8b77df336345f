package postgres

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestServer(t *testing.T) {
	s := Get(t)
	ctx := context.Background()
	a, b := s.NewDatabase(t), s.NewDatabase(t)
	if a == b {
		t.Fatalf("two test databases share a DSN %s", a)
	}
	c, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var version string
	if err := c.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	var fsync, addr string
	if err := c.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, "SHOW listen_addresses").Scan(&addr); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" || addr != "127.0.0.1" {
		t.Fatalf("server settings fsync=%s listen_addresses=%s", fsync, addr)
	}
	if _, err := c.Exec(ctx, "CREATE TABLE x (a int); INSERT INTO x VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	// Databases are isolated.
	c2, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if _, err := c2.Exec(ctx, "SELECT * FROM x"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("table x visible from another test database: %v", err)
	}
	t.Logf("PostgreSQL %s on %s", version, s.DSN(""))
}
