// Package local is a connectors.FileSystem over the local file system.
// Paths may be plain ("/data/t") or URLs ("file:///data/t").
package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tarnsql/tarn/connectors"
)

// FS is the local file system. The zero value is ready to use.
type FS struct{}

// New returns a local file system.
func New() *FS { return &FS{} }

var _ connectors.FileSystem = (*FS)(nil)

// Clean turns a plain path or a file:// URL into an OS path.
func Clean(p string) (string, error) {
	if strings.HasPrefix(p, "file:") {
		rest := strings.TrimPrefix(p, "file:")
		switch {
		case strings.HasPrefix(rest, "//localhost/"):
			rest = rest[len("//localhost"):]
		case strings.HasPrefix(rest, "///"):
			rest = rest[2:]
		case strings.HasPrefix(rest, "//"):
			return "", fmt.Errorf("local: %q: file URLs must name no host (use file:///path)", p)
		}
		p = rest
	}
	if p == "" {
		return "", errors.New("local: empty path")
	}
	return filepath.Clean(p), nil
}

// Hidden reports whether a file or directory name is hidden from
// listings: names starting with '.' or '_' (Hive/Spark markers such as
// _SUCCESS, _temporary, .crc files).
func Hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

type file struct {
	*os.File
	size int64
}

func (f *file) Size() int64 { return f.size }

// Open opens a file for ranged reads.
func (*FS) Open(ctx context.Context, path string) (connectors.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p, err := Clean(path)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("local: open %s: %w", path, unwrapPathErr(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("local: stat %s: %w", path, unwrapPathErr(err))
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("local: open %s: is a directory", path)
	}
	return &file{File: f, size: st.Size()}, nil
}

// Stat describes one file or directory (Size is 0 for directories).
func (*FS) Stat(ctx context.Context, path string) (connectors.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return connectors.FileInfo{}, err
	}
	p, err := Clean(path)
	if err != nil {
		return connectors.FileInfo{}, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return connectors.FileInfo{}, fmt.Errorf("local: stat %s: %w", path, unwrapPathErr(err))
	}
	fi := connectors.FileInfo{Path: p, ModTime: st.ModTime()}
	if !st.IsDir() {
		fi.Size = st.Size()
	}
	return fi, nil
}

// IsDir reports whether path is a directory.
func (*FS) IsDir(ctx context.Context, path string) (bool, error) {
	p, err := Clean(path)
	if err != nil {
		return false, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return false, fmt.Errorf("local: stat %s: %w", path, unwrapPathErr(err))
	}
	return st.IsDir(), nil
}

// List lists the regular files below a directory, recursively, in
// lexical order of their paths, skipping hidden files and directories.
// Listing a regular file returns just that file.
func (*FS) List(ctx context.Context, prefix string) ([]connectors.FileInfo, error) {
	root, err := Clean(prefix)
	if err != nil {
		return nil, err
	}
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("local: list %s: %w", prefix, unwrapPathErr(err))
	}
	if !st.IsDir() {
		return []connectors.FileInfo{{Path: root, Size: st.Size(), ModTime: st.ModTime()}}, nil
	}
	var out []connectors.FileInfo
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("local: list %s: %w", p, unwrapPathErr(err))
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		if p == root {
			return nil
		}
		if Hidden(d.Name()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("local: stat %s: %w", p, unwrapPathErr(err))
		}
		if !info.Mode().IsRegular() {
			// Follow symlinks to regular files; skip sockets, devices, ...
			if info.Mode()&fs.ModeSymlink == 0 {
				return nil
			}
			ti, err := os.Stat(p)
			if err != nil || !ti.Mode().IsRegular() {
				return nil
			}
			info = ti
		}
		out = append(out, connectors.FileInfo{Path: p, Size: info.Size(), ModTime: info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	// WalkDir visits in lexical order per directory; sort the full paths
	// so the order is lexical over the whole listing.
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// unwrapPathErr drops the *PathError wrapper (its path is already in
// our message) but keeps the underlying error for errors.Is.
func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
