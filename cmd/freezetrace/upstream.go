package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/evm"
	"freezetrace/chains/explorer"
	"freezetrace/chains/tron"
)

// Environment variables of the explorer flags.
const (
	envEtherscanKey  = "ETHERSCAN_API_KEY"
	envFTExplorerKey = "FREEZETRACE_ETHERSCAN_KEY"
	envExplorerURL   = "FREEZETRACE_EXPLORER_URL"
)

// explorerOptions are the flags that point a command at an
// Etherscan-compatible explorer API.
type explorerOptions struct {
	URL  string
	Key  string // secret
	Rate float64
}

// explorerFlags are the flags of a command that can read address histories
// from an explorer.
func explorerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "etherscan-key", Usage: "Etherscan API v2 `KEY` (one key for every EVM chain): address histories come from the explorer " +
			"(default: $" + envFTExplorerKey + " or $" + envEtherscanKey + "); never printed or stored"},
		&cli.StringFlag{Name: "explorer-url", Usage: "an Etherscan-compatible API `URL` (a Blockscout /api, a mirror) instead of Etherscan v2 " +
			"(default: $" + envExplorerURL + ")"},
		&cli.Float64Flag{Name: "explorer-rate", Value: 3, Usage: "at most `N` requests per second to the explorer (Etherscan's free tier: 3)"},
	}
}

// parseExplorerFlags reads the explorer flags; URL and Key are both empty
// when no explorer is asked for.
func parseExplorerFlags(c *cli.Context, getenv func(string) string) (explorerOptions, error) {
	o := explorerOptions{URL: c.String("explorer-url"), Key: c.String("etherscan-key"), Rate: c.Float64("explorer-rate")}
	if o.URL == "" {
		o.URL = getenv(envExplorerURL)
	}
	if o.Key == "" {
		o.Key = getenv(envFTExplorerKey)
	}
	if o.Key == "" {
		o.Key = getenv(envEtherscanKey)
	}
	if o.Rate <= 0 {
		return o, chains.Invalid(fmt.Errorf("--explorer-rate: want more than 0, got %g", o.Rate))
	}
	return o, nil
}

// counter names an upstream and counts its requests.
type counter struct {
	name string
	n    func() int64
}

// upstreamOptions say where a trace's cache fetches what it lacks, as the
// flags and the environment give it; openUpstream opens it. The zero value
// is none: the trace answers from the database alone.
type upstreamOptions struct {
	RPC      rpcOptions      // an EVM node; URL "" for none
	Explorer explorerOptions // an EVM chain's explorer; URL and Key "" for none
	TronGrid tron.Options    // TRON's API; BaseURL "" for none
}

// upstream is where a trace's cache fetches what it lacks, with what it
// needs to report and to close.
type upstream struct {
	src      chains.Source // nil for none
	name     string        // for provenance: no secrets
	roles    string        // which source answers what, for the summary
	counters []counter     // requests per source
	evm      *evm.Source   // the node, if any, for its progress
	opened   []any         // every source opened, for Close
}

// openUpstream opens the sources o names for chain; they send nothing
// until first used. Its src is nil when o names none. The caller closes it.
func openUpstream(ctx context.Context, chain chains.Chain, o upstreamOptions) (*upstream, error) {
	if chain == chains.Tron {
		return tronUpstream(o.TronGrid)
	}
	return evmUpstream(ctx, chain, o.RPC, o.Explorer)
}

// Close closes every source the upstream opened that has a Close method,
// the newest first. (Only the node has one: the explorer and TronGrid
// sources hold nothing but an HTTP client.)
func (u *upstream) Close() {
	for i := len(u.opened) - 1; i >= 0; i-- {
		switch c := u.opened[i].(type) {
		case interface{ Close() }:
			c.Close()
		case io.Closer:
			c.Close()
		}
	}
	u.opened = nil
}

// tronUpstream is TronGrid, or none when o has no URL.
func tronUpstream(o tron.Options) (*upstream, error) {
	if o.BaseURL == "" {
		return &upstream{}, nil
	}
	src, err := tron.New(o)
	if err != nil {
		return nil, chains.Invalid(fmt.Errorf("--rpc: %w", err))
	}
	name := src.Name()
	return &upstream{src: src, name: name, roles: "everything from " + name, counters: []counter{{name, src.Requests}}, opened: []any{src}}, nil
}

// evmUpstream combines a JSON-RPC node and an explorer for an EVM chain:
// either alone, or histories from the explorer and everything else
// (receipts and positions, code, balances, blocks) from the node; none
// (src nil) when neither is set.
func evmUpstream(ctx context.Context, chain chains.Chain, ro rpcOptions, eo explorerOptions) (*upstream, error) {
	node, err := openRPC(ctx, chain, ro)
	if err != nil {
		return nil, err
	}
	up := &upstream{evm: node}
	if node != nil {
		up.opened = append(up.opened, node)
		up.counters = append(up.counters, counter{upstreamName(node.Endpoint()), func() int64 { return node.Stats().Requests }})
	}
	if eo.URL == "" && eo.Key == "" {
		if node != nil {
			up.src, up.name = node, upstreamName(node.Endpoint())
			up.roles = "everything from " + up.name
		}
		return up, nil
	}
	xo := explorer.Options{BaseURL: eo.URL, APIKey: eo.Key, Chain: chain, Rate: eo.Rate}
	if node != nil {
		xo.Positions = node
	} else {
		// Positions from the explorer's own receipts: one request more per
		// transaction, but never two transfers sharing a position.
		xo.ExactPositions = true
	}
	x, err := explorer.New(xo)
	if err != nil {
		up.Close()
		return nil, err
	}
	up.opened = append(up.opened, x)
	up.counters = append([]counter{{x.Name(), x.Requests}}, up.counters...)
	if node == nil {
		up.src, up.name = x, x.Name()+" (positions: "+x.PositionRule()+")"
		up.roles = "everything from " + x.Name() + "; balances are rebuilt from history (an explorer has no past balances)"
		return up, nil
	}
	up.src = &split{history: x, state: node}
	up.name = x.Name() + " (histories) + " + upstreamName(node.Endpoint()) + " (receipts, positions, code, balances, blocks)"
	up.roles = "address histories from " + x.Name() + "; receipts, transfer positions, code, balances and blocks from " + upstreamName(node.Endpoint())
	return up, nil
}

// split answers address histories from an explorer and every other
// question from a node: explorers list an address's transfers in a few
// pages where eth_getLogs needs many ranges (and a trace API for native
// coin), while the node has receipts, code and past balances.
type split struct {
	history *explorer.Source
	state   *evm.Source
}

var (
	_ chains.Source      = (*split)(nil)
	_ chains.PairFinder  = (*split)(nil)
	_ chains.BlockFinder = (*split)(nil)
	_ chains.HeadReader  = (*split)(nil)
	_ chains.BlockHasher = (*split)(nil)
	_ chains.EventReader = (*split)(nil)
)

// Transfers reads the history from the explorer, then the headers of its
// blocks from the node in one batch, so that the cache's reorg check
// (BlockHash per block) is answered from them.
func (s *split) Transfers(ctx context.Context, q chains.Query) ([]chains.Transfer, error) {
	ts, err := s.history.Transfers(ctx, q)
	if err != nil || len(ts) == 0 {
		return ts, err
	}
	var blocks []uint64
	for _, t := range ts {
		if n := len(blocks); n == 0 || blocks[n-1] != t.Block {
			blocks = append(blocks, t.Block)
		}
	}
	slices.Sort(blocks)
	if _, err := s.state.Headers(ctx, q.Chain, slices.Compact(blocks)); err != nil {
		return nil, err
	}
	return ts, nil
}

// TransfersBetween asks the node (one filtered eth_getLogs) and the
// explorer for what the node cannot filter (native coin).
func (s *split) TransfersBetween(ctx context.Context, q chains.PairQuery) ([]chains.Transfer, error) {
	ts, err := s.state.TransfersBetween(ctx, q)
	if errors.Is(err, chains.ErrUnsupported) {
		return s.history.TransfersBetween(ctx, q)
	}
	return ts, err
}

func (s *split) TxTransfers(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.Transfer, error) {
	return s.state.TxTransfers(ctx, c, tx)
}

// TxEvents reads a transaction's events from the node's receipt, as
// TxTransfers does.
func (s *split) TxEvents(ctx context.Context, c chains.Chain, tx chains.TxHash) ([]chains.TxEvent, error) {
	return s.state.TxEvents(ctx, c, tx)
}

func (s *split) Asset(ctx context.Context, id chains.AssetID) (chains.Asset, error) {
	return s.state.Asset(ctx, id)
}

func (s *split) IsContract(ctx context.Context, c chains.Chain, a chains.Address) (bool, error) {
	return s.state.IsContract(ctx, c, a)
}

func (s *split) Balance(ctx context.Context, c chains.Chain, a chains.Address, asset chains.AssetID, block uint64) (chains.Amount, error) {
	return s.state.Balance(ctx, c, a, asset, block)
}

func (s *split) BlockTime(ctx context.Context, c chains.Chain, n uint64) (time.Time, error) {
	return s.state.BlockTime(ctx, c, n)
}

func (s *split) BlockAt(ctx context.Context, c chains.Chain, t time.Time) (uint64, error) {
	return s.history.BlockAt(ctx, c, t)
}

func (s *split) Head(ctx context.Context, c chains.Chain) (uint64, error) {
	return s.state.Head(ctx, c)
}

func (s *split) BlockHash(ctx context.Context, c chains.Chain, n uint64) ([32]byte, error) {
	return s.state.BlockHash(ctx, c, n)
}

// requestLines are the summary's lines saying how many requests went to
// each upstream.
func requestLines(cs []counter) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "%d requests to %s.\n", c.n(), c.name)
	}
	return b.String()
}
