package s3

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// errClass is how a failed attempt is handled.
type errClass int

const (
	permanent  errClass = iota
	throttled           // retry after backoff, and slow the request rate
	transient           // retry after backoff (5xx, resets, cut bodies)
	dialFailed          // retry a few times: endpoint may be unreachable
)

// throttleCodes are S3 error codes that mean "slow down".
var throttleCodes = map[string]bool{
	"SlowDown": true, "Throttling": true, "ThrottlingException": true, "ThrottledException": true,
	"RequestThrottled": true, "RequestLimitExceeded": true, "TooManyRequests": true,
	"TooManyRequestsException": true, "ProvisionedThroughputExceededException": true,
	"RequestThrottledException": true, "ServiceUnavailable": true, "Busy": true,
}

var transientCodes = map[string]bool{
	"InternalError": true, "RequestTimeout": true, "RequestTimeoutException": true,
	"ServerError": true, "InternalServerError": true, "BadGateway": true, "GatewayTimeout": true,
	"XMinioServerNotInitialized": true,
}

// httpStatus returns the HTTP status of a failed response (0: none).
func httpStatus(err error) int {
	var re interface{ HTTPStatusCode() int }
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// classify decides whether a failed attempt is retried.
func classify(ctx context.Context, err error) errClass {
	if err == nil || ctx.Err() != nil {
		return permanent
	}
	if errors.Is(err, context.Canceled) {
		return permanent
	}
	code := errorCode(err)
	st := httpStatus(err)
	switch {
	case throttleCodes[code], st == 429, st == 503:
		return throttled
	case transientCodes[code], st == 500, st == 502, st == 504:
		return transient
	case st >= 400:
		return permanent
	}
	// Transport errors: a refused or unresolvable connection is tried a
	// few times only; resets, timeouts and bodies cut short are retried.
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return permanent
		}
		return dialFailed
	}
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) {
		return dialFailed
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return dialFailed
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, errShortBody) {
		return transient
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return transient
	}
	var se *smithyhttp.RequestSendError
	if errors.As(err, &se) {
		return transient
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return transient
	}
	if strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "server closed") ||
		strings.Contains(err.Error(), "broken pipe") {
		return transient
	}
	return permanent
}

var errShortBody = errors.New("response body shorter than the requested range")

// maxDialAttempts bounds the tries when the endpoint refuses connections.
const maxDialAttempts = 3

// backoff is the full-jitter exponential backoff before try n (n >= 1).
func (fs *FS) backoff(n int) time.Duration {
	d := fs.cfg.BackoffBase << min(n-1, 30)
	if d <= 0 || d > fs.cfg.BackoffMax {
		d = fs.cfg.BackoffMax
	}
	// Full jitter, but never less than a quarter of the step, so that
	// retries against a throttling service spread out.
	return d/4 + time.Duration(rand.Int64N(int64(d-d/4)+1))
}

// do runs op with the in-flight semaphore, the adaptive rate limit and
// retries. op is retried on throttling, 5xx and transport errors; it
// must be idempotent (ranged reads resume from where they stopped).
func (fs *FS) do(ctx context.Context, op func(ctx context.Context) error) error {
	var err error
	for try := 1; ; try++ {
		if err = fs.limiter.Wait(ctx); err != nil {
			return err
		}
		if err = fs.acquire(ctx); err != nil {
			return err
		}
		actx, cancel := context.WithTimeout(ctx, fs.cfg.RequestTimeout)
		fs.metrics.Requests.Add(1)
		err = op(actx)
		cancel()
		fs.release()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cls := classify(ctx, err)
		// An attempt that hit its own timeout is transient.
		if cls == permanent && errors.Is(err, context.DeadlineExceeded) {
			cls = transient
		}
		switch cls {
		case permanent:
			return err
		case throttled:
			fs.metrics.Throttled.Add(1)
			fs.limiter.Throttled()
		case dialFailed:
			if try >= maxDialAttempts {
				return err
			}
		}
		if try >= fs.cfg.MaxAttempts {
			return &retriesExhaustedError{tries: try, err: err}
		}
		fs.metrics.Retries.Add(1)
		t := time.NewTimer(fs.backoff(try))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

type retriesExhaustedError struct {
	tries int
	err   error
}

func (e *retriesExhaustedError) Error() string {
	return "gave up after " + strconv.Itoa(e.tries) + " tries: " + e.err.Error()
}

func (e *retriesExhaustedError) Unwrap() error { return e.err }

func (fs *FS) acquire(ctx context.Context) error {
	select {
	case fs.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (fs *FS) release() { <-fs.sem }
