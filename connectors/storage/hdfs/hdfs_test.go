package hdfs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tarnsql/tarn/internal/testsrv/fssuite"
)

func TestParseURL(t *testing.T) {
	confDir := t.TempDir()
	os.WriteFile(filepath.Join(confDir, "core-site.xml"), []byte(`<?xml version="1.0"?>
<configuration><property><name>fs.defaultFS</name><value>hdfs://conf-nn:9000</value></property></configuration>`), 0o644)
	emptyDir := t.TempDir()
	cases := []struct {
		in      string
		confDir string
		addrs   string
		path    string
		errHas  string
	}{
		{in: "hdfs://nn:9000/a/b.parquet", addrs: "nn:9000", path: "/a/b.parquet"},
		{in: "hdfs://nn/warehouse/t/", addrs: "nn:8020", path: "/warehouse/t"},
		{in: "HDFS://nn.example.com:8020", addrs: "nn.example.com:8020", path: "/"},
		{in: "hdfs://[::1]:8020/x/../y", addrs: "[::1]:8020", path: "/y"},
		{in: "hdfs:///data/t", confDir: confDir, addrs: "conf-nn:9000", path: "/data/t"},
		{in: "hdfs:///data/t", confDir: emptyDir, errHas: "names no namenode"},
		{in: "hdfs://nn:port/x", errHas: "bad namenode port"},
		{in: "hdfs://alice@nn:8020/x", errHas: "user info"},
		{in: "hdfs://:8020/x", errHas: "empty namenode host"},
		{in: "s3://bucket/x", errHas: "not an hdfs:// URL"},
	}
	for _, c := range cases {
		t.Setenv("HADOOP_CONF_DIR", c.confDir)
		t.Setenv("HADOOP_HOME", "")
		u, err := ParseURL(c.in)
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) || !strings.Contains(err.Error(), c.in) {
				t.Errorf("ParseURL(%q) error = %v, want one containing %q and the URL", c.in, err, c.errHas)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURL(%q): %v", c.in, err)
			continue
		}
		if strings.Join(u.Addresses, ",") != c.addrs || u.Path != c.path {
			t.Errorf("ParseURL(%q) = %+v, want %s %s", c.in, u, c.addrs, c.path)
		}
	}
}

func TestForLocationSharesClients(t *testing.T) {
	a, err := ForLocation("hdfs://nn-share:8020/a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := ForLocation("hdfs://nn-share:8020/b/c")
	if err != nil {
		t.Fatal(err)
	}
	c, err := ForLocation("hdfs://nn-other:8020/a")
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a == c {
		t.Error("file systems must be shared per namenode")
	}
	if _, err := a.resolve("hdfs://nn-other:8020/a"); err == nil || !strings.Contains(err.Error(), "is not on hdfs://nn-share:8020") {
		t.Errorf("a path on another namenode: %v", err)
	}
	if p, err := a.resolve("/abs/./p"); err != nil || p != "/abs/p" {
		t.Errorf("resolve absolute path: %q %v", p, err)
	}
}

// With no namenode listening, every operation fails fast with an error
// naming the URL and the namenode.
func TestUnreachableNamenode(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	f := New(addr, []string{addr})
	ctx := context.Background()
	url := "hdfs://" + addr + "/warehouse/t/part-0.parquet"
	start := time.Now()
	_, err1 := f.Open(ctx, url)
	_, err2 := f.Stat(ctx, url)
	_, err3 := f.List(ctx, url)
	for i, err := range []error{err1, err2, err3} {
		if err == nil {
			t.Fatalf("op %d: no error", i)
		}
		msg := err.Error()
		if !strings.Contains(msg, url) || !strings.Contains(msg, "cannot connect to the namenode "+addr) {
			t.Errorf("op %d: error %q must name the URL and the namenode", i, msg)
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("failing took %v", d)
	}
	ctxc, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Open(ctxc, url); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled context: %v", err)
	}
}

// TestNamenode runs the read suite against a real HDFS when
// TARN_TEST_HDFS=host:port names a namenode. No HDFS can be installed
// in tarn's CI, so this test is skipped there even with
// TARN_REQUIRE_ALL=1 (see docs/STORAGE.md).
func TestNamenode(t *testing.T) {
	addr := os.Getenv("TARN_TEST_HDFS")
	if addr == "" {
		t.Skip("set TARN_TEST_HDFS=namenode:port to run against a real HDFS")
	}
	f, err := ForLocation("hdfs://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	c, err := f.Client()
	if err != nil {
		t.Fatal(err)
	}
	root := fmt.Sprintf("/tmp/tarn-test-%d", rand.Int64())
	t.Cleanup(func() { c.RemoveAll(root) })
	for name, data := range fssuite.Files() {
		p := path.Join(root, name)
		if err := c.MkdirAll(path.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		w, err := c.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fssuite.Run(t, f, "hdfs://"+addr+root)
	_, err = f.Open(context.Background(), "hdfs://"+addr+root+"/nope")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
