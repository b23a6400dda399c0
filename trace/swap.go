package trace

import (
	"container/heap"
	"errors"
	"fmt"
	"slices"
	"strings"

	"freezetrace/chains"
)

// Swaps and wraps: the one conversion rule.
//
// When a tainted address sends asset X to a contract in a transaction whose
// events show a swap or a wrap (chains.EventKind.Converts), and the
// address's net legs in that transaction are one asset sent (X) and one
// received (Y), the taint it carried into the transaction converts at the
// transaction's own rate: for each source s,
//
//	tainted Y_s = floor(received Y × tainted X_s / sent X)
//
// where sent and received are the address's net amounts in the
// transaction (multi-hop routes inside it collapse), and tainted X is what
// the allocation rule gave the sent legs. Rounding is down, per source, so
// a conversion never creates taint. Anything else (no events, several
// assets sent or received, nothing back) is no conversion: the contract
// stops the walk, and the endpoint says why.

type swapKey struct {
	addr chains.Address
	tx   chains.TxHash
}

// rateKey is one source's taint in one asset.
type rateKey struct {
	src   int
	asset chains.AssetID
}

// rate is what the units of one source's taint in one asset converted into
// so far stand for in the victims' asset: value/units, summed over the
// conversions that made them (an average when there were several).
type rate struct {
	value, units chains.Amount
}

// swapPlan is a recognised conversion, before it is booked.
type swapPlan struct {
	addr   chains.Address
	tx     chains.Transfer // a leg, for the transaction's hash, block and time
	events []Evidence
	sent   chains.AssetID
	recv   chains.AssetID
	legs   []chains.Transfer // every leg of the address in the transaction
}

// swapFrom is called when tainted address x is about to send t. When t is
// a leg of a conversion, it books the conversion and reports true.
func (w *walker) swapFrom(x *node, t chains.Transfer) (bool, error) {
	p, err := w.recognise(x.addr, t, t.To)
	if err != nil || p == nil || p.sent != x.asset {
		return false, err
	}
	return true, w.convert(p)
}

// swapInFirst is called when x is about to book a clean inflow t. When
// another ledger of the same address holds taint and t is the received leg
// of a conversion whose sent leg comes later in canonical order (a native
// coin's legs sort after a block's token transfers), it books the
// conversion now and reports whether that booked t.
func (w *walker) swapInFirst(x *node, t chains.Transfer) (bool, error) {
	if t.To != x.addr || t.From == x.addr {
		return false, nil
	}
	other := false
	for _, n := range x.who.nodes {
		if n != x && n.active && !n.acct.taintTotal().IsZero() {
			other = true
		}
	}
	if !other {
		return false, nil
	}
	p, err := w.recognise(x.addr, t, t.From)
	if err != nil || p == nil || p.recv != x.asset {
		return false, err
	}
	if xn := w.nodes[nodeKey{x.addr, p.sent}]; xn == nil || !xn.active {
		return false, nil
	}
	if err := w.convert(p); err != nil {
		return false, err
	}
	ok, err := w.ready(x)
	if err != nil {
		return false, err
	}
	return !ok || x.ledger[x.next].Key() != t.Key(), nil
}

// recognise says whether transaction t.Tx is a conversion by addr through
// venue (the contract addr sent to or received from), once per address and
// transaction. nil when it is not (and then, when there is a reason worth
// showing, w.swapNote says it).
func (w *walker) recognise(addr chains.Address, t chains.Transfer, venue chains.Address) (*swapPlan, error) {
	k := swapKey{addr, t.Tx}
	if w.swapsDone[k] {
		return nil, nil
	}
	v := w.node(venue, t.Asset)
	at, err := w.attribution(v, t.Block)
	if err != nil {
		return nil, err
	}
	if labelStop(at) != "" {
		return nil, nil
	}
	if c, err := w.isContract(venue); err != nil || !c {
		return nil, err
	}
	w.swapsDone[k] = true // a transaction with a venue in it is looked at once
	note := func(format string, args ...any) (*swapPlan, error) {
		w.swapNote.tx, w.swapNote.note = t.Tx, fmt.Sprintf(format, args...)
		return nil, nil
	}
	evs, err := w.txEvents(t)
	if err != nil {
		return note("its transaction's events could not be read (%v), so no swap could be recognised", err)
	}
	var ev []Evidence
	for _, e := range evs {
		if e.Kind.Converts() {
			ev = append(ev, Evidence{Kind: e.Kind, Contract: e.Contract, Position: e.Position})
		}
	}
	if len(ev) == 0 {
		return nil, nil
	}
	all, err := w.src.TxTransfers(w.ctx, w.c.Chain, t.Tx)
	switch {
	case errors.Is(err, chains.ErrUnsupported), errors.Is(err, chains.ErrOffline), errors.Is(err, chains.ErrNotFound):
		return note("its transaction shows a swap, but its transfers could not be read (%v)", err)
	case err != nil:
		return nil, fmt.Errorf("transfers of swap %s: %w", w.c.Chain.FormatTx(t.Tx), err)
	}
	p := &swapPlan{addr: addr, tx: t, events: ev}
	type net struct{ in, out chains.Amount }
	nets := map[chains.AssetID]*net{}
	var order []chains.AssetID
	for _, l := range all {
		if l.Amount.IsZero() || l.From == l.To || (l.From != addr && l.To != addr) {
			continue
		}
		if ok, err := w.venueLeg(l, addr); err != nil {
			return nil, err
		} else if !ok {
			continue // a payment to or from a person in the same transaction is no leg of the swap
		}
		p.legs = append(p.legs, l)
		n := nets[l.Asset]
		if n == nil {
			n = &net{}
			nets[l.Asset] = n
			order = append(order, l.Asset)
		}
		if l.From == addr {
			n.out = n.out.Add(l.Amount)
		} else {
			n.in = n.in.Add(l.Amount)
		}
	}
	var sent, recv []string
	for _, a := range order {
		switch n := nets[a]; n.in.Cmp(n.out) {
		case -1:
			sent = append(sent, a.String())
			p.sent = a
		case 1:
			recv = append(recv, a.String())
			p.recv = a
		}
	}
	if len(sent) != 1 || len(recv) != 1 {
		return note("its transaction shows a swap, but %s's net legs in it are %d asset(s) sent (%s) and %d received (%s): "+
			"the conversion rule needs one of each", addr, len(sent), strings.Join(sent, ", "), len(recv), strings.Join(recv, ", "))
	}
	return p, nil
}

// convert books conversion p: the sent legs at the address's ledger of the
// sent asset, the rule's conversion, and the received legs, with the
// converted taint, at its ledger of the received asset.
func (w *walker) convert(p *swapPlan) error {
	xn := w.nodes[nodeKey{p.addr, p.sent}]
	idx := len(w.conversions) + 1
	var first chains.Transfer
	for _, l := range p.legs {
		if l.Asset == p.sent {
			first = l
			break
		}
	}
	if err := w.stepUntil(xn, first); err != nil {
		return err
	}
	// The sent asset's legs of the transaction, from the ledger.
	var outs, ins []chains.Transfer
	for {
		ok, err := w.ready(xn)
		if err != nil {
			return err
		}
		if !ok || xn.ledger[xn.next].Tx != p.tx.Tx {
			break
		}
		l := xn.ledger[xn.next]
		switch {
		case l.Amount.IsZero() || l.From == l.To:
			xn.next++
		case l.From == p.addr:
			xn.next++
			if ok, err := w.venueLeg(l, p.addr); err != nil {
				return err
			} else if !ok {
				// A payment to a person in the swap's transaction (a fee,
				// say) is an ordinary outflow.
				if err := w.plainOut(xn, l); err != nil {
					return err
				}
				continue
			}
			outs = append(outs, l)
		default:
			ins = append(ins, l)
			xn.next++
		}
	}
	var carried parts
	var outSum, inSum chains.Amount
	for _, o := range outs {
		taintBefore := xn.acct.taintTotal()
		c, short, d := xn.acct.out(o.Amount)
		if !short.IsZero() {
			xn.short = xn.short.Add(short)
			xn.shortTx = append(xn.shortTx, o)
			w.record(xn, o, "shortfall", o.From, short, nil, o.Amount, taintBefore,
				"outflow larger than the known balance: the difference is treated as clean funds of unknown origin")
			w.steps[len(w.steps)-1].Conversion = idx
		}
		w.record(xn, o, "out", o.To, o.Amount, c, xn.acct.balance(), xn.acct.taintTotal(), d+fmt.Sprintf("; a sent leg of conversion %d", idx))
		w.steps[len(w.steps)-1].Conversion = idx
		w.flow(o, c, xn.hop, idx)
		carried = carried.plus(c)
		outSum = outSum.Add(o.Amount)
	}
	refunds := ins[:0]
	for _, l := range ins {
		if ok, err := w.venueLeg(l, p.addr); err != nil {
			return err
		} else if !ok {
			w.bookIn(xn, l, nil, xn.hop, 0, "")
			continue
		}
		refunds = append(refunds, l)
		inSum = inSum.Add(l.Amount)
	}
	ins = refunds
	// Refunds of the sent asset take back their share of the taint.
	back := takenBack(carried, inSum, outSum)
	effective := carried.minus(back)
	for _, l := range ins {
		give := take(&back, l.Amount)
		w.bookIn(xn, l, give, xn.hop, idx, fmt.Sprintf("; a refund of the sent asset in conversion %d", idx))
		if len(give) > 0 {
			w.flow(l, give, xn.hop, idx)
		}
	}
	sent, _ := outSum.Sub(inSum.Min(outSum))
	var recvIn, recvOut chains.Amount
	var recvLegs []chains.Transfer
	for _, l := range p.legs {
		if l.Asset != p.recv {
			continue
		}
		if l.To == p.addr {
			recvIn = recvIn.Add(l.Amount)
			recvLegs = append(recvLegs, l)
		} else {
			recvOut = recvOut.Add(l.Amount)
		}
	}
	received, _ := recvIn.Sub(recvOut)
	var converted parts
	var formula []string
	for _, s := range effective {
		y := chains.Amount{}
		if !sent.IsZero() {
			y = received.MulDiv(s.amt, sent)
		}
		formula = append(formula, fmt.Sprintf("%s floor(%s·%s/%s) = %s", sourceID(s.src), received, s.amt, sent, y))
		if !y.IsZero() {
			converted = append(converted, part{s.src, y})
		}
	}
	w.rate(effective, p.sent, converted, p.recv)
	conv := Conversion{
		Chain: w.c.Chain, Tx: p.tx.Tx, Block: p.tx.Block, Time: p.tx.Time, Address: p.addr, Hop: xn.hop, Events: p.events,
		Sent:     Leg{Asset: p.sent, Amount: sent, Tainted: effective.total(), BySource: effective.shares()},
		Received: []Leg{{Asset: p.recv, Amount: received, Tainted: converted.total(), BySource: converted.shares()}},
	}
	w.conversions = append(w.conversions, conv)
	w.seeAsset(p.recv)
	if err := w.requeue(xn); err != nil {
		return err
	}
	if len(converted) == 0 || len(recvLegs) == 0 {
		return nil
	}
	// The received asset's ledger: entered at the transaction's block if it
	// is not walked yet, advanced to the first received leg, then the
	// conversion and the legs that carry its taint.
	yn := w.node(p.addr, p.recv)
	if !yn.active {
		if err := w.enter(yn, recvLegs[0], xn.hop); err != nil {
			return err
		}
	}
	if err := w.advance(yn, recvLegs[0]); err != nil {
		return err
	}
	venue := p.events[0].Contract
	w.steps = append(w.steps, Step{
		Seq: len(w.steps) + 1, Chain: w.c.Chain, Address: p.addr, Asset: p.recv,
		Tx: p.tx.Tx, Position: recvLegs[0].Position, Block: p.tx.Block, Time: p.tx.Time,
		Event: "convert", Counterparty: venue, Amount: received, Tainted: converted.total(), BySource: converted.shares(),
		Balance: yn.acct.balance(), Taint: yn.acct.taintTotal(), Conversion: idx,
		Detail: fmt.Sprintf("conversion %d: sent %s of %s net (%s tainted), received %s of %s net, evidence %s; tainted received = floor(received × tainted sent / sent) per source: %s",
			idx, sent, p.sent, effective.total(), received, p.recv, describeEvidence(p.events), strings.Join(formula, "; ")),
	})
	rest := converted
	for _, l := range recvLegs {
		give := take(&rest, l.Amount)
		if len(give) == 0 {
			continue
		}
		if err := w.advance(yn, l); err != nil {
			return err
		}
		w.flow(l, give, xn.hop, idx)
		if err := w.book(yn, l, give, xn.hop, idx, fmt.Sprintf("; the received leg of conversion %d", idx)); err != nil {
			return err
		}
	}
	if yn.halted {
		return nil
	}
	return w.requeue(yn)
}

// venueLeg reports whether l, a transfer to or from addr, is a leg of a
// swap: its other side is a contract (a router, pool, aggregator or
// wrapper).
func (w *walker) venueLeg(l chains.Transfer, addr chains.Address) (bool, error) {
	other := l.From
	if other == addr {
		other = l.To
	}
	return w.isContract(other)
}

// takenBack is the taint refunds of the sent asset take back: the share
// inSum/outSum of what the sent legs carried, rounded down, by source.
func takenBack(carried parts, inSum, outSum chains.Amount) parts {
	if inSum.IsZero() || outSum.IsZero() {
		return nil
	}
	return carried.split(carried.total().MulDiv(inSum.Min(outSum), outSum))
}

// take removes up to amount from the front of *ps (in source order) and
// returns it; the parts *ps held before are not changed.
func take(ps *parts, amount chains.Amount) parts {
	var out parts
	rest := make(parts, 0, len(*ps))
	need := amount
	for _, p := range *ps {
		n := p.amt.Min(need)
		if !n.IsZero() {
			out = append(out, part{p.src, n})
			need, _ = need.Sub(n)
		}
		if left, _ := p.amt.Sub(n); !left.IsZero() {
			rest = append(rest, part{p.src, left})
		}
	}
	*ps = rest
	return out
}

func describeEvidence(evs []Evidence) string {
	s := make([]string, len(evs))
	for i, e := range evs {
		s[i] = fmt.Sprintf("%s by %s at log %d", e.Kind, e.Contract, e.Position)
	}
	return strings.Join(s, ", ")
}

// flow records a leg of conversion idx.
func (w *walker) flow(t chains.Transfer, shares parts, hop, idx int) {
	w.flows = append(w.flows, Flow{
		Chain: t.Chain, Tx: t.Tx, Position: t.Position, Block: t.Block, Time: t.Time,
		From: t.From, To: t.To, Asset: t.Asset, Amount: t.Amount, Tainted: shares.total(), Hop: hop,
		BySource: shares.shares(), Conversion: idx,
	})
}

// requeue puts n back in its place in the queue after its cursor moved
// outside the walk's own step (the walk requeues the address it steps).
func (w *walker) requeue(n *node) error {
	if n == w.current || !n.active {
		return nil
	}
	ok, err := w.ready(n)
	if err != nil {
		return err
	}
	switch {
	case n.heapIdx >= 0 && ok && !n.halted:
		heap.Fix(&w.queue, n.heapIdx)
	case n.heapIdx >= 0:
		heap.Remove(&w.queue, n.heapIdx)
	case ok && !n.halted:
		heap.Push(&w.queue, n)
	}
	return nil
}

// isContract reports whether addr holds code, once per address; a source
// that cannot tell answers no.
func (w *walker) isContract(addr chains.Address) (bool, error) {
	h := w.who(addr)
	if h.contract == nil {
		c, err := w.src.IsContract(w.ctx, w.c.Chain, addr)
		switch {
		case err == nil:
		case errors.Is(err, chains.ErrUnsupported), errors.Is(err, chains.ErrOffline), errors.Is(err, chains.ErrNotFound):
			c = false
		default:
			return false, fmt.Errorf("is %s a contract: %w", addr, err)
		}
		h.contract = &c
	}
	return *h.contract, nil
}

// txEvents reads the venue events of t's transaction, once per
// transaction. A source that cannot read events is an error to the caller,
// which says so where the walk stops.
func (w *walker) txEvents(t chains.Transfer) ([]chains.TxEvent, error) {
	if evs, ok := w.events[t.Tx]; ok {
		return evs, nil
	}
	er, ok := w.src.(chains.EventReader)
	if !ok {
		return nil, errors.New("the source reads no transaction events")
	}
	evs, err := er.TxEvents(w.ctx, w.c.Chain, t.Tx)
	if err != nil {
		return nil, err
	}
	w.events[t.Tx] = evs
	return evs, nil
}

// bridgeDestination fills a bridge endpoint's destination from the
// bridge-deposit event of the transaction that reached it, when the source
// can read it and the event names one.
func (w *walker) bridgeDestination(e *Endpoint, t chains.Transfer) error {
	evs, err := w.txEvents(t)
	if err != nil {
		return nil // the endpoint then names no destination
	}
	for _, ev := range evs {
		if ev.Kind == chains.EventBridgeDeposit && (ev.DestChain != "" || ev.Recipient != "") {
			e.DestChain, e.Recipient = ev.DestChain, ev.Recipient
			return nil
		}
	}
	return nil
}

// rate adds a conversion of sent (in asset from) into got (in asset to) to
// the rates that value each source's taint in the victims' asset.
func (w *walker) rate(sent parts, from chains.AssetID, got parts, to chains.AssetID) {
	for _, s := range sent {
		v := w.value(parts{s}, from)
		var units chains.Amount
		for _, g := range got {
			if g.src == s.src {
				units = g.amt
			}
		}
		r := w.rates[rateKey{s.src, to}]
		if r == nil {
			r = &rate{}
			w.rates[rateKey{s.src, to}] = r
		}
		r.value, r.units = r.value.Add(v), r.units.Add(units)
	}
}

// value is what shares of taint in asset stand for in the victims' asset,
// at the rates of the conversions that made them, rounded down per source.
func (w *walker) value(shares parts, asset chains.AssetID) chains.Amount {
	if asset == w.c.Asset {
		return shares.total()
	}
	var v chains.Amount
	for _, s := range shares {
		if r := w.rates[rateKey{s.src, asset}]; r != nil && !r.units.IsZero() {
			v = v.Add(s.amt.MulDiv(r.value, r.units))
		}
	}
	return v
}

func (w *walker) seeAsset(a chains.AssetID) {
	if a != w.c.Asset && !slices.Contains(w.assetSeen, a) {
		w.assetSeen = append(w.assetSeen, a)
	}
}

// assetRank orders assets: the victims' asset first, then the others in
// the order conversions first made them.
func (w *walker) assetRank(a chains.AssetID) int {
	if a == w.c.Asset {
		return 0
	}
	return slices.Index(w.assetSeen, a) + 1
}

// assetList is the metadata of every asset of the trace, in assetRank
// order.
func (w *walker) assetList() ([]chains.Asset, error) {
	out := make([]chains.Asset, 0, 1+len(w.assetSeen))
	for _, id := range append([]chains.AssetID{w.c.Asset}, w.assetSeen...) {
		a, err := assetInfo(w.ctx, w.src, id)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
