// Package labels reads third-party label and sanction lists into
// chains.Label values: GraphSense TagPack YAML, the OFAC SDN digital-currency
// address lists (the one-address-per-line and JSON-array files of the
// ofac-sanctioned-digital-currency-addresses project, and the official SDN
// advanced XML), and a plain CSV for a user's own labels.
//
// Every label keeps its provenance: Source is the URL or list the claim comes
// from, Date when the source made it, and Note names the file it was read
// from and the source's own category and confidence words.
//
// Label text is untrusted input. Parsers store it exactly as written: they
// neither trim nor strip nor reject markup, formula prefixes or control
// characters in entity names and notes. Escaping is the job of whatever
// renders a label (the terminal, CSV, HTML, PDF).
//
// Label text is bounded: every field a label stores has a limit in
// characters (MaxEntity, MaxSource, MaxNote, MaxAddress, …), and no error
// quotes more than EchoLimit characters of an input value.
//
// A bad entry (an address that does not parse for its chain, an unknown
// category, a value over its limit) is reported with its file and line and
// does not stop the others unless Options.Strict is set. Entries for chains
// freezetrace does not trace (Bitcoin, Litecoin, …) are skipped and counted,
// not reported as bad. A file that is bad as a whole (malformed YAML, JSON
// or XML, an unterminated quote in a CSV, a second YAML document or a
// repeated key in a TagPack) gives an input error naming the file and line
// and nothing of it is to be stored: a file is taken whole or not at all.
// A UTF-8 byte-order mark at the start of any file is ignored.
//
// This package depends on chains and the standard library (plus a YAML
// parser); it must not depend on storage, the network or the trace engine.
package labels
