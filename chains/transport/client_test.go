package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// vclock is a virtual clock: Sleep records the wait and moves the clock on.
type vclock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func newClock() *vclock { return &vclock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *vclock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *vclock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.waits = append(c.waits, d)
	return nil
}

func (c *vclock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// virtual returns o driven by clock, with no jitter unless o sets one.
func virtual(o Options, clock *vclock) Options {
	o.Now, o.Sleep = clock.Now, clock.Sleep
	if o.Jitter == nil {
		o.Jitter = func(time.Duration) time.Duration { return 0 }
	}
	return o
}

// flaky answers the statuses in order (with header), then 200 "ok".
func flaky(t *testing.T, statuses []int, header map[string]string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1) - 1)
		if i < len(statuses) {
			for k, v := range header {
				w.Header().Set(k, v)
			}
			w.WriteHeader(statuses[i])
			io.WriteString(w, "busy")
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func get(t *testing.T, ctx context.Context, c *Client, url string, classify Classifier) ([]byte, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Fetch(req, classify)
}

func TestRetryAfter(t *testing.T) {
	for _, c := range []struct {
		name   string
		status int
		header func(now time.Time) string
		max    time.Duration
		want   time.Duration
	}{
		{"Seconds", 429, func(time.Time) string { return "3" }, 0, 3 * time.Second},
		{"HTTPDate", 503, func(now time.Time) string { return now.Add(7 * time.Second).Format(http.TimeFormat) }, 0, 7 * time.Second},
		{"CappedByMaxBackoff", 429, func(time.Time) string { return "120" }, 5 * time.Second, 5 * time.Second},
		{"Unreadable", 503, func(time.Time) string { return "soon" }, 0, 10 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			clock := newClock()
			srv, n := flaky(t, []int{c.status}, map[string]string{"Retry-After": c.header(clock.Now())})
			cl := New(virtual(Options{Retries: 3, MinBackoff: 10 * time.Millisecond, MaxBackoff: c.max}, clock))
			body, err := get(t, context.Background(), cl, srv.URL, nil)
			if err != nil || string(body) != "ok" {
				t.Fatalf("got %q, %v; want ok", body, err)
			}
			if got := clock.slept(); !slices.Equal(got, []time.Duration{c.want}) {
				t.Errorf("waits %v, want [%v]", got, c.want)
			}
			if n.Load() != 2 || cl.Requests() != 2 || cl.Retries() != 1 {
				t.Errorf("server saw %d, client counted %d requests and %d retries; want 2, 2, 1", n.Load(), cl.Requests(), cl.Retries())
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, time.Second
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	t.Run("GrowsAndIsBounded", func(t *testing.T) {
		clock := newClock()
		srv, _ := flaky(t, []int{500, 502, 503, 504, 500}, nil)
		full := func(n time.Duration) time.Duration { return n }
		cl := New(virtual(Options{Retries: 5, MinBackoff: lo, MaxBackoff: hi, Jitter: full}, clock))
		if _, err := get(t, context.Background(), cl, srv.URL, nil); err != nil {
			t.Fatal(err)
		}
		if got, want := clock.slept(), ms(200, 300, 500, 900, 1000); !slices.Equal(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
	})
	t.Run("NoJitterIsTheFloor", func(t *testing.T) {
		clock := newClock()
		srv, _ := flaky(t, []int{500, 500, 500}, nil)
		cl := New(virtual(Options{Retries: 5, MinBackoff: lo, MaxBackoff: hi}, clock))
		if _, err := get(t, context.Background(), cl, srv.URL, nil); err != nil {
			t.Fatal(err)
		}
		if got, want := clock.slept(), ms(100, 100, 100); !slices.Equal(got, want) {
			t.Errorf("waits %v, want %v", got, want)
		}
	})
	t.Run("JitterWithinBounds", func(t *testing.T) {
		clock := newClock()
		srv, _ := flaky(t, []int{500, 500, 500, 500, 500, 500, 500}, nil)
		rng := rand.New(rand.NewPCG(1, 2))
		var spreads []time.Duration
		jitter := func(n time.Duration) time.Duration {
			spreads = append(spreads, n)
			return time.Duration(rng.Int64N(int64(n) + 1))
		}
		cl := New(virtual(Options{Retries: 7, MinBackoff: lo, MaxBackoff: hi, Jitter: jitter}, clock))
		if _, err := get(t, context.Background(), cl, srv.URL, nil); err != nil {
			t.Fatal(err)
		}
		if want := ms(100, 200, 400, 800, 1000, 1000, 1000); !slices.Equal(spreads, want) {
			t.Errorf("jitter spreads %v, want %v", spreads, want)
		}
		waits := clock.slept()
		if len(waits) != 7 {
			t.Fatalf("waits %v, want 7", waits)
		}
		for i, w := range waits {
			if top := min(lo+spreads[i], hi); w < lo || w > top {
				t.Errorf("wait %d is %v, want within [%v, %v]", i, w, lo, top)
			}
		}
		if len(slices.Compact(slices.Clone(waits))) == 1 {
			t.Errorf("waits %v are all the same: no jitter", waits)
		}
	})
	t.Run("GivesUp", func(t *testing.T) {
		clock := newClock()
		srv, n := flaky(t, []int{500, 500, 500, 500}, nil)
		cl := New(virtual(Options{Retries: 2}, clock))
		_, err := get(t, context.Background(), cl, srv.URL, nil)
		var se *StatusError
		if !errors.As(err, &se) || se.Code != 500 || !strings.Contains(err.Error(), "after 3 attempts: http status 500: busy") {
			t.Fatalf("got %v, want a status 500 error after 3 attempts", err)
		}
		if n.Load() != 3 || cl.Requests() != 3 || cl.Retries() != 2 || len(clock.slept()) != 2 {
			t.Errorf("server saw %d, client counted %d requests, %d retries, %d waits; want 3, 3, 2, 2",
				n.Load(), cl.Requests(), cl.Retries(), len(clock.slept()))
		}
	})
	t.Run("NoRetries", func(t *testing.T) {
		clock := newClock()
		srv, n := flaky(t, []int{503}, nil)
		cl := New(virtual(Options{}, clock))
		_, err := get(t, context.Background(), cl, srv.URL, nil)
		if err == nil || err.Error() != "http status 503: busy" || n.Load() != 1 {
			t.Fatalf("got %v after %d requests, want the 503 after 1", err, n.Load())
		}
	})
}

func TestClientErrorNotRetried(t *testing.T) {
	clock := newClock()
	srv, n := flaky(t, []int{404}, nil)
	cl := New(virtual(Options{Retries: 5}, clock))
	_, err := get(t, context.Background(), cl, srv.URL, nil)
	var se *StatusError
	if !errors.As(err, &se) || se.Code != 404 || se.Body != "busy" || Retryable(err) {
		t.Fatalf("got %v, want a final status 404 error", err)
	}
	if n.Load() != 1 || cl.Retries() != 0 || len(clock.slept()) != 0 {
		t.Errorf("server saw %d requests, %d retries, waits %v; want 1, none, none", n.Load(), cl.Retries(), clock.slept())
	}
}

func TestNetworkErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/x?apikey=net-secret-9"
	srv.Close()
	for name, send := range map[string]func(*http.Request) (*http.Response, error){
		"RoundTripper": nil,
		"HTTPClient":   (&http.Client{}).Do,
	} {
		t.Run(name, func(t *testing.T) {
			clock := newClock()
			cl := New(virtual(Options{Retries: 2, Send: send}, clock))
			_, err := get(t, context.Background(), cl, url, nil)
			if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "after 3 attempts") {
				t.Fatalf("got %v, want connection refused after 3 attempts", err)
			}
			if strings.Contains(err.Error(), "net-secret-9") || strings.Contains(err.Error(), "http://") {
				t.Errorf("error quotes the URL: %v", err)
			}
			if cl.Requests() != 3 || len(clock.slept()) != 2 {
				t.Errorf("%d requests, %d waits; want 3 and 2", cl.Requests(), len(clock.slept()))
			}
		})
	}
}

func TestCancel(t *testing.T) {
	t.Run("StopsRetries", func(t *testing.T) {
		srv, n := flaky(t, []int{503, 503, 503, 503}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		sleeps := 0
		cl := New(Options{Retries: 3, Sleep: func(ctx context.Context, d time.Duration) error {
			sleeps++
			cancel()
			return ctx.Err()
		}})
		_, err := get(t, ctx, cl, srv.URL, nil)
		if !errors.Is(err, context.Canceled) || n.Load() != 1 || sleeps != 1 {
			t.Fatalf("got %v after %d requests and %d sleeps, want context.Canceled after 1 and 1", err, n.Load(), sleeps)
		}
	})
	t.Run("BeforeTheFirstAttempt", func(t *testing.T) {
		srv, n := flaky(t, nil, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		cl := New(Options{Retries: 3})
		if _, err := get(t, ctx, cl, srv.URL, nil); !errors.Is(err, context.Canceled) || n.Load() != 0 {
			t.Fatalf("got %v after %d requests, want context.Canceled after none", err, n.Load())
		}
	})
}

func TestRateLimit(t *testing.T) {
	ms := 250 * time.Millisecond
	for _, c := range []struct {
		burst int
		want  []time.Duration
	}{
		{1, []time.Duration{ms, ms, ms, ms}},
		{2, []time.Duration{ms, ms, ms}},
	} {
		clock := newClock()
		srv, _ := flaky(t, nil, nil)
		cl := New(virtual(Options{Rate: 4, Burst: c.burst}, clock))
		for range 5 {
			if _, err := get(t, context.Background(), cl, srv.URL, nil); err != nil {
				t.Fatal(err)
			}
		}
		if got := clock.slept(); !slices.Equal(got, c.want) {
			t.Errorf("burst %d: waits %v, want %v", c.burst, got, c.want)
		}
	}
}

// TestConcurrencyBound: with 3 requests allowed in flight, the server never
// holds more than 3 at once, and does hold 3 while more are waiting.
func TestConcurrencyBound(t *testing.T) {
	const bound, calls = 3, 10
	var inFlight, most atomic.Int64
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		arrived <- struct{}{}
		<-release
		inFlight.Add(-1)
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	cl := New(Options{Concurrency: bound})
	errs := make(chan error, calls)
	for range calls {
		go func() {
			_, err := get(t, context.Background(), cl, srv.URL, nil)
			errs <- err
		}()
	}
	for range bound {
		<-arrived
	}
	for range calls - bound {
		release <- struct{}{}
		<-arrived
	}
	for range bound {
		release <- struct{}{}
	}
	for range calls {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if most.Load() != bound || cl.Requests() != calls {
		t.Errorf("at most %d in flight over %d requests, want %d over %d", most.Load(), cl.Requests(), bound, calls)
	}
}

func TestClassifier(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) {
		case 1:
			io.WriteString(w, `{"status":"0","result":"Max rate limit reached"}`)
		case 2:
			io.WriteString(w, `{"status":"1","result":"42"}`)
		default:
			io.WriteString(w, `{"status":"0","result":"Invalid address"}`)
		}
	}))
	defer srv.Close()
	errInvalid := errors.New("invalid")
	classify := func(resp *http.Response, body []byte) error {
		if err := CheckStatus(resp, body); err != nil {
			return err
		}
		switch {
		case bytes.Contains(body, []byte("rate limit")):
			return Retry(errors.New("rate limited"))
		case bytes.Contains(body, []byte("Invalid")):
			return errInvalid
		}
		return nil
	}
	clock := newClock()
	cl := New(virtual(Options{Retries: 3}, clock))
	body, err := get(t, context.Background(), cl, srv.URL, classify)
	if err != nil || !strings.Contains(string(body), "42") || n.Load() != 2 || len(clock.slept()) != 1 {
		t.Fatalf("got %q, %v after %d requests; want the second answer after one retry", body, err, n.Load())
	}
	if _, err := get(t, context.Background(), cl, srv.URL, classify); !errors.Is(err, errInvalid) || n.Load() != 3 {
		t.Fatalf("got %v after %d requests, want the classifier's error at once", err, n.Load())
	}
}

func TestRoundTrip(t *testing.T) {
	var bodies []string
	var mu sync.Mutex
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		if n.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		io.WriteString(w, "pong")
	}))
	defer srv.Close()
	clock := newClock()
	hc := &http.Client{Transport: New(virtual(Options{Retries: 1}, clock))}
	resp, err := hc.Post(srv.URL, "text/plain", strings.NewReader("ping"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "pong" || resp.ContentLength != 4 {
		t.Errorf("got %q (length %d), want pong", b, resp.ContentLength)
	}
	if !slices.Equal(bodies, []string{"ping", "ping"}) {
		t.Errorf("server read %q, want the request body twice", bodies)
	}
}

func TestMaxBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, strings.Repeat("x", 100))
	}))
	defer srv.Close()
	cl := New(Options{MaxBody: 10})
	if body, err := get(t, context.Background(), cl, srv.URL, nil); err != nil || len(body) != 10 {
		t.Fatalf("got %d bytes, %v; want 10", len(body), err)
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"5", 5 * time.Second}, {" 5 ", 5 * time.Second}, {"-1", 0}, {"soon", 0},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0},
	} {
		if got := retryAfter(c.in, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestSnippet(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"  a\n b\t c ", 10, "a b c"},
		{"abcdef", 3, "abc…"},
		{"añb", 2, "a…"},
	} {
		if got := Snippet([]byte(c.in), c.n); got != c.want {
			t.Errorf("Snippet(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
