package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Options configure a Client. The zero value sends each request once
// through http.DefaultTransport, with no rate limit and no bound on
// requests in flight.
type Options struct {
	// Retries is how many times a request is sent again after a transient
	// failure; 0 or less means never.
	Retries int
	// MinBackoff is the shortest wait before a retry and MaxBackoff the
	// longest, a server's Retry-After included; 0 means 250ms and 30s. The
	// wait before retry n (from 0) is MinBackoff plus a random share of
	// MinBackoff×2ⁿ, at least the Retry-After, at most MaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Rate is the most requests per second, shared by every call of the
	// Client; 0 or less means no limit. Burst is how many requests may start
	// at once above it; 0 means 1.
	Rate  float64
	Burst int
	// Concurrency is the most requests in flight; 0 or less means no bound.
	Concurrency int
	// MaxBody is the most bytes read of one answer; 0 or less means all.
	MaxBody int64
	// Classify judges the answers of calls that bring no classifier of
	// their own, RoundTrip's among them; nil means CheckStatus.
	Classify Classifier
	// Secrets are keys kept out of every error, beside those a Client finds
	// in each request: the labels of the host name that look like keys (see
	// Redact), the URL's user info, the values of query parameters
	// and headers whose names speak of a key, token, secret, auth, password,
	// signature, session or cookie, and, with SecretURL (an endpoint whose
	// path holds the key), every part of the URL that Redact hides.
	Secrets   []string
	SecretURL bool
	// Send sends one attempt; nil means http.DefaultTransport.RoundTrip. An
	// *http.Client's Do fits too: its Timeout then bounds each attempt, and
	// the *url.Error it returns is unwrapped so that no URL is repeated.
	Send func(*http.Request) (*http.Response, error)
	// Now is the clock of the rate limit and of Retry-After dates; nil
	// means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends; nil means a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a random duration in [0, n]; nil means math/rand/v2.
	Jitter func(n time.Duration) time.Duration
}

// Client sends requests under its Options. It is safe for concurrent use.
type Client struct {
	opts    Options
	limiter *rate.Limiter // nil: no limit
	sem     chan struct{} // nil: no bound

	requests atomic.Int64
	retries  atomic.Int64
}

var _ http.RoundTripper = (*Client)(nil)

// New returns a Client. It sends nothing.
func New(o Options) *Client {
	o.Retries = max(o.Retries, 0)
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 30 * time.Second
	}
	o.MaxBackoff = max(o.MaxBackoff, o.MinBackoff)
	if o.Burst <= 0 {
		o.Burst = 1
	}
	if o.Classify == nil {
		o.Classify = CheckStatus
	}
	if o.Send == nil {
		o.Send = http.DefaultTransport.RoundTrip
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Jitter == nil {
		o.Jitter = func(n time.Duration) time.Duration { return rand.N(n + 1) }
	}
	c := &Client{opts: o}
	if o.Rate > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(o.Rate), o.Burst)
	}
	if o.Concurrency > 0 {
		c.sem = make(chan struct{}, o.Concurrency)
	}
	return c
}

// Requests returns how many requests were sent, retries included.
func (c *Client) Requests() int64 { return c.requests.Load() }

// Retries returns how many of those requests were retries.
func (c *Client) Retries() int64 { return c.retries.Load() }

// Fetch sends req until classify (nil for Options.Classify) accepts an
// answer, and returns that answer's body. It returns ctx.Err() once req's
// context ends, the error classify gave for an answer it does not retry,
// or, when the retries run out, the last failure, as "after N attempts:
// …" if there was more than one. Errors never show the request's keys.
func (c *Client) Fetch(req *http.Request, classify Classifier) ([]byte, error) {
	_, body, err := c.send(req, classify)
	return body, err
}

// RoundTrip is Fetch for an http.Client, with Options.Classify: the answer
// it accepts comes back with its body read in full, so a body cut short is
// retried rather than half-decoded.
func (c *Client) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, _, err := c.send(req, nil)
	return resp, err
}

func (c *Client) send(req *http.Request, classify Classifier) (*http.Response, []byte, error) {
	if classify == nil {
		classify = c.opts.Classify
	}
	ctx := req.Context()
	var payload []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("read request body: %w", err)
		}
		payload = b
	}
	secrets := c.secretsOf(req)
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
		}
		resp, body, err := c.attempt(ctx, req, payload, classify)
		if err == nil {
			return resp, body, nil
		}
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if !Retryable(err) {
			return nil, nil, scrub(err, secrets)
		}
		if attempt >= c.opts.Retries {
			if attempt > 0 {
				err = fmt.Errorf("after %d attempts: %w", attempt+1, err)
			}
			return nil, nil, scrub(err, secrets)
		}
		var after time.Duration
		if resp != nil {
			after = retryAfter(resp.Header.Get("Retry-After"), c.opts.Now())
		}
		if err := c.opts.Sleep(ctx, c.backoff(attempt, after)); err != nil {
			return nil, nil, err
		}
	}
}

// attempt sends req once and judges the answer. A failure comes with the
// answer when there was one, for its Retry-After.
func (c *Client) attempt(ctx context.Context, req *http.Request, payload []byte, classify Classifier) (*http.Response, []byte, error) {
	if err := c.wait(ctx); err != nil {
		return nil, nil, err
	}
	if c.sem != nil {
		select {
		case c.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		defer func() { <-c.sem }()
	}
	r := req.Clone(ctx)
	if r.Body != nil {
		// The clone shares the original body, which send read and closed.
		r.GetBody = func() (io.ReadCloser, error) {
			if len(payload) == 0 {
				return http.NoBody, nil
			}
			return io.NopCloser(bytes.NewReader(payload)), nil
		}
		r.Body, _ = r.GetBody()
		r.ContentLength = int64(len(payload))
	}
	c.requests.Add(1)
	resp, err := c.opts.Send(r)
	if err != nil {
		return nil, nil, sendError(err)
	}
	var rd io.Reader = resp.Body
	if c.opts.MaxBody > 0 {
		rd = io.LimitReader(rd, c.opts.MaxBody)
	}
	body, err := io.ReadAll(rd)
	resp.Body.Close()
	if err != nil {
		return resp, nil, Retry(fmt.Errorf("read answer: %w", bare(err)))
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	if err := classify(resp, body); err != nil {
		return resp, nil, err
	}
	return resp, body, nil
}

// wait takes a token from the bucket, sleeping until there is one.
func (c *Client) wait(ctx context.Context) error {
	if c.limiter == nil {
		return nil
	}
	now := c.opts.Now()
	r := c.limiter.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if d <= 0 {
		return nil
	}
	if err := c.opts.Sleep(ctx, d); err != nil {
		r.CancelAt(c.opts.Now())
		return err
	}
	return nil
}

// backoff is the wait before retry number attempt+1: MinBackoff plus
// jitter over a spread that doubles with each attempt, at least after (the
// server's Retry-After), at most MaxBackoff.
func (c *Client) backoff(attempt int, after time.Duration) time.Duration {
	lo, hi := c.opts.MinBackoff, c.opts.MaxBackoff
	spread := lo << min(attempt, 20)
	if spread <= 0 || spread > hi {
		spread = hi
	}
	d := max(lo+c.opts.Jitter(spread), after)
	return min(d, hi)
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
