package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Classifier judges one answer, read in full: nil accepts it, an error
// marked with Retry asks for another attempt (while retries last), any
// other error ends the call with that error. resp.Body holds body again, so
// an accepted answer can be read as usual.
type Classifier func(resp *http.Response, body []byte) error

// retryError marks a failure worth another attempt.
type retryError struct{ err error }

func (e *retryError) Error() string { return e.err.Error() }
func (e *retryError) Unwrap() error { return e.err }

// Retry marks err as transient: the Client tries again. nil stays nil.
func Retry(err error) error {
	if err == nil {
		return nil
	}
	return &retryError{err}
}

// Retryable reports whether err, or an error it wraps, was marked with
// Retry.
func Retryable(err error) bool {
	var re *retryError
	return errors.As(err, &re)
}

// StatusError is an answer whose HTTP status is not 2xx.
type StatusError struct {
	Code int
	// Body is the start of the answer on one line (Snippet); the error's
	// text shows it without secrets.
	Body string
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("http status %d", e.Code)
	}
	return fmt.Sprintf("http status %d: %s", e.Code, e.Body)
}

// CheckStatus is the rule for HTTP statuses: a 2xx answer is accepted, 429
// (too many requests), 408 (request timeout) and 5xx are retried as a
// *StatusError, and any other status ends the call with one.
func CheckStatus(resp *http.Response, body []byte) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := &StatusError{Code: code, Body: Snippet(body, 200)}
	if code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code >= 500 {
		return Retry(err)
	}
	return err
}

// Snippet is the start of an answer body for an error message: on one
// line, at most n bytes and an ellipsis.
func Snippet(b []byte, n int) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; 0 when
// absent, unreadable or past.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
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

// sendError is the error of an attempt that got no answer: without the
// URL an *url.Error repeats, and marked with Retry when the next attempt
// may get one.
func sendError(err error) error {
	if transient(err) {
		return Retry(bare(err))
	}
	return bare(err)
}

// bare drops the *url.Error around err: it quotes the whole URL, keys and
// all.
func bare(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// transient reports whether a failure to get an answer may go away on
// retry: a reset, refused or unreachable connection, a body cut short, a
// timeout.
func transient(err error) bool {
	var ne net.Error
	var de *net.DNSError
	switch {
	case errors.Is(err, context.Canceled):
		return false
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, context.DeadlineExceeded):
		return true
	case errors.As(err, &de):
		return de.IsTimeout || de.IsTemporary
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}
