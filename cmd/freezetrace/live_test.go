package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/internal/emulate"
)

// liveCase is the emulated mainnet case: its files and the victim
// payments' trace flags.
type liveCase struct {
	ds    *emulate.Dataset
	files emulate.Files
	txs   []string
}

func newLiveCase(t testing.TB) *liveCase {
	t.Helper()
	ds := emulate.Generate(1, emulate.Options{})
	files, err := ds.WriteFiles(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := &liveCase{ds: ds, files: files}
	for _, h := range ds.VictimPayments {
		c.txs = append(c.txs, "--victim-tx", h.Hex())
	}
	return c
}

// labeled returns a new database holding the case's labels only.
func (c *liveCase) labeled(t testing.TB, name string) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), name+".db")
	if code, _, stderr := runCLI(t, "labels", "import", "--db", db, "--format", "csv", c.files.Labels); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, stderr)
	}
	return db
}

// imported returns a database with the case imported from its CSV files.
func (c *liveCase) imported(t testing.TB) string {
	t.Helper()
	db := c.labeled(t, "offline")
	for _, f := range []struct{ path, format string }{
		{c.files.Blocks, "etl-blocks"}, {c.files.Tokens, "etl-tokens"}, {c.files.Contracts, "etl-contracts"},
		{c.files.TokenTransfers, "etl-token-transfers"},
	} {
		if code, _, stderr := runCLI(t, "import", "--db", db, "--format", f.format, f.path); code != 0 {
			t.Fatalf("import %s: exit %d: %s", f.path, code, stderr)
		}
	}
	return db
}

// trace runs the trace command on db with extra flags and returns its
// summary and the trace.json it wrote.
func (c *liveCase) trace(t testing.TB, db string, extra ...string) (summary string, traceJSON []byte) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	args := append([]string{"trace", "--db", db, "--chain", "ethereum", "--asset", "usdt", "--rule", "fifo", "--max-hops", "8", "--out", out}, c.txs...)
	code, stdout, stderr := runCLI(t, append(args, extra...)...)
	if code != 0 {
		t.Fatalf("trace %v: exit %d: %s", extra, code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	return stdout, b
}

// comparable is trace.json without what may differ between sources: the
// provenance, and how an opening balance was found (an archive node's
// state, or the history of an import): the balances themselves must agree.
func comparable(t testing.TB, b []byte) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// Where the funds stand is read at the live head, or as of the end of
	// the data offline: it differs by design.
	delete(m, "provenance")
	delete(m, "holdings")
	for _, s := range m["ledger"].([]any) {
		step := s.(map[string]any)
		if step["event"] == "open" {
			step["detail"] = "opening balance"
		}
	}
	out, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// holdings counts the freeze targets whose state trace.json records.
func holdings(t testing.TB, b []byte) int {
	t.Helper()
	var r struct {
		Holdings []struct{ Address string } `json:"holdings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return len(r.Holdings)
}

// visited counts the distinct addresses the taint reached.
func visited(t testing.TB, b []byte) int {
	t.Helper()
	var r struct {
		Flows []struct{ To string } `json:"flows"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, f := range r.Flows {
		seen[f.To] = true
	}
	return len(seen)
}

// liveBehaviour is one emulated provider set-up.
type liveBehaviour struct {
	name string
	logs emulate.LogLimit
	// explorer: histories from an emulated Etherscan, the rest from the node.
	explorer bool
	cap      uint64 // the provider's eth_getLogs block cap, 0 for none
}

var liveBehaviours = []liveBehaviour{
	{name: "infura", logs: emulate.Infura},
	{name: "cap2000", logs: emulate.Cap2000Strict, cap: 2000},
	{name: "cap10000", logs: emulate.Cap10000, cap: 10000},
	{name: "explorer", logs: emulate.Infura, explorer: true},
}

// lowerBound is the fewest requests any tracer needs for the case under
// behaviour b, from the offline trace: for each address the taint reached
// that is not a listed exchange wallet, its history from the taint's
// arrival through the first window the walk must read (two eth_getLogs,
// sent and received, per provider-capped range; or one explorer page per
// 1,000 rows), plus one code check, plus one opening balance where the walk
// opened the address's ledger; plus one receipt per victim payment. Block
// times and transfer positions are not counted.
func lowerBound(t testing.TB, c *liveCase, b liveBehaviour, traceJSON []byte) int64 {
	t.Helper()
	var r struct {
		Flows []struct {
			To    string `json:"to"`
			Block uint64 `json:"block"`
		} `json:"flows"`
		Endpoints []struct {
			Address  string `json:"address"`
			Kind     string `json:"kind"`
			Category string `json:"category"`
		} `json:"endpoints"`
		Ledger []struct {
			Event string `json:"event"`
		} `json:"ledger"`
	}
	if err := json.Unmarshal(traceJSON, &r); err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, e := range r.Endpoints {
		if e.Kind == "exchange" && e.Category == "exchange" {
			listed[e.Address] = true
		}
	}
	first := map[string]uint64{}
	for _, f := range r.Flows {
		if v, ok := first[f.To]; !ok || f.Block < v {
			first[f.To] = f.Block
		}
	}
	safe := c.ds.Head - 12
	window := 4 * 2 * uint64(24*3600/12) // the trace command's first window on Ethereum
	lb := int64(len(c.ds.VictimPayments))
	for _, st := range r.Ledger {
		if st.Event == "open" {
			lb++ // an opening balance
		}
	}
	for a, from := range first {
		if listed[a] {
			continue
		}
		to := min(from+window, safe)
		switch {
		case b.explorer:
			addr, err := chains.Ethereum.ParseAddress(a)
			if err != nil {
				t.Fatal(err)
			}
			rows := len(c.ds.TransfersOf(addr, from, to))
			lb += int64(max(1, (rows+999)/1000))
		case b.cap == 0:
			lb += 2
		default:
			lb += 2 * int64((to-from+b.cap)/b.cap)
		}
		lb++ // code
	}
	return lb
}

// liveRun is one cold trace and its warm re-run against a behaviour.
type liveRun struct {
	cold, warm       []byte
	summary          string
	rpcReq, explReq  int64 // cold requests
	warmReq          int64
	rpcCalls         map[string]int64
	explorerByAction map[string]int64
}

// runLive traces the case against behaviour b, cold then warm, with the
// explorer (if any) allowing explorerRate requests per second (-1: no
// limit); rpcFlags replace the default --rpc-rate 0.
func runLive(t testing.TB, c *liveCase, b liveBehaviour, explorerRate int, rpcFlags ...string) liveRun {
	t.Helper()
	rpc := emulate.NewRPC(c.ds, emulate.Behaviour{Logs: b.logs})
	srv, err := rpc.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if len(rpcFlags) == 0 {
		rpcFlags = []string{"--rpc-rate", "0"}
	}
	flags := append([]string{"--rpc", srv.URL}, rpcFlags...)
	var ex *emulate.Explorer
	if b.explorer {
		ex = emulate.NewExplorer(c.ds, emulate.ExplorerOptions{Key: "test-key", Rate: explorerRate})
		xs, err := ex.Start()
		if err != nil {
			t.Fatal(err)
		}
		defer xs.Close()
		flags = append(flags, "--explorer-url", xs.URL+"/v2/api", "--etherscan-key", "test-key", "--explorer-rate", fmt.Sprint(cliRate(explorerRate)))
	}
	db := c.labeled(t, b.name)
	var r liveRun
	r.summary, r.cold = c.trace(t, db, flags...)
	r.rpcReq, r.rpcCalls = rpc.Requests(), rpc.Counts()
	if ex != nil {
		r.explReq, r.explorerByAction = ex.Total(), ex.Counts()
	}
	_, r.warm = c.trace(t, db, flags...)
	r.warmReq = rpc.Requests() - r.rpcReq
	if r.warmReq != 0 {
		after := rpc.Counts()
		for k, v := range after {
			if v != r.rpcCalls[k] {
				t.Logf("warm run: %s %d", k, v-r.rpcCalls[k])
			}
		}
	}
	if ex != nil {
		r.warmReq += ex.Total() - r.explReq
	}
	return r
}

// cliRate is the --explorer-rate for an emulated explorer's rate (-1: none).
func cliRate(r int) int {
	if r < 0 {
		return 100000
	}
	return r
}

// TestLiveProvidersMatchImport traces one case of hundreds of addresses at
// block heights above 20,000,000 through emulated providers with their
// real caps, hints and page limits, and checks that each gives the trace an
// import of the same data gives, at a cost that follows the case.
func TestLiveProvidersMatchImport(t *testing.T) {
	if testing.Short() {
		t.Skip("traces a 31,000-transfer case five times")
	}
	c := newLiveCase(t)
	_, offline := c.trace(t, c.imported(t), "--offline")
	want := comparable(t, offline)
	n := visited(t, offline)
	if n < 200 {
		t.Fatalf("the case reaches %d addresses, want at least 200", n)
	}
	for _, b := range liveBehaviours {
		t.Run(b.name, func(t *testing.T) {
			r := runLive(t, c, b, -1)
			if got := comparable(t, r.cold); !bytes.Equal(got, want) {
				t.Errorf("trace.json differs from the offline trace of the import:\n%s", firstDiff(got, want))
			}
			if !bytes.Equal(r.cold, r.warm) {
				t.Error("the warm re-run wrote another trace.json")
			}
			if r.warmReq != 0 {
				t.Errorf("warm re-run: %d requests, want 0", r.warmReq)
			}
			total := r.rpcReq + r.explReq
			lb := lowerBound(t, c, b, offline)
			per := float64(total) / float64(n)
			t.Logf("%s: %d requests (rpc %d %v, explorer %d %v) for %d visited addresses: %.2f per address; lower bound %d (%.2f×)",
				b.name, total, r.rpcReq, r.rpcCalls, r.explReq, r.explorerByAction, n, per, lb, float64(total)/float64(lb))
			if total > 2*lb {
				t.Errorf("%d requests, want at most twice the lower bound %d", total, lb)
			}
			// Where the funds stand costs, per freeze target, its balance
			// and the issuer's freeze status at the head: two calls.
			targets := holdings(t, r.cold)
			if budget := 5*n + 2*targets; b.cap == 0 && !b.explorer && total > int64(budget) {
				t.Errorf("%d requests for %d visited addresses and %d freeze targets, want at most 5 per address and 2 per target (%d)", total, n, targets, budget)
			}
			for _, want := range []string{"requests to", "Data: "} {
				if !strings.Contains(r.summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, r.summary)
				}
			}
			if strings.Contains(r.summary, "test-key") || bytes.Contains(r.cold, []byte("test-key")) {
				t.Error("the explorer key shows in the summary or trace.json")
			}
		})
	}
}

// firstDiff shows the first differing line of two texts with context.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(g), len(w)); i++ {
		if i >= len(g) || i >= len(w) || g[i] != w[i] {
			lo := max(0, i-8)
			return fmt.Sprintf("line %d:\ngot:\n%s\nwant:\n%s", i+1,
				strings.Join(g[lo:min(len(g), i+3)], "\n"), strings.Join(w[lo:min(len(w), i+3)], "\n"))
		}
	}
	return "(no difference)"
}

// TestLiveVictimAndDeposit finds a victim's payments to a scam deposit
// address with one filtered query (both topics), not from the victim's
// history, and traces them as the named transactions would be.
func TestLiveVictimAndDeposit(t *testing.T) {
	if testing.Short() {
		t.Skip("traces a 31,000-transfer case")
	}
	c := newLiveCase(t)
	victim := c.ds.Victims[0]
	var deposit string
	var want []string
	for _, tr := range c.ds.Transfers {
		if tr.From == victim && slices.Contains(c.ds.VictimPayments, tr.TxHash) {
			deposit = tr.To.Hex()
			break
		}
	}
	for _, tr := range c.ds.Transfers {
		if tr.From == victim && tr.To.Hex() == deposit {
			want = append(want, tr.TxHash.Hex())
		}
	}
	rpc := emulate.NewRPC(c.ds, emulate.Behaviour{Logs: emulate.Cap10000})
	srv, err := rpc.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	db := c.labeled(t, "pair")
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := runCLI(t, "trace", "--db", db, "--victim", victim.Hex(), "--deposit", deposit, "--rpc", srv.URL, "--rpc-rate", "0",
		"--max-hops", "1", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Sources []struct{ Tx string } `json:"sources"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range r.Sources {
		got = append(got, strings.ToLower(s.Tx))
	}
	for i := range want {
		want[i] = strings.ToLower(want[i])
	}
	slices.Sort(got)
	slices.Sort(want)
	if len(want) == 0 || !slices.Equal(slices.Compact(got), slices.Compact(want)) {
		t.Errorf("sources %v, want the victim's payments to %s: %v", got, deposit, want)
	}
	// The pair query from block 0 to the head, at a 10,000-block cap, is
	// 2,005 windows; the victim's history would be twice that.
	pairWindows := int64((c.ds.Head-12)/10000 + 1)
	t.Logf("%d eth_getLogs (%d windows for the pair query)", rpc.Counts()["eth_getLogs"], pairWindows)
	if n := rpc.Counts()["eth_getLogs"]; n > pairWindows+200 {
		t.Errorf("%d eth_getLogs, want about one filtered query (%d windows) plus the deposit address's window", n, pairWindows)
	}
}

// TestExplorerErrors: a wrong key and a bad explorer URL are one-line
// usage errors that never show the key.
func TestExplorerErrors(t *testing.T) {
	ds := emulate.Generate(2, emulate.Options{Victims: 1, HotInflows: 10, Users: 10})
	ex := emulate.NewExplorer(ds, emulate.ExplorerOptions{Key: "right-key", Rate: -1})
	xs, err := ex.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer xs.Close()
	db := filepath.Join(t.TempDir(), "x.db")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"ErrWrongKey", []string{"--explorer-url", xs.URL + "/v2/api", "--etherscan-key", "wrong-key-123"}, "key"},
		{"ErrBadURL", []string{"--explorer-url", "ftp://example.invalid/api", "--etherscan-key", "wrong-key-123"}, "explorer URL"},
		{"ErrRate", []string{"--explorer-url", xs.URL + "/v2/api", "--explorer-rate", "0"}, "--explorer-rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"trace", "--db", db, "--victim-tx", ds.VictimPayments[0].Hex(), "--max-hops", "1"}, tc.args...)
			code, _, stderr := runCLI(t, args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "wrong-key-123") || len(lines) > 2 {
				t.Errorf("exit %d, stderr %q; want exit 2, one line naming %q, no key", code, stderr, tc.want)
			}
		})
	}
}
