package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/labels"
	"freezetrace/chains/untrusted"
	"freezetrace/trace/attribute"
)

// servicesOptions say which service list a command uses: the shipped one
// (labels.BuiltinServices), FILE laid over it, or FILE alone.
type servicesOptions struct {
	File      string // --services: a services.yaml-format file; "" for none
	NoBuiltin bool   // --no-builtin-services: leave the shipped list out
}

// servicesFlags are the flags that choose the service list, for the
// services command and for trace.
func servicesFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "services", Usage: "service list `FILE` (the shipped services.yaml format), laid over the shipped list: " +
			"its entries add addresses, and replace the shipped entry of the same chain and address"},
		&cli.BoolFlag{Name: "no-builtin-services", Usage: "leave out the shipped list of instant exchangers, bridges and DEX routers (use --services FILE alone)"},
	}
}

// parseServicesFlags reads the flags of servicesFlags.
func parseServicesFlags(c *cli.Context) servicesOptions {
	return servicesOptions{File: c.String("services"), NoBuiltin: c.Bool("no-builtin-services")}
}

// loadServices returns the entries o names: the shipped list unless
// o.NoBuiltin, with o.File's entries laid over it (labels.MergeServices).
// A file that is missing or bad is an input error naming it.
func loadServices(o servicesOptions) ([]labels.Service, error) {
	var base []labels.Service
	if !o.NoBuiltin {
		base = labels.BuiltinServices()
	}
	if o.File == "" {
		return base, nil
	}
	f, err := os.Open(o.File)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usagef("--services FILE naming a services.yaml-format file (see freezetrace services)", "--services %s: no such file", clipArg(o.File))
	}
	if err != nil {
		return nil, fmt.Errorf("--services: %w", err)
	}
	defer f.Close()
	user, err := labels.ParseServices(f, o.File)
	if err != nil {
		return nil, err
	}
	return labels.MergeServices(base, user), nil
}

// serviceLabels returns the labels of the service list o names, for the
// trace attributor (see withServices): the shipped list, extended or
// replaced by --services FILE.
func serviceLabels(o servicesOptions) ([]chains.Label, error) {
	ss, err := loadServices(o)
	if err != nil {
		return nil, err
	}
	return labels.ServiceLabels(ss), nil
}

// withServices returns a Labeler that answers with l's labels of an
// address and the service labels of that chain and address, most
// confident first, ties by source (the Labeler contract). Service labels
// are held in memory, never written to the database. When l also counts
// stored counterparties (attribute.StoredPeerCounter, as the store does),
// so does the result, so that the attributor keeps recognising busy
// addresses from a count.
func withServices(l chains.Labeler, svc []chains.Label) chains.Labeler {
	by := make(map[serviceAddr][]chains.Label, len(svc))
	for _, s := range svc {
		k := serviceAddr{s.Chain, s.Address.In(s.Chain.Family())}
		by[k] = append(by[k], s)
	}
	sl := serviceLabeler{inner: l, by: by}
	if pc, ok := l.(attribute.StoredPeerCounter); ok {
		return countingServiceLabeler{serviceLabeler: sl, StoredPeerCounter: pc}
	}
	return sl
}

type serviceAddr struct {
	chain chains.Chain
	addr  chains.Address
}

type serviceLabeler struct {
	inner chains.Labeler
	by    map[serviceAddr][]chains.Label
}

// Labels implements chains.Labeler.
func (s serviceLabeler) Labels(ctx context.Context, chain chains.Chain, addr chains.Address) ([]chains.Label, error) {
	var ls []chains.Label
	if s.inner != nil {
		var err error
		if ls, err = s.inner.Labels(ctx, chain, addr); err != nil {
			return nil, err
		}
	}
	extra := s.by[serviceAddr{chain, addr.In(chain.Family())}]
	if len(extra) == 0 {
		return ls, nil
	}
	out := append(slices.Clone(ls), extra...)
	slices.SortStableFunc(out, func(a, b chains.Label) int {
		if a.Confidence != b.Confidence {
			return b.Confidence - a.Confidence
		}
		return strings.Compare(a.Source, b.Source)
	})
	return out, nil
}

type countingServiceLabeler struct {
	serviceLabeler
	attribute.StoredPeerCounter
}

var (
	_ chains.Labeler              = serviceLabeler{}
	_ attribute.StoredPeerCounter = countingServiceLabeler{}
)

// servicesListOptions are the flags of `freezetrace services`.
type servicesListOptions struct {
	Services servicesOptions
	Format   string // "table" or "csv"
}

func servicesCommand() *cli.Command {
	return &cli.Command{
		Name:      "services",
		Usage:     "list the known instant exchangers, bridges and DEX routers a trace stops at or converts through",
		ArgsUsage: " ",
		Description: "Prints the service list the trace uses to name instant exchangers (FixedFloat, ChangeNOW, …),\n" +
			"bridges (THORChain, Across, Hop) and DEX routers (Uniswap, 1inch, 0x, SunSwap): each address with\n" +
			"its chain, entity, category, role and the sources it was read from. --services FILE lays your own\n" +
			"list (same YAML format) over the shipped one; --no-builtin-services leaves the shipped one out.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Value: "table", Usage: "output `FORMAT`: table or csv"},
		}, servicesFlags()...),
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("freezetrace services --help", "services takes no arguments, got %q", clipArg(c.Args().First()))
			}
			o := servicesListOptions{Services: parseServicesFlags(c), Format: c.String("format")}
			if o.Format != "table" && o.Format != "csv" {
				return usagef("freezetrace services --format table|csv", "--format %s: want table or csv", clipArg(o.Format))
			}
			return runServices(o, c.App.Writer)
		},
	}
}

// runServices writes the service list o names on w, as a table or CSV.
func runServices(o servicesListOptions, w io.Writer) error {
	ss, err := loadServices(o.Services)
	if err != nil {
		return err
	}
	if o.Format == "csv" {
		return writeServicesCSV(w, ss)
	}
	return writeServicesTable(w, ss)
}

// writeServicesTable prints one line per entry, escaping the file's text.
func writeServicesTable(w io.Writer, ss []labels.Service) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAIN\tADDRESS\tENTITY\tCATEGORY\tROLE\tDATE\tSOURCE")
	for _, s := range ss {
		l := s.Label()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Chain, s.Address, escLine(s.Entity), s.Category, escLine(s.Role),
			escLine(l.Date), escLine(strings.Join(sourceRefs(s), "; ")))
	}
	fmt.Fprintf(tw, "total %d\n", len(ss))
	return tw.Flush()
}

// writeServicesCSV writes a header and one row per entry; every cell of
// file text is neutralised for spreadsheets (untrusted.CellText).
func writeServicesCSV(w io.Writer, ss []labels.Service) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"chain", "address", "entity", "category", "role", "date", "sources", "note"})
	for _, s := range ss {
		cw.Write([]string{
			string(s.Chain), s.Address.String(), untrusted.CellText(s.Entity), string(s.Category), untrusted.CellText(s.Role),
			untrusted.CellText(s.Label().Date), untrusted.CellText(strings.Join(sourceRefs(s), "; ")), untrusted.CellText(s.Note),
		})
	}
	cw.Flush()
	return cw.Error()
}

func sourceRefs(s labels.Service) []string {
	out := make([]string, len(s.Sources))
	for i, src := range s.Sources {
		out[i] = src.Ref
	}
	return out
}
