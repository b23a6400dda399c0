package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"freezetrace/chains"
)

// hostile strings a label list, a token contract or a case file could carry.
var hostile = []string{
	`<script>alert(1)</script>`,
	`=HYPERLINK("http://x","click")`,
	`+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	"-2+3",
	"\tTAB=1+1",
	"\rCR=1+1",
	"bell\x07escape\x1b[31mred\u202Eevil",
	`[click](javascript:alert(1))`,
	`](javascript:alert(1))`,
	`" onmouseover="alert(1)`,
	`\N\G" -> "x`,
}

// hostileDocument is the name of the document the hostile case file
// attaches; the letters and SEND.md list it.
var hostileDocument = hostile[0] + " " + hostile[7] + " " + hostile[8]

func hostileFixture(t *testing.T) (map[string][]byte, *Summary) {
	t.Helper()
	r := fixtureResult()
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		h := hostile[i%len(hostile)]
		if e.Entity != "" {
			e.Entity = "Binance " + h
		}
		e.Reason = h
		e.Labels = append(e.Labels, chains.Label{Chain: e.Chain, Address: e.Address, Entity: h, Category: chains.CategoryExchange,
			Source: hostile[(i+1)%len(hostile)], Note: h})
	}
	// The first exchange keeps a hostile name of its own.
	r.Endpoints[0].Entity = hostile[0]
	for i := range r.Assets {
		r.Assets[i].Symbol = hostile[(i+2)%len(hostile)]
	}
	for i := range r.Origins {
		r.Origins[i].Victim = hostile[(i+3)%len(hostile)]
	}
	for i := range r.Holdings {
		h := &r.Holdings[i]
		h.Warnings = append(h.Warnings, hostile[(i+4)%len(hostile)])
		if h.Freeze != nil {
			h.Freeze.Note = hostile[(i+5)%len(hostile)]
		}
	}
	r.Provenance[0].Detail = hostile[1]
	r.Ledger[0].Detail = hostile[2]
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	text := fixtureCaseText()
	text = strings.Replace(text, `"Victim Support Network"`, q(hostile[0]+" "+hostile[8]), 1)
	text = strings.Replace(text, `"Sam Carter"`, q(hostile[1]), 1)
	text = strings.Replace(text, `"Alice A."`, q(hostile[2]), 1)
	text = strings.Replace(text, `"EP-2024-000111"`, q(hostile[3]), 1)
	text = strings.Replace(text, `"Bob B."`, q(hostile[7]), 1)
	text = strings.Replace(text, `"NFT-2024-0117"`, q("NFT-1 "+hostile[9]), 1)
	text = strings.Replace(text, `"EPCCU/2024/311"`, q(hostile[10]), 1)
	text += "note: " + q(hostile[4]+" "+hostile[5]) + "\n"
	doc := filepath.Join(t.TempDir(), "scan`|<b>1 "+strings.ReplaceAll(hostile[1], "/", "")+".pdf")
	if err := os.WriteFile(doc, []byte("police report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	text += "documents:\n  - name: " + q(hostileDocument) + "\n    file: " + q(doc) + "\n"
	files, sum, err := Render(context.Background(), r, mustCase(t, text), Options{At: fixtureAt})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return files, sum
}

var controlChars = regexp.MustCompile("[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")

func TestInjection(t *testing.T) {
	files, sum := hostileFixture(t)
	if len(sum.Recipients) < 3 {
		t.Fatalf("%d recipients, want at least 3", len(sum.Recipients))
	}
	// SEND.md is Markdown like the letters and is checked with them; it
	// names the recipient and lists the case file's document.
	letters, sends := 0, 0
	for _, rc := range sum.Recipients {
		if !rc.Letter {
			continue
		}
		letters++
		send, ok := files[rc.Slug+"/SEND.md"]
		if !ok {
			t.Errorf("%s/SEND.md not written", rc.Slug)
			continue
		}
		sends++
		for _, w := range []string{mdInline(rc.Name), mdInline(hostileDocument)} {
			if !strings.Contains(string(send), w) {
				t.Errorf("%s/SEND.md does not show %q escaped", rc.Slug, w)
			}
		}
	}
	if letters < 3 || sends != letters {
		t.Errorf("%d SEND.md for %d letters, want one per letter and at least 3", sends, letters)
	}
	for name, b := range files {
		s := string(b)
		switch path.Ext(name) {
		case ".html":
			for _, bad := range []string{"<script", `href="javascript`, `href="#ZgotmplZ`, `" onmouseover`, "\x07", "\x1b", "\u202e"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s contains %q", name, bad)
				}
			}
			if !strings.Contains(s, "&lt;script&gt;") {
				t.Errorf("%s does not show the hostile label as text", name)
			}
		case ".md":
			if m := regexp.MustCompile(`(^|[^\\])<script`).FindString(s); m != "" {
				t.Errorf("%s has unescaped <script: %q", name, m)
			}
			if m := regexp.MustCompile(`(^|[^\\])\]\(javascript`).FindString(s); m != "" {
				t.Errorf("%s has a live javascript link: %q", name, m)
			}
			if controlChars.MatchString(s) {
				t.Errorf("%s contains control characters", name)
			}
		case ".csv":
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for i, row := range rows {
				for j, c := range row {
					if formulaLike(c) {
						t.Errorf("%s row %d col %d: cell %q would be read as a formula", name, i+1, j+1, c)
					}
				}
			}
		case ".xlsx":
			f, err := excelize.OpenReader(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			for _, sh := range f.GetSheetList() {
				rows, err := f.GetRows(sh)
				if err != nil {
					t.Fatal(err)
				}
				for i, row := range rows {
					for j, c := range row {
						if formulaLike(c) {
							t.Errorf("%s %s row %d col %d: cell %q would be read as a formula", name, sh, i+1, j+1, c)
						}
						if f, _ := f.GetCellFormula(sh, cellName(j, i)); f != "" {
							t.Errorf("%s %s: cell %s holds formula %q", name, sh, cellName(j, i), f)
						}
					}
				}
			}
			f.Close()
		case ".json":
			if strings.Contains(s, "<script") {
				t.Errorf("%s has a raw <script", name)
			}
			if !json.Valid(b) {
				t.Errorf("%s is not valid JSON", name)
			}
		case ".svg":
			checkXML(t, name, b)
			if strings.Contains(s, "<script") {
				t.Errorf("%s has a raw <script", name)
			}
		case ".pdf":
			text := extractPDFText(t, b)
			// The Go reader decodes the CJK fallback font as junk bytes, so
			// look for the control characters the hostile strings carry.
			for _, c := range []string{"\x07", "\x1b", "\u202e", "\t", "\r"} {
				if strings.Contains(text, c) {
					t.Errorf("%s text contains control character %q", name, c)
				}
			}
			if !strings.Contains(text, "<script>") {
				t.Errorf("%s does not show the hostile label as text", name)
			}
			if strings.Contains(name, "tether") && !strings.Contains(text, "bellescape[31mredevil") {
				t.Errorf("%s does not show the victim name with its control characters removed", name)
			}
		}
	}
	// DOT: every hostile label stays inside its quoted string, so Graphviz
	// parses the file and draws no extra node or edge.
	dot := string(files["case/graph.dot"])
	if strings.Count(dot, " -> ") != len(fixtureResult().Flows)+len(fixtureResult().Origins) {
		t.Errorf("case/graph.dot has %d edges, want %d", strings.Count(dot, " -> "), len(fixtureResult().Flows)+len(fixtureResult().Origins))
	}
}

func cellName(col, row int) string {
	n, _ := excelize.CoordinatesToCellName(col+1, row+1)
	return n
}

// formulaLike reports whether a spreadsheet would evaluate c.
func formulaLike(c string) bool {
	return c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0]))
}

// TestEscapers holds the escapers of this package; the text, line and
// cell escapers are chains/untrusted's, tested there.
func TestEscapers(t *testing.T) {
	md := []struct{ in, want string }{
		{"<script>", `\<script\>`},
		{"[x](javascript:y)", `\[x\](javascript:y)`},
		{"# title", `\# title`},
		{"1. item", `1\. item`},
		{"a*b_c`d|e", "a\\*b\\_c\\`d\\|e"},
		{"line\nbreak", "line break"},
	}
	for _, c := range md {
		if got := mdEscape(c.in); got != c.want {
			t.Errorf("mdEscape(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got, want := dotQuote("a\"b\\N\nc\x07"), `"a\"b\\N\nc"`; got != want {
		t.Errorf("dotQuote = %s, want %s", got, want)
	}
	for in, want := range map[string]string{
		"https://etherscan.io/tx/0x1": "https://etherscan.io/tx/0x1", "letter.pdf": "letter.pdf",
		"javascript:alert(1)": "#", "JaVaScRiPt:x": "#", "data:text/html,x": "#", "a/b:c": "a/b:c",
	} {
		if got := safeURL(in); got != want {
			t.Errorf("safeURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDisplay(t *testing.T) {
	cases := []struct {
		base string
		dec  uint8
		want string
	}{
		{"0", 6, "0.00"}, {"1", 6, "0.000001"}, {"1500250000", 6, "1,500.25"}, {"12500500000", 6, "12,500.50"},
		{"1000000000000000001", 18, "1.000000000000000001"}, {"42", 0, "42"}, {"1234567", 0, "1,234,567"}, {"5", 1, "0.5"},
	}
	for _, c := range cases {
		if got := display(chains.MustParseAmount(c.base), c.dec); got != c.want {
			t.Errorf("display(%s, %d) = %q, want %q", c.base, c.dec, got, c.want)
		}
	}
}
