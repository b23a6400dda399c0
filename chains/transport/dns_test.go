package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
)

// offlineSend sends requests through a real http.Transport whose resolver
// may not reach any DNS server: a name that is not in /etc/hosts fails to
// resolve, quoting it ("lookup NAME …"), and nothing leaves the machine.
// Go's resolver is not told that .invalid names do not exist (RFC 6761):
// left alone, it would ask the system's DNS server.
func offlineSend() func(*http.Request) (*http.Response, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS server in tests")
	}}
	d := &net.Dialer{Resolver: r}
	return (&http.Client{Transport: &http.Transport{DialContext: d.DialContext}}).Do
}

// TestDNSErrorHidesHostKey: a key that is a label of the host name is not
// shown by the error of a name that does not resolve, whether the Client
// knows the URL holds keys (SecretURL, a JSON-RPC provider) or not (an
// explorer, TronGrid), and through an http.Client, whose *url.Error quotes
// the whole URL, as the go-ethereum rpc client calls it.
func TestDNSErrorHidesHostKey(t *testing.T) {
	const key = "k3y0123456789abcdef"
	// A label of 64 characters is no DNS name: Go's resolver says "no such
	// host" without asking anyone.
	long := strings.Repeat("0123456789abcdef", 4)
	for _, c := range []struct {
		name, url string
		opts      Options
		keys      []string
	}{
		{"Explorer", "https://" + key + ".example.invalid/api?module=proxy&apikey=pathkey0123456", Options{}, []string{key, "pathkey0123456"}},
		{"SecretURL", "https://" + key + ".example.invalid/v3/0123456789abcdef0123", Options{SecretURL: true}, []string{key, "0123456789abcdef0123"}},
		{"UpperCase", "https://K3Y0123456789ABCDEF.example.invalid/", Options{}, []string{"K3Y0123456789ABCDEF", "k3y0123456789abcdef"}},
		{"NoSuchHost", "https://" + long + ".example.invalid/", Options{SecretURL: true}, []string{long}},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Send = offlineSend()
			cl := New(c.opts)
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, ferr := cl.Fetch(req, nil)
			// As an http.Client over the Client, the way the rpc client
			// uses it, with the caller scrubbing against its URL.
			_, rerr := (&http.Client{Transport: cl}).Do(req)
			rerr = Scrub(rerr, c.url)
			for _, err := range []error{ferr, rerr} {
				var de *net.DNSError
				if !errors.As(err, &de) {
					t.Fatalf("got %v, want a *net.DNSError in the chain", err)
				}
				msg := err.Error()
				for _, k := range c.keys {
					if strings.Contains(msg, k) {
						t.Errorf("error shows %q: %s", k, msg)
					}
				}
				if !strings.Contains(msg, "lookup redacted.example.invalid") {
					t.Errorf("error %q: want the lookup of redacted.example.invalid", msg)
				}
			}
		})
	}
}

// TestRedactURLs: every URL in a text is shown as Redact shows it, and the
// rest of the text is kept.
func TestRedactURLs(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"rpc https://k3y0123456789abcdef.example.invalid", "rpc https://redacted.example.invalid"},
		{"explorer https://api.etherscan.io (histories) + rpc HTTPS://k3y0123456789abcdef.example.com (receipts)",
			"explorer https://api.etherscan.io (histories) + rpc https://redacted.example.com (receipts)"},
		{`Post "https://mainnet.infura.io/v3/0123456789abcdef0123": refused.`, `Post "https://mainnet.infura.io/v3/redacted": refused.`},
		{"from (http://user:pw@node.example.com:8545/x).", "from (http://redacted@node.example.com:8545/x)."},
		{"file import", "file import"},
		{"only https://", "only redacted"},
		{"İhttps://a1b2c3d4e5f6.example.com", "İhttps://redacted.example.com"},
	} {
		if got := RedactURLs(c.in); got != c.want {
			t.Errorf("RedactURLs(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzRedactURLs: no part of a URL that Redact hides survives in a text
// that quotes the URL.
func FuzzRedactURLs(f *testing.F) {
	f.Add("rpc https://k3y0123456789abcdef.example.invalid/v3/0123456789abcdef0123?x=1", "k3y0123456789abcdef")
	f.Fuzz(func(t *testing.T, text, key string) {
		if !looksSecret(key) || strings.ContainsFunc(key, func(r rune) bool {
			return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-' || r == '_')
		}) {
			return
		}
		for _, raw := range []string{"https://" + key + ".example.com/", "https://example.com/v3/" + key} {
			in := fmt.Sprintf("%s %s %s", text, raw, text)
			out := RedactURLs(in)
			if strings.Contains(out, key) && !strings.Contains(RedactURLs(text), key) {
				t.Fatalf("RedactURLs(%q) = %q keeps %q", in, out, key)
			}
		}
	})
}
