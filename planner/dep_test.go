package planner_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// The planner produces plans; it never imports the operators, the engine
// or the server.
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "planner/...", "exec", "engine", "server", "cmd")
}
