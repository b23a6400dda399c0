// Package evm reads Ethereum and other EVM chains over JSON-RPC (any node or
// provider) and implements chains.Source on top of go-ethereum's rpc client.
//
// Token transfers come from eth_getLogs with Transfer-topic filters over
// block ranges that adapt to the provider's caps; native transfers,
// internal ones included, come from call traces (trace_filter with
// trace_block where the node offers them, else debug_traceBlockByNumber with
// the callTracer). Native history of an address therefore means tracing
// every block of the range: one debug call per block, which is slow on long
// ranges and refused past Options.MaxTraceBlocks.
//
// Requests go through a Transport that retries 429/5xx/resets with backoff,
// honours Retry-After, limits the request rate and concurrency, and counts
// what it sends. URLs are redacted (Redact) wherever they could appear in an
// error.
//
// This package depends on chains and go-ethereum only; it knows nothing of
// storage, tracing or reports.
package evm
