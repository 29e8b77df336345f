package s3

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config configures access to one S3 endpoint. The zero value means AWS
// S3 with the SDK's default credential chain (environment, shared config
// and credentials files, profile, web identity, instance metadata).
//
// Config is comparable: file systems are cached per distinct Config.
// Its String and GoString methods redact the credentials, so a Config
// printed with any fmt verb never shows a secret.
type Config struct {
	// Endpoint overrides the service URL (MinIO, Ceph, R2, ...), e.g.
	// "http://127.0.0.1:9000". Empty: AWS, or AWS_ENDPOINT_URL_S3 /
	// AWS_ENDPOINT_URL from the environment.
	Endpoint string
	// Region; empty: from the environment/profile, else "us-east-1".
	Region string
	// Addressing is "path", "virtual" or "" (auto: path-style when an
	// Endpoint is set, virtual-hosted otherwise).
	Addressing string
	// Static credentials. When AccessKeyID is empty the SDK's default
	// chain is used (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, Profile, ...).
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Profile is a named profile of the shared config/credentials files.
	Profile string
	// ConfigFile and CredentialsFile override ~/.aws/config and
	// ~/.aws/credentials.
	ConfigFile      string
	CredentialsFile string
	// Anonymous sends unsigned requests (public buckets).
	Anonymous bool

	// MaxInflight bounds the GET/HEAD/LIST requests in flight through
	// this file system (all queries of the process). Default 32.
	MaxInflight int
	// MaxAttempts is the number of tries per request (throttling, 5xx,
	// connection resets, bodies cut short). Default 10.
	MaxAttempts int
	// BackoffBase and BackoffMax bound the jittered exponential backoff
	// between tries. Defaults 50ms and 5s.
	BackoffBase, BackoffMax time.Duration
	// MinRate is the floor of the adaptive request rate (requests/s)
	// after throttling; MaxRate caps it (0: unlimited once recovered).
	// Defaults 5 and 0.
	MinRate, MaxRate float64
	// RecoverEvery is the time in which the throttled rate doubles while
	// no throttling is seen. Default 1s.
	RecoverEvery time.Duration
	// PartSize splits large reads into parallel ranged GETs. Default 8 MiB.
	PartSize int64
	// TailSize is the size of the tail fetched with one GET (and cached
	// per open file) on the first read near the end of a file: Parquet
	// footers and their metadata. Default 64 KiB.
	TailSize int64
	// ReadAhead is the largest window a file fetches ahead of sequential
	// reads (text formats and compressed streams read a file front to
	// back in small ReadAt calls): after two reads in a row the next
	// window, starting at twice the read size and doubling, is fetched in
	// the background. 0: default 4 MiB; <0: off.
	ReadAhead int64
	// CoalesceGap is the largest hole between two ranges that
	// ReadRanges reads through rather than issuing two GETs. Default 1 MiB.
	CoalesceGap int64
	// StatTTL is how long sizes learnt from List/Stat are trusted by
	// Open (saves a HEAD per split). 0: default 10s; <0: never.
	StatTTL time.Duration
	// RequestTimeout bounds one HTTP attempt (headers and body). Default 2m.
	RequestTimeout time.Duration
	// ListPageSize is the number of keys per LIST request (0: the
	// service's maximum, 1000).
	ListPageSize int32
}

const (
	defaultMaxInflight  = 32
	defaultMaxAttempts  = 10
	defaultBackoffBase  = 50 * time.Millisecond
	defaultBackoffMax   = 5 * time.Second
	defaultMinRate      = 5
	defaultRecoverEvery = time.Second
	defaultPartSize     = 8 << 20
	defaultTailSize     = 64 << 10
	defaultCoalesceGap  = 1 << 20
	defaultReadAhead    = 4 << 20
	defaultStatTTL      = 10 * time.Second
	defaultTimeout      = 2 * time.Minute
)

// withDefaults fills in the defaults of the tuning fields.
func (c Config) withDefaults() Config {
	if c.MaxInflight <= 0 {
		c.MaxInflight = defaultMaxInflight
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = defaultMaxAttempts
	}
	if c.BackoffBase <= 0 {
		c.BackoffBase = defaultBackoffBase
	}
	if c.BackoffMax <= 0 {
		c.BackoffMax = defaultBackoffMax
	}
	if c.BackoffMax < c.BackoffBase {
		c.BackoffMax = c.BackoffBase
	}
	if c.MinRate <= 0 {
		c.MinRate = defaultMinRate
	}
	if c.RecoverEvery <= 0 {
		c.RecoverEvery = defaultRecoverEvery
	}
	if c.PartSize <= 0 {
		c.PartSize = defaultPartSize
	}
	if c.TailSize <= 0 {
		c.TailSize = defaultTailSize
	}
	if c.CoalesceGap <= 0 {
		c.CoalesceGap = defaultCoalesceGap
	}
	if c.ReadAhead == 0 {
		c.ReadAhead = defaultReadAhead
	}
	if c.StatTTL == 0 {
		c.StatTTL = defaultStatTTL
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = defaultTimeout
	}
	return c
}

// pathStyle reports whether requests use path-style addressing.
func (c Config) pathStyle() bool {
	switch strings.ToLower(c.Addressing) {
	case "path":
		return true
	case "virtual":
		return false
	}
	return c.Endpoint != "" || os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
}

// String describes the config without credentials.
func (c Config) String() string {
	var b strings.Builder
	b.WriteString("s3.Config{")
	sep := ""
	add := func(k, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s%s=%s", sep, k, v)
			sep = " "
		}
	}
	add("endpoint", redactURL(c.Endpoint))
	add("region", c.Region)
	add("addressing", c.Addressing)
	if c.AccessKeyID != "" || c.SecretAccessKey != "" || c.SessionToken != "" {
		add("credentials", "static(redacted)")
	}
	add("profile", c.Profile)
	if c.Anonymous {
		add("anonymous", "true")
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so %#v cannot print the credentials either.
func (c Config) GoString() string { return c.String() }

// redactURL drops user info from an endpoint URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	u.User = url.User("redacted")
	return u.String()
}

// Property names accepted in table/connection properties. The Trino and
// Hadoop (s3a) spellings are accepted too.
var propNames = map[string]string{
	"s3.endpoint":               "endpoint",
	"fs.s3a.endpoint":           "endpoint",
	"s3.region":                 "region",
	"fs.s3a.endpoint.region":    "region",
	"s3.path-style-access":      "path-style",
	"fs.s3a.path.style.access":  "path-style",
	"s3.addressing":             "addressing",
	"s3.profile":                "profile",
	"s3.max-connections":        "max-inflight",
	"fs.s3a.connection.maximum": "max-inflight",
	"s3.max-attempts":           "max-attempts",
	"fs.s3a.attempts.maximum":   "max-attempts",
	"s3.anonymous":              "anonymous",
	"s3.read-ahead":             "read-ahead",
	"fs.s3a.readahead.range":    "read-ahead",
	"s3.aws-access-key":         "access-key",
	"fs.s3a.access.key":         "access-key",
	"s3.aws-secret-key":         "secret-key",
	"fs.s3a.secret.key":         "secret-key",
	"s3.session-token":          "session-token",
	"fs.s3a.session.token":      "session-token",
}

// secretProps are the properties that carry credentials.
var secretProps = map[string]bool{"access-key": true, "secret-key": true, "session-token": true}

// ErrSecretInTableProps is returned when table properties carry
// credentials: table properties are shown by SHOW CREATE TABLE, so
// credentials belong in the engine configuration or the environment.
var ErrSecretInTableProps = errors.New("S3 credentials must not be given as table properties (they would show in SHOW CREATE TABLE); set them in the engine configuration, the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) or a profile (s3.profile)")

// ApplyProps overlays properties (s3.endpoint, s3.region,
// s3.path-style-access, s3.profile, s3.max-connections, s3.max-attempts,
// s3.read-ahead, s3.anonymous and, when allowSecrets, s3.aws-access-key,
// s3.aws-secret-key, s3.session-token; fs.s3a.* spellings too) on c.
// Unrelated properties are ignored. Table properties are applied with
// allowSecrets=false; engine/connection configuration with true.
func (c Config) ApplyProps(props map[string]string, allowSecrets bool) (Config, error) {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, ok := propNames[strings.ToLower(k)]
		if !ok {
			continue
		}
		v := strings.TrimSpace(props[k])
		if secretProps[name] {
			if !allowSecrets {
				return c, fmt.Errorf("property %s: %w", k, ErrSecretInTableProps)
			}
		}
		switch name {
		case "endpoint":
			if v != "" {
				if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
					return c, fmt.Errorf("property %s: endpoint %q is not a URL like http://host:port", k, redactURL(v))
				}
			}
			c.Endpoint = v
		case "region":
			c.Region = v
		case "path-style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("property %s: %q is not true or false", k, v)
			}
			if b {
				c.Addressing = "path"
			} else {
				c.Addressing = "virtual"
			}
		case "addressing":
			switch strings.ToLower(v) {
			case "path", "virtual", "auto", "":
				if strings.EqualFold(v, "auto") {
					v = ""
				}
				c.Addressing = strings.ToLower(v)
			default:
				return c, fmt.Errorf("property %s: %q is not path, virtual or auto", k, v)
			}
		case "profile":
			c.Profile = v
		case "max-inflight", "max-attempts":
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return c, fmt.Errorf("property %s: %q is not a positive integer", k, v)
			}
			if name == "max-inflight" {
				c.MaxInflight = n
			} else {
				c.MaxAttempts = n
			}
		case "read-ahead":
			n, err := parseBytes(v)
			if err != nil {
				return c, fmt.Errorf("property %s: %q is not a size in bytes (like 4194304, 512K or 4M; 0 turns read-ahead off)", k, v)
			}
			c.ReadAhead = n
			if n == 0 {
				c.ReadAhead = -1
			}
		case "anonymous":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return c, fmt.Errorf("property %s: %q is not true or false", k, v)
			}
			c.Anonymous = b
		case "access-key":
			c.AccessKeyID = v
		case "secret-key":
			c.SecretAccessKey = v
		case "session-token":
			c.SessionToken = v
		}
	}
	return c, nil
}

// parseBytes parses a non-negative size: digits with an optional K, M or
// G suffix (binary multiples; a trailing B or iB is allowed).
func parseBytes(v string) (int64, error) {
	u := strings.ToUpper(strings.TrimSpace(v))
	u = strings.TrimSuffix(strings.TrimSuffix(u, "B"), "I")
	mul := int64(1)
	if n := len(u); n > 0 {
		switch u[n-1] {
		case 'K':
			mul, u = 1<<10, u[:n-1]
		case 'M':
			mul, u = 1<<20, u[:n-1]
		case 'G':
			mul, u = 1<<30, u[:n-1]
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(u), 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mul {
		return 0, fmt.Errorf("bad size %q", v)
	}
	return n * mul, nil
}

// registry is the process-wide configuration: a default and per-bucket
// overrides, set by the engine from its configuration.
var registry = struct {
	sync.RWMutex
	def     Config
	buckets map[string]Config
}{buckets: map[string]Config{}}

// SetDefault sets the configuration used for buckets without their own.
func SetDefault(c Config) {
	registry.Lock()
	registry.def = c
	registry.Unlock()
}

// SetBucket sets the configuration of one bucket (its own endpoint or
// credentials).
func SetBucket(bucket string, c Config) {
	registry.Lock()
	registry.buckets[bucket] = c
	registry.Unlock()
}

// ResetRegistry forgets all configurations (tests).
func ResetRegistry() {
	registry.Lock()
	registry.def = Config{}
	registry.buckets = map[string]Config{}
	registry.Unlock()
}

// ConfigFor returns the registered configuration of a bucket.
func ConfigFor(bucket string) Config {
	registry.RLock()
	defer registry.RUnlock()
	if c, ok := registry.buckets[bucket]; ok {
		return c
	}
	return registry.def
}
