package engine

import (
	"context"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/connectors/storage/s3"
)

func TestS3Config(t *testing.T) {
	defer s3.ResetRegistry()
	for _, tc := range []struct {
		in   S3Config
		want s3.Config
		err  string
	}{
		{in: S3Config{Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", PathStyle: true, Profile: "minio"},
			want: s3.Config{Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", Addressing: "path", Profile: "minio"}},
		{in: S3Config{Region: "us-west-2", VirtualHosted: true, Anonymous: true},
			want: s3.Config{Region: "us-west-2", Addressing: "virtual", Anonymous: true}},
		{in: S3Config{Endpoint: "127.0.0.1:9000"}, err: "must start with http:// or https://"},
		{in: S3Config{PathStyle: true, VirtualHosted: true}, err: "exclusive"},
	} {
		s3.ResetRegistry()
		e, err := Open(context.Background(), Config{DataDir: t.TempDir(), S3: tc.in})
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc.in, err, tc.err)
			}
			if e != nil {
				e.Close()
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
		if got := s3.ConfigFor("some-bucket"); got != tc.want {
			t.Errorf("%+v: default S3 config %v, want %v", tc.in, got, tc.want)
		}
	}
	// A zero S3Config leaves the process default alone.
	s3.SetDefault(s3.Config{Region: "kept"})
	e, err := Open(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	if got := s3.ConfigFor("b"); got.Region != "kept" {
		t.Errorf("zero S3Config replaced the default: %v", got)
	}
}
