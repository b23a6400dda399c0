package evm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"freezetrace/chains"
	"freezetrace/chains/evm"
)

// forkNode is a debug-API node whose every block n holds one transaction,
// A paying B n wei; fork changes a block's hash and payment (a reorg) and
// head moves the head. It counts calls by method.
type forkNode struct {
	mu    sync.Mutex
	head  uint64
	forks map[uint64]int // block → how many times it was replaced
	calls map[string]int
}

var forkA, forkB = common.HexToAddress("0xaa"), common.HexToAddress("0xbb")

func (n *forkNode) hash(b uint64) common.Hash {
	return common.BigToHash(hexutil.MustDecodeBig(fmt.Sprintf("0x%x%04x", b, n.forks[b]+1)))
}

func (n *forkNode) tx(b uint64) common.Hash {
	h := n.hash(b)
	h[0] = 0x77
	return h
}

func (n *forkNode) value(b uint64) *hexutil.Big {
	return (*hexutil.Big)(hexutil.MustDecodeBig(fmt.Sprintf("0x%x", b*1000+uint64(n.forks[b]))))
}

func (n *forkNode) blockOf(tx common.Hash) (uint64, bool) {
	for b := uint64(1); b <= n.head; b++ {
		if n.tx(b) == tx {
			return b, true
		}
	}
	return 0, false
}

func (n *forkNode) answer(method string, params []json.RawMessage) (any, error) {
	num := func(i int) uint64 {
		var q hexutil.Uint64
		json.Unmarshal(params[i], &q)
		return uint64(q)
	}
	switch method {
	case "eth_chainId":
		return "0x1", nil
	case "eth_blockNumber":
		return hexutil.Uint64(n.head), nil
	case "eth_getBlockByNumber":
		b := num(0)
		return map[string]any{"number": hexutil.Uint64(b), "hash": n.hash(b), "timestamp": hexutil.Uint64(1_700_000_000 + 12*b),
			"transactions": []common.Hash{n.tx(b)}}, nil
	case "debug_traceBlockByHash":
		var h common.Hash
		json.Unmarshal(params[0], &h)
		for b := uint64(1); b <= n.head; b++ {
			if n.hash(b) == h {
				tx := n.tx(b)
				return []evm.TxTrace{{TxHash: &tx, Result: &evm.CallFrame{Type: "CALL", From: forkA, To: &forkB, Value: n.value(b)}}}, nil
			}
		}
		return nil, fmt.Errorf("block %s not found", h.Hex())
	case "debug_traceBlockByNumber":
		return []any{}, nil
	case "debug_traceTransaction":
		var h common.Hash
		json.Unmarshal(params[0], &h)
		b, _ := n.blockOf(h)
		return evm.CallFrame{Type: "CALL", From: forkA, To: &forkB, Value: n.value(b)}, nil
	case "eth_getTransactionReceipt", "eth_getTransactionByHash":
		var h common.Hash
		json.Unmarshal(params[0], &h)
		b, ok := n.blockOf(h)
		if !ok {
			return nil, nil
		}
		if method == "eth_getTransactionByHash" {
			return map[string]any{"from": forkA, "to": forkB, "value": n.value(b)}, nil
		}
		return map[string]any{"transactionHash": h, "transactionIndex": "0x0", "blockNumber": hexutil.Uint64(b), "blockHash": n.hash(b),
			"status": "0x1", "logs": []any{}}, nil
	}
	return nil, errNoMethod
}

func (n *forkNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	serveJSONRPC(w, r, func(method string, params []json.RawMessage) (any, error) {
		n.calls[method]++
		return n.answer(method, params)
	})
}

func (n *forkNode) take() map[string]int {
	n.mu.Lock()
	defer n.mu.Unlock()
	c := n.calls
	n.calls = map[string]int{}
	return c
}

func (n *forkNode) set(f func()) {
	n.mu.Lock()
	defer n.mu.Unlock()
	f()
}

func startForkNode(t *testing.T, head uint64) (*forkNode, string) {
	n := &forkNode{head: head, forks: map[uint64]int{}, calls: map[string]int{}}
	srv := httptest.NewServer(n)
	t.Cleanup(srv.Close)
	return n, srv.URL
}

func etherOf(t *testing.T, src *evm.Source, addr common.Address, from, to uint64) []chains.Transfer {
	t.Helper()
	ts, err := src.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: chains.NewAddress(chains.FamilyEVM, addr),
		Asset: chains.NativeAsset(chains.Ethereum), From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestFinalHeadersNotReread: over the debug API a second native history
// over blocks already traced reads again only the headers of blocks less
// than FinalDepth below the head, and traces only a block a reorg changed
// there; a block read near the head is not taken as final later without
// its header being read again.
func TestFinalHeadersNotReread(t *testing.T) {
	n, url := startForkNode(t, 300)
	src := dial(t, url, evm.Options{FinalDepth: 10})
	if got := etherOf(t, src, forkA, 201, 300); len(got) != 100 {
		t.Fatalf("A's ether: %d transfers, want 100", len(got))
	}
	if c := n.take(); c["eth_getBlockByNumber"] != 100 || c["debug_traceBlockByHash"] != 100 {
		t.Fatalf("first history: %v, want 100 headers and 100 traces", c)
	}

	// A reorg replaces block 295 (5 below the head): B's history sees it.
	n.set(func() { n.forks[295]++ })
	got := etherOf(t, src, forkB, 201, 300)
	if len(got) != 100 || got[94].Block != 295 || got[94].Amount.String() != "295001" || got[94].Tx != chains.TxHash(n.tx(295)) {
		t.Fatalf("B's ether after the reorg: %d transfers, block 295's %+v; want its new payment of 295001 wei", len(got), got[94])
	}
	if c := n.take(); c["eth_getBlockByNumber"] != 10 || c["debug_traceBlockByHash"] != 1 {
		t.Errorf("second history: %v, want 10 headers (291-300) and 1 trace (the new 295)", c)
	}

	// The head moves on by 20: blocks 291-300 are final now, but their
	// hashes were read near the head, so they are read once more.
	n.set(func() { n.head = 320 })
	etherOf(t, src, forkA, 201, 300)
	if c := n.take(); c["eth_getBlockByNumber"] != 10 || c["debug_traceBlockByHash"] != 0 {
		t.Errorf("third history: %v, want the 10 headers read near the head again, no trace", c)
	}
	etherOf(t, src, forkA, 201, 300)
	if c := n.take(); c["eth_getBlockByNumber"] != 0 || c["debug_traceBlockByHash"] != 0 {
		t.Errorf("fourth history: %v, want nothing but the head", c)
	}
}

// TestFinalDepthDefault: without FinalDepth a block is final FinalWindow's
// worth of blocks below the head (150 on Ethereum).
func TestFinalDepthDefault(t *testing.T) {
	n, url := startForkNode(t, 1000)
	src := dial(t, url, evm.Options{})
	etherOf(t, src, forkA, 801, 1000)
	n.take()
	etherOf(t, src, forkB, 801, 1000)
	if c := n.take(); c["eth_getBlockByNumber"] != 150 || c["debug_traceBlockByHash"] != 0 {
		t.Errorf("second history: %v, want the 150 headers from block 851 (1000 − 150 + 1), no trace", c)
	}
}

// TestReceiptCache: the events and then the transfers of a transaction in
// a final block read its receipt once; near the head twice.
func TestReceiptCache(t *testing.T) {
	n, url := startForkNode(t, 300)
	src := dial(t, url, evm.Options{FinalDepth: 10})
	ctx := context.Background()
	if _, err := src.Head(ctx, chains.Ethereum); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		block uint64
		want  int
	}{{100, 1}, {295, 2}} {
		n.take()
		tx := chains.TxHash(n.tx(tc.block))
		if _, err := src.TxEvents(ctx, chains.Ethereum, tx); err != nil {
			t.Fatal(err)
		}
		ts, err := src.TxTransfers(ctx, chains.Ethereum, tx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 1 || ts[0].Amount.String() != fmt.Sprint(tc.block*1000) {
			t.Errorf("block %d: transfers %+v, want its payment", tc.block, ts)
		}
		if c := n.take(); c["eth_getTransactionReceipt"] != tc.want || c["eth_getTransactionByHash"] != 1 {
			t.Errorf("block %d: %v, want %d receipt reads and 1 transaction read", tc.block, c, tc.want)
		}
	}
}
