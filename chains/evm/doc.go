// Package evm reads Ethereum and other EVM chains over JSON-RPC (any node or
// provider) and implements chains.Source on top of go-ethereum's rpc client.
//
// Token transfers come from eth_getLogs with Transfer-topic filters. The
// first call for a range asks for all of it (unless Options.MaxRange sets a
// ceiling), and the range then adapts to what the provider answers: a block
// cap it names (geth, BSC, QuickNode, Alchemy's free tier) is kept for the
// Source's lifetime, a hinted range (Infura, Alchemy) is used for the next
// window, other "too many results" answers halve the window, and the range
// doubles again after a few successes. A provider that accepts any range
// answers one address's token history in two calls (sent, received), and
// TransfersBetween (chains.PairFinder) finds the transfers from one
// address to another with one filtered call.
//
// Native transfers, internal ones included, come from call traces
// (trace_filter with trace_block where the node offers them, else
// debug_traceBlockByNumber with the callTracer). Over the debug API native
// history of an address therefore means tracing every block of the range:
// one debug call per block, which is slow on long ranges and refused past
// Options.MaxTraceBlocks. Traced blocks are kept by hash for the next
// address; a kept block whose header was read at least
// Options.FinalDepth below the head (by default the blocks of FinalWindow,
// 150 on Ethereum) needs no header again, while the headers of blocks
// nearer the head are read every time, so that a reorg there is traced
// again. Over the trace API the cost follows the address's activity:
// two trace_filter calls per window (its block range adapts to the
// provider's cap apart from eth_getLogs', see span.go), then trace_block
// of the blocks it names. The receipts of transactions in final blocks
// are kept too (receipts.go), so that TxEvents then TxTransfers read one
// receipt once.
//
// The Deposit and Withdrawal events of native-coin wrappers
// (Options.Wrappers, WETH9 on Ethereum by default) count as transfers of
// the wrapper's token, which WETH9 does not log as Transfers; for such a
// token the "sent" query asks for Transfer, Deposit and Withdrawal
// together, so a ledger still costs two calls. TxEvents
// (chains.EventReader) reads a transaction's swap, wrap and bridge
// deposit events from its receipt (evmlog.DecodeEvents, shared with the
// explorer source).
//
// FreezeStatus (chains.FreezeChecker) reads a stablecoin issuer's freeze
// function with eth_call and, for a frozen address, finds the freezing
// transaction by a binary search of that function over historical state
// (about log2 of the case's block range in calls) and one eth_getLogs of
// the block found: a frozen address costs about log2(range)+5 requests,
// however long the chain. Without archive state the status is still
// answered, with a note instead of the transaction.
//
// Requests go through a Transport that retries 429/5xx/resets with backoff,
// honours Retry-After, limits the request rate and concurrency, and counts
// what it sends (Requests, Stats). URLs are redacted (Redact) wherever they
// could appear in an error.
//
// This package depends on chains, chains/transport (the retrying HTTP
// client under the Transport), chains/evmlog (the log decoding it shares
// with the explorer source) and go-ethereum only; it knows nothing of
// storage, tracing or reports.
package evm
