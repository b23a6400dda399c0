package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
)

func TestPlayAndExit(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "case.json")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--exit-after-play", "--out", out, "--etl", filepath.Join(dir, "etl")}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "rpc http://127.0.0.1:") || strings.Count(stdout.String(), "victim tx 0x") != 3 {
		t.Errorf("stdout %q: want the RPC URL and three victim txs", stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var p devchain.Played
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.VictimTxs) != 3 || len(p.Transfers) == 0 || p.Tokens["usdt"].Decimals != 6 {
		t.Errorf("case file: %d victim txs, %d transfers, usdt %+v", len(p.VictimTxs), len(p.Transfers), p.Tokens["usdt"])
	}
	// The issuer freezes the stash, and the log says so on one line.
	if len(p.Freezes) != 1 || p.Freezes[0].Actor != "stash" || p.Freezes[0].Address != fixtures.AddressOf("stash") {
		t.Fatalf("case file freezes %+v, want the stash's", p.Freezes)
	}
	f := p.Freezes[0]
	if want := fmt.Sprintf("\nfreeze tx %s %s usdt stash\n", f.Tx, f.Address); !strings.Contains(stdout.String(), want) {
		t.Errorf("stdout %q: want the line %q", stdout.String(), strings.TrimSpace(want))
	}
	for _, f := range devchain.ETLFiles {
		if _, err := os.Stat(filepath.Join(dir, "etl", f)); err != nil {
			t.Error(err)
		}
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{"--scenario", "nope", "--exit-after-play"}, {"--no-such-flag"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
}
