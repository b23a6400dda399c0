package attribute

import (
	"context"
	"encoding/json"
	"io"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// Report is what is known of one address, judged on its transfers of one
// asset: who it is attributed to and why, the evidence that it is an
// exchange deposit address, and the cluster it belongs to. A list of them,
// written by WriteJSON, is the output of `freezetrace cluster --json`.
// Label text in it is third-party text, passed through unchanged.
type Report struct {
	Chain       chains.Chain      `json:"chain"`
	Address     chains.Address    `json:"address"`
	Asset       chains.AssetID    `json:"asset"`
	Attribution ReportAttribution `json:"attribution"`
	Deposit     *ReportDeposit    `json:"deposit,omitempty"`
	Cluster     *ReportCluster    `json:"cluster,omitempty"`
}

// ReportAttribution is the address's attribution (trace.Attribution) with
// every label behind it, the derived ones included.
type ReportAttribution struct {
	Entity     string          `json:"entity,omitempty"`
	Category   chains.Category `json:"category,omitempty"`
	Sanctioned bool            `json:"sanctioned"`
	Reason     string          `json:"reason,omitempty"`
	Labels     []chains.Label  `json:"labels"` // never null
}

// ReportDeposit is the evidence that the address is a deposit address
// (Deposit): the exchange, its wallets, the amounts and the sweeps.
type ReportDeposit struct {
	Exchange   string            `json:"exchange"`
	HotWallets []chains.Address  `json:"hot_wallets"`
	Received   chains.Amount     `json:"received"`
	Forwarded  chains.Amount     `json:"forwarded"`
	Rule       string            `json:"rule"`
	Sweeps     []chains.Transfer `json:"sweeps"`
}

// ReportCluster is the cluster the address belongs to (Cluster), with the
// deposit addresses named by address.
type ReportCluster struct {
	trace.Cluster
	Deposits  []chains.Address  `json:"deposit_addresses"`
	Links     []chains.Transfer `json:"payments_into_deposits"`
	Busy      []chains.Address  `json:"busy_deposits,omitempty"`
	Truncated bool              `json:"truncated,omitempty"`
}

// Report judges addr on its transfers of asset over whole histories in
// [Options.From, Options.To], as the cluster command asks: its
// attribution, whether it is a deposit address, and its cluster.
func (a *Attributor) Report(ctx context.Context, addr chains.Address, asset chains.AssetID) (Report, error) {
	at, err := a.Attribute(ctx, addr, asset, a.opts.From)
	if err != nil {
		return Report{}, err
	}
	r := Report{
		Chain: asset.Chain, Address: addr, Asset: asset,
		Attribution: ReportAttribution{Entity: at.Entity, Category: at.Category, Sanctioned: at.Sanctioned, Reason: at.Reason, Labels: at.Labels},
	}
	if r.Attribution.Labels == nil {
		r.Attribution.Labels = []chains.Label{}
	}
	d, err := a.Deposit(ctx, addr, asset)
	if err != nil {
		return Report{}, err
	}
	if d != nil {
		r.Deposit = &ReportDeposit{Exchange: d.Exchange, HotWallets: d.HotWallets, Received: d.Received, Forwarded: d.Forwarded, Rule: d.Rule, Sweeps: d.Sweeps}
	}
	c, err := a.Cluster(ctx, addr, asset)
	if err != nil {
		return Report{}, err
	}
	if c != nil {
		rc := &ReportCluster{Cluster: c.Cluster, Links: c.Links, Busy: c.Busy, Truncated: c.Truncated}
		for _, d := range c.Deposits {
			rc.Deposits = append(rc.Deposits, d.Address)
		}
		r.Cluster = rc
	}
	return r, nil
}

// Derived returns the labels of the report that a heuristic derived
// (deposit addresses, labels propagated within a cluster), in order.
func (r Report) Derived() []chains.Label {
	var out []chains.Label
	for _, l := range r.Attribution.Labels {
		if l.Heuristic != "" {
			out = append(out, l)
		}
	}
	return out
}

// WriteJSON writes reports as one JSON array, indented by two spaces and
// ended by a newline, with the invisible and bidirectional characters of
// labels escaped (untrusted.JSON); no reports is an empty array.
func WriteJSON(w io.Writer, reports []Report) error {
	if reports == nil {
		reports = []Report{}
	}
	enc := json.NewEncoder(untrusted.JSONWriter(w))
	enc.SetIndent("", "  ")
	return enc.Encode(reports)
}
