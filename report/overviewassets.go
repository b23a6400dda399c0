package report

import (
	"fmt"
	"slices"

	"freezetrace/chains"
	"freezetrace/trace"
)

// conversionBlocks are the overview's sections for a trace whose taint
// went through swaps: what reached the endpoints in each asset and what
// that stands for in the victims' asset (saying which part rests on the
// conversion rates), then every conversion with its venue, legs and rate.
// Nothing for a trace without conversions.
func (w *writer) conversionBlocks() []block {
	r, m, as := w.r, w.m, w.as
	if len(r.Conversions) == 0 {
		return nil
	}
	out := []block{heading{2, m.AssetsHeading}, p(txt(m.AssetsIntro))}
	byAsset := map[chains.AssetID]*Total{}
	type victimTotal struct{ direct, converted chains.Amount }
	byVictimAsset := map[chains.AssetID]*victimTotal{}
	for _, e := range r.Endpoints {
		t := byAsset[e.Asset]
		if t == nil {
			t = &Total{Asset: e.Asset}
			byAsset[e.Asset] = t
		}
		t.Amount = t.Amount.Add(e.Amount)
		va := victimAssetOf(r, e)
		if byVictimAsset[va] == nil {
			byVictimAsset[va] = &victimTotal{}
		}
		vt := byVictimAsset[va]
		if va == e.Asset {
			vt.direct = vt.direct.Add(e.Amount)
			continue
		}
		vt.converted = vt.converted.Add(e.Value)
		if t.Value == nil {
			t.Value, t.ValueAsset = new(chains.Amount), va
		}
		*t.Value = t.Value.Add(e.Value)
	}
	tab := table{Head: []string{m.ColAsset, m.ColChain, m.ColAmount, m.ColWorth}}
	for _, id := range sortedAssets(byAsset) {
		t := byAsset[id]
		worthCell := num(m.VictimAssetItself)
		if t.Value != nil {
			worthCell = num(as.money(*t.Value, t.ValueAsset))
		}
		tab.Rows = append(tab.Rows, []tcell{tokenCell(as, id), cellOf(txt(chainName(id.Chain))),
			{Lines: []span{txt(as.money(t.Amount, id)), txt(fmt.Sprintf(m.BaseUnits, t.Amount))}, Right: true}, worthCell})
	}
	out = append(out, tab)
	var items [][]span
	for _, va := range sortedAssets(byVictimAsset) {
		vt := byVictimAsset[va]
		items = append(items, []span{{Text: fmt.Sprintf(m.VictimAssetTotal, as.money(vt.direct.Add(vt.converted), va), chainName(va.Chain)), Bold: true},
			txt(" " + fmt.Sprintf(m.VictimAssetSplit, as.money(vt.direct, va), as.money(vt.converted, va)))})
	}
	out = append(out, list{Items: items})
	return append(out, heading{2, m.ConversionsHeading}, p(txt(m.ConversionRule)), w.conversionTable())
}

// conversionTable lists every conversion leg: the transaction and time,
// the converting address, the venues, what was sent and received (and the
// tainted part of each) and the rate.
func (w *writer) conversionTable() table {
	m, as := w.m, w.as
	t := table{Head: []string{m.ColNumber, m.ColTx, m.ColAddress, m.ColVenue, m.ColSent, m.ColReceived, m.ColRate}}
	for i := range w.r.Conversions {
		c := &w.r.Conversions[i]
		for _, leg := range c.Received {
			t.Rows = append(t.Rows, []tcell{
				cellOf(txt(fmt.Sprintf(m.ConversionLabel, i+1))),
				cellOf(link(c.Chain.FormatTx(c.Tx), c.Chain.TxURL(c.Tx), true), txt(m.when(c.Time))),
				cellOf(link(c.Address.String(), c.Chain.AddressURL(c.Address), true)),
				cellOf(mono(venues(c)), txt(evidenceText(m, c))),
				{Lines: []span{txt(as.money(c.Sent.Amount, c.Sent.Asset)), txt(fmt.Sprintf(m.TaintedPart, as.money(c.Sent.Tainted, c.Sent.Asset)))}, Right: true},
				{Lines: []span{txt(as.money(leg.Amount, leg.Asset)), txt(fmt.Sprintf(m.TaintedPart, as.money(leg.Tainted, leg.Asset)))}, Right: true},
				num(rateText(m, as, c.Sent, leg)),
			})
		}
	}
	return t
}

// rateText is "1 USDT = 0.00035 ETH", "" when nothing was sent.
func rateText(m *Messages, as assets, sent, received trace.Leg) string {
	r := rate(as, sent, received)
	if r == "" {
		return ""
	}
	return fmt.Sprintf(m.RateLine, as.symbol(sent.Asset), r, as.symbol(received.Asset))
}

// sortedAssets are a map's asset ids in asset order.
func sortedAssets[V any](m map[chains.AssetID]V) []chains.AssetID {
	ids := make([]chains.AssetID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, chains.AssetID.Compare)
	return ids
}
