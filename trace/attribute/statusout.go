package attribute

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
)

// StatusHeader is the CSV header of WriteStatusCSV.
var StatusHeader = []string{"chain", "address", "block", "time", "live", "checked", "balances", "frozen_by",
	"freeze_txs", "labels", "deposit_of", "stored_transfers", "first_block", "first_time", "last_block", "last_time", "warnings"}

// WriteStatusJSON writes statuses as one JSON array, in the given order,
// with the invisible and bidirectional characters of labels escaped
// (untrusted.JSON).
func WriteStatusJSON(w io.Writer, ss []Status) error {
	if ss == nil {
		ss = []Status{}
	}
	b, err := json.MarshalIndent(ss, "", "  ")
	if err != nil {
		return fmt.Errorf("encode status: %w", err)
	}
	_, err = w.Write(append(untrusted.JSON(b), '\n'))
	return err
}

// WriteStatusCSV writes one row per status under StatusHeader; every cell
// of third-party text goes through untrusted.CellText.
func WriteStatusCSV(w io.Writer, ss []Status) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(StatusHeader); err != nil {
		return err
	}
	for _, s := range ss {
		if err := cw.Write(statusRow(s)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func statusRow(s Status) []string {
	var txs []string
	for _, a := range s.Assets {
		if f := a.Freeze; f != nil && f.Frozen && f.Tx != (chains.TxHash{}) {
			txs = append(txs, f.Tx.String())
		}
	}
	return []string{string(s.Chain), s.Address.String(), strconv.FormatUint(s.Block, 10), stamp(s.Time),
		strconv.FormatBool(s.Live), stamp(s.Checked), untrusted.CellText(balances(s)),
		untrusted.CellText(strings.Join(s.Frozen(), ";")), strings.Join(txs, ";"), untrusted.CellText(labelList(s.Labels)),
		untrusted.CellText(s.DepositOf), strconv.Itoa(s.Activity.Transfers), blockOrEmpty(s.Activity.First),
		stamp(s.Activity.FirstTime), blockOrEmpty(s.Activity.Last), stamp(s.Activity.LastTime),
		untrusted.CellText(strings.Join(s.Warnings, "; "))}
}

// WriteStatusTable writes statuses for a terminal: one line per address,
// then the freezes and warnings in full.
func WriteStatusTable(w io.Writer, ss []Status) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADDRESS\tAS OF\tBALANCES\tFROZEN BY\tLABELS\tDEPOSIT OF\tSTORED ACTIVITY")
	for _, s := range ss {
		asOf := fmt.Sprintf("block %d", s.Block)
		if !s.Live {
			asOf = fmt.Sprintf("end of data, block %d", s.Block)
		}
		frozen := strings.Join(s.Frozen(), ", ")
		activity := "none stored"
		if s.Activity.Transfers > 0 {
			activity = fmt.Sprintf("%d transfers, %s … %s", s.Activity.Transfers, day(s.Activity.FirstTime, s.Activity.First), day(s.Activity.LastTime, s.Activity.Last))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Address, asOf, orDash(untrusted.Terminal(balances(s))),
			orDash(untrusted.Terminal(frozen)), orDash(untrusted.Terminal(labelList(s.Labels))), orDash(untrusted.Terminal(s.DepositOf)), activity)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range ss {
		for _, a := range s.Assets {
			if f := a.Freeze; f != nil && f.Frozen {
				fmt.Fprintf(w, "%s: frozen by %s%s\n", s.Address, untrusted.Terminal(f.Issuer), freezeDetail(*f))
			}
		}
		for _, m := range s.Warnings {
			fmt.Fprintf(w, "note: %s: %s\n", s.Address, untrusted.Terminal(m))
		}
	}
	return nil
}

func freezeDetail(f chains.Freeze) string {
	var b strings.Builder
	if f.Tx != (chains.TxHash{}) {
		fmt.Fprintf(&b, " in tx %s (block %d, %s)", f.Tx, f.TxBlock, day(f.TxTime, f.TxBlock))
	}
	if f.Destroyed != nil {
		fmt.Fprintf(&b, "; %s base units destroyed", f.Destroyed)
	}
	if f.Note != "" {
		b.WriteString("; " + untrusted.Terminal(f.Note))
	}
	return b.String()
}

// balances writes "SYMBOL=AMOUNT" per asset, "?" for an unknown balance.
func balances(s Status) string {
	parts := make([]string, 0, len(s.Assets))
	for _, a := range s.Assets {
		name := a.Asset.Symbol
		if name == "" {
			name = a.Asset.ID.String()
		}
		v := "?"
		if a.Balance != nil {
			v = a.Balance.FormatFixed(a.Asset.Decimals, int32(min(a.Asset.Decimals, 6)))
		}
		parts = append(parts, name+"="+v)
	}
	return strings.Join(parts, " ")
}

func labelList(ls []chains.Label) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		parts = append(parts, fmt.Sprintf("%s %s (%s)", l.Category, l.Entity, l.Source))
	}
	return strings.Join(parts, "; ")
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func day(t time.Time, block uint64) string {
	if t.IsZero() {
		return "block " + strconv.FormatUint(block, 10)
	}
	return t.UTC().Format("2006-01-02")
}

func blockOrEmpty(n uint64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatUint(n, 10)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
