package evmlog_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/chains/evmlog"
	"freezetrace/chains/mem"
	"freezetrace/internal/shareddata"
	"freezetrace/trace"
)

// mainnetBlocks reads ethereum-etl's export of mainnet blocks 17,173,049
// and 17,173,050 (2 May 2023: 681 logs, among them 69 Uniswap V2 swaps, 10
// V3 swaps and 61 WETH wraps and unwraps): its logs, grouped by
// transaction in log order, and its token transfers.
func mainnetBlocks(t *testing.T) (map[chains.TxHash][]evmlog.Log, []chains.Transfer, []chains.TxHash) {
	t.Helper()
	dir := shareddata.Path(t, "rpc-fixtures", "ethereum-etl-resources", "test_stream", "blocks_17173049_17173050")
	lines := func(name string, each func(dec *json.Decoder) error) {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.UseNumber()
			if err := each(dec); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	logs := map[chains.TxHash][]evmlog.Log{}
	var order []chains.TxHash
	lines("expected_logs.json", func(dec *json.Decoder) error {
		var l struct {
			Index  uint64   `json:"log_index"`
			Tx     string   `json:"transaction_hash"`
			Addr   string   `json:"address"`
			Data   string   `json:"data"`
			Topics []string `json:"topics"`
			Block  uint64   `json:"block_number"`
		}
		if err := dec.Decode(&l); err != nil {
			return err
		}
		tx := chains.TxHash(common.HexToHash(l.Tx))
		if _, ok := logs[tx]; !ok {
			order = append(order, tx)
		}
		x := evmlog.Log{Address: common.HexToAddress(l.Addr), Data: common.FromHex(l.Data), Tx: tx, Block: l.Block, Index: l.Index}
		for _, s := range l.Topics {
			x.Topics = append(x.Topics, common.HexToHash(s))
		}
		logs[tx] = append(logs[tx], x)
		return nil
	})
	var ts []chains.Transfer
	lines("expected_token_transfers.json", func(dec *json.Decoder) error {
		var r struct {
			Token string      `json:"token_address"`
			From  string      `json:"from_address"`
			To    string      `json:"to_address"`
			Value json.Number `json:"value"`
			Tx    string      `json:"transaction_hash"`
			Index uint32      `json:"log_index"`
			Block uint64      `json:"block_number"`
			Time  int64       `json:"block_timestamp"`
		}
		if err := dec.Decode(&r); err != nil {
			return err
		}
		v, err := chains.ParseAmount(r.Value.String())
		if err != nil {
			return err
		}
		evm := func(s string) chains.Address { return chains.NewAddress(chains.FamilyEVM, common.HexToAddress(s)) }
		ts = append(ts, chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash(common.HexToHash(r.Tx)), Position: r.Index,
			Block: r.Block, Time: time.Unix(r.Time, 0).UTC(), From: evm(r.From), To: evm(r.To),
			Asset: chains.AssetID{Chain: chains.Ethereum, Contract: evm(r.Token)}, Amount: v})
		return nil
	})
	return logs, ts, order
}

// TestMainnetEvents decodes every log of the two mainnet blocks: each
// Uniswap V2 and V3 Swap is one event of its kind, each WETH Deposit and
// Withdrawal a wrap or unwrap and a WETH transfer, and nothing else is
// taken for a swap.
func TestMainnetEvents(t *testing.T) {
	logs, _, order := mainnetBlocks(t)
	want := map[chains.EventKind]int{chains.EventUniswapV2Swap: 69, chains.EventUniswapV3Swap: 10, chains.EventWrap: 30, chains.EventUnwrap: 31}
	got := map[chains.EventKind]int{}
	wraps := 0
	for _, tx := range order {
		evs, _ := evmlog.DecodeEvents(chains.Ethereum, evmlog.DefaultWrappers(chains.Ethereum), logs[tx])
		for _, e := range evs {
			got[e.Kind]++
		}
		for _, l := range logs[tx] {
			if _, ok := evmlog.DecodeWrap(chains.Ethereum, evmlog.DefaultWrappers(chains.Ethereum), l); ok {
				wraps++
			}
		}
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d events, want %d (all kinds: %v)", k, got[k], n, got)
		}
	}
	if wraps != 61 {
		t.Errorf("%d WETH wrap transfers, want 61", wraps)
	}
}

// TestMainnetSwapTraces traces, for every address that sends a token into
// a swap in the two mainnet blocks, a made-up victim payment of what it
// sends, paid just before: the real transactions (routers, aggregators,
// MEV bots' multi-hop routes, WETH unwraps) must convert by the rule,
// conserve taint per asset (ReadJSON recomputes every conversion) and
// never make more tainted than received. (The export has no call traces,
// so a swap paid out in ETH shows nothing received: about half of them
// stop at the pair, with that reason, as they would over a source without
// internal transfers.)
func TestMainnetSwapTraces(t *testing.T) {
	logs, ts, order := mainnetBlocks(t)
	wrappers := evmlog.DefaultWrappers(chains.Ethereum)
	src := mem.New(ts...)
	emitters := map[chains.Address]bool{}
	var evs []chains.TxEvent
	for _, tx := range order {
		e, _ := evmlog.DecodeEvents(chains.Ethereum, wrappers, logs[tx])
		evs = append(evs, e...)
		for _, l := range logs[tx] {
			emitters[chains.NewAddress(chains.FamilyEVM, l.Address)] = true
			if w, ok := evmlog.DecodeWrap(chains.Ethereum, wrappers, l); ok {
				w.Time = time.Unix(1683029999, 0).UTC()
				src.Add(w)
			}
		}
	}
	src.AddEvents(evs...)
	for a := range emitters {
		src.SetContract(chains.Ethereum, a)
	}
	swapTxs := map[chains.TxHash]bool{}
	for _, e := range evs {
		if e.Kind.Converts() {
			swapTxs[e.Tx] = true
		}
	}
	// The made-up payments: one per (address, token) sending into a swap.
	type key struct {
		addr  chains.Address
		asset chains.AssetID
	}
	seen := map[key]bool{}
	var pays []chains.Transfer
	for _, x := range ts {
		k := key{x.From, x.Asset}
		if !swapTxs[x.Tx] || !emitters[x.To] || emitters[x.From] || seen[k] || x.Amount.IsZero() {
			continue
		}
		seen[k] = true
		var h chains.TxHash
		h[0], h[1], h[31] = 0xfa, 0xce, byte(len(pays))
		h[30] = byte(len(pays) >> 8)
		pays = append(pays, chains.Transfer{Chain: chains.Ethereum, Tx: h, Block: 17173048, Time: time.Unix(1683029987, 0).UTC(),
			From: chains.NewAddress(chains.FamilyEVM, common.Address{0x77, byte(len(pays))}), To: x.From, Asset: x.Asset, Amount: x.Amount})
	}
	src.Add(pays...)
	if len(pays) < 10 {
		t.Fatalf("only %d swapping senders found", len(pays))
	}
	converted := 0
	for _, rule := range []trace.Rule{trace.FIFO, trace.Haircut} {
		for _, p := range pays {
			c := trace.Case{Chain: chains.Ethereum, Asset: p.Asset, Payments: []trace.Payment{{Tx: p.Tx}}}
			r, err := trace.Run(context.Background(), src, nil, c, trace.Options{Rule: rule, MaxHops: 3, MaxDegree: -1})
			if err != nil {
				t.Fatalf("%s, payment to %s: %v", rule, p.To, err)
			}
			for _, cv := range r.Conversions {
				if cv.Received[0].Tainted.Cmp(cv.Received[0].Amount) > 0 {
					t.Fatalf("%s: %s made %s tainted of %s", rule, cv.Tx, cv.Received[0].Tainted, cv.Received[0].Amount)
				}
				if !cv.Received[0].Tainted.IsZero() {
					converted++
				}
			}
			var b bytes.Buffer
			if err := trace.WriteJSON(&b, r); err != nil {
				t.Fatal(err)
			}
			if _, err := trace.ReadJSON(&b); err != nil {
				t.Fatalf("%s, payment to %s: ReadJSON: %v", rule, p.To, err)
			}
		}
	}
	if converted < len(pays)/2 {
		t.Errorf("%d conversions carried taint over %d traces: most real swaps should convert", converted, 2*len(pays))
	}
	t.Logf("%d swapping senders, %d conversions carried taint", len(pays), converted)
}
