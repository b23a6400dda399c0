// Package transport sends the HTTP requests of the network adapters (EVM
// JSON-RPC, Etherscan-style explorers, TronGrid): one Client that spaces
// requests with a token bucket, bounds how many are in flight, retries
// transient failures (429, 408, 5xx, resets, refused connections, timeouts,
// bodies cut short) with exponential backoff and jitter, honours
// Retry-After in seconds or as an HTTP date, counts what it sends, and keeps
// keys out of every error it returns.
//
// What an answer means is the adapter's business: a Classifier reads each
// answer and says whether it is good, worth another try (Retry) or final.
// CheckStatus is the rule for HTTP statuses that adapters build on; a
// JSON-RPC node's truncated bodies or an explorer's "rate limit" answers
// with status 200 are rules of their own adapters.
//
// A Client is an http.RoundTripper, for libraries that take an
// http.Client, and has Fetch, which returns the accepted answer's body.
// Redact, RedactURLs, Hide and Scrub remove keys from URLs and texts that
// may quote them, a key in the host name included.
//
// This package depends on the standard library and golang.org/x/time/rate
// only; it knows nothing of chains, storage or tracing, and it never logs.
package transport
