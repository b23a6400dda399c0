package report

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
)

// LoadTrace reads a trace.json with trace.ReadJSON and names the file, and
// the line where there is one, in every input error.
func TestLoadTrace(t *testing.T) {
	r, err := LoadTrace(filepath.Join(goldenRoot, "fixture-case", "case", "trace.json"))
	if err != nil {
		t.Fatalf("golden trace.json: %v", err)
	}
	if len(r.Origins) != 3 || len(r.Endpoints) != 7 {
		t.Errorf("%d sources, %d endpoints; want 3 and 7", len(r.Origins), len(r.Endpoints))
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "trace.json")
	bad := []struct{ name, text, want string }{
		{"ErrSyntax", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"rule\": \n}", path + ":4: "},
		{"ErrType", "{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"rule\": 5\n}", path + ":3: "},
		{"ErrUnknownField", `{"schema": "freezetrace.trace/v1", "colour": 1}`, path + `: json: unknown field "colour"`},
		{"ErrSchema", `{"schema": "freezetrace.trace/v0"}`, path + `: schema "freezetrace.trace/v0"`},
		{"ErrTrailing", `{"schema": "freezetrace.trace/v1"} {}`, path + ":1: data after the trace"},
		{"ErrAddress", `{"schema": "freezetrace.trace/v1", "sources": [{"from": "0x12"}]}`, "not an EVM address"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadTrace(path)
			var ie *chains.InputError
			if err == nil || !errors.As(err, &ie) || !strings.HasPrefix(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want an input error naming the file, containing %q", err, c.want)
			}
		})
	}
	for name, p := range map[string]string{"ErrDirectory": dir, "ErrMissing": filepath.Join(dir, "none.json")} {
		t.Run(name, func(t *testing.T) {
			_, err := LoadTrace(p)
			var ie *chains.InputError
			if err == nil || !errors.As(err, &ie) || !strings.Contains(err.Error(), p) {
				t.Errorf("error %v, want an input error naming %s", err, p)
			}
		})
	}
}

// FuzzEscapers checks the escaping of any outside text: a CSV or XLSX cell
// never starts like a formula, and nothing carries control characters; a
// Markdown line has no unescaped character that opens markup or HTML.
func FuzzEscapers(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := untrusted.CellText(s)
		if formulaLike(c) {
			t.Fatalf("untrusted.CellText(%q) = %q starts like a formula", s, c)
		}
		for _, out := range []string{c, mdEscape(s), mdInline(s), untrusted.Line(s), dotQuote(s)} {
			for _, r := range out {
				if unicode.IsControl(r) || untrusted.IsBidiControl(r) {
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
