package trace

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
)

// Summary writes a short report for people: the case, the traced totals
// per endpoint kind and entity in display units, then every endpoint that
// can be acted on (exchanges, and held funds with the issuer that can
// freeze them).
func Summary(w io.Writer, r *Result) error {
	dec := map[chains.AssetID]chains.Asset{}
	for _, a := range r.Assets {
		dec[a.ID] = a
	}
	show := func(id chains.AssetID, v chains.Amount) string {
		a := dec[id]
		s := v.FormatFixed(a.Decimals, int32(min(a.Decimals, 6)))
		if a.Symbol != "" {
			s += " " + untrusted.Terminal(a.Symbol)
		}
		return s
	}
	var total chains.Amount
	var asset chains.AssetID
	for _, s := range r.Origins {
		total, asset = total.Add(s.Amount), s.Asset
	}
	bw := &errWriter{w: w}
	fmt.Fprintf(bw, "Traced %d victim payment(s), %s in total, under rule %s (max hops %d, min amount %s, max degree %d).\n",
		len(r.Origins), show(asset, total), r.Rule, r.Params.MaxHops, r.Params.MinAmount, r.Params.MaxDegree)
	type group struct {
		kind   Kind
		entity string
		asset  chains.AssetID
		amt    chains.Amount
		value  chains.Amount
		n      int
	}
	var gs []*group
	for _, e := range r.Endpoints {
		var g *group
		for _, x := range gs {
			if x.kind == e.Kind && x.entity == e.Entity && x.asset == e.Asset {
				g = x
			}
		}
		if g == nil {
			g = &group{kind: e.Kind, entity: e.Entity, asset: e.Asset}
			gs = append(gs, g)
		}
		g.amt, g.value, g.n = g.amt.Add(e.Amount), g.value.Add(e.Value), g.n+1
	}
	slices.SortStableFunc(gs, func(a, b *group) int {
		if c := kindRank(a.kind) - kindRank(b.kind); c != 0 {
			return c
		}
		if c := b.amt.Cmp(a.amt); c != 0 {
			return c
		}
		return strings.Compare(a.entity, b.entity)
	})
	rows := [][]string{{"endpoint", "entity", "addresses", "amount"}}
	for _, g := range gs {
		amt := show(g.asset, g.amt)
		if g.asset != asset && g.kind != KindUnknown {
			amt += " (worth " + show(asset, g.value) + ")"
		}
		rows = append(rows, []string{string(g.kind), orDash(g.entity), strconv.Itoa(g.n), amt})
	}
	fmt.Fprintln(bw)
	table(bw, rows, []bool{false, false, true, true})
	for _, g := range gs {
		if g.kind == KindUnknown {
			fmt.Fprintln(bw, "unknown_funds are clean funds of unknown origin assumed where a ledger was incomplete; they are not taint.")
			break
		}
	}
	rows = [][]string{{"freeze target", "entity", "address", "hops", "amount"}}
	for _, e := range r.Endpoints {
		who := e.Entity
		switch {
		case e.Kind == KindExchange && e.Category == chains.CategoryExchange:
			who += " (its own wallet: deposit address not identified)"
		case e.Kind == KindExchange, e.Kind == KindInstantExchanger:
		case e.Kind == KindBridge && (e.DestChain != "" || e.Recipient != ""):
			who += fmt.Sprintf(" (bridged to chain %s, recipient %s)", orDash(e.DestChain), orDash(e.Recipient))
		case e.Kind == KindHeld && chains.Issuer(e.Asset) != "":
			who = chains.Issuer(e.Asset) + " (issuer freeze)"
		default:
			continue
		}
		amt := show(e.Asset, e.Amount)
		if e.Asset != asset {
			amt += " (worth " + show(asset, e.Value) + ")"
		}
		rows = append(rows, []string{string(e.Kind), orDash(who), e.Address.String(), strconv.Itoa(e.Hops), amt})
	}
	if len(rows) > 1 {
		fmt.Fprintln(bw)
		table(bw, rows, []bool{false, false, false, true, true})
	}
	conversionsSummary(bw, r, asset, show)
	holdingsSummary(bw, r, show)
	fmt.Fprintf(bw, "\n%d traced transfers, %d ledger steps.\n", len(r.Flows), len(r.Ledger))
	for _, x := range r.Warnings {
		fmt.Fprintf(bw, "WARNING (%s): %s\n", x.Code, untrusted.Terminal(x.Message))
	}
	return bw.err
}

// table writes rows in columns; right[i] right-aligns column i.
func table(w io.Writer, rows [][]string, right []bool) {
	width := make([]int, len(right))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// orDash is third-party text for the terminal, or "-" when none is left.
func orDash(s string) string {
	if s = untrusted.Terminal(s); s == "" {
		return "-"
	}
	return s
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// holdingsSummary writes where the funds at the freeze targets stand: at a
// live head ("now") or as of the end of the data, never both in one
// sentence, with the frozen ones counted.
func holdingsSummary(w io.Writer, r *Result, show func(chains.AssetID, chains.Amount) string) {
	if len(r.Holdings) == 0 {
		for _, e := range r.Endpoints {
			if IsFreezeTarget(e) {
				fmt.Fprintln(w, "\nBalances and freeze status of the freeze targets were not read.")
				return
			}
		}
		return
	}
	h0 := r.Holdings[0]
	if h0.Live {
		fmt.Fprintf(w, "\nNow, at block %d (%s), read %s:\n", h0.Block, when(h0.Time), when(h0.Checked))
	} else {
		fmt.Fprintf(w, "\nAs of the end of the data, block %d (%s); no live source was asked:\n", h0.Block, when(h0.Time))
	}
	rows := [][]string{{"state", "address", "balance", "of traced", "last outgoing", "issuer"}}
	var frozen int
	var frozenAmt chains.Amount
	for _, h := range r.Holdings {
		bal, last, issuer := "unknown", "-", "-"
		if h.Balance != nil {
			bal = show(h.Asset, *h.Balance)
		}
		if h.LastOut != nil {
			last = when(h.LastOut.Time)
		}
		if f := h.Freeze; f != nil && f.Frozen {
			frozen, frozenAmt = frozen+1, frozenAmt.Add(h.Traced)
			issuer = "frozen by " + untrusted.Terminal(f.Issuer)
			if !f.TxTime.IsZero() {
				issuer += " " + when(f.TxTime)
			}
		} else if f != nil {
			issuer = "not frozen by " + untrusted.Terminal(f.Issuer)
		}
		rows = append(rows, []string{string(h.State()), h.Address.String(), bal, show(h.Asset, h.Traced), last, issuer})
	}
	table(w, rows, []bool{false, false, true, true, false, false})
	if frozen > 0 {
		noun := "addresses"
		if frozen == 1 {
			noun = "address"
		}
		fmt.Fprintf(w, "Frozen by the issuer: %d %s, %s traced.\n", frozen, noun, show(h0.Asset, frozenAmt))
	}
	// The same note for many addresses is said once, with the count.
	var notes []string
	count, first := map[string]int{}, map[string]chains.Address{}
	for _, h := range r.Holdings {
		for _, m := range h.Warnings {
			if count[m] == 0 {
				notes, first[m] = append(notes, m), h.Address
			}
			count[m]++
		}
	}
	for _, m := range notes {
		if count[m] == 1 {
			fmt.Fprintf(w, "note: %s: %s\n", first[m], untrusted.Terminal(m))
			continue
		}
		fmt.Fprintf(w, "note (%d of %d addresses): %s\n", count[m], len(r.Holdings), untrusted.Terminal(m))
	}
}

// when writes a time as the summary does, "unknown" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "time unknown"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// conversionsSummary writes, when taint went through swaps, the totals per
// asset, the total in the victims' asset, and each conversion in one line.
func conversionsSummary(w io.Writer, r *Result, victims chains.AssetID, show func(chains.AssetID, chains.Amount) string) {
	if len(r.Conversions) == 0 {
		return
	}
	type tot struct{ amt, value chains.Amount }
	per := map[chains.AssetID]*tot{}
	for _, e := range r.Endpoints {
		if e.Kind == KindUnknown {
			continue
		}
		t := per[e.Asset]
		if t == nil {
			t = &tot{}
			per[e.Asset] = t
		}
		t.amt, t.value = t.amt.Add(e.Amount), t.value.Add(e.Value)
	}
	fmt.Fprintln(w, "\nTaint at the endpoints, per asset:")
	var all, rated chains.Amount
	for _, a := range r.Assets {
		t := per[a.ID]
		if t == nil {
			continue
		}
		if a.ID == victims {
			fmt.Fprintf(w, "  %s\n", show(a.ID, t.amt))
			all = all.Add(t.amt)
			continue
		}
		fmt.Fprintf(w, "  %s, worth %s at the trace's conversion rates\n", show(a.ID, t.amt), show(victims, t.value))
		all, rated = all.Add(t.value), rated.Add(t.value)
	}
	fmt.Fprintf(w, "In the victims' asset: %s in total, of which %s rests on conversion rates.\n", show(victims, all), show(victims, rated))
	fmt.Fprintf(w, "\n%d conversion(s) (swaps and wraps) carried taint across assets:\n", len(r.Conversions))
	for i, c := range r.Conversions {
		got := c.Received[0]
		kinds := make([]string, len(c.Events))
		for j, e := range c.Events {
			kinds[j] = fmt.Sprintf("%s at %s", e.Kind, e.Contract)
		}
		fmt.Fprintf(w, "  %d. %s in %s: sent %s (%s tainted), received %s (%s tainted); %s\n", i+1, c.Address, c.Chain.FormatTx(c.Tx),
			show(c.Sent.Asset, c.Sent.Amount), show(c.Sent.Asset, c.Sent.Tainted), show(got.Asset, got.Amount), show(got.Asset, got.Tainted), strings.Join(kinds, ", "))
	}
}
