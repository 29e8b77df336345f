package crawler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tarnsql/tarn/connectors/storage/s3"
	"github.com/tarnsql/tarn/internal/testsrv/minio"
)

// TestCrawlS3 crawls a lake in a real S3 server (MinIO): paths are
// s3:// URLs, and table and partition locations must be too.
func TestCrawlS3(t *testing.T) {
	srv := minio.Start(t)
	const bucket = "lake"
	srv.MakeBucket(t, bucket)
	for rel, data := range lakeTree(t) {
		srv.Put(t, bucket, "data/"+rel, data)
	}
	srv.Put(t, bucket, "data/logs_$folder$", []byte{})
	fsys, err := s3.New(context.Background(), s3.Config{
		Endpoint: srv.Endpoint, Region: srv.Region, AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey,
		BackoffBase: 5 * time.Millisecond, BackoffMax: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t)
	sum := crawlOK(t, s, Options{Location: "s3://lake/data/", Database: "lake", FS: fsys, Exclude: []string{"**/tmp/**"}})
	if got := tableNames(t, s, "lake"); strings.Join(got, ",") != "events,logs,users" {
		t.Fatalf("tables %v (skipped %v)", got, sum.Skipped)
	}
	ev := tableOf(t, s, "lake", "events")
	if ev.Location != "s3://lake/data/events" || colsText(ev.PartitionKeys) != "dt VARCHAR, region VARCHAR" {
		t.Errorf("events %+v", ev)
	}
	ps, err := s.ListPartitions(context.Background(), "lake", "events", nil)
	if err != nil || len(ps) != 3 || ps[0].Location != "s3://lake/data/events/dt=2024-06-01/region=eu" {
		t.Fatalf("partitions %+v %v", ps, err)
	}
	if users := tableOf(t, s, "lake", "users"); users.Format != "json" || users.Props[PropCompression] != "gzip" {
		t.Errorf("users %+v", users)
	}
	reasons := skippedReasons(sum)
	if reasons["logs_$folder$"] != "folder marker" || reasons["empty.json"] != "empty file" {
		t.Errorf("skipped %v", sum.Skipped)
	}
	// A second crawl adopts the s3:// tables.
	sum = crawlOK(t, s, Options{Location: "s3://lake/data", Database: "lake", FS: fsys, Exclude: []string{"**/tmp/**"}, Mode: "incremental"})
	if c, u, a, _ := sum.Counts(); c != 0 || u != 0 || a != 0 || sum.FilesScanned != 0 {
		t.Errorf("incremental re-crawl: %d created %d updated %d added, %d scanned", c, u, a, sum.FilesScanned)
	}
}
