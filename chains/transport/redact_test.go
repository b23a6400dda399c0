package transport

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef", "https://mainnet.infura.io/v3/redacted"},
		{"https://eth-mainnet.g.alchemy.com/v2/Xy7_kP2mQ9vL0aBcDeFgHiJkLmNoPqRs", "https://eth-mainnet.g.alchemy.com/v2/redacted"},
		{"https://user:hunter2@node.example.com:8545/", "https://redacted@node.example.com:8545/"},
		{"https://rpc.ankr.com/eth?apikey=s3cr3t&x=1", "https://rpc.ankr.com/eth?apikey=redacted&x=redacted"},
		{"https://long-name.quiknode.pro/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0/", "https://long-name.quiknode.pro/redacted/"},
		{"http://127.0.0.1:8545", "http://127.0.0.1:8545"},
		{"http://localhost:8545/rpc", "http://localhost:8545/rpc"},
		{"https://node.example.com/key/SECRET123/eth-mainnet", "https://node.example.com/key/redacted/eth-mainnet"},
		// A key as a label of the host name.
		{"https://k3y0123456789abcdef.example.invalid/v3/0123456789abcdef0123", "https://redacted.example.invalid/v3/redacted"},
		{"https://0123456789ABCDEF0123456789abcdef.rpc.example.com:8545/", "https://redacted.rpc.example.com:8545/"},
		{"https://user:pw@Xy7kP2mQ9vL0aBcDeFgH.eth.example.com/", "https://redacted@redacted.eth.example.com/"},
		{"http://[::1]:8545/rpc", "http://[::1]:8545/rpc"},
		{"http://10.0.0.12:8545", "http://10.0.0.12:8545"},
		{"//0/aaaaaaaa?aaaaaaaa", "//0/redacted?redacted=redacted"},
		{"not a url with secret", "redacted"},
		{"", ""},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@api.example.com:8443/v2/secret-path?apikey=k": "https://api.example.com:8443",
		"ftp://host/key-in-path-abc":                                   "ftp://host",
		"https://k3y0123456789abcdef.example.invalid:443/v3/x":         "https://redacted.example.invalid:443",
		"https://mainnet.infura.io/v3/0123456789abcdef0123":            "https://mainnet.infura.io",
		"not a url": "(unparsable URL)",
		"":          "(unparsable URL)",
	} {
		if got := Origin(in); got != want {
			t.Errorf("Origin(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScrubKeepsErrorChain(t *testing.T) {
	raw := "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"
	sentinel := errors.New("boom")
	err := Scrub(fmt.Errorf(`Post "%s": %w`, raw, sentinel), raw)
	if strings.Contains(err.Error(), "0123456789abcdef0123456789abcdef") {
		t.Fatalf("secret left in %q", err)
	}
	if !strings.Contains(err.Error(), "mainnet.infura.io") {
		t.Errorf("host lost from %q", err)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("scrubbed error no longer matches its cause")
	}
	// The escaped form of a secret, quoted in pieces, is removed too.
	raw = "https://node.example.com/rpc?key=abc%2Fdef123"
	err = Scrub(errors.New("bad key abc/def123 for node.example.com"), raw)
	if strings.Contains(err.Error(), "abc/def123") {
		t.Errorf("secret left in %q", err)
	}
	if Scrub(nil, raw) != nil {
		t.Errorf("Scrub(nil) is not nil")
	}
	if e := errors.New("nothing secret"); Scrub(e, raw) != e {
		t.Errorf("an error without secrets was wrapped")
	}
}

func TestHide(t *testing.T) {
	const key = "k3y/with+chars"
	for _, text := range []string{"rejected " + key, "rejected " + url.QueryEscape(key), "rejected " + url.PathEscape(key)} {
		if got := Hide(text, "", key); got != "rejected redacted" {
			t.Errorf("Hide(%q) = %q, want the key hidden", text, got)
		}
	}
	// A snippet that cut a key short leaves no start of it either.
	if got := Hide("answer: refused k3y/wi…", "", key); got != "answer: refused redacted…" {
		t.Errorf("Hide kept the start of a cut key: %q", got)
	}
	if got := Hide("no key here", ""); got != "no key here" {
		t.Errorf("Hide without secrets changed the text: %q", got)
	}
}

// TestErrorsHideKeys: whatever a server echoes, an error shows none of the
// keys a request carries, and still names the host.
func TestErrorsHideKeys(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		u, p, _ := r.BasicAuth()
		fmt.Fprintf(w, "refused %s %s?%s header=%s user=%s:%s explicit=%s escaped=%s",
			r.Host, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Api-Key"), u, p, "explicit-secret-4", url.QueryEscape("qry/secret+2"))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, c := range []struct {
		name    string
		url     string
		opts    Options
		secrets []string
	}{
		{"HeadersQueryUser", "http://user1:pass-secret-3@" + host + "/api?module=account&apikey=" + url.QueryEscape("qry/secret+2"),
			Options{Secrets: []string{"explicit-secret-4"}}, []string{"hdr-secret-1", "qry/secret+2", "qry%2Fsecret%2B2", "pass-secret-3", "explicit-secret-4"}},
		{"SecretURL", srv.URL + "/v3/0123456789abcdef0123456789abcdef?x=longvalue9",
			Options{SecretURL: true}, []string{"hdr-secret-1", "0123456789abcdef0123456789abcdef", "longvalue9"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := newClock()
			c.opts.Retries = 1
			cl := New(virtual(c.opts, clock))
			req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, c.url, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("X-Api-Key", "hdr-secret-1")
			_, err = cl.Fetch(req, nil)
			var se *StatusError
			if !errors.As(err, &se) || se.Code != http.StatusBadGateway {
				t.Fatalf("got %v, want a status 502 error", err)
			}
			msg := err.Error()
			for _, s := range c.secrets {
				if strings.Contains(msg, s) {
					t.Errorf("error shows %q: %s", s, msg)
				}
			}
			if !strings.Contains(msg, host) || !strings.Contains(msg, "redacted") {
				t.Errorf("error %q: want the host named and the keys redacted", msg)
			}
		})
	}
}

func TestKeyName(t *testing.T) {
	for name, want := range map[string]bool{
		"apikey": true, "TRON-PRO-API-KEY": true, "Authorization": true, "access_token": true, "X-Secret": true,
		"module": false, "fingerprint": false, "Accept": false, "Content-Type": false, "only_confirmed": false,
	} {
		if got := keyName(name); got != want {
			t.Errorf("keyName(%q) = %v, want %v", name, got, want)
		}
	}
}

// FuzzRedact: no query value, password or key-like path segment of a URL
// survives in its redacted form.
func FuzzRedact(f *testing.F) {
	f.Add("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef")
	f.Add("https://u:p4ssw0rd@h.example/x?k=v4lue")
	f.Add("http://127.0.0.1:8545")
	f.Fuzz(func(t *testing.T, raw string) {
		red := Redact(raw)
		u, err := url.Parse(raw)
		// Judge the text a reader sees: escapes like %20 could otherwise
		// join characters into a run that was never in the URL.
		shown, uerr := url.PathUnescape(red)
		if uerr != nil {
			shown = red
		}
		if err != nil || u.Host == "" {
			if raw != "" && red != "redacted" {
				t.Fatalf("Redact(%q) = %q for a non-URL", raw, red)
			}
			return
		}
		for _, s := range urlSecrets(u) {
			if len(s) >= 8 && s != "redacted" && !strings.Contains(Redact("http://"+u.Host), s) && strings.Contains(shown, s) {
				t.Fatalf("Redact(%q) = %q keeps %q", raw, red, s)
			}
		}
	})
}
