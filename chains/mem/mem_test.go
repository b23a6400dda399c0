package mem_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
)

var (
	tok = chains.AssetID{Chain: chains.Ethereum, Contract: chains.MustParseAddress("0x00000000000000000000000000000000000000ff")}
	a   = chains.MustParseAddress("0x00000000000000000000000000000000000000a1")
	b   = chains.MustParseAddress("0x00000000000000000000000000000000000000b2")
	c   = chains.MustParseAddress("0x00000000000000000000000000000000000000c3")
	t0  = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
)

func tr(block uint64, pos uint32, from, to chains.Address, v uint64) chains.Transfer {
	var h chains.TxHash
	h[0], h[1] = byte(block), byte(pos)
	return chains.Transfer{Chain: chains.Ethereum, Tx: h, Position: pos, Block: block, Time: t0.Add(time.Duration(block) * time.Minute),
		From: from, To: to, Asset: tok, Amount: chains.NewAmount(v)}
}

func TestTransfers(t *testing.T) {
	ctx := context.Background()
	// added out of order: the source sorts them
	s := mem.New(tr(5, 0, b, c, 3), tr(1, 0, a, b, 10), tr(3, 1, b, a, 2), tr(3, 0, c, b, 1))
	got, err := s.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: b, Asset: tok, From: 2, To: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Block != 3 || got[0].Position != 0 || got[1].Position != 1 || got[2].Block != 5 {
		t.Fatalf("got %v, want blocks 3:0, 3:1, 5 in order", got)
	}
	got, _ = s.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: b, Asset: tok, From: 0, To: 3})
	if len(got) != 3 || got[2].Block != 3 {
		t.Fatalf("range [0,3]: got %d transfers", len(got))
	}
	other := tok
	other.Contract = c
	if got, _ := s.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: b, Asset: other, To: chains.Latest}); len(got) != 0 {
		t.Fatalf("another asset: got %d transfers, want 0", len(got))
	}
}

func TestTxTransfersAndMetadata(t *testing.T) {
	ctx := context.Background()
	x := tr(1, 0, a, b, 10)
	s := mem.New(x)
	if got, err := s.TxTransfers(ctx, chains.Ethereum, x.Tx); err != nil || len(got) != 1 || got[0].Key() != x.Key() {
		t.Fatalf("got %v, %v", got, err)
	}
	if _, err := s.TxTransfers(ctx, chains.Ethereum, chains.TxHash{9}); !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("unknown tx: %v, want ErrNotFound", err)
	}
	if _, err := s.Asset(ctx, tok); !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("unknown asset: %v", err)
	}
	s.AddAsset(chains.Asset{ID: tok, Symbol: "TOK", Decimals: 3})
	if as, err := s.Asset(ctx, tok); err != nil || as.Decimals != 3 {
		t.Errorf("asset: %v, %v", as, err)
	}
	if as, err := s.Asset(ctx, chains.NativeAsset(chains.Ethereum)); err != nil || as.Symbol != "ETH" {
		t.Errorf("native: %v, %v", as, err)
	}
	if bt, err := s.BlockTime(ctx, chains.Ethereum, 1); err != nil || !bt.Equal(x.Time) {
		t.Errorf("block time %v, %v", bt, err)
	}
	if _, err := s.BlockTime(ctx, chains.Ethereum, 2); !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("unknown block: %v", err)
	}
	s.SetContract(chains.Ethereum, c)
	if ok, _ := s.IsContract(ctx, chains.Ethereum, c); !ok {
		t.Error("c is a contract")
	}
	if ok, _ := s.IsContract(ctx, chains.Ethereum, a); ok {
		t.Error("a is not a contract")
	}
}

func TestBalance(t *testing.T) {
	ctx := context.Background()
	s := mem.New(tr(1, 0, a, b, 10), tr(2, 0, b, c, 4), tr(3, 0, b, b, 5))
	if _, err := s.Balance(ctx, chains.Ethereum, b, tok, 2); !errors.Is(err, chains.ErrUnsupported) {
		t.Fatalf("without balances: %v, want ErrUnsupported", err)
	}
	s.EnableBalances()
	for _, tc := range []struct {
		block uint64
		want  string
	}{{0, "0"}, {1, "10"}, {2, "6"}, {3, "6"}} {
		if got, err := s.Balance(ctx, chains.Ethereum, b, tok, tc.block); err != nil || got.String() != tc.want {
			t.Errorf("block %d: %v, %v, want %s", tc.block, got, err, tc.want)
		}
	}
}

func TestLabelsOrder(t *testing.T) {
	s := mem.New()
	s.AddLabel(chains.Label{Chain: chains.Ethereum, Address: a, Entity: "x", Source: "b", Confidence: 50})
	s.AddLabel(chains.Label{Chain: chains.Ethereum, Address: a, Entity: "y", Source: "a", Confidence: 50})
	s.AddLabel(chains.Label{Chain: chains.Ethereum, Address: a, Entity: "z", Source: "c", Confidence: 90})
	ls, err := s.Labels(context.Background(), chains.Ethereum, a)
	if err != nil || len(ls) != 3 || ls[0].Entity != "z" || ls[1].Entity != "y" || ls[2].Entity != "x" {
		t.Fatalf("got %v, %v; want z, y, x", ls, err)
	}
	if ls, _ := s.Labels(context.Background(), chains.Ethereum, b); ls == nil || len(ls) != 0 {
		t.Errorf("unlabeled: %v, want an empty slice", ls)
	}
}

func TestConcurrentUse(t *testing.T) {
	s := mem.New()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			s.Add(tr(uint64(i+1), 0, a, b, 1))
			if _, err := s.Transfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: a, Asset: tok, To: chains.Latest}); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	if s.Len() != 8 {
		t.Errorf("Len %d, want 8", s.Len())
	}
}
