package fssuite

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tarnsql/tarn/connectors/storage/local"
)

// The suite is the local file system's behaviour: it must pass there.
func TestLocal(t *testing.T) {
	dir := t.TempDir()
	for name, data := range Files() {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Run(t, local.New(), dir)
}
