package catalog_test

import (
	"testing"

	"github.com/tarnsql/tarn/internal/depcheck"
)

// The catalog is the bottom layer: it knows nothing of storage, planning
// or execution.
func TestDependencies(t *testing.T) {
	depcheck.Forbid(t, "catalog/...", "connectors", "planner", "exec", "engine", "server", "cmd", "datagen")
}
