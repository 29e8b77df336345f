// Package depcheck enforces tarn's dependency direction in tests, as
// CockroachDB's dep_test.go does: each layer's dep_test.go lists the
// packages it must never import, directly or transitively.
//
//	catalog ← connectors ← planner ← exec ← engine ← server ← cmd
package depcheck

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/tarnsql/tarn/"

// Forbid fails the test if pkg (an import path relative to the module,
// e.g. "exec/...") depends on any package under the forbidden prefixes
// (also relative to the module).
func Forbid(t *testing.T, pkg string, forbidden ...string) {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pkg, err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if !strings.HasPrefix(dep, module) {
			continue
		}
		rel := strings.TrimPrefix(dep, module)
		for _, f := range forbidden {
			if rel == f || strings.HasPrefix(rel, f+"/") {
				t.Errorf("%s must not depend on %s (found %s)", pkg, f, dep)
			}
		}
	}
}
