package evm

import (
	"context"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"freezetrace/chains"
)

var _ chains.PairFinder = (*Source)(nil)
var _ chains.Requester = (*Source)(nil)

// Requests returns how many HTTP requests the source has sent, retries
// included (Stats().Requests).
func (s *Source) Requests() int64 { return s.transport.Requests() }

// TransfersBetween returns the transfers of token q.Asset from q.From to
// q.To with a block in [q.FromBlock, q.ToBlock] (clamped to the head), in
// canonical order with block times set. It asks eth_getLogs once with the
// topics [TransferTopic, from, to] over the whole range, split only as the
// provider demands. The native coin has no such filter: its error wraps
// chains.ErrUnsupported, and nothing is sent.
func (s *Source) TransfersBetween(ctx context.Context, q chains.PairQuery) ([]chains.Transfer, error) {
	if q.Asset.IsNative() {
		return nil, fmt.Errorf("%s transfers from %s to %s: %w: native transfers have no log filter",
			q.Asset, q.From, q.To, chains.ErrUnsupported)
	}
	if q.Asset.Chain != q.Chain {
		return nil, fmt.Errorf("asset %s is not on %s", q.Asset, q.Chain)
	}
	head, err := s.Head(ctx, q.Chain)
	if err != nil {
		return nil, err
	}
	to := min(q.ToBlock, head)
	if q.FromBlock > to {
		return nil, nil
	}
	contract := common.Address(q.Asset.Contract.Bytes())
	topics := []any{TransferTopic, addressTopic(q.From), addressTopic(q.To)}
	var out []chains.Transfer
	// A reorg seen mid-fetch is retried once; a second one is reported.
	for attempt := 0; ; attempt++ {
		var logs []Log
		logs, err = s.getLogs(ctx, contract, topics, q.FromBlock, to)
		if err == nil {
			out, err = s.collect(ctx, q.Chain, logs, func(t chains.Transfer) bool {
				return t.Asset == q.Asset && t.From == q.From && t.To == q.To
			})
		}
		if err == nil || !errors.Is(err, ErrReorg) || attempt == 1 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s transfers from %s to %s in blocks %d-%d: %w", q.Asset, q.From, q.To, q.FromBlock, to, err)
	}
	return out, nil
}
