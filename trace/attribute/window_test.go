package attribute

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// counting records the block ranges of every Transfers query per address.
type counting struct {
	chains.Source
	mu      sync.Mutex
	queries map[chains.Address][][2]uint64
}

func (c *counting) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	c.mu.Lock()
	if c.queries == nil {
		c.queries = map[chains.Address][][2]uint64{}
	}
	c.queries[q.Address] = append(c.queries[q.Address], [2]uint64{q.From, q.To})
	c.mu.Unlock()
	return c.Source.Transfers(ctx, q)
}

func TestDepositWindowFromArrival(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	w.pay(scam2, deposit, 7, -500) // long before the case: outside the window
	w.pay(scam1, deposit, 1000, 0)
	w.pay(deposit, hot, 1000, 2)
	w.pay(scam2, deposit, 5000, 200) // long after: outside the window
	src := &counting{Source: w.src}
	a := New(w.src, src, Options{WindowBlocks: 24, Span: 48})

	at, err := a.Attribute(ctx, deposit, usdt, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if at.Category != chains.CategoryDeposit || !strings.Contains(at.Reason, "of the 1000 base units it received") {
		t.Fatalf("got %q %q, want a deposit judged on the 1000 received in the window", at.Category, at.Reason)
	}
	for addr, qs := range src.queries {
		for _, q := range qs {
			if q[0] < 1000 || q[1] > 1048 {
				t.Errorf("read %s in blocks %d-%d, want only [1000, 1048]", addr, q[0], q[1])
			}
		}
	}
	if got := (Options{Window: 24 * time.Hour}).SweepSpan(chains.Ethereum); got != 14400 {
		t.Errorf("SweepSpan: got %d, want 14400 (2 × 24h at 12 s)", got)
	}
}

func TestDepositNeedsBlockTimes(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	for _, tr := range []chains.Transfer{
		{Chain: chain, Tx: chains.TxHash{1}, Block: 10, From: scam1, To: deposit, Asset: usdt, Amount: chains.NewAmount(100)},
		{Chain: chain, Tx: chains.TxHash{2}, Block: 11, From: deposit, To: hot, Asset: usdt, Amount: chains.NewAmount(100)},
	} {
		w.src.Add(tr) // no block times, as an import without its blocks file
	}
	t.Run("ErrUndetermined", func(t *testing.T) {
		at, err := New(w.src, w.src, Options{}).Attribute(ctx, deposit, usdt, 10)
		if err != nil {
			t.Fatal(err)
		}
		if at.Category == chains.CategoryDeposit || !strings.Contains(at.Undetermined, "no block time") {
			t.Fatalf("got category %q, undetermined %q; want no verdict and the reason", at.Category, at.Undetermined)
		}
	})
	t.Run("WindowBlocks", func(t *testing.T) {
		at, err := New(w.src, w.src, Options{WindowBlocks: 5}).Attribute(ctx, deposit, usdt, 10)
		if err != nil || at.Category != chains.CategoryDeposit || at.Undetermined != "" {
			t.Fatalf("got %+v, %v; want a deposit judged in blocks", at, err)
		}
	})
	t.Run("TraceWarns", func(t *testing.T) {
		r, err := trace.Run(ctx, w.src, New(w.src, w.src, Options{}), trace.Case{Chain: chain, Asset: usdt,
			Payments: []trace.Payment{{Tx: chains.TxHash{1}}}}, trace.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, x := range r.Warnings {
			codes = append(codes, x.Code)
		}
		want := []string{trace.WarnNoDepositDetection, trace.WarnHotWallet, trace.WarnNoBlockTimes}
		slices.Sort(want)
		if !slices.Equal(codes, want) {
			t.Fatalf("warnings %v, want %v", codes, want)
		}
		for _, x := range r.Warnings {
			if x.Code == trace.WarnNoDepositDetection && !slices.Equal(x.Addresses, []chains.Address{deposit}) {
				t.Errorf("%s concerns %v, want the deposit address", x.Code, x.Addresses)
			}
			if x.Code == trace.WarnHotWallet && !slices.Equal(x.Addresses, []chains.Address{hot}) {
				t.Errorf("%s concerns %v, want the hot wallet", x.Code, x.Addresses)
			}
		}
	})
}

func TestProbeWindowStopsAtBusyWallets(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	busy := addr(50)
	pay := w.pay(victim1, busy, 100, 0)
	for i := 0; i < 40; i++ { // 40 counterparties within the first hours, then a long history
		w.pay(addr(byte(100+i)), busy, 1, 1+i%3)
	}
	for i := 0; i < 200; i++ {
		w.pay(addr(byte(i)), busy, 1, 500+i)
	}
	src := &counting{Source: w.src}
	r, err := trace.Run(ctx, src, nil, trace.Case{Chain: chain, Asset: usdt, Payments: []trace.Payment{{Tx: pay}}},
		trace.Options{MaxDegree: 20, ProbeWindow: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Endpoints) != 1 || r.Endpoints[0].Kind != trace.KindHighActivity || !strings.Contains(r.Endpoints[0].Reason, "from block 1000 on") {
		t.Fatalf("endpoints %+v, want a high-activity stop found in the first window", r.Endpoints)
	}
	if qs := src.queries[busy]; len(qs) != 1 || qs[0] != [2]uint64{1000, 1010} {
		t.Errorf("busy wallet read as %v, want only its first window", qs)
	}
}
