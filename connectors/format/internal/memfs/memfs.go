// Package memfs is an in-memory connectors.FileSystem for format tests
// and fuzz targets (no disk writes per input).
package memfs

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/tarnsql/tarn/connectors"
)

// FS holds files by path.
type FS struct {
	mu    sync.Mutex
	files map[string]entry
}

type entry struct {
	data []byte
	mod  time.Time
}

// New returns an empty file system.
func New() *FS { return &FS{files: map[string]entry{}} }

// Put stores (or replaces) a file; the data is not copied.
func (m *FS) Put(path string, data []byte) connectors.FileInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	mod := time.Unix(0, int64(len(m.files)+1)).Add(time.Duration(time.Now().UnixNano()))
	m.files[path] = entry{data: data, mod: mod}
	return connectors.FileInfo{Path: path, Size: int64(len(data)), ModTime: mod}
}

type file struct{ *bytes.Reader }

func (file) Close() error { return nil }

// Open opens a file.
func (m *FS) Open(ctx context.Context, path string) (connectors.File, error) {
	m.mu.Lock()
	e, ok := m.files[path]
	m.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("open %s: %w", path, fs.ErrNotExist)
	}
	return file{bytes.NewReader(e.data)}, nil
}

// Stat describes a file.
func (m *FS) Stat(ctx context.Context, path string) (connectors.FileInfo, error) {
	m.mu.Lock()
	e, ok := m.files[path]
	m.mu.Unlock()
	if !ok {
		return connectors.FileInfo{}, fmt.Errorf("stat %s: %w", path, fs.ErrNotExist)
	}
	return connectors.FileInfo{Path: path, Size: int64(len(e.data)), ModTime: e.mod}, nil
}

// List lists the files below prefix in lexical order.
func (m *FS) List(ctx context.Context, prefix string) ([]connectors.FileInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []connectors.FileInfo
	for p, e := range m.files {
		if p == prefix || strings.HasPrefix(p, strings.TrimSuffix(prefix, "/")+"/") {
			out = append(out, connectors.FileInfo{Path: p, Size: int64(len(e.data)), ModTime: e.mod})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

var _ connectors.FileSystem = (*FS)(nil)
