package emulate

import (
	"context"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/chains/evm"
)

// swapScript is a small scripted chain: C is paid 1 ETH and 10 USDT, swaps
// the USDT for 3 ETH through the router and pair, and pays 2 ETH on.
func swapScript() (*Script, map[string]common.Address) {
	a := map[string]common.Address{"C": common.HexToAddress("0xc0"), "P": common.HexToAddress("0xa1"), "H": common.HexToAddress("0xb2"),
		"F": common.HexToAddress("0xf0")}
	tok := Token{Address: USDT, Symbol: "USDT", Name: "Tether USD", Decimals: 6, TotalSupply: big.NewInt(10_000_000)}
	eth := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	s := &Script{Seed: 3, Token: tok, Tokens: []Token{tok}, Contracts: []common.Address{USDT, WETH, UniswapV2Router, USDTWETHPair},
		Genesis: map[common.Address]*big.Int{WETH: eth(1000), a["F"]: eth(5)}, HeadMargin: 20}
	s.Txs = []ScriptTx{
		{Block: BaseBlock + 1, From: a["F"], To: USDT, Logs: []RawLog{TransferLog(USDT, common.Address{}, a["P"], big.NewInt(10_000_000))}},
		TokenPayment(BaseBlock+2, USDT, a["P"], a["C"], big.NewInt(10_000_000)),
		EtherPayment(BaseBlock+2, a["F"], a["C"], eth(1)),
		SwapForETH{Block: BaseBlock + 3, Trader: a["C"], Router: UniswapV2Router, Pair: USDTWETHPair, Token: USDT, WETH: WETH,
			In: big.NewInt(10_000_000), Out: eth(3), TokenAfter: big.NewInt(10_000_000), WETHAfter: eth(7)}.Tx(),
		EtherPayment(BaseBlock+5, a["C"], a["H"], eth(2)),
	}
	return s, a
}

// TestScriptServed reads a scripted swap through the EVM source: the
// receipt's extra logs at their log indexes (the pair's Swap, WETH's
// Withdrawal) as events, the internal ether transfers from the call
// trace, native histories from block traces, and ether balances.
func TestScriptServed(t *testing.T) {
	s, a := swapScript()
	d := s.Dataset()
	if d.Head != BaseBlock+25 || len(d.Transfers) != 3 || len(d.Logs) != 7 {
		t.Fatalf("head %d, %d transfers, %d logs; want %d, 3, 7", d.Head, len(d.Transfers), len(d.Logs), BaseBlock+25)
	}
	r := NewRPC(d, Behaviour{Logs: Infura})
	srv, err := r.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	src := dialEVM(t, srv.URL, evm.Options{})
	ctx := context.Background()
	swap := chains.TxHash(s.TxHash(3))

	evs, err := src.TxEvents(ctx, chains.Ethereum, swap)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%s %s %d", e.Kind, e.Contract, e.Position))
	}
	want := []string{fmt.Sprintf("uniswap_v2_swap %s 3", ChainAddress(USDTWETHPair)), fmt.Sprintf("unwrap %s 4", ChainAddress(WETH))}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %v, want %v", got, want)
	}

	ts, err := src.TxTransfers(ctx, chains.Ethereum, swap)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, tr := range ts {
		got = append(got, fmt.Sprintf("%s %s>%s %s @%d", tr.Asset, tr.From, tr.To, tr.Amount, tr.Position))
	}
	C, R, P, W := ChainAddress(a["C"]), ChainAddress(UniswapV2Router), ChainAddress(USDTWETHPair), ChainAddress(WETH)
	usdt, weth, eth := chains.USDTEthereum, chains.AssetID{Chain: chains.Ethereum, Contract: W}, chains.NativeAsset(chains.Ethereum)
	want = []string{
		fmt.Sprintf("%s %s>%s 10000000 @0", usdt, C, P),
		fmt.Sprintf("%s %s>%s 3000000000000000000 @1", weth, P, R),
		fmt.Sprintf("%s %s>%s 3000000000000000000 @4", weth, R, W),
		// Frames depth-first: 0 the call, 1 getReserves, 2 transferFrom,
		// 3 swap (4-6 under it), 7 withdraw, 8 WETH → router, 9 router → C.
		fmt.Sprintf("%s %s>%s 3000000000000000000 @8", eth, W, R),
		fmt.Sprintf("%s %s>%s 3000000000000000000 @9", eth, R, C),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("transfers\n%v\nwant\n%v", got, want)
	}

	native, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: C, Asset: eth, From: BaseBlock + 1, To: BaseBlock + 10})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, tr := range native {
		got = append(got, fmt.Sprintf("%d %s>%s %s", tr.Block, tr.From, tr.To, tr.Amount))
	}
	want = []string{
		fmt.Sprintf("%d %s>%s 1000000000000000000", BaseBlock+2, ChainAddress(a["F"]), C),
		fmt.Sprintf("%d %s>%s 3000000000000000000", BaseBlock+3, R, C),
		fmt.Sprintf("%d %s>%s 2000000000000000000", BaseBlock+5, C, ChainAddress(a["H"])),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("C's ether\n%v\nwant\n%v", got, want)
	}

	for _, tc := range []struct {
		block uint64
		want  string
	}{{BaseBlock + 1, "0"}, {BaseBlock + 2, "1000000000000000000"}, {BaseBlock + 4, "4000000000000000000"}, {d.Head, "2000000000000000000"}} {
		bal, err := src.Balance(ctx, chains.Ethereum, C, eth, tc.block)
		if err != nil || bal.String() != tc.want {
			t.Errorf("C's ether at block %d: %v (%v), want %s", tc.block, bal, err, tc.want)
		}
	}
	if w := d.EtherBalance(WETH, d.Head); w.String() != "997000000000000000000" {
		t.Errorf("WETH holds %s wei after the unwrap, want 997e18", w)
	}
}

// TestGeneratedHasNoEther: a generated dataset keeps answering as before,
// with transactions that move no ether and no eth_getBalance.
func TestGeneratedHasNoEther(t *testing.T) {
	d := dataset()
	if d.HasEther() || d.EtherBalance(d.HotWallet, d.Head) != nil {
		t.Fatal("a generated dataset carries ether")
	}
	tx := &d.Txs[0]
	if f := d.callFrame(tx); f.Value != "0x0" || d.txJSON(tx)["value"] != "0x0" {
		t.Errorf("generated transaction moves %s / %v", f.Value, d.txJSON(tx)["value"])
	}
}

// TestFlaky: every Flaky-th request is refused with 429 and no
// Retry-After, counted as limited and not served.
func TestFlaky(t *testing.T) {
	r, url := startRPC(t, Behaviour{Flaky: 2})
	body := `{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}`
	for i, want := range []int{200, 429, 200, 429} {
		code, hdr, _ := post(t, url, body)
		if code != want || hdr.Get("Retry-After") != "" {
			t.Errorf("request %d: status %d Retry-After %q, want %d and none", i+1, code, hdr.Get("Retry-After"), want)
		}
	}
	if r.Requests() != 4 || r.Limited() != 2 || r.Total() != 2 {
		t.Errorf("requests %d limited %d calls %d, want 4, 2, 2", r.Requests(), r.Limited(), r.Total())
	}
}
