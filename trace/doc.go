// Package trace is the taint engine: from a case (victim payments), it walks
// forward through every address the stolen funds reach, allocates taint at
// each one under an allocation rule (fifo, lifo, haircut, poison, libr),
// stops where a stop rule fires (a labeled exchange, a mixer, a bridge, a
// sanctioned address, an unlabeled contract, the hop limit, the dust floor,
// the time horizon, a high-activity address), and records every allocation
// step in an audit ledger that a third party can re-check by hand. Taint is
// held per (address, asset): where a tainted address swaps or wraps one
// asset for another in one transaction (a venue's events are the evidence,
// chains.EventReader), it converts at that transaction's own rate, each
// conversion a ledger step (swap.go states the rule).
//
// The engine reads everything through chains.Source and an Attributor, and
// only what the case needs: an address's ledger from the block the taint
// arrives, a page at a time from sources that page (chains.Pager), its
// opening balance from the source's state or, totalled by the source when
// it can (chains.Totaler), from its history; a busy address's
// counterparties are counted by the source when it can (chains.PeerCounter)
// and never past the limit. It depends on package chains (and its escapers,
// chains/untrusted) only: no SQL, no go-ethereum, no HTTP, no report. It
// never reads the clock; the same data and options give the same Result,
// and WriteJSON and WriteLedgerCSV write it byte for byte the same.
// ReadJSON reads trace.json back, for the report and any other reader, and
// refuses a file that contradicts itself (endpoints holding more of a
// victim payment than it carried, unknown kinds or sources, a ledger
// whose steps do not add up) as bad input.
package trace
