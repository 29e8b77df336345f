package connectors_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// Connectors read storage and formats; they never import the planner or
// the executor's operators (exec/vec, the batch helpers, is allowed).
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "connectors/...", "planner", "exec/eval", "exec/keys", "exec/exectest", "engine", "server", "cmd")
}
