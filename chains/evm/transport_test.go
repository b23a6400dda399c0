package evm

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"freezetrace/chains"
)

// flaky answers with the statuses in order, then 200 with a JSON body.
func flaky(t *testing.T, statuses []int, header map[string]string) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1) - 1
		if int(i) < len(statuses) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(statuses[i])
			io.WriteString(w, "busy")
			return
		}
		io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":"0x1"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func post(t *testing.T, tr *Transport, url string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`))
	if err != nil {
		t.Fatal(err)
	}
	return tr.RoundTrip(req)
}

func recordSleeps(waits *[]time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error {
		*waits = append(*waits, d)
		return ctx.Err()
	}
}

func TestTransportRetries(t *testing.T) {
	t.Run("RetryAfterSeconds", func(t *testing.T) {
		srv, n := flaky(t, []int{429, 429}, map[string]string{"Retry-After": "3"})
		var waits []time.Duration
		tr := NewTransport(nil, TransportOptions{Sleep: recordSleeps(&waits)})
		resp, err := post(t, tr, srv.URL)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("got %v %v, want 200", resp, err)
		}
		if n.Load() != 3 || tr.Requests() != 3 || tr.Retries() != 2 {
			t.Errorf("server saw %d, transport counted %d requests and %d retries; want 3, 3, 2", n.Load(), tr.Requests(), tr.Retries())
		}
		for _, w := range waits {
			if w < 3*time.Second {
				t.Errorf("waited %v, want at least the 3s of Retry-After", w)
			}
		}
	})
	t.Run("RetryAfterDate", func(t *testing.T) {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		srv, _ := flaky(t, []int{503}, map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)})
		var waits []time.Duration
		tr := NewTransport(nil, TransportOptions{Sleep: recordSleeps(&waits), Now: func() time.Time { return now }})
		if _, err := post(t, tr, srv.URL); err != nil {
			t.Fatal(err)
		}
		if len(waits) != 1 || waits[0] < 7*time.Second {
			t.Errorf("waits %v, want one of at least 7s", waits)
		}
	})
	t.Run("BackoffGrowsAndIsCapped", func(t *testing.T) {
		srv, _ := flaky(t, []int{500, 502, 503, 504, 500}, nil)
		var waits []time.Duration
		tr := NewTransport(nil, TransportOptions{MinBackoff: 100 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, Sleep: recordSleeps(&waits)})
		if _, err := post(t, tr, srv.URL); err != nil {
			t.Fatal(err)
		}
		if len(waits) != 5 {
			t.Fatalf("waits %v, want 5", waits)
		}
		for _, w := range waits {
			if w > 300*time.Millisecond {
				t.Errorf("wait %v above MaxBackoff", w)
			}
		}
	})
	t.Run("GivesUp", func(t *testing.T) {
		srv, n := flaky(t, []int{500, 500, 500, 500}, nil)
		var waits []time.Duration
		tr := NewTransport(nil, TransportOptions{Retries: 2, Sleep: recordSleeps(&waits)})
		_, err := post(t, tr, srv.URL)
		if err == nil || !strings.Contains(err.Error(), "after 3 attempts") || !strings.Contains(err.Error(), "500") {
			t.Fatalf("got %v, want a failure after 3 attempts naming the 500", err)
		}
		if n.Load() != 3 {
			t.Errorf("server saw %d requests, want 3", n.Load())
		}
	})
	t.Run("ClientErrorNotRetried", func(t *testing.T) {
		srv, n := flaky(t, []int{401}, nil)
		tr := NewTransport(nil, TransportOptions{})
		resp, err := post(t, tr, srv.URL)
		if err != nil || resp.StatusCode != 401 || n.Load() != 1 {
			t.Fatalf("got %v %v after %d requests, want the 401 after 1", resp, err, n.Load())
		}
	})
	t.Run("TruncatedJSONRetried", func(t *testing.T) {
		var n atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 {
				io.WriteString(w, `{"jsonrpc":"2.0","id":1,"resu`)
				return
			}
			io.WriteString(w, `{"jsonrpc":"2.0","id":1,"result":"0x1"}`)
		}))
		defer srv.Close()
		var waits []time.Duration
		tr := NewTransport(nil, TransportOptions{Sleep: recordSleeps(&waits)})
		resp, err := post(t, tr, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if !strings.Contains(string(b), `"result":"0x1"`) || n.Load() != 2 {
			t.Fatalf("got %q after %d requests", b, n.Load())
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		srv, _ := flaky(t, []int{500, 500, 500}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		tr := NewTransport(nil, TransportOptions{Sleep: func(context.Context, time.Duration) error { cancel(); return context.Canceled }})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL, strings.NewReader("{}"))
		if _, err := tr.RoundTrip(req); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
	})
}

func TestTransportRateLimit(t *testing.T) {
	srv, _ := flaky(t, nil, nil)
	tr := NewTransport(nil, TransportOptions{Rate: 20, Burst: 1})
	start := time.Now()
	for range 5 {
		if _, err := post(t, tr, srv.URL); err != nil {
			t.Fatal(err)
		}
	}
	// 5 requests at 20/s with a burst of 1 take at least 4 intervals of 50ms.
	if d := time.Since(start); d < 190*time.Millisecond {
		t.Errorf("5 requests at 20/s took %v, want at least 200ms", d)
	}
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
