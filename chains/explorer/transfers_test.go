package explorer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"freezetrace/chains"
)

func query(a string, asset chains.AssetID, from, to uint64) chains.Query {
	return chains.Query{Chain: chains.Ethereum, Address: chains.MustParseAddress(a), Asset: asset, From: from, To: to}
}

func blocksOf(rows []rec) []uint64 {
	out := make([]uint64, len(rows))
	for i, r := range rows {
		out[i] = r.block
	}
	return out
}

func sameTransfers(t *testing.T, got, want []chains.Transfer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d transfers, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Key() != w.Key() || g.Block != w.Block || !g.Time.Equal(w.Time) || g.TxIndex != w.TxIndex ||
			g.From != w.From || g.To != w.To || g.Amount.Cmp(w.Amount) != 0 {
			t.Fatalf("transfer %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	seen := map[chains.TransferKey]bool{}
	for _, g := range got {
		if seen[g.Key()] {
			t.Fatalf("duplicate transfer %+v", g.Key())
		}
		seen[g.Key()] = true
	}
}

func TestTransfers(t *testing.T) {
	mine, all := history(25_000)
	shared := 0
	for i := 999; i < len(mine)-1; i += 1000 {
		if mine[i].block == mine[i+1].block {
			shared++
		}
	}
	if shared < 20 {
		t.Fatalf("generator: only %d page boundaries fall inside a block", shared)
	}

	t.Run("OK", func(t *testing.T) {
		clock := newClock()
		f := newFake(t, clock)
		f.recs = all
		s := newSource(t, f.serve(), clock, Options{})
		got, err := s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest))
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, truth(t, mine))
		pages := expectedPages(blocksOf(mine), 1000, 10000)
		if got, want := s.Requests(), int64(pages+1); got != want {
			t.Errorf("requests: got %d, want %d (%d pages and the head)", got, want, pages)
		}
		if f.calls["tokentx"] != pages || f.windowErr != 0 || s.RateLimited() != 0 || f.limited != 0 {
			t.Errorf("tokentx calls %d (want %d), window errors %d, rate limited %d/%d", f.calls["tokentx"], pages, f.windowErr, s.RateLimited(), f.limited)
		}
		if clock.slept < time.Duration(pages)*time.Second/3 {
			t.Errorf("slept %v for %d requests: the rate limit did not hold", clock.slept, pages+1)
		}
		a, err := s.Asset(context.Background(), usdt)
		if err != nil || a.Symbol != "USDT" || a.Decimals != 6 {
			t.Errorf("asset from rows: got %+v, %v", a, err)
		}
		if bt, err := s.BlockTime(context.Background(), chains.Ethereum, mine[0].block); err != nil || bt.Unix() != blockTime(mine[0].block) {
			t.Errorf("block time from rows: got %v, %v", bt, err)
		}
		if s.Requests() != int64(pages+1) {
			t.Errorf("asset and block time from rows sent requests")
		}
	})

	t.Run("Range", func(t *testing.T) {
		clock := newClock()
		f := newFake(t, clock)
		f.recs = all
		s := newSource(t, f.serve(), clock, Options{})
		from, to := mine[4000].block, mine[7000].block
		got, err := s.Transfers(context.Background(), query(victim, usdt, from, to))
		if err != nil {
			t.Fatal(err)
		}
		var want []rec
		for _, r := range mine {
			if r.block >= from && r.block <= to {
				want = append(want, r)
			}
		}
		sameTransfers(t, got, truth(t, want))
	})

	t.Run("SmallerWindow", func(t *testing.T) {
		clock := newClock()
		f := newFake(t, clock)
		f.recs = all
		f.window = 5000
		s := newSource(t, f.serve(), clock, Options{})
		got, err := s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest))
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, truth(t, mine))
		if f.windowErr != 1 {
			t.Errorf("window errors: got %d, want 1 (learned once)", f.windowErr)
		}
	})
}

func TestRateLimited(t *testing.T) {
	mine, all := history(3500)
	clock := newClock()
	f := newFake(t, clock)
	f.recs = all
	s := newSource(t, f.serve(), clock, Options{Rate: 20})
	var wg sync.WaitGroup
	errs := make([]error, 3)
	res := make([][]chains.Transfer, 3)
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i], errs[i] = s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest))
		}()
	}
	wg.Wait()
	for i := range 3 {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		sameTransfers(t, res[i], truth(t, mine))
	}
	if s.RateLimited() == 0 || s.RateLimited() != int64(f.limited) {
		t.Errorf("rate limited: source counted %d, server answered %d", s.RateLimited(), f.limited)
	}
	pages := expectedPages(blocksOf(mine), 1000, 10000)
	// The head is read once and reused for a while; readers racing for it
	// may each read it.
	heads := s.Requests() - int64(3*pages) - s.RateLimited()
	if heads < 1 || heads > 3 {
		t.Errorf("requests: got %d, want 3×%d pages + %d retries + 1 to 3 head reads", s.Requests(), pages, s.RateLimited())
	}
}

func TestHTTPRetry(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		clock := newClock()
		f := newFake(t, clock)
		f.failures = []int{429, 503}
		s := newSource(t, f.serve(), clock, Options{})
		h, err := s.Head(context.Background(), chains.Ethereum)
		if err != nil || h != f.head {
			t.Fatalf("head: got %d, %v", h, err)
		}
		if s.Requests() != 3 || clock.slept < 4*time.Second {
			t.Errorf("requests %d, slept %v: want 3 and at least two Retry-After waits of 2s", s.Requests(), clock.slept)
		}
	})
	t.Run("GiveUp", func(t *testing.T) {
		clock := newClock()
		f := newFake(t, clock)
		f.failures = []int{500, 500, 500, 500}
		s := newSource(t, f.serve(), clock, Options{Retries: 2})
		_, err := s.Head(context.Background(), chains.Ethereum)
		if err == nil || !strings.Contains(err.Error(), "status 500") || s.Requests() != 3 {
			t.Fatalf("got %v after %d requests, want a status 500 error after 3", err, s.Requests())
		}
	})
}

func TestInvalidKey(t *testing.T) {
	for _, echo := range []bool{false, true} {
		t.Run(fmt.Sprintf("echo=%v", echo), func(t *testing.T) {
			clock := newClock()
			f := newFake(t, clock)
			f.echoKey = echo
			const key = "SECRET0KEY0123456789"
			s := newSource(t, f.serve(), clock, Options{APIKey: key})
			_, err := s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest))
			if !errors.Is(err, ErrAPIKey) {
				t.Fatalf("got %v, want ErrAPIKey", err)
			}
			var ie *chains.InputError
			if !errors.As(err, &ie) {
				t.Errorf("got %T, want an input error", err)
			}
			msg := err.Error()
			if strings.Contains(msg, key) || strings.Contains(s.Name(), key) {
				t.Errorf("the key leaked: %q / %q", msg, s.Name())
			}
			if !strings.Contains(msg, "--etherscan-key") || !strings.Contains(msg, "ETHERSCAN_API_KEY") {
				t.Errorf("no hint: %q", msg)
			}
			if s.Requests() != 1 {
				t.Errorf("requests: got %d, want 1 (not retried)", s.Requests())
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	_, all := history(50)
	clock := newClock()
	f := newFake(t, clock)
	f.recs = all
	f.truncate = "tokentx"
	s := newSource(t, f.serve(), clock, Options{})
	_, err := s.Transfers(context.Background(), query(victim, usdt, 20_000_000, 20_000_100))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"tokentx", "blocks 20000000-20000100", "truncated JSON"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") || strings.Contains(msg, "TESTKEY") {
		t.Errorf("error %q: want one line without the key", msg)
	}
}

func TestSingleBlockTooBig(t *testing.T) {
	clock := newClock()
	f := newFake(t, clock)
	f.window = 1000
	for i := range 1001 {
		f.recs = append(f.recs, tokenRow(20_000_100, txHash(uint64(i+1)), i, victim, addr(9), usdtHex, "1"))
	}
	s := newSource(t, f.serve(), clock, Options{PageSize: 100, MaxWindow: 1000})
	_, err := s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest))
	if !errors.Is(err, errWindowBlock) || !strings.Contains(err.Error(), "block 20000100") {
		t.Fatalf("got %v, want a clear single-block error", err)
	}
}

// fakePositions is a positions source giving every transfer the log index
// 500 + its rank in the transaction.
type fakePositions struct {
	mu    sync.Mutex
	byTx  map[chains.TxHash][]chains.Transfer
	calls int
}

func (p *fakePositions) TxTransfers(ctx context.Context, chain chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	ts, ok := p.byTx[tx]
	if !ok {
		return nil, chains.ErrNotFound
	}
	return ts, nil
}

func TestPositions(t *testing.T) {
	mine, all := history(2500)
	want := truth(t, mine)
	p := &fakePositions{byTx: map[chains.TxHash][]chains.Transfer{}}
	// The positions source lists each transaction's transfers in log order,
	// with an unrelated transfer first.
	for _, w := range want {
		if p.byTx[w.Tx] == nil {
			p.byTx[w.Tx] = []chains.Transfer{{Chain: chains.Ethereum, Tx: w.Tx, Asset: usdt, Position: 499,
				From: chains.MustParseAddress(addr(5)), To: chains.MustParseAddress(addr(6)), Amount: chains.NewAmount(9)}}
		}
		e := w
		e.TxIndex, e.Position = 0, 500+uint32(len(p.byTx[w.Tx]))
		p.byTx[w.Tx] = append(p.byTx[w.Tx], e)
	}
	for i := range want {
		for _, e := range p.byTx[want[i].Tx] {
			if e.From == want[i].From && e.To == want[i].To && e.Amount.Cmp(want[i].Amount) == 0 {
				want[i].Position, want[i].TxIndex = e.Position, 0
			}
		}
	}
	slices.SortStableFunc(want, chains.Compare)

	clock := newClock()
	f := newFake(t, clock)
	f.recs = all
	s := newSource(t, f.serve(), clock, Options{Positions: p})
	if s.PositionRule() != RuleReceipt {
		t.Errorf("rule: got %q", s.PositionRule())
	}
	got, err := s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest))
	if err != nil {
		t.Fatal(err)
	}
	sameTransfers(t, got, want)
	if p.calls != len(p.byTx) {
		t.Errorf("positions calls: got %d, want %d (one per transaction)", p.calls, len(p.byTx))
	}
	// A second read is answered from the per-transaction cache.
	if _, err := s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest)); err != nil || p.calls != len(p.byTx) {
		t.Errorf("second read: %v, %d positions calls", err, p.calls)
	}
}

func TestExplorerRuleStable(t *testing.T) {
	mine, all := history(4200)
	var runs [][]chains.Transfer
	for _, o := range []Options{{}, {PageSize: 300}, {PageSize: 1000, MaxWindow: 3000}} {
		clock := newClock()
		f := newFake(t, clock)
		f.recs = all
		s := newSource(t, f.serve(), clock, o)
		if s.PositionRule() != RuleExplorer {
			t.Errorf("rule: got %q", s.PositionRule())
		}
		got, err := s.Transfers(context.Background(), query(victim, usdt, 0, chains.Latest))
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, got)
	}
	for i := range runs {
		sameTransfers(t, runs[i], truth(t, mine))
	}
}

func TestTracePosition(t *testing.T) {
	// Depth-first call order.
	ids := []string{"", "0", "0_0", "0_0_0", "0_0_1", "0_1", "0_2", "0_10", "1", "1_0", "2", "3", "7", "8", "100", "100_3", "1000", "65535"}
	prev := uint32(0)
	for _, id := range ids {
		p := tracePosition(id)
		if p <= prev {
			t.Errorf("traceId %q: position %d not after %d", id, p, prev)
		}
		prev = p
	}
	if p := tracePosition("0_1_2_3_4_5_6_7_8_9_10"); p <= 1<<30 || p == tracePosition("0_1_2_3_4_5_6_7_8_9_11") {
		t.Errorf("deep path: position %d", p)
	}
}

func TestNative(t *testing.T) {
	clock := newClock()
	f := newFake(t, clock)
	me := victim
	row := func(action string, block uint64, hash, from, to, value string, extra ...string) rec {
		m := map[string]string{"blockNumber": strconv.FormatUint(block, 10), "timeStamp": strconv.FormatInt(blockTime(block), 10),
			"hash": hash, "from": from, "to": to, "value": value, "contractAddress": "", "isError": "0"}
		for i := 0; i+1 < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return rec{action: action, block: block, hash: hash, from: from, to: to, fields: m}
	}
	f.recs = []rec{
		row("txlist", 20_000_001, txHash(1), addr(1), me, "1000", "transactionIndex", "4", "txreceipt_status", "1"),
		row("txlist", 20_000_002, txHash(2), me, addr(2), "0", "transactionIndex", "1", "txreceipt_status", "1"),
		row("txlist", 20_000_002, txHash(3), me, addr(3), "50", "transactionIndex", "2", "isError", "1", "txreceipt_status", "0"),
		row("txlist", 20_000_003, txHash(4), me, "", "7", "transactionIndex", "0", "txreceipt_status", "1", "contractAddress", addr(0xc0de)),
		row("txlistinternal", 20_000_002, txHash(2), addr(2), me, "300", "traceId", "0_1", "type", "call"),
		row("txlistinternal", 20_000_002, txHash(2), addr(2), me, "200", "traceId", "0", "type", "call"),
		row("txlistinternal", 20_000_002, txHash(5), addr(8), me, "10", "traceId", "0", "type", "call"),
		row("txlistinternal", 20_000_002, txHash(6), addr(8), me, "99", "traceId", "0", "type", "call", "isError", "1"),
	}
	f.txs[txHash(5)] = &fakeTx{hash: txHash(5), block: 20_000_002, index: 0, from: addr(9), to: addr(8), value: "0x0", status: "0x1"}
	s := newSource(t, f.serve(), clock, Options{})
	got, err := s.Transfers(context.Background(), query(me, chains.NativeAsset(chains.Ethereum), 0, chains.Latest))
	if err != nil {
		t.Fatal(err)
	}
	type short struct {
		tx       uint64
		idx, pos uint32
		value    string
	}
	var gs []short
	for _, g := range got {
		n, _ := strconv.ParseUint(g.Tx.String()[2:], 16, 64)
		gs = append(gs, short{n, g.TxIndex, g.Position, g.Amount.String()})
	}
	want := []short{
		{1, 4, 0, "1000"},
		{5, 0, tracePosition("0"), "10"},
		{2, 1, 0, "0"},
		{2, 1, tracePosition("0"), "200"},
		{2, 1, tracePosition("0_1"), "300"},
		{4, 0, 0, "7"},
	}
	if !slices.Equal(gs, want) {
		t.Fatalf("got  %v\nwant %v", gs, want)
	}
	if got[5].To != chains.MustParseAddress(addr(0xc0de)) {
		t.Errorf("contract creation: to %s", got[5].To)
	}
	// head, txlist, txlistinternal, and one lookup of the transaction index
	// of the internal transfer whose transaction is not in txlist.
	if s.Requests() != 4 || f.calls["eth_getTransactionByHash"] != 1 {
		t.Errorf("requests: got %d (%v), want 4", s.Requests(), f.calls)
	}
}

func TestBetween(t *testing.T) {
	mine, all := history(1200)
	clock := newClock()
	f := newFake(t, clock)
	f.recs = all
	s := newSource(t, f.serve(), clock, Options{})
	var peer string
	for _, r := range mine {
		if r.from == victim {
			peer = r.to
			break
		}
	}
	to := chains.MustParseAddress(peer)
	got, err := s.TransfersBetween(context.Background(), chains.PairQuery{Chain: chains.Ethereum, Asset: usdt,
		From: chains.MustParseAddress(victim), To: to, ToBlock: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	var want []rec
	for _, r := range mine {
		if r.from == victim && r.to == peer {
			want = append(want, r)
		}
	}
	w := truth(t, mine)
	w = slices.DeleteFunc(w, func(x chains.Transfer) bool { return x.From != chains.MustParseAddress(victim) || x.To != to })
	if len(want) == 0 || len(w) != len(want) {
		t.Fatalf("generator: %d pair rows", len(want))
	}
	sameTransfers(t, got, w)
}
