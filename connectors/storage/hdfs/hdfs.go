// Package hdfs is a connectors.FileSystem over HDFS, built on
// github.com/colinmarc/hdfs/v2 (the native RPC protocol; no JVM).
//
// Paths are URLs: hdfs://namenode:port/path (port 8020 when omitted;
// hdfs:///path uses the namenodes of fs.defaultFS from HADOOP_CONF_DIR).
// The client acts as HADOOP_USER_NAME, else the current OS user;
// Kerberos is not supported. Connections are made lazily, on first use,
// and shared per namenode address.
package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"net"
	"os"
	"os/user"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	hdfs "github.com/colinmarc/hdfs/v2"
	"github.com/colinmarc/hdfs/v2/hadoopconf"

	"github.com/tarnsql/tarn/connectors"
)

// DefaultPort is the namenode RPC port used when a URL names none.
const DefaultPort = "8020"

// URL is a parsed hdfs:// URL.
type URL struct {
	// Authority is host:port as written in the URL ("" for hdfs:///p).
	Authority string
	// Addresses are the namenode RPC addresses to dial.
	Addresses []string
	// Path is the absolute path in the file system.
	Path string
}

// ParseURL parses hdfs://host[:port]/path. An empty authority takes the
// namenodes from the Hadoop configuration (HADOOP_CONF_DIR/HADOOP_HOME).
func ParseURL(s string) (URL, error) {
	rest, ok := strings.CutPrefix(s, "hdfs://")
	if !ok {
		if len(s) > 7 && strings.EqualFold(s[:7], "hdfs://") {
			rest = s[7:]
		} else {
			return URL{}, fmt.Errorf("hdfs: %q is not an hdfs:// URL", s)
		}
	}
	auth, p, _ := strings.Cut(rest, "/")
	p = path.Clean("/" + p)
	u := URL{Authority: auth, Path: p}
	if auth == "" {
		conf, err := hadoopconf.LoadFromEnvironment()
		if err != nil {
			return URL{}, fmt.Errorf("hdfs: %q names no namenode and the Hadoop configuration cannot be read: %v", s, err)
		}
		u.Addresses = conf.Namenodes()
		if len(u.Addresses) == 0 {
			return URL{}, fmt.Errorf("hdfs: %q names no namenode (use hdfs://namenode:port/path, or set HADOOP_CONF_DIR)", s)
		}
		return u, nil
	}
	if strings.ContainsAny(auth, "@ ") {
		return URL{}, fmt.Errorf("hdfs: %q: user info in the URL is not supported (set HADOOP_USER_NAME)", s)
	}
	host, port, err := net.SplitHostPort(auth)
	if err != nil {
		if strings.Contains(err.Error(), "missing port") {
			host, port = auth, DefaultPort
		} else {
			return URL{}, fmt.Errorf("hdfs: %q: bad namenode address %q: %v", s, auth, err)
		}
	}
	if host == "" {
		return URL{}, fmt.Errorf("hdfs: %q: empty namenode host", s)
	}
	if port == "" {
		port = DefaultPort
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return URL{}, fmt.Errorf("hdfs: %q: bad namenode port %q", s, port)
		}
	}
	u.Addresses = []string{net.JoinHostPort(host, port)}
	return u, nil
}

// FS is an HDFS file system for one namenode (or HA set of namenodes).
type FS struct {
	prefix    string // "hdfs://authority"
	addresses []string
	user      string
	timeout   time.Duration

	mu     sync.Mutex
	client *hdfs.Client
}

var _ connectors.RemoteFS = (*FS)(nil)

var cache = struct {
	sync.Mutex
	m map[string]*FS
}{m: map[string]*FS{}}

// ForLocation returns the shared file system of a location's namenode.
func ForLocation(location string) (*FS, error) {
	u, err := ParseURL(location)
	if err != nil {
		return nil, err
	}
	key := strings.Join(u.Addresses, ",")
	cache.Lock()
	defer cache.Unlock()
	if f, ok := cache.m[key]; ok {
		return f, nil
	}
	f := New(u.Authority, u.Addresses)
	cache.m[key] = f
	return f, nil
}

// New returns a file system for the namenode addresses; authority is how
// paths are printed (hdfs://authority/path). Nothing is dialled yet.
func New(authority string, addresses []string) *FS {
	usr := os.Getenv("HADOOP_USER_NAME")
	if usr == "" {
		if u, err := user.Current(); err == nil {
			usr = u.Username
		}
	}
	return &FS{prefix: "hdfs://" + authority, addresses: addresses, user: usr, timeout: 10 * time.Second}
}

// conn returns the connected client, dialling on first use. A failed
// dial is not cached: the next call tries again.
func (f *FS) conn() (*hdfs.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client != nil {
		return f.client, nil
	}
	d := &net.Dialer{Timeout: f.timeout}
	c, err := hdfs.NewClient(hdfs.ClientOptions{
		Addresses:        f.addresses,
		User:             f.user,
		NamenodeDialFunc: d.DialContext,
		DatanodeDialFunc: d.DialContext,
	})
	if err != nil {
		return nil, fmt.Errorf("cannot connect to the namenode %s: %v", strings.Join(f.addresses, ","), err)
	}
	f.client = c
	return c, nil
}

// url prints an absolute path as an hdfs:// URL.
func (f *FS) url(p string) string { return f.prefix + p }

// resolve parses a path given to the file system: a URL of this
// file system or an absolute path.
func (f *FS) resolve(p string) (string, error) {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p), nil
	}
	u, err := ParseURL(p)
	if err != nil {
		return "", err
	}
	if "hdfs://"+u.Authority != f.prefix && u.Authority != "" {
		return "", fmt.Errorf("hdfs: %s is not on %s", p, f.prefix)
	}
	return u.Path, nil
}

// wrap names the URL and keeps fs.ErrNotExist/ErrPermission for errors.Is.
func (f *FS) wrap(op, p string, err error) error {
	var pe *iofs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, iofs.ErrNotExist):
		return fmt.Errorf("hdfs: %s %s: %w", op, f.url(p), iofs.ErrNotExist)
	case errors.Is(err, iofs.ErrPermission):
		return fmt.Errorf("hdfs: %s %s: permission denied for user %q: %w", op, f.url(p), f.user, iofs.ErrPermission)
	}
	return fmt.Errorf("hdfs: %s %s: %w", op, f.url(p), err)
}

// file is an open HDFS file. The client's FileReader seeks, so reads of
// one file are serialised.
type file struct {
	mu   sync.Mutex
	r    *hdfs.FileReader
	url  string
	size int64
}

func (h *file) Size() int64 { return h.size }

func (h *file) Close() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.r.Close()
}

// ReadAt has io.ReaderAt semantics (io.EOF with a short read at the end).
func (h *file) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("hdfs: read %s: negative offset %d", h.url, off)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if off >= h.size {
		return 0, io.EOF
	}
	want := p
	if rem := h.size - off; int64(len(p)) > rem {
		want = p[:rem]
	}
	h.mu.Lock()
	n, err := h.r.ReadAt(want, off)
	h.mu.Unlock()
	if err != nil && !(errors.Is(err, io.EOF) && n == len(want)) {
		return n, fmt.Errorf("hdfs: read bytes %d-%d of %s: %w", off, off+int64(len(want))-1, h.url, err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Open opens a file for ranged reads.
func (f *FS) Open(ctx context.Context, p string) (connectors.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ap, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	c, err := f.conn()
	if err != nil {
		return nil, fmt.Errorf("hdfs: open %s: %v", f.url(ap), err)
	}
	r, err := c.Open(ap)
	if err != nil {
		return nil, f.wrap("open", ap, err)
	}
	st := r.Stat()
	if st.IsDir() {
		r.Close()
		return nil, fmt.Errorf("hdfs: open %s: is a directory", f.url(ap))
	}
	return &file{r: r, url: f.url(ap), size: st.Size()}, nil
}

// Stat describes a file or directory (Size 0 for directories).
func (f *FS) Stat(ctx context.Context, p string) (connectors.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return connectors.FileInfo{}, err
	}
	ap, err := f.resolve(p)
	if err != nil {
		return connectors.FileInfo{}, err
	}
	c, err := f.conn()
	if err != nil {
		return connectors.FileInfo{}, fmt.Errorf("hdfs: stat %s: %v", f.url(ap), err)
	}
	st, err := c.Stat(ap)
	if err != nil {
		return connectors.FileInfo{}, f.wrap("stat", ap, err)
	}
	fi := connectors.FileInfo{Path: f.url(ap), ModTime: st.ModTime()}
	if !st.IsDir() {
		fi.Size = st.Size()
	}
	return fi, nil
}

// Hidden reports whether a name is hidden from listings.
func Hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

// List lists the files below a directory, recursively, in lexical order
// of their paths, skipping hidden files and directories. Listing a file
// returns just that file.
func (f *FS) List(ctx context.Context, p string) ([]connectors.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ap, err := f.resolve(p)
	if err != nil {
		return nil, err
	}
	c, err := f.conn()
	if err != nil {
		return nil, fmt.Errorf("hdfs: list %s: %v", f.url(ap), err)
	}
	st, err := c.Stat(ap)
	if err != nil {
		return nil, f.wrap("list", ap, err)
	}
	if !st.IsDir() {
		return []connectors.FileInfo{{Path: f.url(ap), Size: st.Size(), ModTime: st.ModTime()}}, nil
	}
	var out []connectors.FileInfo
	var walk func(dir string) error
	walk = func(dir string) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := c.ReadDir(dir)
		if err != nil {
			return f.wrap("list", dir, err)
		}
		for _, e := range ents {
			if Hidden(e.Name()) {
				continue
			}
			child := path.Join(dir, e.Name())
			if e.IsDir() {
				if err := walk(child); err != nil {
					return err
				}
				continue
			}
			if !e.Mode().IsRegular() {
				continue
			}
			out = append(out, connectors.FileInfo{Path: f.url(child), Size: e.Size(), ModTime: e.ModTime()})
		}
		return nil
	}
	if err := walk(ap); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

// Client returns the connected HDFS client (tests use it to write
// fixtures).
func (f *FS) Client() (*hdfs.Client, error) { return f.conn() }

// Remote is true: reads go to datanodes over the network
// (connectors.RemoteFS).
func (f *FS) Remote() bool { return true }
