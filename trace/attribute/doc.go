// Package attribute says who an address belongs to, for the trace engine and
// the cluster command: it implements trace.Attributor over a chains.Labeler
// (label and sanction lists) and a chains.Source (the cached transfers).
//
// Three things are attributed:
//
//   - Labels. The most confident label that is not a sanctions entry gives
//     Entity and Category (a sanctions entry when there is nothing else);
//     any sanctions label of the address sets Sanctioned.
//   - Exchange deposit addresses ("deposit-sweep"). An address without an
//     exchange, service, mixer, bridge, DeFi or issuer label that forwards at
//     least Options.MinForwardedPct percent (default 90) of what it received
//     of the traced asset to wallets labeled as one exchange, each sweep
//     within Options.Window (default 24h) or Options.WindowBlocks of the
//     funds arriving, in at least Options.MinSweeps sweeps (default 1), is
//     that exchange's deposit address: Category deposit, the exchange as
//     Entity, the sweep transactions as evidence.
//   - Clusters ("deposit-reuse"). The addresses that pay into one deposit
//     address belong to one account holder at that exchange; clusters are
//     joined through members that paid several deposit addresses. Labeled
//     exchange and service wallets never join a cluster (so an exchange's
//     hot wallet never merges its customers), and a deposit address with
//     more than Options.MaxSenders distinct senders is not expanded. Scam and
//     sanctions labels of one member propagate to the others as labels with
//     Heuristic "cluster", a confidence capped at Options.ClusterConfidence,
//     and the linking transactions as Evidence.
//
// Reads are bounded by the question: with Options.Span set (as a trace
// sets it), an address is judged on its transfers in the window after the
// block the question arises at (the taint's arrival), never on its whole
// history; detection says why when it cannot run (block times missing for
// the window: Attribution.Undetermined), and a cluster is then a deposit
// address and its senders in the window. Without Span (the cluster
// command) whole histories in [Options.From, Options.To] are used.
//
// Every decision is deterministic for the same data and options; there is
// no clock. Label text is untrusted and passed through unchanged; renderers
// escape it.
//
// This package imports chains and trace only: no SQL, HTTP or node library.
package attribute
