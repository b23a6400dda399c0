package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/chains/tron"
)

// rpcOptions are the flags that point a command at a JSON-RPC node.
type rpcOptions struct {
	URL         string // secret: show only through evm.Redact
	Rate        float64
	Concurrency int
	Retries     int
	MaxRange    uint64
	NoBalances  bool
	// Wrappers are the chain's native-coin wrappers (WETH9-like) whose
	// Deposit and Withdrawal are read as transfers; nil: the chain's known
	// ones (mainnet WETH on Ethereum).
	Wrappers []chains.Address
	// FinalDepth is how far below the head the node's blocks count as
	// final (the trace's --confirmations); 0: the source's own default.
	FinalDepth uint64
}

// rpcFlags are the flags of a command that can fetch EVM data from a node.
func rpcFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "rpc", Usage: "JSON-RPC `URL` of an EVM node or provider to fetch what the database lacks " +
			"(default: $FREEZETRACE_RPC_<CHAIN>, e.g. FREEZETRACE_RPC_ETHEREUM); API keys in it are never printed or stored"},
		&cli.Float64Flag{Name: "rpc-rate", Value: 10, Usage: "at most `N` requests per second to the node (0: no limit)"},
		&cli.IntFlag{Name: "rpc-concurrency", Value: 4, Usage: "at most `N` requests in flight"},
		&cli.IntFlag{Name: "rpc-retries", Value: 5, Usage: "retry a failed request `N` times (429, 5xx, resets), with backoff"},
		&cli.Uint64Flag{Name: "rpc-max-range", Value: 0, Usage: "widest eth_getLogs block range to ask for, in `BLOCKS` (0: as wide as the provider accepts; it narrows itself to the provider's caps and hints)"},
		&cli.BoolFlag{Name: "rpc-no-balances", Usage: "never ask the node for balances (no archive state): rebuild them from transfer history"},
		&cli.StringSliceFlag{Name: "wrapper", Usage: "a WETH9-like native-coin wrapper `CONTRACT` whose deposits and withdrawals are wraps " +
			"(repeatable; replaces the chain's known ones: mainnet WETH on Ethereum)"},
	}
}

// rpcURL is --rpc, else FREEZETRACE_RPC_<CHAIN>, else "".
func rpcURL(flag string, chain chains.Chain, getenv func(string) string) string {
	if flag != "" {
		return flag
	}
	return getenv("FREEZETRACE_RPC_" + strings.ToUpper(string(chain)))
}

// parseRPCFlags reads the flags of rpcFlags for chain, and its
// FREEZETRACE_RPC_<CHAIN> through getenv.
func parseRPCFlags(c *cli.Context, chain chains.Chain, getenv func(string) string) (rpcOptions, error) {
	o := rpcOptions{
		URL: rpcURL(c.String("rpc"), chain, getenv), Rate: c.Float64("rpc-rate"), Concurrency: c.Int("rpc-concurrency"),
		Retries: c.Int("rpc-retries"), MaxRange: c.Uint64("rpc-max-range"), NoBalances: c.Bool("rpc-no-balances"),
	}
	switch {
	case o.Rate < 0:
		return o, chains.Invalid(fmt.Errorf("--rpc-rate: want 0 or more, got %g", o.Rate))
	case o.Concurrency < 1:
		return o, chains.Invalid(fmt.Errorf("--rpc-concurrency: want 1 or more, got %d", o.Concurrency))
	case o.Retries < 0:
		return o, chains.Invalid(fmt.Errorf("--rpc-retries: want 0 or more, got %d", o.Retries))
	}
	if o.URL != "" && chain.Family() != chains.FamilyEVM {
		return o, usagef("freezetrace trace --help", "--rpc: %s is not an EVM chain", chain)
	}
	for _, w := range c.StringSlice("wrapper") {
		a, err := chain.ParseAddress(w)
		if err != nil {
			return o, chains.Invalid(fmt.Errorf("--wrapper %q: %w", w, err))
		}
		o.Wrappers = append(o.Wrappers, a)
	}
	return o, nil
}

// openRPC returns the EVM source for o, or nil when no URL is set. It sends
// nothing until first used.
func openRPC(ctx context.Context, chain chains.Chain, o rpcOptions) (*evm.Source, error) {
	if o.URL == "" {
		return nil, nil
	}
	retries := o.Retries
	if retries == 0 {
		retries = -1 // the transport reads 0 as its default
	}
	return evm.Dial(ctx, o.URL, chain, evm.Options{
		MaxRange:   o.MaxRange,
		HeadTTL:    headTTLNode,
		NoBalances: o.NoBalances,
		Wrappers:   o.Wrappers,
		FinalDepth: o.FinalDepth,
		Transport:  evm.TransportOptions{Rate: o.Rate, Concurrency: o.Concurrency, Retries: retries},
	})
}

// rpcProgress shows, on w when it is a terminal, what src has fetched:
// transfer histories, blocks covered, requests and their rate. The
// returned function stops it and clears the line.
func rpcProgress(ctx context.Context, src *evm.Source, w io.Writer) (stop func()) {
	f, ok := w.(*os.File)
	if src == nil || !ok || !term.IsTerminal(int(f.Fd())) {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		start, shown := time.Now(), false
		for {
			select {
			case <-ctx.Done():
				if shown {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-tick.C:
				st := src.Stats()
				if st.Requests == 0 {
					continue
				}
				fmt.Fprintf(w, "\r\033[K%s", progressLine(st, time.Since(start)))
				shown = true
			}
		}
	}()
	return func() { cancel(); <-done }
}

// progressLine is one line of rpcProgress.
func progressLine(st evm.Stats, elapsed time.Duration) string {
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(st.Requests) / s
	}
	line := fmt.Sprintf("rpc: %d histories, %d blocks covered, %d requests (%.1f/s)", st.Queries, st.Blocks, st.Requests, rate)
	if st.Retries > 0 {
		line += fmt.Sprintf(", %d retried", st.Retries)
	}
	return line
}

// parseUpstreamFlags reads where a trace's cache fetches what it lacks: a
// JSON-RPC node (--rpc or FREEZETRACE_RPC_<CHAIN>) and an explorer
// (--etherscan-key, --explorer-url) for EVM chains, TronGrid for TRON
// (--rpc, FREEZETRACE_RPC_TRON or FREEZETRACE_TRONGRID_URL, with the API
// key in FREEZETRACE_TRONGRID_KEY). Without any of them, or offline, it is
// the zero upstreamOptions: the trace answers from the database alone.
func parseUpstreamFlags(c *cli.Context, chain chains.Chain, offline bool, getenv func(string) string) (upstreamOptions, error) {
	var o upstreamOptions
	if offline {
		return o, nil
	}
	var err error
	if chain == chains.Tron {
		o.TronGrid, err = tronGridOptions(c.String("rpc"), getenv)
		return o, err
	}
	if o.RPC, err = parseRPCFlags(c, chain, getenv); err != nil {
		return o, err
	}
	o.Explorer, err = parseExplorerFlags(c, getenv)
	return o, err
}

// tronGridOptions reads TronGrid's options from the environment, with the
// URL from flag when given; BaseURL is "" when no URL is set.
func tronGridOptions(flag string, getenv func(string) string) (tron.Options, error) {
	base := rpcURL(flag, chains.Tron, getenv)
	if base == "" {
		base = getenv(tron.EnvURL)
	}
	if base == "" {
		return tron.Options{}, nil
	}
	to, err := tron.OptionsFromEnv(getenv)
	if err != nil {
		return tron.Options{}, err
	}
	to.BaseURL = base
	return to, nil
}

// upstreamName is what provenance records of a node: "rpc" and its scheme
// and host, never a path, query or user (where API keys live).
func upstreamName(endpoint string) string {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return "rpc"
	}
	return "rpc " + u.Scheme + "://" + u.Host
}

// headTTLNode is how long a node's head is reused within one run: the
// store bounds its queries by its own head, so the node's need not be
// asked again with every history.
const headTTLNode = 30 * time.Second
