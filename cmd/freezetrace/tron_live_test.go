package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/chains/tron"
	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
	"freezetrace/internal/emulate"
	"freezetrace/trace"
)

// tronStatusAt is the time the status goldens stamp as the check's.
const tronStatusAt = "2024-05-02T00:00:00Z"

// tronLive is the pigbutcher case on an emulated TronGrid at mainnet-like
// heights, its scam wallet holding the most USDT frozen by Tether ten
// blocks after the last transfer, with what a trace of it needs.
type tronLive struct {
	fx       *fixtures.Scenario
	ds       *emulate.TronDataset
	grid     *emulate.TronGrid
	url      string
	frozen   emulate.TronFreeze
	labels   string // the fixture's TRON labels
	export   string // the emulated chain's transfers as a Tronscan export
	caseArgs []string
}

func newTronLive(t *testing.T) *tronLive {
	t.Helper()
	// The emulator serves as fast as asked; TronGrid's 15 a second would
	// make the cold trace take over a minute.
	t.Setenv(tron.EnvRate, "100000")
	t.Setenv(tron.EnvKey, "")
	t.Setenv(tron.EnvURL, "")
	fx, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := emulate.LoadTronFixture(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	c := &tronLive{fx: fx, ds: ds, grid: emulate.NewTronGrid(ds, emulate.TronGridOptions{}),
		labels: filepath.Join("..", "..", "fixtures", "pigbutcher", "tron", "labels.csv")}
	name := devchain.FrozenActor(fx)
	if name == "" {
		t.Fatal("the fixture has no scam wallet to freeze")
	}
	last := ds.Transfers[len(ds.Transfers)-1].Block
	if c.frozen, err = c.grid.Freeze(chains.USDTTron.Contract, fixtures.ToTron(fx.MustAddress(name)), last+10); err != nil {
		t.Fatal(err)
	}
	srv, err := c.grid.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	c.url = srv.URL
	var b bytes.Buffer
	if err := ds.WriteTronscanCSV(&b); err != nil {
		t.Fatal(err)
	}
	c.export = filepath.Join(t.TempDir(), "trc20_transfers.csv")
	if err := os.WriteFile(c.export, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range fx.Case.Victims {
		c.caseArgs = append(c.caseArgs, "--victim", fixtures.ToTron(fx.MustAddress(v)).String())
	}
	for _, d := range fx.Case.Deposits {
		c.caseArgs = append(c.caseArgs, "--deposit", fixtures.ToTron(fx.MustAddress(d)).String())
	}
	return c
}

// db returns a new database holding the case's labels, and with import
// the emulated chain's export too.
func (c *tronLive) db(t *testing.T, name string, imported bool) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), name+".db")
	if code, _, stderr := runCLI(t, "labels", "import", "--db", db, "--format", "csv", c.labels); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, stderr)
	}
	if imported {
		if code, out, stderr := runCLI(t, "import", "--db", db, "--chain", "tron", "--format", "tronscan", c.export); code != 0 || !strings.Contains(out, "added 31") {
			t.Fatalf("import: exit %d, %q, %q", code, out, stderr)
		}
	}
	return db
}

// tronRun is one trace command's output and what it cost the emulator.
type tronRun struct {
	summary  string
	json     []byte
	result   *trace.Result
	requests int64            // served by the emulator
	counts   map[string]int64 // of those, by endpoint
}

// trace runs the trace command on db with extra flags.
func (c *tronLive) trace(t *testing.T, db string, extra ...string) tronRun {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	before, counts := c.grid.Total(), c.grid.Counts()
	args := append([]string{"trace", "--db", db, "--chain", "tron", "--asset", "usdt", "--rule", "fifo", "--out", out}, c.caseArgs...)
	code, stdout, stderr := runCLI(t, append(args, extra...)...)
	if code != 0 {
		t.Fatalf("trace %v: exit %d: %s", extra, code, stderr)
	}
	r := tronRun{summary: stdout, requests: c.grid.Total() - before, counts: map[string]int64{}}
	for k, v := range c.grid.Counts() {
		if d := v - counts[k]; d != 0 {
			r.counts[k] = d
		}
	}
	var err error
	if r.json, err = os.ReadFile(filepath.Join(out, "trace.json")); err != nil {
		t.Fatal(err)
	}
	if r.result, err = trace.ReadJSON(bytes.NewReader(r.json)); err != nil {
		t.Fatal(err)
	}
	return r
}

// withoutSourceState is trace.json without what a live source and a file
// import record differently by design: the provenance, and where the
// funds stand (read at the live head, or as of the end of the data).
func withoutSourceState(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "provenance")
	delete(m, "holdings")
	out, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// summaryRequests is the request count the summary gives for the emulator.
var summaryRequests = regexp.MustCompile(`(?m)^(\d+) requests to trongrid http://127\.0\.0\.1:\d+\.$`)

// TestTronLiveTrace traces the TRON case over the emulated TronGrid and
// checks it against a trace of an import of the same chain: the same
// trace, holdings read live at the solidified head (final already, so
// --confirmations takes nothing off it), the frozen wallet reported frozen
// with the freezing transaction, and a warm re-run that asks TronGrid
// nothing.
func TestTronLiveTrace(t *testing.T) {
	c := newTronLive(t)
	offline := c.trace(t, c.db(t, "offline", true), "--offline")
	want := withoutSourceState(t, offline.json)
	if len(offline.result.Holdings) == 0 {
		t.Fatal("the offline trace has no freeze targets")
	}
	for _, tc := range []struct {
		name          string
		confirmations uint64
	}{{"Confirmations0", 0}, {"Confirmations19", 19}} {
		t.Run(tc.name, func(t *testing.T) {
			db := c.db(t, "live", false)
			flags := []string{"--rpc", c.url, "--confirmations", strconv.FormatUint(tc.confirmations, 10)}
			cold := c.trace(t, db, flags...)
			if got := withoutSourceState(t, cold.json); !bytes.Equal(got, want) {
				t.Errorf("trace.json differs from the offline trace of the import:\n%s", firstDiff(got, want))
			}
			if m := summaryRequests.FindStringSubmatch(cold.summary); m == nil || m[1] != strconv.FormatInt(cold.requests, 10) {
				t.Errorf("summary gives %v requests, the emulator served %d:\n%s", m, cold.requests, cold.summary)
			}
			t.Logf("cold trace: %d requests %v", cold.requests, cold.counts)
			c.checkHoldings(t, cold.result, offline.result, c.ds.Head, true)

			warm := c.trace(t, db, flags...)
			t.Logf("warm re-run: %d requests %v", warm.requests, warm.counts)
			if !bytes.Equal(warm.json, cold.json) {
				t.Errorf("the warm re-run wrote another trace.json:\n%s", firstDiff(warm.json, cold.json))
			}
			if warm.requests != 0 {
				t.Errorf("warm re-run: %d requests %v, want 0", warm.requests, warm.counts)
			}
		})
	}
}

// checkHoldings checks a live trace's holdings: one per freeze target of
// the offline trace, each read at block at, the frozen wallet frozen by
// Tether with the freezing transaction, the others not; with balances set,
// each balance is the emulated chain's at that block.
func (c *tronLive) checkHoldings(t *testing.T, r, offline *trace.Result, at uint64, balances bool) {
	t.Helper()
	var got, want []string
	for _, h := range offline.Holdings {
		want = append(want, h.Address.String())
	}
	sawFrozen := false
	for _, h := range r.Holdings {
		got = append(got, h.Address.String())
		if !h.Live || h.Block != at || !h.Time.Equal(c.ds.BlockTime(at)) || h.Checked.IsZero() {
			t.Errorf("holding %s: live %v at block %d (%s), checked %s; want live at block %d (%s)", h.Address, h.Live, h.Block, h.Time, h.Checked, at, c.ds.BlockTime(at))
		}
		f := h.Freeze
		switch {
		case f == nil:
			t.Errorf("holding %s: no freeze status (%v)", h.Address, h.Warnings)
		case h.Address == c.frozen.User:
			sawFrozen = true
			if !f.Frozen || f.Issuer != "Tether" || f.Tx != c.frozen.Tx || f.TxBlock != c.frozen.Block || !f.TxTime.Equal(c.frozen.Time) || h.State() != trace.StateFrozen {
				t.Errorf("frozen wallet %s: %+v, state %s; want frozen by Tether in tx %s (block %d, %s)", h.Address, *f, h.State(), c.frozen.Tx, c.frozen.Block, c.frozen.Time)
			}
		case f.Frozen:
			t.Errorf("holding %s reported frozen: %+v", h.Address, *f)
		}
		if !balances {
			continue
		}
		wantBal := c.ds.Balance(h.Asset.Contract, h.Address, at)
		if h.Balance == nil || h.Balance.Big().Cmp(wantBal) != 0 {
			t.Errorf("holding %s: balance %v (%v), want %s", h.Address, h.Balance, h.Warnings, wantBal)
		}
	}
	if !sawFrozen || !slices.Equal(got, want) {
		t.Errorf("holdings of %v, want the offline trace's %v with the frozen wallet %s", got, want, c.frozen.User)
	}
	if balances {
		return
	}
	for _, h := range r.Holdings {
		if h.Balance == nil {
			t.Logf("holding %s at block %d: no balance: %v", h.Address, h.Block, h.Warnings)
		}
	}
}

// TestTronLiveStatus asks status about the frozen wallet, a held wallet
// and the detected exchange deposit address after a live trace, in every
// format, against golden files
// (go test ./cmd/freezetrace -run TronLive -update rewrites them).
func TestTronLiveStatus(t *testing.T) {
	c := newTronLive(t)
	traced := c.db(t, "status", false)
	r := c.trace(t, traced, "--rpc", c.url, "--confirmations", "0").result
	var held, deposit chains.Address
	for _, e := range r.Endpoints {
		switch {
		case e.Kind == trace.KindHeld && e.Address != c.frozen.User && held.IsZero():
			held = e.Address
		case e.Kind == trace.KindExchange && e.Category == chains.CategoryDeposit:
			deposit = e.Address
		}
	}
	if held.IsZero() || deposit.IsZero() {
		t.Fatalf("the trace has no held wallet or deposit address: %+v", r.Endpoints)
	}
	addrs := []string{c.frozen.User.String(), held.String(), deposit.String()}
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	for _, f := range []struct{ format, golden string }{{"table", "tron.txt"}, {"csv", "tron.csv"}, {"json", "tron.json"}} {
		t.Run(f.format, func(t *testing.T) {
			// Each format starts from the traced database as it was, so
			// each asks the emulator the same.
			db := copyDB(t, traced)
			before := c.grid.Total()
			args := append([]string{"status", "--chain", "tron", "--db", db, "--rpc", c.url, "--confirmations", "0", "--at", tronStatusAt, "--format", f.format}, addrs...)
			code, stdout, stderr := runCLI(t, args...)
			if code != 0 {
				t.Fatalf("status --format %s: exit %d, stderr %q", f.format, code, stderr)
			}
			t.Logf("status --format %s: %d requests", f.format, c.grid.Total()-before)
			got := port.ReplaceAllString(stdout, "127.0.0.1:PORT")
			path := filepath.Join("testdata", "status", f.golden)
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, err := os.ReadFile(path); err != nil {
				t.Fatalf("%v (run go test ./cmd/freezetrace -run TronLive -update)", err)
			} else if got != string(want) {
				t.Errorf("status --format %s differs from %s (run -update and review the diff):\n%s", f.format, path, got)
			}
			if f.format == "json" {
				c.checkStatusJSON(t, []byte(stdout), held, deposit)
			}
		})
	}
}

// checkStatusJSON checks what the goldens must say, so that rewriting them
// cannot hide a wrong answer: the frozen wallet frozen by Tether in the
// freezing transaction, every USDT balance the emulated chain's at its
// head, the deposit address Binance's.
func (c *tronLive) checkStatusJSON(t *testing.T, b []byte, held, deposit chains.Address) {
	t.Helper()
	var ss []struct {
		Address   chains.Address `json:"address"`
		Live      bool           `json:"live"`
		Block     uint64         `json:"block"`
		DepositOf string         `json:"deposit_of"`
		Assets    []struct {
			Asset struct {
				ID chains.AssetID `json:"id"`
			} `json:"asset"`
			Balance *chains.Amount `json:"balance"`
			Freeze  *chains.Freeze `json:"freeze"`
		} `json:"assets"`
	}
	if err := json.Unmarshal(b, &ss); err != nil {
		t.Fatal(err)
	}
	if len(ss) != 3 {
		t.Fatalf("%d statuses, want 3", len(ss))
	}
	byAddr := map[chains.Address]string{}
	for _, s := range ss {
		if !s.Live || s.Block != c.ds.Head {
			t.Errorf("%s: live %v at block %d, want live at the head %d", s.Address, s.Live, s.Block, c.ds.Head)
		}
		for _, a := range s.Assets {
			if a.Asset.ID != chains.USDTTron {
				continue
			}
			want := c.ds.Balance(chains.USDTTron.Contract, s.Address, c.ds.Head)
			if a.Balance == nil || a.Balance.Big().Cmp(want) != 0 {
				t.Errorf("%s: USDT balance %v, want %s", s.Address, a.Balance, want)
			}
			f := a.Freeze
			frozen := f != nil && f.Frozen && f.Tx == c.frozen.Tx && f.TxBlock == c.frozen.Block && f.TxTime.Equal(c.frozen.Time)
			byAddr[s.Address] = fmt.Sprintf("frozen=%v deposit=%q", frozen, s.DepositOf)
		}
	}
	want := map[chains.Address]string{
		c.frozen.User: `frozen=true deposit=""`,
		held:          `frozen=false deposit=""`,
		deposit:       `frozen=false deposit="Binance"`,
	}
	if !maps.Equal(byAddr, want) {
		t.Errorf("statuses %v, want %v", byAddr, want)
	}
}

// copyDB copies a closed database (and its WAL, if any) to a new file.
func copyDB(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(src + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
