package engine

import (
	"fmt"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// The in-memory history is a ring: past the limit each query replaces
// the oldest entry (no copy of the whole history per query), snapshots
// stay oldest-first, and a reopened history reloads the newest entries.
func TestHistoryRing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 5
	h, err := openHistory(db, limit)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(es []HistoryEntry) string {
		s := ""
		for _, e := range es {
			s += e.QueryID + " "
		}
		return s
	}
	for i := 1; i <= 12; i++ {
		h.add(HistoryEntry{QueryID: fmt.Sprint(i)})
		want := ""
		for j := max(1, i-limit+1); j <= i; j++ {
			want += fmt.Sprint(j) + " "
		}
		if got := ids(h.snapshot()); got != want {
			t.Fatalf("after %d adds: %q, want %q", i, got, want)
		}
	}
	if err := h.close(); err != nil {
		t.Fatal(err)
	}
	h2, err := openHistory(db, limit)
	if err != nil {
		t.Fatal(err)
	}
	defer h2.close()
	if got := ids(h2.snapshot()); got != "8 9 10 11 12 " {
		t.Fatalf("reloaded %q", got)
	}
	h2.add(HistoryEntry{QueryID: "13"})
	if got := ids(h2.snapshot()); got != "9 10 11 12 13 " {
		t.Fatalf("after reload and add %q", got)
	}
	db.Close()
}
