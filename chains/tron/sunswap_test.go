package tron_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/tron"
)

var updateSunSwap = flag.Bool("update", false, "rewrite testdata/sunswap/scenario.json from the scenario builder")

// sunSwapPath is the scenario as a fixture: what buildSunSwap builds,
// written by `go test ./chains/tron -run TestSunSwapFixture -update`.
var sunSwapPath = filepath.Join("testdata", "sunswap", "scenario.json")

// swapScenario is a small TRON chain, described as data so that a trace
// test can load it (from the JSON fixture) into a TronGrid stand-in. Every
// amount is in base units; every address is a TRON address.
type swapScenario struct {
	Note   string           `json:"note"`
	Head   uint64           `json:"head"`
	Times  map[uint64]int64 `json:"block_times_ms"` // block → time (Unix ms)
	Tokens []swapToken      `json:"tokens"`
	// Contracts are the addresses /wallet/getcontract knows besides the
	// tokens.
	Contracts []chains.Address `json:"contracts"`
	Txs       []swapTx         `json:"txs"`
	Labels    []chains.Label   `json:"labels"`
	Actors    swapActors       `json:"actors"`
	Swap      swapFigures      `json:"swap"`
}

type swapToken struct {
	Contract chains.Address `json:"contract"`
	Symbol   string         `json:"symbol"`
	Decimals int            `json:"decimals"`
}

// swapTx is one transaction: its own TRX (a TransferContract), or a call
// of Call with TRC-20 Transfer events and other events in its log, in log
// order, and internal transactions.
type swapTx struct {
	ID       chains.TxHash      `json:"id"`
	Block    uint64             `json:"block"`
	Index    uint32             `json:"index"` // in its block
	Owner    chains.Address     `json:"owner"`
	TRX      *swapMove          `json:"trx,omitempty"`
	Call     *chains.Address    `json:"call,omitempty"`
	Logs     []swapLog          `json:"logs,omitempty"`
	Internal []swapMove         `json:"internal,omitempty"`
	Kinds    []chains.EventKind `json:"event_kinds,omitempty"` // what TxEvents must find, in log order
}

// swapMove is value base units from From to To.
type swapMove struct {
	From   chains.Address `json:"from"`
	To     chains.Address `json:"to"`
	Amount chains.Amount  `json:"amount"`
}

// swapLog is one event of Contract: a Transfer when Transfer is set, else
// the raw topics and data.
type swapLog struct {
	Contract chains.Address `json:"contract"`
	Transfer *swapMove      `json:"transfer,omitempty"`
	Topics   []string       `json:"topics,omitempty"`
	Data     string         `json:"data,omitempty"`
}

// swapActors names the scenario's addresses.
type swapActors struct {
	Victim, Collector, Router, Pair, Hop1, Hop2, Peel1, Peel2, Deposit, HotWallet chains.Address
	USDT, WTRX                                                                    chains.Address
}

// swapFigures are the swap's reserves and amounts and the transactions
// that matter to a trace.
type swapFigures struct {
	ReserveUSDT chains.Amount `json:"reserve_usdt"`
	ReserveWTRX chains.Amount `json:"reserve_wtrx"`
	In          chains.Amount `json:"usdt_in"`
	Out         chains.Amount `json:"trx_out"` // (in·997·R_out)/(R_in·1000 + in·997)
	Payment     chains.TxHash `json:"victim_payment"`
	SwapTx      chains.TxHash `json:"swap_tx"`
	SweepTx     chains.TxHash `json:"sweep_tx"`
}

// Event topics the scenario writes (keccak256 of the signatures).
const (
	swapTopic0       = "d78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822"
	syncTopic0       = "1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"
	withdrawalTopic0 = "7fcf532c15f0a6db0bd6d0e038bea71d30d808c7d98cb3bf7268a95bf5081b65"
)

func swapTxID(n byte) chains.TxHash {
	var h chains.TxHash
	h[0], h[1], h[31] = 0x5a, 0x5a, n
	return h
}

func word(v *big.Int) string          { return fmt.Sprintf("%064x", v) }
func topicOf(a chains.Address) string { b := a.Bytes(); return fmt.Sprintf("%024x%x", 0, b[:]) }
func amt(v *big.Int) chains.Amount {
	a, err := chains.AmountFromBig(v)
	if err != nil {
		panic(err)
	}
	return a
}

// buildSunSwap builds the scenario: a victim pays 10,000 USDT to a
// collector; the collector swaps them for TRX through a SunSwap V2-style
// router and USDT/WTRX pair in one transaction (USDT to the pair, the
// pair's WTRX to the router, Sync, Swap, WTRX's Withdrawal to the router,
// then TRX from WTRX to the router and from the router to the collector as
// internal transactions); the collector sends the TRX to hop 1, which
// peels 1,000 TRX off and passes the rest to hop 2, which peels 500 TRX
// off and pays the rest into a deposit address; the deposit address sweeps
// it into an exchange hot wallet.
func buildSunSwap() *swapScenario {
	a := swapActors{
		Victim: addr(0x61), Collector: addr(0x62), Router: addr(0x63), Pair: addr(0x64),
		Hop1: addr(0x65), Hop2: addr(0x66), Peel1: addr(0x67), Peel2: addr(0x68),
		Deposit: addr(0x69), HotWallet: addr(0x6a),
		USDT: chains.USDTTron.Contract, WTRX: chains.MustParseAddress("TNUC9Qb1rRpS5CbWLmNMxXBjyFoydXjWFR"),
	}
	rUSDT := big.NewInt(5_000_000_000000)  // 5,000,000 USDT
	rWTRX := big.NewInt(20_000_000_000000) // 20,000,000 TRX
	in := big.NewInt(10_000_000000)        // 10,000 USDT
	withFee := new(big.Int).Mul(in, big.NewInt(997))
	out := new(big.Int).Div(new(big.Int).Mul(withFee, rWTRX), new(big.Int).Add(new(big.Int).Mul(rUSDT, big.NewInt(1000)), withFee))
	peel1, peel2 := big.NewInt(1_000_000000), big.NewInt(500_000000)
	rest1 := new(big.Int).Sub(out, peel1)
	rest2 := new(big.Int).Sub(rest1, peel2)
	zero := new(big.Int)

	sc := &swapScenario{
		Note: "SunSwap V2 USDT→TRX swap, then a two-hop TRX peel chain into an exchange deposit address (chains/tron/sunswap_test.go builds it)",
		Head: 120, Times: map[uint64]int64{}, Actors: a,
		Tokens:    []swapToken{{a.USDT, "USDT", 6}, {a.WTRX, "WTRX", 6}},
		Contracts: []chains.Address{a.Router, a.Pair},
		Labels: []chains.Label{{Chain: chains.Tron, Address: a.HotWallet, Entity: "Binance", Category: chains.CategoryExchange,
			Source: "fixture", Confidence: 100}},
	}
	for n := uint64(0); n <= sc.Head+20; n++ {
		sc.Times[n] = base.Add(time.Duration(n) * 3 * time.Second).UnixMilli()
	}
	move := func(from, to chains.Address, v *big.Int) *swapMove {
		return &swapMove{From: from, To: to, Amount: amt(v)}
	}
	trxTx := func(n byte, block uint64, from, to chains.Address, v *big.Int) swapTx {
		return swapTx{ID: swapTxID(n), Block: block, Owner: from, TRX: move(from, to, v)}
	}
	// token0 is the lower address: WTRX (41 891c…) below USDT (41 a614…).
	swap := swapTx{
		ID: swapTxID(2), Block: 102, Owner: a.Collector, Call: &a.Router,
		Logs: []swapLog{
			{Contract: a.USDT, Transfer: move(a.Collector, a.Pair, in)},
			{Contract: a.WTRX, Transfer: move(a.Pair, a.Router, out)},
			{Contract: a.Pair, Topics: []string{syncTopic0},
				Data: word(new(big.Int).Sub(rWTRX, out)) + word(new(big.Int).Add(rUSDT, in))},
			{Contract: a.Pair, Topics: []string{swapTopic0, topicOf(a.Router), topicOf(a.Router)},
				Data: word(zero) + word(in) + word(out) + word(zero)},
			{Contract: a.WTRX, Topics: []string{withdrawalTopic0, topicOf(a.Router)}, Data: word(out)},
		},
		Internal: []swapMove{
			*move(a.Router, a.USDT, zero), // transferFrom
			*move(a.Router, a.Pair, zero), // swap
			*move(a.Pair, a.WTRX, zero),   // transfer to the router
			*move(a.Router, a.WTRX, zero), // withdraw
			*move(a.WTRX, a.Router, out),  // withdraw pays the router
			*move(a.Router, a.Collector, out),
		},
		Kinds: []chains.EventKind{chains.EventUniswapV2Swap, chains.EventUnwrap},
	}
	sc.Txs = []swapTx{
		{ID: swapTxID(1), Block: 100, Owner: a.Victim, Call: &a.USDT,
			Logs: []swapLog{{Contract: a.USDT, Transfer: move(a.Victim, a.Collector, in)}}},
		swap,
		trxTx(3, 104, a.Collector, a.Hop1, out),
		trxTx(4, 106, a.Hop1, a.Peel1, peel1),
		trxTx(5, 107, a.Hop1, a.Hop2, rest1),
		trxTx(6, 108, a.Hop2, a.Peel2, peel2),
		trxTx(7, 109, a.Hop2, a.Deposit, rest2),
		trxTx(8, 112, a.Deposit, a.HotWallet, rest2),
	}
	sc.Swap = swapFigures{
		ReserveUSDT: amt(rUSDT), ReserveWTRX: amt(rWTRX), In: amt(in), Out: amt(out),
		Payment: swapTxID(1), SwapTx: swapTxID(2), SweepTx: swapTxID(8),
	}
	return sc
}

// loadSunSwap reads the scenario from its fixture.
func loadSunSwap(t *testing.T) *swapScenario {
	t.Helper()
	b, err := os.ReadFile(sunSwapPath)
	if err != nil {
		t.Fatal(err)
	}
	var sc swapScenario
	if err := json.Unmarshal(b, &sc); err != nil {
		t.Fatalf("%s: %v", sunSwapPath, err)
	}
	return &sc
}

// grid serves the scenario from a fake TronGrid.
func (sc *swapScenario) grid(t *testing.T) *fakeGrid {
	t.Helper()
	times := make(map[uint64]time.Time, len(sc.Times))
	for n, ms := range sc.Times {
		times[n] = time.UnixMilli(ms).UTC()
	}
	var ts []chains.Transfer
	for _, tx := range sc.Txs {
		ts = append(ts, sc.transfers(tx, times)...)
	}
	g := newFakeGrid(t, times, sc.Head, ts)
	for _, tk := range sc.Tokens {
		g.token(tk.Contract, tk.Symbol, tk.Decimals)
	}
	for _, tx := range sc.Txs {
		for i, l := range tx.Logs {
			if l.Transfer == nil {
				g.addRawLog(tx.ID, i, l.Contract, rawLog{topics: l.Topics, data: l.Data})
			}
		}
		for _, in := range tx.Internal {
			g.addInternal(tx.ID, fakeInternal{from: in.From, to: in.To, value: in.Amount.Big().Uint64()})
		}
		if tx.Call != nil {
			g.setCall(tx.ID, *tx.Call, 0)
		}
	}
	g.mu.Lock()
	for _, c := range sc.Contracts {
		g.contracts[c] = true
	}
	g.mu.Unlock()
	return g
}

// transfers are the transfers the fake grid needs to hold tx: its own TRX
// and its Transfer events. A transaction without either is seeded by its
// first log's contract.
func (sc *swapScenario) transfers(tx swapTx, times map[uint64]time.Time) []chains.Transfer {
	mk := func(pos uint32, asset chains.AssetID, m *swapMove) chains.Transfer {
		return chains.Transfer{Chain: chains.Tron, Tx: tx.ID, Position: pos, TxIndex: tx.Index, Block: tx.Block,
			Time: times[tx.Block], From: m.From, To: m.To, Asset: asset, Amount: m.Amount}
	}
	if tx.TRX != nil {
		return []chains.Transfer{mk(0, chains.NativeAsset(chains.Tron), tx.TRX)}
	}
	var out []chains.Transfer
	for i, l := range tx.Logs {
		if l.Transfer != nil {
			out = append(out, mk(uint32(i), chains.AssetID{Chain: chains.Tron, Contract: l.Contract}, l.Transfer))
		}
	}
	return out
}

// TestSunSwapFixture checks that the committed fixture is what the builder
// builds (rewrite it with -update) and that the swap follows the
// constant-product formula.
func TestSunSwapFixture(t *testing.T) {
	b, err := json.MarshalIndent(buildSunSwap(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	if *updateSunSwap {
		if err := os.MkdirAll(filepath.Dir(sunSwapPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(sunSwapPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(sunSwapPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Fatalf("%s differs from buildSunSwap(); run go test ./chains/tron -run TestSunSwapFixture -update", sunSwapPath)
	}
	sw := loadSunSwap(t).Swap
	// (in·997·R_out)/(R_in·1000 + in·997) = (10^10·997·2·10^13)/(5·10^15 + 997·10^10),
	// worked out apart from the builder: 39,800.637528 TRX.
	if want := "39800637528"; sw.Out.String() != want {
		t.Fatalf("TRX out %s, want %s", sw.Out, want)
	}
}

// TestSunSwapTxEvents reads the events of every scenario transaction: the
// swap transaction has the pair's Swap and WTRX's Withdrawal (not the
// Sync), the others none.
func TestSunSwapTxEvents(t *testing.T) {
	ctx := context.Background()
	sc := loadSunSwap(t)
	src := newSource(t, sc.grid(t), tron.Options{})
	for _, tx := range sc.Txs {
		evs, err := src.TxEvents(ctx, chains.Tron, tx.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []chains.EventKind
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
			if e.Chain != chains.Tron || e.Tx != tx.ID || e.Block != tx.Block {
				t.Errorf("event %+v of tx %s in block %d", e, tx.ID, tx.Block)
			}
		}
		if !slices.Equal(kinds, tx.Kinds) {
			t.Errorf("tx %s: kinds %v, want %v", tx.ID, kinds, tx.Kinds)
		}
	}
	evs, err := src.TxEvents(ctx, chains.Tron, sc.Swap.SwapTx)
	if err != nil {
		t.Fatal(err)
	}
	want := []chains.TxEvent{
		{Chain: chains.Tron, Tx: sc.Swap.SwapTx, Block: 102, Position: 3, Contract: sc.Actors.Pair, Kind: chains.EventUniswapV2Swap},
		{Chain: chains.Tron, Tx: sc.Swap.SwapTx, Block: 102, Position: 4, Contract: sc.Actors.WTRX, Kind: chains.EventUnwrap},
	}
	if !slices.Equal(evs, want) {
		t.Fatalf("events\n got %+v\nwant %+v", evs, want)
	}

	t.Run("NoWrappers", func(t *testing.T) {
		src := newSource(t, sc.grid(t), tron.Options{Wrappers: []chains.Address{}})
		evs, err := src.TxEvents(ctx, chains.Tron, sc.Swap.SwapTx)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].Kind != chains.EventUniswapV2Swap {
			t.Fatalf("got %+v, want the Swap only", evs)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := src.TxEvents(ctx, chains.Tron, swapTxID(99)); !errors.Is(err, chains.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrUnsupported", func(t *testing.T) {
		if _, err := src.TxEvents(ctx, chains.Ethereum, sc.Swap.SwapTx); !errors.Is(err, chains.ErrUnsupported) {
			t.Fatalf("got %v, want ErrUnsupported", err)
		}
	})
	t.Run("Reverted", func(t *testing.T) {
		g := sc.grid(t)
		g.fail(sc.Swap.SwapTx)
		evs, err := newSource(t, g, tron.Options{}).TxEvents(ctx, chains.Tron, sc.Swap.SwapTx)
		if err != nil || evs == nil || len(evs) != 0 {
			t.Fatalf("got %+v, %v; want an empty slice", evs, err)
		}
	})
}

// sunSwapMove is the transfer the scenario's tx makes at pos.
func sunSwapMove(sc *swapScenario, tx chains.TxHash, pos uint32, asset chains.AssetID, from, to chains.Address, v chains.Amount) chains.Transfer {
	for _, x := range sc.Txs {
		if x.ID == tx {
			return chains.Transfer{Chain: chains.Tron, Tx: tx, Position: pos, TxIndex: x.Index, Block: x.Block,
				Time: time.UnixMilli(sc.Times[x.Block]).UTC(), From: from, To: to, Asset: asset, Amount: v}
		}
	}
	panic("no tx")
}

// TestSunSwapTxTransfers reads both legs of the swap for the collector
// (USDT out to the pair, TRX in from the router) and the legs between the
// venue's contracts.
func TestSunSwapTxTransfers(t *testing.T) {
	sc := loadSunSwap(t)
	a, sw := sc.Actors, sc.Swap
	src := newSource(t, sc.grid(t), tron.Options{})
	got, err := src.TxTransfers(context.Background(), chains.Tron, sw.SwapTx)
	if err != nil {
		t.Fatal(err)
	}
	wtrx := chains.AssetID{Chain: chains.Tron, Contract: a.WTRX}
	sameTransfers(t, got, []chains.Transfer{
		sunSwapMove(sc, sw.SwapTx, 0, usdt, a.Collector, a.Pair, sw.In),
		sunSwapMove(sc, sw.SwapTx, 1, wtrx, a.Pair, a.Router, sw.Out),
		sunSwapMove(sc, sw.SwapTx, 5, trx, a.WTRX, a.Router, sw.Out),
		sunSwapMove(sc, sw.SwapTx, 6, trx, a.Router, a.Collector, sw.Out),
	})
}

// TestSunSwapLedgers reads TRX and USDT ledgers: the collector's TRX
// ledger holds the swap's TRX inflow (an internal transaction) and its
// outflow to hop 1; the router's holds both internal legs; a hop's holds
// only its own transactions.
func TestSunSwapLedgers(t *testing.T) {
	ctx := context.Background()
	sc := loadSunSwap(t)
	a, sw := sc.Actors, sc.Swap
	g := sc.grid(t)
	src := newSource(t, g, tron.Options{PageSize: 2})
	ledger := func(who chains.Address, asset chains.AssetID) []chains.Transfer {
		t.Helper()
		ts, err := src.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: who, Asset: asset, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	rest1 := new(big.Int).Sub(sw.Out.Big(), big.NewInt(1_000_000000))
	t.Run("CollectorTRX", func(t *testing.T) {
		sameTransfers(t, ledger(a.Collector, trx), []chains.Transfer{
			sunSwapMove(sc, sw.SwapTx, 6, trx, a.Router, a.Collector, sw.Out),
			sunSwapMove(sc, swapTxID(3), 0, trx, a.Collector, a.Hop1, sw.Out),
		})
	})
	t.Run("CollectorUSDT", func(t *testing.T) {
		sameTransfers(t, ledger(a.Collector, usdt), []chains.Transfer{
			sunSwapMove(sc, sw.Payment, 0, usdt, a.Victim, a.Collector, sw.In),
			sunSwapMove(sc, sw.SwapTx, 0, usdt, a.Collector, a.Pair, sw.In),
		})
	})
	t.Run("RouterTRX", func(t *testing.T) {
		sameTransfers(t, ledger(a.Router, trx), []chains.Transfer{
			sunSwapMove(sc, sw.SwapTx, 5, trx, a.WTRX, a.Router, sw.Out),
			sunSwapMove(sc, sw.SwapTx, 6, trx, a.Router, a.Collector, sw.Out),
		})
	})
	t.Run("Hop1TRX", func(t *testing.T) {
		sameTransfers(t, ledger(a.Hop1, trx), []chains.Transfer{
			sunSwapMove(sc, swapTxID(3), 0, trx, a.Collector, a.Hop1, sw.Out),
			sunSwapMove(sc, swapTxID(4), 0, trx, a.Hop1, a.Peel1, chains.NewAmount(1_000_000000)),
			sunSwapMove(sc, swapTxID(5), 0, trx, a.Hop1, a.Hop2, amt(rest1)),
		})
	})
	t.Run("RangeBeforeSwap", func(t *testing.T) {
		ts, err := src.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: a.Collector, Asset: trx, From: 103, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, ts, []chains.Transfer{sunSwapMove(sc, swapTxID(3), 0, trx, a.Collector, a.Hop1, sw.Out)})
	})
}
