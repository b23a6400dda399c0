package evm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/time/rate"
)

// Stats counts what a Transport and a Source did. All counters only grow.
type Stats struct {
	Requests int64 // HTTP requests sent, retries included
	Retries  int64 // of which were retries
	Calls    int64 // JSON-RPC calls (a batch of n counts n)
	Queries  int64 // transfer histories fetched (address, asset, range)
	Blocks   int64 // blocks those histories covered
}

// TransportOptions configure a Transport. The zero value means: 5 retries,
// backoff from 250ms to 30s, no rate limit, 4 requests in flight.
type TransportOptions struct {
	Retries     int           // retries after the first attempt; -1 for none
	MinBackoff  time.Duration // first backoff
	MaxBackoff  time.Duration // longest wait, Retry-After included
	Rate        float64       // requests per second; 0 for no limit
	Burst       int           // requests allowed at once above Rate; default 1
	Concurrency int           // requests in flight at most

	// Sleep waits for d or until ctx ends; nil for a real timer. Tests
	// inject one that records the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock used to read Retry-After dates; nil for time.Now.
	Now func() time.Time
}

// Transport is an http.RoundTripper for JSON-RPC that retries transient
// failures (429, 5xx, timeouts, connection resets, truncated or non-JSON
// bodies) with exponential backoff and full jitter, honours Retry-After,
// limits the request rate and the number of requests in flight, and counts
// what it sends. The whole response body is read before it is handed on, so
// a body cut short is retried rather than half-decoded.
type Transport struct {
	base    http.RoundTripper
	opts    TransportOptions
	limiter *rate.Limiter
	sem     chan struct{}

	requests atomic.Int64
	retries  atomic.Int64
}

// NewTransport wraps base (http.DefaultTransport when nil).
func NewTransport(base http.RoundTripper, o TransportOptions) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if o.Retries == 0 {
		o.Retries = 5
	} else if o.Retries < 0 {
		o.Retries = 0
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	t := &Transport{base: base, opts: o, sem: make(chan struct{}, o.Concurrency)}
	if o.Rate > 0 {
		t.limiter = rate.NewLimiter(rate.Limit(o.Rate), o.Burst)
	}
	return t
}

// Requests returns how many HTTP requests were sent, retries included.
func (t *Transport) Requests() int64 { return t.requests.Load() }

// Retries returns how many of those requests were retries.
func (t *Transport) Retries() int64 { return t.retries.Load() }

// RoundTrip sends req, retrying transient failures.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		body = b
	}
	var lastErr error
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			t.retries.Add(1)
		}
		resp, wait, err := t.once(ctx, req, body)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		lastErr = err
		var pe *permanentError
		if errors.As(err, &pe) {
			return pe.resp, nil // a non-retryable HTTP status: let the caller read it
		}
		var fe *fatalError
		if errors.As(err, &fe) {
			return nil, fe.err
		}
		if attempt >= t.opts.Retries {
			return nil, fmt.Errorf("after %d attempts: %w", attempt+1, lastErr)
		}
		d := t.backoff(attempt)
		if wait > d {
			d = wait
		}
		if d > t.opts.MaxBackoff {
			d = t.opts.MaxBackoff
		}
		if err := t.opts.Sleep(ctx, d); err != nil {
			return nil, err
		}
	}
}

// permanentError carries a response that must not be retried.
type permanentError struct{ resp *http.Response }

func (e *permanentError) Error() string { return "permanent " + e.resp.Status }

// once sends one attempt. It returns the response, or a retryable error and
// how long the server asked to wait, or a permanentError.
func (t *Transport) once(ctx context.Context, req *http.Request, body []byte) (*http.Response, time.Duration, error) {
	if t.limiter != nil {
		if err := t.limiter.Wait(ctx); err != nil {
			return nil, 0, err
		}
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, 0, ctx.Err()
	}
	defer func() { <-t.sem }()

	r := req.Clone(ctx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	t.requests.Add(1)
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		if transientNetErr(err) {
			return nil, 0, err
		}
		return nil, 0, &fatalError{err}
	}
	data, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	if rerr != nil {
		return nil, 0, fmt.Errorf("read response: %w", rerr)
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	resp.ContentLength = int64(len(data))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusRequestTimeout ||
		resp.StatusCode >= 500:
		return nil, retryAfter(resp.Header.Get("Retry-After"), t.opts.Now()), fmt.Errorf("http %s", resp.Status)
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return nil, 0, &permanentError{resp}
	}
	if !json.Valid(data) {
		return nil, 0, fmt.Errorf("response is not complete JSON (%d bytes)", len(data))
	}
	return resp, 0, nil
}

// fatalError is a transport failure that a retry cannot fix.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// backoff is full jitter over an exponentially growing ceiling.
func (t *Transport) backoff(attempt int) time.Duration {
	ceil := t.opts.MinBackoff << min(attempt, 20)
	if ceil <= 0 || ceil > t.opts.MaxBackoff {
		ceil = t.opts.MaxBackoff
	}
	return t.opts.MinBackoff/2 + time.Duration(rand.Int64N(int64(ceil)))
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if at, err := http.ParseTime(h); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}

// transientNetErr reports whether a transport error may go away on retry.
func transientNetErr(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) error {
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
