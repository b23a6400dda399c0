package report

import (
	"fmt"
	"strconv"
	"strings"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// transfer is section 5, the asset transfer: the method (rule,
// thresholds, the audit ledger and how to re-trace), the flow diagram,
// each address with why it is attributed, where its funds stand and the
// transfers into it, then every path from a victim payment, hop by hop,
// and where the data came from.
func (in letterInput) transfer(m *Messages) []block {
	r := in.Result
	out := []block{heading{2, m.Section5}, p(txt(fmt.Sprintf(m.RuleLine, ruleText(m, r.Rule)))),
		p(span{Text: m.Thresholds, Bold: true}), list{Items: thresholds(m, r)},
		p(txt(m.LedgerIntro)), p(mono(retraceCommand(r, in.Recipient.Origins)))}
	if in.Diagram != nil || in.GraphFile != "" {
		out = append(out, figure{Caption: m.FigureCaption, File: in.GraphFile, Diagram: in.Diagram})
	}
	out = append(out, in.addressDetails(m)...)
	out = append(out, in.paths(m)...)
	return append(out, p(span{Text: m.ProvenanceHeading, Bold: true}), provenanceTable(m, r.Provenance))
}

// retraceCommand is the trace command that repeats this trace from the
// letter's payments.
func retraceCommand(r *trace.Result, srcs []trace.Origin) string {
	if len(srcs) == 0 {
		return ""
	}
	s := srcs[0]
	asset := "native"
	if !s.Asset.IsNative() {
		asset = s.Asset.Contract.String()
	}
	cmd := []string{"freezetrace trace --chain", string(s.Chain), "--asset", asset, "--rule", string(r.Rule),
		"--max-hops", strconv.Itoa(r.Params.MaxHops), "--max-degree", strconv.Itoa(r.Params.MaxDegree),
		"--min-amount", r.Params.MinAmount.String()}
	if r.Params.Until != nil {
		cmd = append(cmd, "--until", r.Params.Until.UTC().Format("2006-01-02T15:04:05Z"))
	}
	for _, o := range srcs {
		cmd = append(cmd, "--victim-tx", o.Chain.FormatTx(o.Tx)+":"+strconv.FormatUint(uint64(o.Position), 10))
	}
	return strings.Join(cmd, " ")
}

// addressDetails says, for each address to act on, why it is attributed
// to the recipient, where its funds stand, the transfers that brought
// traced funds into it and, for a deposit address, its sweeps.
func (in letterInput) addressDetails(m *Messages) []block {
	rc := in.Recipient
	var out []block
	for _, e := range rc.Endpoints {
		if ownWallet(e) {
			continue
		}
		out = append(out, heading{3, fmt.Sprintf(m.AddressTitle, rc.AddressNumber(e.Chain, e.Address), e.Address)})
		if reason := attribution(m, rc, e); reason != "" {
			why := m.Attribution
			if e.Kind == trace.KindHeld {
				why = m.StopReason
			}
			out = append(out, p(txt(fmt.Sprintf(why, reason))))
		}
		if line := bridgeLine(m, e); line != "" {
			out = append(out, p(txt(line)))
		}
		if w := endpointWorth(m, in.Assets, in.Result, e); w != "" {
			out = append(out, p(txt(fmt.Sprintf(m.TracedWorth, in.Assets.money(e.Amount, e.Asset))+w+".")))
		}
		out = append(out, in.stateBlocks(m, e)...)
		if len(e.Txs) > 0 {
			out = append(out, p(txt(fmt.Sprintf(m.DepositTxs, e.Address))), in.arrivalTable(m, e))
		}
		if len(e.SweepTxs) > 0 {
			out = append(out, p(txt(fmt.Sprintf(m.SweepTxs, e.Address, rc.Name))), txTable(m, e.Chain, e.SweepTxs))
		}
	}
	return out
}

// arrivalTable lists the transfers into e that carried traced funds: tx,
// block and time, the amount and the part of it traced.
func (in letterInput) arrivalTable(m *Messages, e trace.Endpoint) table {
	as := in.Assets
	t := table{Head: []string{m.ColTx, m.ColBlockTime, m.ColAmount, m.ColTraced}}
	for _, h := range e.Txs {
		var amount, traced chains.Amount
		var f *trace.Flow
		for i := range in.Result.Flows {
			g := &in.Result.Flows[i]
			if g.Chain == e.Chain && g.Tx == h && g.To == e.Address && g.Asset == e.Asset {
				amount, traced = amount.Add(g.Amount), traced.Add(g.Tainted)
				f = g
			}
		}
		row := []tcell{cellOf(link(e.Chain.FormatTx(h), e.Chain.TxURL(h), true))}
		if f == nil {
			row = append(row, cellOf(txt(m.TimeUnknown)), num(""), num(""))
		} else {
			row = append(row, blockTime(m, f.Block, f.Time), num(as.money(amount, e.Asset)), num(as.money(traced, e.Asset)))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// paths is every path from a victim's payment to one of the recipient's
// addresses, hop by hop: block and time, transaction, sender and receiver,
// the amount moved and the part traced from that payment.
func (in letterInput) paths(m *Messages) []block {
	rc, as := in.Recipient, in.Assets
	out := []block{heading{3, m.PathsHeading}, p(txt(m.PathsIntro))}
	if len(rc.Conversions) > 0 {
		out = append(out, p(txt(m.ConversionRule)))
	}
	srcs := map[string]trace.Origin{}
	for _, s := range in.Result.Origins {
		srcs[s.ID] = s
	}
	for _, path := range rc.Paths {
		e := rc.Endpoints[path.Endpoint]
		n, _ := strconv.Atoi(rc.AddressNumber(e.Chain, e.Address))
		out = append(out, p(span{Text: fmt.Sprintf(m.PathTitle, path.ID, path.Source, victimName(in.Case, srcs[path.Source], m), n,
			plural(len(path.Hops)-1, m.HopOne, m.HopMany)), Bold: true}))
		t := table{Head: []string{m.ColHop, m.ColBlockTime, m.ColTransfer, m.ColMoved, m.ColFromVictim}}
		for i, h := range path.Hops {
			hop := cellOf(txt(strconv.Itoa(i)))
			if h.Payment {
				hop.Lines = append(hop.Lines, txt(m.VictimPayment))
			}
			if h.Conversion != 0 {
				hop.Lines = append(hop.Lines, txt(fmt.Sprintf(m.ConversionLabel, h.Conversion)))
			}
			when := cellOf(txt(fmt.Sprintf(m.BlockN, strconv.FormatUint(h.Block, 10))), txt(h.Time))
			if h.Time == "" {
				when.Lines[1] = txt(m.TimeUnknown)
			}
			t.Rows = append(t.Rows, []tcell{
				hop,
				when,
				cellOf(link(h.Chain.FormatTx(h.Tx), h.Chain.TxURL(h.Tx), true),
					mono(fmt.Sprintf(m.From1, h.From)), mono(fmt.Sprintf(m.To1, h.To))),
				num(as.money(h.Amount, path.assetOf(h))),
				num(as.money(h.Traced, path.assetOf(h))),
			})
		}
		out = append(out, t)
		if steps := pathConversions(m, as, in.Result, path); len(steps) > 0 {
			out = append(out, list{Items: steps})
		}
	}
	if rc.Truncated {
		out = append(out, p(txt(fmt.Sprintf(m.PathTruncated, maxPaths))))
	}
	return out
}

// attribution is why an endpoint is the recipient's, for the letter's
// prose: an attribution from a label list is said without the list's
// internal name and confidence (the evidence tables keep them); any other
// reason (the deposit-sweep evidence, why the trace stopped) as the trace
// gives it.
func attribution(m *Messages, rc *Recipient, e trace.Endpoint) string {
	reason := untrusted.Line(e.Reason)
	if len(e.Labels) == 0 || !strings.HasPrefix(reason, "labeled ") || e.Kind != trace.KindExchange {
		return reason
	}
	return fmt.Sprintf(m.LabeledWallet, rc.Name)
}

func txTable(m *Messages, c chains.Chain, txs []chains.TxHash) table {
	t := table{Head: []string{m.ColTx}}
	for _, h := range txs {
		t.Rows = append(t.Rows, []tcell{cellOf(link(c.FormatTx(h), c.TxURL(h), true))})
	}
	return t
}

func provenanceTable(m *Messages, ps []chains.Provenance) table {
	t := table{Head: []string{m.ColChain, m.ColSource, m.ColBlock, m.ColRetrieved, m.ColDetail}}
	for _, pv := range ps {
		t.Rows = append(t.Rows, []tcell{
			cellOf(txt(chainName(pv.Chain))), cellOf(txt(pv.Source)), num(strconv.FormatUint(pv.Block, 10)),
			cellOf(txt(m.when(pv.Retrieved))), cellOf(txt(pv.Detail)),
		})
	}
	return t
}

func thresholds(m *Messages, r *trace.Result) [][]span {
	pr := r.Params
	minAmount := txt(fmt.Sprintf(m.MinAmount, pr.MinAmount))
	if len(r.Conversions) > 0 && len(r.Origins) > 0 {
		// With swaps the floor is in the victims' asset, and applies to
		// other assets through their worth in it.
		a := newAssets(r)[r.Origins[0].Asset]
		minAmount = txt(fmt.Sprintf(m.MinAmountSwaps, pr.MinAmount, a.Symbol))
	}
	until := m.NoUntil
	if pr.Until != nil {
		until = fmt.Sprintf(m.Until, m.when(*pr.Until))
	}
	return [][]span{
		{txt(fmt.Sprintf(m.MaxHops, pr.MaxHops))},
		{minAmount},
		{txt(until)},
		{txt(fmt.Sprintf(m.MaxDegree, pr.MaxDegree))},
	}
}

func ruleText(m *Messages, r trace.Rule) string {
	if s, ok := m.Rules[r]; ok {
		return s
	}
	return string(r)
}
