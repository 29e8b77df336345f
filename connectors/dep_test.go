package connectors_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// Connectors read storage and formats; they never import the planner or
// the executor (they may use the vec batch helpers, which sit below them).
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "connectors/...", "planner", "exec", "engine", "server", "cmd", "crawler")
}
