package untrusted

import "testing"

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
