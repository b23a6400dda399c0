package evm_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// fault is what the proxy does to one request instead of passing it on.
type fault int

const (
	pass       fault = iota
	tooMany          // 429 with Retry-After: 2
	serverErr        // 500
	reset            // the connection is reset before any answer
	truncate         // the node's answer is cut in half
	badLogHash       // eth_getLogs answers carry a block hash that is not the header's
)

// rpcReq is the part of a JSON-RPC request the proxy looks at.
type rpcReq struct {
	Method string            `json:"method"`
	Params []json.RawMessage `json:"params"`
}

// proxy is a counting, fault-injecting reverse proxy in front of a node,
// on 127.0.0.1.
type proxy struct {
	URL      string
	upstream string

	mu       sync.Mutex
	requests int            // HTTP requests seen
	methods  map[string]int // JSON-RPC calls seen, by method
	wide     int            // eth_getLogs calls wider than rangeCap blocks
	seen     map[string]int // how often each exact body was sent before
	// fault decides, for the n-th request (1-based), the methods it carries
	// and how often the same body came before (retries), what to do; nil
	// passes everything.
	fault func(n int, methods []string, again int) fault
}

func newProxy(t *testing.T, upstream string) *proxy {
	p := &proxy{upstream: upstream, methods: map[string]int{}, seen: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	return p
}

func (p *proxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

func (p *proxy) setFault(f func(n int, methods []string, again int) fault) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

func (p *proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var reqs []rpcReq
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte("[")) {
		_ = json.Unmarshal(body, &reqs)
	} else {
		var one rpcReq
		_ = json.Unmarshal(body, &one)
		reqs = []rpcReq{one}
	}
	methods := make([]string, len(reqs))
	p.mu.Lock()
	p.requests++
	n := p.requests
	again := p.seen[string(body)]
	p.seen[string(body)]++
	for i, q := range reqs {
		methods[i] = q.Method
		p.methods[q.Method]++
		if q.Method == "eth_getLogs" && len(q.Params) == 1 {
			var f struct{ FromBlock, ToBlock string }
			_ = json.Unmarshal(q.Params[0], &f)
			a, _ := strconv.ParseUint(f.FromBlock[2:], 16, 64)
			b, _ := strconv.ParseUint(f.ToBlock[2:], 16, 64)
			if b-a+1 > rangeCap {
				p.wide++
			}
		}
	}
	decide := p.fault
	p.mu.Unlock()
	what := pass
	if decide != nil {
		what = decide(n, methods, again)
	}
	switch what {
	case tooMany:
		w.Header().Set("Retry-After", "2")
		http.Error(w, "rate limited", http.StatusTooManyRequests)
		return
	case serverErr:
		http.Error(w, "upstream failure", http.StatusInternalServerError)
		return
	case reset:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
			conn.Close()
		}
		return
	}
	resp, err := http.Post(p.upstream, "application/json", bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	switch what {
	case truncate:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		w.WriteHeader(resp.StatusCode)
		w.Write(out[:len(out)/2])
		return // the server closes the connection short of Content-Length
	case badLogHash:
		out = bytes.ReplaceAll(out, []byte(`"blockHash":"0x`), []byte(`"blockHash":"0xbad0`))
		out = fixHashLengths(out)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

// fixHashLengths cuts the four extra hex digits badLogHash inserted so the
// hashes stay 32 bytes long (and so different from the real ones).
func fixHashLengths(b []byte) []byte {
	marker := []byte(`"blockHash":"0xbad0`)
	var out []byte
	for {
		i := bytes.Index(b, marker)
		if i < 0 {
			return append(out, b...)
		}
		out = append(out, b[:i+len(marker)]...)
		b = b[i+len(marker):]
		end := bytes.IndexByte(b, '"')
		out = append(out, b[:end-4]...)
		b = b[end:]
	}
}
