package tron

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

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
	head, err := s.Head(ctx, q.Chain)
	if err != nil {
		return 0, err
	}
	to := min(q.To, head)
	if q.From > to {
		return 0, nil
	}
	params := url.Values{}
	params.Set("only_confirmed", "true")
	params.Set("limit", strconv.Itoa(s.pageSize))
	params.Set("contract_address", q.Asset.Contract.String())
	if q.From > 0 {
		t, err := s.BlockTime(ctx, q.Chain, q.From)
		if err != nil {
			return 0, err
		}
		params.Set("min_timestamp", strconv.FormatInt(t.UnixMilli()-1, 10))
	}
	maxMs, err := s.windowEnd(ctx, q.From, to, head)
	if err != nil {
		return 0, err
	}
	params.Set("max_timestamp", strconv.FormatInt(maxMs, 10))
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
