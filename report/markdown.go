package report

import (
	"strings"

	"freezetrace/chains/untrusted"
)

// markdown writes d as CommonMark/GitHub Markdown. All text is escaped;
// only the structure (headings, tables, lists, links to our own files and
// explorer URLs) is markup, and the code spans that keep a URL in the text
// from becoming a link (mdInline).
func markdown(d *document) string {
	var b strings.Builder
	b.WriteString("# " + mdInline(d.Title) + "\n")
	for _, bl := range d.Blocks {
		b.WriteString("\n")
		switch x := bl.(type) {
		case heading:
			b.WriteString(strings.Repeat("#", x.Level) + " " + mdInline(x.Text) + "\n")
		case para:
			b.WriteString(mdSpans(x.Spans) + "\n")
		case list:
			for _, it := range x.Items {
				b.WriteString("- " + mdSpans(it) + "\n")
			}
		case fields:
			for _, r := range x.Rows {
				var lines []string
				for _, l := range strings.Split(r[1], "\n") {
					if l = mdInline(l); l != "" {
						lines = append(lines, l)
					}
				}
				b.WriteString("**" + mdInline(r[0]) + ":** " + strings.Join(lines, "  \n") + "  \n")
			}
		case figure:
			// The caption is the image's text; File is our own file name.
			if x.File == "" {
				b.WriteString(mdEscape(x.Caption) + "\n")
			} else {
				b.WriteString("![" + mdInline(x.Caption) + "](" + mdURL(x.File) + ")\n")
			}
		case table:
			b.WriteString("|")
			for _, h := range x.Head {
				b.WriteString(" " + mdEscape(h) + " |")
			}
			b.WriteString("\n|")
			for i := range x.Head {
				if colRight(x, i) {
					b.WriteString(" ---: |")
				} else {
					b.WriteString(" --- |")
				}
			}
			b.WriteString("\n")
			for _, row := range x.Rows {
				b.WriteString("|")
				for _, c := range row {
					parts := make([]string, len(c.Lines))
					for i, s := range c.Lines {
						parts[i] = mdSpan(s)
					}
					b.WriteString(" " + strings.Join(parts, "<br>") + " |")
				}
				b.WriteString("\n")
			}
		}
	}
	return b.String()
}

// colRight reports whether column i holds right-aligned cells.
func colRight(t table, i int) bool {
	for _, r := range t.Rows {
		if i < len(r) && r[i].Right {
			return true
		}
	}
	return false
}

func mdSpans(ss []span) string {
	var b strings.Builder
	for i, s := range ss {
		t := mdSpan(s)
		if i == 0 && !s.Mono && s.Link == "" && !s.Bold {
			t = mdEscape(s.Text)
		}
		b.WriteString(t)
	}
	return b.String()
}

// mdSpan writes one span. Mono text is hex or base58 we produced ourselves
// but is escaped like any other text, so it never needs a code span.
func mdSpan(s span) string {
	var t string
	if s.Link != "" {
		t = mdLinkText(s.Text)
	} else {
		t = mdInline(s.Text)
	}
	if s.Mono {
		t = "`" + strings.NewReplacer("`", "", "|", `\|`).Replace(untrusted.Line(s.Text)) + "`"
	}
	if s.Bold {
		t = "**" + t + "**"
	}
	if s.Link != "" {
		return "[" + t + "](" + mdURL(s.Link) + ")"
	}
	return t
}

// mdURL keeps a link target from breaking out of its parentheses.
func mdURL(u string) string {
	r := strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\r", "")
	return r.Replace(untrusted.Line(u))
}
