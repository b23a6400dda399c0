package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
)

// The TRON case of the pigbutcher fixture: a database holding it is
// traced while other processes import Ethereum data into the same file,
// which that trace does not read, so its answer must not change.
var tronVictims = []string{
	"--victim-tx", "0xbc1493699b48c0f8f10f349a357effcfe575d110d011f3554f5cd5f59f125a95",
	"--victim-tx", "0xb5885de72732b0e1df5df2eba9a72e193774a188ef18900967954b45df68bb39",
	"--victim-tx", "0xd9e68b54fa4db6d9b900cb151be80cfb9752adb5527197841d26c1c4cd74c50c",
}

func fixture(name string) string { return filepath.Join("..", "..", "fixtures", "pigbutcher", name) }

// cliProcess runs the CLI as a process of its own: "freezetrace" on the
// PATH is this test binary, which runs main (see TestMain).
func cliProcess(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "freezetrace", args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &bytes.Buffer{}, &bytes.Buffer{}
	return cmd
}

// mustRun runs the CLI as a process and fails unless it exits 0; it
// returns stdout.
func mustRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := cliProcess(context.Background(), dir, args...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("freezetrace %s: %v\n%s", strings.Join(args, " "), err, cmd.Stderr)
	}
	return cmd.Stdout.(*bytes.Buffer).String()
}

// tronCase writes a database holding the TRON case and its labels.
func tronCase(t *testing.T, db string) {
	t.Helper()
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	mustRun(t, t.TempDir(), "import", "--db", db, "--format", "tronscan", abs(fixture("tron/trc20_transfers.csv")))
	mustRun(t, t.TempDir(), "labels", "import", "--db", db, "--format", "csv", abs(fixture("tron/labels.csv")))
}

// traceResult is what a trace prints and writes.
type traceResult struct {
	stdout        string
	json, ledgers []byte
}

func (r traceResult) equal(o traceResult) bool {
	return r.stdout == o.stdout && bytes.Equal(r.json, o.json) && bytes.Equal(r.ledgers, o.ledgers)
}

// traceArgs traces the TRON case offline into dir/out.
func traceArgs(db string) []string {
	return append([]string{"trace", "--db", db, "--chain", "tron", "--offline", "--out", "out"}, tronVictims...)
}

// readTraceFiles reads the files a trace wrote into dir/out.
func readTraceFiles(t *testing.T, dir, stdout string) traceResult {
	t.Helper()
	j, err := os.ReadFile(filepath.Join(dir, "out", "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	l, err := os.ReadFile(filepath.Join(dir, "out", "ledger.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return traceResult{stdout, j, l}
}

func soloTrace(t *testing.T, db string) traceResult {
	t.Helper()
	dir := t.TempDir()
	return readTraceFiles(t, dir, mustRun(t, dir, traceArgs(db)...))
}

// tableRows counts the rows of the tables imports write, reading the file
// directly.
func tableRows(t *testing.T, path string) map[string]int {
	t.Helper()
	sdb, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	out := map[string]int{}
	for _, table := range []string{"transfers", "addresses", "assets", "blocks", "labels", "imports"} {
		var n int
		if err := sdb.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestConcurrentImportsAndTraces runs two imports and two traces, each a
// process of its own, on one database file at once. Both traces equal the
// trace run alone, and the file holds what the same imports run one after
// the other store: each import's data exactly once.
func TestConcurrentImportsAndTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := t.TempDir()
	shared, sequential := filepath.Join(dir, "shared.db"), filepath.Join(dir, "sequential.db")
	tronCase(t, shared)
	tronCase(t, sequential)
	want := soloTrace(t, shared)

	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	// Each import's flags and file, after "import --db PATH".
	imports := [][]string{
		{"--format", "etl-token-transfers", abs(fixture("token_transfers.csv"))},
		{"--format", "etl-transactions", abs(fixture("transactions.csv"))},
	}
	// The shared sample of real mainnet transfers, when present, makes one
	// import long enough for the others to run during it.
	if mainnet := abs(filepath.Join("..", "..", "..", "shared", "data", "ethereum-etl", "token_transfers_15320500_15320599.csv")); fileExists(mainnet) {
		imports[1] = []string{"--format", "etl-token-transfers", mainnet}
	}
	importArgs := func(db string, args []string) []string { return append([]string{"import", "--db", db}, args...) }
	for _, args := range imports {
		mustRun(t, dir, importArgs(sequential, args)...)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var cmds []*exec.Cmd
	var traceDirs []string
	for _, args := range imports {
		cmds = append(cmds, cliProcess(ctx, dir, importArgs(shared, args)...))
	}
	for range 2 {
		d := t.TempDir()
		traceDirs = append(traceDirs, d)
		cmds = append(cmds, cliProcess(ctx, d, traceArgs(shared)...))
	}
	for _, c := range cmds {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c.Args, " "), err, c.Stderr)
		}
		if e := c.Stderr.(*bytes.Buffer).String(); e != "" {
			t.Errorf("%s: stderr %q", strings.Join(c.Args, " "), e)
		}
	}
	for i, d := range traceDirs {
		got := readTraceFiles(t, d, cmds[len(imports)+i].Stdout.(*bytes.Buffer).String())
		if !got.equal(want) {
			t.Errorf("trace %d during the imports differs from the trace run alone:\ngot  %s\nwant %s", i, got.stdout, want.stdout)
		}
	}
	for i, args := range imports {
		out := cmds[i].Stdout.(*bytes.Buffer).String()
		if !strings.Contains(out, ": read ") || strings.Contains(out, "added 0,") {
			t.Errorf("%s: %q, want its rows added", strings.Join(args, " "), out)
		}
	}
	if got, want := tableRows(t, shared), tableRows(t, sequential); !reflect.DeepEqual(got, want) {
		t.Errorf("rows after concurrent imports:\ngot  %v\nwant %v (the same imports one after the other)", got, want)
	}
	if got := soloTrace(t, shared); !got.equal(want) {
		t.Errorf("trace after the imports differs from the trace before them:\ngot  %s\nwant %s", got.stdout, want.stdout)
	}
}

// TestTraceNotBlockedByImport runs a trace and db stats, each a process of
// its own, while another process's import holds the database's write lock.
// The importer commits only when told, after both readers have exited, so
// their finishing shows neither waited for it (before, every command's
// Open took the write lock to check the migrations, and a reader waited
// for the whole import and failed after two minutes). The trace equals the
// trace run alone; after the commit the import's rows are there.
func TestTraceNotBlockedByImport(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	db := filepath.Join(t.TempDir(), "shared.db")
	tronCase(t, db)
	want := soloTrace(t, db)
	before := tableRows(t, db)

	h := startImportHolder(t, db)
	// The holder commits only after the readers are done, so a reader that
	// waits for it fails (SQLITE_BUSY after the two-minute busy timeout);
	// this bound, below that timeout and far above what an unblocked
	// reader takes even on a loaded machine, only makes it fail sooner.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	d := t.TempDir()
	trace := cliProcess(ctx, d, traceArgs(db)...)
	stats := cliProcess(ctx, d, "db", "stats", "--db", db)
	for _, c := range []*exec.Cmd{trace, stats} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []*exec.Cmd{trace, stats} {
		if err := c.Wait(); err != nil {
			t.Fatalf("%s while an import holds the write lock: %v (ctx: %v)\n%s", strings.Join(c.Args, " "), err, ctx.Err(), c.Stderr)
		}
	}
	if got := readTraceFiles(t, d, trace.Stdout.(*bytes.Buffer).String()); !got.equal(want) {
		t.Errorf("trace during the import differs from the trace run alone:\ngot  %s\nwant %s", got.stdout, want.stdout)
	}
	if out := stats.Stdout.(*bytes.Buffer).String(); !strings.Contains(out, "\ntransfers    31\n") {
		t.Errorf("db stats during the import: want the 31 committed transfers, got\n%s", out)
	}
	h.commit(t)
	after := tableRows(t, db)
	if after["transfers"] != before["transfers"]+heldRows || after["imports"] != before["imports"]+1 {
		t.Errorf("after the import committed: %v, want %d more transfers than %v", after, heldRows, before)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// importHolder is a process (this test binary again, see
// TestHoldImportOpen) that holds an import open, uncommitted, until told.
type importHolder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

const heldRows = 20

// startImportHolder returns once the holder's import holds the write lock
// of the database at path.
func startImportHolder(t *testing.T, path string) *importHolder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHoldImportOpen$", "-test.count", "1")
	cmd.Env = append(os.Environ(), "FREEZETRACE_TEST_HOLD_DB="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &importHolder{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		h.stdin.Close()
		h.cmd.Process.Kill()
		h.cmd.Wait()
	})
	if line, err := h.out.ReadString('\n'); line != "locked\n" {
		t.Fatalf("holder: got %q, %v; want \"locked\"", line, err)
	}
	return h
}

// commit tells the holder to commit and waits for it to exit.
func (h *importHolder) commit(t *testing.T) {
	t.Helper()
	if _, err := io.WriteString(h.stdin, "commit\n"); err != nil {
		t.Fatal(err)
	}
	line, _ := h.out.ReadString('\n')
	if err := h.cmd.Wait(); err != nil || line != "committed\n" {
		t.Fatalf("holder: %q, %v", line, err)
	}
}

// TestHoldImportOpen is the holder process; run directly it does nothing.
func TestHoldImportOpen(t *testing.T) {
	path := os.Getenv("FREEZETRACE_TEST_HOLD_DB")
	if path == "" {
		t.Skip("the process startImportHolder starts")
	}
	if err := holdImportOpen(path); err != nil {
		fmt.Fprintln(os.Stderr, "holder:", err)
		os.Exit(3)
	}
}

func holdImportOpen(path string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer db.Close()
	im, err := db.BeginImport(ctx, store.ImportInfo{Chain: chains.Ethereum, File: "held.csv", Format: "etl-token-transfers", Time: time.Unix(1_700_000_000, 0)})
	if err != nil {
		return err
	}
	defer im.Rollback()
	ts := make([]chains.Transfer, heldRows)
	for i := range ts {
		ts[i] = chains.Transfer{Chain: chains.Ethereum, Tx: chains.TxHash{0xee, byte(i)}, Block: uint64(1000 + i),
			Time: time.Unix(1_700_000_000+int64(i)*12, 0).UTC(), Asset: chains.USDTEthereum, Amount: chains.NewAmount(uint64(i + 1)),
			From: chains.MustParseAddress("0x1111111111111111111111111111111111111111"),
			To:   chains.MustParseAddress("0x2222222222222222222222222222222222222222")}
	}
	if _, err := im.PutTransfers(ctx, ts); err != nil {
		return err
	}
	fmt.Println("locked")
	if line, err := bufio.NewReader(os.Stdin).ReadString('\n'); line != "commit\n" {
		return fmt.Errorf("told %q (%v), want commit", line, err)
	}
	if _, err := im.Commit(ctx, store.ImportCounts{Read: heldRows, Added: heldRows}); err != nil {
		return err
	}
	fmt.Println("committed")
	return nil
}
