// Package fssuite is the read suite every connectors.FileSystem passes:
// listing (recursive, ordered, hidden files skipped), stat, ranged reads
// (io.ReaderAt semantics at the edges), concurrent reads, the optional
// connectors.RangeReader, and not-found errors that name the path. A
// test writes Files below a root with its own storage's tools and calls
// Run with the file system and the root.
package fssuite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tarnsql/tarn/connectors"
)

// BigSize is the size of the fixture c/d/e.bin: larger than the S3 tail
// (64 KiB) so reads cross the tail boundary.
const BigSize = 300_000

// Files are the fixtures, relative path → content.
func Files() map[string][]byte {
	big := make([]byte, BigSize)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	return map[string][]byte{
		"a.txt":      []byte("hello world"),
		"b/1.txt":    []byte("one\n"),
		"b/2.txt":    []byte("two two\n"),
		"b/_SUCCESS": {},
		"b/.crc":     []byte("crc"),
		"_tmp/x":     []byte("temporary"),
		".hidden/y":  []byte("hidden"),
		"c/d/e.bin":  big,
		"empty.txt":  {},
	}
}

// visible are the fixtures a listing of the root returns, in order.
var visible = []string{"a.txt", "b/1.txt", "b/2.txt", "c/d/e.bin", "empty.txt"}

// Run runs the suite against fsys with Files present below root.
func Run(t *testing.T, fsys connectors.FileSystem, root string) {
	files := Files()
	ctx := context.Background()
	join := func(rel string) string { return strings.TrimSuffix(root, "/") + "/" + rel }
	rel := func(t *testing.T, p string) string {
		t.Helper()
		r, ok := strings.CutPrefix(p, strings.TrimSuffix(root, "/")+"/")
		if !ok {
			t.Fatalf("listed path %q is not below the root %q", p, root)
		}
		return r
	}

	t.Run("List", func(t *testing.T) {
		cases := []struct {
			at   string
			want []string
		}{
			{"", visible},
			{"b", []string{"b/1.txt", "b/2.txt"}},
			{"c", []string{"c/d/e.bin"}},
			{"a.txt", []string{"a.txt"}},
		}
		for _, c := range cases {
			p := root
			if c.at != "" {
				p = join(c.at)
			}
			got, err := fsys.List(ctx, p)
			if err != nil {
				t.Fatalf("List(%s): %v", p, err)
			}
			var names []string
			for _, fi := range got {
				n := rel(t, fi.Path)
				names = append(names, n)
				if fi.Size != int64(len(files[n])) {
					t.Errorf("List(%s): %s has size %d, want %d", p, n, fi.Size, len(files[n]))
				}
			}
			if strings.Join(names, ",") != strings.Join(c.want, ",") {
				t.Errorf("List(%s) = %v, want %v", p, names, c.want)
			}
			if !sort.SliceIsSorted(got, func(i, j int) bool { return got[i].Path < got[j].Path }) {
				t.Errorf("List(%s) is not in lexical order", p)
			}
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		missing := join("missing/nothing.txt")
		_, err := fsys.List(ctx, missing)
		checkNotExist(t, "List", missing, err)
		_, err = fsys.Stat(ctx, missing)
		checkNotExist(t, "Stat", missing, err)
		_, err = fsys.Open(ctx, missing)
		checkNotExist(t, "Open", missing, err)
	})

	t.Run("OpenDirectory", func(t *testing.T) {
		if f, err := fsys.Open(ctx, join("b")); err == nil {
			f.Close()
			t.Fatal("opening a directory must fail")
		}
	})

	t.Run("Stat", func(t *testing.T) {
		for _, n := range []string{"a.txt", "c/d/e.bin", "empty.txt"} {
			fi, err := fsys.Stat(ctx, join(n))
			if err != nil {
				t.Fatalf("Stat(%s): %v", n, err)
			}
			if fi.Size != int64(len(files[n])) {
				t.Errorf("Stat(%s).Size = %d, want %d", n, fi.Size, len(files[n]))
			}
			if fi.ModTime.IsZero() {
				t.Errorf("Stat(%s): no modification time", n)
			}
		}
	})

	big := files["c/d/e.bin"]
	t.Run("ReadAt", func(t *testing.T) {
		f, err := fsys.Open(ctx, join("c/d/e.bin"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if f.Size() != BigSize {
			t.Fatalf("Size = %d, want %d", f.Size(), BigSize)
		}
		n := int64(BigSize)
		cases := []struct {
			name    string
			off     int64
			len     int
			wantN   int
			wantEOF bool
		}{
			{"head", 0, 10, 10, false},
			{"middle", 12345, 1000, 1000, false},
			{"footer length", n - 8, 8, 8, false},
			{"across the tail boundary", n - 70000, 70000, 70000, false},
			{"inside the tail", n - 1000, 500, 500, false},
			{"whole file", 0, BigSize, BigSize, false},
			{"past the end", n - 5, 10, 5, true},
			{"at the end", n, 1, 0, true},
			{"beyond the end", n + 100, 1, 0, true},
			{"empty", 100, 0, 0, false},
		}
		for _, c := range cases {
			buf := make([]byte, c.len)
			got, err := f.ReadAt(buf, c.off)
			if c.wantEOF {
				if !errors.Is(err, io.EOF) {
					t.Errorf("%s: err = %v, want io.EOF", c.name, err)
				}
			} else if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			if got != c.wantN {
				t.Errorf("%s: n = %d, want %d", c.name, got, c.wantN)
				continue
			}
			if got > 0 && !bytes.Equal(buf[:got], big[c.off:c.off+int64(got)]) {
				t.Errorf("%s: wrong bytes", c.name)
			}
		}
		if _, err := f.ReadAt(make([]byte, 1), -1); err == nil {
			t.Error("a negative offset must fail")
		}
	})

	t.Run("SmallFiles", func(t *testing.T) {
		for _, n := range []string{"a.txt", "b/2.txt", "empty.txt"} {
			f, err := fsys.Open(ctx, join(n))
			if err != nil {
				t.Fatalf("Open(%s): %v", n, err)
			}
			want := files[n]
			buf := make([]byte, len(want)+4)
			k, err := f.ReadAt(buf, 0)
			if k != len(want) || !errors.Is(err, io.EOF) || !bytes.Equal(buf[:k], want) {
				t.Errorf("%s: ReadAt = %d %q %v, want %d %q io.EOF", n, k, buf[:k], err, len(want), want)
			}
			f.Close()
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		f, err := fsys.Open(ctx, join("c/d/e.bin"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var wg sync.WaitGroup
		errs := make(chan string, 64)
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 7))
				for i := 0; i < 8; i++ {
					off := r.Int64N(BigSize)
					ln := r.Int64N(min(BigSize-off, 40000)) + 1
					buf := make([]byte, ln)
					if k, err := f.ReadAt(buf, off); err != nil || k != int(ln) || !bytes.Equal(buf, big[off:off+ln]) {
						errs <- "concurrent read failed"
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Fatal(e)
		}
	})

	t.Run("ReadRanges", func(t *testing.T) {
		f, err := fsys.Open(ctx, join("c/d/e.bin"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rr, ok := f.(connectors.RangeReader)
		if !ok {
			t.Skip("this file system has no RangeReader")
		}
		ranges := []connectors.ByteRange{
			{Off: 200000, Len: 100}, {Off: 0, Len: 4}, {Off: 10, Len: 20}, {Off: 25, Len: 100},
			{Off: BigSize - 8, Len: 8}, {Off: 100000, Len: 50000}, {Off: 5, Len: 0}, {Off: 0, Len: BigSize},
		}
		got, err := rr.ReadRanges(ctx, ranges)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range ranges {
			if !bytes.Equal(got[i], big[r.Off:r.Off+r.Len]) {
				t.Errorf("range %d [%d,+%d): wrong bytes", i, r.Off, r.Len)
			}
		}
		if _, err := rr.ReadRanges(ctx, []connectors.ByteRange{{Off: BigSize - 1, Len: 2}}); err == nil {
			t.Error("a range past the end must fail")
		}
	})
}

func checkNotExist(t *testing.T, op, p string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s(%s): no error", op, p)
		return
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s(%s): %v is not fs.ErrNotExist", op, p, err)
	}
	if !strings.Contains(err.Error(), "missing/nothing.txt") {
		t.Errorf("%s(%s): error %q does not name the path", op, p, err)
	}
}
