package tron

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultBaseURL is TronGrid's mainnet endpoint.
const DefaultBaseURL = "https://api.trongrid.io"

// KeyHeader is the header TronGrid reads the API key from.
const KeyHeader = "TRON-PRO-API-KEY"

// maxBody bounds how much of one response is read.
const maxBody = 64 << 20

// Options configure a Source. The zero value talks to TronGrid without a key
// at 15 requests per second.
type Options struct {
	// BaseURL is the API root: TronGrid, a mirror or a self-hosted node
	// that serves TronGrid's /v1 and the node's /wallet APIs.
	BaseURL string
	// APIKey is sent as the TRON-PRO-API-KEY header when set. It never
	// appears in errors.
	APIKey string
	// RateLimit is the most requests per second; 0 means 15, negative means
	// no limit.
	RateLimit float64
	// MaxRetries is how often a request is retried after a 429, a 5xx, a
	// timeout or a dropped connection; 0 means 6, negative means never.
	MaxRetries int
	// MinBackoff and MaxBackoff bound the wait between retries (exponential
	// with full jitter; a server's Retry-After is honoured, up to
	// MaxBackoff). Zero means 500ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// PageSize is the page size of the /v1 listings; 0 means 200 (the most
	// TronGrid allows).
	PageSize int
	// Workers is how many lookups (a block's receipts, a header, a
	// receipt) run at once, all under RateLimit; 0 means 4.
	Workers int
	// NoTxIndex leaves every transfer's TxIndex 0 and reads each listed
	// transaction's receipt by id instead of each block's receipts.
	// Transfers of one block are then ordered by position and transaction
	// id, which is not the chain's order.
	NoTxIndex bool
	// HTTPClient sends the requests; nil means a client with a 60s timeout.
	HTTPClient *http.Client
	// Now is the clock used to read Retry-After dates; nil means time.Now.
	Now func() time.Time
}

// client sends rate-limited, retried requests and counts them.
type client struct {
	base       *url.URL
	key        string
	hc         *http.Client
	retries    int
	minBackoff time.Duration
	maxBackoff time.Duration
	now        func() time.Time
	limit      *limiter
	requests   atomic.Int64
}

func newClient(o Options) (*client, error) {
	raw := o.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("trongrid base URL: want http(s)://host[/path], got %q", redactURL(raw))
	}
	c := &client{
		base:       u,
		key:        o.APIKey,
		hc:         o.HTTPClient,
		retries:    o.MaxRetries,
		minBackoff: o.MinBackoff,
		maxBackoff: o.MaxBackoff,
		now:        o.Now,
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 60 * time.Second}
	}
	switch {
	case c.retries == 0:
		c.retries = 6
	case c.retries < 0:
		c.retries = 0
	}
	if c.minBackoff <= 0 {
		c.minBackoff = 500 * time.Millisecond
	}
	if c.maxBackoff <= 0 {
		c.maxBackoff = 30 * time.Second
	}
	if c.maxBackoff < c.minBackoff {
		c.maxBackoff = c.minBackoff
	}
	if c.now == nil {
		c.now = time.Now
	}
	rate := o.RateLimit
	if rate == 0 {
		rate = 15
	}
	if rate > 0 {
		c.limit = &limiter{interval: time.Duration(float64(time.Second) / rate)}
	}
	return c, nil
}

// redactURL keeps the scheme and host of a URL and drops any path, query or
// user info, where providers put keys.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host
}

// get fetches path with query parameters q into out.
func (c *client) get(ctx context.Context, path string, q url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, q, nil, out)
}

// post sends body as JSON to path and decodes the answer into out.
func (c *client) post(ctx context.Context, path string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return c.do(ctx, http.MethodPost, path, nil, b, out)
}

// statusError is a final HTTP failure.
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string {
	if e.body == "" {
		return fmt.Sprintf("status %d", e.code)
	}
	return fmt.Sprintf("status %d: %s", e.code, e.body)
}

func (c *client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any) error {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = q.Encode()
	var last error
	for attempt := 0; ; attempt++ {
		if err := c.limit.wait(ctx); err != nil {
			return err
		}
		data, retryAfter, err := c.once(ctx, method, u.String(), body)
		if err == nil {
			if err := json.Unmarshal(data, out); err != nil {
				return fmt.Errorf("%s %s: decode response: %w", method, path, err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		last = err
		if !retryable(err) || attempt >= c.retries {
			break
		}
		if err := sleep(ctx, c.backoff(attempt, retryAfter)); err != nil {
			return err
		}
	}
	return fmt.Errorf("%s %s: %w", method, path, last)
}

// once sends one request. It returns the body of a 200 answer, or an error
// and the server's Retry-After (0 when absent).
func (c *client) once(ctx context.Context, method, u string, body []byte) ([]byte, time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, 0, errors.New("build request")
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set(KeyHeader, c.key)
	}
	c.requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, which may hold a provider's key.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, 0, &transportError{err: err}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, 0, &transportError{err: err}
	}
	if resp.StatusCode != http.StatusOK {
		body := snippet(data)
		if c.key != "" {
			// Some gateways echo the key they reject.
			body = strings.ReplaceAll(body, c.key, "[key]")
		}
		return nil, c.retryAfter(resp.Header.Get("Retry-After")), &statusError{code: resp.StatusCode, body: body}
	}
	return data, 0, nil
}

// transportError is a failure to get any answer: a refused or dropped
// connection, a timeout.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var se *statusError
	if errors.As(err, &se) {
		return se.code == http.StatusTooManyRequests || se.code >= 500
	}
	// No answer at all (refused, reset, timed out): the next try may work.
	var te *transportError
	return errors.As(err, &te) && !errors.Is(err, context.Canceled)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func (c *client) retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(c.now()); d > 0 {
			return d
		}
	}
	return 0
}

// backoff is the wait before retry number attempt+1: exponential with full
// jitter, never below the server's Retry-After, never above maxBackoff.
func (c *client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	ceil := c.minBackoff << min(attempt, 16)
	if ceil > c.maxBackoff || ceil <= 0 {
		ceil = c.maxBackoff
	}
	d := c.minBackoff/2 + rand.N(ceil-c.minBackoff/2+1)
	if retryAfter > d {
		d = retryAfter
	}
	return min(d, c.maxBackoff)
}

// snippet is the start of an error body, on one line.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// limiter spaces requests at least interval apart. A nil limiter does not
// wait.
type limiter struct {
	interval time.Duration
	mu       sync.Mutex
	next     time.Time
}

func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	return sleep(ctx, at.Sub(now))
}
