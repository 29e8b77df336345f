// Package s3 is a connectors.FileSystem over Amazon S3 and S3-compatible
// object stores (MinIO, Ceph, R2, ...), built on aws-sdk-go-v2.
//
// Paths are URLs: s3://bucket/key (s3a:// and s3n:// are accepted as
// synonyms). Reads are ranged GETs pinned to the object's ETag, with a
// bounded number of requests in flight, retries with jittered
// exponential backoff on throttling, 5xx and broken connections
// (resuming a cut body where it stopped), and an adaptive client-side
// rate limit that slows down on throttling and recovers with time. The
// last TailSize bytes of a file are fetched with one GET and cached per
// open file, so a Parquet footer costs one request; large reads are
// split into parallel part GETs; ReadRanges coalesces nearby ranges.
//
// Configuration: a process-wide registry (SetDefault, SetBucket) set by
// the engine from its configuration, overlaid by non-secret table
// properties (ApplyProps), on top of the SDK's environment and shared
// config files. Credentials never appear in errors or in Config's
// printed form, and are refused in table properties.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"

	"github.com/tarnsql/tarn/connectors"
)

// FS is an S3 file system for one configuration (endpoint, credentials,
// tuning). It is safe for concurrent use; share one per configuration
// (ForLocation caches them) so the in-flight bound and the adaptive rate
// apply to the whole process.
type FS struct {
	cfg     Config
	client  *s3.Client
	sem     chan struct{}
	limiter *Limiter
	metrics Metrics
	where   string // endpoint description for errors

	statMu sync.Mutex
	stats  map[string]statEntry
}

var _ connectors.RemoteFS = (*FS)(nil)

// Metrics counts what the file system sent and received. BytesFetched
// is transport-level (tail prefetch and coalescing included); scans
// count the bytes they consume in connectors.ScanStats themselves.
type Metrics struct {
	Requests     atomic.Int64 // attempts sent (GET, HEAD, LIST)
	Gets         atomic.Int64 // ranged GET attempts
	Retries      atomic.Int64
	Throttled    atomic.Int64 // throttling responses
	BytesFetched atomic.Int64
}

type statEntry struct {
	size int64
	etag string
	mod  time.Time
	at   time.Time
}

// New builds a file system for cfg. The SDK's environment, shared config
// files and default credential chain fill in what cfg leaves empty.
func New(ctx context.Context, cfg Config) (*FS, error) {
	c := cfg.withDefaults()
	fsys := &FS{
		cfg:     c,
		sem:     make(chan struct{}, c.MaxInflight),
		limiter: NewLimiter(c.MinRate, c.MaxRate, c.RecoverEvery),
		stats:   map[string]statEntry{},
		where:   describeEndpoint(c),
	}
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = 4 * c.MaxInflight
		tr.MaxIdleConnsPerHost = 2 * c.MaxInflight
		tr.IdleConnTimeout = 90 * time.Second
	})
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(hc),
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithDefaultRegion("us-east-1"),
		config.WithLogger(logging.Nop{}),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.ConfigFile != "" {
		opts = append(opts, config.WithSharedConfigFiles([]string{c.ConfigFile}))
	}
	if c.CredentialsFile != "" {
		opts = append(opts, config.WithSharedCredentialsFiles([]string{c.CredentialsFile}))
	}
	switch {
	case c.Anonymous:
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	case c.AccessKeyID != "" || c.SecretAccessKey != "":
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("s3: loading the AWS configuration for %s: %s", fsys.where, fsys.redact(err.Error()))
	}
	fsys.client = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
		o.UsePathStyle = c.pathStyle()
	})
	return fsys, nil
}

func describeEndpoint(c Config) string {
	if c.Endpoint != "" {
		return "endpoint " + redactURL(c.Endpoint)
	}
	if c.Region != "" {
		return "AWS S3 (" + c.Region + ")"
	}
	return "AWS S3"
}

// Limiter is the file system's adaptive rate limiter.
func (fs *FS) Limiter() *Limiter { return fs.limiter }

// Metrics are the file system's request counters.
func (fs *FS) Metrics() *Metrics { return &fs.metrics }

// Remote is true: every read is a request over the network
// (connectors.RemoteFS).
func (fs *FS) Remote() bool { return true }

// Config is the effective configuration (defaults filled in).
func (fs *FS) Config() Config { return fs.cfg }

// cache of file systems per configuration.
var cache = struct {
	sync.Mutex
	m map[Config]*FS
}{m: map[Config]*FS{}}

// ForConfig returns the shared file system of a configuration.
func ForConfig(cfg Config) (*FS, error) {
	cache.Lock()
	defer cache.Unlock()
	if f, ok := cache.m[cfg]; ok {
		return f, nil
	}
	f, err := New(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	cache.m[cfg] = f
	return f, nil
}

// ForLocation returns the file system for an s3:// location: the
// registry's configuration for its bucket, overlaid by the non-secret
// S3 properties in props (table properties; nil for none).
func ForLocation(location string, props map[string]string) (*FS, error) {
	u, err := ParseURL(location)
	if err != nil {
		return nil, err
	}
	cfg, err := ConfigFor(u.Bucket).ApplyProps(props, false)
	if err != nil {
		return nil, fmt.Errorf("s3: location %s: %w", location, err)
	}
	return ForConfig(cfg)
}

// URL is a parsed s3:// URL.
type URL struct {
	Scheme, Bucket, Key string
}

// String is scheme://bucket/key.
func (u URL) String() string { return u.Scheme + "://" + u.Bucket + "/" + u.Key }

func (u URL) child(key string) string { return u.Scheme + "://" + u.Bucket + "/" + key }

// ParseURL parses s3://bucket/key (also s3a://, s3n://).
func ParseURL(s string) (URL, error) {
	i := strings.Index(s, "://")
	if i <= 0 {
		return URL{}, fmt.Errorf("s3: %q is not an s3:// URL", s)
	}
	scheme := strings.ToLower(s[:i])
	switch scheme {
	case "s3", "s3a", "s3n":
	default:
		return URL{}, fmt.Errorf("s3: %q is not an s3:// URL", s)
	}
	rest := s[i+3:]
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return URL{}, fmt.Errorf("s3: %q names no bucket (use s3://bucket/key)", s)
	}
	if err := checkBucket(bucket); err != nil {
		return URL{}, fmt.Errorf("s3: %q: %v", s, err)
	}
	return URL{Scheme: scheme, Bucket: bucket, Key: key}, nil
}

// checkBucket checks the bucket-name rules common to S3-compatible stores.
func checkBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("bucket name %q has the invalid character %q", b, c)
		}
	}
	return nil
}

// Hidden reports whether a path segment is hidden from listings.
func Hidden(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")
}

func (fs *FS) cachedStat(url string) (statEntry, bool) {
	if fs.cfg.StatTTL < 0 {
		return statEntry{}, false
	}
	fs.statMu.Lock()
	defer fs.statMu.Unlock()
	e, ok := fs.stats[url]
	if !ok || time.Since(e.at) > fs.cfg.StatTTL {
		return statEntry{}, false
	}
	return e, true
}

func (fs *FS) putStat(url string, e statEntry) {
	if fs.cfg.StatTTL < 0 {
		return
	}
	fs.statMu.Lock()
	defer fs.statMu.Unlock()
	if len(fs.stats) > 100000 {
		clear(fs.stats)
	}
	fs.stats[url] = e
}

func (fs *FS) forgetStat(url string) {
	fs.statMu.Lock()
	delete(fs.stats, url)
	fs.statMu.Unlock()
}

// head fetches an object's size, ETag and modification time.
func (fs *FS) head(ctx context.Context, u URL) (statEntry, error) {
	var out *s3.HeadObjectOutput
	err := fs.do(ctx, func(ctx context.Context) error {
		var err error
		out, err = fs.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &u.Bucket, Key: &u.Key})
		return err
	})
	if err != nil {
		return statEntry{}, err
	}
	e := statEntry{size: aws.ToInt64(out.ContentLength), etag: aws.ToString(out.ETag), at: time.Now()}
	if out.LastModified != nil {
		e.mod = *out.LastModified
	}
	fs.putStat(u.String(), e)
	return e, nil
}

// Open opens an object for ranged reads. Reads are bound to ctx (the
// query's context) and pinned to the object's ETag: an object replaced
// while it is read fails the read instead of mixing two versions.
func (fs *FS) Open(ctx context.Context, p string) (connectors.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, err := ParseURL(p)
	if err != nil {
		return nil, err
	}
	if u.Key == "" || strings.HasSuffix(u.Key, "/") {
		return nil, fmt.Errorf("s3: open %s: is a bucket or directory, not an object", p)
	}
	e, ok := fs.cachedStat(u.String())
	if !ok {
		if e, err = fs.head(ctx, u); err != nil {
			if isNotFound(err) && fs.isPrefix(ctx, u) {
				return nil, fmt.Errorf("s3: open %s: is a directory (a prefix of other objects), not an object", p)
			}
			return nil, fs.objectError(ctx, "open", u, err)
		}
	}
	return &file{fs: fs, ctx: ctx, u: u, url: p, size: e.size, etag: e.etag, seq: seqAhead{end: -1}}, nil
}

// isPrefix reports whether objects exist below u's key + "/".
func (fs *FS) isPrefix(ctx context.Context, u URL) bool {
	dir := strings.TrimSuffix(u.Key, "/") + "/"
	var out *s3.ListObjectsV2Output
	err := fs.do(ctx, func(ctx context.Context) error {
		var err error
		out, err = fs.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &u.Bucket, Prefix: &dir, MaxKeys: aws.Int32(1)})
		return err
	})
	return err == nil && len(out.Contents) > 0
}

// Stat describes an object, or a directory (a prefix with objects below
// it; Size 0).
func (fs *FS) Stat(ctx context.Context, p string) (connectors.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return connectors.FileInfo{}, err
	}
	u, err := ParseURL(p)
	if err != nil {
		return connectors.FileInfo{}, err
	}
	if u.Key != "" && !strings.HasSuffix(u.Key, "/") {
		e, err := fs.head(ctx, u)
		if err == nil {
			return connectors.FileInfo{Path: p, Size: e.size, ModTime: e.mod}, nil
		}
		if !isNotFound(err) {
			return connectors.FileInfo{}, fs.objectError(ctx, "stat", u, err)
		}
	}
	// A directory: anything below key/ (the bucket itself when key is "").
	if u.Key == "" {
		if err := fs.bucketError(ctx, "stat", u); err != nil {
			return connectors.FileInfo{}, err
		}
		return connectors.FileInfo{Path: p}, nil
	}
	if !fs.isPrefix(ctx, u) {
		return connectors.FileInfo{}, fs.objectError(ctx, "stat", u, errNoSuchKey)
	}
	return connectors.FileInfo{Path: p}, nil
}

// List lists the objects below a prefix, recursively, in lexical order,
// skipping hidden path segments ('.' or '_' first) below the prefix and
// directory markers. s3://b/dir lists the objects under dir/; a key
// naming one object lists just that object. A key with glob
// metacharacters (*, ?, [) matches keys with path.Match: '*' does not
// cross '/', e.g. s3://b/t/*.parquet or s3://b/t/dt=*/*.csv.
func (fs *FS) List(ctx context.Context, prefix string) ([]connectors.FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	u, err := ParseURL(prefix)
	if err != nil {
		return nil, err
	}
	if i := strings.IndexAny(u.Key, "*?["); i >= 0 {
		if _, err := path.Match(u.Key, ""); err != nil {
			return nil, fmt.Errorf("s3: list %s: bad glob pattern: %v", prefix, err)
		}
		static := u.Key[:strings.LastIndex(u.Key[:i], "/")+1]
		var out []connectors.FileInfo
		patSegs, staticSegs := strings.Split(u.Key, "/"), strings.Count(static, "/")
		err := fs.listPrefix(ctx, u, static, func(key string, fi connectors.FileInfo) {
			if ok, _ := path.Match(u.Key, key); !ok {
				return
			}
			// Hidden segments match only a pattern segment that names
			// them explicitly (".x*" or "_x*").
			for i, seg := range strings.Split(key, "/") {
				if i >= staticSegs && Hidden(seg) && !Hidden(patSegs[i]) {
					return
				}
			}
			out = append(out, fi)
		})
		if err != nil {
			return nil, fs.objectError(ctx, "list", u, err)
		}
		if len(out) == 0 {
			if err := fs.checkBucket(ctx, u); err != nil {
				return nil, err
			}
		}
		sortInfos(out)
		return out, nil
	}
	dir := u.Key
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	var out []connectors.FileInfo
	seen := false
	err = fs.listPrefix(ctx, u, dir, func(key string, fi connectors.FileInfo) {
		seen = true
		if strings.HasSuffix(key, "/") {
			return // directory marker
		}
		for _, seg := range strings.Split(key[len(dir):], "/") {
			if Hidden(seg) {
				return
			}
		}
		out = append(out, fi)
	})
	if err != nil {
		return nil, fs.objectError(ctx, "list", u, err)
	}
	if seen || u.Key == "" {
		sortInfos(out)
		return out, nil
	}
	// Not a directory: one object?
	e, err := fs.head(ctx, u)
	if err != nil {
		return nil, fs.objectError(ctx, "list", u, err)
	}
	return []connectors.FileInfo{{Path: prefix, Size: e.size, ModTime: e.mod}}, nil
}

func sortInfos(out []connectors.FileInfo) {
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
}

// listPrefix pages through the objects below prefix.
func (fs *FS) listPrefix(ctx context.Context, u URL, prefix string, fn func(key string, fi connectors.FileInfo)) error {
	var token, maxKeys = (*string)(nil), (*int32)(nil)
	if fs.cfg.ListPageSize > 0 {
		maxKeys = aws.Int32(fs.cfg.ListPageSize)
	}
	now := time.Now()
	for {
		var out *s3.ListObjectsV2Output
		err := fs.do(ctx, func(ctx context.Context) error {
			var err error
			out, err = fs.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
				Bucket: &u.Bucket, Prefix: &prefix, ContinuationToken: token, MaxKeys: maxKeys,
			})
			return err
		})
		if err != nil {
			return err
		}
		for _, o := range out.Contents {
			key := aws.ToString(o.Key)
			fi := connectors.FileInfo{Path: u.child(key), Size: aws.ToInt64(o.Size)}
			if o.LastModified != nil {
				fi.ModTime = *o.LastModified
			}
			if !strings.HasSuffix(key, "/") {
				fs.putStat(fi.Path, statEntry{size: fi.Size, etag: aws.ToString(o.ETag), mod: fi.ModTime, at: now})
			}
			fn(key, fi)
		}
		if !aws.ToBool(out.IsTruncated) || out.NextContinuationToken == nil {
			return nil
		}
		token = out.NextContinuationToken
	}
}

// checkBucket returns a clear error when the bucket is missing or not
// accessible, and a not-exist error naming u otherwise (called when a
// listing found nothing).
func (fs *FS) checkBucket(ctx context.Context, u URL) error {
	if err := fs.bucketError(ctx, "list", u); err != nil {
		return err
	}
	return &Error{Op: "list", URL: u.String(), Msg: "no objects match the pattern", Kind: errNotExist}
}

var errNoSuchKey = errors.New("no such key")

// Error is an S3 error for one URL. It unwraps to fs.ErrNotExist,
// fs.ErrPermission or the underlying error, and its message never
// carries credentials.
type Error struct {
	Op, URL string
	Msg     string
	Kind    error // fs.ErrNotExist, fs.ErrPermission or nil
	Err     error
}

func (e *Error) Error() string { return "s3: " + e.Op + " " + e.URL + ": " + e.Msg }

// Unwrap exposes the kind and the cause.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}

func isNotFound(err error) bool {
	if errors.Is(err, errNoSuchKey) {
		return true
	}
	switch errorCode(err) {
	case "NoSuchKey", "NotFound":
		return true
	}
	return httpStatus(err) == 404 && errorCode(err) != "NoSuchBucket"
}

// objectError turns an SDK error into an *Error naming the URL. For a
// not-found object it checks the bucket, so a missing bucket is
// reported as such.
func (fs *FS) objectError(ctx context.Context, op string, u URL, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return fmt.Errorf("s3: %s %s: %w", op, u.String(), ctx.Err())
	}
	url := u.String()
	if st := httpStatus(err); st == 403 && errorCode(err) != "AccessDenied" && u.Key != "" {
		// HEAD responses carry no error body: ask with a one-byte GET
		// for the precise reason (unknown key ID, bad signature, ...).
		out, gerr := fs.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &u.Bucket, Key: &u.Key, Range: aws.String("bytes=0-0")})
		if gerr == nil {
			out.Body.Close()
		} else if httpStatus(gerr) == 403 && errorCode(gerr) != "" {
			err = gerr
		}
	}
	if isNotFound(err) {
		if berr := fs.bucketError(ctx, op, u); berr != nil {
			return berr
		}
		return &Error{Op: op, URL: url, Msg: "no such object or prefix", Kind: errNotExist, Err: err}
	}
	return fs.describe(op, url, err)
}

// bucketError checks that the bucket exists and is accessible.
func (fs *FS) bucketError(ctx context.Context, op string, u URL) error {
	err := fs.do(ctx, func(ctx context.Context) error {
		_, err := fs.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &u.Bucket})
		return err
	})
	if err == nil {
		return nil
	}
	if errorCode(err) == "NoSuchBucket" || errorCode(err) == "NotFound" || httpStatus(err) == 404 {
		return &Error{Op: op, URL: u.String(), Msg: fmt.Sprintf("bucket %q does not exist at %s", u.Bucket, fs.where), Kind: errNotExist, Err: err}
	}
	return fs.describe(op, u.String(), err)
}

// The io/fs sentinels, named so methods whose receiver is called fs can
// use them.
var (
	errNotExist   = fs.ErrNotExist
	errPermission = fs.ErrPermission
)

// describe classifies an error into a message for users.
func (fs *FS) describe(op, url string, err error) error {
	e := &Error{Op: op, URL: url, Err: redactedError{fs.redact(err.Error()), err}}
	code := errorCode(err)
	st := httpStatus(err)
	var rex *retriesExhaustedError
	retried := ""
	if errors.As(err, &rex) {
		retried = fmt.Sprintf(" (gave up after %d tries)", rex.tries)
	}
	switch {
	case code == "NoSuchBucket":
		e.Msg, e.Kind = "bucket does not exist at "+fs.where, errNotExist
	case code == "InvalidAccessKeyId":
		e.Msg, e.Kind = "the access key ID is not known to "+fs.where+" (check the S3 credentials)", errPermission
	case code == "SignatureDoesNotMatch":
		e.Msg, e.Kind = "request signature rejected by "+fs.where+" (wrong secret key?)", errPermission
	case code == "AccessDenied" || code == "Forbidden" || st == 403:
		e.Msg, e.Kind = "access denied by "+fs.where+" (check the S3 credentials and the bucket policy)", errPermission
	case code == "PreconditionFailed" || st == 412:
		e.Msg = "the object changed while it was being read (ETag mismatch); retry the query"
	case strings.Contains(err.Error(), "failed to retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found"):
		e.Msg, e.Kind = "no S3 credentials found (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the engine's s3 configuration)", errPermission
	case classify(context.Background(), err) == dialFailed:
		e.Msg = "cannot reach " + fs.where + ": " + fs.redact(rootCause(err))
	case code != "":
		msg := code
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorMessage() != "" {
			msg += ": " + ae.ErrorMessage()
		}
		e.Msg = fs.redact(msg) + retried
	default:
		e.Msg = fs.redact(rootCause(err)) + retried
	}
	return e
}

// rootCause is the innermost error message (the SDK's wrappers add
// operation names and request IDs that do not help users).
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// redactedError keeps the cause for errors.Is/As but prints redacted.
type redactedError struct {
	msg string
	err error
}

func (r redactedError) Error() string { return r.msg }
func (r redactedError) Unwrap() error { return r.err }

// redact removes the configured credentials from a message.
func (fs *FS) redact(s string) string {
	for _, secret := range []string{fs.cfg.SecretAccessKey, fs.cfg.SessionToken, fs.cfg.AccessKeyID} {
		if len(secret) >= 4 {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}
