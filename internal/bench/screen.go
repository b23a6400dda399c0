package main

// The -screen measurements: freezetrace screen on a list of addresses
// drawn from a dataset, against its transfers and every shared label set.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The target the screening measurements are held to: screenAddresses
// addresses at screenHops hops against screenSize cached transfers and all
// shared labels, within targetWall and targetRSS.
const (
	screenAddresses = 100_000
	screenSize      = 1_000_000
	screenHops      = 3
	targetWall      = 60 * time.Second
	targetRSS       = 1_000_000_000 // bytes: 1 GB
	targetWallText  = "60 s"
)

// sharedLabelSets are the label sets under -labels, each with the format
// `labels import` reads it in.
var sharedLabelSets = []struct{ dir, format string }{
	{"graphsense-tagpacks", "tagpack"},
	{"ofac-sanctioned-0xb10c", "ofac"},
}

// A screenSpec is one screen command line to measure.
type screenSpec struct {
	name   string
	hops   int
	format string
	target bool // the run the target is about
}

// screenSpecs are the measured runs, in the order each round runs them:
// the 1-hop baseline first.
var screenSpecs = []screenSpec{
	{name: "baseline", hops: 1, format: "csv"},
	{name: "target", hops: screenHops, format: "csv", target: true},
	{name: "ndjson", hops: screenHops, format: "ndjson"},
}

// screenSizeResult is everything the screening measured at one size.
type screenSizeResult struct {
	ds    *sizeResult // the dataset (only its dataset fields are used)
	db    string
	setup []*setupStep // nil until the set-up ran
	// list is the addresses screened; listErr says why there is none.
	list    *addressList
	listErr string
	warm    *result       // the untimed warm-up; nil until run
	runs    []*screenRuns // one per screenSpecs entry; nil until measured
	profile *screenProfile
	done    bool // every step ran
}

// A setupStep is one import into the screening database.
type setupStep struct {
	name   string
	cmd    command
	run    result
	labels *labelCounts // a labels import's summary; nil for the others
}

// screenRuns are the rounds of one screenSpec.
type screenRuns struct {
	spec     screenSpec
	runs     []result
	sums     []screenSummary
	outBytes []int64 // the size of the output written
}

// runScreen is the driver's -screen mode.
func (b *bench) runScreen(ctx context.Context) error {
	if err := b.prepare(ctx); err != nil {
		return err
	}
	b.srep = &screenReport{report: b.rep, addresses: b.cfg.addresses, labelsDir: b.cfg.labels}
	b.saveScreen()
	b.logf("writing %s", b.cfg.out)
	for _, n := range b.cfg.sizes {
		s := &screenSizeResult{ds: &sizeResult{n: n}}
		b.srep.sizes = append(b.srep.sizes, s)
		err := b.screenSize(ctx, s)
		b.saveScreen()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; partial results in %s", b.cfg.out)
		}
		if err != nil {
			return err
		}
	}
	b.rep.finished = true
	b.saveScreen()
	b.logf("done in %s; wrote %s", shortDuration(time.Since(b.start).Truncate(time.Second)), b.cfg.out)
	return nil
}

// saveScreen rewrites the screening markdown with everything so far.
func (b *bench) saveScreen() {
	b.rep.loadEnd, b.rep.elapsed = loadAverage(), time.Since(b.start)
	if err := writeFile(b.cfg.out, b.srep.markdown()); err != nil {
		b.logf("write %s: %v", b.cfg.out, err)
	}
}

// screenSize measures one size: the dataset, its imports, the address
// list, the screen runs and, with -profile, a profiled run.
func (b *bench) screenSize(ctx context.Context, s *screenSizeResult) error {
	if err := b.dataset(s.ds); err != nil {
		return err
	}
	b.saveScreen()
	s.db = s.ds.path("screen.db")
	if !b.screenSetup(ctx, s) {
		s.done = true
		return ctx.Err()
	}
	b.saveScreen()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	list, err := b.addressList(s)
	if err != nil {
		b.logf("address list: %v", err)
		s.listErr = err.Error()
		s.done = true
		return nil
	}
	s.list = list
	b.saveScreen()
	b.screenRuns(ctx, s)
	b.saveScreen()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if b.cfg.profile {
		s.profile = b.screenProfile(ctx, s)
	}
	s.done = true
	return ctx.Err()
}

// screenSetup imports the dataset and every label set into a fresh
// database, each import a measured run. It reports whether the database
// holds the transfers, blocks and tokens the screening needs.
func (b *bench) screenSetup(ctx context.Context, s *screenSizeResult) bool {
	b.logf("screening set-up: a fresh %s", s.db)
	s.setup = []*setupStep{}
	if err := removeDB(s.db); err != nil {
		s.setup = append(s.setup, &setupStep{name: "fresh database", run: skipped(err.Error())})
		return false
	}
	ds := s.ds
	core := append([]command{b.freezetrace("import", "--db", s.db, "--format", "etl-token-transfers", ds.path("token_transfers.csv"))},
		b.setupCommands(ds, s.db)...)
	names := []string{"transfers", "blocks", "tokens", "synth labels"}
	steps := make([]*setupStep, len(core))
	for i, c := range core {
		steps[i] = &setupStep{name: names[i], cmd: c}
	}
	for _, set := range sharedLabelSets {
		st := &setupStep{name: set.dir + " labels"}
		dir := filepath.Join(b.cfg.labels, set.dir)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			st.run = skipped(fmt.Sprintf("%s absent", dir))
		} else {
			st.cmd = b.labelsImport(s.db, set.format, dir)
		}
		steps = append(steps, st)
	}
	for i, st := range steps {
		s.setup = append(s.setup, st)
		if st.cmd.path == "" {
			b.logf("%s: %s", st.name, st.run.status())
			continue
		}
		st.run = b.exec(ctx, st.cmd)
		if strings.HasSuffix(st.name, "labels") {
			lc := parseLabelsImport(st.run.stdout)
			st.labels = &lc
		}
		st.run.stdout = "" // not kept: the counts are parsed
		if ctx.Err() != nil {
			return false
		}
		// The transfers, blocks and tokens are what screening reads; a
		// failed label import is reported, and the runs still measured.
		if i < 3 && !st.run.ok() {
			return false
		}
	}
	return true
}

// screenArgs is the screen command line of spec on s's list.
func (s *screenSizeResult) screenArgs(spec screenSpec) []string {
	return []string{"screen", "--db", s.db, "--offline", "--file", s.list.path, "--hops", strconv.Itoa(spec.hops),
		"--format", spec.format, "--unknown-ok", "--fail-on", "severe"}
}

// screenOut is where a run of spec writes its standard output.
func (s *screenSizeResult) screenOut(spec screenSpec) string {
	return s.ds.path(fmt.Sprintf("screen-out-%s.%s", spec.name, spec.format))
}

// screenRuns measures every screenSpec -repeat times, alternating, after
// one untimed warm-up run of the baseline.
func (b *bench) screenRuns(ctx context.Context, s *screenSizeResult) {
	b.logf("screen warm-up (untimed)")
	warm := screenSpecs[0]
	r := b.execScreen(ctx, command{path: b.bin, args: s.screenArgs(warm), dir: b.cfg.root, stdout: s.screenOut(warm)})
	s.warm = &r
	if ctx.Err() != nil {
		return
	}
	s.runs = make([]*screenRuns, len(screenSpecs))
	for i, spec := range screenSpecs {
		s.runs[i] = &screenRuns{spec: spec}
	}
	for round := range b.cfg.repeat {
		b.logf("screen round %d of %d", round+1, b.cfg.repeat)
		for _, sr := range s.runs {
			out := s.screenOut(sr.spec)
			r := b.execScreen(ctx, command{path: b.bin, args: s.screenArgs(sr.spec), dir: b.cfg.root, stdout: out})
			sum := parseScreenSummary(r.stderr)
			r.stderr = firstLine(r.stderr) // enough for a failure's status
			sr.runs, sr.sums, sr.outBytes = append(sr.runs, r), append(sr.sums, sum), append(sr.outBytes, fileSize(out))
			if sum.ok {
				b.logf("  %d addresses: %s", sum.addresses, sum.levelText())
			}
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// execScreen runs a screen command, measured. Exit codes 3 (an address
// reached --fail-on) and 4 (some are unknown) are results: such a run
// counts as a success, its exit code kept.
func (b *bench) execScreen(ctx context.Context, c command) result {
	if c.env == nil {
		c.env = b.env
	}
	b.logf("run %s", c)
	r := measure(ctx, b.cfg.timeout, c)
	if screenResultCode(r) {
		r.err = nil
	}
	if r.ok() {
		b.logf("  ok (exit %d): %s, peak RSS %s", r.exit, formatWall(r.wall), formatKiB(r.maxRSS))
	} else {
		b.logf("  %s", r.status())
	}
	return r
}

// screenResultCode reports whether r ended with an exit code that is a
// screening result (0, 3 or 4) by itself, not killed or stopped.
func screenResultCode(r result) bool {
	if r.skip != "" || r.interrupted || r.timeout != 0 {
		return false
	}
	switch r.exit {
	case 0, 3, 4:
		var ee interface{ Exited() bool }
		return r.err == nil || (errors.As(r.err, &ee) && ee.Exited())
	}
	return false
}

// A screenSummary is what the summary screen prints on stderr says.
type screenSummary struct {
	ok        bool
	addresses int
	seconds   float64 // the binary's own timer
	levels    [len(screenLevels)]int
	data      string // the first "Data: …" line, without "Data: "
}

// screenLevels are the summary's levels in the order it prints them.
var screenLevels = [...]string{"severe", "high", "medium", "low", "none", "unknown"}

var (
	screenedRe = regexp.MustCompile(`(?m)^Screened ([0-9,]+) address(?:es)? in ([0-9.]+) s: (.*)\.\s*$`)
	dataRe     = regexp.MustCompile(`(?m)^Data: (.*?)\s*$`)
)

// parseScreenSummary reads the last "Screened N addresses in X s:
// severe a, high b, medium c, low d, none e, unknown f." line of a screen
// run's stderr; ok is false unless it has every level once.
func parseScreenSummary(stderr string) screenSummary {
	var s screenSummary
	m := screenedRe.FindAllStringSubmatch(stderr, -1)
	if m == nil {
		return s
	}
	last := m[len(m)-1]
	secs, err := strconv.ParseFloat(last[2], 64)
	if s.addresses = parseCount(last[1]); s.addresses < 0 || err != nil {
		return screenSummary{}
	}
	s.seconds = secs
	seen := map[string]bool{}
	for _, part := range strings.Split(last[3], ", ") {
		name, num, ok := strings.Cut(part, " ")
		i := -1
		for j, l := range screenLevels {
			if l == name {
				i = j
			}
		}
		n := parseCount(num)
		if !ok || i < 0 || n < 0 || seen[name] {
			return screenSummary{}
		}
		seen[name], s.levels[i] = true, n
	}
	if len(seen) != len(screenLevels) {
		return screenSummary{}
	}
	if d := dataRe.FindStringSubmatch(stderr); d != nil {
		s.data = d[1]
	}
	s.ok = true
	return s
}

// levelText is the counts as the summary writes them.
func (s screenSummary) levelText() string {
	var parts []string
	for i, l := range screenLevels {
		parts = append(parts, fmt.Sprintf("%s %d", l, s.levels[i]))
	}
	return strings.Join(parts, ", ")
}

// labelCounts is what `labels import` prints: its total line, the labels
// per chain, and the files that failed as a whole. ok is false when there
// is no total line.
type labelCounts struct {
	ok                                  bool
	files, read, labels, added, skipped int
	bad, failed                         int
	chainAdded                          map[string]int // labels added per chain
}

var (
	labelsTotalRe  = regexp.MustCompile(`(?m)^total \(([0-9]+) files?\)\s+([0-9]+)\s+([0-9]+)\s+([0-9]+)\s+([0-9]+)\s+([0-9]+)\s*$`)
	labelsFailedRe = regexp.MustCompile(`(?m)^([0-9]+) files? failed`)
	chainRowRe     = regexp.MustCompile(`^(\S+)\s+(\S+)\s+([0-9]+)\s+([0-9]+)\s*$`)
)

// parseLabelsImport reads the summary `labels import` writes on stdout:
//
//	FILE  READ  LABELS  ADDED  SKIPPED  BAD
//	…
//	total (2 files)  12  10  10  1  1
//
//	CHAIN     CATEGORY    LABELS  ADDED
//	ethereum  sanctioned  8       8
func parseLabelsImport(out string) labelCounts {
	var c labelCounts
	m := labelsTotalRe.FindStringSubmatch(out)
	if m == nil {
		return c
	}
	n := make([]int, 6)
	for i := range n {
		if n[i] = parseCount(m[i+1]); n[i] < 0 {
			return labelCounts{}
		}
	}
	c.ok = true
	c.files, c.read, c.labels, c.added, c.skipped, c.bad = n[0], n[1], n[2], n[3], n[4], n[5]
	if f := labelsFailedRe.FindStringSubmatch(out); f != nil {
		c.failed = parseCount(f[1])
	}
	c.chainAdded = map[string]int{}
	in := false
	for l := range strings.Lines(out) {
		l = strings.TrimRight(l, "\r\n")
		switch {
		case strings.HasPrefix(l, "CHAIN "):
			in = true
		case !in:
		case strings.TrimSpace(l) == "":
			in = false
		default:
			if r := chainRowRe.FindStringSubmatch(l); r != nil {
				c.chainAdded[r[1]] += parseCount(r[4])
			}
		}
	}
	return c
}

// screenProfile is one extra, untimed 3-hop run with profiles written,
// and go tool pprof's view of them.
type screenProfile struct {
	run        result
	cpu, heap  string // the profile files
	cpuTop     string // go tool pprof -top of the CPU profile
	allocTop   string // of the heap profile, by alloc_space
	inuseTop   string // of the heap profile, by inuse_space (at exit)
	gc         gcPeak // from GODEBUG=gctrace=1
	pprofError string
}

// screenProfile runs the target once more with FREEZETRACE_CPUPROFILE,
// FREEZETRACE_MEMPROFILE and GODEBUG=gctrace=1 set.
func (b *bench) screenProfile(ctx context.Context, s *screenSizeResult) *screenProfile {
	p := &screenProfile{cpu: s.ds.path("screen-cpu.pprof"), heap: s.ds.path("screen-heap.pprof")}
	spec := screenSpecs[1]
	env := append(append([]string{}, b.env...), "FREEZETRACE_CPUPROFILE="+p.cpu, "FREEZETRACE_MEMPROFILE="+p.heap, "GODEBUG=gctrace=1")
	b.logf("profiled run (untimed)")
	p.run = b.execScreen(ctx, command{path: b.bin, args: s.screenArgs(spec), dir: b.cfg.root, env: env, stdout: s.screenOut(spec)})
	p.gc = parseGCTrace(p.run.stderr)
	p.run.stderr = firstLine(p.run.stderr)
	if !p.run.ok() {
		return p
	}
	top := func(args ...string) string {
		args = append([]string{"tool", "pprof", "-top", "-nodecount", "25"}, args...)
		out := output(ctx, b.cfg.root, "go", args...)
		if out == "" {
			p.pprofError = "go tool pprof " + strings.Join(args[2:], " ") + " printed nothing"
		}
		return out
	}
	p.cpuTop = top(b.bin, p.cpu)
	p.allocTop = top("-sample_index", "alloc_space", b.bin, p.heap)
	p.inuseTop = top("-sample_index", "inuse_space", b.bin, p.heap)
	return p
}

// gcPeak is the largest Go heap a gctrace showed: at the start of a
// collection, and live after one; MB as the runtime writes them.
type gcPeak struct {
	cycles          int
	startMB, liveMB int
}

var gcLineRe = regexp.MustCompile(`(?m)^gc [0-9]+ @.* ([0-9]+)->([0-9]+)->([0-9]+) MB`)

// parseGCTrace reads GODEBUG=gctrace=1 lines ("gc 7 @0.5s 3%: …,
// 40->42->12 MB, 48 MB goal, …").
func parseGCTrace(stderr string) gcPeak {
	var g gcPeak
	for _, m := range gcLineRe.FindAllStringSubmatch(stderr, -1) {
		start, live := parseCount(m[1]), parseCount(m[3])
		g.cycles++
		g.startMB, g.liveMB = max(g.startMB, start), max(g.liveMB, live)
	}
	return g
}
