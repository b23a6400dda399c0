package chains

import "context"

// Flow sums the transfers of one asset from one address to another over a
// block range: what screening walks instead of single transfers.
type Flow struct {
	Peer   Address // the other side: the sender of an inflow, the receiver of an outflow
	Asset  AssetID
	Amount Amount // the sum, in base units
	Count  int    // how many transfers
	// Tx and Block are the first of those transfers in canonical order:
	// the transaction a path through this flow cites.
	Tx    TxHash
	Block uint64
}

// Flows are one address's flows over a window, both sides.
type Flows struct {
	// In are the flows into the address (Peer is the sender), Out the
	// flows out of it (Peer is the receiver), each sorted by Peer
	// (Address.Compare), then asset contract. Zero-value transfers are
	// left out (address poisoning).
	In, Out []Flow
	// Transfers counts the address's transfers in the window, both sides,
	// zero-value transfers included.
	Transfers int
	// Busy: the address has more distinct counterparties in the window
	// than FlowQuery.MaxPeers. In and Out are then not read (nil), and
	// Peers is MaxPeers+1.
	Busy  bool
	Peers int // distinct counterparties, both sides
	// First and Last are the blocks of the address's first and last
	// transfer in the window; both 0 when it has none.
	First, Last uint64
}

// FlowQuery bounds a flow read: the chain, the assets (one or more of the
// chain's), the inclusive block range, and MaxPeers, the counterparty
// count above which an address is Busy (0 or less: no limit).
type FlowQuery struct {
	Chain    Chain
	Assets   []AssetID
	From, To uint64
	MaxPeers int
}

// FlowReader reads the flows of many addresses at once.
type FlowReader interface {
	// Flows returns the flows of each of addrs in the window of q, from
	// the transfers it holds, whether or not the range is covered. Every
	// address of addrs is a key of the result; one with no transfers has
	// empty Flows. The cost follows the transfers of addrs in the window,
	// and of a busy address, MaxPeers counterparties: never the whole
	// store.
	Flows(ctx context.Context, q FlowQuery, addrs []Address) (map[Address]*Flows, error)
}

// BatchLabeler answers who many addresses are at once.
type BatchLabeler interface {
	// LabelsOf returns the labels of each of addrs on chain, each
	// address's most confident first, ties by source, as Labeler.Labels
	// orders them. Addresses with no label are not keys of the result.
	LabelsOf(ctx context.Context, chain Chain, addrs []Address) (map[Address][]Label, error)
}
