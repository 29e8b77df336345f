package exec_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// The executor runs plans; it never imports the engine, the server or
// the CLI.
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "exec/...", "engine", "server", "cmd", "datagen")
}
