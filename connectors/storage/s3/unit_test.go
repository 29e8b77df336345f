package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"net/http"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		in                  string
		scheme, bucket, key string
		errHas              string
	}{
		{in: "s3://bucket/a/b.parquet", scheme: "s3", bucket: "bucket", key: "a/b.parquet"},
		{in: "s3a://my.bucket-1/dir/", scheme: "s3a", bucket: "my.bucket-1", key: "dir/"},
		{in: "S3N://bkt", scheme: "s3n", bucket: "bkt", key: ""},
		{in: "s3://bkt/", scheme: "s3", bucket: "bkt", key: ""},
		{in: "s3:///key", errHas: "names no bucket"},
		{in: "s3://ab/key", errHas: "3 to 63"},
		{in: "s3://bad!bucket/key", errHas: "invalid character"},
		{in: "gs://bucket/key", errHas: "not an s3:// URL"},
		{in: "/local/path", errHas: "not an s3:// URL"},
	}
	for _, c := range cases {
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
		if u.Scheme != c.scheme || u.Bucket != c.bucket || u.Key != c.key {
			t.Errorf("ParseURL(%q) = %+v", c.in, u)
		}
	}
}

func TestApplyProps(t *testing.T) {
	cases := []struct {
		name    string
		props   map[string]string
		secrets bool
		check   func(Config) bool
		errHas  string
	}{
		{name: "trino names", props: map[string]string{"s3.endpoint": "http://127.0.0.1:9000", "s3.region": "eu-west-1", "s3.path-style-access": "true", "field.delim": "|"},
			check: func(c Config) bool {
				return c.Endpoint == "http://127.0.0.1:9000" && c.Region == "eu-west-1" && c.Addressing == "path"
			}},
		{name: "s3a names", props: map[string]string{"fs.s3a.endpoint": "https://minio:9000", "fs.s3a.path.style.access": "false", "fs.s3a.connection.maximum": "7"},
			check: func(c Config) bool {
				return c.Endpoint == "https://minio:9000" && c.Addressing == "virtual" && c.MaxInflight == 7
			}},
		{name: "secret in table props", props: map[string]string{"s3.aws-secret-key": "hunter2"}, errHas: "SHOW CREATE TABLE"},
		{name: "access key in table props", props: map[string]string{"fs.s3a.access.key": "AKIA"}, errHas: "must not be given as table properties"},
		{name: "secrets in engine config", props: map[string]string{"s3.aws-access-key": "AK", "s3.aws-secret-key": "SK"}, secrets: true,
			check: func(c Config) bool { return c.AccessKeyID == "AK" && c.SecretAccessKey == "SK" }},
		{name: "bad endpoint", props: map[string]string{"s3.endpoint": "minio:9000"}, errHas: "not a URL"},
		{name: "bad bool", props: map[string]string{"s3.path-style-access": "yes please"}, errHas: "not true or false"},
		{name: "bad int", props: map[string]string{"s3.max-connections": "-3"}, errHas: "positive integer"},
		{name: "read-ahead size", props: map[string]string{"s3.read-ahead": "8M"}, check: func(c Config) bool { return c.ReadAhead == 8<<20 }},
		{name: "read-ahead s3a bytes", props: map[string]string{"fs.s3a.readahead.range": "65536"}, check: func(c Config) bool { return c.ReadAhead == 65536 }},
		{name: "read-ahead KiB", props: map[string]string{"s3.read-ahead": "512KiB"}, check: func(c Config) bool { return c.ReadAhead == 512<<10 }},
		{name: "read-ahead off", props: map[string]string{"s3.read-ahead": "0"}, check: func(c Config) bool { return c.ReadAhead < 0 }},
		{name: "bad read-ahead", props: map[string]string{"s3.read-ahead": "lots"}, errHas: "not a size in bytes"},
		{name: "negative read-ahead", props: map[string]string{"s3.read-ahead": "-1"}, errHas: "not a size in bytes"},
		{name: "addressing auto", props: map[string]string{"s3.addressing": "AUTO"}, check: func(c Config) bool { return c.Addressing == "" }},
	}
	for _, c := range cases {
		got, err := Config{}.ApplyProps(c.props, c.secrets)
		if c.errHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("%s: error = %v, want %q", c.name, err, c.errHas)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("%s: error shows the secret: %v", c.name, err)
			}
			continue
		}
		if err != nil || !c.check(got) {
			t.Errorf("%s: got %+v, %v", c.name, got, err)
		}
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	c := Config{Endpoint: "http://user:pw-in-url@127.0.0.1:9000", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMIsecret", SessionToken: "tokentokentoken"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		s := fmt.Sprintf(verb, c)
		for _, secret := range []string{"AKIDEXAMPLE", "wJalrXUtnFEMIsecret", "tokentokentoken", "pw-in-url"} {
			if strings.Contains(s, secret) {
				t.Errorf("%s of Config shows %q: %s", verb, secret, s)
			}
		}
		if !strings.Contains(s, "127.0.0.1:9000") {
			t.Errorf("%s of Config lost the endpoint: %s", verb, s)
		}
	}
	// Also inside a containing struct.
	s := fmt.Sprintf("%+v", struct{ C Config }{c})
	if strings.Contains(s, "wJalrXUtnFEMIsecret") {
		t.Errorf("nested Config shows the secret: %s", s)
	}
}

func TestRegistry(t *testing.T) {
	defer ResetRegistry()
	SetDefault(Config{Region: "r-default"})
	SetBucket("special", Config{Region: "r-special"})
	if ConfigFor("other").Region != "r-default" || ConfigFor("special").Region != "r-special" {
		t.Fatalf("registry lookup wrong: %v %v", ConfigFor("other"), ConfigFor("special"))
	}
	f1, err := ForLocation("s3://special/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := ForLocation("s3://special/y", map[string]string{"unrelated": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if f1 != f2 {
		t.Error("the same configuration must share one file system (one in-flight bound)")
	}
	f3, err := ForLocation("s3://special/y", map[string]string{"s3.region": "elsewhere"})
	if err != nil || f3 == f1 || f3.Config().Region != "elsewhere" {
		t.Errorf("table properties must select another file system: %v %v", f3, err)
	}
	if _, err := ForLocation("s3://special/y", map[string]string{"s3.aws-secret-key": "x"}); !errors.Is(err, ErrSecretInTableProps) {
		t.Errorf("secret in table props: %v", err)
	}
}

// fakeClock drives a Limiter in tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLimiterBacksOffAndRecovers(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1000, 0)}
	l := NewLimiter(5, 0, time.Second)
	l.now = clk.now
	// Steady traffic of 200 requests/s for 2 seconds: unlimited.
	for i := 0; i < 400; i++ {
		if d := l.reserve(); d != 0 {
			t.Fatalf("unthrottled limiter delayed a request by %v", d)
		}
		clk.advance(5 * time.Millisecond)
	}
	if !math.IsInf(l.Rate(), 1) {
		t.Fatalf("rate before throttling = %v, want unlimited", l.Rate())
	}
	// A burst of throttling: many 503s at once count as one decrease,
	// repeated bursts keep decreasing.
	for i := 0; i < 20; i++ {
		l.Throttled()
	}
	r1 := l.Rate()
	if !(r1 > 100 && r1 <= 0.7*200+1) {
		t.Fatalf("rate after the first throttle = %v, want about 0.7 × 200", r1)
	}
	for i := 0; i < 10; i++ {
		clk.advance(250 * time.Millisecond)
		l.Throttled()
	}
	low := l.Rate()
	if low >= r1/4 || low < 5 {
		t.Fatalf("rate after sustained throttling = %v (first %v), want far lower but >= the floor", low, r1)
	}
	// Sustained throttling drives the rate to the floor and holds it
	// there: no recovery while signals keep coming, however often.
	for i := 0; i < 200; i++ {
		clk.advance(50 * time.Millisecond)
		l.Throttled()
	}
	if r := l.Rate(); r != 5 {
		t.Fatalf("rate under sustained throttling = %v, want the floor 5", r)
	}
	low = l.Rate()
	// While limited, requests are spaced at 1/rate.
	var waited time.Duration
	for i := 0; i < 5; i++ {
		waited += l.reserve()
	}
	if waited <= 0 {
		t.Fatal("a throttled limiter must delay requests")
	}
	// The burst ends: the rate recovers with time alone (no successes
	// needed) and the limit is lifted.
	prev := low
	for i := 0; i < 4; i++ {
		clk.advance(time.Second)
		r := l.Rate()
		if r <= prev && !math.IsInf(r, 1) {
			t.Fatalf("rate did not grow after %ds without throttling: %v -> %v", i+1, prev, r)
		}
		prev = r
	}
	clk.advance(10 * time.Second)
	if !math.IsInf(l.Rate(), 1) {
		t.Fatalf("rate after recovery = %v, want unlimited again (Trino #24282: a rate that never recovers)", l.Rate())
	}
	if d := l.reserve(); d != 0 {
		t.Fatalf("recovered limiter delayed a request by %v", d)
	}
	if l.Throttles() != 230 {
		t.Errorf("Throttles = %d, want 230", l.Throttles())
	}
}

func TestLimiterMaxRate(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	l := NewLimiter(1, 50, 500*time.Millisecond)
	l.now = clk.now
	if l.Rate() != 50 {
		t.Fatalf("rate = %v, want the cap 50", l.Rate())
	}
	l.Throttled()
	if r := l.Rate(); r != 35 {
		t.Fatalf("rate after throttle = %v, want 35", r)
	}
	clk.advance(2 * time.Second)
	if r := l.Rate(); r != 50 {
		t.Fatalf("recovered rate = %v, want the cap 50", r)
	}
}

func TestLimiterWaitHonoursContext(t *testing.T) {
	l := NewLimiter(1, 1, time.Hour)
	l.Throttled() // 1 req/s floor
	l.reserve()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := l.Wait(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v, want the context's error", err)
	}
}

type apiErr struct{ code string }

func (e apiErr) Error() string                 { return e.code }
func (e apiErr) ErrorCode() string             { return e.code }
func (e apiErr) ErrorMessage() string          { return "msg" }
func (e apiErr) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

func respErr(status int, inner error) error {
	return &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: inner}
}

func TestClassify(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name string
		err  error
		want errClass
	}{
		{"SlowDown", respErr(503, apiErr{"SlowDown"}), throttled},
		{"503 without code", respErr(503, errors.New("x")), throttled},
		{"429", respErr(429, errors.New("x")), throttled},
		{"500", respErr(500, apiErr{"InternalError"}), transient},
		{"502", respErr(502, errors.New("x")), transient},
		{"404", respErr(404, apiErr{"NoSuchKey"}), permanent},
		{"403", respErr(403, apiErr{"AccessDenied"}), permanent},
		{"reset", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "read", Err: syscall.ECONNRESET}}, transient},
		{"refused", &smithyhttp.RequestSendError{Err: &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}}, dialFailed},
		{"no such host", &net.DNSError{Err: "no such host", Name: "nope.invalid", IsNotFound: true}, permanent},
		{"cut body", fmt.Errorf("%w: %w", errShortBody, io.ErrUnexpectedEOF), transient},
		{"canceled", context.Canceled, permanent},
	}
	for _, c := range cases {
		if got := classify(ctx, c.err); got != c.want {
			t.Errorf("%s: classify = %d, want %d", c.name, got, c.want)
		}
	}
}

func TestBackoffIsJitteredAndBounded(t *testing.T) {
	fs := &FS{cfg: Config{BackoffBase: 10 * time.Millisecond, BackoffMax: 200 * time.Millisecond}}
	seen := map[time.Duration]bool{}
	for n := 1; n <= 40; n++ {
		d := fs.backoff(n)
		step := min(10*time.Millisecond<<min(n-1, 30), 200*time.Millisecond)
		if d < step/4 || d > step {
			t.Fatalf("backoff(%d) = %v, want within [%v, %v]", n, d, step/4, step)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Errorf("backoff is not jittered: %d distinct values", len(seen))
	}
}
