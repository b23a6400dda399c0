package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"freezetrace/chains"
)

// pairing adds a PairFinder to a headed fake.
type pairing struct{ headed }

func (p pairing) TransfersBetween(_ context.Context, q chains.PairQuery) ([]chains.Transfer, error) {
	p.count("TransfersBetween")
	var out []chains.Transfer
	for _, t := range p.ts {
		if t.Asset == q.Asset && t.From == q.From && t.To == q.To && t.Block >= q.FromBlock && t.Block <= q.ToBlock {
			out = append(out, t)
		}
	}
	return out, nil
}

// finding adds a BlockFinder to a headed fake (blocks 12 s apart).
type finding struct{ headed }

func (f finding) BlockAt(_ context.Context, _ chains.Chain, t time.Time) (uint64, error) {
	f.count("BlockAt")
	s := t.Unix() - 1_600_000_000
	return uint64((s + 11) / 12), nil
}

func TestSourceTransfersBetween(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := &fakeUpstream{ts: scenario(), head: 200}
	s := NewSource(db, pairing{headed{up}}, Options{Name: "rpc", ConfirmDepth: 10})
	q := chains.PairQuery{Chain: chains.Ethereum, Asset: usdt, From: bob, To: alice, FromBlock: 0, ToBlock: chains.Latest}
	wantTs := []chains.Transfer{scenario()[0], scenario()[5]}
	t.Run("OK", func(t *testing.T) {
		got, err := s.TransfersBetween(ctx, q)
		if err != nil || !reflect.DeepEqual(got, wantTs) {
			t.Fatalf("got %v, %v; want %v", got, err, wantTs)
		}
		if n := up.calls["TransfersBetween"]; n != 1 || up.calls["Transfers"] != 0 {
			t.Fatalf("calls %v, want one pair query and no history", up.calls)
		}
	})
	t.Run("Warm", func(t *testing.T) {
		up.reset()
		s2 := NewSource(db, pairing{headed{up}}, Options{Name: "rpc", ConfirmDepth: 10, HeadTTL: time.Hour})
		got, err := s2.TransfersBetween(ctx, q)
		if err != nil || !reflect.DeepEqual(got, wantTs) {
			t.Fatalf("got %v, %v; want %v", got, err, wantTs)
		}
		if up.total() != 0 {
			t.Fatalf("warm: %v upstream calls, want none", up.calls)
		}
	})
	t.Run("Offline", func(t *testing.T) {
		got, err := db.Source().TransfersBetween(ctx, q)
		if err != nil || !reflect.DeepEqual(got, wantTs) {
			t.Fatalf("got %v, %v; want %v", got, err, wantTs)
		}
	})
	t.Run("NoPairFinder", func(t *testing.T) {
		up2 := &fakeUpstream{ts: scenario(), head: 200}
		s3 := NewSource(openTemp(t), headed{up2}, Options{Name: "rpc", ConfirmDepth: 10})
		got, err := s3.TransfersBetween(ctx, q)
		if err != nil || !reflect.DeepEqual(got, wantTs) {
			t.Fatalf("got %v, %v; want %v", got, err, wantTs)
		}
		if up2.calls["Transfers"] != 1 {
			t.Fatalf("calls %v, want the sender's history once", up2.calls)
		}
	})
}

func TestSourceFillsMissingBlockTimes(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	noTimes := scenario()
	for i := range noTimes {
		noTimes[i].Time = time.Time{}
	}
	if _, err := db.PutTransfers(ctx, noTimes); err != nil {
		t.Fatal(err)
	}
	up := &fakeUpstream{head: 200}
	if err := db.update(ctx, func(b *Batch) error {
		return b.AddCoverage(ctx, alice, usdt, 0, 150, "etl import", time.Unix(1, 0))
	}); err != nil {
		t.Fatal(err)
	}
	s := NewSource(db, headed{up}, Options{Name: "rpc", ConfirmDepth: 10})
	got, err := s.Transfers(ctx, aliceQuery(0, 150))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range got {
		if want := time.Unix(1_600_000_000+int64(tr.Block)*12, 0).UTC(); !tr.Time.Equal(want) {
			t.Errorf("block %d: time %v, want %v", tr.Block, tr.Time, want)
		}
	}
	if up.calls["BlockTime"] != 5 { // blocks 10, 20, 35, 50, 95
		t.Errorf("BlockTime calls %d, want 5 (one per distinct block)", up.calls["BlockTime"])
	}
	offline, err := db.Source().Transfers(ctx, aliceQuery(0, 150))
	if err != nil || len(offline) != len(got) || offline[0].Time.IsZero() {
		t.Errorf("offline after the fill: %v, %v; want the stored times", offline, err)
	}
}

func TestSourceBlockAtIsCached(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := &fakeUpstream{head: 200}
	s := NewSource(db, finding{headed{up}}, Options{Name: "rpc", ConfirmDepth: 10, HeadTTL: time.Hour})
	at := time.Unix(1_600_000_000+50*12-5, 0)
	n, err := s.BlockAt(ctx, chains.Ethereum, at)
	if err != nil || n != 50 {
		t.Fatalf("got %d, %v; want 50", n, err)
	}
	up.reset()
	s2 := NewSource(db, finding{headed{up}}, Options{Name: "rpc", ConfirmDepth: 10, HeadTTL: time.Hour})
	if n, err = s2.BlockAt(ctx, chains.Ethereum, at); err != nil || n != 50 {
		t.Fatalf("warm: got %d, %v; want 50", n, err)
	}
	if up.total() != 0 {
		t.Fatalf("warm: upstream calls %v, want none", up.calls)
	}
}

// final is a headed fake answering from irreversible blocks only.
type final struct{ headed }

func (final) FinalOnly() bool { return true }

func TestSourceFinalOnlyAsksNoHashes(t *testing.T) {
	ctx := context.Background()
	up := &fakeUpstream{ts: scenario(), head: 200}
	s := NewSource(openTemp(t), final{headed{up}}, Options{Name: "trongrid", ConfirmDepth: 10})
	got, err := s.Transfers(ctx, aliceQuery(0, 150))
	if err != nil || !reflect.DeepEqual(got, want(0, 150)) {
		t.Fatalf("got %v, %v; want %v", got, err, want(0, 150))
	}
	if _, err := s.BlockTime(ctx, chains.Ethereum, 77); err != nil {
		t.Fatal(err)
	}
	if n := up.calls["BlockHash"]; n != 0 {
		t.Errorf("%d BlockHash calls, want none for a source of final blocks", n)
	}
}
