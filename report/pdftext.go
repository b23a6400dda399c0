package report

import (
	"strings"
	"unicode/utf8"

	"codeberg.org/go-pdf/fpdf"
)

// The PDF letter shows at most pdfTextLimit characters (runes) of any one
// paragraph, list item, heading, field value or table cell, and of the
// title; longer text is cut there and ends with pdfTruncated, which names
// the letter's Markdown file: it, the HTML letter, the JSON and the CSV
// keep the full text (Write writes the Markdown letters whenever it writes
// PDF ones). The footer, repeated on every page, shows at most
// pdfFooterLimit characters. The bound keeps a letter readable and its
// rendering time in proportion to what it shows, whatever a label list
// or a case file holds.
const (
	pdfTextLimit   = 2000
	pdfFooterLimit = 160
	pdfFullText    = "letter.md"
	pdfTruncated   = "… (truncated; the full text is in " + pdfFullText + ")"
)

// clipDoc returns d with every text longer than pdfTextLimit cut (see
// above). Text within the bound is returned as it is.
func clipDoc(d *document) *document {
	c := &document{Title: clipText(d.Title, pdfTextLimit), Lang: d.Lang, Blocks: make([]block, 0, len(d.Blocks))}
	for _, bl := range d.Blocks {
		switch x := bl.(type) {
		case heading:
			c.Blocks = append(c.Blocks, heading{Level: x.Level, Text: clipText(x.Text, pdfTextLimit)})
		case para:
			c.Blocks = append(c.Blocks, para{Spans: clipSpans(x.Spans, pdfTextLimit)})
		case list:
			items := make([][]span, len(x.Items))
			for i, it := range x.Items {
				items[i] = clipSpans(it, pdfTextLimit)
			}
			c.Blocks = append(c.Blocks, list{Items: items})
		case fields:
			rows := make([][2]string, len(x.Rows))
			for i, r := range x.Rows {
				rows[i] = [2]string{clipText(r[0], pdfTextLimit), clipText(r[1], pdfTextLimit)}
			}
			c.Blocks = append(c.Blocks, fields{Rows: rows})
		case table:
			t := table{Head: make([]string, len(x.Head)), Rows: make([][]tcell, len(x.Rows))}
			for i, h := range x.Head {
				t.Head[i] = clipText(h, pdfTextLimit)
			}
			for i, r := range x.Rows {
				t.Rows[i] = make([]tcell, len(r))
				for j, cl := range r {
					t.Rows[i][j] = tcell{Lines: clipSpans(cl.Lines, pdfTextLimit), Right: cl.Right}
				}
			}
			c.Blocks = append(c.Blocks, t)
		case figure:
			c.Blocks = append(c.Blocks, figure{Caption: clipText(x.Caption, pdfTextLimit), File: x.File, Diagram: x.Diagram})
		default:
			c.Blocks = append(c.Blocks, bl)
		}
	}
	return c
}

// clipText cuts s after limit runes and appends pdfTruncated.
func clipText(s string, limit int) string {
	if i, cut := runeIndex(s, limit); cut {
		return s[:i] + pdfTruncated
	}
	return s
}

// clipSpans cuts a run of spans (a paragraph, a list item, the lines of a
// table cell) after limit runes in all and appends pdfTruncated as a span
// of plain text: after the cut text in a paragraph, on a line of its own in
// a cell.
func clipSpans(ss []span, limit int) []span {
	left := limit
	for i, s := range ss {
		n, cut := runeIndex(s.Text, left)
		if !cut {
			left -= utf8.RuneCountInString(s.Text)
			continue
		}
		out := append(make([]span, 0, i+2), ss[:i]...)
		s.Text = s.Text[:n]
		if s.Text != "" {
			out = append(out, s)
		}
		return append(out, txt(pdfTruncated))
	}
	return ss
}

// runeIndex returns the byte index in s after its first n runes, and
// whether s is longer than that.
func runeIndex(s string, n int) (int, bool) {
	if len(s) <= n {
		return len(s), false
	}
	for i := range s {
		if n == 0 {
			return i, true
		}
		n--
	}
	return len(s), false
}

// pdfChunk is the most characters handed to fpdf's Write at once. Write
// (codeberg.org/go-pdf/fpdf v0.12.0) converts the whole string it is given
// to runes again for every character it places, so one call costs the
// square of its length: a 10 KB paragraph took 20 s. Fed in pieces of at
// most pdfChunk characters, a text costs in proportion to its length.
const pdfChunk = 200

// writeText writes s as flowing text with line height lh in the current
// font, as fpdf's Write (or WriteLinkString, with link) does, in pieces of
// at most pdfChunk characters that end after a space where there is one,
// or where the current line ends.
func writeText(f *fpdf.Fpdf, lh float64, s, link string) {
	emit := func(t string) {
		if link != "" {
			f.WriteLinkString(lh, t, link)
		} else {
			f.Write(lh, t)
		}
	}
	if len(s) <= pdfChunk || utf8.RuneCountInString(s) <= pdfChunk {
		emit(s)
		return
	}
	rs := []rune(s)
	for len(rs) > 0 {
		n := min(len(rs), pdfChunk)
		if n < len(rs) {
			if k := lastBreak(rs[:n]); k > 0 {
				n = k
			} else {
				n = fitRunes(f, rs[:n])
			}
		}
		emit(string(rs[:n]))
		rs = rs[n:]
	}
}

// lastBreak is the length of the longest prefix of rs that ends after a
// space or a line break, 0 when there is none.
func lastBreak(rs []rune) int {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i] == ' ' || rs[i] == '\n' {
			return i + 1
		}
	}
	return 0
}

// fitRunes is how many of rs (a piece with no space) fit on the rest of
// the current line, or on a whole line when none does there, at least
// one: Write then continues the word on the next line, as it would have
// had it been given the whole text.
func fitRunes(f *fpdf.Fpdf, rs []rune) int {
	l, _, r, _ := f.GetMargins()
	pw, _ := f.GetPageSize()
	count := func(room float64) int {
		w := 0.0
		for i, c := range rs {
			if w += f.GetStringWidth(string(c)); w > room {
				return i
			}
		}
		return len(rs)
	}
	if n := count(pw - r - f.GetX()); n > 0 {
		return n
	}
	return max(1, count(pw-r-l))
}

// clipFooter cuts the footer line to pdfFooterLimit runes.
func clipFooter(s string) string {
	if i, cut := runeIndex(s, pdfFooterLimit); cut {
		return strings.TrimSpace(s[:i]) + "…"
	}
	return s
}
