// Package minio runs a real MinIO server for tests: it finds (or builds
// once into a cache directory) the minio binary, starts it on random
// 127.0.0.1 ports with a temporary data directory, waits for it to be
// live and stops it when the test ends. Tests are skipped when MinIO
// cannot be built or started, unless TARN_REQUIRE_ALL=1 (then they fail).
//
// MinIO is AGPL: it is a test server only, run as a separate process and
// never linked into tarn.
package minio

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Module is the MinIO version the tests use.
const Module = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// CacheDir is where the binary is built: $TARN_TEST_CACHE/bin or
// $HOME/.cache/tarn-test/bin.
func CacheDir() string {
	if d := os.Getenv("TARN_TEST_CACHE"); d != "" {
		return filepath.Join(d, "bin")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "tarn-test", "bin")
	}
	return filepath.Join(home, ".cache", "tarn-test", "bin")
}

var buildMu sync.Mutex

// Binary returns the path of a minio binary: $TARN_MINIO_BIN, the cache
// directory, or one built there now with `go install` (minutes on a cold
// cache; a file lock keeps concurrent test processes from building twice).
func Binary() (string, error) {
	if p := os.Getenv("TARN_MINIO_BIN"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("TARN_MINIO_BIN=%s: %w", p, err)
		}
		return p, nil
	}
	dir := CacheDir()
	bin := filepath.Join(dir, "minio")
	if isExec(bin) {
		return bin, nil
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(filepath.Join(dir, ".minio.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := lockFile(lock); err != nil {
		return "", fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	defer unlockFile(lock)
	if isExec(bin) {
		return bin, nil
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("minio is not built and no go tool is on PATH: %w", err)
	}
	cmd := exec.Command(goBin, "install", Module)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "CGO_ENABLED=0", "GOFLAGS=-mod=mod")
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building minio (go install %s): %v\n%s", Module, err, tail(out, 2000))
	}
	if !isExec(bin) {
		return "", fmt.Errorf("go install %s did not produce %s", Module, bin)
	}
	return bin, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// Server is a running MinIO.
type Server struct {
	Endpoint  string // http://127.0.0.1:port
	AccessKey string
	SecretKey string
	Region    string
	cmd       *exec.Cmd
	logs      *syncBuffer
	client    *s3.Client
}

// Pid is the server's process id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// unavailable skips the test, or fails it under TARN_REQUIRE_ALL=1.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("TARN_REQUIRE_ALL") == "1" {
		t.Fatalf("MinIO is required (TARN_REQUIRE_ALL=1): "+format, args...)
	}
	t.Skipf("MinIO unavailable: "+format, args...)
}

// Start starts a MinIO server for the test (stopped in t.Cleanup).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		unavailable(t, "%v", err)
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(t, bin)
		if err == nil {
			return s
		}
		lastErr = err
	}
	unavailable(t, "starting %s: %v", bin, lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func start(t testing.TB, bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cport, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "tarn-minio-")
	if err != nil {
		return nil, err
	}
	s := &Server{
		Endpoint:  fmt.Sprintf("http://127.0.0.1:%d", port),
		AccessKey: "tarn" + randHex(4),
		SecretKey: "secret" + randHex(12),
		Region:    "us-east-1",
		logs:      &syncBuffer{},
	}
	cmd := exec.Command(bin, "server", "--quiet",
		"--address", fmt.Sprintf("127.0.0.1:%d", port),
		"--console-address", fmt.Sprintf("127.0.0.1:%d", cport),
		dir)
	cmd.Env = append(os.Environ(),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_BROWSER=off",
		"MINIO_UPDATE=off",
		"MINIO_CI_CD=1",
	)
	cmd.Stdout = s.logs
	cmd.Stderr = s.logs
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.cmd = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		if cmd.Process != nil {
			terminate(cmd.Process)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		}
		os.RemoveAll(dir)
	}
	deadline := time.Now().Add(60 * time.Second)
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case err := <-exited:
			os.RemoveAll(dir)
			return nil, fmt.Errorf("minio exited: %v\n%s", err, tail([]byte(s.logs.String()), 2000))
		default:
		}
		resp, err := hc.Get(s.Endpoint + "/minio/health/live")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("minio did not become live within 60s\n%s", tail([]byte(s.logs.String()), 2000))
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(stop)
	s.client = s3.New(s3.Options{
		BaseEndpoint: aws.String(s.Endpoint),
		Region:       s.Region,
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
	return s, nil
}

// MakeBucket creates a bucket.
func (s *Server) MakeBucket(t testing.TB, bucket string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var err error
	for try := 0; try < 50; try++ { // a fresh server may still be initialising
		if _, err = s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &bucket}); err == nil {
			return
		}
		if strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("minio: create bucket %s: %v", bucket, err)
}

// Put uploads one object.
func (s *Server) Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &bucket, Key: &key, Body: bytes.NewReader(data), ContentLength: aws.Int64(int64(len(data))),
	})
	if err != nil {
		t.Fatalf("minio: put s3://%s/%s: %v", bucket, key, err)
	}
}

// PutFile uploads a local file.
func (s *Server) PutFile(t testing.TB, bucket, key, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Put(t, bucket, key, data)
}

// Delete removes one object.
func (s *Server) Delete(t testing.TB, bucket, key string) {
	t.Helper()
	if _, err := s.client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: &bucket, Key: &key}); err != nil {
		t.Fatalf("minio: delete s3://%s/%s: %v", bucket, key, err)
	}
}

// Logs is what the server printed.
func (s *Server) Logs() string { return s.logs.String() }

// syncBuffer is a bytes.Buffer safe for the server's output goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
