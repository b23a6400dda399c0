package chains

import (
	"context"
	"time"
)

// The optional capabilities of a Source. A caller tests for one with a
// type assertion and, when the source lacks it (or answers ErrUnsupported
// where its contract allows), falls back on the Source methods. Each
// contract below says what the capability returns, in which order, and
// what it returns when it does not know; internal/sourcetest checks every
// implementation against them. Like Source, implementations must be safe
// for concurrent use.

// HeadReader is implemented by sources that know the newest block of a
// chain. Head returns the number of the newest block the source answers
// for: Transfers up to Latest stops there and returns what Transfers up to
// that number returns, BlockTime knows every block up to it, and no
// answer names a newer block. A source may keep its first answer for its
// lifetime (one run then sees one chain). ErrUnsupported for a chain the
// source does not serve.
//
// The caching store needs it to apply a confirmation depth and to cache
// queries whose upper bound is Latest; without it a query up to Latest is
// passed through uncached.
type HeadReader interface {
	Head(ctx context.Context, chain Chain) (uint64, error)
}

// BlockHasher is implemented by sources that can give a block's hash.
// BlockHash returns the hash of block number on chain as the source sees
// it now: never zero, the same for the same block until the chain
// reorganises, different for different blocks. ErrNotFound when the source
// has no such block (past its head); ErrUnsupported for a chain it does
// not serve.
//
// The caching store keeps the hash of every block it caches transfers
// from, so that a block later seen with another hash (a reorg) invalidates
// what was cached from it.
type BlockHasher interface {
	BlockHash(ctx context.Context, chain Chain, number uint64) ([32]byte, error)
}

// BlockFinder is implemented by sources that can find a block by time
// (used to turn a time window into a block range). BlockAt returns the
// first block whose time is at or after t: its time is at or after t and
// every earlier block's is before t. It never decreases as t grows. A
// source that knows only some blocks (a cache) answers the first block it
// knows at or after t, which may lie after the chain's answer when the
// blocks it knows around t are not contiguous. ErrNotFound when no block
// the source knows is that new (t after its head); a cache that may not
// fetch answers ErrOffline (matching ErrNotFound too) instead.
// ErrUnsupported for a chain the source does not serve.
type BlockFinder interface {
	BlockAt(ctx context.Context, chain Chain, t time.Time) (uint64, error)
}

// FirstBlockAt returns the first block in [lo, hi] whose time is at or after
// t, by binary search over blockTime (about log2(hi−lo) calls), or hi+1 when
// every block of the range is older. Block times must not decrease with the
// block number. It is the search behind BlockFinder implementations.
func FirstBlockAt(ctx context.Context, lo, hi uint64, t time.Time, blockTime func(context.Context, uint64) (time.Time, error)) (uint64, error) {
	if hi == Latest {
		hi-- // keep hi+1 representable
	}
	end := hi + 1 // the answer is in [lo, end]; end means none
	for lo < end {
		mid := lo + (end-lo)/2
		bt, err := blockTime(ctx, mid)
		if err != nil {
			return 0, err
		}
		if bt.Before(t) {
			lo = mid + 1
		} else {
			end = mid
		}
	}
	return lo, nil
}

// PairQuery asks for the transfers of one asset from one address to
// another in the inclusive block range [FromBlock, ToBlock].
type PairQuery struct {
	Chain     Chain
	Asset     AssetID
	From, To  Address
	FromBlock uint64
	ToBlock   uint64 // Latest for no upper bound
}

// PairFinder is implemented by sources that can find the transfers from
// one address to another without reading either address's whole history
// (eth_getLogs with both topics set). TransfersBetween returns exactly
// those of the transfers Transfers returns for q.From over the same range
// that q.From sent to q.To, in canonical order, zero-value transfers
// included, the whole range or an error. ErrUnsupported when the asset has no such
// filter (native coins over plain JSON-RPC): callers then use
// BetweenFromHistory.
type PairFinder interface {
	TransfersBetween(ctx context.Context, q PairQuery) ([]Transfer, error)
}

// BetweenFromHistory answers a pair query from the sender's history, for
// sources that have no filter of their own: the sender's transfers in the
// range, those to q.To kept.
func BetweenFromHistory(ctx context.Context, src Source, q PairQuery) ([]Transfer, error) {
	ts, err := src.Transfers(ctx, Query{Chain: q.Chain, Address: q.From, Asset: q.Asset, From: q.FromBlock, To: q.ToBlock})
	if err != nil {
		return nil, err
	}
	out := ts[:0:0]
	for _, t := range ts {
		if t.From == q.From && t.To == q.To {
			out = append(out, t)
		}
	}
	return out, nil
}

// PeerCounter is implemented by sources that can count an address's
// distinct counterparties without reading its transfers whole (a listing
// paged until the count is reached, an indexed query). Counterparties
// returns how many distinct addresses q.Address sent q.Asset to or received
// it from in [q.From, q.To] (itself included for a self-transfer,
// zero-value transfers included), counting no further than limit+1: the
// count when it is at most limit, else limit+1. It agrees with the
// transfers Transfers returns for q. ErrUnsupported when it cannot count
// cheaply (an asset its listing does not cover, a range it has not
// cached); callers then read the transfers.
type PeerCounter interface {
	Counterparties(ctx context.Context, q Query, limit int) (int, error)
}

// Pager is implemented by sources that can hand out a long ledger a page
// at a time, so that a reader never holds it whole. TransfersPage returns
// the transfers of q with a block in [q.From, end], in canonical order, end
// chosen so that the page holds whole blocks and at most limit transfers
// (one block alone may hold more); next is end+1, or 0 when the page
// reaches q.To (or the source's head). A page may be empty while next is
// not 0. Reading pages from q.From, each from the previous next, until
// next is 0 gives exactly what Transfers gives for q, or an error.
type Pager interface {
	TransfersPage(ctx context.Context, q Query, limit int) (ts []Transfer, next uint64, err error)
}

// Totaler is implemented by sources that can total an address's
// transfers of an asset without handing them out. Totals returns, over
// [q.From, q.To], how many transfers q.Address took part in (self-transfers
// and zero-value ones included), what it received from others and what it
// sent to others (a self-transfer in neither): the figures the transfers
// Transfers returns for q add up to. ErrUnsupported when it cannot total
// the range without reading it (a cache asked up to Latest in front of an
// upstream that cannot tell its head); callers then read the transfers.
type Totaler interface {
	Totals(ctx context.Context, q Query) (n int, in, out Amount, err error)
}

// FinalOnly is implemented by sources that answer only from irreversible
// blocks (TRON's solidified blocks): a cache in front of one need not keep
// block hashes to notice reorganisations, and asks for none. FinalOnly
// gives the same answer for the source's whole lifetime.
type FinalOnly interface {
	FinalOnly() bool
}

// Requester is implemented by sources that talk to an upstream: Requests
// returns the number of requests they have sent so far, retries included,
// for the summary and benchmarks. It starts at 0, never decreases, and may
// be called at any time, concurrently with every other method.
type Requester interface {
	Requests() int64
}
