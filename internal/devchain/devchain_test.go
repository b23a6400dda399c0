package devchain_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/etl"
	"freezetrace/chains/evm"
	"freezetrace/chains/store"
	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
	"freezetrace/internal/fixturetest"
	"freezetrace/internal/ingest"
	"freezetrace/trace"
)

func run(t *testing.T, cfg devchain.Config, sc devchain.Scenario) (*devchain.Chain, *devchain.Played) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, p, err := devchain.Run(ctx, cfg, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, p
}

func fixture(t *testing.T) (*fixtures.Scenario, devchain.Scenario) {
	t.Helper()
	fx, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := devchain.FromFixture(fx)
	if err != nil {
		t.Fatal(err)
	}
	return fx, sc
}

// key is what a transfer is apart from the hash and time only a real chain
// gives it.
func key(t chains.Transfer) string {
	return fmt.Sprintf("%d %d/%d %s %s→%s %s", t.Block, t.TxIndex, t.Position, t.Asset, t.From, t.To, t.Amount)
}

// TestFixturePlayed: the fixture's transfers land on the chain in the
// fixture's blocks, with its positions, between its actors; the only
// additions are the forwarders' ether payments.
func TestFixturePlayed(t *testing.T) {
	fx, sc := fixture(t)
	_, p := run(t, devchain.Config{}, sc)
	var got, extra []string
	for _, tr := range p.Transfers {
		if tr.Asset.IsNative() && (tr.To == p.Actors[devchain.Forwarder1] || tr.From == p.Actors[devchain.Forwarder1] || tr.From == p.Actors[devchain.Forwarder2]) {
			extra = append(extra, key(tr))
			continue
		}
		got = append(got, key(tr))
	}
	var want []string
	for _, tr := range fx.Transfers() {
		want = append(want, key(tr))
	}
	if !slices.Equal(got, want) {
		t.Errorf("played transfers differ from the fixture's\n got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if len(extra) != 7 { // forward: 1 + 2 (a third reverts); relay: 1 + 1 + 2
		t.Errorf("%d forwarder transfers, want 7:\n  %s", len(extra), strings.Join(extra, "\n  "))
	}
	if len(p.VictimTxs) != 3 {
		t.Errorf("%d victim payments, want 3", len(p.VictimTxs))
	}
}

// TestReproducible: two runs of a scenario give the same transactions,
// blocks and times.
func TestReproducible(t *testing.T) {
	_, a := run(t, devchain.Config{}, devchain.PigButcher())
	_, b := run(t, devchain.Config{}, devchain.PigButcher())
	if len(a.Transfers) == 0 || len(a.Transfers) != len(b.Transfers) {
		t.Fatalf("%d and %d transfers", len(a.Transfers), len(b.Transfers))
	}
	for i := range a.Transfers {
		x, y := a.Transfers[i], b.Transfers[i]
		if key(x) != key(y) || x.Tx != y.Tx || !x.Time.Equal(y.Time) {
			t.Errorf("transfer %d: %s %s %s vs %s %s %s", i, key(x), x.Tx, x.Time, key(y), y.Tx, y.Time)
		}
	}
	if !slices.Equal(a.VictimTxs, b.VictimTxs) || a.Head != b.Head {
		t.Errorf("victim txs or head differ: %v/%d vs %v/%d", a.VictimTxs, a.Head, b.VictimTxs, b.Head)
	}
	if !a.Transfers[0].Time.After(devchain.GenesisTime) {
		t.Errorf("first transfer at %s, not after genesis", a.Transfers[0].Time)
	}
}

// TestTraceOverRPCEqualsCSV plays the fixture on a node with a 50-block
// eth_getLogs cap, traces the case over JSON-RPC through the caching store
// and over an ethereum-etl export of the same chain imported into another
// store: trace.json must be identical apart from provenance under every
// rule, and the endpoints must be the fixture's hand-worked ones. A second
// run over RPC must send nothing.
func TestTraceOverRPCEqualsCSV(t *testing.T) {
	fx, sc := fixture(t)
	c, p := run(t, devchain.Config{RangeLimit: 50}, sc)
	ctx := context.Background()
	dir := t.TempDir()

	// The CSV side.
	if err := devchain.WriteETL(dir, sc, p); err != nil {
		t.Fatal(err)
	}
	csvDB, err := store.Open(ctx, filepath.Join(dir, "csv.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer csvDB.Close()
	formats := []etl.Format{etl.Blocks, etl.Tokens, etl.Contracts, etl.Transactions, etl.TokenTransfers}
	for i, name := range devchain.ETLFiles {
		if _, err := ingest.ETLFile(ctx, csvDB, filepath.Join(dir, name), etl.Options{Chain: chains.Ethereum, Format: formats[i], Time: devchain.GenesisTime}, ingest.Options{}); err != nil {
			t.Fatalf("import %s: %v", name, err)
		}
	}
	if _, err := csvDB.PutLabels(ctx, fx.Labels()); err != nil {
		t.Fatal(err)
	}

	// The RPC side.
	rpcPath := filepath.Join(dir, "rpc.db")
	clock := func() time.Time { return devchain.GenesisTime.Add(24 * time.Hour) }
	openRPC := func(path string, o evm.Options) (*store.DB, *store.Source, *evm.Source) {
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutLabels(ctx, fx.Labels()); err != nil {
			t.Fatal(err)
		}
		up, err := evm.Dial(ctx, c.URL, chains.Ethereum, o)
		if err != nil {
			t.Fatal(err)
		}
		// The dev chain is final at once: with a confirmation depth, the
		// newest blocks would be fetched again on every run.
		return db, store.NewSource(db, up, store.Options{Name: "rpc", HeadTTL: time.Hour, Clock: clock}), up
	}
	// Balances rebuilt from history, as from the export.
	rpcDB, rpcSrc, up := openRPC(rpcPath, evm.Options{NoBalances: true})
	// Opening balances asked of the archive node instead.
	balDB, balSrc, balUp := openRPC(filepath.Join(dir, "rpc-balances.db"), evm.Options{})
	defer balDB.Close()
	defer balUp.Close()

	asset, victims, deposits := fx.CaseAddresses()
	cs := trace.Case{Chain: chains.Ethereum, Asset: asset, Victims: victims, Deposits: deposits}
	traceJSON := func(src chains.Source, l chains.Labeler, rule trace.Rule) ([]byte, *trace.Result) {
		r, err := trace.Run(ctx, src, trace.NewLabelAttributor(l), cs, trace.Options{Rule: rule})
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		r.Provenance = nil
		var b bytes.Buffer
		if err := trace.WriteJSON(&b, r); err != nil {
			t.Fatal(err)
		}
		return b.Bytes(), r
	}
	exp, err := fixtures.LoadExpected(fx.Name)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for _, rule := range trace.Rules {
		viaRPC, r := traceJSON(rpcSrc, rpcDB, rule)
		viaCSV, _ := traceJSON(csvDB.Source(), csvDB, rule)
		if !bytes.Equal(viaRPC, viaCSV) {
			t.Errorf("%s: trace.json over RPC differs from over CSV:\n%s", rule, firstDiff(viaRPC, viaCSV))
		}
		// With balanceOf from the archive node, only the ledger's note of
		// where each opening balance came from differs.
		viaBal, _ := traceJSON(balSrc, balDB, rule)
		if a, b := withoutOpeningNotes(viaBal), withoutOpeningNotes(viaCSV); !bytes.Equal(a, b) {
			t.Errorf("%s: trace.json with archive balances differs from over CSV beyond the opening-balance notes:\n%s", rule, firstDiff(a, b))
		}
		if got, want := fixturetest.EndpointLines(fx, r, 6), mustLines(t, exp, string(rule)); !slices.Equal(got, want) {
			t.Errorf("%s: endpoints differ from expected.yaml\n got:\n  %s\nwant:\n  %s", rule, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
	cold, coldTime := up.Stats(), time.Since(start)
	up.Close()
	rpcDB.Close()

	warmDB, warmSrc, warmUp := openRPC(rpcPath, evm.Options{NoBalances: true})
	defer warmDB.Close()
	defer warmUp.Close()
	start = time.Now()
	for _, rule := range trace.Rules {
		traceJSON(warmSrc, warmDB, rule)
	}
	warm, warmTime := warmUp.Stats(), time.Since(start)
	if cold.Requests == 0 || warm.Requests != 0 {
		t.Errorf("cold run %d requests, warm run %d: want some, then none", cold.Requests, warm.Requests)
	}
	t.Logf("five rules over RPC (%d blocks, 50-block log cap): cold %d HTTP requests (%d calls, %d retries) in %v; warm %d requests in %v",
		p.Head, cold.Requests, cold.Calls, cold.Retries, coldTime.Round(time.Millisecond), warm.Requests, warmTime.Round(time.Millisecond))
}

// withoutOpeningNotes drops the ledger lines that say where an opening
// balance came from.
func withoutOpeningNotes(b []byte) []byte {
	var out [][]byte
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !bytes.Contains(l, []byte(`"detail": "opening balance:`)) {
			out = append(out, l)
		}
	}
	return bytes.Join(out, []byte("\n"))
}

// firstDiff shows the first differing line of two texts.
func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("%d lines vs %d", len(al), len(bl))
}

func mustLines(t *testing.T, exp *fixtures.Expected, rule string) []string {
	t.Helper()
	out, ok := exp.Lines(rule)
	if !ok {
		t.Fatalf("expected.yaml has no rule %s", rule)
	}
	return out
}
