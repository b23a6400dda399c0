package store

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

// freezing adds chains.FreezeChecker to a headed fake: statuses are as
// frozen says at every block, and a freezing transaction before since is
// not found.
type freezing struct {
	headed
	frozen map[chains.Address]chains.Freeze
	fail   error
}

func (f freezing) FreezeStatus(_ context.Context, asset chains.AssetID, addr chains.Address, block, since uint64) (chains.Freeze, error) {
	f.count("FreezeStatus")
	if f.fail != nil {
		return chains.Freeze{}, f.fail
	}
	if _, ok := chains.SchemeOf(asset); !ok {
		return chains.Freeze{}, chains.ErrUnsupported
	}
	fr := f.frozen[addr]
	fr.Block = block
	if fr.Frozen && fr.TxBlock < since {
		fr.Tx, fr.TxBlock, fr.TxTime = chains.TxHash{}, 0, time.Time{}
		fr.Note = fmt.Sprintf("no freezing event since block %d", since)
	}
	return fr, nil
}

func newFreezing(head uint64) freezing {
	destroyed := chains.MustParseAmount("123456789012345678901234567890")
	return freezing{headed: headed{&fakeUpstream{head: head}}, frozen: map[chains.Address]chains.Freeze{
		alice: {Frozen: true, Issuer: "Tether", Tx: txh(7), TxBlock: 40, TxTime: time.Unix(1_600_000_480, 0).UTC(), Destroyed: &destroyed},
		bob:   {Issuer: "Tether"},
		carol: {Frozen: true, Issuer: "Tether", Tx: txh(8), TxBlock: 30, TxTime: time.Unix(1_600_000_360, 0).UTC()},
	}}
}

func TestSourceFreezeStatus(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	clock := time.Unix(5000, 0)
	opt := Options{Name: "rpc", ConfirmDepth: 10, HeadTTL: time.Hour, Clock: func() time.Time { return clock }}
	up := newFreezing(100)
	s := NewSource(db, up, opt)

	wantAlice := up.frozen[alice]
	wantAlice.Block = 90
	t.Run("OK", func(t *testing.T) {
		// The caller reads at the confirmed head, as readHoldings does.
		block, _, live, err := s.ConfirmedHead(ctx, chains.Ethereum)
		if err != nil || !live || block != 90 {
			t.Fatalf("confirmed head: %d, %v, %v; want 90", block, live, err)
		}
		for i := 0; i < 2; i++ {
			got, err := s.FreezeStatus(ctx, usdt, alice, block, 0)
			if err != nil || !reflect.DeepEqual(got, wantAlice) {
				t.Fatalf("status %d: got %+v, %v; want %+v", i, got, err, wantAlice)
			}
			if _, err := s.Balance(ctx, chains.Ethereum, alice, usdt, block); err != nil {
				t.Fatal(err)
			}
		}
		if n := up.calls["FreezeStatus"]; n != 1 {
			t.Fatalf("%d upstream FreezeStatus calls, want 1", n)
		}
	})
	t.Run("WarmRerunAsksNothing", func(t *testing.T) {
		// A fresh Source on the same file, within --head-ttl: the head is
		// the stored one, so the block is the same and the answer cached.
		clock = clock.Add(10 * time.Minute)
		up2 := newFreezing(105)
		s2 := NewSource(db, up2, opt)
		block, _, live, err := s2.ConfirmedHead(ctx, chains.Ethereum)
		if err != nil || !live || block != 90 {
			t.Fatalf("confirmed head: %d, %v, %v; want 90", block, live, err)
		}
		got, err := s2.FreezeStatus(ctx, usdt, alice, block, 0)
		if err != nil || !reflect.DeepEqual(got, wantAlice) {
			t.Fatalf("got %+v, %v; want %+v", got, err, wantAlice)
		}
		if _, err := s2.Balance(ctx, chains.Ethereum, alice, usdt, block); err != nil {
			t.Fatal(err)
		}
		if n := up2.total(); n != 0 {
			t.Fatalf("warm re-run: %d upstream calls (%v), want 0", n, up2.calls)
		}
	})
	t.Run("UnconfirmedNotStored", func(t *testing.T) {
		up.reset()
		for i := 0; i < 2; i++ {
			got, err := s.FreezeStatus(ctx, usdt, alice, 95, 0)
			if err != nil || got.Block != 95 || !got.Frozen {
				t.Fatalf("status %d at 95: got %+v, %v", i, got, err)
			}
		}
		if n := up.calls["FreezeStatus"]; n != 2 {
			t.Fatalf("%d upstream FreezeStatus calls, want 2", n)
		}
		if got, ok, err := db.FreezeAsOf(ctx, usdt, alice, 95); err != nil || !ok || got.Block != 90 {
			t.Fatalf("stored as of 95: %+v, %v, %v; want the status at 90", got, ok, err)
		}
	})
	t.Run("NotFrozen", func(t *testing.T) {
		up.reset()
		for _, since := range []uint64{50, 0} {
			got, err := s.FreezeStatus(ctx, usdt, bob, 90, since)
			if w := (chains.Freeze{Issuer: "Tether", Block: 90}); err != nil || !reflect.DeepEqual(got, w) {
				t.Fatalf("since %d: got %+v, %v; want %+v", since, got, err, w)
			}
		}
		if n := up.calls["FreezeStatus"]; n != 1 {
			t.Fatalf("%d upstream FreezeStatus calls, want 1", n)
		}
	})
	t.Run("TxNotFoundAsksAgainFromEarlier", func(t *testing.T) {
		up.reset()
		steps := []struct {
			since uint64
			tx    bool
			calls int
		}{
			{50, false, 1}, // the freeze (block 30) is before since: not found
			{60, false, 1}, // searching from later finds no more: cached
			{20, true, 2},  // from earlier it may: asked again, and found
			{50, true, 2},  // found once, it answers every caller
		}
		for _, st := range steps {
			got, err := s.FreezeStatus(ctx, usdt, carol, 90, st.since)
			if err != nil || !got.Frozen || got.Tx.IsZero() == st.tx || (got.Note != "") == st.tx {
				t.Fatalf("since %d: got %+v, %v; want tx found %v", st.since, got, err, st.tx)
			}
			if st.tx && (got.Tx != txh(8) || got.TxBlock != 30) {
				t.Fatalf("since %d: tx %s at %d, want %s at 30", st.since, got.Tx, got.TxBlock, txh(8))
			}
			if n := up.calls["FreezeStatus"]; n != st.calls {
				t.Fatalf("since %d: %d upstream FreezeStatus calls, want %d", st.since, n, st.calls)
			}
		}
	})
	t.Run("Offline", func(t *testing.T) {
		off := db.Source()
		got, err := off.FreezeStatus(ctx, usdt, alice, 500, 0)
		if err != nil || !reflect.DeepEqual(got, wantAlice) {
			t.Fatalf("as of 500: got %+v, %v; want the status at 90 %+v", got, err, wantAlice)
		}
		got, err = off.FreezeStatus(ctx, usdt, alice, chains.Latest, 0)
		if err != nil || got.Block != 90 {
			t.Fatalf("as of Latest: got %+v, %v; want the status at 90", got, err)
		}
		for _, q := range []struct {
			who   chains.Address
			block uint64
		}{{alice, 89}, {chains.MustParseAddress("0x4444444444444444444444444444444444444444"), 90}} {
			_, err := off.FreezeStatus(ctx, usdt, q.who, q.block, 0)
			if !errors.Is(err, chains.ErrOffline) || !errors.Is(err, chains.ErrUnsupported) {
				t.Fatalf("%s at %d: %v; want ErrOffline and ErrUnsupported", q.who, q.block, err)
			}
		}
	})
	t.Run("ErrUnsupported", func(t *testing.T) {
		plain := headed{&fakeUpstream{head: 100}}
		_, err := NewSource(openTemp(t), plain, opt).FreezeStatus(ctx, usdt, alice, 90, 0)
		if !errors.Is(err, chains.ErrUnsupported) || errors.Is(err, chains.ErrOffline) {
			t.Fatalf("upstream without FreezeStatus: %v; want ErrUnsupported", err)
		}
		up.reset()
		for _, src := range []*Source{s, db.Source()} {
			if _, err := src.FreezeStatus(ctx, chains.Ethereum.Native().ID, alice, 90, 0); !errors.Is(err, chains.ErrUnsupported) {
				t.Fatalf("ETH: %v; want ErrUnsupported", err)
			}
		}
		if n := up.total(); n != 0 {
			t.Fatalf("asset without a freeze scheme: %d upstream calls, want 0", n)
		}
	})
	t.Run("UpstreamUnsupportedAskedOnce", func(t *testing.T) {
		// A contract without the freeze function: the first address costs
		// a request, the others none; a new Source (a re-run, perhaps
		// with another upstream) asks again.
		none := newFreezing(100)
		none.fail = fmt.Errorf("isBlackListed(address): %w: the contract has no such function", chains.ErrUnsupported)
		db := openTemp(t)
		for run := 1; run <= 2; run++ {
			src := NewSource(db, none, opt)
			for _, who := range []chains.Address{alice, bob, carol} {
				_, err := src.FreezeStatus(ctx, usdt, who, 90, 0)
				if !errors.Is(err, chains.ErrUnsupported) || !strings.Contains(err.Error(), "no such function") || !strings.Contains(err.Error(), who.String()) {
					t.Fatalf("run %d, %s: %v; want ErrUnsupported naming the address and the cause", run, who, err)
				}
			}
			if n := none.calls["FreezeStatus"]; n != run {
				t.Fatalf("run %d: %d upstream FreezeStatus calls in all, want %d", run, n, run)
			}
		}
		if _, ok, err := db.FreezeAsOf(ctx, usdt, alice, 90); err != nil || ok {
			t.Fatalf("stored an unsupported answer: %v, %v", ok, err)
		}
	})
	t.Run("ErrUpstream", func(t *testing.T) {
		// A failure that is not ErrUnsupported is asked again.
		bad := newFreezing(100)
		bad.fail = errUpstream
		src := NewSource(openTemp(t), bad, opt)
		for i := 0; i < 2; i++ {
			if _, err := src.FreezeStatus(ctx, usdt, alice, 90, 0); !errors.Is(err, errUpstream) {
				t.Fatalf("got %v, want the upstream error", err)
			}
		}
		if n := bad.calls["FreezeStatus"]; n != 2 {
			t.Fatalf("%d upstream FreezeStatus calls, want 2", n)
		}
	})
}

func TestFreezeAsOf(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	tronAddr, err := chains.Tron.ParseAddress("TEAqwfMhXLaomXhZ8KeMhx3njGmQEDnsUR")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(5000, 0)
	statuses := []chains.Freeze{
		{Issuer: "Tether", Block: 100},
		{Frozen: true, Issuer: "Tether", Block: 200, Note: "no archive state: freezing transaction not searched"},
		{Frozen: true, Issuer: "Tether", Block: 300, Tx: txh(3), TxBlock: 150, TxTime: time.Unix(1_700_000_000, 0).UTC()},
	}
	for _, f := range statuses {
		if err := db.PutFreeze(ctx, chains.USDTTron, tronAddr, f, 0, "trongrid", at); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		block uint64
		want  int // index into statuses, -1 for none
	}{{99, -1}, {100, 0}, {199, 0}, {200, 1}, {250, 1}, {300, 2}, {chains.Latest, 2}} {
		got, ok, err := db.FreezeAsOf(ctx, chains.USDTTron, tronAddr, c.block)
		if err != nil {
			t.Fatal(err)
		}
		if c.want < 0 {
			if ok {
				t.Errorf("as of %d: got %+v, want none", c.block, got)
			}
			continue
		}
		if !ok || !reflect.DeepEqual(got, statuses[c.want]) {
			t.Errorf("as of %d: got %+v, %v; want %+v", c.block, got, ok, statuses[c.want])
		}
	}
	// Another asset (or one never stored) has no status.
	if got, ok, err := db.FreezeAsOf(ctx, chains.USDCTron, tronAddr, 300); err != nil || ok {
		t.Errorf("USDC: got %+v, %v, %v; want none", got, ok, err)
	}
	// Storing at the same block replaces.
	statuses[2].Note = "again"
	if err := db.PutFreeze(ctx, chains.USDTTron, tronAddr, statuses[2], 0, "trongrid", at); err != nil {
		t.Fatal(err)
	}
	if got, _, err := db.FreezeAsOf(ctx, chains.USDTTron, tronAddr, 300); err != nil || got.Note != "again" {
		t.Errorf("replaced: got %+v, %v", got, err)
	}
}
