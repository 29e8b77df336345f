package filetable

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tarnsql/tarn/catalog"
	"github.com/tarnsql/tarn/connectors"
	"github.com/tarnsql/tarn/connectors/storage/s3"
)

// A missing bucket keeps the store's specific message instead of the
// generic "location does not exist".
func TestMissingBucketMessage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusNotFound)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>nobucket</BucketName></Error>`))
	}))
	defer srv.Close()
	s3.SetBucket("nobucket", s3.Config{Endpoint: srv.URL, Region: "us-east-1", Anonymous: true, MaxAttempts: 1})
	defer s3.ResetRegistry()
	ct := &catalog.Table{Database: "d", Name: "t", Kind: catalog.KindExternal, Format: "parquet",
		Location: "s3://nobucket/x/", Columns: []catalog.Column{{Name: "a", Type: "INT"}}}
	tbl, err := New(ct)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tbl.Splits(context.Background(), &connectors.ScanRequest{})
	if err == nil || !strings.Contains(err.Error(), "s3://nobucket/x/: bucket does not exist at endpoint") || strings.Contains(err.Error(), "location s3://nobucket/x/ does not exist") {
		t.Fatalf("error: %v", err)
	}
}
