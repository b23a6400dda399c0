package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"freezetrace/chains/store"
	"freezetrace/chains/transport"
	"freezetrace/chains/untrusted"
)

func dbCommand() *cli.Command {
	return &cli.Command{
		Name:  "db",
		Usage: "inspect the database",
		Subcommands: []*cli.Command{{
			Name:  "stats",
			Usage: "rows per table, chains and their block ranges, assets, labels per category",
			Flags: []cli.Flag{
				dbFlag(),
				&cli.IntFlag{Name: "assets", Value: 20, Usage: "list the `N` assets with the most transfers (0: all)"},
			},
			Action: func(c *cli.Context) error {
				db, err := dbPath(c)
				if err != nil {
					return err
				}
				if c.Int("assets") < 0 {
					return usagef("freezetrace db stats --assets N", "db stats: --assets must not be negative")
				}
				return runDBStats(c.Context, dbStatsOptions{DB: db, Assets: c.Int("assets")}, c.App.Writer)
			},
		}, dbImportsCommand()},
	}
}

type dbStatsOptions struct {
	DB     string
	Assets int // how many assets to list; 0 lists all
}

func runDBStats(ctx context.Context, o dbStatsOptions, w io.Writer) error {
	if _, err := os.Stat(o.DB); errors.Is(err, os.ErrNotExist) {
		return usagef("freezetrace import --db "+o.DB+" --format FORMAT FILE…", "db stats: no database at %s", o.DB)
	}
	db, err := store.Open(ctx, o.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := db.Stats(ctx)
	if err != nil {
		return err
	}
	labels, err := db.LabelStats(ctx)
	if err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "database %s (schema %d)\n\n", o.DB, v)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS")
	for _, t := range s.Tables {
		fmt.Fprintf(tw, "%s\t%d\n", t.Table, t.Rows)
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAIN\tTRANSFERS\tASSETS\tFIRST BLOCK\tLAST BLOCK\tBLOCK HEADERS")
	for _, c := range s.Chains {
		first, last := "-", "-"
		if c.Transfers > 0 {
			first, last = fmt.Sprint(c.MinBlock), fmt.Sprint(c.MaxBlock)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%d\n", c.Chain, c.Transfers, c.Assets, first, last, c.Blocks)
	}
	tw.Flush()

	assets := append([]store.AssetStats(nil), s.Assets...)
	sort.SliceStable(assets, func(i, j int) bool { return assets[i].Transfers > assets[j].Transfers })
	shown := assets
	if o.Assets > 0 && len(shown) > o.Assets {
		shown = shown[:o.Assets]
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ASSET\tSYMBOL\tDECIMALS\tKIND\tTRANSFERS\tZERO-VALUE")
	for _, a := range shown {
		// Symbols are third-party text: quoted, so no control character
		// reaches the terminal.
		sym, dec, kind := "-", "-", "-"
		if a.Symbol != "" {
			sym = fmt.Sprintf("%q", a.Symbol)
		}
		if a.Decimals >= 0 {
			dec = fmt.Sprint(a.Decimals)
		}
		if a.Kind != "" {
			kind = a.Kind
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\n", a.ID, sym, dec, kind, a.Transfers, a.Zero)
	}
	tw.Flush()
	if len(shown) < len(assets) {
		fmt.Fprintf(w, "… and %d more assets (--assets 0 lists all)\n", len(assets)-len(shown))
	}

	prov, err := db.Provenance(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tCHAIN\tNEWEST BLOCK\tRETRIEVED (UTC)\tFILES")
	for _, p := range prov {
		// The names of imported files (Detail) are third-party text; an
		// older database may name a source by a URL with a key in its host.
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", untrusted.Terminal(transport.RedactURLs(p.Source)), p.Chain, p.Block, p.Retrieved.Format("2006-01-02 15:04:05"), untrusted.Terminal(p.Detail))
	}
	if len(prov) == 0 {
		fmt.Fprintln(tw, "(none)\t\t\t\t")
	}
	tw.Flush()

	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LABELS\tCATEGORY\tCOUNT")
	for _, l := range labels {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", l.Chain, escLine(string(l.Category)), l.Labels)
	}
	if len(labels) == 0 {
		fmt.Fprintln(tw, "(none)\t\t")
	}
	return tw.Flush()
}
