package mem_test

import (
	"context"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/mem"
	"freezetrace/internal/sourcetest"
)

func TestConformance(t *testing.T) {
	ts, assets := sourcetest.Sample(chains.Ethereum)
	sourcetest.Run(t, sourcetest.Harness{
		Chain:  chains.Ethereum,
		Truth:  ts,
		Assets: assets,
		Head:   sourcetest.SampleHead,
		New: func(*testing.T) chains.Source {
			s := mem.New(ts...)
			for _, a := range assets {
				s.AddAsset(a)
			}
			return s
		},
		Unsupported: []sourcetest.Question{{Name: "BalanceWithoutEnableBalances", Ask: func(ctx context.Context, src chains.Source) error {
			_, err := src.Balance(ctx, chains.Ethereum, ts[0].From, ts[0].Asset, ts[0].Block)
			return err
		}}},
	})
}
