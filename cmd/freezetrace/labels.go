package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/labels"
	"freezetrace/chains/store"
)

func labelsCommand() *cli.Command {
	return &cli.Command{
		Name:  "labels",
		Usage: "import, show and count address labels and sanctions lists",
		Subcommands: []*cli.Command{
			{
				Name:      "import",
				Usage:     "import label files: GraphSense TagPacks, OFAC lists, or your own CSV",
				ArgsUsage: "PATH…",
				Description: "PATH is a file or a folder (searched recursively for .yaml/.yml, .txt/.json/.xml or .csv).\n" +
					"Formats:\n" +
					"  tagpack  GraphSense TagPack YAML\n" +
					"  ofac     sanctioned_addresses_ASSET.txt/.json lists, or OFAC's SDN_ADVANCED.XML\n" +
					"  csv      chain,address,entity,category[,source] (header optional)\n" +
					"Importing the same file again adds nothing. A bad entry is reported with its file and line\n" +
					"and the others are imported, unless --strict. Each file is stored in one transaction, whole or\n" +
					"not at all: a file that is bad as a whole (malformed, an unterminated quote, a second YAML\n" +
					"document, a repeated key; with --strict, any bad entry) stores nothing, the other files are\n" +
					"imported, the summary lists it as failed and the exit code is 2.\n" +
					fmt.Sprintf("Limits, in characters: entity %d, source %d, note %d, address %d, category word %d.",
						labels.MaxEntity, labels.MaxSource, labels.MaxNote, labels.MaxAddress, labels.MaxWord),
				Flags: []cli.Flag{
					dbFlag(),
					&cli.StringFlag{Name: "format", Required: true, Usage: "`FORMAT` of the files: tagpack, ofac or csv"},
					&cli.BoolFlag{Name: "strict", Usage: "fail (importing nothing from that file) on the first bad entry"},
					&cli.StringFlag{Name: "source", Usage: "provenance `TEXT` for labels whose file names no source (OFAC lists, CSV rows)"},
					&cli.StringFlag{Name: "date", Usage: "`YYYY-MM-DD` the list was published, for files that do not say"},
				},
				Action: func(c *cli.Context) error {
					db, err := dbPath(c)
					if err != nil {
						return err
					}
					f, err := labels.ParseFormat(c.String("format"))
					if err != nil {
						return usagef("freezetrace labels import --format tagpack|ofac|csv PATH…", "%v", err)
					}
					if c.NArg() == 0 {
						return usagef("freezetrace labels import --format "+string(f)+" PATH…", "labels import: no file or folder given")
					}
					if d := c.String("date"); d != "" && !isDate(d) {
						return usagef("freezetrace labels import --date 2024-02-26 …", "--date %s: want YYYY-MM-DD", clipArg(d))
					}
					if n := utf8.RuneCountInString(c.String("source")); n > labels.MaxSource {
						return usagef("freezetrace labels import --source \"OFAC SDN list, 2024-02-26\" …", "--source is %d characters, over the limit of %d", n, labels.MaxSource)
					}
					return runLabelsImport(c.Context, labelsImportOptions{
						DB: db, Format: f, Paths: c.Args().Slice(),
						Parse: labels.Options{Strict: c.Bool("strict"), Source: c.String("source"), Date: c.String("date")},
					}, c.App.Writer)
				},
			},
			{
				Name:      "show",
				Usage:     "show every label of addresses, with its provenance",
				ArgsUsage: "ADDRESS…",
				Description: "T… addresses are TRON, 0x… addresses are read for --chain (default ethereum).\n" +
					"Label text comes from third parties: control characters are shown escaped.",
				Flags: []cli.Flag{
					dbFlag(),
					&cli.StringFlag{Name: "chain", Usage: "`CHAIN` of 0x… addresses (ethereum, bsc, polygon, …)"},
				},
				Action: func(c *cli.Context) error {
					db, err := dbPath(c)
					if err != nil {
						return err
					}
					if c.NArg() == 0 {
						return usagef("freezetrace labels show ADDRESS…", "labels show: no address given")
					}
					return runLabelsShow(c.Context, labelsShowOptions{DB: db, Chain: c.String("chain"), Addrs: c.Args().Slice()}, c.App.Writer)
				},
			},
			{
				Name:  "stats",
				Usage: "count labels per chain and category",
				Flags: []cli.Flag{dbFlag()},
				Action: func(c *cli.Context) error {
					db, err := dbPath(c)
					if err != nil {
						return err
					}
					return runLabelsStats(c.Context, labelsStatsOptions{DB: db}, c.App.Writer)
				},
			},
		},
	}
}

type labelsImportOptions struct {
	DB     string
	Format labels.Format
	Paths  []string
	Parse  labels.Options
	// written, when set, is told after each chain and category of a file
	// is written, inside the file's transaction: n of its total labels.
	written func(file string, n, total int)
}

// runLabelsImport parses and stores each label file in turn, each in one
// transaction of its own: a file is stored whole or not at all. A file
// that is bad as a whole (or, in strict mode, has a bad entry) stores
// nothing and does not stop the others; the summary lists it and the
// error, an input error, says how many failed.
func runLabelsImport(ctx context.Context, o labelsImportOptions, w io.Writer) error {
	files, err := labels.Files(o.Paths, o.Format)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return chains.Invalid(fmt.Errorf("labels import: no %s files under %s", o.Format, strings.Join(o.Paths, ", ")))
	}
	db, err := store.Open(ctx, o.DB)
	if err != nil {
		return err
	}
	defer db.Close()

	type count struct{ labels, added int }
	totals := map[string]*count{}
	var tRead, tLabels, tAdded, tSkipped, tBad int
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tREAD\tLABELS\tADDED\tSKIPPED\tBAD")
	var bads []labels.Bad
	var failed []error
	for _, p := range files {
		res, err := labels.ParseFile(p, o.Format, o.Parse)
		var ie *chains.InputError
		switch {
		case err != nil && errors.As(err, &ie):
			// A bad file stores nothing and does not stop the others.
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tfailed\n", escLine(p))
			failed = append(failed, err)
			continue
		case err != nil:
			tw.Flush()
			return err
		}
		var progress func(n int)
		if o.written != nil {
			progress = func(n int) { o.written(p, n, len(res.Labels)) }
		}
		groups, err := storeFile(ctx, db, res.Labels, progress)
		if err != nil {
			tw.Flush()
			return fmt.Errorf("store labels of %s: %w", p, err)
		}
		added := 0
		for _, g := range groups {
			k := string(g.chain) + "\t" + string(g.cat)
			if totals[k] == nil {
				totals[k] = &count{}
			}
			totals[k].labels += g.labels
			totals[k].added += g.added
			added += g.added
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\n", escLine(p), res.Read, len(res.Labels), added, res.SkippedTotal(), len(res.Bad))
		tRead, tLabels, tAdded, tSkipped, tBad = tRead+res.Read, tLabels+len(res.Labels), tAdded+added, tSkipped+res.SkippedTotal(), tBad+len(res.Bad)
		bads = append(bads, res.Bad...)
	}
	fmt.Fprintf(tw, "total (%d files)\t%d\t%d\t%d\t%d\t%d\n", len(files), tRead, tLabels, tAdded, tSkipped, tBad)
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(totals) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CHAIN\tCATEGORY\tLABELS\tADDED")
		keys := make([]string, 0, len(totals))
		for k := range totals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%d\t%d\n", k, totals[k].labels, totals[k].added)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(bads) > 0 {
		fmt.Fprintf(w, "\n%d bad entries (not imported):\n", len(bads))
		for _, b := range bads {
			fmt.Fprintf(w, "  %s\n", escLine(b.Error()))
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "\n%d files failed (nothing stored from them):\n", len(failed))
		for _, err := range failed {
			fmt.Fprintf(w, "  %s\n", escLine(err.Error()))
		}
		if len(files) == 1 {
			return failed[0]
		}
		return chains.Invalid(fmt.Errorf("labels import: %d of %d files failed and stored nothing, the others were imported; first: %w", len(failed), len(files), failed[0]))
	}
	return nil
}

// storedGroup is what storeFile stored of one chain and category.
type storedGroup struct {
	chain         chains.Chain
	cat           chains.Category
	labels, added int
}

// storeFile stores the labels of one file in one transaction, one chain
// and category at a time so that the added counts can be told per chain
// and category. On error nothing of the file is stored. written, when
// set, is told how many labels are written so far after each group.
func storeFile(ctx context.Context, db *store.DB, ls []chains.Label, written func(n int)) ([]storedGroup, error) {
	type key struct {
		chain chains.Chain
		cat   chains.Category
	}
	var order []key
	by := map[key][]chains.Label{}
	for _, l := range ls {
		k := key{l.Chain, l.Category}
		if _, ok := by[k]; !ok {
			order = append(order, k)
		}
		by[k] = append(by[k], l)
	}
	b, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Rollback()
	out := make([]storedGroup, 0, len(order))
	n := 0
	for _, k := range order {
		added, err := b.PutLabels(ctx, by[k])
		if err != nil {
			return nil, err
		}
		out = append(out, storedGroup{chain: k.chain, cat: k.cat, labels: len(by[k]), added: added})
		if n += len(by[k]); written != nil {
			written(n)
		}
	}
	if err := b.Commit(ctx); err != nil {
		return nil, err
	}
	return out, nil
}

type labelsShowOptions struct {
	DB    string
	Chain string // for 0x… addresses; "" is ethereum
	Addrs []string
}

func runLabelsShow(ctx context.Context, o labelsShowOptions, w io.Writer) error {
	type target struct {
		chain chains.Chain
		addr  chains.Address
	}
	var ts []target
	for _, s := range o.Addrs {
		c, a, err := parseAddrArg(o.Chain, s)
		if err != nil {
			return err
		}
		ts = append(ts, target{c, a})
	}
	db, err := openExisting(ctx, o.DB, "freezetrace labels import --format tagpack PATH…")
	if err != nil {
		return err
	}
	defer db.Close()
	for i, t := range ts {
		if i > 0 {
			fmt.Fprintln(w)
		}
		ls, err := db.Labels(ctx, t.chain, t.addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s on %s: %d labels\n", t.addr, t.chain, len(ls))
		for _, l := range ls {
			writeLabel(w, "  ", l)
		}
	}
	return nil
}

// writeLabel prints one label and its provenance, escaping its text.
func writeLabel(w io.Writer, indent string, l chains.Label) {
	fmt.Fprintf(w, "%s%s %s, confidence %d", indent, escLine(string(l.Category)), esc(l.Entity), l.Confidence)
	if l.Asset != nil {
		fmt.Fprintf(w, ", about %s only", l.Asset)
	}
	if l.Heuristic != "" {
		fmt.Fprintf(w, ", derived by %s", escLine(l.Heuristic))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s  source %s", indent, esc(l.Source))
	if l.Date != "" {
		fmt.Fprintf(w, ", dated %s", esc(l.Date))
	}
	fmt.Fprintln(w)
	if l.Note != "" {
		fmt.Fprintf(w, "%s  note %s\n", indent, esc(l.Note))
	}
	for _, h := range l.Evidence {
		fmt.Fprintf(w, "%s  evidence %s\n", indent, l.Chain.FormatTx(h))
	}
}

type labelsStatsOptions struct{ DB string }

func runLabelsStats(ctx context.Context, o labelsStatsOptions, w io.Writer) error {
	db, err := openExisting(ctx, o.DB, "freezetrace labels import --format tagpack PATH…")
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := db.LabelStats(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAIN\tCATEGORY\tLABELS")
	var total int64
	for _, s := range st {
		fmt.Fprintf(tw, "%s\t%s\t%d\n", s.Chain, escLine(string(s.Category)), s.Labels)
		total += s.Labels
	}
	fmt.Fprintf(tw, "total\t\t%d\n", total)
	return tw.Flush()
}

// parseAddrArg reads an address argument: T… is TRON, anything else is read
// for chainFlag (default ethereum).
func parseAddrArg(chainFlag, s string) (chains.Chain, chains.Address, error) {
	c := chains.Ethereum
	if chainFlag != "" {
		var err error
		if c, err = chains.ParseChain(chainFlag); err != nil {
			return "", chains.Address{}, usagef("freezetrace … --chain ethereum ADDRESS", "--chain: %v", err)
		}
	}
	t := strings.TrimSpace(s)
	if strings.HasPrefix(t, "T") {
		if chainFlag != "" && c != chains.Tron {
			return "", chains.Address{}, chains.Invalid(fmt.Errorf("address %s is a TRON address, not %s", esc(s), c))
		}
		c = chains.Tron
	}
	a, err := c.ParseAddress(t)
	if err != nil {
		return "", chains.Address{}, chains.Invalid(fmt.Errorf("address argument: %s", escLine(err.Error())))
	}
	return c, a, nil
}

// openExisting opens the database at path, which must exist already.
func openExisting(ctx context.Context, path, hint string) (*store.DB, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, usagef(hint, "no database at %s: import data first", path)
	}
	return store.Open(ctx, path)
}

// esc shows untrusted text quoted, with control and other non-printable
// characters escaped, so a label cannot move the cursor, clear the screen
// or reorder the line.
func esc(s string) string { return strconv.Quote(s) }

// escLine escapes the non-printable characters of a whole message without
// quoting it.
func escLine(s string) string {
	q := strconv.Quote(s)
	return strings.ReplaceAll(q[1:len(q)-1], `\"`, `"`)
}

// clipArg cuts an argument to 80 characters for an error message.
func clipArg(s string) string {
	if utf8.RuneCountInString(s) <= 80 {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:80])) + "…"
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, r := range s {
		if i != 4 && i != 7 && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}
