package trace

import (
	"time"

	"freezetrace/chains"
)

// Schema is the version of the trace.json layout. It changes whenever a
// field changes meaning or disappears.
const Schema = "freezetrace.trace/v1"

// Rule is an allocation rule: how an outflow from a balance that mixes
// tainted and clean funds is split between them.
type Rule string

// The allocation rules (see the design's "Tracing" table).
const (
	FIFO    Rule = "fifo"
	LIFO    Rule = "lifo"
	Haircut Rule = "haircut"
	Poison  Rule = "poison"
	LIBR    Rule = "libr"
)

// Rules lists every rule in a fixed order.
var Rules = []Rule{FIFO, LIFO, Haircut, Poison, LIBR}

// Kind is why the walk stopped at an endpoint.
type Kind string

// The endpoint kinds.
const (
	KindExchange     Kind = "exchange"      // a labeled exchange or custodial service (or its deposit address)
	KindHeld         Kind = "held"          // taint left unspent at an address
	KindMixer        Kind = "mixer"         // a labeled mixer
	KindBridge       Kind = "bridge"        // a labeled bridge
	KindSanctioned   Kind = "sanctioned"    // an address on a sanctions list
	KindContract     Kind = "contract"      // an unlabeled contract
	KindHopLimit     Kind = "hop_limit"     // --max-hops reached
	KindDust         Kind = "dust"          // below --min-amount
	KindHorizon      Kind = "horizon"       // moved after --until
	KindHighActivity Kind = "high_activity" // too many counterparties to be a personal wallet
	KindUnknown      Kind = "unknown_funds" // shortfall: an outflow larger than the known balance
	// KindInstantExchanger: a labeled instant exchanger (FixedFloat,
	// ChangeNOW, SideShift, eXch): a custodial swap service that can freeze
	// what it has not paid out yet.
	KindInstantExchanger Kind = "instant_exchanger"
)

// Result is a whole trace: what went in, every traced transfer, where the
// taint ended, and the audit ledger. It is written as trace.json; every
// amount is a base-unit integer string and the order of every list is
// canonical, so the same data and parameters give byte-identical files.
type Result struct {
	Schema     string              `json:"schema"`
	Rule       Rule                `json:"rule"`
	Params     Params              `json:"params"`
	Provenance []chains.Provenance `json:"provenance"`
	Assets     []chains.Asset      `json:"assets"`
	Origins    []Origin            `json:"sources"`
	Endpoints  []Endpoint          `json:"endpoints"`
	Flows      []Flow              `json:"flows"`
	Clusters   []Cluster           `json:"clusters"`
	Ledger     []Step              `json:"ledger"`
	// Conversions are the swaps and wraps taint went through, in canonical
	// order: each one's legs, its evidence and what of the taint converted.
	// Absent when the trace met none.
	Conversions []Conversion `json:"conversions,omitempty"`
	// Holdings say where the funds at every freeze target stand (balance,
	// issuer freeze status) at a live head or at the end of the data; set
	// by the trace command and refreshed by report --refresh, not by Run.
	Holdings []Holding `json:"holdings,omitempty"`
	// Warnings are what the trace could not do or know, which every reader
	// of the result must see (the summary, the letters): missing block
	// times, deposit detection that could not run. Sorted by code, then
	// message; absent when there are none.
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning codes.
const (
	// WarnNoBlockTimes: transfers without block times were read, so times
	// print as unknown and time windows could not be evaluated.
	WarnNoBlockTimes = "no_block_times"
	// WarnNoDepositDetection: exchange deposit-address detection could not
	// run for some addresses (no block times for the sweep window).
	WarnNoDepositDetection = "deposit_detection_not_run"
	// WarnHotWallet: taint reached a labeled exchange wallet directly
	// without a detected deposit address, so the customer account is not
	// identified by the trace.
	WarnHotWallet = "hot_wallet_reached"
)

// Warning is one thing the trace could not do or know. Addresses are the
// addresses it concerns, sorted.
type Warning struct {
	Code      string           `json:"code"`
	Message   string           `json:"message"`
	Addresses []chains.Address `json:"addresses,omitempty"`
}

// Params are the stop rules and limits the trace ran with.
type Params struct {
	MaxHops   int           `json:"max_hops"`
	MinAmount chains.Amount `json:"min_amount"` // base units; 0 disables the dust floor
	Until     *time.Time    `json:"until,omitempty"`
	MaxDegree int           `json:"max_degree"`
}

// Origin is one victim payment: the taint's origin. ID ("S1", "S2", …)
// names it in every by-source list.
type Origin struct {
	ID       string         `json:"id"`
	Victim   string         `json:"victim,omitempty"` // how the case named the victim, if it did
	Chain    chains.Chain   `json:"chain"`
	Tx       chains.TxHash  `json:"tx"`
	Position uint32         `json:"position"`
	Block    uint64         `json:"block"`
	Time     time.Time      `json:"time,omitzero"` // absent when the block time is unknown
	From     chains.Address `json:"from"`
	To       chains.Address `json:"to"`
	Asset    chains.AssetID `json:"asset"`
	Amount   chains.Amount  `json:"amount"`
}

// Share is an amount attributed to one source.
type Share struct {
	Source string        `json:"source"`
	Amount chains.Amount `json:"amount"`
}

// Endpoint is a place where taint stopped, with the reason.
type Endpoint struct {
	Chain    chains.Chain    `json:"chain"`
	Address  chains.Address  `json:"address"`
	Kind     Kind            `json:"kind"`
	Entity   string          `json:"entity,omitempty"`
	Category chains.Category `json:"category,omitempty"`
	Reason   string          `json:"reason"` // one plain sentence
	Labels   []chains.Label  `json:"labels,omitempty"`
	Asset    chains.AssetID  `json:"asset"`
	Amount   chains.Amount   `json:"amount"`
	Hops     int             `json:"hops"`
	BySource []Share         `json:"by_source"`
	// Txs are the transfers that carried taint into the endpoint, in
	// canonical order.
	Txs []chains.TxHash `json:"txs"`
	// SweepTxs prove a deposit address: its sweeps into the exchange's wallet.
	SweepTxs []chains.TxHash `json:"sweep_txs,omitempty"`
	// Value is what Amount stands for in the victims' asset (the asset of
	// the sources), at the rates of the conversions that made it: set only
	// when Asset is another asset.
	Value chains.Amount `json:"value,omitzero"`
	// DestChain and Recipient are where a bridge deposit went on the other
	// side, as the bridge's deposit event names them; empty when it does not.
	DestChain string `json:"dest_chain,omitempty"`
	Recipient string `json:"recipient,omitempty"`
}

// Flow is one traced transfer and the taint it carried.
type Flow struct {
	Chain    chains.Chain   `json:"chain"`
	Tx       chains.TxHash  `json:"tx"`
	Position uint32         `json:"position"`
	Block    uint64         `json:"block"`
	Time     time.Time      `json:"time,omitzero"` // absent when the block time is unknown
	From     chains.Address `json:"from"`
	To       chains.Address `json:"to"`
	Asset    chains.AssetID `json:"asset"`
	Amount   chains.Amount  `json:"amount"`
	Tainted  chains.Amount  `json:"tainted"`
	Hop      int            `json:"hop"`
	BySource []Share        `json:"by_source"`
	// Conversion is set on the legs of a swap or wrap: the index (1-based)
	// in Result.Conversions. The taint a sent leg carries converts at its
	// sender; a received leg carries the converted taint.
	Conversion int `json:"conversion,omitempty"`
}

// Conversion is one swap or wrap by one address in one transaction: the
// address's net legs (what it sent of one asset, what it received of
// others) and the taint that converted, by the one rule: for each source,
// tainted received = floor(received × tainted sent / sent), in base units.
type Conversion struct {
	Chain   chains.Chain   `json:"chain"`
	Tx      chains.TxHash  `json:"tx"`
	Block   uint64         `json:"block"`
	Time    time.Time      `json:"time,omitzero"`
	Address chains.Address `json:"address"`
	Hop     int            `json:"hop"`
	// Events are the venue events that show the conversion (the evidence).
	Events   []Evidence `json:"events"`
	Sent     Leg        `json:"sent"`
	Received []Leg      `json:"received"`
}

// Evidence is one venue event of a conversion's transaction.
type Evidence struct {
	Kind     chains.EventKind `json:"kind"`
	Contract chains.Address   `json:"contract"`
	Position uint32           `json:"position"`
}

// Leg is an address's net amount of one asset in a conversion's
// transaction and the taint of it, by source.
type Leg struct {
	Asset    chains.AssetID `json:"asset"`
	Amount   chains.Amount  `json:"amount"`
	Tainted  chains.Amount  `json:"tainted"`
	BySource []Share        `json:"by_source"`
}

// Cluster is a set of addresses held to belong to one actor, with the
// evidence that joined them.
type Cluster struct {
	ID        string           `json:"id"`
	Chain     chains.Chain     `json:"chain"`
	Entity    string           `json:"entity,omitempty"`
	Heuristic string           `json:"heuristic"`
	Members   []chains.Address `json:"members"`
	Evidence  []chains.TxHash  `json:"evidence"`
}

// Step is one line of the audit ledger: one event at one tainted address
// and what the rule did with it. Every number can be re-checked by hand from
// the previous step at the same address.
type Step struct {
	Seq      int            `json:"seq"`
	Chain    chains.Chain   `json:"chain"`
	Address  chains.Address `json:"address"`
	Asset    chains.AssetID `json:"asset"`
	Tx       chains.TxHash  `json:"tx"`
	Position uint32         `json:"position"`
	Block    uint64         `json:"block"`
	Time     time.Time      `json:"time,omitzero"` // absent when the block time is unknown
	// Event is "open" (opening balance), "in", "out", "shortfall"
	// (unknown clean funds assumed to cover an outflow), or "convert" (the
	// taint a swap or wrap converted into this asset at this address: the
	// "in" steps of its received legs follow and book it).
	Event        string         `json:"event"`
	Counterparty chains.Address `json:"counterparty"`
	Amount       chains.Amount  `json:"amount"`
	// Tainted is the taint this event moved (in or out), by source.
	Tainted  chains.Amount `json:"tainted"`
	BySource []Share       `json:"by_source"`
	// Balance and Taint are the address's totals after the event.
	Balance chains.Amount `json:"balance"`
	Taint   chains.Amount `json:"taint"`
	// Detail says how the rule chose: lots consumed, the proportion applied.
	Detail string `json:"detail"`
	// Conversion is set on the steps of a conversion's legs and on its
	// "convert" step: the index (1-based) in Result.Conversions.
	Conversion int `json:"conversion,omitempty"`
}
