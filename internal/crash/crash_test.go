package crash

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/labels"
	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
)

// reportAt pins the reports' generation time, so that two runs write the
// same bytes.
const reportAt = "2024-05-03T09:00:00Z"

// TestCrash kills each scenario's command at CRASH_KILLS random points
// (see the package comment) and prints what came of it, per scenario and
// as a table at the end.
func TestCrash(t *testing.T) {
	cfg := loadConfig(t)
	t.Logf("CRASH_KILLS=%d CRASH_SEED=%d", cfg.Kills, cfg.Seed)
	cases := []struct {
		name  string
		setup func(t *testing.T, work string) *scenario
	}{
		{"import", importScenario},
		{"labels-import", labelsScenario},
		{"trace-rpc", traceScenario},
		{"report-fresh", func(t *testing.T, work string) *scenario { return reportScenario(t, work, false) }},
		{"report-over-earlier", func(t *testing.T, work string) *scenario { return reportScenario(t, work, true) }},
	}
	var results []result
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A scenario that stops early (t.Fatal) still gets its row.
			r := result{name: c.name}
			defer func() { results = append(results, r) }()
			began := time.Now()
			sc := c.setup(t, t.TempDir())
			sc.name = c.name
			t.Logf("%s: starting state ready in %v", c.name, time.Since(began).Round(time.Millisecond))
			r = runScenario(t, cfg, sc)
		})
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tkills\ton killed state\trecoveries\tfailures\tended before kill\tuninterrupted run\twall time\tseed\t")
	for _, r := range results {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%v\t%v\t%d\t\n", r.name, r.kills, r.fromKilled, r.recoveries, r.failures, r.missed,
			r.runTime.Round(time.Millisecond), r.wall.Round(time.Second), r.seed)
	}
	tw.Flush()
	t.Logf("crash harness summary (CRASH_KILLS=%d, CRASH_SEED=%d):\n%s", cfg.Kills, cfg.Seed, b.String())
	for _, r := range results {
		for _, c := range sortedKeys(r.byCheck) {
			t.Logf("%s: %q failed after %d kills, e.g. %s", r.name, c, r.byCheck[c], r.examples[c][0])
		}
	}
}

// importScenario: `freezetrace import` of the shared ethereum-etl files,
// tokens first, then the token transfers (the largest file: a bulk load),
// then transactions (native transfers, one file gzipped), each file of
// which the command documents as stored whole or not at all.
func importScenario(t *testing.T, work string) *scenario {
	tokens, err := filepath.Glob(filepath.Join(sharedData(t, "rpc-fixtures", "ethereum-etl-resources", "test_export_tokens_job"), "*", "expected_tokens.csv"))
	if err != nil || len(tokens) == 0 {
		t.Fatalf("no ethereum-etl tokens files in the shared data (%v)", err)
	}
	transfers := sharedData(t, "ethereum-etl", "token_transfers_15320500_15320599.csv")
	txs := []string{
		sharedData(t, "ethereum-etl", "transactions_03300000_03399999_small.csv.gz"),
		sharedData(t, "ethereum-etl", "transactions_10500400.csv"),
	}
	files := [][2]string{}
	for _, f := range tokens {
		files = append(files, [2]string{"etl-tokens", f})
	}
	files = append(files, [2]string{"etl-token-transfers", transfers})
	for _, f := range txs {
		files = append(files, [2]string{"etl-transactions", f})
	}
	sc := newScenario(t, work)
	sc.db = "db.sqlite"
	sc.steps = [][]string{
		append([]string{"import", "--db", sc.db, "--chain", "ethereum", "--format", "etl-tokens"}, tokens...),
		{"import", "--db", sc.db, "--chain", "ethereum", "--format", "etl-token-transfers", transfers},
		append([]string{"import", "--db", sc.db, "--chain", "ethereum", "--format", "etl-transactions"}, txs...),
	}
	sc.states, sc.stateNames = fileStates(t, sc, files, false, func(format, f string) []string {
		return []string{"import", "--db", sc.db, "--chain", "ethereum", "--format", format, f}
	})
	sc.watch = "."
	return sc
}

// labelsScenario: `freezetrace labels import` of the shared GraphSense
// TagPacks, then of the OFAC lists; each file is stored whole or not at
// all (labels import --help).
func labelsScenario(t *testing.T, work string) *scenario {
	packs := sharedData(t, "labels", "graphsense-tagpacks", "packs")
	ofac := sharedData(t, "labels", "ofac-sanctioned-0xb10c")
	sc := newScenario(t, work)
	sc.db = "db.sqlite"
	sc.steps = [][]string{
		{"labels", "import", "--db", sc.db, "--format", "tagpack", packs},
		{"labels", "import", "--db", sc.db, "--format", "ofac", ofac},
	}
	var files [][2]string
	for _, in := range []struct {
		format labels.Format
		path   string
	}{{labels.FormatTagPack, packs}, {labels.FormatOFAC, ofac}} {
		fs, err := labels.Files([]string{in.path}, in.format)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			files = append(files, [2]string{string(in.format), f})
		}
	}
	// A labels import only ever adds rows (INSERT OR IGNORE).
	sc.states, sc.stateNames = fileStates(t, sc, files, true, func(format, f string) []string {
		return []string{"labels", "import", "--db", sc.db, "--format", format, f}
	})
	sc.watch = "."
	return sc
}

// traceScenario: `freezetrace trace` fetching over JSON-RPC from the dev
// chain playing the pigbutcher fixture, served from this process on
// 127.0.0.1, into a database holding the fixture's labels, as
// fixtures/demo.sh runs it.
func traceScenario(t *testing.T, work string) *scenario {
	fx, err := fixtures.Load("pigbutcher")
	if err != nil {
		t.Fatal(err)
	}
	dc, err := devchain.FromFixture(fx)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	chain, played, err := devchain.Run(ctx, devchain.Config{RangeLimit: 50}, dc)
	if err != nil {
		t.Fatalf("dev chain: %v", err)
	}
	t.Cleanup(func() { chain.Close() })
	sc := newScenario(t, work)
	sc.db = "db.sqlite"
	mustRun(t, sc, sc.start, "labels", "import", "--db", sc.db, "--format", "csv",
		filepath.Join(moduleRoot, "fixtures", "pigbutcher", "labels.csv"))
	args := []string{"trace", "--db", sc.db, "--chain", "ethereum", "--asset", "usdt", "--rule", "fifo",
		"--rpc", chain.URL, "--rpc-rate", "0", "--confirmations", "0", "--out", "out/trace"}
	for _, h := range played.VictimTxs {
		args = append(args, "--victim-tx", h.String())
	}
	sc.steps = [][]string{args}
	sc.files = []string{"out/trace/trace.json", "out/trace/ledger.csv"}
	sc.watch = "."
	sc.normalise = normaliseTrace
	for _, x := range played.Transfers {
		if x.Asset.IsNative() {
			continue // its positions are the adapter's own encoding
		}
		sc.truth = append(sc.truth, truthOf(x))
	}
	return sc
}

// truthOf is a played transfer by the natural keys the dump uses.
func truthOf(x chains.Transfer) xfer {
	c, f, to := x.Asset.Contract.Bytes(), x.From.Bytes(), x.To.Bytes()
	return xfer{asset: fmt.Sprintf("%s:%X", x.Asset.Chain, c[:]), tx: fmt.Sprintf("%X", x.Tx[:]),
		from: fmt.Sprintf("%X", f[:]), to: fmt.Sprintf("%X", to[:]), position: int64(x.Position), block: int64(x.Block)}
}

// reportScenario: `freezetrace report` of the fixture's TRON trace
// (traced offline from its Tronscan export, as the demo does) into a
// fresh --out folder, or into one holding the report of another case: a
// different case file (reference) and a different trace (haircut rule,
// and one held wallet labelled an exchange, so that the earlier report
// has a recipient folder the new one has not).
func reportScenario(t *testing.T, work string, overEarlier bool) *scenario {
	sc := newScenario(t, work)
	fix := filepath.Join(moduleRoot, "fixtures")
	inputs := filepath.Join(work, "inputs")
	caseA := filepath.Join(fix, "case.example.yaml")
	txs := []string{}
	b, err := os.ReadFile(caseA)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range strings.Fields(string(b)) {
		if h := strings.Trim(f, `"`); strings.HasPrefix(h, "0x") && len(h) == 66 {
			txs = append(txs, "--victim-tx", h)
		}
	}
	if len(txs) == 0 {
		t.Fatal("no payment hashes in fixtures/case.example.yaml")
	}
	traceOf := func(name, rule string, extraLabels string) string {
		dir := filepath.Join(inputs, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		mustRun(t, sc, dir, "import", "--db", "db.sqlite", "--chain", "tron", "--format", "tronscan", filepath.Join(fix, "pigbutcher", "tron", "trc20_transfers.csv"))
		mustRun(t, sc, dir, "labels", "import", "--db", "db.sqlite", "--format", "csv", filepath.Join(fix, "pigbutcher", "tron", "labels.csv"))
		if extraLabels != "" {
			if err := os.WriteFile(filepath.Join(dir, "extra.csv"), []byte(extraLabels), 0o644); err != nil {
				t.Fatal(err)
			}
			mustRun(t, sc, dir, "labels", "import", "--db", "db.sqlite", "--format", "csv", "extra.csv")
		}
		mustRun(t, sc, dir, append([]string{"trace", "--db", "db.sqlite", "--chain", "tron", "--asset", "usdt", "--rule", rule, "--offline", "--out", "trace"}, txs...)...)
		return filepath.Join(dir, "trace", "trace.json")
	}
	traceA := traceOf("case-a", "fifo", "")
	if err := os.MkdirAll(filepath.Join(sc.start, "out"), 0o755); err != nil {
		t.Fatal(err)
	}
	if overEarlier {
		traceB := traceOf("case-b", "haircut", "chain,address,entity,category,source\ntron,TCCqxMqFyp58WvQVPHU65AdxFaYoYVztJX,Kraken,exchange,crash harness\n")
		caseB := filepath.Join(inputs, "case-b", "case.yaml")
		other := strings.Replace(string(b), `reference: "VSN-2024-0117"`, `reference: "VSN-2024-0999"`, 1)
		if other == string(b) {
			t.Fatal("fixtures/case.example.yaml: no reference line to change for the earlier case")
		}
		if err := os.WriteFile(caseB, []byte(other), 0o644); err != nil {
			t.Fatal(err)
		}
		// The case file names its documents relative to itself.
		if err := copyTree(filepath.Join(fix, "pigbutcher", "documents"), filepath.Join(inputs, "case-b", "pigbutcher", "documents")); err != nil {
			t.Fatal(err)
		}
		mustRun(t, sc, sc.start, "report", "--trace", traceB, "--case", caseB, "--out", "out/report", "--at", reportAt)
		if sc.earlier, err = readTree(filepath.Join(sc.start, "out", "report")); err != nil {
			t.Fatal(err)
		}
		if _, ok := sc.earlier["exchange-kraken/letter.md"]; !ok {
			t.Fatalf("the earlier report has no exchange-kraken folder: files %v", sortedKeys(sc.earlier))
		}
	}
	sc.steps = [][]string{{"report", "--trace", traceA, "--case", caseA, "--out", "out/report", "--at", reportAt}}
	sc.dirs = []string{"out/report"}
	sc.report = "out/report"
	sc.watch = "out"
	return sc
}

// newScenario returns a scenario with an empty starting state in work.
func newScenario(t *testing.T, work string) *scenario {
	sc := &scenario{start: filepath.Join(work, "start"), env: environment(filepath.Join(work, "home"))}
	if err := os.MkdirAll(sc.start, 0o755); err != nil {
		t.Fatal(err)
	}
	return sc
}

// fileStates imports the files one at a time, in order, from the
// starting state, and returns the database states between files: what a
// kill may leave when each file is stored whole or not at all. With
// onlyAdds (the import never changes a stored row), each state is summed
// up from the one before and the rows added.
func fileStates(t *testing.T, sc *scenario, files [][2]string, onlyAdds bool, cmd func(format, file string) []string) ([]dbState, []string) {
	t.Helper()
	dir := filepath.Join(filepath.Dir(sc.start), "file-states")
	if err := copyTree(sc.start, dir); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	states, names := []dbState{{}}, []string{"the start"}
	if !exists(filepath.Join(dir, sc.db)) {
		// A kill may also leave the database created and migrated with
		// nothing imported (a migration may write rows of its own): what
		// importing a list with no labels leaves.
		empty := filepath.Join(filepath.Dir(dir), "no-labels.csv")
		if err := os.WriteFile(empty, []byte("chain,address,entity,category,source\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		mustRun(t, sc, dir, "labels", "import", "--db", sc.db, "--format", "csv", empty)
		st, err := stateOf(filepath.Join(dir, sc.db), nil)
		if err != nil {
			t.Fatal(err)
		}
		states, names = append(states, st), append(names, "the new database")
	}
	for _, f := range files {
		names = append(names, filepath.Base(f[1]))
		mustRun(t, sc, dir, cmd(f[0], f[1])...)
		var prev dbState
		if onlyAdds {
			prev = states[len(states)-1]
		}
		st, err := stateOf(filepath.Join(dir, sc.db), prev)
		if err != nil {
			t.Fatal(err)
		}
		states = append(states, st)
	}
	// The states summed up row by row must end where the whole file does.
	if whole, err := stateOf(filepath.Join(dir, sc.db), nil); err != nil {
		t.Fatal(err)
	} else if !sameState(whole, states[len(states)-1]) {
		t.Fatalf("the database after importing file by file sums up to another state than its content")
	}
	return states, names
}

// mustRun runs freezetrace in dir to completion.
func mustRun(t *testing.T, sc *scenario, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(freezetraceBin, args...)
	cmd.Dir = dir
	cmd.Env = sc.env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("freezetrace %s: %v\n%s", strings.Join(args, " "), err, lastLines(string(out), 10))
	}
}
