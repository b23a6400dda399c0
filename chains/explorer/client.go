package explorer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/transport"
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

// newTransport sends a Source's requests through o.HTTPClient (a client
// with a 60s timeout by default): o.Rate per second (3 by default),
// retried o.Retries times (5 by default) after backoffs from o.MinBackoff
// (one second by default, the length of a rate-limit window) to
// o.MaxBackoff.
func newTransport(o Options) *transport.Client {
	return transport.New(transport.Options{
		Rate:       cmp.Or(o.Rate, 3),
		Retries:    cmp.Or(o.Retries, 5),
		MinBackoff: cmp.Or(max(o.MinBackoff, 0), time.Second),
		MaxBackoff: o.MaxBackoff,
		MaxBody:    maxBody,
		Secrets:    []string{o.APIKey},
		Send:       cmp.Or(o.HTTPClient, &http.Client{Timeout: time.Minute}).Do,
		Now:        o.Clock,
		Sleep:      o.Sleep,
	})
}

// call sends one API call (module, action and parameters in q), retried as
// the transport's rules and judge say, and returns the answer's result.
// what names the call in errors ("tokentx blocks 1-2 page 3").
func (s *Source) call(ctx context.Context, q url.Values, what string) (json.RawMessage, error) {
	q.Set("chainid", strconv.FormatUint(s.chain.ID(), 10))
	if s.key != "" {
		q.Set("apikey", s.key)
	}
	u := *s.base
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: build request", what)
	}
	req.Header.Set("Accept", "application/json")
	var res json.RawMessage
	_, err = s.http.Fetch(req, func(resp *http.Response, body []byte) error {
		var err error
		res, err = s.judge(resp, body)
		return err
	})
	switch {
	case err == nil:
		return res, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, ErrAPIKey):
		return nil, chains.Invalid(fmt.Errorf("%s: %w", what, err))
	}
	return nil, fmt.Errorf("%s: %w", what, err)
}

// judge is the explorer's classifier: HTTP statuses as the transport
// rules them, then the answer's envelope (classify), where a rate-limit
// answer is retried like a 429.
func (s *Source) judge(resp *http.Response, body []byte) (json.RawMessage, error) {
	if err := transport.CheckStatus(resp, body); err != nil {
		return nil, err
	}
	res, err := s.classify(body)
	if errors.Is(err, errRateLimited) {
		return nil, transport.Retry(err)
	}
	return res, err
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
		if len(a.Result) == 0 {
			return nil, fmt.Errorf("malformed answer (no result): %s", s.scrub(snippet(data)))
		}
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
func (s *Source) scrub(text string) string { return transport.Hide(text, "", s.key) }

// snippet is the start of a body, on one line.
func snippet(b []byte) string { return transport.Snippet(b, 160) }

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
