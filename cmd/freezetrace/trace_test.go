package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"freezetrace/fixtures"
	"freezetrace/trace"
)

// importFixture imports the pigbutcher fixture's CSV files into a new
// database in a temporary directory, through the import commands, and
// returns its path.
func importFixture(t *testing.T) (string, *fixtures.Scenario) {
	t.Helper()
	s, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "fixtures", "pigbutcher")
	path := filepath.Join(t.TempDir(), "case.db")
	for _, f := range []struct{ name, format string }{
		{"blocks.csv", "etl-blocks"}, {"tokens.csv", "etl-tokens"}, {"contracts.csv", "etl-contracts"},
		{"transactions.csv", "etl-transactions"}, {"token_transfers.csv", "etl-token-transfers"},
	} {
		if code, _, stderr := runCLI(t, "import", "--db", path, "--format", f.format, filepath.Join(dir, f.name)); code != 0 {
			t.Fatalf("import %s: exit %d: %s", f.name, code, stderr)
		}
	}
	if code, _, stderr := runCLI(t, "labels", "import", "--db", path, "--format", "csv", filepath.Join(dir, "labels.csv")); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, stderr)
	}
	return path, s
}

func caseArgs(s *fixtures.Scenario) []string {
	var args []string
	for _, v := range s.Case.Victims {
		args = append(args, "--victim", s.MustAddress(v).String())
	}
	for _, d := range s.Case.Deposits {
		args = append(args, "--deposit", s.MustAddress(d).String())
	}
	return args
}

func TestTraceFixture(t *testing.T) {
	db, s := importFixture(t)
	out := t.TempDir()
	args := append([]string{"trace", "--db", db, "--offline", "--asset", "usdt", "--rule", "fifo", "--out", out}, caseArgs(s)...)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	for _, want := range []string{"Traced 3 victim payment(s), 20,000.000000 USDT", "Binance", "6,000.000000 USDT", "OKX", "Tornado Cash", "trace.json"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	first, err := os.ReadFile(filepath.Join(out, "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r trace.Result
	if err := json.Unmarshal(first, &r); err != nil {
		t.Fatalf("trace.json: %v", err)
	}
	if r.Schema != trace.Schema || r.Rule != trace.FIFO || len(r.Origins) != 3 || len(r.Provenance) == 0 {
		t.Errorf("trace.json: schema %q rule %q, %d sources, %d provenance entries", r.Schema, r.Rule, len(r.Origins), len(r.Provenance))
	}
	// The deposit address is found by its sweep into Binance's hot wallet
	// and becomes the freeze target, with the sweep as evidence.
	dep := s.MustAddress("binance-deposit")
	var found bool
	for _, e := range r.Endpoints {
		if e.Address == dep {
			found = true
			if e.Kind != trace.KindExchange || e.Entity != "Binance" || e.Amount.String() != "6000000000" || len(e.SweepTxs) == 0 {
				t.Errorf("binance-deposit endpoint: %s %q %s, %d sweeps; want exchange Binance 6000000000 with its sweep", e.Kind, e.Entity, e.Amount, len(e.SweepTxs))
			}
		}
	}
	if !found {
		t.Errorf("no endpoint at the Binance deposit address %s", dep)
	}
	ledger, err := os.ReadFile(filepath.Join(out, "ledger.csv"))
	if err != nil || !bytes.HasPrefix(ledger, []byte(strings.Join(trace.LedgerHeader, ",")+"\n")) {
		t.Fatalf("ledger.csv: %v, starts %q", err, ledger[:min(len(ledger), 80)])
	}
	// A second run gives the same bytes.
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("second run: exit %d, stderr %q", code, stderr)
	}
	second, _ := os.ReadFile(filepath.Join(out, "trace.json"))
	if !bytes.Equal(first, second) {
		t.Error("trace.json differs between two runs on the same data")
	}
}

func TestTraceVictimTx(t *testing.T) {
	db, s := importFixture(t)
	var pay string
	for i, st := range s.Steps {
		if st.From == "alice" && st.To == "collect-1" {
			pay = s.TxHash(i).String()
		}
	}
	code, stdout, stderr := runCLI(t, "trace", "--db", db, "--offline", "--victim-tx", pay, "--rule", "haircut", "--labels-only")
	if code != 0 || !strings.Contains(stdout, "10,000.000000 USDT") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
}

func TestTraceErrors(t *testing.T) {
	db, s := importFixture(t)
	victim := caseArgs(s)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"BadTxHash", []string{"--victim-tx", "0x12345"}, "0x12345"},
		{"BadPosition", []string{"--victim-tx", strings.Repeat("ab", 32) + ":x"}, `position "x"`},
		{"UnknownTx", []string{"--victim-tx", "0x" + strings.Repeat("ab", 32)}, "0x" + strings.Repeat("ab", 32)},
		{"UnknownRule", append([]string{"--rule", "clayton"}, victim...), `unknown rule "clayton"`},
		{"BadAddress", []string{"--victim", "0xnothex", "--deposit", s.MustAddress("collect-1").String()}, "--victim"},
		{"BadTime", append([]string{"--until", "yesterday"}, victim...), "--until"},
		{"NoCase", nil, "no victim payment"},
		{"DepositWithoutWindow", []string{"--deposit", s.MustAddress("collect-1").String()}, "time window"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, append([]string{"trace", "--db", db, "--offline"}, tc.args...)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d naming %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
	t.Run("NoDatabase", func(t *testing.T) {
		code, _, stderr := runCLI(t, append([]string{"trace", "--db", filepath.Join(t.TempDir(), "none.db")}, victim...)...)
		if code != exitUsage || !strings.Contains(stderr, "no database") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
}

// TestTraceDepositWindow: every inflow of collect-1 on the day is proceeds.
func TestTraceDepositWindow(t *testing.T) {
	db, s := importFixture(t)
	code, stdout, stderr := runCLI(t, "trace", "--db", db, "--offline", "--labels-only",
		"--deposit", s.MustAddress("collect-1").String(), "--from", "2024-05-01", "--to", "2024-05-01", "--until", "2024-05-01T00:21:00Z")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// Only alice's 10,000 reached collect-1; at 00:21:00 (block 105) it sits in the pool, which moves it on later.
	for _, want := range []string{"Traced 1 victim payment(s), 10,000.000000 USDT", "horizon", "10,000.000000 USDT"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
}
