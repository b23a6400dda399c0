package evm_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/internal/devchain"
)

// played is the dev chain shared by the tests of this package: started
// once, scenario played once, with an eth_getLogs cap of 50 blocks.
var played struct {
	once  sync.Once
	chain *devchain.Chain
	p     *devchain.Played
	err   error
}

const rangeCap = 50

func playedChain(t *testing.T) (*devchain.Chain, *devchain.Played) {
	t.Helper()
	played.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		played.chain, played.p, played.err = devchain.Run(ctx, devchain.Config{RangeLimit: rangeCap}, devchain.PigButcher())
	})
	if played.err != nil {
		t.Fatalf("dev chain: %v", played.err)
	}
	return played.chain, played.p
}

func TestMain(m *testing.M) {
	code := m.Run()
	if played.chain != nil {
		played.chain.Close()
	}
	os.Exit(code)
}

// filter returns the transfers of want that touch addr in asset.
func filter(ts []chains.Transfer, addr chains.Address, asset chains.AssetID) []chains.Transfer {
	var out []chains.Transfer
	for _, t := range ts {
		if t.Asset == asset && (t.From == addr || t.To == addr) {
			out = append(out, t)
		}
	}
	return out
}

// sameTransfers fails unless got and want hold the same transfers, field by
// field, in the same order.
func sameTransfers(t *testing.T, what string, got, want []chains.Transfer) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d transfers, want %d\ngot  %s\nwant %s", what, len(got), len(want), show(got), show(want))
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Chain != w.Chain || g.Tx != w.Tx || g.Position != w.Position || g.TxIndex != w.TxIndex ||
			g.Block != w.Block || !g.Time.Equal(w.Time) || g.From != w.From || g.To != w.To ||
			g.Asset != w.Asset || g.Amount.Cmp(w.Amount) != 0 {
			t.Errorf("%s: transfer %d:\ngot  %s\nwant %s", what, i, show(got[i:i+1]), show(want[i:i+1]))
		}
	}
}

func show(ts []chains.Transfer) string {
	s := ""
	for _, t := range ts {
		s += fmt.Sprintf("\n  %d/%d/%d %s %s→%s %s %s %s", t.Block, t.TxIndex, t.Position, t.Tx.String()[:10], t.From, t.To, t.Amount, t.Asset, t.Time.Format(time.RFC3339))
	}
	return s
}

// assets are the scenario's tokens and ether, in a fixed order.
func assets(p *devchain.Played) []chains.AssetID {
	var out []chains.AssetID
	for _, n := range slices.Sorted(mapKeys(p.Tokens)) {
		out = append(out, p.Tokens[n].ID)
	}
	return append(out, chains.NativeAsset(chains.Ethereum))
}

func dial(t *testing.T, url string, o evm.Options) *evm.Source {
	t.Helper()
	s, err := evm.Dial(context.Background(), url, chains.Ethereum, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestDevchainTransfersEqualPlayed(t *testing.T) {
	c, p := playedChain(t)
	if p.Head <= 4*rangeCap {
		t.Fatalf("scenario spans %d blocks, want well past the %d-block cap", p.Head, rangeCap)
	}
	src := dial(t, c.URL, evm.Options{})
	ctx := context.Background()
	names := slices.Sorted(mapKeys(p.Actors))
	total := 0
	for _, n := range names {
		addr := p.Actors[n]
		for _, asset := range assets(p) {
			got, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: addr, Asset: asset, From: 0, To: chains.Latest})
			if err != nil {
				t.Fatalf("%s %s: %v", n, asset, err)
			}
			want := filter(p.Transfers, addr, asset)
			sameTransfers(t, n+" "+asset.String(), got, want)
			total += len(want)
		}
	}
	if total == 0 {
		t.Fatal("the scenario played no transfers")
	}
	internal := 0
	for _, tr := range p.Transfers {
		if tr.Asset.IsNative() && tr.Position > 0 {
			internal++
		}
	}
	if internal != 5 {
		t.Errorf("the scenario made %d internal ether transfers, want 5 (one reverted call left out)", internal)
	}
}

func TestDevchainTxTransfers(t *testing.T) {
	c, p := playedChain(t)
	src := dial(t, c.URL, evm.Options{})
	byTx := map[chains.TxHash][]chains.Transfer{}
	for _, tr := range p.Transfers {
		byTx[tr.Tx] = append(byTx[tr.Tx], tr)
	}
	for tx, want := range byTx {
		got, err := src.TxTransfers(context.Background(), chains.Ethereum, tx)
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, "tx "+tx.String(), got, want)
	}
	_, err := src.TxTransfers(context.Background(), chains.Ethereum, chains.TxHash{1})
	if !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("unknown tx: got %v, want ErrNotFound", err)
	}
}

func TestDevchainState(t *testing.T) {
	c, p := playedChain(t)
	src := dial(t, c.URL, evm.Options{})
	ctx := context.Background()
	usdt := p.Tokens["usdt"]
	t.Run("Asset", func(t *testing.T) {
		a, err := src.Asset(ctx, usdt.ID)
		if err != nil || a.Symbol != "USDT" || a.Decimals != 6 {
			t.Fatalf("got %+v %v", a, err)
		}
		if _, err := src.Asset(ctx, chains.AssetID{Chain: chains.Ethereum, Contract: p.Actors["pool"]}); !errors.Is(err, chains.ErrNotFound) {
			t.Errorf("asset at a wallet: got %v, want ErrNotFound", err)
		}
	})
	t.Run("IsContract", func(t *testing.T) {
		for n, want := range map[string]bool{"pool": false, devchain.Forwarder1: true} {
			got, err := src.IsContract(ctx, chains.Ethereum, p.Actors[n])
			if err != nil || got != want {
				t.Errorf("%s: got %v %v, want %v", n, got, err, want)
			}
		}
	})
	t.Run("Balance", func(t *testing.T) {
		// pool received 5,000 + 6,000 and paid 8,000: 3,000 USDT left.
		got, err := src.Balance(ctx, chains.Ethereum, p.Actors["pool"], usdt.ID, p.Head)
		if err != nil || got.Cmp(chains.NewAmount(3_000_000_000)) != 0 {
			t.Errorf("pool USDT: got %s %v, want 3000000000", got, err)
		}
		// hop-d holds the 0.5 ETH forwarded to it, plus its genesis funds.
		var last chains.Transfer
		for _, tr := range p.Transfers {
			if tr.To == p.Actors["hop-d"] {
				last = tr
			}
		}
		before, err := src.Balance(ctx, chains.Ethereum, p.Actors["hop-d"], chains.NativeAsset(chains.Ethereum), last.Block-1)
		if err != nil {
			t.Fatal(err)
		}
		after, err := src.Balance(ctx, chains.Ethereum, p.Actors["hop-d"], chains.NativeAsset(chains.Ethereum), last.Block)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := after.Sub(before); d.Cmp(last.Amount) != 0 {
			t.Errorf("hop-d gained %s in block %d, want %s", d, last.Block, last.Amount)
		}
	})
	t.Run("BlockAt", func(t *testing.T) {
		tr := p.Transfers[len(p.Transfers)/2]
		got, err := src.BlockAt(ctx, chains.Ethereum, tr.Time)
		if err != nil || got != tr.Block {
			t.Errorf("block at %s: got %d %v, want %d", tr.Time, got, err, tr.Block)
		}
	})
	t.Run("ChainMismatch", func(t *testing.T) {
		bsc, err := evm.Dial(ctx, c.URL, chains.BSC, evm.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer bsc.Close()
		_, err = bsc.Head(ctx, chains.BSC)
		var ie *chains.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "chain id 1 (ethereum), not bsc (chain id 56)") {
			t.Errorf("got %v, want an input error naming both chains", err)
		}
	})
}
