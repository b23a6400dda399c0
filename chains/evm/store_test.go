package evm_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/chains/store"
	"freezetrace/internal/devchain"
)

const confirmDepth = 5

var storeClock = func() time.Time { return time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC) }

// cached returns a caching store source over a fresh evm source dialled at
// url, with a database file at path.
func cached(t *testing.T, path, url string, o evm.Options) (*store.Source, *evm.Source) {
	t.Helper()
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	up := dial(t, url, o)
	return store.NewSource(db, up, store.Options{Name: "rpc", ConfirmDepth: confirmDepth, HeadTTL: time.Hour, Clock: storeClock}), up
}

// queries are the questions a trace of the scenario asks: every actor's
// history in the token and in ether.
func queries(p *devchain.Played) []chains.Query {
	// The cache stores blocks at least confirmDepth deep; the scenario ends
	// with empty blocks, so the case's window ends below that.
	to := p.Head - confirmDepth
	var qs []chains.Query
	for _, n := range slices.Sorted(mapKeys(p.Actors)) {
		for _, a := range assets(p) {
			qs = append(qs, chains.Query{Chain: chains.Ethereum, Address: p.Actors[n], Asset: a, From: 0, To: to})
		}
	}
	return qs
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// askAll asks every query and checks each answer against what was played.
func askAll(t *testing.T, src chains.Source, p *devchain.Played) error {
	t.Helper()
	for _, q := range queries(p) {
		got, err := src.Transfers(context.Background(), q)
		if err != nil {
			return err
		}
		sameTransfers(t, q.Address.String()+" "+q.Asset.String(), got, filter(p.Transfers, q.Address, q.Asset))
	}
	return nil
}

func TestColdWarmRequestCounts(t *testing.T) {
	c, p := playedChain(t)
	px := newProxy(t, c.URL)
	path := filepath.Join(t.TempDir(), "cache.db")

	cold, up := cached(t, path, px.URL, evm.Options{})
	start := time.Now()
	if err := askAll(t, cold, p); err != nil {
		t.Fatal(err)
	}
	coldTime, coldReqs := time.Since(start), px.count()
	if coldReqs == 0 {
		t.Fatal("cold run sent no request")
	}
	if got := up.Stats().Requests; got != int64(coldReqs) {
		t.Errorf("source counted %d requests, proxy saw %d", got, coldReqs)
	}
	if px.wide != 1 {
		t.Errorf("%d eth_getLogs calls wider than the %d-block cap, want 1 (the first, before the cap is learnt)", px.wide, rangeCap)
	}

	warm, _ := cached(t, path, px.URL, evm.Options{})
	start = time.Now()
	if err := askAll(t, warm, p); err != nil {
		t.Fatal(err)
	}
	warmTime, warmReqs := time.Since(start), px.count()-coldReqs
	if warmReqs != 0 {
		t.Errorf("warm run sent %d requests, want 0", warmReqs)
	}
	t.Logf("scenario: %d blocks, %d transfers, %d queries; cold: %d HTTP requests (%v) in %v; warm: %d requests in %v",
		p.Head, len(p.Transfers), len(queries(p)), coldReqs, px.methods, coldTime.Round(time.Millisecond), warmReqs, warmTime.Round(time.Millisecond))
}

// TestFaults passes transient failures through the proxy: every answer must
// still equal what was played, with the retries counted.
func TestFaults(t *testing.T) {
	c, p := playedChain(t)
	cases := []struct {
		name  string
		fault fault
	}{
		{"TooManyRequestsRetryAfter", tooMany},
		{"ServerError", serverErr},
		{"ConnectionReset", reset},
		{"TruncatedBody", truncate},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px := newProxy(t, c.URL)
			// Fail every other request once, batches twice.
			px.setFault(func(n int, methods []string, again int) fault {
				if n%2 == 0 && (again == 0 || (len(methods) > 1 && again == 1)) {
					return tc.fault
				}
				return pass
			})
			var waits []time.Duration
			o := evm.Options{Transport: evm.TransportOptions{Retries: 4, Sleep: func(ctx context.Context, d time.Duration) error {
				waits = append(waits, d)
				return ctx.Err()
			}}}
			src, up := cached(t, filepath.Join(t.TempDir(), "cache.db"), px.URL, o)
			if err := askAll(t, src, p); err != nil {
				t.Fatal(err)
			}
			st := up.Stats()
			if st.Retries == 0 || len(waits) != int(st.Retries) {
				t.Errorf("retries %d, backoff waits %d: want as many, and some", st.Retries, len(waits))
			}
			if tc.fault == tooMany && slices.Min(waits) < 2*time.Second {
				t.Errorf("shortest wait %v after Retry-After: 2", slices.Min(waits))
			}
		})
	}
}

// TestFaultsNeverCachePartial: when failures outlast the retries, or a log's
// block hash disagrees with the header, the query fails with a clear error
// and nothing is marked covered; once the node behaves, the answer is right.
func TestFaultsNeverCachePartial(t *testing.T) {
	c, p := playedChain(t)
	victim := p.Actors["collect-1"]
	q := chains.Query{Chain: chains.Ethereum, Address: victim, Asset: p.Tokens["usdt"].ID, From: 0, To: chains.Latest}
	cases := []struct {
		name    string
		fault   func(n int, methods []string, again int) fault
		wantErr string
		is      error
	}{
		{"ServerErrorsOutlastRetries", func(n int, m []string, _ int) fault {
			if slices.Contains(m, "eth_getLogs") && n > 6 {
				return serverErr
			}
			return pass
		}, "500", nil},
		{"LogBlockHashDisagrees", func(n int, m []string, _ int) fault {
			if slices.Contains(m, "eth_getLogs") {
				return badLogHash
			}
			return pass
		}, "header says", evm.ErrReorg},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			px := newProxy(t, c.URL)
			px.setFault(tc.fault)
			path := filepath.Join(t.TempDir(), "cache.db")
			o := evm.Options{Transport: evm.TransportOptions{Retries: 2, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}}
			src, _ := cached(t, path, px.URL, o)
			_, err := src.Transfers(context.Background(), q)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("got error %v, want one saying %q", err, tc.wantErr)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("error %v does not match %v", err, tc.is)
			}
			db, err := store.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			cov, err := db.Coverage(context.Background(), q.Address, q.Asset)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(cov) != 0 {
				t.Fatalf("coverage %v recorded after a failed fetch", cov)
			}
			px.setFault(nil)
			src2, _ := cached(t, path, px.URL, evm.Options{})
			got, err := src2.Transfers(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			sameTransfers(t, "after recovery", got, filter(p.Transfers, q.Address, q.Asset))
		})
	}
}

// TestCancelKeepsWhatWasStored: interrupting a fetch (Ctrl-C) returns
// context.Canceled; the pieces stored before it are complete and correct,
// and a later run fetches only the rest.
func TestCancelKeepsWhatWasStored(t *testing.T) {
	c, p := playedChain(t)
	px := newProxy(t, c.URL)
	path := filepath.Join(t.TempDir(), "cache.db")
	db, err := store.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	up := dial(t, px.URL, evm.Options{})
	src := store.NewSource(db, up, store.Options{Name: "rpc", MaxRange: 50, Clock: storeClock})
	addr := p.Actors["collect-1"]
	q := chains.Query{Chain: chains.Ethereum, Address: addr, Asset: p.Tokens["usdt"].ID, From: 0, To: p.Head}
	ctx, cancel := context.WithCancel(context.Background())
	px.setFault(func(n int, _ []string, _ int) fault {
		if n == 8 {
			cancel()
		}
		return pass
	})
	if _, err := src.Transfers(ctx, q); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	cov, err := db.Coverage(context.Background(), addr, q.Asset)
	if err != nil {
		t.Fatal(err)
	}
	if len(cov) == 0 || cov[0].From != 0 || cov[len(cov)-1].To >= p.Head {
		t.Fatalf("coverage after the interruption %v: want a first part of 0-%d", cov, p.Head)
	}
	stored, err := db.CachedTransfers(context.Background(), chains.Query{Chain: chains.Ethereum, Address: addr, Asset: q.Asset, From: 0, To: cov[0].To})
	if err != nil {
		t.Fatal(err)
	}
	var want []chains.Transfer
	for _, tr := range filter(p.Transfers, addr, q.Asset) {
		if tr.Block <= cov[0].To {
			want = append(want, tr)
		}
	}
	sameTransfers(t, "stored before the interruption", stored, want)
	px.setFault(nil)
	got, err := src.Transfers(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	sameTransfers(t, "after resuming", got, filter(p.Transfers, addr, q.Asset))
}
