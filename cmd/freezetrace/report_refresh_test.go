package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"freezetrace/chains"
	"freezetrace/internal/devchain"
	"freezetrace/trace"
)

const refreshAt = "2024-06-02T09:00:00Z"

// writeWithoutHoldings writes the trace at src without its holdings, as a
// trace.json written before they were read, and returns its path.
func writeWithoutHoldings(t *testing.T, src string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "old-trace.json")
	editTrace(t, src, p, func(r *trace.Result) { r.Holdings = nil })
	return p
}

// editTrace reads the trace.json at src, edits it and writes it to dst.
func editTrace(t *testing.T, src, dst string, edit func(*trace.Result)) {
	t.Helper()
	r := readTrace(t, src)
	edit(r)
	var out bytes.Buffer
	if err := trace.WriteJSON(&out, r); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readTrace(t *testing.T, path string) *trace.Result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r, err := trace.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReportRefreshOffline: a trace.json without holdings gets letters
// that say so; report --refresh --offline reads them from the database as
// of the end of its data, and says that, exactly as the trace command
// had read them.
func TestReportRefreshOffline(t *testing.T) {
	db, s := importFixture(t)
	dir := t.TempDir()
	args := append([]string{"trace", "--db", db, "--offline", "--asset", "usdt", "--rule", "fifo", "--out", dir}, caseArgs(s)...)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("trace: exit %d, stderr %q", code, stderr)
	}
	full := filepath.Join(dir, "trace.json")
	pinRetrieved(t, full)
	old := writeWithoutHoldings(t, full)
	report := func(trace, out string, extra ...string) string {
		t.Helper()
		args := append([]string{"report", "--trace", trace, "--case", exampleCase, "--out", out, "--at", refreshAt}, extra...)
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("report %v: exit %d, stderr %q", extra, code, stderr)
		}
		return stdout
	}
	notRead := "**Balances and freeze status were not read:**"

	t.Run("NoHoldings", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "report")
		report(old, out)
		for _, f := range []string{"issuer-tether/letter.md", "exchange-binance/letter.md", "overview.md"} {
			if !strings.Contains(readFile(t, filepath.Join(out, f)), notRead) {
				t.Errorf("%s does not warn that balances and freeze status were not read", f)
			}
		}
	})

	t.Run("OK", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "report")
		stdout := report(old, out, "--refresh", "--db", db, "--offline")
		end := trace.DataEnd(readTrace(t, full))
		if want := "balances and freeze status as of the end of the data, block " + strconv.FormatUint(end, 10); !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
		letter := readFile(t, filepath.Join(out, "issuer-tether", "letter.md"))
		if want := "Balances and freeze status as of the end of the data, block " + strconv.FormatUint(end, 10) + " ("; !strings.Contains(letter, want) {
			t.Errorf("Tether letter lacks %q", want)
		}
		for _, bad := range []string{notRead, "Balances and freeze status read at", "still hold"} {
			if strings.Contains(letter, bad) {
				t.Errorf("Tether letter says %q", bad)
			}
		}
		r := readTrace(t, filepath.Join(out, "case", "trace.json"))
		if len(r.Holdings) == 0 {
			t.Fatal("the report's trace.json has no holdings after --refresh")
		}
		for _, h := range r.Holdings {
			if h.Live || h.Block != end || !h.Checked.IsZero() {
				t.Errorf("holding of %s: live %v at block %d checked %v, want as of block %d", h.Address, h.Live, h.Block, h.Checked, end)
			}
		}
		// The trace command read the same holdings: the same letters.
		again := filepath.Join(t.TempDir(), "report")
		report(full, again)
		for _, f := range []string{"overview.md", "issuer-tether/letter.md", "exchange-binance/letter.md", "case/endpoints.csv"} {
			if a, b := readFile(t, filepath.Join(out, f)), readFile(t, filepath.Join(again, f)); a != b {
				t.Errorf("%s after --refresh --offline differs from the trace command's holdings", f)
			}
		}
	})

	t.Run("Errors", func(t *testing.T) {
		out := t.TempDir()
		cases := []struct {
			name string
			args []string
			want string
		}{
			{"ErrRPCWithoutRefresh", []string{"--rpc", "http://127.0.0.1:1"}, "--rpc says where to read balances and freeze status: it needs --refresh"},
			{"ErrOfflineWithoutRefresh", []string{"--offline"}, "it needs --refresh"},
			{"ErrNoDB", []string{"--refresh", "--offline", "--db", filepath.Join(out, "none.db")}, "no database at"},
			{"ErrTwoChains", []string{"--refresh", "--offline", "--db", db, "--trace", goldenTrace}, "it reads one chain at a time"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				args := append([]string{"report", "--trace", old, "--case", exampleCase, "--out", out}, c.args...)
				code, _, stderr := runCLI(t, args...)
				if code != exitUsage {
					t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, stderr)
				}
				if !strings.Contains(stderr, c.want) {
					t.Errorf("stderr %q lacks %q", stderr, c.want)
				}
			})
		}
	})
}

// TestReportRefreshLive plays the pigbutcher fixture on the in-process
// node, whose issuer freezes the scam wallet holding the most USDT; traces
// it over JSON-RPC and drops the holdings the trace read; then report
// --refresh reads them at the node's head: the letter stamps the --at
// time and the head, lists the frozen wallet as already frozen with its
// freezing transaction and does not ask for it again.
func TestReportRefreshLive(t *testing.T) {
	dir := t.TempDir()
	c, p, _, fx, db := livePigbutcher(t, dir)
	frozenName := devchain.FrozenActor(fx)
	var freeze *devchain.FreezeInfo
	for i, f := range p.Freezes {
		if f.Kind == devchain.KindFreeze && f.Actor == frozenName {
			freeze = &p.Freezes[i]
		}
	}
	if frozenName == "" || freeze == nil {
		t.Fatalf("the dev chain froze no scam wallet (%q, %+v)", frozenName, p.Freezes)
	}
	frozen := fx.MustAddress(frozenName)
	old := writeWithoutHoldings(t, filepath.Join(dir, "trace.json"))
	// The freeze is the dev chain's last block: read at the head itself.
	out := filepath.Join(dir, "report")
	code, stdout, stderr := runCLI(t, "report", "--trace", old, "--case", goldenCase(t), "--out", out, "--at", refreshAt,
		"--refresh", "--db", db, "--rpc", c.URL, "--confirmations", "0")
	if code != 0 {
		t.Fatalf("report --refresh: exit %d, stderr %q", code, stderr)
	}
	head := strconv.FormatUint(c.Head(), 10)
	if want := "balances and freeze status read at 2024-06-02 09:00:00 UTC (block " + head + ")"; !strings.Contains(stdout, want) {
		t.Errorf("summary lacks %q:\n%s", want, stdout)
	}
	r := readTrace(t, filepath.Join(out, "case", "trace.json"))
	var found bool
	for _, h := range r.Holdings {
		if !h.Live || strconv.FormatUint(h.Block, 10) != head {
			t.Errorf("holding of %s: live %v at block %d, want live at the head %s", h.Address, h.Live, h.Block, head)
		}
		if h.Address == frozen {
			found = true
			if h.State() != trace.StateFrozen || h.Freeze.Tx != freeze.Tx {
				t.Errorf("frozen wallet %s: state %s, freeze %+v, want frozen in %s", frozen, h.State(), h.Freeze, freeze.Tx)
			}
		}
	}
	if !found {
		t.Fatalf("no holding of the frozen wallet %s: %+v", frozen, r.Holdings)
	}

	letter := readFile(t, filepath.Join(out, "issuer-tether", "letter.md"))
	for _, want := range []string{
		"Balances and freeze status read at 2024-06-02 09:00:00 UTC (block " + head + ").",
		"Already frozen by Tether in transaction " + chains.Ethereum.FormatTx(freeze.Tx),
		"not requested again",
		"**Holds 3,000.00 USDT (of 3,000.00 traced) at block " + head + ", ",
	} {
		if !strings.Contains(letter, want) {
			t.Errorf("Tether letter lacks %q", want)
		}
	}
	if strings.Contains(letter, "as of the end of the data") {
		t.Errorf("Tether letter states an as-of block though a live source was read")
	}
	// The frozen wallet is listed as already frozen, not asked for.
	var number string
	for _, line := range strings.Split(letter, "\n") {
		if strings.HasPrefix(line, "### Address ") && strings.HasSuffix(line, ": "+frozen.String()) {
			number = strings.TrimSuffix(strings.TrimPrefix(line, "### Address "), ": "+frozen.String())
		}
	}
	if number == "" {
		t.Fatalf("the Tether letter does not list the frozen wallet %s", frozen)
	}
	for _, line := range strings.Split(letter, "\n") {
		if asked, ok := strings.CutPrefix(line, "- Freeze (blacklist) address"); ok {
			asked, _, _ = strings.Cut(asked, " in section 1")
			if strings.Contains(" "+strings.ReplaceAll(asked, ",", " ")+" ", " "+number+" ") {
				t.Errorf("the letter asks to freeze the frozen wallet (address %s) again: %s", number, line)
			}
		}
	}
	if !strings.Contains(letter, "not requested again: address "+number+".") && !strings.Contains(letter, ", "+number+".") {
		t.Errorf("the letter does not list address %s as already frozen", number)
	}
}
