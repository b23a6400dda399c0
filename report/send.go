package report

import (
	"fmt"
	"strings"

	"freezetrace/chains/untrusted"
)

// sendNotes builds a recipient's SEND.md: where to send the letter for
// this sender, what the recipient asks for and the limits it states (from
// the directory, with its sources and when they were read), what to
// attach, and what the case file still lacks.
func (w *writer) sendNotes(rc *Recipient, checklist []string) *document {
	m := w.m
	d := &document{Title: fmt.Sprintf(m.SendTitle, rc.Name), Lang: w.c.Language}
	add := func(b ...block) { d.Blocks = append(d.Blocks, b...) }
	e := rc.Entry
	if e == nil {
		add(p(txt(fmt.Sprintf(m.SendNoEntry, rc.Name))))
	} else {
		if ln := strings.TrimSpace(e.LegalName); ln != "" {
			add(fields{Rows: [][2]string{{m.SendLegalName, ln}}})
		}
		first, second := e.Victims, e.LawEnforcement
		firstName, secondName := m.SendVictims, m.SendLawEnforcement
		if w.c.LawEnforcement() {
			first, second, firstName, secondName = second, first, secondName, firstName
		}
		add(heading{2, m.SendWhere})
		add(channelBlocks(m, firstName, first)...)
		add(channelBlocks(m, secondName, second)...)
		add(listSection(m.SendAsksFor, e.AsksFor)...)
		add(listSection(m.SendConstraints, e.Constraints)...)
	}
	attach := [][]span{
		{mono("letter.pdf"), txt(" " + m.SendAttachLetter)},
		{mono("evidence.xlsx"), txt(" " + m.SendAttachXLSX)},
		{mono("ledger.csv"), txt(" " + m.SendAttachLedger)},
	}
	for _, doc := range w.c.Documents {
		attach = append(attach, []span{mono(doc.File), txt(" (" + untrusted.Line(doc.Name) + ", SHA-256 "), mono(doc.SHA256), txt(")")})
	}
	if e != nil {
		for _, a := range e.Attach {
			attach = append(attach, []span{txt(untrusted.Line(a))})
		}
	}
	add(heading{2, m.SendAttach}, list{Items: attach})
	var mine [][]span
	self := rc.Slug + "/SEND.md"
	for _, l := range checklist {
		l = strings.ReplaceAll(strings.ReplaceAll(l, " (see "+self+")", ""), "; see "+self, "")
		mine = append(mine, []span{txt(l)})
	}
	add(heading{2, m.ChecklistHeading})
	if len(mine) == 0 {
		add(p(txt(m.ChecklistNone)))
	} else {
		add(p(txt(m.ChecklistIntro)), list{Items: mine})
	}
	if e != nil {
		var src [][]span
		for _, s := range e.Sources {
			src = append(src, []span{link(s, s, false)})
		}
		add(heading{2, m.SendSources}, p(txt(fmt.Sprintf(m.SendChecked, orNot(m, e.LastChecked), w.dir.Origin))), list{Items: src})
	}
	return d
}

// channelBlocks say how one kind of sender reaches the recipient.
func channelBlocks(m *Messages, who string, ch Channel) []block {
	var rows [][2]string
	if s := strings.TrimSpace(ch.Portal); s != "" {
		rows = append(rows, [2]string{m.SendPortal, s})
	}
	if s := strings.TrimSpace(ch.Email); s != "" {
		rows = append(rows, [2]string{m.Email, s})
	}
	if s := strings.TrimSpace(ch.Notes); s != "" {
		rows = append(rows, [2]string{m.SendNotesField, s})
	}
	if len(rows) == 0 {
		rows = append(rows, [2]string{m.SendPortal, m.SendNoChannel})
	}
	return []block{p(span{Text: who, Bold: true}), fields{Rows: rows}}
}

func listSection(title string, items []string) []block {
	if len(items) == 0 {
		return nil
	}
	l := list{}
	for _, s := range items {
		l.Items = append(l.Items, []span{txt(untrusted.Line(s))})
	}
	return []block{heading{2, title}, l}
}

func orNot(m *Messages, s string) string {
	if strings.TrimSpace(s) == "" {
		return m.NotGiven
	}
	return s
}

// checklistFor keeps the checklist lines about the case and those about rc.
func checklistFor(all []string, rcs []*Recipient, rc *Recipient) []string {
	var out []string
	for _, l := range all {
		other := false
		for _, o := range rcs {
			if o != rc && strings.HasPrefix(l, o.Name+": ") {
				other = true
			}
		}
		if !other {
			out = append(out, l)
		}
	}
	return out
}
