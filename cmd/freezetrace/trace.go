package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/transport"
	"freezetrace/trace"
	"freezetrace/trace/attribute"
)

// traceOptions are the flags of `freezetrace trace`, parsed: plain data,
// nothing opened or dialled yet.
type traceOptions struct {
	DB        string
	Chain     chains.Chain
	Case      trace.Case
	Trace     trace.Options
	Offline   bool
	Out       string
	Heuristic bool // find deposit addresses and clusters, not only listed labels
	// Heuristics are the thresholds of deposit-address detection.
	Heuristics attribute.Options
	// Upstream is where the store fetches what it lacks (a JSON-RPC node,
	// an explorer, TronGrid); its zero value answers from the database only.
	Upstream upstreamOptions
	// Confirmations is how far below the upstream's head a block must be
	// to be cached (reorg safety).
	Confirmations uint64
	// Services are the service labels (the shipped list and --services)
	// added to the database's, in memory.
	Services []chains.Label
}

// storePiece is the most blocks of one address's history the cache fetches
// and stores in one piece, so that an interrupted fetch keeps what it
// finished. TronGrid pages by time at the same cost whatever the range, so
// 30 days' pieces cost little; an EVM node is asked for whole ranges
// (providers cap them themselves, and every piece would cost two more
// eth_getLogs).
func storePiece(c chains.Chain) uint64 {
	if c == chains.Tron {
		return c.BlocksIn(30 * 24 * time.Hour)
	}
	return 0
}

// headTTL is how long a fetched head stays fresh, so that a re-run soon
// after a trace makes no request at all.
const headTTL = 10 * time.Minute

func traceCommand() *cli.Command {
	return &cli.Command{
		Name:      "trace",
		Usage:     "follow a victim's payments to where the funds can be frozen",
		ArgsUsage: " ",
		Description: "Traces the victim payments of a case through the data in the database, hop by hop, under an\n" +
			"allocation rule, and stops at exchanges, mixers, bridges, sanctioned addresses, contracts and the\n" +
			"limits below. Give the case as victim transactions (--victim-tx), as victim and scam deposit\n" +
			"addresses (--victim with --deposit), or as deposit addresses and a time window (--deposit with\n" +
			"--from/--to); the forms combine. Prints a summary; --out DIR also writes DIR/trace.json and\n" +
			"DIR/ledger.csv (the audit ledger).\n\n" +
			"Example:\n" +
			"   freezetrace trace --db case.db --asset usdt --victim 0xVICTIM --deposit 0xSCAM --rule fifo --out case1",
		Flags: append([]cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "chain", Value: "ethereum", Usage: "chain `NAME`"},
			&cli.StringFlag{Name: "asset", Value: "usdt", Usage: "traced asset: a token `CONTRACT` address, usdt, usdc or native"},
			&cli.StringSliceFlag{Name: "victim-tx", Usage: "a victim payment as `HASH` or HASH:POSITION (repeatable)"},
			&cli.StringSliceFlag{Name: "victim", Usage: "a victim `ADDRESS`; its payments to the --deposit addresses are traced (repeatable)"},
			&cli.StringSliceFlag{Name: "deposit", Usage: "a scam deposit `ADDRESS` the victims paid (repeatable)"},
			&cli.StringFlag{Name: "from", Usage: "start of the payment window, RFC 3339 or YYYY-MM-DD (UTC)"},
			&cli.StringFlag{Name: "to", Usage: "end of the payment window, RFC 3339 or YYYY-MM-DD (inclusive, UTC)"},
			&cli.StringFlag{Name: "rule", Value: string(trace.FIFO), Usage: "allocation `RULE`: fifo, lifo, haircut, poison or libr"},
			&cli.IntFlag{Name: "max-hops", Value: trace.DefaultMaxHops, Usage: "stop this many `HOPS` from a victim payment"},
			&cli.StringFlag{Name: "min-amount", Value: "0", Usage: "dust floor in base `UNITS`: smaller taint is not followed (0: none)"},
			&cli.StringFlag{Name: "until", Usage: "time horizon, RFC 3339 or YYYY-MM-DD: transfers after it are not followed"},
			&cli.IntFlag{Name: "max-degree", Value: trace.DefaultMaxDegree, Usage: "stop at an unlabeled address with more than `N` counterparties (-1: never)"},
			&cli.BoolFlag{Name: "offline", Usage: "answer from the database only, never fetch"},
			&cli.BoolFlag{Name: "labels-only", Usage: "attribute addresses from listed labels only (no deposit-address or cluster detection)"},
			&cli.StringFlag{Name: "out", Usage: "write trace.json and ledger.csv into `DIR`"},
			&cli.Uint64Flag{Name: "confirmations", Value: 12, Usage: "cache only blocks at least `N` below the node's head, so a reorg cannot change a cached trace"},
		}, append(heuristicFlags(), append(servicesFlags(), append(rpcFlags(), explorerFlags()...)...)...)...),
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usagef("freezetrace trace --help", "trace takes no arguments, got %q", c.Args().First())
			}
			opts, err := parseTraceFlags(c, os.Getenv)
			if err != nil {
				return err
			}
			return runTrace(c.Context, opts, c.App.Writer, c.App.ErrWriter)
		},
	}
}

// parseTraceFlags reads the flags of the trace command, and the
// environment through getenv for the upstream's URLs and keys.
func parseTraceFlags(c *cli.Context, getenv func(string) string) (traceOptions, error) {
	var o traceOptions
	db, err := dbPath(c)
	if err != nil {
		return o, err
	}
	o.DB, o.Offline, o.Out, o.Heuristic = db, c.Bool("offline"), c.String("out"), !c.Bool("labels-only")
	if o.Chain, err = chains.ParseChain(c.String("chain")); err != nil {
		return o, chains.Invalid(fmt.Errorf("--chain: %w", err))
	}
	o.Confirmations = c.Uint64("confirmations")
	if o.Heuristics, err = parseHeuristics(c); err != nil {
		return o, err
	}
	if o.Upstream, err = parseUpstreamFlags(c, o.Chain, o.Offline, getenv); err != nil {
		return o, err
	}
	asset, err := traceAsset(o.Chain, c.String("asset"))
	if err != nil {
		return o, err
	}
	o.Case = trace.Case{Chain: o.Chain, Asset: asset}
	for _, s := range c.StringSlice("victim-tx") {
		p, err := trace.ParsePayment(s)
		if err != nil {
			return o, chains.Invalid(fmt.Errorf("--victim-tx: %w", err))
		}
		o.Case.Payments = append(o.Case.Payments, p)
	}
	if o.Case.Victims, err = traceAddrs(o.Chain, "--victim", c.StringSlice("victim")); err != nil {
		return o, err
	}
	if o.Case.Deposits, err = traceAddrs(o.Chain, "--deposit", c.StringSlice("deposit")); err != nil {
		return o, err
	}
	if o.Case.Window.From, err = traceTime("--from", c.String("from"), false); err != nil {
		return o, err
	}
	if o.Case.Window.To, err = traceTime("--to", c.String("to"), true); err != nil {
		return o, err
	}
	if o.Trace.Rule, err = trace.ParseRule(c.String("rule")); err != nil {
		return o, chains.Invalid(fmt.Errorf("--rule: %w", err))
	}
	if o.Trace.MaxHops = c.Int("max-hops"); o.Trace.MaxHops < 1 {
		return o, chains.Invalid(fmt.Errorf("--max-hops: want 1 or more, got %d", o.Trace.MaxHops))
	}
	if o.Trace.MinAmount, err = chains.ParseAmount(c.String("min-amount")); err != nil {
		return o, chains.Invalid(fmt.Errorf("--min-amount: %w", err))
	}
	if u, err := traceTime("--until", c.String("until"), true); err != nil {
		return o, err
	} else if !u.IsZero() {
		o.Trace.Until = &u
	}
	switch d := c.Int("max-degree"); {
	case d == 0 || d < -1:
		return o, chains.Invalid(fmt.Errorf("--max-degree: want a positive number or -1, got %d", d))
	default:
		o.Trace.MaxDegree = d
	}
	if o.Services, err = serviceLabels(parseServicesFlags(c)); err != nil {
		return o, err
	}
	return o, nil
}

// traceAsset reads --asset: usdt, usdc, native or a contract address.
func traceAsset(c chains.Chain, s string) (chains.AssetID, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "native", c.Native().Symbol:
		return chains.NativeAsset(c), nil
	case "usdt":
		switch c {
		case chains.Ethereum:
			return chains.USDTEthereum, nil
		case chains.Tron:
			return chains.USDTTron, nil
		}
	case "usdc":
		switch c {
		case chains.Ethereum:
			return chains.USDCEthereum, nil
		case chains.Tron:
			return chains.USDCTron, nil
		}
	default:
		a, err := c.ParseAddress(s)
		if err != nil {
			return chains.AssetID{}, chains.Invalid(fmt.Errorf("--asset: %w", err))
		}
		return chains.AssetID{Chain: c, Contract: a}, nil
	}
	return chains.AssetID{}, chains.Invalid(fmt.Errorf("--asset %s: no well-known contract on %s; give the contract address", s, c))
}

func traceAddrs(c chains.Chain, flag string, ss []string) ([]chains.Address, error) {
	var out []chains.Address
	for _, s := range ss {
		a, err := c.ParseAddress(s)
		if err != nil {
			return nil, chains.Invalid(fmt.Errorf("%s: %w", flag, err))
		}
		out = append(out, a)
	}
	return out, nil
}

// traceTime reads RFC 3339 or a UTC date; a date as an end bound means
// the end of that day.
func traceTime(flag, s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, chains.Invalid(fmt.Errorf("%s: %q is not a time (want RFC 3339, e.g. 2024-05-01T13:00:00Z, or YYYY-MM-DD)", flag, s))
	}
	if end {
		d = d.Add(24*time.Hour - time.Second)
	}
	return d, nil
}

// runTrace opens the upstream and the database, traces the case, writes
// the summary on w and the files into o.Out, and closes what it opened.
// The upstream's progress goes to stderr when it is a terminal.
func runTrace(ctx context.Context, o traceOptions, w, stderr io.Writer) error {
	if o.Out != "" {
		// Before the trace, which may fetch for an hour: a --out that
		// cannot be written fails now.
		if err := prepareOut(o.Out); err != nil {
			return err
		}
	}
	l, err := openLive(ctx, liveOptions{DB: o.DB, Chain: o.Chain, Offline: o.Offline, Upstream: o.Upstream, Confirmations: o.Confirmations, HeadTTL: headTTL})
	if err != nil {
		return err
	}
	defer l.Close()
	db, src, up := l.db, l.src, l.up
	// Every read behind a verdict is bounded by the case: deposit detection
	// judges the sweep window after the taint's arrival, and the
	// high-activity check reads a ledger's first window before the rest.
	// The first window is four times the detection span; with an upstream,
	// detection asks for the same window, so that one fetch serves both
	// (offline the file answers each exactly, so it reads its own span).
	span := o.Heuristics.SweepSpan(o.Chain)
	o.Heuristics.Span = span
	o.Trace.ProbeWindow = 4 * span
	if up.src != nil && !o.Offline {
		o.Heuristics.ReadSpan = 4 * span
	}
	labeler := withServices(db, o.Services)
	var attr trace.Attributor = trace.NewLabelAttributor(labeler)
	if o.Heuristic {
		attr = attribute.New(labeler, src, o.Heuristics)
	}
	stopProgress := rpcProgress(ctx, up.evm, stderr)
	res, err := trace.Run(ctx, src, attr, o.Case, o.Trace)
	stopProgress()
	if err != nil {
		return err
	}
	// Provenance is read after the trace, which may have fetched data, from
	// the stored rows only: a cold run and a warm re-run record the same.
	prov, err := db.Provenance(ctx)
	if err != nil {
		return err
	}
	res.Provenance = provenanceOf(prov, o.Chain, res.Flows)
	if err := readHoldings(ctx, src, res, o.Chain, time.Time{}); err != nil {
		return err
	}
	if err := trace.Summary(w, res); err != nil {
		return err
	}
	if up.roles != "" {
		fmt.Fprintf(w, "Data: %s.\n", up.roles)
	}
	fmt.Fprint(w, requestLines(up.counters))
	fmt.Fprintf(w, "Cost: read %s transfers from the database.\n", chains.NewAmount(uint64(db.TransfersRead())).FormatFixed(0, 0))
	if o.Out == "" {
		return nil
	}
	if err := trace.CheckTimes(res); err != nil {
		return fmt.Errorf("--out %s: %w", o.Out, err)
	}
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return outError(o.Out, err)
	}
	for _, f := range []struct {
		name  string
		write func(io.Writer, *trace.Result) error
	}{{"trace.json", trace.WriteJSON}, {"ledger.csv", trace.WriteLedgerCSV}} {
		p := filepath.Join(o.Out, f.name)
		if err := writeTraceFile(p, func(fw io.Writer) error { return f.write(fw, res) }); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	return nil
}

// provenanceOf is the provenance a trace of chain records: the stored
// provenance of that chain, in its order, each entry that names no block
// given the newest block of the trace's flows, and every URL in a source's
// name redacted (a database written before hosts were redacted may name
// "rpc https://KEY.example.com").
func provenanceOf(stored []chains.Provenance, chain chains.Chain, flows []trace.Flow) []chains.Provenance {
	var newest uint64
	for _, f := range flows {
		newest = max(newest, f.Block)
	}
	out := []chains.Provenance{}
	for _, p := range stored {
		if p.Chain != chain {
			continue
		}
		if p.Block == 0 {
			p.Block = newest
		}
		p.Retrieved = p.Retrieved.UTC()
		p.Source = transport.RedactURLs(p.Source)
		out = append(out, p)
	}
	return out
}

// writeTraceFile writes path through a temporary file renamed into place, so a
// failed write never leaves half a file. A directory that cannot take the
// file is the --out flag's fault (outError); what write refuses is
// returned as it is.
func writeTraceFile(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return outError(dir, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		var ie *chains.InputError
		if errors.As(err, &ie) {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return outError(dir, fmt.Errorf("write %s: %w", filepath.Base(path), err))
	}
	if err := tmp.Close(); err != nil {
		return outError(dir, fmt.Errorf("write %s: %w", filepath.Base(path), err))
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return outError(dir, err)
	}
	return nil
}

// prepareOut checks that files can be written into the --out directory
// dir, by creating one there (and dir, if need be). What it created is
// removed again, so a trace that then fails leaves nothing behind.
func prepareOut(dir string) error {
	// The directories MkdirAll is about to create, deepest first.
	var created []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil || !errors.Is(err, os.ErrNotExist) {
			break
		}
		created = append(created, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	defer func() {
		for _, d := range created {
			os.Remove(d)
		}
	}()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return outError(dir, err)
	}
	f, err := os.CreateTemp(dir, ".freezetrace-probe-*")
	if err != nil {
		return outError(dir, err)
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return outError(dir, err)
	}
	return nil
}

// outError is a failure of the file system to write into the --out
// directory dir: the user's mistake (a file where the directory should
// be, no permission, a read-only file system), exit 2, unless the disk is
// full or failing, or the failure is none of the file system's, exit 1.
func outError(dir string, err error) error {
	var errno syscall.Errno
	fsErr := errors.As(err, &errno)
	err = fmt.Errorf("--out %s: %w", dir, err)
	if !fsErr || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.Is(err, syscall.EIO) {
		return err
	}
	return chains.Invalid(err)
}
