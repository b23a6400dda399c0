package trace

import (
	"errors"
	"fmt"

	"freezetrace/chains"
)

// opening is an address's ledger as the walk enters it: its balance at
// the start of the block, how that was found, and the first page.
type opening struct {
	balance chains.Amount
	ledger  []chains.Transfer // the first page
	more    uint64            // where the next page starts (0: none)
	detail  string
}

// ledgerPage is how many transfers of one address's ledger the walk holds
// at a time, when the source can page (chains.Pager): a ledger of millions
// is streamed, never held whole, and thousands of addresses walked at once
// hold a page each at most.
const ledgerPage = 1024

// ready makes sure x's next ledger event is loaded, reading the next page
// when the loaded one is used up; false when the ledger is over.
func (w *walker) ready(x *node) (bool, error) {
	for x.next >= len(x.ledger) {
		if x.more == 0 {
			x.ledger, x.next = nil, 0 // the ledger is over: let its last page go
			return false, nil
		}
		ts, more, err := w.read(chains.Query{Chain: w.c.Chain, Address: x.addr, Asset: x.asset, From: x.more, To: chains.Latest})
		if err != nil {
			return false, fmt.Errorf("ledger of %s from block %d: %w", x.addr, x.more, err)
		}
		x.ledger, x.next, x.more = ts, 0, more
	}
	return true, nil
}

// read returns the first page of q (all of it when the source cannot
// page) and where the next page starts (0: none).
func (w *walker) read(q chains.Query) ([]chains.Transfer, uint64, error) {
	var ts []chains.Transfer
	var more uint64
	var err error
	if p, ok := w.src.(chains.Pager); ok {
		ts, more, err = p.TransfersPage(w.ctx, q, ledgerPage)
	} else {
		ts, err = w.src.Transfers(w.ctx, q)
	}
	if err != nil {
		return nil, 0, err
	}
	return ts, more, nil
}

// open reads the ledger of addr from block b on (its first page), and its
// balance at the start of block b: from the source's state at block b−1
// when it has it, else from the whole history the source has: totalled by
// the source when it can (chains.Totaler), else read whole.
func (w *walker) open(addr chains.Address, asset chains.AssetID, b uint64) (*opening, error) {
	q := chains.Query{Chain: w.c.Chain, Address: addr, Asset: asset, From: b, To: chains.Latest}
	if b > 0 {
		bal, err := w.src.Balance(w.ctx, w.c.Chain, addr, asset, b-1)
		switch {
		case err == nil:
			ts, more, err := w.read(q)
			if err != nil {
				return nil, fmt.Errorf("ledger of %s from block %d: %w", addr, b, err)
			}
			return &opening{bal, ts, more, fmt.Sprintf("opening balance: balance at the end of block %d, from the source", b-1)}, nil
		case errors.Is(err, chains.ErrUnsupported), errors.Is(err, chains.ErrOffline), errors.Is(err, chains.ErrNotFound):
		default:
			return nil, fmt.Errorf("balance of %s at block %d: %w", addr, b-1, err)
		}
	}
	var in, out chains.Amount
	n := 0
	count := func(ts []chains.Transfer) int {
		i := 0
		for ; i < len(ts) && ts[i].Block < b; i++ {
			if ts[i].From == ts[i].To {
				continue
			}
			if ts[i].To == addr {
				in = in.Add(ts[i].Amount)
			} else {
				out = out.Add(ts[i].Amount)
			}
		}
		n += i
		return i
	}
	var ts []chains.Transfer
	var more uint64
	if tl, ok := w.src.(chains.Totaler); ok && b > 0 {
		// The history before b, totalled by the source, then the
		// ledger's first page.
		var err error
		var bin, bout chains.Amount
		if n, bin, bout, err = tl.Totals(w.ctx, chains.Query{Chain: w.c.Chain, Address: addr, Asset: asset, From: 0, To: b - 1}); err != nil {
			return nil, fmt.Errorf("ledger of %s: %w", addr, err)
		}
		in, out = in.Add(bin), out.Add(bout)
		if ts, more, err = w.read(q); err != nil {
			return nil, fmt.Errorf("ledger of %s from block %d: %w", addr, b, err)
		}
	} else {
		// The whole history, then the part from b on is the ledger.
		q.From = 0
		all, err := w.src.Transfers(w.ctx, q)
		if err != nil {
			return nil, fmt.Errorf("ledger of %s: %w", addr, err)
		}
		ts = all[count(all):]
	}
	bal := in.SubFloor(out)
	d := fmt.Sprintf("opening balance: %d earlier transfers in the data: in %s − out %s", n, in, out)
	if out.Cmp(in) > 0 {
		d += " (history incomplete: taken as 0)"
	}
	return &opening{bal, ts, more, d}, nil
}
