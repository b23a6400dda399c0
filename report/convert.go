package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// This file says what the trace's conversions (swaps and wraps) did, for
// every document: which asset an endpoint's value is counted in, the
// conversion step of a path, the venues and the rate. The rule is the
// trace's: for each source, tainted received = floor(received × tainted
// sent / sent), in base units.

// victimAssetOf is the victims' asset that endpoint e's value is counted
// in: the asset of the payments its taint came from, else the trace's
// first asset (the victims'), else its own.
func victimAssetOf(r *trace.Result, e trace.Endpoint) chains.AssetID {
	for _, sh := range e.BySource {
		for _, o := range r.Origins {
			if o.ID == sh.Source {
				return o.Asset
			}
		}
	}
	if len(r.Assets) > 0 {
		return r.Assets[0].ID
	}
	return e.Asset
}

// convertedEndpoint reports whether e holds another asset than the
// victims': its amount then stands for e.Value of theirs.
func convertedEndpoint(r *trace.Result, e trace.Endpoint) bool {
	return victimAssetOf(r, e) != e.Asset
}

// valueTotals sets, on each total in an asset other than the victims',
// what it stands for in the victims' asset: the sum of its endpoints'
// Values.
func valueTotals(r *trace.Result, eps []trace.Endpoint, totals []Total) {
	for i := range totals {
		t := &totals[i]
		for _, e := range eps {
			if e.Asset != t.Asset || !convertedEndpoint(r, e) {
				continue
			}
			va := victimAssetOf(r, e)
			if t.Value == nil {
				t.Value, t.ValueAsset = new(chains.Amount), va
			}
			if va == t.ValueAsset {
				*t.Value = t.Value.Add(e.Value)
			}
		}
	}
}

// worth is " (worth V USDT of the victims' funds at the trace's conversion
// rates)" for an amount that stands for v of the victims' asset va.
func worth(m *Messages, as assets, v chains.Amount, va chains.AssetID) string {
	return " (" + fmt.Sprintf(m.WorthLine, as.money(v, va)) + ")"
}

// endpointWorth is worth for e when it holds another asset than the
// victims', "" otherwise.
func endpointWorth(m *Messages, as assets, r *trace.Result, e trace.Endpoint) string {
	if !convertedEndpoint(r, e) {
		return ""
	}
	return worth(m, as, e.Value, victimAssetOf(r, e))
}

// conversionOf is the trace's conversion with 1-based index i, nil when
// there is none.
func conversionOf(r *trace.Result, i int) *trace.Conversion {
	if i < 1 || i > len(r.Conversions) {
		return nil
	}
	return &r.Conversions[i-1]
}

// venues names the contracts whose events show the conversion, each once,
// in event order: the converting events' first, the others when none
// converts.
func venues(c *trace.Conversion) string {
	var out []string
	for _, pass := range []bool{true, false} {
		for _, ev := range c.Events {
			if ev.Kind.Converts() == pass && !slices.Contains(out, ev.Contract.String()) {
				out = append(out, ev.Contract.String())
			}
		}
		if len(out) > 0 {
			break
		}
	}
	return strings.Join(out, ", ")
}

// eventName is the event kind as the letter's language names it.
func eventName(m *Messages, k chains.EventKind) string {
	if s := m.EventKinds[k]; s != "" {
		return s
	}
	return untrusted.Line(string(k))
}

// evidenceText lists the conversion's venue events: "Uniswap V2 swap event
// of contract 0x… (log 12)", semicolon-separated.
func evidenceText(m *Messages, c *trace.Conversion) string {
	out := make([]string, len(c.Events))
	for i, ev := range c.Events {
		out[i] = fmt.Sprintf(m.EventLine, eventName(m, ev.Kind), ev.Contract, ev.Position)
	}
	return strings.Join(out, "; ")
}

// rate is what one display unit of the sent asset bought of the received
// one, to 12 significant decimals, "" when nothing was sent.
func rate(as assets, sent, received trace.Leg) string {
	if sent.Amount.IsZero() {
		return ""
	}
	s := decimal.NewFromBigInt(sent.Amount.Big(), -int32(as.get(sent.Asset).Decimals))
	r := decimal.NewFromBigInt(received.Amount.Big(), -int32(as.get(received.Asset).Decimals))
	return r.DivRound(s, 12).String()
}

// legShare is the tainted part of a leg: the part from source src, or
// all of it when src is "".
func legShare(l trace.Leg, src string) chains.Amount {
	if src == "" {
		return l.Tainted
	}
	return shareOf(l.BySource, src)
}

// conversionStep is the sentence of one conversion on a path from source
// src, for the received leg in asset: what the address swapped (and the
// part tainted from the payment), for what, at which venue, in which
// transaction, and the rule's tainted share worked out in base units. A
// share the trace records otherwise is said too.
func conversionStep(m *Messages, as assets, c *trace.Conversion, src string, asset chains.AssetID) string {
	i := slices.IndexFunc(c.Received, func(l trace.Leg) bool { return l.Asset == asset })
	if i < 0 {
		return ""
	}
	leg := c.Received[i]
	y := legShare(c.Sent, src)
	share := chains.Amount{}
	if !c.Sent.Amount.IsZero() {
		share = leg.Amount.MulDiv(y, c.Sent.Amount)
	}
	s := fmt.Sprintf(m.ConversionLine, m.when(c.Time), c.Address, as.money(c.Sent.Amount, c.Sent.Asset), as.money(y, c.Sent.Asset),
		as.money(leg.Amount, leg.Asset), venues(c), c.Chain.FormatTx(c.Tx),
		leg.Amount, y, c.Sent.Amount, share, as.money(share, leg.Asset))
	if rec := legShare(leg, src); rec.Cmp(share) != 0 {
		s += " " + fmt.Sprintf(m.ConversionRecorded, rec, as.money(rec, leg.Asset))
	}
	return s
}

// pathConversions are the conversion steps of a path, each with its
// evidence, in the order the path went through them.
func pathConversions(m *Messages, as assets, r *trace.Result, path Path) [][]span {
	var out [][]span
	for _, ci := range path.Conversions {
		c := conversionOf(r, ci)
		if c == nil {
			continue
		}
		asset := path.Asset
		for _, h := range path.Hops {
			if h.Conversion == ci && h.To == c.Address {
				asset = path.assetOf(h)
			}
		}
		if line := conversionStep(m, as, c, path.Source, asset); line != "" {
			out = append(out, []span{{Text: fmt.Sprintf(m.ConversionLabel, ci) + ":", Bold: true}, txt(" " + line + " " +
				fmt.Sprintf(m.ConversionEvidence, evidenceText(m, c)))})
		}
	}
	return out
}

// bridgeLine says where a bridge endpoint's funds went on the other side,
// as the bridge's deposit event names it; "" when it names nothing.
func bridgeLine(m *Messages, e trace.Endpoint) string {
	dest, to := untrusted.Line(e.DestChain), untrusted.Line(e.Recipient)
	txs := txList(e.Chain, e.Txs)
	switch {
	case dest != "" && to != "":
		return fmt.Sprintf(m.BridgedTo, dest, to, txs)
	case dest != "":
		return fmt.Sprintf(m.BridgedToChain, dest, txs)
	case to != "":
		return fmt.Sprintf(m.BridgedToRecipient, to, txs)
	}
	return ""
}

// sharesText lists per source the tainted sent and received of a
// conversion's leg: "S1: 8000000000 -> 2800000000000000000".
func sharesText(sent, received trace.Leg) string {
	var out []string
	for _, sh := range sent.BySource {
		out = append(out, sh.Source+": "+sh.Amount.String()+" -> "+shareOf(received.BySource, sh.Source).String())
	}
	return strings.Join(out, "; ")
}

// eventsCell lists a conversion's events for a table cell: "kind
// contract:position", semicolon-separated.
func eventsCell(c *trace.Conversion) string {
	out := make([]string, len(c.Events))
	for i, ev := range c.Events {
		out[i] = string(ev.Kind) + " " + ev.Contract.String() + ":" + strconv.FormatUint(uint64(ev.Position), 10)
	}
	return strings.Join(out, "; ")
}
