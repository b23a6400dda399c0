package evm

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
)

// capNode is a fake node with one Transfer log per block (blocks 1..head)
// of one token, all to one address, whose eth_getLogs refuses ranges the
// way a given provider does.
type capNode struct {
	head     uint64
	token    common.Address
	to       common.Address
	refuse   func(from, to uint64) (code int, msg string) // code 0: answer
	refused  int
	answered int
}

func (n *capNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var reqs []struct {
		ID     json.RawMessage   `json:"id"`
		Method string            `json:"method"`
		Params []json.RawMessage `json:"params"`
	}
	batch := len(body) > 0 && body[0] == '['
	if batch {
		json.Unmarshal(body, &reqs)
	} else {
		reqs = reqs[:0:0]
		reqs = append(reqs, struct {
			ID     json.RawMessage   `json:"id"`
			Method string            `json:"method"`
			Params []json.RawMessage `json:"params"`
		}{})
		json.Unmarshal(body, &reqs[0])
	}
	var out []map[string]any
	for _, q := range reqs {
		m := map[string]any{"jsonrpc": "2.0", "id": q.ID}
		switch q.Method {
		case "eth_chainId":
			m["result"] = "0x1"
		case "eth_blockNumber":
			m["result"] = hexutil.Uint64(n.head)
		case "eth_getBlockByNumber":
			var b hexutil.Uint64
			json.Unmarshal(q.Params[0], &b)
			m["result"] = map[string]any{"number": b, "hash": blockHash(uint64(b)), "timestamp": hexutil.Uint64(1_700_000_000 + 12*uint64(b))}
		case "eth_getLogs":
			var f struct{ FromBlock, ToBlock hexutil.Uint64 }
			json.Unmarshal(q.Params[0], &f)
			if code, msg := n.refuse(uint64(f.FromBlock), uint64(f.ToBlock)); code != 0 {
				n.refused++
				m["error"] = map[string]any{"code": code, "message": msg}
				break
			}
			n.answered++
			logs := []Log{}
			for b := uint64(f.FromBlock); b <= min(uint64(f.ToBlock), n.head); b++ {
				logs = append(logs, Log{
					Address: n.token, Topics: []common.Hash{TransferTopic, {}, common.BytesToHash(n.to[:])},
					Data: common.LeftPadBytes([]byte{byte(b)}, 32), BlockNumber: hexutil.Uint64(b), BlockHash: blockHash(b),
					TxHash: common.BigToHash(new(big.Int).SetUint64(b)), Index: 0,
				})
			}
			m["result"] = logs
		default:
			m["error"] = map[string]any{"code": -32601, "message": "the method " + q.Method + " does not exist/is not available"}
		}
		out = append(out, m)
	}
	if batch {
		json.NewEncoder(w).Encode(out)
	} else {
		json.NewEncoder(w).Encode(out[0])
	}
}

func blockHash(b uint64) common.Hash { return common.BigToHash(new(big.Int).SetUint64(b + 1_000_000)) }

func TestAdaptiveRange(t *testing.T) {
	for _, c := range []struct {
		name    string
		refuse  func(from, to uint64) (int, string)
		maxFail int
	}{
		{"Geth", func(a, b uint64) (int, string) {
			if b-a+1 > 50 {
				return -32602, "exceed maximum block range 50"
			}
			return 0, ""
		}, 1},
		{"Infura", func(a, b uint64) (int, string) {
			if b-a+1 > 100 { // 1 log per block: more than 100 results
				return -32005, fmt.Sprintf("query returned more than 100 results. Try with this block range [0x%x, 0x%x].", a, a+99)
			}
			return 0, ""
		}, 4},
		{"Alchemy", func(a, b uint64) (int, string) {
			if b-a+1 > 300 {
				return -32602, fmt.Sprintf("Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response. Based on your parameters, this block range should work: [0x%x, 0x%x]", a, a+299)
			}
			return 0, ""
		}, 2},
		{"QuickNode", func(a, b uint64) (int, string) {
			if b-a+1 > 5 {
				return -32614, "eth_getLogs is limited to a 5 range"
			}
			return 0, ""
		}, 1},
		{"NoWordsJustTooMany", func(a, b uint64) (int, string) {
			if b-a+1 > 64 {
				return -32005, "limit exceeded"
			}
			return 0, ""
		}, 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := &capNode{head: 1000, token: common.HexToAddress("0x1111111111111111111111111111111111111111"),
				to: common.HexToAddress("0x2222222222222222222222222222222222222222"), refuse: c.refuse}
			srv := httptest.NewServer(n)
			defer srv.Close()
			s, err := Dial(context.Background(), srv.URL, chains.Ethereum, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			to := chains.NewAddress(chains.FamilyEVM, n.to)
			asset := chains.AssetID{Chain: chains.Ethereum, Contract: chains.NewAddress(chains.FamilyEVM, n.token)}
			got, err := s.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: to, Asset: asset, From: 1, To: chains.Latest})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1000 {
				t.Fatalf("got %d transfers, want 1000", len(got))
			}
			for i, tr := range got {
				if tr.Block != uint64(i+1) || tr.Amount.Cmp(chains.NewAmount(uint64(byte(i+1)))) != 0 || tr.To != to {
					t.Fatalf("transfer %d: block %d amount %s", i, tr.Block, tr.Amount)
				}
			}
			// Each of the two filters (sent, received) may have to learn.
			if n.refused > 2*c.maxFail {
				t.Errorf("%d refused calls, want at most %d", n.refused, 2*c.maxFail)
			}
			t.Logf("%d eth_getLogs answered, %d refused", n.answered, n.refused)
		})
	}
}

func TestRangeErrorNotRetriedForever(t *testing.T) {
	n := &capNode{head: 10, refuse: func(a, b uint64) (int, string) { return -32000, "execution aborted (timeout = 5s)" }}
	srv := httptest.NewServer(n)
	defer srv.Close()
	s, err := Dial(context.Background(), srv.URL, chains.Ethereum, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = s.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: chains.NewAddress(chains.FamilyEVM, [20]byte{1}),
		Asset: chains.AssetID{Chain: chains.Ethereum, Contract: chains.NewAddress(chains.FamilyEVM, [20]byte{2})}, From: 1, To: 10})
	if err == nil || n.refused != 1 {
		t.Fatalf("got %v after %d refusals, want the node's error after 1", err, n.refused)
	}
}

// FuzzShrink: whatever a provider's message says, the span stays within
// [1, the refused width) when a retry is allowed, so the loop ends.
func FuzzShrink(f *testing.F) {
	f.Add("exceed maximum block range 50", uint64(100), uint64(1999))
	f.Add("query returned more than 10000 results. Try with this block range [0x64, 0x70].", uint64(100), uint64(300))
	f.Add("limited to a 0 range", uint64(5), uint64(10))
	f.Add("up to a 2K block range", uint64(0), uint64(5000))
	f.Fuzz(func(t *testing.T, msg string, from, to uint64) {
		if to < from || to-from > 1<<40 {
			return
		}
		s := &Source{opts: Options{MaxRange: 2000}, span: 2000}
		if s.shrink(fmt.Errorf("%s", msg), from, to) {
			if s.span < 1 || s.span >= to-from+1 {
				t.Fatalf("span %d after refusing [%d, %d] with %q", s.span, from, to, msg)
			}
		}
	})
}
