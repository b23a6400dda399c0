package explorer

import (
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
	"time"

	"freezetrace/chains"
)

// maxBody bounds how much of one answer is read.
const maxBody = 64 << 20

// ErrAPIKey means the explorer refused the API key (missing or invalid).
// The error carrying it is a chains.InputError and never contains the key.
var ErrAPIKey = errors.New("the explorer refused the API key")

// KeyHint tells the user how to give a key.
const KeyHint = "set a valid key with --etherscan-key or ETHERSCAN_API_KEY / FREEZETRACE_ETHERSCAN_KEY"

var (
	// errRateLimited is a rate-limit answer; it is retried.
	errRateLimited = errors.New("rate limit reached")
	// errWindow is the "result window is too large" answer.
	errWindow = errors.New("result window is too large")
)

// answer is the envelope of every explorer answer: the account and block
// modules' {status, message, result} and the proxy module's JSON-RPC form.
type answer struct {
	Status  string          `json:"status"`
	Message string          `json:"message"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// apiError is an answer the explorer gave on purpose: a NOTOK, a JSON-RPC
// error.
type apiError struct{ msg string }

func (e *apiError) Error() string { return e.msg }

// statusError is an HTTP failure.
type statusError struct {
	code       int
	body       string
	retryAfter time.Duration
}

func (e *statusError) Error() string {
	if e.body == "" {
		return fmt.Sprintf("http status %d", e.code)
	}
	return fmt.Sprintf("http status %d: %s", e.code, e.body)
}

// transportError is a failure to get any answer: refused, reset, timed out.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func retryable(err error) bool {
	if errors.Is(err, errRateLimited) {
		return true
	}
	var se *statusError
	if errors.As(err, &se) {
		return se.code == http.StatusTooManyRequests || se.code >= 500
	}
	var te *transportError
	return errors.As(err, &te) && !errors.Is(err, context.Canceled)
}

// call sends one API call (module, action and parameters in q), retrying
// what can be retried, and returns the answer's result. what names the call
// in errors ("tokentx blocks 1-2 page 3").
func (s *Source) call(ctx context.Context, q url.Values, what string) (json.RawMessage, error) {
	q.Set("chainid", strconv.FormatUint(s.chain.ID(), 10))
	if s.key != "" {
		q.Set("apikey", s.key)
	}
	u := *s.base
	u.RawQuery = q.Encode()
	var last error
	for attempt := 0; ; attempt++ {
		if err := s.wait(ctx); err != nil {
			return nil, err
		}
		res, err := s.once(ctx, u.String())
		if err == nil {
			return res, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		last = err
		if !retryable(err) || attempt >= s.retries {
			break
		}
		var ra time.Duration
		var se *statusError
		if errors.As(err, &se) {
			ra = se.retryAfter
		}
		if err := s.sleep(ctx, s.backoff(attempt, ra)); err != nil {
			return nil, err
		}
	}
	if errors.Is(last, ErrAPIKey) {
		return nil, chains.Invalid(fmt.Errorf("%s: %w", what, last))
	}
	if retryable(last) {
		return nil, fmt.Errorf("%s: giving up after %d retries: %w", what, s.retries, last)
	}
	return nil, fmt.Errorf("%s: %w", what, last)
}

// once sends one request and classifies its answer.
func (s *Source) once(ctx context.Context, u string) (json.RawMessage, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, errors.New("build request")
	}
	req.Header.Set("Accept", "application/json")
	s.requests.Add(1)
	resp, err := s.hc.Do(req)
	if err != nil {
		// *url.Error repeats the whole URL, apikey included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &transportError{err: errors.New(s.scrub(err.Error()))}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &transportError{err: errors.New(s.scrub(err.Error()))}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &statusError{code: resp.StatusCode, body: s.scrub(snippet(data)),
			retryAfter: s.retryAfter(resp.Header.Get("Retry-After"))}
	}
	return s.classify(data)
}

// classify reads an answer body: the result of a good answer, or the error
// the explorer meant.
func (s *Source) classify(data []byte) (json.RawMessage, error) {
	var a answer
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("malformed answer (%s): %s", shortJSONError(err), s.scrub(snippet(data)))
	}
	if a.Error != nil {
		return nil, s.failure(a.Error.Message, "")
	}
	text := resultText(a.Result)
	switch a.Status {
	case "1":
		return a.Result, nil
	case "0":
		if isEmptyList(a.Result) {
			return json.RawMessage("[]"), nil
		}
		if text == "" && len(a.Result) > 0 && a.Result[0] == '[' {
			return a.Result, nil
		}
		if err := s.failure(a.Message, text); !errors.Is(err, errNoRows) {
			return nil, err
		}
		return json.RawMessage("[]"), nil
	}
	// The proxy module's JSON-RPC answers carry no status; an error there
	// is a bare string where a hex value or an object was due.
	if text != "" && !strings.HasPrefix(text, "0x") && !strings.HasPrefix(text, "0X") {
		return nil, s.failure(a.Message, text)
	}
	if len(a.Result) == 0 {
		return nil, fmt.Errorf("malformed answer (no result): %s", s.scrub(snippet(data)))
	}
	return a.Result, nil
}

// failure turns a NOTOK answer into the matching error.
func (s *Source) failure(message, result string) error {
	all := strings.ToLower(message + " " + result)
	msg := strings.TrimSpace(message)
	if result != "" {
		if msg != "" {
			msg += ": "
		}
		msg += result
	}
	msg = s.scrub(msg)
	switch {
	case strings.Contains(all, "rate limit"):
		s.rateLimited.Add(1)
		return fmt.Errorf("%w (%s)", errRateLimited, msg)
	case strings.Contains(all, "api key") || strings.Contains(all, "apikey"):
		return fmt.Errorf("%w (%s): %s", ErrAPIKey, msg, KeyHint)
	case strings.Contains(all, "result window is too large"):
		return fmt.Errorf("%w (%s)", errWindow, msg)
	case strings.Contains(all, "no transactions found"), strings.Contains(all, "no records found"):
		return errNoRows
	}
	if msg == "" {
		msg = "NOTOK without a message"
	}
	return &apiError{msg: msg}
}

// errNoRows is an empty answer whose result was not an empty list.
var errNoRows = errors.New("no rows")

func resultText(r json.RawMessage) string {
	var s string
	if len(r) > 0 && r[0] == '"' && json.Unmarshal(r, &s) == nil {
		return s
	}
	return ""
}

func isEmptyList(r json.RawMessage) bool {
	t := strings.TrimSpace(string(r))
	return t == "[]" || t == "null" || t == ""
}

// shortJSONError names what is wrong with a body without quoting Go types.
func shortJSONError(err error) string {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || strings.Contains(err.Error(), "unexpected end of JSON"):
		return "truncated JSON"
	case errors.As(err, &se):
		return fmt.Sprintf("bad JSON at byte %d", se.Offset)
	}
	return "unexpected JSON shape"
}

// scrub removes the API key from text that came from outside.
func (s *Source) scrub(text string) string {
	if s.key == "" {
		return text
	}
	text = strings.ReplaceAll(text, s.key, "[redacted]")
	if esc := url.QueryEscape(s.key); esc != s.key {
		text = strings.ReplaceAll(text, esc, "[redacted]")
	}
	return text
}

// snippet is the start of a body, on one line.
func snippet(b []byte) string {
	t := strings.Join(strings.Fields(string(b)), " ")
	if len(t) > 160 {
		t = t[:160] + "…"
	}
	return t
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func (s *Source) retryAfter(h string) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(s.now()); d > 0 {
			return d
		}
	}
	return 0
}

// backoff is the wait before retry number attempt+1: at least minBackoff
// (a rate-limit window is one second), plus jitter that doubles with each
// attempt, at least the server's Retry-After, at most maxBackoff.
func (s *Source) backoff(attempt int, retryAfter time.Duration) time.Duration {
	spread := s.minBackoff << min(attempt, 16)
	if spread <= 0 || spread > s.maxBackoff {
		spread = s.maxBackoff
	}
	d := s.minBackoff + rand.N(spread+1)
	d = max(d, retryAfter)
	return min(d, s.maxBackoff)
}

// wait spaces requests at least interval apart, across every call of s.
func (s *Source) wait(ctx context.Context) error {
	if s.interval <= 0 {
		return ctx.Err()
	}
	s.lmu.Lock()
	now := s.now()
	at := s.next
	if at.Before(now) {
		at = now
	}
	s.next = at.Add(s.interval)
	s.lmu.Unlock()
	return s.sleep(ctx, at.Sub(now))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
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

// proxy makes a proxy-module call and decodes its result into out; it
// reports false when the result is null.
func (s *Source) proxy(ctx context.Context, action string, params url.Values, out any) (bool, error) {
	q := url.Values{"module": {"proxy"}, "action": {action}}
	for k, v := range params {
		q[k] = v
	}
	res, err := s.call(ctx, q, action)
	if err != nil {
		return false, err
	}
	if strings.TrimSpace(string(res)) == "null" {
		return false, nil
	}
	if err := json.Unmarshal(res, out); err != nil {
		return false, fmt.Errorf("%s: malformed result (%s): %s", action, shortJSONError(err), s.scrub(snippet(res)))
	}
	return true, nil
}
