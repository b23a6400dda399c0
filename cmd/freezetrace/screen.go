package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/report"
	"freezetrace/trace"
	"freezetrace/trace/screen"
)

func screenCommand() *cli.Command {
	return &cli.Command{
		Name:      "screen",
		Usage:     "screen addresses for exposure to sanctioned wallets, scams, mixers, frozen addresses and traced cases",
		ArgsUsage: "ADDRESS… | --file FILE | -",
		Description: "Each address gets its direct hits (its own risk labels), and per risk category and side\n" +
			"(in: where its funds came from; out: where it sent them) the nearest hit within --hops, the\n" +
			"path to it and the amount attributed to it by the haircut rule over the window's totals; a\n" +
			"policy (--policy FILE, --print-policy for the built-in one) turns them into a level: none, low,\n" +
			"medium, high, severe, or unknown when the data holds nothing about the address.\n" +
			"The walk does not go through exchanges, services, bridges, contracts or addresses with more\n" +
			"than --max-degree counterparties, as tracing does. FILE holds one address per line (# comments)\n" +
			"or is a CSV with an address column and optionally a chain column; - reads standard input.\n" +
			"EXIT CODES (besides 1 and 2): 3 when an address reaches --fail-on, else 4 when an address is\n" +
			"unknown (unless --unknown-ok).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "chain", Value: "ethereum", Usage: "chain `NAME` of 0x… addresses (T… addresses are TRON's)"},
			&cli.StringFlag{Name: "file", Usage: "read the addresses from `FILE` (- for standard input)"},
			&cli.IntFlag{Name: "hops", Value: 3, Usage: "walk at most `N` hops from each address"},
			&cli.StringFlag{Name: "direction", Value: "both", Usage: "`SIDE`s to screen: in (sources of funds), out (destinations) or both"},
			&cli.StringSliceFlag{Name: "asset", Usage: "screen this asset: a token `CONTRACT`, usdt, usdc or native (repeatable; default: every cached token of the chain)"},
			&cli.BoolFlag{Name: "all-assets", Usage: "with no --asset, include the native coin"},
			&cli.StringFlag{Name: "since", Usage: "start of the window: a block `NUMBER`, RFC 3339 time or YYYY-MM-DD (default: the first block; required with a live source)"},
			&cli.StringFlag{Name: "until", Usage: "end of the window: a block `NUMBER`, RFC 3339 time or YYYY-MM-DD (default: the newest block the data has)"},
			&cli.StringSliceFlag{Name: "cases", Usage: "a traced case: `[REF=]DIR` holding trace.json (or the file); its tainted wallets count as risk \"case\" (repeatable)"},
			&cli.StringFlag{Name: "policy", Usage: "scoring policy `FILE` (YAML: weights, decay, levels)"},
			&cli.BoolFlag{Name: "print-policy", Usage: "print the built-in policy and exit"},
			&cli.IntFlag{Name: "max-degree", Value: trace.DefaultMaxDegree, Usage: "do not walk through an unlabeled address with more than `N` counterparties in the window (-1: walk all)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "output `FORMAT`: table, csv, json or ndjson"},
			&cli.StringFlag{Name: "fail-on", Value: "high", Usage: "exit 3 when an address reaches `LEVEL` (low, medium, high, severe)"},
			&cli.BoolFlag{Name: "unknown-ok", Usage: "exit 0, not 4, when some addresses are unknown and none reaches --fail-on"},
			&cli.IntFlag{Name: "batch", Value: 5000, Usage: "screen `N` addresses at a time (memory grows with it)"},
		}, liveFlags()...),
		Action: func(c *cli.Context) error {
			if c.Bool("print-policy") {
				_, err := c.App.Writer.Write(screen.DefaultPolicyYAML())
				return err
			}
			o, err := parseScreenFlags(c, os.Getenv)
			if err != nil {
				return err
			}
			return runScreen(c.Context, o, c.App.Reader, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// screenOptions are the screen command's flags, read.
type screenOptions struct {
	Live      liveOptions
	Chain     chains.Chain
	Args      []string
	File      string // "" for the arguments, "-" for standard input
	Hops      int
	Direction screen.Direction
	Assets    []string
	AllAssets bool
	Since     string
	Until     string
	Cases     []string
	Policy    screen.Policy
	MaxDegree int
	Format    string
	FailOn    screen.Level
	UnknownOK bool
	Batch     int
}

func parseScreenFlags(c *cli.Context, getenv func(string) string) (screenOptions, error) {
	var o screenOptions
	var err error
	if o.Chain, err = chains.ParseChain(c.String("chain")); err != nil {
		return o, chains.Invalid(fmt.Errorf("--chain: %w", err))
	}
	db, err := dbPath(c)
	if err != nil {
		return o, err
	}
	if o.Live, err = parseLiveFlags(c, o.Chain, getenv); err != nil {
		return o, err
	}
	o.Live.DB = db
	o.Args, o.File = c.Args().Slice(), c.String("file")
	if len(o.Args) == 1 && o.Args[0] == "-" {
		o.Args, o.File = nil, "-"
	}
	switch {
	case o.File != "" && len(o.Args) > 0:
		return o, usagef("freezetrace screen --file FILE", "give the addresses as arguments or with --file, not both")
	case o.File == "" && len(o.Args) == 0:
		return o, usagef("freezetrace screen ADDRESS… | --file FILE | -", "screen: no address given")
	}
	if o.Hops = c.Int("hops"); o.Hops < 1 || o.Hops > screen.MaxHops {
		return o, chains.Invalid(fmt.Errorf("--hops %d: want 1 to %d", o.Hops, screen.MaxHops))
	}
	if o.Direction, err = screen.ParseDirection(c.String("direction")); err != nil {
		return o, err
	}
	o.Assets, o.AllAssets = c.StringSlice("asset"), c.Bool("all-assets")
	o.Since, o.Until, o.Cases = c.String("since"), c.String("until"), c.StringSlice("cases")
	o.Policy = screen.DefaultPolicy()
	if p := c.String("policy"); p != "" {
		f, err := os.Open(p)
		if err != nil {
			return o, chains.Invalid(fmt.Errorf("--policy: %w", err))
		}
		o.Policy, err = screen.ParsePolicy(f, p)
		f.Close()
		if err != nil {
			return o, err
		}
	}
	switch o.MaxDegree = c.Int("max-degree"); {
	case o.MaxDegree == 0 || o.MaxDegree < -1:
		return o, chains.Invalid(fmt.Errorf("--max-degree: want a positive number or -1, got %d", o.MaxDegree))
	}
	switch o.Format = c.String("format"); o.Format {
	case "table", "csv", "json", "ndjson":
	default:
		return o, chains.Invalid(fmt.Errorf("--format %s: want table, csv, json or ndjson", clipArg(o.Format)))
	}
	if o.FailOn, err = screen.ParseLevel(c.String("fail-on")); err != nil || o.FailOn.Rank() < 1 {
		return o, chains.Invalid(fmt.Errorf("--fail-on %s: want low, medium, high or severe", clipArg(c.String("fail-on"))))
	}
	o.UnknownOK = c.Bool("unknown-ok")
	if o.Batch = c.Int("batch"); o.Batch < 1 || o.Batch > 1_000_000 {
		return o, chains.Invalid(fmt.Errorf("--batch %d: want 1 to 1,000,000", o.Batch))
	}
	return o, nil
}

// runScreen screens the addresses and writes the results on w as they
// come, a summary on stderr; it returns an exitStatus of 3 or 4 when the
// results say so.
func runScreen(ctx context.Context, o screenOptions, stdin io.Reader, w, stderr io.Writer) error {
	start := time.Now()
	cases, err := loadScreenCases(o.Cases)
	if err != nil {
		return err
	}
	in, closeIn, err := openScreenInput(o, stdin)
	if err != nil {
		return err
	}
	defer closeIn()
	l, err := openLive(ctx, o.Live)
	if err != nil {
		return err
	}
	defer l.Close()
	live := l.up.src != nil && !o.Live.Offline
	if live && o.Since == "" {
		return usagef("freezetrace screen --since 2024-01-01 …", "--since: required with a live source, so that what is fetched is bounded")
	}
	sc := &screening{o: o, l: l, live: live, cases: cases, byChain: map[chains.Chain]*chainScreen{}}
	out, err := newScreenWriter(o.Format, w, sc)
	if err != nil {
		return err
	}
	bar := newScreenProgress(stderr)
	var tally screenTally
	for {
		// The addresses read before a bad line are screened and written;
		// the error then names the line and how many went before it.
		items, rerr := readScreenBatch(ctx, in, o.Batch)
		done := rerr != nil
		res, serr := sc.screen(ctx, items)
		if serr != nil {
			bar.finish()
			out.abort()
			return serr
		}
		for _, r := range res {
			if err := out.write(r); err != nil {
				return err
			}
			tally.add(r)
		}
		bar.add(len(res))
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			bar.finish()
			out.abort()
			if tally.total > 0 {
				return fmt.Errorf("%w (the %d addresses before it were screened and written)", rerr, tally.total)
			}
			return rerr
		}
		if done {
			break
		}
	}
	bar.finish()
	if err := sc.refresh(ctx); err != nil {
		return err
	}
	if err := out.end(tally); err != nil {
		return err
	}
	fmt.Fprint(stderr, sc.summary(tally, time.Since(start)))
	switch {
	case tally.atLeast(o.FailOn) > 0:
		return exitStatus{code: exitFound}
	case tally.levels[screen.LevelUnknown] > 0 && !o.UnknownOK:
		return exitStatus{code: exitUnknown}
	}
	return nil
}

// openScreenInput opens the addresses to screen: the arguments, a file or
// standard input.
func openScreenInput(o screenOptions, stdin io.Reader) (*screenInput, func(), error) {
	switch o.File {
	case "":
		in := newScreenInput("argument", strings.NewReader(strings.Join(o.Args, "\n")), o.Chain)
		in.args = true
		return in, func() {}, nil
	case "-":
		return newScreenInput("standard input", stdin, o.Chain), func() {}, nil
	}
	f, err := os.Open(o.File)
	if err != nil {
		return nil, nil, chains.Invalid(fmt.Errorf("--file: %w", err))
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, nil, chains.Invalid(fmt.Errorf("--file %s: a directory, not a list of addresses", o.File))
	}
	return newScreenInput(o.File, f, o.Chain), func() { f.Close() }, nil
}

// readScreenBatch reads up to n addresses; io.EOF with the last ones.
func readScreenBatch(ctx context.Context, in *screenInput, n int) ([]screenItem, error) {
	var out []screenItem
	for len(out) < n {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		it, err := in.next()
		if err != nil {
			return out, err
		}
		out = append(out, it)
	}
	return out, nil
}

// loadScreenCases reads each --cases [REF=]PATH: a trace.json, or a folder
// holding one. REF defaults to the folder's name.
func loadScreenCases(specs []string) ([]screen.CaseAddress, error) {
	var out []screen.CaseAddress
	for _, spec := range specs {
		ref, path, ok := strings.Cut(spec, "=")
		if !ok {
			ref, path = "", spec
		}
		file := path
		if st, err := os.Stat(path); err != nil {
			return nil, chains.Invalid(fmt.Errorf("--cases %s: %w", clipArg(spec), err))
		} else if st.IsDir() {
			file = filepath.Join(path, "trace.json")
		}
		if ref == "" {
			ref = filepath.Base(filepath.Dir(file))
		}
		res, err := report.LoadTrace(file)
		if err != nil {
			return nil, err
		}
		out = append(out, screen.CaseAddresses(res, ref)...)
	}
	return out, nil
}

// parseBlockOrTime reads a window bound: a block number, or a time turned
// into a block by the source (end: the last block at or before it).
func parseBlockOrTime(ctx context.Context, src chains.BlockFinder, c chains.Chain, flag, s string, end bool) (uint64, bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, false, nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return n, true, nil
	}
	t, err := traceTime(flag, s, end)
	if err != nil {
		return 0, false, err
	}
	if end {
		t = t.Add(time.Second)
	}
	n, err := src.BlockAt(ctx, c, t)
	switch {
	case errors.Is(err, chains.ErrNotFound) && end:
		return chains.Latest, true, nil
	case errors.Is(err, chains.ErrNotFound), errors.Is(err, chains.ErrOffline):
		return 0, false, chains.Invalid(fmt.Errorf("%s %s: no block of %s known at or after that time (give a block number)", flag, s, c))
	case err != nil:
		return 0, false, fmt.Errorf("%s %s: %w", flag, s, err)
	}
	if end {
		if n == 0 {
			return 0, true, nil
		}
		n--
	}
	return n, true, nil
}
