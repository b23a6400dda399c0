package report

import (
	"fmt"
	"strconv"

	"freezetrace/trace"
)

// overview writes the case overview: the victims' payments, who can freeze
// what and where it stands (with links to each letter, or why there is
// none), and where the rest of the money went.
func (w *writer) overview(rcs []*Recipient) error {
	if !w.want[FormatMarkdown] && !w.want[FormatHTML] {
		return nil
	}
	for _, ext := range []Format{FormatMarkdown, FormatHTML} {
		if !w.want[ext] {
			continue
		}
		d := w.overviewDoc(rcs, ext)
		if ext == FormatMarkdown {
			w.put(ext, "overview.md", []byte(markdown(d)))
			continue
		}
		h, err := html(d)
		if err != nil {
			return err
		}
		w.put(ext, "overview.html", []byte(h))
	}
	return nil
}

// overviewDoc builds the overview; links point at the letters in the
// format of the overview first.
func (w *writer) overviewDoc(rcs []*Recipient, self Format) *document {
	m, c, r := w.m, w.c, w.r
	d := &document{Title: fmt.Sprintf(m.OverviewTitle, c.Reference), Lang: c.Language}
	add := func(b ...block) { d.Blocks = append(d.Blocks, b...) }
	add(fields{Rows: [][2]string{
		{m.OurReference, c.Reference},
		{m.From, joinNonEmpty(", ", c.Requester.Organisation, c.Requester.Name)},
		{m.Date, m.when(w.at)},
	}})
	add(p(txt(m.OverviewIntro)))
	add(heading{2, m.ChecklistHeading})
	if len(w.checklist) == 0 {
		add(p(txt(m.ChecklistNone)))
	} else {
		items := make([][]span, len(w.checklist))
		for i, l := range w.checklist {
			items[i] = []span{txt(l)}
		}
		add(p(txt(m.ChecklistIntro)), list{Items: items})
	}
	add(warningBlocks(m, w.warnings)...)

	add(heading{2, m.PaymentsHeading})
	pay := table{Head: []string{m.ColSource, m.ColVictim, m.ColPayment, m.ColTime, m.ColAmount}}
	for _, s := range r.Origins {
		pay.Rows = append(pay.Rows, []tcell{
			cellOf(txt(s.ID)), cellOf(txt(victimName(c, s, m))),
			cellOf(link(s.Chain.FormatTx(s.Tx), s.Chain.TxURL(s.Tx), true)), cellOf(txt(m.when(s.Time))),
			num(w.as.money(s.Amount, s.Asset)),
		})
	}
	add(pay)

	add(heading{2, m.RecipientsHeading})
	if len(rcs) == 0 {
		add(p(txt(m.NoRecipients)))
	} else {
		add(p(txt(m.RecipientsIntro)))
		var held []trace.Holding
		for _, rc := range rcs {
			held = append(held, rc.Holdings...)
		}
		add(stampBlocks(m, held)...)
		t := table{Head: []string{m.ColRecipient, m.ColKind, m.ColTraced, m.ColStanding, m.AddressesHeading, m.ColLetter}}
		for _, rc := range rcs {
			kind := recipientKindName(m, rc.Kind)
			var totals, standing []span
			for _, tot := range rc.Totals {
				totals = append(totals, txt(w.as.money(tot.Amount, tot.Asset)+" ("+chainName(tot.Asset.Chain)+")"))
				if tot.Value != nil {
					totals = append(totals, txt(fmt.Sprintf(m.WorthLine, w.as.money(*tot.Value, tot.ValueAsset))))
				}
				if tot.Standing != nil {
					for _, s := range standingText(m, w.as, tot.Asset, *tot.Standing) {
						standing = append(standing, txt(s+" ("+chainName(tot.Asset.Chain)+")"))
					}
				}
			}
			var letters []span
			for _, f := range []Format{self, FormatMarkdown, FormatHTML, FormatPDF} {
				name := rc.Slug + "/letter." + string(f)
				if _, ok := w.files[name]; ok && !containsLink(letters, name) {
					letters = append(letters, link(name, name, false))
				}
			}
			if !rc.Letter {
				letters = []span{txt(rc.NoLetter)}
			}
			t.Rows = append(t.Rows, []tcell{
				{Lines: []span{{Text: rc.Name, Bold: true}}}, cellOf(txt(kind)), {Lines: totals, Right: true}, {Lines: standing},
				num(strconv.Itoa(len(rc.addresses))), {Lines: letters},
			})
		}
		add(t)
	}

	owned := map[addrKey]bool{}
	for _, rc := range rcs {
		for _, e := range rc.Endpoints {
			owned[addrKey{e.Chain, e.Address}] = true
		}
	}
	var rest []trace.Endpoint
	for _, e := range r.Endpoints {
		if !owned[addrKey{e.Chain, e.Address}] {
			rest = append(rest, e)
		}
	}
	if len(rest) > 0 {
		add(heading{2, m.OtherHeading}, p(txt(m.OtherIntro)))
		t := table{Head: []string{m.ColAddress, m.ColKind, m.ColAmount, m.ColReason}}
		for _, e := range rest {
			kind := m.Kinds[e.Kind]
			if kind == "" {
				kind = string(e.Kind)
			}
			if e.Entity != "" {
				kind += ": " + e.Entity
			}
			amount, reason := num(w.as.money(e.Amount, e.Asset)), cellOf(txt(e.Reason))
			if convertedEndpoint(r, e) {
				amount.Lines = append(amount.Lines, txt(fmt.Sprintf(m.WorthLine, w.as.money(e.Value, victimAssetOf(r, e)))))
			}
			if line := bridgeLine(m, e); line != "" {
				reason.Lines = append(reason.Lines, txt(line))
			}
			t.Rows = append(t.Rows, []tcell{
				cellOf(link(e.Address.String(), e.Chain.AddressURL(e.Address), true), txt(string(e.Chain))),
				cellOf(txt(kind)), amount, reason,
			})
		}
		add(t)
	}

	add(w.conversionBlocks()...)
	add(heading{2, m.MethodHeading}, p(txt(fmt.Sprintf(m.RuleLine, ruleText(m, r.Rule)))), list{Items: thresholds(m, r)})
	add(heading{2, m.ProvenanceHeading}, provenanceTable(m, r.Provenance))
	var ev [][]span
	for _, f := range []string{"case/flows.csv", "case/endpoints.csv", "case/sources.csv", "case/conversions.csv", "case/ledger.csv", "case/evidence.xlsx",
		"case/trace.json", "case/report.json", "case/graph.dot", "case/graph.svg", ManifestName} {
		if _, ok := w.files[f]; ok || f == ManifestName {
			ev = append(ev, []span{link(f, f, true)})
		}
	}
	add(heading{2, m.EvidenceHeading}, list{Items: ev})
	add(p(txt(fmt.Sprintf(m.Generated, m.when(w.at)))))
	return d
}

// recipientKindName is a recipient's kind as the overview names it.
func recipientKindName(m *Messages, k RecipientKind) string {
	switch k {
	case RecipientIssuer:
		return m.KindIssuer
	case RecipientInstantExchanger:
		return kindName(m, trace.KindInstantExchanger)
	case RecipientBridge:
		return kindName(m, trace.KindBridge)
	}
	return m.KindExchange
}

func containsLink(ss []span, l string) bool {
	for _, s := range ss {
		if s.Link == l {
			return true
		}
	}
	return false
}
