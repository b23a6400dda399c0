package tron_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/tron"
)

var base = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// blockTimes gives blocks 0…120 a time 3 s apart, with one missed slot
// before block 110.
func blockTimes() map[uint64]time.Time {
	m := make(map[uint64]time.Time)
	for n := uint64(0); n <= 120; n++ {
		t := base.Add(time.Duration(n) * 3 * time.Second)
		if n >= 110 {
			t = t.Add(3 * time.Second)
		}
		m[n] = t
	}
	return m
}

func addr(b byte) chains.Address {
	var a [20]byte
	for i := range a {
		a[i] = b
	}
	a[0] = 0x5a
	return chains.NewAddress(chains.FamilyTRON, a)
}

func txh(n byte) chains.TxHash {
	var h chains.TxHash
	h[0], h[31] = 0xee, n
	return h
}

var (
	victim   = addr(1)
	pool     = addr(2)
	exchange = addr(3)
	other    = addr(4)
	fakeUSDT = chains.AssetID{Chain: chains.Tron, Contract: addr(9)}
	trx      = chains.NativeAsset(chains.Tron)
	usdt     = chains.USDTTron
)

func tr(tx chains.TxHash, pos uint32, block uint64, from, to chains.Address, asset chains.AssetID, amount uint64) chains.Transfer {
	return chains.Transfer{
		Chain: chains.Tron, Tx: tx, Position: pos, Block: block, Time: blockTimes()[block],
		From: from, To: to, Asset: asset, Amount: chains.NewAmount(amount),
	}
}

// The scenario every test below reads.
var (
	t1  = tr(txh(1), 0, 101, victim, pool, usdt, 3000_000000)
	t2  = tr(txh(2), 1, 103, other, pool, usdt, 7000_000000) // an Approval sits at index 0
	t3a = tr(txh(3), 0, 105, pool, exchange, usdt, 4000_000000)
	t3b = tr(txh(3), 1, 105, pool, other, usdt, 100)
	t4  = tr(txh(4), 0, 110, pool, exchange, usdt, 6000_000000)
	t5  = tr(txh(5), 0, 112, victim, pool, usdt, 0) // zero-value poisoning: listed, the engine filters
	tF  = tr(txh(6), 0, 104, other, pool, fakeUSDT, 5)
	tR  = tr(txh(7), 0, 106, pool, other, usdt, 1) // reverted
	n1  = tr(txh(8), 0, 102, victim, pool, trx, 100_000000)
	n2  = tr(txh(9), 0, 107, pool, exchange, trx, 50)
	n3  = tr(txh(10), 0, 108, pool, fakeUSDT.Contract, trx, 7) // call_value into a contract
	tX  = tr(txh(11), 0, 118, victim, pool, usdt, 9)           // after the confirmed head
	// Two transactions in block 113 whose order in the block is not the
	// order of their ids.
	t6 = withIndex(tr(txh(21), 0, 113, other, pool, usdt, 500), 0)
	t7 = withIndex(tr(txh(20), 0, 113, pool, exchange, usdt, 500), 1)
)

func withIndex(t chains.Transfer, i uint32) chains.Transfer { t.TxIndex = i; return t }

const head = 115

func newScenario(t *testing.T) *fakeGrid {
	t.Helper()
	g := newFakeGrid(t, blockTimes(), head, []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7, tF, tR, n1, n2, tX})
	g.addCall(n3)
	g.fail(tR.Tx)
	g.token(usdt.Contract, "USDT", 6)
	g.token(fakeUSDT.Contract, "USDT", 6)
	return g
}

func newSource(t *testing.T, g *fakeGrid, o tron.Options) *tron.Source {
	t.Helper()
	o.BaseURL = g.url()
	if o.RateLimit == 0 {
		o.RateLimit = -1
	}
	if o.MinBackoff == 0 {
		o.MinBackoff = time.Millisecond
	}
	s, err := tron.New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sameTransfers(t *testing.T, got, want []chains.Transfer) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d transfers, want %d:\n got %s\nwant %s", len(got), len(want), show(got), show(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Chain != w.Chain || g.Tx != w.Tx || g.Position != w.Position || g.TxIndex != w.TxIndex ||
			g.Block != w.Block || !g.Time.Equal(w.Time) || g.Time.Location() != time.UTC ||
			g.From != w.From || g.To != w.To || g.Asset != w.Asset || g.Amount.Cmp(w.Amount) != 0 {
			t.Fatalf("transfer %d:\n got %s\nwant %s", i, show(got[i:i+1]), show(want[i:i+1]))
		}
	}
}

func show(ts []chains.Transfer) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteString("\n  " + chains.Tron.FormatTx(t.Tx)[60:] + "/" + string(rune('0'+t.Position)) + " b" +
			t.Time.Format("15:04:05") + " " + t.From.String() + "→" + t.To.String() + " " + t.Amount.String() + " " + t.Asset.String())
	}
	return b.String()
}

func TestTransfersTRC20(t *testing.T) {
	ctx := context.Background()
	t.Run("AllPagesExact", func(t *testing.T) {
		g := newScenario(t)
		s := newSource(t, g, tron.Options{PageSize: 2})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7})
		// 8 listed items in pages of 2: four full pages, then an empty one.
		if n := g.count("/v1/accounts/{a}/transactions/trc20"); n != 5 {
			t.Errorf("listing pages: got %d requests, want 5", n)
		}
		// head (which also gives the head block's time) + 5 pages + 2 block
		// headers to place the listed times (nothing is known below the
		// head, and a slot before block 110 is empty) + the receipts of 6
		// blocks, one request each; no receipt is read by id.
		if n := s.Requests(); n != 14 || int(n) != g.total() {
			t.Errorf("requests: source counted %d, server saw %d, want 14", n, g.total())
		}
		if n, m := g.count("/wallet/gettransactioninfobyblocknum"), g.count("/wallet/gettransactioninfobyid"); n != 6 || m != 0 {
			t.Errorf("block receipts %d, receipts by id %d; want 6 and 0", n, m)
		}
		// Receipts and block times are kept: a repeat lists again, nothing else.
		if _, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest}); err != nil {
			t.Fatal(err)
		}
		if n := s.Requests(); n != 19 {
			t.Errorf("repeat: got %d requests in all, want 19", n)
		}
	})
	t.Run("BlockRange", func(t *testing.T) {
		g := newScenario(t)
		s := newSource(t, g, tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, From: 103, To: 105})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t2, t3a, t3b})
		got, err = s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, From: 106, To: 111})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t4})
	})
	t.Run("ReceiverSide", func(t *testing.T) {
		s := newSource(t, newScenario(t), tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: exchange, Asset: usdt, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t3a, t4, t7})
	})
	t.Run("NoTxIndex", func(t *testing.T) {
		s := newSource(t, newScenario(t), tron.Options{NoTxIndex: true})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, From: 113, To: 113})
		if err != nil {
			t.Fatal(err)
		}
		// Without the block's transaction list, ids order the block.
		sameTransfers(t, got, []chains.Transfer{withIndex(t7, 0), withIndex(t6, 0)})
		if n := s.Requests(); n != 5 {
			t.Errorf("got %d requests, want head + block time + 1 page + 2 receipts = 5", n)
		}
	})
	t.Run("OldNodeWithoutGetBlock", func(t *testing.T) {
		g := newScenario(t)
		g.setOld()
		s := newSource(t, g, tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, From: 105, To: 113})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t3a, t3b, t4, t5, t6, t7})
		// One refused getblock, then getblockbynum for every header: the
		// times of block 105 and of block 114 (the range ends). Each block's
		// receipts give the order in it.
		if n, m := g.count("/wallet/getblock"), g.count("/wallet/getblockbynum"); n != 1 || m != 2 {
			t.Errorf("getblock %d, getblockbynum %d; want 1 and 2 (the range ends)", n, m)
		}
		if n, m := g.count("/wallet/gettransactioninfobyblocknum"), g.count("/wallet/gettransactioninfobyid"); n != 4 || m != 0 {
			t.Errorf("block receipts %d, receipts by id %d; want 4 and 0", n, m)
		}
	})
	t.Run("FakeTokenIsItsOwnAsset", func(t *testing.T) {
		s := newSource(t, newScenario(t), tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: fakeUSDT, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{tF})
	})
	t.Run("EmptyAccount", func(t *testing.T) {
		g := newScenario(t)
		s := newSource(t, g, tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: addr(7), Asset: usdt, To: chains.Latest})
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || len(got) != 0 {
			t.Fatalf("got %v, want an empty, non-nil slice", got)
		}
	})
	t.Run("RangeAfterHead", func(t *testing.T) {
		g := newScenario(t)
		s := newSource(t, g, tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, From: head + 1, To: chains.Latest})
		if err != nil || len(got) != 0 {
			t.Fatalf("got %v, %v; want nothing", got, err)
		}
		if n := g.count("/v1/accounts/{a}/transactions/trc20"); n != 0 {
			t.Errorf("listed %d times past the head, want 0", n)
		}
	})
	t.Run("ErrWrongChain", func(t *testing.T) {
		s := newSource(t, newScenario(t), tron.Options{})
		_, err := s.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: pool, Asset: usdt, To: chains.Latest})
		if !errors.Is(err, chains.ErrUnsupported) {
			t.Fatalf("got %v, want ErrUnsupported", err)
		}
	})
}

func TestTransfersTRX(t *testing.T) {
	s := newSource(t, newScenario(t), tron.Options{PageSize: 3})
	got, err := s.Transfers(context.Background(), chains.Query{Chain: chains.Tron, Address: pool, Asset: trx, To: chains.Latest})
	if err != nil {
		t.Fatal(err)
	}
	// The pool's TriggerSmartContract calls that moved no TRX (t3, t4, the
	// reverted one) are listed by the API and must not show up.
	sameTransfers(t, got, []chains.Transfer{n1, n2, n3})
}

func TestTxTransfers(t *testing.T) {
	ctx := context.Background()
	s := newSource(t, newScenario(t), tron.Options{})
	for _, c := range []struct {
		name string
		tx   chains.TxHash
		want []chains.Transfer
	}{
		{"TwoTokenTransfers", t3a.Tx, []chains.Transfer{t3a, t3b}},
		{"ApprovalBeforeTransfer", t2.Tx, []chains.Transfer{t2}},
		{"TRX", n1.Tx, []chains.Transfer{n1}},
		{"CallValue", n3.Tx, []chains.Transfer{n3}},
		{"Reverted", tR.Tx, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := s.TxTransfers(ctx, chains.Tron, c.tx)
			if err != nil {
				t.Fatal(err)
			}
			sameTransfers(t, got, c.want)
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.TxTransfers(ctx, chains.Tron, txh(99)); !errors.Is(err, chains.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
}

func TestMetadata(t *testing.T) {
	ctx := context.Background()
	g := newScenario(t)
	s := newSource(t, g, tron.Options{})
	t.Run("AssetFromContract", func(t *testing.T) {
		a, err := s.Asset(ctx, fakeUSDT)
		if err != nil {
			t.Fatal(err)
		}
		if a != (chains.Asset{ID: fakeUSDT, Symbol: "USDT", Decimals: 6}) {
			t.Fatalf("got %+v", a)
		}
		if n := g.count("/wallet/triggerconstantcontract"); n != 2 {
			t.Errorf("got %d contract calls, want 2", n)
		}
		if _, err := s.Asset(ctx, fakeUSDT); err != nil || g.count("/wallet/triggerconstantcontract") != 2 {
			t.Errorf("second lookup: %v, %d calls; want it cached", err, g.count("/wallet/triggerconstantcontract"))
		}
	})
	t.Run("AssetNative", func(t *testing.T) {
		a, err := s.Asset(ctx, trx)
		if err != nil || a.Symbol != "TRX" || a.Decimals != 6 {
			t.Fatalf("got %+v, %v", a, err)
		}
	})
	t.Run("AssetErrNotFound", func(t *testing.T) {
		_, err := s.Asset(ctx, chains.AssetID{Chain: chains.Tron, Contract: addr(8)})
		if !errors.Is(err, chains.ErrNotFound) {
			t.Fatalf("got %v, want ErrNotFound", err)
		}
	})
	t.Run("IsContract", func(t *testing.T) {
		for _, c := range []struct {
			a    chains.Address
			want bool
		}{{usdt.Contract, true}, {victim, false}} {
			got, err := s.IsContract(ctx, chains.Tron, c.a)
			if err != nil || got != c.want {
				t.Errorf("IsContract(%s) = %v, %v; want %v", c.a, got, err, c.want)
			}
		}
	})
	t.Run("BalanceUnsupported", func(t *testing.T) {
		if _, err := s.Balance(ctx, chains.Tron, pool, usdt, 110); !errors.Is(err, chains.ErrUnsupported) {
			t.Fatalf("got %v, want ErrUnsupported", err)
		}
	})
	t.Run("BlockTime", func(t *testing.T) {
		got, err := s.BlockTime(ctx, chains.Tron, 110)
		if err != nil || !got.Equal(blockTimes()[110]) {
			t.Fatalf("got %v, %v; want %v", got, err, blockTimes()[110])
		}
		if _, err := s.BlockTime(ctx, chains.Tron, 500); !errors.Is(err, chains.ErrNotFound) {
			t.Fatalf("block 500: got %v, want ErrNotFound", err)
		}
	})
	t.Run("BlockAt", func(t *testing.T) {
		bt := blockTimes()
		for _, c := range []struct {
			at   time.Time
			want uint64
		}{
			{bt[105], 105},
			{bt[105].Add(time.Second), 106},
			{bt[110].Add(-4 * time.Second), 110}, // inside the missed slot
			{base.Add(-time.Hour), 0},
		} {
			got, err := s.BlockAt(ctx, chains.Tron, c.at)
			if err != nil || got != c.want {
				t.Errorf("BlockAt(%s) = %d, %v; want %d", c.at.Format(time.TimeOnly), got, err, c.want)
			}
		}
		if _, err := s.BlockAt(ctx, chains.Tron, bt[head].Add(time.Second)); !errors.Is(err, chains.ErrNotFound) {
			t.Errorf("after head: got %v, want ErrNotFound", err)
		}
	})
}

func TestRetries(t *testing.T) {
	ctx := context.Background()
	q := chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest}
	t.Run("429RetryAfter", func(t *testing.T) {
		g := newScenario(t)
		var n atomic.Int32
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, "/trc20") && n.Add(1) == 1 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, `{"Error":"rate limit"}`, http.StatusTooManyRequests)
				return true
			}
			return false
		})
		s := newSource(t, g, tron.Options{MaxBackoff: 3 * time.Second})
		start := time.Now()
		got, err := s.Transfers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < time.Second {
			t.Errorf("retried after %v, want at least the 1s Retry-After", d)
		}
		sameTransfers(t, got, []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7})
		if s.Requests() != int64(g.total()) || g.count("/v1/accounts/{a}/transactions/trc20") != 2 {
			t.Errorf("requests: source %d, server %d, listing %d; want listing 2", s.Requests(), g.total(), g.count("/v1/accounts/{a}/transactions/trc20"))
		}
	})
	t.Run("5xxThenSuccess", func(t *testing.T) {
		g := newScenario(t)
		var n atomic.Int32
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			if strings.HasSuffix(r.URL.Path, "/gettransactioninfobyblocknum") && n.Add(1) <= 2 {
				http.Error(w, "upstream busy", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		s := newSource(t, g, tron.Options{Workers: 1})
		got, err := s.Transfers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7})
		if got := g.count("/wallet/gettransactioninfobyblocknum"); got != 8 {
			t.Errorf("block receipt requests: got %d, want 6 + 2 retries", got)
		}
	})
	t.Run("GivesUpWithoutLeakingTheKey", func(t *testing.T) {
		g := newScenario(t)
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, "bad gateway", http.StatusBadGateway)
			return true
		})
		s := newSource(t, g, tron.Options{APIKey: "k-secret-123", MaxRetries: 2})
		_, err := s.Transfers(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "status 502") {
			t.Fatalf("got %v, want a status 502 error", err)
		}
		if strings.Contains(err.Error(), "k-secret-123") || strings.Contains(err.Error(), g.url()) {
			t.Errorf("error shows the key or the URL: %v", err)
		}
		if n := g.keyCount("k-secret-123"); g.total() != 3 || n != 3 {
			t.Errorf("got %d requests (%d with the key), want 3 with the key", g.total(), n)
		}
	})
	t.Run("TimeoutThenSuccess", func(t *testing.T) {
		g := newScenario(t)
		var n atomic.Int32
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			if n.Add(1) == 1 {
				select {
				case <-r.Context().Done():
				case <-time.After(500 * time.Millisecond):
				}
				return true
			}
			return false
		})
		s := newSource(t, g, tron.Options{HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}})
		got, err := s.Transfers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7})
		if s.Requests() != int64(g.total()) || n.Load() < 2 {
			t.Errorf("source counted %d requests, server %d; want the timed-out one retried", s.Requests(), g.total())
		}
	})
	t.Run("EchoedKeyIsHidden", func(t *testing.T) {
		g := newScenario(t)
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, `{"Error":"ApiKey `+r.Header.Get("TRON-PRO-API-KEY")+` not exists"}`, http.StatusUnauthorized)
			return true
		})
		s := newSource(t, g, tron.Options{APIKey: "k-secret-456"})
		_, err := s.Transfers(ctx, q)
		if err == nil || !strings.Contains(err.Error(), "status 401") || strings.Contains(err.Error(), "k-secret-456") {
			t.Fatalf("got %v; want a 401 error without the key", err)
		}
	})
	t.Run("NotRetried4xx", func(t *testing.T) {
		g := newScenario(t)
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			http.Error(w, `{"success":false,"error":"bad request"}`, http.StatusBadRequest)
			return true
		})
		s := newSource(t, g, tron.Options{})
		if _, err := s.Transfers(ctx, q); err == nil || g.total() != 1 {
			t.Fatalf("got %v after %d requests, want an error after 1", err, g.total())
		}
	})
	t.Run("ConnectionRefusedHidesURL", func(t *testing.T) {
		g := newScenario(t)
		s := newSource(t, g, tron.Options{MaxRetries: -1})
		g.srv.Close()
		_, err := s.Transfers(ctx, q)
		if err == nil || strings.Contains(err.Error(), g.url()) {
			t.Fatalf("got %v, want an error without the URL", err)
		}
	})
	t.Run("Cancelled", func(t *testing.T) {
		g := newScenario(t)
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Retry-After", "30")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		})
		s := newSource(t, g, tron.Options{MaxBackoff: time.Minute})
		cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := s.Transfers(cctx, q)
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
			t.Fatalf("got %v after %v, want DeadlineExceeded promptly", err, time.Since(start))
		}
	})
}

func TestRateLimit(t *testing.T) {
	g := newScenario(t)
	s := newSource(t, g, tron.Options{RateLimit: 20})
	start := time.Now()
	if _, err := s.Transfers(context.Background(), chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest}); err != nil {
		t.Fatal(err)
	}
	// head + 1 page + 2 headers + 6 block receipts = 10 requests at 20/s:
	// the last may start no sooner than 9 × 50 ms.
	if n, d := s.Requests(), time.Since(start); n != 10 || d < 450*time.Millisecond {
		t.Fatalf("%d requests in %v; want 10 taking at least 450ms", n, d)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	for _, u := range []string{"ftp://x", "not a url", "http://"} {
		if _, err := tron.New(tron.Options{BaseURL: u}); err == nil {
			t.Errorf("New(%q): want an error", u)
		}
	}
	_, err := tron.New(tron.Options{BaseURL: "ftp://host/key-in-path-abc"})
	if err == nil || strings.Contains(err.Error(), "key-in-path-abc") {
		t.Errorf("got %v; want an error that hides the path", err)
	}
}

func TestBlockReceipts(t *testing.T) {
	ctx := context.Background()
	q := chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest}
	want := []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7}
	t.Run("NodeWithoutThem", func(t *testing.T) {
		g := newScenario(t)
		g.setNoListing()
		s := newSource(t, g, tron.Options{Workers: 1})
		got, err := s.Transfers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, want)
		// One refused listing, then a receipt per transaction and each
		// block's transaction list.
		if a, b, c := g.count("/wallet/gettransactioninfobyblocknum"), g.count("/wallet/gettransactioninfobyid"), g.count("/wallet/getblock"); a != 1 || b != 7 || c < 6 {
			t.Errorf("listings %d, receipts %d, blocks %d; want 1, 7 and at least 6", a, b, c)
		}
	})
	t.Run("TxMissingFromListing", func(t *testing.T) {
		g := newScenario(t)
		g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/gettransactioninfobyblocknum") {
				return false
			}
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			if strings.Contains(string(b), `"num":113`) {
				w.Write([]byte("[]"))
				return true
			}
			return false
		})
		s := newSource(t, g, tron.Options{})
		got, err := s.Transfers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		// The receipts by id name block 113; its transaction list orders it.
		sameTransfers(t, got, want)
		if n := g.count("/wallet/gettransactioninfobyid"); n != 2 {
			t.Errorf("receipts by id: %d, want 2 (t6 and t7)", n)
		}
	})
	t.Run("IndexAcrossAddresses", func(t *testing.T) {
		// t7 is the exchange's only transfer in block 113, and still gets
		// its place in the block, as in the pool's answer: one transfer has
		// one order, whichever address it is read for.
		s := newSource(t, newScenario(t), tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: exchange, Asset: usdt, From: 113, To: 113})
		if err != nil {
			t.Fatal(err)
		}
		sameTransfers(t, got, []chains.Transfer{t7})
	})
	t.Run("BlockHashesTogether", func(t *testing.T) {
		g := newScenario(t)
		s := newSource(t, g, tron.Options{})
		got, err := s.Transfers(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, From: 101, To: 113})
		if err != nil {
			t.Fatal(err)
		}
		before := g.count("/wallet/getblock")
		for _, tr := range got {
			h, err := s.BlockHash(ctx, chains.Tron, tr.Block)
			if err != nil || h[31] != byte(tr.Block) {
				t.Fatalf("hash of block %d: %x, %v", tr.Block, h, err)
			}
		}
		// At most one header per block not read already.
		if n := g.count("/wallet/getblock") - before; n > distinctBlocks(got) {
			t.Errorf("%d headers for %d blocks", n, distinctBlocks(got))
		}
	})
}
