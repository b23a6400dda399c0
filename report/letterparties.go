package report

import (
	"fmt"
	"strings"

	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// parties is section 6: who reports (the requester), the police report
// with its point of contact, and who verified the case. A field the case
// file lacks reads "not given"; Checklist lists it for the sender.
func (in letterInput) parties(m *Messages) []block {
	c := in.Case
	g := func(s string) string {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
		return m.NotGiven
	}
	rq := c.Requester
	out := []block{heading{2, m.Section6},
		p(span{Text: m.ReportedBy, Bold: true}),
		fields{Rows: [][2]string{
			{m.FullName, g(rq.Name)}, {m.Organisation, g(rq.Organisation)}, {m.Role, g(rq.Role)}, {m.SenderRole, m.Senders[c.Sender]},
			{m.Email, g(rq.Email)}, {m.Phone, g(string(rq.Phone))}, {m.Country, g(rq.Country)}, {m.PostalAddress, g(rq.Address)},
		}},
		p(span{Text: m.PoliceHeading, Bold: true})}
	if pr := c.PoliceReport; pr != nil {
		out = append(out, fields{Rows: [][2]string{
			{m.Department, g(pr.Department)}, {m.PostalAddress, g(pr.Address)}, {m.Country, g(pr.Country)},
			{m.ReportID, g(pr.Reference)}, {m.ReportDate, g(pr.Date.String())}, {m.PointOfContact, g(pr.Contact.Name)},
			{m.Email, g(pr.Contact.Email)}, {m.Phone, g(string(pr.Contact.Phone))},
		}})
	} else {
		out = append(out, p(txt(m.NoPoliceReport)))
	}
	out = append(out, p(span{Text: m.VerifiedBy, Bold: true}))
	if v := c.Verifier; v != nil {
		out = append(out, fields{Rows: [][2]string{
			{m.Organisation, g(v.Organisation)}, {m.VerifiedOn, g(v.Date.String())}, {m.PointOfContact, g(v.Contact)},
			{m.Email, g(v.Email)}, {m.Phone, g(string(v.Phone))}, {m.Country, g(v.Country)}, {m.Comments, g(v.Comments)},
		}})
	} else {
		out = append(out, p(txt(m.NotVerified)))
	}
	return out
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
		contact = untrusted.Line(c.Requester.Organisation)
	}
	out = append(out, p(txt(fmt.Sprintf(m.Closing, contact))),
		p(txt(m.Signature)), p(txt(joinNonEmpty(", ", c.Requester.Name, c.Requester.Role))), p(txt(c.Requester.Organisation)))
	return append(out, p(txt(fmt.Sprintf(m.Generated, m.when(in.At)))),
		heading{2, m.FingerprintHeading}, p(txt(fmt.Sprintf(m.FingerprintText, in.MDName))))
}

// policeReportLine is the letter head's police report: department and
// report number, or that there is none.
func policeReportLine(m *Messages, c *CaseFile) string {
	pr := c.PoliceReport
	if pr == nil || (strings.TrimSpace(pr.Department) == "" && strings.TrimSpace(pr.Reference) == "") {
		return m.NotGiven
	}
	return joinNonEmpty(", ", pr.Department, pr.Country, pr.Reference)
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
	return joinNonEmpty(", ", r.Email, string(r.Phone))
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
