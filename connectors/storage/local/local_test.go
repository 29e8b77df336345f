package local

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestList(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"b/2.txt", "a.txt", "b/1.txt", "_tmp/x", ".git/y", "b/_SUCCESS", "b/.crc", "c/d/e.txt"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte(p), 0o644)
	}
	fsys := New()
	ctx := context.Background()
	got, err := fsys.List(ctx, "file://"+dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a.txt", "b/1.txt", "b/2.txt", "c/d/e.txt"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i, w := range want {
		if got[i].Path != filepath.Join(dir, w) || got[i].Size != int64(len(w)) {
			t.Fatalf("entry %d: %+v want %s", i, got[i], w)
		}
	}
	f, err := fsys.Open(ctx, got[1].Path)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := f.ReadAt(buf, 2); err != nil || string(buf) != "1.t" || f.Size() != 7 {
		t.Fatalf("read %q %v", buf, err)
	}
	f.Close()
	_, err = fsys.List(ctx, filepath.Join(dir, "missing"))
	if !errors.Is(err, fs.ErrNotExist) || !contains(err.Error(), "missing") {
		t.Fatalf("missing: %v", err)
	}
	if _, err := fsys.Open(ctx, dir); err == nil {
		t.Fatal("opening a directory must fail")
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s == sub || len(sub) == 0 || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
