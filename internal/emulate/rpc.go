package emulate

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// LogLimit is how a provider limits eth_getLogs.
type LogLimit int

const (
	// Unlimited serves any range and any number of logs, as a local node
	// without a range cap does.
	Unlimited LogLimit = iota
	// Infura serves any block range but at most 10,000 results; beyond, it
	// answers -32005 naming the widest range from fromBlock that fits.
	Infura
	// Cap2000 is Alchemy's rule: up to 2,000 blocks with no limit on the
	// results, or any range with at most 10,000 results; beyond both,
	// -32602 naming a range that works.
	Cap2000
	// Cap2000Strict rejects every range wider than 2,000 blocks (-32000).
	Cap2000Strict
	// Cap10000 rejects every range wider than 10,000 blocks (-32614), as
	// QuickNode does.
	Cap10000
)

// Behaviour is how an emulated provider behaves.
type Behaviour struct {
	Logs LogLimit
	// Rate is the most HTTP requests per second served (a burst of as many
	// is allowed); beyond it the answer is HTTP 429 with Retry-After: 1.
	// 0 for no limit.
	Rate float64
	// NoTraces turns off debug_traceTransaction, debug_traceBlockByNumber
	// and debug_traceBlockByHash (callTracer), as on a provider without the
	// debug API. With them a client can tell that the dataset's
	// transactions move no ether.
	NoTraces bool
	// TraceAPI serves the parity trace API (trace_filter, trace_block,
	// trace_transaction; see parity.go), as Erigon and Nethermind nodes do
	// and Infura on mainnet, from the same call frames as the debug API.
	TraceAPI bool
	// TraceRange, when above 0, is the widest trace_filter block range
	// served (Infura documents 100 blocks); a wider one is refused with
	// -32602 "trace_filter is limited to a N block range". 0 for none.
	TraceRange uint64
	// Now is the clock of the rate limit; nil for time.Now.
	Now func() time.Time
	// Flaky, when above 0, refuses every Flaky-th HTTP request (the
	// Flaky-th, the 2·Flaky-th, …) with 429 Too Many Requests and no
	// Retry-After, as a provider's burst limit does whatever the rate;
	// counted in Limited. 0 for none.
	Flaky int64
}

// RPC is an emulated Ethereum JSON-RPC provider serving a dataset over
// HTTP POST, single calls and batches. It is safe for concurrent use.
type RPC struct {
	ds      *Dataset
	b       Behaviour
	limiter *bucket

	mu       sync.Mutex
	counts   map[string]int64
	calls    atomic.Int64
	requests atomic.Int64
	limited  atomic.Int64
}

var _ http.Handler = (*RPC)(nil)

// NewRPC returns a provider serving ds with behaviour b.
func NewRPC(ds *Dataset, b Behaviour) *RPC {
	r := &RPC{ds: ds, b: b, counts: map[string]int64{}}
	if b.Rate > 0 {
		r.limiter = newBucket(b.Rate, b.Now)
	}
	return r
}

// Counts returns the calls served so far by method (each element of a
// batch counts once), rate-limited requests excluded.
func (r *RPC) Counts() map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.counts)
}

// Total is the number of calls served so far.
func (r *RPC) Total() int64 { return r.calls.Load() }

// Requests is the number of HTTP requests received so far, refused ones
// included.
func (r *RPC) Requests() int64 { return r.requests.Load() }

// Limited is the number of HTTP requests refused with 429.
func (r *RPC) Limited() int64 { return r.limited.Load() }

// Start serves r on 127.0.0.1 at a free port.
func (r *RPC) Start() (*Server, error) { return Serve(r) }

type rpcRequest struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

type rpcResponse struct {
	Version string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  any             `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// rpcError is a JSON-RPC error object.
type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Data    any    `json:"data,omitempty"`
}

func (e *rpcError) Error() string { return e.Message }

func errInvalidParams(msg string) *rpcError { return &rpcError{Code: -32602, Message: msg} }

// ServeHTTP answers one JSON-RPC call or batch.
func (r *RPC) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n := r.requests.Add(1)
	if req.Method != http.MethodPost {
		http.Error(w, "method not allowed: use POST", http.StatusMethodNotAllowed)
		return
	}
	if r.b.Flaky > 0 && n%r.b.Flaky == 0 {
		r.limited.Add(1)
		tooMany(w)
		return
	}
	if r.limiter != nil && !r.limiter.take() {
		r.limited.Add(1)
		w.Header().Set("Retry-After", "1")
		tooMany(w)
		return
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 16<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	body = bytes.TrimSpace(body)
	var out any
	if len(body) > 0 && body[0] == '[' {
		var reqs []json.RawMessage
		if err := json.Unmarshal(body, &reqs); err != nil {
			out = rpcResponse{Version: "2.0", ID: json.RawMessage("null"), Error: &rpcError{Code: -32700, Message: "parse error"}}
		} else if len(reqs) == 0 {
			out = rpcResponse{Version: "2.0", ID: json.RawMessage("null"), Error: &rpcError{Code: -32600, Message: "empty batch"}}
		} else {
			res := make([]rpcResponse, len(reqs))
			for i, m := range reqs {
				res[i] = r.one(m)
			}
			out = res
		}
	} else {
		out = r.one(body)
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.Encode(out)
}

// tooMany writes a 429 answer as Infura words it.
func tooMany(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusTooManyRequests)
	io.WriteString(w, `{"jsonrpc":"2.0","id":null,"error":{"code":-32005,"message":"Too Many Requests"}}`+"\n")
}

func (r *RPC) one(raw json.RawMessage) rpcResponse {
	var q rpcRequest
	if err := json.Unmarshal(raw, &q); err != nil {
		return rpcResponse{Version: "2.0", ID: json.RawMessage("null"), Error: &rpcError{Code: -32700, Message: "parse error"}}
	}
	if q.ID == nil {
		q.ID = json.RawMessage("null")
	}
	r.calls.Add(1)
	r.mu.Lock()
	r.counts[q.Method]++
	r.mu.Unlock()
	res, err := r.dispatch(q.Method, q.Params)
	if err != nil {
		var re *rpcError
		if !errors.As(err, &re) {
			re = &rpcError{Code: -32000, Message: err.Error()}
		}
		return rpcResponse{Version: "2.0", ID: q.ID, Error: re}
	}
	if res == nil {
		res = json.RawMessage("null")
	}
	return rpcResponse{Version: "2.0", ID: q.ID, Result: res}
}

// Server is an HTTP server on 127.0.0.1.
type Server struct {
	// URL is http://127.0.0.1:port, the JSON-RPC endpoint of an RPC and
	// the base of an Explorer (whose API is URL + "/v2/api").
	URL string
	srv *http.Server
}

// Serve serves h on 127.0.0.1 at a free port until Close.
func Serve(h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(ln)
	return s, nil
}

// Close stops the server and its open connections.
func (s *Server) Close() error { return s.srv.Close() }

// bucket is a token bucket refilled at rate tokens a second, holding at
// most max(rate, 1).
type bucket struct {
	mu     sync.Mutex
	rate   float64
	size   float64
	tokens float64
	last   time.Time
	now    func() time.Time
}

func newBucket(rate float64, now func() time.Time) *bucket {
	if now == nil {
		now = time.Now
	}
	size := max(rate, 1)
	return &bucket{rate: rate, size: size, tokens: size, last: now(), now: now}
}

func (b *bucket) take() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.now()
	b.tokens = min(b.size, b.tokens+t.Sub(b.last).Seconds()*b.rate)
	b.last = t
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
