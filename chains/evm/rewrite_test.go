package evm_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// rpcCall is one JSON-RPC call as a rewriter sees it.
type rpcCall struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      json.RawMessage   `json:"id"`
	Method  string            `json:"method"`
	Params  []json.RawMessage `json:"params"`
}

type rpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type rpcAnswer struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result,omitempty"`
	Error   *rpcError       `json:"error,omitempty"`
}

// rewriter is a round tripper (Options.HTTPBase) in front of a node that
// lets a test change a call before the node sees it, answer it itself
// instead, or change the node's result, call by call inside batches.
type rewriter struct {
	url string // the node
	// before may edit c's params, or answer it: with a result or an error.
	before func(c *rpcCall) (json.RawMessage, *rpcError)
	// after may change the result of call (as the source sent it).
	after func(call rpcCall, result json.RawMessage) json.RawMessage
}

func (rw *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	batch := bytes.HasPrefix(bytes.TrimSpace(body), []byte("["))
	var calls []rpcCall
	if batch {
		err = json.Unmarshal(body, &calls)
	} else {
		calls = make([]rpcCall, 1)
		err = json.Unmarshal(body, &calls[0])
	}
	if err != nil {
		return nil, err
	}
	answers := make([]rpcAnswer, len(calls))
	for i, c := range calls {
		answers[i], err = rw.one(c)
		if err != nil {
			return nil, err
		}
	}
	if batch {
		return rpcResponse(req, answers)
	}
	return rpcResponse(req, answers[0])
}

// rpcResponse is a JSON-RPC answer (one, or a batch) as an HTTP response
// to req.
func rpcResponse(req *http.Request, v any) (*http.Response, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)), Request: req}, nil
}

// one answers one call: from before, or from the node through after.
func (rw *rewriter) one(orig rpcCall) (rpcAnswer, error) {
	c := orig
	c.Params = append([]json.RawMessage(nil), orig.Params...)
	if rw.before != nil {
		if r, e := rw.before(&c); r != nil || e != nil {
			return rpcAnswer{JSONRPC: "2.0", ID: orig.ID, Result: r, Error: e}, nil
		}
	}
	b, err := json.Marshal(c)
	if err != nil {
		return rpcAnswer{}, err
	}
	resp, err := http.Post(rw.url, "application/json", bytes.NewReader(b))
	if err != nil {
		return rpcAnswer{}, err
	}
	defer resp.Body.Close()
	var a rpcAnswer
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		return rpcAnswer{}, fmt.Errorf("%s: %w", c.Method, err)
	}
	if a.Error == nil && rw.after != nil {
		a.Result = rw.after(orig, a.Result)
	}
	return a, nil
}

// hexNumber reads a JSON "0x…" quantity; ok is false for tags such as
// "latest".
func hexNumber(raw json.RawMessage) (uint64, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil || !strings.HasPrefix(s, "0x") {
		return 0, false
	}
	n, err := strconv.ParseUint(s[2:], 16, 64)
	return n, err == nil
}

func quantity(n uint64) json.RawMessage {
	b, _ := json.Marshal(hexutil.Uint64(n))
	return b
}

// stretched returns a rewriter that shows the node's chain with every
// block number multiplied by k: real block r is block k·r, the k−1 blocks
// after it are empty (their state is r's), and the head is k times the
// node's. A 20-block chain so reads as a 20,000-block one to a source,
// which then pays for the longer range, while every answer still comes
// from the node.
func stretched(url string, k uint64) *rewriter {
	return &rewriter{
		url: url,
		before: func(c *rpcCall) (json.RawMessage, *rpcError) {
			switch c.Method {
			case "eth_call":
				if n, ok := hexNumber(c.Params[1]); ok {
					c.Params[1] = quantity(n / k)
				}
			case "eth_getBlockByNumber":
				if n, ok := hexNumber(c.Params[0]); ok {
					c.Params[0] = quantity(n / k)
				}
			case "eth_getLogs":
				var f map[string]json.RawMessage
				if err := json.Unmarshal(c.Params[0], &f); err != nil {
					return nil, &rpcError{Code: -32602, Message: err.Error()}
				}
				from, ok1 := hexNumber(f["fromBlock"])
				to, ok2 := hexNumber(f["toBlock"])
				if !ok1 || !ok2 {
					return nil, &rpcError{Code: -32602, Message: "stretched: want block numbers"}
				}
				// The real blocks r with k·r in [from, to].
				lo, hi := (from+k-1)/k, to/k
				if lo > hi {
					return json.RawMessage("[]"), nil
				}
				f["fromBlock"], f["toBlock"] = quantity(lo), quantity(hi)
				c.Params[0], _ = json.Marshal(f)
			}
			return nil, nil
		},
		after: func(call rpcCall, result json.RawMessage) json.RawMessage {
			switch call.Method {
			case "eth_blockNumber":
				if n, ok := hexNumber(result); ok {
					return quantity(n * k)
				}
			case "eth_getBlockByNumber":
				var h map[string]json.RawMessage
				if json.Unmarshal(result, &h) == nil && h != nil {
					h["number"] = call.Params[0]
					result, _ = json.Marshal(h)
				}
			case "eth_getLogs":
				var ls []map[string]json.RawMessage
				if json.Unmarshal(result, &ls) == nil {
					for _, l := range ls {
						if n, ok := hexNumber(l["blockNumber"]); ok {
							l["blockNumber"] = quantity(n * k)
						}
					}
					result, _ = json.Marshal(ls)
				}
			}
			return result
		},
	}
}

// archiveless returns a rewriter that answers every eth_call at a block
// before head with geth's error for pruned state, as a full node (or a
// provider plan without archive access) does.
func archiveless(url string, head uint64) *rewriter {
	return &rewriter{
		url: url,
		before: func(c *rpcCall) (json.RawMessage, *rpcError) {
			if c.Method != "eth_call" || len(c.Params) < 2 {
				return nil, nil
			}
			if n, ok := hexNumber(c.Params[1]); ok && n < head {
				return nil, &rpcError{Code: -32000, Message: "missing trie node 9a3b5fd1c0e1a4a2c61d4a5c40a4f4e4e8f0a3c6e2a4c21f9ef5d4b1b9c4a7e2 (path ) " +
					"state 0x9a3b5fd1c0e1a4a2c61d4a5c40a4f4e4e8f0a3c6e2a4c21f9ef5d4b1b9c4a7e2 is not available"}
			}
			return nil, nil
		},
	}
}
