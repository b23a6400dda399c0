package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
)

// fakeUpstream is a chains.Source over a fixed list of transfers that
// counts its calls and can fail on demand.
type fakeUpstream struct {
	mu       sync.Mutex
	ts       []chains.Transfer
	head     uint64 // 0: does not implement chains.HeadReader semantics (see headless)
	hashes   map[uint64][32]byte
	calls    map[string]int
	queries  [][2]uint64
	failFrom uint64 // Transfers fails for ranges starting here (0: never)
}

func (f *fakeUpstream) count(m string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[m]++
}

func (f *fakeUpstream) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

func (f *fakeUpstream) reset() {
	f.mu.Lock()
	f.calls, f.queries = nil, nil
	f.mu.Unlock()
}

var errUpstream = errors.New("upstream: 503 service unavailable")

func (f *fakeUpstream) Transfers(_ context.Context, q chains.Query) ([]chains.Transfer, error) {
	f.count("Transfers")
	f.mu.Lock()
	f.queries = append(f.queries, [2]uint64{q.From, q.To})
	f.mu.Unlock()
	if f.failFrom != 0 && q.From >= f.failFrom {
		return nil, errUpstream
	}
	out := []chains.Transfer{}
	for _, t := range f.ts {
		if t.Asset == q.Asset && (t.From == q.Address || t.To == q.Address) && t.Block >= q.From && t.Block <= q.To {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, chains.Compare)
	return out, nil
}

func (f *fakeUpstream) TxTransfers(_ context.Context, _ chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	f.count("TxTransfers")
	var out []chains.Transfer
	for _, t := range f.ts {
		if t.Tx == tx {
			out = append(out, t)
		}
	}
	if out == nil {
		return nil, chains.ErrNotFound
	}
	return out, nil
}

func (f *fakeUpstream) Asset(_ context.Context, id chains.AssetID) (chains.Asset, error) {
	f.count("Asset")
	return chains.Asset{ID: id, Symbol: "USDT", Decimals: 6}, nil
}

func (f *fakeUpstream) IsContract(_ context.Context, _ chains.Chain, a chains.Address) (bool, error) {
	f.count("IsContract")
	return a == carol, nil
}

func (f *fakeUpstream) Balance(context.Context, chains.Chain, chains.Address, chains.AssetID, uint64) (chains.Amount, error) {
	f.count("Balance")
	return chains.NewAmount(5), nil
}

func (f *fakeUpstream) BlockTime(_ context.Context, _ chains.Chain, n uint64) (time.Time, error) {
	f.count("BlockTime")
	return time.Unix(1_600_000_000+int64(n)*12, 0).UTC(), nil
}

// headed adds chains.HeadReader and chains.BlockHasher.
type headed struct{ *fakeUpstream }

func (h headed) Head(context.Context, chains.Chain) (uint64, error) {
	h.count("Head")
	return h.head, nil
}

func (h headed) BlockHash(_ context.Context, _ chains.Chain, n uint64) ([32]byte, error) {
	h.count("BlockHash")
	h.mu.Lock()
	defer h.mu.Unlock()
	if b, ok := h.hashes[n]; ok {
		return b, nil
	}
	return [32]byte{byte(n), 1}, nil
}

func scenario() []chains.Transfer {
	return []chains.Transfer{
		tr(1, 10, 0, bob, alice, 100), tr(2, 20, 1, alice, carol, 60), tr(3, 35, 0, carol, alice, 7),
		tr(4, 50, 3, alice, bob, 40), tr(5, 20, 4, bob, carol, 1), tr(6, 95, 0, bob, alice, 3),
	}
}

func aliceQuery(from, to uint64) chains.Query {
	return chains.Query{Chain: chains.Ethereum, Address: alice, Asset: usdt, From: from, To: to}
}

func want(from, to uint64) []chains.Transfer {
	up := &fakeUpstream{ts: scenario()}
	ts, _ := up.Transfers(context.Background(), aliceQuery(from, to))
	return ts
}

func TestSourceColdWarmAndGaps(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := &fakeUpstream{ts: scenario()}
	s := NewSource(db, up, Options{Name: "rpc", Clock: func() time.Time { return time.Unix(5000, 0) }})

	got, err := s.Transfers(ctx, aliceQuery(15, 40))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want(15, 40)) || len(got) != 2 {
		t.Fatalf("cold: got %v, want %v", got, want(15, 40))
	}
	if up.total() != 1 {
		t.Fatalf("cold: %d upstream calls, want 1", up.total())
	}
	up.reset()
	if got, err = s.Transfers(ctx, aliceQuery(15, 40)); err != nil || !reflect.DeepEqual(got, want(15, 40)) {
		t.Fatalf("warm: got %v, %v", got, err)
	}
	if up.total() != 0 {
		t.Fatalf("warm: %d upstream calls, want 0", up.total())
	}
	// A wider range fetches only the two missing pieces.
	got, err = s.Transfers(ctx, aliceQuery(0, 60))
	if err != nil || !reflect.DeepEqual(got, want(0, 60)) {
		t.Fatalf("wider: got %v, %v; want %v", got, err, want(0, 60))
	}
	if w := [][2]uint64{{0, 14}, {41, 60}}; !reflect.DeepEqual(up.queries, w) {
		t.Fatalf("gap queries: got %v, want %v", up.queries, w)
	}
	// A fresh Source on the same file (a re-run) makes no call either.
	up.reset()
	s2 := NewSource(db, up, Options{Name: "rpc"})
	if got, err = s2.Transfers(ctx, aliceQuery(0, 60)); err != nil || !reflect.DeepEqual(got, want(0, 60)) {
		t.Fatalf("re-run: got %v, %v", got, err)
	}
	if up.total() != 0 {
		t.Fatalf("re-run: %d upstream calls, want 0", up.total())
	}
	p, err := db.Provenance(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if wp := []chains.Provenance{{Chain: chains.Ethereum, Source: "rpc", Block: 60, Retrieved: time.Unix(5000, 0).UTC()}}; !reflect.DeepEqual(p, wp) {
		t.Fatalf("provenance: got %+v, want %+v", p, wp)
	}
}

func TestSourceUpstreamErrorLeavesNoCoverage(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := &fakeUpstream{ts: scenario(), failFrom: 40}
	s := NewSource(db, up, Options{Name: "rpc", MaxRange: 20})
	_, err := s.Transfers(ctx, aliceQuery(0, 99))
	if !errors.Is(err, errUpstream) {
		t.Fatalf("got %v, want the upstream error", err)
	}
	cov, err := db.Coverage(ctx, alice, usdt)
	if err != nil {
		t.Fatal(err)
	}
	// Pieces 0-19 and 20-39 were stored before 40-59 failed; nothing beyond.
	if w := []Range{{0, 39}}; !reflect.DeepEqual(cov, w) {
		t.Fatalf("coverage: got %v, want %v", cov, w)
	}
	up.failFrom = 0
	up.reset()
	got, err := s.Transfers(ctx, aliceQuery(0, 99))
	if err != nil || !reflect.DeepEqual(got, want(0, 99)) {
		t.Fatalf("retry: got %v, %v; want %v", got, err, want(0, 99))
	}
	if w := [][2]uint64{{40, 59}, {60, 79}, {80, 99}}; !reflect.DeepEqual(up.queries, w) {
		t.Fatalf("retry fetched %v, want %v", up.queries, w)
	}
	var n int
	if err := db.sql.QueryRow(`SELECT count(*) FROM transfers`).Scan(&n); err != nil || n != 5 {
		t.Fatalf("stored %d transfers (%v), want 5 (each once)", n, err)
	}
}

func TestSourceConfirmationDepth(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := &fakeUpstream{ts: scenario(), head: 100}
	s := NewSource(db, headed{up}, Options{Name: "rpc", ConfirmDepth: 10})
	got, err := s.Transfers(ctx, aliceQuery(0, chains.Latest))
	if err != nil || !reflect.DeepEqual(got, want(0, 90)) {
		t.Fatalf("got %v, %v; want %v (the final blocks only)", got, err, want(0, 90))
	}
	cov, err := db.Coverage(ctx, alice, usdt)
	if err != nil {
		t.Fatal(err)
	}
	if w := []Range{{0, 90}}; !reflect.DeepEqual(cov, w) {
		t.Fatalf("coverage: got %v, want %v (head 100 − depth 10)", cov, w)
	}
	c, err := db.CachedTransfers(ctx, aliceQuery(91, chains.Latest))
	if err != nil || len(c) != 0 {
		t.Fatalf("unconfirmed block 95 was cached: %v, %v", c, err)
	}
	if b, ok, _ := db.BlockOf(ctx, chains.Ethereum, 50); !ok || b.Hash != ([32]byte{50, 1}) {
		t.Fatalf("block 50 hash not stored: %+v %v", b, ok)
	}
	// Warm within the same Source: no call at all.
	up.reset()
	if got, err := s.Transfers(ctx, aliceQuery(0, chains.Latest)); err != nil || !reflect.DeepEqual(got, want(0, 90)) || up.total() != 0 {
		t.Fatalf("warm: %v, %v, %d calls; want 0 calls", got, err, up.total())
	}
	// The head moves on: only the newly final blocks are fetched.
	up.head = 120
	s2 := NewSource(db, headed{up}, Options{Name: "rpc", ConfirmDepth: 10})
	if got, err := s2.Transfers(ctx, aliceQuery(0, chains.Latest)); err != nil || !reflect.DeepEqual(got, want(0, 110)) {
		t.Fatalf("head 120: %v, %v; want %v", got, err, want(0, 110))
	}
	if w := [][2]uint64{{91, 110}}; !reflect.DeepEqual(up.queries, w) || up.calls["Head"] != 1 {
		t.Fatalf("head 120: queries %v, head calls %d; want %v and 1", up.queries, up.calls["Head"], w)
	}
	// Nothing is final while the chain is shorter than the depth.
	young := NewSource(openTemp(t), headed{&fakeUpstream{ts: scenario(), head: 5}}, Options{ConfirmDepth: 10})
	if got, err := young.Transfers(ctx, aliceQuery(0, chains.Latest)); err != nil || len(got) != 0 {
		t.Fatalf("young chain: %v, %v; want nothing", got, err)
	}
	// A covered bounded query makes no call at all, not even for the head.
	up.reset()
	s3 := NewSource(db, headed{up}, Options{Name: "rpc", ConfirmDepth: 10})
	if _, err := s3.Transfers(ctx, aliceQuery(0, 80)); err != nil || up.total() != 0 {
		t.Fatalf("warm bounded: %v, %d calls; want 0", err, up.total())
	}
	// A new Source within HeadTTL reuses the stored head: a warm query up
	// to Latest makes no call either.
	s4 := NewSource(db, headed{up}, Options{Name: "rpc", ConfirmDepth: 10, HeadTTL: time.Hour, Clock: func() time.Time { return time.Now().Add(time.Minute) }})
	if got, err := s4.Transfers(ctx, aliceQuery(0, chains.Latest)); err != nil || !reflect.DeepEqual(got, want(0, 110)) || up.total() != 0 {
		t.Fatalf("warm latest within HeadTTL: %v, %v, %d calls; want 0 calls", got, err, up.total())
	}
	// A reorg of block 50 seen by a later fetch forgets it.
	up.hashes = map[uint64][32]byte{50: {0xee}}
	if _, _, err := db.PutBlocks(ctx, []Block{{Chain: chains.Ethereum, Number: 50, Hash: [32]byte{0xee}, Time: time.Unix(1, 0)}}); err != nil {
		t.Fatal(err)
	}
	up.reset()
	got, err = s3.Transfers(ctx, aliceQuery(0, 80))
	if err != nil || !reflect.DeepEqual(got, want(0, 80)) {
		t.Fatalf("after reorg: got %v, %v; want %v", got, err, want(0, 80))
	}
	if w := [][2]uint64{{50, 50}}; !reflect.DeepEqual(up.queries, w) {
		t.Fatalf("after reorg fetched %v, want %v", up.queries, w)
	}
}

func TestSourceOffline(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	if _, err := db.PutTransfers(ctx, scenario()); err != nil {
		t.Fatal(err)
	}
	s := db.Source()
	got, err := s.Transfers(ctx, aliceQuery(0, chains.Latest))
	if err != nil || !reflect.DeepEqual(got, want(0, 100)) {
		t.Fatalf("offline: got %v, %v; want %v", got, err, want(0, 100))
	}
	if _, err := s.Asset(ctx, usdt); !errors.Is(err, chains.ErrOffline) || !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("Asset: got %v, want ErrOffline and ErrNotFound", err)
	}
	if a, err := s.Asset(ctx, chains.NativeAsset(chains.Ethereum)); err != nil || a.Symbol != "ETH" || a.Decimals != 18 {
		t.Errorf("native asset: got %+v, %v", a, err)
	}
	if _, err := s.IsContract(ctx, chains.Ethereum, carol); !errors.Is(err, chains.ErrUnsupported) {
		t.Errorf("IsContract: got %v, want ErrUnsupported", err)
	}
	if _, err := s.Balance(ctx, chains.Ethereum, alice, usdt, 5); !errors.Is(err, chains.ErrOffline) {
		t.Errorf("Balance: got %v, want ErrOffline", err)
	}
	tx, err := s.TxTransfers(ctx, chains.Ethereum, txh(2))
	if err != nil || len(tx) != 1 || tx[0].Amount.String() != "60" {
		t.Errorf("TxTransfers: got %v, %v", tx, err)
	}
	if _, err := s.TxTransfers(ctx, chains.Ethereum, txh(99)); !errors.Is(err, chains.ErrNotFound) {
		t.Errorf("unknown tx: got %v, want ErrNotFound", err)
	}
	if _, err := s.BlockTime(ctx, chains.Ethereum, 7); !errors.Is(err, chains.ErrOffline) {
		t.Errorf("BlockTime: got %v, want ErrOffline", err)
	}
	if _, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: alice, Asset: usdt}); err == nil {
		t.Errorf("asset of another chain: no error")
	}
}

func TestSourceCachesPointLookups(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	up := &fakeUpstream{ts: scenario(), head: 1000}
	for round := 0; round < 2; round++ {
		s := NewSource(db, headed{up}, Options{Name: "rpc", ConfirmDepth: 5, HeadTTL: time.Hour})
		if a, err := s.Asset(ctx, usdt); err != nil || a.Decimals != 6 {
			t.Fatalf("Asset: %+v, %v", a, err)
		}
		if c, err := s.IsContract(ctx, chains.Ethereum, carol); err != nil || !c {
			t.Fatalf("IsContract(carol): %v, %v", c, err)
		}
		if c, err := s.IsContract(ctx, chains.Ethereum, bob); err != nil || c {
			t.Fatalf("IsContract(bob): %v, %v", c, err)
		}
		if bt, err := s.BlockTime(ctx, chains.Ethereum, 20); err != nil || bt.Unix() != 1_600_000_240 {
			t.Fatalf("BlockTime: %v, %v", bt, err)
		}
		if ts, err := s.TxTransfers(ctx, chains.Ethereum, txh(4)); err != nil || len(ts) != 1 {
			t.Fatalf("TxTransfers: %v, %v", ts, err)
		}
		if round == 0 {
			up.reset()
		}
	}
	if up.total() != 0 {
		t.Fatalf("second round made %d upstream calls (%v), want 0", up.total(), up.calls)
	}
}
