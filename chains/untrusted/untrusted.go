// Package untrusted makes third-party text (labels, case files, explorer
// answers, file names) safe to write: on a terminal, in a CSV or XLSX cell,
// in JSON that people may read on a terminal, and in any document. Every
// writer in the project uses these functions
// rather than an escaper of its own, so a hostile label is treated the same
// in every output.
package untrusted

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Text makes text safe to show anywhere: invalid UTF-8 is replaced, control
// characters (except newlines) and the bidirectional overrides that can make
// text read differently from what it is are removed, and tabs become spaces.
func Text(s string) string {
	if plain(s, true) {
		return s
	}
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
		case r == '\r', unicode.IsControl(r), IsBidiControl(r):
			// dropped
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Line is Text on one line: newlines and runs of spaces become one space,
// and the ends are trimmed.
func Line(s string) string {
	if plain(s, false) && !strings.Contains(s, "  ") && !strings.HasPrefix(s, " ") && !strings.HasSuffix(s, " ") {
		return s
	}
	return strings.Join(strings.Fields(Text(s)), " ")
}

// plain reports whether s is printable ASCII (and newlines, if allowed):
// text that Text returns as it is. Most cells of a ledger are, and skip
// the rune-by-rune copy.
func plain(s string, newlines bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' || c > '~') && (c != '\n' || !newlines) {
			return false
		}
	}
	return true
}

// Terminal is Line for a terminal: nothing in it can move the cursor,
// change colours, reorder the text or start a new line.
func Terminal(s string) string { return Line(s) }

// Cell neutralises one spreadsheet cell of text we wrote ourselves: text a
// spreadsheet would read as a formula or command (starting with = + - @, a
// tab or a carriage return) gets a leading apostrophe, so it is shown, never
// evaluated.
func Cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// CellText is Cell(Line(s)): one line of third-party text for a CSV or
// XLSX cell. The leading-character check runs after cleaning, so a formula
// hidden behind control characters is caught too.
func CellText(s string) string { return Cell(Line(s)) }

// JSON returns JSON text b with every control character, bidirectional
// control and other invisible format character (Unicode category Cf: zero
// widths, tags, the byte order mark) inside its strings written as a \u
// escape. The JSON means the same to every reader, and shown on a
// terminal or in an editor it reads as it is. JSON text holds such
// characters only inside strings, so b is rewritten byte by byte; b is
// returned as it is when it has none.
func JSON(b []byte) []byte {
	i := jsonClean(b)
	if i == len(b) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i < len(b) {
		out = append(out, b[:i]...)
		b = b[i:]
		r, n := utf8.DecodeRune(b)
		for _, u := range utf16.Encode([]rune{r}) {
			out = fmt.Appendf(out, "\\u%04x", u)
		}
		b = b[n:]
		i = jsonClean(b)
	}
	return append(out, b...)
}

// jsonClean is the length of the start of b that JSON keeps as it is.
// Bytes that are not UTF-8 (json.Marshal never writes them) are kept, for
// the reader to reject.
func jsonClean(b []byte) int {
	for i := 0; i < len(b); {
		if c := b[i]; c >= ' ' && c < 0x7f || c == '\n' || c == '\t' || c == '\r' {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if (r != utf8.RuneError || n > 1) && jsonEscaped(r) {
			return i
		}
		i += n
	}
	return len(b)
}

// jsonEscaped reports whether JSON writes r as an escape: a control
// character, a bidirectional control, a line or paragraph separator, or
// another format character.
func jsonEscaped(r rune) bool {
	return unicode.IsControl(r) || IsBidiControl(r) || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Cf, r)
}

// JSONWriter returns a writer that writes JSON text to w through JSON.
// Each Write must hold whole characters, as json.Encoder's do (it writes
// each value in one Write).
func JSONWriter(w io.Writer) io.Writer { return jsonWriter{w} }

type jsonWriter struct{ w io.Writer }

func (j jsonWriter) Write(p []byte) (int, error) {
	if _, err := j.w.Write(JSON(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// IsBidiControl reports whether r is a bidirectional embedding, override,
// isolate or mark.
func IsBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200E || r == 0x200F || r == 0x061C
}
