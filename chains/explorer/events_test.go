package explorer

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
)

// swapV2Sig is topic0 of a Uniswap V2 pair's Swap event.
var swapV2Sig = crypto.Keccak256Hash([]byte("Swap(address,uint256,uint256,uint256,uint256,address)")).Hex()

// The parties of swapFake's swap.
var (
	wethHex  = "0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2" // mainnet WETH9, a default wrapper
	weth     = chains.AssetID{Chain: chains.Ethereum, Contract: chains.MustParseAddress(wethHex)}
	swapPair = addr(0x9a1)
	router   = addr(0x7e7)
)

const (
	swapUSDT = 1_000_000_000           // 1,000 USDT sold
	swapWETH = 500_000_000_000_000_000 // 0.5 WETH bought, then unwrapped
)

// swapLog is a log of the swap transaction in the fake's form.
func swapLog(address string, index uint64, data string, topics ...string) map[string]any {
	return map[string]any{"address": address, "topics": topics, "data": data, "logIndex": fmt.Sprintf("0x%x", index)}
}

// word is v as one 32-byte data word.
func word(v uint64) string { return fmt.Sprintf("%064x", v) }

// swapFake holds transaction 0x…51 (block 20,000,040, index 5): the victim
// sells USDT to a Uniswap V2 pair through a router, which unwraps the WETH
// it gets and pays the victim in ETH (an internal transfer). Its receipt
// carries the USDT and WETH Transfer logs, the pair's Swap and WETH9's
// Withdrawal, at log indices 0x10 to 0x13.
func swapFake(t *testing.T, status string) (*fake, *vclock) {
	clock := newClock()
	f := newFake(t, clock)
	f.rate = 0
	hash := txHash(0x51)
	f.txs[hash] = &fakeTx{hash: hash, block: 20_000_040, index: 5, from: victim, to: router, value: "0x0", status: status,
		logs: []map[string]any{
			swapLog(usdtHex, 0x10, "0x"+word(swapUSDT), transferSig, topic(victim), topic(swapPair)),
			swapLog(wethHex, 0x11, "0x"+word(swapWETH), transferSig, topic(swapPair), topic(router)),
			swapLog(swapPair, 0x12, "0x"+word(swapUSDT)+word(0)+word(0)+word(swapWETH), swapV2Sig, topic(router), topic(router)),
			swapLog(wethHex, 0x13, "0x"+word(swapWETH), evmlog.WithdrawalTopic.Hex(), topic(router)),
		}}
	f.recs = append(f.recs, rec{action: "txlistinternal", block: 20_000_040, hash: hash, from: router, to: victim, fields: map[string]string{
		"blockNumber": "20000040", "timeStamp": fmt.Sprint(blockTime(20_000_040)), "from": router, "to": victim,
		"value": fmt.Sprint(uint64(swapWETH)), "type": "call", "isError": "0", "traceId": "0"}})
	return f, clock
}

var swapTx = chains.MustParseTxHash(txHash(0x51))

// swapEvents are the events of swapFake's transaction with the default
// wrappers.
func swapEvents() []chains.TxEvent {
	at := func(pos uint32, contract string, kind chains.EventKind) chains.TxEvent {
		return chains.TxEvent{Chain: chains.Ethereum, Tx: swapTx, Block: 20_000_040, Position: pos,
			Contract: chains.MustParseAddress(contract), Kind: kind}
	}
	return []chains.TxEvent{at(0x12, swapPair, chains.EventUniswapV2Swap), at(0x13, wethHex, chains.EventUnwrap)}
}

func TestTxEvents(t *testing.T) {
	ctx := t.Context()
	t.Run("OK", func(t *testing.T) {
		f, clock := swapFake(t, "0x1")
		s := newSource(t, f.serve(), clock, Options{Rate: -1})
		got, err := s.TxEvents(ctx, chains.Ethereum, swapTx)
		if err != nil {
			t.Fatal(err)
		}
		if want := swapEvents(); !slices.Equal(got, want) {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})
	t.Run("OneReceiptForTransfersAndEvents", func(t *testing.T) {
		f, clock := swapFake(t, "0x1")
		s := newSource(t, f.serve(), clock, Options{Rate: -1})
		if _, err := s.TxTransfers(ctx, chains.Ethereum, swapTx); err != nil {
			t.Fatal(err)
		}
		got, err := s.TxEvents(ctx, chains.Ethereum, swapTx)
		if err != nil || len(got) != 2 {
			t.Fatalf("got %+v %v, want the swap and the unwrap", got, err)
		}
		if _, err := s.TxEvents(ctx, chains.Ethereum, swapTx); err != nil {
			t.Fatal(err)
		}
		if n := f.calls["eth_getTransactionReceipt"]; n != 1 {
			t.Errorf("%d receipt requests for TxTransfers and two TxEvents of one transaction, want 1", n)
		}
	})
	t.Run("NoWrappers", func(t *testing.T) {
		f, clock := swapFake(t, "0x1")
		s := newSource(t, f.serve(), clock, Options{Rate: -1, Wrappers: []chains.Address{}})
		got, err := s.TxEvents(ctx, chains.Ethereum, swapTx)
		if err != nil || len(got) != 1 || got[0].Kind != chains.EventUniswapV2Swap {
			t.Errorf("got %+v %v, want the swap alone", got, err)
		}
	})
	t.Run("Reverted", func(t *testing.T) {
		// The logs are served anyway: the status decides.
		f, clock := swapFake(t, "0x0")
		s := newSource(t, f.serve(), clock, Options{Rate: -1})
		got, err := s.TxEvents(ctx, chains.Ethereum, swapTx)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("got %#v %v, want an empty slice", got, err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f, clock := swapFake(t, "0x1")
		s := newSource(t, f.serve(), clock, Options{Rate: -1})
		if got, err := s.TxEvents(ctx, chains.Ethereum, chains.MustParseTxHash(txHash(0x52))); !errors.Is(err, chains.ErrNotFound) {
			t.Errorf("got %+v %v, want ErrNotFound", got, err)
		}
		if _, err := s.TxEvents(ctx, chains.BSC, swapTx); !errors.Is(err, chains.ErrUnsupported) {
			t.Errorf("other chain: got %v, want ErrUnsupported", err)
		}
	})
	t.Run("ReceiptOfAnotherTransaction", func(t *testing.T) {
		f, clock := swapFake(t, "0x1")
		other := *f.txs[txHash(0x51)]
		other.hash = txHash(0x53)
		f.txs[txHash(0x52)] = &other
		s := newSource(t, f.serve(), clock, Options{Rate: -1})
		for range 2 {
			if got, err := s.TxEvents(ctx, chains.Ethereum, chains.MustParseTxHash(txHash(0x52))); err == nil {
				t.Errorf("got %+v, want an error for the receipt of another transaction", got)
			}
		}
		if n := f.calls["eth_getTransactionReceipt"]; n != 2 {
			t.Errorf("%d receipt requests, want 2 (a wrong answer is not kept)", n)
		}
	})
}

// TestTxTransfersWrap: the receipt's WETH9 Withdrawal is a transfer of WETH
// from the router to the WETH contract, beside the Transfer logs and the
// internal payment, under both position rules.
func TestTxTransfersWrap(t *testing.T) {
	ctx := t.Context()
	weth9 := chains.MustParseAddress(wethHex)
	when := time.Unix(blockTime(20_000_040), 0).UTC()
	leg := func(from, to string, asset chains.AssetID, amount uint64, pos, txIndex uint32) chains.Transfer {
		return chains.Transfer{Chain: chains.Ethereum, Tx: swapTx, Block: 20_000_040, Time: when, TxIndex: txIndex,
			Position: pos, From: chains.MustParseAddress(from), To: chains.MustParseAddress(to), Asset: asset, Amount: chains.NewAmount(amount)}
	}
	native := chains.NativeAsset(chains.Ethereum)
	for _, c := range []struct {
		name  string
		exact bool
		want  []chains.Transfer
	}{
		{"ExplorerOrder", false, []chains.Transfer{
			leg(victim, router, native, 0, 0, 5),
			leg(swapPair, router, weth, swapWETH, 50000, 5), // WETH's address sorts before USDT's
			leg(victim, swapPair, usdt, swapUSDT, 50000, 5),
			leg(router, weth9.Hex(), weth, swapWETH, 50001, 5), // ranked after WETH's Transfer logs
			leg(router, victim, native, swapWETH, tracePosition("0"), 5),
		}},
		{"Exact", true, []chains.Transfer{
			leg(victim, swapPair, usdt, swapUSDT, 0x10, 0),
			leg(swapPair, router, weth, swapWETH, 0x11, 0),
			leg(router, weth9.Hex(), weth, swapWETH, 0x13, 0),
			leg(victim, router, native, 0, 0, 5),
			leg(router, victim, native, swapWETH, tracePosition("0"), 5),
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f, clock := swapFake(t, "0x1")
			s := newSource(t, f.serve(), clock, Options{Rate: -1, ExactPositions: c.exact})
			got, err := s.TxTransfers(ctx, chains.Ethereum, swapTx)
			if err != nil {
				t.Fatal(err)
			}
			sameTransfers(t, got, c.want)
		})
	}
	t.Run("NoWrappers", func(t *testing.T) {
		f, clock := swapFake(t, "0x1")
		s := newSource(t, f.serve(), clock, Options{Rate: -1, Wrappers: []chains.Address{}})
		got, err := s.TxTransfers(ctx, chains.Ethereum, swapTx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range got {
			if tr.To == weth9 {
				t.Errorf("withdrawal leg %+v without wrappers", tr)
			}
		}
		if len(got) != 4 {
			t.Errorf("got %d transfers, want 4", len(got))
		}
	})
}
