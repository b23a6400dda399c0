package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/mem"
)

// bent is a mem.Source that breaks one rule of the Source contract.
type bent struct {
	*mem.Source
	transfers      func([]chains.Transfer) []chains.Transfer
	txTransfers    func([]chains.Transfer) []chains.Transfer
	exclusiveTo    bool   // treats To as exclusive
	latestOnlyTo   uint64 // answers Latest only up to this block
	emptyIsError   bool   // fails on From > To
	unknownTxEmpty bool   // answers nothing, no error, for an unknown transaction
}

func (b *bent) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	switch {
	case b.emptyIsError && q.From > q.To:
		return nil, errors.New("empty range")
	case b.exclusiveTo && q.To > q.From:
		q.To--
	case b.latestOnlyTo != 0 && q.To == chains.Latest:
		q.To = b.latestOnlyTo
	}
	ts, err := b.Source.Transfers(ctx, q)
	if err != nil || b.transfers == nil {
		return ts, err
	}
	return b.transfers(slices.Clone(ts)), nil
}

func (b *bent) TxTransfers(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	ts, err := b.Source.TxTransfers(ctx, c, tx)
	if errors.Is(err, chains.ErrNotFound) && b.unknownTxEmpty {
		return nil, nil
	}
	if err != nil || b.txTransfers == nil {
		return ts, err
	}
	return b.txTransfers(slices.Clone(ts)), nil
}

// reference implements every capability over a mem.Source whose blocks
// 0…15 have times, as the contracts say; bad names one to break.
type reference struct {
	*mem.Source
	bad      string
	requests atomic.Int64
}

const refHead = 15

// newReference gives s's blocks up to refHead their times and returns the
// reference capabilities over it, with bad broken.
func newReference(s *mem.Source, bad string) *reference {
	for n := uint64(0); n <= refHead; n++ {
		s.SetBlockTime(chains.Ethereum, n, t0.Add(time.Duration(n)*12*time.Second))
	}
	return &reference{Source: s, bad: bad}
}

func (r *reference) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	r.requests.Add(1)
	return r.Source.Transfers(ctx, q)
}

func (r *reference) Head(_ context.Context, c chains.Chain) (uint64, error) {
	if c != chains.Ethereum {
		return 0, chains.ErrUnsupported
	}
	if r.bad == "HeadReader" {
		return refHead - 1, nil
	}
	return refHead, nil
}

func (r *reference) BlockHash(_ context.Context, c chains.Chain, n uint64) ([32]byte, error) {
	switch {
	case c != chains.Ethereum:
		return [32]byte{}, chains.ErrUnsupported
	case n > refHead:
		return [32]byte{}, fmt.Errorf("block %d: %w", n, chains.ErrNotFound)
	case r.bad == "BlockHasher":
		return [32]byte{0xbb}, nil
	}
	return [32]byte{byte(n) + 1, 0xbb}, nil
}

func (r *reference) BlockAt(ctx context.Context, c chains.Chain, t time.Time) (uint64, error) {
	if c != chains.Ethereum {
		return 0, chains.ErrUnsupported
	}
	n, err := chains.FirstBlockAt(ctx, 0, refHead, t, func(ctx context.Context, n uint64) (time.Time, error) {
		return r.BlockTime(ctx, c, n)
	})
	switch {
	case err != nil:
		return 0, err
	case n > refHead:
		return 0, chains.ErrNotFound
	case r.bad == "BlockFinder" && n < refHead:
		return n + 1, nil
	}
	return n, nil
}

func (r *reference) TransfersBetween(ctx context.Context, q chains.PairQuery) ([]chains.Transfer, error) {
	if r.bad != "PairFinder" {
		return chains.BetweenFromHistory(ctx, r, q)
	}
	ts, err := r.Transfers(ctx, chains.Query{Chain: q.Chain, Address: q.From, Asset: q.Asset, From: q.FromBlock, To: q.ToBlock})
	return slices.DeleteFunc(ts, func(t chains.Transfer) bool { return t.To != q.To && t.From != q.To }), err
}

func (r *reference) Counterparties(ctx context.Context, q chains.Query, limit int) (int, error) {
	ts, err := r.Transfers(ctx, q)
	if err != nil {
		return 0, err
	}
	n := peers(ts, q.Address)
	if r.bad == "PeerCounter" {
		return n, nil
	}
	return min(n, limit+1), nil
}

func (r *reference) TransfersPage(ctx context.Context, q chains.Query, limit int) ([]chains.Transfer, uint64, error) {
	ts, err := r.Transfers(ctx, q)
	if err != nil || len(ts) <= limit || r.bad == "PagerWhole" {
		return ts, 0, err
	}
	if r.bad == "Pager" {
		return ts[:limit], ts[limit].Block, nil
	}
	end := ts[limit].Block - 1 // the page ends before the block of the first transfer left out
	if ts[limit].Block == ts[0].Block {
		end = ts[0].Block
	}
	cut := slices.IndexFunc(ts, func(t chains.Transfer) bool { return t.Block > end })
	if cut < 0 || end >= q.To {
		return ts, 0, nil
	}
	return ts[:cut], end + 1, nil
}

func (r *reference) Totals(ctx context.Context, q chains.Query) (n int, in, out chains.Amount, err error) {
	ts, err := r.Transfers(ctx, q)
	for _, t := range ts {
		switch {
		case t.From == t.To && r.bad != "Totaler":
		case t.To == q.Address:
			in = in.Add(t.Amount)
		default:
			out = out.Add(t.Amount)
		}
	}
	return len(ts), in, out, err
}

func (r *reference) FinalOnly() bool { return true }

func (r *reference) Requests() int64 {
	if r.bad == "Requester" {
		return 0
	}
	return r.requests.Load()
}
