package evm_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
	"freezetrace/chains/evm"
)

// traceNode serves one recorded mainnet block the way Erigon or Nethermind
// would: trace_filter over it, trace_block of it, its header.
type traceNode struct {
	block  uint64
	hash   common.Hash
	traces []evm.ParityTrace
	raw    []json.RawMessage
	calls  map[string]int
}

func (n *traceNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveJSONRPC(w, r, func(method string, params []json.RawMessage) (any, error) {
		n.calls[method]++
		switch method {
		case "eth_chainId":
			return "0x1", nil
		case "eth_blockNumber":
			return hexutil.Uint64(n.block), nil
		case "eth_getBlockByNumber":
			return map[string]any{"number": hexutil.Uint64(n.block), "hash": n.hash, "timestamp": "0x55ba467c", "transactions": []string{}}, nil
		case "trace_block":
			return n.raw, nil
		case "trace_filter":
			var f struct {
				FromAddress []common.Address `json:"fromAddress"`
				ToAddress   []common.Address `json:"toAddress"`
			}
			json.Unmarshal(params[0], &f)
			res := []json.RawMessage{}
			for i, t := range n.traces {
				for _, a := range f.FromAddress {
					if t.Action.From == a {
						res = append(res, n.raw[i])
					}
				}
				for _, a := range f.ToAddress {
					if t.Action.To != nil && *t.Action.To == a {
						res = append(res, n.raw[i])
					}
				}
			}
			return res, nil
		default:
			return nil, errNoMethod
		}
	})
}

// TestTraceFilterPath: on a node offering the trace API, native transfers
// of an address come from trace_filter (which blocks) and trace_block
// (every frame, so positions count them all), internal ones included.
func TestTraceFilterPath(t *testing.T) {
	dir := etlDir(t, "test_export_traces_job/block_with_subtraces")
	var rec struct{ Result []json.RawMessage }
	readJSON(t, filepath.Join(dir, "web3_response.trace_block_0xf4240.json"), &rec)
	n := &traceNode{block: 0xf4240, raw: rec.Result, calls: map[string]int{}}
	for _, r := range rec.Result {
		var pt evm.ParityTrace
		if err := json.Unmarshal(r, &pt); err != nil {
			t.Fatal(err)
		}
		n.traces = append(n.traces, pt)
		if pt.TxHash != nil {
			n.hash = pt.BlockHash
		}
	}
	all, err := evm.ParityTransfers(chains.Ethereum, n.traces)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n)
	defer srv.Close()
	src := dial(t, srv.URL, evm.Options{})
	// The contract that received 100 ETH and passed it on by CALLCODE (which
	// moves nothing), and the sender of the block's plain payment.
	for _, addr := range []chains.Address{all[0].To, all[1].From} {
		got, err := src.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: addr, Asset: chains.NativeAsset(chains.Ethereum), From: n.block, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		want := filter(all, addr, chains.NativeAsset(chains.Ethereum))
		if len(want) == 0 {
			t.Fatalf("%s moved no ether in the recorded block", addr)
		}
		for i := range want {
			want[i].Time = time.Unix(0x55ba467c, 0).UTC()
		}
		sameTransfers(t, addr.String(), got, want)
	}
	if n.calls["trace_filter"] == 0 || n.calls["trace_block"] == 0 || n.calls["debug_traceBlockByNumber"] != 0 {
		t.Errorf("calls %v: want trace_filter and trace_block, no debug", n.calls)
	}
}
