package trace

import (
	"fmt"
	"time"

	"freezetrace/chains"
)

// CheckTimes reports, as an input error, the first time in r that
// trace.json cannot hold: RFC 3339 has four-digit years, so a time before
// year 0 or after 9999 (a block time a database imported before such
// times were refused, or a source, got wrong) cannot be written, nor read
// back. The error names the block and the transaction that carry it.
// WriteJSON and WriteLedgerCSV check with it before they write anything.
func CheckTimes(r *Result) error {
	if err := timesOf(r); err != nil {
		return chains.Invalid(err)
	}
	return nil
}

// timesOf is CheckTimes, the error not yet marked as an input error.
func timesOf(r *Result) error {
	if r.Params.Until != nil {
		if err := timeOK(*r.Params.Until); err != nil {
			return fmt.Errorf("params: until: %w", err)
		}
	}
	for _, p := range r.Provenance {
		if err := timeOK(p.Retrieved); err != nil {
			return fmt.Errorf("provenance of %s (%s): retrieved: %w", p.Chain, p.Source, err)
		}
	}
	for _, o := range r.Origins {
		if err := timeOK(o.Time); err != nil {
			return fmt.Errorf("source %s, tx %s in block %d of %s: %w", o.ID, o.Chain.FormatTx(o.Tx), o.Block, o.Chain, err)
		}
	}
	for _, f := range r.Flows {
		if err := timeOK(f.Time); err != nil {
			return fmt.Errorf("flow tx %s in block %d of %s: %w", f.Chain.FormatTx(f.Tx), f.Block, f.Chain, err)
		}
	}
	if err := ledgerTimesOf(r); err != nil {
		return err
	}
	for _, h := range r.Holdings {
		if err := holdingTimes(h); err != nil {
			return fmt.Errorf("holding %s: %w", h.Address, err)
		}
	}
	return nil
}

// ledgerTimes is CheckTimes for the ledger alone, all that ledger.csv
// writes.
func ledgerTimes(r *Result) error {
	if err := ledgerTimesOf(r); err != nil {
		return chains.Invalid(err)
	}
	return nil
}

func ledgerTimesOf(r *Result) error {
	for _, s := range r.Ledger {
		if err := timeOK(s.Time); err != nil {
			tx := "an opening balance"
			if !s.Tx.IsZero() {
				tx = "tx " + s.Chain.FormatTx(s.Tx)
			}
			return fmt.Errorf("ledger step %d (%s in block %d of %s): %w", s.Seq, tx, s.Block, s.Chain, err)
		}
	}
	return nil
}

func holdingTimes(h Holding) error {
	if err := timeOK(h.Time); err != nil {
		return fmt.Errorf("block %d: %w", h.Block, err)
	}
	if err := timeOK(h.Checked); err != nil {
		return fmt.Errorf("checked: %w", err)
	}
	for _, m := range h.Onward {
		if err := timeOK(m.Time); err != nil {
			return fmt.Errorf("tx %s in block %d: %w", h.Chain.FormatTx(m.Tx), m.Block, err)
		}
	}
	if m := h.LastOut; m != nil {
		if err := timeOK(m.Time); err != nil {
			return fmt.Errorf("tx %s in block %d: %w", h.Chain.FormatTx(m.Tx), m.Block, err)
		}
	}
	if f := h.Freeze; f != nil {
		if err := timeOK(f.TxTime); err != nil {
			return fmt.Errorf("freeze tx %s in block %d: %w", h.Chain.FormatTx(f.Tx), f.TxBlock, err)
		}
	}
	return nil
}

// timeOK reports a time that RFC 3339 cannot write, in its own zone or in
// UTC (ledger.csv writes UTC).
func timeOK(t time.Time) error {
	if y, u := t.Year(), t.UTC().Year(); y < 0 || y > 9999 || u < 0 || u > 9999 {
		return fmt.Errorf("time %s is outside the years 0 to 9999 that trace.json can hold: the block time is wrong (re-import the blocks file, or check the source)",
			t.UTC().Format(time.RFC3339))
	}
	return nil
}
