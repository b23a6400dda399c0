package report

import (
	"fmt"
	"slices"
	"strings"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// stateBlocks say where the funds at one of the letter's freeze targets
// stand: its balance (at a live head, or as of the end of the data), the
// issuer's freeze status, its newest outgoing transfer and what moved on
// after the trace's data. Nothing for an endpoint that is no freeze
// target; a plain warning for one whose holding was never read.
func (in letterInput) stateBlocks(m *Messages, e trace.Endpoint) []block {
	if !trace.IsFreezeTarget(e) {
		return nil
	}
	h := in.Recipient.HoldingOf(e)
	if h == nil {
		return []block{p(span{Text: m.HoldingNotRead, Bold: true})}
	}
	out := []block{p(span{Text: balanceLine(m, in.Assets, *h), Bold: true})}
	for _, l := range freezeLines(m, in.Assets, *h) {
		out = append(out, p(txt(l)))
	}
	if lo := h.LastOut; lo != nil {
		to := in.counterparty(m, h.Chain, lo.To)
		if slices.Contains(e.SweepTxs, lo.Tx) {
			to += " (" + fmt.Sprintf(m.SweepTo, in.Recipient.Name) + ")"
		}
		out = append(out, p(txt(fmt.Sprintf(m.LastOut, m.when(lo.Time), in.Assets.money(lo.Amount, h.Asset), to, h.Chain.FormatTx(lo.Tx)))))
	} else if h.Balance != nil {
		out = append(out, p(txt(fmt.Sprintf(m.NoLastOut, h.Block))))
	}
	if len(h.Onward) > 0 {
		items := make([][]span, len(h.Onward))
		for i, mv := range h.Onward {
			items[i] = []span{txt(fmt.Sprintf(m.OnwardLine, in.Assets.money(mv.Amount, h.Asset), in.counterparty(m, h.Chain, mv.To),
				h.Chain.FormatTx(mv.Tx), m.when(mv.Time)))}
		}
		out = append(out, p(txt(m.OnwardHeading)), list{Items: items})
	}
	if s := h.State(); in.Recipient.Kind.custodial() && (s == trace.StateEmpty || s == trace.StatePartial) {
		out = append(out, p(txt(m.DepositMoved)))
	}
	return out
}

// balanceLine is the holding's balance: "Holds … at block N, TIME" from a
// live source, "Held … as of the end of the data, block N (TIME)" else.
func balanceLine(m *Messages, as assets, h trace.Holding) string {
	when := m.when(h.Time)
	if h.Balance == nil {
		return fmt.Sprintf(m.BalanceUnknown, h.Block, when)
	}
	format := m.HoldsAsOf
	switch {
	case h.Live && h.Balance.IsZero():
		format = m.EmptyLive
	case h.Live:
		format = m.HoldsLive
	case h.Balance.IsZero():
		format = m.EmptyAsOf
	}
	return fmt.Sprintf(format, as.money(*h.Balance, h.Asset), display(h.Traced, as.get(h.Asset).Decimals), h.Block, when)
}

// freezeLines are the issuer's freeze status of the holding's address:
// already frozen (with the freezing transaction when known), not frozen,
// or not read; nothing for a token whose issuer cannot freeze.
func freezeLines(m *Messages, as assets, h trace.Holding) []string {
	f := h.Freeze
	if f == nil {
		if sc, ok := chains.SchemeOf(h.Asset); ok {
			return []string{fmt.Sprintf(m.FreezeNotRead, sc.Issuer)}
		}
		return nil
	}
	issuer := f.Issuer
	if issuer == "" {
		issuer = chains.Issuer(h.Asset)
	}
	if !f.Frozen {
		return []string{fmt.Sprintf(m.NotFrozen, issuer, f.Block)}
	}
	line := fmt.Sprintf(m.FrozenNoTx, issuer, f.Block)
	if !f.Tx.IsZero() {
		line = fmt.Sprintf(m.FrozenTx, issuer, h.Chain.FormatTx(f.Tx), m.when(f.TxTime), f.TxBlock)
	}
	out := []string{line}
	if f.Note != "" {
		out = append(out, fmt.Sprintf(m.FreezeDetail, f.Note))
	}
	if f.Destroyed != nil {
		out = append(out, fmt.Sprintf(m.Destroyed, issuer, as.money(*f.Destroyed, h.Asset)))
	}
	return out
}

// counterparty is an address funds moved to, with what it is when it is
// an endpoint of the trace: "T… (an endpoint of this trace: exchange,
// Binance)".
func (in letterInput) counterparty(m *Messages, c chains.Chain, a chains.Address) string {
	for _, e := range in.Result.Endpoints {
		if e.Chain != c || e.Address != a {
			continue
		}
		what := m.Kinds[e.Kind]
		if what == "" {
			what = untrusted.Line(string(e.Kind))
		}
		if entity := untrusted.Line(e.Entity); entity != "" {
			what += ", " + entity
		}
		return a.String() + " (" + fmt.Sprintf(m.OnwardEndpoint, what) + ")"
	}
	return a.String()
}

// stateCell is the addresses table's balance cell: the balance and the
// state in a few words.
func stateCell(m *Messages, as assets, rc *Recipient, e trace.Endpoint) tcell {
	if !trace.IsFreezeTarget(e) {
		return num("")
	}
	h := rc.HoldingOf(e)
	if h == nil {
		return num(m.StateNotRead)
	}
	c := num(m.States[h.State()])
	if h.Balance != nil {
		c.Lines = append([]span{txt(display(*h.Balance, as.get(h.Asset).Decimals))}, c.Lines...)
	}
	return c
}

// numbered lists the letter's numbers of the endpoints for which keep is
// true, in the letter's order, once each: "1, 3".
func numbered(rc *Recipient, keep func(trace.Endpoint) bool) string {
	var out []string
	for _, e := range rc.Endpoints {
		if n := rc.AddressNumber(e.Chain, e.Address); keep(e) && !ownWallet(e) && n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return strings.Join(out, ", ")
}

// stateIs says whether an endpoint of rc is a freeze target in one of states.
func (rc *Recipient) stateIs(e trace.Endpoint, states ...trace.State) bool {
	h := rc.HoldingOf(e)
	if !trace.IsFreezeTarget(e) || h == nil {
		return false
	}
	for _, s := range states {
		if h.State() == s {
			return true
		}
	}
	return false
}
