package tron

import (
	"context"
	"errors"
	"fmt"

	"freezetrace/chains"
)

var _ chains.PeerCounter = (*Source)(nil)

// errEnough stops a listing once the count is reached.
var errEnough = errors.New("enough counterparties")

// Counterparties implements chains.PeerCounter for TRC-20 tokens: it pages
// the account's TRC-20 listing over the window's timestamps and stops as
// soon as more than limit distinct counterparties are seen, so a hot
// wallet costs a few pages, never its history, and no block lookups. TRX:
// ErrUnsupported.
func (s *Source) Counterparties(ctx context.Context, q chains.Query, limit int) (int, error) {
	if err := checkChain(q.Chain); err != nil {
		return 0, err
	}
	if q.Asset.IsNative() || q.Asset.Chain != chains.Tron || q.Address.Family() != chains.FamilyTRON {
		return 0, fmt.Errorf("tron counterparties of %s: %w", q.Asset, chains.ErrUnsupported)
	}
	params, _, err := s.window(ctx, q)
	if err != nil || params == nil {
		return 0, err
	}
	params.Set("contract_address", q.Asset.Contract.String())
	me := q.Address.String()
	peers := map[string]bool{}
	path := "/v1/accounts/" + me + "/transactions/trc20"
	err = pages(ctx, s.c, path, params, func(items []trc20Item) error {
		for _, it := range items {
			if it.Type != "" && it.Type != "Transfer" {
				continue
			}
			c, err := chains.Tron.ParseAddress(it.TokenInfo.Address)
			if err != nil || c != q.Asset.Contract {
				continue
			}
			switch me {
			case it.From:
				peers[it.To] = true
			case it.To:
				peers[it.From] = true
			}
			if len(peers) > limit {
				return errEnough
			}
		}
		return nil
	})
	if err != nil && !errors.Is(err, errEnough) {
		return 0, err
	}
	return len(peers), nil
}
