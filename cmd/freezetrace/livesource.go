package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"freezetrace/chains"
	"freezetrace/chains/store"
)

// liveOptions say where a command reads a chain as it is now: the
// database, and the upstream (a node, an explorer, TronGrid) the cache
// fetches what it lacks from. Plain data, as the flags give it; openLive
// opens it.
type liveOptions struct {
	DB       string
	Chain    chains.Chain
	Offline  bool
	Upstream upstreamOptions // zero: the database alone
	// Confirmations is how far below the upstream's head a block must be
	// to be cached, and to be the head balances are read at.
	Confirmations uint64
	// HeadTTL is how long a fetched head stays fresh: a re-run inside it
	// reads the same head (and asks nothing); 0 asks the upstream.
	HeadTTL time.Duration
}

// liveFlags are the flags of a command that reads a chain through the
// cache: --db, --offline, --confirmations and the upstream's (rpcFlags,
// which also name TronGrid for TRON, and explorerFlags), as the trace
// command has them.
func liveFlags() []cli.Flag {
	return append([]cli.Flag{
		dbFlag(),
		&cli.BoolFlag{Name: "offline", Usage: "answer from the database only, never fetch"},
		&cli.Uint64Flag{Name: "confirmations", Value: 12, Usage: "cache only blocks at least `N` below the node's head, so a reorg cannot change a cached trace"},
		&cli.DurationFlag{Name: "head-ttl", Value: headTTL, Usage: "reuse a head fetched less than `DURATION` ago (0: always ask the node)"},
	}, append(rpcFlags(), explorerFlags()...)...)
}

// parseLiveFlags reads liveFlags for chain, and the environment through
// getenv for the upstream's URLs and keys.
func parseLiveFlags(c *cli.Context, chain chains.Chain, getenv func(string) string) (liveOptions, error) {
	o := liveOptions{Chain: chain, Offline: c.Bool("offline"), Confirmations: c.Uint64("confirmations"), HeadTTL: c.Duration("head-ttl")}
	if o.HeadTTL < 0 {
		return o, chains.Invalid(fmt.Errorf("--head-ttl %s: want 0 or more", o.HeadTTL))
	}
	var err error
	if o.DB, err = dbPath(c); err != nil {
		return o, err
	}
	o.Upstream, err = parseUpstreamFlags(c, chain, o.Offline, getenv)
	return o, err
}

// liveSource is an opened liveOptions: the cache over the upstream.
type liveSource struct {
	db  *store.DB
	src *store.Source
	up  *upstream
}

// openLive opens the upstream and the database. With no upstream, a
// missing database is a usage error (there is nothing to read). The
// caller closes it.
func openLive(ctx context.Context, o liveOptions) (*liveSource, error) {
	// The node trusts no block as final that the cache would not keep.
	o.Upstream.RPC.FinalDepth = o.Confirmations
	up, err := openUpstream(ctx, o.Chain, o.Upstream)
	if err != nil {
		return nil, err
	}
	if up.src == nil {
		if _, err := os.Stat(o.DB); errors.Is(err, os.ErrNotExist) {
			up.Close()
			return nil, usagef("freezetrace import --db "+o.DB+" FILE…", "no database at %s: import data first", o.DB)
		}
	}
	db, err := store.Open(ctx, o.DB)
	if err != nil {
		up.Close()
		return nil, err
	}
	src := store.NewSource(db, up.src, store.Options{Name: up.name, Offline: o.Offline,
		ConfirmDepth: o.Confirmations, HeadTTL: o.HeadTTL, MaxRange: storePiece(o.Chain)})
	return &liveSource{db: db, src: src, up: up}, nil
}

// Close closes the database, then the upstream.
func (l *liveSource) Close() {
	l.db.Close()
	l.up.Close()
}
