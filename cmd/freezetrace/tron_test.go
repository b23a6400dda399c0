package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/fixtures"
	"freezetrace/internal/fixturetest"
	"freezetrace/trace"
)

// TestTraceTronFixture imports the TRON variant of the fixture (a
// Tronscan-style export and the labels), traces it under every rule and
// checks the endpoints against the hand-computed expectations, which are
// the same as on Ethereum: the flows are the same.
func TestTraceTronFixture(t *testing.T) {
	s, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := fixtures.LoadExpected("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "fixtures", "pigbutcher", "tron")
	db := filepath.Join(t.TempDir(), "tron.db")
	if code, out, stderr := runCLI(t, "import", "--db", db, "--format", "tronscan", filepath.Join(dir, "trc20_transfers.csv")); code != 0 || !strings.Contains(out, "added 31") {
		t.Fatalf("import: exit %d, %q, %q", code, out, stderr)
	}
	if code, out, _ := runCLI(t, "import", "--db", db, "--format", "tronscan", filepath.Join(dir, "trc20_transfers.csv")); code != 0 || !strings.Contains(out, "added 0") {
		t.Fatalf("second import: exit %d, %q; want 0 added", code, out)
	}
	if code, _, stderr := runCLI(t, "labels", "import", "--db", db, "--format", "csv", filepath.Join(dir, "labels.csv")); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, stderr)
	}
	var caseArgs []string
	for _, v := range s.Case.Victims {
		caseArgs = append(caseArgs, "--victim", fixtures.ToTron(s.MustAddress(v)).String())
	}
	for _, d := range s.Case.Deposits {
		caseArgs = append(caseArgs, "--deposit", fixtures.ToTron(s.MustAddress(d)).String())
	}
	for _, rule := range trace.Rules {
		t.Run(string(rule), func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"trace", "--db", db, "--chain", "tron", "--asset", "usdt", "--offline", "--labels-only",
				"--rule", string(rule), "--out", out}, caseArgs...)
			if code, _, stderr := runCLI(t, args...); code != 0 {
				t.Fatalf("trace: exit %d: %s", code, stderr)
			}
			b, err := os.ReadFile(filepath.Join(out, "trace.json"))
			if err != nil {
				t.Fatal(err)
			}
			var r trace.Result
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Endpoints {
				if e.Chain != chains.Tron || e.Asset != chains.USDTTron {
					t.Errorf("endpoint %s on %s asset %s; want tron USDT-TRC20", e.Address, e.Chain, e.Asset)
				}
			}
			got := fixturetest.EndpointLines(s, &r, 6)
			want, ok := exp.Lines(string(rule))
			if !ok || len(want) == 0 {
				t.Fatalf("expected.yaml has no endpoints for %s", rule)
			}
			if !slices.Equal(got, want) {
				t.Errorf("endpoints\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

func TestImportTronscanWrongChain(t *testing.T) {
	code, _, stderr := runCLI(t, "import", "--db", filepath.Join(t.TempDir(), "x.db"), "--chain", "ethereum", "--format", "tronscan", "x.csv")
	if code != exitUsage || !strings.Contains(stderr, "--format tronscan is for --chain tron") {
		t.Fatalf("exit %d, stderr %q; want exit 2 naming the chain", code, stderr)
	}
}
