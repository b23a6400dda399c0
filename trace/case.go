package trace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains"
)

// Case says which payments are the victims' money. Its three forms combine;
// every payment found becomes one Origin, in canonical order.
type Case struct {
	Chain chains.Chain
	// Asset is the traced asset; transfers of other assets never carry taint.
	Asset chains.AssetID
	// Payments are victim payments named by transaction.
	Payments []Payment
	// Victims and Deposits: every payment of the asset from a victim address
	// to a scam deposit address is a victim payment.
	Victims  []chains.Address
	Deposits []chains.Address
	// Window limits the payments found from Victims/Deposits. With Deposits
	// and no Victims, every inflow to a deposit address inside the window is
	// treated as proceeds, and the window is required.
	Window Window
}

// Window is a closed time interval; a zero bound is open.
type Window struct {
	From, To time.Time
}

// IsZero reports whether neither bound is set.
func (w Window) IsZero() bool { return w.From.IsZero() && w.To.IsZero() }

// Contains reports whether t lies in the window.
func (w Window) Contains(t time.Time) bool {
	return (w.From.IsZero() || !t.Before(w.From)) && (w.To.IsZero() || !t.After(w.To))
}

// Payment names one victim payment by transaction hash and, when the
// transaction moves several transfers of the traced asset, by position.
type Payment struct {
	Tx          chains.TxHash
	Position    uint32
	HasPosition bool
}

// String writes "HASH" or "HASH:POSITION".
func (p Payment) String() string {
	if p.HasPosition {
		return p.Tx.String() + ":" + strconv.FormatUint(uint64(p.Position), 10)
	}
	return p.Tx.String()
}

// ParsePayment reads "HASH" or "HASH:POSITION" (the position is the log
// index for token transfers). Errors are input errors.
func ParsePayment(s string) (Payment, error) {
	hs, ps, hasPos := strings.Cut(strings.TrimSpace(s), ":")
	h, err := chains.ParseTxHash(hs)
	if err != nil {
		return Payment{}, chains.Invalid(fmt.Errorf("victim payment %q: %w", s, err))
	}
	p := Payment{Tx: h}
	if hasPos {
		n, err := strconv.ParseUint(ps, 10, 32)
		if err != nil {
			return Payment{}, chains.Invalid(fmt.Errorf("victim payment %q: position %q is not a whole number", s, ps))
		}
		p.Position, p.HasPosition = uint32(n), true
	}
	return p, nil
}

func (c Case) validate() error {
	if !c.Chain.Valid() {
		return chains.Invalid(fmt.Errorf("case: unknown chain %q", c.Chain))
	}
	if c.Asset.Chain != c.Chain {
		return chains.Invalid(fmt.Errorf("case: asset %s is not on chain %s", c.Asset, c.Chain))
	}
	if len(c.Payments) == 0 && len(c.Victims) == 0 && len(c.Deposits) == 0 {
		return chains.Invalid(errors.New("case: no victim payment given (want victim transactions, victim and deposit addresses, or deposit addresses and a time window)"))
	}
	if len(c.Victims) > 0 && len(c.Deposits) == 0 {
		return chains.Invalid(errors.New("case: victim addresses need the scam deposit addresses they paid"))
	}
	if len(c.Deposits) > 0 && len(c.Victims) == 0 && c.Window.IsZero() {
		return chains.Invalid(errors.New("case: deposit addresses without victim addresses need a time window (from/to)"))
	}
	if !c.Window.From.IsZero() && !c.Window.To.IsZero() && c.Window.To.Before(c.Window.From) {
		return chains.Invalid(fmt.Errorf("case: window ends (%s) before it starts (%s)", c.Window.To.Format(time.RFC3339), c.Window.From.Format(time.RFC3339)))
	}
	return nil
}

// resolve finds every victim payment of the case, deduplicated, in
// canonical order.
func (c Case) resolve(ctx context.Context, src chains.Source) ([]chains.Transfer, map[chains.TransferKey]string, error) {
	if err := c.validate(); err != nil {
		return nil, nil, err
	}
	found := map[chains.TransferKey]chains.Transfer{}
	victim := map[chains.TransferKey]string{}
	for _, p := range c.Payments {
		ts, err := c.payment(ctx, src, p)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			found[t.Key()] = t
		}
	}
	lo, hi, err := c.blocks(ctx, src)
	if err != nil {
		return nil, nil, err
	}
	for _, v := range c.Victims {
		n := 0
		for _, d := range c.Deposits {
			ts, err := paymentsBetween(ctx, src, chains.PairQuery{Chain: c.Chain, Asset: c.Asset, From: v, To: d, FromBlock: lo, ToBlock: hi})
			if err != nil {
				return nil, nil, fmt.Errorf("payments of victim %s to %s: %w", v, d, err)
			}
			for _, t := range ts {
				if !t.Amount.IsZero() && c.Window.Contains(t.Time) {
					found[t.Key()] = t
					victim[t.Key()] = v.String()
					n++
				}
			}
		}
		if n == 0 {
			return nil, nil, chains.Invalid(fmt.Errorf("case: no payment of %s from victim %s to the deposit addresses in the data", c.Asset, v))
		}
	}
	if len(c.Victims) == 0 {
		for _, d := range c.Deposits {
			ts, err := src.Transfers(ctx, chains.Query{Chain: c.Chain, Address: d, Asset: c.Asset, From: lo, To: hi})
			if err != nil {
				return nil, nil, fmt.Errorf("inflows of deposit %s: %w", d, err)
			}
			for _, t := range ts {
				if t.To == d && t.From != d && !t.Amount.IsZero() && c.Window.Contains(t.Time) {
					found[t.Key()] = t
				}
			}
		}
	}
	if len(found) == 0 {
		return nil, nil, chains.Invalid(errors.New("case: no victim payment found in the data"))
	}
	out := make([]chains.Transfer, 0, len(found))
	for _, t := range found {
		out = append(out, t)
	}
	slices.SortFunc(out, chains.Compare)
	return out, victim, nil
}

// blocks turns the case's window into the block range that holds it, when
// the source can find blocks by time; else the whole chain [0, Latest].
// Payments are still checked against the window's times.
func (c Case) blocks(ctx context.Context, src chains.Source) (lo, hi uint64, err error) {
	lo, hi = 0, chains.Latest
	bf, ok := src.(chains.BlockFinder)
	if !ok || c.Window.IsZero() {
		return lo, hi, nil
	}
	at := func(t time.Time) (uint64, bool, error) {
		n, err := bf.BlockAt(ctx, c.Chain, t)
		switch {
		case err == nil:
			return n, true, nil
		case errors.Is(err, chains.ErrNotFound), errors.Is(err, chains.ErrOffline), errors.Is(err, chains.ErrUnsupported):
			return 0, false, nil
		}
		return 0, false, fmt.Errorf("case: block at %s: %w", t.Format(time.RFC3339), err)
	}
	if !c.Window.From.IsZero() {
		if n, ok, err := at(c.Window.From); err != nil {
			return 0, 0, err
		} else if ok {
			lo = n
		}
	}
	if !c.Window.To.IsZero() {
		// The first block after the window's end bounds it (inclusive: one
		// block more than needed, filtered by time).
		if n, ok, err := at(c.Window.To.Add(time.Second)); err != nil {
			return 0, 0, err
		} else if ok {
			hi = n
		}
	}
	return lo, max(lo, hi), nil
}

// paymentsBetween returns the transfers from q.From to q.To in the range:
// one filtered query when the source has one, else the sender's history.
func paymentsBetween(ctx context.Context, src chains.Source, q chains.PairQuery) ([]chains.Transfer, error) {
	if pf, ok := src.(chains.PairFinder); ok {
		ts, err := pf.TransfersBetween(ctx, q)
		if !errors.Is(err, chains.ErrUnsupported) {
			return ts, err
		}
	}
	return chains.BetweenFromHistory(ctx, src, q)
}

// payment finds the transfers a Payment names: the one at its position,
// or every transfer of the asset the transaction moved when one address
// (the payer) sent them all.
func (c Case) payment(ctx context.Context, src chains.Source, p Payment) ([]chains.Transfer, error) {
	ts, err := src.TxTransfers(ctx, c.Chain, p.Tx)
	if errors.Is(err, chains.ErrNotFound) {
		return nil, chains.Invalid(fmt.Errorf("victim payment %s: transaction not found in the data", c.Chain.FormatTx(p.Tx)))
	}
	if err != nil {
		return nil, fmt.Errorf("victim payment %s: %w", c.Chain.FormatTx(p.Tx), err)
	}
	var match []chains.Transfer
	for _, t := range ts {
		if t.Asset == c.Asset && !t.Amount.IsZero() && (!p.HasPosition || t.Position == p.Position) {
			match = append(match, t)
		}
	}
	switch {
	case len(match) == 1:
		return match, nil
	case len(match) == 0 && p.HasPosition:
		return nil, chains.Invalid(fmt.Errorf("victim payment %s: no non-zero transfer of %s at position %d", p, c.Asset, p.Position))
	case len(match) == 0:
		return nil, chains.Invalid(fmt.Errorf("victim payment %s: the transaction moves no non-zero %s", c.Chain.FormatTx(p.Tx), c.Asset))
	case onePayer(match):
		return match, nil
	}
	var names []string
	for _, t := range match {
		names = append(names, fmt.Sprintf("%s:%d (%s → %s, %s)", c.Chain.FormatTx(t.Tx), t.Position, t.From, t.To, t.Amount))
	}
	return nil, chains.Invalid(fmt.Errorf("victim payment %s moves %d transfers of %s from different senders; name one as HASH:POSITION: %s",
		c.Chain.FormatTx(p.Tx), len(match), c.Asset, strings.Join(names, ", ")))
}

// onePayer reports whether every transfer was sent by the same address.
func onePayer(ts []chains.Transfer) bool {
	for _, t := range ts[1:] {
		if t.From != ts[0].From {
			return false
		}
	}
	return true
}
