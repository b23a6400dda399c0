package trace

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"freezetrace/chains"
)

// Holding is where the funds at one freeze target stand: the address's
// balance of the traced asset at one block, its newest outgoing transfer,
// where funds went after the trace, and whether the issuer has frozen it.
// Block is a live source's confirmed head when Live is set, else the end
// of the data the trace read: a reader must say "as of block N", never
// "still holds", for a holding that is not Live.
type Holding struct {
	Chain   chains.Chain   `json:"chain"`
	Address chains.Address `json:"address"`
	Asset   chains.AssetID `json:"asset"`
	// Traced is the taint that ended at the address.
	Traced chains.Amount `json:"traced"`
	Live   bool          `json:"live"`
	Block  uint64        `json:"block"`
	Time   time.Time     `json:"time,omitzero"` // Block's time, absent when unknown
	// Checked is when a live source was asked; absent when not Live.
	Checked time.Time `json:"checked,omitzero"`
	// Balance is the address's balance of Asset at Block; absent when it
	// is not known (Warnings say why).
	Balance *chains.Amount `json:"balance,omitempty"`
	// LastOut is the address's newest outgoing transfer of Asset up to
	// Block, once the taint had arrived; absent when there was none.
	LastOut *Movement `json:"last_out,omitempty"`
	// Onward are the outgoing transfers of Asset after the end of the
	// trace's data, up to Block, largest first (at most MaxOnward): where
	// funds went that the trace did not follow.
	Onward []Movement `json:"onward,omitempty"`
	// Freeze is the issuer's freeze status, absent when the asset has no
	// issuer who can freeze or it could not be read (Warnings say why).
	Freeze *chains.Freeze `json:"freeze,omitempty"`
	// Warnings are what could not be read, in plain sentences.
	Warnings []string `json:"warnings,omitempty"`
}

// Movement is one outgoing transfer from a freeze target.
type Movement struct {
	Tx     chains.TxHash  `json:"tx"`
	Block  uint64         `json:"block"`
	Time   time.Time      `json:"time,omitzero"`
	To     chains.Address `json:"to"`
	Amount chains.Amount  `json:"amount"`
}

// State is what a Holding says in one word.
type State string

// The states of a holding.
const (
	StateFrozen  State = "frozen"  // the issuer has frozen the address
	StateEmpty   State = "empty"   // the balance is zero
	StatePartial State = "partial" // less than the traced amount is left
	StateHolds   State = "holds"   // at least the traced amount is there
	StateUnknown State = "unknown" // the balance could not be read
)

// State classifies the holding. Frozen wins over every balance: frozen
// funds are out of the launderers' reach whatever they are.
func (h Holding) State() State {
	switch {
	case h.Freeze != nil && h.Freeze.Frozen:
		return StateFrozen
	case h.Balance == nil:
		return StateUnknown
	case h.Balance.IsZero():
		return StateEmpty
	case h.Balance.Cmp(h.Traced) < 0:
		return StatePartial
	}
	return StateHolds
}

// Actionable reports whether a freeze request for the holding is still
// worth sending: funds may be there and the issuer has not frozen them.
func (h Holding) Actionable() bool {
	s := h.State()
	return s == StateHolds || s == StatePartial || s == StateUnknown
}

// IsFreezeTarget reports whether an endpoint is a place whose funds a
// freeze request can stop: taint held at an address, or an exchange
// deposit address (the exchange freezes its customer's account). An
// exchange's own wallet is not: its funds are the exchange's.
func IsFreezeTarget(e Endpoint) bool {
	return e.Kind == KindHeld || (e.Kind == KindExchange && e.Category == chains.CategoryDeposit)
}

// HoldingOptions say at which block to read the freeze targets.
type HoldingOptions struct {
	// Block is the block to read at: a live source's confirmed head, or
	// the end of the stored data.
	Block uint64
	// Live says Block is a live source's head read at Now.
	Live bool
	Now  time.Time
	// MaxOnward bounds Holding.Onward (default 10).
	MaxOnward int
}

// Holdings reads where the funds of every freeze target of r stand at
// o.Block, in the order of r.Endpoints. What a source cannot answer
// (ErrUnsupported, ErrOffline) becomes a warning on the holding; any other
// error stops it. Offline, the balance falls back to the address's balance
// after its last ledger step, which the trace computed from the address's
// whole history.
func Holdings(ctx context.Context, src chains.Source, r *Result, o HoldingOptions) ([]Holding, error) {
	if o.MaxOnward == 0 {
		o.MaxOnward = 10
	}
	end := DataEnd(r)
	var out []Holding
	for _, e := range r.Endpoints {
		if !IsFreezeTarget(e) {
			continue
		}
		h, err := holding(ctx, src, r, e, o, end)
		if err != nil {
			return nil, fmt.Errorf("state of %s: %w", e.Address, err)
		}
		out = append(out, h)
	}
	return out, nil
}

func holding(ctx context.Context, src chains.Source, r *Result, e Endpoint, o HoldingOptions, end uint64) (Holding, error) {
	h := Holding{Chain: e.Chain, Address: e.Address, Asset: e.Asset, Traced: e.Amount, Live: o.Live, Block: o.Block}
	if o.Live {
		h.Checked = o.Now.UTC()
	}
	if t, err := src.BlockTime(ctx, e.Chain, o.Block); err == nil {
		h.Time = t.UTC()
	} else if !CannotAnswer(err) {
		return h, err
	} else {
		h.Time = flowTime(r, o.Block)
	}
	since := arrival(r, e)
	if err := h.readBalance(ctx, src, r, e); err != nil {
		return h, err
	}
	if err := h.readOutgoing(ctx, src, since, end, o.MaxOnward); err != nil {
		return h, err
	}
	if err := h.readFreeze(ctx, src, e, since); err != nil {
		return h, err
	}
	return h, nil
}

func (h *Holding) readBalance(ctx context.Context, src chains.Source, r *Result, e Endpoint) error {
	v, err := src.Balance(ctx, e.Chain, e.Address, e.Asset, h.Block)
	switch {
	case err == nil:
		h.Balance = &v
		return nil
	case !CannotAnswer(err):
		return err
	}
	if !h.Live {
		if b, at, ok := ledgerBalance(r, e); ok && at <= h.Block {
			h.Balance = &b
			return nil
		}
		if b, n, ok, err := StoredBalance(ctx, src, e.Address, e.Asset, h.Block); err != nil {
			return err
		} else if ok {
			h.Balance = &b
			h.Warnings = append(h.Warnings, StoredBalanceNote(n))
			return nil
		}
	}
	h.Warnings = append(h.Warnings, fmt.Sprintf("balance at block %d not known: %s", h.Block, WhyNot(err)))
	return nil
}

// readOutgoing finds the newest outgoing transfer since the taint arrived
// and those after the end of the trace's data.
func (h *Holding) readOutgoing(ctx context.Context, src chains.Source, since, end uint64, max int) error {
	ts, err := src.Transfers(ctx, chains.Query{Chain: h.Chain, Address: h.Address, Asset: h.Asset, From: since, To: h.Block})
	if err != nil {
		if !CannotAnswer(err) {
			return err
		}
		h.Warnings = append(h.Warnings, fmt.Sprintf("outgoing transfers after block %d not known: %s", since, WhyNot(err)))
		return nil
	}
	for _, t := range ts {
		if t.From != h.Address || t.To == h.Address || t.Amount.IsZero() {
			continue
		}
		m := Movement{Tx: t.Tx, Block: t.Block, Time: t.Time, To: t.To, Amount: t.Amount}
		h.LastOut = &m
		if t.Block > end {
			h.Onward = append(h.Onward, m)
		}
	}
	slices.SortStableFunc(h.Onward, func(a, b Movement) int {
		return cmp.Or(b.Amount.Cmp(a.Amount), cmp.Compare(a.Block, b.Block))
	})
	if len(h.Onward) > max {
		h.Warnings = append(h.Warnings, fmt.Sprintf("%d outgoing transfers after the trace; the %d largest are listed", len(h.Onward), max))
		h.Onward = h.Onward[:max]
	}
	return nil
}

// readFreeze asks the source for the issuer's freeze status and, when it
// cannot tell, looks for a frozen label (GraphSense's USDT blacklist).
func (h *Holding) readFreeze(ctx context.Context, src chains.Source, e Endpoint, since uint64) error {
	scheme, ok := chains.SchemeOf(e.Asset)
	if !ok {
		return nil
	}
	if fc, ok := src.(chains.FreezeChecker); ok {
		f, err := fc.FreezeStatus(ctx, e.Asset, e.Address, h.Block, since)
		switch {
		case err == nil:
			h.Freeze = &f
			if f.Frozen || h.Live {
				return nil
			}
		case !CannotAnswer(err):
			return err
		default:
			h.Warnings = append(h.Warnings, fmt.Sprintf("%s freeze status not read: %s", scheme.Issuer, WhyNot(err)))
		}
	}
	for _, l := range e.Labels {
		if l.Category == chains.CategoryFrozen && (l.Asset == nil || *l.Asset == e.Asset) {
			f := chains.Freeze{Frozen: true, Issuer: scheme.Issuer, Block: h.Block, Note: "listed as frozen by " + l.Source}
			if len(l.Evidence) > 0 {
				f.Tx = l.Evidence[0]
			}
			h.Freeze = &f
			return nil
		}
	}
	return nil
}

// CannotAnswer reports whether err says only that the source cannot
// answer (ErrUnsupported, ErrOffline, ErrNotFound), not that it failed.
func CannotAnswer(err error) bool {
	return errors.Is(err, chains.ErrUnsupported) || errors.Is(err, chains.ErrOffline) || errors.Is(err, chains.ErrNotFound)
}

// WhyNot says in a few words why a source could not answer.
func WhyNot(err error) string {
	switch {
	case errors.Is(err, chains.ErrOffline):
		return "offline, and the database holds no answer"
	case errors.Is(err, chains.ErrUnsupported):
		return "the source cannot answer it"
	}
	return "the source does not know it"
}

// StoredBalance is addr's balance at block totalled from the transfers a
// source holds (a chains.Totaler over [0, block]): offline, the balance as
// of the end of the data. n is how many transfers it rests on; ok is false
// when the source cannot total or holds none of asset for addr (a zero
// from no data would say "empty" where nothing is known).
func StoredBalance(ctx context.Context, src chains.Source, addr chains.Address, asset chains.AssetID, block uint64) (v chains.Amount, n int, ok bool, err error) {
	tt, can := src.(chains.Totaler)
	if !can {
		return chains.Amount{}, 0, false, nil
	}
	n, in, out, err := tt.Totals(ctx, chains.Query{Chain: asset.Chain, Address: addr, Asset: asset, From: 0, To: block})
	switch {
	case err != nil && CannotAnswer(err):
		return chains.Amount{}, 0, false, nil
	case err != nil:
		return chains.Amount{}, 0, false, err
	case n == 0:
		return chains.Amount{}, 0, false, nil
	}
	return in.SubFloor(out), n, true, nil
}

// StoredBalanceNote is the warning every balance from StoredBalance carries.
func StoredBalanceNote(n int) string {
	return fmt.Sprintf("balance totalled from the %d transfers in the database, which may not hold the address's whole history", n)
}

// arrival is the first block in which taint reached the endpoint.
func arrival(r *Result, e Endpoint) uint64 {
	first := uint64(0)
	for _, f := range r.Flows {
		if f.To == e.Address && f.Asset == e.Asset && (first == 0 || f.Block < first) {
			first = f.Block
		}
	}
	return first
}

// flowTime is the time of a traced transfer in block n, zero when none.
func flowTime(r *Result, n uint64) time.Time {
	for _, f := range r.Flows {
		if f.Block == n && !f.Time.IsZero() {
			return f.Time.UTC()
		}
	}
	return time.Time{}
}

// DataEnd is the newest block of the data the trace read.
func DataEnd(r *Result) uint64 {
	var end uint64
	for _, p := range r.Provenance {
		end = max(end, p.Block)
	}
	for _, f := range r.Flows {
		end = max(end, f.Block)
	}
	return end
}

// ledgerBalance is the address's balance after its last ledger step.
func ledgerBalance(r *Result, e Endpoint) (chains.Amount, uint64, bool) {
	for i := len(r.Ledger) - 1; i >= 0; i-- {
		s := r.Ledger[i]
		if s.Address == e.Address && s.Asset == e.Asset {
			return s.Balance, s.Block, true
		}
	}
	return chains.Amount{}, 0, false
}
