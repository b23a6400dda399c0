package sourcetest

import (
	"cmp"
	"errors"
	"slices"

	"freezetrace/chains"
)

// checkEventReader: TxEvents answers every transaction of the truth its
// events (Harness.Events; none for one not listed), in position order,
// each once, with the transaction's chain and hash; an unknown transaction
// is chains.ErrNotFound. It is not one of Capabilities (a harness need not
// name it): a source that is no chains.EventReader is skipped, and so is
// one that relays an upstream that is not (chains.ErrUnsupported) or an
// offline cache holding no events (chains.ErrOffline).
func checkEventReader(c *checker) {
	er, ok := c.src.(chains.EventReader)
	if !ok {
		c.skip("not implemented: the source is no chains.EventReader")
		return
	}
	want := map[chains.TxHash][]chains.TxEvent{}
	for _, e := range c.h.Events {
		if _, ok := c.tr.byTx[e.Tx]; !ok || e.Chain != c.tr.chain {
			c.failf("harness: event at position %d of %s on %s is not of a transaction of the truth", e.Position, e.Tx, e.Chain)
		}
		want[e.Tx] = append(want[e.Tx], e)
	}
	for _, tx := range c.tr.txs {
		got, err := er.TxEvents(c.ctx, c.tr.chain, tx)
		switch {
		case errors.Is(err, chains.ErrUnsupported) || (c.h.Offline && errors.Is(err, chains.ErrOffline)):
			c.skip("TxEvents %s: %v", tx, err)
			return
		case err != nil:
			c.failf("TxEvents %s: %v", tx, err)
			continue
		case got == nil:
			c.failf("TxEvents %s: nil, want a slice (empty when it emitted none)", tx)
		}
		for i, e := range got {
			if e.Chain != c.tr.chain || e.Tx != tx {
				c.failf("TxEvents %s: event %d is of %s on %s", tx, i, e.Tx, e.Chain)
			}
			if i > 0 && e.Position <= got[i-1].Position {
				c.failf("TxEvents %s: event %d at position %d does not come after position %d", tx, i, e.Position, got[i-1].Position)
			}
		}
		w := slices.SortedStableFunc(slices.Values(want[tx]), func(a, b chains.TxEvent) int { return cmp.Compare(a.Position, b.Position) })
		if !slices.Equal(got, w) {
			c.failf("TxEvents %s: got %+v, want %+v", tx, got, w)
		}
	}
	if got, err := er.TxEvents(c.ctx, c.tr.chain, unknownTx); !errors.Is(err, chains.ErrNotFound) {
		c.failf("TxEvents of an unknown transaction: got %d events, error %v; want chains.ErrNotFound", len(got), err)
	}
}
