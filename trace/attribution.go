package trace

import (
	"context"

	"freezetrace/chains"
)

// Attribution is what is known about an address: who it belongs to and why
// we think so. The engine turns it into a stop rule.
type Attribution struct {
	// Labels are every label known for the address, most confident first.
	Labels []chains.Label
	// Entity and Category are the attribution the stop rule uses; Category
	// is "" for an unlabeled address.
	Entity   string
	Category chains.Category
	// Reason says in one sentence how the address was attributed.
	Reason string
	// SweepTxs prove a deposit address: its sweeps into its exchange's wallet.
	SweepTxs []chains.TxHash
	// Sanctioned is set when any label puts the address on a sanctions list,
	// whatever its main category.
	Sanctioned bool
	// Cluster is the cluster the address belongs to, when one is known.
	Cluster *Cluster
	// Undetermined, when set, says why behaviour-based attribution (exchange
	// deposit-address detection) could not run for the address, e.g. block
	// times missing for the sweep window. The trace reports it as a warning.
	Undetermined string
}

// Attributor says who an address belongs to. Implementations must be safe
// for concurrent use and deterministic for the same data. asset is the asset
// being traced: behaviour such as deposit sweeps is judged per asset. from
// is the block at which the trace's taint first arrives at addr: behaviour
// is judged on transfers from that block on (within the attributor's
// window), never on the address's whole history.
type Attributor interface {
	Attribute(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) (Attribution, error)
}
