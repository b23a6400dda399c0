package report

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"freezetrace/chains/untrusted"
)

// cleanSpan is untrusted.Line for a piece of a line: a space at either
// end is kept (as one space), so that pieces join with their spacing
// intact.
func cleanSpan(s string) string {
	t := untrusted.Text(s)
	out := strings.Join(strings.Fields(t), " ")
	if out == "" {
		if t != "" {
			return " "
		}
		return ""
	}
	if r, _ := utf8.DecodeRuneInString(t); unicode.IsSpace(r) {
		out = " " + out
	}
	if r, _ := utf8.DecodeLastRuneInString(t); unicode.IsSpace(r) {
		out += " "
	}
	return out
}

// mdEscape escapes one line of text for Markdown (CommonMark and GitHub
// flavour) that may start a line: every character with a meaning in inline
// Markdown or raw HTML gets a backslash, as do the characters that open a
// block at the start of a line; line breaks become spaces.
func mdEscape(s string) string { return mdEscapeAt(s, true) }

// mdInline escapes text that does not start a line.
func mdInline(s string) string { return mdEscapeAt(s, false) }

func mdEscapeAt(s string, lineStart bool) string {
	if lineStart {
		s = untrusted.Line(s)
	} else {
		s = cleanSpan(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i, r := range s {
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&':
			b.WriteByte('\\')
		case '#', '+', '-', '=':
			if i == 0 && lineStart {
				b.WriteByte('\\')
			}
		case '.', ')':
			if lineStart && i > 0 && allDigits(s[:i]) {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// dotQuote writes s as a quoted DOT string. Backslashes and quotes are
// escaped so that Graphviz's own escapes (\N, \G, \l) cannot be injected,
// and newlines become Graphviz line breaks.
func dotQuote(s string) string {
	s = untrusted.Text(s)
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '"':
			b.WriteString(`\"`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
