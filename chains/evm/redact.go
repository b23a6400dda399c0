package evm

import (
	"net/url"
	"strings"
)

// Redact returns rawURL with everything that may be a secret replaced by
// "redacted": user info, every query value, and each path segment that
// looks like an API key (Infura's /v3/<id>, Alchemy's /v2/<key>, QuickNode's
// token path). What is left names the provider and nothing more. Text that
// is not a URL is redacted whole unless it is empty.
func Redact(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "redacted"
	}
	if u.User != nil {
		u.User = url.User("redacted")
	}
	if u.RawQuery != "" {
		q := url.Values{}
		for k, vs := range u.Query() {
			// A bare key (?0123abcd) or one that is not a plain name is
			// itself the secret.
			if !plainName(k) || (len(vs) == 1 && vs[0] == "") {
				k = "redacted"
			}
			q[k] = []string{"redacted"}
		}
		u.RawQuery = q.Encode()
	}
	u.Fragment = ""
	u.RawFragment = ""
	if u.Path != "" {
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

// redactedError replaces every occurrence of secret in err's text while
// keeping err in the chain for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// scrub returns err with rawURL (and its unescaped form) replaced by its
// redacted form; nil stays nil.
func scrub(err error, rawURL string) error {
	if err == nil || rawURL == "" {
		return err
	}
	msg := err.Error()
	red := Redact(rawURL)
	out := strings.ReplaceAll(msg, rawURL, red)
	if u, perr := url.Parse(rawURL); perr == nil {
		for _, s := range secretsOf(u) {
			out = strings.ReplaceAll(out, s, "redacted")
		}
	}
	if out == msg {
		return err
	}
	return &redactedError{msg: out, err: err}
}

// secretsOf lists the parts of u that Redact hides, longest first, so that
// they can be removed from any text that quotes them in pieces.
func secretsOf(u *url.URL) []string {
	var out []string
	if u.User != nil {
		out = append(out, u.User.String())
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p)
		}
		if n := u.User.Username(); len(n) >= 4 {
			out = append(out, n)
		}
	}
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
	// Longest first, so a secret that contains another is removed whole.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
