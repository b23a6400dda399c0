package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
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
	Diagram   *flowDiagram
	GraphFile string // the SVG of the flow graph beside the letter, "" when not written
}

// letter builds the letter document, without its fingerprint, in the
// order of the Freeze Asset Request standard: the heading and the
// sender's standing, then 1 the freeze request, 2 the crime, 3 why it is
// a crime, 4 the evidence of the crime, 5 the asset transfer, 6 the
// requester, police report and verifier; then the enclosures and the
// closing. An issuer's letter asks only what an issuer can do: freeze the
// addresses on its token contracts.
func letter(in letterInput) *document {
	m := catalogue[in.Case.Language]
	title := m.LetterTitleExchange
	if in.Recipient.Kind == RecipientIssuer {
		title = m.LetterTitleIssuer
	}
	d := &document{Title: fmt.Sprintf(title, in.Recipient.Name), Lang: in.Case.Language}
	for _, part := range [][]block{
		in.opening(m),
		in.freezeRequest(m),
		in.crime(m),
		in.crimeBasis(m),
		in.crimeEvidence(m),
		in.transfer(m),
		in.parties(m),
		in.closing(m),
	} {
		d.Blocks = append(d.Blocks, part...)
	}
	return d
}

// opening is who writes to whom and in what role, how urgent it is, the
// request not to tell the customer, and the trace's warnings.
func (in letterInput) opening(m *Messages) []block {
	c, rc := in.Case, in.Recipient
	to := rc.Name
	if e := rc.Entry; e != nil && strings.TrimSpace(e.LegalName) != "" && !strings.EqualFold(e.LegalName, rc.Name) {
		to += " (" + untrusted.Line(e.LegalName) + ")"
	}
	head := [][2]string{
		{m.To, to},
		{m.Date, m.day(in.At)},
		{m.OurReference, c.Reference},
		{m.From, joinNonEmpty(", ", c.Requester.Organisation, c.Requester.Name, c.Requester.Role)},
		{m.SenderRole, m.Senders[c.Sender]},
	}
	if contact := contactOf(c.Requester); contact != "" {
		head = append(head, [2]string{m.Contact, contact})
	}
	head = append(head, [2]string{m.PoliceReportField, policeReportLine(m, c)})
	if u := in.urgency(m); u != "" {
		head = append(head, [2]string{m.Urgency, u})
	}
	out := []block{fields{Rows: head}}
	victims := countVictims(c, rc.Origins, m)
	intro := fmt.Sprintf(m.IntroExchange, plural(victims, m.VictimOne, m.VictimMany), rc.Name)
	if rc.Kind == RecipientIssuer {
		intro = fmt.Sprintf(m.IntroIssuer, plural(victims, m.VictimOne, m.VictimMany), rc.Name)
	}
	out = append(out, p(txt(intro)), p(txt(in.standing(m))))
	if rc.Kind.custodial() {
		out = append(out, p(span{Text: m.NoTipOff, Bold: true}))
	}
	return append(out, warningBlocks(m, rc.Warnings)...)
}

// standing says who sends and what such a sender may ask for: law
// enforcement asks under its own authority; anyone else says they are not
// law enforcement, names the police report and asks for a hold and
// preservation pending an order, not for customer data.
func (in letterInput) standing(m *Messages) string {
	c := in.Case
	if c.LawEnforcement() {
		s := m.StandingLawEnforcement
		if o := c.Order; o != nil && strings.TrimSpace(o.Reference) != "" {
			s = fmt.Sprintf(m.StandingOrder, joinNonEmpty(", ", o.IssuedBy, o.Reference, o.Date.String()))
		}
		if in.Recipient.Kind.custodial() {
			s += " " + m.StandingLEExchange
		}
		return s
	}
	police := m.PoliceNone
	if pr := c.PoliceReport; pr != nil && (strings.TrimSpace(pr.Department) != "" || strings.TrimSpace(pr.Reference) != "") {
		police = fmt.Sprintf(m.PoliceFiled, joinNonEmpty(", ", pr.Department, pr.Country), untrusted.Line(pr.Reference))
	}
	role := m.SenderIsVictim
	if c.Sender == SenderRepresentative {
		role = m.SenderIsRepresentative
	}
	if in.Recipient.Kind == RecipientIssuer {
		return fmt.Sprintf(m.StandingPrivateIssuer, role, police)
	}
	return fmt.Sprintf(m.StandingPrivate, role, police)
}

// urgency says whether traced funds are still at the addresses, and when
// they first arrived.
func (in letterInput) urgency(m *Messages) string {
	rc, as := in.Recipient, in.Assets
	var first time.Time
	for _, f := range rc.Flows {
		for _, e := range rc.Endpoints {
			if f.To == e.Address && f.Chain == e.Chain && !f.Time.IsZero() && (first.IsZero() || f.Time.Before(first)) {
				first = f.Time
			}
		}
	}
	var left []string
	live := true
	for _, t := range rc.Totals {
		if t.Standing != nil && !t.Standing.Left.IsZero() {
			left = append(left, as.money(t.Standing.Left, t.Asset))
		}
	}
	for _, h := range rc.Holdings {
		live = live && h.Live
	}
	var parts []string
	switch {
	case len(left) > 0 && live:
		parts = append(parts, fmt.Sprintf(m.UrgentLeft, strings.Join(left, ", ")))
	case len(left) > 0:
		parts = append(parts, fmt.Sprintf(m.UrgentLeftAsOf, strings.Join(left, ", ")))
	case rc.Kind.custodial():
		parts = append(parts, m.UrgentCredited)
	}
	if !first.IsZero() {
		parts = append(parts, fmt.Sprintf(m.FirstArrived, m.when(first)))
	}
	return strings.Join(parts, " ")
}

// freezeRequest is section 1: the addresses to act on with their chain,
// token contract, amount traced and balance now, and what is asked.
func (in letterInput) freezeRequest(m *Messages) []block {
	rc, as := in.Recipient, in.Assets
	out := []block{heading{2, m.Section1}}
	if hasDeposits(rc) {
		out = append(out, stampBlocks(m, rc.Holdings)...)
		out = append(out, in.addressTable(m, func(e trace.Endpoint) bool {
			return !ownWallet(e) && (rc.Kind.custodial() || rc.Requested(e))
		}))
	}
	if rc.Kind == RecipientIssuer {
		if t, ok := in.maybeTable(m, func(e trace.Endpoint) bool { return rc.stateIs(e, trace.StateFrozen) }); ok {
			out = append(out, p(span{Text: m.AlreadyFrozenHeading, Bold: true}), t)
		}
		if t, ok := in.maybeTable(m, func(e trace.Endpoint) bool {
			return !rc.Requested(e) && !rc.stateIs(e, trace.StateFrozen)
		}); ok {
			out = append(out, p(span{Text: m.NothingLeftHeading, Bold: true}), t)
		}
	}
	out = append(out, p(span{Text: m.RequestedHeading, Bold: true}), list{Items: in.actions(m)})
	var totals [][]span
	for _, t := range rc.Totals {
		line := []span{{Text: fmt.Sprintf(m.TotalLine, as.money(t.Amount, t.Asset), t.Amount, chainName(t.Asset.Chain)), Bold: true}}
		if t.Value != nil {
			line = append(line, txt(worth(m, as, *t.Value, t.ValueAsset)))
		}
		if t.ToDeposits != nil && t.ToOwnWallets != nil {
			line = append(line, txt("; "+fmt.Sprintf(m.TotalSplit, as.money(*t.ToDeposits, t.Asset), as.money(*t.ToOwnWallets, t.Asset))))
		}
		if t.Standing != nil {
			line = append(line, txt("; "+fmt.Sprintf(m.StandingLine, strings.Join(standingText(m, as, t.Asset, *t.Standing), ", "))))
		}
		totals = append(totals, line)
	}
	out = append(out, p(span{Text: m.TotalHeading, Bold: true}), list{Items: totals})
	return append(out, ownWalletBlocks(m, in.Result, rc, as)...)
}

// maybeTable is the address table of the endpoints keep picks, if any.
func (in letterInput) maybeTable(m *Messages, keep func(trace.Endpoint) bool) (table, bool) {
	if !slices.ContainsFunc(in.Recipient.Endpoints, func(e trace.Endpoint) bool { return !ownWallet(e) && keep(e) }) {
		return table{}, false
	}
	return in.addressTable(m, keep), true
}

// addressTable lists the endpoints keep picks: number, chain, address,
// token and its contract, amount traced (with its base units) and the
// balance now.
func (in letterInput) addressTable(m *Messages, keep func(trace.Endpoint) bool) table {
	rc, as := in.Recipient, in.Assets
	t := table{Head: []string{m.ColNumber, m.ColChain, m.ColAddress, m.ColToken, m.ColTraced, m.ColBalance}}
	for _, e := range rc.Endpoints {
		if ownWallet(e) || !keep(e) {
			continue
		}
		traced := tcell{Lines: []span{txt(as.money(e.Amount, e.Asset)), txt(fmt.Sprintf(m.BaseUnits, e.Amount))}, Right: true}
		if convertedEndpoint(in.Result, e) {
			traced.Lines = append(traced.Lines, txt(fmt.Sprintf(m.WorthLine, as.money(e.Value, victimAssetOf(in.Result, e)))))
		}
		t.Rows = append(t.Rows, []tcell{
			cellOf(txt(rc.AddressNumber(e.Chain, e.Address))),
			cellOf(txt(chainName(e.Chain))),
			cellOf(link(e.Address.String(), e.Chain.AddressURL(e.Address), true)),
			tokenCell(as, e.Asset),
			traced,
			stateCell(m, as, rc, e),
		})
	}
	return t
}

// tokenCell names a token and links its contract; the native coin has none.
func tokenCell(as assets, id chains.AssetID) tcell {
	c := cellOf(txt(as.symbol(id)))
	if !id.IsNative() {
		c.Lines = append(c.Lines, link(id.Contract.String(), id.Chain.AddressURL(id.Contract), true))
	}
	return c
}

// actions is what the recipient is asked to do, as the sender may ask it.
func (in letterInput) actions(m *Messages) [][]span {
	rc, c := in.Recipient, in.Case
	asked := numbered(rc, rc.Requested)
	frozen := numbered(rc, func(e trace.Endpoint) bool { return !rc.Requested(e) && rc.stateIs(e, trace.StateFrozen) })
	empty := numbered(rc, func(e trace.Endpoint) bool { return !rc.Requested(e) && !rc.stateIs(e, trace.StateFrozen) })
	addr := func(list string) string {
		if strings.Contains(list, ",") {
			return m.AddressMany + " " + list
		}
		return m.AddressOne + " " + list
	}
	var out [][]span
	add := func(s string) { out = append(out, []span{txt(s)}) }
	for _, a := range c.Actions {
		switch {
		case a == ActionFreeze && rc.Kind == RecipientIssuer:
			if asked != "" {
				add(fmt.Sprintf(m.ActionFreezeIssuer, addr(asked), contractsOf(in.Assets, rc)))
			}
		case a == ActionFreeze && asked != "":
			if c.LawEnforcement() {
				add(fmt.Sprintf(m.ActionFreezeExch, addr(asked)))
			} else {
				add(fmt.Sprintf(m.ActionHoldExch, addr(asked)))
			}
		case a == ActionPreserve && rc.Kind.custodial():
			if c.LawEnforcement() {
				add(m.ActionPreserveLE)
			} else {
				add(m.ActionPreservePrivate)
			}
		}
		if a == ActionFreeze && rc.Kind == RecipientExchange && slices.ContainsFunc(rc.Endpoints, ownWallet) {
			if c.LawEnforcement() {
				add(fmt.Sprintf(m.ActionIdentifyExch, m.OwnWalletsHeading))
			} else {
				add(fmt.Sprintf(m.ActionIdentifyHold, m.OwnWalletsHeading))
			}
		}
	}
	if frozen != "" {
		add(fmt.Sprintf(m.ActionAlreadyFrozen, addr(frozen)))
	}
	if empty != "" {
		add(fmt.Sprintf(m.ActionNothingLeft, addr(empty)))
	}
	return out
}

// contractsOf names the token contracts of the addresses the recipient is
// asked to act on: "USDT 0xdAC1… (Ethereum)".
func contractsOf(as assets, rc *Recipient) string {
	var out []string
	for _, e := range rc.Endpoints {
		if !rc.Requested(e) || ownWallet(e) {
			continue
		}
		s := as.symbol(e.Asset) + " " + e.Asset.Contract.String() + " (" + chainName(e.Asset.Chain) + ")"
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

// hasDeposits reports whether the recipient has an endpoint other than its
// own wallets: a deposit address, or an address the issuer can freeze.
func hasDeposits(rc *Recipient) bool {
	return slices.ContainsFunc(rc.Endpoints, func(e trace.Endpoint) bool { return !ownWallet(e) })
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

// chainName is a chain as people write it: "Ethereum", "TRON".
func chainName(c chains.Chain) string {
	switch c {
	case chains.Tron:
		return "TRON"
	case "":
		return ""
	}
	s := string(c)
	return strings.ToUpper(s[:1]) + s[1:]
}

// plural is "1 victim", "2 victims".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
