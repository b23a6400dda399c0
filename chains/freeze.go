package chains

import (
	"context"
	"time"
)

// Freeze is what an issuer's contract says of one address: whether the
// issuer has frozen (blacklisted) it, and, when the chain's events tell,
// the transaction that did it.
type Freeze struct {
	Frozen bool   `json:"frozen"`
	Issuer string `json:"issuer"` // "Tether", "Circle"
	// Block is the block the status was read at.
	Block uint64 `json:"block"`
	// Tx, TxBlock and TxTime name the freezing transaction; zero when the
	// address is not frozen or the source could not find it (no archive
	// state, no event index), in which case Note says why.
	Tx      TxHash    `json:"tx,omitzero"`
	TxBlock uint64    `json:"tx_block,omitempty"`
	TxTime  time.Time `json:"tx_time,omitzero"`
	// Destroyed is set when the issuer also destroyed the frozen balance
	// (Tether's DestroyedBlackFunds), with the amount destroyed.
	Destroyed *Amount `json:"destroyed,omitempty"`
	Note      string  `json:"note,omitempty"`
}

// FreezeChecker is implemented by sources that can read an issuer's
// freeze status on chain. FreezeStatus says whether the issuer of asset had
// frozen addr at the end of block, and looks for the freezing transaction
// no earlier than since (a block before the freeze, e.g. the first tainted
// inflow; 0 to search from the asset's first block). It returns
// ErrUnsupported when asset has no known freeze function (SchemeOf) or
// the source cannot call contracts, and ErrOffline from a cache that holds
// no answer and may not fetch. A source that can read only the newest state
// (TronGrid's constant calls) answers for its newest block and says which
// in Freeze.Block. Not finding the freezing transaction is not an error:
// the Freeze is returned with Frozen set and Note saying why.
type FreezeChecker interface {
	FreezeStatus(ctx context.Context, asset AssetID, addr Address, block, since uint64) (Freeze, error)
}

// A FreezeScheme names an issuer's freeze function and events, as its
// contract declares them, so that every source reads them the same way.
type FreezeScheme struct {
	Issuer string
	// Getter is the view function's signature, true for a frozen address.
	Getter string
	// Added and Removed are the events that freeze and unfreeze; Indexed
	// says whether the address is their first indexed topic (Circle) or
	// the first word of their data (Tether).
	Added, Removed string
	Indexed        bool
	// Destroyed is the event that destroys a frozen balance, if any.
	Destroyed string
}

// The freeze schemes of the two issuers the tool knows. Tether's TRC-20
// USDT on TRON declares the same functions and events as its Ethereum
// contract (isBlackListed is its public mapping's getter; getBlackListStatus
// answers the same).
var (
	TetherScheme = FreezeScheme{
		Issuer: "Tether", Getter: "isBlackListed(address)",
		Added: "AddedBlackList(address)", Removed: "RemovedBlackList(address)",
		Destroyed: "DestroyedBlackFunds(address,uint256)",
	}
	CircleScheme = FreezeScheme{
		Issuer: "Circle", Getter: "isBlacklisted(address)",
		Added: "Blacklisted(address)", Removed: "UnBlacklisted(address)", Indexed: true,
	}
)

// SchemeOf returns the freeze scheme of a known stablecoin, false for an
// asset whose issuer cannot freeze (or is not known to).
func SchemeOf(id AssetID) (FreezeScheme, bool) {
	switch id {
	case USDTEthereum, USDTTron:
		return TetherScheme, true
	case USDCEthereum, USDCTron:
		return CircleScheme, true
	}
	return FreezeScheme{}, false
}
