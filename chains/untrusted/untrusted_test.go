package untrusted

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestEscapers(t *testing.T) {
	for _, c := range []struct{ in, text, line, cell string }{
		{"plain", "plain", "plain", "plain"},
		{"a\tb\r\nc", "a b\nc", "a b c", "a b c"},
		{"\x1b[31mred\x1b[0m", "[31mred[0m", "[31mred[0m", "[31mred[0m"},
		{"evil\u202egnp.exe", "evilgnp.exe", "evilgnp.exe", "evilgnp.exe"},
		{"=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")", "=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"},
		{"\x07\x00=1+1", "=1+1", "=1+1", "'=1+1"},
		{"  two \n lines  ", "  two \n lines  ", "two lines", "two lines"},
		{"bad\xffutf8", "bad\uFFFDutf8", "bad\uFFFDutf8", "bad\uFFFDutf8"},
		{"", "", "", ""},
	} {
		if got := Text(c.in); got != c.text {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.text)
		}
		if got := Line(c.in); got != c.line {
			t.Errorf("Line(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := Terminal(c.in); got != c.line {
			t.Errorf("Terminal(%q) = %q, want %q", c.in, got, c.line)
		}
		if got := CellText(c.in); got != c.cell {
			t.Errorf("CellText(%q) = %q, want %q", c.in, got, c.cell)
		}
	}
	for _, s := range []string{"-5", "+1", "@x", "\tx", "\rx"} {
		if got := Cell(s); got != "'"+s {
			t.Errorf("Cell(%q) = %q", s, got)
		}
	}
}

func TestCellText(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+cmd", "'+cmd"}, {"-2", "'-2"}, {"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'=1"}, {"\r=1", "'=1"}, {"plain", "plain"}, {"", ""}, {"\x07=x", "'=x"},
		{" -1", "'-1"}, {"S1=100;S2=250", "S1=100;S2=250"}, {"a  b ", "a b"}, {"\u202e=x", "'=x"},
	} {
		if got := CellText(c.in); got != c.want {
			t.Errorf("CellText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// FuzzEscapers: whatever the input, Text and Line leave no control or
// bidirectional character (Text keeps newlines), Line leaves one line with
// single spaces and no space at either end, both are idempotent, and a cell
// never starts like a formula.
func FuzzEscapers(f *testing.F) {
	for _, s := range []string{"plain", "a\tb\r\nc", "\x1b[31mred", "evil\u202egnp.exe", "=1+1", "  two \n lines  ", "bad\xffutf8", "x\x7fy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		text, line, cell := Text(s), Line(s), CellText(s)
		for _, out := range []string{text, line, cell} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 %q from %q", out, s)
			}
			for _, r := range out {
				if (unicode.IsControl(r) && r != '\n') || IsBidiControl(r) {
					t.Fatalf("control character %U in %q (from %q)", r, out, s)
				}
			}
		}
		if strings.ContainsAny(line, "\n\t") || strings.Contains(line, "  ") || strings.TrimSpace(line) != line {
			t.Fatalf("Line(%q) = %q is not one trimmed line with single spaces", s, line)
		}
		if Text(text) != text || Line(line) != line {
			t.Fatalf("not idempotent: Text %q then %q, Line %q then %q", text, Text(text), line, Line(line))
		}
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			t.Fatalf("CellText(%q) = %q starts like a formula", s, cell)
		}
	})
}
