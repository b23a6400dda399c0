package store

import (
	"context"
	"errors"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/internal/sourcetest"
)

// storeCapabilities are what a store Source offers whatever its upstream.
var storeCapabilities = []string{"BlockFinder", "Pager", "PairFinder", "PeerCounter", "Totaler"}

// imported is a file holding ts, their blocks and assets, stored as one
// import, with nothing fetched.
func imported(t *testing.T, ts []chains.Transfer, assets []chains.Asset) *DB {
	t.Helper()
	ctx := context.Background()
	db := openTemp(t)
	im, err := db.BeginImport(ctx, ImportInfo{Chain: chains.Ethereum, File: "sample.csv", Format: "sourcetest", Time: sourcetest.SampleTime(0)})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Rollback()
	var blocks []Block
	for n := uint64(0); n <= sourcetest.SampleHead; n++ {
		blocks = append(blocks, Block{Chain: chains.Ethereum, Number: n, Time: sourcetest.SampleTime(n)})
	}
	if _, _, err := im.PutBlocks(ctx, blocks); err != nil {
		t.Fatal(err)
	}
	if _, err := im.PutAssets(ctx, assets); err != nil {
		t.Fatal(err)
	}
	n, err := im.PutTransfers(ctx, ts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := im.Commit(ctx, ImportCounts{Read: len(ts), Added: n}); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	ts, assets := sourcetest.Sample(chains.Ethereum)
	balance := sourcetest.Question{Name: "Balance", Ask: func(ctx context.Context, src chains.Source) error {
		_, err := src.Balance(ctx, chains.Ethereum, ts[0].From, ts[0].Asset, ts[0].Block)
		return err
	}}
	// Nothing stored, and an upstream that cannot read freeze statuses.
	freeze := sourcetest.Question{Name: "FreezeStatus", Ask: func(ctx context.Context, src chains.Source) error {
		fc, ok := src.(chains.FreezeChecker)
		if !ok {
			return errors.New("not a chains.FreezeChecker")
		}
		_, err := fc.FreezeStatus(ctx, chains.USDTEthereum, ts[0].From, ts[0].Block, 0)
		return err
	}}
	t.Run("Offline", func(t *testing.T) {
		sourcetest.Run(t, sourcetest.Harness{
			Chain: chains.Ethereum, Truth: ts, Assets: assets, Head: sourcetest.SampleHead,
			New:     func(t *testing.T) chains.Source { return imported(t, ts, assets).Source() },
			Offline: true,
			Unsupported: []sourcetest.Question{balance, freeze, {Name: "IsContract", Ask: func(ctx context.Context, src chains.Source) error {
				_, err := src.IsContract(ctx, chains.Ethereum, ts[0].To)
				return err
			}}},
			Capabilities: storeCapabilities,
		})
	})
	t.Run("Caching", func(t *testing.T) {
		upstream := func() *mem.Source {
			s := mem.New(ts...)
			for _, a := range assets {
				s.AddAsset(a)
			}
			return s
		}
		latest := func(asset chains.AssetID) chains.Query {
			return chains.Query{Chain: chains.Ethereum, Address: ts[0].From, Asset: asset, To: chains.Latest}
		}
		sourcetest.Run(t, sourcetest.Harness{
			Chain: chains.Ethereum, Truth: ts, Assets: assets, Head: sourcetest.SampleHead,
			New: func(t *testing.T) chains.Source {
				return NewSource(openTemp(t), upstream(), Options{Name: "mem", MaxRange: 7})
			},
			// The same upstream's transfers, failing for ranges from block
			// 20 on: the pieces before are stored, the answer is an error.
			Broken: func(t *testing.T) chains.Source {
				return NewSource(openTemp(t), headed{&fakeUpstream{ts: ts, head: sourcetest.SampleHead, failFrom: 20}}, Options{Name: "fake", MaxRange: 7})
			},
			Unsupported: []sourcetest.Question{balance, freeze,
				// A headless upstream bounds no query up to Latest: nothing
				// is cached, so nothing can be counted or totalled.
				{Name: "CounterpartiesUpToLatest", Ask: func(ctx context.Context, src chains.Source) error {
					_, err := src.(chains.PeerCounter).Counterparties(ctx, latest(ts[0].Asset), 10)
					return err
				}},
				{Name: "TotalsUpToLatest", Ask: func(ctx context.Context, src chains.Source) error {
					_, _, _, err := src.(chains.Totaler).Totals(ctx, latest(ts[0].Asset))
					return err
				}},
			},
			Capabilities: storeCapabilities,
		})
	})
}
