package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/internal/emulate"
	"freezetrace/trace"
)

// swapLive is swap_devchain_test.go's scenario at mainnet heights on the
// emulated provider: victim V pays collector C 6,000 USDT, a clean 4,000
// USDT follows; C swaps the 10,000 for 4,935,790,171,985,306,494 wei
// through Uniswap V2's router and the USDT/WETH pair (the receipt: USDT
// C → pair, WETH pair → router, the pair's Sync and Swap, WETH's
// Withdrawal; the call trace: WETH → router and router → C in ether); C,
// who had 1 ETH before, peels 2 ETH to H1, H1 1.5 ETH to H2, H2 1 ETH to
// the exchange deposit address D, which sweeps it to the exchange's hot
// wallet. Around it, every block carries unrelated traffic: a USDT
// payment, an ether payment, and every seventh block another trader's swap
// through the same router and pair.
type swapLive struct {
	ds                 *emulate.Dataset
	victimTx, swapTx   common.Hash
	V, C, H1, H2, D    common.Address
	caseStart, swapsAt uint64
}

// Amounts of the case, in base units.
var (
	swapUSDT = func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1_000_000)) }
	swapWei  = func(milli int64) *big.Int { return new(big.Int).Mul(big.NewInt(milli), big.NewInt(1e15)) }
	// swapOut is what 10,000 USDT buy from reserves of 1,000,000 USDT and
	// 500 ETH: floor(10,000e6·997·500e18 / (1,000,000e6·1000 + 10,000e6·997)).
	swapOut, _ = new(big.Int).SetString("4935790171985306494", 10)
)

func swapAddr(name string) common.Address {
	return common.BytesToAddress(crypto.Keccak256([]byte("freezetrace/swap-live/" + name))[12:])
}

// newSwapLive builds the case with before blocks of unrelated traffic
// ahead of it and after blocks behind it, the head margin blocks past the
// last. The case's own blocks, and the traffic in them, are the same
// whatever before and after: block caseStart+k looks alike in every
// dataset.
func newSwapLive(t testing.TB, before, after, margin uint64) *swapLive {
	t.Helper()
	first := emulate.BaseBlock + 1
	c := &swapLive{caseStart: first + before, V: swapAddr("victim"), C: swapAddr("collector"), H1: swapAddr("hop-1"),
		H2: swapAddr("hop-2"), D: swapAddr("deposit")}
	S := c.caseStart
	const caseBlocks = 80
	last := S + caseBlocks + after
	treasury, hot, funder, clean := swapAddr("tether-treasury"), swapAddr("exchange-hot"), swapAddr("ether-funder"), swapAddr("clean-payer")
	usdt := emulate.Token{Address: emulate.USDT, Symbol: "USDT", Name: "Tether USD", Decimals: 6, TotalSupply: swapUSDT(10_000_000_000)}
	weth := emulate.Token{Address: emulate.WETH, Symbol: "WETH", Name: "Wrapped Ether", Decimals: 18, TotalSupply: swapWei(3_000_000_000)}
	s := &emulate.Script{
		Seed: 42, Token: usdt, Tokens: []emulate.Token{usdt, weth},
		Contracts: []common.Address{emulate.USDT, emulate.WETH, emulate.UniswapV2Router, emulate.USDTWETHPair},
		Labels:    []emulate.Label{{Address: hot, Entity: "Alpha Exchange", Category: chains.CategoryExchange, Source: "emulate"}},
		Genesis: map[common.Address]*big.Int{emulate.WETH: swapWei(3_000_000_000), funder: swapWei(100_000),
			hot: swapWei(1_000_000)},
		HeadMargin: margin,
	}
	add := func(tx emulate.ScriptTx) int { s.Txs = append(s.Txs, tx); return len(s.Txs) - 1 }
	// The issuer mints in the first block; the exchange and the traffic's
	// wallets are funded from the treasury.
	add(emulate.ScriptTx{Block: first, From: swapAddr("tether-owner"), To: emulate.USDT,
		Logs: []emulate.RawLog{emulate.TransferLog(emulate.USDT, common.Address{}, treasury, swapUSDT(1_000_000_000))}})
	add(emulate.TokenPayment(first, emulate.USDT, treasury, hot, swapUSDT(500_000_000)))
	wallets := make([]common.Address, 16)
	for i := range wallets {
		wallets[i] = swapAddr(fmt.Sprintf("wallet-%02d", i))
		s.Genesis[wallets[i]] = swapWei(1_000_000)
		add(emulate.TokenPayment(first, emulate.USDT, treasury, wallets[i], swapUSDT(10_000_000)))
	}
	for b := first + 1; b <= last; b++ {
		if b >= S && b < S+caseBlocks {
			continue // the case's blocks get their traffic with the case
		}
		traffic(s, wallets, b, int64(b)-int64(S))
	}
	// The case, block by block; each block's traffic first.
	caseTx := map[uint64][]emulate.ScriptTx{
		S:      {emulate.EtherPayment(S, funder, c.C, swapWei(1000))},
		S + 1:  {emulate.TokenPayment(S+1, emulate.USDT, hot, c.V, swapUSDT(20_000)), emulate.TokenPayment(S+1, emulate.USDT, hot, clean, swapUSDT(4_000))},
		S + 5:  {emulate.TokenPayment(S+5, emulate.USDT, c.V, c.C, swapUSDT(6_000))},
		S + 9:  {emulate.TokenPayment(S+9, emulate.USDT, clean, c.C, swapUSDT(4_000))},
		S + 20: {emulate.SwapForETH{Block: S + 20, Trader: c.C, Router: emulate.UniswapV2Router, Pair: emulate.USDTWETHPair, Token: emulate.USDT, WETH: emulate.WETH, In: swapUSDT(10_000), Out: swapOut, TokenAfter: swapUSDT(1_010_000), WETHAfter: new(big.Int).Sub(swapWei(500_000), swapOut)}.Tx()},
		S + 30: {emulate.EtherPayment(S+30, c.C, c.H1, swapWei(2000))},
		S + 45: {emulate.EtherPayment(S+45, c.H1, c.H2, swapWei(1500))},
		S + 60: {emulate.EtherPayment(S+60, c.H2, c.D, swapWei(1000))},
		S + 75: {emulate.EtherPayment(S+75, c.D, hot, swapWei(1000))},
	}
	for b := S; b < S+caseBlocks; b++ {
		traffic(s, wallets, b, int64(b)-int64(S))
		for _, tx := range caseTx[b] {
			add(tx)
		}
	}
	slices.SortStableFunc(s.Txs, func(x, y emulate.ScriptTx) int { return cmpBlock(x.Block, y.Block) })
	victimAt, swapAt := indexOf(s, c.V, c.C, S+5), indexOf(s, c.C, emulate.UniswapV2Router, S+20)
	c.ds = s.Dataset()
	c.victimTx, c.swapTx, c.swapsAt = s.TxHash(victimAt), s.TxHash(swapAt), S+20
	return c
}

func cmpBlock(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// indexOf is the index of the transaction from → to in block b.
func indexOf(s *emulate.Script, from, to common.Address, b uint64) int {
	for i, tx := range s.Txs {
		if tx.Block == b && tx.From == from && (tx.To == to || (len(tx.Logs) > 0 && tx.Logs[0].Topics[2] == common.BytesToHash(to[:]))) {
			return i
		}
	}
	panic(fmt.Sprintf("no transaction %s → %s in block %d", from, to, b))
}

// traffic adds block b's unrelated transactions, shaped by k, the block's
// distance from the case: a USDT payment and an ether payment between two
// wallets, and every seventh block a wallet's swap of 100 USDT for ether.
func traffic(s *emulate.Script, wallets []common.Address, b uint64, k int64) {
	n := int64(len(wallets))
	i := ((k % n) + n) % n
	j := (i*5 + 3) % n
	s.Txs = append(s.Txs,
		emulate.TokenPayment(b, emulate.USDT, wallets[i], wallets[j], swapUSDT(1+(k%97+97)%97)),
		emulate.EtherPayment(b, wallets[j], wallets[i], swapWei(10+(k%13+13)%13)))
	if k%7 == 0 {
		s.Txs = append(s.Txs, emulate.SwapForETH{Block: b, Trader: wallets[j], Router: emulate.UniswapV2Router, Pair: emulate.USDTWETHPair,
			Token: emulate.USDT, WETH: emulate.WETH, In: swapUSDT(100), Out: swapWei(49), TokenAfter: swapUSDT(1_000_000), WETHAfter: swapWei(500_000)}.Tx())
	}
}

// swapRun is one trace against the emulated provider: what it wrote, and
// what it asked.
type swapRun struct {
	traceJSON []byte
	summary   string
	calls     map[string]int64 // calls served by method
	requests  int64            // HTTP requests received, refused ones included
	limited   int64            // of which refused with 429
}

// swapDB is a new database holding D's label, as a case worker adds it.
func swapDB(t *testing.T, c *swapLive) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "case.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.PutLabels(context.Background(), []chains.Label{{Chain: chains.Ethereum, Address: emulate.ChainAddress(c.D),
		Entity: "Binance", Category: chains.CategoryDeposit, Source: "test", Confidence: 90}}); err != nil {
		t.Fatal(err)
	}
	return path
}

// run traces the case on db through p under rule, as `freezetrace trace
// --victim-tx … --rpc URL --rpc-rate 40` does, with the CLI's 12
// confirmations.
func (c *swapLive) run(t *testing.T, p *emulate.RPC, url, db string, rule trace.Rule) swapRun {
	t.Helper()
	before, req, lim := p.Counts(), p.Requests(), p.Limited()
	out := filepath.Join(t.TempDir(), "out")
	o := traceOptions{
		DB: db, Chain: chains.Ethereum, Out: out, Confirmations: 12,
		Case:     trace.Case{Chain: chains.Ethereum, Asset: chains.USDTEthereum, Payments: []trace.Payment{{Tx: chains.TxHash(c.victimTx)}}},
		Trace:    trace.Options{Rule: rule},
		Upstream: upstreamOptions{RPC: rpcOptions{URL: url, Rate: 40, Concurrency: 4, Retries: 5}},
	}
	var w, stderr bytes.Buffer
	if err := runTrace(context.Background(), o, &w, &stderr); err != nil {
		t.Fatalf("trace: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(out, "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := swapRun{traceJSON: b, summary: w.String(), calls: map[string]int64{}, requests: p.Requests() - req, limited: p.Limited() - lim}
	for m, n := range p.Counts() {
		if d := n - before[m]; d > 0 {
			r.calls[m] = d
		}
	}
	return r
}

// startSwapProvider serves ds as Infura does (eth_getLogs capped at 10,000
// results with its range hint, 50 requests a second) with flaky refusals,
// over the debug API only.
func startSwapProvider(t *testing.T, ds *emulate.Dataset, flaky int64) (*emulate.RPC, string) {
	t.Helper()
	return startProvider(t, ds, emulate.Behaviour{Logs: emulate.Infura, Rate: 50, Flaky: flaky})
}

// startTraceProvider is startSwapProvider's Infura with the parity trace
// API instead of the debug API, trace_filter capped at traceRange blocks
// (0 for none).
func startTraceProvider(t *testing.T, ds *emulate.Dataset, traceRange uint64) (*emulate.RPC, string) {
	t.Helper()
	return startProvider(t, ds, emulate.Behaviour{Logs: emulate.Infura, Rate: 50, NoTraces: true, TraceAPI: true, TraceRange: traceRange})
}

func startProvider(t *testing.T, ds *emulate.Dataset, b emulate.Behaviour) (*emulate.RPC, string) {
	t.Helper()
	p := emulate.NewRPC(ds, b)
	srv, err := p.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return p, srv.URL
}

func callsString(m map[string]int64) string {
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

// swapEndpoints is trace.json's endpoints as "kind address" → "amount
// value", each checked to be in ETH.
func swapEndpoints(t *testing.T, b []byte) (map[string]string, *trace.Result) {
	t.Helper()
	r, err := trace.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("ReadJSON: %v", err)
	}
	got := map[string]string{}
	for _, e := range r.Endpoints {
		got[string(e.Kind)+" "+e.Address.String()] = e.Amount.String() + " " + e.Value.String()
		if e.Asset != chains.NativeAsset(chains.Ethereum) {
			t.Errorf("endpoint %s in %s, want ETH", e.Address, e.Asset)
		}
	}
	return got, r
}

// checkSwapConversion checks the one conversion: C's swap, 10,000 USDT
// sent of which 6,000 tainted, swapOut wei received of which
// floor(swapOut·6,000/10,000) = 2,961,474,103,191,183,896 tainted, with
// the pair's Swap as its first evidence and WETH's Withdrawal after it.
func checkSwapConversion(t *testing.T, c *swapLive, r *trace.Result) {
	t.Helper()
	if len(r.Conversions) != 1 {
		t.Fatalf("%d conversions, want 1", len(r.Conversions))
	}
	cv := r.Conversions[0]
	if cv.Tx != chains.TxHash(c.swapTx) || cv.Address != emulate.ChainAddress(c.C) || cv.Block != c.swapsAt ||
		cv.Sent.Asset != chains.USDTEthereum || cv.Sent.Amount.String() != "10000000000" || cv.Sent.Tainted.String() != "6000000000" ||
		len(cv.Received) != 1 || cv.Received[0].Asset != chains.NativeAsset(chains.Ethereum) ||
		cv.Received[0].Amount.String() != swapOut.String() || cv.Received[0].Tainted.String() != "2961474103191183896" {
		t.Errorf("conversion %s at %d by %s: sent %+v received %+v", cv.Tx, cv.Block, cv.Address, cv.Sent, cv.Received)
	}
	pair, weth := emulate.ChainAddress(emulate.USDTWETHPair), emulate.ChainAddress(emulate.WETH)
	if len(cv.Events) != 2 || cv.Events[0].Kind != chains.EventUniswapV2Swap || cv.Events[0].Contract != pair ||
		cv.Events[1].Kind != chains.EventUnwrap || cv.Events[1].Contract != weth {
		t.Errorf("conversion evidence %+v, want the pair's Swap, then WETH's Withdrawal", cv.Events)
	}
}

// swapCost is what a cold trace of c asks the provider, by method, worked
// out by hand (safe is the head less the 12 confirmations; S the case's
// first block; the swap is at S+20, H1 is paid at S+30, H2 at S+45, D at
// S+60).
//
// Bounded by the case (the same on any chain around it):
//   - eth_chainId 1, eth_blockNumber 1: the chain check and the head;
//   - eth_getTransactionReceipt 2: the victim payment's (to read the
//     payment) and the swap's, read once for its events (TxEvents) and
//     kept for its transfers (TxTransfers: the receipt cache holds
//     receipts of final blocks); eth_getTransactionByHash 2 and
//     debug_traceTransaction 2: the victim payment and the swap, each
//     traced alone (the payment because TxTransfers reads every transfer,
//     native ones included);
//   - trace_filter 1 and debug_traceBlockByNumber 1: the one-block probe
//     of which trace API the node offers, at the payment's block;
//   - eth_getLogs 2: C's USDT ledger, sent and received, in one range each
//     (Infura's cap is on results, and C has 3 transfers);
//   - eth_call 3: C's USDT balance before the payment, USDT's symbol and
//     decimals;
//   - eth_getCode 6: C, the pair, the router, H1, H2 and USDT;
//   - eth_getBalance 5: the ETH opening balances of C (before the swap),
//     H1 and H2, and where D and C stand at the head.
//
// Bounded by the chain after the taint arrives (debug API: one call trace
// per block, whatever the block holds):
//   - debug_traceBlockByHash: every block from the swap to safe, once (the
//     source keeps traced blocks for the next address);
//   - eth_getBlockByNumber: every block from the swap to safe once, for
//     C's ETH ledger; the next ledgers (H1 from S+30, H2 from S+45, D from
//     S+60) read again only the headers of blocks less than the source's
//     final depth below the head: the trace's 12 confirmations, which the
//     CLI passes on, so none (safe is head−12); plus 4 headers for block
//     times: the payment's
//     block, C's other USDT blocks (S+9, S+20) and the head block the
//     holdings are read at.
func swapCost(c *swapLive) (caseBound, chainBound map[string]int64) {
	S, safe := c.caseStart, c.ds.Head-12
	from := func(b uint64) int64 { return int64(safe - b + 1) }
	depth := uint64(12) // --confirmations, the node's final depth too
	near := func(b uint64) int64 { return min(from(b), int64(safe-(c.ds.Head-depth))) }
	caseBound = map[string]int64{
		"eth_chainId": 1, "eth_blockNumber": 1,
		"eth_getTransactionReceipt": 2, "eth_getTransactionByHash": 2, "debug_traceTransaction": 2,
		"trace_filter": 1, "debug_traceBlockByNumber": 1,
		"eth_getLogs": 2, "eth_call": 3, "eth_getCode": 6, "eth_getBalance": 5,
	}
	chainBound = map[string]int64{
		"debug_traceBlockByHash": from(S + 20),
		"eth_getBlockByNumber":   4 + from(S+20) + near(S+30) + near(S+45) + near(S+60),
	}
	return caseBound, chainBound
}

// swapTraceCost is what a cold trace of c asks a provider with the parity
// trace API (and no debug API), trace_filter capped at traceRange blocks
// (0 for none), by hand. As swapCost for the chain id, head, receipts,
// transactions, logs, calls, code and balances; then:
//   - trace_transaction 2 instead of debug_traceTransaction: the victim
//     payment and the swap;
//   - trace_filter: the one-block probe, then for each ETH ledger (C from
//     S+20, H1 from S+30, H2 from S+45, D from S+60, each to safe) one
//     call for its sends and one for its receipts per window; with no cap
//     a window is the whole ledger, with a cap the first call is refused
//     and the cap learnt (once for the source), then ceil(blocks/cap)
//     windows each way;
//   - trace_block 5: the blocks those ledgers move ether in, S+20 (the
//     swap's ether to C), S+30, S+45, S+60 and S+75 (D's sweep), each once;
//   - eth_getBlockByNumber 9: the 4 block-time headers, and one per block
//     of each ledger's activity not already traced and final (C: S+20,
//     S+30; H1: S+45; H2: S+60; D: S+75).
//
// Without a cap nothing depends on the chain's length; with one the
// trace_filter windows grow with it, a hundred times slower than blocks.
func swapTraceCost(c *swapLive, traceRange uint64) map[string]int64 {
	S, safe := c.caseStart, c.ds.Head-12
	windows, refused := int64(0), int64(0)
	for _, first := range []uint64{S + 20, S + 30, S + 45, S + 60} {
		if traceRange == 0 {
			windows += 2
			continue
		}
		refused = 1
		windows += 2 * int64((safe-first+1+traceRange-1)/traceRange)
	}
	return map[string]int64{
		"eth_chainId": 1, "eth_blockNumber": 1,
		"eth_getTransactionReceipt": 2, "eth_getTransactionByHash": 2, "trace_transaction": 2,
		"trace_filter": 1 + refused + windows, "trace_block": 5, "eth_getBlockByNumber": 9,
		"eth_getLogs": 2, "eth_call": 3, "eth_getCode": 6, "eth_getBalance": 5,
	}
}

// splitCalls parts calls into the methods of caseBound and the rest.
func splitCalls(calls, caseBound map[string]int64) (inCase, rest map[string]int64) {
	inCase, rest = map[string]int64{}, map[string]int64{}
	for m, n := range calls {
		if _, ok := caseBound[m]; ok {
			inCase[m] = n
		} else {
			rest[m] = n
		}
	}
	return inCase, rest
}

// TestSwapLive traces the swap case over the emulated Infura-like
// provider (eth_getLogs capped at 10,000 results with its range hint, a
// rate limit of 50 requests a second, the client at 40) at block heights
// above 20,000,000, with 300 blocks of unrelated traffic before the case
// and 300 after, and checks what the trace finds and what it costs.
//
// Endpoints, by hand (as in swap_devchain_test.go): 10,000 USDT buy
// swapOut = 4,935,790,171,985,306,494 wei; under fifo C's 10,000 USDT
// carry the victim's 6,000, so the tainted ETH is t = floor(swapOut·6,000/
// 10,000) = 2,961,474,103,191,183,896 wei. C's ETH lots are its clean
// 1 ETH, then t, then the clean rest: the 2 ETH to H1 carry 1 ETH of taint,
// H1's 1.5 ETH to H2 carry it first, H2's 1 ETH to D too. D (a labeled
// deposit address): 1e18 wei, worth floor(1e18·6,000e6/t) = 2,026.018054
// USDT; C holds t − 1e18 = 1,961,474,103,191,183,896 wei, worth
// 3,973.981945 USDT. Under haircut (re-run on the same cache): D
// 498,918,259,807,805,543 wei, C 1,963,637,583,575,572,809, H1 and H2
// 249,459,129,903,902,772 each (the working is in swap_devchain_test.go).
//
// Figures:
//   - Cold: the calls by method equal swapCost's, worked by hand: on the
//     base chain 409 debug_traceBlockByHash, 827 eth_getBlockByNumber (4
//     block times, 409 for C's ledger, 3×138 for the others' blocks near
//     the head; 1,565 when every ledger read every header again) and 2
//     eth_getTransactionReceipt (3 when the swap's was read for its
//     events and again for its transfers). The swap's call trace is read
//     once; no range of the chain is traced for the swap itself.
//   - Warm: a re-run on the same database sends no request at all and
//     writes the same trace.json (provenance aside: it records the
//     retrieval time). A re-run under haircut on the same cache asks only
//     the chain id and the head balances of its two new freeze targets
//     (H1, H2): every ledger, event and transfer comes from the cache.
//   - TenfoldChain: the same case with ten times the traffic before and
//     after (3,000 blocks each, 600 blocks to the head) costs the same
//     case-bound calls; the ETH ledgers' calls grow with the blocks from
//     the swap to the head, as swapCost says: the debug API traces every
//     block of a native history (3,649 debug_traceBlockByHash, 4,067
//     eth_getBlockByNumber; 14,525 when each ledger re-read every header).
//     Only the headers near the head are read again per ledger, 138 each
//     on either chain. (Cost follows the case for token ledgers, not for
//     native ones over debug traces: TestSwapLiveTraceAPI has the trace
//     API.)
//   - Throttled: with every fifth HTTP request refused with 429, the run
//     retries, is served the same calls by method, and writes the same
//     trace.json as the clean run (the wall clock's fields aside).
func TestSwapLive(t *testing.T) {
	base := newSwapLive(t, 300, 300, 60)
	p, url := startSwapProvider(t, base.ds, 0)
	db := swapDB(t, base)
	cold := base.run(t, p, url, db, trace.FIFO)
	fifo := map[string]string{
		"exchange " + emulate.ChainAddress(base.D).String(): "1000000000000000000 2026018054",
		"held " + emulate.ChainAddress(base.C).String():     "1961474103191183896 3973981945",
	}
	caseBound, chainBound := swapCost(base)
	t.Run("Cold", func(t *testing.T) {
		got, r := swapEndpoints(t, cold.traceJSON)
		if !maps.Equal(got, fifo) {
			t.Errorf("endpoints %v\nwant %v", got, fifo)
		}
		checkSwapConversion(t, base, r)
		want := maps.Clone(caseBound)
		maps.Copy(want, chainBound)
		if !maps.Equal(cold.calls, want) {
			t.Errorf("cold calls by method:\n%s\nwant\n%s", callsString(cold.calls), callsString(want))
		}
		if cold.limited != 0 {
			t.Errorf("%d requests refused with 429 under the client's rate, want 0", cold.limited)
		}
		t.Logf("cold: %d HTTP requests, %d calls: %s", cold.requests, total(cold.calls), callsString(cold.calls))
	})
	t.Run("Warm", func(t *testing.T) {
		warm := base.run(t, p, url, db, trace.FIFO)
		if warm.requests != 0 {
			t.Errorf("warm re-run: %d requests (%s), want 0", warm.requests, callsString(warm.calls))
		}
		if !bytes.Equal(withoutProvenance(t, warm.traceJSON), withoutProvenance(t, cold.traceJSON)) {
			t.Error("the warm re-run wrote another trace.json")
		}
		// Another rule on the same cache: what the data says is cached;
		// where the two new freeze targets H1 and H2 stand is read live
		// (their balances at the head), after the chain check.
		hc := base.run(t, p, url, db, trace.Haircut)
		got, _ := swapEndpoints(t, hc.traceJSON)
		want := map[string]string{
			"exchange " + emulate.ChainAddress(base.D).String(): "498918259807805543 1010817401",
			"held " + emulate.ChainAddress(base.C).String():     "1963637583575572809 3978365196",
			"held " + emulate.ChainAddress(base.H1).String():    "249459129903902772 505408700",
			"held " + emulate.ChainAddress(base.H2).String():    "249459129903902772 505408700",
		}
		if !maps.Equal(got, want) {
			t.Errorf("haircut endpoints %v\nwant %v", got, want)
		}
		if want := map[string]int64{"eth_chainId": 1, "eth_getBalance": 2}; !maps.Equal(hc.calls, want) {
			t.Errorf("haircut re-run on the cache: %d requests (%s), want %s", hc.requests, callsString(hc.calls), callsString(want))
		}
	})
	t.Run("TenfoldChain", func(t *testing.T) {
		long := newSwapLive(t, 3000, 3000, 600)
		lp, lurl := startSwapProvider(t, long.ds, 0)
		r := long.run(t, lp, lurl, swapDB(t, long), trace.FIFO)
		got, tr := swapEndpoints(t, r.traceJSON)
		want := map[string]string{
			"exchange " + emulate.ChainAddress(long.D).String(): "1000000000000000000 2026018054",
			"held " + emulate.ChainAddress(long.C).String():     "1961474103191183896 3973981945",
		}
		if !maps.Equal(got, want) {
			t.Errorf("endpoints %v\nwant %v", got, want)
		}
		checkSwapConversion(t, long, tr)
		inCase, rest := splitCalls(r.calls, caseBound)
		baseCase, _ := splitCalls(cold.calls, caseBound)
		if !maps.Equal(inCase, baseCase) {
			t.Errorf("case-bound calls on the longer chain:\n%s\nwant those of the shorter one:\n%s", callsString(inCase), callsString(baseCase))
		}
		_, longChain := swapCost(long)
		if !maps.Equal(rest, longChain) {
			t.Errorf("native-history calls on the longer chain:\n%s\nwant one per block to the head:\n%s", callsString(rest), callsString(longChain))
		}
		t.Logf("tenfold chain (%d blocks, %d transactions): %d HTTP requests, %d calls (short chain: %d, %d); case-bound %s; native history %s",
			long.ds.Head-long.ds.First+1, len(long.ds.Txs), r.requests, total(r.calls), cold.requests, total(cold.calls), callsString(inCase), callsString(rest))
	})
	t.Run("Throttled", func(t *testing.T) {
		fp, furl := startSwapProvider(t, base.ds, 5)
		r := base.run(t, fp, furl, swapDB(t, base), trace.FIFO)
		if r.limited == 0 {
			t.Error("no request was refused with 429")
		}
		if !maps.Equal(r.calls, cold.calls) {
			t.Errorf("calls by method under 429s:\n%s\nwant the clean run's:\n%s", callsString(r.calls), callsString(cold.calls))
		}
		if got, want := withoutClock(t, r.traceJSON), withoutClock(t, cold.traceJSON); !bytes.Equal(got, want) {
			t.Errorf("the throttled run wrote another trace.json than the clean run:\n%s", firstDiff(got, want))
		}
		t.Logf("throttled: %d HTTP requests, %d refused with 429 and retried", r.requests, r.limited)
	})
}

// TestSwapLiveTraceAPI traces the swap case as TestSwapLive does, over an
// Infura-like provider that offers the parity trace API (trace_filter,
// trace_block, trace_transaction) and no debug API, and checks that the
// ETH ledgers then cost what the addresses did, not what the chain holds.
//
// Figures (swapTraceCost, by hand):
//   - Base: 9 trace_filter (the probe, 2 for each of 4 ledgers), 5
//     trace_block, 9 eth_getBlockByNumber and 2 trace_transaction, against
//     the debug API's 409 debug_traceBlockByHash and 827 headers; the
//     same endpoints and conversion.
//   - TenfoldChain: ten times the traffic before and after (3,000 blocks
//     each, 600 blocks to the head): every method the same count as on
//     the base chain.
//   - Capped: with trace_filter limited to 100 blocks a call, as Infura
//     documents, the source learns the cap from the first refusal and
//     asks ceil(blocks/100) windows each way: 36 trace_filter on the base
//     chain (2 + 2×(5+4+4+4)), 298 on the tenfold one (2 + 2×4×37), the
//     rest as without the cap. (That a cap learnt for trace_filter never
//     narrows eth_getLogs is TestTraceFilterCapLearnt's, in
//     internal/emulate: here the token ledger is read before the cap.)
func TestSwapLiveTraceAPI(t *testing.T) {
	base := newSwapLive(t, 300, 300, 60)
	long := newSwapLive(t, 3000, 3000, 600)
	fifo := func(c *swapLive) map[string]string {
		return map[string]string{
			"exchange " + emulate.ChainAddress(c.D).String(): "1000000000000000000 2026018054",
			"held " + emulate.ChainAddress(c.C).String():     "1961474103191183896 3973981945",
		}
	}
	run := func(t *testing.T, c *swapLive, traceRange uint64) swapRun {
		t.Helper()
		p, url := startTraceProvider(t, c.ds, traceRange)
		r := c.run(t, p, url, swapDB(t, c), trace.FIFO)
		got, tr := swapEndpoints(t, r.traceJSON)
		if want := fifo(c); !maps.Equal(got, want) {
			t.Errorf("endpoints %v\nwant %v", got, want)
		}
		checkSwapConversion(t, c, tr)
		if want := swapTraceCost(c, traceRange); !maps.Equal(r.calls, want) {
			t.Errorf("calls by method:\n%s\nwant\n%s", callsString(r.calls), callsString(want))
		}
		if r.limited != 0 {
			t.Errorf("%d requests refused with 429 under the client's rate, want 0", r.limited)
		}
		return r
	}
	var short swapRun
	t.Run("Base", func(t *testing.T) {
		short = run(t, base, 0)
		t.Logf("trace API: %d HTTP requests, %d calls: %s", short.requests, total(short.calls), callsString(short.calls))
	})
	t.Run("TenfoldChain", func(t *testing.T) {
		r := run(t, long, 0)
		if short.calls != nil && !maps.Equal(r.calls, short.calls) {
			t.Errorf("calls on the longer chain:\n%s\nwant those of the shorter one:\n%s", callsString(r.calls), callsString(short.calls))
		}
		t.Logf("tenfold chain over the trace API: %d HTTP requests, %d calls: %s", r.requests, total(r.calls), callsString(r.calls))
	})
	t.Run("Capped", func(t *testing.T) {
		for _, c := range []*swapLive{base, long} {
			r := run(t, c, 100)
			t.Logf("trace_filter capped at 100 blocks, %d blocks to the head: %d HTTP requests, %d calls: %s",
				c.ds.Head-c.caseStart, r.requests, total(r.calls), callsString(r.calls))
		}
	})
}

// withoutClock is trace.json without what the wall clock writes: the
// provenance (retrieval times) and when each holding was checked. Two
// cold runs differ in those only.
func withoutClock(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "provenance")
	hs, _ := m["holdings"].([]any)
	for _, h := range hs {
		delete(h.(map[string]any), "checked")
	}
	out, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func total(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}
