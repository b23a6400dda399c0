package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"freezetrace/chains"
	"freezetrace/chains/etl"
	"freezetrace/chains/store"
	"freezetrace/internal/ingest"
)

// formatTronscan is the import format of Tronscan-style TRC-20 transfer
// exports (CSV or JSON); the others are ethereum-etl's (package etl).
const formatTronscan = "tronscan"

func importCommand() *cli.Command {
	var formats []string
	for _, f := range etl.Formats() {
		formats = append(formats, string(f))
	}
	formats = append(formats, formatTronscan)
	return &cli.Command{
		Name:      "import",
		Usage:     "import data files (ethereum-etl CSV exports, Tronscan TRC-20 exports) into the database",
		ArgsUsage: "FILE…",
		Description: "Each file is applied whole or not at all: a malformed row stops the import of that\n" +
			"file with file:line and what is wrong, and nothing of it is stored. So does a file cut\n" +
			"short (its last line without a line end), a line over 1 MiB and a value past its bound.\n" +
			"Files ending in .gz are read compressed.\n\n" +
			"A row identical to a stored one, or to an earlier row of the file, is counted and not\n" +
			"stored again: importing a file again adds nothing. A row that contradicts a stored one\n" +
			"(the same transfer, block or token with another value: a block with another hash) or an\n" +
			"earlier row stops the import, naming both values and lines; --replace stores the file's\n" +
			"rows over the stored ones instead (a replaced block forgets the stored block's transfers)\n" +
			"and records how many it replaced (freezetrace db imports).\n\n" +
			"Import tokens.csv and contracts.csv before token_transfers.csv: ERC-721 transfers are\n" +
			"recognised (and skipped) by tokens without decimals and contracts marked is_erc721.\n\n" +
			"--format etl-logs (logs.csv) stores each transaction's venue events (swaps, wraps, bridge\n" +
			"deposits) and WETH deposits and withdrawals as transfers; --format etl-traces (traces.csv) the\n" +
			"ETH moved by internal calls (a transaction's own value comes from transactions.csv). With\n" +
			"them an offline trace follows taint through swaps. Both need whole blocks, as ethereum-etl\n" +
			"exports them: a file holding part of a transaction's logs or traces is refused where it shows.\n\n" +
			"--format tronscan reads Tronscan-style TRC-20 transfer exports (CSV or JSON: transaction id,\n" +
			"timestamp, from, to, amount, token contract, decimals) for --chain tron.",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "chain", Value: "ethereum", Usage: "the `CHAIN` the files describe"},
			&cli.StringFlag{Name: "format", Required: true, Usage: "file `FORMAT`: " + strings.Join(formats, ", ")},
			&cli.BoolFlag{Name: "replace", Usage: "let the files' rows replace stored rows they contradict, instead of stopping"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("freezetrace import --format FORMAT FILE…", "import: no files given")
			}
			ch, err := chains.ParseChain(c.String("chain"))
			if err != nil {
				return usagef("--chain "+strings.Join(chainNames(), "|"), "import: %v", err)
			}
			o := importOptions{Chain: ch, Files: c.Args().Slice(), Stderr: c.App.ErrWriter, Now: time.Now, Replace: c.Bool("replace")}
			if c.String("format") == formatTronscan {
				if !c.IsSet("chain") {
					o.Chain = chains.Tron
				}
				if o.Chain != chains.Tron {
					return usagef("freezetrace import --chain tron --format tronscan FILE…", "import: --format tronscan is for --chain tron, not %s", o.Chain)
				}
				o.Tronscan = true
			} else if o.Format, err = etl.ParseFormat(c.String("format")); err != nil {
				return usagef("--format "+strings.Join(formats, "|"), "import: %v", err)
			}
			if o.DB, err = dbPath(c); err != nil {
				return err
			}
			return runImport(c.Context, o, c.App.Writer)
		},
	}
}

func chainNames() []string {
	var out []string
	for _, c := range chains.Chains() {
		out = append(out, string(c))
	}
	return out
}

type importOptions struct {
	DB     string
	Chain  chains.Chain
	Format etl.Format
	// Tronscan reads the files as Tronscan TRC-20 exports instead.
	Tronscan bool
	Files    []string
	// Replace lets the files' rows replace the stored rows they
	// contradict (see ingest.Options).
	Replace bool
	// Stderr receives the progress bar when it is a terminal.
	Stderr io.Writer
	Now    func() time.Time
}

// runImport imports each file in turn and prints its figures; it stops at
// the first file that fails (files before it stay imported).
func runImport(ctx context.Context, o importOptions, w io.Writer) error {
	db, err := store.Open(ctx, o.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	how := ingest.Options{Replace: o.Replace}
	for _, f := range o.Files {
		if o.Tronscan {
			c, err := ingest.TronscanFile(ctx, db, f, o.Now().UTC(), how)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%s: read %d, added %d, skipped %d%s%s\n", f, c.Read, c.Added, c.Skipped,
				duplicates(c.Stored, c.Replaced), details(etl.Result{Repeated: c.Repeated}))
			continue
		}
		prog := newProgress(o.Stderr, f, o.Now)
		res, err := ingest.ETLFile(ctx, db, f, etl.Options{Chain: o.Chain, Format: o.Format, Time: o.Now().UTC(), Progress: prog.update}, how)
		prog.finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: read %d, added %d, skipped %d%s%s\n", f, res.Read, res.Added, res.Skipped,
			duplicates(res.Stored, res.Replaced), details(res))
	}
	return nil
}

// duplicates says how many rows were stored already and how many stored
// rows the file replaced, when any were.
func duplicates(stored, replaced int) string {
	var s string
	if stored > 0 {
		s += fmt.Sprintf(", already stored %d", stored)
	}
	if replaced > 0 {
		s += fmt.Sprintf(", replaced %d", replaced)
	}
	return s
}

func details(r etl.Result) string {
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{
		{r.Repeated, "repeated in the file"},
		{r.NonFungible, "non-fungible (ERC-721)"},
		{r.Failed, "failed transactions"},
		{r.NoRecipient, "contract creations without the created address"},
		{r.Zero, "zero-value, stored and flagged"},
		{r.TopLevel, "top-level calls, whose value transactions.csv gives"},
		{r.NoValue, "traces moving no ETH"},
		{r.NoTx, "block rewards"},
		{r.Events, "venue events"},
		{r.Wraps, "WETH deposits and withdrawals, stored as transfers too"},
	} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	if parts == nil {
		return ""
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

// progress shows a byte progress bar on a terminal once an import has run
// for more than a moment; elsewhere it does nothing.
type progress struct {
	w     io.Writer
	name  string
	size  int64
	start time.Time
	now   func() time.Time
	bar   *progressbar.ProgressBar
}

const progressDelay = 700 * time.Millisecond

func newProgress(w io.Writer, file string, now func() time.Time) *progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	p := &progress{w: w, name: filepath.Base(file), start: now(), now: now, size: -1}
	if st, err := os.Stat(file); err == nil && !strings.HasSuffix(file, ".gz") {
		p.size = st.Size()
	}
	return p
}

func (p *progress) update(read int64) {
	if p == nil {
		return
	}
	if p.bar == nil {
		if p.now().Sub(p.start) < progressDelay {
			return
		}
		p.bar = progressbar.NewOptions64(p.size, progressbar.OptionSetWriter(p.w), progressbar.OptionShowBytes(true),
			progressbar.OptionSetDescription(p.name), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
	}
	p.bar.Set64(read)
}

func (p *progress) finish() {
	if p != nil && p.bar != nil {
		p.bar.Finish()
	}
}
