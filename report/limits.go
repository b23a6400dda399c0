package report

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// ownWallet reports whether an exchange endpoint is the exchange's own
// wallet (a hot or cold wallet from a label list) rather than a customer
// deposit address the trace identified (category deposit, or swept into
// the exchange). Funds that reached an own wallet directly are not a
// freeze target by address: the exchange must find the account credited.
func ownWallet(e trace.Endpoint) bool {
	return e.Kind == trace.KindExchange && e.Category != chains.CategoryDeposit && len(e.SweepTxs) == 0
}

// totalsOf sums endpoints by asset, in asset order. When some endpoints
// are own wallets, every total also says how much went where.
func totalsOf(eps []trace.Endpoint) []Total {
	split := slices.ContainsFunc(eps, ownWallet)
	byAsset := map[chains.AssetID]*Total{}
	for _, e := range eps {
		t := byAsset[e.Asset]
		if t == nil {
			t = &Total{Asset: e.Asset}
			if split {
				t.ToDeposits, t.ToOwnWallets = new(chains.Amount), new(chains.Amount)
			}
			byAsset[e.Asset] = t
		}
		t.Amount = t.Amount.Add(e.Amount)
		switch {
		case !split:
		case ownWallet(e):
			*t.ToOwnWallets = t.ToOwnWallets.Add(e.Amount)
		default:
			*t.ToDeposits = t.ToDeposits.Add(e.Amount)
		}
	}
	out := make([]Total, 0, len(byAsset))
	for _, t := range byAsset {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b Total) int { return a.Asset.Compare(b.Asset) })
	return out
}

// warningsFor keeps the warnings a recipient's reader must see: every
// warning about no address in particular, every missing-block-times
// warning, and every warning about one of the recipient's addresses. Each
// keeps only the addresses that are the recipient's.
func warningsFor(ws []trace.Warning, eps []trace.Endpoint) []trace.Warning {
	own := map[chains.Address]bool{}
	for _, e := range eps {
		own[e.Address] = true
	}
	var out []trace.Warning
	for _, w := range ws {
		var addrs []chains.Address
		for _, a := range w.Addresses {
			if own[a] {
				addrs = append(addrs, a)
			}
		}
		if len(w.Addresses) == 0 || len(addrs) > 0 || w.Code == trace.WarnNoBlockTimes {
			out = append(out, trace.Warning{Code: w.Code, Message: w.Message, Addresses: addrs})
		}
	}
	return out
}

// warningBlocks is the "Warnings / limits of this trace" section; nothing
// when there are no warnings.
func warningBlocks(m *Messages, ws []trace.Warning) []block {
	if len(ws) == 0 {
		return nil
	}
	items := make([][]span, 0, len(ws))
	for _, w := range ws {
		title := m.WarningCodes[w.Code]
		if title == "" {
			title = untrusted.Line(w.Code)
		}
		msg := untrusted.Line(w.Message)
		if msg != "" && !strings.HasSuffix(msg, ".") {
			msg += "."
		}
		item := []span{{Text: title + ":", Bold: true}, txt(" " + msg)}
		if len(w.Addresses) > 0 {
			names := make([]string, len(w.Addresses))
			for i, a := range w.Addresses {
				names[i] = a.String()
			}
			item = append(item, txt(" "+fmt.Sprintf(m.WarningAddresses, strings.Join(names, ", "))))
		}
		items = append(items, item)
	}
	return []block{heading{2, m.WarningsHeading}, p(span{Text: m.WarningsIntro, Bold: true}), list{Items: items}}
}

// arrival is the traced part of one transaction into an endpoint.
type arrival struct {
	tx     chains.TxHash
	block  uint64
	time   time.Time
	amount chains.Amount
	known  bool // a traced flow records it
}

type arrivalKey struct {
	chain chains.Chain
	tx    chains.TxHash
	to    chains.Address
	asset chains.AssetID
}

// arrivalIndex sums the taint each transaction brought to each address.
func arrivalIndex(fs []trace.Flow) map[arrivalKey]arrival {
	idx := map[arrivalKey]arrival{}
	for _, f := range fs {
		k := arrivalKey{f.Chain, f.Tx, f.To, f.Asset}
		a := idx[k]
		idx[k] = arrival{tx: f.Tx, block: f.Block, time: f.Time, amount: a.amount.Add(f.Tainted), known: true}
	}
	return idx
}

// arrivals lists the transactions that brought taint into e, with the
// time and traced amount the trace's flows give for each.
func arrivals(idx map[arrivalKey]arrival, e trace.Endpoint) []arrival {
	out := make([]arrival, len(e.Txs))
	for i, h := range e.Txs {
		out[i] = idx[arrivalKey{e.Chain, h, e.Address, e.Asset}]
		out[i].tx = h
	}
	if len(out) == 1 && !out[0].known {
		out[0].amount, out[0].known = e.Amount, true
	}
	return out
}

// ownWalletBlocks is the part of section 1 for the exchange's own wallets
// reached directly: for each, the transactions that credited a customer
// account the trace could not identify (block, time, amount traced), and
// the request to find it.
func ownWalletBlocks(m *Messages, r *trace.Result, rc *Recipient, as assets) []block {
	if !slices.ContainsFunc(rc.Endpoints, ownWallet) {
		return nil
	}
	idx := arrivalIndex(r.Flows)
	out := []block{heading{3, m.OwnWalletsHeading}}
	for _, e := range rc.Endpoints {
		if !ownWallet(e) {
			continue
		}
		t := table{Head: []string{m.ColTx, m.ColBlockTime, m.ColTraced}}
		for _, a := range arrivals(idx, e) {
			when, amount := cellOf(txt(m.TimeUnknown)), ""
			if a.known {
				when, amount = blockTime(m, a.block, a.time), as.money(a.amount, e.Asset)
			}
			t.Rows = append(t.Rows, []tcell{cellOf(link(e.Chain.FormatTx(a.tx), e.Chain.TxURL(a.tx), true)), when, num(amount)})
		}
		out = append(out, p(span{Text: fmt.Sprintf(m.AddressTitle, rc.AddressNumber(e.Chain, e.Address), e.Address), Bold: true}),
			p(txt(fmt.Sprintf(m.OwnWalletLine, e.Address))))
		if reason := attribution(m, rc, e); reason != "" {
			out = append(out, p(txt(fmt.Sprintf(m.Attribution, reason))))
		}
		if len(t.Rows) > 0 {
			out = append(out, t)
		}
	}
	return out
}
