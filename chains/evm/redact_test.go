package evm

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
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
		{"not a url with secret", "redacted"},
		{"", ""},
	} {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestScrubKeepsErrorChain(t *testing.T) {
	raw := "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef"
	sentinel := errors.New("boom")
	err := scrub(fmt.Errorf(`Post "%s": %w`, raw, sentinel), raw)
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
	err = scrub(errors.New("bad key abc/def123 for node.example.com"), raw)
	if strings.Contains(err.Error(), "abc/def123") {
		t.Errorf("secret left in %q", err)
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
		for _, s := range secretsOf(u) {
			if len(s) >= 8 && s != "redacted" && !strings.Contains(Redact("http://"+u.Host), s) && strings.Contains(shown, s) {
				t.Fatalf("Redact(%q) = %q keeps %q", raw, red, s)
			}
		}
	})
}

// TestErrorsNeverShowTheKey: a node that cannot be reached yields an error
// naming the host but not the key in the URL's path or query.
func TestErrorsNeverShowTheKey(t *testing.T) {
	for _, raw := range []string{
		"http://127.0.0.1:1/v3/0123456789abcdef0123456789abcdef",
		"http://user:s3cretpass@127.0.0.1:1/rpc?apikey=topsecretvalue",
	} {
		s, err := Dial(context.Background(), raw, chains.Ethereum, Options{Transport: TransportOptions{
			Retries: 1, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Head(context.Background(), chains.Ethereum)
		s.Close()
		if err == nil {
			t.Fatalf("%s: no error from a closed port", Redact(raw))
		}
		for _, secret := range []string{"0123456789abcdef0123456789abcdef", "s3cretpass", "topsecretvalue"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error shows a secret: %v", err)
			}
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("error does not name the host: %v", err)
		}
	}
}
