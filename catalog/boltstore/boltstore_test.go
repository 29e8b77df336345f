package boltstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/catalog/catalogtest"
)

func TestStoreSuite(t *testing.T) {
	catalogtest.RunStoreSuite(t, func(t *testing.T) catalog.Store {
		s, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPersistsAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateDatabase(ctx, catalog.Database{Name: "d"}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTable(ctx, catalog.Table{Database: "d", Name: "t", Columns: []catalog.Column{{Name: "a", Type: "INT"}}}, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = OpenFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tb, err := s.GetTable(ctx, "d", "t")
	if err != nil {
		t.Fatal(err)
	}
	if tb.Columns[0].Name != "a" || tb.Kind != catalog.KindExternal {
		t.Fatalf("reopened table = %+v", tb)
	}
}

func TestCancelledContext(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.CreateDatabase(ctx, catalog.Database{Name: "x"}, false); err == nil {
		t.Fatal("cancelled context did not fail")
	}
}

func BenchmarkGetTable(b *testing.B) {
	ctx := context.Background()
	s, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.CreateDatabase(ctx, catalog.Database{Name: "d"}, false)
	for i := 0; i < 100; i++ {
		s.CreateTable(ctx, catalog.Table{Database: "d", Name: fmt.Sprintf("t%d", i), Columns: []catalog.Column{{Name: "a", Type: "INT"}}}, false)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.GetTable(ctx, "d", "t50"); err != nil {
			b.Fatal(err)
		}
	}
}
