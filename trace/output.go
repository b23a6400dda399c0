package trace

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"freezetrace/chains"
)

// WriteJSON writes r as trace.json: indented, fields in a fixed order, every
// list in canonical order, so the same result gives the same bytes.
//
// The bytes are json.MarshalIndent's with two-space indents, written one
// list element at a time, so that a trace of a million ledger steps is
// never encoded whole in memory.
func WriteJSON(w io.Writer, r *Result) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	fields := resultFields(r)
	bw.WriteString("{")
	first := true
	for _, f := range fields {
		if f.omitEmpty && f.n() == 0 {
			continue
		}
		if !first {
			bw.WriteString(",")
		}
		first = false
		bw.WriteString("\n  ")
		name, _ := json.Marshal(f.name)
		bw.Write(name)
		bw.WriteString(": ")
		if err := f.write(bw); err != nil {
			return fmt.Errorf("encode trace: %s: %w", f.name, err)
		}
	}
	bw.WriteString("\n}\n")
	return bw.Flush()
}

// jsonField is one field of Result in trace.json: its name, and how to
// write its value at the first level of indentation.
type jsonField struct {
	name      string
	omitEmpty bool
	n         func() int // the length of a list (1 for a single value)
	write     func(*bufio.Writer) error
}

// resultFields lists Result's fields in declaration order (a test holds
// it to the struct).
func resultFields(r *Result) []jsonField {
	one := func(name string, v any) jsonField {
		return jsonField{name: name, n: func() int { return 1 }, write: func(w *bufio.Writer) error { return writeIndented(w, v) }}
	}
	return []jsonField{
		one("schema", r.Schema),
		one("rule", r.Rule),
		one("params", r.Params),
		list("provenance", r.Provenance, false),
		list("assets", r.Assets, false),
		list("sources", r.Origins, false),
		list("endpoints", r.Endpoints, false),
		list("flows", r.Flows, false),
		list("clusters", r.Clusters, false),
		list("ledger", r.Ledger, false),
		list("warnings", r.Warnings, true),
	}
}

// list writes a slice as MarshalIndent does (null when nil), one element
// at a time.
func list[T any](name string, xs []T, omitEmpty bool) jsonField {
	return jsonField{name: name, omitEmpty: omitEmpty, n: func() int { return len(xs) }, write: func(w *bufio.Writer) error {
		switch {
		case xs == nil:
			w.WriteString("null")
			return nil
		case len(xs) == 0:
			w.WriteString("[]")
			return nil
		}
		w.WriteString("[")
		for i := range xs {
			if i > 0 {
				w.WriteString(",")
			}
			w.WriteString("\n    ")
			b, err := json.MarshalIndent(xs[i], "    ", "  ")
			if err != nil {
				return err
			}
			w.Write(b)
		}
		w.WriteString("\n  ]")
		return nil
	}}
}

// writeIndented writes one value at the first level of indentation.
func writeIndented(w *bufio.Writer, v any) error {
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// LedgerHeader is the header row of ledger.csv.
var LedgerHeader = []string{
	"seq", "chain", "address", "asset", "block", "time", "tx", "position", "event",
	"counterparty", "amount", "tainted", "by_source", "balance", "taint", "detail",
}

// WriteLedgerCSV writes the audit ledger as CSV (RFC 4180), one row per
// step, in the order of r.Ledger. by_source is "S1=amount;S2=amount".
// Cells that a spreadsheet would run as a formula are prefixed with '.
func WriteLedgerCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(LedgerHeader); err != nil {
		return err
	}
	for _, s := range r.Ledger {
		tx := ""
		if !s.Tx.IsZero() {
			tx = s.Chain.FormatTx(s.Tx)
		}
		row := []string{
			strconv.Itoa(s.Seq), string(s.Chain), s.Address.String(), s.Asset.String(),
			strconv.FormatUint(s.Block, 10), s.Time.UTC().Format(time.RFC3339), tx,
			strconv.FormatUint(uint64(s.Position), 10), s.Event, s.Counterparty.String(),
			s.Amount.String(), s.Tainted.String(), formatShares(s.BySource),
			s.Balance.String(), s.Taint.String(), s.Detail,
		}
		for i, c := range row {
			row[i] = safeCell(c)
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func formatShares(ss []Share) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = s.Source + "=" + s.Amount.String()
	}
	return strings.Join(parts, ";")
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Summary writes a short report for people: the case, the traced totals
// per endpoint kind and entity in display units, then every endpoint that
// can be acted on (exchanges, and held funds with the issuer that can
// freeze them).
func Summary(w io.Writer, r *Result) error {
	dec := map[chains.AssetID]chains.Asset{}
	for _, a := range r.Assets {
		dec[a.ID] = a
	}
	show := func(id chains.AssetID, v chains.Amount) string {
		a := dec[id]
		s := v.FormatFixed(a.Decimals, int32(min(a.Decimals, 6)))
		if a.Symbol != "" {
			s += " " + printable(a.Symbol)
		}
		return s
	}
	var total chains.Amount
	var asset chains.AssetID
	for _, s := range r.Origins {
		total, asset = total.Add(s.Amount), s.Asset
	}
	bw := &errWriter{w: w}
	fmt.Fprintf(bw, "Traced %d victim payment(s), %s in total, under rule %s (max hops %d, min amount %s, max degree %d).\n",
		len(r.Origins), show(asset, total), r.Rule, r.Params.MaxHops, r.Params.MinAmount, r.Params.MaxDegree)
	type group struct {
		kind   Kind
		entity string
		asset  chains.AssetID
		amt    chains.Amount
		n      int
	}
	var gs []*group
	for _, e := range r.Endpoints {
		var g *group
		for _, x := range gs {
			if x.kind == e.Kind && x.entity == e.Entity && x.asset == e.Asset {
				g = x
			}
		}
		if g == nil {
			g = &group{kind: e.Kind, entity: e.Entity, asset: e.Asset}
			gs = append(gs, g)
		}
		g.amt, g.n = g.amt.Add(e.Amount), g.n+1
	}
	slices.SortStableFunc(gs, func(a, b *group) int {
		if c := kindRank(a.kind) - kindRank(b.kind); c != 0 {
			return c
		}
		if c := b.amt.Cmp(a.amt); c != 0 {
			return c
		}
		return strings.Compare(a.entity, b.entity)
	})
	rows := [][]string{{"endpoint", "entity", "addresses", "amount"}}
	for _, g := range gs {
		rows = append(rows, []string{string(g.kind), orDash(g.entity), strconv.Itoa(g.n), show(g.asset, g.amt)})
	}
	fmt.Fprintln(bw)
	table(bw, rows, []bool{false, false, true, true})
	for _, g := range gs {
		if g.kind == KindUnknown {
			fmt.Fprintln(bw, "unknown_funds are clean funds of unknown origin assumed where a ledger was incomplete; they are not taint.")
			break
		}
	}
	rows = [][]string{{"freeze target", "entity", "address", "hops", "amount"}}
	for _, e := range r.Endpoints {
		who := e.Entity
		switch {
		case e.Kind == KindExchange && e.Category == chains.CategoryExchange:
			who += " (its own wallet: deposit address not identified)"
		case e.Kind == KindExchange:
		case e.Kind == KindHeld && chains.Issuer(e.Asset) != "":
			who = chains.Issuer(e.Asset) + " (issuer freeze)"
		default:
			continue
		}
		rows = append(rows, []string{string(e.Kind), orDash(who), e.Address.String(), strconv.Itoa(e.Hops), show(e.Asset, e.Amount)})
	}
	if len(rows) > 1 {
		fmt.Fprintln(bw)
		table(bw, rows, []bool{false, false, false, true, true})
	}
	fmt.Fprintf(bw, "\n%d traced transfers, %d ledger steps.\n", len(r.Flows), len(r.Ledger))
	for _, x := range r.Warnings {
		fmt.Fprintf(bw, "WARNING (%s): %s\n", x.Code, printable(x.Message))
	}
	return bw.err
}

// table writes rows in columns; right[i] right-aligns column i.
func table(w io.Writer, rows [][]string, right []bool) {
	width := make([]int, len(right))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return printable(s)
}

// printable drops control characters from third-party text shown on a
// terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
