package bench

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/connectors/storage/s3"
	"github.com/tarnsql/tarn/internal/testsrv/minio"
)

// TestStartMinIO checks the command-side MinIO helper: the server starts,
// a directory uploads (hidden and _-prefixed files skipped), the objects
// read back through tarn's S3 file system, and a helper failure comes
// back as an error instead of a test failure.
func TestStartMinIO(t *testing.T) {
	if _, err := minio.Binary(); err != nil {
		if os.Getenv("TARN_REQUIRE_ALL") == "1" {
			t.Fatalf("MinIO is required (TARN_REQUIRE_ALL=1): %v", err)
		}
		t.Skipf("MinIO unavailable: %v", err)
	}
	srv, err := StartMinIO()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	if err := srv.MakeBucket("upload"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{"a.csv": "1,2\n", "sub/b.csv": "3,4\n", "_manifest.json": "{}", ".hidden": "x"}
	for rel, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := srv.UploadDir("upload", "t", dir)
	if err != nil || n != 8 {
		t.Fatalf("UploadDir = %d, %v; want 8 bytes (two files)", n, err)
	}
	ctx := context.Background()
	fsys, err := s3.New(ctx, srv.S3Config())
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"a.csv": "1,2\n", "sub/b.csv": "3,4\n"} {
		f, err := fsys.Open(ctx, "s3://upload/t/"+rel)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(io.NewSectionReader(f, 0, f.Size()))
		f.Close()
		if err != nil || string(b) != want {
			t.Fatalf("s3://upload/t/%s = %q, %v; want %q", rel, b, err, want)
		}
	}
	if _, err := fsys.Stat(ctx, "s3://upload/t/_manifest.json"); err == nil {
		t.Errorf("_manifest.json was uploaded")
	}
	// A failure inside the test helper (an invalid bucket name) is an error.
	if err := srv.MakeBucket("Invalid_Bucket"); err == nil || !strings.Contains(err.Error(), "minio:") {
		t.Errorf("MakeBucket(invalid) = %v, want a minio: error", err)
	}
}
