package evm_test

import (
	"context"
	"errors"
	"math"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/internal/devchain"
)

// frozenChain is the dev chain of the freeze tests, started once: a
// Tether-style USDT and a Circle-style USDC at their mainnet addresses,
// whose issuer freezes, unfreezes and destroys, with no eth_getLogs cap.
var frozenChain struct {
	once  sync.Once
	chain *devchain.Chain
	p     *devchain.Played
	err   error
}

func freezes() devchain.Scenario {
	units := func(n int64) *big.Int { return big.NewInt(n * 1_000_000) }
	usdc := common.Address(chains.USDCEthereum.Contract.Bytes())
	return devchain.Scenario{
		Name: "freezes", Key: devchain.Key,
		Tokens: []devchain.Token{
			{Name: "usdt", Symbol: "USDT", Decimals: 6, Address: devchain.USDT, Owner: "issuer", Kind: devchain.Tether},
			{Name: "usdc", Symbol: "USDC", Decimals: 6, Address: usdc, Owner: "issuer", Kind: devchain.Circle},
		},
		Steps: []devchain.Step{
			{Kind: devchain.KindMint, Token: "usdt", To: "thief", Amount: units(1_000), SameBlock: true},
			{Kind: devchain.KindMint, Token: "usdt", To: "burnt", Amount: units(500), SameBlock: true},
			{Kind: devchain.KindMint, Token: "usdt", To: "clean", Amount: units(100), SameBlock: true},
			{Kind: devchain.KindMint, Token: "usdc", To: "c-thief", Amount: units(1_000), WaitBlocks: 20, WaitFor: 4 * time.Hour},
			// Two freezes in one block: the thief's event is the second.
			{Kind: devchain.KindFreeze, Token: "usdt", To: "decoy", SameBlock: true},
			{Kind: devchain.KindFreeze, Token: "usdt", To: "thief", WaitBlocks: 5, WaitFor: time.Hour},
			{Kind: devchain.KindFreeze, Token: "usdt", To: "flip", WaitBlocks: 5, WaitFor: time.Hour},
			{Kind: devchain.KindUnfreeze, Token: "usdt", To: "flip", WaitBlocks: 5, WaitFor: time.Hour},
			{Kind: devchain.KindFreeze, Token: "usdt", To: "burnt", WaitBlocks: 3, WaitFor: time.Hour},
			{Kind: devchain.KindDestroy, Token: "usdt", To: "burnt", WaitBlocks: 3, WaitFor: time.Hour},
			{Kind: devchain.KindFreeze, Token: "usdc", To: "c-thief", WaitBlocks: 5, WaitFor: time.Hour},
			{Kind: devchain.KindFreeze, Token: "usdc", To: "c-flip", WaitBlocks: 3, WaitFor: time.Hour},
			{Kind: devchain.KindUnfreeze, Token: "usdc", To: "c-flip", WaitBlocks: 5, WaitFor: time.Hour},
		},
	}
}

func frozen(t *testing.T) (*devchain.Chain, *devchain.Played) {
	t.Helper()
	frozenChain.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		frozenChain.chain, frozenChain.p, frozenChain.err = devchain.Run(ctx, devchain.Config{}, freezes())
	})
	if frozenChain.err != nil {
		t.Fatalf("dev chain: %v", frozenChain.err)
	}
	return frozenChain.chain, frozenChain.p
}

// issued returns the issuer's step of kind on actor.
func issued(t *testing.T, p *devchain.Played, kind, actor string) devchain.FreezeInfo {
	t.Helper()
	for _, f := range p.Freezes {
		if f.Kind == kind && f.Actor == actor {
			return f
		}
	}
	t.Fatalf("no %s of %s played", kind, actor)
	return devchain.FreezeInfo{}
}

func TestFreezeStatus(t *testing.T) {
	c, p := frozen(t)
	src := dial(t, c.URL, evm.Options{})
	ctx := context.Background()
	usdt, usdc := p.Tokens["usdt"].ID, p.Tokens["usdc"].ID
	if usdt != chains.USDTEthereum || usdc != chains.USDCEthereum {
		t.Fatalf("tokens at %s and %s, want the mainnet addresses", usdt, usdc)
	}
	flip := issued(t, p, devchain.KindUnfreeze, "flip")
	cflip := issued(t, p, devchain.KindUnfreeze, "c-flip")
	thief := issued(t, p, devchain.KindFreeze, "thief")
	destroyed := issued(t, p, devchain.KindDestroy, "burnt")
	if destroyed.Amount == nil || destroyed.Amount.Cmp(chains.NewAmount(500_000_000)) != 0 {
		t.Fatalf("destroyed %v, want 500000000", destroyed.Amount)
	}
	for _, tc := range []struct {
		name         string
		asset        chains.AssetID
		actor        string
		block, since uint64
		freeze       string // the actor whose freeze is expected; "" for not frozen
		issuer       string
		destroyed    *chains.Amount
		note         string
	}{
		{name: "Frozen", asset: usdt, actor: "thief", block: p.Head, freeze: "thief", issuer: "Tether"},
		{name: "Latest", asset: usdt, actor: "thief", block: chains.Latest, freeze: "thief", issuer: "Tether"},
		{name: "SinceJustBefore", asset: usdt, actor: "thief", block: p.Head, since: thief.Block - 1, freeze: "thief", issuer: "Tether"},
		{name: "BeforeTheFreeze", asset: usdt, actor: "thief", block: thief.Block - 1, issuer: "Tether"},
		{name: "FrozenBeforeSince", asset: usdt, actor: "thief", block: p.Head, since: thief.Block + 1, issuer: "Tether",
			note: "frozen already at block"},
		{name: "SameBlockAsAnother", asset: usdt, actor: "decoy", block: p.Head, freeze: "decoy", issuer: "Tether"},
		{name: "NeverFrozen", asset: usdt, actor: "clean", block: p.Head, issuer: "Tether"},
		{name: "Unfrozen", asset: usdt, actor: "flip", block: p.Head, issuer: "Tether"},
		{name: "FrozenBeforeUnfreeze", asset: usdt, actor: "flip", block: flip.Block - 1, freeze: "flip", issuer: "Tether"},
		{name: "Destroyed", asset: usdt, actor: "burnt", block: p.Head, freeze: "burnt", issuer: "Tether", destroyed: destroyed.Amount},
		{name: "NotYetDestroyed", asset: usdt, actor: "burnt", block: destroyed.Block - 1, freeze: "burnt", issuer: "Tether"},
		{name: "Circle", asset: usdc, actor: "c-thief", block: p.Head, freeze: "c-thief", issuer: "Circle"},
		{name: "CircleNeverFrozen", asset: usdc, actor: "thief", block: p.Head, issuer: "Circle"},
		{name: "CircleUnfrozen", asset: usdc, actor: "c-flip", block: p.Head, issuer: "Circle"},
		{name: "CircleFrozenBeforeUnfreeze", asset: usdc, actor: "c-flip", block: cflip.Block - 1, freeze: "c-flip", issuer: "Circle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := src.FreezeStatus(ctx, tc.asset, p.Actors[tc.actor], tc.block, tc.since)
			if err != nil {
				t.Fatal(err)
			}
			wantBlock := min(tc.block, p.Head)
			if got.Issuer != tc.issuer || got.Block != wantBlock {
				t.Errorf("issuer %q at block %d, want %q at %d", got.Issuer, got.Block, tc.issuer, wantBlock)
			}
			wantFrozen := tc.freeze != "" || tc.note != ""
			if got.Frozen != wantFrozen {
				t.Fatalf("frozen %v, want %v (%+v)", got.Frozen, wantFrozen, got)
			}
			var want devchain.FreezeInfo
			if tc.freeze != "" {
				want = issued(t, p, devchain.KindFreeze, tc.freeze)
			}
			if got.Tx != want.Tx || got.TxBlock != want.Block || !got.TxTime.Equal(want.Time) {
				t.Errorf("freezing tx %s in block %d at %s, want %s in %d at %s", got.Tx, got.TxBlock, got.TxTime, want.Tx, want.Block, want.Time)
			}
			switch {
			case tc.destroyed == nil && got.Destroyed != nil:
				t.Errorf("destroyed %s, want nil", got.Destroyed)
			case tc.destroyed != nil && (got.Destroyed == nil || got.Destroyed.Cmp(*tc.destroyed) != 0):
				t.Errorf("destroyed %v, want %s", got.Destroyed, tc.destroyed)
			}
			if !strings.Contains(got.Note, tc.note) || (tc.note == "" && got.Note != "") {
				t.Errorf("note %q, want %q", got.Note, tc.note)
			}
		})
	}
}

func TestFreezeStatusUnsupported(t *testing.T) {
	c, p := frozen(t)
	src := dial(t, c.URL, evm.Options{})
	thief := p.Actors["thief"]
	for name, asset := range map[string]chains.AssetID{
		"Native":       chains.NativeAsset(chains.Ethereum),
		"UnknownToken": {Chain: chains.Ethereum, Contract: p.Actors["clean"]},
		"AnotherChain": chains.USDTTron,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := src.FreezeStatus(context.Background(), asset, thief, p.Head, 0); !errors.Is(err, chains.ErrUnsupported) {
				t.Errorf("got %v, want ErrUnsupported", err)
			}
		})
	}
	t.Run("NoSuchFunction", func(t *testing.T) {
		// USDC's address holds no code on the pig-butchering chain.
		pc, pp := playedChain(t)
		src := dial(t, pc.URL, evm.Options{})
		if _, err := src.FreezeStatus(context.Background(), chains.USDCEthereum, thief, pp.Head, 0); !errors.Is(err, chains.ErrUnsupported) {
			t.Errorf("got %v, want ErrUnsupported", err)
		}
	})
}

// TestFreezeStatusPigButcher: the dev chain's own scenario ends with
// Tether freezing the pool, which still holds stolen USDT.
func TestFreezeStatusPigButcher(t *testing.T) {
	c, p := playedChain(t)
	if len(p.Freezes) != 1 || p.Freezes[0].Actor != "pool" || p.Freezes[0].Kind != devchain.KindFreeze {
		t.Fatalf("freezes played: %+v, want the pool's", p.Freezes)
	}
	want := p.Freezes[0]
	if want.Block <= p.Transfers[len(p.Transfers)-1].Block {
		t.Errorf("freeze in block %d, not after the last transfer (block %d)", want.Block, p.Transfers[len(p.Transfers)-1].Block)
	}
	src := dial(t, c.URL, evm.Options{})
	var since uint64
	for _, tr := range p.Transfers {
		if tr.Tx == p.VictimTxs[0] {
			since = tr.Block
		}
	}
	got, err := src.FreezeStatus(context.Background(), p.Tokens["usdt"].ID, p.Actors["pool"], chains.Latest, since)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Frozen || got.Tx != want.Tx || got.TxBlock != want.Block || !got.TxTime.Equal(want.Time) || got.Note != "" {
		t.Errorf("got %+v, want frozen by %s in block %d", got, want.Tx, want.Block)
	}
}

// maxFreezeRequests is the bound on what finding a frozen address's
// freeze may cost over n blocks: a bisection, plus a few calls.
func maxFreezeRequests(n uint64) int64 { return int64(2*math.Log2(float64(n)) + 5) }

// TestFreezeStatusCost: finding the freezing transaction over a range of
// tens of thousands of blocks takes a number of requests logarithmic in
// the range. The range is the dev chain's, with its block numbers
// multiplied by 1,000 (stretched).
func TestFreezeStatusCost(t *testing.T) {
	c, p := frozen(t)
	ctx := context.Background()
	const k = 1000
	thief := issued(t, p, devchain.KindFreeze, "thief")
	burnt := issued(t, p, devchain.KindDestroy, "burnt")
	for _, tc := range []struct {
		name  string
		actor string
		tx    chains.TxHash
		want  uint64 // freezing block as the source sees it
		k     uint64
	}{
		{"Devchain", "thief", thief.Tx, thief.Block, 1},
		{"Stretched", "thief", thief.Tx, thief.Block * k, k},
		{"StretchedDestroyed", "burnt", issued(t, p, devchain.KindFreeze, "burnt").Tx, issued(t, p, devchain.KindFreeze, "burnt").Block * k, k},
	} {
		t.Run(tc.name, func(t *testing.T) {
			head := p.Head * tc.k
			if tc.k > 1 && head < 10_000 {
				t.Fatalf("stretched head %d, want a range of 10,000 blocks or more", head)
			}
			src := dial(t, c.URL, evm.Options{HTTPBase: stretched(c.URL, tc.k)})
			got, err := src.FreezeStatus(ctx, chains.USDTEthereum, p.Actors[tc.actor], chains.Latest, 0)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Frozen || got.Tx != tc.tx || got.TxBlock != tc.want || got.Block != head {
				t.Fatalf("got %+v, want frozen by %s in block %d, read at %d", got, tc.tx, tc.want, head)
			}
			if tc.actor == "burnt" && (got.Destroyed == nil || got.Destroyed.Cmp(*burnt.Amount) != 0) {
				t.Errorf("destroyed %v, want %s", got.Destroyed, burnt.Amount)
			}
			n, limit := src.Requests(), maxFreezeRequests(head+1)
			if n > limit || n < int64(math.Log2(float64(head))) {
				t.Errorf("%d requests over %d blocks, want a bisection: about log2 and at most %d", n, head+1, limit)
			}
			t.Logf("%d blocks: %d requests (bound %d)", head+1, n, limit)
		})
	}
	t.Run("NotFrozen", func(t *testing.T) {
		src := dial(t, c.URL, evm.Options{HTTPBase: stretched(c.URL, k)})
		got, err := src.FreezeStatus(ctx, chains.USDTEthereum, p.Actors["clean"], chains.Latest, 0)
		if err != nil || got.Frozen {
			t.Fatalf("got %+v %v, want not frozen", got, err)
		}
		if n := src.Requests(); n > 3 {
			t.Errorf("%d requests, want 3 (chain id, head, one eth_call)", n)
		}
	})
}

// TestFreezeStatusDestroyedNotCheap: a provider whose range cap would make
// the search for destroyed funds cost a call every few blocks is not asked;
// the freezing transaction is still found.
func TestFreezeStatusDestroyedNotCheap(t *testing.T) {
	c, p := frozen(t)
	src := dial(t, c.URL, evm.Options{MaxRange: 2})
	freeze := issued(t, p, devchain.KindFreeze, "burnt")
	got, err := src.FreezeStatus(context.Background(), chains.USDTEthereum, p.Actors["burnt"], p.Head, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Frozen || got.Tx != freeze.Tx || got.Destroyed != nil || !strings.Contains(got.Note, "destroyed funds not looked up") {
		t.Errorf("got %+v, want frozen by %s, destroyed not looked up", got, freeze.Tx)
	}
}

// TestFreezeStatusNoArchive: a node without archive state answers the
// status but not the history; the freezing transaction is then not looked
// up, and Note says why.
func TestFreezeStatusNoArchive(t *testing.T) {
	c, p := frozen(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		asset  chains.AssetID
		actor  string
		block  uint64
		frozen bool
		note   []string
	}{
		{"Frozen", chains.USDTEthereum, "thief", p.Head, true, []string{"not looked up", "no archive state", "missing trie node"}},
		{"Circle", chains.USDCEthereum, "c-thief", p.Head, true, []string{"not looked up", "no archive state"}},
		{"NotFrozen", chains.USDTEthereum, "clean", p.Head, false, nil},
		{"OldBlock", chains.USDTEthereum, "thief", p.Head - 3, true, []string{"status read at its head", "no archive state"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := dial(t, c.URL, evm.Options{HTTPBase: archiveless(c.URL, p.Head)})
			got, err := src.FreezeStatus(ctx, tc.asset, p.Actors[tc.actor], tc.block, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got.Frozen != tc.frozen || got.Block != p.Head || got.Tx != (chains.TxHash{}) || got.TxBlock != 0 {
				t.Errorf("got %+v, want frozen %v at block %d, no transaction", got, tc.frozen, p.Head)
			}
			for _, n := range tc.note {
				if !strings.Contains(got.Note, n) {
					t.Errorf("note %q, want it to say %q", got.Note, n)
				}
			}
			if len(tc.note) == 0 && got.Note != "" {
				t.Errorf("note %q, want none", got.Note)
			}
		})
	}
}
