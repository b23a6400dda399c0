package report

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// cleanText makes untrusted text safe to show anywhere: invalid UTF-8 is
// replaced, control characters (except newlines) and the bidirectional
// overrides that can make text read differently from what it is are
// removed, and tabs become spaces.
func cleanText(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteByte(' ')
		case r == '\r', unicode.IsControl(r), isBidiControl(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanLine is cleanText on one line: newlines and runs of spaces become one
// space, and the ends are trimmed.
func cleanLine(s string) string {
	return strings.Join(strings.Fields(cleanText(s)), " ")
}

// cleanSpan is cleanLine for a piece of a line: a space at either end is
// kept (as one space), so that pieces join with their spacing intact.
func cleanSpan(s string) string {
	t := cleanText(s)
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

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200E || r == 0x200F || r == 0x061C
}

// cell neutralises a spreadsheet cell: text a spreadsheet would read as a
// formula or command (starting with = + - @, a tab or a carriage return)
// gets a leading apostrophe, so it is shown, never evaluated.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// textCell is cell(cleanLine(s)): one line of untrusted text for a CSV or
// XLSX cell. The leading-character check runs after cleaning, so a formula
// hidden behind control characters is caught too.
func textCell(s string) string { return cell(cleanLine(s)) }

// mdEscape escapes one line of text for Markdown (CommonMark and GitHub
// flavour) that may start a line: every character with a meaning in inline
// Markdown or raw HTML gets a backslash, as do the characters that open a
// block at the start of a line; line breaks become spaces.
func mdEscape(s string) string { return mdEscapeAt(s, true) }

// mdInline escapes text that does not start a line.
func mdInline(s string) string { return mdEscapeAt(s, false) }

func mdEscapeAt(s string, lineStart bool) string {
	if lineStart {
		s = cleanLine(s)
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
	s = cleanText(s)
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
