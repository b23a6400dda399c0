package tron

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/transport"
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
	// Wrappers are the native-coin wrappers whose Deposit and Withdrawal
	// events TxEvents reads as wraps and unwraps; nil means mainnet's WTRX
	// (TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR), an empty slice none. The same
	// event names from any other contract are not read.
	Wrappers []chains.Address
	// HTTPClient sends the requests; nil means a client with a 60s timeout.
	HTTPClient *http.Client
	// Now is the clock of the rate limit and of Retry-After dates; nil
	// means time.Now.
	Now func() time.Time
}

// client sends TronGrid requests through a retrying, rate-limited
// transport that counts them.
type client struct {
	base *url.URL
	key  string
	http *transport.Client
}

func newClient(o Options) (*client, error) {
	raw := o.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("trongrid base URL: want http(s)://host[/path], got %q", transport.Origin(raw))
	}
	return &client{base: u, key: o.APIKey, http: transport.New(transport.Options{
		Rate:       cmp.Or(o.RateLimit, 15),
		Retries:    cmp.Or(o.MaxRetries, 6),
		MinBackoff: cmp.Or(max(o.MinBackoff, 0), 500*time.Millisecond),
		MaxBackoff: o.MaxBackoff,
		MaxBody:    maxBody,
		Secrets:    []string{o.APIKey},
		Send:       cmp.Or(o.HTTPClient, &http.Client{Timeout: time.Minute}).Do,
		Now:        o.Now,
	})}, nil
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

// do sends one call, retried as the transport's rules say (429, 5xx, no
// answer), and decodes a 200 answer into out. Errors name the method and
// path, never the base URL or the key.
func (c *client) do(ctx context.Context, method, path string, q url.Values, body []byte, out any) error {
	u := *c.base
	u.Path = c.base.Path + path
	u.RawQuery = q.Encode()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return fmt.Errorf("%s %s: build request", method, path)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.key != "" {
		req.Header.Set(KeyHeader, c.key)
	}
	data, err := c.http.Fetch(req, nil)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, path, err)
	}
	return nil
}

// scrub is err with the API key hidden wherever an answer quoted it, whole,
// escaped or cut short; nil stays nil.
func (c *client) scrub(err error) error { return transport.Scrub(err, "", c.key) }

// unserved reports whether err is the node answering that it has no such
// endpoint (404 or 405): an older java-tron.
func unserved(err error) bool {
	var se *transport.StatusError
	return errors.As(err, &se) && (se.Code == http.StatusNotFound || se.Code == http.StatusMethodNotAllowed)
}

// snippet is the start of an answer, on one line.
func snippet(b []byte) string { return transport.Snippet(b, 200) }
