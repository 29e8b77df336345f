package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tarnsql/tarn/connectors/storage/s3"
	"github.com/tarnsql/tarn/internal/testsrv/minio"
)

// MinIO is a MinIO server started outside a test (by a benchmark
// command), through the test helper internal/testsrv/minio.
type MinIO struct {
	*minio.Server
	tb *cmdTB
}

// StartMinIO starts a MinIO server (built into the test cache on first
// use). Stop must be called.
func StartMinIO() (m *MinIO, err error) {
	tb := &cmdTB{}
	defer tb.recover(&err)
	srv := minio.Start(tb)
	return &MinIO{Server: srv, tb: tb}, nil
}

// Stop stops the server and removes its data.
func (m *MinIO) Stop() { m.tb.runCleanups() }

// S3Config is the storage configuration that reaches the server.
func (m *MinIO) S3Config() s3.Config {
	return s3.Config{Endpoint: m.Endpoint, Region: m.Region, AccessKeyID: m.AccessKey, SecretAccessKey: m.SecretKey}
}

// WithLatency puts a proxy in front of the server that holds every
// request for d (a network round trip; the proxy's copying costs some
// CPU of its own) and returns the configuration that reaches the server
// through it. The proxy stops with the server.
func (m *MinIO) WithLatency(d time.Duration) (cfg s3.Config, err error) {
	defer m.tb.recover(&err)
	p := minio.NewFaultProxy(m.tb, m.Endpoint, 1)
	p.SetFaults(minio.Faults{Delay: 1, DelayFor: d})
	cfg = m.S3Config()
	cfg.Endpoint = p.URL
	return cfg, nil
}

// MakeBucket creates bucket.
func (m *MinIO) MakeBucket(bucket string) (err error) {
	defer m.tb.recover(&err)
	m.Server.MakeBucket(m.tb, bucket)
	return nil
}

// UploadDir uploads every regular file under dir to bucket/prefix/<relative
// path> and returns the bytes uploaded.
func (m *MinIO) UploadDir(bucket, prefix, dir string) (n int64, err error) {
	defer m.tb.recover(&err)
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), "_") || strings.HasPrefix(d.Name(), ".") {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		m.Put(m.tb, bucket, prefix+"/"+filepath.ToSlash(rel), data)
		n += int64(len(data))
		return nil
	})
	return n, err
}

// cmdTB lets the MinIO test helper run outside a test: failures and skips
// become errors returned by the StartMinIO/MakeBucket/UploadDir call that
// caused them, and cleanups run at Stop. Only the methods the helper uses
// are implemented; the embedded nil testing.TB is never called.
type cmdTB struct {
	testing.TB
	cleanups []func()
}

type tbFailure struct{ msg string }

func (t *cmdTB) Helper()          {}
func (t *cmdTB) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *cmdTB) Logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}
func (t *cmdTB) Fatalf(format string, args ...any) { panic(tbFailure{fmt.Sprintf(format, args...)}) }
func (t *cmdTB) Fatal(args ...any)                 { panic(tbFailure{fmt.Sprint(args...)}) }
func (t *cmdTB) Skipf(format string, args ...any)  { panic(tbFailure{fmt.Sprintf(format, args...)}) }
func (t *cmdTB) Skip(args ...any)                  { panic(tbFailure{fmt.Sprint(args...)}) }

// recover turns a helper's Fatal/Skip into *err; other panics go on.
func (t *cmdTB) recover(err *error) {
	if r := recover(); r != nil {
		f, ok := r.(tbFailure)
		if !ok {
			panic(r)
		}
		msg := f.msg
		if !strings.HasPrefix(msg, "minio") {
			msg = "minio: " + msg
		}
		*err = errors.New(msg)
	}
}

func (t *cmdTB) runCleanups() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}
