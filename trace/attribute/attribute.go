package attribute

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"freezetrace/chains"
	"freezetrace/trace"
)

// The heuristics that derive labels.
const (
	HeuristicDeposit = "deposit-sweep" // a deposit address, from its sweeps into an exchange wallet
	HeuristicCluster = "cluster"       // a label propagated from another member of a cluster
	HeuristicReuse   = "deposit-reuse" // the cluster rule: senders into one deposit address are one holder
)

// Options are the thresholds of the heuristics. A zero field takes its
// default.
type Options struct {
	// MinForwardedPct is the share (percent, 1–100) of what an address
	// received that it must forward to one exchange within the window to be
	// held that exchange's deposit address. Default 90.
	MinForwardedPct int
	// Window is how soon after funds arrive a sweep must follow to count.
	// Default 24h. Ignored when WindowBlocks is set.
	Window time.Duration
	// WindowBlocks, when set, measures the window in blocks instead of time.
	WindowBlocks uint64
	// MinSweeps is the least number of sweeps into the exchange. Default 1.
	MinSweeps int
	// DepositConfidence is the confidence (0–100) of a detected deposit
	// address, capped by the confidence of the exchange wallet's label.
	// Default 80.
	DepositConfidence int
	// ClusterConfidence caps the confidence of labels propagated within a
	// cluster. Default 60.
	ClusterConfidence int
	// MaxSenders: a deposit address paid by more distinct addresses than
	// this is still a deposit address, but its senders are not merged into
	// one cluster (it behaves like a shared or hot wallet). Default 100.
	MaxSenders int
	// MaxPeers: an address with more distinct counterparties than this
	// in the window is not judged a deposit address. A deposit address
	// serves one customer; an address that busy is a service's wallet (the
	// trace reports it as high activity). Default 1,000.
	MaxPeers int
	// MaxRecipients is how many distinct recipients of one address are
	// checked for being deposit addresses when looking for its cluster, in
	// the order it first paid them. Default 25.
	MaxRecipients int
	// MaxClusterSize stops growing a cluster at this many members; the
	// cluster's Heuristic then says it was truncated. Default 500.
	MaxClusterSize int
	// From and To bound the blocks whose transfers are considered
	// (To 0 means chains.Latest).
	From, To uint64
	// Span, when set, bounds every read behind a verdict to the blocks
	// [from, from+Span], from being the block at which the question arises
	// (the trace's arrival at the address): a trace then never reads an
	// address's whole history. Inflows are judged in the first half of the
	// span, so each has a whole window for its sweeps. SweepSpan gives the
	// span that fits the window. 0 reads [from, To].
	Span uint64
	// ReadSpan, when larger than Span, is how far the source is asked
	// for ([from, from+ReadSpan]) while verdicts still rest on Span alone:
	// set it to the first window the trace reads ledgers in
	// (trace.Options.ProbeWindow), so that one fetch serves both.
	ReadSpan uint64
}

// SweepSpan is the Span that covers two deposit windows on chain: the
// window in blocks (WindowBlocks, or Window turned into blocks at the
// chain's shortest block interval), doubled.
func (o Options) SweepSpan(chain chains.Chain) uint64 {
	o = o.withDefaults()
	w := o.WindowBlocks
	if w == 0 {
		w = chain.BlocksIn(o.Window)
	}
	return 2 * w
}

func (o Options) withDefaults() Options {
	if o.MinForwardedPct <= 0 {
		o.MinForwardedPct = 90
	}
	o.MinForwardedPct = min(o.MinForwardedPct, 100)
	if o.Window <= 0 {
		o.Window = 24 * time.Hour
	}
	if o.MinSweeps <= 0 {
		o.MinSweeps = 1
	}
	if o.DepositConfidence <= 0 {
		o.DepositConfidence = 80
	}
	if o.ClusterConfidence <= 0 {
		o.ClusterConfidence = 60
	}
	if o.MaxSenders <= 0 {
		o.MaxSenders = 100
	}
	if o.MaxPeers <= 0 {
		o.MaxPeers = 1000
	}
	if o.MaxRecipients <= 0 {
		o.MaxRecipients = 25
	}
	if o.MaxClusterSize <= 0 {
		o.MaxClusterSize = 500
	}
	if o.To == 0 {
		o.To = chains.Latest
	}
	return o
}

// Attributor implements trace.Attributor over labels and cached transfers.
// It is safe for concurrent use; it remembers what it has looked up, so use
// one Attributor per trace (or per command) over data that does not change
// meanwhile.
type Attributor struct {
	labeler chains.Labeler
	src     chains.Source
	opts    Options
	// stored, when the Labeler also counts stored counterparties, tells
	// a busy address without reading its window.
	stored StoredPeerCounter

	mu           sync.Mutex
	labels       map[key][]chains.Label
	transfers    map[windowKey][]chains.Transfer
	deposits     map[windowKey]*Deposit
	undetermined map[windowKey]string
	clusters     map[windowKey]*Cluster
}

type key struct {
	chain chains.Chain
	addr  chains.Address
}

// windowKey names the transfers of one address and asset read from one
// block on.
type windowKey struct {
	asset chains.AssetID
	addr  chains.Address
	from  uint64
}

var _ trace.Attributor = (*Attributor)(nil)

// StoredPeerCounter counts the distinct counterparties of q.Address in the
// transfers of q stored locally, stopping past limit (store.DB does). A
// count of stored rows never exceeds the true count, so a count above
// MaxPeers proves an address busy without reading its transfers.
type StoredPeerCounter interface {
	CountPeers(ctx context.Context, q chains.Query, limit int) (int, error)
}

// New returns an Attributor reading labels from l and transfers from src
// (src may be nil: then no deposit addresses or clusters are found). When
// l is also a StoredPeerCounter, busy addresses (MaxPeers) are recognised
// from a count instead of their transfers.
func New(l chains.Labeler, src chains.Source, opts Options) *Attributor {
	stored, _ := l.(StoredPeerCounter)
	return &Attributor{
		stored:       stored,
		labeler:      l,
		src:          src,
		opts:         opts.withDefaults(),
		labels:       map[key][]chains.Label{},
		transfers:    map[windowKey][]chains.Transfer{},
		deposits:     map[windowKey]*Deposit{},
		undetermined: map[windowKey]string{},
		clusters:     map[windowKey]*Cluster{},
	}
}

// Options returns the thresholds in force (defaults filled in).
func (a *Attributor) Options() Options { return a.opts }

// Attribute says who addr is, judged on asset's chain and, for deposit
// sweeps and clusters, on transfers of asset from block from on (see
// Options.Span). See the package comment.
func (a *Attributor) Attribute(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) (trace.Attribution, error) {
	addr = addr.In(asset.Chain.Family())
	stored, err := a.Labels(ctx, asset.Chain, addr)
	if err != nil {
		return trace.Attribution{}, err
	}
	// Labels this package derived and someone saved are derived afresh
	// from the data below, under the thresholds in force.
	var own []chains.Label
	for _, l := range stored {
		if l.Heuristic != HeuristicDeposit && l.Heuristic != HeuristicCluster {
			own = append(own, l)
		}
	}
	dep, err := a.DepositFrom(ctx, addr, asset, from)
	if err != nil {
		return trace.Attribution{}, err
	}
	cl, err := a.ClusterFrom(ctx, addr, asset, from)
	if err != nil {
		return trace.Attribution{}, err
	}
	var at trace.Attribution
	if dep == nil {
		at.Undetermined = a.Undetermined(addr, asset, from)
	}
	at.Labels = slices.Clone(own)
	if dep != nil {
		at.Labels = append(at.Labels, dep.Label())
	}
	if cl != nil {
		at.Labels = append(at.Labels, cl.Propagated(addr)...)
		tc := cl.Cluster
		tc.Members, tc.Evidence = slices.Clone(tc.Members), slices.Clone(tc.Evidence)
		at.Cluster = &tc
	}
	sortLabels(at.Labels)
	if len(at.Labels) == 0 {
		at.Labels = nil
	}
	for _, l := range own {
		if l.Category == chains.CategorySanctioned && l.Heuristic == "" {
			at.Sanctioned = true
		}
	}
	switch {
	case dep != nil:
		at.Entity, at.Category = dep.Exchange, chains.CategoryDeposit
		at.Reason = dep.Reason()
		if at.Sanctioned {
			at.Reason += "; on a sanctions list"
		}
		for _, s := range dep.Sweeps {
			if len(at.SweepTxs) == 0 || at.SweepTxs[len(at.SweepTxs)-1] != s.Tx {
				at.SweepTxs = append(at.SweepTxs, s.Tx)
			}
		}
	case len(own) > 0:
		m := mainLabel(own)
		at.Entity, at.Category = m.Entity, m.Category
		if at.Entity == "" {
			for _, l := range own {
				if l.Entity != "" {
					at.Entity = l.Entity
					break
				}
			}
		}
		at.Reason = fmt.Sprintf("labeled %s %q by %s (confidence %d)", m.Category, at.Entity, m.Source, m.Confidence)
		if at.Sanctioned && m.Category != chains.CategorySanctioned {
			at.Reason += "; on a sanctions list"
		}
	case cl != nil:
		if ps := cl.Propagated(addr); len(ps) > 0 {
			// An inference, not a listing: the address stays a personal
			// wallet for the stop rules, and the labels say why it is
			// suspect.
			at.Entity = ps[0].Entity
			at.Reason = "no label of its own; " + ps[0].Note
		}
	}
	return at, nil
}

// Labels returns addr's own labels on chain (as the Labeler gives them,
// re-sorted most confident first), remembering them.
func (a *Attributor) Labels(ctx context.Context, chain chains.Chain, addr chains.Address) ([]chains.Label, error) {
	addr = addr.In(chain.Family())
	k := key{chain, addr}
	a.mu.Lock()
	ls, ok := a.labels[k]
	a.mu.Unlock()
	if ok {
		return ls, nil
	}
	if a.labeler == nil {
		return nil, nil
	}
	ls, err := a.labeler.Labels(ctx, chain, addr)
	if err != nil {
		return nil, fmt.Errorf("labels of %s: %w", addr, err)
	}
	ls = slices.Clone(ls)
	sortLabels(ls)
	a.mu.Lock()
	a.labels[k] = ls
	a.mu.Unlock()
	return ls, nil
}

// window is the block range judged for a question arising at block from.
func (a *Attributor) window(from uint64) (lo, hi uint64) {
	return a.span(from, a.opts.Span)
}

func (a *Attributor) span(from, n uint64) (lo, hi uint64) {
	lo, hi = max(from, a.opts.From), a.opts.To
	if n > 0 && lo <= hi && hi-lo > n {
		hi = lo + n
	}
	return lo, hi
}

// transfersOf returns every transfer of asset to or from addr in the
// window of from; none when the source has no data for it.
func (a *Attributor) transfersOf(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) ([]chains.Transfer, error) {
	lo, hi := a.window(from)
	k := windowKey{asset, addr, lo}
	a.mu.Lock()
	ts, ok := a.transfers[k]
	a.mu.Unlock()
	if ok || a.src == nil {
		return ts, nil
	}
	readTo := hi
	if a.opts.Span > 0 && a.opts.ReadSpan > a.opts.Span {
		_, readTo = a.span(from, a.opts.ReadSpan)
	}
	ts, err := a.src.Transfers(ctx, chains.Query{Chain: asset.Chain, Address: addr, Asset: asset, From: lo, To: readTo})
	if readTo > hi {
		n := 0
		for n < len(ts) && ts[n].Block <= hi {
			n++
		}
		ts = ts[:n]
	}
	switch {
	case err == nil:
	case errors.Is(err, chains.ErrOffline), errors.Is(err, chains.ErrNotFound), errors.Is(err, chains.ErrUnsupported):
		ts = nil
	default:
		return nil, fmt.Errorf("transfers of %s: %w", addr, err)
	}
	if a.opts.Span == 0 {
		// Over whole histories the cluster search reads the same ledgers
		// again. Bounded windows are read once each (the verdict on a
		// window is what is remembered), so they are not kept.
		a.mu.Lock()
		a.transfers[k] = ts
		a.mu.Unlock()
	}
	return ts, nil
}

// serviceLike reports whether a label makes an address an institution's
// own wallet: such an address is never a customer's deposit address and
// never joins a customer's cluster.
func serviceLike(c chains.Category) bool {
	switch c {
	case chains.CategoryExchange, chains.CategoryService, chains.CategoryMixer, chains.CategoryBridge,
		chains.CategoryDeFi, chains.CategoryIssuer:
		return true
	}
	return false
}

func isServiceLike(ls []chains.Label) bool {
	for _, l := range ls {
		if l.Heuristic == "" && serviceLike(l.Category) {
			return true
		}
	}
	return false
}

// mainLabel is the most confident label that is not a sanctions entry, or
// the first label when all are.
func mainLabel(ls []chains.Label) chains.Label {
	for _, l := range ls {
		if l.Category != chains.CategorySanctioned {
			return l
		}
	}
	return ls[0]
}

// sortLabels orders labels most confident first; at equal confidence list
// labels before derived ones, then by source, entity and category.
func sortLabels(ls []chains.Label) {
	slices.SortStableFunc(ls, func(x, y chains.Label) int {
		if c := cmp.Compare(y.Confidence, x.Confidence); c != 0 {
			return c
		}
		if c := boolRank(x.Heuristic != "") - boolRank(y.Heuristic != ""); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Source, y.Source); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Entity, y.Entity); c != 0 {
			return c
		}
		return cmp.Compare(x.Category, y.Category)
	})
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
