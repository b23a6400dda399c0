package report

import (
	"strings"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// assets answers the symbol and decimals of the assets a trace moved.
type assets map[chains.AssetID]chains.Asset

func newAssets(r *trace.Result) assets {
	m := make(assets, len(r.Assets))
	for _, a := range r.Assets {
		m[a.ID] = a
	}
	return m
}

// get returns the asset's metadata. An asset the trace does not describe is
// the chain's native coin when its contract is zero, otherwise shown in
// base units with no symbol of its own.
func (m assets) get(id chains.AssetID) chains.Asset {
	if a, ok := m[id]; ok {
		return a
	}
	if id.IsNative() && id.Chain.Valid() {
		return id.Chain.Native()
	}
	return chains.Asset{ID: id, Symbol: "", Decimals: 0}
}

// symbol is the asset's symbol cleaned for display, or its id when the
// token names none.
func (m assets) symbol(id chains.AssetID) string {
	s := untrusted.Line(m.get(id).Symbol)
	if s == "" {
		return "units of " + id.String()
	}
	return s
}

// display shows a in display units, exactly (no rounding), with thousands
// separators and at least two decimals when the asset has them: "1,500.25".
func display(a chains.Amount, decimals uint8) string {
	exact := a.Format(decimals)
	places := 0
	if _, frac, ok := strings.Cut(exact, "."); ok {
		places = len(frac)
	}
	places = max(places, min(2, int(decimals)))
	return a.FormatFixed(decimals, int32(places))
}

// money shows a with its symbol: "1,500.25 USDT".
func (m assets) money(a chains.Amount, id chains.AssetID) string {
	return display(a, m.get(id).Decimals) + " " + m.symbol(id)
}

// shareOf returns the part of shares that belongs to source id.
func shareOf(shares []trace.Share, id string) chains.Amount {
	for _, s := range shares {
		if s.Source == id {
			return s.Amount
		}
	}
	return chains.Amount{}
}
