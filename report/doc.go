// Package report turns a trace (trace.Result) and a case file into the
// documents that people act on: a freeze or preservation letter per
// recipient (each exchange with traced deposit addresses, each stablecoin
// issuer for taint held at addresses it can freeze) as Markdown, HTML and
// PDF, with a SEND.md saying where to send it and what to attach; evidence
// tables as CSV and XLSX; the audit ledger; the full JSON; the flow graph as
// DOT and SVG (and drawn inside the HTML and PDF letters); a case overview;
// and a SHA-256 manifest of every file written.
//
// Exchange letters follow the Freeze Asset Request (FAR) standard section
// by section; what they ask for depends on the case file's sender (law
// enforcement, or a victim or their representative, who asks for a hold
// and preservation, never for customer data). Issuer letters ask only to
// freeze addresses on the issuer's token contracts. Recipients are named,
// and their channels given, from a directory (recipients.yaml, which a
// user file can override). Whatever the case file or the directory does
// not give is listed by Checklist ("before you send") and printed as not
// given, never filled in by default.
//
// The letters follow the trace's holdings (trace.Result.Holdings): each
// address's balance at a live head or as of the end of the data, said as
// such, its issuer's freeze status and where its funds went next. An
// address already frozen is listed but not asked for; a recipient with
// nothing left to ask for gets no letter, and the overview says why; a
// freeze target whose holding was never read is a visible warning.
//
// Every value that came from outside (labels, case-file text, token symbols)
// is escaped for the format it is written in. Output is deterministic: the
// same trace, case file and generation time give byte-identical files.
//
// This package depends on chains (with its escapers, chains/untrusted) and
// trace only; it must not depend on the store, on any chain adapter, on
// the network or on the CLI. trace.json is read and written by package
// trace (ReadJSON, WriteJSON) and the audit ledger's rows are trace's
// (LedgerRow), so that the trace and the report agree on both.
package report
