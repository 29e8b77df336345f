package boltstore

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
)

// childEnv makes the test binary run the crash workload instead of the
// tests: TARN_BOLT_CRASH_CHILD=<catalog file>,<round>.
const childEnv = "TARN_BOLT_CRASH_CHILD"

func durabilityChild() int {
	var path string
	var round int
	spec := os.Getenv(childEnv)
	for i := len(spec) - 1; i >= 0; i-- {
		if spec[i] == ',' {
			path = spec[:i]
			r, err := strconv.Atoi(spec[i+1:])
			if err != nil {
				fmt.Fprintf(os.Stderr, "%s=%s: bad round\n", childEnv, spec)
				return 2
			}
			round = r
			break
		}
	}
	s, err := OpenFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := catalogtest.CrashWorkload(ctx, s, round, 1_000_000, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestCrashDurability kills a child process doing DDL on the catalog file
// with SIGKILL at random moments; after each kill the file must open and
// hold exactly the acknowledged statements (plus possibly the one in
// flight, whole).
func TestCrashDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test skipped in -short mode")
	}
	path := filepath.Join(t.TempDir(), FileName)
	catalogtest.RunCrashTest(t, 4, func(r int) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%d", childEnv, path, r))
		return cmd
	}, func() (catalog.Store, error) { return OpenFile(path) })
}
