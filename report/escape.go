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
// block at the start of a line; line breaks become spaces. So do the
// characters GitHub matches to make a link of bare text (its extended
// autolinks): the colon of "://" ("https\://evil.example") and the dot of
// "www." ("www\.evil.example"), so that a URL reads as the text it is and
// is not a link. The result holds no unescaped markup character at all.
func mdEscape(s string) string { return mdEscapeText(s, true, autolinkEscape) }

// mdInline escapes text that does not start a line, as mdEscape does, but
// sets a word (a run of text between spaces) that GitHub would make a link
// of, one holding "://" or "www.", as a code span instead:
// "`https://evil.example`", the URL as written and a link in no Markdown.
// A word holding a backtick or a "|" cannot be a code span everywhere (a
// table splits at "|"), so it is escaped as mdEscape does. (An e-mail
// address is still linked as mailto: by GitHub, which finds those after
// escapes are undone.)
func mdInline(s string) string { return mdEscapeText(s, false, autolinkCode) }

// mdLinkText escapes the text of a link, "[text](url)": as mdInline, but
// a URL in it stays text, since GitHub links no text inside a link's
// brackets.
func mdLinkText(s string) string { return mdEscapeText(s, false, autolinkKeep) }

// How mdEscapeText treats what GitHub would autolink.
const (
	autolinkKeep   = iota // leave it (inside a link's text)
	autolinkEscape        // escape the colon of "://" and the dot of "www."
	autolinkCode          // set the word as a code span, else escape
)

// mdEscapeText is mdEscape (lineStart) or mdInline, treating what GitHub
// would autolink as autolinks says.
func mdEscapeText(s string, lineStart bool, autolinks int) string {
	if lineStart {
		s = untrusted.Line(s)
	} else {
		s = cleanSpan(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		if autolinks == autolinkCode && (i == 0 || s[i-1] == ' ') {
			end := i + strings.IndexByte(s[i:]+" ", ' ')
			if w := s[i:end]; linkLike(w) && !strings.ContainsAny(w, "`|") {
				b.WriteString("`" + w + "`")
				i = end
				continue
			}
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch r {
		case '\\', '`', '*', '_', '[', ']', '<', '>', '|', '~', '&':
			b.WriteByte('\\')
		case '#', '+', '-', '=':
			if i == 0 && lineStart {
				b.WriteByte('\\')
			}
		case '.', ')':
			if (lineStart && i > 0 && allDigits(s[:i])) || (autolinks != autolinkKeep && r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www")) {
				b.WriteByte('\\')
			}
		case ':':
			if autolinks != autolinkKeep && strings.HasPrefix(s[i+1:], "//") {
				b.WriteByte('\\')
			}
		}
		b.WriteRune(r)
		i += n
	}
	return b.String()
}

// linkLike reports whether GitHub could make a link of (part of) the word
// w: it holds a scheme's "://" or "www.".
func linkLike(w string) bool {
	return strings.Contains(w, "://") || strings.Contains(strings.ToLower(w), "www.")
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
