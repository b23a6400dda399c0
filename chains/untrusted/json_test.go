package untrusted

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// bidiControls are the characters that reorder text on a terminal:
// embeddings and overrides, isolates, the marks and the Arabic letter mark.
var bidiControls = []rune{0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069, 0x200E, 0x200F, 0x061C}

// TestBidiControlsNeutralised: every escaper drops each bidirectional
// control, wherever it sits in the text.
func TestBidiControlsNeutralised(t *testing.T) {
	for _, r := range bidiControls {
		if !IsBidiControl(r) {
			t.Errorf("IsBidiControl(%U) = false", r)
		}
		for _, in := range []string{string(r) + "Binance", "Bin" + string(r) + "ance", "Binance" + string(r), "exe.\u202e" + string(r) + "gpj"} {
			want := strings.ReplaceAll(strings.ReplaceAll(in, string(r), ""), "\u202e", "")
			for name, f := range map[string]func(string) string{"Text": Text, "Line": Line, "Terminal": Terminal, "CellText": CellText} {
				if got := f(in); got != want {
					t.Errorf("%s(%q) = %q, want %q", name, in, got, want)
				}
			}
		}
	}
}

// TestJSON: JSON escapes controls, bidirectional controls and other
// invisible format characters inside strings, and the JSON still means
// the same.
func TestJSON(t *testing.T) {
	v := map[string]any{
		"entity": "Binance\u202e\u2066evil\u061c\u200f",
		"note":   "zero\u200bwidth\ufeff tag\U000E0041 del\x7f c1\u009b sep\u2028",
		"plain":  "Ünïcode ✓ 中文 emoji 👍 replacement \ufffd",
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	out := JSON(b)
	for _, r := range string(out) {
		if jsonEscaped(r) && r != '\n' {
			t.Errorf("%U left raw in %s", r, out)
		}
	}
	for _, esc := range []string{`\u202e`, `\u2066`, `\u061c`, `\u200f`, `\u200b`, `\ufeff`, `\udb40\udc41`, `\u007f`, `\u009b`} {
		if !bytes.Contains(out, []byte(esc)) {
			t.Errorf("no %s in %s", esc, out)
		}
	}
	if !bytes.Contains(out, []byte("Ünïcode ✓ 中文 emoji 👍")) {
		t.Errorf("printable text changed: %s", out)
	}
	var back map[string]any
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("JSON output does not parse: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(back, v) {
		t.Errorf("read back %q, want %q", back, v)
	}
	plain := []byte(`{"a": "b"}`)
	if got := JSON(plain); &got[0] != &plain[0] {
		t.Errorf("JSON copied text that needs no escape")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(JSONWriter(&buf))
	if err := enc.Encode("x\u202ey"); err != nil || buf.String() != "\"x\\u202ey\"\n" {
		t.Errorf("JSONWriter wrote %q, %v", buf.String(), err)
	}
}

// FuzzJSON: whatever json.Marshal writes, JSON leaves no character a
// terminal would hide or reorder, and the text means the same.
func FuzzJSON(f *testing.F) {
	for _, s := range []string{"plain", "evil\u202egnp.exe", "\u2066x\u2069", "tag\U000E0041", "bad\xffutf8", "\x7f\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := json.Marshal([]string{s, "k\u202e" + s})
		if err != nil {
			t.Fatal(err)
		}
		out := JSON(b)
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		for _, r := range string(out) {
			if jsonEscaped(r) {
				t.Fatalf("%U left raw in %q", r, out)
			}
		}
		var a, c []string
		if err := json.Unmarshal(b, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(out, &c); err != nil || !reflect.DeepEqual(a, c) {
			t.Fatalf("JSON(%q) = %q reads back %q, %v; want %q", b, out, c, err, a)
		}
	})
}
