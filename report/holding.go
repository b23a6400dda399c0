package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// Codes of the warnings the report adds about its freeze targets'
// holdings (trace.Result.Holdings), beside the trace's own.
const (
	// WarnHoldingsNotRead: freeze targets with no holding, whose balance
	// and freeze status were never read (a trace.json written without them).
	WarnHoldingsNotRead = "holdings_not_read"
	// WarnHoldingIncomplete: what a holding says could not be read.
	WarnHoldingIncomplete = "holding_incomplete"
)

// Why a recipient gets no letter (Recipient.NoLetter).
const (
	NoLetterFrozen        = "all_frozen"          // every address it could act on is already frozen
	NoLetterEmpty         = "all_empty"           // every address holds none of the traced funds
	NoLetterFrozenOrEmpty = "all_frozen_or_empty" // each is one or the other
)

// Standing splits a total by where the funds at the freeze targets stand,
// from their holdings: Left is at the addresses (at most the traced amount
// per address), Frozen was traced to addresses their issuer has frozen,
// Moved has left the addresses, and Unknown is at addresses whose balance
// is not known (no holding, or it could not be read). They sum to the
// traced amount at the freeze targets.
type Standing struct {
	Left    chains.Amount `json:"left"`
	Frozen  chains.Amount `json:"frozen"`
	Moved   chains.Amount `json:"moved"`
	Unknown chains.Amount `json:"unknown"`
}

// HoldingOf returns the holding of one of the recipient's endpoints, nil
// when it has none (not a freeze target, or never read).
func (rc *Recipient) HoldingOf(e trace.Endpoint) *trace.Holding {
	for i := range rc.Holdings {
		h := &rc.Holdings[i]
		if h.Chain == e.Chain && h.Address == e.Address && h.Asset == e.Asset {
			return h
		}
	}
	return nil
}

// fillHoldings takes the holdings of the recipient's freeze targets from
// hs, splits its totals by them and decides whether it gets a letter.
func (rc *Recipient) fillHoldings(hs []trace.Holding) {
	for _, e := range rc.Endpoints {
		if !trace.IsFreezeTarget(e) {
			continue
		}
		if i := slices.IndexFunc(hs, func(h trace.Holding) bool {
			return h.Chain == e.Chain && h.Address == e.Address && h.Asset == e.Asset
		}); i >= 0 {
			rc.Holdings = append(rc.Holdings, cleanHolding(hs[i]))
		}
	}
	for i := range rc.Totals {
		rc.Totals[i].Standing = rc.standing(rc.Totals[i].Asset)
	}
	frozen, empty := 0, 0
	for _, e := range rc.Endpoints {
		if rc.Requested(e) {
			rc.Letter = true
			return
		}
		if stateOf(rc.HoldingOf(e)) == trace.StateFrozen {
			frozen++
		} else {
			empty++
		}
	}
	switch {
	case empty == 0:
		rc.NoLetter = NoLetterFrozen
	case frozen == 0:
		rc.NoLetter = NoLetterEmpty
	default:
		rc.NoLetter = NoLetterFrozenOrEmpty
	}
}

// Requested reports whether the recipient is asked to act on endpoint e:
// not when it is a freeze target already frozen, nor, for an issuer, one
// that holds none of the traced funds. A freeze target whose holding is
// not known is asked for (the letter says it was not read). An exchange
// is asked to act on a deposit address whatever it holds: a deposit
// address passes its funds on to the exchange's own wallets, so its
// balance does not show what was credited to the customer.
func (rc *Recipient) Requested(e trace.Endpoint) bool {
	if !trace.IsFreezeTarget(e) {
		return true
	}
	h := rc.HoldingOf(e)
	switch {
	case h == nil:
		return true
	case rc.Kind.custodial():
		return h.State() != trace.StateFrozen
	}
	return h.Actionable()
}

// standing splits what was traced to the recipient's freeze targets in
// asset by their holdings; nil when it has no freeze target in asset.
func (rc *Recipient) standing(asset chains.AssetID) *Standing {
	var s *Standing
	for _, e := range rc.Endpoints {
		if e.Asset != asset || !trace.IsFreezeTarget(e) {
			continue
		}
		if s == nil {
			s = &Standing{}
		}
		h := rc.HoldingOf(e)
		switch {
		case stateOf(h) == trace.StateFrozen:
			s.Frozen = s.Frozen.Add(e.Amount)
		case h == nil || h.Balance == nil:
			s.Unknown = s.Unknown.Add(e.Amount)
		default:
			left := h.Balance.Min(e.Amount)
			s.Left = s.Left.Add(left)
			s.Moved = s.Moved.Add(e.Amount.SubFloor(left))
		}
	}
	return s
}

// stateOf is the holding's state; a target with no holding is unknown.
func stateOf(h *trace.Holding) trace.State {
	if h == nil {
		return trace.StateUnknown
	}
	return h.State()
}

// cleanHolding is a copy of h whose text from outside (source errors,
// label names in a freeze note) is one clean line each.
func cleanHolding(h trace.Holding) trace.Holding {
	h.Onward = slices.Clone(h.Onward)
	ws := make([]string, 0, len(h.Warnings))
	for _, w := range h.Warnings {
		if w = untrusted.Line(w); w != "" {
			ws = append(ws, w)
		}
	}
	h.Warnings = ws
	if len(ws) == 0 {
		h.Warnings = nil
	}
	if h.Freeze != nil {
		f := *h.Freeze
		f.Issuer, f.Note = untrusted.Line(f.Issuer), untrusted.Line(f.Note)
		h.Freeze = &f
	}
	return h
}

// target is a freeze target and its holding, nil when it has none.
type target struct {
	e trace.Endpoint
	h *trace.Holding
}

// targets are the recipient's freeze targets, in Endpoints order.
func (rc *Recipient) targets() []target {
	var out []target
	for _, e := range rc.Endpoints {
		if trace.IsFreezeTarget(e) {
			out = append(out, target{e, rc.HoldingOf(e)})
		}
	}
	return out
}

// holdingWarnings are the warnings about the targets' holdings: the
// targets that have none, and what each holding could not read. A
// holding of a token whose issuer can freeze, with no freeze status and
// no warning of its own, gets one. Warnings with the same text are one,
// with every address they concern; they are sorted by code, then text.
func holdingWarnings(m *Messages, ts []target) []trace.Warning {
	type key struct{ code, msg string }
	byKey := map[key][]chains.Address{}
	add := func(code, msg string, a chains.Address) {
		k := key{code, msg}
		if !slices.Contains(byKey[k], a) {
			byKey[k] = append(byKey[k], a)
		}
	}
	for _, t := range ts {
		if t.h == nil {
			add(WarnHoldingsNotRead, m.HoldingsNotRead, t.e.Address)
			continue
		}
		for _, w := range t.h.Warnings {
			add(WarnHoldingIncomplete, w, t.e.Address)
		}
		if sc, ok := chains.SchemeOf(t.e.Asset); ok && t.h.Freeze == nil && len(t.h.Warnings) == 0 {
			add(WarnHoldingIncomplete, fmt.Sprintf(m.FreezeNotReadWarning, sc.Issuer), t.e.Address)
		}
	}
	out := make([]trace.Warning, 0, len(byKey))
	for k, as := range byKey {
		slices.SortFunc(as, chains.Address.Compare)
		out = append(out, trace.Warning{Code: k.code, Message: k.msg, Addresses: as})
	}
	slices.SortFunc(out, func(a, b trace.Warning) int {
		return cmp.Or(strings.Compare(a.Code, b.Code), strings.Compare(a.Message, b.Message))
	})
	return out
}

// noLetterText says why the recipient gets no letter, "" when it gets one.
func noLetterText(m *Messages, rc *Recipient) string {
	if rc.Letter {
		return ""
	}
	frozen, empty := 0, 0
	for _, t := range rc.targets() {
		if stateOf(t.h) == trace.StateFrozen {
			frozen++
		} else {
			empty++
		}
	}
	format, ok := m.NoLetter[rc.NoLetter]
	if !ok {
		return untrusted.Line(rc.NoLetter)
	}
	switch rc.NoLetter {
	case NoLetterFrozen:
		return fmt.Sprintf(format, frozen)
	case NoLetterEmpty:
		return fmt.Sprintf(format, empty)
	}
	return fmt.Sprintf(format, frozen, empty)
}

// stamp is when and at which block a group of holdings was read.
type stamp struct {
	chain   chains.Chain
	live    bool
	block   uint64
	time    time.Time
	checked time.Time
}

// stampBlocks say when the holdings were read: one sentence per chain and
// block, naming the chain when there are several.
func stampBlocks(m *Messages, hs []trace.Holding) []block {
	var ss []stamp
	for _, h := range hs {
		s := stamp{h.Chain, h.Live, h.Block, h.Time.UTC(), h.Checked.UTC()}
		if !slices.Contains(ss, s) {
			ss = append(ss, s)
		}
	}
	slices.SortFunc(ss, func(a, b stamp) int {
		return cmp.Or(strings.Compare(string(a.chain), string(b.chain)), cmp.Compare(a.block, b.block), a.checked.Compare(b.checked))
	})
	several := slices.ContainsFunc(ss, func(s stamp) bool { return s.chain != ss[0].chain })
	var out []block
	for _, s := range ss {
		line := fmt.Sprintf(m.StampAsOf, s.block, m.when(s.time))
		if s.live {
			line = fmt.Sprintf(m.StampLive, m.when(s.checked), s.block)
		}
		if several {
			line = fmt.Sprintf(m.StampChain, chainName(s.chain), line)
		}
		out = append(out, p(span{Text: line, Bold: true}))
	}
	return out
}

// standingText is a Standing in words, its nonzero parts joined by ", ".
func standingText(m *Messages, as assets, asset chains.AssetID, s Standing) []string {
	var out []string
	for _, part := range []struct {
		v      chains.Amount
		format string
	}{{s.Left, m.StandingLeft}, {s.Frozen, m.StandingFrozen}, {s.Moved, m.StandingMoved}, {s.Unknown, m.StandingUnknown}} {
		if !part.v.IsZero() {
			out = append(out, fmt.Sprintf(part.format, as.money(part.v, asset)))
		}
	}
	return out
}
