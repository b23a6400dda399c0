package explorer

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

func topic(a string) string { return "0x000000000000000000000000" + a[2:] }

const transferSig = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

func receiptFake(t *testing.T) (*fake, *vclock) {
	clock := newClock()
	f := newFake(t, clock)
	data := "0x" + strings.Repeat("0", 56) + "05f5e100" // 100,000,000
	f.txs[txHash(7)] = &fakeTx{hash: txHash(7), block: 20_000_010, index: 12, from: victim, to: usdtHex, value: "0x0", status: "0x1",
		logs: []map[string]any{
			{"address": usdtHex, "topics": []string{transferSig, topic(victim), topic(addr(2))}, "data": data, "logIndex": "0x40"},
			{"address": addr(0x721), "topics": []string{transferSig, topic(victim), topic(addr(2)), "0x" + strings.Repeat("0", 63) + "1"}, "data": "0x", "logIndex": "0x41"},
			{"address": usdtHex, "topics": []string{transferSig, topic(addr(2)), topic(addr(3))}, "data": data, "logIndex": "0x42"},
		}}
	f.recs = append(f.recs, rec{action: "txlistinternal", block: 20_000_010, hash: txHash(7), fields: map[string]string{
		"blockNumber": "20000010", "timeStamp": "1", "from": usdtHex, "to": addr(4), "value": "3", "type": "call", "isError": "0"}})
	return f, clock
}

func TestTxTransfers(t *testing.T) {
	t.Run("ExplorerOrder", func(t *testing.T) {
		f, clock := receiptFake(t)
		s := newSource(t, f.serve(), clock, Options{})
		ts, err := s.TxTransfers(context.Background(), chains.Ethereum, chains.MustParseTxHash(txHash(7)))
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) != 4 {
			t.Fatalf("got %d transfers, want 4 (own value, internal, two ERC-20 logs): %+v", len(ts), ts)
		}
		want := []uint32{0, 120000, 120001, tracePosition("0")}
		for i, tr := range ts {
			if tr.Position != want[i] || tr.TxIndex != 12 || tr.Block != 20_000_010 || tr.Time.Unix() != blockTime(20_000_010) {
				t.Errorf("transfer %d: %+v, want position %d", i, tr, want[i])
			}
		}
		if ts[1].Amount.String() != "100000000" || ts[1].Asset != usdt || ts[0].Amount.String() != "0" || ts[3].Amount.String() != "3" {
			t.Errorf("amounts or asset: %+v", ts)
		}
		// receipt, transaction, block, internal transactions
		if s.Requests() != 4 {
			t.Errorf("requests: got %d, want 4", s.Requests())
		}
	})
	t.Run("Exact", func(t *testing.T) {
		f, clock := receiptFake(t)
		s := newSource(t, f.serve(), clock, Options{ExactPositions: true})
		ts, err := s.TxTransfers(context.Background(), chains.Ethereum, chains.MustParseTxHash(txHash(7)))
		if err != nil {
			t.Fatal(err)
		}
		var logs []uint32
		for _, tr := range ts {
			if !tr.Asset.IsNative() {
				if tr.TxIndex != 0 {
					t.Errorf("log transfer with TxIndex %d", tr.TxIndex)
				}
				logs = append(logs, tr.Position)
			}
		}
		if len(logs) != 2 || logs[0] != 0x40 || logs[1] != 0x42 || s.PositionRule() != RuleReceipt {
			t.Errorf("log positions %v, rule %q", logs, s.PositionRule())
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f, clock := receiptFake(t)
		s := newSource(t, f.serve(), clock, Options{})
		_, err := s.TxTransfers(context.Background(), chains.Ethereum, chains.MustParseTxHash(txHash(99)))
		if !errors.Is(err, chains.ErrNotFound) {
			t.Errorf("got %v, want ErrNotFound", err)
		}
	})
}

func TestProxy(t *testing.T) {
	ctx := context.Background()
	f, clock := receiptFake(t)
	s := newSource(t, f.serve(), clock, Options{})
	if code, err := s.IsContract(ctx, chains.Ethereum, chains.MustParseAddress(addr(0xc0de))); err != nil || !code {
		t.Errorf("IsContract(contract): %v, %v", code, err)
	}
	if code, err := s.IsContract(ctx, chains.Ethereum, chains.MustParseAddress(victim)); err != nil || code {
		t.Errorf("IsContract(account): %v, %v", code, err)
	}
	if bt, err := s.BlockTime(ctx, chains.Ethereum, 20_000_000); err != nil || bt.Unix() != blockTime(20_000_000) {
		t.Errorf("BlockTime: %v, %v", bt, err)
	}
	if _, err := s.BlockTime(ctx, chains.Ethereum, f.head+1); !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("BlockTime past the head: %v", err)
	}
	if b, err := s.BlockAt(ctx, chains.Ethereum, time.Unix(blockTime(20_000_000)-5, 0)); err != nil || b != 20_000_000 {
		t.Errorf("BlockAt: %d, %v", b, err)
	}
	if _, err := s.BlockAt(ctx, chains.Ethereum, time.Unix(blockTime(f.head)+60, 0)); !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("BlockAt past the head: %v", err)
	}
	if _, err := s.Balance(ctx, chains.Ethereum, chains.MustParseAddress(victim), usdt, 1); !errors.Is(err, chains.ErrUnsupported) {
		t.Errorf("Balance: %v", err)
	}
	if _, err := s.Asset(ctx, chains.AssetID{Chain: chains.Ethereum, Contract: chains.MustParseAddress(addr(0xbad))}); !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("unknown asset: %v", err)
	}
	if _, err := s.Head(ctx, chains.BSC); !errors.Is(err, chains.ErrUnsupported) {
		t.Errorf("other chain: %v", err)
	}
	if n := s.Name(); !strings.HasPrefix(n, "explorer http://127.0.0.1") || strings.Contains(n, "TESTKEY") || strings.Contains(n, "v2") {
		t.Errorf("name %q", n)
	}
	if _, err := New(Options{Chain: chains.Tron}); err == nil {
		t.Error("TRON accepted")
	}
}
