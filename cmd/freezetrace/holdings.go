package main

import (
	"context"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/store"
	"freezetrace/trace"
)

// readHoldings sets res.Holdings: every freeze target's balance and issuer
// freeze status at the live source's confirmed head when there is one
// (the head and the time it was fetched are stored for headTTL, so a warm
// re-run asks nothing and writes the same), else as of the end of the
// data the trace read. A non-zero stamp is the time recorded as the
// check's (report --refresh --at); otherwise it is when the head was fetched.
func readHoldings(ctx context.Context, src *store.Source, res *trace.Result, chain chains.Chain, stamp time.Time) error {
	o := trace.HoldingOptions{Block: trace.DataEnd(res), Now: stamp}
	head, fetched, live, err := src.ConfirmedHead(ctx, chain)
	if err != nil {
		return err
	}
	if live {
		o.Block, o.Live = head, true
		if stamp.IsZero() {
			o.Now = fetched
		}
	}
	hs, err := trace.Holdings(ctx, src, res, o)
	if err != nil {
		return err
	}
	res.Holdings = hs
	return nil
}
