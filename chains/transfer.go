package chains

import (
	"cmp"
	"time"
)

// Transfer is one movement of an asset from one address to another.
//
// Position says where in its transaction the transfer sits: the log index
// for token transfers (block-wide on EVM chains, so it orders the block on
// its own), the call-trace position for native transfers (0 is the
// transaction's own value, internal calls follow in depth-first order), the
// index of the transfer within the transaction on TRON. TxIndex is the
// transaction's index in its block where positions are per transaction
// (EVM native transfers, every TRON transfer) and 0 for EVM log-derived
// ones, whose block-wide log index already orders the block (and
// ethereum-etl exports carry no transaction index for them).
// (Chain, Tx, Asset, Position) identifies a transfer.
type Transfer struct {
	Chain    Chain     `json:"chain"`
	Tx       TxHash    `json:"tx"`
	Position uint32    `json:"position"`
	TxIndex  uint32    `json:"-"`
	Block    uint64    `json:"block"`
	Time     time.Time `json:"time"` // block time, UTC
	From     Address   `json:"from"`
	To       Address   `json:"to"`
	Asset    AssetID   `json:"-"`
	Amount   Amount    `json:"amount"`
}

// TransferKey identifies a transfer.
type TransferKey struct {
	Chain    Chain
	Tx       TxHash
	Asset    AssetID
	Position uint32
}

// Key returns the identity of t.
func (t Transfer) Key() TransferKey {
	return TransferKey{Chain: t.Chain, Tx: t.Tx, Asset: t.Asset, Position: t.Position}
}

// Compare is the canonical order of events: block, then block time (for
// sources that give no block number), then transaction index, then position,
// then transaction hash. All output follows it.
func Compare(a, b Transfer) int {
	if c := cmp.Compare(a.Block, b.Block); c != 0 {
		return c
	}
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.TxIndex, b.TxIndex); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Position, b.Position); c != 0 {
		return c
	}
	if c := a.Tx.Compare(b.Tx); c != 0 {
		return c
	}
	return a.Asset.Compare(b.Asset)
}
