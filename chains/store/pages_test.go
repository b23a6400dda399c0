package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
)

// pages reads q a page at a time and checks each page's shape.
func pages(t *testing.T, s *Source, q chains.Query, limit int) (all []chains.Transfer, n int) {
	t.Helper()
	for {
		ts, next, err := s.TransfersPage(context.Background(), q, limit)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if len(ts) > limit && ts[0].Block != ts[len(ts)-1].Block {
			t.Fatalf("page from %d: %d transfers over several blocks, limit %d", q.From, len(ts), limit)
		}
		for _, x := range ts {
			if x.Block < q.From || (next != 0 && x.Block >= next) {
				t.Fatalf("page %d-%d holds block %d", q.From, next, x.Block)
			}
		}
		all = append(all, ts...)
		if next == 0 {
			return all, n
		}
		if next <= q.From {
			t.Fatalf("page from %d: next %d does not advance", q.From, next)
		}
		q.From = next
	}
}

func TestTransfersPage(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	// Alice's ledger: blocks 10..49, one transfer each, and block 30 with
	// seven (more than a page).
	var ts []chains.Transfer
	n := 0
	for b := uint64(10); b < 50; b++ {
		k := 1
		if b == 30 {
			k = 7
		}
		for p := 0; p < k; p++ {
			n++
			from, to := alice, bob
			if n%3 == 0 {
				from, to = carol, alice
			}
			ts = append(ts, tr(n, b, uint32(p), from, to, uint64(n)))
		}
	}
	ts = append(ts, tr(n+1, 20, 5, bob, carol, 9)) // not Alice's
	batch, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := batch.PutTransfers(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if err := batch.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	s := db.Source()
	q := chains.Query{Chain: chains.Ethereum, Address: alice, Asset: usdt, From: 0, To: chains.Latest}
	want, err := s.Transfers(ctx, q)
	if err != nil || len(want) != 46 {
		t.Fatalf("whole ledger: %d transfers, %v", len(want), err)
	}
	for _, limit := range []int{1, 3, 4, 100} {
		got, np := pages(t, s, q, limit)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("limit %d: pages give %d transfers, the whole read %d", limit, len(got), len(want))
		}
		if limit == 4 && np < 10 {
			t.Fatalf("limit 4: %d pages", np)
		}
	}
	// Bounded: the pages stop at q.To.
	q.From, q.To = 25, 35
	got, _ := pages(t, s, q, 2)
	if w, _ := s.Transfers(ctx, q); !reflect.DeepEqual(got, w) {
		t.Fatalf("25-35: %d transfers in pages, %d whole", len(got), len(w))
	}
}

// Online, the first page fills the cache for the whole range: the pages
// after it are read from the file, with no further request.
func TestTransfersPageFillsOnce(t *testing.T) {
	db := openTemp(t)
	up := &fakeUpstream{ts: scenario()}
	s := NewSource(db, up, Options{Name: "rpc", Clock: func() time.Time { return time.Unix(5000, 0) }})
	q := aliceQuery(0, 100)
	got, _ := pages(t, s, q, 1)
	if !reflect.DeepEqual(got, want(0, 100)) {
		t.Fatalf("pages: got %v, want %v", got, want(0, 100))
	}
	if up.total() != 1 {
		t.Fatalf("%d upstream calls, want 1", up.total())
	}
}

// The page and counterparty queries read the address indexes only.
func TestPageQueriesUseIndexes(t *testing.T) {
	db := openTemp(t)
	for _, q := range []string{pageEndQuery, countPeersSQL(5)} {
		using := "USING COVERING INDEX"
		args := []any{1, []byte{1}, 0, 10, 1, []byte{1}, 0, 10}
		if q == pageEndQuery {
			args = append(args, 5)
		}
		all := queryPlan(t, db, q, args...)
		for _, want := range []string{using + " transfers_from", using + " transfers_to"} {
			if !strings.Contains(all, want) {
				t.Errorf("plan lacks %q:\n%s", want, all)
			}
		}
		if strings.Contains(all, "SCAN transfers") || strings.Contains(all, "FOR ORDER BY") {
			t.Errorf("plan scans or sorts:\n%s", all)
		}
	}
}

// Totals equal the sums over the transfers themselves: a self-transfer
// counted once and moving nothing, zero-value transfers counted, amounts
// beyond a machine word summed exactly.
func TestTotals(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	huge, _ := chains.ParseAmount("340282366920938463463374607431768211456") // 2^128
	ts := []chains.Transfer{
		tr(1, 10, 0, bob, alice, 1<<63), tr(2, 11, 0, bob, alice, 1<<63), tr(3, 12, 0, alice, alice, 5),
		tr(4, 13, 0, alice, carol, 7), tr(5, 14, 0, carol, alice, 0), tr(6, 15, 0, bob, carol, 9),
	}
	big := tr(7, 16, 0, carol, alice, 0)
	big.Amount = huge
	ts = append(ts, big)
	if err := db.update(ctx, func(b *Batch) error { _, err := b.PutTransfers(ctx, ts); return err }); err != nil {
		t.Fatal(err)
	}
	s := db.Source()
	for _, r := range [][2]uint64{{0, 100}, {11, 13}, {16, 16}, {20, 30}} {
		q := chains.Query{Chain: chains.Ethereum, Address: alice, Asset: usdt, From: r[0], To: r[1]}
		all, err := s.Transfers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var in, out chains.Amount
		for _, x := range all {
			switch {
			case x.From == x.To:
			case x.To == alice:
				in = in.Add(x.Amount)
			default:
				out = out.Add(x.Amount)
			}
		}
		n, gin, gout, err := s.Totals(ctx, q)
		if err != nil || n != len(all) || gin.Cmp(in) != 0 || gout.Cmp(out) != 0 {
			t.Fatalf("%v: totals %d in %s out %s (%v), want %d in %s out %s", r, n, gin, gout, err, len(all), in, out)
		}
	}
}
