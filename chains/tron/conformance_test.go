package tron_test

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/chains/tron"
	"freezetrace/internal/sourcetest"
)

// TestConformance holds the TronGrid source, against the fake grid of
// newScenario, to the chains.Source contract.
func TestConformance(t *testing.T) {
	// Everything the scenario holds up to the confirmed head, but the
	// reverted transfer (tR); tX lies after the head.
	truth := []chains.Transfer{t1, t2, t3a, t3b, t4, t5, t6, t7, tF, n1, n2, n3}
	trc20 := func(a chains.AssetID) bool { return a.IsNative() }
	h := sourcetest.Harness{
		Chain: chains.Tron, Truth: truth, Head: head,
		Assets: []chains.Asset{{ID: usdt, Symbol: "USDT", Decimals: 6}, {ID: fakeUSDT, Symbol: "USDT", Decimals: 6}},
		New:    func(t *testing.T) chains.Source { return newSource(t, newScenario(t), tron.Options{PageSize: 3}) },
		// Pages of one item, and every page after an account's first
		// refused: a listing cut off part way.
		Broken: func(t *testing.T) chains.Source {
			g := newScenario(t)
			g.setFault(func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasPrefix(r.URL.Path, "/v1/") || r.URL.Query().Get("fingerprint") == "" {
					return false
				}
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"success":false,"error":"upstream cut off","data":[]}`))
				return true
			})
			return newSource(t, g, tron.Options{PageSize: 1, MaxRetries: -1})
		},
		NoCount: trc20,
		Unsupported: []sourcetest.Question{
			{Name: "BalanceBeforeTheHead", Ask: func(ctx context.Context, src chains.Source) error {
				_, err := src.Balance(ctx, chains.Tron, pool, usdt, head-1)
				return err
			}},
			{Name: "TRXBalance", Ask: func(ctx context.Context, src chains.Source) error {
				_, err := src.Balance(ctx, chains.Tron, pool, trx, head)
				return err
			}},
			{Name: "TransfersOnAnotherChain", Ask: func(ctx context.Context, src chains.Source) error {
				_, err := src.Transfers(ctx, chains.Query{Chain: chains.Ethereum, Address: pool, Asset: chains.NativeAsset(chains.Ethereum), To: chains.Latest})
				return err
			}},
			{Name: "TRXCounterparties", Ask: func(ctx context.Context, src chains.Source) error {
				_, err := src.(chains.PeerCounter).Counterparties(ctx, chains.Query{Chain: chains.Tron, Address: pool, Asset: trx, To: head}, 5)
				return err
			}},
		},
		Capabilities: []string{"BlockFinder", "BlockHasher", "FinalOnly", "HeadReader", "PeerCounter", "Requester"},
	}
	t.Run("TronGrid", func(t *testing.T) { sourcetest.Run(t, h) })

	// The store in front of it: a final-only upstream, cached without
	// block hashes.
	cache := func(t *testing.T, up chains.Source) chains.Source {
		db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "ft.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return store.NewSource(db, up, store.Options{Name: "trongrid"})
	}
	newSrc, broken := h.New, h.Broken
	h.New = func(t *testing.T) chains.Source { return cache(t, newSrc(t)) }
	h.Broken = func(t *testing.T) chains.Source { return cache(t, broken(t)) }
	h.Capabilities = []string{"BlockFinder", "Pager", "PairFinder", "PeerCounter", "Totaler"}
	h.NoCount = nil
	t.Run("Cached", func(t *testing.T) { sourcetest.Run(t, h) })
}
