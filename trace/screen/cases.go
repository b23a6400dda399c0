package screen

import (
	"fmt"
	"slices"

	"freezetrace/chains"
	"freezetrace/trace"
)

// CaseAddresses lists the addresses of a traced case that count as
// tainted sources for screening: every address that received taint and
// is not a service the trace stopped at (an exchange, mixer, bridge,
// sanctioned address, contract or high-activity address: their own labels
// and the policy speak for them, and flagging them would flag their every
// customer), each once, in address order; the venues of swaps receive no
// taint (it converts at the address that swapped). ref names the case in
// every hit.
func CaseAddresses(res *trace.Result, ref string) []CaseAddress {
	service := map[chains.Address]bool{}
	for _, e := range res.Endpoints {
		switch e.Kind {
		case trace.KindExchange, trace.KindInstantExchanger, trace.KindMixer, trace.KindBridge, trace.KindSanctioned, trace.KindContract, trace.KindHighActivity:
			service[e.Address] = true
		}
	}
	type acc struct {
		chain chains.Chain
		asset chains.AssetID
		v     chains.Amount
	}
	got := map[chains.Address][]acc{}
	for _, f := range res.Flows {
		if f.Tainted.IsZero() || service[f.To] {
			continue
		}
		if i := f.Conversion - 1; i >= 0 && i < len(res.Conversions) && f.To != res.Conversions[i].Address {
			continue // a swap's sent leg: its taint converted at the sender, the venue holds none
		}
		as := got[f.To]
		i := slices.IndexFunc(as, func(a acc) bool { return a.asset == f.Asset })
		if i < 0 {
			as = append(as, acc{chain: f.Chain, asset: f.Asset})
			i = len(as) - 1
		}
		as[i].v = as[i].v.Add(f.Tainted)
		got[f.To] = as
	}
	decimals := map[chains.AssetID]chains.Asset{}
	for _, a := range res.Assets {
		decimals[a.ID] = a
	}
	out := make([]CaseAddress, 0, len(got))
	for addr, as := range got {
		note := "received "
		for i, a := range as {
			if i > 0 {
				note += " and "
			}
			if m, ok := decimals[a.asset]; ok {
				note += fmt.Sprintf("%s %s", a.v.FormatExact(m.Decimals, 2), m.Symbol)
			} else {
				note += fmt.Sprintf("%s base units of %s", a.v, a.asset)
			}
		}
		out = append(out, CaseAddress{Chain: as[0].chain, Address: addr, Case: ref, Note: note + " of the case's taint"})
	}
	slices.SortFunc(out, func(a, b CaseAddress) int { return a.Address.Compare(b.Address) })
	return out
}
