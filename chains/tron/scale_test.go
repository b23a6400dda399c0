package tron_test

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/chains/tron"
	"freezetrace/trace"
)

// world is a week of TRON shaped like a real seizure case: 23 victim
// payments into collection wallets, swept through 40 named wallets that
// also carry everyday traffic, some of it to and from an exchange hot
// wallet with over 100,000 transfers; 3 s slots, some of them empty; other
// people's transactions in the same blocks.
type world struct {
	times    map[uint64]time.Time
	head     uint64
	all      []chains.Transfer // TxIndex set: the place in the block
	wallets  []chains.Address  // the 40 named wallets
	victims  []chains.Address
	hot      chains.Address
	payments []chains.Transfer
	caseAt   uint64 // block of the first payment
}

const (
	worldBlocks  = 7 * 28800 // a week of 3 s slots
	hotTransfers = 100_000
)

func wAddr(kind, i int) chains.Address {
	var a [20]byte
	a[0], a[1], a[2], a[3] = 0x7a, byte(kind), byte(i>>16), byte(i>>8)
	a[4] = byte(i)
	return chains.NewAddress(chains.FamilyTRON, a)
}

func buildWorld() *world {
	rng := rand.New(rand.NewPCG(20260101, 23))
	w := &world{times: make(map[uint64]time.Time), head: worldBlocks}
	slot := int64(0)
	for n := uint64(0); n <= w.head+1; n++ {
		if rng.Float64() < 0.003 {
			slot += 1 + int64(rng.IntN(2)) // empty slots
		}
		w.times[n] = base.Add(time.Duration(slot) * 3 * time.Second)
		slot++
	}
	type pendingTx struct{ ts []chains.Transfer }
	blocks := make(map[uint64][]*pendingTx)
	txn := uint64(0)
	add := func(block uint64, moves ...[3]any) {
		txn++
		var h chains.TxHash
		h[0], h[1] = 0xaa, byte(txn>>32)
		for i := 0; i < 8; i++ {
			h[31-i] = byte(txn >> (8 * i))
		}
		h[10] = byte(rng.Uint32()) // ids out of block order
		p := &pendingTx{}
		for i, m := range moves {
			p.ts = append(p.ts, chains.Transfer{
				Chain: chains.Tron, Tx: h, Position: uint32(i), Block: block, Time: w.times[block],
				From: m[0].(chains.Address), To: m[1].(chains.Address), Asset: usdt, Amount: chains.NewAmount(m[2].(uint64)),
			})
		}
		at := rng.IntN(len(blocks[block]) + 1)
		blocks[block] = slices.Insert(blocks[block], at, p)
	}
	move := func(from, to chains.Address, v uint64) [3]any { return [3]any{from, to, v} }

	w.hot = wAddr(1, 0)
	for i := range 40 {
		w.wallets = append(w.wallets, wAddr(2, i))
	}
	for i := range 23 {
		w.victims = append(w.victims, wAddr(3, i))
	}
	// The case: days 3 and 4. Victims pay collection wallets 0–11, which
	// sweep to pools 12–15, which split to 16–39; those pay the exchange
	// or hold.
	w.caseAt = 3*28800 + 500
	b := w.caseAt
	for i, v := range w.victims {
		b += uint64(200 + rng.IntN(400))
		add(b, move(v, w.wallets[i%12], uint64(1000+i)*1_000000))
	}
	for i := range 12 {
		b += uint64(50 + rng.IntN(100))
		pool := w.wallets[12+i%4]
		// sweep and next hop in one block, consecutive transactions
		add(b, move(w.wallets[i], pool, uint64(1500+i)*1_000000))
		add(b, move(pool, w.wallets[16+i], uint64(900+i)*1_000000), move(pool, w.wallets[28+i], uint64(400+i)*1_000000))
	}
	for i := 16; i < 40; i++ {
		b += uint64(30 + rng.IntN(60))
		if i%3 != 0 {
			add(b, move(w.wallets[i], w.hot, uint64(300+i)*1_000000))
		}
	}
	// Everyday traffic of the named wallets: about 100 each over the week,
	// some two to a block, some two in one transaction.
	for i, a := range w.wallets {
		for k := range 100 {
			n := uint64(1 + rng.IntN(worldBlocks-2))
			cp := wAddr(4, i*1000+k)
			v := uint64(1 + rng.IntN(5_000_000_000))
			switch k % 10 {
			case 0:
				add(n, move(cp, a, v), move(a, wAddr(4, i*1000+k+500), v/2))
			case 1:
				add(n, move(a, cp, v))
				add(n, move(cp, a, v/3))
			case 2:
				add(n, move(a, w.hot, v))
			default:
				if k%2 == 0 {
					add(n, move(cp, a, v))
				} else {
					add(n, move(a, cp, v))
				}
			}
		}
	}
	// The hot wallet: 100,000 transfers with its customers over the week.
	for k := range hotTransfers {
		n := uint64(1 + rng.IntN(worldBlocks-2))
		cust := wAddr(5, k%40000)
		v := uint64(1 + rng.IntN(1_000_000_000))
		if k%2 == 0 {
			add(n, move(cust, w.hot, v))
		} else {
			add(n, move(w.hot, cust, v))
		}
	}
	// Other people's transactions in the blocks our transactions use.
	used := make([]uint64, 0, len(blocks))
	for n := range blocks {
		used = append(used, n)
	}
	slices.Sort(used)
	for i, n := range used {
		for k := range rng.IntN(3) {
			add(n, move(wAddr(6, i*4+k), wAddr(7, i*4+k), 5))
		}
	}
	for _, n := range used {
		for i, p := range blocks[n] {
			for _, t := range p.ts {
				t.TxIndex = uint32(i)
				w.all = append(w.all, t)
			}
		}
	}
	slices.SortFunc(w.all, chains.Compare)
	for _, t := range w.all {
		if slices.Contains(w.victims, t.From) {
			w.payments = append(w.payments, t)
		}
	}
	return w
}

// of returns a's transfers in blocks [from, to], in canonical order.
func (w *world) of(a chains.Address, from, to uint64) []chains.Transfer {
	var out []chains.Transfer
	for _, t := range w.all {
		if (t.From == a || t.To == a) && t.Block >= from && t.Block <= to {
			out = append(out, t)
		}
	}
	return out
}

func distinctBlocks(ts []chains.Transfer) int {
	seen := make(map[uint64]bool)
	for _, t := range ts {
		seen[t.Block] = true
	}
	return len(seen)
}

func (w *world) grid(t *testing.T) *fakeGrid {
	g := newFakeGrid(t, w.times, w.head, w.all)
	g.token(usdt.Contract, "USDT", 6)
	return g
}

var sharedWorld *world

func theWorld(t *testing.T) *world {
	if testing.Short() {
		t.Skip("builds a week of blocks and 100,000 transfers")
	}
	if sharedWorld == nil {
		sharedWorld = buildWorld()
	}
	return sharedWorld
}

// TestManyWalletsFewRequests reads the whole history of each of the 40
// named wallets, as a cold trace does, and checks every transfer, its
// position and its place in its block against the truth, and the cost: one
// receipt listing per distinct block, no receipt per transaction, where
// reading each receipt by id and each block's order cost two requests per
// transfer.
func TestManyWalletsFewRequests(t *testing.T) {
	w := theWorld(t)
	ctx := context.Background()
	var want [][]chains.Transfer
	var union []chains.Transfer
	pages := 0
	for _, a := range w.wallets {
		ts := w.of(a, 0, w.head)
		want = append(want, ts)
		union = append(union, ts...)
		pages += len(ts)/200 + 1
	}
	blocks := distinctBlocks(union)
	if len(union) < 4000 || len(w.payments) < 20 {
		t.Fatalf("world too small: %d transfers, %d payments", len(union), len(w.payments))
	}

	run := func(t *testing.T, g *fakeGrid) (*tron.Source, map[string]int) {
		s := newSource(t, g, tron.Options{Workers: 8})
		for i, a := range w.wallets {
			got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: a, Asset: usdt, To: chains.Latest})
			if err != nil {
				t.Fatal(err)
			}
			sameTransfers(t, got, want[i])
		}
		return s, g.counts()
	}

	g := w.grid(t)
	g.setNoListing()
	_, before := run(t, g)
	beforeTotal := g.total()

	g = w.grid(t)
	s, after := run(t, g)
	listings := after["/wallet/gettransactioninfobyblocknum"]
	headers := after["/wallet/getblock"]
	t.Logf("40 wallets, %d transfers (%d distinct), %d distinct blocks", len(union), len(dedupe(union)), blocks)
	t.Logf("per-transaction receipts and block lists: %d requests %v", beforeTotal, before)
	t.Logf("per-block receipt listings:               %d requests %v", g.total(), after)
	// A listed time the known blocks place (exactly, or between two
	// blocks) costs its block's listing, shared by every transfer in it; a
	// time that empty slots leave in doubt costs one receipt by id too.
	byID := after["/wallet/gettransactioninfobyid"]
	if byID > len(dedupe(union))/2 {
		t.Errorf("%d receipts read by id, want at most half the %d transactions", byID, len(dedupe(union)))
	}
	if listings > blocks+blocks/20 {
		t.Errorf("%d block listings for %d distinct blocks", listings, blocks)
	}
	if n := after["/v1/accounts/{a}/transactions/trc20"]; n > pages {
		t.Errorf("%d history pages, want at most %d", n, pages)
	}
	if headers > blocks/20 {
		t.Errorf("%d block headers for %d blocks, want at most a twentieth", headers, blocks)
	}
	if int(s.Requests()) != g.total() || g.total() > pages+listings+byID+headers+1 {
		t.Errorf("requests: source %d, server %d", s.Requests(), g.total())
	}
	if g.total()*10 > beforeTotal*7 {
		t.Errorf("%d requests is not clearly fewer than %d", g.total(), beforeTotal)
	}
}

func dedupe(ts []chains.Transfer) []chains.Transfer {
	seen := make(map[chains.TransferKey]bool)
	var out []chains.Transfer
	for _, t := range ts {
		if !seen[t.Key()] {
			seen[t.Key()] = true
			out = append(out, t)
		}
	}
	return out
}

// TestHotWalletWindow asks for one day of the hot wallet's 100,000
// transfers around the case: only that day's pages and blocks are read.
func TestHotWalletWindow(t *testing.T) {
	w := theWorld(t)
	ctx := context.Background()
	g := w.grid(t)
	s := newSource(t, g, tron.Options{Workers: 8})
	from, to := w.caseAt-14400, w.caseAt+14400
	got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: w.hot, Asset: usdt, From: from, To: to})
	if err != nil {
		t.Fatal(err)
	}
	want := w.of(w.hot, from, to)
	sameTransfers(t, got, want)
	all := len(w.of(w.hot, 0, w.head))
	c := g.counts()
	pages := c["/v1/accounts/{a}/transactions/trc20"]
	t.Logf("hot wallet: %d transfers in all, %d in the day asked (%d blocks): %d requests %v",
		all, len(want), distinctBlocks(want), g.total(), c)
	if all < hotTransfers {
		t.Fatalf("hot wallet has %d transfers, want at least %d", all, hotTransfers)
	}
	if pages > len(want)/200+1 {
		t.Errorf("%d pages for %d transfers in the window (the whole history is %d pages)", pages, len(want), all/200+1)
	}
	blocks := distinctBlocks(want)
	if n := c["/wallet/gettransactioninfobyblocknum"]; n > blocks+blocks/50 {
		t.Errorf("%d block listings for %d blocks", n, blocks)
	}
	// head + 2 range ends + the headers that place the listed times; and
	// receipts by id for the few times left in doubt
	if n := c["/wallet/getblock"] + c["/walletsolidity/getnowblock"]; n > 3+blocks/20 {
		t.Errorf("%d headers, want at most %d", n, 3+blocks/20)
	}
	if n := c["/wallet/gettransactioninfobyid"]; n > blocks/20 {
		t.Errorf("%d receipts by id, want at most %d", n, blocks/20)
	}
	if bound := len(want)/200 + 1 + blocks + 3 + blocks/10; g.total() > bound {
		t.Errorf("%d requests, more than the window's pages and blocks allow (%d)", g.total(), bound)
	}
	// A range that is a part of one already read is answered exactly on
	// its own, by a new Source as after a restart.
	s2 := newSource(t, g, tron.Options{Workers: 8})
	mid := (from + to) / 2
	got, err = s2.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: w.hot, Asset: usdt, From: mid, To: mid + 600})
	if err != nil {
		t.Fatal(err)
	}
	sameTransfers(t, got, w.of(w.hot, mid, mid+600))
}

// TestCaseThroughEngine traces the 23 payments with the trace engine
// through the caching store, cold and then warm, and reports the cost; the
// exchange hot wallet is unlabeled, so the engine meets its 100,000
// transfers, and must stop there after a few pages of its listing.
func TestCaseThroughEngine(t *testing.T) {
	w := theWorld(t)
	ctx := context.Background()
	g := w.grid(t)
	path := filepath.Join(t.TempDir(), "cache.db")
	c := trace.Case{Chain: chains.Tron, Asset: usdt}
	for _, p := range w.payments {
		c.Payments = append(c.Payments, trace.Payment{Tx: p.Tx})
	}
	run := func() (*trace.Result, int64) {
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		up := newSource(t, g, tron.Options{Workers: 8})
		s := store.NewSource(db, up, store.Options{Name: "trongrid", HeadTTL: time.Hour})
		// As the trace command runs it: the high-activity check counts
		// counterparties before any ledger is read whole.
		r, err := trace.Run(ctx, s, nil, c, trace.Options{ProbeWindow: 4 * chains.Tron.BlocksIn(48*time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return r, up.Requests()
	}
	r, n := run()
	t.Logf("cold: %d requests %v; %d endpoints, %d ledger steps", n, g.counts(), len(r.Endpoints), len(r.Ledger))
	if len(r.Origins) != len(w.payments) || len(r.Endpoints) == 0 {
		t.Fatalf("%d sources, %d endpoints; want %d sources and some endpoints", len(r.Origins), len(r.Endpoints), len(w.payments))
	}
	hot := false
	for _, e := range r.Endpoints {
		if e.Address == w.hot {
			hot = e.Kind == trace.KindHighActivity
		}
	}
	if !hot {
		t.Errorf("the unlabeled hot wallet is not a high_activity endpoint")
	}
	if pages := g.counts()["/v1/accounts/{a}/transactions/trc20"]; pages > 1000 {
		t.Errorf("%d listing pages: the hot wallet's history was paged", pages)
	}
	if _, n = run(); n != 0 {
		t.Errorf("warm run made %d requests, want 0", n)
	}
}
