package engine_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// The engine is embedded by the server and the CLI, never the reverse.
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "engine/...", "server", "cmd")
}
