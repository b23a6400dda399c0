package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"freezetrace/report"
)

// TestCaseInit: case init prints the template, writes it to a new file,
// and never overwrites one.
func TestCaseInit(t *testing.T) {
	code, stdout, stderr := runCLI(t, "case", "init")
	if code != 0 || stdout != string(report.CaseTemplate()) || stderr != "" {
		t.Fatalf("case init: exit %d, stderr %q, stdout is the template: %v", code, stderr, stdout == string(report.CaseTemplate()))
	}
	p := filepath.Join(t.TempDir(), "case.yaml")
	if code, _, stderr := runCLI(t, "case", "init", p); code != 0 {
		t.Fatalf("case init FILE: exit %d, stderr %q", code, stderr)
	}
	if b, err := os.ReadFile(p); err != nil || !bytes.Equal(b, report.CaseTemplate()) {
		t.Fatalf("wrote %q, %v", b, err)
	}
	if err := os.WriteFile(p, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "case", "init", p)
	if b, _ := os.ReadFile(p); code != exitUsage || !strings.Contains(stderr, "already exists") || string(b) != "mine\n" {
		t.Errorf("case init over a file: exit %d, stderr %q, file %q; want exit %d and the file kept", code, stderr, b, exitUsage)
	}
	// The template is refused until filled in, naming what is missing.
	code, _, stderr = runCLI(t, "report", "--trace", goldenTrace, "--case", p+".new", "--out", t.TempDir())
	if code != exitUsage {
		t.Errorf("report with a missing case file: exit %d, %q", code, stderr)
	}
	if err := os.WriteFile(p, report.CaseTemplate(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "report", "--trace", goldenTrace, "--case", p, "--out", t.TempDir())
	if code != exitUsage || !strings.Contains(stderr, "reference is required") {
		t.Errorf("report with the blank template: exit %d, stderr %q", code, stderr)
	}
}

// TestReportChecklistAndDirectory: what the case file lacks goes to stderr
// under "before you send"; --directory renames a recipient and changes its
// SEND.md; a broken directory file is an input error naming its line.
func TestReportChecklistAndDirectory(t *testing.T) {
	dir := t.TempDir()
	dirFile := filepath.Join(dir, "recipients.yaml")
	if err := os.WriteFile(dirFile, []byte(`recipients:
  - key: binance
    name: Binance
    legal_name: Binance Example Holdings Ltd
    kind: exchange
    victims:
      portal: https://victims.binance.example/report
    last_checked: "2026-11-30"
    sources: [https://binance.example/legal]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "report")
	code, stdout, stderr := runCLI(t, "report", "--trace", goldenTrace, "--case", goldenCase(t), "--out", out,
		"--at", "2024-04-03T10:00:00Z", "--directory", dirFile)
	if code != 0 {
		t.Fatalf("report: exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"before you send: ", "  - police_report: no police report", "  - crime.legal_basis: missing"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if strings.Contains(stdout, "before you send") {
		t.Errorf("the checklist went to stdout")
	}
	send, err := os.ReadFile(filepath.Join(out, "exchange-binance", "SEND.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Binance Example Holdings Ltd", "https://victims.binance.example/report", dirFile + " + built-in"} {
		if !strings.Contains(string(send), want) {
			t.Errorf("SEND.md lacks %q:\n%s", want, send)
		}
	}
	if err := os.WriteFile(dirFile, []byte("recipients:\n  - key: Bad Key\n    name: X\n    kind: exchange\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "report", "--trace", goldenTrace, "--case", goldenCase(t), "--out", filepath.Join(dir, "r2"), "--directory", dirFile)
	if code != exitUsage || !strings.Contains(stderr, "recipients.yaml:2:") {
		t.Errorf("bad directory: exit %d, stderr %q; want exit %d naming recipients.yaml:2", code, stderr, exitUsage)
	}
}
