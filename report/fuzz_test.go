package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"freezetrace/chains"
)

func TestParseTrace(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "golden", "case", "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ParseTrace("trace.json", good)
	if err != nil {
		t.Fatalf("golden trace.json: %v", err)
	}
	if len(r.Origins) != 3 || len(r.Endpoints) != 7 {
		t.Errorf("%d sources, %d endpoints; want 3 and 7", len(r.Origins), len(r.Endpoints))
	}
	bad := []struct{ name, text, want string }{
		{"ErrSyntax", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"rule\": \n}", "trace.json:4:"},
		{"ErrType", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"rule\": 5\n}", "trace.json:3:"},
		{"ErrUnknownField", `{"schema": "freezetrace.trace/v1", "colour": 1}`, `unknown field "colour"`},
		{"ErrSchema", `{"schema": "freezetrace.trace/v0"}`, `schema "freezetrace.trace/v0"`},
		{"ErrTrailing", `{"schema": "freezetrace.trace/v1"} {}`, "data after the trace"},
		{"ErrAddress", `{"schema": "freezetrace.trace/v1", "sources": [{"from": "0x12"}]}`, "not an EVM address"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseTrace("trace.json", []byte(c.text))
			var ie *chains.InputError
			if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want an input error containing %q", err, c.want)
			}
		})
	}
}

func FuzzParseTrace(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "golden", "case", "trace.json")); err == nil {
		f.Add(string(b))
	}
	f.Add(`{"schema": "freezetrace.trace/v1"}`)
	f.Add(`{"schema": "freezetrace.trace/v1", "endpoints": [{"amount": "1"}]}`)
	f.Fuzz(func(t *testing.T, text string) {
		_, err := ParseTrace("t.json", []byte(text))
		if err != nil {
			var ie *chains.InputError
			if !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), "t.json") {
				t.Fatalf("error %v is not an input error naming the file", err)
			}
		}
	})
}

// FuzzEscapers checks the escaping of any outside text: a CSV or XLSX cell
// never starts like a formula, and nothing carries control characters; a
// Markdown line has no unescaped character that opens markup or HTML.
func FuzzEscapers(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := textCell(s)
		if formulaLike(c) {
			t.Fatalf("textCell(%q) = %q starts like a formula", s, c)
		}
		for _, out := range []string{c, mdEscape(s), mdInline(s), cleanLine(s), dotQuote(s)} {
			for _, r := range out {
				if unicode.IsControl(r) || isBidiControl(r) {
					t.Fatalf("control character %U in %q (from %q)", r, out, s)
				}
			}
		}
		md := mdEscape(s)
		for i := 0; i < len(md); i++ {
			if strings.IndexByte("<>[]`*_|", md[i]) >= 0 && (i == 0 || md[i-1] != '\\' || escapedBackslash(md, i-1)) {
				t.Fatalf("mdEscape(%q) = %q: unescaped %q at %d", s, md, md[i], i)
			}
		}
		q := dotQuote(s)
		if !strings.HasPrefix(q, `"`) || !strings.HasSuffix(q, `"`) || len(q) < 2 {
			t.Fatalf("dotQuote(%q) = %s is not quoted", s, q)
		}
		inner := q[1 : len(q)-1]
		for i := 0; i < len(inner); i++ {
			if inner[i] == '"' && (i == 0 || inner[i-1] != '\\' || escapedBackslash(inner, i-1)) {
				t.Fatalf("dotQuote(%q) = %s ends its string early", s, q)
			}
		}
	})
}

// escapedBackslash reports whether the backslash at i is itself escaped
// (preceded by an odd run of backslashes).
func escapedBackslash(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}
