package report

import (
	"fmt"
	"strings"
)

// Checklist lists, one line each, what the case file lacks that the
// Freeze Asset Request standard and the recipients ask for, and what the
// directory cannot tell about a recipient: the sender fills these in
// before sending. The letters show each such field as "not given"; none is
// filled in by default. Lines about one recipient start with its name.
func Checklist(c *CaseFile, rcs []*Recipient) []string {
	var out []string
	missing := func(field, why string) { out = append(out, field+": "+why) }
	blank := func(s string) bool { return strings.TrimSpace(s) == "" }

	pr := c.PoliceReport
	switch {
	case pr == nil && !c.LawEnforcement():
		missing("police_report", "no police report is given; the FAR standard requires one, and exchanges set aside requests without it")
	case pr != nil:
		for _, f := range []struct{ name, value, why string }{
			{"department", pr.Department, "the police force the crime was reported to"},
			{"address", pr.Address, "the police department's address"},
			{"country", pr.Country, "the police department's country"},
			{"reference", pr.Reference, "the report number recipients quote to the police"},
			{"contact.name", pr.Contact.Name, "the officer who can confirm the report"},
			{"contact.email", pr.Contact.Email, "the officer's email"},
			{"contact.phone", string(pr.Contact.Phone), "the officer's phone, E.164 (+44 20 7946 0000)"},
		} {
			if blank(f.value) {
				missing("police_report."+f.name, "missing ("+f.why+")")
			}
		}
	}
	for _, f := range []struct{ name, value, why string }{
		{"crime.summary", c.Crime.Summary, "what happened, in one sentence"},
		{"crime.type", c.Crime.Type, "the kind of crime, e.g. investment fraud"},
		{"crime.platform", c.Crime.Platform, "the scam platform's name, website and kind"},
		{"requester.name", c.Requester.Name, "the full name of the person reporting"},
		{"requester.email", c.Requester.Email, "the reporter's email"},
		{"requester.phone", string(c.Requester.Phone), "the reporter's phone, E.164"},
		{"requester.country", c.Requester.Country, "the reporter's country"},
	} {
		if blank(f.value) {
			missing(f.name, "missing ("+f.why+")")
		}
	}
	if c.Crime.LostUSD == nil {
		missing("crime.lost_usd", "missing (the total lost, in USD at the time of the payments)")
	}
	if len(c.Crime.LegalBasis) == 0 {
		missing("crime.legal_basis", "missing (the law that makes it a crime; the letters invent none)")
	}
	if len(c.Victims) == 0 {
		missing("victims", "none named; the letters call every victim \"not named\"")
	}
	if v := c.Verifier; v == nil {
		missing("verifier", "nobody has verified the case (FAR \"Verified by\": organisation, date, contact)")
	} else if blank(v.Organisation) || v.Date.IsZero() || blank(v.Contact) {
		missing("verifier", "organisation, date and contact are each needed")
	}
	if len(c.Documents) == 0 {
		missing("documents", "none attached (at least a copy of the police report)")
	}
	for _, rc := range rcs {
		if !rc.Letter {
			continue
		}
		out = append(out, recipientChecks(c, rc)...)
	}
	return out
}

// recipientChecks are the checklist lines about one recipient: no
// directory entry, no known channel for this sender, and an issuer that
// acts on law enforcement's requests only.
func recipientChecks(c *CaseFile, rc *Recipient) []string {
	e := rc.Entry
	if e == nil {
		return []string{fmt.Sprintf("%s: not in the recipient directory; find where it takes requests (or add it with --directory)", rc.Name)}
	}
	ch, who := e.Victims, "victims or their representatives"
	if c.LawEnforcement() {
		ch, who = e.LawEnforcement, "law enforcement"
	}
	var out []string
	if strings.TrimSpace(ch.Portal) == "" && strings.TrimSpace(ch.Email) == "" {
		out = append(out, fmt.Sprintf("%s: the directory has no verified channel for %s; see %s/SEND.md", rc.Name, who, rc.Slug))
	}
	if rc.Kind == RecipientIssuer && !c.LawEnforcement() {
		out = append(out, fmt.Sprintf("%s: acts on requests from law enforcement; ask the police to send or confirm this letter (see %s/SEND.md)", rc.Name, rc.Slug))
	}
	return out
}
