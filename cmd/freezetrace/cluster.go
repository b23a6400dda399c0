package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/trace/attribute"
)

func clusterCommand() *cli.Command {
	return &cli.Command{
		Name:      "cluster",
		Usage:     "show whether addresses are exchange deposit addresses, and the cluster they belong to, with the evidence",
		ArgsUsage: "ADDRESS…",
		Description: "Reads the transfers and labels already in the database (no network).\n" +
			"An address that forwards at least --min-forwarded percent of what it received to wallets\n" +
			"labeled as one exchange, each sweep within --window (or --window-blocks) of the funds\n" +
			"arriving, is that exchange's deposit address. The addresses paying one deposit address\n" +
			"are one cluster (one account holder at that exchange); labeled exchange wallets never join.\n" +
			"T… addresses are TRON; 0x… addresses are read for --chain (default ethereum).",
		Flags: append([]cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "chain", Usage: "`CHAIN` of 0x… addresses (ethereum, bsc, polygon, …)"},
			&cli.StringFlag{Name: "asset", Value: "usdt", Usage: "`ASSET` whose transfers are judged: usdt, usdc, native or a token contract"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON instead of text"},
			&cli.BoolFlag{Name: "save", Usage: "store the derived labels (deposit addresses, propagated labels) so labels show lists them"},
		}, heuristicFlags()...),
		Action: func(c *cli.Context) error {
			db, err := dbPath(c)
			if err != nil {
				return err
			}
			if c.NArg() == 0 {
				return usagef("freezetrace cluster ADDRESS…", "cluster: no address given")
			}
			h, err := parseHeuristics(c)
			if err != nil {
				return err
			}
			o := clusterOptions{
				DB: db, Chain: c.String("chain"), Asset: c.String("asset"), Addrs: c.Args().Slice(), JSON: c.Bool("json"), Save: c.Bool("save"),
				Heuristics: h,
			}
			return runCluster(c.Context, o, c.App.Writer)
		},
	}
}

// heuristicFlags are the thresholds of deposit-address detection and
// clustering, shared by the commands that use them.
func heuristicFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "min-forwarded", Value: 90, Usage: "`PERCENT` of what it received a deposit address must forward to one exchange"},
		&cli.DurationFlag{Name: "window", Value: 24 * time.Hour, Usage: "a sweep counts when it follows the funds' arrival within `DURATION`"},
		&cli.Uint64Flag{Name: "window-blocks", Usage: "measure the sweep window in `N` blocks instead of time"},
		&cli.IntFlag{Name: "min-sweeps", Value: 1, Usage: "least `N` sweeps into the exchange"},
		&cli.IntFlag{Name: "max-senders", Value: 100, Usage: "a deposit address paid by more than `N` addresses does not merge them into one cluster"},
		&cli.IntFlag{Name: "max-peers", Value: 1000, Usage: "an address with more than `N` counterparties in the sweep window is a service's wallet, not a deposit address"},
	}
}

// parseHeuristics reads heuristicFlags.
func parseHeuristics(c *cli.Context) (attribute.Options, error) {
	h := attribute.Options{
		MinForwardedPct: c.Int("min-forwarded"),
		Window:          c.Duration("window"),
		WindowBlocks:    c.Uint64("window-blocks"),
		MinSweeps:       c.Int("min-sweeps"),
		MaxSenders:      c.Int("max-senders"),
		MaxPeers:        c.Int("max-peers"),
	}
	cmd := "freezetrace " + c.Command.FullName()
	switch {
	case h.MinForwardedPct < 1 || h.MinForwardedPct > 100:
		return h, usagef(cmd+" --min-forwarded 90 …", "--min-forwarded: want 1 to 100, got %d", h.MinForwardedPct)
	case h.Window <= 0:
		return h, usagef(cmd+" --window 24h …", "--window: want a positive duration, got %s", h.Window)
	case h.MinSweeps < 1:
		return h, usagef(cmd+" --min-sweeps 1 …", "--min-sweeps: want at least 1, got %d", h.MinSweeps)
	case h.MaxSenders < 1:
		return h, usagef(cmd+" --max-senders 100 …", "--max-senders: want at least 1, got %d", h.MaxSenders)
	case h.MaxPeers < 1:
		return h, usagef(cmd+" --max-peers 1000 …", "--max-peers: want at least 1, got %d", h.MaxPeers)
	}
	return h, nil
}

type clusterOptions struct {
	DB         string
	Chain      string // for 0x… addresses; "" is ethereum
	Asset      string // usdt, usdc, native or a contract
	Addrs      []string
	JSON       bool
	Save       bool // store the derived labels
	Heuristics attribute.Options
}

func runCluster(ctx context.Context, o clusterOptions, w io.Writer) error {
	type target struct {
		chain chains.Chain
		addr  chains.Address
		asset chains.AssetID
	}
	var ts []target
	for _, s := range o.Addrs {
		c, a, err := parseAddrArg(o.Chain, s)
		if err != nil {
			return err
		}
		id, err := traceAsset(c, o.Asset)
		if err != nil {
			return err
		}
		ts = append(ts, target{c, a, id})
	}
	db, err := openExisting(ctx, o.DB, "freezetrace import --db "+o.DB+" FILE…")
	if err != nil {
		return err
	}
	defer db.Close()
	at := attribute.New(db, db.Source(), o.Heuristics)
	reports := make([]attribute.Report, 0, len(ts))
	for _, t := range ts {
		r, err := at.Report(ctx, t.addr, t.asset)
		if err != nil {
			return err
		}
		reports = append(reports, r)
	}
	if o.Save {
		var derived []chains.Label
		for _, r := range reports {
			derived = append(derived, r.Derived()...)
		}
		added, err := db.PutLabels(ctx, derived)
		if err != nil {
			return fmt.Errorf("save derived labels: %w", err)
		}
		defer fmt.Fprintf(w, "saved %d derived labels (%d new)\n", len(derived), added)
	}
	if o.JSON {
		return attribute.WriteJSON(w, reports)
	}
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(w)
		}
		writeClusterReport(w, r)
	}
	return nil
}

func writeClusterReport(w io.Writer, r attribute.Report) {
	fmt.Fprintf(w, "%s on %s, judged on %s transfers\n", r.Address, r.Chain, r.Asset)
	a := r.Attribution
	switch {
	case a.Category != "":
		fmt.Fprintf(w, "  %s %s\n", a.Category, esc(a.Entity))
	case a.Entity != "":
		fmt.Fprintf(w, "  no label of its own; linked to %s\n", esc(a.Entity))
	default:
		fmt.Fprintln(w, "  no label, not a deposit address")
	}
	if a.Sanctioned {
		fmt.Fprintln(w, "  ON A SANCTIONS LIST")
	}
	if a.Reason != "" {
		fmt.Fprintf(w, "  why: %s\n", escLine(a.Reason))
	}
	if d := r.Deposit; d != nil {
		fmt.Fprintf(w, "  deposit address of %s: received %s, forwarded %s in time (%s)\n",
			esc(d.Exchange), d.Received, d.Forwarded, d.Rule)
		for _, s := range d.Sweeps {
			fmt.Fprintf(w, "    sweep %s  block %d  %s  %s → %s  %s\n", r.Chain.FormatTx(s.Tx), s.Block,
				s.Time.UTC().Format(time.RFC3339), s.From, s.To, s.Amount)
		}
	}
	if len(a.Labels) > 0 {
		fmt.Fprintf(w, "  labels (%d):\n", len(a.Labels))
		for _, l := range a.Labels {
			writeLabel(w, "    ", l)
		}
	}
	c := r.Cluster
	if c == nil {
		fmt.Fprintln(w, "  in no cluster")
		return
	}
	fmt.Fprintf(w, "  cluster %s (%s): %s, %d members\n", c.ID, escLine(c.Heuristic), esc(c.Entity), len(c.Members))
	deps := map[chains.Address]bool{}
	for _, d := range c.Deposits {
		deps[d] = true
	}
	for _, m := range c.Members {
		role := "paid a deposit address"
		if deps[m] {
			role = "deposit address"
		}
		fmt.Fprintf(w, "    %s  %s\n", m, role)
	}
	fmt.Fprintf(w, "  payments into the deposit addresses (%d):\n", len(c.Links))
	for _, l := range c.Links {
		fmt.Fprintf(w, "    %s  block %d  %s  %s → %s  %s\n", r.Chain.FormatTx(l.Tx), l.Block,
			l.Time.UTC().Format(time.RFC3339), l.From, l.To, l.Amount)
	}
	for _, b := range c.Busy {
		fmt.Fprintf(w, "  %s has too many senders to be one customer's: its senders were not merged\n", b)
	}
	if c.Truncated {
		fmt.Fprintln(w, "  the cluster was cut at its size limit")
	}
	fmt.Fprintf(w, "  evidence: %d transactions\n", len(c.Evidence))
}
