package trace

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"freezetrace/chains"
)

// kindOrder is the order endpoints are listed in.
var kindOrder = []Kind{
	KindExchange, KindInstantExchanger, KindHeld, KindSanctioned, KindMixer, KindBridge, KindContract,
	KindHighActivity, KindHopLimit, KindDust, KindHorizon, KindUnknown,
}

func kindRank(k Kind) int {
	if i := slices.Index(kindOrder, k); i >= 0 {
		return i
	}
	return len(kindOrder)
}

type epKey struct {
	addr  chains.Address
	asset chains.AssetID
	kind  Kind
}

type epAcc struct {
	ep     Endpoint
	shares parts
	txs    []chains.Transfer
}

// attribution asks who y is, once, judged from block from (the taint's
// first arrival).
func (w *walker) attribution(y *node, from uint64) (Attribution, error) {
	if y.attrDone || w.attr == nil {
		return y.at, nil
	}
	at, err := w.attr.Attribute(w.ctx, y.addr, y.asset, from)
	if err != nil {
		return Attribution{}, fmt.Errorf("attribute %s: %w", y.addr, err)
	}
	y.at, y.attrDone = at, true
	if at.Undetermined != "" {
		w.undetermined[y.addr] = at.Undetermined
	}
	return at, nil
}

// labelStop is the stop kind an attribution alone imposes, or "".
func labelStop(at Attribution) Kind {
	if at.Sanctioned {
		return KindSanctioned
	}
	switch at.Category {
	case chains.CategoryExchange, chains.CategoryDeposit, chains.CategoryService:
		return KindExchange
	case chains.CategoryInstantExchanger:
		return KindInstantExchanger
	case chains.CategoryMixer:
		return KindMixer
	case chains.CategoryBridge:
		return KindBridge
	case chains.CategorySanctioned:
		return KindSanctioned
	}
	return ""
}

// stopFor says whether taint arriving at y (not walked yet) along t stops
// there, and why. Stops that belong to the address (labels, contract code,
// activity) are remembered; dust and hop limits belong to the transfer.
func (w *walker) stopFor(y *node, t chains.Transfer, shares parts, hop int) (Kind, string, error) {
	total := shares.total()
	if y.stop != "" {
		return y.stop, y.reason, nil
	}
	at, err := w.attribution(y, t.Block)
	if err != nil {
		return "", "", err
	}
	if k := labelStop(at); k != "" {
		y.stop, y.reason = k, at.Reason
		if y.reason == "" {
			y.reason = fmt.Sprintf("labeled %s %q", at.Category, at.Entity)
		}
		return y.stop, y.reason, nil
	}
	if hop > 1 && !w.o.MinAmount.IsZero() { // victim payments are always followed
		if y.asset == w.c.Asset && total.Cmp(w.o.MinAmount) < 0 {
			return KindDust, fmt.Sprintf("tainted amount %s is below the dust floor --min-amount %s", total, w.o.MinAmount), nil
		}
		if v := w.value(shares, y.asset); y.asset != w.c.Asset && v.Cmp(w.o.MinAmount) < 0 {
			return KindDust, fmt.Sprintf("tainted amount %s of %s stands for %s of the victims' asset at the trace's conversion rates, below the dust floor --min-amount %s", total, y.asset, v, w.o.MinAmount), nil
		}
	}
	if hop > w.o.MaxHops {
		return KindHopLimit, fmt.Sprintf("reached at hop %d, beyond --max-hops %d", hop, w.o.MaxHops), nil
	}
	if c, err := w.isContract(y.addr); err != nil {
		return "", "", err
	} else if c {
		y.stop, y.reason = KindContract, "a contract with no exchange, mixer or bridge label: funds sent to it are not followed"
		return y.stop, y.reason, nil
	}
	if w.o.MaxDegree > 0 {
		n, span, op, err := w.countPeers(y.addr, y.asset, t.Block)
		if err != nil {
			return "", "", err
		}
		if n > w.o.MaxDegree {
			y.stop = KindHighActivity
			y.reason = fmt.Sprintf("unlabeled address with %d distinct counterparties in its ledger, more than --max-degree %d", n, w.o.MaxDegree)
			if span != "" {
				y.reason = fmt.Sprintf("unlabeled address with more than --max-degree %d distinct counterparties in %s", w.o.MaxDegree, span)
			}
			return y.stop, y.reason, nil
		}
		if op == nil {
			if op, err = w.open(y.addr, y.asset, t.Block); err != nil {
				return "", "", err
			}
		}
		y.preOpen, y.preOpenAt = op, t.Block
	}
	return "", "", nil
}

// probeSteps is how many doubling windows countPeers reads before it reads
// the rest of a ledger in one query. One: a wallet busy enough to stop the
// walk shows it within the first window after the taint arrives, and a
// quiet one then costs one more query, however long its history.
const probeSteps = 1

// countPeers counts the distinct counterparties of addr from block b on.
// With Options.ProbeWindow set it asks the source to count when it can
// (chains.PeerCounter: an indexed query, a listing paged only until the
// count is reached); else it reads the first window of the ledger, then
// the rest, and stops as soon as the count exceeds MaxDegree, so that a busy
// wallet's history is never read whole; span then says from which block
// ("from block B on"). Without it, it counts the whole ledger from b (a
// page at a time when the source pages, the first page kept for the
// opening) and span is "".
// op is the opening it read on the way, if it read one.
func (w *walker) countPeers(addr chains.Address, asset chains.AssetID, b uint64) (n int, span string, op *opening, err error) {
	peers := map[chains.Address]struct{}{}
	count := func(ts []chains.Transfer) {
		for _, e := range ts {
			if e.From == addr {
				peers[e.To] = struct{}{}
			} else {
				peers[e.From] = struct{}{}
			}
		}
	}
	if w.o.ProbeWindow == 0 {
		op, err := w.open(addr, asset, b)
		if err != nil {
			return 0, "", nil, err
		}
		count(op.ledger)
		// A paged ledger is counted to its end (the reason gives the
		// exact count) without holding the pages.
		for more := op.more; more != 0; {
			ts, next, err := w.read(chains.Query{Chain: w.c.Chain, Address: addr, Asset: asset, From: more, To: chains.Latest})
			if err != nil {
				return 0, "", nil, fmt.Errorf("ledger of %s from block %d: %w", addr, more, err)
			}
			count(ts)
			more = next
		}
		return len(peers), "", op, nil
	}
	over := fmt.Sprintf("from block %d on", b)
	if pc, ok := w.src.(chains.PeerCounter); ok {
		q := chains.Query{Chain: w.c.Chain, Address: addr, Asset: asset, From: b, To: chains.Latest}
		n, err := pc.Counterparties(w.ctx, q, w.o.MaxDegree)
		switch {
		case err == nil && n > w.o.MaxDegree:
			return n, over, nil, nil
		case err == nil:
			return n, "", nil, nil
		case !errors.Is(err, chains.ErrUnsupported):
			return 0, "", nil, fmt.Errorf("counterparties of %s from block %d: %w", addr, b, err)
		}
	}
	lo, width := b, w.o.ProbeWindow
	for step := 0; ; step++ {
		hi := chains.Latest
		if step < probeSteps && lo <= chains.Latest-width {
			hi = lo + width
		}
		ts, err := w.src.Transfers(w.ctx, chains.Query{Chain: w.c.Chain, Address: addr, Asset: asset, From: lo, To: hi})
		if err != nil {
			return 0, "", nil, fmt.Errorf("ledger of %s in blocks %d-%d: %w", addr, lo, hi, err)
		}
		count(ts)
		if len(peers) > w.o.MaxDegree {
			return len(peers), over, nil, nil
		}
		if hi == chains.Latest {
			return len(peers), "", nil, nil
		}
		lo, width = hi+1, width*2
	}
}

// endpoint adds the taint that t carried into y to y's endpoint of kind k.
func (w *walker) endpoint(y *node, k Kind, reason string, t chains.Transfer, shares parts, hop int) error {
	key := epKey{y.addr, y.asset, k}
	e := w.eps[key]
	if e == nil {
		e = &epAcc{ep: Endpoint{
			Chain: w.c.Chain, Address: y.addr, Kind: k, Entity: y.at.Entity, Category: y.at.Category,
			Reason: reason, Labels: y.at.Labels, Asset: y.asset, Hops: hop, SweepTxs: y.at.SweepTxs,
		}}
		w.eps[key] = e
	}
	if k == KindBridge && e.ep.DestChain == "" && e.ep.Recipient == "" && t.Tx != (chains.TxHash{}) {
		if err := w.bridgeDestination(&e.ep, t); err != nil {
			return err
		}
	}
	if hop < e.ep.Hops {
		e.ep.Hops = hop
	}
	e.shares = e.shares.plus(shares)
	e.txs = append(e.txs, t)
	return nil
}

// sendsLater reports whether y sends funds on in the rest of its ledger
// (after the horizon), reading further pages only until it finds one.
func (w *walker) sendsLater(y *node) (bool, error) {
	for {
		ok, err := w.ready(y)
		if err != nil || !ok {
			return false, err
		}
		for _, e := range y.ledger[y.next:] {
			if e.From == y.addr && e.To != y.addr && !e.Amount.IsZero() {
				return true, nil
			}
		}
		y.next = len(y.ledger)
	}
}

// finish turns what the walk left into the result's lists.
func (w *walker) finish(res *Result) error {
	for _, y := range w.nodes {
		if !y.active {
			continue
		}
		if tt := y.acct.taint(); len(tt) > 0 {
			k, reason := KindHeld, "taint left unspent at the address at the end of the data"
			if y.halted {
				reason = "taint left unspent at the address at the --until horizon"
				later, err := w.sendsLater(y)
				if err != nil {
					return err
				}
				if later {
					k = KindHorizon
					reason = fmt.Sprintf("taint held at the --until horizon %s, and the address sent funds on after it", w.o.Until.Format(time.RFC3339))
				}
			}
			if err := w.endpoint(y, k, reason, chains.Transfer{}, nil, y.hop); err != nil {
				return err
			}
			e := w.eps[epKey{y.addr, y.asset, k}]
			e.shares, e.txs = tt, y.tainted
		}
		if !y.short.IsZero() {
			if err := w.endpoint(y, KindUnknown, fmt.Sprintf("outflows exceeded the known balance by %s in total: clean funds of unknown origin were assumed (not taint)", y.short), chains.Transfer{}, nil, y.hop); err != nil {
				return err
			}
			e := w.eps[epKey{y.addr, y.asset, KindUnknown}]
			e.ep.Amount, e.txs = y.short, y.shortTx
		}
	}
	res.Endpoints = make([]Endpoint, 0, len(w.eps))
	clusters := map[string]Cluster{}
	for _, e := range w.eps {
		ep := e.ep
		if ep.Kind != KindUnknown {
			ep.Amount = e.shares.total()
		}
		ep.BySource = e.shares.shares()
		if ep.Asset != w.c.Asset && ep.Kind != KindUnknown {
			ep.Value = w.value(e.shares, ep.Asset)
		}
		slices.SortFunc(e.txs, chains.Compare)
		ep.Txs = []chains.TxHash{}
		for _, t := range e.txs {
			if len(ep.Txs) == 0 || ep.Txs[len(ep.Txs)-1] != t.Tx {
				ep.Txs = append(ep.Txs, t.Tx)
			}
		}
		res.Endpoints = append(res.Endpoints, ep)
	}
	// Clusters judged in bounded windows may be found with different
	// members from different addresses: merge them, in address order.
	addrs := make([]chains.Address, 0, len(w.whos))
	for a, h := range w.whos {
		if h.at.Cluster != nil {
			addrs = append(addrs, a)
		}
	}
	slices.SortFunc(addrs, chains.Address.Compare)
	for _, a := range addrs {
		c := *w.whos[a].at.Cluster
		if prev, ok := clusters[c.ID]; ok {
			c = mergeClusters(prev, c)
		}
		clusters[c.ID] = c
	}
	slices.SortFunc(res.Endpoints, func(a, b Endpoint) int {
		if c := kindRank(a.Kind) - kindRank(b.Kind); c != 0 {
			return c
		}
		if c := strings.Compare(a.Entity, b.Entity); c != 0 {
			return c
		}
		if c := a.Address.Compare(b.Address); c != 0 {
			return c
		}
		return w.assetRank(a.Asset) - w.assetRank(b.Asset)
	})
	res.Clusters = make([]Cluster, 0, len(clusters))
	for _, c := range clusters {
		res.Clusters = append(res.Clusters, c)
	}
	slices.SortFunc(res.Clusters, func(a, b Cluster) int { return strings.Compare(a.ID, b.ID) })
	res.Flows = w.flows // delivered in canonical order
	res.Conversions = w.conversions
	res.Warnings = w.warnings(res.Endpoints)
	res.Ledger = w.steps
	if res.Flows == nil {
		res.Flows = []Flow{}
	}
	if res.Ledger == nil {
		res.Ledger = []Step{}
	}
	return nil
}

// mergeClusters joins two findings of one cluster: members sorted, a's
// evidence first, then b's that a lacks.
func mergeClusters(a, b Cluster) Cluster {
	a.Members = slices.Clone(a.Members)
	for _, m := range b.Members {
		if !slices.Contains(a.Members, m) {
			a.Members = append(a.Members, m)
		}
	}
	slices.SortFunc(a.Members, chains.Address.Compare)
	a.Evidence = slices.Clone(a.Evidence)
	for _, e := range b.Evidence {
		if !slices.Contains(a.Evidence, e) {
			a.Evidence = append(a.Evidence, e)
		}
	}
	return a
}
