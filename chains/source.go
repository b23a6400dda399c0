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
	// (no archive state, no call traces, a chain it does not serve).
	ErrUnsupported = errors.New("not supported by this source")
	// ErrOffline: the answer is not in the cache and fetching is forbidden.
	// An ErrOffline error also matches the error an upstream would have
	// given for the same miss where that is known (ErrNotFound for an
	// unknown transaction, asset or block; ErrUnsupported for code and
	// balances), so callers that fall back on those need no third case.
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
//
// Beyond these methods a source may offer optional capabilities, each an
// interface of its own with its own contract (capabilities.go): callers
// test for them with a type assertion and fall back on these methods when
// a source lacks one. The conformance suite in internal/sourcetest checks
// every implementation against this contract and those.
type Source interface {
	// Transfers returns every transfer of q.Asset in which q.Address is the
	// sender or the receiver with a block in [q.From, q.To] (both ends
	// included), in canonical order (Compare), each once, zero-value
	// transfers included. A range reaching past the newest block the source
	// has stops there; a range with From > To, or past that block, is
	// empty (not an error). It returns the whole range or an error, never
	// part of it: an upstream that fails or is cut off part way gives an
	// error, not the transfers read before the failure.
	Transfers(ctx context.Context, q Query) ([]Transfer, error)

	// TxTransfers returns every transfer, of every asset, that transaction tx
	// moved, in canonical order, zero-value transfers included. ErrNotFound
	// when the source does not know tx.
	TxTransfers(ctx context.Context, chain Chain, tx TxHash) ([]Transfer, error)

	// Asset returns the metadata of an asset. A chain's native coin is
	// always known (Chain.Native). ErrNotFound when the source does not
	// know the asset (no token at that address).
	Asset(ctx context.Context, id AssetID) (Asset, error)

	// IsContract reports whether addr holds code. ErrUnsupported when the
	// source cannot tell.
	IsContract(ctx context.Context, chain Chain, addr Address) (bool, error)

	// Balance returns addr's balance of asset at the end of block.
	// ErrUnsupported when the source has no such state (no archive node).
	Balance(ctx context.Context, chain Chain, addr Address, asset AssetID, block uint64) (Amount, error)

	// BlockTime returns the time of a block, in UTC. ErrNotFound when the
	// source does not know the block (past its head).
	BlockTime(ctx context.Context, chain Chain, block uint64) (time.Time, error)
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
