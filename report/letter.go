package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// letterInput is what one letter is made of.
type letterInput struct {
	Case      *CaseFile
	Result    *trace.Result
	Recipient *Recipient
	Assets    assets
	At        time.Time
	MDName    string   // the Markdown file's name, quoted in the fingerprint
	Evidence  []string // evidence file names, relative to the letter
}

// letter builds the letter document, without its fingerprint: the
// heading and request, the victims' payments, what is asked and for how
// much, the deposit addresses, the recipient's own wallets, every path, the
// method, the evidence and the closing, in that order.
func letter(in letterInput) *document {
	m := catalogue[in.Case.Language]
	title := m.LetterTitleExchange
	if in.Recipient.Kind == RecipientIssuer {
		title = m.LetterTitleIssuer
	}
	d := &document{Title: fmt.Sprintf(title, in.Recipient.Name), Lang: in.Case.Language}
	for _, part := range [][]block{
		in.opening(m),
		in.victims(m),
		in.requests(m),
		in.depositAddresses(m),
		ownWalletBlocks(m, in.Result, in.Recipient, in.Assets),
		in.paths(m),
		in.method(m),
		in.closing(m),
	} {
		d.Blocks = append(d.Blocks, part...)
	}
	return d
}

// opening is who writes to whom, the authority behind the request, the
// introduction, the case's note and the recipient's warnings.
func (in letterInput) opening(m *Messages) []block {
	c, rc := in.Case, in.Recipient
	head := [][2]string{
		{m.To, rc.Name},
		{m.Date, m.day(in.At)},
		{m.OurReference, c.Reference},
		{m.From, joinNonEmpty(", ", c.Requester.Organisation, c.Requester.Name, c.Requester.Role)},
	}
	if contact := contactOf(c.Requester); contact != "" {
		head = append(head, [2]string{m.Contact, contact})
	}
	out := []block{fields{Rows: head}}
	if a := c.Authority; a != nil {
		var rows [][2]string
		for _, kv := range [][2]string{{m.AuthorityName, a.Name}, {m.LegalBasis, a.LegalBasis}, {m.AuthorityReference, a.Reference}} {
			if strings.TrimSpace(kv[1]) != "" {
				rows = append(rows, kv)
			}
		}
		if len(rows) > 0 {
			out = append(out, heading{2, m.AuthorityHeading}, fields{Rows: rows})
		}
	}
	intro := m.IntroExchange
	if rc.Kind == RecipientIssuer {
		intro = m.IntroIssuer
	}
	out = append(out, p(txt(fmt.Sprintf(intro, countVictims(c, rc.Origins, m), rc.Name))))
	if strings.TrimSpace(c.Note) != "" {
		out = append(out, p(span{Text: m.Note + ":", Bold: true}, txt(" "+c.Note)))
	}
	return append(out, warningBlocks(m, rc.Warnings)...)
}

// victims is the table of the victims' payments behind the letter.
func (in letterInput) victims(m *Messages) []block {
	c, as := in.Case, in.Assets
	vt := table{Head: []string{m.ColSource, m.ColVictim, m.ColPoliceReport, m.ColPayment, m.ColTime, m.ColAmount}}
	for _, src := range in.Recipient.Origins {
		name, report := untrusted.Line(src.Victim), ""
		if v, ok := c.victimOf(src.Tx); ok {
			name, report = untrusted.Line(v.Name), untrusted.Line(v.PoliceReport)
		}
		if name == "" {
			name = m.Unknown
		}
		vt.Rows = append(vt.Rows, []tcell{
			cellOf(txt(src.ID)), cellOf(txt(name)), cellOf(txt(report)),
			cellOf(link(src.Chain.FormatTx(src.Tx), src.Chain.TxURL(src.Tx), true), txt(string(src.Chain))),
			cellOf(txt(m.when(src.Time))), num(as.money(src.Amount, src.Asset)),
		})
	}
	return []block{heading{2, m.VictimsHeading}, vt}
}

// requests is what the recipient is asked to do, and the totals it
// concerns.
func (in letterInput) requests(m *Messages) []block {
	rc, as := in.Recipient, in.Assets
	owns := slices.ContainsFunc(rc.Endpoints, ownWallet)
	// The addresses asked for, and those already frozen or empty, which
	// are listed but not asked for.
	asked := numbered(rc, rc.Requested)
	frozen := numbered(rc, func(e trace.Endpoint) bool { return !rc.Requested(e) && rc.stateIs(e, trace.StateFrozen) })
	empty := numbered(rc, func(e trace.Endpoint) bool { return !rc.Requested(e) && !rc.stateIs(e, trace.StateFrozen) })
	var notAsked [][]span
	if frozen != "" {
		notAsked = append(notAsked, []span{txt(fmt.Sprintf(m.ActionAlreadyFrozen, frozen))})
	}
	if empty != "" {
		notAsked = append(notAsked, []span{txt(fmt.Sprintf(m.ActionNothingLeft, empty))})
	}
	var actions [][]span
	for _, a := range in.Case.Actions {
		switch {
		case a == ActionFreeze && rc.Kind == RecipientIssuer:
			if asked != "" {
				actions = append(actions, []span{txt(fmt.Sprintf(m.ActionFreezeIssuer, asked))})
			}
		case a == ActionFreeze:
			if asked != "" {
				actions = append(actions, []span{txt(fmt.Sprintf(m.ActionFreezeExch, asked))})
			}
			if owns {
				actions = append(actions, []span{txt(fmt.Sprintf(m.ActionIdentifyExch, m.OwnWalletsHeading))})
			}
		case a == ActionPreserve:
			actions = append(actions, []span{txt(m.ActionPreserve)})
		}
		if a == ActionFreeze {
			actions, notAsked = append(actions, notAsked...), nil
		}
	}
	actions = append(actions, notAsked...)
	var totals [][]span
	for _, t := range rc.Totals {
		line := []span{{Text: fmt.Sprintf(m.TotalLine, as.money(t.Amount, t.Asset), t.Amount, t.Asset.Chain), Bold: true}}
		if t.ToDeposits != nil && t.ToOwnWallets != nil {
			line = append(line, txt("; "+fmt.Sprintf(m.TotalSplit, as.money(*t.ToDeposits, t.Asset), as.money(*t.ToOwnWallets, t.Asset))))
		}
		if t.Standing != nil {
			line = append(line, txt("; "+fmt.Sprintf(m.StandingLine, strings.Join(standingText(m, as, t.Asset, *t.Standing), ", "))))
		}
		totals = append(totals, line)
	}
	return []block{heading{2, m.RequestedHeading}, list{Items: actions}, heading{2, m.TotalHeading}, list{Items: totals}}
}

// hasDeposits reports whether the recipient has an endpoint other than its
// own wallets: a deposit address, or an address the issuer can freeze.
func hasDeposits(rc *Recipient) bool {
	return slices.ContainsFunc(rc.Endpoints, func(e trace.Endpoint) bool { return !ownWallet(e) })
}

// depositAddresses is when the balances were read and the table of the
// addresses to act on, then, for each, why it is attributed, where its
// funds stand and the transfers into it and out of it.
func (in letterInput) depositAddresses(m *Messages) []block {
	rc, as := in.Recipient, in.Assets
	var out []block
	if hasDeposits(rc) {
		addrs := table{Head: []string{m.ColNumber, m.ColChain, m.ColAddress, m.ColAsset, m.ColTraced, m.ColBaseUnits, m.ColBalance}}
		for _, e := range rc.Endpoints {
			if ownWallet(e) {
				continue
			}
			addrs.Rows = append(addrs.Rows, []tcell{
				cellOf(txt(rc.AddressNumber(e.Chain, e.Address))),
				cellOf(txt(string(e.Chain))),
				cellOf(link(e.Address.String(), e.Chain.AddressURL(e.Address), true)),
				cellOf(txt(as.symbol(e.Asset))),
				num(display(e.Amount, as.get(e.Asset).Decimals)),
				num(e.Amount.String()),
				stateCell(m, as, rc, e),
			})
		}
		out = append(out, heading{2, m.AddressesHeading})
		out = append(out, stampBlocks(m, rc.Holdings)...)
		out = append(out, addrs)
	}
	flowTimes := map[chains.TxHash]string{}
	for _, f := range in.Result.Flows {
		flowTimes[f.Tx] = m.when(f.Time)
	}
	for _, e := range rc.Endpoints {
		if ownWallet(e) {
			continue
		}
		out = append(out, heading{3, rc.AddressNumber(e.Chain, e.Address) + ". " + e.Address.String()})
		if reason := untrusted.Line(e.Reason); reason != "" {
			why := m.Attribution
			if e.Kind == trace.KindHeld {
				why = m.StopReason
			}
			out = append(out, p(txt(fmt.Sprintf(why, reason))))
		}
		if ls := labelSources(e); ls != "" {
			out = append(out, p(txt(fmt.Sprintf(m.LabelsLine, ls))))
		}
		out = append(out, in.stateBlocks(m, e)...)
		if len(e.Txs) > 0 {
			out = append(out, p(txt(fmt.Sprintf(m.DepositTxs, e.Address))), txTable(m, e.Chain, e.Txs, flowTimes))
		}
		if len(e.SweepTxs) > 0 {
			out = append(out, p(txt(fmt.Sprintf(m.SweepTxs, e.Address, rc.Name))), txTable(m, e.Chain, e.SweepTxs, flowTimes))
		}
	}
	return out
}

// paths is every path from a victim's payment to one of the recipient's
// addresses, hop by hop.
func (in letterInput) paths(m *Messages) []block {
	rc, as := in.Recipient, in.Assets
	out := []block{heading{2, m.PathsHeading}, p(txt(m.PathsIntro))}
	srcs := map[string]trace.Origin{}
	for _, s := range in.Result.Origins {
		srcs[s.ID] = s
	}
	for _, path := range rc.Paths {
		e := rc.Endpoints[path.Endpoint]
		n, _ := strconv.Atoi(rc.AddressNumber(e.Chain, e.Address))
		out = append(out, heading{3, fmt.Sprintf(m.PathTitle, path.ID, path.Source, victimName(in.Case, srcs[path.Source], m), n)})
		t := table{Head: []string{m.ColHop, m.ColTime, m.ColTransfer, m.ColMoved, m.ColFromVictim}}
		for i, h := range path.Hops {
			hop := cellOf(txt(strconv.Itoa(i)))
			if h.Payment {
				hop.Lines = append(hop.Lines, txt(m.VictimPayment))
			}
			day, clock, _ := strings.Cut(strings.TrimSuffix(h.Time, " UTC"), " ")
			when := cellOf(txt(day), txt(clock))
			if h.Time == "" {
				when = cellOf(txt(m.TimeUnknown))
			}
			t.Rows = append(t.Rows, []tcell{
				hop,
				when,
				cellOf(link(h.Chain.FormatTx(h.Tx), h.Chain.TxURL(h.Tx), true),
					mono(fmt.Sprintf(m.From1, h.From)), mono(fmt.Sprintf(m.To1, h.To))),
				num(as.money(h.Amount, path.Asset)),
				num(as.money(h.Traced, path.Asset)),
			})
		}
		out = append(out, t)
	}
	if rc.Truncated {
		out = append(out, p(txt(fmt.Sprintf(m.PathTruncated, maxPaths))))
	}
	return out
}

// method is the allocation rule, the thresholds and where the data came
// from.
func (in letterInput) method(m *Messages) []block {
	r := in.Result
	return []block{
		heading{2, m.MethodHeading}, p(txt(fmt.Sprintf(m.RuleLine, ruleText(m, r.Rule)))),
		p(span{Text: m.Thresholds, Bold: true}), list{Items: thresholds(m, r.Params)},
		heading{2, m.ProvenanceHeading}, provenanceTable(m, r.Provenance),
	}
}

// closing lists the evidence files, signs the letter and introduces its
// fingerprint.
func (in letterInput) closing(m *Messages) []block {
	c := in.Case
	var ev [][]span
	for _, name := range in.Evidence {
		ev = append(ev, []span{link(name, name, true)})
	}
	out := []block{heading{2, m.EvidenceHeading}, p(txt(m.EvidenceIntro)), list{Items: ev}}
	contact := contactOf(c.Requester)
	if contact == "" {
		contact = c.Requester.Organisation
	}
	out = append(out, p(txt(fmt.Sprintf(m.Closing, contact))),
		p(txt(m.Signature)), p(txt(joinNonEmpty(", ", c.Requester.Name, c.Requester.Role))), p(txt(c.Requester.Organisation)))
	if addr := strings.TrimSpace(c.Requester.Address); addr != "" {
		out = append(out, fields{Rows: [][2]string{{m.ColAddress, addr}}})
	}
	return append(out, p(txt(fmt.Sprintf(m.Generated, m.when(in.At)))),
		heading{2, m.FingerprintHeading}, p(txt(fmt.Sprintf(m.FingerprintText, in.MDName))))
}

// fingerprint computes the letter's SHA-256 as FingerprintText states it:
// over the Markdown text up to its last line, then appends that line. It
// returns the whole Markdown file and the line, for the other formats.
func fingerprint(md string, m *Messages) (full, line string) {
	body := md + "\n"
	sum := sha256.Sum256([]byte(body))
	line = fmt.Sprintf(m.FingerprintLine, hex.EncodeToString(sum[:]))
	return body + mdEscape(line) + "\n", line
}

func txTable(m *Messages, c chains.Chain, txs []chains.TxHash, times map[chains.TxHash]string) table {
	known := false
	for _, h := range txs {
		known = known || times[h] != ""
	}
	t := table{Head: []string{m.ColTx}}
	if known {
		t.Head = append(t.Head, m.ColTime)
	}
	for _, h := range txs {
		row := []tcell{cellOf(link(c.FormatTx(h), c.TxURL(h), true))}
		if known {
			row = append(row, cellOf(txt(times[h])))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func provenanceTable(m *Messages, ps []chains.Provenance) table {
	t := table{Head: []string{m.ColChain, m.ColSource, m.ColBlock, m.ColRetrieved, m.ColDetail}}
	for _, pv := range ps {
		t.Rows = append(t.Rows, []tcell{
			cellOf(txt(string(pv.Chain))), cellOf(txt(pv.Source)), num(strconv.FormatUint(pv.Block, 10)),
			cellOf(txt(m.when(pv.Retrieved))), cellOf(txt(pv.Detail)),
		})
	}
	return t
}

func thresholds(m *Messages, pr trace.Params) [][]span {
	until := m.NoUntil
	if pr.Until != nil {
		until = fmt.Sprintf(m.Until, m.when(*pr.Until))
	}
	return [][]span{
		{txt(fmt.Sprintf(m.MaxHops, pr.MaxHops))},
		{txt(fmt.Sprintf(m.MinAmount, pr.MinAmount))},
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

// labelSources lists the labels behind an endpoint's attribution:
// "Binance (deposit; source: …; heuristic: …; confidence 80)".
func labelSources(e trace.Endpoint) string {
	var parts []string
	for _, l := range e.Labels {
		s := untrusted.Line(l.Entity) + " (" + untrusted.Line(string(l.Category))
		if src := untrusted.Line(l.Source); src != "" {
			s += "; " + src
		}
		if h := untrusted.Line(l.Heuristic); h != "" {
			s += "; " + h
		}
		s += "; " + strconv.Itoa(l.Confidence) + "/100)"
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

// victimName names a source's victim: the case file first, then the trace.
func victimName(c *CaseFile, s trace.Origin, m *Messages) string {
	if v, ok := c.victimOf(s.Tx); ok {
		if r := strings.TrimSpace(v.PoliceReport); r != "" {
			return untrusted.Line(v.Name) + " (" + untrusted.Line(r) + ")"
		}
		return untrusted.Line(v.Name)
	}
	if v := untrusted.Line(s.Victim); v != "" {
		return v
	}
	return m.Unknown
}

func contactOf(r Requester) string {
	return joinNonEmpty(", ", r.Email, r.Phone)
}

func joinNonEmpty(sep string, parts ...string) string {
	out := parts[:0:0]
	for _, s := range parts {
		if s = untrusted.Line(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

// countVictims counts the distinct victims behind sources.
func countVictims(c *CaseFile, srcs []trace.Origin, m *Messages) int {
	seen := map[string]bool{}
	for _, s := range srcs {
		name := victimName(c, s, m)
		if name == m.Unknown {
			name = s.ID
		}
		seen[name] = true
	}
	return len(seen)
}
