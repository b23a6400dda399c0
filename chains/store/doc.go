// Package store keeps freezetrace's data in one SQLite file (through
// modernc.org/sqlite, no cgo): transfers, blocks, assets, known contracts,
// labels, balances and issuers' freeze statuses read at final blocks, the
// venue events of transactions, the block ranges known to be complete
// (coverage) and the provenance of imported files. It also provides Source,
// a chains.Source (and chains.FreezeChecker and chains.EventReader) that
// answers from that file and fetches from an upstream source only what the
// file does not cover yet. Every read is an index range scan whose cost
// follows the answer, not the file: ledgers page (chains.Pager), balances
// are totalled in SQL (chains.Totaler), counterparty counts stop at their
// limit (chains.PeerCounter), and provenance reads a kept summary.
//
// Several freezetrace processes may share one file: it runs in WAL mode and
// every write transaction takes the write lock when it begins, waiting for
// another writer rather than failing.
//
// store depends on chains and the SQLite driver only; it must not depend on
// trace, report, the CLI or any network client.
package store
