package devchain_test

import (
	"context"
	"math/big"
	"testing"
	"time"

	"freezetrace/internal/devchain"
)

// blockTimes reads the time of every block from 0 to the head.
func blockTimes(t *testing.T, c *devchain.Chain) []time.Time {
	t.Helper()
	var out []time.Time
	for n := uint64(0); n <= c.Head(); n++ {
		h, err := c.Client().HeaderByNumber(context.Background(), new(big.Int).SetUint64(n))
		if err != nil {
			t.Fatalf("block %d: %v", n, err)
		}
		out = append(out, time.Unix(int64(h.Time), 0).UTC())
	}
	return out
}

// TestStartInThePast plays the fixture on a chain whose genesis is dated
// three days before a given now (long past, so the wall clock is later
// than every block): every block lies between the start and a day after
// it, in order, spaced exactly as on a chain that starts at GenesisTime;
// the transfers and freezes carry their blocks' times.
func TestStartInThePast(t *testing.T) {
	_, sc := fixture(t)
	now := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	start := now.Add(-72 * time.Hour)
	c, p := run(t, devchain.Config{Start: start}, sc)
	ref, refP := run(t, devchain.Config{}, sc)

	got, want := blockTimes(t, c), blockTimes(t, ref)
	if len(got) != len(want) {
		t.Fatalf("%d blocks, want %d as from GenesisTime", len(got), len(want))
	}
	if !got[0].Equal(start) {
		t.Errorf("genesis at %s, want %s", got[0], start)
	}
	end := start.Add(24 * time.Hour)
	for n := 1; n < len(got); n++ {
		if !got[n].After(got[n-1]) || got[n].After(end) {
			t.Errorf("block %d at %s: want after block %d (%s) and by %s", n, got[n], n-1, got[n-1], end)
		}
		if g, w := got[n].Sub(start), want[n].Sub(devchain.GenesisTime); g != w {
			t.Errorf("block %d %v after the genesis, want %v as from GenesisTime", n, g, w)
		}
	}
	t.Logf("%d blocks from %s to %s", len(got), got[0].Format(time.RFC3339), got[len(got)-1].Format(time.RFC3339))

	if len(p.Transfers) == 0 || len(p.Transfers) != len(refP.Transfers) || len(p.Blocks) == 0 {
		t.Fatalf("%d transfers in %d blocks, want %d transfers as from GenesisTime", len(p.Transfers), len(p.Blocks), len(refP.Transfers))
	}
	for _, b := range p.Blocks {
		if !b.Time.Equal(got[b.Number]) {
			t.Errorf("played block %d at %s, the chain says %s", b.Number, b.Time, got[b.Number])
		}
	}
	for i, tr := range p.Transfers {
		if !tr.Time.Equal(got[tr.Block]) || tr.Block != refP.Transfers[i].Block {
			t.Errorf("transfer %d in block %d at %s, want block %d at %s", i, tr.Block, tr.Time, refP.Transfers[i].Block, got[refP.Transfers[i].Block])
		}
	}
	if len(p.Freezes) == 0 {
		t.Fatal("no freeze played")
	}
	for _, f := range p.Freezes {
		if !f.Time.Equal(got[f.Block]) {
			t.Errorf("%s in block %d at %s, the chain says %s", f.Kind, f.Block, f.Time, got[f.Block])
		}
	}
}

// TestStartBefore1970: a genesis the chain cannot date is refused.
func TestStartBefore1970(t *testing.T) {
	c, err := devchain.Start(devchain.Config{Start: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)})
	if err == nil {
		c.Close()
		t.Fatal("started, want an error")
	}
}
