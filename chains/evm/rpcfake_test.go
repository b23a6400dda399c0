package evm_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
)

// errNoMethod is what a fake node's answer function returns for a method
// it does not serve: JSON-RPC's -32601, as geth words it.
var errNoMethod = errors.New("method not found")

// serveJSONRPC answers one JSON-RPC request or batch on w with answer,
// called once per call in order: a result, errNoMethod (code -32601) or
// another error (code -32000).
func serveJSONRPC(w http.ResponseWriter, r *http.Request, answer func(method string, params []json.RawMessage) (any, error)) {
	body, _ := io.ReadAll(r.Body)
	type req struct {
		ID     json.RawMessage   `json:"id"`
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	var reqs []req
	batch := len(body) > 0 && body[0] == '['
	if batch {
		json.Unmarshal(body, &reqs)
	} else {
		reqs = make([]req, 1)
		json.Unmarshal(body, &reqs[0])
	}
	var out []map[string]any
	for _, q := range reqs {
		m := map[string]any{"jsonrpc": "2.0", "id": q.ID}
		res, err := answer(q.Method, q.Params)
		switch {
		case errors.Is(err, errNoMethod):
			m["error"] = map[string]any{"code": -32601, "message": "the method " + q.Method + " does not exist/is not available"}
		case err != nil:
			m["error"] = map[string]any{"code": -32000, "message": err.Error()}
		default:
			m["result"] = res
		}
		out = append(out, m)
	}
	if batch {
		json.NewEncoder(w).Encode(out)
	} else {
		json.NewEncoder(w).Encode(out[0])
	}
}
