package pgstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
	"github.com/tarnsql/tarn/internal/testsrv/postgres"
)

// childEnv makes the test binary run the crash workload against the DSN
// in it (round in TARN_PG_CRASH_ROUND) instead of the tests.
const childEnv = "TARN_PG_CRASH_CHILD"

func crashChild() int {
	round, err := strconv.Atoi(os.Getenv("TARN_PG_CRASH_ROUND"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "TARN_PG_CRASH_ROUND:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Hold every write transaction open a moment before COMMIT, so the
	// kill usually lands inside one.
	testHookBeforeCommit = func() { time.Sleep(time.Millisecond) }
	s, err := Open(ctx, os.Getenv(childEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := catalogtest.CrashWorkload(ctx, s, round, 1_000_000, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestCrashDurability kills a client process doing DDL with SIGKILL at
// random moments (its open transaction dies with its connection); the
// catalog must then hold exactly the acknowledged statements, plus
// possibly the one in flight, whole.
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	dsn := postgres.Get(t).NewDatabase(t)
	catalogtest.RunCrashTest(t, 4, func(r int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+dsn, "TARN_PG_CRASH_ROUND="+strconv.Itoa(r))
		return cmd
	}, func() (catalog.Store, error) { return Open(context.Background(), dsn) })
}
