package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/chains/explorer"
	"freezetrace/chains/tron"
	"freezetrace/trace"
)

// hostKey is an API key that a provider put in the host name.
const hostKey = "k3y0123456789abcdef"

// noDNS is an http.Client whose resolver may not ask any DNS server: every
// name not in /etc/hosts fails to resolve ("lookup NAME …"), as a provider's
// mistyped or dead host does, and nothing leaves the machine. (Go's own
// resolver would send a query for a .invalid name.)
func noDNS() *http.Client {
	r := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS server in tests")
	}}
	d := &net.Dialer{Resolver: r}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}, Timeout: 5 * time.Second}
}

// TestClientsHideHostKey: a key in the host name (or the path) of a node,
// an explorer or TronGrid appears neither in the error of a name that does
// not resolve nor in the names that go into provenance, the summary and
// the letters.
func TestClientsHideHostKey(t *testing.T) {
	ctx := context.Background()
	host := hostKey + ".example.invalid"
	check := func(t *testing.T, what, text string) {
		t.Helper()
		for _, k := range []string{hostKey, "0123456789abcdef0123"} {
			if strings.Contains(text, k) {
				t.Errorf("%s shows the key %q: %s", what, k, text)
			}
		}
	}
	t.Run("RPC", func(t *testing.T) {
		raw := "https://" + host + "/v3/0123456789abcdef0123"
		s, err := evm.Dial(ctx, raw, chains.Ethereum, evm.Options{HTTPBase: noDNS().Transport, Transport: evm.TransportOptions{Retries: -1}})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, err = s.Head(ctx, chains.Ethereum)
		if err == nil || !strings.Contains(err.Error(), "lookup redacted.example.invalid") {
			t.Fatalf("got %v, want a failed lookup of redacted.example.invalid", err)
		}
		check(t, "the error", err.Error())
		check(t, "the endpoint", s.Endpoint())
		if got, want := upstreamName(s.Endpoint()), "rpc https://redacted.example.invalid"; got != want {
			t.Errorf("provenance name %q, want %q", got, want)
		}
	})
	t.Run("Explorer", func(t *testing.T) {
		x, err := explorer.New(explorer.Options{BaseURL: "https://" + host + "/api", APIKey: "apikey0123456789abcdef0123", Retries: -1, HTTPClient: noDNS()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = x.Head(ctx, chains.Ethereum)
		if err == nil || !strings.Contains(err.Error(), "lookup redacted.example.invalid") {
			t.Fatalf("got %v, want a failed lookup of redacted.example.invalid", err)
		}
		check(t, "the error", err.Error())
		check(t, "the name", x.Name())
	})
	t.Run("TronGrid", func(t *testing.T) {
		g, err := tron.New(tron.Options{BaseURL: "https://" + host, APIKey: "apikey0123456789abcdef0123", MaxRetries: -1, HTTPClient: noDNS()})
		if err != nil {
			t.Fatal(err)
		}
		_, err = g.Head(ctx, chains.Tron)
		if err == nil || !strings.Contains(err.Error(), "lookup redacted.example.invalid") {
			t.Fatalf("got %v, want a failed lookup of redacted.example.invalid", err)
		}
		check(t, "the error", err.Error())
		check(t, "the name", g.Name())
	})
	t.Run("Upstream", func(t *testing.T) {
		up, err := openUpstream(ctx, chains.Ethereum, upstreamOptions{
			RPC:      rpcOptions{URL: "https://" + host + "/v3/0123456789abcdef0123", Concurrency: 1},
			Explorer: explorerOptions{URL: "https://x" + host + "/api", Key: "k", Rate: 1},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer up.Close()
		check(t, "the source name", up.name)
		check(t, "the roles", up.roles)
		check(t, "the request lines", requestLines(up.counters))
	})
}

// sqlExec runs stmts on the SQLite file at path, as another program (or
// an older freezetrace) would.
func sqlExec(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// TestStoredSourceNameRedacted: a database written before host names were
// redacted names a source by a URL with a key in its host; neither
// trace.json (and so the letters) nor db stats shows that key.
func TestStoredSourceNameRedacted(t *testing.T) {
	db, s := importFixture(t)
	sqlExec(t, db, `INSERT INTO coverage_sources (chain, source, max_block, retrieved_at)
		VALUES ('ethereum', 'rpc https://`+hostKey+`.example.invalid', 120, 1714521600)`)
	out := t.TempDir()
	args := append([]string{"trace", "--db", db, "--offline", "--asset", "usdt", "--rule", "fifo", "--out", out}, caseArgs(s)...)
	if code, _, stderr := runCLI(t, args...); code != 0 {
		t.Fatalf("trace: exit %d, stderr %q", code, stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(hostKey)) || !bytes.Contains(b, []byte(`"source": "rpc https://redacted.example.invalid"`)) {
		t.Errorf("trace.json provenance: want the host redacted:\n%s", b[:min(len(b), 800)])
	}
	code, stdout, stderr := runCLI(t, "db", "stats", "--db", db)
	if code != 0 || strings.Contains(stdout, hostKey) || !strings.Contains(stdout, "rpc https://redacted.example.invalid") {
		t.Errorf("db stats: exit %d, stderr %q, want the host redacted:\n%s", code, stderr, stdout)
	}
}

// TestReportRejectsInconsistentTrace: report refuses, as bad input, a
// trace.json whose endpoints hold more of a victim payment than it carried,
// naming the file and the line; it writes nothing.
func TestReportRejectsInconsistentTrace(t *testing.T) {
	src := filepath.Join("..", "..", "fixtures", "report-golden", "pigbutcher", "case", "trace.json")
	for _, c := range []struct {
		name string
		edit func(*trace.Result)
		want string
	}{
		{"ErrEndpointExceedsSource", func(r *trace.Result) {
			e := &r.Endpoints[0]
			e.Amount = e.Amount.Add(chains.NewAmount(1e9))
			e.BySource[0].Amount = e.BySource[0].Amount.Add(chains.NewAmount(1e9))
		}, "more than its payment of"},
		{"ErrUnknownSource", func(r *trace.Result) { r.Endpoints[1].BySource[0].Source = "S7" }, `names source "S7"`},
		{"ErrUnknownKind", func(r *trace.Result) { r.Endpoints[2].Kind = "refund" }, `unknown kind "refund"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "trace.json")
			editTrace(t, src, bad, c.edit)
			out := filepath.Join(t.TempDir(), "report")
			code, stdout, stderr := runCLI(t, "report", "--trace", bad, "--case", exampleCase, "--out", out, "--at", "2024-06-02T09:00:00Z")
			if code != exitUsage || !strings.HasPrefix(stderr, "freezetrace: "+bad+":") || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 naming %s and a line, containing %q", code, stderr, bad, c.want)
			}
			if stdout != "" || strings.Count(stderr, "\n") != 1 {
				t.Errorf("stdout %q, stderr %q: want one line on stderr only", stdout, stderr)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("report wrote %s from a bad trace", out)
			}
		})
	}
}

// bidiLabels is a labels file whose entities carry every bidirectional
// control, for the pigbutcher fixture's exchange and mixer addresses.
func bidiLabels(t *testing.T) string {
	t.Helper()
	const bidi = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
	p := filepath.Join(t.TempDir(), "labels.csv")
	body := "chain,address,entity,category,source\n" +
		"ethereum,0x4ec1aaEd95AFD4c0A357b249260E950A031e9747,Binance" + bidi + "evil,exchange,hostile list\n" +
		"ethereum,0x4EA8598B56F37C862D1D6Cc1f3Edc8AAAB8Ca835,OKX" + bidi + ",exchange,hostile list\n" +
		"ethereum,0xa4AAb911B471728168110e9EBB7F80E1a98a8785,Tornado" + bidi + ",mixer,hostile list" + bidi + "\n" +
		"ethereum,0x2a597E0DD102059526B9aAE1EF9495CF2A192673,Binance" + bidi + "deposit,deposit,hostile list" + bidi + "\n"
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// rawBidi returns the first bidirectional control in s, or 0.
func rawBidi(s string) rune {
	for _, r := range s {
		switch {
		case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
			return r
		}
	}
	return 0
}

// TestNoBidiOnTerminal: labels whose entities carry bidirectional controls
// reach no output of trace, status and cluster as they are, neither the
// tables nor the JSON (which writes them as \u escapes, meaning the same),
// nor trace.json.
func TestNoBidiOnTerminal(t *testing.T) {
	db, s := importFixture(t)
	if code, _, stderr := runCLI(t, "labels", "import", "--db", db, "--format", "csv", bidiLabels(t)); code != 0 {
		t.Fatalf("labels import: exit %d: %s", code, stderr)
	}
	out := t.TempDir()
	const deposit = "0x2a597E0DD102059526B9aAE1EF9495CF2A192673"
	for _, args := range [][]string{
		append([]string{"trace", "--db", db, "--offline", "--asset", "usdt", "--out", out}, caseArgs(s)...),
		{"status", "--db", db, "--offline", deposit},
		{"status", "--db", db, "--offline", "--format", "json", deposit},
		{"status", "--db", db, "--offline", "--format", "csv", deposit},
		{"cluster", "--db", db, deposit},
		{"cluster", "--db", db, "--json", deposit},
		{"labels", "show", "--db", db, "0x4ec1aaEd95AFD4c0A357b249260E950A031e9747"},
	} {
		code, stdout, stderr := runCLI(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d, stderr %q", args[:2], code, stderr)
		}
		if !strings.Contains(stdout, "Binance") {
			t.Errorf("%v: the entity is missing:\n%s", args[:2], stdout)
		}
		if r := rawBidi(stdout + stderr); r != 0 {
			t.Errorf("%v prints %U as it is:\n%s", args, r, stdout)
		}
		if slices.Contains(args, "json") || slices.Contains(args, "--json") {
			if !strings.Contains(stdout, `Binance\u202a\u202b`) {
				t.Errorf("%v: the label is not in the JSON, escaped:\n%s", args, stdout)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "trace.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r := rawBidi(string(b)); r != 0 || !bytes.Contains(b, []byte(`"source": "hostile list\u202a\u202b`)) {
		t.Errorf("trace.json holds %U as it is, or lost the escaped label source", r)
	}
	r, err := trace.ReadJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, e := range r.Endpoints {
		for _, l := range e.Labels {
			found = found || strings.HasPrefix(l.Source, "hostile list\u202a\u202b")
		}
	}
	if !found {
		t.Errorf("trace.json read back: the labels lost their characters")
	}
}

// TestTraceOutTimePastYear9999: a database that holds a block time past
// year 9999 (imported before such times were refused) still traces, and
// the summary shows the time; trace.json cannot hold it, so --out fails as
// bad input naming the block and the transaction, and writes no file.
func TestTraceOutTimePastYear9999(t *testing.T) {
	db, s := importFixture(t)
	// 253402300800 is 10000-01-01T00:00:00Z.
	sqlExec(t, db, `UPDATE transfers SET time = 253402300800 + block WHERE block >= 125`,
		`UPDATE blocks SET time = 253402300800 + number WHERE number >= 125`)
	base := append([]string{"trace", "--db", db, "--offline", "--asset", "usdt", "--rule", "fifo"}, caseArgs(s)...)
	code, stdout, stderr := runCLI(t, base...)
	if code != 0 || !strings.Contains(stdout, "10000-01-01") {
		t.Fatalf("without --out: exit %d, stderr %q, stdout:\n%s", code, stderr, stdout)
	}
	out := filepath.Join(t.TempDir(), "case")
	code, _, stderr = runCLI(t, append(base, "--out", out)...)
	if code != exitUsage || !strings.Contains(stderr, "--out "+out+": ") || !strings.Contains(stderr, "in block 12") ||
		!strings.Contains(stderr, "tx 0x") || !strings.Contains(stderr, "10000-01-01T00:02:05Z is outside the years 0 to 9999") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming the block, the transaction and the time", code, stderr)
	}
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q: want one line", stderr)
	}
	for _, f := range []string{"trace.json", "ledger.csv"} {
		if _, err := os.Stat(filepath.Join(out, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s was written", f)
		}
	}
}

// TestTraceOutUnwritable: an --out that cannot be a directory, or one
// that cannot be written, is bad usage: exit 2 with "--out PATH: …",
// before the trace runs, and nothing is left behind.
func TestTraceOutUnwritable(t *testing.T) {
	db, s := importFixture(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{"AFile": file, "UnderAFile": filepath.Join(file, "case1", "out")}
	if os.Geteuid() != 0 {
		// Permission bits bind everyone but root.
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o555); err != nil {
			t.Fatal(err)
		}
		cases["ReadOnlyDir"] = ro
		cases["UnderReadOnlyDir"] = filepath.Join(ro, "case1")
	}
	for name, out := range cases {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"trace", "--db", db, "--offline", "--asset", "usdt", "--out", out}, caseArgs(s)...)
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.HasPrefix(stderr, "freezetrace: --out "+out+": ") || strings.Count(stderr, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want exit 2 and one line starting with --out %s", code, stderr, out)
			}
			if stdout != "" {
				t.Errorf("the trace ran (stdout %q): want --out checked first", stdout)
			}
		})
	}
	// A directory that does not exist yet is created, and only when the
	// files are written: a trace that fails leaves none behind.
	fresh := filepath.Join(dir, "new", "case1")
	args := []string{"trace", "--db", db, "--offline", "--asset", "usdt", "--out", fresh, "--victim-tx", "0x" + strings.Repeat("ab", 32)}
	if code, _, stderr := runCLI(t, args...); code == 0 {
		t.Fatalf("a trace of an unknown transaction succeeded: %q", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed trace left %s behind", filepath.Join(dir, "new"))
	}
}
