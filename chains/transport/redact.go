package transport

import (
	"cmp"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
)

// Redact returns rawURL with everything that may be a secret replaced by
// "redacted": user info, every query value, each label of the host name
// and each path segment that looks like an API key (a key as subdomain,
// Infura's /v3/<id>, Alchemy's /v2/<key>, QuickNode's token path). What is
// left names the provider and nothing more, the same way every time
// ("https://mainnet.infura.io/v3/redacted"). Text that is not a URL is
// redacted whole unless it is empty.
func Redact(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "redacted"
	}
	// What is hidden below is hidden wherever else the URL repeats it
	// (a query value that is also a path segment).
	var hidden []string
	for _, s := range urlSecrets(u) {
		if len(s) >= 4 {
			hidden = append(hidden, s)
		}
	}
	slices.SortFunc(hidden, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	u.Host = redactHost(u)
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		q := url.Values{}
		for k, vs := range u.Query() {
			// A bare key (?0123abcd) or one that is not a plain name is
			// itself the secret.
			if !plainName(k) || (len(vs) == 1 && vs[0] == "") || containsAny(k, hidden) {
				k = "redacted"
			}
			q[k] = []string{"redacted"}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment = ""
	u.RawFragment = ""
	if u.Path != "" {
		for _, s := range hidden {
			u.Path = strings.ReplaceAll(u.Path, s, "redacted")
		}
		segs := strings.Split(u.Path, "/")
		for i, s := range segs {
			if looksSecret(s) {
				segs[i] = "redacted"
			}
		}
		u.Path = strings.Join(segs, "/")
		u.RawPath = ""
	}
	return u.String()
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Origin returns the scheme and host of rawURL and nothing of its path,
// query or user info, where providers put keys, with the labels of the
// host name that look like keys redacted as Redact does;
// "(unparsable URL)" when it names no host.
func Origin(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + redactHost(u)
}

// RedactURLs returns text with every http:// and https:// URL in it shown
// as Redact shows it: for names and messages written before their URLs
// were redacted ("rpc https://KEY.example.com" in an older database). A
// URL ends at white space, a quote or an angle bracket; punctuation that
// ends a sentence or closes a bracket after it is kept as it is.
func RedactURLs(text string) string {
	var b strings.Builder
	for {
		i := urlStart(text)
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		text = text[i:]
		end := strings.IndexFunc(text, func(r rune) bool {
			return unicode.IsSpace(r) || strings.ContainsRune("\"'`<>", r)
		})
		if end < 0 {
			end = len(text)
		}
		tok := strings.TrimRight(text[:end], ".,;:!?)]}")
		b.WriteString(Redact(tok))
		text = text[len(tok):]
	}
}

// urlStart is the index of the first "http://" or "https://" in text
// (either case), or -1.
func urlStart(text string) int {
	for i := 0; i+7 <= len(text); i++ {
		if asciiPrefixFold(text[i:], "http://") || asciiPrefixFold(text[i:], "https://") {
			return i
		}
	}
	return -1
}

// asciiPrefixFold reports whether s starts with the lower-case ASCII
// prefix p, in either case.
func asciiPrefixFold(s, p string) bool {
	if len(s) < len(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != p[i] {
			return false
		}
	}
	return true
}

// redactHost is u.Host with each label of its name that looks like a key
// replaced by "redacted"; the port and IP literals are kept.
func redactHost(u *url.URL) string {
	name := u.Hostname()
	if !hostName(name) {
		return u.Host
	}
	labels := strings.Split(name, ".")
	changed := false
	for i, l := range labels {
		if looksSecret(l) {
			labels[i], changed = "redacted", true
		}
	}
	if !changed {
		return u.Host
	}
	host := strings.Join(labels, ".")
	if p := u.Port(); p != "" {
		host += ":" + p
	}
	return host
}

// hostSecrets lists the labels of u's host name that look like keys, as
// given and in lower case (resolvers and TLS errors may quote either).
func hostSecrets(u *url.URL) []string {
	name := u.Hostname()
	if !hostName(name) {
		return nil
	}
	var out []string
	for _, l := range strings.Split(name, ".") {
		if looksSecret(l) {
			out = append(out, l, strings.ToLower(l))
		}
	}
	return out
}

// hostName reports whether name is a host name rather than empty or an IP
// literal, which holds no key.
func hostName(name string) bool {
	return name != "" && !strings.Contains(name, ":") && net.ParseIP(name) == nil
}

// Hide returns text with rawURL (if not empty) shown as Redact shows it,
// and every part of it that Redact hides, and each key, replaced by
// "redacted", wherever text quotes them, whole or query-escaped.
func Hide(text, rawURL string, keys ...string) string {
	var secrets []string
	if rawURL != "" {
		text = strings.ReplaceAll(text, rawURL, Redact(rawURL))
		if u, err := url.Parse(rawURL); err == nil {
			secrets = urlSecrets(u)
		}
	}
	return hide(text, expand(append(secrets, keys...)))
}

// Scrub returns err with its text passed through Hide, keeping err in the
// chain for errors.Is and errors.As; nil stays nil.
func Scrub(err error, rawURL string, keys ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if out := Hide(msg, rawURL, keys...); out != msg {
		return &redactedError{msg: out, err: err}
	}
	return err
}

// redactedError replaces err's text while keeping err in the chain.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// scrub is Scrub for secrets already expanded.
func scrub(err error, secrets []string) error {
	msg := err.Error()
	if out := hide(msg, secrets); out != msg {
		return &redactedError{msg: out, err: err}
	}
	return err
}

func hide(text string, secrets []string) string {
	for _, s := range secrets {
		text = strings.ReplaceAll(text, s, "redacted")
	}
	if !strings.Contains(text, ellipsis) {
		return text
	}
	parts := strings.Split(text, ellipsis)
	for i := range parts[:len(parts)-1] {
		parts[i] = hideCut(parts[i], secrets)
	}
	return strings.Join(parts, ellipsis)
}

// ellipsis ends a Snippet that was cut.
const ellipsis = "…"

// hideCut replaces the start of a secret (4 characters or more) that ends
// head, where a Snippet cut it short.
func hideCut(head string, secrets []string) string {
	for _, s := range secrets {
		for k := len(s) - 1; k >= 4; k-- {
			if strings.HasSuffix(head, s[:k]) {
				return head[:len(head)-k] + "redacted"
			}
		}
	}
	return head
}

// expand adds the escaped forms of secrets and orders them longest first,
// so that a secret containing another is removed whole.
func expand(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		out = append(out, s)
		for _, e := range []string{url.QueryEscape(s), url.PathEscape(s)} {
			if e != s {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(len(b)-len(a), strings.Compare(a, b)) })
	return slices.Compact(out)
}

// secretsOf lists what must not appear in errors about req: the Client's
// Secrets, the labels of req's host name that look like keys (a resolver's
// "lookup <host>: no such host" quotes them) and the keys req carries (see
// Options.Secrets).
func (c *Client) secretsOf(req *http.Request) []string {
	list := append(slices.Clone(c.opts.Secrets), hostSecrets(req.URL)...)
	if c.opts.SecretURL {
		list = append(list, urlSecrets(req.URL)...)
	} else {
		list = append(list, userSecrets(req.URL)...)
		for k, vs := range req.URL.Query() {
			if keyName(k) {
				list = append(list, vs...)
			}
		}
	}
	for k, vs := range req.Header {
		if keyName(k) {
			list = append(list, vs...)
		}
	}
	return expand(list)
}

// keyName reports whether a query parameter or header name says its value
// is a credential ("apikey", "TRON-PRO-API-KEY", "Authorization").
func keyName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"key", "token", "secret", "auth", "passw", "signature", "session", "cookie"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// urlSecrets lists the parts of u that Redact hides.
func urlSecrets(u *url.URL) []string {
	out := append(userSecrets(u), hostSecrets(u)...)
	for k, vs := range u.Query() {
		if !plainName(k) && len(k) >= 4 {
			out = append(out, k)
		}
		for _, v := range vs {
			if len(v) >= 4 {
				out = append(out, v)
			}
		}
	}
	for _, s := range strings.Split(u.Path, "/") {
		if looksSecret(s) {
			out = append(out, s)
		}
	}
	if u.RawQuery != "" {
		out = append(out, u.RawQuery)
	}
	return out
}

// userSecrets lists the user info of u.
func userSecrets(u *url.URL) []string {
	if u.User == nil {
		return nil
	}
	out := []string{u.User.String()}
	if p, ok := u.User.Password(); ok && p != "" {
		out = append(out, p)
	}
	if n := u.User.Username(); len(n) >= 4 {
		out = append(out, n)
	}
	return out
}

// looksSecret reports whether a path segment could be a key or token: it
// holds at least 8 of the characters keys are made of, with a digit among
// them, or at least 24 of them. Other characters are ignored, so a key with
// a stray suffix is still found. Path words such as "rpc", "v3" or
// "eth-mainnet" stay readable.
func looksSecret(s string) bool {
	n, digits := 0, 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
			n++
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-', r == '_', r == '.', r == '=':
			n++
		}
	}
	return (n >= 8 && digits > 0) || n >= 24
}

// plainName reports whether a query key reads like a parameter name
// ("apikey", "api_key", "x-token") rather than a value.
func plainName(k string) bool {
	if k == "" || len(k) > 24 {
		return false
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}
