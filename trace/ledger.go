package trace

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"freezetrace/chains/untrusted"
)

// LedgerHeader is the header row of the audit ledger: the trace's
// ledger.csv and the ledger table of every report.
var LedgerHeader = []string{
	"seq", "chain", "address", "asset", "block", "time", "tx", "position", "event",
	"counterparty", "amount", "tainted", "by_source", "balance", "taint", "detail",
}

// LedgerRow is one step as a row of the audit ledger, in the columns of
// LedgerHeader: the time in RFC 3339 UTC (empty when the block time is
// unknown), the transaction empty for an opening balance, by_source as
// FormatShares writes it, and every cell one line of text that a
// spreadsheet shows and never evaluates (untrusted.CellText).
func LedgerRow(s Step) []string {
	tx, at := "", ""
	if !s.Tx.IsZero() {
		tx = s.Chain.FormatTx(s.Tx)
	}
	if !s.Time.IsZero() {
		at = s.Time.UTC().Format(time.RFC3339)
	}
	row := []string{
		strconv.Itoa(s.Seq), string(s.Chain), s.Address.String(), s.Asset.String(),
		strconv.FormatUint(s.Block, 10), at, tx, strconv.FormatUint(uint64(s.Position), 10),
		s.Event, s.Counterparty.String(), s.Amount.String(), s.Tainted.String(),
		FormatShares(s.BySource), s.Balance.String(), s.Taint.String(), s.Detail,
	}
	for i, c := range row {
		row[i] = untrusted.CellText(c)
	}
	return row
}

// FormatShares writes shares as "S1=100;S2=250" (base units), in the order
// given.
func FormatShares(ss []Share) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.Source + "=" + s.Amount.String()
	}
	return strings.Join(parts, ";")
}

// WriteLedgerCSV writes the audit ledger as CSV (RFC 4180): LedgerHeader,
// then one LedgerRow per step, in the order of r.Ledger. A step whose time
// RFC 3339 cannot write (past year 9999, see CheckTimes) is an input error,
// returned before anything is written: ledger.csv never holds a time its
// trace.json could not.
func WriteLedgerCSV(w io.Writer, r *Result) error {
	if err := ledgerTimes(r); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(LedgerHeader); err != nil {
		return err
	}
	for _, s := range r.Ledger {
		if err := cw.Write(LedgerRow(s)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
