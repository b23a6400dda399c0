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
