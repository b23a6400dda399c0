package report

import (
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
	"testing"
)

// TestGolden pins the Markdown, HTML, CSV, JSON and DOT output of the fixture
// case in fixtures/report-golden/fixture-case. Refresh with:
// go test ./report -run TestGolden -update
func TestGolden(t *testing.T) {
	files, sum := renderFixture(t, FormatMarkdown, FormatHTML, FormatCSV, FormatJSON, FormatDOT)
	n := 0
	for _, name := range sum.Files {
		switch path.Ext(name) {
		case ".md", ".html", ".csv", ".json", ".dot":
			golden(t, "fixture-case", name, files[name])
			n++
		}
	}
	if n < 30 {
		t.Errorf("compared %d golden files, want at least 30 (3 recipients and the case)", n)
	}
}

func TestFilesWritten(t *testing.T) {
	_, sum := renderFixture(t)
	want := []string{
		"MANIFEST.sha256", "overview.md", "overview.html",
		"case/trace.json", "case/report.json", "case/flows.csv", "case/endpoints.csv", "case/sources.csv", "case/ledger.csv",
		"case/evidence.xlsx", "case/graph.dot", "case/graph.svg",
	}
	for _, slug := range []string{"exchange-binance", "exchange-okx", "issuer-tether"} {
		for _, f := range []string{"letter.md", "letter.html", "letter.pdf", "flows.csv", "endpoints.csv", "sources.csv",
			"paths.csv", "ledger.csv", "evidence.xlsx", "recipient.json", "graph.dot", "graph.svg", "SEND.md"} {
			want = append(want, slug+"/"+f)
		}
	}
	have := map[string]bool{}
	for _, f := range sum.Files {
		have[f] = true
	}
	for _, f := range want {
		if !have[f] {
			t.Errorf("missing %s", f)
		}
	}
	if len(sum.Files) != len(want) {
		t.Errorf("wrote %d files, want %d: %v", len(sum.Files), len(want), sum.Files)
	}
}

func TestManifestListsEveryFile(t *testing.T) {
	files, sum := renderFixture(t)
	lines := strings.Split(strings.TrimSuffix(string(files[ManifestName]), "\n"), "\n")
	if len(lines) != len(sum.Files)-1 {
		t.Fatalf("manifest has %d lines, want %d (every file but itself)", len(lines), len(sum.Files)-1)
	}
	prev := ""
	for _, l := range lines {
		digest, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("manifest line %q is not sha256sum format", l)
		}
		if name <= prev {
			t.Errorf("manifest not sorted: %q after %q", name, prev)
		}
		prev = name
		got := sha256.Sum256(files[name])
		if hex.EncodeToString(got[:]) != digest {
			t.Errorf("%s: manifest says %s, content hashes to %x", name, digest, got)
		}
	}
}

func TestLetterFingerprint(t *testing.T) {
	files, sum := renderFixture(t, FormatMarkdown, FormatHTML)
	for _, rc := range sum.Recipients {
		md := string(files[rc.Slug+"/letter.md"])
		body, last := md[:strings.LastIndex(strings.TrimSuffix(md, "\n"), "\n")+1], md[strings.LastIndex(strings.TrimSuffix(md, "\n"), "\n")+1:]
		got := sha256.Sum256([]byte(body))
		if !strings.Contains(last, hex.EncodeToString(got[:])) {
			t.Errorf("%s: last line %q does not state the SHA-256 of the rest, %x", rc.Slug, last, got)
		}
		if !strings.Contains(string(files[rc.Slug+"/letter.html"]), hex.EncodeToString(got[:])) {
			t.Errorf("%s: the HTML letter does not state the same fingerprint", rc.Slug)
		}
	}
}

// TestDeterministic renders the fixture, then another case, then the
// fixture again: no file may depend on what was rendered before.
func TestDeterministic(t *testing.T) {
	a, _ := renderFixture(t)
	hostileFixture(t)
	b, _ := renderFixture(t)
	if len(a) != len(b) {
		t.Fatalf("%d files, then %d", len(a), len(b))
	}
	for name, x := range a {
		if string(x) != string(b[name]) {
			t.Errorf("%s differs between two runs with the same input", name)
		}
	}
}
