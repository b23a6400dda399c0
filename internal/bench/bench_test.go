package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"freezetrace/internal/synth"
)

func TestParseSummary(t *testing.T) {
	tests := []struct {
		name string
		out  string
		want summary
	}{
		{"OK", "held  x  3  1 USDT\n\n85 traced transfers, 229 ledger steps.\nCost: read 491 transfers from the database.\nwrote tr/trace.json\n",
			summary{flows: 85, steps: 229, read: 491}},
		{"Commas", "1,234 traced transfers, 12,345,678 ledger steps.\nCost: read 12,188 transfers from the database.\n",
			summary{flows: 1234, steps: 12345678, read: 12188}},
		{"NoReadLine", "1 traced transfers, 0 ledger steps.\n", summary{flows: 1, steps: 0, read: -1}},
		{"Empty", "", summary{flows: -1, steps: -1, read: -1}},
		{"LastLineCounts", "2 traced transfers, 3 ledger steps.\n7 traced transfers, 9 ledger steps.\n", summary{flows: 7, steps: 9, read: -1}},
		{"NotAtLineStart", "said 5 traced transfers, 6 ledger steps.\n", summary{flows: -1, steps: -1, read: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseSummary(tt.out); got != tt.want {
				t.Errorf("parseSummary() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseBenchLine(t *testing.T) {
	const line = "BenchmarkLiveProviders/infura-2         \t       1\t 732286594 ns/op\t       279.0 addresses\t" +
		"         0.7247 cold+warm-s\t      1125 lower-bound\t         4.670 req/address\t      1303 requests\t" +
		"       130.3 s-at-10/s\t         0 warm-requests\t         1.158 x-lower-bound\t77243296 B/op\t 1042775 allocs/op"
	t.Run("OK", func(t *testing.T) {
		got, ok := parseBenchLine(line, liveBench)
		if !ok {
			t.Fatal("parseBenchLine() ok = false, want true")
		}
		want := benchRow{name: "infura", metrics: map[string]string{
			"ns/op": "732286594", "addresses": "279.0", "cold+warm-s": "0.7247", "lower-bound": "1125",
			"req/address": "4.670", "requests": "1303", "s-at-10/s": "130.3", "warm-requests": "0",
			"x-lower-bound": "1.158", "B/op": "77243296", "allocs/op": "1042775",
		}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("parseBenchLine() = %+v, want %+v", got, want)
		}
	})
	t.Run("NoProcsSuffix", func(t *testing.T) {
		got, ok := parseBenchLine("BenchmarkLiveProviders/cap2000 1 5 requests", liveBench)
		if !ok || got.name != "cap2000" || got.metrics["requests"] != "5" {
			t.Errorf("parseBenchLine() = %+v, %v, want cap2000 with 5 requests", got, ok)
		}
	})
	t.Run("DashInName", func(t *testing.T) {
		got, ok := parseBenchLine("BenchmarkLiveProviders/node-only-8 1 5 requests", liveBench)
		if !ok || got.name != "node-only" {
			t.Errorf("parseBenchLine() name = %q, %v, want node-only", got.name, ok)
		}
	})
	for _, bad := range []string{
		"PASS",
		"ok  \tfreezetrace/cmd/freezetrace\t184.125s",
		"BenchmarkTrace/fifo-2 1 5 requests",
		"BenchmarkLiveProviders/infura-2 1 5",
		"BenchmarkLiveProviders/infura-2 x 5 requests",
		"BenchmarkLiveProviders/infura-2 1 many requests",
		"--- FAIL: BenchmarkLiveProviders/infura",
	} {
		t.Run("Reject", func(t *testing.T) {
			if got, ok := parseBenchLine(bad, liveBench); ok {
				t.Errorf("parseBenchLine(%q) = %+v, want not ok", bad, got)
			}
		})
	}
}

func TestParseBenchOutput(t *testing.T) {
	out := "goos: linux\nBenchmarkLiveProviders/infura-2 1 10 requests\nBenchmarkLiveProviders/explorer-2 1 20 requests\nPASS\n"
	got := parseBenchOutput(out, liveBench)
	if len(got) != 2 || got[0].name != "infura" || got[1].name != "explorer" || got[1].metrics["requests"] != "20" {
		t.Errorf("parseBenchOutput() = %+v, want infura then explorer with 20 requests", got)
	}
}

func TestMedian(t *testing.T) {
	t.Run("Odd", func(t *testing.T) {
		in := []time.Duration{3 * time.Second, time.Second, 2 * time.Second}
		if got := median(in); got != 2*time.Second {
			t.Errorf("median() = %v, want 2s", got)
		}
		if in[0] != 3*time.Second {
			t.Errorf("median() reordered its input: %v", in)
		}
	})
	t.Run("Even", func(t *testing.T) {
		if got := median([]int64{10, 4, 2, 6}); got != 5 {
			t.Errorf("median() = %d, want 5", got)
		}
	})
	t.Run("One", func(t *testing.T) {
		if got := median([]float64{1.5}); got != 1.5 {
			t.Errorf("median() = %v, want 1.5", got)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		if got := median([]int(nil)); got != 0 {
			t.Errorf("median() = %d, want 0", got)
		}
	})
}

func TestResultStatus(t *testing.T) {
	tests := []struct {
		name string
		r    result
		want string
	}{
		{"OK", result{wall: time.Second}, "ok"},
		{"Timeout", result{timeout: 10 * time.Minute, err: errors.New("signal: killed")}, "timeout after 10m"},
		{"TimeoutMixed", result{timeout: 90 * time.Second}, "timeout after 1m30s"},
		{"FailedStderr", result{err: errors.New("exit status 2"), stderr: "\n  freezetrace: --rule: unknown rule\nhint\n"}, "failed: freezetrace: --rule: unknown rule"},
		{"FailedPython", result{err: errors.New("exit status 1"), stderr: "Traceback (most recent call last):\n  File \"reach.py\", line 35\nMemoryError\n"}, "failed: MemoryError"},
		{"FailedNoStderr", result{err: errors.New("exit status 1")}, "failed: exit status 1"},
		{"Skipped", skipped("sqlite3 not installed"), "skipped: sqlite3 not installed"},
		{"Interrupted", result{interrupted: true}, "interrupted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.status(); got != tt.want {
				t.Errorf("status() = %q, want %q", got, tt.want)
			}
			if got := tt.r.ok(); got != (tt.want == "ok") {
				t.Errorf("ok() = %v, want %v", got, tt.want == "ok")
			}
		})
	}
}

func TestCommas(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := commas(in); got != want {
			t.Errorf("commas(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestReachSQL(t *testing.T) {
	c := synth.Case{
		Asset:      synth.USDT,
		VictimTxs:  []string{"0x" + strings.Repeat("ab", 32)},
		HotWallets: []string{"0x" + strings.Repeat("cd", 20)},
	}
	t.Run("OK", func(t *testing.T) {
		q, err := reachSQL(c, 8)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"r.hop < 8", "'" + c.VictimTxs[0] + "'", "('" + c.HotWallets[0] + "')", "UNION\n", "count(DISTINCT addr)"} {
			if !strings.Contains(q, want) {
				t.Errorf("reachSQL() lacks %q:\n%s", want, q)
			}
		}
		if strings.Contains(q, "UNION ALL") || strings.Contains(q, "%!") {
			t.Errorf("reachSQL() = %s, want UNION and every verb filled", q)
		}
	})
	t.Run("ErrNotHex", func(t *testing.T) {
		bad := c
		bad.VictimTxs = []string{"0xab'); DROP TABLE labels; --"}
		if _, err := reachSQL(bad, 8); err == nil {
			t.Error("reachSQL() error = nil, want an error for a non-hex hash")
		}
	})
}

func TestCachedCase(t *testing.T) {
	dir := t.TempDir()
	markerPath := filepath.Join(dir, "requested.json")
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := marker{Requested: 100000, Seed: 1, Generator: "abc"}
	if _, err := cachedCase(dir, markerPath, want); err == nil {
		t.Fatal("cachedCase() on an empty dir: error = nil, want one")
	}
	write("case.json", `{"seed": 1, "transfers": 100062}`)
	write("token_transfers.csv", "header\n")
	write("requested.json", `{"requested": 100000, "seed": 1, "transfers": 100062, "generator": "abc"}`)
	if c, err := cachedCase(dir, markerPath, want); err != nil || c.Transfers != 100062 {
		t.Errorf("cachedCase() = %d, %v, want 100062 transfers", c.Transfers, err)
	}
	for name, m := range map[string]marker{
		"another size":      {Requested: 200000, Seed: 1, Generator: "abc"},
		"another seed":      {Requested: 100000, Seed: 2, Generator: "abc"},
		"another generator": {Requested: 100000, Seed: 1, Generator: "def"},
	} {
		if _, err := cachedCase(dir, markerPath, m); err == nil {
			t.Errorf("cachedCase() for %s: error = nil, want one", name)
		}
	}
	write("requested.json", `{"requested": 100000, "seed": 1, "transfers": 99, "generator": "abc"}`)
	if _, err := cachedCase(dir, markerPath, want); err == nil {
		t.Error("cachedCase() with a stale case.json: error = nil, want one")
	}
}

// A run that did not succeed shows why in its row and no figures.
func TestReportFailedRuns(t *testing.T) {
	s := &sizeResult{n: 10_000_000, c: synth.Case{Transfers: 10_000_123, VictimTxs: []string{"0x1"}}}
	s.imports = []*importResult{
		{tool: "freezetrace", runs: []result{{wall: 2 * time.Second}, {err: errors.New("exit status 1"), stderr: "disk full\n"}}, bytes: []int64{1 << 20, 0}},
		{tool: "sqlite3", runs: []result{skipped("sqlite3 not installed")}, bytes: []int64{0}},
	}
	s.traces = []traceRun{
		{name: "laundering, 8 hops", rule: "fifo", run: result{timeout: 10 * time.Minute}, sum: summary{-1, -1, -1}},
	}
	s.traced = true
	r := &report{want: []int{10_000_000, 20_000_000}, repeat: 2, sizes: []*sizeResult{s}}
	md := string(r.markdown())
	for _, want := range []string{
		"Partial results",
		"| laundering, 8 hops | fifo | timeout after 10m | - | - | - | - |",
		"1 of 2 ok: 2.00 s; run 2 failed: disk full",
		"| sqlite3 CLI `.import` + indexes | skipped: sqlite3 not installed |",
		"No speed ratio",
		"## 20,000,000 transfers\n\nNot measured",
		"### Reachability baselines\n\nNot measured",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
