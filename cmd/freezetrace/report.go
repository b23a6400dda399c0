package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/report"
	"freezetrace/trace"
)

// reportOptions are the flags of `freezetrace report`, parsed.
type reportOptions struct {
	Trace   string
	Case    string
	Out     string
	Formats []report.Format
	At      time.Time
	// Refresh says where to re-read the freeze targets' balances and
	// freeze status before writing (--refresh); nil uses trace.json's.
	Refresh *liveOptions
	// AllowUnmatched writes the letters even when a payment of the case
	// file is not a source of the trace (--allow-unmatched).
	AllowUnmatched bool
	// Directory is a recipient directory file overriding the built-in
	// entries (--directory); "" uses the built-in directory alone.
	Directory string
}

// refreshOnly are the flags that mean nothing without --refresh.
var refreshOnly = []string{"offline", "confirmations", "rpc", "etherscan-key", "explorer-url"}

func reportCommand() *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write the freeze letters, evidence tables, graph and manifest for a trace",
		ArgsUsage: " ",
		Description: "Reads a trace (DIR/trace.json from `freezetrace trace --out DIR`) and a case file (YAML; see\n" +
			"fixtures/case.example.yaml) and writes into --out: one letter per recipient (each exchange the\n" +
			"funds reached, each stablecoin issuer that can freeze held funds) as Markdown, HTML and PDF with\n" +
			"its evidence (CSV, XLSX, JSON, the flow graph as DOT and SVG, the audit ledger); the same for\n" +
			"the whole case; an overview; and MANIFEST.sha256 (check it with `sha256sum -c MANIFEST.sha256`).\n" +
			"The same trace, case file and --at give byte-identical files.\n\n" +
			"Every letter states each address's balance and the issuer's freeze status, with the block they\n" +
			"were read at: trace.json's, or with --refresh read again now, at the live source's confirmed head\n" +
			"(or, with --offline or no source, from the database as of the end of its data). An address\n" +
			"already frozen is listed, not asked for again; a recipient with nothing left to ask for gets no\n" +
			"letter, and the overview says why.\n\n" +
			"Example:\n" +
			"   freezetrace report --trace case1/trace.json --case case.yaml --out case1/report --refresh",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "trace", Required: true, Usage: "the trace `FILE` (trace.json)"},
			&cli.StringFlag{Name: "case", Required: true, Usage: "the case `FILE` (YAML): reference, requester, victims, requested action"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "write the reports into `DIR` (created if missing)"},
			&cli.StringFlag{Name: "format", Usage: "comma-separated `FORMATS` to write: md,html,pdf,csv,xlsx,json,dot,svg (default: all)"},
			&cli.StringFlag{Name: "at", Usage: "generation time printed in the documents, and with --refresh the time the balances were read, RFC 3339 (default: now)"},
			&cli.StringFlag{Name: "directory", Usage: "a recipient directory `FILE` (YAML, the shape of report/recipients.yaml) whose entries replace or add to the built-in ones"},
			&cli.BoolFlag{Name: "allow-unmatched", Usage: "write the letters even when a payment the case file names is not a victim payment of the trace (it then appears in no letter)"},
			&cli.BoolFlag{Name: "refresh", Usage: "read every freeze target's balance and issuer freeze status again, through the database and the live source below, instead of trace.json's"},
		}, liveFlags()...),
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("freezetrace report --help", "report takes no arguments, got %q", c.Args().First())
			}
			opts, err := parseReportFlags(c, time.Now, os.Getenv)
			if err != nil {
				return err
			}
			return runReport(c.Context, opts, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// parseReportFlags reads the flags of the report command, and with
// --refresh the chain of the trace's freeze targets from the trace file
// and the environment through getenv for the upstream's URLs and keys.
func parseReportFlags(c *cli.Context, now func() time.Time, getenv func(string) string) (reportOptions, error) {
	opts := reportOptions{Trace: c.String("trace"), Case: c.String("case"), Out: c.String("out"), AllowUnmatched: c.Bool("allow-unmatched"), Directory: c.String("directory")}
	formats, err := report.ParseFormats(c.String("format"))
	if err != nil {
		return opts, usagef("freezetrace report --format md,pdf,csv …", "--format: %v", err)
	}
	opts.Formats = formats
	opts.At = now().UTC().Truncate(time.Second)
	if s := c.String("at"); s != "" {
		at, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return opts, usagef("freezetrace report --at 2024-04-03T10:00:00Z …", "--at %q: want an RFC 3339 time", s)
		}
		opts.At = at.UTC()
	}
	if !c.Bool("refresh") {
		for _, f := range refreshOnly {
			if c.IsSet(f) {
				return opts, usagef("freezetrace report --refresh --"+f+" …", "--%s says where to read balances and freeze status: it needs --refresh", f)
			}
		}
		return opts, nil
	}
	r, err := report.LoadTrace(opts.Trace)
	if err != nil {
		return opts, err
	}
	chain, err := refreshChain(r)
	if err != nil {
		return opts, err
	}
	live, err := parseLiveFlags(c, chain, getenv)
	if err != nil {
		return opts, err
	}
	// --refresh reads the head anew unless told otherwise: the point is
	// to see the chain as it is at report time.
	if !c.IsSet("head-ttl") {
		live.HeadTTL = 0
	}
	opts.Refresh = &live
	return opts, nil
}

// refreshChain is the chain --refresh reads: that of the trace's freeze
// targets, else of its payments. A trace over several chains is a usage
// error: a live source answers for one.
func refreshChain(r *trace.Result) (chains.Chain, error) {
	var cs []chains.Chain
	for _, e := range r.Endpoints {
		if trace.IsFreezeTarget(e) && !slices.Contains(cs, e.Chain) {
			cs = append(cs, e.Chain)
		}
	}
	if len(cs) == 0 {
		for _, o := range r.Origins {
			if !slices.Contains(cs, o.Chain) {
				cs = append(cs, o.Chain)
			}
		}
	}
	switch len(cs) {
	case 0:
		return "", usagef("freezetrace report --trace DIR/trace.json …", "--refresh: the trace has no payment, so nothing to read")
	case 1:
		return cs[0], nil
	}
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return "", usagef("freezetrace report --trace DIR/trace.json (one chain) --refresh …",
		"--refresh: the trace's freeze targets are on %s; it reads one chain at a time", strings.Join(names, " and "))
}

// refreshHoldings reads the freeze targets' holdings of r again through
// o's database and upstream, at time at, and says on w where from.
func refreshHoldings(ctx context.Context, o liveOptions, r *trace.Result, at time.Time, w io.Writer) error {
	live, err := openLive(ctx, o)
	if err != nil {
		return err
	}
	defer live.Close()
	if err := readHoldings(ctx, live.src, r, o.Chain, at); err != nil {
		return fmt.Errorf("read balances and freeze status: %w", err)
	}
	switch {
	case len(r.Holdings) == 0:
		fmt.Fprintln(w, "refresh: the trace has no freeze target")
	case r.Holdings[0].Live:
		fmt.Fprintf(w, "balances and freeze status read at %s (block %d) from %s\n",
			r.Holdings[0].Checked.UTC().Format(time.DateTime+" UTC"), r.Holdings[0].Block, live.up.name)
	default:
		fmt.Fprintf(w, "balances and freeze status as of the end of the data, block %d: no live source was read\n", r.Holdings[0].Block)
	}
	fmt.Fprint(w, requestLines(live.up.counters))
	return nil
}

// runReport loads the trace and case file, with opts.Refresh reads the
// freeze targets' holdings again, writes every report and prints what it
// wrote: one line per recipient (its letter, or why it has none) and the
// manifest on w, the warnings on stderr. A case payment the trace does not
// start from is an input error unless opts.AllowUnmatched: its victim
// would be in no letter. An --out that cannot take a report
// (report.OutputError) is a usage error; interrupted (ctx done), it leaves
// --out as it was.
func runReport(ctx context.Context, opts reportOptions, w, stderr io.Writer) error {
	r, err := report.LoadTrace(opts.Trace)
	if err != nil {
		return err
	}
	c, err := report.LoadCase(opts.Case)
	if err != nil {
		return err
	}
	if un := report.Unmatched(c, r); len(un) > 0 && !opts.AllowUnmatched {
		more := ""
		if len(un) > 1 {
			more = fmt.Sprintf(" (and %d more)", len(un)-1)
		}
		return chains.Invalid(fmt.Errorf("%s: %s%s; check the case file against %s, or give --allow-unmatched", opts.Case, un[0], more, opts.Trace))
	}
	if opts.Refresh != nil {
		if err := refreshHoldings(ctx, *opts.Refresh, r, opts.At, w); err != nil {
			return err
		}
	}
	dir := report.BuiltinDirectory()
	if opts.Directory != "" {
		if dir, err = report.LoadDirectory(opts.Directory); err != nil {
			return err
		}
	}
	sum, err := report.Write(ctx, r, c, opts.Out, report.Options{Formats: opts.Formats, At: opts.At, Directory: dir})
	var bad *report.OutputError
	switch {
	case errors.As(err, &bad):
		return usagef("freezetrace report --out DIR (a new or empty folder, or an earlier report to replace) …", "--out %s: %v", opts.Out, bad.Err)
	case err != nil:
		// Interrupted (ctx done), --out is as it was: Write replaces it
		// only with a complete report.
		return err
	}
	assets := map[chains.AssetID]chains.Asset{}
	for _, a := range r.Assets {
		assets[a.ID] = a
	}
	if len(sum.Recipients) == 0 {
		fmt.Fprintln(w, "no recipient: no traced funds reached an exchange or sit in a freezable stablecoin")
	}
	for _, rc := range sum.Recipients {
		var totals []string
		for _, t := range rc.Totals {
			a, ok := assets[t.Asset]
			if !ok {
				a = chains.Asset{ID: t.Asset, Symbol: t.Asset.String()}
			}
			totals = append(totals, t.Amount.FormatFixed(a.Decimals, 2)+" "+untrusted.Terminal(a.Symbol)+" on "+string(t.Asset.Chain))
		}
		to := filepath.Join(opts.Out, rc.Slug, "letter.*")
		if !rc.Letter {
			to = untrusted.Terminal(rc.NoLetter)
		}
		n := "1 address"
		if len(rc.Endpoints) != 1 {
			n = fmt.Sprintf("%d addresses", len(rc.Endpoints))
		}
		fmt.Fprintf(w, "%-8s %-24q %s, %s → %s\n", rc.Kind, rc.Name, n, strings.Join(totals, " + "), to)
	}
	for _, warn := range sum.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", untrusted.Terminal(warn))
	}
	if len(sum.Checklist) > 0 {
		fmt.Fprintf(stderr, "before you send: %d things recipients ask for are not given yet (also in %s):\n", len(sum.Checklist),
			filepath.Join(opts.Out, "overview.md"))
		for _, l := range sum.Checklist {
			fmt.Fprintf(stderr, "  - %s\n", untrusted.Terminal(l))
		}
	}
	fmt.Fprintf(w, "wrote %d files; check them with: (cd %s && sha256sum -c %s)\n", len(sum.Files), opts.Out, report.ManifestName)
	return nil
}
