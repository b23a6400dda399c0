// Command devchain runs a development Ethereum chain in-process: go-ethereum
// with JSON-RPC on 127.0.0.1, a Tether-style USDT and two Forwarder
// contracts, and a pig-butchering scenario played on it, which ends with
// the issuer freezing a wallet that holds stolen funds. It prints the RPC
// URL, the case's victim transactions and the issuer's freezes, and writes
// what it played (those, every transfer, the actors) as JSON, then serves
// until it is interrupted, or exits at once with --exit-after-play.
//
//	devchain --scenario pigbutcher --range-limit 50 --out case.json --etl etl/
//
// --start dates the chain's genesis (block 0), e.g. --start now-72h or
// --start 2025-06-01T09:00:00Z; the scenario's blocks follow it at their
// usual spacing (the pigbutcher fixture spans under half an hour). The
// default is devchain.GenesisTime, 2030-01-01.
//
// It is for demos and tests; only this package and tests use the dev chain.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"freezetrace/chains"
	"freezetrace/fixtures"
	"freezetrace/internal/devchain"
)

// options are the command's flags, parsed.
type options struct {
	Scenario   string
	RangeLimit uint64
	Out        string
	ETL        string
	ExitAfter  bool
	Verbose    bool
	Start      time.Time // zero: devchain.GenesisTime
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("devchain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.Scenario, "scenario", "pigbutcher", "scenario to play: pigbutcher (the fixture, plus ether through the forwarders) or devchain (the chain's own)")
	fs.Uint64Var(&o.RangeLimit, "range-limit", 50, "eth_getLogs block-range cap, like a provider's (0: none)")
	fs.StringVar(&o.Out, "out", "", "write what was played (RPC URL, victim txs, transfers, actors) as JSON to `FILE`")
	fs.StringVar(&o.ETL, "etl", "", "write the chain's data as ethereum-etl CSV files into `DIR`")
	fs.BoolVar(&o.ExitAfter, "exit-after-play", false, "exit once the scenario is played instead of serving")
	fs.BoolVar(&o.Verbose, "v", false, "show go-ethereum's log")
	now := time.Now()
	fs.Func("start", "date the genesis (block 0) at `TIME`, RFC 3339 (2025-06-01T09:00:00Z) or now±DURATION (now-72h, now-90m, now); "+
		"the scenario's blocks follow at their usual spacing (default "+devchain.GenesisTime.Format(time.RFC3339)+")", func(s string) error {
		t, err := parseStart(s, now)
		o.Start = t
		return err
	})
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "devchain: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := serve(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "devchain: %v\n", err)
		var ie *chains.InputError
		if errors.As(err, &ie) {
			return 2
		}
		return 1
	}
	return 0
}

// scenario returns the scenario named name.
func scenario(name string) (devchain.Scenario, error) {
	switch name {
	case "devchain":
		return devchain.PigButcher(), nil
	case "pigbutcher":
		fx, err := fixtures.Load(name)
		if err != nil {
			return devchain.Scenario{}, err
		}
		return devchain.FromFixture(fx)
	}
	return devchain.Scenario{}, chains.Invalid(fmt.Errorf("unknown scenario %q (known: pigbutcher, devchain)", name))
}

func serve(ctx context.Context, o options, stdout io.Writer) error {
	sc, err := scenario(o.Scenario)
	if err != nil {
		return err
	}
	playCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	c, p, err := devchain.Run(playCtx, devchain.Config{RangeLimit: o.RangeLimit, Verbose: o.Verbose, Start: o.Start}, sc)
	if err != nil {
		return err
	}
	defer c.Close()
	if o.Out != "" {
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.Out, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.ETL != "" {
		if err := os.MkdirAll(o.ETL, 0o755); err != nil {
			return err
		}
		if err := devchain.WriteETL(o.ETL, sc, p); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "rpc %s\nchain id %d, head %d, %d transfers\n", c.URL, p.ChainID, p.Head, len(p.Transfers))
	for _, h := range p.VictimTxs {
		fmt.Fprintf(stdout, "victim tx %s\n", h)
	}
	// "freeze tx HASH ADDRESS TOKEN ACTOR" (or unfreeze, destroy), one line each.
	for _, f := range p.Freezes {
		fmt.Fprintf(stdout, "%s tx %s %s %s %s\n", f.Kind, f.Tx, f.Address, f.Token, f.Actor)
	}
	if o.ExitAfter {
		return nil
	}
	fmt.Fprintln(stdout, "serving; interrupt to stop")
	<-ctx.Done()
	return nil
}

// parseStart reads --start: an RFC 3339 time, or "now" with an optional
// signed Go duration after it ("now-72h"), counted from now. The result is
// truncated to the second, as block times are.
func parseStart(s string, now time.Time) (time.Time, error) {
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		var d time.Duration
		if rest != "" {
			if rest[0] != '-' && rest[0] != '+' {
				return time.Time{}, fmt.Errorf("%q: want now-DURATION or now+DURATION, e.g. now-72h", s)
			}
			var err error
			if d, err = time.ParseDuration(rest); err != nil {
				return time.Time{}, fmt.Errorf("%q: %w (try now-72h: units are h, m, s)", s, err)
			}
		}
		return now.Add(d).Truncate(time.Second).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: want RFC 3339 (2025-06-01T09:00:00Z) or now-DURATION (now-72h)", s)
	}
	if t.Unix() < 0 {
		return time.Time{}, fmt.Errorf("%q: before 1970", s)
	}
	return t.Truncate(time.Second).UTC(), nil
}
