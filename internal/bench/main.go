// Command bench measures freezetrace as a user runs it and writes the
// results as a markdown file (docs/benchmarks.md unless -out says
// otherwise):
//
//	go run ./internal/bench [-sizes 1000000,10000000] [-seed 1] [-repeat 3]
//	    [-timeout 10m] [-cte-timeout 5m] [-live=true] [-live-results FILE]
//	    [-data .bench-data] [-out docs/benchmarks.md] [-bin PATH]
//
// For each size it generates, or reuses from -data, a deterministic dataset
// with internal/synth, and measures, each as a fresh process, its wall time
// around the process and its peak RSS as the OS reports it on exit:
//
//   - importing token_transfers.csv with freezetrace and, for comparison,
//     with the sqlite3 CLI (.import, then the indexes freezetrace keeps),
//     -repeat times each, alternating, into a fresh database each time;
//     medians are reported;
//   - freezetrace traces offline on the imported data, after one untimed
//     warm-up run: the laundering case to 8 hops under every allocation
//     rule, and a victim payment into an unlabeled exchange hot wallet,
//     stopped there (the default --max-degree) and walked (--max-degree -1);
//   - two reachability baselines on the same data, a recursive CTE in the
//     sqlite3 CLI and an earliest-arrival search with networkx, which find
//     the addresses reachable from the victim payments but no amounts;
//
// then the size-to-size ratios of the traces, and, with -live, the request
// counts of BenchmarkLiveProviders in cmd/freezetrace, which traces an
// emulated mainnet case through emulated node and explorer set-ups (run
// here, or read from -live-results, the output make bench has just
// written).
//
// With -screen it measures screening instead, on its own (the steps above
// are not run), and writes docs/benchmarks-screen.md unless -out says
// otherwise:
//
//	go run ./internal/bench -screen [-sizes 1000000] [-addresses 100000]
//	    [-repeat 3] [-profile] [-labels ../shared/data/labels] …
//
// For each size (default 1,000,000) it imports the dataset's transfers,
// blocks and tokens into a fresh database, then its labels.csv and the
// shared label sets under -labels (graphsense-tagpacks as tagpack,
// ofac-sanctioned-0xb10c as ofac), writes once a deterministic list of
// -addresses addresses drawn from the dataset, and measures `freezetrace
// screen --file LIST --format csv --unknown-ok --fail-on severe` at 1 hop
// (the baseline), at 3 hops (the target: 100,000 addresses in at most 60 s
// and 1 GB peak RSS against 1,000,000 transfers) and at 3 hops with
// --format ndjson, -repeat times each, alternating, after one untimed
// warm-up. Exit codes 3 and 4 are results, not failures. -profile adds one
// untimed 3-hop run with FREEZETRACE_CPUPROFILE and FREEZETRACE_MEMPROFILE
// set and puts `go tool pprof -top` of both in the report.
//
// Nothing is estimated: a run that fails, times out or is skipped says so
// where its figures would be. The markdown is rewritten after every step,
// so a stopped run leaves what it measured.
//
// bench depends on the standard library and internal/synth only; it runs
// freezetrace as a built binary, never in-process.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"freezetrace/internal/synth"
)

// maxHops is the depth of the laundering case, for the traces and the
// baselines alike.
const maxHops = 8

// rules are freezetrace's allocation rules, each traced on the 8-hop case.
var rules = []string{"fifo", "lifo", "haircut", "poison", "libr"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stderr)
	var usage usageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// usageError is a bad flag value.
type usageError struct{ error }

// config is the driver's flags, resolved.
type config struct {
	sizes   []int
	seed    uint64
	data    string // dataset cache, one directory per size and seed
	out     string // the markdown file
	repeat  int
	timeout time.Duration // per external process
	live    bool
	// liveFrom, when set, is a go test -bench output file to read the
	// live-provider rows from instead of running the benchmark again.
	liveFrom   string
	cteTimeout time.Duration // the recursive CTE's own limit
	bin        string        // a built freezetrace; "" to build one into data
	root       string        // the module's root directory
	cmdline    string        // how the driver was started

	// screen selects the screening measurements (screen.go) instead of
	// the others.
	screen    bool
	addresses int    // addresses to screen
	labels    string // the shared label sets' directory
	profile   bool   // profile one extra 3-hop screen run
}

func parseFlags(args []string, root string, stderr io.Writer) (config, error) {
	cfg := config{root: root}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	sizes := fs.String("sizes", "1000000,10000000", "dataset `sizes` in transfers, comma-separated")
	fs.Uint64Var(&cfg.seed, "seed", 1, "dataset `seed`")
	fs.StringVar(&cfg.data, "data", filepath.Join(root, ".bench-data"), "dataset cache `DIR`")
	fs.StringVar(&cfg.out, "out", filepath.Join(root, "docs", "benchmarks.md"), "markdown `FILE` to write")
	fs.IntVar(&cfg.repeat, "repeat", 3, "import runs per tool (the median is reported)")
	fs.DurationVar(&cfg.timeout, "timeout", 10*time.Minute, "kill any external process after this `duration`")
	fs.BoolVar(&cfg.live, "live", true, "include the live-provider request counts (go test -bench BenchmarkLiveProviders)")
	fs.StringVar(&cfg.liveFrom, "live-results", "", "read the live-provider rows from this go test -bench output `FILE` (e.g. bench-results.txt) instead of running them")
	fs.DurationVar(&cfg.cteTimeout, "cte-timeout", 5*time.Minute, "kill the sqlite3 recursive CTE after this `duration`")
	fs.StringVar(&cfg.bin, "bin", "", "a built freezetrace `binary` (default: go build one into the data dir)")
	fs.BoolVar(&cfg.screen, "screen", false, "measure screening only (default -sizes 1000000, -out docs/benchmarks-screen.md)")
	fs.IntVar(&cfg.addresses, "addresses", screenAddresses, "with -screen: addresses to screen")
	fs.StringVar(&cfg.labels, "labels", filepath.Join(root, "..", "shared", "data", "labels"), "with -screen: `DIR` holding the shared label sets")
	fs.BoolVar(&cfg.profile, "profile", false, "with -screen: profile one extra 3-hop run (CPU and heap) and report go tool pprof -top")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if cfg.screen && !set["sizes"] {
		*sizes = strconv.Itoa(screenSize)
	}
	if cfg.screen && !set["out"] {
		cfg.out = filepath.Join(root, "docs", "benchmarks-screen.md")
	}
	if cfg.addresses < 1 {
		return cfg, usageError{fmt.Errorf("-addresses: want 1 or more, got %d", cfg.addresses)}
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	seen := map[int]bool{}
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(f), "_", ""))
		if err != nil || n < 10_000 {
			return cfg, usageError{fmt.Errorf("-sizes: want numbers of at least 10000, got %q", f)}
		}
		if seen[n] {
			return cfg, usageError{fmt.Errorf("-sizes: %d given twice", n)}
		}
		seen[n] = true
		cfg.sizes = append(cfg.sizes, n)
	}
	if cfg.repeat < 1 {
		return cfg, usageError{fmt.Errorf("-repeat: want 1 or more, got %d", cfg.repeat)}
	}
	if cfg.cteTimeout <= 0 {
		return cfg, usageError{fmt.Errorf("-cte-timeout: want a positive duration, got %s", cfg.cteTimeout)}
	}
	if cfg.liveFrom != "" {
		cfg.live = true
	}
	if cfg.timeout <= 0 {
		return cfg, usageError{fmt.Errorf("-timeout: want a positive duration, got %s", cfg.timeout)}
	}
	var err error
	for _, p := range []*string{&cfg.data, &cfg.out, &cfg.bin, &cfg.liveFrom, &cfg.labels} {
		if *p != "" {
			if *p, err = filepath.Abs(*p); err != nil {
				return cfg, err
			}
		}
	}
	cfg.cmdline = commandLine(os.Args[0], args)
	return cfg, nil
}

// commandLine is how the driver was started, as a user would type it.
func commandLine(argv0 string, args []string) string {
	prog := argv0
	if strings.Contains(argv0, "go-build") {
		prog = "go run ./internal/bench"
	}
	parts := []string{prog}
	for _, a := range args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// moduleRoot is the directory above the working directory holding
// freezetrace's go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil {
			if first, _, _ := strings.Cut(string(b), "\n"); strings.TrimSpace(first) == "module freezetrace" {
				return dir, nil
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", errors.New("not inside the freezetrace module: run from the repository, e.g. go run ./internal/bench")
		}
		dir = up
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cfg, err := parseFlags(args, root, stderr)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, log: stderr, start: time.Now(), env: environment()}
	if cfg.screen {
		return b.runScreen(ctx)
	}
	return b.run(ctx)
}

// environment is the driver's environment without what would change how
// freezetrace runs: a default database and profiles.
func environment() []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "FREEZETRACE_DB" || k == "FREEZETRACE_CPUPROFILE" || k == "FREEZETRACE_MEMPROFILE" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// bench is one run of the driver.
type bench struct {
	cfg   config
	log   io.Writer
	start time.Time
	env   []string
	bin   string
	tools tools
	rep   *report
	srep  *screenReport // with -screen
	// fingerprint is the generator's, computed once per run.
	fingerprint string
}

func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.log, "bench [%s] %s\n", shortDuration(time.Since(b.start).Truncate(time.Second)), fmt.Sprintf(format, a...))
}

// exec runs c, measured, with a progress line before and after.
func (b *bench) exec(ctx context.Context, c command) result {
	return b.execTimeout(ctx, b.cfg.timeout, c)
}

func (b *bench) execTimeout(ctx context.Context, timeout time.Duration, c command) result {
	if c.env == nil {
		c.env = b.env
	}
	b.logf("run %s", c)
	r := measure(ctx, timeout, c)
	if r.ok() {
		b.logf("  ok: %s, peak RSS %s", formatWall(r.wall), formatKiB(r.maxRSS))
	} else {
		b.logf("  %s", r.status())
	}
	return r
}

// save rewrites the markdown with everything measured so far.
func (b *bench) save() {
	b.rep.loadEnd, b.rep.elapsed = loadAverage(), time.Since(b.start)
	if err := b.rep.write(b.cfg.out); err != nil {
		b.logf("write %s: %v", b.cfg.out, err)
	}
}

func (b *bench) run(ctx context.Context) error {
	if err := b.prepare(ctx); err != nil {
		return err
	}
	b.save()
	b.logf("writing %s", b.cfg.out)
	for _, n := range b.cfg.sizes {
		s := &sizeResult{n: n}
		b.rep.sizes = append(b.rep.sizes, s)
		err := b.size(ctx, s)
		b.save()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; partial results in %s", b.cfg.out)
		}
		if err != nil {
			return err
		}
	}
	if b.cfg.live {
		b.rep.live = b.live(ctx)
		b.save()
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted; partial results in %s", b.cfg.out)
		}
	}
	b.rep.finished = true
	b.save()
	b.logf("done in %s; wrote %s", shortDuration(time.Since(b.start).Truncate(time.Second)), b.cfg.out)
	return nil
}

// prepare makes the data directory, finds the tools, builds freezetrace
// unless -bin names one, and starts the report.
func (b *bench) prepare(ctx context.Context) error {
	if err := os.MkdirAll(b.cfg.data, 0o755); err != nil {
		return err
	}
	// The datasets are large and generated: keep them out of git.
	if ign := filepath.Join(b.cfg.data, ".gitignore"); fileSize(ign) == 0 {
		if err := os.WriteFile(ign, []byte("*\n"), 0o644); err != nil {
			return err
		}
	}
	b.rep = &report{
		cmdline: b.cfg.cmdline, seed: b.cfg.seed, want: b.cfg.sizes, root: b.cfg.root,
		repeat: b.cfg.repeat, timeout: b.cfg.timeout, cteTimeout: b.cfg.cteTimeout, liveWanted: b.cfg.live,
	}
	b.rep.machine = machineInfo(ctx)
	b.tools = findTools(ctx)
	b.rep.tools = b.tools
	b.bin = b.cfg.bin
	if b.bin == "" {
		b.bin = filepath.Join(b.cfg.data, "freezetrace")
		b.logf("building %s", b.bin)
		r := measure(ctx, b.cfg.timeout, command{
			path: "go", args: []string{"build", "-o", b.bin, "./cmd/freezetrace"}, dir: b.cfg.root, env: b.env,
		})
		if !r.ok() {
			return fmt.Errorf("go build ./cmd/freezetrace: %s", r.status())
		}
		b.rep.binBuilt = true
	} else if fileSize(b.bin) == 0 {
		return usageError{fmt.Errorf("-bin: %s is not a file", b.bin)}
	}
	b.rep.bin = b.bin
	b.rep.binVCS = vcsInfo(ctx, b.bin, b.cfg.root, b.rep.binBuilt)
	return nil
}

// size measures one dataset size, recording into s as it goes.
func (b *bench) size(ctx context.Context, s *sizeResult) error {
	if err := b.dataset(s); err != nil {
		return err
	}
	b.save()
	steps := []func(context.Context, *sizeResult){b.imports, b.traces, b.baselines}
	for _, step := range steps {
		step(ctx, s)
		b.save()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

// sizeResult is everything measured at one dataset size.
type sizeResult struct {
	n         int // transfers asked for
	dir       string
	c         synth.Case
	csvBytes  int64
	reused    bool          // the dataset was in the cache
	generated time.Duration // how long generating it took, in-process

	imports []*importResult // nil until measured
	setup   []string        // untimed set-up steps that failed
	traces  []traceRun
	traced  bool // the trace step ran to its end
	cte     *baselineRun
	nx      *baselineRun
}

// importResult is one tool's import rounds.
type importResult struct {
	tool  string
	runs  []result
	bytes []int64 // database size on disk after each run
}

// traceRun is one measured freezetrace trace.
type traceRun struct {
	name string // the case
	rule string
	run  result
	sum  summary
}

func (s *sizeResult) path(name string) string { return filepath.Join(s.dir, name) }

// imports measures the imports and leaves, from the last round, a
// freezetrace database with blocks, tokens and labels, and an sqlite3
// database with a labels table.
func (b *bench) imports(ctx context.Context, s *sizeResult) {
	ftDB, sqDB := s.path("freezetrace.db"), s.path("sqlite3.db")
	transfers := s.path("token_transfers.csv")
	ft := &importResult{tool: "freezetrace"}
	sq := &importResult{tool: "sqlite3"}
	s.imports = []*importResult{ft, sq}
	script, err := writeSQLiteImport(s.path("import.sql"), transfers)
	if err != nil {
		b.logf("sqlite3 import script: %v", err)
		b.tools.sqliteSkip = err.Error()
	}
	for i := range b.cfg.repeat {
		b.logf("import round %d of %d", i+1, b.cfg.repeat)
		r := skipped("could not remove the previous database")
		if removeDB(ftDB) == nil {
			r = b.exec(ctx, b.freezetrace("import", "--db", ftDB, "--format", "etl-token-transfers", transfers))
		}
		ft.runs, ft.bytes = append(ft.runs, r), append(ft.bytes, dbSize(ftDB))
		if ctx.Err() != nil {
			return
		}
		if b.tools.sqliteSkip != "" {
			if i == 0 {
				sq.runs, sq.bytes = append(sq.runs, skipped(b.tools.sqliteSkip)), append(sq.bytes, 0)
			}
			continue
		}
		r = skipped("could not remove the previous database")
		if removeDB(sqDB) == nil {
			r = b.exec(ctx, b.sqlite3(sqDB, script, false))
		}
		sq.runs, sq.bytes = append(sq.runs, r), append(sq.bytes, dbSize(sqDB))
		if ctx.Err() != nil {
			return
		}
	}

	b.logf("set-up (untimed): blocks, tokens and labels into %s", ftDB)
	for _, c := range b.setupCommands(s, ftDB) {
		if r := b.exec(ctx, c); !r.ok() {
			s.setup = append(s.setup, fmt.Sprintf("`%s`: %s", c, r.status()))
		}
	}
	if b.tools.sqliteSkip == "" {
		b.logf("set-up (untimed): labels into %s", sqDB)
		c, err := b.sqliteLabels(s, sqDB)
		if err == nil {
			if r := b.exec(ctx, c); !r.ok() {
				err = errors.New(r.status())
			}
		}
		if err != nil {
			s.setup = append(s.setup, fmt.Sprintf("labels into the sqlite3 database: %v", err))
		}
	}
}

// setupCommands import the dataset's blocks, tokens and labels into db,
// which holds its transfers.
func (b *bench) setupCommands(s *sizeResult, db string) []command {
	return []command{
		b.freezetrace("import", "--db", db, "--format", "etl-blocks", s.path("blocks.csv")),
		b.freezetrace("import", "--db", db, "--format", "etl-tokens", s.path("tokens.csv")),
		b.labelsImport(db, "csv", s.path("labels.csv")),
	}
}

// labelsImport is `freezetrace labels import` of path into db.
func (b *bench) labelsImport(db, format, path string) command {
	return b.freezetrace("labels", "import", "--db", db, "--format", format, path)
}

// freezetrace is a command running the freezetrace binary.
func (b *bench) freezetrace(args ...string) command {
	return command{path: b.bin, args: args, dir: b.cfg.root}
}

// traceArgs are the 8-hop laundering case's trace flags.
func (b *bench) traceArgs(s *sizeResult, rule, out string) []string {
	args := []string{"trace", "--db", s.path("freezetrace.db"), "--offline", "--rule", rule, "--max-hops", strconv.Itoa(maxHops)}
	for _, h := range s.c.VictimTxs {
		args = append(args, "--victim-tx", h)
	}
	return append(args, "--out", out)
}

// noVictims is why the laundering case is not run on a dataset too small
// to hold it.
const noVictims = "the dataset has no victim payments (too small)"

// traces measures the CLI traces after an untimed warm-up.
func (b *bench) traces(ctx context.Context, s *sizeResult) {
	b.logf("trace warm-up (untimed)")
	warm := b.freezetrace(b.traceArgs(s, "fifo", s.path("trace-warmup"))...)
	if len(s.c.VictimTxs) == 0 {
		warm = b.freezetrace("trace", "--db", s.path("freezetrace.db"), "--offline", "--victim-tx", s.c.HotTx)
	}
	if r := b.exec(ctx, warm); !r.ok() {
		s.setup = append(s.setup, fmt.Sprintf("warm-up `%s`: %s", warm, r.status()))
	}
	type traceCase struct {
		name, rule string
		args       []string
	}
	var cases []traceCase
	for _, rule := range rules {
		cases = append(cases, traceCase{"laundering, 8 hops", rule, b.traceArgs(s, rule, s.path("trace-"+rule))})
	}
	hot := []string{"trace", "--db", s.path("freezetrace.db"), "--offline", "--rule", "fifo", "--max-hops", strconv.Itoa(maxHops), "--victim-tx", s.c.HotTx}
	cases = append(cases,
		traceCase{"hot wallet, stopped (default --max-degree)", "fifo", hot},
		traceCase{"hot wallet, walked (--max-degree -1)", "fifo", append(slices.Clone(hot), "--max-degree", "-1")},
	)
	for _, tc := range cases {
		if ctx.Err() != nil {
			return
		}
		if strings.HasPrefix(tc.name, "laundering") && len(s.c.VictimTxs) == 0 {
			s.traces = append(s.traces, traceRun{name: tc.name, rule: tc.rule, run: skipped(noVictims), sum: parseSummary("")})
			continue
		}
		r := b.exec(ctx, b.freezetrace(tc.args...))
		s.traces = append(s.traces, traceRun{name: tc.name, rule: tc.rule, run: r, sum: parseSummary(r.stdout)})
	}
	s.traced = true
}

// fifoTrace is the fifo 8-hop trace, the baselines' yardstick.
func (s *sizeResult) fifoTrace() *traceRun {
	for i := range s.traces {
		if t := &s.traces[i]; t.rule == "fifo" && strings.HasPrefix(t.name, "laundering") {
			return t
		}
	}
	return nil
}

// readLabels is the lowercase addresses of a freezetrace label CSV.
func readLabels(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	col := slices.Index(rows[0], "address")
	if col < 0 {
		return nil, fmt.Errorf("%s: no address column", path)
	}
	var out []string
	for _, r := range rows[1:] {
		out = append(out, strings.ToLower(strings.TrimSpace(r[col])))
	}
	return out, nil
}
