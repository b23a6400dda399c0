package report

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"freezetrace/chains"
	"freezetrace/chains/untrusted"
	"freezetrace/trace"
)

// sheet is one evidence table: a CSV file and an XLSX worksheet. Every
// cell is already cleaned and neutralised (untrusted.CellText). Link names
// the column whose cell is an explorer URL.
type sheet struct {
	Name string // worksheet name, and the CSV file's base name
	Head []string
	Rows [][]string
	Link int // index of the URL column, -1 for none
}

// evidence builds the tables for a set of flows and endpoints.
type evidence struct {
	c        *CaseFile
	as       assets
	names    map[addrKey]string // address → entity, from the trace's endpoints
	holdings []trace.Holding    // the trace's, cleaned (cleanHolding)
	r        *trace.Result
	// multi is set for a trace with conversions or bridge destinations:
	// the flows, endpoints and paths tables then end with the columns that
	// say them (conversion; value, dest_chain, recipient), which a trace
	// of one asset without them does not have.
	multi bool
}

func newEvidence(c *CaseFile, r *trace.Result, as assets) *evidence {
	ev := &evidence{c: c, as: as, names: map[addrKey]string{}, r: r, multi: len(r.Conversions) > 0}
	for _, e := range r.Endpoints {
		if e.Entity != "" {
			ev.names[addrKey{e.Chain, e.Address}] = e.Entity
		}
		ev.multi = ev.multi || e.DestChain != "" || e.Recipient != "" || convertedEndpoint(r, e)
	}
	for _, h := range r.Holdings {
		ev.holdings = append(ev.holdings, cleanHolding(h))
	}
	return ev
}

func row(vals ...string) []string {
	for i, v := range vals {
		vals[i] = untrusted.CellText(v)
	}
	return vals
}

func (ev *evidence) flows(fs []trace.Flow) sheet {
	s := sheet{Name: "flows", Head: []string{"chain", "block", "time_utc", "tx", "position", "hop", "from", "from_entity",
		"to", "to_entity", "asset", "symbol", "amount_base", "amount", "tainted_base", "tainted", "by_source", "tx_url"}, Link: 17}
	if ev.multi {
		s.Head = append(s.Head, "conversion")
	}
	for _, f := range fs {
		a := ev.as.get(f.Asset)
		cells := []string{string(f.Chain), u64(f.Block), isoTime(f.Time), f.Chain.FormatTx(f.Tx), u64(uint64(f.Position)),
			strconv.Itoa(f.Hop), f.From.String(), ev.names[addrKey{f.Chain, f.From}], f.To.String(), ev.names[addrKey{f.Chain, f.To}],
			f.Asset.String(), a.Symbol, f.Amount.String(), display(f.Amount, a.Decimals), f.Tainted.String(),
			display(f.Tainted, a.Decimals), trace.FormatShares(f.BySource), f.Chain.TxURL(f.Tx)}
		if ev.multi {
			cells = append(cells, conversionCell(f.Conversion))
		}
		s.Rows = append(s.Rows, row(cells...))
	}
	return s
}

// conversionCell is a 1-based conversion index, "" for none.
func conversionCell(i int) string {
	if i == 0 {
		return ""
	}
	return strconv.Itoa(i)
}

// valueCells are the endpoints table's last columns in a trace with
// conversions or bridge destinations: the victims' asset its value is
// counted in, the value (for an endpoint in another asset), and the
// bridge destination.
func (ev *evidence) valueCells(e trace.Endpoint) []string {
	va := victimAssetOf(ev.r, e)
	a := ev.as.get(va)
	base, shown := e.Amount.String(), display(e.Amount, a.Decimals)
	if convertedEndpoint(ev.r, e) {
		base, shown = e.Value.String(), display(e.Value, a.Decimals)
	}
	return []string{va.String(), a.Symbol, base, shown, e.DestChain, e.Recipient}
}

// conversions is one row per received leg of each conversion: where and
// when, the venues (event kind, contract and log position), what was sent
// and received and the tainted part of each, the rate (received per sent,
// display units) and, by source, the tainted sent and received in base
// units. idx are the conversions' 1-based indexes in the trace.
func (ev *evidence) conversions(idx []int) sheet {
	s := sheet{Name: "conversions", Head: []string{"conversion", "chain", "block", "time_utc", "tx", "address", "hop", "venues", "events",
		"sent_asset", "sent_symbol", "sent_base", "sent", "tainted_sent_base", "tainted_sent",
		"received_asset", "received_symbol", "received_base", "received", "tainted_received_base", "tainted_received",
		"rate", "by_source", "tx_url"}, Link: 23}
	for _, i := range idx {
		c := conversionOf(ev.r, i)
		if c == nil {
			continue
		}
		sa := ev.as.get(c.Sent.Asset)
		for _, leg := range c.Received {
			ra := ev.as.get(leg.Asset)
			s.Rows = append(s.Rows, row(strconv.Itoa(i), string(c.Chain), u64(c.Block), isoTime(c.Time), c.Chain.FormatTx(c.Tx),
				c.Address.String(), strconv.Itoa(c.Hop), venues(c), eventsCell(c),
				c.Sent.Asset.String(), sa.Symbol, c.Sent.Amount.String(), display(c.Sent.Amount, sa.Decimals),
				c.Sent.Tainted.String(), display(c.Sent.Tainted, sa.Decimals),
				leg.Asset.String(), ra.Symbol, leg.Amount.String(), display(leg.Amount, ra.Decimals),
				leg.Tainted.String(), display(leg.Tainted, ra.Decimals),
				rate(ev.as, c.Sent, leg), sharesText(c.Sent, leg), c.Chain.TxURL(c.Tx)))
		}
	}
	return s
}

// allConversions are the 1-based indexes of every conversion of the trace.
func (ev *evidence) allConversions() []int {
	out := make([]int, len(ev.r.Conversions))
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// endpoints is every endpoint, then, for a freeze target, where its funds
// stand (its holding): the state ("not_read" when it has none), the
// balance at the block read and whether that was a live head, the newest
// outgoing transfer, the issuer's freeze status (frozen, not_frozen or
// not_read), what moved on after the trace's data (address, base units,
// tx and time per transfer) and what could not be read.
func (ev *evidence) endpoints(recipient func(trace.Endpoint) string, es []trace.Endpoint) sheet {
	s := sheet{Name: "endpoints", Head: []string{"recipient", "chain", "address", "kind", "entity", "category", "asset", "symbol",
		"amount_base", "amount", "hops", "by_source", "txs", "sweep_txs", "reason", "labels", "address_url",
		"state", "balance_base", "balance", "balance_block", "balance_block_time_utc", "balance_live", "balance_checked_utc",
		"last_out_time_utc", "last_out_tx", "last_out_to", "last_out_base", "freeze_status", "frozen_by", "frozen_tx", "frozen_time_utc",
		"frozen_note", "onward", "holding_warnings"}, Link: 16}
	if ev.multi {
		s.Head = append(s.Head, "value_asset", "value_symbol", "value_base", "value", "bridge_dest_chain", "bridge_recipient")
	}
	for _, e := range es {
		a := ev.as.get(e.Asset)
		var labels []string
		for _, l := range e.Labels {
			labels = append(labels, untrusted.Line(l.Entity)+" ("+string(l.Category)+", "+untrusted.Line(l.Source)+", confidence "+strconv.Itoa(l.Confidence)+")")
		}
		cells := append([]string{recipient(e), string(e.Chain), e.Address.String(), string(e.Kind), e.Entity, string(e.Category),
			e.Asset.String(), a.Symbol, e.Amount.String(), display(e.Amount, a.Decimals), strconv.Itoa(e.Hops), trace.FormatShares(e.BySource),
			txList(e.Chain, e.Txs), txList(e.Chain, e.SweepTxs), e.Reason, strings.Join(labels, "; "), e.Chain.AddressURL(e.Address)},
			ev.holdingCells(e)...)
		if ev.multi {
			cells = append(cells, ev.valueCells(e)...)
		}
		s.Rows = append(s.Rows, row(cells...))
	}
	return s
}

// holdingCells are the endpoints sheet's holding columns for e: empty
// for an endpoint that is no freeze target.
func (ev *evidence) holdingCells(e trace.Endpoint) []string {
	out := make([]string, 18)
	if !trace.IsFreezeTarget(e) {
		return out
	}
	i := slices.IndexFunc(ev.holdings, func(h trace.Holding) bool {
		return h.Chain == e.Chain && h.Address == e.Address && h.Asset == e.Asset
	})
	if i < 0 {
		out[0] = "not_read"
		return out
	}
	h, dec := ev.holdings[i], ev.as.get(e.Asset).Decimals
	out[0], out[3], out[4], out[5], out[6] = string(h.State()), u64(h.Block), isoTime(h.Time), strconv.FormatBool(h.Live), isoTime(h.Checked)
	if h.Balance != nil {
		out[1], out[2] = h.Balance.String(), display(*h.Balance, dec)
	}
	if lo := h.LastOut; lo != nil {
		out[7], out[8], out[9], out[10] = isoTime(lo.Time), e.Chain.FormatTx(lo.Tx), lo.To.String(), lo.Amount.String()
	}
	switch f := h.Freeze; {
	case f != nil && f.Frozen:
		out[11], out[12], out[14], out[15] = "frozen", f.Issuer, isoTime(f.TxTime), f.Note
		if !f.Tx.IsZero() {
			out[13] = e.Chain.FormatTx(f.Tx)
		}
	case f != nil:
		out[11] = "not_frozen"
	default:
		if _, ok := chains.SchemeOf(e.Asset); ok {
			out[11] = "not_read"
		}
	}
	onward := make([]string, len(h.Onward))
	for j, mv := range h.Onward {
		onward[j] = mv.To.String() + " " + mv.Amount.String() + " " + e.Chain.FormatTx(mv.Tx) + " " + isoTime(mv.Time)
	}
	out[16], out[17] = strings.Join(onward, "; "), strings.Join(h.Warnings, "; ")
	return out
}

func (ev *evidence) sources(ss []trace.Origin) sheet {
	s := sheet{Name: "sources", Head: []string{"id", "victim", "police_report", "chain", "block", "time_utc", "tx", "position",
		"from", "to", "asset", "symbol", "amount_base", "amount", "tx_url"}, Link: 14}
	for _, src := range ss {
		a := ev.as.get(src.Asset)
		victim, report := src.Victim, ""
		if v, ok := ev.c.victimOf(src.Tx); ok {
			victim, report = v.Name, v.PoliceReport
		}
		s.Rows = append(s.Rows, row(src.ID, victim, report, string(src.Chain), u64(src.Block), isoTime(src.Time),
			src.Chain.FormatTx(src.Tx), u64(uint64(src.Position)), src.From.String(), src.To.String(), src.Asset.String(), a.Symbol,
			src.Amount.String(), display(src.Amount, a.Decimals), src.Chain.TxURL(src.Tx)))
	}
	return s
}

func (ev *evidence) paths(rc *Recipient) sheet {
	s := sheet{Name: "paths", Head: []string{"path", "source", "endpoint", "hop", "chain", "time_utc", "tx", "position", "from", "to",
		"asset", "amount_base", "traced_base", "tx_url"}, Link: 13}
	if ev.multi {
		s.Head = append(s.Head, "symbol", "amount", "traced", "conversion")
	}
	for _, p := range rc.Paths {
		e := rc.Endpoints[p.Endpoint]
		for i, h := range p.Hops {
			cells := []string{p.ID, p.Source, e.Address.String(), strconv.Itoa(i), string(h.Chain),
				strings.TrimSuffix(h.Time, " UTC"), h.Chain.FormatTx(h.Tx), u64(uint64(h.Position)), h.From.String(), h.To.String(),
				p.assetOf(h).String(), h.Amount.String(), h.Traced.String(), h.Chain.TxURL(h.Tx)}
			if ev.multi {
				a := ev.as.get(p.assetOf(h))
				cells = append(cells, a.Symbol, display(h.Amount, a.Decimals), display(h.Traced, a.Decimals), conversionCell(h.Conversion))
			}
			s.Rows = append(s.Rows, row(cells...))
		}
	}
	return s
}

// ledger writes the audit ledger as the trace's own ledger.csv does
// (trace.LedgerHeader, trace.LedgerRow), so both files read the same way.
func (ev *evidence) ledger(steps []trace.Step) sheet {
	s := sheet{Name: "ledger", Head: slices.Clone(trace.LedgerHeader), Link: -1}
	for _, st := range steps {
		s.Rows = append(s.Rows, trace.LedgerRow(st))
	}
	return s
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }

func isoTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func txList(c chains.Chain, txs []chains.TxHash) string {
	out := make([]string, len(txs))
	for i, h := range txs {
		out[i] = c.FormatTx(h)
	}
	return strings.Join(out, " ")
}

// csvBytes writes s as RFC 4180 CSV with a header row.
func csvBytes(s sheet) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(s.Head); err != nil {
		return nil, err
	}
	if err := w.WriteAll(s.Rows); err != nil {
		return nil, fmt.Errorf("write %s csv: %w", s.Name, err)
	}
	return b.Bytes(), nil
}

// xlsxBytes writes the sheets as one workbook. Every cell is a string
// (base-unit amounts exceed a spreadsheet's number precision); URL cells
// are hyperlinks; the header row is bold and frozen.
func xlsxBytes(sheets []sheet, title string, at time.Time) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	stamp := at.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{Title: untrusted.Line(title), Creator: "freezetrace", Created: stamp, Modified: stamp}); err != nil {
		return nil, fmt.Errorf("xlsx properties: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"E8E8E8"}, Pattern: 1}})
	if err != nil {
		return nil, fmt.Errorf("xlsx style: %w", err)
	}
	linkStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "1F4E9E", Underline: "single"}})
	if err != nil {
		return nil, fmt.Errorf("xlsx style: %w", err)
	}
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return nil, fmt.Errorf("xlsx sheet %s: %w", s.Name, err)
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return nil, fmt.Errorf("xlsx sheet %s: %w", s.Name, err)
		}
		if err := writeSheet(f, s, bold, linkStyle); err != nil {
			return nil, fmt.Errorf("xlsx sheet %s: %w", s.Name, err)
		}
	}
	f.SetActiveSheet(0)
	b, err := f.WriteToBuffer()
	if err != nil {
		return nil, fmt.Errorf("write xlsx: %w", err)
	}
	return b.Bytes(), nil
}

func writeSheet(f *excelize.File, s sheet, bold, linkStyle int) error {
	widths := make([]int, len(s.Head))
	put := func(r int, vals []string) error {
		for c, v := range vals {
			ref, err := excelize.CoordinatesToCellName(c+1, r)
			if err != nil {
				return err
			}
			if err := f.SetCellStr(s.Name, ref, v); err != nil {
				return err
			}
			widths[c] = max(widths[c], len([]rune(v)))
			if r > 1 && c == s.Link && strings.HasPrefix(v, "https://") {
				if err := f.SetCellHyperLink(s.Name, ref, v, "External"); err != nil {
					return err
				}
				if err := f.SetCellStyle(s.Name, ref, ref, linkStyle); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := put(1, s.Head); err != nil {
		return err
	}
	for i, r := range s.Rows {
		if err := put(i+2, r); err != nil {
			return err
		}
	}
	if err := f.SetRowStyle(s.Name, 1, 1, bold); err != nil {
		return err
	}
	for c, w := range widths {
		col, err := excelize.ColumnNumberToName(c + 1)
		if err != nil {
			return err
		}
		if err := f.SetColWidth(s.Name, col, col, float64(min(max(w, 6), 70))+2); err != nil {
			return err
		}
	}
	return f.SetPanes(s.Name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}
