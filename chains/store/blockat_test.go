package store

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"freezetrace/chains"
)

// The bisection over stored blocks finds what a scan would: the first
// stored block at or after a time, over sparse blocks with equal times.
func TestStoredBlockAtBisects(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	rng := rand.New(rand.NewPCG(7, 7))
	var bs []Block
	tm := int64(1_700_000_000)
	for n := uint64(100); n < 3000; n += 1 + rng.Uint64N(40) {
		tm += rng.Int64N(3) * 12 // some blocks share a time
		bs = append(bs, Block{Chain: chains.Ethereum, Number: n, Time: time.Unix(tm, 0).UTC()})
	}
	batch, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := batch.PutBlocks(ctx, bs); err != nil {
		t.Fatal(err)
	}
	if err := batch.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s := db.Source()
	for _, at := range []int64{0, bs[0].Time.Unix(), bs[len(bs)-1].Time.Unix(), tm + 1} {
		check(t, s, bs, at)
	}
	for range 300 {
		check(t, s, bs, bs[0].Time.Unix()-30+rng.Int64N(tm-bs[0].Time.Unix()+60))
	}
}

func check(t *testing.T, s *Source, bs []Block, at int64) {
	t.Helper()
	var want uint64
	found := false
	for _, b := range bs {
		if b.Time.Unix() >= at {
			want, found = b.Number, true
			break
		}
	}
	got, ok, err := s.storedBlockAt(context.Background(), chains.Ethereum, time.Unix(at, 0))
	if err != nil || ok != found || got != want {
		t.Fatalf("at %d: got %d %v %v, want %d %v", at, got, ok, err, want, found)
	}
}
