package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/report"
)

// reportOptions are the flags of `freezetrace report`, parsed.
type reportOptions struct {
	Trace   string
	Case    string
	Out     string
	Formats []report.Format
	At      time.Time
}

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
			"Example:\n" +
			"   freezetrace report --trace case1/trace.json --case case.yaml --out case1/report",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "trace", Required: true, Usage: "the trace `FILE` (trace.json)"},
			&cli.StringFlag{Name: "case", Required: true, Usage: "the case `FILE` (YAML): reference, requester, victims, requested action"},
			&cli.StringFlag{Name: "out", Required: true, Usage: "write the reports into `DIR` (created if missing)"},
			&cli.StringFlag{Name: "format", Usage: "comma-separated `FORMATS` to write: md,html,pdf,csv,xlsx,json,dot,svg (default: all)"},
			&cli.StringFlag{Name: "at", Usage: "generation time printed in the documents, RFC 3339 (default: now)"},
		},
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("freezetrace report --help", "report takes no arguments, got %q", c.Args().First())
			}
			opts, err := parseReportFlags(c, time.Now)
			if err != nil {
				return err
			}
			return runReport(c.Context, opts, c.App.Writer)
		},
	}
}

func parseReportFlags(c *cli.Context, now func() time.Time) (reportOptions, error) {
	opts := reportOptions{Trace: c.String("trace"), Case: c.String("case"), Out: c.String("out")}
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
	return opts, nil
}

// runReport loads the trace and case file, writes every report and prints
// what it wrote: one line per recipient, the warnings, the manifest.
func runReport(ctx context.Context, opts reportOptions, w io.Writer) error {
	r, err := report.LoadTrace(opts.Trace)
	if err != nil {
		return err
	}
	c, err := report.LoadCase(opts.Case)
	if err != nil {
		return err
	}
	sum, err := report.Write(ctx, r, c, opts.Out, report.Options{Formats: opts.Formats, At: opts.At})
	if err != nil {
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
		fmt.Fprintf(w, "%-8s %-24q %d address(es), %s → %s\n", rc.Kind, rc.Name, len(rc.Endpoints),
			strings.Join(totals, " + "), filepath.Join(opts.Out, rc.Slug, "letter.*"))
	}
	for _, warn := range sum.Warnings {
		fmt.Fprintf(w, "warning: %s\n", untrusted.Terminal(warn))
	}
	fmt.Fprintf(w, "wrote %d files; check them with: (cd %s && sha256sum -c %s)\n", len(sum.Files), opts.Out, report.ManifestName)
	return nil
}
