package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"freezetrace/chains"
)

func TestSourceCachesFinalBalances(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := headed{&fakeUpstream{ts: scenario(), head: 100}}
	s := NewSource(db, up, Options{Name: "rpc", ConfirmDepth: 10, Clock: func() time.Time { return time.Unix(5000, 0) }})

	// Block 50 is final (head 100, depth 10): fetched once, then cached.
	for i := 0; i < 2; i++ {
		v, err := s.Balance(ctx, chains.Ethereum, alice, usdt, 50)
		if err != nil || v.String() != "5" {
			t.Fatalf("balance %d: %v, %v; want 5", i, v, err)
		}
	}
	if n := up.calls["Balance"]; n != 1 {
		t.Fatalf("final block: %d upstream Balance calls, want 1", n)
	}
	// Block 95 is not final: asked every time, never stored.
	for i := 0; i < 2; i++ {
		if _, err := s.Balance(ctx, chains.Ethereum, alice, usdt, 95); err != nil {
			t.Fatal(err)
		}
	}
	if n := up.calls["Balance"]; n != 3 {
		t.Fatalf("unconfirmed block: %d upstream Balance calls in all, want 3", n)
	}
	// Offline, the stored balance answers and a missing one is unsupported.
	off := NewSource(db, nil, Options{Offline: true})
	if v, err := off.Balance(ctx, chains.Ethereum, alice, usdt, 50); err != nil || v.String() != "5" {
		t.Fatalf("offline stored balance: %v, %v; want 5", v, err)
	}
	if _, err := off.Balance(ctx, chains.Ethereum, alice, usdt, 95); !errors.Is(err, chains.ErrUnsupported) {
		t.Fatalf("offline missing balance: %v; want ErrUnsupported", err)
	}
}

func TestBalanceAsOf(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	at := time.Unix(5000, 0)
	for _, b := range []struct {
		block, v uint64
	}{{50, 5}, {70, 0}, {90, 12}} {
		if err := db.PutBalance(ctx, alice, usdt, b.block, chains.NewAmount(b.v), "rpc", at); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		block, at uint64
		v         string // "" for none
	}{{49, 0, ""}, {50, 50, "5"}, {69, 50, "5"}, {70, 70, "0"}, {89, 70, "0"}, {1000, 90, "12"}, {chains.Latest, 90, "12"}} {
		v, n, ok, err := db.BalanceAsOf(ctx, alice, usdt, c.block)
		if err != nil {
			t.Fatal(err)
		}
		if c.v == "" {
			if ok {
				t.Errorf("as of %d: got %s at %d, want none", c.block, v, n)
			}
			continue
		}
		if !ok || n != c.at || v.String() != c.v {
			t.Errorf("as of %d: got %s at %d (%v), want %s at %d", c.block, v, n, ok, c.v, c.at)
		}
	}
	for _, q := range []struct {
		who   chains.Address
		asset chains.AssetID
	}{{bob, usdt}, {alice, chains.USDCEthereum}} {
		if v, n, ok, err := db.BalanceAsOf(ctx, q.who, q.asset, 100); err != nil || ok {
			t.Errorf("%s %s: got %s at %d, %v, %v; want none", q.who, q.asset, v, n, ok, err)
		}
	}
}
