package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"freezetrace/trace"
)

var update = flag.Bool("update", false, "rewrite fixtures/report-golden/pigbutcher from the pigbutcher fixture")

const exampleCase = "../../fixtures/case.example.yaml"

// goldenTrace is the trace.json of package report's fixture case.
const goldenTrace = "../../fixtures/report-golden/fixture-case/case/trace.json"

// TestReportFixture traces the pigbutcher fixture, writes its reports with
// the example case file, checks the manifest and compares the Markdown, CSV
// and JSON files with fixtures/report-golden/pigbutcher, in the tree of
// report goldens that package report's tests share (refresh with
// go test ./cmd/freezetrace -run TestReportFixture -update).
func TestReportFixture(t *testing.T) {
	db, s := importFixture(t)
	dir := t.TempDir()
	args := append([]string{"trace", "--db", db, "--offline", "--asset", "usdt", "--rule", "fifo", "--out", dir}, caseArgs(s)...)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("trace: exit %d, stderr %q", code, stderr)
	}
	pinRetrieved(t, filepath.Join(dir, "trace.json"))
	out := filepath.Join(dir, "report")
	code, stdout, stderr := runCLI(t, "report", "--trace", filepath.Join(dir, "trace.json"), "--case", exampleCase,
		"--out", out, "--at", "2024-06-02T09:00:00Z")
	if code != 0 {
		t.Fatalf("report: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{`exchange "Binance"`, "6,000.00 USDT on ethereum", `exchange "OKX"`, `issuer   "Tether"`, "MANIFEST.sha256"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "warning") {
		t.Errorf("the example case file's payments should all be trace sources:\n%s", stdout)
	}
	manifest, err := os.ReadFile(filepath.Join(out, "MANIFEST.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(strings.TrimSpace(string(manifest)), "\n") {
		digest, name, _ := strings.Cut(line, "  ")
		b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil {
			t.Fatalf("manifest lists %s: %v", name, err)
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != digest {
			t.Errorf("%s: manifest digest does not match", name)
		}
		names = append(names, name)
	}
	if len(names) < 40 {
		t.Errorf("manifest lists %d files, want every letter, table, graph and JSON (at least 40)", len(names))
	}
	// The trace's ledger.csv and the report's are one ledger, row for row.
	traceLedger, err := os.ReadFile(filepath.Join(dir, "ledger.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if reportLedger, err := os.ReadFile(filepath.Join(out, "case", "ledger.csv")); err != nil || !bytes.Equal(reportLedger, traceLedger) {
		t.Errorf("case/ledger.csv (%v) differs from the trace's ledger.csv", err)
	}
	gold := filepath.Join("..", "..", "fixtures", "report-golden", "pigbutcher")
	compared := 0
	for _, name := range names {
		switch filepath.Ext(name) {
		case ".md", ".csv", ".json":
		default:
			continue
		}
		got, _ := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
		p := filepath.Join(gold, filepath.FromSlash(name))
		compared++
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("golden %s: %v (run with -update)", p, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s (run go test ./cmd/freezetrace -run TestReportFixture -update and review the diff)", name, p)
		}
	}
	if compared < 25 {
		t.Errorf("compared %d golden files, want at least 25", compared)
	}

	// The same input and --at give the same bytes.
	again := filepath.Join(dir, "again")
	if code, _, stderr := runCLI(t, "report", "--trace", filepath.Join(dir, "trace.json"), "--case", exampleCase,
		"--out", again, "--at", "2024-06-02T09:00:00Z"); code != 0 {
		t.Fatalf("second report: exit %d, stderr %q", code, stderr)
	}
	second, _ := os.ReadFile(filepath.Join(again, "MANIFEST.sha256"))
	if !bytes.Equal(manifest, second) {
		a, b := strings.Split(string(manifest), "\n"), strings.Split(string(second), "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Errorf("two runs with the same input and --at wrote different files: %s", a[i][66:])
			}
		}
	}
}

// pinRetrieved sets the provenance retrieval times in a trace.json to a
// fixed time: they record when the data was fetched, which is the wall
// clock of the test run, and the goldens must not depend on it.
func pinRetrieved(t *testing.T, path string) {
	t.Helper()
	editTrace(t, path, path, func(r *trace.Result) {
		for i := range r.Provenance {
			r.Provenance[i].Retrieved = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
		}
	})
}

func TestReportFormatsFlag(t *testing.T) {
	out := t.TempDir()
	code, _, stderr := runCLI(t, "report", "--trace", goldenTrace, "--case", goldenCase(t),
		"--out", out, "--format", "md,csv", "--at", "2024-04-03T10:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, f := range []string{"overview.md", "exchange-binance/letter.md", "case/flows.csv", "MANIFEST.sha256"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	for _, f := range []string{"overview.html", "exchange-binance/letter.pdf", "case/evidence.xlsx", "case/graph.svg"} {
		if _, err := os.Stat(filepath.Join(out, f)); err == nil {
			t.Errorf("%s written though --format md,csv", f)
		}
	}
}

// goldenCase writes a case file for goldenTrace.
func goldenCase(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "case.yaml")
	text := "reference: R-1\nsender: victim\nrequester:\n  organisation: Org\n  email: a@b.example\nactions: [freeze]\n"
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportErrors(t *testing.T) {
	tr := goldenTrace
	dir := t.TempDir()
	badCase := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badCase, []byte("reference: R\nrequester:\n  organisation: O\n  emial: x\n"), 0o644)
	badTrace := filepath.Join(dir, "trace.json")
	os.WriteFile(badTrace, []byte("{\n  \"schema\": \"freezetrace.trace/v1\",\n  \"rule\": 5\n}\n"), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"ErrMissingFlag", []string{"report", "--trace", tr, "--out", dir}, "case"},
		{"ErrNoTrace", []string{"report", "--trace", filepath.Join(dir, "none.json"), "--case", exampleCase, "--out", dir}, "none.json"},
		{"ErrBadCase", []string{"report", "--trace", tr, "--case", badCase, "--out", dir}, `bad.yaml:4: unknown field "emial"`},
		{"ErrBadTrace", []string{"report", "--trace", badTrace, "--case", exampleCase, "--out", dir}, "trace.json:3:"},
		{"ErrFormat", []string{"report", "--trace", tr, "--case", exampleCase, "--out", dir, "--format", "md,docx"}, `unknown format "docx"`},
		{"ErrAt", []string{"report", "--trace", tr, "--case", exampleCase, "--out", dir, "--at", "yesterday"}, "--at"},
		{"ErrArgs", []string{"report", "--trace", tr, "--case", exampleCase, "--out", dir, "extra"}, "no arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q lacks %q", stderr, c.want)
			}
		})
	}
}

// TestReportUnmatchedPayment: a case file naming a payment the trace does
// not start from is an input error (its victim would be in no letter),
// unless --allow-unmatched, which writes the letters and warns on stderr.
func TestReportUnmatchedPayment(t *testing.T) {
	stray := "0x" + strings.Repeat("ab", 32)
	edited := "reference: R-1\nsender: victim\nrequester:\n  organisation: Org\n  email: a@b.example\nactions: [freeze]\n" +
		"victims:\n  - name: \"Dana D.\"\n    payments:\n      - \"" + stray + "\"\n"
	dir := t.TempDir()
	cf := filepath.Join(dir, "case.yaml")
	if err := os.WriteFile(cf, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	code, _, stderr := runCLI(t, "report", "--trace", goldenTrace, "--case", cf, "--out", out, "--at", "2024-04-03T10:00:00Z")
	if code != exitUsage || !strings.Contains(stderr, "case.yaml: case file line ") || !strings.Contains(stderr, stray) ||
		!strings.Contains(stderr, "--allow-unmatched") {
		t.Errorf("exit %d, stderr %q; want exit %d naming the case file line and the payment", code, stderr, exitUsage)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused report wrote %s", out)
	}
	code, stdout, stderr := runCLI(t, "report", "--trace", goldenTrace, "--case", cf, "--out", out, "--at", "2024-04-03T10:00:00Z", "--allow-unmatched")
	if code != 0 || !strings.Contains(stderr, "warning: case file line ") || strings.Contains(stdout, "warning:") {
		t.Errorf("--allow-unmatched: exit %d, stdout %q, stderr %q; want exit 0 and the warning on stderr only", code, stdout, stderr)
	}
}
