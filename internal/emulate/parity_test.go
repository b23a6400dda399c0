package emulate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/chains/evm"
)

func startScriptRPC(t *testing.T, d *Dataset, b Behaviour) (*RPC, string) {
	t.Helper()
	r := NewRPC(d, b)
	srv, err := r.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return r, srv.URL
}

// rpcResult posts one call and returns its result, failing on an error.
func rpcResult(t *testing.T, url, method, params string) json.RawMessage {
	t.Helper()
	_, _, b := post(t, url, fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"%s","params":%s}`, method, params))
	var rep rpcReply
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: %v: %s", method, err, b)
	}
	if rep.Error != nil {
		t.Fatalf("%s %s: error %d %s", method, params, rep.Error.Code, rep.Error.Message)
	}
	return rep.Result
}

func parityList(t *testing.T, raw json.RawMessage) []evm.ParityTrace {
	t.Helper()
	var ts []evm.ParityTrace
	if err := json.Unmarshal(raw, &ts); err != nil {
		t.Fatalf("traces: %v", err)
	}
	return ts
}

// TestTraceAPIServed: with TraceAPI on, the EVM source finds trace_filter,
// reads the swap's internal ether with trace_transaction and C's ether
// history with trace_filter and trace_block, and gets the same answers as
// over the debug API; every block's traces give the same transfers as its
// callTracer frames.
func TestTraceAPIServed(t *testing.T) {
	s, a := swapScript()
	d := s.Dataset()
	ctx := context.Background()
	C := ChainAddress(a["C"])
	eth := chains.NativeAsset(chains.Ethereum)
	q := chains.Query{Chain: chains.Ethereum, Address: C, Asset: eth, From: BaseBlock + 1, To: BaseBlock + 10}
	read := func(b Behaviour) (map[string]int64, []chains.Transfer, []chains.Transfer) {
		r, url := startScriptRPC(t, d, b)
		src := dialEVM(t, url, evm.Options{})
		tx, err := src.TxTransfers(ctx, chains.Ethereum, chains.TxHash(s.TxHash(3)))
		if err != nil {
			t.Fatal(err)
		}
		native, err := src.Transfers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return r.Counts(), tx, native
	}
	_, debugTx, debugNative := read(Behaviour{})
	calls, traceTx, traceNative := read(Behaviour{TraceAPI: true, NoTraces: true})
	sameTransfers(t, "swap transfers over trace_transaction", traceTx, debugTx)
	sameTransfers(t, "C's ether over trace_filter", traceNative, debugNative)
	if calls["trace_transaction"] != 1 || calls["trace_filter"] == 0 || calls["trace_block"] == 0 || calls["debug_traceBlockByNumber"] != 0 {
		t.Errorf("calls %v: want trace_transaction, trace_filter and trace_block, no debug", calls)
	}
	// C moved ether in 3 blocks: only those are traced.
	if calls["trace_block"] != 3 {
		t.Errorf("%d trace_block calls, want 3 (the blocks C moved ether in)", calls["trace_block"])
	}

	_, url := startScriptRPC(t, d, Behaviour{TraceAPI: true})
	for n := d.First; n <= d.Last; n++ {
		ts, err := evm.ParityTransfers(chains.Ethereum, parityList(t, rpcResult(t, url, "trace_block", fmt.Sprintf(`["0x%x"]`, n))))
		if err != nil {
			t.Fatal(err)
		}
		var want []chains.Transfer
		for _, tx := range d.BlockTxs(n) {
			var root evm.CallFrame
			b, _ := json.Marshal(d.callFrame(tx))
			if err := json.Unmarshal(b, &root); err != nil {
				t.Fatal(err)
			}
			for _, c := range evm.CallTransfers(chains.Ethereum, uint32(tx.Index), root) {
				c.Tx, c.Block = chains.TxHash(tx.Hash), n
				want = append(want, c)
			}
		}
		sameTransfers(t, fmt.Sprintf("block %d", n), ts, want)
	}
}

// TestTraceFilter checks trace_filter as Erigon defines it: address lists
// matched on each trace (union by default, or intersection), after and
// count paging in trace order, the head and the provider's range cap.
func TestTraceFilter(t *testing.T) {
	s, a := swapScript()
	d := s.Dataset()
	_, url := startScriptRPC(t, d, Behaviour{TraceAPI: true, TraceRange: 4})
	span := fmt.Sprintf(`"fromBlock":"0x%x","toBlock":"0x%x"`, BaseBlock+2, BaseBlock+5)
	filter := func(extra string) []evm.ParityTrace {
		return parityList(t, rpcResult(t, url, "trace_filter", "[{"+span+","+extra+"}]"))
	}
	// The router makes 5 frames of the swap (getReserves, transferFrom,
	// swap, withdraw, the ether to C) and receives 2 (C's call, WETH's
	// ether).
	from := filter(fmt.Sprintf(`"fromAddress":["%s"]`, UniswapV2Router.Hex()))
	to := filter(fmt.Sprintf(`"toAddress":["%s"]`, UniswapV2Router.Hex()))
	both := filter(fmt.Sprintf(`"fromAddress":["%s"],"toAddress":["%s"]`, UniswapV2Router.Hex(), UniswapV2Router.Hex()))
	if len(from) != 5 || len(to) != 2 || len(both) != 7 {
		t.Fatalf("router traces: %d from, %d to, %d either; want 5, 2, 7", len(from), len(to), len(both))
	}
	for _, tr := range from {
		if tr.Action.From != UniswapV2Router || tr.BlockNumber != BaseBlock+3 || *tr.TxHash != s.TxHash(3) {
			t.Errorf("trace %+v: want one from the router in the swap", tr)
		}
	}
	inter := filter(fmt.Sprintf(`"fromAddress":["%s"],"toAddress":["%s"],"mode":"intersection"`, a["C"].Hex(), UniswapV2Router.Hex()))
	if len(inter) != 1 || inter[0].Action.From != a["C"] || len(inter[0].TraceAddress) != 0 {
		t.Errorf("C → router, intersection: %+v, want the swap's own frame", inter)
	}
	// Pages of 2, by number and by hex quantity, make up the whole answer.
	var paged []evm.ParityTrace
	for after := 0; after < 10; after += 2 {
		count := `2`
		if after%4 == 2 {
			count = `"0x2"`
		}
		paged = append(paged, filter(fmt.Sprintf(`"fromAddress":["%s"],"toAddress":["%s"],"after":%d,"count":%s`,
			UniswapV2Router.Hex(), UniswapV2Router.Hex(), after, count))...)
	}
	if !slices.EqualFunc(paged, both, func(x, y evm.ParityTrace) bool {
		return slices.Equal(x.TraceAddress, y.TraceAddress) && *x.TxHash == *y.TxHash
	}) {
		t.Errorf("pages of 2: %d traces, want the %d of one call in order", len(paged), len(both))
	}

	for _, tc := range []struct{ name, params, want string }{
		{"WiderThanCap", fmt.Sprintf(`[{"fromBlock":"0x%x","toBlock":"0x%x"}]`, BaseBlock+1, BaseBlock+5), "limited to a 4 block range"},
		{"PastHead", fmt.Sprintf(`[{"fromBlock":"0x%x","toBlock":"0x%x"}]`, d.Head, d.Head+1), "header not found"},
		{"Reversed", fmt.Sprintf(`[{"fromBlock":"0x%x","toBlock":"0x%x"}]`, BaseBlock+3, BaseBlock+2), "fromBlock cannot be greater"},
		{"BadMode", `[{"mode":"either"}]`, "mode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, b := post(t, url, `{"jsonrpc":"2.0","id":1,"method":"trace_filter","params":`+tc.params+`}`)
			var rep rpcReply
			json.Unmarshal(b, &rep)
			if rep.Error == nil || !strings.Contains(rep.Error.Message, tc.want) {
				t.Errorf("answer %s, want an error saying %q", b, tc.want)
			}
		})
	}
	if got := parityList(t, rpcResult(t, url, "trace_transaction", fmt.Sprintf(`["%s"]`, s.TxHash(3).Hex()))); len(got) != 10 {
		t.Errorf("trace_transaction of the swap: %d traces, want its 10 frames", len(got))
	}
	if got := rpcResult(t, url, "trace_transaction", fmt.Sprintf(`["%s"]`, common.Hash{1}.Hex())); string(got) != "null" {
		t.Errorf("trace_transaction of an unknown hash: %s, want null", got)
	}
}

// TestTraceFilterCapLearnt: the EVM source learns trace_filter's block cap
// from the refusal and keeps every later window within it, while its
// eth_getLogs windows stay as wide as the provider allows them.
func TestTraceFilterCapLearnt(t *testing.T) {
	s, a := swapScript()
	d := s.Dataset()
	r, url := startScriptRPC(t, d, Behaviour{Logs: Infura, TraceAPI: true, TraceRange: 4})
	src := dialEVM(t, url, evm.Options{})
	ctx := context.Background()
	C := ChainAddress(a["C"])
	native, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: C, Asset: chains.NativeAsset(chains.Ethereum), From: BaseBlock + 1, To: d.Head})
	if err != nil {
		t.Fatal(err)
	}
	if len(native) != 3 {
		t.Errorf("C's ether: %d transfers, want 3", len(native))
	}
	// 25 blocks in windows of 4: 7 windows each way, and the one refusal.
	if got := r.Counts()["trace_filter"]; got != 1+1+2*7 {
		t.Errorf("%d trace_filter calls, want 16 (the probe, one refusal, 7 windows of 4 blocks each way)", got)
	}
	before := r.Counts()["eth_getLogs"]
	if _, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: C, Asset: chains.USDTEthereum, From: BaseBlock + 1, To: d.Head}); err != nil {
		t.Fatal(err)
	}
	if got := r.Counts()["eth_getLogs"] - before; got != 2 {
		t.Errorf("%d eth_getLogs calls for C's USDT over 25 blocks, want 2: trace_filter's cap must not narrow them", got)
	}
}
