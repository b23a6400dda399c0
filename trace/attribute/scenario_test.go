package attribute

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/trace"
)

var (
	t0    = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	usdt  = chains.USDTEthereum
	chain = chains.Ethereum
)

// addr returns a distinct EVM address for a small number.
func addr(n byte) chains.Address {
	var b [20]byte
	b[0], b[19] = 0xAA, n
	return chains.NewAddress(chains.FamilyEVM, b)
}

// world builds transfers one by one with increasing tx hashes.
type world struct {
	src *mem.Source
	n   byte
}

func newWorld() *world { return &world{src: mem.New()} }

// pay moves amount from→to at hours after t0 (one block per hour) and
// returns the transaction hash.
func (w *world) pay(from, to chains.Address, amount uint64, hours int) chains.TxHash {
	w.n++
	var h chains.TxHash
	h[0], h[31] = 0x77, w.n
	w.src.Add(chains.Transfer{
		Chain: chain, Tx: h, Block: uint64(1000 + hours), Time: t0.Add(time.Duration(hours) * time.Hour),
		From: from, To: to, Asset: usdt, Amount: chains.NewAmount(amount),
	})
	return h
}

func (w *world) label(a chains.Address, entity string, cat chains.Category, conf int) {
	w.src.AddLabel(chains.Label{Chain: chain, Address: a, Entity: entity, Category: cat, Source: "test list", Confidence: conf})
}

var (
	hot     = addr(1) // Binance hot wallet, labeled
	deposit = addr(2) // unlabeled deposit address
	scam1   = addr(3)
	scam2   = addr(4)
	victim1 = addr(5)
	victim2 = addr(6)
)

func TestDepositFromSweep(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	in1 := w.pay(scam1, deposit, 1_000_000, 0)
	in2 := w.pay(scam1, deposit, 500_000, 3)
	sweep := w.pay(deposit, hot, 1_500_000, 5)
	a := New(w.src, w.src, Options{})

	at, err := a.Attribute(ctx, deposit, usdt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if at.Category != chains.CategoryDeposit || at.Entity != "Binance" || at.Sanctioned {
		t.Fatalf("got category %q entity %q sanctioned %v, want a Binance deposit", at.Category, at.Entity, at.Sanctioned)
	}
	if !reflect.DeepEqual(at.SweepTxs, []chains.TxHash{sweep}) {
		t.Errorf("sweep txs %v, want %v", at.SweepTxs, sweep)
	}
	for _, want := range []string{"deposit-sweep", "100.00%", "at least 90% forwarded within 24h", "1 sweep", hot.String()} {
		if !strings.Contains(at.Reason, want) {
			t.Errorf("reason %q lacks %q", at.Reason, want)
		}
	}
	if len(at.Labels) != 1 {
		t.Fatalf("labels %+v, want the derived deposit label", at.Labels)
	}
	l := at.Labels[0]
	if l.Heuristic != HeuristicDeposit || l.Category != chains.CategoryDeposit || l.Confidence != 80 ||
		l.Source != "test list" || !reflect.DeepEqual(l.Evidence, []chains.TxHash{sweep}) {
		t.Errorf("deposit label %+v", l)
	}
	// The deposit address and its one sender form a cluster.
	if at.Cluster == nil || !reflect.DeepEqual(at.Cluster.Members, sorted(deposit, scam1)) {
		t.Fatalf("cluster %+v, want members deposit and scam1", at.Cluster)
	}
	if !reflect.DeepEqual(at.Cluster.Evidence, []chains.TxHash{in1, in2, sweep}) {
		t.Errorf("cluster evidence %v", at.Cluster.Evidence)
	}

	// The hot wallet is the exchange, not a deposit, and in no cluster.
	hat, err := a.Attribute(ctx, hot, usdt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if hat.Category != chains.CategoryExchange || hat.Cluster != nil || len(hat.SweepTxs) != 0 {
		t.Errorf("hot wallet attribution %+v", hat)
	}
}

func TestDepositThresholds(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	half, late, stale, other := addr(10), addr(11), addr(12), addr(13)
	// Forwards half and keeps half: not a deposit address.
	w.pay(scam1, half, 1000, 0)
	w.pay(half, hot, 500, 1)
	// Sweeps only after two days.
	w.pay(scam1, late, 1000, 0)
	w.pay(late, hot, 1000, 48)
	// First in, first out: the sweep 31h after the first arrival carries
	// that arrival late, so only half counts as forwarded in time.
	w.pay(scam1, stale, 1000, 0)
	w.pay(scam1, stale, 1000, 30)
	w.pay(stale, hot, 2000, 31)
	// Sends to an unlabeled address: nothing to attribute.
	w.pay(scam1, other, 1000, 0)
	w.pay(other, scam2, 1000, 1)

	a := New(w.src, w.src, Options{})
	for name, x := range map[string]chains.Address{"Half": half, "Late": late, "StaleFIFO": stale, "NoExchange": other} {
		t.Run(name, func(t *testing.T) {
			d, err := a.Deposit(ctx, x, usdt)
			if err != nil || d != nil {
				t.Fatalf("got %+v, %v; want no deposit", d, err)
			}
		})
	}
	t.Run("LowerThreshold", func(t *testing.T) {
		d, err := New(w.src, w.src, Options{MinForwardedPct: 50}).Deposit(ctx, half, usdt)
		if err != nil || d == nil || d.ForwardedBasisPoints() != 5000 {
			t.Fatalf("got %+v, %v; want a deposit at 50%%", d, err)
		}
	})
	t.Run("WiderWindowInBlocks", func(t *testing.T) {
		d, err := New(w.src, w.src, Options{WindowBlocks: 48}).Deposit(ctx, late, usdt)
		if err != nil || d == nil || !strings.Contains(d.Reason(), "within 48 blocks") {
			t.Fatalf("got %+v, %v; want a deposit within 48 blocks", d, err)
		}
	})
	t.Run("MinSweeps", func(t *testing.T) {
		d, err := New(w.src, w.src, Options{MinSweeps: 2, MinForwardedPct: 50}).Deposit(ctx, half, usdt)
		if err != nil || d != nil {
			t.Fatalf("got %+v, %v; want none with one sweep of two required", d, err)
		}
	})
}

// Two victims pay two scammers' collection addresses; both scammers cash
// out through one deposit address: one account holder.
func TestSharedDepositOneCluster(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	w.label(scam1, "Ring <script>alert(1)</script>", chains.CategoryScam, 70)
	w.pay(victim1, scam1, 1000, 0)
	w.pay(victim2, scam2, 500, 1)
	l1 := w.pay(scam1, deposit, 1000, 2)
	l2 := w.pay(scam2, deposit, 500, 3)
	sw := w.pay(deposit, hot, 1500, 4)
	a := New(w.src, w.src, Options{})

	c1, err := a.Cluster(ctx, scam1, usdt)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := a.Cluster(ctx, scam2, usdt)
	if err != nil {
		t.Fatal(err)
	}
	if c1 == nil || c2 == nil || c1.ID != c2.ID {
		t.Fatalf("clusters %v and %v, want one", c1, c2)
	}
	if want := sorted(deposit, scam1, scam2); !reflect.DeepEqual(c1.Members, want) {
		t.Errorf("members %v, want %v (victims are not members)", c1.Members, want)
	}
	if !reflect.DeepEqual(c1.Evidence, []chains.TxHash{l1, l2, sw}) {
		t.Errorf("evidence %v", c1.Evidence)
	}
	if c1.Heuristic != HeuristicReuse || c1.Entity != "account holder at Binance" || c1.Chain != chain {
		t.Errorf("cluster %+v", c1.Cluster)
	}

	// scam1's label propagates to scam2, capped and with its evidence.
	at, err := a.Attribute(ctx, scam2, usdt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if at.Cluster == nil || at.Cluster.ID != c1.ID {
		t.Fatalf("scam2 attribution has cluster %v", at.Cluster)
	}
	if len(at.Labels) != 1 {
		t.Fatalf("labels %+v, want one propagated label", at.Labels)
	}
	p := at.Labels[0]
	if p.Heuristic != HeuristicCluster || p.Category != chains.CategoryScam || p.Confidence != 60 ||
		p.Entity != "Ring <script>alert(1)</script>" || !slices.Contains(p.Evidence, l1) || !slices.Contains(p.Evidence, l2) {
		t.Errorf("propagated label %+v", p)
	}
	if at.Category != "" || at.Sanctioned || at.Entity != p.Entity || !strings.Contains(at.Reason, scam1.String()) {
		t.Errorf("a propagated label is an inference: got category %q sanctioned %v entity %q reason %q",
			at.Category, at.Sanctioned, at.Entity, at.Reason)
	}
	// The victims are in no cluster.
	for _, v := range []chains.Address{victim1, victim2} {
		if c, err := a.Cluster(ctx, v, usdt); err != nil || c != nil {
			t.Errorf("victim %s: cluster %v, %v", v, c, err)
		}
	}
}

// Many unrelated customers pay the exchange's hot wallet, each also has a
// deposit address swept into it: the hot wallet joins nothing and merges
// nobody.
func TestHotWalletMergesNobody(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	var custs, deps []chains.Address
	for i := range byte(6) {
		c, d := addr(20+i), addr(40+i)
		custs, deps = append(custs, c), append(deps, d)
		w.pay(c, hot, 100, int(i))  // pays the hot wallet directly
		w.pay(hot, c, 50, int(i)+1) // and withdraws from it
		w.pay(c, d, 1000, int(i)+2) // and uses its own deposit address
		w.pay(d, hot, 1000, int(i)+3)
	}
	// The hot wallet itself sweeps into the exchange's cold wallet, as a
	// deposit address would: its label keeps it out of every cluster.
	cold := addr(59)
	w.label(cold, "Binance", chains.CategoryExchange, 90)
	w.pay(hot, cold, 6300, 10)
	a := New(w.src, w.src, Options{})
	seen := map[string]bool{}
	for i, c := range custs {
		cl, err := a.Cluster(ctx, c, usdt)
		if err != nil {
			t.Fatal(err)
		}
		if cl == nil || !reflect.DeepEqual(cl.Members, sorted(c, deps[i])) {
			t.Fatalf("customer %d: cluster %+v, want itself and its deposit address", i, cl)
		}
		if seen[cl.ID] {
			t.Fatalf("customer %d shares cluster %s with another", i, cl.ID)
		}
		seen[cl.ID] = true
	}
	at, err := a.Attribute(ctx, hot, usdt, 0)
	if err != nil || at.Cluster != nil || at.Category != chains.CategoryExchange {
		t.Fatalf("hot wallet: %+v, %v", at, err)
	}
}

// An unlabeled shared wallet that forwards to the exchange but is paid by
// more addresses than MaxSenders is still the exchange's, but does not
// merge its senders.
func TestBusyDepositNotExpanded(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	busy := addr(60)
	var senders []chains.Address
	for i := range byte(5) {
		s := addr(70 + i)
		senders = append(senders, s)
		w.pay(s, busy, 100, int(i))
	}
	w.pay(busy, hot, 500, 6)
	a := New(w.src, w.src, Options{MaxSenders: 3})
	at, err := a.Attribute(ctx, busy, usdt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if at.Category != chains.CategoryDeposit || at.Cluster == nil || !reflect.DeepEqual(at.Cluster.Members, []chains.Address{busy}) {
		t.Fatalf("busy wallet: %+v", at)
	}
	for _, s := range senders {
		if c, err := a.Cluster(ctx, s, usdt); err != nil || c != nil {
			t.Fatalf("sender %s merged: %+v, %v", s, c, err)
		}
	}
}

func TestOwnLabels(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	garantex := addr(80)
	w.label(garantex, "Garantex", chains.CategoryExchange, 90)
	w.src.AddLabel(chains.Label{Chain: chain, Address: garantex, Category: chains.CategorySanctioned, Source: "OFAC SDN list", Confidence: 100})
	tc := addr(81)
	w.src.AddLabel(chains.Label{Chain: chain, Address: tc, Category: chains.CategorySanctioned, Source: "OFAC SDN list", Confidence: 100})
	a := New(w.src, nil, Options{})

	at, err := a.Attribute(ctx, garantex, usdt, 0)
	if err != nil {
		t.Fatal(err)
	}
	if at.Category != chains.CategoryExchange || at.Entity != "Garantex" || !at.Sanctioned || len(at.Labels) != 2 ||
		at.Labels[0].Category != chains.CategorySanctioned || !strings.Contains(at.Reason, "sanctions") {
		t.Errorf("sanctioned exchange: %+v", at)
	}
	at, err = a.Attribute(ctx, tc, usdt, 0)
	if err != nil || at.Category != chains.CategorySanctioned || !at.Sanctioned {
		t.Errorf("sanctions-only address: %+v, %v", at, err)
	}
	at, err = a.Attribute(ctx, addr(99), usdt, 0)
	if err != nil || !reflect.DeepEqual(at, trace.Attribution{}) {
		t.Errorf("unknown address: %+v, %v", at, err)
	}
}

// The same data gives the same attribution whatever order addresses are
// asked in, and from many goroutines at once.
func TestDeterministicAndConcurrent(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	w.pay(scam1, deposit, 1000, 2)
	w.pay(scam2, deposit, 500, 3)
	w.pay(deposit, hot, 1500, 4)
	order := []chains.Address{scam2, hot, deposit, scam1, victim1}
	ref := map[chains.Address]trace.Attribution{}
	a := New(w.src, w.src, Options{})
	for _, x := range order {
		at, err := a.Attribute(ctx, x, usdt, 0)
		if err != nil {
			t.Fatal(err)
		}
		ref[x] = at
	}
	b := New(w.src, w.src, Options{})
	done := make(chan error, len(order)*4)
	for range 4 {
		for i := len(order) - 1; i >= 0; i-- {
			go func(x chains.Address) {
				at, err := b.Attribute(ctx, x, usdt, 0)
				if err == nil && !reflect.DeepEqual(at, ref[x]) {
					err = errorf("address %s: %+v, want %+v", x, at, ref[x])
				}
				done <- err
			}(order[i])
		}
	}
	for range len(order) * 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

func sorted(as ...chains.Address) []chains.Address {
	as = slices.Clone(as)
	slices.SortFunc(as, chains.Address.Compare)
	return as
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// countingLabeler is a Labeler that also counts stored counterparties, as
// store.DB does, and records how often it was asked.
type countingLabeler struct {
	*mem.Source
	counts int
}

func (c *countingLabeler) CountPeers(ctx context.Context, q chains.Query, limit int) (int, error) {
	c.counts++
	ts, err := c.Source.Transfers(ctx, q)
	if err != nil {
		return 0, err
	}
	return peers(q.Address, ts, limit), nil
}

// An address that sweeps everything into an exchange but has more
// counterparties than MaxPeers is a service's wallet, not a deposit
// address: judged the same from a stored count as from its transfers.
func TestBusyAddressIsNotDeposit(t *testing.T) {
	ctx := context.Background()
	w := newWorld()
	w.label(hot, "Binance", chains.CategoryExchange, 90)
	service := addr(90)
	for i := range byte(6) {
		w.pay(addr(100+i), service, 1_000, 0)
	}
	w.pay(service, hot, 6_000, 2)
	for _, tc := range []struct {
		name     string
		maxPeers int
		want     bool
	}{{"busy", 5, false}, {"not busy", 7, true}} {
		t.Run(tc.name, func(t *testing.T) {
			for _, counted := range []bool{false, true} {
				var l chains.Labeler = w.src
				cl := &countingLabeler{Source: w.src}
				if counted {
					l = cl
				}
				d, err := New(l, w.src, Options{MaxPeers: tc.maxPeers}).Deposit(ctx, service, usdt)
				if err != nil {
					t.Fatal(err)
				}
				if (d != nil) != tc.want {
					t.Fatalf("counted %v: deposit %v, want %v", counted, d != nil, tc.want)
				}
				if counted && cl.counts != 1 {
					t.Fatalf("stored count asked %d times, want 1", cl.counts)
				}
			}
		})
	}
}
