// Package explorer reads EVM chains through an Etherscan-compatible explorer
// API (Etherscan API v2 for every chain it indexes, or a Blockscout-style
// or mirrored API that speaks the same dialect) and implements
// chains.Source, chains.BlockFinder, chains.PairFinder, chains.HeadReader,
// chains.EventReader and chains.Requester on top of it.
//
// Token history comes from module=account&action=tokentx, native history
// from action=txlist (each transaction's own value; failed transactions are
// skipped, zero-value ones kept) merged with action=txlistinternal (internal
// transfers; failed ones skipped). Block times, heads, code, receipts and
// transactions come from the explorer's proxy module.
//
// # Receipts
//
// TxTransfers (without Options.Positions) and TxEvents read a
// transaction's eth_getTransactionReceipt, cached, so that both cost one
// receipt request. TxEvents decodes the receipt's swap, wrap and bridge
// deposit events with package evmlog, as the JSON-RPC source does.
// TxTransfers counts the Deposit and Withdrawal logs of the native-coin
// wrappers (Options.Wrappers, WETH9 on Ethereum by default) as transfers of
// the wrapper's token. Transfers does not: it reads tokentx, whose rows show
// no deposits or withdrawals, so a wrapper token's ledger over an explorer
// lacks what an address wrapped and unwrapped.
//
// # Paging
//
// An explorer answers at most PageSize rows (1,000) per page and refuses
// pages past a result window (page × offset ≤ 10,000). When a window is
// full, the source moves startblock to the block of the last row it got,
// drops that block's rows and reads the block again from the new start, so
// no row is lost or read twice. A single block with more rows than the
// window cannot be paged through and is reported as an error.
//
// # Positions
//
// Explorer rows carry no log index, so Position is taken one of two ways;
// PositionRule names the one in use so that provenance can record it.
//
// "receipt": with Options.Positions set (a JSON-RPC node, for example) or
// Options.ExactPositions (the explorer's own eth_getTransactionReceipt),
// each transfer's Position and TxIndex are those of the matching transfer
// of its transaction as the positions source reports it, matched by
// (asset, from, to, amount) in order. One extra lookup per transaction,
// cached.
//
// "explorer order": otherwise positions follow a documented deterministic
// rule. A token transfer gets TxIndex = transactionIndex and Position =
// transactionIndex×10,000 + k, where k counts the earlier rows of the same
// transaction in the explorer's answer (so that within a block the order
// follows transaction order, as real log indices do). A transaction's own
// native value gets Position 0 and TxIndex = transactionIndex. An internal
// transfer gets Position 1 + an order-preserving code of its traceId (the
// call path "0_1_2" written with a prefix code and padded to 30 bits), so
// that internal transfers sort in call order after the own value, and the
// same internal transfer gets the same position whichever address's history
// it was read from; its TxIndex comes from the transaction's txlist row
// when there is one, else from eth_getTransactionByHash (one request per
// such transaction, cached). Token positions under this rule count rows of
// one address's answer: the same transfer read from two different
// addresses' histories may get two different positions, so caches that mix
// several addresses' histories of a token should use the receipt rule.
//
// # Limits
//
// Requests are spaced to Options.Rate per second (shared by every call of a
// Source); rate-limit answers, HTTP 429 and 5xx are retried with jittered
// exponential backoff honouring Retry-After. The API key is sent as the
// apikey parameter and never appears in errors, names or returned values.
// Historical balances need a paid plan: Balance answers an error wrapping
// chains.ErrUnsupported, and callers rebuild balances from history.
//
// This package depends on the standard library, packages chains,
// chains/transport (its retrying HTTP client) and chains/evmlog (the log
// decoding it shares with the JSON-RPC source) and go-ethereum's common and
// hexutil only; it knows nothing of storage, tracing or reports.
package explorer
