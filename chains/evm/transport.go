package evm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"freezetrace/chains/transport"
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
	MinBackoff  time.Duration // shortest backoff
	MaxBackoff  time.Duration // longest wait, Retry-After included
	Rate        float64       // requests per second; 0 for no limit
	Burst       int           // requests allowed at once above Rate; default 1
	Concurrency int           // requests in flight at most

	// Sleep waits for d or until ctx ends; nil for a real timer. Tests
	// inject one that records the waits.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of the rate limit and of Retry-After dates; nil for
	// time.Now.
	Now func() time.Time
}

// Transport is the http.RoundTripper under a Source's rpc client (see
// NewTransport).
type Transport struct {
	*transport.Client
	opts TransportOptions // as NewTransport completed them
}

// NewTransport returns a Transport for JSON-RPC over base
// (http.DefaultTransport when nil). It retries transient failures (429,
// 408, 5xx, timeouts, connection resets, truncated or non-JSON bodies) with
// exponential backoff and jitter, honours Retry-After, limits the request
// rate and the number of requests in flight, and counts what it sends.
// Other refusals (401, 404, …) are handed to the rpc client, which reports
// them. The endpoint's keys never appear in its errors.
func NewTransport(base http.RoundTripper, o TransportOptions) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	if o.Retries == 0 {
		o.Retries = 5
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	c := transport.New(transport.Options{
		Retries:     o.Retries,
		MinBackoff:  o.MinBackoff,
		MaxBackoff:  o.MaxBackoff,
		Rate:        o.Rate,
		Burst:       o.Burst,
		Concurrency: o.Concurrency,
		Classify:    classifyRPC,
		SecretURL:   true,
		Send:        base.RoundTrip,
		Now:         o.Now,
		Sleep:       o.Sleep,
	})
	return &Transport{Client: c, opts: o}
}

// classifyRPC judges a JSON-RPC answer: transient HTTP statuses are
// retried, other refusals go to the rpc client as they are, and a 2xx body
// that is not whole JSON (cut short by a proxy) is retried.
func classifyRPC(resp *http.Response, body []byte) error {
	if err := transport.CheckStatus(resp, body); err != nil {
		if transport.Retryable(err) {
			return err
		}
		return nil
	}
	if !json.Valid(body) {
		return transport.Retry(fmt.Errorf("response is not complete JSON (%d bytes)", len(body)))
	}
	return nil
}

// Redact returns rawURL with everything that may be a secret replaced by
// "redacted" (see transport.Redact): what is left names the provider and
// nothing more.
func Redact(rawURL string) string { return transport.Redact(rawURL) }

// scrub returns err with rawURL and its secret parts redacted, keeping err
// in the chain for errors.Is and errors.As; nil stays nil.
func scrub(err error, rawURL string) error { return transport.Scrub(err, rawURL) }
