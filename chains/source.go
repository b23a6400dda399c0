package chains

import (
	"context"
	"errors"
	"math"
	"time"
)

// Errors shared by every Source and Labeler. Check them with errors.Is.
var (
	// ErrNotFound: the source does not know the transaction, asset or block.
	ErrNotFound = errors.New("not found")
	// ErrUnsupported: the source cannot answer this kind of question
	// (no archive state, no call traces).
	ErrUnsupported = errors.New("not supported by this source")
	// ErrOffline: the answer is not in the cache and fetching is forbidden.
	ErrOffline = errors.New("not in the cache and fetching is off")
)

// Latest as Query.To means "up to the newest block the source has".
const Latest uint64 = math.MaxUint64

// Query asks for the transfers of one asset in which Address is sender or
// receiver, in the inclusive block range [From, To].
type Query struct {
	Chain   Chain
	Address Address
	Asset   AssetID
	From    uint64
	To      uint64 // Latest for no upper bound
}

// Source is where transfers come from: a node, an explorer API, imported
// files, or the store in front of any of them. Implementations must be safe
// for concurrent use.
type Source interface {
	// Transfers returns every transfer of q.Asset in which q.Address is the
	// sender or the receiver with a block in [q.From, q.To], in canonical
	// order (Compare), zero-value transfers included. It returns the whole
	// range or an error, never part of it.
	Transfers(ctx context.Context, q Query) ([]Transfer, error)

	// TxTransfers returns every transfer, of every asset, that transaction tx
	// moved, in canonical order. ErrNotFound when the source does not know tx.
	TxTransfers(ctx context.Context, chain Chain, tx TxHash) ([]Transfer, error)

	// Asset returns the metadata of an asset. ErrNotFound when unknown.
	Asset(ctx context.Context, id AssetID) (Asset, error)

	// IsContract reports whether addr holds code. ErrUnsupported when the
	// source cannot tell.
	IsContract(ctx context.Context, chain Chain, addr Address) (bool, error)

	// Balance returns addr's balance of asset at the end of block.
	// ErrUnsupported when the source has no such state (no archive node).
	Balance(ctx context.Context, chain Chain, addr Address, asset AssetID, block uint64) (Amount, error)

	// BlockTime returns the time of a block. ErrNotFound when unknown.
	BlockTime(ctx context.Context, chain Chain, block uint64) (time.Time, error)
}

// BlockFinder is implemented by sources that can find the first block at or
// after a time (used to turn a time window into a block range).
type BlockFinder interface {
	BlockAt(ctx context.Context, chain Chain, t time.Time) (uint64, error)
}

// InputError marks an error caused by what the user gave (a malformed file,
// a bad flag value, an unknown transaction) rather than by a failure of the
// program or its upstreams. The CLI exits with code 2 for it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Invalid wraps err as an InputError; nil stays nil.
func Invalid(err error) error {
	if err == nil {
		return nil
	}
	return &InputError{Err: err}
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

// PairFinder is implemented by sources that can find the transfers from
// one address to another without reading either address's whole history
// (eth_getLogs with both topics set). TransfersBetween returns them in
// canonical order, the whole range or an error; ErrUnsupported when the
// asset has no such filter (native coins over plain JSON-RPC).
type PairFinder interface {
	TransfersBetween(ctx context.Context, q PairQuery) ([]Transfer, error)
}

// Requester is implemented by sources that talk to an upstream: the number
// of requests they have sent so far, for the summary and benchmarks.
type Requester interface {
	Requests() int64
}

// PeerCounter is implemented by sources that can count an address's
// distinct counterparties without reading its transfers whole (a listing
// paged until the count is reached, an indexed query). Counterparties
// returns how many distinct addresses q.Address sent q.Asset to or received
// it from in [q.From, q.To] (itself included for a self-transfer,
// zero-value transfers included), counting no further than limit+1.
// ErrUnsupported when it cannot count cheaply; callers then read the
// transfers.
type PeerCounter interface {
	Counterparties(ctx context.Context, q Query, limit int) (int, error)
}

// Pager is implemented by sources that can hand out a long ledger a page
// at a time, so that a reader never holds it whole. TransfersPage returns
// the transfers of q with a block in [q.From, end], in canonical order, end
// chosen so that the page holds whole blocks and at most limit transfers
// (one block alone may hold more); next is end+1, or 0 when the page
// reaches q.To. A page may be empty while next is not 0.
type Pager interface {
	TransfersPage(ctx context.Context, q Query, limit int) (ts []Transfer, next uint64, err error)
}

// Totaler is implemented by sources that can total an address's
// transfers of an asset without handing them out. Totals returns, over
// [q.From, q.To], how many transfers q.Address took part in (self-transfers
// and zero-value ones included), what it received from others and what it
// sent to others.
type Totaler interface {
	Totals(ctx context.Context, q Query) (n int, in, out Amount, err error)
}

// FinalOnly is implemented by sources that answer only from irreversible
// blocks (TRON's solidified blocks): a cache in front of one need not keep
// block hashes to notice reorganisations, and asks for none.
type FinalOnly interface {
	FinalOnly() bool
}
