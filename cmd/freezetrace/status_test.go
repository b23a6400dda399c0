package main

import (
	"context"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
	"freezetrace/trace"
)

const statusAt = "2024-06-02T09:00:00Z"

// livePigbutcher plays the pigbutcher fixture on the in-process node
// (whose issuer freezes the scam wallet holding the most USDT), imports
// its labels and traces it over JSON-RPC into dir.
func livePigbutcher(t *testing.T, dir string) (*devchain.Chain, *devchain.Played, devchain.Scenario, *fixtures.Scenario, string) {
	t.Helper()
	fx, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := devchain.FromFixture(fx)
	if err != nil {
		t.Fatal(err)
	}
	c, p, err := devchain.Run(context.Background(), devchain.Config{RangeLimit: 50}, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	db := filepath.Join(dir, "case.db")
	labels := filepath.Join("..", "..", "fixtures", "pigbutcher", "labels.csv")
	if code, _, stderr := runCLI(t, "labels", "import", "--db", db, "--format", "csv", labels); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, stderr)
	}
	args := append([]string{"trace", "--db", db, "--rpc", c.URL, "--confirmations", "0", "--asset", "usdt", "--rule", "fifo", "--out", dir}, caseArgs(fx)...)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("trace: exit %d, stderr %q", code, stderr)
	}
	return c, p, sc, fx, db
}

// TestStatusLive asks status about the frozen scam wallet, a held wallet
// and the exchange deposit address at the node's head, in every format,
// against golden files; a second run inside --head-ttl asks nothing.
func TestStatusLive(t *testing.T) {
	dir := t.TempDir()
	c, p, _, fx, db := livePigbutcher(t, dir)
	frozen := fx.MustAddress(devchain.FrozenActor(fx))
	r := readTrace(t, filepath.Join(dir, "trace.json"))
	var held, deposit chains.Address
	for _, e := range r.Endpoints {
		switch {
		case e.Kind == trace.KindHeld && e.Address != frozen && held.IsZero():
			held = e.Address
		case e.Kind == trace.KindExchange && e.Category == chains.CategoryDeposit:
			deposit = e.Address
		}
	}
	if held.IsZero() || deposit.IsZero() {
		t.Fatalf("the trace has no held wallet or deposit address: %+v", r.Endpoints)
	}
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	for _, f := range []struct{ format, golden string }{{"table", "ethereum.txt"}, {"csv", "ethereum.csv"}, {"json", "ethereum.json"}} {
		code, stdout, stderr := runCLI(t, "status", "--db", db, "--rpc", c.URL, "--confirmations", "0", "--at", statusAt,
			"--format", f.format, frozen.String(), held.String(), deposit.String())
		if code != 0 {
			t.Fatalf("status --format %s: exit %d, stderr %q", f.format, code, stderr)
		}
		got := port.ReplaceAllString(stdout, "127.0.0.1:PORT")
		path := filepath.Join("testdata", "status", f.golden)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./cmd/freezetrace -run TestStatusLive -update)", err)
		}
		if got != string(want) {
			t.Errorf("status --format %s differs from %s (run -update and review the diff):\n%s", f.format, path, got)
		}
	}
	var freezeTx string
	for _, fz := range p.Freezes {
		if fz.Address == frozen {
			freezeTx = fz.Tx.String()
		}
	}
	_, table, _ := runCLI(t, "status", "--db", db, "--rpc", c.URL, "--confirmations", "0", frozen.String())
	for _, want := range []string{"frozen by Tether in tx " + freezeTx, "0 requests to rpc"} {
		if !strings.Contains(table, want) {
			t.Errorf("a warm status run lacks %q:\n%s", want, table)
		}
	}
}

// TestRefreshAfterFundsMoved moves part of a held wallet's funds on after
// the trace; report --refresh then shows what is left and where the rest
// went.
func TestRefreshAfterFundsMoved(t *testing.T) {
	dir := t.TempDir()
	c, p, sc, fx, db := livePigbutcher(t, dir)
	frozen := fx.MustAddress(devchain.FrozenActor(fx))
	r := readTrace(t, filepath.Join(dir, "trace.json"))
	var mover string
	var from chains.Address
	for _, h := range r.Holdings {
		if h.State() != trace.StateHolds || h.Address == frozen {
			continue
		}
		for name, a := range p.Actors {
			if a == h.Address {
				mover, from = name, a
			}
		}
		if mover != "" {
			break
		}
	}
	if mover == "" {
		t.Fatalf("no held wallet with a known key: %+v", r.Holdings)
	}
	moved := new(big.Int).Mul(big.NewInt(1000), big.NewInt(1_000_000))
	step := devchain.Scenario{Name: "moved-on", Tokens: sc.Tokens, Key: sc.Key, Steps: []devchain.Step{
		{Kind: devchain.KindToken, Token: sc.Tokens[0].Name, From: mover, To: "onward-wallet", Amount: moved},
	}}
	if _, err := c.Play(context.Background(), step); err != nil {
		t.Fatalf("play the move: %v", err)
	}
	onward := step.Address("onward-wallet")
	out := filepath.Join(dir, "report")
	code, _, stderr := runCLI(t, "report", "--trace", filepath.Join(dir, "trace.json"), "--case", goldenCase(t), "--out", out,
		"--at", statusAt, "--refresh", "--db", db, "--rpc", c.URL, "--confirmations", "0")
	if code != 0 {
		t.Fatalf("report --refresh: exit %d, stderr %q", code, stderr)
	}
	rr := readTrace(t, filepath.Join(out, "case", "trace.json"))
	var h *trace.Holding
	for i := range rr.Holdings {
		if rr.Holdings[i].Address == from {
			h = &rr.Holdings[i]
		}
	}
	if h == nil {
		t.Fatalf("no holding of %s after the refresh", from)
	}
	if h.State() != trace.StatePartial || h.Balance == nil || h.Balance.String() != "2000000000" || len(h.Onward) != 1 ||
		!strings.EqualFold(h.Onward[0].To.String(), onward.Hex()) || h.Onward[0].Amount.String() != moved.String() {
		t.Errorf("holding of %s: state %s balance %v onward %+v; want partial, 2,000 USDT left, 1,000 to %s", from, h.State(), h.Balance, h.Onward, onward.Hex())
	}
	letter := readFile(t, filepath.Join(out, "issuer-tether", "letter.md"))
	for _, want := range []string{"Holds 2,000.00 USDT (of 3,000.00 traced)", "Moved on after the end of the trace's data"} {
		if !strings.Contains(letter, want) {
			t.Errorf("Tether letter lacks %q", want)
		}
	}
}
