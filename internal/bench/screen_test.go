package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"freezetrace/internal/synth"
)

func TestParseScreenSummary(t *testing.T) {
	const data = "Data: ethereum, blocks 0-20039025, USDT, USDC; 3 hops both; policy built-in.\n  from etl up to block 20039025\n"
	tests := []struct {
		name   string
		stderr string
		want   screenSummary
	}{
		{"OK", "Screened 5000 addresses in 2.1 s: severe 0, high 2, medium 6, low 6, none 4972, unknown 14.\n" + data,
			screenSummary{ok: true, addresses: 5000, seconds: 2.1, levels: [6]int{0, 2, 6, 6, 4972, 14},
				data: "ethereum, blocks 0-20039025, USDT, USDC; 3 hops both; policy built-in."}},
		{"Commas", "Screened 100,000 addresses in 41.0 s: severe 1, high 2, medium 3, low 4, none 99,980, unknown 10.\n",
			screenSummary{ok: true, addresses: 100000, seconds: 41, levels: [6]int{1, 2, 3, 4, 99980, 10}}},
		{"LastLineCounts", "Screened 1 address in 0.0 s: severe 0, high 0, medium 0, low 0, none 1, unknown 0.\n" +
			"Screened 2 addresses in 0.1 s: severe 0, high 0, medium 0, low 0, none 0, unknown 2.\n",
			screenSummary{ok: true, addresses: 2, seconds: 0.1, levels: [6]int{0, 0, 0, 0, 0, 2}}},
		{"ErrLevelMissing", "Screened 5 addresses in 0.1 s: severe 0, high 0, medium 0, low 0, none 5.\n", screenSummary{}},
		{"ErrLevelTwice", "Screened 5 addresses in 0.1 s: severe 0, high 0, medium 0, low 0, none 5, none 5.\n", screenSummary{}},
		{"ErrUnknownLevel", "Screened 5 addresses in 0.1 s: severe 0, high 0, medium 0, low 0, none 5, purple 0.\n", screenSummary{}},
		{"ErrNotANumber", "Screened 5 addresses in 0.1 s: severe x, high 0, medium 0, low 0, none 5, unknown 0.\n", screenSummary{}},
		{"ErrNotAtLineStart", "said Screened 5 addresses in 0.1 s: severe 0, high 0, medium 0, low 0, none 5, unknown 0.\n", screenSummary{}},
		{"ErrNone", "freezetrace: --file: open x: no such file or directory\n", screenSummary{}},
		{"ErrEmpty", "", screenSummary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseScreenSummary(tt.stderr); got != tt.want {
				t.Errorf("parseScreenSummary() = %+v, want %+v", got, tt.want)
			}
		})
	}
	t.Run("LevelText", func(t *testing.T) {
		s := parseScreenSummary(tests[0].stderr)
		if got, want := s.levelText(), "severe 0, high 2, medium 6, low 6, none 4972, unknown 14"; got != want {
			t.Errorf("levelText() = %q, want %q", got, want)
		}
	})
}

func TestParseLabelsImport(t *testing.T) {
	// As `labels import --format ofac` prints it (tabwriter, spaces).
	const ofac = `FILE                                                                         READ  LABELS  ADDED  SKIPPED  BAD
../shared/data/labels/ofac-sanctioned-0xb10c/sanctioned_addresses_ARB.json   1     1       1      0        0
../shared/data/labels/ofac-sanctioned-0xb10c/sanctioned_addresses_ARB.txt    1     1       0      0        0
total (34 files)                                                             1308  362     181    946      0

CHAIN     CATEGORY    LABELS  ADDED
arbitrum  sanctioned  2       1
bsc       sanctioned  2       1
ethereum  sanctioned  324     162
tron      sanctioned  34      17
`
	const failed = `FILE                               READ  LABELS  ADDED  SKIPPED  BAD
/tmp/bad.csv                       -     -       -      -        failed
.bench-data/n100000-s1/labels.csv  3     3       3      0        0
total (2 files)                    3     3       3      0        0

CHAIN     CATEGORY  LABELS  ADDED
ethereum  exchange  2       2
ethereum  mixer     1       1

1 files failed (nothing stored from them):
  /tmp/bad.csv:3: unterminated quote
`
	tests := []struct {
		name string
		out  string
		want labelCounts
	}{
		{"OK", ofac, labelCounts{ok: true, files: 34, read: 1308, labels: 362, added: 181, skipped: 946,
			chainAdded: map[string]int{"arbitrum": 1, "bsc": 1, "ethereum": 162, "tron": 17}}},
		{"FailedFile", failed, labelCounts{ok: true, files: 2, read: 3, labels: 3, added: 3, failed: 1,
			chainAdded: map[string]int{"ethereum": 3}}},
		{"OneFile", "FILE  READ  LABELS  ADDED  SKIPPED  BAD\nx.csv  4  3  2  0  1\ntotal (1 files)  4  3  2  0  1\n",
			labelCounts{ok: true, files: 1, read: 4, labels: 3, added: 2, bad: 1, chainAdded: map[string]int{}}},
		{"ErrNoTotal", "FILE  READ  LABELS  ADDED  SKIPPED  BAD\n", labelCounts{}},
		{"ErrEmpty", "", labelCounts{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseLabelsImport(tt.out)
			if got.ok != tt.want.ok || got.files != tt.want.files || got.read != tt.want.read || got.labels != tt.want.labels ||
				got.added != tt.want.added || got.skipped != tt.want.skipped || got.bad != tt.want.bad || got.failed != tt.want.failed {
				t.Errorf("parseLabelsImport() = %+v, want %+v", got, tt.want)
			}
			if len(got.chainAdded) != len(tt.want.chainAdded) {
				t.Errorf("parseLabelsImport() chains = %v, want %v", got.chainAdded, tt.want.chainAdded)
			}
			for k, v := range tt.want.chainAdded {
				if got.chainAdded[k] != v {
					t.Errorf("parseLabelsImport() chains[%s] = %d, want %d", k, got.chainAdded[k], v)
				}
			}
		})
	}
}

func TestParseGCTrace(t *testing.T) {
	const trace = "gc 1 @0.012s 2%: 0.010+0.5+0.003 ms clock, 0.02+0.1/0.4/0+0.006 ms cpu, 4->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
		"Screened 2 addresses in 0.1 s: severe 0, high 0, medium 0, low 0, none 2, unknown 0.\n" +
		"gc 2 @0.5s 3%: 0.01+1+0.01 ms clock, 0.02+0.1/0.4/0+0.006 ms cpu, 640->652->310 MB, 660 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
		"gc 3 @0.9s 3%: 0.01+1+0.01 ms clock, 0.02+0.1/0.4/0+0.006 ms cpu, 600->610->320 MB, 640 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
	if got, want := parseGCTrace(trace), (gcPeak{cycles: 3, startMB: 640, liveMB: 320}); got != want {
		t.Errorf("parseGCTrace() = %+v, want %+v", got, want)
	}
	if got := parseGCTrace("no trace\n"); got != (gcPeak{}) {
		t.Errorf("parseGCTrace() = %+v, want zero", got)
	}
}

// exitResult runs sh to exit with code, so the result carries a real
// *exec.ExitError.
func exitResult(t *testing.T, code string) result {
	t.Helper()
	err := exec.Command("sh", "-c", "exit "+code).Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("sh exit %s: %v, want an exit error", code, err)
	}
	return result{err: err, exit: ee.ExitCode()}
}

func TestScreenResultCode(t *testing.T) {
	tests := []struct {
		name string
		r    result
		want bool
	}{
		{"OK", result{}, true},
		{"ExitFound", exitResult(t, "3"), true},
		{"ExitUnknown", exitResult(t, "4"), true},
		{"ErrUsage", exitResult(t, "2"), false},
		{"ErrInternal", exitResult(t, "1"), false},
		{"ErrTimeout", result{timeout: time.Minute, exit: -1, err: errors.New("signal: killed")}, false},
		{"ErrInterrupted", result{interrupted: true, exit: 3}, false},
		{"ErrSkipped", skipped("no list"), false},
		{"ErrNotStarted", result{err: errors.New("exec: not found")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := screenResultCode(tt.r); got != tt.want {
				t.Errorf("screenResultCode(%+v) = %v, want %v", tt.r, got, tt.want)
			}
		})
	}
}

func TestDrawAddresses(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(dir, 10_000, 1); err != nil {
		t.Fatal(err)
	}
	// A shared label file naming a labeled address of the dataset (in
	// upper case), one it does not hold, and a hash, which is not one.
	seen, order, err := transferAddresses(filepath.Join(dir, "token_transfers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	inData := order[len(order)/2]
	shared := filepath.Join(dir, "shared.yaml")
	body := "tags:\n  - address: 0x" + strings.ToUpper(inData[2:]) + "\n  - address: 0x" + strings.Repeat("ab", 20) +
		"\n  - tx: 0x" + strings.Repeat("cd", 32) + "\n"
	if err := os.WriteFile(shared, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	labels, err := readLabels(filepath.Join(dir, "labels.csv"))
	if err != nil {
		t.Fatal(err)
	}
	const n = 500
	draw := func(seed uint64) (*addressList, []string) {
		t.Helper()
		l, list, err := drawAddresses(filepath.Join(dir, "token_transfers.csv"), filepath.Join(dir, "labels.csv"), []string{shared}, n, seed)
		if err != nil {
			t.Fatal(err)
		}
		return l, list
	}
	l, list := draw(1)
	t.Run("OK", func(t *testing.T) {
		if len(list) != n || l.Addresses != n {
			t.Fatalf("drawAddresses() = %d addresses (says %d), want %d", len(list), l.Addresses, n)
		}
		uniq := map[string]bool{}
		for _, a := range list {
			if !seen[a] {
				t.Errorf("drawAddresses() drew %s, not in the transfers", a)
			}
			if uniq[a] {
				t.Errorf("drawAddresses() drew %s twice", a)
			}
			uniq[a] = true
		}
		for _, a := range append(labels, inData) {
			if seen[a] && !uniq[a] {
				t.Errorf("drawAddresses() left out labeled address %s", a)
			}
		}
		if l.Shared != 1 || l.SharedNamed != 2 || !slices.Equal(l.SharedHits, []string{inData}) {
			t.Errorf("drawAddresses() shared = %d of %d named %v, want 1 of 2 [%s]", l.Shared, l.SharedNamed, l.SharedHits, inData)
		}
		if l.Labeled != l.Synth+l.Shared || l.Synth == 0 || l.Distinct != len(order) {
			t.Errorf("drawAddresses() = %+v, want labeled = synth + shared, synth > 0, distinct %d", l, len(order))
		}
	})
	t.Run("Deterministic", func(t *testing.T) {
		if _, again := draw(1); !slices.Equal(again, list) {
			t.Error("drawAddresses() twice with seed 1: the lists differ")
		}
		if _, other := draw(2); slices.Equal(other, list) {
			t.Error("drawAddresses() with seeds 1 and 2: the same list")
		}
	})
	t.Run("FillsAbsent", func(t *testing.T) {
		draw := func() (*addressList, []string) {
			t.Helper()
			l, list, err := drawAddresses(filepath.Join(dir, "token_transfers.csv"), filepath.Join(dir, "labels.csv"), nil, len(order)+5, 1)
			if err != nil {
				t.Fatal(err)
			}
			return l, list
		}
		l, list := draw()
		if l.Absent != 5 || l.Addresses != len(order)+5 || len(list) != len(order)+5 {
			t.Fatalf("drawAddresses() = %+v with %d addresses, want all %d of the dataset and 5 absent", l, len(list), len(order))
		}
		uniq, absent := map[string]bool{}, 0
		for _, a := range list {
			if uniq[a] || !hexAddress.MatchString(a) || len(a) != 42 {
				t.Errorf("drawAddresses() drew %q twice or not as an address", a)
			}
			uniq[a] = true
			if !seen[a] {
				absent++
			}
		}
		if absent != 5 {
			t.Errorf("drawAddresses() drew %d addresses absent from the transfers, want 5", absent)
		}
		if _, again := draw(); !slices.Equal(again, list) {
			t.Error("drawAddresses() twice: the lists differ")
		}
	})
}

// The target line says met only for the target's configuration, within
// both limits, and says why otherwise.
func TestScreenTarget(t *testing.T) {
	sum := screenSummary{ok: true, addresses: screenAddresses}
	labelsOK := &setupStep{name: "ofac-sanctioned-0xb10c labels", run: result{}, labels: &labelCounts{ok: true}}
	mk := func(n int, runs []result, setup ...*setupStep) *screenSizeResult {
		sr := &screenRuns{spec: screenSpecs[1], runs: runs}
		for range runs {
			sr.sums, sr.outBytes = append(sr.sums, sum), append(sr.outBytes, 1)
		}
		return &screenSizeResult{ds: &sizeResult{n: n, c: synth.Case{Transfers: n}}, setup: setup, runs: []*screenRuns{sr}}
	}
	ok := result{wall: 30 * time.Second, maxRSS: 500_000}
	withAbsent := mk(screenSize, []result{ok}, labelsOK)
	withAbsent.list = &addressList{Addresses: screenAddresses, Absent: 17_338}
	tests := []struct {
		name string
		s    *screenSizeResult
		met  bool
		want string
	}{
		{"OK", mk(screenSize, []result{ok, ok, ok}, labelsOK), true, "**Target met**"},
		{"ExitCodesAreResults", mk(screenSize, []result{{wall: time.Second, maxRSS: 1000, exit: 3}}, labelsOK), true, "**Target met**"},
		{"ErrSlow", mk(screenSize, []result{ok, {wall: 70 * time.Second, maxRSS: 1000}, {wall: 80 * time.Second, maxRSS: 1000}}, labelsOK),
			false, "wall 70.0 s > 60 s"},
		{"ErrLargestRSS", mk(screenSize, []result{ok, ok, {wall: time.Second, maxRSS: 980_000}}, labelsOK), false, "peak RSS"},
		{"ErrFailedRun", mk(screenSize, []result{ok, {timeout: 10 * time.Minute}}, labelsOK), false, "1 of 2 runs failed"},
		{"ErrAllFailed", mk(screenSize, []result{{timeout: 10 * time.Minute}}, labelsOK), false, "no 3-hop run succeeded (timeout after 10m)"},
		{"ErrSmallDataset", mk(100_000, []result{ok}, labelsOK), false, "Not the target's configuration"},
		{"ErrLabelsAbsent", mk(screenSize, []result{ok}, &setupStep{name: "graphsense-tagpacks labels", run: skipped("x absent")}),
			false, "graphsense-tagpacks labels skipped: x absent"},
		{"NotesAbsent", withAbsent, true, "82,662 take part in a transfer of the dataset (all it has) and 17,338 in none"},
		{"ErrNotRun", &screenSizeResult{ds: &sizeResult{n: screenSize}}, false, "Target not measured"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			met, line := tt.s.target()
			if met != tt.met || !strings.Contains(line, tt.want) {
				t.Errorf("target() = %v, %q, want %v and %q", met, line, tt.met, tt.want)
			}
		})
	}
}
