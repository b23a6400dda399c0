package transport_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"freezetrace/chains/transport"
)

// Fetch an answer from a server that is busy at first: the 503 is retried
// after a backoff, and the error of a call that fails never shows the key.
func ExampleClient_Fetch() {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		if r.URL.Query().Get("apikey") != "right-key" {
			http.Error(w, "invalid key "+r.URL.Query().Get("apikey"), http.StatusUnauthorized)
			return
		}
		io.WriteString(w, "42")
	}))
	defer srv.Close()

	c := transport.New(transport.Options{Retries: 3, MinBackoff: time.Millisecond, Rate: 100})
	for _, key := range []string{"right-key", "wrong-key"} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api?apikey="+key, nil)
		body, err := c.Fetch(req, nil)
		fmt.Printf("%q %v\n", body, err)
	}
	fmt.Println(c.Requests(), "requests,", c.Retries(), "retry")
	// Output:
	// "42" <nil>
	// "" http status 401: invalid key redacted
	// 3 requests, 1 retry
}
