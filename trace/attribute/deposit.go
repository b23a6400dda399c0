package attribute

import (
	"context"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	"freezetrace/chains"
)

// Deposit is the evidence that an address is an exchange's deposit address:
// what it received, and its sweeps into the exchange's labeled wallets.
// An Attributor hands out shared values: do not modify them.
type Deposit struct {
	Chain   chains.Chain
	Address chains.Address
	Asset   chains.AssetID
	// Exchange is the entity of the wallets it swept into.
	Exchange string
	// HotWallets are those wallets, sorted.
	HotWallets []chains.Address
	// WalletSource is the provenance of the wallets' exchange label.
	WalletSource string
	// Received is everything it received of the asset; Forwarded the part
	// swept into Exchange's wallets within the window of arriving.
	Received  chains.Amount
	Forwarded chains.Amount
	// Inflows and Sweeps are the transfers, in canonical order.
	Inflows []chains.Transfer
	Sweeps  []chains.Transfer
	// Senders is the number of distinct addresses that paid it.
	Senders    int
	Confidence int
	// Rule states the thresholds it met, e.g. "at least 90% within 24h, at
	// least 1 sweep".
	Rule string
}

// ForwardedBasisPoints is Forwarded/Received in hundredths of a percent,
// rounded down.
func (d *Deposit) ForwardedBasisPoints() int64 {
	if d.Received.IsZero() {
		return 0
	}
	bp := new(big.Int).Mul(d.Forwarded.Big(), big.NewInt(10000))
	return bp.Quo(bp, d.Received.Big()).Int64()
}

// Reason is one sentence saying why the address is a deposit address.
func (d *Deposit) Reason() string {
	bp := d.ForwardedBasisPoints()
	ws := make([]string, len(d.HotWallets))
	for i, w := range d.HotWallets {
		ws[i] = w.String()
	}
	sweeps := "1 sweep"
	if len(d.Sweeps) != 1 {
		sweeps = fmt.Sprintf("%d sweeps", len(d.Sweeps))
	}
	return fmt.Sprintf("deposit address of %q: forwarded %d.%02d%% of the %s base units it received to %q wallets (%s) in %s (heuristic %s: %s)",
		d.Exchange, bp/100, bp%100, d.Received, d.Exchange, strings.Join(ws, ", "), sweeps, HeuristicDeposit, d.Rule)
}

// Label is the derived label of the deposit address.
func (d *Deposit) Label() chains.Label {
	l := chains.Label{
		Chain:      d.Chain,
		Address:    d.Address,
		Entity:     d.Exchange,
		Category:   chains.CategoryDeposit,
		Source:     d.WalletSource,
		Note:       d.Reason(),
		Confidence: d.Confidence,
		Heuristic:  HeuristicDeposit,
	}
	for _, s := range d.Sweeps {
		if len(l.Evidence) == 0 || l.Evidence[len(l.Evidence)-1] != s.Tx {
			l.Evidence = append(l.Evidence, s.Tx)
		}
	}
	return l
}

// lot is what is left of one inflow, for matching sweeps to arrivals.
type lot struct {
	left chains.Amount
	in   chains.Transfer
}

// sweepAcc gathers the sweeps into one exchange.
type sweepAcc struct {
	forwarded chains.Amount
	sweeps    []chains.Transfer
	wallets   []chains.Address
	conf      int
	source    string
}

// Deposit returns the evidence that addr is an exchange's deposit address
// for asset, judged on its transfers from Options.From on (see DepositFrom).
func (a *Attributor) Deposit(ctx context.Context, addr chains.Address, asset chains.AssetID) (*Deposit, error) {
	return a.DepositFrom(ctx, addr, asset, a.opts.From)
}

// DepositFrom returns the evidence that addr is an exchange's deposit
// address for asset, judged on its transfers in the window from block from
// (Options.Span), or nil when it is not one (or has a service-like label of
// its own, or the source has no transfers of it, or the window cannot be
// evaluated: see Undetermined).
//
// Outflows are matched to inflows first in, first out; the part of a sweep
// matched to funds that arrived within the window before it counts as
// forwarded. Funds still held count as not forwarded; funds held before the
// window are not considered.
func (a *Attributor) DepositFrom(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) (*Deposit, error) {
	addr = addr.In(asset.Chain.Family())
	lo, _ := a.window(from)
	k := windowKey{asset, addr, lo}
	a.mu.Lock()
	d, ok := a.deposits[k]
	a.mu.Unlock()
	if ok {
		return d, nil
	}
	d, why, err := a.detect(ctx, addr, asset, lo)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.deposits[k] = d
	if why != "" {
		a.undetermined[k] = why
	}
	a.mu.Unlock()
	return d, nil
}

// Undetermined says why deposit detection could not be decided for addr in
// the window from block from, or "" when it could (or has not been asked).
func (a *Attributor) Undetermined(addr chains.Address, asset chains.AssetID, from uint64) string {
	lo, _ := a.window(from)
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.undetermined[windowKey{asset, addr.In(asset.Chain.Family()), lo}]
}

// detect judges addr on its transfers from block from; why says what made
// the judgement impossible.
func (a *Attributor) detect(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) (_ *Deposit, why string, _ error) {
	ts, ok, err := a.candidate(ctx, addr, asset, from)
	if err != nil || !ok {
		return nil, "", err
	}
	if why = a.undated(addr, ts); why != "" {
		return nil, why, nil
	}
	lastIn := a.opts.To
	if a.opts.Span > 0 {
		lastIn = from + a.opts.Span/2
	}
	f, err := a.follow(ctx, addr, asset, ts, lastIn)
	if err != nil {
		return nil, "", err
	}
	if f.received.IsZero() {
		return nil, "", nil
	}
	best := f.leader()
	if best == "" {
		return nil, "", nil
	}
	acc := f.accs[best]
	if !a.enough(acc, f.received) {
		return nil, "", nil
	}
	slices.SortFunc(acc.wallets, chains.Address.Compare)
	return &Deposit{
		Chain:        asset.Chain,
		Address:      addr,
		Asset:        asset,
		Exchange:     best,
		HotWallets:   acc.wallets,
		WalletSource: acc.source,
		Received:     f.received,
		Forwarded:    acc.forwarded,
		Inflows:      f.inflows,
		Sweeps:       acc.sweeps,
		Senders:      len(f.senders),
		Confidence:   min(a.opts.DepositConfidence, acc.conf),
		Rule:         a.rule(),
	}, "", nil
}

// candidate returns the transfers of addr from block from to judge it on,
// or false when it cannot be a deposit address: it has a service-like
// label of its own, or more than MaxPeers counterparties.
func (a *Attributor) candidate(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) ([]chains.Transfer, bool, error) {
	own, err := a.Labels(ctx, asset.Chain, addr)
	if err != nil {
		return nil, false, err
	}
	if isServiceLike(own) {
		return nil, false, nil
	}
	if busy, err := a.busyStored(ctx, addr, asset, from); err != nil || busy {
		return nil, false, err
	}
	ts, err := a.transfersOf(ctx, addr, asset, from)
	if err != nil {
		return nil, false, err
	}
	if peers(addr, ts, a.opts.MaxPeers) > a.opts.MaxPeers {
		return nil, false, nil
	}
	return ts, true, nil
}

// undated says why ts cannot be judged when the window is a duration and
// some of the transfers that count have no block time, or "".
func (a *Attributor) undated(addr chains.Address, ts []chains.Transfer) string {
	if a.opts.WindowBlocks != 0 {
		return ""
	}
	missing := 0
	for _, t := range ts {
		if t.Time.IsZero() && !t.Amount.IsZero() && t.From != t.To {
			missing++
		}
	}
	if missing == 0 {
		return ""
	}
	return fmt.Sprintf("deposit-address detection could not run for %s: %d of its %d transfers in the sweep window have no block time "+
		"(import the blocks file, trace with a node, or set --window-blocks)", addr, missing, len(ts))
}

// flows is what an address received, and what it swept into each
// exchange's labeled wallets.
type flows struct {
	received chains.Amount
	inflows  []chains.Transfer
	senders  map[chains.Address]bool
	accs     map[string]*sweepAcc // by exchange entity
}

// follow goes through ts in order: inflows to addr up to block lastIn
// become lots, and each outflow is matched to the lots first in, first out;
// an outflow into an exchange's wallets is a sweep into that exchange.
func (a *Attributor) follow(ctx context.Context, addr chains.Address, asset chains.AssetID, ts []chains.Transfer, lastIn uint64) (*flows, error) {
	f := &flows{senders: map[chains.Address]bool{}, accs: map[string]*sweepAcc{}}
	var lots []lot
	for _, t := range ts {
		if t.Amount.IsZero() || t.From == t.To {
			continue
		}
		if t.To == addr {
			if t.Block > lastIn {
				continue // no whole window left to judge it on
			}
			lots = append(lots, lot{left: t.Amount, in: t})
			f.received = f.received.Add(t.Amount)
			f.inflows = append(f.inflows, t)
			f.senders[t.From] = true
			continue
		}
		if t.From != addr {
			continue
		}
		ex, err := a.exchangeOf(ctx, asset.Chain, t.To)
		if err != nil {
			return nil, err
		}
		var within chains.Amount
		lots, within = a.drain(lots, t, ex != nil)
		if ex != nil {
			f.sweep(ex, t, within)
		}
	}
	return f, nil
}

// drain matches the outflow out to the oldest lots first. It returns the
// lots left and, when counted, the part of out matched to lots that
// arrived within the window before it.
func (a *Attributor) drain(lots []lot, out chains.Transfer, counted bool) ([]lot, chains.Amount) {
	rest := out.Amount
	var within chains.Amount
	for !rest.IsZero() && len(lots) > 0 {
		take := rest.Min(lots[0].left)
		if counted && a.inWindow(lots[0].in, out) {
			within = within.Add(take)
		}
		rest = rest.SubFloor(take)
		lots[0].left = lots[0].left.SubFloor(take)
		if lots[0].left.IsZero() {
			lots = lots[1:]
		}
	}
	return lots, within
}

// sweep adds t, of which within was forwarded in the window, to the sweeps
// into ex's exchange, keeping the most confident label's provenance.
func (f *flows) sweep(ex *chains.Label, t chains.Transfer, within chains.Amount) {
	acc := f.accs[ex.Entity]
	if acc == nil {
		acc = &sweepAcc{conf: ex.Confidence, source: ex.Source}
		f.accs[ex.Entity] = acc
	}
	acc.forwarded = acc.forwarded.Add(within)
	acc.sweeps = append(acc.sweeps, t)
	if !slices.Contains(acc.wallets, t.To) {
		acc.wallets = append(acc.wallets, t.To)
	}
	if ex.Confidence > acc.conf {
		acc.conf, acc.source = ex.Confidence, ex.Source
	}
}

// leader is the exchange that got the most forwarded, ties by name, or ""
// when there were no sweeps; only one can pass a threshold above 50%.
func (f *flows) leader() string {
	names := make([]string, 0, len(f.accs))
	for n := range f.accs {
		names = append(names, n)
	}
	slices.Sort(names)
	var best string
	for _, n := range names {
		if best == "" || f.accs[n].forwarded.Cmp(f.accs[best].forwarded) > 0 {
			best = n
		}
	}
	return best
}

// enough reports whether the sweeps acc meet the thresholds, of received:
// forwarded*100 >= MinForwardedPct*received, exactly, in at least
// MinSweeps sweeps.
func (a *Attributor) enough(acc *sweepAcc, received chains.Amount) bool {
	lhs := new(big.Int).Mul(acc.forwarded.Big(), big.NewInt(100))
	rhs := new(big.Int).Mul(received.Big(), big.NewInt(int64(a.opts.MinForwardedPct)))
	return lhs.Cmp(rhs) >= 0 && len(acc.sweeps) >= a.opts.MinSweeps
}

// busyStored reports whether the stored transfers of addr in the window
// of from already have more than MaxPeers distinct counterparties.
func (a *Attributor) busyStored(ctx context.Context, addr chains.Address, asset chains.AssetID, from uint64) (bool, error) {
	if a.stored == nil {
		return false, nil
	}
	lo, hi := a.window(from)
	n, err := a.stored.CountPeers(ctx, chains.Query{Chain: asset.Chain, Address: addr, Asset: asset, From: lo, To: hi}, a.opts.MaxPeers)
	if err != nil {
		return false, fmt.Errorf("counterparties of %s: %w", addr, err)
	}
	return n > a.opts.MaxPeers, nil
}

// peers counts the distinct counterparties of addr in ts, stopping past
// limit, as the stored count does (a self-transfer's counterparty is addr).
func peers(addr chains.Address, ts []chains.Transfer, limit int) int {
	seen := map[chains.Address]struct{}{}
	for _, t := range ts {
		p := t.From
		if p == addr {
			p = t.To
		}
		seen[p] = struct{}{}
		if len(seen) > limit {
			break
		}
	}
	return len(seen)
}

// exchangeOf returns the most confident exchange label (from a list, not
// derived) of addr, or nil.
func (a *Attributor) exchangeOf(ctx context.Context, chain chains.Chain, addr chains.Address) (*chains.Label, error) {
	ls, err := a.Labels(ctx, chain, addr)
	if err != nil {
		return nil, err
	}
	for i := range ls {
		if ls[i].Category == chains.CategoryExchange && ls[i].Heuristic == "" && ls[i].Entity != "" {
			l := ls[i]
			return &l, nil
		}
	}
	return nil, nil
}

// inWindow reports whether a sweep came within the window after an inflow.
func (a *Attributor) inWindow(in, out chains.Transfer) bool {
	if a.opts.WindowBlocks > 0 {
		return out.Block >= in.Block && out.Block-in.Block <= a.opts.WindowBlocks
	}
	if in.Time.IsZero() || out.Time.IsZero() {
		return false
	}
	d := out.Time.Sub(in.Time)
	return d >= 0 && d <= a.opts.Window
}

// rule describes the thresholds in force.
func (a *Attributor) rule() string {
	w := a.opts.Window.String()
	if a.opts.WindowBlocks > 0 {
		w = fmt.Sprintf("%d blocks", a.opts.WindowBlocks)
	} else if a.opts.Window%time.Hour == 0 {
		w = fmt.Sprintf("%dh", a.opts.Window/time.Hour)
	}
	s := "s"
	if a.opts.MinSweeps == 1 {
		s = ""
	}
	return fmt.Sprintf("at least %d%% forwarded within %s of arriving, at least %d sweep%s", a.opts.MinForwardedPct, w, a.opts.MinSweeps, s)
}
