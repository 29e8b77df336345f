package crawler_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// The crawler sits beside the engine: it writes the catalog from what
// the connectors read, and never depends on the planner's execution
// side, the engine, the server or the CLI.
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "crawler/...", "exec", "engine", "server", "cmd", "planner")
}
