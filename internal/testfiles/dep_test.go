package testfiles_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// testfiles is imported by the tests of the connectors and the engine
// alike, so it sits below all of them.
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "internal/testfiles", "connectors", "planner", "exec", "engine", "server", "cmd", "crawler")
}
