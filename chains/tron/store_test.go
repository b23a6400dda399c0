package tron_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/chains/tron"
)

// TestThroughStore runs the TRON source behind the caching store: a cold run
// fetches, a warm re-run in a new process (new Source, database reopened)
// answers the same without a single request.
func TestThroughStore(t *testing.T) {
	ctx := context.Background()
	g := newScenario(t)
	path := filepath.Join(t.TempDir(), "cache.db")
	clock := func() time.Time { return time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) }

	type answers struct {
		usdtPool, trxPool, usdtExchange, tx3 []chains.Transfer
		asset                                chains.Asset
		blockTime                            time.Time
		isContract                           bool
	}
	run := func() (answers, int64) {
		t.Helper()
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		up := newSource(t, g, tron.Options{PageSize: 2})
		s := store.NewSource(db, up, store.Options{Name: "trongrid", HeadTTL: time.Hour, Clock: clock})
		var a answers
		q := chains.Query{Chain: chains.Tron, Address: pool, Asset: usdt, To: chains.Latest}
		if a.usdtPool, err = s.Transfers(ctx, q); err != nil {
			t.Fatal(err)
		}
		q.Asset = trx
		if a.trxPool, err = s.Transfers(ctx, q); err != nil {
			t.Fatal(err)
		}
		q.Address, q.Asset, q.From = exchange, usdt, 100
		if a.usdtExchange, err = s.Transfers(ctx, q); err != nil {
			t.Fatal(err)
		}
		if a.tx3, err = s.TxTransfers(ctx, chains.Tron, t3a.Tx); err != nil {
			t.Fatal(err)
		}
		if a.asset, err = s.Asset(ctx, fakeUSDT); err != nil {
			t.Fatal(err)
		}
		if a.blockTime, err = s.BlockTime(ctx, chains.Tron, 107); err != nil {
			t.Fatal(err)
		}
		if a.isContract, err = s.IsContract(ctx, chains.Tron, usdt.Contract); err != nil {
			t.Fatal(err)
		}
		return a, up.Requests()
	}

	cold, n := run()
	if n == 0 || int(n) != g.total() {
		t.Fatalf("cold run: source counted %d requests, server saw %d", n, g.total())
	}
	sameTransfers(t, cold.usdtPool, []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7})
	sameTransfers(t, cold.trxPool, []chains.Transfer{n1, n2, n3})
	sameTransfers(t, cold.usdtExchange, []chains.Transfer{t3a, t4, t7})
	sameTransfers(t, cold.tx3, []chains.Transfer{t3a, t3b})
	t.Logf("cold run: %d requests", n)

	before := g.total()
	warm, n := run()
	if n != 0 || g.total() != before {
		t.Fatalf("warm run made %d requests (server saw %d), want 0", n, g.total()-before)
	}
	sameTransfers(t, warm.usdtPool, cold.usdtPool)
	sameTransfers(t, warm.trxPool, cold.trxPool)
	sameTransfers(t, warm.usdtExchange, cold.usdtExchange)
	sameTransfers(t, warm.tx3, cold.tx3)
	if warm.asset != cold.asset || !warm.blockTime.Equal(cold.blockTime) || warm.isContract != cold.isContract {
		t.Fatalf("warm metadata %+v differs from cold %+v", warm, cold)
	}
	if cold.asset != (chains.Asset{ID: fakeUSDT, Symbol: "USDT", Decimals: 6}) || !cold.blockTime.Equal(blockTimes()[107]) || !cold.isContract {
		t.Fatalf("metadata: got %+v", cold)
	}
}
