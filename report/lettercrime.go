package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// crime is section 2: what happened in one sentence, its type, the scam
// platform, the crime dates, the value lost in USD and per asset.
// Whatever the case file does not say is shown as not given; nothing is
// filled in by default.
func (in letterInput) crime(m *Messages) []block {
	c, as := in.Case, in.Assets
	given := func(s string) string {
		if s = untrusted.Line(s); s != "" {
			return s
		}
		return m.NotGiven
	}
	usd := m.NotGiven
	if c.Crime.LostUSD != nil {
		usd = c.Crime.LostUSD.String()
	}
	rows := [][2]string{
		{m.CrimeSummary, given(c.Crime.Summary)},
		{m.CrimeType, given(c.Crime.Type)},
		{m.CrimePlatform, given(c.Crime.Platform)},
		{m.CrimeDates, crimeDates(m, c, in.Result.Origins)},
		{m.LostUSD, usd},
		{m.AssetsTaken, strings.Join(takenPerAsset(m, as, in.Result.Origins), "; ")},
		{m.VictimsField, plural(countVictims(c, in.Result.Origins, m), m.VictimOne, m.VictimMany)},
	}
	out := []block{heading{2, m.Section2}, fields{Rows: rows}}
	if strings.TrimSpace(c.Note) != "" {
		out = append(out, p(span{Text: m.Note + ":", Bold: true}, txt(" "+c.Note)))
	}
	return out
}

// crimeDates are the case file's dates, else the span of the victims'
// payments, said as such.
func crimeDates(m *Messages, c *CaseFile, srcs []trace.Origin) string {
	if !c.Crime.Started.IsZero() {
		if c.Crime.Ended.IsZero() || c.Crime.Ended.Equal(c.Crime.Started.Time) {
			return c.Crime.Started.String()
		}
		return c.Crime.Started.String() + " – " + c.Crime.Ended.String()
	}
	var first, last time.Time
	for _, s := range srcs {
		if s.Time.IsZero() {
			continue
		}
		if first.IsZero() || s.Time.Before(first) {
			first = s.Time
		}
		if s.Time.After(last) {
			last = s.Time
		}
	}
	if first.IsZero() {
		return m.NotGiven
	}
	span := m.day(first)
	if m.day(last) != span {
		span += " – " + m.day(last)
	}
	return fmt.Sprintf(m.DatesFromPayments, span)
}

// takenPerAsset sums the victims' payments per asset: "30,000.00 USDT
// (30000000000 base units) on Ethereum, 3 payments".
func takenPerAsset(m *Messages, as assets, srcs []trace.Origin) []string {
	type sum struct {
		amount chains.Amount
		n      int
	}
	by := map[chains.AssetID]*sum{}
	var ids []chains.AssetID
	for _, s := range srcs {
		if by[s.Asset] == nil {
			by[s.Asset] = &sum{}
			ids = append(ids, s.Asset)
		}
		by[s.Asset].amount = by[s.Asset].amount.Add(s.Amount)
		by[s.Asset].n++
	}
	slices.SortFunc(ids, chains.AssetID.Compare)
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		t := by[id]
		out = append(out, fmt.Sprintf(m.TakenLine, as.money(t.amount, id), t.amount, chainName(id.Chain), plural(t.n, m.PaymentOne, m.PaymentMany)))
	}
	if len(out) == 0 {
		return []string{m.NotGiven}
	}
	return out
}

// crimeBasis is section 3: why it is a crime, in the case file's words,
// and the order behind the request when there is one. No law is assumed.
func (in letterInput) crimeBasis(m *Messages) []block {
	c := in.Case
	out := []block{heading{2, m.Section3}}
	var items [][]span
	for _, b := range c.Crime.LegalBasis {
		if b = untrusted.Line(b); b != "" {
			items = append(items, []span{txt(b)})
		}
	}
	if len(items) == 0 {
		out = append(out, p(txt(m.NoLegalBasis)))
	} else {
		out = append(out, p(txt(m.LegalBasisIntro)), list{Items: items})
	}
	if o := c.Order; o != nil {
		var rows [][2]string
		for _, kv := range [][2]string{{m.OrderIssuedBy, o.IssuedBy}, {m.OrderReference, o.Reference}, {m.OrderDate, o.Date.String()}, {m.LegalBasis, o.LegalBasis}} {
			if strings.TrimSpace(kv[1]) != "" {
				rows = append(rows, kv)
			}
		}
		if len(rows) > 0 {
			out = append(out, p(span{Text: m.OrderHeading, Bold: true}), fields{Rows: rows})
		}
	}
	return out
}

// crimeEvidence is section 4: the victims' payments behind this letter
// with transaction, block, time and amount, and the documents attached
// with their SHA-256.
func (in letterInput) crimeEvidence(m *Messages) []block {
	c, as := in.Case, in.Assets
	vt := table{Head: []string{m.ColSource, m.ColVictim, m.ColPoliceReport, m.ColPayment, m.ColBlockTime, m.ColAmount}}
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
			cellOf(link(src.Chain.FormatTx(src.Tx), src.Chain.TxURL(src.Tx), true),
				mono(fmt.Sprintf(m.From1, src.From)), mono(fmt.Sprintf(m.To1, src.To))),
			blockTime(m, src.Block, src.Time),
			{Lines: []span{txt(as.money(src.Amount, src.Asset)), txt(fmt.Sprintf(m.BaseUnits, src.Amount))}, Right: true},
		})
	}
	out := []block{heading{2, m.Section4}, p(txt(m.PaymentsIntro)), vt, p(span{Text: m.DocumentsHeading, Bold: true})}
	if len(c.Documents) == 0 {
		return append(out, p(txt(m.NoDocuments)))
	}
	dt := table{Head: []string{m.ColDocument, m.ColFile, m.ColSHA256}}
	for _, d := range c.Documents {
		dt.Rows = append(dt.Rows, []tcell{cellOf(txt(d.Name)), cellOf(mono(d.File), txt(fmt.Sprintf(m.Bytes, d.Size))), cellOf(mono(d.SHA256))})
	}
	return append(out, dt)
}

// blockTime is a table cell with the block number above its time.
func blockTime(m *Messages, block uint64, t time.Time) tcell {
	return cellOf(txt(fmt.Sprintf(m.BlockN, strconv.FormatUint(block, 10))), txt(m.when(t)))
}
