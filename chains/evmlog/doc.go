// Package evmlog is the EVM log decoding shared by the JSON-RPC and
// explorer sources: which logs of a transaction are a venue's events (DEX
// and aggregator swaps, native-coin wraps and unwraps, bridge deposits with
// the destination they name, THORChain memos included), and which
// wrapper Deposit and Withdrawal logs are the token transfers WETH9 does
// not log as Transfers.
//
// It is pure: it reads logs the caller fetched (Log, which both a node's
// eth_getTransactionReceipt and an explorer's proxy module fill) and sends
// nothing. Every log is untrusted: a log of the wrong shape is skipped,
// never a panic or an error.
//
// This package depends on package chains and go-ethereum's common only; it
// knows nothing of transports, storage, tracing or reports.
package evmlog
