package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"freezetrace/trace"
)

// TestTraceHeuristicFlags checks that the trace's deposit-detection
// thresholds take effect: the fixture's deposit address sweeps 36 to 72
// seconds after its deposits, so a 30-second window no longer makes it a
// deposit address and the taint stops at Binance's labeled hot wallet.
func TestTraceHeuristicFlags(t *testing.T) {
	db, s := importFixture(t)
	for _, tc := range []struct {
		window, want string
	}{{"24h", "binance-deposit"}, {"30s", "binance-hot"}} {
		out := t.TempDir()
		args := append([]string{"trace", "--db", db, "--offline", "--window", tc.window, "--out", out}, caseArgs(s)...)
		if code, _, stderr := runCLI(t, args...); code != 0 {
			t.Fatalf("--window %s: exit %d: %s", tc.window, code, stderr)
		}
		b, err := os.ReadFile(filepath.Join(out, "trace.json"))
		if err != nil {
			t.Fatal(err)
		}
		var r trace.Result
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatal(err)
		}
		var got string
		for _, e := range r.Endpoints {
			if e.Kind == trace.KindExchange && e.Entity == "Binance" {
				got = s.ActorAt(e.Address)
			}
		}
		if got != tc.want {
			t.Errorf("--window %s: Binance endpoint at %q, want %q", tc.window, got, tc.want)
		}
	}
	if code, _, _ := runCLI(t, "trace", "--db", db, "--min-forwarded", "0", "--victim-tx", s.TxHash(0).String()); code != exitUsage {
		t.Errorf("--min-forwarded 0: exit %d, want %d", code, exitUsage)
	}
}
