package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/trace/attribute"
)

type statusOptions struct {
	Live       liveOptions
	Addresses  []chains.Address
	Format     string
	Heuristics attribute.Options
	// At, when set, is the time stamped as the check's instead of when
	// the head was fetched (for reproducible output).
	At time.Time
}

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "where an address stands now: balances, issuer freezes, labels, deposit address, activity",
		ArgsUsage: "ADDRESS…",
		Description: "For each address (on the command line, or one per line in --file, - for stdin): its balance of\n" +
			"USDT, USDC and the native coin at the live source's confirmed head, whether Tether or Circle has\n" +
			"frozen it (with the freezing transaction when the chain tells), its labels with their sources, the\n" +
			"exchange whose deposit address it is when detected, and its first and last transfer in the cache.\n" +
			"Without a live source (or with --offline) it answers from the database, as of the end of the data.\n\n" +
			"Example:\n" +
			"   freezetrace status --rpc $RPC 0xADDRESS --format csv",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "chain", Value: "ethereum", Usage: "chain `NAME`"},
			&cli.StringFlag{Name: "file", Usage: "read addresses from `FILE`, one per line (- for stdin)"},
			&cli.StringFlag{Name: "format", Value: "table", Usage: "output `FORMAT`: table, csv or json"},
			&cli.StringFlag{Name: "at", Usage: "stamp this RFC 3339 `TIME` as the check's, for reproducible output"},
		}, liveFlags()...),
		Action: func(c *cli.Context) error {
			o, err := parseStatusFlags(c, os.Getenv, c.App.Reader)
			if err != nil {
				return err
			}
			return runStatus(c.Context, o, c.App.Writer)
		},
	}
}

func parseStatusFlags(c *cli.Context, getenv func(string) string, stdin io.Reader) (statusOptions, error) {
	var o statusOptions
	chain, err := chains.ParseChain(c.String("chain"))
	if err != nil {
		return o, chains.Invalid(fmt.Errorf("--chain: %w", err))
	}
	switch o.Format = c.String("format"); o.Format {
	case "table", "csv", "json":
	default:
		return o, chains.Invalid(fmt.Errorf("--format %q: want table, csv or json", o.Format))
	}
	if s := c.String("at"); s != "" {
		if o.At, err = time.Parse(time.RFC3339, s); err != nil {
			return o, usagef("freezetrace status --at 2024-04-03T10:00:00Z …", "--at %q: want an RFC 3339 time", s)
		}
	}
	if o.Live, err = parseLiveFlags(c, chain, getenv); err != nil {
		return o, err
	}
	var words []word
	for i, s := range c.Args().Slice() {
		words = append(words, word{s, fmt.Sprintf("argument %d", i+1)})
	}
	if f := c.String("file"); f != "" {
		lines, err := addressLines(f, stdin)
		if err != nil {
			return o, err
		}
		words = append(words, lines...)
	}
	if len(words) == 0 {
		return o, usagef("freezetrace status 0xADDRESS…", "status needs at least one address (or --file)")
	}
	for _, w := range words {
		a, err := chains.ParseAddress(w.text)
		if err != nil {
			return o, chains.Invalid(fmt.Errorf("%s: %w", w.where, err))
		}
		o.Addresses = append(o.Addresses, a.In(chain.Family()))
	}
	return o, nil
}

type word struct{ text, where string }

// addressLines reads one address per line; blank lines and lines starting
// with # are skipped.
func addressLines(path string, stdin io.Reader) ([]word, error) {
	var r io.Reader = stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, chains.Invalid(fmt.Errorf("--file: %w", err))
		}
		defer f.Close()
		r = f
	}
	var out []word
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		out = append(out, word{s, fmt.Sprintf("%s:%d", path, n)})
	}
	if err := sc.Err(); err != nil {
		return nil, chains.Invalid(fmt.Errorf("%s: %w", path, err))
	}
	return out, nil
}

func runStatus(ctx context.Context, o statusOptions, w io.Writer) error {
	l, err := openLive(ctx, o.Live)
	if err != nil {
		return err
	}
	defer l.Close()
	db, src, chain := l.db, l.src, o.Live.Chain
	at := attribute.StatusAt{Now: time.Now()}
	if head, fetched, live, err := src.ConfirmedHead(ctx, chain); err != nil {
		return err
	} else if live {
		at.Block, at.Live, at.Now = head, true, fetched
	} else if at.Block, err = storedEnd(ctx, db, chain); err != nil {
		return err
	}
	if !o.At.IsZero() {
		at.Now = o.At
	}
	// A source that reads only the newest state (TronGrid) must know which
	// state that is before it can answer a balance at the head.
	if fo, ok := l.up.src.(chains.FinalOnly); ok && fo.FinalOnly() && at.Live {
		if hr, ok := l.up.src.(chains.HeadReader); ok {
			if _, err := hr.Head(ctx, chain); err != nil {
				return err
			}
		}
	}
	o.Heuristics.Span = o.Heuristics.SweepSpan(chain)
	attr := attribute.New(db, src, o.Heuristics)
	var out []attribute.Status
	for _, a := range o.Addresses {
		act, err := db.Activity(ctx, chain, a)
		if err != nil {
			return err
		}
		s, err := attr.ReadStatus(ctx, src, chain, a, at, attribute.Activity{Transfers: act.Transfers,
			First: act.First, FirstTime: act.FirstTime, Last: act.Last, LastTime: act.LastTime})
		if err != nil {
			return fmt.Errorf("status of %s: %w", a, err)
		}
		out = append(out, s)
	}
	switch o.Format {
	case "csv":
		return attribute.WriteStatusCSV(w, out)
	case "json":
		return attribute.WriteStatusJSON(w, out)
	}
	if err := attribute.WriteStatusTable(w, out); err != nil {
		return err
	}
	fmt.Fprint(w, requestLines(l.up.counters))
	return nil
}

// storedEnd is the newest block the database holds data of for chain.
func storedEnd(ctx context.Context, db *store.DB, c chains.Chain) (uint64, error) {
	prov, err := db.Provenance(ctx)
	if err != nil {
		return 0, err
	}
	var end uint64
	for _, p := range prov {
		if p.Chain == c {
			end = max(end, p.Block)
		}
	}
	return end, nil
}
