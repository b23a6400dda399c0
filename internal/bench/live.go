package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// liveBench is the benchmark that counts a cold trace's requests per
// emulated provider set-up, and liveTimeout go test's own limit for it.
const (
	liveBench   = "BenchmarkLiveProviders"
	liveTimeout = 20 * time.Minute
)

// liveResult is the live-provider benchmark's run and its rows.
type liveResult struct {
	run  result
	cmd  string
	rows []benchRow
}

// A benchRow is one line of go test -bench output: the sub-benchmark's
// name, without the benchmark's and GOMAXPROCS's parts, and its metrics by
// unit, each value as go test printed it.
type benchRow struct {
	name    string
	metrics map[string]string
}

// parseBenchLine reads a line such as
//
//	BenchmarkLiveProviders/infura-2   1   732286594 ns/op   279.0 addresses   1303 requests
//
// for the benchmark bench; ok is false for any other line.
func parseBenchLine(line, bench string) (row benchRow, ok bool) {
	f := strings.Fields(line)
	if len(f) < 2 || len(f)%2 != 0 || !strings.HasPrefix(f[0], bench+"/") {
		return row, false
	}
	if _, err := strconv.Atoi(f[1]); err != nil {
		return row, false
	}
	name := strings.TrimPrefix(f[0], bench+"/")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	row = benchRow{name: name, metrics: map[string]string{}}
	for i := 2; i+1 < len(f); i += 2 {
		if _, err := strconv.ParseFloat(f[i], 64); err != nil {
			return benchRow{}, false
		}
		row.metrics[f[i+1]] = f[i]
	}
	return row, true
}

// parseBenchOutput is the rows of bench in go test's output, in order.
func parseBenchOutput(out, bench string) []benchRow {
	var rows []benchRow
	for l := range strings.Lines(out) {
		if r, ok := parseBenchLine(l, bench); ok {
			rows = append(rows, r)
		}
	}
	return rows
}

// live runs the live-provider benchmark. It runs in-process providers
// only (no network), under go test's own -timeout plus a margin for
// building the test binary.
func (b *bench) live(ctx context.Context) *liveResult {
	if b.cfg.liveFrom != "" {
		out, err := os.ReadFile(b.cfg.liveFrom)
		lr := &liveResult{cmd: "read from " + filepath.Base(b.cfg.liveFrom) + " (written by make bench's go test -bench run)", run: result{err: err}}
		if err == nil {
			lr.rows = parseBenchOutput(string(out), liveBench)
		}
		return lr
	}
	c := command{path: "go", dir: b.cfg.root, args: []string{
		"test", "-run", "^$", "-bench", liveBench, "-benchtime", "1x",
		"-timeout", shortDuration(liveTimeout), "./cmd/freezetrace",
	}}
	b.logf("live providers (about 3 minutes)")
	r := b.execTimeout(ctx, liveTimeout+5*time.Minute, c)
	lr := &liveResult{run: r, cmd: c.String(), rows: parseBenchOutput(r.stdout, liveBench)}
	// go test reports a failing benchmark on stdout.
	if !r.ok() && r.timeout == 0 && !r.interrupted && firstLine(r.stderr) == "" {
		for l := range strings.Lines(r.stdout) {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "--- FAIL") || strings.HasPrefix(t, "panic:") || strings.Contains(t, "_test.go:") {
				lr.run.stderr = t
				break
			}
		}
	}
	return lr
}

// liveSection writes the live-provider table.
func (r *report) liveSection(w *md) {
	w.p("## Live providers")
	switch {
	case !r.liveWanted:
		w.p("Not measured in this run (`-live=false`).")
		return
	case r.live == nil:
		w.p("Not measured: the run stopped before this step.")
		return
	}
	l := r.live
	w.p("`%s` traces an emulated mainnet case (31,000 USDT transfers above block 20,000,000) through in-process "+
		"emulated providers, no network: cold, then warm from the cache. Requests: the cold trace's requests. "+
		"Lower bound: the fewest requests any tracer needs for the case under that set-up (`lowerBound` in "+
		"cmd/freezetrace/live_test.go); × bound: requests over it. Warm requests: the re-run's. Per address: "+
		"requests per address reached. At 10 req/s: the seconds the node's requests take at the CLI's default "+
		"rate limit (or the wall time when longer).", liveBench)
	switch {
	case !l.run.ok():
		w.p("**The benchmark did not succeed**: %s.", l.run.status())
	case l.run.wall == 0:
		w.p("Rows %s.", l.cmd)
	default:
		w.p("The benchmark command took %s, compiling the test binary included.", formatWall(l.run.wall))
	}
	if len(l.rows) == 0 {
		if l.run.ok() {
			w.p("Its output had no `%s/…` lines.", liveBench)
		}
		return
	}
	var rows [][]string
	addrs := map[string]bool{}
	for _, b := range l.rows {
		m := func(unit string) string { return orDash(b.metrics[unit]) }
		rows = append(rows, []string{b.name, m("requests"), m("lower-bound"), m("x-lower-bound"), m("warm-requests"), m("req/address"), m("s-at-10/s")})
		if a := b.metrics["addresses"]; a != "" {
			addrs[a] = true
		}
	}
	w.table([]string{"set-up", "requests", "lower bound", "× bound", "warm requests", "per address", "s at 10 req/s"},
		[]bool{false, true, true, true, true, true, true}, rows)
	if len(addrs) == 1 {
		for a := range addrs {
			w.p("Addresses reached: %s in every set-up.", a)
		}
	}
}
